/*
 * wl-pareto.c - heavy-tailed sizes with random lifetimes (after the
 * alloc-test pattern of mimalloc-bench): at each step a thread first frees
 * every block whose lifetime ends at that step, then mallocs one block whose
 * size and lifetime (in steps) are both Pareto-distributed: most blocks are
 * small and short-lived, a few are large or outlive thousands of others.
 * Lifetimes end in a timing wheel of max-life + 1 buckets (a bucket is a
 * list of the blocks that die at its step), so an op costs O(1) bookkeeping.
 *
 * bytes_live: the sizes of the thread's held blocks (freed, after their
 * check, before the thread returns).
 */
#include "workload.h"

#include <math.h>

enum { PA_THREADS, PA_POOL, PA_MIN, PA_MAX, PA_ALPHA, PA_LIFE, PA_SEED };

static const soak_wl_opt_t pa_opts[] = {
	[PA_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each with its own blocks (default 0: the CPUs the run's cgroup allows, recorded in the run)",
			 NULL },
	[PA_POOL] = { "pool", SOAK_OPT_U64, "65536", 1, 1 << 24,
		      "most blocks a thread holds (a step that finds none free allocates nothing)", NULL },
	[PA_MIN] = { "min-size", SOAK_OPT_SIZE, "16", 1, 1 << 30, "smallest allocation, the Pareto scale (bytes)", NULL },
	[PA_MAX] = { "max-size", SOAK_OPT_SIZE, "1M", 1, 1 << 30, "largest allocation: sizes above are cut (bytes)", NULL },
	[PA_ALPHA] = { "alpha", SOAK_OPT_DOUBLE, "1.5", 0.1, 10,
		       "Pareto shape of sizes and lifetimes: smaller is heavier-tailed", NULL },
	[PA_LIFE] = { "max-life", SOAK_OPT_U64, "10000", 1, 1 << 24, "longest lifetime (steps): lifetimes above are cut",
		      NULL },
	[PA_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, lifetime and pattern seed", NULL },
};

#define PA_NONE UINT32_MAX

typedef struct {
	void *p;
	uint64_t size;
	uint64_t tag;
	uint32_t next;            /* next block of its bucket, or of the free list */
} pa_blk_t;

typedef struct {
	pa_blk_t *blk;            /* pool */
	uint32_t *wheel;          /* bucket heads */
	uint32_t free_head;
	size_t meta;
} pa_thread_t;

static int pa_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[PA_MIN].u > ctx->opt[PA_MAX].u) {
		snprintf(why, len, "pareto: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[PA_MIN].u, (unsigned long long)ctx->opt[PA_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

/* A Pareto draw with scale `scale` and shape alpha, cut at `cap`. */
static inline uint64_t pa_draw(uint64_t scale, double inv_alpha, uint64_t cap, uint64_t *rng)
{
	double u = (double)((soak_wl_rand64(rng) >> 11) + 1) * 0x1p-53;   /* (0, 1] */
	double x = (double)scale * pow(u, -inv_alpha);
	return x >= (double)cap ? cap : (uint64_t)x;
}

/* Frees block i (after its check): one op. */
static int pa_free(soak_wl_thread_t *t, pa_thread_t *s, uint32_t i, uint64_t seed)
{
	pa_blk_t *b = &s->blk[i];
	size_t off = soak_wl_check(b->p, b->size, soak_wl_pattern(seed, b->tag, b->size));
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, b->p, b->size, off, "pareto block");
	soak_wl_gone(t, b->p, b->size);
	SOAK_WL_TIMED(t, free(b->p));
	b->p = NULL;
	b->next = s->free_head;
	s->free_head = i;
	return 0;
}

/* One step: free the blocks dying now, malloc one. Returns an exit code;
 * *stop when a tick asked to stop. */
static int pa_step(soak_wl_thread_t *t, pa_thread_t *s, uint64_t now, uint64_t *rng, bool *stop)
{
	const soak_wl_ctx_t *ctx = t->ctx;
	const uint64_t seed = ctx->opt[PA_SEED].u, w = ctx->opt[PA_LIFE].u + 1;
	const double ia = 1.0 / ctx->opt[PA_ALPHA].d;
	uint32_t *bucket = &s->wheel[now % w];
	while (*bucket != PA_NONE) {
		uint32_t i = *bucket;
		*bucket = s->blk[i].next;
		int rc = pa_free(t, s, i, seed);
		if (rc)
			return rc;
		if ((++t->ops % SOAK_WL_BATCH) == 0 && soak_wl_tick(t))
			*stop = true;
	}
	if (s->free_head == PA_NONE)
		return 0;
	uint32_t i = s->free_head;
	pa_blk_t *b = &s->blk[i];
	uint64_t size = pa_draw(ctx->opt[PA_MIN].u, ia, ctx->opt[PA_MAX].u, rng);
	uint64_t life = pa_draw(1, ia, ctx->opt[PA_LIFE].u, rng);
	SOAK_WL_TIMED(t, b->p = malloc(size));
	if (__builtin_expect(!b->p, 0))
		return soak_wl_nomem(t, size);
	s->free_head = b->next;
	b->size = size;
	b->tag = (uint64_t)t->tid << 48 ^ now;
	soak_wl_got(t, b->p, size);
	soak_wl_fill(b->p, size, soak_wl_pattern(seed, b->tag, size));
	uint32_t *dest = &s->wheel[(now + life) % w];
	b->next = *dest;
	*dest = i;
	if ((++t->ops % SOAK_WL_BATCH) == 0 && soak_wl_tick(t))
		*stop = true;
	return 0;
}

static int pa_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint32_t n = (uint32_t)ctx->opt[PA_POOL].u;
	const uint64_t w = ctx->opt[PA_LIFE].u + 1;
	pa_thread_t s = { .meta = n * sizeof(pa_blk_t) + w * sizeof(uint32_t) };
	if (!(s.blk = soak_wl_meta_alloc(s.meta)))
		return soak_wl_error(ctx, "pareto: cannot map %zu bytes", s.meta);
	s.wheel = (uint32_t *)(s.blk + n);
	for (uint64_t i = 0; i < w; i++)
		s.wheel[i] = PA_NONE;
	for (uint32_t i = 0; i < n; i++)
		s.blk[i].next = i + 1 < n ? i + 1 : PA_NONE;
	uint64_t rng = soak_wl_mix(ctx->opt[PA_SEED].u ^ (0x9a7e70ULL + t->tid));
	bool stop = false;
	int rc = 0;
	uint64_t now = 0;
	while (!rc && !stop)
		rc = pa_step(t, &s, now++, &rng, &stop);
	/* The blocks still alive go with the thread (checked first). */
	for (uint64_t b = 0; !rc && b < w; b++)
		while (!rc && s.wheel[b] != PA_NONE) {
			uint32_t i = s.wheel[b];
			s.wheel[b] = s.blk[i].next;
			rc = pa_free(t, &s, i, ctx->opt[PA_SEED].u);
		}
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(s.blk, s.meta);
	return rc;
}

const soak_workload_t soak_wl_pareto = {
	.name = "pareto",
	.summary = "Pareto-distributed sizes and lifetimes: each step frees the blocks whose lifetime ends, then mallocs one",
	.origin = "alloc-test's pattern (in mimalloc-bench): heavy-tailed sizes with random lifetimes",
	.op = "one malloc (plus its pattern write) or one free (after the pattern check); the timed part is the call",
	.opts = pa_opts,
	.n_opts = sizeof(pa_opts) / sizeof(pa_opts[0]),
	.supported = pa_supported,
	.run = pa_run,
};
