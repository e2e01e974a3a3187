/* test_stats.c - reports/stats.c against hand-computed values and an
 * independent Python computation (shown below, run once, numbers pasted). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>

#include "stats.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
		fail();
	}
}

static void assert_rel(double got, double want, double rel)
{
	assert_near(got, want, rel * fabs(want));
}

/* mean 5; squares of deviations 9+1+1+1+0+0+4+16 = 32; s = sqrt(32/7). */
static void test_summary(void **state)
{
	(void)state;
	const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	soak_summary_t s;
	assert_int_equal(soak_stats_summary(x, N(x), &s), 0);
	assert_int_equal(s.n, 8);
	assert_near(s.mean, 5.0, 1e-12);
	assert_near(s.stddev, sqrt(32.0 / 7.0), 1e-12);    /* 2.1380899352993950 */
	assert_near(s.cv_pct, 100.0 * sqrt(32.0 / 7.0) / 5.0, 1e-10);   /* 42.7618 % */
	assert_near(s.min, 2, 0);
	assert_near(s.max, 9, 0);
}

static void test_summary_nan_skipped(void **state)
{
	(void)state;
	const double x[] = { NAN, 2, 4, NAN, 4, 4, 5, 5, 7, 9, NAN };
	soak_summary_t s;
	assert_int_equal(soak_stats_summary(x, N(x), &s), 0);
	assert_int_equal(s.n, 8);
	assert_near(s.mean, 5.0, 1e-12);
	assert_near(s.stddev, sqrt(32.0 / 7.0), 1e-12);

	const double none[] = { NAN, NAN };
	s.n = 99;
	assert_int_equal(soak_stats_summary(none, N(none), &s), -EINVAL);
	assert_int_equal(s.n, 99);   /* untouched on failure */
	assert_int_equal(soak_stats_summary(x, 0, &s), -EINVAL);

	const double one[] = { NAN, 3 };
	assert_int_equal(soak_stats_summary(one, N(one), &s), 0);
	assert_near(s.mean, 3, 0);
	assert_true(isnan(s.stddev));
	assert_true(isnan(s.cv_pct));
}

/* Large mean, small spread: Welford keeps the digits (naive sum of squares
 * loses them at 1e8 ops/s). Values 1e8 + {1,2,3}: s = 1. */
static void test_summary_large_mean(void **state)
{
	(void)state;
	const double x[] = { 1e8 + 1, 1e8 + 2, 1e8 + 3 };
	soak_summary_t s;
	assert_int_equal(soak_stats_summary(x, N(x), &s), 0);
	assert_near(s.stddev, 1.0, 1e-7);
	assert_near(s.cv_pct, 100.0 / (1e8 + 2), 1e-12);
}

/* 1..12, k = 5: first mean (1+..+5)/5 = 3, last mean (8+..+12)/5 = 10,
 * drift = 100 * (10 - 3) / 3 = 233.33 %. */
static void test_drift(void **state)
{
	(void)state;
	double x[12];
	for (int i = 0; i < 12; i++)
		x[i] = i + 1;
	soak_drift_t d;
	assert_int_equal(soak_stats_drift(x, 12, 5, &d), 0);
	assert_int_equal(d.k, 5);
	assert_near(d.first_mean, 3, 1e-12);
	assert_near(d.last_mean, 10, 1e-12);
	assert_near(d.drift_pct, 700.0 / 3.0, 1e-10);

	/* Seed 003 style: 59.10 -> 59.66 is +0.9475 %. */
	const double tp[] = { 59.1, 59.1, 59.1, 59.1, 59.1, 60, 58, 59.66, 59.66, 59.66, 59.66, 59.66 };
	assert_int_equal(soak_stats_drift(tp, N(tp), 5, &d), 0);
	assert_near(d.drift_pct, 100.0 * (59.66 - 59.1) / 59.1, 1e-9);
}

