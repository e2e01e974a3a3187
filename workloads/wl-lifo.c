/*
 * wl-lifo.c - bursts freed in LIFO and in FIFO order (after sh6bench's
 * pattern): each thread mallocs a burst of `burst` blocks of random sizes in
 * [min-size, max-size], then frees them last-allocated first; the next burst
 * is freed first-allocated first; the bursts alternate. Allocators that keep
 * free lists as stacks see their best case in the first order and have to
 * cope with the reverse in the second.
 *
 * bytes_live: the blocks of the thread's current burst.
 */
#include "workload.h"

enum { LI_THREADS, LI_BURST, LI_MIN, LI_MAX, LI_SEED };

static const soak_wl_opt_t li_opts[] = {
	[LI_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each with its own bursts (default 0: the CPUs the run's cgroup allows, recorded in the run)", NULL },
	[LI_BURST] = { "burst", SOAK_OPT_U64, "1000", 1, 1 << 24, "blocks allocated before they are freed", NULL },
	[LI_MIN] = { "min-size", SOAK_OPT_SIZE, "1", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[LI_MAX] = { "max-size", SOAK_OPT_SIZE, "1000", 1, 1 << 30, "largest allocation (bytes)", NULL },
	[LI_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size and pattern seed", NULL },
};

typedef struct {
	void *p;
	uint64_t size;
} li_blk_t;

static int li_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[LI_MIN].u > ctx->opt[LI_MAX].u) {
		snprintf(why, len, "lifo: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[LI_MIN].u, (unsigned long long)ctx->opt[LI_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

/* Tick every SOAK_WL_BATCH ops: true when asked to stop. */
static inline bool li_count(soak_wl_thread_t *t)
{
	return (++t->ops % SOAK_WL_BATCH) == 0 && soak_wl_tick(t);
}

/* Free block i of the burst (after its check): one op. */
static int li_free(soak_wl_thread_t *t, li_blk_t *b, uint64_t seed, uint64_t tag)
{
	size_t off = soak_wl_check(b->p, b->size, soak_wl_pattern(seed, tag, b->size));
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, b->p, b->size, off, "burst");
	soak_wl_gone(t, b->p, b->size);
	SOAK_WL_TIMED(t, free(b->p));
	b->p = NULL;
	return 0;
}

/* One burst: fill, then free in LIFO (lifo) or FIFO order. `*stop` is set
 * when a tick asked to stop; the burst is still freed whole. */
static int li_burst(soak_wl_thread_t *t, li_blk_t *blk, uint32_t n, bool lifo, uint64_t *rng, bool *stop)
{
	soak_wl_ctx_t *ctx = t->ctx;
	const uint64_t seed = ctx->opt[LI_SEED].u, base = (uint64_t)t->tid << 40 ^ t->ops;
	const size_t min = ctx->opt[LI_MIN].u;
	const soak_wl_mod32_t frange = soak_wl_mod32_init((uint32_t)(ctx->opt[LI_MAX].u - min + 1));
	uint32_t got = 0;
	int rc = 0;
	for (; got < n && !*stop; got++) {
		li_blk_t *b = &blk[got];
		b->size = min + soak_wl_mod32(frange, (uint32_t)soak_wl_rand64(rng));
		SOAK_WL_TIMED(t, b->p = malloc(b->size));
		if (__builtin_expect(!b->p, 0)) {
			rc = soak_wl_nomem(t, b->size);
			break;
		}
		soak_wl_got(t, b->p, b->size);
		soak_wl_fill(b->p, b->size, soak_wl_pattern(seed, base + got, b->size));
		*stop = li_count(t);
	}
	for (uint32_t k = 0; k < got; k++) {
		uint32_t i = lifo ? got - 1 - k : k;
		int r = li_free(t, &blk[i], seed, base + i);
		if (r)
			return r;
		if (li_count(t))
			*stop = true;
	}
	return rc;
}

static int li_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint32_t n = (uint32_t)ctx->opt[LI_BURST].u;
	size_t meta = n * sizeof(li_blk_t);
	li_blk_t *blk = soak_wl_meta_alloc(meta);
	if (!blk)
		return soak_wl_error(ctx, "lifo: cannot map %zu bytes", meta);
	uint64_t rng = soak_wl_mix(ctx->opt[LI_SEED].u ^ (0x11f0ULL + t->tid));
	bool stop = false, lifo = true;
	int rc = 0;
	while (!rc && !stop) {
		rc = li_burst(t, blk, n, lifo, &rng, &stop);
		lifo = !lifo;
	}
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(blk, meta);
	return rc;
}

const soak_workload_t soak_wl_lifo = {
	.name = "lifo",
	.summary = "bursts of random-size blocks freed last-allocated first, then first-allocated first, alternating",
	.origin = "sh6bench's pattern (MicroQuill SmartHeap benchmark, in mimalloc-bench): batches freed in LIFO and in reverse order",
	.op = "one malloc (plus its pattern write) or one free (after the pattern check); the timed part is the call",
	.opts = li_opts,
	.n_opts = sizeof(li_opts) / sizeof(li_opts[0]),
	.supported = li_supported,
	.run = li_run,
};
