/*
 * wl-fragment.c - long-run fragmentation: cycles of
 *   grow   allocate mixed sizes (log-uniform min-size..max-size) until the
 *          live bytes reach `peak`;
 *   free   free `free-pct` percent of the live blocks, chosen at random over
 *          the whole heap (survivors stay scattered, pinning pages);
 *   idle   sleep `idle` seconds (in 10 ms steps) so the runner samples how
 *          much RSS the allocator gave back;
 * and again. bytes_live is published throughout; RSS minus bytes_live after a
 * free phase is the memory the allocator keeps.
 */
#include "workload.h"

#include <math.h>

enum { FR_PEAK, FR_PCT, FR_IDLE, FR_MIN, FR_MAX, FR_SEED };

static const soak_wl_opt_t fr_opts[] = {
	[FR_PEAK] = { "peak", SOAK_OPT_SIZE, "64M", 4096, 68719476736.0, "live bytes at the end of each grow phase", NULL },
	[FR_PCT] = { "free-pct", SOAK_OPT_DOUBLE, "90", 0, 100, "percent of live blocks freed in each free phase", NULL },
	[FR_IDLE] = { "idle", SOAK_OPT_DURATION, "1s", 0, 3600, "idle time after each free phase", NULL },
	[FR_MIN] = { "min-size", SOAK_OPT_SIZE, "16", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[FR_MAX] = { "max-size", SOAK_OPT_SIZE, "64K", 1, 1 << 30, "largest allocation (bytes, log-uniform in between)", NULL },
	[FR_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, choice and pattern seed", NULL },
};

typedef struct {
	unsigned char *p;
	size_t size;
	uint64_t tag;
} fr_blk_t;

static int fr_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[FR_MIN].u > ctx->opt[FR_MAX].u) {
		snprintf(why, len, "fragment: --min-size is larger than --max-size");
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int fr_free_blk(soak_wl_thread_t *t, fr_blk_t *b, uint64_t seed)
{
	uint64_t pat = soak_wl_pattern(seed, b->tag, b->size);
	size_t off = soak_wl_check(b->p, b->size, pat);
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, b->p, b->size, off, "heap");
	soak_wl_gone(t, b->p, b->size);
	SOAK_WL_TIMED(t, free(b->p));
	t->ops++;
	return 0;
}

static int fr_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint64_t peak = ctx->opt[FR_PEAK].u, seed = ctx->opt[FR_SEED].u;
	const double lmin = log((double)ctx->opt[FR_MIN].u), lmax = log((double)ctx->opt[FR_MAX].u + 1);
	const uint64_t free_lim = (uint64_t)(ctx->opt[FR_PCT].d / 100.0 * 4294967296.0);
	const uint64_t idle_ns = (uint64_t)(ctx->opt[FR_IDLE].d * 1e9);
	/* Enough entries for peak bytes of the smallest size, capped by address space. */
	size_t cap = (size_t)(peak / ctx->opt[FR_MIN].u) + 1;
	size_t meta = cap * sizeof(fr_blk_t);
	fr_blk_t *blk = soak_wl_meta_alloc(meta); /* untouched entries cost no memory */
	if (!blk)
		return soak_wl_error(ctx, "fragment: cannot map %zu bytes of block table", meta);
	uint64_t rng = soak_wl_mix(seed), tag = 0;
	size_t n = 0;
	int rc = 0;
	unsigned since = 0;
	for (;;) {
		/* grow */
		while (t->bytes_live < peak && n < cap) {
			double u = (double)(soak_wl_rand64(&rng) >> 11) / 9007199254740992.0;
			size_t sz = (size_t)exp(lmin + u * (lmax - lmin));
			if (sz < ctx->opt[FR_MIN].u)
				sz = ctx->opt[FR_MIN].u;
			if (sz > ctx->opt[FR_MAX].u)
				sz = ctx->opt[FR_MAX].u;
			unsigned char *p;
			SOAK_WL_TIMED(t, p = malloc(sz));
			if (__builtin_expect(!p, 0)) {
				rc = soak_wl_nomem(t, sz);
				goto out;
			}
			blk[n] = (fr_blk_t){ p, sz, tag };
			soak_wl_fill(p, sz, soak_wl_pattern(seed, tag++, sz));
			n++;
			soak_wl_got(t, p, sz);
			t->ops++;
			if (++since == SOAK_WL_BATCH) {
				since = 0;
				if (soak_wl_tick(t))
					goto stop;
			}
		}
		/* scattered free, compacting the survivors to the front */
		size_t keep = 0;
		for (size_t i = 0; i < n; i++) {
			if ((soak_wl_rand64(&rng) & 0xffffffffu) < free_lim) {
				if ((rc = fr_free_blk(t, &blk[i], seed)) != 0)
					goto out;
			} else {
				blk[keep++] = blk[i];
			}
			if (++since == SOAK_WL_BATCH) {
				since = 0;
				soak_wl_publish(t);
				/* a stop mid-phase still frees the rest below */
			}
		}
		n = keep;
		soak_wl_publish(t);
		/* idle */
		if (soak_wl_sleep_ns(t, idle_ns) || soak_wl_stop_requested(ctx))
			break;
	}
stop:
	for (size_t i = 0; i < n; i++)
		if ((rc = fr_free_blk(t, &blk[i], seed)) != 0)
			goto out;
out:
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(blk, meta);
	return rc;
}

const soak_workload_t soak_wl_fragment = {
	.name = "fragment",
	.summary = "cycles: grow mixed sizes to peak bytes, free free-pct percent scattered, idle; shows how much RSS returns",
	.origin = "allocator engineers' wish list: long-run fragmentation (no published benchmark measures it)",
	.op = "one malloc or one free; the timed part is the call (idle phases add no ops)",
	.not_rate = "fragment's operation rate is set by its idle phases, not by the allocator's speed: "
		    "it is not a throughput to compare",
	.opts = fr_opts,
	.n_opts = sizeof(fr_opts) / sizeof(fr_opts[0]),
	.supported = fr_supported,
	.run = fr_run,
};
