/*
 * wl-xmalloc.c - producers allocate, consumers free (xmalloc-test's
 * pattern): the threads form pairs; the even thread of a pair only mallocs
 * and pushes each block into the pair's single-producer/single-consumer ring,
 * the odd thread only pops and frees. Every free is remote: the allocator
 * must return memory to a heap owned by another thread, all the time.
 *
 * The producer allocates only when the ring has room (so it never holds a
 * block it cannot hand over); a full ring or an empty one makes its side spin
 * a little, then yield the CPU. Blocks left in the rings at stop are checked
 * and freed in teardown by a thread started for it: every free stays remote
 * (the main thread runs thread 0, a producer, so it must not free them).
 *
 * bytes_live: the producer counts every block it pushed that is not freed
 * yet. The consumer adds the sizes (and usable sizes) it frees to the ring's
 * `freed` words; the producer subtracts the growth before each publication,
 * and quiesce() settles the rest after the threads stop. The consumer's count
 * stays 0. The ring and its settlement are ring.h's.
 */
#include "workload.h"
#include "livecheck.h"
#include "ring.h"

#include <pthread.h>
#include <sched.h>

enum { XM_THREADS, XM_MIN, XM_MAX, XM_RING, XM_SEED };

static const soak_wl_opt_t xm_opts[] = {
	[XM_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads, an even number: pairs of one producer and one consumer "
			 "(default 0: the CPUs the run's cgroup allows, rounded up to whole pairs)", NULL },
	[XM_MIN] = { "min-size", SOAK_OPT_SIZE, "8", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[XM_MAX] = { "max-size", SOAK_OPT_SIZE, "128", 1, 1 << 30, "largest allocation (bytes)", NULL },
	[XM_RING] = { "ring", SOAK_OPT_U64, "4096", 2, 1 << 20,
		      "blocks in flight between a producer and its consumer (rounded up to a power of 2)", NULL },
	[XM_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "size and pattern seed", NULL },
};

typedef struct {
	soak_ring_t *pair;
	uint64_t mask;
	size_t meta;
} xm_state_t;

static int xm_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[XM_MIN].u > ctx->opt[XM_MAX].u) {
		snprintf(why, len, "xmalloc: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[XM_MIN].u, (unsigned long long)ctx->opt[XM_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (ctx->threads_auto && ctx->nthreads % 2) {
		/* the cgroup's CPUs, odd: one more thread makes the last pair */
		ctx->nthreads = ctx->nthreads + 1 > SOAK_MAX_THREADS ? ctx->nthreads - 1 : ctx->nthreads + 1;
		size_t l = strlen(ctx->shm->threads_how);
		snprintf(ctx->shm->threads_how + l, sizeof(ctx->shm->threads_how) - l, "; %u for whole pairs",
			 ctx->nthreads);
	}
	if (ctx->nthreads % 2) {
		snprintf(why, len, "xmalloc: --threads %u is odd; give an even number "
			 "(pairs of one producer and one consumer)", ctx->nthreads);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int xm_setup(soak_wl_ctx_t *ctx)
{
	uint64_t cap = soak_ring_cap(ctx->opt[XM_RING].u);
	unsigned np = ctx->nthreads / 2;
	size_t meta = soak_ring_meta_size(sizeof(xm_state_t), np, cap);
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "xmalloc: cannot map %zu bytes of rings", meta);
	xm_state_t *st = (xm_state_t *)m;
	st->meta = meta;
	st->mask = cap - 1;
	st->pair = soak_ring_layout(m, sizeof(xm_state_t), np, cap);
	ctx->priv = st;
	return 0;
}

/* Spin a little, then give the CPU away (the other side must run). */
static void xm_wait(unsigned *spins)
{
	if (++*spins & 63)
		__builtin_ia32_pause();
	else
		sched_yield();
}

static int xm_produce(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, soak_ring_t *q, uint64_t mask)
{
	const uint64_t seed = ctx->opt[XM_SEED].u;
	const size_t min = ctx->opt[XM_MIN].u;
	const soak_wl_mod32_t frange = soak_wl_mod32_init((uint32_t)(ctx->opt[XM_MAX].u - min + 1));
	uint64_t rng = soak_wl_mix(seed ^ (0x3a110cULL + t->tid)), in = q->tail;
	unsigned spins = 0, n = 0;
	for (;;) {
		if (in - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) > mask) {
			xm_wait(&spins);
			if ((spins & 1023) == 0 && (soak_ring_settle(t, q), soak_wl_tick(t)))
				return 0;
			continue;
		}
		soak_ring_item_t it = { NULL, min + soak_wl_mod32(frange, (uint32_t)soak_wl_rand64(&rng)),
					((uint64_t)t->tid << 48) | in };
		SOAK_WL_TIMED(t, it.p = malloc(it.size));
		if (__builtin_expect(!it.p, 0))
			return soak_wl_nomem(t, it.size);
		soak_wl_fill(it.p, it.size, soak_wl_pattern(seed, it.tag, it.size));
		/* Counted before the push: the consumer may free it at once. */
		soak_wl_got(t, it.p, it.size);
		q->slot[in & mask] = it;
		__atomic_store_n(&q->tail, ++in, __ATOMIC_RELEASE);
		t->ops++;
		if (++n == SOAK_WL_BATCH) {
			n = 0;
			soak_ring_settle(t, q);
			if (soak_wl_tick(t))
				return 0;
		}
	}
}