static void test_drift_too_few(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	soak_drift_t d = { .k = 42 };
	assert_int_equal(soak_stats_drift(x, N(x), 5, &d), -EINVAL);   /* 9 < 2k = 10 */
	assert_int_equal(d.k, 42);
	assert_int_equal(soak_stats_drift(x, N(x), 0, &d), -EINVAL);
	/* NaNs do not count toward 2k. */
	const double y[] = { 1, 2, NAN, 3, 4, 5, 6, NAN, 7, 8, 9 };
	assert_int_equal(soak_stats_drift(y, N(y), 5, &d), -EINVAL);
	/* A first mean of 0 has no relative drift. */
	const double z[] = { 0, 0, 1, 1 };
	assert_int_equal(soak_stats_drift(z, N(z), 2, &d), -EDOM);
}

static void test_drift_nan_skipped(void **state)
{
	(void)state;
	/* Valid values 1,2,3,4 (k = 2): first (1+2)/2 = 1.5, last (3+4)/2 = 3.5. */
	const double x[] = { NAN, 1, NAN, 2, 3, NAN, 4, NAN };
	soak_drift_t d;
	assert_int_equal(soak_stats_drift(x, N(x), 2, &d), 0);
	assert_near(d.first_mean, 1.5, 0);
	assert_near(d.last_mean, 3.5, 0);
	assert_near(d.drift_pct, 100.0 * 2.0 / 1.5, 1e-10);
}

/* y = 100 + 2 t, t = 0..9: slope 2, intercept 100, no residuals, so the
 * interval collapses onto the slope. mean(y) = 109, so
 * pct_per_hour = 100 * 3600 * 2 / 109 = 6605.5045871559633. */
static void test_slope_exact_line(void **state)
{
	(void)state;
	double t[10], y[10];
	for (int i = 0; i < 10; i++) {
		t[i] = i;
		y[i] = 100 + 2.0 * i;
	}
	soak_slope_t s;
	assert_int_equal(soak_stats_slope(t, y, 10, &s), 0);
	assert_int_equal(s.n, 10);
	assert_near(s.slope, 2, 1e-12);
	assert_near(s.intercept, 100, 1e-10);
	assert_near(s.slope_ci_lo, 2, 1e-9);
	assert_near(s.slope_ci_hi, 2, 1e-9);
	assert_near(s.pct_per_hour, 720000.0 / 109.0, 1e-8);
	assert_near(s.pct_per_hour_ci_hi - s.pct_per_hour_ci_lo, 0, 1e-6);
}

/*
 * Noisy lines checked against an independent computation (no scipy: the t
 * quantile by Simpson integration of the t density and bisection):
 *
 *   import math
 *   def t_pdf(x, df):
 *       return math.exp(math.lgamma((df+1)/2)-math.lgamma(df/2))/math.sqrt(df*math.pi)*(1+x*x/df)**(-(df+1)/2)
 *   def t_cdf(x, df, n=20000):
 *       h = x/n; s = t_pdf(0,df)+t_pdf(x,df)
 *       for i in range(1,n): s += (4 if i%2 else 2)*t_pdf(i*h,df)
 *       return 0.5 + s*h/3
 *   def t_q(p, df):
 *       lo, hi = 0.0, 100.0
 *       for _ in range(80):
 *           mid=(lo+hi)/2
 *           if t_cdf(mid,df) < p: lo=mid
 *           else: hi=mid
 *       return (lo+hi)/2
 *   def slope(t, y):
 *       n=len(t); mt=sum(t)/n; my=sum(y)/n
 *       sxx=sum((a-mt)**2 for a in t); sxy=sum((a-mt)*(b-my) for a,b in zip(t,y))
 *       b=sxy/sxx; a=my-b*mt
 *       e=[yy-(a+b*tt) for tt,yy in zip(t,y)]
 *       sse=sum(x*x for x in e); r1=sum(e[i]*e[i+1] for i in range(n-1))/sse
 *       r1=min(max(r1,0.0),0.99)
 *       neff=n*(1-r1)/(1+r1)
 *       se=math.sqrt(sse/(n-2)/sxx)*math.sqrt((1+r1)/(1-r1))
 *       df=max(neff-2,1); q=t_q(0.975,df)
 *       return dict(b=b,a=a,r1=r1,neff=neff,lo=b-q*se,hi=b+q*se,pph=100*3600*b/my,
 *                   pphlo=100*3600*(b-q*se)/my,pphhi=100*3600*(b+q*se)/my)
 *   t = list(range(20)); y = [1000 + 3*t + n for t, n in zip(t, noise)]
 */
