/* cgroup.c - create, attach, read and remove a run's cgroups; see cgroup.h. */
#include "cgroup.h"
#include "cghost.h"
#include "cgfile.h"
#include "cgroup-kill.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* "<own path of controller>/<name>" relative to the controller's mount. */
static int v1_child(const char *controller, const char *name, char *rel, size_t rlen,
		    char *dir, size_t dlen, char *err, size_t errlen)
{
	char *own = NULL, *mnt = NULL;
	int r = cgroup_get_current_controller_path(getpid(), controller, &own);
	if (r || !own) {
		snprintf(err, errlen, "cannot find the runner's %s cgroup: %s", controller,
			 cgroup_strerror(r));
		return -ENODEV;
	}
	r = cgroup_get_subsys_mount_point(controller, &mnt);
	if (r || !mnt) {
		snprintf(err, errlen, "the %s cgroup controller is not mounted", controller);
		free(own);
		return -ENODEV;
	}
	const char *o = own;
	while (*o == '/')
		o++;
	snprintf(rel, rlen, "%s%s%s", o, *o ? "/" : "", name);
	snprintf(dir, dlen, "%s/%s", mnt, rel);
	free(own);
	free(mnt);
	return 0;
}

static int v1_make(const char *controller, const char *rel, const char **keys,
		   const uint64_t *vals, int n, char *err, size_t errlen)
{
	struct cgroup *cg = cgroup_new_cgroup(rel);
	if (!cg) {
		snprintf(err, errlen, "libcgroup: out of memory");
		return -ENOMEM;
	}
	struct cgroup_controller *c = cgroup_add_controller(cg, controller);
	int r = c ? 0 : ECGFAIL;
	/* Order matters on v1: memory.limit_in_bytes before memory.memsw.limit_in_bytes. */
	for (int i = 0; !r && i < n; i++)
		r = cgroup_add_value_uint64(c, keys[i], vals[i]);
	if (!r)
		r = cgroup_create_cgroup(cg, 0);
	if (r) {
		int e = cgroup_get_last_errno();
		snprintf(err, errlen, "cannot create %s cgroup %s: %s%s%s", controller, rel,
			 cgroup_strerror(r), e ? ": " : "", e ? strerror(e) : "");
	}
	cgroup_free(&cg);
	return r ? -EPERM : 0;
}

/* Reads back a limit: libcgroup may succeed without the kernel taking the value. */
static int check_limit(const char *dir, const char *file, uint64_t want, char *err, size_t errlen)
{
	char buf[64];
	int r = soak_cgfile_read(dir, file, buf, sizeof(buf));
	if (r < 0) {
		snprintf(err, errlen, "cannot read back %s/%s: %s", dir, file, strerror(-r));
		return r;
	}
	uint64_t got = strtoull(buf, NULL, 10);
	/* The kernel rounds limits down to whole pages. */
	if (got > want || want - got >= 4096) {
		snprintf(err, errlen, "%s/%s is %" PRIu64 " after setting %" PRIu64, dir, file, got, want);
		return -EIO;
	}
	return 0;
}

static int create_v1(soak_cg_t *cg, const char *name, const soak_cg_limits_t *lim, char *err,
		     size_t errlen)
{
	int r = v1_child("memory", name, cg->mem_name, sizeof(cg->mem_name), cg->paths.mem_dir,
			 sizeof(cg->paths.mem_dir), err, errlen);
	if (r < 0)
		return r;
	const char *keys[2] = { NULL, NULL };
	uint64_t vals[2] = { 0, 0 };
	int n = 0;
	if (lim->has_swap_max && !lim->has_memory_max) {
		snprintf(err, errlen, "--swap-max needs --memory-max on cgroup v1 "
			 "(memory.memsw.limit_in_bytes bounds memory+swap)");
		return -EINVAL;
	}
	if (lim->has_memory_max) {
		keys[n] = "memory.limit_in_bytes";
		vals[n++] = lim->memory_max;
	}
	if (lim->has_swap_max) {
		if (access("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes", F_OK) != 0) {
			snprintf(err, errlen, "--swap-max: this kernel has no memory.memsw.* files "
				 "(boot with swapaccount=1)");
			return -ENOTSUP;
		}
		keys[n] = "memory.memsw.limit_in_bytes";
		vals[n++] = lim->memory_max + lim->swap_max;
	}
	r = v1_make("memory", cg->mem_name, keys, vals, n, err, errlen);
	if (r < 0) {
		rmdir(cg->paths.mem_dir); /* a failed create can leave an empty directory */
		return r;
	}
	cg->mem_created = true;
	for (int i = 0; i < n; i++)
		if ((r = check_limit(cg->paths.mem_dir, keys[i], vals[i], err, errlen)) < 0)
			return r;
	if (!lim->has_cpu_max)
		return 0;
	r = v1_child("cpu", name, cg->cpu_name, sizeof(cg->cpu_name), cg->paths.cpu_dir,
		     sizeof(cg->paths.cpu_dir), err, errlen);
	if (r < 0)
		return r;
	const char *ckeys[2] = { "cpu.cfs_period_us", "cpu.cfs_quota_us" };
	uint64_t cvals[2] = { 100000, (uint64_t)(lim->cpu_max_pct * 1000.0 + 0.5) };
	r = v1_make("cpu", cg->cpu_name, ckeys, cvals, 2, err, errlen);
	if (r < 0) {
		rmdir(cg->paths.cpu_dir);
		cg->paths.cpu_dir[0] = '\0';
		return r;
	}
	cg->cpu_created = true;
	return check_limit(cg->paths.cpu_dir, "cpu.cfs_quota_us", cvals[1], err, errlen);
}

