/*
 * stats.h - pure statistics over arrays: no I/O, no allocation unless stated.
 * Every function skips NaN entries (unmeasured samples) unless stated, and
 * returns 0 or -EINVAL/-EDOM when there are too few values for the result.
 * Definitions (and why these estimators) are in docs/metrics.md.
 */
#ifndef SOAK_STATS_H
#define SOAK_STATS_H

#include <stddef.h>

/* n = 0 (all NaN) gives -EINVAL; n = 1 gives stddev = cv_pct = NAN. cv_pct is
 * NAN when the mean is 0. Mean and variance use Welford's method. */
typedef struct {
	size_t n;          /* values used (NaN skipped) */
	double mean;
	double stddev;     /* sample standard deviation (n - 1) */
	double cv_pct;     /* 100 * stddev / mean */
	double min, max;
} soak_summary_t;

int soak_stats_summary(const double *x, size_t n, soak_summary_t *ret);

/* Seed definition: mean of the first k values vs mean of the last k values,
 * drift_pct = 100 * (last - first) / first. Needs at least 2k valid values and
 * k >= 1 (-EINVAL); a first mean of 0 gives -EDOM. */
typedef struct {
	size_t k;
	double first_mean, last_mean, drift_pct;
} soak_drift_t;

int soak_stats_drift(const double *x, size_t n, size_t k, soak_drift_t *ret);

/* Least-squares line y = a + b t. The 95% interval of b accounts for serial
 * correlation of the residuals (consecutive samples are not independent): with
 * r1 = lag-1 autocorrelation of the residuals (clamped to [0, 0.99]) and the
 * effective sample size n_eff = n (1 - r1) / (1 + r1), the ordinary standard
 * error of b is inflated by sqrt(n / n_eff) = sqrt((1 + r1) / (1 - r1)) and the
 * Student t quantile uses n_eff - 2 degrees of freedom (at least 1).
 * pct_per_hour = 100 * 3600 * b / mean(y) (NAN, with its interval, when mean(y)
 * is 0). Pairs with a NaN t or y are skipped. Needs n >= 3 valid pairs
 * (-EINVAL) and t not all equal (-EDOM). */
typedef struct {
	size_t n;
	double intercept, slope;            /* units of y per second */
	double slope_ci_lo, slope_ci_hi;    /* 95% interval of slope */
	double pct_per_hour;
	double pct_per_hour_ci_lo, pct_per_hour_ci_hi;
	double n_eff, r1;
} soak_slope_t;

int soak_stats_slope(const double *t, const double *y, size_t n, soak_slope_t *ret);

/* Student t quantile: the t with P(T <= t) = p, for p in (0,1) and df > 0
 * (p = 0.975 gives the half-width factor of a two-sided 95% interval).
 * Non-integer df is allowed. Returns NAN for arguments out of range. */
double soak_stats_t_quantile(double p, double df);
/* The p-quantile (0 <= p <= 1) of n ascending values, linear interpolation
 * between order statistics (Hyndman & Fan type 7, R's default); NAN if n = 0. */
double soak_stats_quantile_sorted(const double *sorted, size_t n, double p);
/* Student t CDF P(T <= x) with df > 0 degrees of freedom (NAN if df <= 0). */
double soak_stats_t_cdf(double x, double df);
/* Regularized incomplete beta I_x(a, b), a, b > 0, x in [0,1]. */
double soak_stats_betai(double a, double b, double x);

/* Per-interval rate of a cumulative counter (ops_total -> ops/s): for each pair
 * of consecutive valid samples (t and c not NaN) with t[j] > t[i] and
 * c[j] >= c[i], rate = (c[j] - c[i]) / (t[j] - t[i]) stamped at t[j]. A counter
 * that goes backwards (reset) yields no rate for that pair. ret_t/ret_rate need
 * room for n - 1 values; returns how many were written. */
size_t soak_stats_rates(const double *t, const double *c, size_t n, double *ret_t, double *ret_rate);

/* The growth of a cumulative counter over [t_from, end]: the baseline is the
 * last valid sample at or before t_from; when there is none it is an implied
 * (t = 0, c = 0) if t_from <= 0 (counters start at zero when the worker
 * starts), else the first valid sample after t_from. The end is the last valid
 * sample. -EINVAL when no valid sample lies after the baseline. */
typedef struct {
	double t0, c0;      /* baseline */
	double t1, c1;      /* last valid sample */
	double delta;       /* c1 - c0 */
	double seconds;     /* t1 - t0 */
} soak_window_t;

int soak_stats_counter_window(const double *t, const double *c, size_t n, double t_from,
			      soak_window_t *ret);

/* MSER-5 truncation point of a warm-up transient (White 1997, Franklin &
 * White): x (n values, no NaN) is cut into m = n / 5 batches of 5 (a tail of
 * fewer than 5 is left out of the batches); for each d in [0, m / 2] the
 * statistic is sum over j >= d of (Z_j - mean(Z_d..))^2 / (m - d)^2, the
 * squared standard error of the mean of the batch means that remain; d is the
 * smallest minimiser. Drop the first 5 d values. Returns 0; -EINVAL with fewer
 * than SOAK_MSER_MIN_BATCHES batches or a NaN; -ERANGE (*ret filled) when the
 * minimum is at d = m / 2, the end of the allowed range: the series has not
 * settled within its first half (still warming up, or a trend); -ENOMEM. */
#define SOAK_MSER_BATCH 5
#define SOAK_MSER_MIN_BATCHES 4
typedef struct {
	size_t n, batches;  /* values given, batches of 5 */
	size_t d, d_max;    /* batches truncated, largest allowed */
	size_t truncate;    /* values to drop: 5 d */
	double mser;        /* the minimum statistic */
} soak_mser_t;

int soak_stats_mser5(const double *x, size_t n, soak_mser_t *ret);

#endif