static const double noise_a[20] = { 0.8, -1.1, 0.5, -0.3, 1.2, -0.9, 0.1, -1.4, 0.7, 0.2,
				     -0.6, 1.0, -0.8, 0.4, -0.2, 0.9, -1.3, 0.6, -0.5, 0.3 };
static const double noise_c[20] = { 0.9, 0.6, -0.4, -0.8, 0.2, 0.7, 1.1, -0.3, -1.2, -0.5,
				     0.4, 0.8, -0.1, -0.9, -0.6, 0.5, 1.0, 0.3, -0.7, -1.0 };

static void fill(const double *noise, double *t, double *y)
{
	for (int i = 0; i < 20; i++) {
		t[i] = i;
		y[i] = 1000 + 3.0 * i + noise[i];
	}
}

/* Alternating noise: negative lag-1 autocorrelation, clamped to 0, so
 * n_eff = n = 20 and df = 18 (t = 2.100922). */
static void test_slope_noisy_iid(void **state)
{
	(void)state;
	double t[20], y[20];
	fill(noise_a, t, y);
	soak_slope_t s;
	assert_int_equal(soak_stats_slope(t, y, 20, &s), 0);
	assert_rel(s.slope, 2.9980451127819547, 1e-12);
	assert_rel(s.intercept, 999.9985714285715, 1e-12);
	assert_near(s.r1, 0.0, 0);
	assert_near(s.n_eff, 20.0, 1e-12);
	assert_rel(s.slope_ci_lo, 2.9306179530407537, 1e-7);
	assert_rel(s.slope_ci_hi, 3.065472272523156, 1e-7);
	assert_rel(s.pct_per_hour, 1049.4090702799313, 1e-10);
	assert_rel(s.pct_per_hour_ci_lo, 1025.8074664501703, 1e-7);
	assert_rel(s.pct_per_hour_ci_hi, 1073.010674109692, 1e-7);
}

/* Wandering noise: r1 = 0.369, n_eff = 9.22, df = 7.22 (fractional). The
 * interval is wider than the iid one would be. */
static void test_slope_noisy_autocorrelated(void **state)
{
	(void)state;
	double t[20], y[20];
	fill(noise_c, t, y);
	soak_slope_t s;
	assert_int_equal(soak_stats_slope(t, y, 20, &s), 0);
	assert_rel(s.slope, 2.9708270676691706, 1e-12);
	assert_rel(s.r1, 0.3689269813413671, 1e-10);
	assert_rel(s.n_eff, 9.219966108641746, 1e-10);
	assert_rel(s.slope_ci_lo, 2.872122795206837, 1e-7);
	assert_rel(s.slope_ci_hi, 3.0695313401315043, 1e-7);
	assert_rel(s.pct_per_hour, 1039.8616863013142, 1e-10);
	assert_rel(s.pct_per_hour_ci_lo, 1005.3127917107063, 1e-7);
	assert_rel(s.pct_per_hour_ci_hi, 1074.410580891922, 1e-7);
}

