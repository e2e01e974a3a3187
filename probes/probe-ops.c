/*
 * probe-ops.c - the built-in worker's own progress, read from its shared memory
 * (include/soak/shm.h): completed operations, bytes the workload holds, and
 * per-interval latency percentiles from the per-thread histograms.
 *
 * The worker's threads store their words with relaxed atomics and make no
 * system call for it; this probe loads them with relaxed atomics too. A
 * histogram may be read mid-update (a bucket bumped, count not yet): the
 * interval's count is recomputed from the buckets, and a bucket that looks
 * smaller than before counts 0.
 *
 * Per sample, one pass over the buckets (all threads added) updates the
 * previous cumulative snapshot in place and lists the interval's non-empty
 * buckets; the quantiles walk that list. The pass skips the chunks of 64
 * buckets no thread ever recorded into (soak_hist_t.touched): typically a
 * few of the 60. The same numbers as a snapshot,
 * soak_hist_diff and soak_hist_quantile (test_probe_ops.c checks it), without
 * writing and rescanning 30 KiB histograms on every 10 ms tick.
 */
#include "probe.h"
#include "probe-ops.h"
#include "probe-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { M_OPS, M_LIVE, M_USABLE, M_P50, M_P90, M_P99, M_P999, M_MAX, M__N };

/* Exec commands (plain, or steps of exec --repeat under soak's driver): the
 * worker's counters describe no block of the program. */
#define OPS_EXEC_LIVE "exec commands: the suite cannot see what the program holds; declare a self-report key"

static const soak_metric_def_t ops_metrics[M__N] = {
	[M_OPS] = { "ops_total", "ops", SOAK_COUNTER, "operations completed by all worker threads" },
	[M_LIVE] = { "bytes_live", "bytes", SOAK_GAUGE, "bytes the workload requested and has not freed yet" },
	[M_USABLE] = { "bytes_usable", "bytes", SOAK_GAUGE,
		       "malloc_usable_size() of the blocks the workload holds (soakctl run --usable-bytes)" },
	[M_P50] = { "lat_p50_ns", "ns", SOAK_GAUGE, "median latency of the ops timed in the interval" },
	[M_P90] = { "lat_p90_ns", "ns", SOAK_GAUGE, "90th percentile latency in the interval" },
	[M_P99] = { "lat_p99_ns", "ns", SOAK_GAUGE, "99th percentile latency in the interval" },
	[M_P999] = { "lat_p999_ns", "ns", SOAK_GAUGE, "99.9th percentile latency in the interval" },
	[M_MAX] = { "lat_max_ns", "ns", SOAK_GAUGE, "largest latency in the interval" },
};

static const double quantiles[] = { [M_P50] = 0.5, [M_P90] = 0.9, [M_P99] = 0.99, [M_P999] = 0.999 };

struct ops_state {
	const soak_shm_t *shm;
	bool exec;                     /* exec --repeat's driver: no live bytes */
	soak_hist_t prev;              /* cumulative, as of the previous sample (~31 KiB) */
	soak_hist_sparse_t win;        /* this interval's non-empty buckets (~38 KiB) */
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
	(void)ctx; (void)why; (void)whylen;
	return 0; /* an external command's reasons differ per metric: see open */
}

static int ops_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	if (!ctx->shm) {
		soak_reason_all(reasons, M__N, "external command: no operation counter");
		soak_reason_set(reasons, M_LIVE, OPS_EXEC_LIVE);
		soak_reason_set(reasons, M_USABLE, OPS_EXEC_LIVE);
		return -ENOTSUP;
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
	s->exec = ctx->exclude_root;
	/* The first interval starts at the worker's start: prev is empty. */
	soak_hist_init(&s->prev);
	if (ctx->exclude_root) {
		soak_reason_set(reasons, M_LIVE, OPS_EXEC_LIVE);
		soak_reason_set(reasons, M_USABLE, OPS_EXEC_LIVE);
	} else if (!LOAD(&ctx->shm->usable_on)) {
		soak_reason_set(reasons, M_USABLE, "%.150s",
				ctx->shm->usable_why[0] ? ctx->shm->usable_why : "not measured");
	}
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
	uint64_t ops = 0, live = 0, usable = 0;
	for (unsigned t = 0; t < n; t++) {
		ops += LOAD(&shm->thr[t].ops);
		live += LOAD(&shm->thr[t].bytes_live);
		usable += LOAD(&shm->thr[t].bytes_usable);
	}
	v[M_OPS] = (double)ops;
	v[M_LIVE] = (double)live;
	v[M_USABLE] = (double)usable;
	ok[M_OPS] = true;
	ok[M_LIVE] = !s->exec;
	/* The worker turns counting off when the allocator has no
	 * malloc_usable_size of its own, before READY: until then it is not
	 * known to be kept. */
	int32_t st = __atomic_load_n(&shm->state, __ATOMIC_ACQUIRE);
	ok[M_USABLE] = !s->exec && st >= SOAK_WS_READY && LOAD(&shm->usable_on);

	/* One pass over the chunks of buckets any thread ever recorded into
	 * (the touched bits; a bucket whose bit or count is not visible yet is
	 * counted at a later sample, as its cumulative count still differs from
	 * prev then): cumulative count per bucket over the
	 * threads, minus the previous sample's (a torn read that looks smaller
	 * counts 0). Buckets never recorded into are 0 in prev and now alike. */
	soak_hist_t *prev = &s->prev;
	soak_hist_sparse_t *w = &s->win;
	uint64_t count = 0, chunks = 0;
	size_t k = 0;
	for (unsigned t = 0; t < n; t++)
		chunks |= LOAD(&shm->thr[t].lat.touched);
	while (chunks) {
		unsigned ch = (unsigned)__builtin_ctzll(chunks);
		chunks &= chunks - 1;
		unsigned end = (ch + 1) * SOAK_HIST_CHUNK;
		for (unsigned i = ch * SOAK_HIST_CHUNK; i < end && i < SOAK_HIST_BUCKETS; i++) {
			uint64_t c = 0;
			for (unsigned t = 0; t < n; t++)
				c += LOAD(&shm->thr[t].lat.b[i]);
			uint64_t d = c >= prev->b[i] ? c - prev->b[i] : 0;
			prev->b[i] = c;
			if (d) {
				w->idx[k] = (uint16_t)i;
				w->cnt[k++] = d;
				count += d;
			}
		}
	}
	uint64_t mx = 0;
	for (unsigned t = 0; t < n; t++) {
		uint64_t m = LOAD(&shm->thr[t].lat.max);
		if (m > mx)
			mx = m;
	}
	w->n = k;
	w->count = count;
	double qv[M_P999 + 1];
	if (count) {
		soak_hist_window_bounds(w->idx[0], w->idx[k - 1], mx, prev->max, &w->min, &w->max);
		soak_hist_quantiles_sparse(w, quantiles + M_P50, M_P999 - M_P50 + 1, qv + M_P50);
	}
	prev->max = mx;
	for (int i = M_P50; i <= M_P999; i++) {
		v[i] = count ? qv[i] : 0;
		ok[i] = count > 0;
	}
	v[M_MAX] = count ? (double)w->max : 0;
	ok[M_MAX] = count > 0;
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
