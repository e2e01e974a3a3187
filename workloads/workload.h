/*
 * workload.h - the workload contract inside the worker binary (soak-worker).
 *
 * A workload is a plugin: one wl-<name>.c exporting one soak_workload_t, listed
 * once in workloads/registry.c (SOAK_WORKLOADS). The worker's main (worker.c)
 * parses `soak-worker NAME [--opt VALUE ...]` against the workload's option
 * table, identifies the allocator (dladdr on malloc/free, into the shm header),
 * publishes READY, calls setup(), then run() on each thread, then teardown().
 *
 * Hot-loop rules: no system call for bookkeeping. A workload counts completed
 * operations in its soak_wl_thread_t and calls soak_wl_tick() every
 * SOAK_WL_BATCH operations or so (publishes ops/bytes_live with relaxed stores
 * and reads the stop flags with relaxed loads); it times 1 in latency_every
 * operations with SOAK_WL_TIMED() (a countdown: an untimed op costs one
 * decrement and a predicted branch).
 *
 * File-scope names in a wl-<name>.c carry the workload's prefix (rm_opts,
 * RM_SEED, rf_ring_t): tests/unit/test_wl_registry.c compiles every workload
 * into one translation unit.
 *
 * Workload metadata (slot arrays, rings, block lists) comes from
 * soak_wl_meta_alloc() (mmap), never from malloc: the allocator under test
 * serves only the blocks the workload measures.
 */
#ifndef SOAK_WORKLOAD_H
#define SOAK_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>   /* malloc/free: every workload calls them */
#include <string.h>

#include "soak/shm.h"
#include "clock.h"

/* Default 1-in-N latency sampling when no runner provides one (standalone).
 * Measured in docs/workloads.md (random_mixed, paired runs on this KVM host):
 * a timed op costs ~34 ns more (two lfence+rdtsc), so throughput vs N=0 is
 * 0.27x at N=1, 0.97x at N=128 (over the 3% target with mimalloc's faster
 * ops) and 0.99x at N=256 (system) / 0.985x (mimalloc). */
#define SOAK_WL_LATENCY_EVERY_DEFAULT 256
/* Operations between two publications / stop checks. */
#define SOAK_WL_BATCH 256

typedef enum {
	SOAK_OPT_U64,       /* integer, K/M/G binary suffixes accepted */
	SOAK_OPT_SIZE,      /* bytes: "64K", "8M", "1.5G" */
	SOAK_OPT_DOUBLE,    /* plain number */
	SOAK_OPT_DURATION,  /* seconds: "1", "1.5s", "250ms", "2m" (stored as double seconds) */
	SOAK_OPT_STR,       /* text; when `choices` is set, one of them ("a|b|c") */
} soak_opt_type_t;

typedef struct {
	const char *name;      /* "ws", "min-size" (given as --ws 400) */
	soak_opt_type_t type;
	const char *def;       /* default as text, parsed like user input */
	double min, max;       /* bounds for numeric options (inclusive) */
	const char *help;
	const char *choices;   /* SOAK_OPT_STR only: "json|mir|vm|mixed", or NULL for any */
} soak_wl_opt_t;

#define SOAK_WL_MAX_OPTS 16

typedef union {
	uint64_t u;        /* U64, SIZE */
	double d;          /* DOUBLE, DURATION (seconds) */
	const char *s;     /* STR (points into argv or the table's default) */
} soak_wl_val_t;

struct soak_workload;

typedef struct {
	const struct soak_workload *wl;
	/* Parsed option values, indexed like the workload's option table. */
	soak_wl_val_t opt[SOAK_WL_MAX_OPTS];
	unsigned nthreads;          /* from the workload's "threads" option, else 1 */
	bool threads_auto;          /* "threads" was 0: nthreads is the cgroup's CPUs
	                             * (soak_wl_default_threads); a workload that needs
	                             * another shape may round it (xmalloc: pairs) */
	uint32_t latency_every;     /* 0 = no timing */
	/* The allocator's malloc_usable_size when bytes_usable is counted (the
	 * runner's --usable-bytes and the allocator offers it), else NULL. */
	size_t (*usable_size)(void *);
	soak_shm_t *shm;
	void *priv;                 /* workload state from setup() */
} soak_wl_ctx_t;