static void test_slope_errors_and_nan(void **state)
{
	(void)state;
	const double t2[] = { 0, 1 }, y2[] = { 1, 2 };
	soak_slope_t s = { .n = 77 };
	assert_int_equal(soak_stats_slope(t2, y2, 2, &s), -EINVAL);
	assert_int_equal(s.n, 77);
	const double tt[] = { 5, 5, 5 }, yy[] = { 1, 2, 3 };
	assert_int_equal(soak_stats_slope(tt, yy, 3, &s), -EDOM);
	/* NaN pairs are skipped: same fit as the exact line without them. */
	const double t[] = { 0, 1, NAN, 2, 3, 4 }, y[] = { 100, 102, 50, NAN, 106, 108 };
	assert_int_equal(soak_stats_slope(t, y, N(t), &s), 0);
	assert_int_equal(s.n, 4);
	assert_near(s.slope, 2, 1e-12);
	/* mean(y) = 0: the relative slope is undefined, the absolute one is not. */
	const double t3[] = { 0, 1, 2 }, y3[] = { -1, 0, 1 };
	assert_int_equal(soak_stats_slope(t3, y3, 3, &s), 0);
	assert_near(s.slope, 1, 1e-12);
	assert_true(isnan(s.pct_per_hour));
}

/* Two-sided 95% t values from any statistics table. */
static void test_t_quantile_table(void **state)
{
	(void)state;
	const struct { double df, want, exact; } tab[] = {
		{ 1, 12.706, 12.706204736172555 }, { 2, 4.303, 4.302652729749205 },
		{ 5, 2.571, 2.570581835636167 },   { 10, 2.228, 2.228138851986313 },
		{ 30, 2.042, 2.0422724563012595 }, { 1000, 1.962, 1.9623390808257812 },
	};
	for (size_t i = 0; i < N(tab); i++) {
		double q = soak_stats_t_quantile(0.975, tab[i].df);
		assert_near(q, tab[i].want, 0.0005);
		assert_rel(q, tab[i].exact, 1e-9);
		assert_near(soak_stats_t_quantile(0.025, tab[i].df), -q, 1e-12);
		assert_near(soak_stats_t_cdf(q, tab[i].df), 0.975, 1e-12);
	}
	assert_near(soak_stats_t_quantile(0.5, 7), 0, 0);
	assert_near(soak_stats_t_quantile(0.975, 1e7), 1.959964, 1e-5);   /* normal limit */
	assert_true(isnan(soak_stats_t_quantile(0, 5)));
	assert_true(isnan(soak_stats_t_quantile(1, 5)));
	assert_true(isnan(soak_stats_t_quantile(0.975, 0)));
	assert_true(isnan(soak_stats_t_quantile(0.975, -1)));
	/* I_x(1,1) = x; I_x(a,b) = 1 - I_{1-x}(b,a). */
	assert_near(soak_stats_betai(1, 1, 0.3), 0.3, 1e-14);
	assert_near(soak_stats_betai(2.5, 0.5, 0.7) + soak_stats_betai(0.5, 2.5, 0.3), 1, 1e-13);
}

/* ops_total 0,100,300,300 at t 0,1,2,4 -> 100, 200, 0 ops/s at t 1, 2, 4;
 * a NaN sample is bridged, a counter reset gives no rate. */
static void test_rates(void **state)
{
	(void)state;
	const double t[] = { 0, 1, 2, 4 }, c[] = { 0, 100, 300, 300 };
	double rt[3], rv[3];
	assert_int_equal(soak_stats_rates(t, c, 4, rt, rv), 3);
	assert_near(rt[0], 1, 0);
	assert_near(rv[0], 100, 0);
	assert_near(rv[1], 200, 0);
	assert_near(rt[2], 4, 0);
	assert_near(rv[2], 0, 0);

	const double t2[] = { 0, 1, 2, 3, 4 }, c2[] = { 0, NAN, 400, 10, 30 };
	assert_int_equal(soak_stats_rates(t2, c2, 5, rt, rv), 2);
	assert_near(rv[0], 200, 0);   /* (400 - 0) / (2 - 0) */
	assert_near(rt[1], 4, 0);
	assert_near(rv[1], 20, 0);    /* after the reset at t 3 */
}

