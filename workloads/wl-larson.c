/*
 * wl-larson.c - the long-running server pattern of Larson and Krishnan
 * (1998): a shared array of blocks cut into one slice per thread; each thread
 * replaces random slots of its slice (free the old block, malloc one of a
 * random size in [min-size, max-size]). After `life` replacements a thread
 * retires: a new thread is created and takes over the slice, so the blocks
 * the old thread allocated are freed by the new one ("bleeding" between
 * thread heaps, and a thread exit with live blocks on every retirement).
 *
 * Each of the worker's `threads` threads runs the slice it owns as a chain of
 * short-lived threads: it starts one, joins it, starts the next. The chain
 * shares the worker thread's counters (soak_wl_thread_t): one thread of the
 * chain runs at a time and the join orders them, so bytes_live of that worker
 * slot is the sum of the sizes in the slice, exact at every moment. The
 * worker thread does not count its own allocations while it creates and
 * joins (pthread_create allocates the new thread's bookkeeping).
 *
 * A free is remote when the block was allocated by an earlier thread of the
 * chain; the count is compared with the counting library's in tests. Blocks
 * in the slices at stop are freed by the main thread in teardown (counted in
 * bytes_live until then, and remote).
 */
#include "workload.h"
#include "livecheck.h"

#include <pthread.h>

enum { LA_THREADS, LA_BLOCKS, LA_MIN, LA_MAX, LA_LIFE, LA_SEED };

