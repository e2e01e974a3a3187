/* test_changepoint.c - reports/changepoint.c (E-divisive means) against
 * hand-worked Q values, planted steps and stationary series. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "changepoint.h"
#include "verdict.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
		fail();
	}
}

/* x = 0 0 3 3, min size 1.
 * tau=1: X={0} Y={0,3,3}: cross 0+3+3=6, 2*6/3=4; within Y (3+3+0)/3=2; E=2; Q=1*3/4*2=1.5
 * tau=2: X={0,0} Y={3,3}: cross 12, 2*12/4=6; withins 0; E=6; Q=2*2/4*6=6
 * tau=3: mirror of tau=1: 1.5 */
static void test_qhat_hand_small(void **state)
{
	(void)state;
	const double x[] = { 0, 0, 3, 3 };
	double q[5] = { 0 };
	assert_int_equal(soak_cp_qhat(x, 0, 4, 1, q), 2);
	assert_near(q[1], 1.5, 1e-12);
	assert_near(q[2], 6.0, 1e-12);
	assert_near(q[3], 1.5, 1e-12);
}

/* x = 1 2 3 10 11 12, min size 2.
 * tau=2: cross (2+9+10+11)+(1+8+9+10)=60 -> 2*60/8=15; within X 1/1=1;
 *        within Y (7+8+9+1+2+1)/6=28/6; E=15-1-28/6=28/3; Q=(2*4/6)*28/3=112/9
 * tau=3: cross 30+27+24=81 -> 2*81/9=18; within X (1+2+1)/3=4/3, Y 4/3;
 *        E=18-8/3=46/3; Q=(9/6)*46/3=23
 * tau=4: mirror of tau=2: 112/9 */
static void test_qhat_hand_step(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3, 10, 11, 12 };
	double q[7] = { 0 };
	assert_int_equal(soak_cp_qhat(x, 0, 6, 2, q), 3);
	assert_near(q[2], 112.0 / 9.0, 1e-12);
	assert_near(q[3], 23.0, 1e-12);
	assert_near(q[4], 112.0 / 9.0, 1e-12);
	assert_near(q[1], 0, 0);   /* below min size: not computed */
	/* A sub-segment is computed on its own: x[1..5) = 2 3 10 11, tau=3 as in
	 * the small case scaled: cross 8+9+7+8=32 -> 2*32/4=16; withins 1,1; E=14; Q=14 */
	assert_int_equal(soak_cp_qhat(x, 1, 5, 2, q), 3);
	assert_near(q[3], 14.0, 1e-12);
	/* Too short for a split. */
	assert_int_equal(soak_cp_qhat(x, 0, 3, 2, q), 0);
}

