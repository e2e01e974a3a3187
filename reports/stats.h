/*
 * stats.h - pure statistics over arrays: no I/O, no allocation unless stated.
 * Every function skips NaN entries (unmeasured samples) unless stated, and
 * returns 0 or -EINVAL/-EDOM when there are too few values for the result.
 * Definitions (and why these estimators) are in docs/metrics.md.
 */
#ifndef SOAK_STATS_H
#define SOAK_STATS_H

#include <stddef.h>

typedef struct {
	size_t n;          /* values used (NaN skipped) */
	double mean;
	double stddev;     /* sample standard deviation (n - 1) */
	double cv_pct;     /* 100 * stddev / mean */
	double min, max;
} soak_summary_t;

int soak_stats_summary(const double *x, size_t n, soak_summary_t *ret);

/* Seed definition: mean of the first k values vs mean of the last k values,
 * drift_pct = 100 * (last - first) / first. Needs at least 2k values. */
typedef struct {
	size_t k;
	double first_mean, last_mean, drift_pct;
} soak_drift_t;

int soak_stats_drift(const double *x, size_t n, size_t k, soak_drift_t *ret);

/* Least-squares line y = a + b t. The 95% interval of b accounts for serial
 * correlation of the residuals (consecutive samples are not independent): the
 * standard error is computed with an effective sample size
 * n_eff = n (1 - r1) / (1 + r1), r1 = lag-1 autocorrelation of the residuals
 * (clamped to [0, 1)), and a Student t quantile with n_eff - 2 degrees of freedom.
 * pct_per_hour = 100 * 3600 * b / mean(y). Needs n >= 3. */
typedef struct {
	size_t n;
	double intercept, slope;            /* units of y per second */
	double slope_ci_lo, slope_ci_hi;    /* 95% interval of slope */
	double pct_per_hour;
	double pct_per_hour_ci_lo, pct_per_hour_ci_hi;
	double n_eff, r1;
} soak_slope_t;

int soak_stats_slope(const double *t, const double *y, size_t n, soak_slope_t *ret);

/* Two-sided Student t quantile for probability p (e.g. 0.975) and df > 0. */
double soak_stats_t_quantile(double p, double df);

#endif
