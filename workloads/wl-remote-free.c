/*
 * wl-remote-free.c - cross-thread frees, the pattern allocators find hardest:
 * `threads` threads in a ring; thread i passes remote-pct percent of the
 * blocks it allocates to thread (i+1) % threads through a lock-free
 * single-producer/single-consumer ring, which frees them. The rest it frees
 * itself, from a local FIFO window of `window` blocks.
 *
 * When a neighbour's ring is full the producer first drains its own incoming
 * ring, then frees the block locally if it is still full (counted as local:
 * the achieved remote share stays close to the target because both sides run
 * the same loop). Blocks left in rings at stop are freed by the main thread in
 * teardown, after the pattern check.
 *
 * bytes_live counts every block allocated and not yet freed, exactly: a
 * thread counts the blocks in its window and the blocks it pushed into its
 * outgoing ring that the consumer has not freed yet. The consumer adds the
 * sizes it frees from a ring to that ring's `freed` word (release store, it is
 * the only writer); the producer subtracts what it has not yet subtracted at
 * every publication. A thread's count never goes below zero (a consumer frees
 * only what was pushed) and the sum over threads is exact whenever no block is
 * between a push and the producer's next publication, the consumer's free and
 * that publication: at stop, after teardown, it is.
 */
#include "workload.h"
#include "ring.h"

enum { RF_THREADS, RF_PCT, RF_MIN, RF_MAX, RF_WINDOW, RF_RING, RF_SEED };

static const soak_wl_opt_t rf_opts[] = {
	[RF_THREADS] = { "threads", SOAK_OPT_U64, "2", 2, SOAK_MAX_THREADS, "threads (each passes to the next)", NULL },
	[RF_PCT] = { "remote-pct", SOAK_OPT_DOUBLE, "50", 0, 100, "percent of blocks freed by another thread", NULL },
	[RF_MIN] = { "min-size", SOAK_OPT_SIZE, "16", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[RF_MAX] = { "max-size", SOAK_OPT_SIZE, "1024", 1, 1 << 30, "largest allocation (bytes)", NULL },
	[RF_WINDOW] = { "window", SOAK_OPT_U64, "64", 1, 1 << 20, "blocks a thread holds before freeing locally (FIFO)", NULL },
	[RF_RING] = { "ring", SOAK_OPT_U64, "1024", 2, 1 << 20, "ring capacity between neighbours (rounded up to a power of 2)", NULL },
	[RF_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, choice and pattern seed", NULL },
};

typedef struct {
	soak_ring_t *ring;       /* ring[i]: produced by thread i, consumed by thread i+1 */
	uint64_t mask;
	size_t meta;
} rf_state_t;

static int rf_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[RF_MIN].u > ctx->opt[RF_MAX].u) {
		snprintf(why, len, "remote_free: --min-size is larger than --max-size");
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int rf_setup(soak_wl_ctx_t *ctx)
{
	uint64_t cap = soak_ring_cap(ctx->opt[RF_RING].u);
	/* One mapping: state, then the rings (cache-line aligned), then their slots. */
	size_t meta = soak_ring_meta_size(sizeof(rf_state_t), ctx->nthreads, cap);
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "remote_free: cannot map %zu bytes of rings", meta);
	rf_state_t *st = (rf_state_t *)m;
	st->meta = meta;
	st->mask = cap - 1;
	st->ring = soak_ring_layout(m, sizeof(rf_state_t), ctx->nthreads, cap);
	ctx->priv = st;
	return 0;
}

static int rf_free_checked(soak_wl_thread_t *t, const soak_ring_item_t *b, uint64_t seed, const char *what)
{
	uint64_t pat = soak_wl_pattern(seed, b->tag, b->size);
	size_t off = soak_wl_check(b->p, b->size, pat);
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, b->p, b->size, off, what);
	SOAK_WL_TIMED(t, free(b->p));
	t->ops++;
	return 0;
}

/* Free everything in ring r (we are its only consumer): 0 or an exit code. */
static int rf_ring_drain(soak_wl_thread_t *t, soak_ring_t *r, uint64_t mask, uint64_t seed)
{
	int64_t n = soak_ring_drain(t, r, mask, seed, UINT64_MAX);
	return n < 0 ? (int)-n : 0;
}

