/*
 * hist.h - log-linear latency histogram (HdrHistogram-style), fixed size, no allocation.
 *
 * Values are nanoseconds. Values below 2^SOAK_HIST_SUB_BITS+1 (256) have a bucket
 * each (exact). Above, each power of two [2^e, 2^(e+1)) is split into 128 linear
 * sub-buckets of width 2^(e-7), so a bucket's width is at most 1/128 of its lower
 * bound: reporting the bucket midpoint errs by at most 0.4%, the bound at most 0.8%.
 * The top bucket ends at 2^36 ns (68.7 s); larger values are clamped into it, but
 * `max` keeps the exact value.
 *
 * Recording is a few integer instructions and one increment: it runs in the
 * worker's hot loop. Merging and diffing are element-wise sums, so merging
 * per-thread histograms equals recording everything into one.
 */
#ifndef SOAK_HIST_H
#define SOAK_HIST_H

#include <stddef.h>
#include <stdint.h>

#define SOAK_HIST_SUB_BITS 7
#define SOAK_HIST_SUB      (1u << SOAK_HIST_SUB_BITS)        /* 128 */
#define SOAK_HIST_LINEAR   (2u * SOAK_HIST_SUB)              /* 256 exact buckets */
#define SOAK_HIST_MAX_EXP  35                                /* last octave [2^35, 2^36) */
#define SOAK_HIST_BUCKETS  (SOAK_HIST_LINEAR + (SOAK_HIST_MAX_EXP - SOAK_HIST_SUB_BITS) * SOAK_HIST_SUB)

/* Buckets come in chunks of 64: a histogram's `touched` word has bit k set once
 * any of buckets [64k, 64k+63] was recorded into, so a reader can skip the
 * chunks that never were (the runner reads the worker's histograms on every
 * tick: a few chunks of 60). */
#define SOAK_HIST_CHUNK    64u
_Static_assert(SOAK_HIST_BUCKETS <= 64u * SOAK_HIST_CHUNK, "touched has one bit per chunk");

typedef struct {
	uint64_t count;      /* number of recorded values */
	uint64_t sum;        /* sum of recorded values (ns), for the mean */
	uint64_t max;        /* exact largest value */
	uint64_t min;        /* exact smallest value (UINT64_MAX when empty) */
	uint64_t touched;    /* bit k: a value was recorded into chunk k (set after the bucket) */
	uint64_t b[SOAK_HIST_BUCKETS];
} soak_hist_t;

static inline unsigned soak_hist_index(uint64_t v)
{
	if (v < SOAK_HIST_LINEAR)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);           /* >= 8 */
	if (e > SOAK_HIST_MAX_EXP)
		return SOAK_HIST_BUCKETS - 1;
	unsigned m = (unsigned)(v >> (e - SOAK_HIST_SUB_BITS)) & (SOAK_HIST_SUB - 1);
	return SOAK_HIST_LINEAR + (e - SOAK_HIST_SUB_BITS - 1) * SOAK_HIST_SUB + m;
}

/* Single-writer record (the owning thread); readers tolerate torn snapshots of
 * count/sum because each word is written with one store. */
static inline void soak_hist_record(soak_hist_t *h, uint64_t v)
{
	unsigned i = soak_hist_index(v);
	h->b[i]++;
	h->touched |= 1ull << (i / SOAK_HIST_CHUNK);
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
	if (v < h->min)
		h->min = v;
}

void soak_hist_init(soak_hist_t *h);
/* Lowest and highest value that fall into bucket i. */
uint64_t soak_hist_bucket_low(unsigned i);
uint64_t soak_hist_bucket_high(unsigned i);
/* Makes count equal the sum of the buckets. A histogram copied while its owner
 * thread records can be torn (count read before or after the bucket it
 * matches); call this on such snapshots before storing them. */
void soak_hist_settle(soak_hist_t *h);
/* dst += src (min/max/count/sum merged too). */
void soak_hist_merge(soak_hist_t *dst, const soak_hist_t *src);
/* out = now - before, for cumulative snapshots of the same histogram. The
 * result's max/min are bucket bounds (exact extremes are not diffable). */
void soak_hist_diff(soak_hist_t *out, const soak_hist_t *now, const soak_hist_t *before);
/* min and max of a window of cumulative snapshots whose non-empty buckets
 * run from lo to hi, given the snapshots' exact maxima (as soak_hist_diff). */
void soak_hist_window_bounds(unsigned lo, unsigned hi, uint64_t now_max, uint64_t before_max,
			     uint64_t *min, uint64_t *max);
/* Value at quantile q in [0,1] (nearest-rank on buckets, reported as the bucket
 * midpoint, clamped to [min, max]); returns 0 and sets *ok=0 on an empty histogram. */
double soak_hist_quantile(const soak_hist_t *h, double q, int *ok);
/* A histogram given by its non-empty buckets, in ascending index order (the
 * runner builds one per sample without writing a whole soak_hist_t). count > 0. */
typedef struct {
	size_t n;              /* non-empty buckets */
	uint64_t count, min, max;
	uint16_t idx[SOAK_HIST_BUCKETS];
	uint64_t cnt[SOAK_HIST_BUCKETS];
} soak_hist_sparse_t;
/* out[k] = the quantile q[k] of sp: the value soak_hist_quantile gives on the
 * same histogram. */
void soak_hist_quantiles_sparse(const soak_hist_sparse_t *sp, const double *q, size_t nq, double *out);
double soak_hist_mean(const soak_hist_t *h);
/* Compact text encoding for storage: "count sum min max i:n i:n ..." over
 * non-empty buckets. Returns bytes written (excluding NUL) or -ENOSPC. */
int soak_hist_encode(const soak_hist_t *h, char *buf, size_t len);
/* Parse soak_hist_encode output; returns 0 or -EINVAL. */
int soak_hist_decode(soak_hist_t *h, const char *text);

#endif