static int xm_consume(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, soak_ring_t *q, uint64_t mask)
{
	const uint64_t seed = ctx->opt[XM_SEED].u;
	unsigned spins = 0;
	uint64_t since = 0;
	for (;;) {
		int64_t n = soak_ring_drain(t, q, mask, seed, SOAK_WL_BATCH);
		if (n < 0)
			return (int)-n;
		if (n == 0)
			xm_wait(&spins);
		since += n;
		if (since >= SOAK_WL_BATCH || (n == 0 && (spins & 1023) == 0)) {
			since = 0;
			if (soak_wl_tick(t))
				return 0;
		}
	}
}

static int xm_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	xm_state_t *st = ctx->priv;
	soak_ring_t *q = &st->pair[t->tid / 2];
	int rc = t->tid % 2 ? xm_consume(ctx, t, q, st->mask) : xm_produce(ctx, t, q, st->mask);
	if (t->tid % 2 == 0)
		soak_ring_settle(t, q);
	soak_wl_publish(t);
	return rc;
}

/* After the threads stopped: a consumer may have freed blocks after its
 * producer's last publication. */
static int xm_quiesce(soak_wl_ctx_t *ctx)
{
	xm_state_t *st = ctx->priv;
	soak_wl_thread_t t;
	for (unsigned i = 0; st && i < ctx->nthreads; i += 2) {
		soak_ring_load(ctx, &t, i);
		soak_ring_settle(&t, &st->pair[i / 2]);
		soak_wl_publish(&t);
	}
	return 0;
}

typedef struct {
	soak_wl_ctx_t *ctx;
	uint64_t frees;
	int rc;
} xm_drain_t;

/* Free what is left in the rings (counted as each pair's consumer's ops,
 * settled into its producer). */
static void *xm_drain_main(void *arg)
{
	xm_drain_t *d = arg;
	soak_wl_ctx_t *ctx = d->ctx;
	xm_state_t *st = ctx->priv;
	soak_wl_thread_t c, p;
	for (unsigned i = 0; i < ctx->nthreads && !d->rc; i += 2) {
		soak_ring_t *q = &st->pair[i / 2];
		soak_ring_load(ctx, &c, i + 1);
		int64_t n = soak_ring_drain(&c, q, st->mask, ctx->opt[XM_SEED].u, UINT64_MAX);
		soak_wl_publish(&c);
		if (n < 0)
			d->rc = (int)-n;
		soak_ring_load(ctx, &p, i);
		soak_ring_settle(&p, q);
		soak_wl_publish(&p);
		d->frees += q->frees;
	}
	return NULL;
}

/* On a thread of its own, so no block is freed by the thread that allocated
 * it; then hold the count of remote frees (every free) to the counting
 * library in tests. */
static int xm_teardown(soak_wl_ctx_t *ctx)
{
	xm_state_t *st = ctx->priv;
	if (!st)
		return 0;
	xm_drain_t d = { ctx, 0, 0 };
	pthread_t th;
	int e = pthread_create(&th, NULL, xm_drain_main, &d);
	if (e)
		return soak_wl_error(ctx, "xmalloc: cannot start the thread that empties the rings: %s", strerror(e));
	pthread_join(th, NULL);
	if (d.rc)
		return d.rc;
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return soak_wl_live_check_remote(ctx, d.frees);
}

const soak_workload_t soak_wl_xmalloc = {
	.name = "xmalloc",
	.summary = "pairs of threads: one only mallocs, the other only frees what it receives (every free is remote)",
	.origin = "xmalloc-test (producer/consumer allocator test, in mimalloc-bench)",
	.op = "one malloc (producer) or one free (consumer); the timed part is the call",
	.opts = xm_opts,
	.n_opts = sizeof(xm_opts) / sizeof(xm_opts[0]),
	.supported = xm_supported,
	.setup = xm_setup,
	.run = xm_run,
	.quiesce = xm_quiesce,
	.teardown = xm_teardown,
};
