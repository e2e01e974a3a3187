/* cgplace.c - choosing and undoing where the run's cgroups go; see cgplace.h
 * and docs/cgroups.md. Plain reads and writes of cgroup2 files: the whole
 * protocol is a handful of writes to cgroup.procs and cgroup.subtree_control
 * (libcgroup 2.0.2 has no call for "enable controllers for children" nor for
 * moving the caller itself into a new leaf). */
#include "cgplace.h"
#include "cgfile.h"
#include "cgroup-kill.h"
#include "cghost.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define LEAF_PREFIX "soak-runner-"

/* Error text: a message cut at the buffer's end is still a message. */
__attribute__((format(printf, 3, 4)))
static void errf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (!p[n] || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* The runner's path in the cgroup2 hierarchy ("0::/path" in /proc/self/cgroup). */
static int self_path(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	char line[PATH_MAX + 16];
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		r = snprintf(buf, len, "%s", line + 3) < (int)len ? 0 : -ENAMETOOLONG;
	}
	fclose(f);
	return r;
}

static int self_dir(const char *mount, char *buf, size_t len)
{
	char own[PATH_MAX];
	int r = self_path(own, sizeof(own));
	if (r < 0)
		return r;
	return snprintf(buf, len, "%s%s", mount, strcmp(own, "/") ? own : "") < (int)len ? 0 : -ENAMETOOLONG;
}

/* A systemd unit's cgroup: named after the unit. */
static bool unit_named(const char *name)
{
	static const char *const suffix[] = { ".slice", ".scope", ".service" };
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		size_t l = strlen(suffix[i]);
		if (n > l && !strcmp(name + n - l, suffix[i]))
			return true;
	}
	return false;
}

/* Recent systemd marks the cgroups it delegated (trusted.delegate by the
 * system manager, user.delegate by user managers), at the top of the
 * delegated subtree only. The cgroup is the delegatee's when the nearest unit
 * cgroup at or above it carries the mark: a Slurm job's task cgroup
 * (slurmstepd.scope/job_1/step_batch/user/task_0, slurmstepd.scope delegated
 * to Slurm) is Slurm's, a scope of a user manager inside user@UID.service
 * (itself delegated) is the user manager's. Stops above the hierarchy's root
 * (a directory without cgroup.procs). */
static bool delegated_here_or_above(const char *dir)
{
	char p[PATH_MAX], probe[PATH_MAX + 16], x[8];
	if (snprintf(p, sizeof(p), "%s", dir) >= (int)sizeof(p))
		return false;
	for (;;) {
		if (getxattr(p, "trusted.delegate", x, sizeof(x)) > 0 ||
		    getxattr(p, "user.delegate", x, sizeof(x)) > 0)
			return true;
		char *slash = strrchr(p, '/');
		if (!slash || slash == p || unit_named(slash + 1))
			return false;
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/cgroup.procs", p);
		if (access(probe, F_OK) != 0)
			return false;
	}
}

int soak_place_facts_read(const char *dir, pid_t self, bool systemd, soak_place_facts_t *f)
{
	memset(f, 0, sizeof(*f));
	char buf[8192];
	if (soak_cgfile_read(dir, "cgroup.controllers", buf, sizeof(buf)) == 0) {
		f->has_memory = has_word(buf, "memory");
		f->has_cpu = has_word(buf, "cpu");
	}
	if (soak_cgfile_read(dir, "cgroup.subtree_control", buf, sizeof(buf)) == 0) {
		f->sub_memory = has_word(buf, "memory");
		f->sub_cpu = has_word(buf, "cpu");
	}
	int r = soak_cgfile_read(dir, "cgroup.procs", buf, sizeof(buf));
	if (r < 0)
		return r;
	char me[24];
	snprintf(me, sizeof(me), "%d\n", (int)self);
	f->alone = !strcmp(buf, me);
	/* Without the mark a systemd host gets a scope instead of a leaf move:
	 * that works where systemd manages the cgroup, but inside a delegated
	 * subtree (a Slurm job) it would move soakctl out of it. */
	f->delegated = delegated_here_or_above(dir);
	f->systemd = systemd;
	return 0;
}

