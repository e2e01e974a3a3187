/*
 * verdict.h - pure statistics for comparing two allocators on one metric: no
 * I/O, no global state. `soakctl compare` decides with soak_verdict(); the
 * baseline checks of `soakctl gate`, which start from one gated run, with the
 * t interval of soak_run_ttest() and Holm over the gate's checks
 * (verdict-run.c). Both treat a latency change within the timer's
 * resolution as no change.
 *
 * The inputs are INDEPENDENT UNITS, never raw per-interval samples (those are
 * serially correlated, which makes every test overconfident): one unit = one
 * run's steady-state figure. (soak_verdict_blocks cuts a run into blocks of
 * consecutive intervals; no verdict uses blocks any more: intervals of one
 * run share its host conditions.)
 *
 * A difference counts only when it is BOTH
 *   - statistically significant: two-sided Mann-Whitney U p < alpha AND the
 *     (1 - alpha) percentile bootstrap interval of the ratio (or difference) of
 *     the means excludes "no change" (1, or 0), and
 *   - practically relevant: the point estimate of the change is larger than
 *     the metric's practical threshold (relative, plus an optional absolute
 *     floor, e.g. 1e-8 syscalls per operation).
 * Definitions and defaults: docs/compare-gate.md.
 */
#ifndef SOAK_VERDICT_H
#define SOAK_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soak/hist.h"

#define SOAK_VERDICT_ALPHA        0.05
#define SOAK_VERDICT_BOOTSTRAP_N  10000
#define SOAK_VERDICT_SEED         0x50a4c0de5eedULL
#define SOAK_VERDICT_MIN_BLOCKS   5      /* blocks per run when blocks are the unit */
#define SOAK_VERDICT_EXACT_MAX    10     /* exact U distribution when n1, n2 <= this */
#define SOAK_VERDICT_WHY_MAX      384

/* ---- Mann-Whitney U ---- */
typedef struct {
	size_t n1, n2;
	double u;        /* U of the first sample: pairs (a_i, b_j) with a_i > b_j, ties 1/2 */
	double z;        /* normal approximation (NAN when exact) */
	double p;        /* two-sided p-value, in [0, 1] */
	bool exact;      /* exact distribution (n1, n2 <= 10 and no ties) */
	bool ties;
} soak_mwu_t;

/* Two-sided Mann-Whitney U test of a against b. Exact when n1, n2 <= 10 and
 * there are no ties; otherwise the normal approximation with the tie-corrected
 * variance and a continuity correction of 1/2. NaN values are an error.
 * -EINVAL when a sample is empty (or has NaN), -ENOMEM. */
int soak_mwu(const double *a, size_t n1, const double *b, size_t n2, soak_mwu_t *ret);

/* Standard normal upper tail P(Z > z). */
double soak_norm_sf(double z);

/* ---- bootstrap ---- */
typedef enum {
	SOAK_SCALE_RATIO = 0,    /* mean(a) / mean(b): throughput, RSS, latency, syscalls */
	SOAK_SCALE_DIFF,         /* mean(a) - mean(b): drifts (percent points, may be <= 0) */
} soak_scale_t;

/* Deterministic RNG (splitmix64): the same seed gives the same intervals. */
typedef struct {
	uint64_t s;
} soak_rng_t;
void soak_rng_seed(soak_rng_t *r, uint64_t seed);
uint64_t soak_rng_next(soak_rng_t *r);
/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift, negligible bias). */
size_t soak_rng_below(soak_rng_t *r, size_t n);

/* Percentile bootstrap interval at confidence `conf` (0.95) of
 * mean(a)/mean(b) (or mean(a) - mean(b)): a and b are resampled independently
 * with replacement `resamples` times; the bounds are the conf/2 tails of the
 * sorted statistics (linear interpolation between order statistics).
 * -EINVAL for empty samples or bad arguments, -EDOM for a ratio whose
 * baseline mean is 0, -ENOMEM. A resampled baseline mean of 0 gives an
 * infinite ratio (a bound may be INFINITY). */
int soak_bootstrap_ci(const double *a, size_t na, const double *b, size_t nb, soak_scale_t scale,
		      double conf, unsigned resamples, uint64_t seed, double *ret_lo,
		      double *ret_hi);

/* Geometric mean over k workloads of the ratio mean(a_w) / mean(b_w),
 * exp(mean of the log ratios): every workload weighs the same, whatever its
 * rate. Its percentile bootstrap interval at `conf` resamples the runs of a_w
 * and b_w independently within each workload (the workloads are fixed).
 * Every a_w and b_w needs >= 1 value, each finite and > 0 (rates).
 * -EINVAL (k = 0, an empty sample, bad conf/resamples), -EDOM (a value <= 0
 * or not finite), -ENOMEM. */
