/*
 * wl-rptest.c - rpmalloc's benchmark pattern: each thread keeps a working set
 * of `ws` slots and replaces random ones (free the old block, malloc a block
 * of a random size, log-uniform in [min-size, max-size]); remote-pct percent
 * of the old blocks are not freed by their thread but handed to the next
 * thread (i+1 mod threads) through a single-producer/single-consumer ring
 * (ring.h), which frees them: a tunable share of cross-thread frees.
 *
 * A full outgoing ring makes the thread drain its own incoming ring, then
 * free the block itself if the ring is still full (counted as local). Every
 * 16 replacements a thread drains its incoming ring. At stop a thread frees
 * its slots; blocks left in the rings are checked and freed in teardown by a
 * thread started for it, so those frees are remote too.
 *
 * bytes_live: a thread counts its slots and the blocks it pushed that the
 * consumer has not freed yet (settled from the ring's `freed` words before
 * each publication, and by quiesce() after the threads stop). Remote frees:
 * every free from a ring by another thread than its producer; with one
 * thread the ring is its own and those frees are local, only teardown's are
 * remote.
 */
#include "workload.h"
#include "livecheck.h"
#include "ring.h"

#include <math.h>
#include <pthread.h>

enum { RPT_THREADS, RPT_WS, RPT_MIN, RPT_MAX, RPT_PCT, RPT_RING, RPT_SEED };

