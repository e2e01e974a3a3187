/* changepoint-window.c - windowed E-divisive with a Student's t test (the
 * variant Apache Otava runs on CI data); see changepoint.h. Deterministic and
 * O(n * window^2): no permutations. */
#include "changepoint.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* Differences smaller than this fraction of the values are rounding, not a
 * change (a constant series summed in another order differs by ~1e-16). */
#define CP_ROUNDING 1e-9

static double seg_mean(const double *x, size_t a, size_t b)
{
	double s = 0;
	for (size_t i = a; i < b; i++)
		s += x[i];
	return b > a ? s / (double)(b - a) : NAN;
}

static bool is_rounding(double before, double after)
{
	return fabs(after - before) <= CP_ROUNDING * fmax(fabs(before), fabs(after));
}

static int cmp_value(const void *pa, const void *pb)
{
	double a = *(const double *)pa, b = *(const double *)pb;
	return a < b ? -1 : a > b;
}

static double median_sorted(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The winsorizing bounds of x[lo..hi): median -+ SOAK_CP_WINSOR robust
 * standard deviations (1.4826 MAD, the sd for normal noise), from all the
 * points of both sides, so that under no change every point is treated
 * alike. *lo_v = -inf, *hi_v = +inf (no clipping) when the MAD is 0. */
static void winsor_bounds(const double *x, size_t lo, size_t hi, double *scratch, double *lo_v, double *hi_v)
{
	size_t n = hi - lo;
	memcpy(scratch, x + lo, n * sizeof(*x));
	qsort(scratch, n, sizeof(*scratch), cmp_value);
	double med = median_sorted(scratch, n);
	for (size_t i = 0; i < n; i++)
		scratch[i] = fabs(scratch[i] - med);
	qsort(scratch, n, sizeof(*scratch), cmp_value);
	double sd = SOAK_CP_MAD_SD * median_sorted(scratch, n);
	*lo_v = sd > 0 ? med - SOAK_CP_WINSOR * sd : -INFINITY;
	*hi_v = sd > 0 ? med + SOAK_CP_WINSOR * sd : INFINITY;
}

/* Mean and sum of squares of x[a..b) clipped to [lo_v, hi_v]. */
static void clipped_moments(const double *x, size_t a, size_t b, double lo_v, double hi_v, double *mean, double *ss)
{
	double s = 0;
	for (size_t i = a; i < b; i++)
		s += fmin(fmax(x[i], lo_v), hi_v);
	*mean = s / (double)(b - a);
	s = 0;
	for (size_t i = a; i < b; i++) {
		double d = fmin(fmax(x[i], lo_v), hi_v) - *mean;
		s += d * d;
	}
	*ss = s;
}

double soak_cp_ttest(const double *x, size_t a, size_t tau, size_t b, size_t min_size, size_t window,
		     double *scratch)
{
	if (min_size < 1)
		min_size = 1;
	size_t lo = window && tau - a > window ? tau - window : a;
	size_t hi = window && b - tau > window ? tau + window : b;
	size_t n1 = tau - lo, n2 = hi - tau;
	if (n1 < min_size || n2 < min_size || n1 + n2 < 3)
		return 1;
	if (is_rounding(seg_mean(x, lo, tau), seg_mean(x, tau, hi)))
		return 1;
	/* The t test runs on the window winsorized at median -+ 5 robust sd:
	 * a run far off (a heavy tail) no longer inflates the pooled variance,
	 * and the bounds are the same for both sides, so with no change the
	 * two sides stay alike (scripts/bench-changepoint.sh: lognormal noise
	 * gains power, gaussian noise is unchanged; docs/nightly.md). */
	double lo_v, hi_v, m1, m2, ss1, ss2;
	winsor_bounds(x, lo, hi, scratch, &lo_v, &hi_v);
	clipped_moments(x, lo, tau, lo_v, hi_v, &m1, &ss1);
	clipped_moments(x, tau, hi, lo_v, hi_v, &m2, &ss2);
	double df = (double)(n1 + n2 - 2);
	double s2 = (ss1 + ss2) / df;
	double p;
	if (is_rounding(m1, m2)) {
		p = 1;   /* the sides differ only in clipped points */
	} else if (!(s2 > 0)) {
		p = 0;   /* two flat levels: a step without any noise */
	} else {
		double t = (m2 - m1) / sqrt(s2 * (1.0 / (double)n1 + 1.0 / (double)n2));
		p = 2 * (1 - soak_stats_t_cdf(fabs(t), df));
	}
	/* The split was the best of k: Bonferroni, so that picking the largest
	 * difference does not make noise look significant. Neighbouring splits
	 * share all but one point, so the number of distinct tests levels off:
	 * k is capped at SOAK_CP_MAX_SPLITS, the cap that keeps the stationary
	 * false-alarm rate at or below alpha for windows up to 50 points
	 * (scripts/bench-changepoint.sh; full Bonferroni at 50 points halves
	 * the power to see a 10% drop at CV 5% for nothing). */
	double k = (double)(hi - lo - 2 * min_size + 1);
	if (k > SOAK_CP_MAX_SPLITS)
		k = SOAK_CP_MAX_SPLITS;
	p *= k > 1 ? k : 1;
	return p < 1 ? (p > 0 ? p : 0) : 1;
}

/* Whether the change from mean `before` to `after` is at least the minimum effect. */
static bool big_enough(double before, double after, const soak_cp_opts_t *o)
{
	double d = fabs(after - before);
	if (is_rounding(before, after))
		return false;
	if (o->min_abs > 0 && !(d > o->min_abs))
		return false;
	return !(o->min_rel > 0) || before == 0 || d / fabs(before) > o->min_rel;
}

typedef struct {
	const double *x;
	size_t n, min_size, window;
	double alpha;
	const soak_cp_opts_t *o;
	double *q, *scratch;
	bool *mark;
	size_t *stack;
} win_t;

/* Binary segmentation of x[a..b) (one window): each best split that passes
 * the t test and the minimum effect is marked. */
static void scan_window(win_t *w, size_t a, size_t b)
{
	size_t top = 0;
	w->stack[top++] = a;
	w->stack[top++] = b;
	while (top) {
		size_t e = w->stack[--top], s = w->stack[--top];
		size_t tau = soak_cp_qhat(w->x, s, e, w->min_size, w->q);
		if (!tau)
			continue;
		if (soak_cp_ttest(w->x, s, tau, e, w->min_size, 0, w->scratch) > w->alpha ||
		    !big_enough(seg_mean(w->x, s, tau), seg_mean(w->x, tau, e), w->o))
			continue;
		w->mark[tau] = true;
		w->stack[top++] = s;
		w->stack[top++] = tau;
		w->stack[top++] = tau;
		w->stack[top++] = e;
	}
}

/* Removes, one at a time, the weakest marked point whose test against its
 * neighbouring change points fails; returns the points kept (in cp). */
static size_t prune(win_t *w, soak_cp_t *cp)
{
	for (;;) {
		size_t k = 0;
		for (size_t i = 0; i < w->n; i++)
			if (w->mark[i])
				cp[k++].index = i;
		size_t worst = k;
		double worst_p = -1;
		for (size_t j = 0; j < k; j++) {
			size_t a = j ? cp[j - 1].index : 0, b = j + 1 < k ? cp[j + 1].index : w->n, i = cp[j].index;
			cp[j].mean_before = seg_mean(w->x, a, i);
			cp[j].mean_after = seg_mean(w->x, i, b);
			cp[j].p = soak_cp_ttest(w->x, a, i, b, w->min_size, w->window, w->scratch);
			double bad = !big_enough(cp[j].mean_before, cp[j].mean_after, w->o) ? 2 : cp[j].p;
			if (bad > w->alpha && bad > worst_p) {
				worst_p = bad;
				worst = j;
			}
		}
		if (worst == k)
			return k;
		w->mark[cp[worst].index] = false;
	}
}

int soak_cp_find_window(const double *x, size_t n, const soak_cp_opts_t *o, soak_cp_t **ret, size_t *n_ret)
{
	static const soak_cp_opts_t defaults;
	if (!o)
		o = &defaults;
	if (!ret || !n_ret || (n && !x))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	win_t w = { .x = x, .n = n, .o = o,
		    .min_size = o->min_size ? o->min_size : SOAK_CP_MIN_SIZE,
		    .window = o->window ? o->window : SOAK_CP_WINDOW,
		    .alpha = o->alpha > 0 ? o->alpha : SOAK_CP_ALPHA };
	if (w.window < 2 * w.min_size)
		w.window = 2 * w.min_size;
	*ret = NULL;
	*n_ret = 0;
	w.q = calloc(n + 1, sizeof(*w.q));
	w.scratch = calloc(n + 1, sizeof(*w.scratch));
	w.mark = calloc(n + 1, sizeof(*w.mark));
	w.stack = calloc(2 * n + 4, sizeof(*w.stack));
	soak_cp_t *cp = calloc(n + 1, sizeof(*cp));
	if (!w.q || !w.scratch || !w.mark || !w.stack || !cp) {
		free(w.q);
		free(w.scratch);
		free(w.mark);
		free(w.stack);
		free(cp);
		return -ENOMEM;
	}
	/* Windows overlap by half; the last one ends at the newest point, so
	 * the newest night is always seen in a full window. */
	size_t step = w.window / 2 ? w.window / 2 : 1;
	for (size_t a = 0; a < n; a += step) {
		size_t b = a + w.window < n ? a + w.window : n;
		scan_window(&w, b == n && n > w.window ? n - w.window : a, b);
		if (b == n)
			break;
	}
	size_t k = prune(&w, cp);
	for (size_t j = 0; j < k; j++) {
		size_t i = cp[j].index;
		size_t lo = i > w.window ? i - w.window : 0, hi = i + w.window < n ? i + w.window : n;
		soak_cp_qhat(x, lo, hi, w.min_size, w.q);
		cp[j].q = w.q[i];
		cp[j].change_pct = cp[j].mean_before != 0
					   ? 100.0 * (cp[j].mean_after - cp[j].mean_before) / fabs(cp[j].mean_before)
					   : NAN;
		if (o->max_points && j + 1 >= o->max_points) {
			k = j + 1;
			break;
		}
	}
	free(w.q);
	free(w.scratch);
	free(w.mark);
	free(w.stack);
	if (!k) {
		free(cp);
		cp = NULL;
	}
	*ret = cp;
	*n_ret = k;
	return 0;
}
