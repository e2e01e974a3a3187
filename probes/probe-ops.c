/*
 * probe-ops.c - the built-in worker's own progress, read from its shared memory
 * (include/soak/shm.h): completed operations, bytes the workload holds, and
 * per-interval latency percentiles from the per-thread histograms.
 *
 * The worker's threads store their words with relaxed atomics and make no
 * system call for it; this probe loads them with relaxed atomics too. A
 * histogram may be read mid-update (a bucket bumped, count not yet): the
 * snapshot's count is recomputed from the buckets, and soak_hist_diff clamps a
 * bucket that looks smaller than before at 0.
 */
#include "probe.h"
#include "probe-ops.h"
#include "probe-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_OPS, M_LIVE, M_P50, M_P90, M_P99, M_P999, M_MAX, M__N };

static const soak_metric_def_t ops_metrics[M__N] = {
	[M_OPS] = { "ops_total", "ops", SOAK_COUNTER, "operations completed by all worker threads" },
	[M_LIVE] = { "bytes_live", "bytes", SOAK_GAUGE, "bytes the workload holds, as it counts them" },
	[M_P50] = { "lat_p50_ns", "ns", SOAK_GAUGE, "median latency of the ops timed in the interval" },
	[M_P90] = { "lat_p90_ns", "ns", SOAK_GAUGE, "90th percentile latency in the interval" },
	[M_P99] = { "lat_p99_ns", "ns", SOAK_GAUGE, "99th percentile latency in the interval" },
	[M_P999] = { "lat_p999_ns", "ns", SOAK_GAUGE, "99.9th percentile latency in the interval" },
	[M_MAX] = { "lat_max_ns", "ns", SOAK_GAUGE, "largest latency in the interval" },
};

static const double quantiles[] = { [M_P50] = 0.5, [M_P90] = 0.9, [M_P99] = 0.99, [M_P999] = 0.999 };

struct ops_state {
	const soak_shm_t *shm;
	soak_hist_t snap[2], diff;     /* ~31 KiB each: here, not on the stack */
	int prev;                      /* snap[prev] is the previous sample's */
};

#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static unsigned nthreads(const soak_shm_t *shm)
{
	uint32_t n = LOAD(&shm->nthreads);
	return n > SOAK_MAX_THREADS ? SOAK_MAX_THREADS : n;
}

void soak_probe_ops_snapshot(const soak_shm_t *shm, soak_hist_t *out)
{
	unsigned n = nthreads(shm);
	/* The first thread's buckets are stored, the others' added: no clearing
	 * pass over the 30 KiB of buckets on the runner's hot path. */
	out->count = out->sum = out->max = 0;
	out->min = UINT64_MAX;
	if (!n)
		memset(out->b, 0, sizeof(out->b));
	for (unsigned t = 0; t < n; t++) {
		const soak_hist_t *h = &shm->thr[t].lat;
		uint64_t count = 0;
		for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++) {
			uint64_t c = LOAD(&h->b[i]);
			out->b[i] = t ? out->b[i] + c : c;
			count += c;
		}
		if (!count)
			continue;
		out->count += count;
		out->sum += LOAD(&h->sum);
		uint64_t mx = LOAD(&h->max), mn = LOAD(&h->min);
		if (mx > out->max)
			out->max = mx;
		if (mn < out->min)
			out->min = mn;
	}
}

static int ops_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	if (!ctx->shm) {
		snprintf(why, whylen, "external command: no operation counter");
		return -ENOTSUP;
	}
	return 0;
}

static int ops_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	char why[SOAK_REASON_MAX];
	int r = ops_supported(ctx, why, sizeof(why));
	if (r < 0) {
		soak_reason_all(reasons, M__N, "%s", why);
		return r;
	}
	if (ctx->shm->magic != SOAK_SHM_MAGIC || ctx->shm->version != SOAK_SHM_VERSION) {
		soak_reason_all(reasons, M__N, "worker shared memory: bad magic or version %u (want %u)",
				ctx->shm->version, SOAK_SHM_VERSION);
		return -EPROTO;
	}
	struct ops_state *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->shm = ctx->shm;
	/* The first interval starts at the worker's start: prev is empty. */
	s->prev = 0;
	soak_hist_init(&s->snap[0]);
	if (!LOAD(&ctx->shm->latency_every))
		for (int i = M_P50; i <= M_MAX; i++)
			soak_reason_set(reasons, (size_t)i, "latency timing off (latency_every = 0)");
	*state = s;
	return 0;
}

static int ops_sample(void *state, double *v, bool *ok)
{
	struct ops_state *s = state;
	const soak_shm_t *shm = s->shm;
	unsigned n = nthreads(shm);
	uint64_t ops = 0, live = 0;
	for (unsigned t = 0; t < n; t++) {
		ops += LOAD(&shm->thr[t].ops);
		live += LOAD(&shm->thr[t].bytes_live);
	}
	v[M_OPS] = (double)ops;
	v[M_LIVE] = (double)live;
	ok[M_OPS] = ok[M_LIVE] = true;

	soak_hist_t *prev = &s->snap[s->prev], *cur = &s->snap[!s->prev];
	soak_probe_ops_snapshot(shm, cur);
	soak_hist_diff(&s->diff, cur, prev);
	s->prev = !s->prev;
	for (int i = M_P50; i <= M_P999; i++) {
		int q_ok = 0;
		v[i] = soak_hist_quantile(&s->diff, quantiles[i], &q_ok);
		ok[i] = q_ok;
	}
	v[M_MAX] = (double)s->diff.max;
	ok[M_MAX] = s->diff.count > 0;
	return 0;
}

static void ops_close(void *state)
{
	free(state);
}

const soak_probe_ops_t soak_probe_ops = {
	.name = "ops",
	.metrics = ops_metrics,
	.n_metrics = M__N,
	.supported = ops_supported,
	.open = ops_open,
	.sample = ops_sample,
	.close = ops_close,
};