size_t soak_place_plan(const soak_place_facts_t *f, bool need_cpu,
		       soak_place_how_t plan[SOAK_PLACE_MAX_PLAN])
{
	size_t n = 0;
	bool offered = f->has_memory && (f->has_cpu || !need_cpu);
	bool enabled = f->sub_memory && (f->sub_cpu || !need_cpu);
	/* Children with controllers can be made in our own cgroup only where
	 * the no-internal-process rule does not apply: the root cgroup (in a
	 * cgroup namespace the root looks the same, and the write fails with
	 * EBUSY: then the next way is tried). */
	if (offered && (f->is_root || enabled))
		plan[n++] = SOAK_PLACE_OWN;
	/* A cgroup systemd manages and did not delegate is not ours to change
	 * (single-writer rule): ask systemd instead. */
	if (offered && f->alone && (!f->systemd || f->delegated))
		plan[n++] = SOAK_PLACE_LEAF_MOVE;
	if (f->systemd)
		plan[n++] = SOAK_PLACE_SYSTEMD_SCOPE;
	return n;
}

int soak_place_parent_path(const char *mount, const char *path, char *out, size_t outlen,
			   char *err, size_t errlen)
{
	size_t ml = strlen(mount);
	const char *rel = path;
	if (!*path) {
		errf(err, errlen, "--cgroup-parent: empty path");
		return -EINVAL;
	}
	if (path[0] == '/') {
		if (strncmp(path, mount, ml) || (path[ml] && path[ml] != '/')) {
			errf(err, errlen, "--cgroup-parent %s is not below the cgroup2 mount %s: "
				 "give a path below it or relative to it", path, mount);
			return -EINVAL;
		}
		rel = path + ml;
	}
	int n = snprintf(out, outlen, "%s", mount);
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof(copy), "%s", rel) >= (int)sizeof(copy)) {
		errf(err, errlen, "--cgroup-parent: path too long");
		return -ENAMETOOLONG;
	}
	char *save = NULL;
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, "..")) {
			errf(err, errlen, "--cgroup-parent %s: '.' and '..' are not allowed in the path", path);
			return -EINVAL;
		}
		n += snprintf(out + n, outlen - (size_t)n, "/%s", c);
		if (n >= (int)outlen) {
			errf(err, errlen, "--cgroup-parent: path too long");
			return -ENAMETOOLONG;
		}
		struct stat st;
		if (lstat(out, &st) < 0) {
			errf(err, errlen, "--cgroup-parent %s: %s: %s (create it first)", path, out,
				 strerror(errno));
			return -ENOENT;
		}
		if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
			errf(err, errlen, "--cgroup-parent %s: %s is %s, not a cgroup directory", path, out,
				 S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory");
			return -EINVAL;
		}
	}
	char probe[PATH_MAX + 16];
	snprintf(probe, sizeof(probe), "%s/cgroup.procs", out);
	if (soak_cg_fs_version(out) != 2 || access(probe, F_OK) != 0) {
		errf(err, errlen, "--cgroup-parent %s: %s is not a cgroup2 directory", path, out);
		return -EINVAL;
	}
	return 0;
}

/* Enables memory (and cpu when offered) for the children of dir. */
static int enable(soak_place_t *p, const char *dir, const soak_place_facts_t *f, bool need_cpu,
		  char *err, size_t errlen)
{
	int r = 0;
	if (!f->sub_memory) {
		if ((r = soak_cgfile_write(dir, "cgroup.subtree_control", "+memory")) < 0)
			goto fail;
		p->enabled_memory = true;
	}
	if (f->has_cpu && !f->sub_cpu) {
		if ((r = soak_cgfile_write(dir, "cgroup.subtree_control", "+cpu")) < 0 && need_cpu)
			goto fail;
		p->enabled_cpu = r == 0;
	}
	return 0;
fail:
	errf(err, errlen, "%s: cannot enable controllers for children: %s%s", dir, strerror(-r),
		 r == -EBUSY ? " (it holds processes)" : "");
	return r;
}