static const soak_wl_opt_t la_opts[] = {
	[LA_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, each owning one slice (default 0: the CPUs the run's cgroup allows, recorded in the run)", NULL },
	[LA_BLOCKS] = { "blocks", SOAK_OPT_U64, "5000", 1, 1 << 22, "blocks in each thread's slice", NULL },
	[LA_MIN] = { "min-size", SOAK_OPT_SIZE, "8", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[LA_MAX] = { "max-size", SOAK_OPT_SIZE, "1000", 1, 1 << 30, "largest allocation (bytes)", NULL },
	[LA_LIFE] = { "life", SOAK_OPT_U64, "100000", 1, 1e12,
		      "slot replacements a thread makes before it retires and a new thread takes its slice", NULL },
	[LA_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size, slot and pattern seed", NULL },
};

typedef struct {
	void *p;
	uint64_t size;
	uint64_t tag;    /* pattern tag: slot and sequence */
	uint64_t gen;    /* the chain thread that allocated it (life number) */
} la_slot_t;

typedef struct {
	la_slot_t *slots;       /* threads * blocks */
	uint64_t *remote;       /* per worker slot: frees of an earlier life's block */
	size_t meta;
} la_state_t;

/* One life: the state a retiring thread hands to its successor. */
typedef struct {
	soak_wl_ctx_t *ctx;
	soak_wl_thread_t *t;
	la_slot_t *slice;
	uint64_t rng, seq, gen;
	uint64_t remote;
	bool stop;
	int rc;
} la_life_t;

static int la_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[LA_MIN].u > ctx->opt[LA_MAX].u) {
		snprintf(why, len, "larson: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[LA_MIN].u, (unsigned long long)ctx->opt[LA_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int la_setup(soak_wl_ctx_t *ctx)
{
	size_t n = (size_t)ctx->nthreads * ctx->opt[LA_BLOCKS].u;
	size_t rem_off = (sizeof(la_state_t) + 63) & ~(size_t)63;
	size_t slot_off = rem_off + ((ctx->nthreads * 64 + 63) & ~(size_t)63);
	size_t meta = slot_off + n * sizeof(la_slot_t);
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "larson: cannot map %zu bytes of slots", meta);
	la_state_t *st = (la_state_t *)m;
	st->meta = meta;
	st->remote = (uint64_t *)(m + rem_off); /* one cache line per worker slot */
	st->slots = (la_slot_t *)(m + slot_off);
	ctx->priv = st;
	return 0;
}

static int la_free_checked(soak_wl_thread_t *t, la_life_t *l, la_slot_t *s, uint64_t seed)
{
	size_t off = soak_wl_check(s->p, s->size, soak_wl_pattern(seed, s->tag, s->size));
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, s->p, s->size, off, "slot");
	l->remote += s->gen != l->gen;
	soak_wl_gone(t, s->p, s->size);
	return 0;
}

/* Replace slot s (free its block if any, malloc a new one): one op. */
static int la_replace(soak_wl_thread_t *t, la_life_t *l, la_slot_t *s, uint32_t idx,
		      size_t size, uint64_t seed)
{
	void *old = s->p, *p;
	if (old) {
		int rc = la_free_checked(t, l, s, seed);
		if (rc)
			return rc;
		SOAK_WL_TIMED(t, { free(old); p = malloc(size); });
	} else {
		SOAK_WL_TIMED(t, p = malloc(size));
	}
	s->p = NULL;
	if (__builtin_expect(!p, 0))
		return soak_wl_nomem(t, size);
	s->p = p;
	s->size = size;
	s->tag = ((uint64_t)idx << 40) ^ l->seq++;
	s->gen = l->gen;
	soak_wl_fill(p, size, soak_wl_pattern(seed, s->tag, size));
	soak_wl_got(t, p, size);
	t->ops++;
	return 0;
}

static void *la_life_main(void *arg)
{
	la_life_t *l = arg;
	soak_wl_ctx_t *ctx = l->ctx;
	soak_wl_thread_t *t = l->t;
	const uint32_t nb = (uint32_t)ctx->opt[LA_BLOCKS].u;
	const uint64_t seed = ctx->opt[LA_SEED].u, life = ctx->opt[LA_LIFE].u;
	const size_t min = ctx->opt[LA_MIN].u;
	const soak_wl_mod32_t fnb = soak_wl_mod32_init(nb);
	const soak_wl_mod32_t frange = soak_wl_mod32_init((uint32_t)(ctx->opt[LA_MAX].u - min + 1));
	soak_wl_live_thread(true);
	/* The first life fills the slice in order, as the original's warm-up. */
	for (uint32_t i = 0; i < nb && !l->rc; i++)
		if (!l->slice[i].p)
			l->rc = la_replace(t, l, &l->slice[i], i,
					   min + soak_wl_mod32(frange, (uint32_t)soak_wl_rand64(&l->rng)), seed);
	for (uint64_t done = 0; !l->rc && done < life;) {
		for (unsigned k = 0; k < SOAK_WL_BATCH && done < life && !l->rc; k++, done++) {
			uint64_t r = soak_wl_rand64(&l->rng);
			uint32_t idx = soak_wl_mod32(fnb, (uint32_t)r);
			l->rc = la_replace(t, l, &l->slice[idx], idx,
					   min + soak_wl_mod32(frange, (uint32_t)(r >> 32)), seed);
		}
		if (soak_wl_tick(t)) {
			l->stop = true;
			break;
		}
	}
	soak_wl_live_thread(false);
	return NULL;
}

/* After every thread stopped: the main thread frees every slice, settled
 * into each slice's worker slot; these frees are remote like any other
 * life's (the blocks were allocated by threads of the chains). */
static int la_drain(soak_wl_ctx_t *ctx, la_state_t *st, unsigned tid)
{
	const uint32_t nb = (uint32_t)ctx->opt[LA_BLOCKS].u;
	soak_wl_thread_t t;
	soak_wl_thread_init(&t, ctx, tid);
	t.ops = ctx->shm->thr[tid].ops;
	t.bytes_live = ctx->shm->thr[tid].bytes_live;
	t.bytes_usable = ctx->shm->thr[tid].bytes_usable;
	la_life_t l = { ctx, &t, st->slots + (size_t)tid * nb, 0, 0, UINT64_MAX, 0, false, 0 };
	int rc = 0;
	for (uint32_t i = 0; i < nb && !rc; i++) {
		la_slot_t *s = &l.slice[i];
		if (!s->p)
			continue;
		if ((rc = la_free_checked(&t, &l, s, ctx->opt[LA_SEED].u)) == 0) {
			free(s->p);
			s->p = NULL;
		}
	}
	st->remote[tid * 8] += l.remote;
	soak_wl_publish(&t);
	return rc;
}

static int la_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	la_state_t *st = ctx->priv;
	const uint32_t nb = (uint32_t)ctx->opt[LA_BLOCKS].u;
	const uint64_t seed = ctx->opt[LA_SEED].u;
	la_life_t l = { ctx, t, st->slots + (size_t)t->tid * nb, soak_wl_mix(seed ^ (0x1a25011ULL + t->tid)),
			0, (uint64_t)t->tid << 40, 0, false, 0 };
	soak_wl_live_thread(false); /* pthread_create's own allocations are not the workload's */
	while (!l.rc && !l.stop && !soak_wl_stop_requested(ctx)) {
		pthread_t th;
		l.gen++;
		int e = pthread_create(&th, NULL, la_life_main, &l);
		if (e) {
			l.rc = soak_wl_error(ctx, "larson: cannot start a thread: %s", strerror(e));
			break;
		}
		pthread_join(th, NULL);
	}
	soak_wl_live_thread(true);
	st->remote[t->tid * 8] = l.remote;
	soak_wl_publish(t);
	return l.rc;
}

static int la_teardown(soak_wl_ctx_t *ctx)
{
	la_state_t *st = ctx->priv;
	if (!st)
		return 0;
	uint64_t remote = 0;
	for (unsigned i = 0; i < ctx->nthreads; i++) {
		int rc = la_drain(ctx, st, i);
		if (rc)
			return rc;
		remote += st->remote[i * 8];
	}
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return soak_wl_live_check_remote(ctx, remote);
}

const soak_workload_t soak_wl_larson = {
	.name = "larson",
	.summary = "server pattern: threads replace random blocks of their slice; retiring threads hand slices to new threads (cross-thread frees, thread exit)",
	.origin = "Larson & Krishnan 1998 (larson in mimalloc-bench: 8..1000 bytes, slices of 5000 blocks)",
	.op = "one slot replacement: free of the old block and malloc of a new one (a malloc alone while a slice fills); the timed part is the two calls",
	.opts = la_opts,
	.n_opts = sizeof(la_opts) / sizeof(la_opts[0]),
	.supported = la_supported,
	.setup = la_setup,
	.run = la_run,
	.teardown = la_teardown,
};
