/*
 * wl-random-mixed.c - hakmem's bench_random_mixed, the workload of hakmem's
 * published 5-minute soaks: a slot array of `ws` entries; each op draws r from
 * xorshift32, picks slot r % ws, frees it when occupied, else mallocs
 * min-size + r % (max-size - min-size + 1) bytes and writes the first byte.
 *
 * Verification stays as cheap as hakmem's first-byte write: the first 8 bytes
 * (one store, same cache line) hold a pattern from seed, slot and size, checked
 * before free. Sizes live next to the pointers in the slot array (16 bytes a
 * slot, so ws = 400 is 6.4 KiB: L1-resident like hakmem's pointer array).
 */
#include "workload.h"

enum { RM_WS, RM_MIN, RM_MAX, RM_SEED, RM_THREADS };

static const soak_wl_opt_t rm_opts[] = {
	[RM_WS] = { "ws", SOAK_OPT_U64, "400", 1, 1 << 24, "slots in the working set", NULL },
	[RM_MIN] = { "min-size", SOAK_OPT_SIZE, "16", 1, 1 << 30, "smallest allocation (bytes)", NULL },
	[RM_MAX] = { "max-size", SOAK_OPT_SIZE, "1040", 1, 1 << 30, "largest allocation (bytes)", NULL },
	[RM_SEED] = { "seed", SOAK_OPT_U64, "0x12345678", 0, 4294967295.0,
		     "xorshift32 seed of thread 0 (0 means the default); thread i uses a derived seed", NULL },
	[RM_THREADS] = { "threads", SOAK_OPT_U64, "1", 1, SOAK_MAX_THREADS,
			"threads, each with its own slot array", NULL },
};

typedef struct {
	unsigned char *p;
	size_t size;
} rm_slot_t;

static int rm_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (ctx->opt[RM_MIN].u > ctx->opt[RM_MAX].u) {
		snprintf(why, len, "random_mixed: --min-size %llu is larger than --max-size %llu",
			 (unsigned long long)ctx->opt[RM_MIN].u, (unsigned long long)ctx->opt[RM_MAX].u);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static uint32_t rm_thread_seed(uint64_t seed, unsigned tid)
{
	uint32_t s = (uint32_t)seed;
	if (!s)
		s = 0x12345678u;
	if (tid)
		s = (uint32_t)soak_wl_mix(s + (uint64_t)tid * 0x9e3779b97f4a7c15ULL);
	return s ? s : 0x12345678u; /* 0 is xorshift's fixed point */
}

static inline uint64_t rm_slot_pat(uint64_t seedmix, uint32_t idx, size_t size)
{
	/* One multiply-xor: this runs on every op. */
	return seedmix ^ ((uint64_t)idx * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)size << 44);
}

static int rm_drain(soak_wl_thread_t *t, rm_slot_t *slots, uint32_t ws, uint64_t seedmix)
{
	for (uint32_t i = 0; i < ws; i++) {
		if (!slots[i].p)
			continue;
		uint64_t pat = rm_slot_pat(seedmix, i, slots[i].size);
		if (memcmp(slots[i].p, &pat, slots[i].size < 8 ? slots[i].size : 8))
			return soak_wl_fail_block(t, slots[i].p, slots[i].size, 0, "slot");
		soak_wl_gone(t, slots[i].p, slots[i].size);
		free(slots[i].p);
		slots[i].p = NULL;
	}
	return 0;
}

/* The hot loop's bytes_live adds; a benchmark build (-DSOAK_BENCH_NO_LIVE=ON)
 * leaves them out so that scripts/bench-live-bytes.sh can measure their cost. */
#ifdef SOAK_BENCH_NO_LIVE
#define RM_LIVE(stmt) ((void)0)
#else
#define RM_LIVE(stmt) (stmt)
#endif

/* The hot loop: one batch of SOAK_WL_BATCH ops. Counters live in locals
 * (registers) and go back to *t once per batch. `small` and `usable` are
 * compile-time constants after inlining: whether sizes below 8 bytes are
 * possible, and whether bytes_usable is counted (a malloc_usable_size call per
 * op; without it the loop has no trace of it). */
