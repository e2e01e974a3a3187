/*
 * wl-cache-scratch.c - passive false sharing (Hoard's cache-scratch): the
 * main thread mallocs one small object per thread, back to back (so a naive
 * allocator puts them on one cache line), and hands one to each thread. Each
 * thread frees the object it was given, then repeatedly mallocs an object of
 * the same size, writes it and frees it (cachewrite.h). An allocator that
 * reuses the freed object in the freeing thread keeps the threads on one
 * cache line for the whole run.
 *
 * The handed objects are allocated in setup with the counting library of the
 * tests counting them; each thread adds its object to its bytes_live when it
 * takes it, right before checking and freeing it. Its free is remote unless
 * the thread runs on the main thread (thread 0 does): the count is compared
 * with the counting library's in tests.
 */
#include "workload.h"
#include "cachewrite.h"
#include "livecheck.h"

#include <pthread.h>

enum { CS_THREADS, CS_SIZE, CS_WRITES, CS_SEED };

static const soak_wl_opt_t cs_opts[] = {
	[CS_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads (default 0: the CPUs the run's cgroup allows, recorded in the run)", NULL },
	[CS_SIZE] = { "size", SOAK_OPT_SIZE, "8", 1, 4096, "object size (bytes)", NULL },
	[CS_WRITES] = { "writes", SOAK_OPT_U64, "1000", 1, 1e9, "times each byte of an object is written", NULL },
	[CS_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "seed of the written values", NULL },
};

typedef struct {
	pthread_t owner;          /* the thread that ran setup */
	void **obj;               /* the handed objects, one per thread */
	uint64_t *remote;         /* per thread, one cache line apart: 1 if its free was remote */
	size_t meta;
} cs_state_t;

static int cs_setup(soak_wl_ctx_t *ctx)
{
	const size_t size = ctx->opt[CS_SIZE].u;
	unsigned n = ctx->nthreads;
	size_t meta = sizeof(cs_state_t) + n * sizeof(void *) + 64 + (size_t)n * 64;
	unsigned char *m = soak_wl_meta_alloc(meta);
	if (!m)
		return soak_wl_error(ctx, "cache_scratch: cannot map %zu bytes", meta);
	cs_state_t *st = (cs_state_t *)m;
	st->meta = meta;
	st->owner = pthread_self();
	st->obj = (void **)(m + sizeof(cs_state_t));
	st->remote = (uint64_t *)(((uintptr_t)(st->obj + n) + 63) & ~(uintptr_t)63);
	ctx->priv = st;
	const uint64_t salt = soak_wl_mix(ctx->opt[CS_SEED].u);
	soak_wl_live_thread(true);
	for (unsigned i = 0; i < n; i++) {
		st->obj[i] = malloc(size);
		if (!st->obj[i]) {
			soak_wl_live_thread(false);
			return soak_wl_error(ctx, "cache_scratch: malloc(%zu) returned NULL in setup", size);
		}
		soak_wl_cw_write(st->obj[i], size, 1, salt + i);
	}
	soak_wl_live_thread(false);
	return 0;
}

/* Take the handed object (one op: its check and free, timed). */
static int cs_take(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, cs_state_t *st)
{
	const size_t size = ctx->opt[CS_SIZE].u;
	void *p = st->obj[t->tid];
	soak_wl_got(t, p, size);
	size_t off = soak_wl_cw_check(p, size, 1, soak_wl_mix(ctx->opt[CS_SEED].u) + t->tid);
	if (off != SIZE_MAX)
		return soak_wl_fail_block(t, p, size, off, "handed");
	st->remote[t->tid * 8] = !pthread_equal(st->owner, pthread_self());
	soak_wl_gone(t, p, size);
	SOAK_WL_TIMED(t, free(p));
	st->obj[t->tid] = NULL;
	t->ops++;
	return 0;
}

static int cs_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	cs_state_t *st = ctx->priv;
	const size_t size = ctx->opt[CS_SIZE].u;
	const uint64_t writes = ctx->opt[CS_WRITES].u;
	const uint64_t salt = soak_wl_mix((ctx->opt[CS_SEED].u + 0x5c7a) ^ t->tid);
	const uint64_t per = soak_wl_cw_per_tick(size, writes);
	int rc = cs_take(ctx, t, st);
	if (rc)
		return rc;
	for (;;) {
		for (uint64_t k = 0; k < per; k++)
			if ((rc = soak_wl_cw_op(t, size, writes, salt)) != 0)
				return rc;
		if (soak_wl_tick(t))
			return 0;
	}
}

static int cs_teardown(soak_wl_ctx_t *ctx)
{
	cs_state_t *st = ctx->priv;
	if (!st)
		return 0;
	uint64_t remote = 0;
	for (unsigned i = 0; i < ctx->nthreads; i++)
		remote += st->remote[i * 8];
	soak_wl_meta_free(st, st->meta);
	ctx->priv = NULL;
	return soak_wl_live_check_remote(ctx, remote);
}

const soak_workload_t soak_wl_cache_scratch = {
	.name = "cache_scratch",
	.summary = "passive false sharing: each thread frees a small object the main thread allocated, then mallocs, writes and frees its own",
	.origin = "Hoard (Berger et al., 2000): cache-scratch, in mimalloc-bench",
	.op = "one object: malloc, every byte written `writes` times, checked, freed, timed as a whole (first op: the free of the handed object)",
	.lat_every_max = 16,
	.opts = cs_opts,
	.n_opts = sizeof(cs_opts) / sizeof(cs_opts[0]),
	.setup = cs_setup,
	.run = cs_run,
	.teardown = cs_teardown,
};
