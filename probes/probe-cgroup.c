/*
 * probe-cgroup.c - memory of the run's memory cgroup and memory pressure (PSI)
 * of its cgroup2 directory. Files are named through soak_cg_file() (one v1/v2
 * table, common/cgnames.c), kept open and pread each sample (~0.3 µs for a
 * one-number file, ~5 µs for v1 memory.stat).
 *
 * Pitfalls (docs/platform notes): memory.failcnt is not read (it stays 0 under
 * a memsw limit on this kernel): OOM kills come from the oom_kill key. v1
 * memsw.* counts memory+swap, so swap = memsw.usage - usage (two reads, clamped
 * at 0); v2 has memory.swap.current.
 *
 * Only usage is read on every sample: the spikes fine sampling is for. The
 * rest comes at most every 100 ms (sample_slow): the peak loses nothing that
 * way (the kernel keeps the high-water mark, and the final sample reads it),
 * swap is a level, the others breakdowns and counters. At intervals of
 * 100 ms or more everything is read on every sample.
 */
#include "probe.h"
#include "probe-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { M_USAGE, M_PEAK, M_SWAP, M_ANON, M_FILE, M_OOM, M_PSI_SOME, M_PSI_FULL, M__N };

static const soak_metric_def_t cg_metrics[M__N] = {
	[M_USAGE] = { "cg_mem_usage_bytes", "bytes", SOAK_GAUGE, "memory charged to the run's cgroup (usage_in_bytes / memory.current)" },
	[M_PEAK] = { "cg_mem_peak_bytes", "bytes", SOAK_GAUGE, "peak memory charged to the cgroup (max_usage_in_bytes / memory.peak), at most every 100 ms" },
	[M_SWAP] = { "cg_swap_bytes", "bytes", SOAK_GAUGE, "swap used by the cgroup (memsw.usage - usage / memory.swap.current), at most every 100 ms" },
	[M_ANON] = { "cg_anon_bytes", "bytes", SOAK_GAUGE, "anonymous memory of the cgroup (memory.stat total_rss / anon)" },
	[M_FILE] = { "cg_file_bytes", "bytes", SOAK_GAUGE, "page cache incl. shmem of the cgroup (memory.stat total_cache / file)" },
	[M_OOM] = { "cg_oom_kill", "count", SOAK_COUNTER, "processes killed by the OOM killer in the cgroup (oom_kill)" },
	[M_PSI_SOME] = { "psi_mem_some_us", "us", SOAK_COUNTER, "time some task of the cgroup stalled on memory (memory.pressure some total)" },
	[M_PSI_FULL] = { "psi_mem_full_us", "us", SOAK_COUNTER, "time all tasks of the cgroup stalled on memory (memory.pressure full total)" },
};

enum { F_USAGE, F_PEAK, F_SWAP, F_STAT, F_OOM, F_PRESSURE, F__N };

struct cg_state {
	soak_cg_mode_t mode;
	int fd[F__N];
	const char *anon_key, *file_key;
	bool have_usage;        /* this tick's usage, for v1 swap = memsw - usage */
	uint64_t usage;
};

static int cg_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	if (!ctx->cg || ctx->cg->mode == SOAK_CG_NONE) {
		snprintf(why, whylen, "run without cgroups (--no-cgroup)");
		return -ENOTSUP;
	}
	return 0;
}

/* Opens dir/name into *fd, or writes a reason for the metrics that need it. */
static int open_one(int *fd, const char *dir, const char *name, const char *what,
		     char (*reasons)[SOAK_REASON_MAX], const int *metrics, size_t nm)
{
	int r = !dir || !*dir ? -ENOENT : !name ? -ENOTSUP : soak_open_in(dir, name);
	if (r >= 0) {
		*fd = r;
		return 0;
	}
	char e[32];
	for (size_t i = 0; i < nm; i++) {
		if (reasons[metrics[i]][0])
			continue;
		if (!dir || !*dir)
			soak_reason_set(reasons, (size_t)metrics[i], "no %s cgroup directory", what);
		else
			soak_reason_set(reasons, (size_t)metrics[i], "%s/%s: %s", dir,
					name ? name : "(no such file on this hierarchy)",
					soak_errname(r, e, sizeof(e)));
	}
	return r;
}

