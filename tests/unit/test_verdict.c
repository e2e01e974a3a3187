/* test_verdict.c - reports/verdict.c against hand-computed values.
 *
 * Expected U statistics and p-values were computed once, independently of
 * verdict.c, with this python3 snippet (scipy is not available: the exact
 * p-value enumerates every split of the pooled values; the normal one applies
 * the tie-corrected variance and the continuity correction by hand):
 *
 *   import itertools, math
 *   from collections import Counter
 *   def U(a, b): return sum(1.0 if x > y else 0.5 if x == y else 0 for x in a for y in b)
 *   def exact(a, b):
 *       v = a + b; u = U(a, b); le = ge = tot = 0
 *       for c in itertools.combinations(range(len(v)), len(a)):
 *           aa = [v[i] for i in c]; bb = [v[i] for i in range(len(v)) if i not in c]
 *           uu = U(aa, bb); tot += 1; le += uu <= u; ge += uu >= u
 *       return u, min(1, 2 * min(le, ge) / tot)
 *   def normal(a, b):
 *       n1, n2 = len(a), len(b); n = n1 + n2; u = U(a, b); mu = n1 * n2 / 2
 *       T = sum(t**3 - t for t in Counter(a + b).values())
 *       var = n1 * n2 / 12 * ((n + 1) - T / (n * (n - 1)))
 *       z = max(abs(u - mu) - 0.5, 0) / math.sqrt(var)
 *       return u, z, min(1, math.erfc(z / math.sqrt(2)))
 *   exact([1,2,3,4,5], [6,7,8,9,10])            -> (0, 0.007936507936507936)  = 2/252
 *   exact([1.1,3.4,5.2,7.7], [2.0,4.5,6.1,8.3,9.0]) -> (6, 0.4126984126984127)  = 52/126
 *   normal([1,2,2,3,3,3,4,5,6,7,8,9], [3,4,4,5,6,7,7,8,9,10,11])
 *                                                -> (33.5, 1.9807502738885534, 0.047619285790911153)
 *   normal(list(range(1,13)), [x+0.5 for x in range(5,17)])
 *                                                -> (28, 2.5114736709748717, 0.012022825407617451)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "verdict.h"

#define N(x) (sizeof(x) / sizeof((x)[0]))

static void near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
		fail();
	}
}

static void test_mwu_exact_separated(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };
	soak_mwu_t m;
	assert_int_equal(soak_mwu(a, N(a), b, N(b), &m), 0);
	assert_true(m.exact);
	assert_false(m.ties);
	near(m.u, 0, 0);
	near(m.p, 2.0 / 252.0, 1e-15);
	/* Swapping the samples mirrors U and keeps p. */
	assert_int_equal(soak_mwu(b, N(b), a, N(a), &m), 0);
	near(m.u, 25, 0);
	near(m.p, 2.0 / 252.0, 1e-15);
}

static void test_mwu_exact_overlap(void **state)
{
	(void)state;
	const double a[] = { 1.1, 3.4, 5.2, 7.7 }, b[] = { 2.0, 4.5, 6.1, 8.3, 9.0 };
	soak_mwu_t m;
	assert_int_equal(soak_mwu(a, N(a), b, N(b), &m), 0);
	assert_true(m.exact);
	near(m.u, 6, 0);
	near(m.p, 0.4126984126984127, 1e-12);
}

static void test_mwu_normal_ties(void **state)
{
	(void)state;
	const double a[] = { 1, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9 };
	const double b[] = { 3, 4, 4, 5, 6, 7, 7, 8, 9, 10, 11 };
	soak_mwu_t m;
	assert_int_equal(soak_mwu(a, N(a), b, N(b), &m), 0);
	assert_false(m.exact);
	assert_true(m.ties);
	near(m.u, 33.5, 1e-12);
	near(fabs(m.z), 1.9807502738885534, 1e-9);
	assert_true(m.z < 0);          /* a tends to be smaller */
	near(m.p, 0.047619285790911153, 1e-9);
}

static void test_mwu_normal_large(void **state)
{
	(void)state;
	double a[12], b[12];
	for (int i = 0; i < 12; i++) {
		a[i] = i + 1;
		b[i] = i + 5 + 0.5;
	}
	soak_mwu_t m;
	assert_int_equal(soak_mwu(a, 12, b, 12, &m), 0);
	assert_false(m.exact);       /* n > 10 */
	near(m.u, 28, 0);
	near(m.p, 0.012022825407617451, 1e-9);
}

