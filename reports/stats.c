/* stats.c - pure statistics over arrays; see stats.h and docs/metrics.md. */
#include "stats.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

int soak_stats_summary(const double *x, size_t n, soak_summary_t *ret)
{
	/* Welford: one pass, no catastrophic cancellation for large means
	 * (throughputs of 1e8 ops/s with a stddev of 1e6). */
	size_t m = 0;
	double mean = 0, m2 = 0, lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		m++;
		double d = x[i] - mean;
		mean += d / (double)m;
		m2 += d * (x[i] - mean);
		if (x[i] < lo)
			lo = x[i];
		if (x[i] > hi)
			hi = x[i];
	}
	if (m == 0)
		return -EINVAL;
	soak_summary_t s = { .n = m, .mean = mean, .min = lo, .max = hi };
	s.stddev = m > 1 ? sqrt(m2 / (double)(m - 1)) : NAN;
	s.cv_pct = (m > 1 && mean != 0) ? 100.0 * s.stddev / fabs(mean) : NAN;
	*ret = s;
	return 0;
}

int soak_stats_drift(const double *x, size_t n, size_t k, soak_drift_t *ret)
{
	if (k == 0)
		return -EINVAL;
	size_t valid = 0;
	for (size_t i = 0; i < n; i++)
		valid += !isnan(x[i]);
	if (valid < 2 * k)
		return -EINVAL;
	double first = 0, last = 0;
	size_t got = 0;
	for (size_t i = 0; i < n && got < k; i++)
		if (!isnan(x[i])) {
			first += x[i];
			got++;
		}
	got = 0;
	for (size_t i = n; i-- > 0 && got < k;)
		if (!isnan(x[i])) {
			last += x[i];
			got++;
		}
	first /= (double)k;
	last /= (double)k;
	if (first == 0)
		return -EDOM;
	*ret = (soak_drift_t){ .k = k, .first_mean = first, .last_mean = last,
			       .drift_pct = 100.0 * (last - first) / first };
	return 0;
}

static int pair_ok(const double *t, const double *y, size_t i)
{
	return !isnan(t[i]) && !isnan(y[i]);
}

int soak_stats_slope(const double *t, const double *y, size_t n, soak_slope_t *ret)
{
	size_t m = 0;
	double mt = 0, my = 0;
	for (size_t i = 0; i < n; i++) {
		if (!pair_ok(t, y, i))
			continue;
		m++;
		mt += (t[i] - mt) / (double)m;
		my += (y[i] - my) / (double)m;
	}
	if (m < 3)
		return -EINVAL;
	double sxx = 0, sxy = 0;
	for (size_t i = 0; i < n; i++) {
		if (!pair_ok(t, y, i))
			continue;
		sxx += (t[i] - mt) * (t[i] - mt);
		sxy += (t[i] - mt) * (y[i] - my);
	}
	if (!(sxx > 0))
		return -EDOM;
	double b = sxy / sxx, a = my - b * mt;

	/* Residuals in time order: SSE and the lag-1 autocorrelation. */
	double sse = 0, lag = 0, prev = NAN;
	for (size_t i = 0; i < n; i++) {
		if (!pair_ok(t, y, i))
			continue;
		double e = y[i] - (a + b * t[i]);
		sse += e * e;
		if (!isnan(prev))
			lag += prev * e;
		prev = e;
	}
	double r1 = sse > 0 ? lag / sse : 0;
	/* Negative r1 would shrink the interval below the iid one: not trusted.
	 * r1 -> 1 would make it infinite: cap the inflation at sqrt(199). */
	if (!(r1 > 0))
		r1 = 0;
	if (r1 > 0.99)
		r1 = 0.99;
	double n_eff = (double)m * (1 - r1) / (1 + r1);
	double se = sqrt(sse / (double)(m - 2) / sxx) * sqrt((1 + r1) / (1 - r1));
	double df = n_eff - 2 < 1 ? 1 : n_eff - 2;
	double half = soak_stats_t_quantile(0.975, df) * se;

	soak_slope_t s = { .n = m, .intercept = a, .slope = b, .slope_ci_lo = b - half,
			   .slope_ci_hi = b + half, .n_eff = n_eff, .r1 = r1 };
	if (my != 0) {
		double f = 100.0 * 3600.0 / my;
		s.pct_per_hour = b * f;
		s.pct_per_hour_ci_lo = s.slope_ci_lo * f;
		s.pct_per_hour_ci_hi = s.slope_ci_hi * f;
		if (f < 0) {   /* negative mean: keep lo <= hi */
			double tmp = s.pct_per_hour_ci_lo;
			s.pct_per_hour_ci_lo = s.pct_per_hour_ci_hi;
			s.pct_per_hour_ci_hi = tmp;
		}
	} else {
		s.pct_per_hour = s.pct_per_hour_ci_lo = s.pct_per_hour_ci_hi = NAN;
	}
	*ret = s;
	return 0;
}

/* Continued fraction of the incomplete beta function, modified Lentz method
 * (Numerical Recipes, betacf). Converges fast for x < (a + 1) / (a + b + 2). */
static double betacf(double a, double b, double x)
{
	const double tiny = 1e-300, eps = 1e-15;
	double qab = a + b, qap = a + 1, qam = a - 1;
	double c = 1, d = 1 - qab * x / qap;
	if (fabs(d) < tiny)
		d = tiny;
	d = 1 / d;
	double h = d;
	for (int m = 1; m <= 100000; m++) {
		int m2 = 2 * m;
		double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + aa / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		double del = d * c;
		h *= del;
		if (fabs(del - 1) < eps)
			break;
	}
	return h;
}