static const soak_wl_opt_t rpt_opts[] = {
	[RPT_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each handing blocks to the next (default 0: the CPUs the run's cgroup allows, recorded in the run)",
			 NULL },
	[RPT_WS] = { "ws", SOAK_OPT_U64, "1000", 1, 1 << 24, "slots in each thread's working set", NULL },
	[RPT_MIN] = { "min-size", SOAK_OPT_SIZE, "16", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[RPT_MAX] = { "max-size", SOAK_OPT_SIZE, "16000", 1, 1 << 30, "largest allocation (bytes; sizes are log-uniform)", NULL },
	[RPT_PCT] = { "remote-pct", SOAK_OPT_DOUBLE, "10", 0, 100, "percent of replaced blocks freed by the next thread", NULL },
	[RPT_RING] = { "ring", SOAK_OPT_U64, "1024", 2, 1 << 20,
		      "blocks in flight between neighbours (rounded up to a power of 2)", NULL },
	[RPT_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, slot, choice and pattern seed", NULL },
};

typedef struct {
	soak_ring_t *ring;       /* ring[i]: produced by thread i, consumed by thread i+1 */
	uint64_t mask;
	uint64_t drained;        /* frees made by teardown's thread */
	size_t meta;
} rpt_state_t;

static int rpt_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[RPT_MIN].u > ctx->opt[RPT_MAX].u) {
		snprintf(why, len, "rptest: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[RPT_MIN].u, (unsigned long long)ctx->opt[RPT_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int rpt_setup(soak_wl_ctx_t *ctx)
{
	uint64_t cap = soak_ring_cap(ctx->opt[RPT_RING].u);
	size_t meta = soak_ring_meta_size(sizeof(rpt_state_t), ctx->nthreads, cap);
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "rptest: cannot map %zu bytes of rings", meta);
	rpt_state_t *st = (rpt_state_t *)m;
	st->meta = meta;
	st->mask = cap - 1;
	st->ring = soak_ring_layout(m, sizeof(rpt_state_t), ctx->nthreads, cap);
	ctx->priv = st;
	return 0;
}

typedef struct {
	soak_wl_ctx_t *ctx;
	soak_wl_thread_t *t;
	soak_ring_t *out, *in;
	uint64_t mask, seed;
} rpt_thr_t;

static int rpt_free_local(rpt_thr_t *r, soak_ring_item_t *b)
{
	size_t off = soak_wl_check(b->p, b->size, soak_wl_pattern(r->seed, b->tag, b->size));
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(r->t, b->p, b->size, off, "locally freed");
	soak_wl_gone(r->t, b->p, b->size);
	SOAK_WL_TIMED(r->t, free(b->p));
	r->t->ops++;
	b->p = NULL;
	return 0;
}

/* The old block of a slot: to the next thread, or freed here. */
static int rpt_retire(rpt_thr_t *r, soak_ring_item_t *b, bool remote)
{
	if (remote) {
		if (soak_ring_push(r->out, r->mask, b))
			return b->p = NULL, 0;
		int64_t n = soak_ring_drain(r->t, r->in, r->mask, r->seed, UINT64_MAX);
		if (n < 0)
			return (int)-n;
		if (soak_ring_push(r->out, r->mask, b))
			return b->p = NULL, 0;
	}
	return rpt_free_local(r, b);
}

static int rpt_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	rpt_state_t *st = ctx->priv;
	const unsigned n = ctx->nthreads;
	rpt_thr_t r = { ctx, t, &st->ring[t->tid], &st->ring[(t->tid + n - 1) % n], st->mask, ctx->opt[RPT_SEED].u };
	const uint32_t ws = (uint32_t)ctx->opt[RPT_WS].u;
	const double lmin = log((double)ctx->opt[RPT_MIN].u), lspan = log((double)ctx->opt[RPT_MAX].u) - lmin;
	const uint64_t remote_lim = (uint64_t)(ctx->opt[RPT_PCT].d / 100.0 * 4294967296.0);
	const soak_wl_mod32_t fws = soak_wl_mod32_init(ws);
	size_t meta = ws * sizeof(soak_ring_item_t);
	soak_ring_item_t *slot = soak_wl_meta_alloc(meta);
	if (!slot)
		return soak_wl_error(ctx, "rptest: cannot map %zu bytes", meta);
	uint64_t rng = soak_wl_mix(r.seed ^ (0x7e57ULL + t->tid)), seq = 0;
	int rc = 0;
	while (!rc) {
		for (unsigned k = 0; k < SOAK_WL_BATCH / 2 && !rc; k++) {
			uint64_t x = soak_wl_rand64(&rng), y = soak_wl_rand64(&rng);
			soak_ring_item_t *s = &slot[soak_wl_mod32(fws, (uint32_t)x)];
			if (s->p && (rc = rpt_retire(&r, s, (y & 0xffffffffu) < remote_lim)) != 0)
				break;
			double u = (double)(y >> 32) * (1.0 / 4294967296.0);
			soak_ring_item_t b = { NULL, (uint64_t)exp(lmin + u * lspan), ((uint64_t)t->tid << 48) | seq++ };
			if (b.size < ctx->opt[RPT_MIN].u)
				b.size = ctx->opt[RPT_MIN].u;
			if (b.size > ctx->opt[RPT_MAX].u)
				b.size = ctx->opt[RPT_MAX].u;
			SOAK_WL_TIMED(t, b.p = malloc(b.size));
			if (__builtin_expect(!b.p, 0)) {
				rc = soak_wl_nomem(t, b.size);
				break;
			}
			t->ops++;
			soak_wl_fill(b.p, b.size, soak_wl_pattern(r.seed, b.tag, b.size));
			soak_wl_got(t, b.p, b.size);
			*s = b;
			if ((seq & 15) == 0) {
				int64_t d = soak_ring_drain(t, r.in, r.mask, r.seed, UINT64_MAX);
				if (d < 0)
					rc = (int)-d;
			}
		}
		soak_ring_settle(t, r.out);
		if (rc || soak_wl_tick(t))
			break;
	}
	for (uint32_t i = 0; i < ws && !rc; i++)
		if (slot[i].p)
			rc = rpt_free_local(&r, &slot[i]);
	soak_ring_settle(t, r.out);
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(slot, meta);
	return rc;
}

/* After the threads stopped: consumers may have freed blocks after their
 * producer's last publication. */
static int rpt_quiesce(soak_wl_ctx_t *ctx)
{
	rpt_state_t *st = ctx->priv;
	soak_wl_thread_t t;
	for (unsigned i = 0; st && i < ctx->nthreads; i++) {
		soak_ring_load(ctx, &t, i);
		soak_ring_settle(&t, &st->ring[i]);
		soak_wl_publish(&t);
	}
	return 0;
}

typedef struct {
	soak_wl_ctx_t *ctx;
	int rc;
} rpt_drain_t;

/* Free what is left in ring i (counted as its consumer's ops, settled into
 * its producer), for every ring. */
static void *rpt_drain_main(void *arg)
{
	rpt_drain_t *d = arg;
	soak_wl_ctx_t *ctx = d->ctx;
	rpt_state_t *st = ctx->priv;
	const unsigned n = ctx->nthreads;
	soak_wl_thread_t c, p;
	for (unsigned i = 0; i < n && !d->rc; i++) {
		soak_ring_load(ctx, &c, (i + 1) % n);
		int64_t k = soak_ring_drain(&c, &st->ring[i], st->mask, ctx->opt[RPT_SEED].u, UINT64_MAX);
		soak_wl_publish(&c);
		if (k < 0)
			d->rc = (int)-k;
		else
			st->drained += (uint64_t)k;
		soak_ring_load(ctx, &p, i);
		soak_ring_settle(&p, &st->ring[i]);
		soak_wl_publish(&p);
	}
	return NULL;
}

static int rpt_teardown(soak_wl_ctx_t *ctx)
{
	rpt_state_t *st = ctx->priv;
	if (!st)
		return 0;
	rpt_drain_t d = { ctx, 0 };
	pthread_t th;
	int e = pthread_create(&th, NULL, rpt_drain_main, &d);
	if (e)
		return soak_wl_error(ctx, "rptest: cannot start the thread that empties the rings: %s", strerror(e));
	pthread_join(th, NULL);
	if (d.rc)
		return d.rc;
	/* With one thread its ring is its own: only teardown's frees are remote. */
	uint64_t remote = st->drained;
	if (ctx->nthreads > 1) {
		remote = 0;
		for (unsigned i = 0; i < ctx->nthreads; i++)
			remote += st->ring[i].frees;
	}
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return soak_wl_live_check_remote(ctx, remote);
}

const soak_workload_t soak_wl_rptest = {
	.name = "rptest",
	.summary = "threads replace random slots with log-uniform sizes; remote-pct percent of old blocks are freed by the next thread (SPSC rings)",
	.origin = "rpmalloc's benchmark (rptest in mimalloc-bench): random sizes over a range, a tunable cross-thread free rate",
	.op = "one malloc or one free (local, or remote by the next thread); the timed part is the call",
	.opts = rpt_opts,
	.n_opts = sizeof(rpt_opts) / sizeof(rpt_opts[0]),
	.supported = rpt_supported,
	.setup = rpt_setup,
	.run = rpt_run,
	.quiesce = rpt_quiesce,
	.teardown = rpt_teardown,
};