/* Per-thread hot state, owned by its thread (lives on its stack). */
typedef struct {
	soak_wl_ctx_t *ctx;
	soak_shm_thread_t *thr;     /* this thread's slot in shm */
	unsigned tid;
	uint64_t ops;               /* completed operations */
	uint64_t bytes_live;        /* bytes requested and not yet freed (docs/workloads.md) */
	uint64_t bytes_usable;      /* their malloc_usable_size(), when counted */
	size_t (*usable_size)(void *); /* ctx->usable_size */
	uint64_t lat_left;          /* countdown to the next timed op */
	uint64_t lat_every;         /* mean gap between timed ops (UINT64_MAX when off) */
	uint32_t lat_rng;           /* jitters the gaps (see soak_wl_next_gap) */
} soak_wl_thread_t;

typedef struct soak_workload {
	const char *name;
	const char *summary;        /* one line for `soakctl workloads` */
	const char *origin;         /* which published benchmark or pattern it reproduces */
	const char *op;             /* what one counted operation is */
	const char *not_rate;       /* non-NULL: why its operation rate is no throughput
	                             * measure (reports give it no throughput verdict) */
	/* Time at least 1 in this many ops whatever latency_every asks (0 = no
	 * cap): workloads whose ops take microseconds or more time every op,
	 * since the clock's ~20 ns is then free. latency_every 0 still means off. */
	uint32_t lat_every_max;
	const soak_wl_opt_t *opts;
	size_t n_opts;
	/* Optional, after options are parsed: 0 when runnable here, else a
	 * SOAK_WORKER_EXIT_* code (USAGE, NOSWAP, SETUP) with the reason in `why`. */
	int (*supported)(soak_wl_ctx_t *ctx, char *why, size_t whylen);
	/* Optional, once before the threads start (after READY): 0, or a
	 * SOAK_WORKER_EXIT_* code after soak_wl_error(). */
	int (*setup)(soak_wl_ctx_t *ctx);
	/* Runs on its thread until stop: 0, or SOAK_WORKER_EXIT_VERIFY after
	 * soak_wl_fail*(), or SOAK_WORKER_EXIT_SETUP after soak_wl_error(). */
	int (*run)(soak_wl_ctx_t *ctx, soak_wl_thread_t *t);
	/* Optional, once after every thread returned, before teardown: make the
	 * published bytes_live/bytes_usable exact (blocks handed between threads
	 * are settled here); 0 or an exit code like teardown. */
	int (*quiesce)(soak_wl_ctx_t *ctx);
	/* Optional, once after every thread returned (not after a verify failure). */
	int (*teardown)(soak_wl_ctx_t *ctx);
} soak_workload_t;

/* ---- registry (registry.c) ---- */
extern const soak_workload_t *const soak_workloads[];
extern const size_t soak_n_workloads;
const soak_workload_t *soak_workload_find(const char *name);

/* ---- options (options.c) ---- */
/* Parse `text` for option `o` into *ret (bounds checked). 0, or -EINVAL / -ERANGE
 * with a one-line reason in `why`. */
int soak_wl_opt_parse(const soak_wl_opt_t *o, const char *text, soak_wl_val_t *ret,
		      char *why, size_t whylen);
/* Index of option `name` in wl's table, or -1. */
int soak_wl_opt_index(const soak_workload_t *wl, const char *name);
/* Fill ctx->opt with defaults, then parse argv ("--name VALUE" pairs).
 * 0 or -EINVAL with a one-line reason in `why`. */
