/*
 * wl-large.c - large blocks (after mimalloc-bench's malloc-large): each
 * thread keeps `slots` slots; an op picks one at random and, when it is
 * empty, mallocs a block of 64 KiB to 32 MiB (log-uniform: every power of two
 * of the range as likely), when it holds one, reallocs it to a new such size
 * (realloc-pct percent of the time) or frees it. Sizes straddle glibc's mmap
 * threshold (128 KiB, raised as large blocks are freed) and realloc of a
 * mapped block is an mremap: the workload stresses the allocator's path to
 * the kernel, not its small-object caches.
 *
 * Each block carries a head and tail pattern (soak_wl_fill), checked before
 * it is freed or realloc'd; a realloc must keep the head.
 * bytes_live: the sizes of the blocks in the thread's slots (a thread frees
 * its own before it returns), never above the thread's share of max-live:
 * new blocks and growths are cut to the room left. Its default (a quarter
 * of the cgroup's memory limit, at most 128 MiB) leaves room for what the
 * allocator keeps: without it a 64 MiB --memory-max run was OOM-killed under
 * glibc and mimalloc alike.
 */
#include "workload.h"

#include <math.h>

enum { LG_THREADS, LG_SLOTS, LG_MIN, LG_MAX, LG_REALLOC, LG_LIVE, LG_SEED };

/* max-live 0: this, or a quarter of the cgroup's memory limit when lower. */
#define LG_AUTO_LIVE (128ull << 20)