int soak_geomean_ratio_ci(const double *const *a, const size_t *na, const double *const *b,
			  const size_t *nb, size_t k, double conf, unsigned resamples, uint64_t seed,
			  double *ret_gm, double *ret_lo, double *ret_hi);

/* ---- independent units from a series ---- */
typedef enum {
	SOAK_BLOCK_MEAN = 0,
	SOAK_BLOCK_MAX,          /* peak RSS: the largest sample of each block */
} soak_block_agg_t;

/* Block length so that a series of n_min values (the shortest run involved)
 * gives min_blocks blocks: floor(n_min / min_blocks), 0 when n_min < min_blocks. */
size_t soak_verdict_block_len(size_t n_min, size_t min_blocks);
/* Aggregates non-overlapping blocks of `len` consecutive values of x into out
 * (room for n / len values). The n % len values left over are dropped at the
 * START of the series (nearest the warm-up), so every block is whole and the
 * last block ends at the last sample. NaN values are skipped inside a block;
 * an all-NaN block is dropped. Returns the number of blocks written. */
size_t soak_verdict_blocks(const double *x, size_t n, size_t len, soak_block_agg_t agg, double *out);

/* Smallest number of units per sample for which the exact two-sided U test
 * can reach p < alpha at all (n vs n, complete separation: p = 2 / C(2n, n)):
 * 4 for alpha = 0.05, 5 for 0.01. Fewer units give "insufficient data". */
size_t soak_verdict_min_units(double alpha);

/* ---- the verdict ---- */
typedef enum {
	SOAK_HIGHER_IS_BETTER = 0,   /* throughput */
	SOAK_LOWER_IS_BETTER,        /* RSS, latency, syscalls, faults, |drift| ... */
} soak_direction_t;

typedef enum {
	SOAK_VERDICT_INSUFFICIENT = 0,
	SOAK_VERDICT_SAME,           /* no significant (or no practical) difference */
	SOAK_VERDICT_BETTER,
	SOAK_VERDICT_WORSE,
	SOAK_VERDICT_NOT_APPLICABLE, /* the metric means nothing here (why says why) */
} soak_verdict_kind_t;

/* Whether a test was made (better, worse or same). */
static inline int soak_verdict_tested(soak_verdict_kind_t k)
{
	return k == SOAK_VERDICT_SAME || k == SOAK_VERDICT_BETTER || k == SOAK_VERDICT_WORSE;
}

typedef struct {
	double alpha;                /* 0 = SOAK_VERDICT_ALPHA */
	soak_direction_t dir;
	soak_scale_t scale;
	double practical_pct;        /* ratio scale: |change| must exceed this percentage */
	double practical_abs;        /* |mean(a) - mean(b)| must exceed this (0 = no floor);
	                                the whole threshold on the diff scale */
	size_t min_units;            /* 0 = soak_verdict_min_units(alpha) */
	unsigned resamples;          /* 0 = SOAK_VERDICT_BOOTSTRAP_N */
	uint64_t seed;               /* 0 = SOAK_VERDICT_SEED */
	const char *unit_name;       /* "repeats", "blocks of 12 intervals" (for messages) */
	const char *practical_text;  /* the threshold as shown in messages ("5% and 1 MiB"),
	                                NULL = from practical_pct/practical_abs */
	/* A statistic of a whole group of units instead of their mean (NULL: the
	 * mean). stat(ctx, idx, n) gives the statistic of the units idx[0..n) of
	 * group g (0 = a, 1 = b; indices may repeat); it must be a number (NaN is
	 * an error). Used for latency quantiles of the runs' merged histograms:
	 * the point estimates are stat of all units, the interval comes from
	 * resampling units (runs) with replacement, and the rank test still runs
	 * on the units' own values. */
	double (*stat)(void *ctx, int g, const size_t *idx, size_t n);
	void *stat_ctx;
	const char *stat_name;       /* "merged-histogram quantile" (for messages) */
	/* What the instrument can resolve, in the metric's own unit (0 = no
	 * limit): a change |mean(a) - mean(b)| of at most this is never
	 * significant ("below resolution (10 ns)"). Latency: the timer's tick as
	 * recorded in the runs' histograms (soak_lat_resolution_ns). */
	double resolution;
	const char *resolution_unit; /* "ns" (for messages) */
} soak_verdict_opts_t;