static void disable(soak_place_t *p, const char *dir)
{
	if (p->enabled_cpu && soak_cgfile_write(dir, "cgroup.subtree_control", "-cpu") == 0)
		p->enabled_cpu = false;
	if (p->enabled_memory && soak_cgfile_write(dir, "cgroup.subtree_control", "-memory") == 0)
		p->enabled_memory = false;
}

static int move_self(const char *dir)
{
	char v[24];
	snprintf(v, sizeof(v), "%d", (int)getpid());
	return soak_cgfile_write(dir, "cgroup.procs", v);
}

/* The runner moves into a new leaf of dir, then dir (now without processes)
 * hands memory and cpu to its children. */
static int leaf_move(soak_place_t *p, const char *dir, bool need_cpu, char *err, size_t errlen)
{
	soak_place_facts_t f;
	int r = soak_place_facts_read(dir, getpid(), false, &f);
	if (r < 0) {
		errf(err, errlen, "%s: %s", dir, strerror(-r));
		return r;
	}
	if (!f.alone) {
		errf(err, errlen, "%s holds other processes", dir);
		return -EBUSY;
	}
	if (snprintf(p->leaf, sizeof(p->leaf), "%s/" LEAF_PREFIX "%d", dir, (int)getpid()) >=
	    (int)sizeof(p->leaf)) {
		p->leaf[0] = '\0';
		errf(err, errlen, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	if (mkdir(p->leaf, 0755) < 0) {
		r = -errno;
		errf(err, errlen, "cannot create %s: %s", p->leaf, strerror(errno));
		p->leaf[0] = '\0';
		return r;
	}
	if ((r = move_self(p->leaf)) < 0) {
		errf(err, errlen, "cannot move soakctl into %s: %s", p->leaf, strerror(-r));
		goto undo;
	}
	if ((r = enable(p, dir, &f, need_cpu, err, errlen)) < 0) {
		disable(p, dir);
		move_self(dir);
		goto undo;
	}
	snprintf(p->home, sizeof(p->home), "%s", dir);
	snprintf(p->parent, sizeof(p->parent), "%s", dir);
	return 0;
undo:
	rmdir(p->leaf);
	p->leaf[0] = '\0';
	return r;
}

static int try_own(soak_place_t *p, const char *own, bool need_cpu, char *err, size_t errlen)
{
	soak_place_facts_t f;
	int r = soak_place_facts_read(own, getpid(), false, &f);
	if (r < 0) {
		errf(err, errlen, "%s: %s", own, strerror(-r));
		return r;
	}
	if ((r = enable(p, own, &f, need_cpu, err, errlen)) < 0)
		return r;
	/* Never disabled again: the runner's own cgroup may hand them to others. */
	p->enabled_memory = p->enabled_cpu = false;
	snprintf(p->parent, sizeof(p->parent), "%s", own);
	return 0;
}

static void missing_controllers(const char *dir, bool need_cpu, char *buf, size_t len)
{
	char c[512] = "";
	soak_cgfile_read(dir, "cgroup.controllers", c, sizeof(c));
	c[strcspn(c, "\n")] = '\0';
	snprintf(buf, len, "%s%s%s", has_word(c, "memory") ? "" : "memory",
		 !has_word(c, "memory") && need_cpu && !has_word(c, "cpu") ? " and " : "",
		 need_cpu && !has_word(c, "cpu") ? "cpu" : "");
}

static int try_scope(soak_place_t *p, bool need_cpu, char *err, size_t errlen)
{
	bool user = geteuid() != 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(p->scope, sizeof(p->scope), "soak-%d-%lx.scope", (int)getpid(), (unsigned long)ts.tv_nsec);
	int r = soak_place_systemd_scope(p->scope, user, err, errlen);
	if (r < 0) {
		p->scope[0] = '\0';
		return r;
	}
	p->bus = user ? "user" : "system";
	char dir[PATH_MAX];
	if ((r = self_dir(SOAK_CG_V2_ROOT, dir, sizeof(dir))) < 0) {
		errf(err, errlen, "cannot read /proc/self/cgroup after moving into %s", p->scope);
		return r;
	}
	const char *base = strrchr(dir, '/');
	if (!base || strcmp(base + 1, p->scope)) {
		errf(err, errlen, "systemd started %s but soakctl is in %s", p->scope, dir);
		return -EIO;
	}
	char miss[64];
	missing_controllers(dir, need_cpu, miss, sizeof(miss));
	if (miss[0]) {
		char c[512] = "";
		soak_cgfile_read(dir, "cgroup.controllers", c, sizeof(c));
		c[strcspn(c, "\n")] = '\0';
		errf(err, errlen, "the systemd %s manager delegated only '%s' to %s: %s missing%s",
			 p->bus, c, p->scope, miss,
			 user ? " (enable it for users: systemctl edit user@.service, [Service] "
				"Delegate=cpu memory pids)" : "");
		return -ENOTSUP;
	}
	return leaf_move(p, dir, need_cpu, err, errlen);
}

static int place_parent(soak_place_t *p, const char *mount, const char *path, bool need_cpu,
			char *err, size_t errlen)
{
	int r = soak_place_parent_path(mount, path, p->parent, sizeof(p->parent), err, errlen);
	if (r < 0)
		return r;
	p->how = SOAK_PLACE_CGROUP_PARENT;
	if (p->mode != SOAK_CG_V2)
		return 0;  /* hybrid: the cgroup2 part only; limits stay in v1 */
	char miss[64];
	missing_controllers(p->parent, need_cpu, miss, sizeof(miss));
	if (miss[0]) {
		errf(err, errlen, "--cgroup-parent %s: %s is not offered there (cgroup.controllers): "
			 "enable it in the parent's cgroup.subtree_control", path, miss);
		return -ENOTSUP;
	}
	soak_place_facts_t f;
	if ((r = soak_place_facts_read(p->parent, getpid(), false, &f)) < 0) {
		errf(err, errlen, "--cgroup-parent %s: %s", path, strerror(-r));
		return r;
	}
	char e[512];
	if ((r = enable(p, p->parent, &f, need_cpu, e, sizeof(e))) < 0) {
		errf(err, errlen, "--cgroup-parent %s: %s; enable +memory +cpu in its "
			 "cgroup.subtree_control first", path, e);
		return r;
	}
	/* Left enabled: other runs may be using the same parent. */
	p->enabled_memory = p->enabled_cpu = false;
	return 0;
}

int soak_place_acquire(soak_place_t *p, const char *cgroup_parent, bool need_cpu, char *err,
		       size_t errlen)
{
	memset(p, 0, sizeof(*p));
	int r = soak_cg_detect(&p->mode, err, errlen);
	if (r < 0)
		return r;
	if (p->mode != SOAK_CG_V2) {
		if (cgroup_parent && p->mode == SOAK_CG_V1) {
			errf(err, errlen, "--cgroup-parent needs a cgroup2 hierarchy; this host has cgroup v1 "
				 "only (drop --cgroup-parent: the run's cgroups go below soakctl's own)");
			return -ENOTSUP;
		}
		if (cgroup_parent)
			return place_parent(p, SOAK_CG_UNIFIED_HYBRID, cgroup_parent, need_cpu, err, errlen);
		p->how = SOAK_PLACE_OWN;
		if (p->mode == SOAK_CG_HYBRID && (r = self_dir(SOAK_CG_UNIFIED_HYBRID, p->parent, sizeof(p->parent))) < 0) {
			errf(err, errlen, "cannot find the runner's cgroup2 path in /proc/self/cgroup");
			return r;
		}
		return 0;
	}
	if (cgroup_parent)
		return place_parent(p, SOAK_CG_V2_ROOT, cgroup_parent, need_cpu, err, errlen);

	char own[PATH_MAX];
	if ((r = self_dir(SOAK_CG_V2_ROOT, own, sizeof(own))) < 0) {
		errf(err, errlen, "cannot find the runner's cgroup2 path in /proc/self/cgroup");
		return r;
	}
	soak_place_facts_t f;
	if ((r = soak_place_facts_read(own, getpid(), soak_place_systemd_booted(), &f)) < 0) {
		errf(err, errlen, "cannot read %s/cgroup.procs: %s", own, strerror(-r));
		return r;
	}
	f.is_root = !strcmp(own, SOAK_CG_V2_ROOT);
	soak_place_how_t plan[SOAK_PLACE_MAX_PLAN];
	size_t n = soak_place_plan(&f, need_cpu, plan);
	char why[2048] = "", e[768];
	size_t wl = 0;
	for (size_t i = 0; i < n; i++) {
		e[0] = '\0';
		if (plan[i] == SOAK_PLACE_OWN)
			r = try_own(p, own, need_cpu, e, sizeof(e));
		else if (plan[i] == SOAK_PLACE_LEAF_MOVE)
			r = leaf_move(p, own, need_cpu, e, sizeof(e));
		else
			r = try_scope(p, need_cpu, e, sizeof(e));
		if (r == 0) {
			p->how = plan[i];
			return 0;
		}
		wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "%s%s: %s", wl ? "; " : "",
				       soak_place_how_name(plan[i]), e);
		if (wl >= sizeof(why))
			wl = sizeof(why) - 1;
	}
	if (!n) {
		char miss[64];
		missing_controllers(own, need_cpu, miss, sizeof(miss));
		errf(why, sizeof(why), "%s holds other processes%s%s%s, and systemd is not running", own,
			 miss[0] ? " and does not offer " : "", miss, miss[0] ? " to children" : "");
	}
	errf(err, errlen, "cannot place the run's cgroups (%s): pass --cgroup-parent PATH (a cgroup "
		 "with memory and cpu delegated), start soakctl as the only process of its cgroup "
		 "(a container) or in a delegated scope (systemd-run --scope -p Delegate=yes), "
		 "or pass --no-cgroup to run without limits", why);
	return -ENOTSUP;
}

/* Another directory than `keep` below dir? (A run's cgroup still there.) */
static bool other_children(const char *dir, const char *keep)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool other = false;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, keep))
			other = true;
	closedir(d);
	return other;
}

