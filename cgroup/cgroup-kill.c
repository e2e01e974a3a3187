/* cgroup-kill.c - kill and remove cgroups, trusting nothing read; see cgroup-kill.h. */
#include "cgroup-kill.h"
#include "cgfile.h"
#include "cghost.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PID_CEILING 4194304        /* PID_MAX_LIMIT on 64-bit kernels */
#define PROCS_MAX (1024 * 1024)    /* bytes of cgroup.procs read at most */
#define KILL_BATCH 4096

int soak_cg_run_name(const char *uuid, char *buf, size_t len)
{
	size_t ul = uuid ? strlen(uuid) : 0;
	if (ul == 0 || strspn(uuid, "0123456789abcdef-") != ul)
		return -EINVAL;
	int n = snprintf(buf, len, SOAK_CG_NAME_PREFIX "%s", uuid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int soak_cg_parse_procs(const char *text, pid_t *pids, size_t max)
{
	size_t n = 0;
	const char *p = text;
	while (*p) {
		size_t len = strspn(p, "0123456789");
		if (len == 0 || len > 7 || (p[len] != '\n' && p[len] != '\0') || *p == '0')
			return -EINVAL;
		long v = strtol(p, NULL, 10);
		if (v <= 0 || v > PID_CEILING)
			return -EINVAL;
		if (n == max)
			return -E2BIG;
		if (pids)
			pids[n] = (pid_t)v;
		n++;
		p += len;
		if (*p == '\n')
			p++;
	}
	return (int)n;
}

int soak_cg_path_allowed(const char *path, const char *const *roots, size_t nroots,
			 const char *name, char *why, size_t whylen)
{
	size_t pl = strlen(path);
	if (path[0] != '/' || pl >= PATH_MAX) {
		snprintf(why, whylen, "not an absolute path");
		return -EPERM;
	}
	/* Every component must be a plain name: no "", ".", "..". */
	for (const char *c = path + 1; *c;) {
		size_t l = strcspn(c, "/");
		if (l == 0 || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.')) {
			snprintf(why, whylen, "has an empty, '.' or '..' component");
			return -EPERM;
		}
		c += l;
		if (*c == '/' && !*++c) {
			snprintf(why, whylen, "ends with '/'");
			return -EPERM;
		}
	}
	const char *base = strrchr(path, '/') + 1;
	if (strcmp(base, name)) {
		snprintf(why, whylen, "is not named %s (the name the suite gave this run)", name);
		return -EPERM;
	}
	for (size_t i = 0; i < nroots; i++) {
		size_t rl = strlen(roots[i]);
		if (rl && !strncmp(path, roots[i], rl) && path[rl] == '/' && path + rl + 1 <= base)
			return 0;
	}
	snprintf(why, whylen, "is not below a cgroup root the suite uses");
	return -EPERM;
}

int soak_cg_dir_verify(const char *path, char *why, size_t whylen)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		snprintf(why, whylen, "cannot stat it: %s", strerror(errno));
		return -EPERM;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "is not a directory");
		return -EPERM;
	}
	char real[PATH_MAX];
	if (!realpath(path, real) || strcmp(real, path)) {
		snprintf(why, whylen, "resolves elsewhere (a symbolic link in the path)");
		return -EPERM;
	}
	if (soak_cg_fs_version(path) <= 0) {
		snprintf(why, whylen, "is not on a cgroup file system");
		return -EPERM;
	}
	return 0;
}

size_t soak_cg_default_roots(char roots[][PATH_MAX], size_t max)
{
	size_t n = 0;
	if (n < max && soak_cg_fs_version(SOAK_CG_V2_ROOT) == 2)
		snprintf(roots[n++], PATH_MAX, SOAK_CG_V2_ROOT);
	if (n < max && soak_cg_fs_version(SOAK_CG_UNIFIED_HYBRID) == 2)
		snprintf(roots[n++], PATH_MAX, SOAK_CG_UNIFIED_HYBRID);
	bool lib = soak_cg_libcgroup_ready(NULL, 0) == 0;
	static const char *const ctl[] = { "memory", "cpu" };
	for (size_t i = 0; lib && i < 2 && n < max; i++) {
		char *mnt = NULL;
		if (cgroup_get_subsys_mount_point(ctl[i], &mnt) == 0 && mnt && mnt[0] == '/' &&
		    soak_cg_fs_version(mnt) == 1)
			snprintf(roots[n++], PATH_MAX, "%s", mnt);
		free(mnt);
	}
	return n;
}

/* The pids of a whole cgroup.procs; -errno when it cannot be read or parsed. */
static int read_procs(const char *dir, pid_t *pids, size_t max)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	char *buf = malloc(PROCS_MAX + 1);
	size_t len = 0;
	int r = buf ? 0 : -ENOMEM;
	while (!r) {
		ssize_t n = read(fd, buf + len, PROCS_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else if (n == 0)
			break;
		else if ((len += (size_t)n) == PROCS_MAX)
			r = -E2BIG;
	}
	close(fd);
	if (!r) {
		buf[len] = '\0';
		r = soak_cg_parse_procs(buf, pids, max);
	}
	free(buf);
	return r;
}