int soak_wl_opts_parse(const soak_workload_t *wl, soak_wl_ctx_t *ctx, int argc, char **argv,
		       char *why, size_t whylen);
/* `soak-worker --list` and `--list-json`. */
void soak_wl_list_text(FILE *f);
void soak_wl_list_json(FILE *f);

/* ---- support (support.c) ---- */
/* Set by SIGTERM/SIGINT, --duration, and the first verify failure. */
extern int soak_wl_stop_flag;

void soak_wl_thread_init(soak_wl_thread_t *t, soak_wl_ctx_t *ctx, unsigned tid);
/* Record a failure message once (first caller wins), set the stop flag, and
 * return SOAK_WORKER_EXIT_VERIFY / SOAK_WORKER_EXIT_SETUP. */
int soak_wl_fail(soak_wl_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int soak_wl_error(soak_wl_ctx_t *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Verify failure of a pattern check, naming workload, size and offset. */
int soak_wl_fail_block(soak_wl_thread_t *t, const void *p, size_t size, size_t off,
		       const char *what);
/* malloc returned NULL. */
int soak_wl_nomem(soak_wl_thread_t *t, size_t size);
/* The message recorded by soak_wl_fail/soak_wl_error ("" if none). */
const char *soak_wl_message(void);
/* Sleep `ns` in steps of at most 10 ms, returning early (true) on stop. */
bool soak_wl_sleep_ns(soak_wl_thread_t *t, uint64_t ns);
/* Workload metadata outside the allocator under test (mmap, zeroed). */
void *soak_wl_meta_alloc(size_t size);
void soak_wl_meta_free(void *p, size_t size);
size_t soak_wl_page_size(void);

/* ---- host facts (wl-paging.c; parameters are paths so tests use fixtures) ---- */
/* True when /proc/swaps-style text lists at least one active swap area. */
bool soak_wl_swap_active(const char *proc_swaps);
/* The cgroup paths of this process in /proc/self/cgroup-style text: the v1
 * path of controller `ctrl` ("memory", "cpu"; also within a comma list) and
 * the cgroup2 path ("0::/path"); "" where absent. 0 or -errno (cgcpus.c). */
int soak_wl_cg_self_paths(const char *proc_cgroup, const char *ctrl, char *v1, char *v2, size_t len);
/* The smallest CPU quota (quota / period, in CPUs) on the path from this
 * process's cpu cgroup up to the root; 0 when none. 0 or -errno. */
int soak_wl_cg_cpu_quota(const char *proc_cgroup, const char *cg_root, double *ret_cpus);
/* The default of a workload's "threads" option (given as 0): the CPUs the
 * cgroup allows, the CPUs of the affinity mask (what a cpuset gives) capped
 * by the quota rounded up (1.5 CPUs: 2 threads), at most SOAK_MAX_THREADS;
 * `why` says how it was found. */
unsigned soak_wl_default_threads(const char *proc_cgroup, const char *cg_root, char *why, size_t whylen);
/* Memory and swap limit of the cgroup in /proc/self/cgroup-style text, under a
 * cgroup mount root ("/sys/fs/cgroup"); UINT64_MAX = none. 0 or -errno. */
int soak_wl_cg_limits(const char *proc_cgroup, const char *cg_root, uint64_t *ret_mem, uint64_t *ret_swap);

/* ---- hot-path helpers ---- */
static inline uint32_t soak_wl_xorshift32(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static inline bool soak_wl_stop_requested(const soak_wl_ctx_t *ctx)
{
	return __atomic_load_n(&ctx->shm->stop, __ATOMIC_RELAXED) != 0 ||
	       __atomic_load_n(&soak_wl_stop_flag, __ATOMIC_RELAXED) != 0;
}

static inline void soak_wl_publish(soak_wl_thread_t *t)
{
	__atomic_store_n(&t->thr->ops, t->ops, __ATOMIC_RELAXED);
	__atomic_store_n(&t->thr->bytes_live, t->bytes_live, __ATOMIC_RELAXED);
	__atomic_store_n(&t->thr->bytes_usable, t->bytes_usable, __ATOMIC_RELAXED);
}

/* Test hook (livecheck.c): NULL unless SOAK_TEST_LIVE_CHECK is set and the
 * counting library of the tests is loaded; then called at every tick. */
extern void (*soak_wl_live_check)(soak_wl_thread_t *t);

/* Publish counters and report whether to stop: call every ~SOAK_WL_BATCH ops. */
static inline bool soak_wl_tick(soak_wl_thread_t *t)
{
	soak_wl_publish(t);
	if (__builtin_expect(soak_wl_live_check != NULL, 0))
		soak_wl_live_check(t);
	return soak_wl_stop_requested(t->ctx);
}

/* Account a block of `size` requested bytes just allocated at p, or about to
 * be freed: bytes_live always, bytes_usable when counted (one call to the
 * allocator's malloc_usable_size, before free). */
static inline void soak_wl_got(soak_wl_thread_t *t, void *p, size_t size)
{
	t->bytes_live += size;
	if (t->usable_size)
		t->bytes_usable += t->usable_size(p);
}

static inline void soak_wl_gone(soak_wl_thread_t *t, void *p, size_t size)
{
	t->bytes_live -= size;
	if (t->usable_size)
		t->bytes_usable -= t->usable_size(p);
}

static inline bool soak_wl_time_this(soak_wl_thread_t *t)
{
	return __builtin_expect(--t->lat_left == 0, 0);
}

/* Gap to the next timed op: uniform in [1, 2N-1] (mean N). A fixed gap would
 * alias with periodic op sequences (alloc, free, alloc, ...: with an even N
 * only frees would ever be timed). */
static inline uint64_t soak_wl_next_gap(soak_wl_thread_t *t)
{
	if (t->lat_every <= 1 || t->lat_every == UINT64_MAX)
		return t->lat_every;
	return 1 + soak_wl_xorshift32(&t->lat_rng) % (2 * t->lat_every - 1);
}

static inline void soak_wl_record(soak_wl_thread_t *t, uint64_t t0, uint64_t t1)
{
	t->lat_left = soak_wl_next_gap(t);
	soak_hist_record(&t->thr->lat, t1 > t0 ? t1 - t0 : 0);
}

/* Run `stmt` (exactly one operation); time it when the countdown says so. */
#define SOAK_WL_TIMED(t, stmt)                                              \
	do {                                                                \
		if (soak_wl_time_this(t)) {                                 \
			uint64_t soak_t0_ = soak_clock_ns();                \
			stmt;                                               \
			uint64_t soak_t1_ = soak_clock_ns();                \
			soak_wl_record((t), soak_t0_, soak_t1_);            \
		} else {                                                    \
			stmt;                                               \
		}                                                           \
	} while (0)

/* The same with the countdown in a local variable `left` (loaded from
 * t->lat_left before the loop, stored back after it): in the hottest loops
 * the thread struct has escaped, so its fields would be reloaded around every
 * malloc/free call; a local stays in a register. */
#define SOAK_WL_TIMED_LOCAL(t, left, stmt)                                  \
	do {                                                                \
		if (__builtin_expect(--(left) == 0, 0)) {                   \
			(left) = soak_wl_next_gap(t);                       \
			uint64_t soak_t0_ = soak_clock_ns();                \
			stmt;                                               \
			uint64_t soak_t1_ = soak_clock_ns();                \
			soak_hist_record(&(t)->thr->lat,                    \
					 soak_t1_ > soak_t0_ ? soak_t1_ - soak_t0_ : 0); \
		} else {                                                    \
			stmt;                                               \
		}                                                           \
	} while (0)

/* ---- determinism and verification ---- */
static inline uint64_t soak_wl_mix(uint64_t x)
{
	/* splitmix64 finalizer: a cheap bijective scrambler. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Pattern of one block, from the seed, a tag (slot, sequence) and its size. */
static inline uint64_t soak_wl_pattern(uint64_t seed, uint64_t tag, uint64_t size)
{
	return soak_wl_mix(seed + soak_wl_mix(tag * 0x9e3779b97f4a7c15ULL + size));
}

/* Exact a % d for 32-bit a and d without a divide instruction (Lemire's
 * fastmod): the hot loops draw slots and sizes with a run-time modulus, and a
 * hardware divide would cost as much as the allocator's fast path. */
typedef struct {
	uint64_t m;
	uint32_t d;
} soak_wl_mod32_t;

static inline soak_wl_mod32_t soak_wl_mod32_init(uint32_t d)
{
	soak_wl_mod32_t f = { UINT64_MAX / d + 1, d };
	return f;
}

static inline uint32_t soak_wl_mod32(soak_wl_mod32_t f, uint32_t a)
{
	if (__builtin_expect(f.d == 1, 0))
		return 0;
	return (uint32_t)(((unsigned __int128)(f.m * a) * f.d) >> 64);
}

static inline uint64_t soak_wl_rand64(uint64_t *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return soak_wl_mix(*s);
}

/* The tail word differs from the head so a block shifted by its size fails. */
#define SOAK_WL_TAIL_XOR 0x5a5a5a5a5a5a5a5aULL

static inline uint8_t soak_wl_pat_byte(uint64_t pat, size_t i)
{
	return (uint8_t)(pat >> (8 * (i & 7)));
}

/* Write the first and last 8 bytes of a block (every byte below 16 bytes). */
static inline void soak_wl_fill(void *p, size_t size, uint64_t pat)
{
	unsigned char *c = p;
	if (size >= 16) {
		uint64_t tail = pat ^ SOAK_WL_TAIL_XOR;
		memcpy(c, &pat, 8);
		memcpy(c + size - 8, &tail, 8);
	} else {
		for (size_t i = 0; i < size; i++)
			c[i] = soak_wl_pat_byte(pat, i);
	}
}

/* Check soak_wl_fill's bytes: SIZE_MAX when intact, else the first bad offset. */
static inline size_t soak_wl_check(const void *p, size_t size, uint64_t pat)
{
	const unsigned char *c = p;
	if (size >= 16) {
		uint64_t head, tail;
		memcpy(&head, c, 8);
		memcpy(&tail, c + size - 8, 8);
		if (__builtin_expect(head == pat && tail == (pat ^ SOAK_WL_TAIL_XOR), 1))
			return SIZE_MAX;
		for (size_t i = 0; i < 8; i++)
			if (c[i] != soak_wl_pat_byte(pat, i))
				return i;
		for (size_t i = 0; i < 8; i++)
			if (c[size - 8 + i] != soak_wl_pat_byte(pat ^ SOAK_WL_TAIL_XOR, i))
				return size - 8 + i;
		return SIZE_MAX;
	}
	for (size_t i = 0; i < size; i++)
		if (c[i] != soak_wl_pat_byte(pat, i))
			return i;
	return SIZE_MAX;
}

/* Touch every page of a block: one word per page, derived from pat and the page. */
static inline uint64_t soak_wl_page_word(uint64_t pat, size_t page)
{
	return pat ^ (page * 0x9e3779b97f4a7c15ULL) ^ 0xc3c3c3c3c3c3c3c3ULL;
}

#define SOAK_WL_PAGE_WORD_OFF 16

/* Pages are counted from the block start; words sit at page offsets 16.. so they
 * never overlap the head pattern, and only where the whole word fits before the
 * tail pattern. Returns the number of words written. */
size_t soak_wl_touch_pages(void *p, size_t size, uint64_t pat);
/* Check them: SIZE_MAX, or the first bad offset. */
size_t soak_wl_check_pages(const void *p, size_t size, uint64_t pat);

#endif