typedef struct {
	soak_verdict_kind_t kind;
	size_t n_a, n_b;             /* units used */
	double mean_a, mean_b;       /* mean of the units */
	double change;               /* ratio scale: 100 (mean_a / mean_b - 1) percent;
	                                diff scale: mean_a - mean_b (NAN when undefined) */
	double ci_lo, ci_hi;         /* same scale as change (bootstrap, 1 - alpha) */
	bool has_ci;
	soak_mwu_t mwu;              /* valid when kind != INSUFFICIENT */
	bool significant;            /* p < alpha and the interval excludes no change */
	bool practical;              /* beyond the practical threshold */
	bool below_resolution;       /* |change| <= opts.resolution: never significant */
	char why[SOAK_VERDICT_WHY_MAX];   /* one line: the reason for the verdict */
} soak_verdict_t;

/* The same interval for a statistic of each group (soak_verdict_opts_t.stat):
 * units are resampled with replacement within each group, stat applied to the
 * resampled indices. -EINVAL, -EDOM (baseline statistic 0 on the ratio
 * scale), -ENOMEM. */
int soak_bootstrap_stat_ci(const soak_verdict_opts_t *o, size_t na, size_t nb, double conf,
			   double *ret_lo, double *ret_hi);

/* Compares a (the candidate) against b (the baseline). Returns 0 with a verdict
 * (INSUFFICIENT included: why = "needs at least N units per allocator, have
 * M"), -EINVAL (NaN in the units, bad options) or -ENOMEM. */
int soak_verdict(const double *a, size_t na, const double *b, size_t nb,
		 const soak_verdict_opts_t *o, soak_verdict_t *ret);

/* "better", "worse", "no significant difference", "insufficient data". */
const char *soak_verdict_name(soak_verdict_kind_t k);
/* Short token for machine formats: "better", "worse", "same", "insufficient". */
const char *soak_verdict_token(soak_verdict_kind_t k);

/* ---- the run as the unit, few runs: t-based (verdict-run.c) ----
 * The gate compares K gated runs with n baseline runs of the same series,
 * one value per run. K = 1 is the prediction interval for one new value,
 * mean(b) +- t_{n-1} s_b sqrt(1 + 1/n); K >= 2 the pooled two-sample t,
 * mean(a) - mean(b) +- t_{n+K-2} s_p sqrt(1/K + 1/n) with
 * s_p^2 = ((n-1) s_b^2 + (K-1) s_a^2) / (n + K - 2), which is the same
 * formula at K = 1 (the t distribution: stats.h). Pure; docs/compare-gate.md. */

typedef struct {
	size_t k, n;                 /* candidate runs, baseline runs */
	double mean_a, mean_b, sd_a, sd_b;   /* sd_a = 0 when k = 1 */
	double diff;                 /* mean_a - mean_b */
	double se, df, t;            /* t = diff / se (+-INFINITY when se = 0 and diff != 0) */
	double p;                    /* two-sided p of "no change" */
	double lo, hi;               /* interval of diff at confidence conf */
} soak_runtest_t;

/* a: k >= 1 candidate runs, b: n >= 2 baseline runs; conf in (0, 1).
 * -EINVAL for too few values, NaN or a bad conf. */
int soak_run_ttest(const double *a, size_t k, const double *b, size_t n, double conf,
		   soak_runtest_t *ret);

/* Holm-Bonferroni over m p-values at family-wise alpha: sorted ascending,
 * p_(j) (j = 1..m) is rejected while p_(j) < alpha / (m - j + 1); the first
 * that is not stops it. adj[i] (may be NULL): Holm's adjusted p-value,
 * max over j' <= j of min(1, (m - j' + 1) p_(j')), so reject[i] iff
 * adj[i] < alpha. -EINVAL for NaN or alpha outside (0, 1), -ENOMEM. */
int soak_holm(const double *p, size_t m, double alpha, double *adj, bool *reject);

/* The timer's tick as the latency histogram recorded it (ns): values below
 * 256 ns have a bucket each, and a timer that advances in steps leaves them
 * in clusters (20, 30, 40 ns: a 10 ns tick). The median distance between
 * the starts of the clusters that hold at least 0.1% of those values, when
 * there are at least 3 such clusters; else 1 ns (no coarser tick seen). */
double soak_hist_tick_ns(const soak_hist_t *h);
/* What a latency of about v ns read from this histogram can resolve: the
 * larger of its tick and the width of the bucket v falls in. hist may be
 * NULL (the bucket width alone). */
double soak_lat_resolution_ns(const soak_hist_t *h, double v);

#endif