static void cg_close(void *state)
{
	struct cg_state *s = state;
	if (!s)
		return;
	for (int i = 0; i < F__N; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
	free(s);
}

static int cg_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	char why[SOAK_REASON_MAX];
	int r = cg_supported(ctx, why, sizeof(why));
	if (r < 0) {
		soak_reason_all(reasons, M__N, "%s", why);
		return r;
	}
	struct cg_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (int i = 0; i < F__N; i++)
		s->fd[i] = -1;
	soak_cg_mode_t m = s->mode = ctx->cg->mode;
	const char *mem = ctx->cg->mem_dir[0] ? ctx->cg->mem_dir
			  : m == SOAK_CG_V2 ? ctx->cg->unified_dir : "";
	s->anon_key = soak_cg_stat_key(m, "anon");
	s->file_key = soak_cg_stat_key(m, "file");

	/* v1 swap is memsw.usage - usage: it needs both files. */
	open_one(&s->fd[F_USAGE], mem, soak_cg_file(m, SOAK_CGF_MEM_USAGE), "memory", reasons,
		 (const int[]){ M_USAGE, M_SWAP }, m == SOAK_CG_V2 ? 1 : 2);
	open_one(&s->fd[F_PEAK], mem, soak_cg_file(m, SOAK_CGF_MEM_PEAK), "memory", reasons,
		 (const int[]){ M_PEAK }, 1);
	r = open_one(&s->fd[F_SWAP], mem, soak_cg_file(m, SOAK_CGF_SWAP_USAGE), "memory", reasons,
		     (const int[]){ M_SWAP }, 1);
	if (r == -ENOENT && mem[0])   /* the usual cause, said plainly */
		soak_reason_set(reasons, M_SWAP, "%s/%s missing: kernel without swap accounting", mem,
				soak_cg_file(m, SOAK_CGF_SWAP_USAGE));
	open_one(&s->fd[F_STAT], mem, soak_cg_file(m, SOAK_CGF_MEM_STAT), "memory", reasons,
		 (const int[]){ M_ANON, M_FILE }, 2);
	open_one(&s->fd[F_OOM], mem, soak_cg_file(m, SOAK_CGF_OOM_EVENTS), "memory", reasons,
		 (const int[]){ M_OOM }, 1);
	if (!ctx->cg->unified_dir[0]) {
		soak_reason_set(reasons, M_PSI_SOME, "no cgroup2 directory (v1 hierarchy): no per-cgroup PSI");
		soak_reason_set(reasons, M_PSI_FULL, "no cgroup2 directory (v1 hierarchy): no per-cgroup PSI");
	} else {
		open_one(&s->fd[F_PRESSURE], ctx->cg->unified_dir, "memory.pressure", "cgroup2", reasons,
			 (const int[]){ M_PSI_SOME, M_PSI_FULL }, 2);
	}
	*state = s;
	return 0;
}

/* A one-number file ("123\n"). */
static int read_number(int fd, uint64_t *ret)
{
	char buf[64];
	ssize_t n = soak_read_fd(fd, buf, sizeof(buf));
	/* soak_read_fd returns a small negative errno; spelled so the compiler
	 * sees the failure value is never 0 (GCC -O2 -Wmaybe-uninitialized
	 * otherwise assumes (int)n may truncate to 0 and *ret stay unset). */
	if (n < 0)
		return n >= -4095 ? (int)n : -EIO;
	const char *end;
	uint64_t v;
	if (soak_parse_u64_dec(buf, &v, &end) < 0 || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Every sample: usage, one number (a few µs). */
static int cg_sample(void *state, double *v, bool *ok)
{
	struct cg_state *s = state;
	ok[M_USAGE] = false;
	s->have_usage = s->fd[F_USAGE] >= 0 && read_number(s->fd[F_USAGE], &s->usage) == 0;
	if (s->have_usage) {
		v[M_USAGE] = (double)s->usage;
		ok[M_USAGE] = true;
	}
	return 0;
}

/* At most every 100 ms (the runner paces it), right after the same tick's
 * usage: the peak, swap, memory.stat (whose text the kernel formats per read,
 * ~10 µs on v1, more than the rest of the probe), the OOM count and PSI. */
static int cg_sample_slow(void *state, double *v, bool *ok)
{
	struct cg_state *s = state;
	char buf[8192];
	uint64_t a;
	for (int m = M_PEAK; m < M__N; m++)
		ok[m] = false;
	if (s->fd[F_PEAK] >= 0 && read_number(s->fd[F_PEAK], &a) == 0) {
		v[M_PEAK] = (double)a;
		ok[M_PEAK] = true;
	}
	if (s->fd[F_SWAP] >= 0 && read_number(s->fd[F_SWAP], &a) == 0) {
		if (s->mode == SOAK_CG_V2) {
			v[M_SWAP] = (double)a;
			ok[M_SWAP] = true;
		} else if (s->have_usage) {
			/* memsw = memory + swap, read just after this tick's usage. */
			v[M_SWAP] = a > s->usage ? (double)(a - s->usage) : 0.0;
			ok[M_SWAP] = true;
		}
	}
	if (s->fd[F_STAT] >= 0 && soak_read_fd(s->fd[F_STAT], buf, sizeof(buf)) >= 0) {
		if (s->anon_key && soak_kv_u64(buf, s->anon_key, &a) == 0) {
			v[M_ANON] = (double)a;
			ok[M_ANON] = true;
		}
		if (s->file_key && soak_kv_u64(buf, s->file_key, &a) == 0) {
			v[M_FILE] = (double)a;
			ok[M_FILE] = true;
		}
	}
	if (s->fd[F_OOM] >= 0 && soak_read_fd(s->fd[F_OOM], buf, sizeof(buf)) >= 0 &&
	    soak_kv_u64(buf, "oom_kill", &a) == 0) {
		v[M_OOM] = (double)a;
		ok[M_OOM] = true;
	}
	if (s->fd[F_PRESSURE] >= 0 && soak_read_fd(s->fd[F_PRESSURE], buf, sizeof(buf)) >= 0) {
		if (soak_psi_total(buf, "some", &a) == 0) {
			v[M_PSI_SOME] = (double)a;
			ok[M_PSI_SOME] = true;
		}
		if (soak_psi_total(buf, "full", &a) == 0) {
			v[M_PSI_FULL] = (double)a;
			ok[M_PSI_FULL] = true;
		}
	}
	return 0;
}

const soak_probe_ops_t soak_probe_cgroup = {
	.name = "cgroup",
	.metrics = cg_metrics,
	.n_metrics = M__N,
	.supported = cg_supported,
	.open = cg_open,
	.sample = cg_sample,
	.sample_slow = cg_sample_slow,
	.slow_interval_s = 0.1,
	.close = cg_close,
};
