/* verdict-run.c - the run as the unit with few runs: Student t (prediction
 * interval for one new run, pooled two-sample t for several; the t
 * distribution is stats.c's), Holm-Bonferroni over a family of checks, and
 * the resolution of a latency histogram; see verdict.h. Pure: no I/O. */
#include "verdict.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static void mean_sd(const double *x, size_t n, double *mean, double *ss)
{
	double m = 0, s = 0;
	for (size_t i = 0; i < n; i++)
		m += x[i];
	m /= (double)n;
	for (size_t i = 0; i < n; i++)
		s += (x[i] - m) * (x[i] - m);
	*mean = m;
	*ss = s;
}

int soak_run_ttest(const double *a, size_t k, const double *b, size_t n, double conf,
		   soak_runtest_t *ret)
{
	if (!a || !b || k < 1 || n < 2 || !(conf > 0 && conf < 1))
		return -EINVAL;
	for (size_t i = 0; i < k; i++)
		if (isnan(a[i]))
			return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (isnan(b[i]))
			return -EINVAL;
	soak_runtest_t r = { .k = k, .n = n };
	double ssa, ssb;
	mean_sd(a, k, &r.mean_a, &ssa);
	mean_sd(b, n, &r.mean_b, &ssb);
	r.sd_a = k > 1 ? sqrt(ssa / (double)(k - 1)) : 0;
	r.sd_b = sqrt(ssb / (double)(n - 1));
	r.df = (double)(n + k - 2);
	double sp = sqrt((ssa + ssb) / r.df);
	r.se = sp * sqrt(1.0 / (double)k + 1.0 / (double)n);
	r.diff = r.mean_a - r.mean_b;
	if (r.se > 0) {
		r.t = r.diff / r.se;
		r.p = fmin(1, 2 * soak_stats_t_cdf(-fabs(r.t), r.df));
	} else {
		/* Every run gave the same value on each side: no spread to judge by. */
		r.t = r.diff == 0 ? 0 : copysign(INFINITY, r.diff);
		r.p = r.diff == 0 ? 1 : 0;
	}
	double h = soak_stats_t_quantile(1 - (1 - conf) / 2, r.df) * r.se;
	r.lo = r.diff - h;
	r.hi = r.diff + h;
	*ret = r;
	return 0;
}

typedef struct {
	double p;
	size_t i;
} pidx_t;

static int cmp_pidx(const void *x, const void *y)
{
	const pidx_t *a = x, *b = y;
	return a->p < b->p ? -1 : a->p > b->p ? 1 : (a->i > b->i) - (a->i < b->i);
}

int soak_holm(const double *p, size_t m, double alpha, double *adj, bool *reject)
{
	if (!(alpha > 0 && alpha < 1))
		return -EINVAL;
	for (size_t i = 0; i < m; i++)
		if (isnan(p[i]))
			return -EINVAL;
	if (!m)
		return 0;
	pidx_t *s = malloc(m * sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < m; i++)
		s[i] = (pidx_t){ p[i], i };
	qsort(s, m, sizeof(*s), cmp_pidx);
	double run = 0;
	for (size_t j = 0; j < m; j++) {
		double a = fmin(1, (double)(m - j) * s[j].p);
		if (a > run)
			run = a;
		if (adj)
			adj[s[j].i] = run;
		if (reject)
			reject[s[j].i] = run < alpha;
	}
	free(s);
	return 0;
}

double soak_hist_tick_ns(const soak_hist_t *h)
{
	if (!h)
		return 1;
	uint64_t total = 0;
	for (unsigned v = 0; v < SOAK_HIST_LINEAR; v++)
		total += h->b[v];
	if (!total)
		return 1;
	/* Cluster starts: an occupied value (>= 0.1% of the values below 256 ns)
	 * whose predecessor is not occupied. */
	uint64_t min = total / 1000 ? total / 1000 : 1;
	unsigned starts[SOAK_HIST_LINEAR], run = 0;
	size_t ns = 0;
	bool prev = false;
	for (unsigned v = 0; v < SOAK_HIST_LINEAR; v++) {
		bool occ = h->b[v] >= min;
		if (occ && !prev)
			starts[ns++] = v;
		run = occ ? run + 1 : 0;
		/* Five or more consecutive occupied values: the clock resolves
		 * 1 ns steps (a coarser tick's values spread over at most the 2-3
		 * values the conversion to ns rounds them to). The gaps between
		 * the sparse values of a tail are then no tick: a 2.1 GHz TSC
		 * read this way gave "40.5 ns" from its tail. */
		if (run >= 5)
			return 1;
		prev = occ;
	}
	if (ns < 3)
		return 1;
	double gaps[SOAK_HIST_LINEAR];
	for (size_t i = 1; i < ns; i++)
		gaps[i - 1] = starts[i] - starts[i - 1];
	size_t ng = ns - 1;
	/* median by insertion sort: at most 127 gaps */
	for (size_t i = 1; i < ng; i++)
		for (size_t j = i; j > 0 && gaps[j - 1] > gaps[j]; j--) {
			double t = gaps[j];
			gaps[j] = gaps[j - 1];
			gaps[j - 1] = t;
		}
	return ng % 2 ? gaps[ng / 2] : (gaps[ng / 2 - 1] + gaps[ng / 2]) / 2;
}

double soak_lat_resolution_ns(const soak_hist_t *h, double v)
{
	double w = 1;
	if (v >= 0 && isfinite(v)) {
		unsigned i = soak_hist_index((uint64_t)v);
		w = (double)(soak_hist_bucket_high(i) - soak_hist_bucket_low(i) + 1);
	}
	return fmax(w, soak_hist_tick_ns(h));
}