void soak_place_release(soak_place_t *p)
{
	if (!p->leaf[0])
		return;
	const char *base = strrchr(p->leaf, '/') + 1;
	/* The runner can go back only into a cgroup without controllers for
	 * children (no-internal-process rule), so only once our cgroups are gone. */
	if (other_children(p->home, base))
		return;
	disable(p, p->home);
	if (move_self(p->home) == 0 && rmdir(p->leaf) == 0)
		p->leaf[0] = '\0';
}

int soak_place_recover_json(const char *json, int64_t runner_pid, char *why, size_t whylen)
{
	why[0] = '\0';
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	if (!o)
		return -EINVAL;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "leaf");
	int r = 0;
	if (v && !(cJSON_IsString(v) && !v->valuestring[0])) {
		/* Only the leaf this run's runner made: <cgroup2 root>/.../soak-runner-<its pid>,
		 * checked like the run's own cgroups (cgroup-kill.h); rmdir only. */
		char name[64], roots[SOAK_CG_MAX_ROOTS][PATH_MAX], w[256] = "";
		const char *rootv[SOAK_CG_MAX_ROOTS];
		size_t n = soak_cg_default_roots(roots, SOAK_CG_MAX_ROOTS);
		for (size_t i = 0; i < n; i++)
			rootv[i] = roots[i];
		snprintf(name, sizeof(name), LEAF_PREFIX "%lld", (long long)runner_pid);
		r = !cJSON_IsString(v) ? (snprintf(w, sizeof(w), "is not a string"), -EPERM)
		    : soak_cg_path_allowed(v->valuestring, rootv, n, name, w, sizeof(w));
		if (r == 0)
			r = soak_cg_dir_verify(v->valuestring, w, sizeof(w));
		if (r == 0 && rmdir(v->valuestring) < 0 && errno != ENOENT) {
			r = -errno;
			snprintf(w, sizeof(w), "cannot be removed: %s", strerror(errno));
		}
		if (r == -ENOENT)
			r = 0;
		if (r < 0)
			snprintf(why, whylen, "refused to touch the runner's leaf cgroup %.300s: it %s",
				 cJSON_IsString(v) ? v->valuestring : "?", w);
	}
	cJSON_Delete(o);
	return r;
}