static const soak_wl_opt_t lg_opts[] = {
	[LG_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each with its own slots (default 0: the CPUs the run's cgroup allows, recorded in the run)",
			 NULL },
	[LG_SLOTS] = { "slots", SOAK_OPT_U64, "8", 1, 4096, "blocks a thread may hold at once", NULL },
	[LG_MIN] = { "min-size", SOAK_OPT_SIZE, "64K", 16, 1ULL << 34, "smallest block (bytes)", NULL },
	[LG_MAX] = { "max-size", SOAK_OPT_SIZE, "32M", 16, 1ULL << 34, "largest block (bytes)", NULL },
	[LG_REALLOC] = { "realloc-pct", SOAK_OPT_DOUBLE, "25", 0, 100,
			 "percent of the ops on a held block that realloc it instead of freeing it", NULL },
	[LG_LIVE] = { "max-live", SOAK_OPT_SIZE, "0", 0, 1ULL << 40,
		      "bytes held at most, all threads (0: 128M, or a quarter of the cgroup's memory limit when lower)", NULL },
	[LG_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size and pattern seed", NULL },
};

typedef struct {
	void *p;
	uint64_t size;
	uint64_t tag;
} lg_slot_t;

/* The budget of all threads: --max-live, else the default above. */
static uint64_t lg_max_live(const soak_wl_ctx_t *ctx)
{
	uint64_t mem = UINT64_MAX, swap;
	if (ctx->opt[LG_LIVE].u)
		return ctx->opt[LG_LIVE].u;
	if (soak_wl_cg_limits("/proc/self/cgroup", "/sys/fs/cgroup", &mem, &swap) < 0)
		mem = UINT64_MAX;
	return mem / 4 < LG_AUTO_LIVE ? mem / 4 : LG_AUTO_LIVE;
}

static int lg_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[LG_MIN].u > ctx->opt[LG_MAX].u) {
		snprintf(why, len, "large: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[LG_MIN].u, (unsigned long long)ctx->opt[LG_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	uint64_t live = lg_max_live(ctx);
	if (live / ctx->nthreads < ctx->opt[LG_MIN].u) {
		snprintf(why, len, "large: a budget of %llu bytes (--max-live, or a quarter of the cgroup's memory limit) "
			 "leaves each of %u threads less than --min-size %llu; raise --max-live or --memory-max, "
			 "or lower --min-size or --threads",
			 (unsigned long long)live, ctx->nthreads, (unsigned long long)ctx->opt[LG_MIN].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

/* A log-uniform size in [min, max]. */
static inline uint64_t lg_size(uint64_t min, double log_range, uint64_t max, uint64_t *rng)
{
	double u = (double)(soak_wl_rand64(rng) >> 11) * 0x1p-53;
	uint64_t s = (uint64_t)((double)min * exp(u * log_range));
	return s < min ? min : s > max ? max : s;
}

static int lg_check(soak_wl_thread_t *t, const lg_slot_t *s, uint64_t seed)
{
	size_t off = soak_wl_check(s->p, s->size, soak_wl_pattern(seed, s->tag, s->size));
	return __builtin_expect(off != SIZE_MAX, 0) ? soak_wl_fail_block(t, s->p, s->size, off, "large block") : 0;
}

/* realloc slot s to `size`: its head must survive. One op. */
static int lg_realloc(soak_wl_thread_t *t, lg_slot_t *s, uint64_t size, uint64_t seed, uint64_t tag)
{
	int rc = lg_check(t, s, seed);
	if (rc)
		return rc;
	uint64_t head = soak_wl_pattern(seed, s->tag, s->size);
	soak_wl_gone(t, s->p, s->size);
	void *q;
	SOAK_WL_TIMED(t, q = realloc(s->p, size));
	if (__builtin_expect(!q, 0)) {
		soak_wl_got(t, s->p, s->size);   /* the old block is still held */
		return soak_wl_nomem(t, size);
	}
	if (__builtin_expect(memcmp(q, &head, 8) != 0, 0))
		return soak_wl_fail_block(t, q, size, 0, "large block (head lost by realloc)");
	s->p = q;
	s->size = size;
	s->tag = tag;
	soak_wl_got(t, q, size);
	soak_wl_fill(q, size, soak_wl_pattern(seed, tag, size));
	return 0;
}

/* One op on slot s: malloc when empty, else realloc or free; `room` is what
 * the thread's budget has left (lg_run makes it at least min-size when s is
 * empty): a new block or a growth is cut to it. */
static int lg_op(soak_wl_thread_t *t, lg_slot_t *s, uint64_t *rng, uint64_t tag, uint64_t room)
{
	const soak_wl_ctx_t *ctx = t->ctx;
	const uint64_t seed = ctx->opt[LG_SEED].u, min = ctx->opt[LG_MIN].u, max = ctx->opt[LG_MAX].u;
	const double lr = log((double)max / (double)min);
	if (!s->p) {
		uint64_t size = lg_size(min, lr, max, rng);
		size = size > room ? room : size;
		SOAK_WL_TIMED(t, s->p = malloc(size));
		if (__builtin_expect(!s->p, 0))
			return soak_wl_nomem(t, size);
		s->size = size;
		s->tag = tag;
		soak_wl_got(t, s->p, size);
		soak_wl_fill(s->p, size, soak_wl_pattern(seed, tag, size));
		return 0;
	}
	if ((double)(soak_wl_rand64(rng) % 10000) < ctx->opt[LG_REALLOC].d * 100) {
		uint64_t size = lg_size(min, lr, max, rng);
		return lg_realloc(t, s, size > s->size + room ? s->size + room : size, seed, tag);
	}
	int rc = lg_check(t, s, seed);
	if (rc)
		return rc;
	soak_wl_gone(t, s->p, s->size);
	SOAK_WL_TIMED(t, free(s->p));
	s->p = NULL;
	return 0;
}

static int lg_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint32_t n = (uint32_t)ctx->opt[LG_SLOTS].u;
	const soak_wl_mod32_t pick = soak_wl_mod32_init(n);
	size_t meta = n * sizeof(lg_slot_t);
	lg_slot_t *slot = soak_wl_meta_alloc(meta);
	if (!slot)
		return soak_wl_error(ctx, "large: cannot map %zu bytes", meta);
	uint64_t rng = soak_wl_mix(ctx->opt[LG_SEED].u ^ (0x1a49eULL + t->tid));
	const uint64_t budget = lg_max_live(ctx) / ctx->nthreads, min = ctx->opt[LG_MIN].u;
	int rc = 0;
	while (!rc) {
		uint32_t i = soak_wl_mod32(pick, (uint32_t)soak_wl_rand64(&rng));
		uint64_t room = budget > t->bytes_live ? budget - t->bytes_live : 0;
		/* No room for a new block: act on the next held one instead (one is
		 * held: the budget is at least min-size, supported() says so). */
		for (uint32_t k = 1; !slot[i].p && room < min && k <= n; k++)
			if (slot[(i + k) % n].p)
				i = (i + k) % n;
		rc = lg_op(t, &slot[i], &rng, (uint64_t)t->tid << 48 ^ t->ops, room);
		if (!rc && (++t->ops % 64) == 0 && soak_wl_tick(t))
			break;
	}
	/* The thread's blocks go with it (checked first). */
	for (uint32_t i = 0; !rc && i < n; i++)
		if (slot[i].p && !(rc = lg_check(t, &slot[i], ctx->opt[LG_SEED].u))) {
			soak_wl_gone(t, slot[i].p, slot[i].size);
			free(slot[i].p);
			slot[i].p = NULL;
		}
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(slot, meta);
	return rc;
}

const soak_workload_t soak_wl_large = {
	.name = "large",
	.summary = "blocks of 64 KiB to 32 MiB (log-uniform) malloc'd, realloc'd and freed in random slots",
	.origin = "mimalloc-bench's malloc-large pattern: large blocks across the mmap threshold, realloc as mremap",
	.op = "one malloc (plus its pattern write), realloc (after the check; the head must survive) or free "
	      "(after the check); the timed part is the call",
	.lat_every_max = 1,
	.opts = lg_opts,
	.n_opts = sizeof(lg_opts) / sizeof(lg_opts[0]),
	.supported = lg_supported,
	.run = lg_run,
};
