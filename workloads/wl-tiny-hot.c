/*
 * wl-tiny-hot.c - one small size, malloc/free in a hot LIFO loop: allocate
 * `depth` blocks, then free them newest first, forever. The allocator's
 * fastest path (thread cache / free list head) and nothing else: its cost
 * per op is the floor every other workload stands on.
 */
#include "workload.h"

enum { TH_SIZE, TH_DEPTH, TH_SEED };

static const soak_wl_opt_t th_opts[] = {
	[TH_SIZE] = { "size", SOAK_OPT_SIZE, "32", 1, 65536, "allocation size (bytes)", NULL },
	[TH_DEPTH] = { "depth", SOAK_OPT_U64, "1", 1, 65536, "blocks held before freeing them LIFO", NULL },
	[TH_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "pattern seed", NULL },
};

static int th_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const size_t size = ctx->opt[TH_SIZE].u;
	const uint32_t depth = (uint32_t)ctx->opt[TH_DEPTH].u;
	size_t meta = depth * (sizeof(void *) + sizeof(uint64_t));
	void **stack = soak_wl_meta_alloc(meta);
	if (!stack)
		return soak_wl_error(ctx, "tiny_hot: cannot map %zu bytes of metadata", meta);
	uint64_t *pat = (uint64_t *)(stack + depth);
	for (uint32_t i = 0; i < depth; i++)
		pat[i] = soak_wl_pattern(ctx->opt[TH_SEED].u, ((uint64_t)t->tid << 32) | i, size);
	int rc = 0;
	uint32_t top = 0;
	uint64_t since = 0;
	for (;;) {
		/* One round: depth mallocs then depth frees (2 * depth ops). */
		for (; top < depth; top++) {
			void *p;
			SOAK_WL_TIMED(t, p = malloc(size));
			if (__builtin_expect(!p, 0)) {
				rc = soak_wl_nomem(t, size);
				goto out;
			}
			soak_wl_fill(p, size, pat[top]);
			stack[top] = p;
			soak_wl_got(t, p, size);
		}
		while (top > 0) {
			void *p = stack[--top];
			size_t off = soak_wl_check(p, size, pat[top]);
			if (__builtin_expect(off != SIZE_MAX, 0)) {
				rc = soak_wl_fail_block(t, p, size, off, "LIFO");
				goto out;
			}
			soak_wl_gone(t, p, size);
			SOAK_WL_TIMED(t, free(p));
		}
		t->ops += 2ull * depth;
		since += 2ull * depth;
		if (since >= SOAK_WL_BATCH) {
			since = 0;
			if (soak_wl_tick(t))
				break;
		}
	}
out:
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(stack, meta);
	return rc;
}

const soak_workload_t soak_wl_tiny_hot = {
	.name = "tiny_hot",
	.summary = "one small size, malloc/free in a hot LIFO loop (depth blocks, freed newest first)",
	.origin = "common allocator microbenchmark: the fast path (thread cache hit) in isolation",
	.op = "one malloc or one free; the timed part is the call",
	.opts = th_opts,
	.n_opts = sizeof(th_opts) / sizeof(th_opts[0]),
	.run = th_run,
};