static inline __attribute__((always_inline)) int
rm_batch(soak_wl_thread_t *t, rm_slot_t *slots, soak_wl_mod32_t ws, size_t min, soak_wl_mod32_t range,
	 uint64_t seedmix, uint32_t *rp, bool small, bool usable)
{
	uint32_t r = *rp;
	uint64_t left = t->lat_left, live = t->bytes_live, use = t->bytes_usable;
	size_t (*usz)(void *) = t->usable_size;
	int rc = 0;
	for (unsigned k = 0; k < SOAK_WL_BATCH; k++) {
		r ^= r << 13;
		r ^= r >> 17;
		r ^= r << 5;
		uint32_t idx = soak_wl_mod32(ws, r);
		rm_slot_t *s = &slots[idx];
		if (s->p) {
			size_t sz = s->size;
			uint64_t pat = rm_slot_pat(seedmix, idx, sz), got;
			bool bad;
			if (small && sz < 8) {
				bad = memcmp(s->p, &pat, sz) != 0;
			} else {
				memcpy(&got, s->p, 8);
				bad = got != pat;
			}
			if (__builtin_expect(bad, 0)) {
				rc = soak_wl_fail_block(t, s->p, sz, 0, "slot");
				break;
			}
			if (usable)
				use -= usz(s->p);
			SOAK_WL_TIMED_LOCAL(t, left, free(s->p));
			s->p = NULL;
			RM_LIVE(live -= sz);
		} else {
			size_t sz = min + soak_wl_mod32(range, r);
			unsigned char *p;
			SOAK_WL_TIMED_LOCAL(t, left, p = malloc(sz));
			if (__builtin_expect(!p, 0)) {
				rc = soak_wl_nomem(t, sz);
				break;
			}
			uint64_t pat = rm_slot_pat(seedmix, idx, sz);
			if (small && sz < 8)
				memcpy(p, &pat, sz);
			else
				memcpy(p, &pat, 8);
			s->p = p;
			s->size = sz;
			RM_LIVE(live += sz);
			if (usable)
				use += usz(p);
		}
	}
	*rp = r;
	t->lat_left = left;
	t->bytes_live = live;
	t->bytes_usable = use;
	return rc;
}

static int rm_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const uint32_t ws = (uint32_t)ctx->opt[RM_WS].u;
	const size_t min = ctx->opt[RM_MIN].u;
	const uint64_t range = ctx->opt[RM_MAX].u - min + 1; /* <= 2^30 by the bounds */
	const uint64_t seedmix = soak_wl_mix(ctx->opt[RM_SEED].u + t->tid);
	const soak_wl_mod32_t fws = soak_wl_mod32_init(ws), frange = soak_wl_mod32_init((uint32_t)range);
	uint32_t r = rm_thread_seed(ctx->opt[RM_SEED].u, t->tid);
	size_t meta = ws * sizeof(rm_slot_t);
	rm_slot_t *slots = soak_wl_meta_alloc(meta);
	if (!slots)
		return soak_wl_error(ctx, "random_mixed: cannot map %zu bytes of slots", meta);
	int rc = 0;
	for (;;) {
		if (t->usable_size)
			rc = min >= 8 ? rm_batch(t, slots, fws, min, frange, seedmix, &r, false, true)
				      : rm_batch(t, slots, fws, min, frange, seedmix, &r, true, true);
		else
			rc = min >= 8 ? rm_batch(t, slots, fws, min, frange, seedmix, &r, false, false)
				      : rm_batch(t, slots, fws, min, frange, seedmix, &r, true, false);
		if (rc)
			goto out;
		t->ops += SOAK_WL_BATCH;
		if (soak_wl_tick(t))
			break;
	}
	rc = rm_drain(t, slots, ws, seedmix);
	soak_wl_publish(t);
out:
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(slots, meta);
	return rc;
}

const soak_workload_t soak_wl_random_mixed = {
	.name = "random_mixed",
	.summary = "slot array of ws entries; each op frees an occupied slot or mallocs min..max bytes into an empty one",
	.origin = "hakmem bench_random_mixed (its 5-minute soaks: ws=400, 16..1040 bytes)",
	.op = "one malloc (plus its 8-byte pattern write) or one free (after the pattern check); the timed part is the malloc or free call",
	.opts = rm_opts,
	.n_opts = sizeof(rm_opts) / sizeof(rm_opts[0]),
	.supported = rm_supported,
	.run = rm_run,
};