static double gauss(soak_rng_t *r)
{
	double u1 = ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static void fill(double *x, size_t a, size_t b, double mean, double sd, soak_rng_t *r)
{
	for (size_t i = a; i < b; i++)
		x[i] = mean + sd * gauss(r);
}

static void test_planted_one_step(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 7);
	double x[40];
	fill(x, 0, 25, 100, 2, &r);
	fill(x, 25, 40, 90, 2, &r);       /* -10% at 25, 5 sigma */
	soak_cp_t *cp;
	size_t n;
	soak_cp_opts_t o = { .seed = 1 };
	assert_int_equal(soak_cp_find(x, N(x), &o, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 25);
	assert_true(cp[0].p <= 1.0 / 200 + 1e-12);       /* no permutation beat it */
	assert_near(cp[0].change_pct, -10.0, 2.0);
	assert_true(cp[0].mean_before > cp[0].mean_after);
	free(cp);
}

static void test_planted_two_steps_and_tail(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 11);
	double x[45];
	fill(x, 0, 15, 100, 1.5, &r);
	fill(x, 15, 30, 115, 1.5, &r);
	fill(x, 30, 42, 100, 1.5, &r);
	fill(x, 42, 45, 88, 1.5, &r);     /* the newest three points drop 12% */
	soak_cp_t *cp;
	size_t n;
	soak_cp_opts_t o = { .seed = 3 };
	assert_int_equal(soak_cp_find(x, N(x), &o, &cp, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(cp[0].index, 15);
	assert_int_equal(cp[1].index, 30);
	assert_int_equal(cp[2].index, 42);
	assert_true(cp[0].change_pct > 10 && cp[1].change_pct < -10 && cp[2].change_pct < -8);
	free(cp);
}

/* Same seed, same answer; stationary noise gives nothing here. */
static void test_stationary_and_seeded(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 5);
	double x[30];
	fill(x, 0, 30, 100, 10, &r);
	soak_cp_t *cp, *cp2;
	size_t n, n2;
	soak_cp_opts_t o = { .seed = 9 };
	assert_int_equal(soak_cp_find(x, N(x), &o, &cp, &n), 0);
	assert_int_equal(soak_cp_find(x, N(x), &o, &cp2, &n2), 0);
	assert_int_equal(n, n2);
	for (size_t i = 0; i < n; i++)
		assert_near(cp[i].p, cp2[i].p, 0);
	assert_int_equal(n, 0);
	free(cp);
	free(cp2);
}

static void test_bad_input(void **state)
{
	(void)state;
	double x[] = { 1, NAN, 3 };
	soak_cp_t *cp;
	size_t n;
	assert_int_equal(soak_cp_find(x, 3, NULL, &cp, &n), -EINVAL);
	assert_int_equal(soak_cp_find(x, 1, NULL, &cp, &n), 0);   /* too short: none */
	assert_int_equal(n, 0);
}

/* x = 1 2 3 10 11 12 split at 3 (median 6.5, MAD 4.5: the winsorizing bounds
 * 6.5 -+ 5 * 1.4826 * 4.5 clip nothing): means 2 and 11, within sums of squares 2 and
 * 2, df 4, pooled variance 1, t = 9 / sqrt(2/3) = 11.0227; for 4 degrees of
 * freedom the two-sided p is 1 - t/sqrt(4+t^2) * (1 + 2/(4+t^2)) = 3.8507e-4;
 * the scan chose among 6 - 2*2 + 1 = 3 splits: p = 1.1552e-3. */
static void test_ttest_hand(void **state)
{
	(void)state;
	const double x[] = { 1, 2, 3, 10, 11, 12 };
	double sc[6];
	double t = 9 / sqrt(2.0 / 3.0);
	double p = 1 - t / sqrt(4 + t * t) * (1 + 2 / (4 + t * t));
	assert_near(soak_cp_ttest(x, 0, 3, 6, 2, 0, sc), 3 * p, 1e-9);
	/* One point on a side (min size 2): no test. */
	assert_near(soak_cp_ttest(x, 0, 1, 6, 2, 0, sc), 1, 0);
	/* Clipped to 2 points each side: x[1..5) = 2 3 | 10 11, means 2.5 and
	 * 10.5, ss 0.5 + 0.5, df 2, s2 0.5, t = 8 / sqrt(0.5) = 11.3137; for 2
	 * degrees of freedom p = 1 - t/sqrt(2+t^2); one split: no correction. */
	double t2 = 8 / sqrt(0.5);
	assert_near(soak_cp_ttest(x, 0, 3, 6, 2, 2, sc), 1 - t2 / sqrt(2 + t2 * t2), 1e-9);
}

/* x = 0 1 2 50 split at 2, min size 2: median 1.5, absolute deviations
 * 1.5 0.5 0.5 48.5, MAD 1, so the bounds are 1.5 -+ 5 * 1.482602218505602:
 * 50 becomes h = 8.91301109252801, the rest stay. Means 0.5 and (2 + h)/2,
 * ss 0.5 and (h - 2)^2/2, df 2, t = (m2 - m1) / sqrt((ss1 + ss2)/2 * (1/2 + 1/2))
 * = 1.4192, p = 1 - t/sqrt(2+t^2) = 0.2916 (one split: no correction); without
 * winsorizing it would be 0.399.
 * y = 5 5 5 6 5 9 split at 4: MAD 0, nothing is clipped: means 5.25 and 7,
 * ss 0.75 and 8, df 4, s2 2.1875, t = 1.75 / sqrt(2.1875 * 3/4) = 1.3663,
 * p for 4 df (as above) times 3 splits. */
static void test_ttest_winsorized_hand(void **state)
{
	(void)state;
	const double x[] = { 0, 1, 2, 50 }, y[] = { 5, 5, 5, 6, 5, 9 };
	double sc[6];
	double h = 1.5 + 5 * 1.482602218505602, m1 = 0.5, m2 = (2 + h) / 2;
	double s2 = (0.5 + (h - 2) * (h - 2) / 2) / 2, t = (m2 - m1) / sqrt(s2);
	assert_near(t, 1.4192, 1e-4);
	assert_near(soak_cp_ttest(x, 0, 2, 4, 2, 0, sc), 1 - t / sqrt(2 + t * t), 1e-9);
	assert_near(soak_cp_ttest(x, 0, 2, 4, 2, 0, sc), 0.2916, 1e-4);
	double ty = 1.75 / sqrt(2.1875 * 0.75);
	double py = 1 - ty / sqrt(4 + ty * ty) * (1 + 2 / (4 + ty * ty));
	assert_near(soak_cp_ttest(y, 0, 4, 6, 2, 0, sc), 3 * py, 1e-9);
}

static void test_window_planted_step(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 7);
	double x[40];
	fill(x, 0, 25, 100, 2, &r);
	fill(x, 25, 40, 90, 2, &r);       /* -10% at 25, 5 sigma */
	soak_cp_t *cp, *cp2;
	size_t n, n2;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 25);
	assert_true(cp[0].p < 1e-6);
	assert_near(cp[0].mean_before, 100, 1.5);
	assert_near(cp[0].mean_after, 90, 1.5);
	assert_near(cp[0].change_pct, -10.0, 2.0);
	/* Deterministic: the same series gives the same answer. */
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp2, &n2), 0);
	assert_int_equal(n2, 1);
	assert_near(cp2[0].p, cp[0].p, 0);
	free(cp);
	free(cp2);
}

