/*
 * probe-cpu.c - CPU time of the worker's process tree, at most every 100 ms
 * (sample_slow): counters lose nothing that way but time resolution, while a
 * read of cgroup2 cpu.stat flushes per-CPU statistics and the /proc fallback
 * walks the whole tree a second time. Reports take the operations over the
 * counters' own window (reports/result-counters.c). At intervals of 100 ms
 * or more it is read on every sample.
 *
 * Source, in order of preference:
 *  - cgroup2 cpu.stat (user_usec, system_usec) of the run's unified directory:
 *    every task that ever ran in the cgroup, including exited and un-reaped
 *    children and re-parented orphans; microsecond resolution; valid after
 *    the worker has been reaped (the runner samples before removing the cgroup).
 *    On a hybrid host the unified directory has no cpu controller, but the core
 *    cpu.stat fields are always there.
 *  - without a unified directory (v1 or --no-cgroup): /proc/PID/stat
 *    utime+cutime and stime+cstime summed over the live tree (clock ticks, 10 ms
 *    at USER_HZ=100). Children reaped by a tree member are included, orphans
 *    re-parented outside the tree are lost, and values become invalid once the
 *    worker is reaped (the last valid value is the final one at its exit).
 */
#include "probe.h"
#include "probe-util.h"
#include "proctree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { M_USER, M_SYS, M__N };

static const soak_metric_def_t cpu_metrics[M__N] = {
	[M_USER] = { "cpu_user_s", "s", SOAK_COUNTER, "user CPU time of the process tree (cgroup2 cpu.stat user_usec, else /proc stat utime+cutime), at most every 100 ms" },
	[M_SYS] = { "cpu_sys_s", "s", SOAK_COUNTER, "system CPU time of the process tree (cgroup2 cpu.stat system_usec, else /proc stat stime+cstime), at most every 100 ms" },
};

struct cpu_state {
	int statfd;             /* cgroup2 cpu.stat, or -1 */
	soak_ptree_t *tree;     /* /proc fallback */
	double tick_s;
};

static int cpu_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	(void)ctx;
	(void)why;
	(void)whylen;
	return 0;
}

static void cpu_close(void *state)
{
	struct cpu_state *s = state;
	if (!s)
		return;
	if (s->statfd >= 0)
		close(s->statfd);
	soak_ptree_close(s->tree);
	free(s);
}

static int cpu_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	struct cpu_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->statfd = -1;
	char e[32];
	int r;
	if (ctx->cg && ctx->cg->unified_dir[0]) {
		r = soak_open_in(ctx->cg->unified_dir, "cpu.stat");
		if (r < 0) {
			soak_reason_all(reasons, M__N, "%s/cpu.stat: %s", ctx->cg->unified_dir,
					soak_errname(r, e, sizeof(e)));
			free(s);
			return r;
		}
		s->statfd = r;
	} else {
		long hz = sysconf(_SC_CLK_TCK);
		s->tick_s = 1.0 / (double)(hz > 0 ? hz : 100);
		r = soak_ptree_open(&s->tree, ctx->pid, ctx->exclude_root ? SOAK_PTREE_EXCLUDE_ROOT : 0);
		if (r < 0) {
			soak_reason_all(reasons, M__N, "/proc/%d: %s", (int)ctx->pid,
					soak_errname(r, e, sizeof(e)));
			free(s);
			return r;
		}
	}
	*state = s;
	return 0;
}

static int cpu_sample(void *state, double *v, bool *ok)
{
	struct cpu_state *s = state;
	ok[M_USER] = ok[M_SYS] = false;
	if (s->statfd >= 0) {
		char buf[1024];
		uint64_t u, sy;
		ssize_t n = soak_read_fd(s->statfd, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (soak_kv_u64(buf, "user_usec", &u) == 0) {
			v[M_USER] = (double)u / 1e6;
			ok[M_USER] = true;
		}
		if (soak_kv_u64(buf, "system_usec", &sy) == 0) {
			v[M_SYS] = (double)sy / 1e6;
			ok[M_SYS] = true;
		}
		return 0;
	}
	soak_ptree_sum_t t;
	int r = soak_ptree_sample(s->tree, &t);
	if (r < 0)
		return r;
	v[M_USER] = (double)t.utime * s->tick_s;
	v[M_SYS] = (double)t.stime * s->tick_s;
	ok[M_USER] = ok[M_SYS] = t.complete;
	return 0;
}

const soak_probe_ops_t soak_probe_cpu = {
	.name = "cpu",
	.metrics = cpu_metrics,
	.n_metrics = M__N,
	.supported = cpu_supported,
	.open = cpu_open,
	.sample_slow = cpu_sample,
	.slow_interval_s = 0.1,
	.close = cpu_close,
};