/* No cgroup.kill: every listed pid is opened as a pidfd, the list read again,
 * and only pids still listed are signalled, through their pidfd (a pid that
 * was reused after the first read is either not listed or a member anyway). */
static int kill_listed(const char *dir)
{
	pid_t *a = calloc(KILL_BATCH, sizeof(pid_t)), *b = calloc(KILL_BATCH, sizeof(pid_t));
	int *fds = calloc(KILL_BATCH, sizeof(int));
	int r = a && b && fds ? 0 : -ENOMEM, killed = 0;
	for (int round = 0; !r && round < 100; round++) {
		int na = read_procs(dir, a, KILL_BATCH);
		if (na <= 0) {
			r = na;
			break;
		}
		for (int i = 0; i < na; i++)
			fds[i] = (int)pidfd_open(a[i], 0);
		int nb = read_procs(dir, b, KILL_BATCH);
		for (int i = 0; i < na; i++) {
			bool listed = false;
			for (int j = 0; j < nb && !listed; j++)
				listed = b[j] == a[i];
			if (fds[i] >= 0 && listed && pidfd_send_signal(fds[i], SIGKILL, NULL, 0) == 0)
				killed++;
			if (fds[i] >= 0)
				close(fds[i]);
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	free(a);
	free(b);
	free(fds);
	return r < 0 ? r : killed;
}

int soak_cg_kill_dir(const char *dir)
{
	if (!dir || !dir[0])
		return 0;
	int version = soak_cg_fs_version(dir);
	if (version <= 0)
		return -EPERM; /* never write "cgroup.kill" into an ordinary directory */
	bool v2 = version == 2;
	int listed = read_procs(dir, NULL, PID_CEILING);
	if (v2 && soak_cgfile_write(dir, "cgroup.kill", "1") == 0)
		return listed > 0 ? listed : 0;
	if (v2)
		soak_cgfile_write(dir, "cgroup.freeze", "1"); /* no forks while we kill (fatal signals pass) */
	int r = kill_listed(dir);
	if (r < 0)
		return r;
	return listed > 0 ? listed : 0;
}

int soak_cg_remove_dir(const char *dir)
{
	if (!dir || !dir[0])
		return 0;
	for (int i = 0; i < 400; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		soak_cg_kill_dir(dir);
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int soak_cg_recover_json(const char *json, const char *uuid, const char *const *roots,
			 size_t nroots, char *why, size_t whylen)
{
	char name[SOAK_CG_NAME_LEN], defroots[SOAK_CG_MAX_ROOTS][PATH_MAX];
	const char *rootv[SOAK_CG_MAX_ROOTS];
	if (soak_cg_run_name(uuid, name, sizeof(name)) < 0) {
		snprintf(why, whylen, "the run has no valid uuid");
		return -EPERM;
	}
	if (!roots) {
		nroots = soak_cg_default_roots(defroots, SOAK_CG_MAX_ROOTS);
		for (size_t i = 0; i < nroots; i++)
			rootv[i] = defroots[i];
		roots = rootv;
	}
	why[0] = '\0';
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		snprintf(why, whylen, "its cgroup_paths are not a JSON object");
		return -EPERM;
	}
	/* unified first: its cgroup.kill takes every process at once on hybrid hosts */
	static const char *const keys[] = { "unified", "memory", "cpu" };
	const char *ok[3] = { NULL, NULL, NULL };
	int r = 0;
	for (int i = 0; i < 3; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, keys[i]);
		if (!v || (cJSON_IsString(v) && !v->valuestring[0]))
			continue;
		char w[256] = "";
		int e = !cJSON_IsString(v) ? (snprintf(w, sizeof(w), "is not a string"), -EPERM)
			: soak_cg_path_allowed(v->valuestring, roots, nroots, name, w, sizeof(w));
		if (e == 0)
			e = soak_cg_dir_verify(v->valuestring, w, sizeof(w));
		if (e == -ENOENT)
			continue;
		if (e < 0) {
			size_t l = strlen(why);
			snprintf(why + l, whylen - l, "%srefused to touch its %s cgroup %.300s: it %s",
				 l ? "\n" : "", keys[i], cJSON_IsString(v) ? v->valuestring : "?", w);
			r = -EPERM;
			continue;
		}
		ok[i] = v->valuestring;
	}
	for (int i = 0; i < 3; i++)
		if (ok[i])
			soak_cg_kill_dir(ok[i]);
	for (int i = 0; i < 3; i++) {
		bool dup = false;
		for (int j = 0; j < i; j++)
			dup |= ok[j] && ok[i] && !strcmp(ok[i], ok[j]);
		int e = ok[i] && !dup ? soak_cg_remove_dir(ok[i]) : 0;
		if (e < 0) {
			size_t l = strlen(why);
			snprintf(why + l, whylen - l, "%scannot remove %.300s: %s", l ? "\n" : "", ok[i],
				 strerror(-e));
			r = r ? r : e;
		}
	}
	cJSON_Delete(o);
	return r;
}