/* A year of nights (3 runs each): the newest night's drop and an old step are
 * found at their index across many windows, nothing else. */
static void test_window_long_series(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 21);
	static double x[1095];
	fill(x, 0, 400, 100, 2, &r);
	fill(x, 400, 1092, 110, 2, &r);   /* +10% at 400 */
	fill(x, 1092, 1095, 95, 2, &r);   /* the newest 3 points drop to 95 */
	soak_cp_t *cp;
	size_t n;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cp[0].index, 400);
	assert_int_equal(cp[1].index, 1092);
	assert_true(cp[0].change_pct > 8 && cp[1].change_pct < -10);
	free(cp);
}

/* A constant series, exact or with rounding noise, has no change point and no NaN. */
static void test_window_constant(void **state)
{
	(void)state;
	double x[60], y[60], z[60] = { 0 }, sc[60];
	for (size_t i = 0; i < N(x); i++) {
		x[i] = 5e6;
		y[i] = i % 7 == 3 ? 5e6 * (1 + 2e-16) * (1 - 1e-16) + 1e-9 : 5e6;
	}
	soak_cp_t *cp;
	size_t n;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), 0);
	assert_int_equal(n, 0);
	assert_null(cp);
	assert_int_equal(soak_cp_find_window(y, N(y), NULL, &cp, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(soak_cp_find_window(z, N(z), NULL, &cp, &n), 0);
	assert_int_equal(n, 0);
	assert_near(soak_cp_ttest(x, 0, 30, 60, 2, 0, sc), 1, 0);
	assert_near(soak_cp_ttest(z, 0, 30, 60, 2, 0, sc), 1, 0);
}

/* A change below the minimum effect is no change point; above it, it is. */
static void test_window_min_effect(void **state)
{
	(void)state;
	double x[30], z[30];
	for (size_t i = 0; i < N(x); i++) {
		x[i] = i < 20 ? 1000 : 1010;        /* +1%, noiseless: p = 0 */
		z[i] = i < 27 ? 0 : 6.4e-9;          /* 0 -> 6.4e-9 syscalls/op */
	}
	soak_cp_t *cp;
	size_t n;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 20);
	assert_near(cp[0].change_pct, 1.0, 1e-9);
	free(cp);
	soak_cp_opts_t o = { .min_rel = 0.02 };
	assert_int_equal(soak_cp_find_window(x, N(x), &o, &cp, &n), 0);
	assert_int_equal(n, 0);
	o = (soak_cp_opts_t){ .min_rel = 0.005 };
	assert_int_equal(soak_cp_find_window(x, N(x), &o, &cp, &n), 0);
	assert_int_equal(n, 1);
	free(cp);
	/* From 0: no relative change; the absolute minimum decides. */
	o = (soak_cp_opts_t){ .min_rel = 0.10, .min_abs = 1e-8 };
	assert_int_equal(soak_cp_find_window(z, N(z), &o, &cp, &n), 0);
	assert_int_equal(n, 0);
	o.min_abs = 1e-9;
	assert_int_equal(soak_cp_find_window(z, N(z), &o, &cp, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cp[0].index, 27);
	assert_true(isnan(cp[0].change_pct));
	assert_near(cp[0].mean_after, 6.4e-9, 1e-20);
	free(cp);
}

/* Stationary noise: nothing, and bad input is refused. */
static void test_window_stationary_bad(void **state)
{
	(void)state;
	soak_rng_t r;
	soak_rng_seed(&r, 5);
	double x[300];
	fill(x, 0, 300, 100, 10, &r);
	soak_cp_t *cp;
	size_t n;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), 0);
	assert_int_equal(n, 0);
	x[7] = NAN;
	assert_int_equal(soak_cp_find_window(x, N(x), NULL, &cp, &n), -EINVAL);
	assert_int_equal(soak_cp_find_window(x, 3, NULL, &cp, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qhat_hand_small),
		cmocka_unit_test(test_qhat_hand_step),
		cmocka_unit_test(test_planted_one_step),
		cmocka_unit_test(test_planted_two_steps_and_tail),
		cmocka_unit_test(test_stationary_and_seeded),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_ttest_hand),
		cmocka_unit_test(test_ttest_winsorized_hand),
		cmocka_unit_test(test_window_planted_step),
		cmocka_unit_test(test_window_long_series),
		cmocka_unit_test(test_window_constant),
		cmocka_unit_test(test_window_min_effect),
		cmocka_unit_test(test_window_stationary_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
