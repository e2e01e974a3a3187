/*
 * wl-mstress.c - objects handed between threads in phases, with a long-lived
 * share and a churning share (the pattern of mimalloc's stress test,
 * mstress in mimalloc-bench). Each worker thread owns `items` churning slots
 * and `keep` long-lived slots; all threads share `transfer` slots. A step
 * draws one of:
 *  - transfer-pct %: swap a random churning slot with a random shared slot
 *    (a per-slot spin lock; no allocator call, no op): blocks travel between
 *    threads and are freed by whoever holds them later;
 *  - long-pct %: a random long-lived slot; else a random churning slot: free
 *    its block if it holds one, else malloc one (log-uniform size in
 *    [min-size, max-size]).
 * A phase is `phase` steps on one thread; then the thread frees its churning
 * slots and exits, and a new thread takes over the long-lived slots (each
 * worker thread runs its phases as a chain of short-lived threads, one at a
 * time, like larson): long-lived blocks outlive the thread that allocated
 * them, thread exits happen with live blocks, shared blocks cross threads.
 * At stop the long-lived and shared blocks are checked and freed by the main
 * thread in teardown.
 *
 * bytes_live is kept by the allocating worker slot: a free of a block of the
 * own slot subtracts directly; a free of another slot's block adds its size
 * to that slot's `freed` words (atomic adds), which the owner subtracts
 * before each publication, and quiesce()/teardown settle after the threads
 * stop. A count never goes below zero. Remote frees: a free by another
 * thread than the allocating one (another worker slot, a later phase's
 * thread, teardown), counted and compared with the counting library's.
 */
#include "workload.h"
#include "livecheck.h"
#include "ring.h"

#include <math.h>
#include <pthread.h>

enum { MS_THREADS, MS_ITEMS, MS_KEEP, MS_TRANSFER, MS_PHASE, MS_LONG, MS_XFER, MS_MIN, MS_MAX, MS_SEED };