static int create_unified(soak_cg_t *cg, const char *parent, const char *name, char *err,
			  size_t errlen)
{
	if (snprintf(cg->paths.unified_dir, sizeof(cg->paths.unified_dir), "%s/%s", parent, name) >=
	    (int)sizeof(cg->paths.unified_dir)) {
		snprintf(err, errlen, "cgroup path too long below %s", parent);
		cg->paths.unified_dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	if (mkdir(cg->paths.unified_dir, 0755) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot create cgroup %s: %s", cg->paths.unified_dir, strerror(errno));
		cg->paths.unified_dir[0] = '\0';
		return r;
	}
	cg->unified_created = true;
	return 0;
}

/* Pure v2: controllers live in the cgroup2 tree. The placement (cgplace.c)
 * already made the parent hand memory (and cpu) to its children. */
static int create_v2(soak_cg_t *cg, const char *parent, const char *name,
		     const soak_cg_limits_t *lim, char *err, size_t errlen)
{
	int r = create_unified(cg, parent, name, err, errlen);
	if (r < 0)
		return r;
	snprintf(cg->paths.mem_dir, sizeof(cg->paths.mem_dir), "%s", cg->paths.unified_dir);
	snprintf(cg->paths.cpu_dir, sizeof(cg->paths.cpu_dir), "%s", cg->paths.unified_dir);
	char v[64];
	const char *file = "memory.max";
	if (lim->has_memory_max) {
		snprintf(v, sizeof(v), "%" PRIu64, lim->memory_max);
		if ((r = soak_cgfile_write(cg->paths.mem_dir, file, v)) < 0)
			goto fail;
	}
	if (lim->has_swap_max) {
		file = "memory.swap.max";
		snprintf(v, sizeof(v), "%" PRIu64, lim->swap_max);
		if ((r = soak_cgfile_write(cg->paths.mem_dir, file, v)) < 0)
			goto fail;
	}
	if (lim->has_cpu_max) {
		file = "cpu.max";
		snprintf(v, sizeof(v), "%.0f 100000", lim->cpu_max_pct * 1000.0);
		if ((r = soak_cgfile_write(cg->paths.cpu_dir, file, v)) < 0)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot set %s in %s: %s", file, cg->paths.unified_dir, strerror(-r));
	return r;
}

int soak_cg_create(soak_cg_t *cg, const soak_place_t *place, const char *name,
		   const soak_cg_limits_t *lim, char *err, size_t errlen)
{
	memset(cg, 0, sizeof(*cg));
	cg->place = place;
	cg->paths.mode = place->mode;
	int r;
	if (cg->paths.mode == SOAK_CG_V2)
		r = create_v2(cg, place->parent, name, lim, err, errlen);
	else {
		r = create_v1(cg, name, lim, err, errlen);
		if (r == 0 && cg->paths.mode == SOAK_CG_HYBRID)
			r = create_unified(cg, place->parent, name, err, errlen);
	}
	if (r < 0) {
		soak_cg_destroy(cg);
		cg->paths.mode = SOAK_CG_NONE;
	}
	return r;
}

static int attach_dir(const char *dir, pid_t pid, char *err, size_t errlen)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	int r = soak_cgfile_write(dir, "cgroup.procs", v);
	if (r < 0)
		snprintf(err, errlen, "cannot move pid %d into %s: %s", (int)pid, dir, strerror(-r));
	return r;
}

static int attach_v1(const char *controller, const char *rel, pid_t pid, char *err, size_t errlen)
{
	struct cgroup *c = cgroup_new_cgroup(rel);
	if (!c)
		return -ENOMEM;
	/* Name the one controller instead of cgroup_get_cgroup(), which reads
	 * every file of the group and fails when any controller's hierarchy
	 * lacks the group. */
	int r = cgroup_add_controller(c, controller) ? 0 : ECGFAIL;
	if (!r)
		r = cgroup_attach_task_pid(c, pid);
	if (r)
		snprintf(err, errlen, "cannot attach pid %d to %s cgroup %s: %s", (int)pid, controller,
			 rel, cgroup_strerror(r));
	cgroup_free(&c);
	return r ? -EPERM : 0;
}

int soak_cg_attach(soak_cg_t *cg, pid_t pid, char *err, size_t errlen)
{
	int r = 0;
	if (cg->paths.mode == SOAK_CG_V2)
		return attach_dir(cg->paths.unified_dir, pid, err, errlen);
	if (cg->mem_created)
		r = attach_v1("memory", cg->mem_name, pid, err, errlen);
	if (!r && cg->cpu_created)
		r = attach_v1("cpu", cg->cpu_name, pid, err, errlen);
	if (!r && cg->unified_created)
		r = attach_dir(cg->paths.unified_dir, pid, err, errlen);
	return r;
}

int soak_cg_oom_kills(const soak_cg_t *cg, uint64_t *ret)
{
	if (!cg->paths.mem_dir[0])
		return -ENOENT;
	const char *file = soak_cg_file(cg->paths.mode, SOAK_CGF_OOM_EVENTS);
	char buf[1024];
	int r = soak_cgfile_read(cg->paths.mem_dir, file, buf, sizeof(buf));
	if (r < 0)
		return r;
	const char *p = strstr(buf, "oom_kill ");
	if (!p)
		return -ENOENT;
	*ret = strtoull(p + 9, NULL, 10);
	return 0;
}

static int destroy_dirs(const char *mem, const char *cpu, const char *unified)
{
	soak_cg_kill_dir(unified);
	soak_cg_kill_dir(mem);
	soak_cg_kill_dir(cpu);
	int r1 = soak_cg_remove_dir(unified);
	int r2 = cpu && strcmp(cpu, unified) ? soak_cg_remove_dir(cpu) : 0;
	int r3 = strcmp(mem, unified) ? soak_cg_remove_dir(mem) : 0;
	return r1 ? r1 : r2 ? r2 : r3;
}

int soak_cg_kill(soak_cg_t *cg)
{
	/* On hybrid hosts the cgroup2 child holds every process: one cgroup.kill. */
	if (cg->unified_created || cg->paths.mode == SOAK_CG_V2)
		return soak_cg_kill_dir(cg->paths.unified_dir);
	int n = cg->mem_created ? soak_cg_kill_dir(cg->paths.mem_dir) : 0;
	if (cg->cpu_created)
		soak_cg_kill_dir(cg->paths.cpu_dir);
	return n;
}

int soak_cg_destroy(soak_cg_t *cg)
{
	int r = destroy_dirs(cg->mem_created || cg->paths.mode == SOAK_CG_V2 ? cg->paths.mem_dir : "",
			     cg->cpu_created || cg->paths.mode == SOAK_CG_V2 ? cg->paths.cpu_dir : "",
			     cg->unified_created ? cg->paths.unified_dir : "");
	if (r == 0)
		cg->mem_created = cg->cpu_created = cg->unified_created = false;
	return r;
}

int soak_cg_paths_json(const soak_cg_t *cg, char *buf, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "mode", soak_cg_mode_name(cg->paths.mode));
	cJSON_AddStringToObject(o, "memory", cg->paths.mem_dir);
	cJSON_AddStringToObject(o, "cpu", cg->paths.cpu_dir);
	cJSON_AddStringToObject(o, "unified", cg->paths.unified_dir);
	/* How the parent was obtained, and what a recovery must remove besides
	 * the run's own cgroups (the runner's leaf; systemd removes the scope
	 * once it is empty). Strings only: readers treat every value as a path. */
	if (cg->place) {
		cJSON_AddStringToObject(o, "placement", soak_place_how_name(cg->place->how));
		cJSON_AddStringToObject(o, "parent", cg->place->parent);
		if (cg->place->leaf[0])
			cJSON_AddStringToObject(o, "leaf", cg->place->leaf);
		if (cg->place->scope[0]) {
			cJSON_AddStringToObject(o, "scope", cg->place->scope);
			cJSON_AddStringToObject(o, "bus", cg->place->bus);
		}
	}
	int ok = cJSON_PrintPreallocated(o, buf, (int)len, 0);
	cJSON_Delete(o);
	return ok ? 0 : -ENOSPC;
}