static int rf_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	rf_state_t *st = ctx->priv;
	const unsigned n = ctx->nthreads;
	soak_ring_t *out = &st->ring[t->tid];
	soak_ring_t *in = &st->ring[(t->tid + n - 1) % n];
	const uint64_t seed = ctx->opt[RF_SEED].u;
	const size_t min = ctx->opt[RF_MIN].u, range = ctx->opt[RF_MAX].u - min + 1;
	const uint64_t remote_lim = (uint64_t)(ctx->opt[RF_PCT].d / 100.0 * 4294967296.0);
	const uint32_t wn = (uint32_t)ctx->opt[RF_WINDOW].u;
	size_t meta = wn * sizeof(soak_ring_item_t);
	soak_ring_item_t *win = soak_wl_meta_alloc(meta);
	if (!win)
		return soak_wl_error(ctx, "remote_free: cannot map %zu bytes", meta);
	uint64_t rng = soak_wl_mix(seed + t->tid), seq = 0;
	uint32_t wpos = 0;
	int rc = 0;
	for (;;) {
		uint64_t start = t->ops;
		while (t->ops - start < SOAK_WL_BATCH) {
			uint64_t r = soak_wl_rand64(&rng);
			soak_ring_item_t b = { NULL, min + (r >> 32) % range, ((uint64_t)t->tid << 48) | seq++ };
			SOAK_WL_TIMED(t, b.p = malloc(b.size));
			if (__builtin_expect(!b.p, 0)) {
				rc = soak_wl_nomem(t, b.size);
				goto out;
			}
			t->ops++;
			soak_wl_fill(b.p, b.size, soak_wl_pattern(seed, b.tag, b.size));
			if ((r & 0xffffffffu) < remote_lim) {
				/* Counted before the push: once in the ring, the
				 * consumer may free it at any moment. */
				soak_wl_got(t, b.p, b.size);
				if (!soak_ring_push(out, st->mask, &b)) {
					if ((rc = rf_ring_drain(t, in, st->mask, seed)) != 0)
						goto out;
					if (!soak_ring_push(out, st->mask, &b)) {
						soak_wl_gone(t, b.p, b.size);
						if ((rc = rf_free_checked(t, &b, seed, "locally freed")) != 0)
							goto out;
					}
				}
			} else {
				soak_ring_item_t *w = &win[wpos];
				if (w->p) {
					soak_wl_gone(t, w->p, w->size);
					if ((rc = rf_free_checked(t, w, seed, "locally freed")) != 0)
						goto out;
				}
				*w = b;
				soak_wl_got(t, b.p, b.size);
				wpos = wpos + 1 == wn ? 0 : wpos + 1;
			}
			if ((seq & 15) == 0 && (rc = rf_ring_drain(t, in, st->mask, seed)) != 0)
				goto out;
		}
		soak_ring_settle(t, out);
		if (soak_wl_tick(t))
			break;
	}
	for (uint32_t i = 0; i < wn; i++)
		if (win[i].p) {
			soak_wl_gone(t, win[i].p, win[i].size);
			if ((rc = rf_free_checked(t, &win[i], seed, "locally freed")) != 0)
				goto out;
		}
out:
	soak_ring_settle(t, out);
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(win, meta);
	return rc;
}

/* Settles ring i into its producer's published counts (after the threads
 * stopped: nobody else writes them). */
static void rf_settle_published(soak_wl_ctx_t *ctx, rf_state_t *st, unsigned i)
{
	soak_wl_thread_t t;
	soak_ring_load(ctx, &t, i);
	soak_ring_settle(&t, &st->ring[i]);
	soak_wl_publish(&t);
}

/* After every thread stopped, before teardown: a consumer may have freed
 * blocks after their producer's last publication; settle every ring. */
static int rf_quiesce(soak_wl_ctx_t *ctx)
{
	rf_state_t *st = ctx->priv;
	for (unsigned i = 0; st && i < ctx->nthreads; i++)
		rf_settle_published(ctx, st, i);
	return 0;
}

/* After every thread stopped: free what is still in the rings (counted as
 * thread 0's frees, settled into each ring's producer). */
static int rf_teardown(soak_wl_ctx_t *ctx)
{
	rf_state_t *st = ctx->priv;
	if (!st)
		return 0;
	soak_wl_thread_t t;
	for (unsigned i = 0; i < ctx->nthreads; i++) {
		soak_ring_load(ctx, &t, 0); /* not measured */
		int rc = rf_ring_drain(&t, &st->ring[i], st->mask, ctx->opt[RF_SEED].u);
		__atomic_store_n(&ctx->shm->thr[0].ops, t.ops, __ATOMIC_RELAXED);
		if (rc)
			return rc;
		rf_settle_published(ctx, st, i);
	}
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return 0;
}

const soak_workload_t soak_wl_remote_free = {
	.name = "remote_free",
	.summary = "threads pass remote-pct percent of their blocks to the next thread, which frees them (SPSC rings)",
	.origin = "common allocator stress pattern: cross-thread (remote) frees, producer/consumer",
	.op = "one malloc or one free (local or remote); the timed part is the call",
	.opts = rf_opts,
	.n_opts = sizeof(rf_opts) / sizeof(rf_opts[0]),
	.supported = rf_supported,
	.setup = rf_setup,
	.run = rf_run,
	.quiesce = rf_quiesce,
	.teardown = rf_teardown,
};