static void test_mwu_identical(void **state)
{
	(void)state;
	const double a[] = { 5, 5, 5, 5 }, b[] = { 5, 5, 5, 5, 5 };
	soak_mwu_t m;
	assert_int_equal(soak_mwu(a, N(a), b, N(b), &m), 0);
	near(m.p, 1, 0);
	const double nan_a[] = { 1, NAN };
	assert_int_equal(soak_mwu(nan_a, 2, b, N(b), &m), -EINVAL);
	assert_int_equal(soak_mwu(a, 0, b, N(b), &m), -EINVAL);
}

static void test_min_units(void **state)
{
	(void)state;
	/* 3 vs 3: smallest p = 2/20 = 0.1; 4 vs 4: 2/70 = 0.029; 5 vs 5: 2/252 = 0.0079. */
	assert_int_equal(soak_verdict_min_units(0.05), 4);
	assert_int_equal(soak_verdict_min_units(0.01), 5);
	assert_int_equal(soak_verdict_min_units(0.2), 3);
}

static void test_blocks(void **state)
{
	(void)state;
	const double x[] = { 100, 1, 2, 3, 4, 5, 6, NAN, 8, 9, 10 };   /* 11 values */
	double out[16];
	/* len 3: 11 % 3 = 2 leading values dropped -> {2,3,4} {5,6,NaN} {8,9,10} */
	size_t n = soak_verdict_blocks(x, N(x), 3, SOAK_BLOCK_MEAN, out);
	assert_int_equal(n, 3);
	near(out[0], 3, 1e-12);
	near(out[1], 5.5, 1e-12);
	near(out[2], 9, 1e-12);
	n = soak_verdict_blocks(x, N(x), 3, SOAK_BLOCK_MAX, out);
	assert_int_equal(n, 3);
	near(out[0], 4, 0);
	near(out[2], 10, 0);
	assert_int_equal(soak_verdict_block_len(60, 5), 12);
	assert_int_equal(soak_verdict_block_len(4, 5), 0);
	assert_int_equal(soak_verdict_blocks(x, 2, 3, SOAK_BLOCK_MEAN, out), 0);
}

