/*
 * wl-leak.c - the positive control for RSS drift: allocates `rate` bytes per
 * second in `chunk`-byte blocks, writes every page, and never frees them.
 * Pacing follows the clock (chunk i is due at start + i * chunk / rate), so
 * RSS grows linearly whatever the allocator; --total caps it (then the worker
 * holds the memory and idles until stopped: a fixed-size footprint).
 *
 * The chunks form a list through their second word (the first and last 8
 * bytes carry the pattern); at stop every chunk's head and tail pattern is
 * checked. Nothing is freed: the process exit returns it.
 */
#include "workload.h"

enum { LK_RATE, LK_CHUNK, LK_TOTAL, LK_SEED };

static const soak_wl_opt_t lk_opts[] = {
	[LK_RATE] = { "rate", SOAK_OPT_SIZE, "8M", 1, 1099511627776.0, "bytes leaked per second", NULL },
	[LK_CHUNK] = { "chunk", SOAK_OPT_SIZE, "64K", 64, 1073741824.0, "bytes per allocation", NULL },
	[LK_TOTAL] = { "total", SOAK_OPT_SIZE, "0", 0, 18446744073709551615.0,
		      "stop allocating after this many bytes and hold them (0 = never stop)", NULL },
	[LK_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "pattern seed", NULL },
};

#define LK_LINK_OFF 8

static int lk_verify_all(soak_wl_thread_t *t, unsigned char *head, size_t chunk, uint64_t seed, uint64_t n)
{
	for (unsigned char *c = head; c; n--) {
		uint64_t pat = soak_wl_pattern(seed, n - 1, chunk);
		/* Head and tail only: the page words would read every leaked page
		 * back in, and stop must stay prompt. */
		size_t off = soak_wl_check(c, chunk, pat);
		if (off != SIZE_MAX)
			return soak_wl_fail_block(t, c, chunk, off, "leaked");
		memcpy(&c, c + LK_LINK_OFF, sizeof(c));
	}
	return 0;
}

static int lk_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const size_t chunk = ctx->opt[LK_CHUNK].u;
	const double rate = (double)ctx->opt[LK_RATE].u;
	const uint64_t total = ctx->opt[LK_TOTAL].u;
	const uint64_t seed = ctx->opt[LK_SEED].u;
	const uint64_t start = soak_clock_mono_ns();
	unsigned char *head = NULL;
	uint64_t n = 0;
	for (;;) {
		if (soak_wl_tick(t))
			break;
		if (total && (n + 1) * chunk > total) {
			if (soak_wl_sleep_ns(t, 100 * 1000 * 1000))
				break;
			continue;
		}
		uint64_t due = start + (uint64_t)((double)n * (double)chunk / rate * 1e9);
		uint64_t now = soak_clock_mono_ns();
		if (now < due) {
			if (soak_wl_sleep_ns(t, due - now))
				break;
			continue;
		}
		unsigned char *c;
		SOAK_WL_TIMED(t, c = malloc(chunk));
		if (!c) {
			soak_wl_publish(t);
			return soak_wl_nomem(t, chunk);
		}
		uint64_t pat = soak_wl_pattern(seed, n, chunk);
		soak_wl_touch_pages(c, chunk, pat);
		soak_wl_fill(c, chunk, pat);
		memcpy(c + LK_LINK_OFF, &head, sizeof(head));
		head = c;
		n++;
		t->ops++;
		soak_wl_got(t, c, chunk);
	}
	soak_wl_publish(t);
	return lk_verify_all(t, head, chunk, seed, n);
}

const soak_workload_t soak_wl_leak = {
	.name = "leak",
	.summary = "allocates and touches rate bytes per second in chunk-byte blocks and never frees them (RSS drift control)",
	.origin = "the suite's own positive control for RSS drift (a planted leak)",
	.op = "one chunk allocated (malloc timed; every page then written)",
	.lat_every_max = 1,
	.opts = lk_opts,
	.n_opts = sizeof(lk_opts) / sizeof(lk_opts[0]),
	.run = lk_run,
};