/* Cumulative counter, 10 calls in the first 3 s, then 1 per second. */
static void test_counter_window(void **state)
{
	(void)state;
	const double t[] = { 1, 2, 3, 4, 5, 6 }, c[] = { 4, 8, 10, 11, 12, 13 };
	soak_window_t w;
	/* Warm-up 3 s: baseline is the sample at t = 3 (10 calls). */
	assert_int_equal(soak_stats_counter_window(t, c, 6, 3.0, &w), 0);
	assert_near(w.t0, 3, 0);
	assert_near(w.c0, 10, 0);
	assert_near(w.delta, 3, 0);
	assert_near(w.seconds, 3, 0);
	/* Warm-up 3.5 s falls between samples: the last one before it counts. */
	assert_int_equal(soak_stats_counter_window(t, c, 6, 3.5, &w), 0);
	assert_near(w.delta, 3, 0);
	/* No warm-up: from the implied zero at t = 0. */
	assert_int_equal(soak_stats_counter_window(t, c, 6, 0, &w), 0);
	assert_near(w.t0, 0, 0);
	assert_near(w.delta, 13, 0);
	assert_near(w.seconds, 6, 0);
	/* Warm-up before the first sample: start at the first sample. */
	const double t2[] = { 5, 6, 7 }, c2[] = { 50, 60, NAN };
	assert_int_equal(soak_stats_counter_window(t2, c2, 3, 2, &w), 0);
	assert_near(w.t0, 5, 0);
	assert_near(w.delta, 10, 0);
	/* Warm-up after the last sample: nothing to measure. */
	assert_int_equal(soak_stats_counter_window(t, c, 6, 10, &w), -EINVAL);
}

/* Type-7 quantiles, by hand: x = 1 2 4 8 (n = 4), h = 3p.
 * p = 0.5: h = 1.5 -> 2 + 0.5 * (4 - 2) = 3; p = 0.9: h = 2.7 -> 4 + 0.7 * 4 = 6.8;
 * p = 0.99: h = 2.97 -> 4 + 0.97 * 4 = 7.88; p = 1 -> 8; p = 0 -> 1. R's
 * quantile(c(1,2,4,8), c(.5,.9,.99)) gives 3, 6.8, 7.88. */
static void test_quantile_sorted(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 4, 8 };
	assert_float_equal(soak_stats_quantile_sorted(x, 4, 0.5), 3.0, 1e-12);
	assert_float_equal(soak_stats_quantile_sorted(x, 4, 0.9), 6.8, 1e-12);
	assert_float_equal(soak_stats_quantile_sorted(x, 4, 0.99), 7.88, 1e-12);
	assert_float_equal(soak_stats_quantile_sorted(x, 4, 1.0), 8.0, 0);
	assert_float_equal(soak_stats_quantile_sorted(x, 4, 0.0), 1.0, 0);
	const double one[] = { 5 };
	assert_float_equal(soak_stats_quantile_sorted(one, 1, 0.99), 5.0, 0);
	assert_true(isnan(soak_stats_quantile_sorted(x, 0, 0.5)));
}

/* MSER-5 by hand: six batches, each of five equal values, so the batch means
 * are Z = 2 5 4 6 5 4. d = 0: mean 26/6, squared deviations 9.3333, / 6^2 =
 * 0.25926; d = 1: Z = 5 4 6 5 4, mean 4.8, 2.8 / 25 = 0.112; d = 2: 2.75 / 16 =
 * 0.171875; d = 3 (the last allowed, 6 / 2): 2 / 9 = 0.2222. Minimum at d = 1. */
/* The CI run that found a warm-up of 0: RSS 2.07 MiB at the first sample,
 * then 4.18 MiB, and one page more from t = 15 s. A step of a thousandth of
 * the level is no variation for the rule: the ramp is cut (5 samples), where
 * the last rounding step used to put the minimum at d_max ("never settles"). */