static const soak_wl_opt_t ms_opts[] = {
	[MS_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each running phases (default 0: the CPUs the run's cgroup allows, recorded in the run)", NULL },
	[MS_ITEMS] = { "items", SOAK_OPT_U64, "500", 1, 1 << 22, "churning slots per thread (freed when a phase ends)", NULL },
	[MS_KEEP] = { "keep", SOAK_OPT_U64, "100", 1, 1 << 22, "long-lived slots per thread (kept across phases)", NULL },
	[MS_TRANSFER] = { "transfer", SOAK_OPT_U64, "1000", 1, 1 << 22, "shared slots through which threads exchange blocks", NULL },
	[MS_PHASE] = { "phase", SOAK_OPT_U64, "20000", 1, 1e12, "steps of one thread before it exits and a new one takes over", NULL },
	[MS_LONG] = { "long-pct", SOAK_OPT_DOUBLE, "10", 0, 100, "percent of steps on a long-lived slot", NULL },
	[MS_XFER] = { "transfer-pct", SOAK_OPT_DOUBLE, "10", 0, 100, "percent of steps that swap a churning slot with a shared one", NULL },
	[MS_MIN] = { "min-size", SOAK_OPT_SIZE, "8", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[MS_MAX] = { "max-size", SOAK_OPT_SIZE, "4K", 1, 1 << 30, "largest allocation (bytes; sizes are log-uniform)", NULL },
	[MS_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, choice and pattern seed", NULL },
};

typedef struct {
	void *p;
	uint64_t size;
	uint64_t tag;
	uint64_t who;    /* allocating thread: worker slot << 40 | phase number */
} ms_blk_t;

typedef struct {
	uint32_t lock;
	ms_blk_t b;
} ms_xfer_t;

/* Per worker slot: bytes of its blocks freed by others (atomic adds), and
 * its own settled marks and remote-free count (written by its threads). */
typedef struct {
	_Alignas(64) uint64_t freed;
	uint64_t freed_usable;
	_Alignas(64) uint64_t seen, seen_usable;
	uint64_t remote;
} ms_acct_t;

typedef struct {
	ms_acct_t *acct;
	ms_xfer_t *xfer;
	ms_blk_t *keep;         /* threads * keep */
	size_t meta;
} ms_state_t;

/* One phase: the state a thread hands to its successor. */
typedef struct {
	soak_wl_ctx_t *ctx;
	soak_wl_thread_t *t;
	ms_state_t *st;
	uint64_t rng, seq, who;
	bool stop;
	int rc;
} ms_phase_t;

static int ms_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[MS_MIN].u > ctx->opt[MS_MAX].u) {
		snprintf(why, len, "mstress: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[MS_MIN].u, (unsigned long long)ctx->opt[MS_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (ctx->opt[MS_LONG].d + ctx->opt[MS_XFER].d > 100) {
		snprintf(why, len, "mstress: --long-pct %g plus --transfer-pct %g is over 100",
			 ctx->opt[MS_LONG].d, ctx->opt[MS_XFER].d);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int ms_setup(soak_wl_ctx_t *ctx)
{
	size_t acct_off = (sizeof(ms_state_t) + 63) & ~(size_t)63;
	size_t xfer_off = acct_off + ctx->nthreads * sizeof(ms_acct_t);
	size_t keep_off = xfer_off + ctx->opt[MS_TRANSFER].u * sizeof(ms_xfer_t);
	size_t meta = keep_off + (size_t)ctx->nthreads * ctx->opt[MS_KEEP].u * sizeof(ms_blk_t);
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "mstress: cannot map %zu bytes of slots", meta);
	ms_state_t *st = (ms_state_t *)m;
	st->meta = meta;
	st->acct = (ms_acct_t *)(m + acct_off);
	st->xfer = (ms_xfer_t *)(m + xfer_off);
	st->keep = (ms_blk_t *)(m + keep_off);
	ctx->priv = st;
	return 0;
}

/* The owner's side: what others freed of its blocks leaves its count. */
static void ms_settle(soak_wl_thread_t *t, ms_acct_t *a)
{
	uint64_t b = __atomic_load_n(&a->freed, __ATOMIC_ACQUIRE);
	uint64_t u = __atomic_load_n(&a->freed_usable, __ATOMIC_ACQUIRE);
	t->bytes_live -= b - a->seen;
	t->bytes_usable -= u - a->seen_usable;
	a->seen = b;
	a->seen_usable = u;
}

/* Check and free b (one timed op on t); `who` is the freeing thread. */
static int ms_free(soak_wl_thread_t *t, ms_state_t *st, ms_blk_t *b, uint64_t who, uint64_t seed,
		   uint64_t *remote)
{
	size_t off = soak_wl_check(b->p, b->size, soak_wl_pattern(seed, b->tag, b->size));
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, b->p, b->size, off, "held");
	unsigned owner = (unsigned)(b->who >> 40);
	uint64_t usable = t->usable_size ? t->usable_size(b->p) : 0;
	SOAK_WL_TIMED(t, free(b->p));
	t->ops++;
	if (owner == t->tid) {
		t->bytes_live -= b->size;
		t->bytes_usable -= usable;
	} else {
		__atomic_fetch_add(&st->acct[owner].freed_usable, usable, __ATOMIC_RELEASE);
		__atomic_fetch_add(&st->acct[owner].freed, b->size, __ATOMIC_RELEASE);
	}
	*remote += b->who != who;
	b->p = NULL;
	return 0;
}

static int ms_alloc(ms_phase_t *ph, ms_blk_t *b, uint64_t r)
{
	soak_wl_ctx_t *ctx = ph->ctx;
	const double lmin = log((double)ctx->opt[MS_MIN].u);
	const double lspan = log((double)ctx->opt[MS_MAX].u) - lmin;
	uint64_t size = (uint64_t)exp(lmin + (double)(r >> 32) * (1.0 / 4294967296.0) * lspan);
	size = size < ctx->opt[MS_MIN].u ? ctx->opt[MS_MIN].u : size > ctx->opt[MS_MAX].u ? ctx->opt[MS_MAX].u : size;
	void *p;
	SOAK_WL_TIMED(ph->t, p = malloc(size));
	if (__builtin_expect(!p, 0))
		return soak_wl_nomem(ph->t, size);
	ph->t->ops++;
	b->p = p;
	b->size = size;
	b->tag = ((uint64_t)ph->t->tid << 48) | ph->seq++;
	b->who = ph->who;
	soak_wl_fill(p, size, soak_wl_pattern(ctx->opt[MS_SEED].u, b->tag, size));
	soak_wl_got(ph->t, p, size);
	return 0;
}

static void ms_swap(ms_xfer_t *x, ms_blk_t *b)
{
	while (__atomic_exchange_n(&x->lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
	ms_blk_t tmp = x->b;
	x->b = *b;
	*b = tmp;
	__atomic_store_n(&x->lock, 0, __ATOMIC_RELEASE);
}

/* One step: a swap, or a free or malloc on a long-lived or churning slot. */
static int ms_step(ms_phase_t *ph, ms_blk_t *items, ms_blk_t *keep, const soak_wl_mod32_t f[3],
		   uint32_t xfer_lim, uint32_t long_lim)
{
	uint64_t r = soak_wl_rand64(&ph->rng), r2 = soak_wl_rand64(&ph->rng);
	uint32_t c = (uint32_t)r;
	if (c < xfer_lim) {
		ms_swap(&ph->st->xfer[soak_wl_mod32(f[2], (uint32_t)(r >> 32))], &items[soak_wl_mod32(f[0], (uint32_t)r2)]);
		return 0;
	}
	ms_blk_t *b = c - xfer_lim < long_lim ? &keep[soak_wl_mod32(f[1], (uint32_t)r2)]
					      : &items[soak_wl_mod32(f[0], (uint32_t)r2)];
	if (b->p)
		return ms_free(ph->t, ph->st, b, ph->who, ph->ctx->opt[MS_SEED].u,
			       &ph->st->acct[ph->t->tid].remote);
	return ms_alloc(ph, b, r);
}

static void *ms_phase_main(void *arg)
{
	ms_phase_t *ph = arg;
	soak_wl_ctx_t *ctx = ph->ctx;
	soak_wl_thread_t *t = ph->t;
	const uint32_t ni = (uint32_t)ctx->opt[MS_ITEMS].u, nk = (uint32_t)ctx->opt[MS_KEEP].u;
	const uint64_t phase = ctx->opt[MS_PHASE].u;
	const soak_wl_mod32_t f[3] = { soak_wl_mod32_init(ni), soak_wl_mod32_init(nk),
				       soak_wl_mod32_init((uint32_t)ctx->opt[MS_TRANSFER].u) };
	const uint32_t xfer_lim = (uint32_t)fmin(ctx->opt[MS_XFER].d / 100.0 * 4294967296.0, 4294967295.0);
	const uint32_t long_lim = (uint32_t)fmin(ctx->opt[MS_LONG].d / 100.0 * 4294967296.0, 4294967295.0);
	ms_blk_t *keep = ph->st->keep + (size_t)t->tid * nk;
	size_t meta = ni * sizeof(ms_blk_t);
	ms_blk_t *items = soak_wl_meta_alloc(meta);
	soak_wl_live_thread(true);
	if (!items)
		ph->rc = soak_wl_error(ctx, "mstress: cannot map %zu bytes", meta);
	for (uint64_t done = 0; !ph->rc && done < phase;) {
		for (unsigned k = 0; k < SOAK_WL_BATCH && done < phase && !ph->rc; k++, done++)
			ph->rc = ms_step(ph, items, keep, f, xfer_lim, long_lim);
		ms_settle(t, &ph->st->acct[t->tid]);
		if (soak_wl_tick(t)) {
			ph->stop = true;
			break;
		}
	}
	/* The churning share dies with the phase. */
	for (uint32_t i = 0; items && i < ni && !ph->rc; i++)
		if (items[i].p)
			ph->rc = ms_free(t, ph->st, &items[i], ph->who, ctx->opt[MS_SEED].u,
					 &ph->st->acct[t->tid].remote);
	ms_settle(t, &ph->st->acct[t->tid]);
	soak_wl_publish(t);
	soak_wl_live_thread(false);
	if (items && ph->rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(items, meta);
	return NULL;
}

static int ms_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	ms_phase_t ph = { ctx, t, ctx->priv, soak_wl_mix(ctx->opt[MS_SEED].u ^ (0x5757ULL + t->tid)),
			  0, (uint64_t)t->tid << 40, false, 0 };
	soak_wl_live_thread(false); /* pthread_create's own allocations are not the workload's */
	while (!ph.rc && !ph.stop && !soak_wl_stop_requested(ctx)) {
		pthread_t th;
		ph.who++;
		int e = pthread_create(&th, NULL, ms_phase_main, &ph);
		if (e) {
			ph.rc = soak_wl_error(ctx, "mstress: cannot start a thread: %s", strerror(e));
			break;
		}
		pthread_join(th, NULL);
	}
	soak_wl_live_thread(true);
	soak_wl_publish(t);
	return ph.rc;
}

static void ms_settle_all(soak_wl_ctx_t *ctx, ms_state_t *st)
{
	for (unsigned i = 0; i < ctx->nthreads; i++) {
		soak_wl_thread_t t;
		soak_ring_load(ctx, &t, i);
		ms_settle(&t, &st->acct[i]);
		soak_wl_publish(&t);
	}
}

/* After the threads stopped: blocks freed by other slots after their
 * owner's last publication. */
static int ms_quiesce(soak_wl_ctx_t *ctx)
{
	if (ctx->priv)
		ms_settle_all(ctx, ctx->priv);
	return 0;
}

/* The main thread frees the long-lived and shared blocks: every free remote
 * (counted on slot 0's ops and remote count, settled into each owner). */
static int ms_teardown(soak_wl_ctx_t *ctx)
{
	ms_state_t *st = ctx->priv;
	if (!st)
		return 0;
	const uint64_t seed = ctx->opt[MS_SEED].u, nk = ctx->opt[MS_KEEP].u;
	soak_wl_thread_t t;
	soak_wl_thread_init(&t, ctx, 0);
	t.lat_left = t.lat_every = UINT64_MAX; /* not measured */
	t.tid = UINT32_MAX;                    /* owns nothing: every block settles into its owner */
	t.ops = ctx->shm->thr[0].ops;
	uint64_t remote = 0;
	int rc = 0;
	for (uint64_t i = 0; i < ctx->nthreads * nk && !rc; i++)
		if (st->keep[i].p)
			rc = ms_free(&t, st, &st->keep[i], UINT64_MAX, seed, &remote);
	for (uint64_t i = 0; i < ctx->opt[MS_TRANSFER].u && !rc; i++)
		if (st->xfer[i].b.p)
			rc = ms_free(&t, st, &st->xfer[i].b, UINT64_MAX, seed, &remote);
	if (rc)
		return rc;
	__atomic_store_n(&ctx->shm->thr[0].ops, t.ops, __ATOMIC_RELAXED);
	ms_settle_all(ctx, st);
	for (unsigned i = 0; i < ctx->nthreads; i++)
		remote += st->acct[i].remote;
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return soak_wl_live_check_remote(ctx, remote);
}

const soak_workload_t soak_wl_mstress = {
	.name = "mstress",
	.summary = "threads in phases: churning and long-lived blocks, blocks swapped through shared slots; each phase a new thread (cross-thread frees, thread exit)",
	.origin = "mimalloc's stress test (mstress in mimalloc-bench): phases of threads, a long-lived and a churning share, objects handed between threads",
	.op = "one malloc or one free (a swap through a shared slot is no op); the timed part is the call",
	.opts = ms_opts,
	.n_opts = sizeof(ms_opts) / sizeof(ms_opts[0]),
	.supported = ms_supported,
	.setup = ms_setup,
	.run = ms_run,
	.quiesce = ms_quiesce,
	.teardown = ms_teardown,
};