/* Normal deviates from the suite's own RNG (Box-Muller): reproducible data. */
static double gauss(soak_rng_t *r)
{
	double u1 = ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void test_bootstrap_covers_true_ratio(void **state)
{
	(void)state;
	/* 20 data sets of 30 units each: a ~ N(110, 4), b ~ N(100, 4), true ratio
	 * 1.10. A 95% interval should cover it about 19 times in 20; require 17
	 * (binomial(20, 0.95) gives < 2% chance of fewer) and never cover 1. */
	soak_rng_t rng;
	soak_rng_seed(&rng, 42);
	int covered = 0;
	for (int rep = 0; rep < 20; rep++) {
		double a[30], b[30], lo, hi;
		for (int i = 0; i < 30; i++) {
			a[i] = 110 + 4 * gauss(&rng);
			b[i] = 100 + 4 * gauss(&rng);
		}
		assert_int_equal(soak_bootstrap_ci(a, 30, b, 30, SOAK_SCALE_RATIO, 0.95, 10000,
						   (uint64_t)rep + 1, &lo, &hi), 0);
		assert_true(lo < hi);
		assert_true(lo > 1.0);
		covered += lo <= 1.10 && 1.10 <= hi;
	}
	assert_true(covered >= 17);

	/* Deterministic: the same seed gives the same interval. */
	const double a[] = { 10, 11, 12, 13 }, b[] = { 10, 10.5, 11, 11.5 };
	double l1, h1, l2, h2;
	assert_int_equal(soak_bootstrap_ci(a, 4, b, 4, SOAK_SCALE_RATIO, 0.95, 2000, 7, &l1, &h1), 0);
	assert_int_equal(soak_bootstrap_ci(a, 4, b, 4, SOAK_SCALE_RATIO, 0.95, 2000, 7, &l2, &h2), 0);
	near(l1, l2, 0);
	near(h1, h2, 0);
	/* Difference scale: true difference 5. */
	const double c[] = { 6, 7, 5, 6, 8, 4 }, d[] = { 1, 2, 0, 1, 3, -1 };
	assert_int_equal(soak_bootstrap_ci(c, 6, d, 6, SOAK_SCALE_DIFF, 0.95, 5000, 3, &l1, &h1), 0);
	assert_true(l1 < 5 && 5 < h1 && l1 > 0);
	/* A ratio to a zero baseline mean has no interval. */
	const double z[] = { 0, 0, 0 };
	assert_int_equal(soak_bootstrap_ci(a, 4, z, 3, SOAK_SCALE_RATIO, 0.95, 100, 1, &l1, &h1), -EDOM);
}

static soak_verdict_opts_t tp_opts(void)
{
	return (soak_verdict_opts_t){ .dir = SOAK_HIGHER_IS_BETTER, .scale = SOAK_SCALE_RATIO,
				      .practical_pct = 2, .unit_name = "repeats" };
}

/* Geometric mean of ratios against hand-computed values: constant runs
 * give ratios 2 and 9, so sqrt(18) with an interval of that point; one
 * workload is the ratio of means with soak_bootstrap_ci's interval (the same
 * draws from the same seed); bad input refused. */
static void test_geomean_ratio(void **state)
{
	(void)state;
	const double a1[] = { 2, 2, 2 }, b1[] = { 1, 1 }, a2[] = { 9 }, b2[] = { 1, 1, 1 };
	const double *a[] = { a1, a2 }, *b[] = { b1, b2 };
	size_t na[] = { 3, 1 }, nb[] = { 2, 3 };
	double gm, lo, hi;
	assert_int_equal(soak_geomean_ratio_ci(a, na, b, nb, 2, 0.95, 1000, 5, &gm, &lo, &hi), 0);
	assert_float_equal(gm, sqrt(18.0), 1e-12);
	assert_float_equal(lo, sqrt(18.0), 1e-12);
	assert_float_equal(hi, sqrt(18.0), 1e-12);

	/* the geometric mean of 1/2 and 2 is 1, whatever the weights of the rates */
	const double c1[] = { 1000 }, d1[] = { 2000 }, c2[] = { 4e9 }, d2[] = { 2e9 };
	const double *c[] = { c1, c2 }, *d[] = { d1, d2 };
	size_t one[] = { 1, 1 };
	assert_int_equal(soak_geomean_ratio_ci(c, one, d, one, 2, 0.95, 100, 5, &gm, &lo, &hi), 0);
	assert_float_equal(gm, 1.0, 1e-12);

	const double x[] = { 10, 12, 9, 11, 14, 8 }, y[] = { 5, 6, 7, 5.5, 6.5 };
	const double *xa[] = { x }, *yb[] = { y };
	size_t nx[] = { 6 }, ny[] = { 5 };
	double blo, bhi;
	assert_int_equal(soak_geomean_ratio_ci(xa, nx, yb, ny, 1, 0.9, 4000, 11, &gm, &lo, &hi), 0);
	assert_int_equal(soak_bootstrap_ci(x, 6, y, 5, SOAK_SCALE_RATIO, 0.9, 4000, 11, &blo, &bhi), 0);
	assert_float_equal(gm, (64.0 / 6) / (30.0 / 5), 1e-12);
	assert_float_equal(lo, blo, 1e-9 * blo);
	assert_float_equal(hi, bhi, 1e-9 * bhi);
	assert_true(lo < gm && gm < hi);

	const double z[] = { 0 }, nan1[] = { NAN };
	const double *za[] = { z }, *nana[] = { nan1 };
	assert_int_equal(soak_geomean_ratio_ci(za, one, yb, one, 1, 0.95, 100, 1, &gm, &lo, &hi), -EDOM);
	assert_int_equal(soak_geomean_ratio_ci(xa, one, nana, one, 1, 0.95, 100, 1, &gm, &lo, &hi), -EDOM);
	assert_int_equal(soak_geomean_ratio_ci(xa, nx, yb, ny, 0, 0.95, 100, 1, &gm, &lo, &hi), -EINVAL);
	size_t zero[] = { 0 };
	assert_int_equal(soak_geomean_ratio_ci(xa, zero, yb, ny, 1, 0.95, 100, 1, &gm, &lo, &hi), -EINVAL);
}

static void test_verdict_identical(void **state)
{
	(void)state;
	const double a[] = { 100, 101, 99, 100.5, 99.5 };
	soak_verdict_opts_t o = tp_opts();
	soak_verdict_t v;
	assert_int_equal(soak_verdict(a, N(a), a, N(a), &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_SAME);
	assert_false(v.significant);
	near(v.change, 0, 1e-12);
	assert_true(v.mwu.p > 0.9);
	assert_non_null(strstr(v.why, "not significant"));
}

static void test_verdict_shifted(void **state)
{
	(void)state;
	/* Candidate 10% faster, every unit above every baseline unit. */
	const double fast[] = { 110, 111, 109, 110.5, 109.5 };
	const double base[] = { 100, 101, 99, 100.5, 99.5 };
	soak_verdict_opts_t o = tp_opts();
	soak_verdict_t v;
	assert_int_equal(soak_verdict(fast, 5, base, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_BETTER);
	near(v.change, 10, 1e-9);
	assert_true(v.has_ci && v.ci_lo > 8 && v.ci_hi < 12);
	near(v.mwu.p, 2.0 / 252.0, 1e-15);
	/* Reversed: the candidate is slower. */
	assert_int_equal(soak_verdict(base, 5, fast, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
	assert_true(v.change < -9);
	/* Lower is better (e.g. RSS): the larger candidate is worse. */
	o.dir = SOAK_LOWER_IS_BETTER;
	assert_int_equal(soak_verdict(fast, 5, base, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
	assert_int_equal(soak_verdict(base, 5, fast, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_BETTER);
}

static void test_verdict_practical_threshold(void **state)
{
	(void)state;
	/* 1% faster and perfectly separated: significant, below the 2% threshold. */
	const double a[] = { 101, 101.1, 100.9, 101.05, 100.95 };
	const double b[] = { 100, 100.1, 99.9, 100.05, 99.95 };
	soak_verdict_opts_t o = tp_opts();
	soak_verdict_t v;
	assert_int_equal(soak_verdict(a, 5, b, 5, &o, &v), 0);
	assert_true(v.significant);
	assert_false(v.practical);
	assert_int_equal(v.kind, SOAK_VERDICT_SAME);
	assert_non_null(strstr(v.why, "practical threshold"));
	o.practical_pct = 0.5;
	assert_int_equal(soak_verdict(a, 5, b, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_BETTER);
	/* An absolute floor: syscalls/op 3e-9 vs 1e-9 is +200% but below 1e-8. */
	const double s1[] = { 3e-9, 3.1e-9, 2.9e-9, 3e-9 }, s0[] = { 1e-9, 1.1e-9, 0.9e-9, 1e-9 };
	soak_verdict_opts_t so = { .dir = SOAK_LOWER_IS_BETTER, .scale = SOAK_SCALE_RATIO,
				   .practical_pct = 10, .practical_abs = 1e-8 };
	assert_int_equal(soak_verdict(s1, 4, s0, 4, &so, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_SAME);
	/* Difference scale (drift in percent points). */
	const double d1[] = { 8, 9, 10, 11 }, d0[] = { 0, 0.5, -0.5, 0.2 };
	soak_verdict_opts_t dopt = { .dir = SOAK_LOWER_IS_BETTER, .scale = SOAK_SCALE_DIFF,
				     .practical_abs = 2 };
	assert_int_equal(soak_verdict(d1, 4, d0, 4, &dopt, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
	near(v.change, 9.45, 1e-9);
}

static void test_verdict_too_few_units(void **state)
{
	(void)state;
	const double a[] = { 110, 111, 112 }, b[] = { 100, 101, 99, 100, 102 };
	soak_verdict_opts_t o = tp_opts();
	soak_verdict_t v;
	assert_int_equal(soak_verdict(a, 3, b, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_INSUFFICIENT);
	assert_string_equal(v.why, "needs at least 4 units per allocator (repeats), have 3 and 5 "
				   "(baseline)");
	assert_string_equal(soak_verdict_name(v.kind), "insufficient data");
	/* NaN units are a caller error, not a verdict. */
	const double bad[] = { 1, NAN, 3, 4 };
	assert_int_equal(soak_verdict(bad, 4, b, 5, &o, &v), -EINVAL);
}

static void test_verdict_zero_baseline(void **state)
{
	(void)state;
	/* No syscalls at all for both: same. */
	const double z[] = { 0, 0, 0, 0, 0 }, s[] = { 2e-7, 3e-7, 2.5e-7, 2.2e-7, 2.8e-7 };
	soak_verdict_opts_t o = { .dir = SOAK_LOWER_IS_BETTER, .scale = SOAK_SCALE_RATIO,
				  .practical_pct = 10, .practical_abs = 1e-8 };
	soak_verdict_t v;
	assert_int_equal(soak_verdict(z, 5, z, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_SAME);
	/* Candidate makes syscalls, baseline none: worse, no relative change. */
	assert_int_equal(soak_verdict(s, 5, z, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
	assert_false(v.has_ci);
	assert_true(isnan(v.change));
}

/* ---- the run as the unit, few runs (verdict-run.c) ----
 * Hand-computed (python3, math only; the t tail by Simpson integration of
 * the t density, 200,000 steps over [t, t + 2000]):
 *   baseline {10, 12, 11, 13, 9}: mean 11, s^2 = 10/4 = 2.5.
 *   K = 1, candidate 8: diff -3, se = s sqrt(1 + 1/5) = sqrt(3), t = -1.7320508,
 *     df 4, p = 2 P(T4 > 1.7320508) = 0.158302; t_{4,0.975} = 2.776445, so the
 *     95% interval of the change is -3 +- 4.808944 and the prediction interval
 *     of one new run 11 +- 4.808944 = [6.191056, 15.808944].
 *   K = 3, candidates {7, 8, 9}: ss 2, s_p^2 = (10 + 2) / 6 = 2,
 *     se = sqrt(2 (1/3 + 1/5)) = 1.0327956, t = -2.9047375, df 6,
 *     p = 0.027166; t_{6,0.975} = 2.446912: -3 +- 2.527162. */
static void test_prediction_interval(void **state)
{
	(void)state;
	const double b[] = { 10, 12, 11, 13, 9 }, one[] = { 8 }, three[] = { 7, 8, 9 };
	soak_runtest_t t;
	assert_int_equal(soak_run_ttest(one, 1, b, 5, 0.95, &t), 0);
	assert_float_equal(t.mean_b, 11, 1e-12);
	assert_float_equal(t.sd_b, sqrt(2.5), 1e-12);
	assert_float_equal(t.diff, -3, 1e-12);
	assert_float_equal(t.se, sqrt(3), 1e-12);
	assert_float_equal(t.df, 4, 0);
	assert_float_equal(t.p, 0.158302, 1e-5);
	assert_float_equal(t.lo, -3 - 4.808944, 1e-5);
	assert_float_equal(t.hi, -3 + 4.808944, 1e-5);
	/* the prediction interval of one new run: mean +- t s sqrt(1 + 1/n) */
	assert_float_equal(t.mean_b + t.lo - t.diff, 6.191056, 1e-5);
	assert_float_equal(t.mean_b + t.hi - t.diff, 15.808944, 1e-5);

	assert_int_equal(soak_run_ttest(three, 3, b, 5, 0.95, &t), 0);
	assert_float_equal(t.se, 1.0327956, 1e-6);
	assert_float_equal(t.df, 6, 0);
	assert_float_equal(t.t, -2.9047375, 1e-6);
	assert_float_equal(t.p, 0.027166, 1e-5);
	assert_float_equal(t.lo, -5.527162, 1e-5);
	assert_float_equal(t.hi, -0.472838, 1e-5);

	/* no spread on either side: equal is p = 1, different is p = 0 */
	const double c5[] = { 4, 4, 4 }, c4[] = { 3 };
	assert_int_equal(soak_run_ttest(c4, 1, c5, 3, 0.95, &t), 0);
	assert_float_equal(t.p, 0, 0);
	assert_int_equal(soak_run_ttest(c5, 1, c5, 3, 0.95, &t), 0);
	assert_float_equal(t.p, 1, 0);
	/* one baseline run has no spread to judge by */
	assert_int_equal(soak_run_ttest(one, 1, b, 1, 0.95, &t), -EINVAL);
}

/* Holm by hand: p = {0.01, 0.04, 0.03, 0.005}, alpha 0.05, m = 4. Sorted:
 * 0.005 < 0.05/4 = 0.0125 rejected; 0.01 < 0.05/3 = 0.0167 rejected; 0.03 is
 * not < 0.05/2 = 0.025: stop (0.04 kept too). Adjusted: 4 x 0.005 = 0.02,
 * max(0.02, 3 x 0.01) = 0.03, max(0.03, 2 x 0.03) = 0.06, max(0.06, 0.04) =
 * 0.06. And {0.01, 0.015, 0.03, 0.005}: 0.005 < 0.0125, 0.01 < 0.0167, 0.015 <
 * 0.025, 0.03 < 0.05: all four, where Bonferroni (p < 0.0125) keeps two. */
static void test_holm(void **state)
{
	(void)state;
	const double p[] = { 0.01, 0.04, 0.03, 0.005 };
	double adj[4];
	bool rej[4];
	assert_int_equal(soak_holm(p, 4, 0.05, adj, rej), 0);
	assert_true(rej[0] && !rej[1] && !rej[2] && rej[3]);
	assert_float_equal(adj[0], 0.03, 1e-12);
	assert_float_equal(adj[1], 0.06, 1e-12);
	assert_float_equal(adj[2], 0.06, 1e-12);
	assert_float_equal(adj[3], 0.02, 1e-12);
	const double q[] = { 0.01, 0.015, 0.03, 0.005 };
	assert_int_equal(soak_holm(q, 4, 0.05, NULL, rej), 0);
	assert_true(rej[0] && rej[1] && rej[2] && rej[3]);
	const double one[] = { 0.05 };
	assert_int_equal(soak_holm(one, 1, 0.05, adj, rej), 0);
	assert_false(rej[0]);   /* p < alpha, strictly, as compare's tests */
	const double bad[] = { NAN };
	assert_int_equal(soak_holm(bad, 1, 0.05, adj, rej), -EINVAL);
}

/* The timer's tick as recorded: latencies in clusters 10 ns apart (20/21,
 * 30/31, 40, 50, 60 ns, as this project's development VM records them) give
 * a tick of 10 ns; every nanosecond occupied gives 1 ns. */
static void test_hist_tick(void **state)
{
	(void)state;
	static soak_hist_t h;
	soak_hist_init(&h);
	const unsigned v[] = { 20, 21, 30, 31, 40, 50, 60 };
	const unsigned c[] = { 150000, 6000, 50000, 3000, 1500, 650, 400 };
	for (size_t i = 0; i < 7; i++)
		for (unsigned j = 0; j < c[i]; j++)
			soak_hist_record(&h, v[i]);
	assert_float_equal(soak_hist_tick_ns(&h), 10, 0);
	assert_float_equal(soak_lat_resolution_ns(&h, 60), 10, 0);
	/* at 100 us a bucket is 512 ns wide: wider than the tick */
	assert_float_equal(soak_lat_resolution_ns(&h, 100000), 512, 0);
	soak_hist_init(&h);
	for (unsigned x = 20; x < 70; x++)
		for (unsigned j = 0; j < 100; j++)
			soak_hist_record(&h, x);
	assert_float_equal(soak_hist_tick_ns(&h), 1, 0);
	assert_float_equal(soak_lat_resolution_ns(NULL, 60), 1, 0);
}

/* A one-tick p99 difference: significant by ranks (5 runs at 60 ns against
 * 5 at 50 ns, +20% beyond a 10% threshold), but never with a 10 ns tick. */
static void test_verdict_below_resolution(void **state)
{
	(void)state;
	const double a[] = { 60, 60, 60, 60, 60 }, b[] = { 50, 50, 50, 50, 50 };
	soak_verdict_opts_t o = { .dir = SOAK_LOWER_IS_BETTER, .scale = SOAK_SCALE_RATIO,
				  .practical_pct = 10, .unit_name = "runs" };
	soak_verdict_t v;
	assert_int_equal(soak_verdict(a, 5, b, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
	o.resolution = 10;
	o.resolution_unit = "ns";
	assert_int_equal(soak_verdict(a, 5, b, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_SAME);
	assert_true(v.below_resolution);
	assert_non_null(strstr(v.why, "below resolution (10 ns)"));
	/* two ticks are resolved */
	const double c[] = { 70, 70, 70, 70, 70 };
	assert_int_equal(soak_verdict(c, 5, b, 5, &o, &v), 0);
	assert_int_equal(v.kind, SOAK_VERDICT_WORSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mwu_exact_separated),
		cmocka_unit_test(test_mwu_exact_overlap),
		cmocka_unit_test(test_mwu_normal_ties),
		cmocka_unit_test(test_mwu_normal_large),
		cmocka_unit_test(test_mwu_identical),
		cmocka_unit_test(test_min_units),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_bootstrap_covers_true_ratio),
		cmocka_unit_test(test_geomean_ratio),
		cmocka_unit_test(test_verdict_identical),
		cmocka_unit_test(test_verdict_shifted),
		cmocka_unit_test(test_verdict_practical_threshold),
		cmocka_unit_test(test_verdict_too_few_units),
		cmocka_unit_test(test_verdict_zero_baseline),
		cmocka_unit_test(test_prediction_interval),
		cmocka_unit_test(test_holm),
		cmocka_unit_test(test_hist_tick),
		cmocka_unit_test(test_verdict_below_resolution),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