static void test_mser5_flat_after_ramp(void **state)
{
	(void)state;
	double x[31];
	for (size_t i = 0; i < 31; i++)
		x[i] = i == 0 ? 2.07 * 1048576 : i < 15 ? 4.18 * 1048576 : 4.18 * 1048576 + 4096;
	soak_mser_t m;
	assert_int_equal(soak_stats_mser5(x, 31, &m), 0);
	assert_int_equal(m.truncate, 5);
}

static void test_mser5_hand(void **state)
{
	(void)state;
	const double z[] = { 2, 5, 4, 6, 5, 4 };
	double x[30];
	for (size_t i = 0; i < 30; i++)
		x[i] = z[i / 5];
	soak_mser_t m;
	assert_int_equal(soak_stats_mser5(x, 30, &m), 0);
	assert_int_equal(m.batches, 6);
	assert_int_equal(m.d_max, 3);
	assert_int_equal(m.d, 1);
	assert_int_equal(m.truncate, 5);
	assert_near(m.mser, 0.112, 1e-12);
	/* Two more values are not a batch: the same answer. */
	double y[32];
	for (size_t i = 0; i < 32; i++)
		y[i] = i < 30 ? x[i] : 1000;
	assert_int_equal(soak_stats_mser5(y, 32, &m), 0);
	assert_int_equal(m.truncate, 5);
}

/* A planted warm-up: a linear ramp from 0 to 100 over the first L values, then
 * 100 +- 1 alternating, 200 values. The truncation is the first batch boundary
 * at or after the ramp's end: 5 * ceil(L / 5). */
static void test_mser5_planted_ramp(void **state)
{
	(void)state;
	const size_t lens[] = { 7, 23, 40 }, want[] = { 10, 25, 40 };
	for (size_t k = 0; k < N(lens); k++) {
		double x[200];
		for (size_t i = 0; i < 200; i++)
			x[i] = i < lens[k] ? 100.0 * (double)i / (double)lens[k] : 100 + (i % 2 ? 1 : -1);
		soak_mser_t m;
		assert_int_equal(soak_stats_mser5(x, 200, &m), 0);
		assert_int_equal(m.truncate, want[k]);
	}
}

/* A flat series truncates nothing (every d ties at 0, the smallest wins); a
 * series that never settles (a trend: a leak's RSS) has its minimum at the end
 * of the allowed range; fewer than 4 batches, or a NaN, is too little. */
static void test_mser5_edges(void **state)
{
	(void)state;
	double x[100];
	soak_mser_t m;
	for (size_t i = 0; i < 100; i++)
		x[i] = 4096.0 * 1024;
	assert_int_equal(soak_stats_mser5(x, 100, &m), 0);
	assert_int_equal(m.truncate, 0);
	assert_near(m.mser, 0, 0);
	for (size_t i = 0; i < 100; i++)
		x[i] = (double)i;
	assert_int_equal(soak_stats_mser5(x, 100, &m), -ERANGE);
	assert_int_equal(m.d, 10);
	assert_int_equal(m.d_max, 10);
	assert_int_equal(soak_stats_mser5(x, 19, &m), -EINVAL);
	assert_int_equal(soak_stats_mser5(x, 20, &m), -ERANGE);
	x[3] = NAN;
	assert_int_equal(soak_stats_mser5(x, 100, &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_nan_skipped),
		cmocka_unit_test(test_summary_large_mean),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_drift_too_few),
		cmocka_unit_test(test_drift_nan_skipped),
		cmocka_unit_test(test_slope_exact_line),
		cmocka_unit_test(test_slope_noisy_iid),
		cmocka_unit_test(test_slope_noisy_autocorrelated),
		cmocka_unit_test(test_slope_errors_and_nan),
		cmocka_unit_test(test_t_quantile_table),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_counter_window),
		cmocka_unit_test(test_quantile_sorted),
		cmocka_unit_test(test_mser5_hand),
		cmocka_unit_test(test_mser5_flat_after_ramp),
		cmocka_unit_test(test_mser5_planted_ramp),
		cmocka_unit_test(test_mser5_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
