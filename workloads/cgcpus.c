/* cgcpus.c - host facts the worker reads about its own cgroup: the paths of
 * a controller in /proc/self/cgroup (shared with wl-paging.c's memory
 * limits), the CPU quota on the path from the leaf up, and the default
 * thread count of the multi-thread workloads (workload.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "workload.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "cgnames.h"

int soak_wl_cg_self_paths(const char *proc_cgroup, const char *ctrl, char *v1, char *v2, size_t len)
{
	FILE *f = fopen(proc_cgroup, "re");
	if (!f)
		return -errno;
	char line[PATH_MAX + 64];
	size_t cl = strlen(ctrl);
	v1[0] = v2[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		if (!*ctrls) {
			snprintf(v2, len, "%s", path[0] ? path : "/");
			continue;
		}
		/* the controller alone or within a comma list ("cpu,cpuacct") */
		for (const char *p = ctrls; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
			if (!strncmp(p, ctrl, cl) && (p[cl] == ',' || p[cl] == '\0'))
				snprintf(v1, len, "%s", path[0] ? path : "/");
	}
	fclose(f);
	return 0;
}

/* The quota of one cgroup directory in CPUs, 0 when it has none. */
static double dir_quota(const char *dir, bool v2)
{
	char path[PATH_MAX * 2 + 64];
	long long q = -1, p = 0;
	snprintf(path, sizeof(path), "%s/%s", dir, soak_cg_file(v2 ? SOAK_CG_V2 : SOAK_CG_V1, SOAK_CGF_CPU_QUOTA));
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char buf[64] = "";
	bool ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return 0;
	if (v2) {
		/* cpu.max: "QUOTA PERIOD" or "max PERIOD" */
		if (sscanf(buf, "%lld %lld", &q, &p) != 2)
			return 0;
	} else {
		q = strtoll(buf, NULL, 10);
		snprintf(path, sizeof(path), "%s/%s", dir, soak_cg_file(SOAK_CG_V1, SOAK_CGF_CPU_PERIOD));
		if (!(f = fopen(path, "re")))
			return 0;
		ok = fscanf(f, "%lld", &p) == 1;
		fclose(f);
		if (!ok)
			return 0;
	}
	return q > 0 && p > 0 ? (double)q / (double)p : 0;
}

int soak_wl_cg_cpu_quota(const char *proc_cgroup, const char *cg_root, double *ret_cpus)
{
	char v1[PATH_MAX], v2[PATH_MAX];
	int r = soak_wl_cg_self_paths(proc_cgroup, "cpu", v1, v2, sizeof(v1));
	if (r < 0)
		return r;
	if (!v1[0] && !v2[0])
		return -ENOENT;
	/* v1 (and hybrid, whose cpu controller is v1): the cpu hierarchy;
	 * v2: the unified one. Each level from the leaf up may limit. */
	char rel[PATH_MAX], dir[PATH_MAX * 2 + 16];
	snprintf(rel, sizeof(rel), "%s", v1[0] ? v1 : v2);
	double cpus = 0;
	for (;;) {
		if (v1[0])
			snprintf(dir, sizeof(dir), "%s/cpu%s", cg_root, strcmp(rel, "/") ? rel : "");
		else
			snprintf(dir, sizeof(dir), "%s%s", cg_root, strcmp(rel, "/") ? rel : "");
		double q = dir_quota(dir, !v1[0]);
		if (q > 0 && (cpus == 0 || q < cpus))
			cpus = q;
		char *slash = strrchr(rel, '/');
		if (!slash || slash == rel)
			break;
		*slash = '\0';
	}
	*ret_cpus = cpus;
	return 0;
}

unsigned soak_wl_default_threads(const char *proc_cgroup, const char *cg_root, char *why, size_t whylen)
{
	cpu_set_t set;
	int aff = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
	double quota = 0;
	bool have_quota = soak_wl_cg_cpu_quota(proc_cgroup, cg_root, &quota) == 0 && quota > 0;
	unsigned n = aff > 0 ? (unsigned)aff : 1;
	char q[64] = "no CPU quota";
	if (have_quota) {
		snprintf(q, sizeof(q), "a CPU quota of %.2f CPUs", quota);
		if (ceil(quota) < n)
			n = (unsigned)ceil(quota);
	}
	if (n > SOAK_MAX_THREADS)
		n = SOAK_MAX_THREADS;
	snprintf(why, whylen, "the CPUs the cgroup allows: %d in the affinity mask (cpuset), %s", aff, q);
	return n;
}
