/*
 * wl-spin.c - the control workload: a fixed operation that never calls the
 * allocator, so its throughput varies only with the host (CPU frequency,
 * neighbours on shared cores and caches, the hypervisor), never with the
 * allocator. `soakctl calibrate` runs it to measure the host's noise floor
 * (per-interval CV and drift at the sampling interval) and `compare
 * --control` interleaves it with the allocators (docs/compare-gate.md).
 *
 * Two patterns (--pattern):
 *  - slots (default): random_mixed's access pattern without an allocator. A
 *    slot array of `ws` entries; each op draws r from xorshift32 and picks
 *    slot r % ws: an occupied slot is "freed" (its block's first 8 bytes are
 *    read), an empty one gets min-size + r % range bytes from a bump pointer
 *    over a fixed 1 MiB arena (mapped once, wrapping) and an 8-byte write. The
 *    same unpredictable branch, the same cache footprint as random_mixed's
 *    slots and small blocks: host noise that hits an allocator workload
 *    (a busy SMT sibling or cache neighbour) hits this control as well. Measured
 *    on the 2-core VM: random_mixed under glibc varied 43-60 M ops/s from second
 *    to second while the alu pattern held within 2%; interleaved 250 ms slices
 *    of this pattern correlated 0.70 with random_mixed's (docs/compare-gate.md).
 *  - alu: `work` rounds of a xorshift64* step in registers with a data
 *    dependency from round to round; nothing touches memory beyond the stack,
 *    so it feels frequency and CPU time stolen, not cache or branch contention.
 *
 * Neither pattern allocates after start: the slot array and the arena come
 * from soak_wl_meta_alloc() (mmap).
 */
#include "workload.h"

enum { SP_PATTERN, SP_WORK, SP_WS, SP_SEED };

#define SP_ARENA (1u << 20)

static const soak_wl_opt_t sp_opts[] = {
	[SP_PATTERN] = { "pattern", SOAK_OPT_STR, "slots", 0, 0,
			 "slots: random_mixed's slot pattern on a fixed arena, no allocator; alu: register work only",
			 "slots|alu" },
	[SP_WORK] = { "work", SOAK_OPT_U64, "64", 1, 1 << 24, "alu: xorshift rounds per operation (64: about 0.1 µs)", NULL },
	[SP_WS] = { "ws", SOAK_OPT_U64, "400", 1, 1 << 16, "slots: slots in the working set (blocks of 16..1040 bytes)", NULL },
	[SP_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "start value of the xorshift state", NULL },
};

typedef struct {
	uint32_t off; /* block offset in the arena */
	uint32_t used;
} sp_slot_t;

static int sp_run_alu(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint64_t work = ctx->opt[SP_WORK].u;
	uint64_t x = (ctx->opt[SP_SEED].u | 1) ^ ((uint64_t)t->tid << 32);
	for (;;) {
		for (unsigned b = 0; b < SOAK_WL_BATCH; b++) {
			SOAK_WL_TIMED(t, {
				for (uint64_t i = 0; i < work; i++) {
					x ^= x >> 12;
					x ^= x << 25;
					x ^= x >> 27;
					x *= 0x2545f4914f6cdd1dull;
				}
				__asm__ volatile("" : "+r"(x));
			});
			t->ops++;
		}
		if (soak_wl_tick(t))
			break;
	}
	soak_wl_publish(t);
	return 0;
}

static int sp_run_slots(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint32_t ws = (uint32_t)ctx->opt[SP_WS].u;
	const soak_wl_mod32_t fws = soak_wl_mod32_init(ws), frange = soak_wl_mod32_init(1025);
	uint32_t r = (uint32_t)soak_wl_mix(ctx->opt[SP_SEED].u + t->tid) | 1; /* never xorshift's 0 */
	size_t meta = ws * sizeof(sp_slot_t);
	sp_slot_t *slots = soak_wl_meta_alloc(meta);
	unsigned char *arena = soak_wl_meta_alloc(SP_ARENA);
	if (!slots || !arena) {
		if (slots)
			soak_wl_meta_free(slots, meta);
		return soak_wl_error(ctx, "spin: cannot map %zu bytes of slots and arena", meta + SP_ARENA);
	}
	uint32_t bump = 0;
	uint64_t left = t->lat_left, acc = 0;
	for (;;) {
		for (unsigned k = 0; k < SOAK_WL_BATCH; k++) {
			r ^= r << 13;
			r ^= r >> 17;
			r ^= r << 5;
			sp_slot_t *s = &slots[soak_wl_mod32(fws, r)];
			SOAK_WL_TIMED_LOCAL(t, left, {
				if (s->used) {
					uint64_t v;
					memcpy(&v, arena + s->off, 8);
					acc += v;
					s->used = 0;
				} else {
					uint32_t sz = 16 + soak_wl_mod32(frange, r);
					if (bump + sz > SP_ARENA)
						bump = 0;
					s->off = bump;
					bump += (sz + 15) & ~15u;
					memcpy(arena + s->off, &r, sizeof(r));
					s->used = 1;
				}
			});
		}
		__asm__ volatile("" : "+r"(acc));
		t->ops += SOAK_WL_BATCH;
		t->lat_left = left;
		if (soak_wl_tick(t))
			break;
		left = t->lat_left;
	}
	soak_wl_publish(t);
	soak_wl_meta_free(arena, SP_ARENA);
	soak_wl_meta_free(slots, meta);
	return 0;
}

static int sp_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	return strcmp(ctx->opt[SP_PATTERN].s, "alu") ? sp_run_slots(ctx, t) : sp_run_alu(ctx, t);
}

const soak_workload_t soak_wl_spin = {
	.name = "spin",
	.summary = "control: a fixed op that never calls the allocator (random_mixed's slot pattern on a fixed arena, or "
		   "register work); measures the host's noise floor (soakctl calibrate)",
	.origin = "the suite's host-noise control (stress-ng's 'metrics untrustworthy' idea)",
	.op = "slots: one slot of random_mixed's pattern, filled from a fixed arena or emptied, no allocator; alu: work "
	      "rounds of a xorshift64* step in registers",
	.opts = sp_opts,
	.n_opts = sizeof(sp_opts) / sizeof(sp_opts[0]),
	.run = sp_run,
};
