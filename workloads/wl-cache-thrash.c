/*
 * wl-cache-thrash.c - active false sharing (Hoard's cache-thrash): every
 * thread repeatedly mallocs a small object, writes each of its bytes
 * `writes` times and frees it. The threads share nothing; an allocator that
 * hands concurrent threads objects on one cache line makes their writes
 * fight over that line, and the op rate shows it (cachewrite.h).
 */
#include "workload.h"
#include "cachewrite.h"

enum { CT_THREADS, CT_SIZE, CT_WRITES, CT_SEED };

static const soak_wl_opt_t ct_opts[] = {
	[CT_THREADS] = { "threads", SOAK_OPT_U64, "0", 0, SOAK_MAX_THREADS,
			 "threads (default 0: the CPUs the run's cgroup allows, recorded in the run)", NULL },
	[CT_SIZE] = { "size", SOAK_OPT_SIZE, "8", 1, 4096, "object size (bytes)", NULL },
	[CT_WRITES] = { "writes", SOAK_OPT_U64, "1000", 1, 1e9, "times each byte of an object is written", NULL },
	[CT_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "seed of the written values", NULL },
};

static int ct_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const size_t size = ctx->opt[CT_SIZE].u;
	const uint64_t writes = ctx->opt[CT_WRITES].u;
	const uint64_t salt = soak_wl_mix(ctx->opt[CT_SEED].u + t->tid);
	const uint64_t per = soak_wl_cw_per_tick(size, writes);
	for (;;) {
		for (uint64_t k = 0; k < per; k++) {
			int rc = soak_wl_cw_op(t, size, writes, salt);
			if (rc)
				return rc;
		}
		if (soak_wl_tick(t))
			return 0;
	}
}

const soak_workload_t soak_wl_cache_thrash = {
	.name = "cache_thrash",
	.summary = "active false sharing: threads malloc a small object, write it many times, free it",
	.origin = "Hoard (Berger et al., 2000): cache-thrash, in mimalloc-bench",
	.op = "one object: malloc, every byte written `writes` times, checked, freed; timed as a whole",
	.lat_every_max = 16,
	.opts = ct_opts,
	.n_opts = sizeof(ct_opts) / sizeof(ct_opts[0]),
	.run = ct_run,
};
