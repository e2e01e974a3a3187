/*
 * changepoint.h - change points in a series by E-divisive means with a
 * permutation significance test (Matteson & James 2014, "A nonparametric
 * approach for multiple change point analysis of multivariate data"; the
 * variant MongoDB's signal-processing-algorithms and Apache Otava (Hunter) run
 * on CI performance data). Pure: no I/O, a seeded RNG, so a result is
 * reproducible from the series and the seed.
 *
 * For a segment x[a..b) and a split tau, with X = x[a..tau), Y = x[tau..b),
 * n = |X|, m = |Y| (alpha = 1, univariate):
 *   E(tau) = 2/(nm) sum|x-y| - 1/C(n,2) sum_{i<j}|x_i-x_j| - 1/C(m,2) sum_{i<j}|y_i-y_j|
 *   Q(tau) = nm/(n+m) * E(tau)          (a within term with one point is 0)
 * Bisection: the candidate is the split with the largest Q over every current
 * segment; it is kept when a permutation test finds it significant: each
 * segment is shuffled on its own, the largest Q recomputed, and
 *   p = (1 + #{permutations with max Q >= candidate Q}) / (1 + permutations).
 * Then the search repeats on the new segments until a candidate is not
 * significant. Cost: O(n^2) per segment scan, times the permutations.
 *
 * soak_cp_find_window is what history uses: the same Q, but searched within
 * windows of `window` points (overlapping by half, the last one ending at the
 * newest point), and a split is significant by a Student's t test of the means
 * on either side (pooled variance, two-sided; the tested points winsorized at
 * their median -+ SOAK_CP_WINSOR robust sd, 1.4826 MAD, so that a heavy tail
 * does not inflate the variance), its p multiplied by the number
 * of splits the scan chose from (Bonferroni: the best of many splits is not
 * significant by chance). The points found in all windows are then pruned:
 * the weakest one whose test against its neighbouring change points (at most
 * `window` points each side) fails, or whose change of the segment means is
 * below the minimum effect (min_abs, min_rel), is removed until none is.
 * Deterministic (no RNG), O(n * window^2): a year of nightly runs in
 * milliseconds. The same idea as Apache Otava (Hunter).
 */
#ifndef SOAK_CHANGEPOINT_H
#define SOAK_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#define SOAK_CP_ALPHA 0.05
#define SOAK_CP_PERMUTATIONS 199
#define SOAK_CP_MIN_SIZE 2
#define SOAK_CP_WINDOW 50
#define SOAK_CP_MAX_SPLITS 16      /* Bonferroni factor cap (changepoint-window.c) */
#define SOAK_CP_WINSOR 5.0         /* t test winsorized at median -+ this many robust sd */
#define SOAK_CP_MAD_SD 1.482602218505602   /* 1/Phi^-1(3/4): MAD -> sd for normal noise */

typedef struct {
	double alpha;           /* significance level (0 = SOAK_CP_ALPHA) */
	size_t permutations;    /* 0 = SOAK_CP_PERMUTATIONS */
	size_t min_size;        /* smallest segment on either side (0 = SOAK_CP_MIN_SIZE) */
	uint64_t seed;          /* RNG seed of the permutations */
	size_t max_points;      /* stop after this many change points (0 = no limit) */
	/* soak_cp_find_window only: */
	size_t window;          /* points per window (0 = SOAK_CP_WINDOW) */
	double min_abs;         /* a change of the means must exceed this (0 = none) */
	double min_rel;         /* and this fraction of the mean before (0 = none; a
	                           change from 0 is judged by min_abs alone) */
} soak_cp_opts_t;

typedef struct {
	size_t index;           /* first point of the new segment */
	double q;               /* the E-divisive statistic of the split */
	double p;               /* p-value (permutation, or Bonferroni-corrected t test) */
	double mean_before;     /* mean of the segment ending at index */
	double mean_after;      /* mean of the segment starting at index */
	double change_pct;      /* 100 * (after - before) / |before| (NAN when before is 0) */
} soak_cp_t;

/* Q(tau) for tau = a+min_size .. b-min_size of x[a..b): q[tau] (others 0).
 * Returns the best tau, or 0 when the segment is too short for any split. */
size_t soak_cp_qhat(const double *x, size_t a, size_t b, size_t min_size, double *q);

/* Finds the change points of x[0..n) (NaN-free). *ret (heap, free()) holds
 * *n_ret points in index order. 0, -EINVAL or -ENOMEM. */
int soak_cp_find(const double *x, size_t n, const soak_cp_opts_t *o, soak_cp_t **ret, size_t *n_ret);

/* Windowed variant with a t test and minimum effects (see above); same
 * contract as soak_cp_find. Never a NaN p or mean; change_pct is NAN only
 * when the mean before is 0 (show the absolute change then). */
int soak_cp_find_window(const double *x, size_t n, const soak_cp_opts_t *o, soak_cp_t **ret, size_t *n_ret);
/* The corrected two-sided p of a split at tau of x[a..b), each side clipped
 * to `window` points (0 = no clip), the points of both sides winsorized at
 * median -+ SOAK_CP_WINSOR * SOAK_CP_MAD_SD * MAD of those points (none when
 * the MAD is 0): 1 when a side has fewer than min_size points or the means
 * differ only by rounding; 0 for a noiseless step. scratch holds b - a
 * doubles (overwritten). */
double soak_cp_ttest(const double *x, size_t a, size_t tau, size_t b, size_t min_size, size_t window,
		     double *scratch);

#endif