double soak_stats_betai(double a, double b, double x)
{
	if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
		return NAN;
	if (x == 0 || x == 1)
		return x;
	double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	double bt = exp(lbt);
	if (x < (a + 1) / (a + b + 2))
		return bt * betacf(a, b, x) / a;
	return 1 - bt * betacf(b, a, 1 - x) / b;
}

double soak_stats_t_cdf(double x, double df)
{
	if (!(df > 0) || isnan(x))
		return NAN;
	if (isinf(x))
		return x > 0 ? 1 : 0;
	/* P(|T| > |x|) = I_{df/(df+x^2)}(df/2, 1/2). */
	double tail = 0.5 * soak_stats_betai(df / 2, 0.5, df / (df + x * x));
	return x > 0 ? 1 - tail : tail;
}

double soak_stats_t_quantile(double p, double df)
{
	if (!(p > 0) || !(p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	if (p < 0.5)
		return -soak_stats_t_quantile(1 - p, df);
	/* The CDF is monotonic: bracket, then bisect to the last bit. */
	double lo = 0, hi = 1;
	while (soak_stats_t_cdf(hi, df) < p) {
		lo = hi;
		hi *= 2;
		if (hi > 1e300)
			return INFINITY;
	}
	for (int i = 0; i < 200; i++) {
		double mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			break;
		if (soak_stats_t_cdf(mid, df) < p)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

size_t soak_stats_rates(const double *t, const double *c, size_t n, double *ret_t, double *ret_rate)
{
	size_t out = 0;
	long prev = -1;
	for (size_t i = 0; i < n; i++) {
		if (!pair_ok(t, c, i))
			continue;
		if (prev >= 0) {
			double dt = t[i] - t[prev], dc = c[i] - c[prev];
			if (dt > 0 && dc >= 0) {
				ret_t[out] = t[i];
				ret_rate[out] = dc / dt;
				out++;
			}
		}
		prev = (long)i;
	}
	return out;
}

int soak_stats_counter_window(const double *t, const double *c, size_t n, double t_from,
			      soak_window_t *ret)
{
	long base = -1, last = -1;
	for (size_t i = 0; i < n; i++) {
		if (!pair_ok(t, c, i))
			continue;
		if (t[i] <= t_from)
			base = (long)i;
		last = (long)i;
	}
	double t0, c0;
	if (base >= 0) {
		t0 = t[base];
		c0 = c[base];
	} else if (t_from <= 0) {
		t0 = 0;
		c0 = 0;
	} else {
		/* No sample at or before the boundary: start at the first one after. */
		for (size_t i = 0; i < n; i++)
			if (pair_ok(t, c, i)) {
				base = (long)i;
				break;
			}
		if (base < 0)
			return -EINVAL;
		t0 = t[base];
		c0 = c[base];
	}
	if (last < 0 || !(t[last] > t0))
		return -EINVAL;
	*ret = (soak_window_t){ .t0 = t0, .c0 = c0, .t1 = t[last], .c1 = c[last],
				.delta = c[last] - c0, .seconds = t[last] - t0 };
	return 0;
}

double soak_stats_quantile_sorted(const double *x, size_t n, double p)
{
	if (!n || isnan(p))
		return NAN;
	if (p <= 0)
		return x[0];
	if (p >= 1)
		return x[n - 1];
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return x[n - 1];
	return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* MSER-5 (White 1997; Franklin & White): batch means of 5 consecutive values,
 * then the truncation d (in batches) minimising the squared standard error of
 * the remaining batch means, sum((Z_j - mean)^2) / (m - d)^2, over the first
 * half of the batches. The smallest d wins a tie, so a flat series truncates
 * nothing. Two passes per d (O(m^2), 0.2 s for a day at 1 s): a one-pass sum
 * of squares would cancel on RSS-sized values and break exact ties. */
int soak_stats_mser5(const double *x, size_t n, soak_mser_t *ret)
{
	size_t m = n / SOAK_MSER_BATCH;
	if (m < SOAK_MSER_MIN_BATCHES)
		return -EINVAL;
	double *z = malloc(m * sizeof(double));
	if (!z)
		return -ENOMEM;
	for (size_t j = 0; j < m; j++) {
		double s = 0;
		for (size_t i = 0; i < SOAK_MSER_BATCH; i++) {
			double v = x[j * SOAK_MSER_BATCH + i];
			if (isnan(v)) {
				free(z);
				return -EINVAL;
			}
			s += v;
		}
		z[j] = s / SOAK_MSER_BATCH;
	}
	size_t d_max = m / 2, best = 0;
	double best_v = INFINITY, level = 0;
	for (size_t j = 0; j < m; j++)
		level += fabs(z[j]) / (double)m;
	/* Batch means that differ by less than a thousandth of the series'
	 * level (one 4 KiB page of a 4 MiB RSS) are equal for this rule:
	 * otherwise a flat series' last rounding step decides the truncation,
	 * and a flat RSS after its ramp looked as if it never settled. */
	double res = 1e-3 * level;
	for (size_t d = 0; d <= d_max; d++) {
		double mean = 0, ss = 0;
		for (size_t j = d; j < m; j++)
			mean += z[j];
		mean /= (double)(m - d);
		for (size_t j = d; j < m; j++) {
			double dev = fabs(z[j] - mean) <= res ? 0 : z[j] - mean;
			ss += dev * dev;
		}
		double v = ss / ((double)(m - d) * (double)(m - d));
		if (v < best_v) {
			best_v = v;
			best = d;
		}
	}
	free(z);
	*ret = (soak_mser_t){ .n = n, .batches = m, .d_max = d_max, .d = best,
			      .truncate = best * SOAK_MSER_BATCH, .mser = best_v };
	return best == d_max ? -ERANGE : 0;
}
