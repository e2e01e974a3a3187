/*
 * wl-spin.c - the control workload: fixed CPU work per operation and no
 * allocation at all, so its throughput varies only with the host (CPU
 * frequency, neighbours on shared cores, the hypervisor), never with the
 * allocator. `soakctl calibrate` runs it to measure the host's noise floor
 * (per-interval CV and drift at the sampling interval) and `compare
 * --control` interleaves it with the allocators (docs/compare-gate.md).
 *
 * One op = `work` rounds of a xorshift64* step on a register, with a data
 * dependency from round to round (the compiler cannot fold or vectorise it;
 * the result is kept live through an asm barrier). Nothing touches memory
 * beyond the stack, so cache and TLB effects of the allocator are absent by
 * construction.
 */
#include "workload.h"

enum { SP_WORK, SP_SEED };

static const soak_wl_opt_t sp_opts[] = {
	[SP_WORK] = { "work", SOAK_OPT_U64, "64", 1, 1 << 24, "xorshift rounds per operation (64: about 0.1 µs)", NULL },
	[SP_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "start value of the xorshift state", NULL },
};

static int sp_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
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

const soak_workload_t soak_wl_spin = {
	.name = "spin",
	.summary = "control: fixed CPU work per op, no allocation; measures the host's noise floor (soakctl calibrate)",
	.origin = "issue 10: the host's noise, measured (stress-ng's 'metrics untrustworthy' idea)",
	.op = "work rounds of a xorshift64* step in registers (no memory, no allocation)",
	.opts = sp_opts,
	.n_opts = sizeof(sp_opts) / sizeof(sp_opts[0]),
	.run = sp_run,
};
