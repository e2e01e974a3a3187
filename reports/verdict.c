/* verdict.c - Mann-Whitney U, percentile bootstrap, blocks of intervals and the
 * better/worse/same verdict; see verdict.h and docs/compare-gate.md. */
#include "verdict.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Mann-Whitney U ---- */

typedef struct {
	double v;
	int group;      /* 0 = a, 1 = b */
} obs_t;

static int cmp_obs(const void *x, const void *y)
{
	double a = ((const obs_t *)x)->v, b = ((const obs_t *)y)->v;
	return (a > b) - (a < b);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

double soak_norm_sf(double z)
{
	return 0.5 * erfc(z / sqrt(2.0));
}

/* Exact null distribution of U (no ties): cnt(m, n, u) = number of orderings
 * of m a's and n b's in which u (a, b) pairs have a > b. Looking at the
 * largest value: an a beats all n b's, a b beats no a, so
 *   cnt(m, n, u) = cnt(m - 1, n, u - n) + cnt(m, n - 1, u),
 * cnt(0, n, 0) = cnt(m, 0, 0) = 1. Writes P(U <= u) and P(U >= u). */
static int mwu_exact(size_t m, size_t n, double u, double *ret_le, double *ret_ge)
{
	size_t umax = m * n, w = umax + 1;
	double *c = calloc((m + 1) * (n + 1) * w, sizeof(double));
	if (!c)
		return -ENOMEM;
#define CNT(i, j, k) c[((i) * (n + 1) + (j)) * w + (k)]
	for (size_t i = 0; i <= m; i++)
		for (size_t j = 0; j <= n; j++) {
			if (i == 0 || j == 0) {
				CNT(i, j, 0) = 1;
				continue;
			}
			for (size_t k = 0; k <= i * j; k++)
				CNT(i, j, k) = (k >= j ? CNT(i - 1, j, k - j) : 0) + CNT(i, j - 1, k);
		}
	double total = 0, le = 0, ge = 0;
	for (size_t k = 0; k <= umax; k++) {
		double f = CNT(m, n, k);
		total += f;
		if ((double)k <= u)
			le += f;
		if ((double)k >= u)
			ge += f;
	}
#undef CNT
	free(c);
	*ret_le = le / total;
	*ret_ge = ge / total;
	return 0;
}

int soak_mwu(const double *a, size_t n1, const double *b, size_t n2, soak_mwu_t *ret)
{
	if (!a || !b || n1 == 0 || n2 == 0)
		return -EINVAL;
	size_t n = n1 + n2;
	obs_t *o = malloc(n * sizeof(*o));
	if (!o)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		o[i].v = i < n1 ? a[i] : b[i - n1];
		o[i].group = i >= n1;
		if (isnan(o[i].v)) {
			free(o);
			return -EINVAL;
		}
	}
	qsort(o, n, sizeof(*o), cmp_obs);
	/* Midranks (1-based); ties share the mean of their ranks. */
	double rank_a = 0, tie_sum = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && o[j + 1].v == o[i].v)
			j++;
		double t = (double)(j - i + 1), mid = (double)(i + j) / 2.0 + 1.0;
		tie_sum += t * t * t - t;
		for (size_t k = i; k <= j; k++)
			if (o[k].group == 0)
				rank_a += mid;
		i = j + 1;
	}
	free(o);

	soak_mwu_t m = { .n1 = n1, .n2 = n2, .ties = tie_sum > 0 };
	double d1 = (double)n1, d2 = (double)n2, dn = (double)n;
	m.u = rank_a - d1 * (d1 + 1) / 2.0;
	double mu = d1 * d2 / 2.0;
	if (!m.ties && n1 <= SOAK_VERDICT_EXACT_MAX && n2 <= SOAK_VERDICT_EXACT_MAX) {
		double le, ge;
		int r = mwu_exact(n1, n2, m.u, &le, &ge);
		if (r < 0)
			return r;
		m.exact = true;
		m.z = NAN;
		m.p = fmin(1.0, 2.0 * fmin(le, ge));
	} else {
		double var = d1 * d2 / 12.0 * ((dn + 1) - tie_sum / (dn * (dn - 1)));
		if (!(var > 0)) {     /* every value equal */
			m.z = 0;
			m.p = 1;
		} else {
			double dev = fabs(m.u - mu) - 0.5;      /* continuity correction */
			double z = (dev > 0 ? dev : 0) / sqrt(var);
			m.z = m.u >= mu ? z : -z;
			m.p = fmin(1.0, 2.0 * soak_norm_sf(z));
		}
	}
	*ret = m;
	return 0;
}

/* ---- RNG and bootstrap ---- */

void soak_rng_seed(soak_rng_t *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t soak_rng_next(soak_rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t soak_rng_below(soak_rng_t *r, size_t n)
{
	return (size_t)(((unsigned __int128)soak_rng_next(r) * n) >> 64);
}

static double resample_mean(soak_rng_t *rng, const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[soak_rng_below(rng, n)];
	return s / (double)n;
}

/* Quantile of sorted values, linear interpolation between order statistics
 * (Hyndman & Fan type 7, the default of R and numpy). */
static double quantile_sorted(const double *s, size_t n, double p)
{
	double h = (double)(n - 1) * p;
	size_t lo = (size_t)floor(h);
	if (lo + 1 >= n)
		return s[n - 1];
	double frac = h - (double)lo;
	if (frac == 0 || s[lo] == s[lo + 1])
		return s[lo];
	if (isinf(s[lo]) || isinf(s[lo + 1]))
		return frac < 0.5 ? s[lo] : s[lo + 1];
	return s[lo] + frac * (s[lo + 1] - s[lo]);
}

static double mean_of(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	return s / (double)n;
}

/* The statistic of one resample: the ratio (a baseline of 0 gives an infinite
 * ratio, or 1 for 0/0) or the difference. */
static double ratio_or_diff(soak_scale_t scale, double ma, double mb)
{
	if (scale == SOAK_SCALE_DIFF)
		return ma - mb;
	if (mb != 0)
		return ma / mb;
	return ma == 0 ? 1.0 : copysign(INFINITY, ma);
}

/* Room for the resampled statistics, with rng seeded; NULL when out of memory. */
static double *boot_start(unsigned resamples, uint64_t seed, soak_rng_t *rng)
{
	soak_rng_seed(rng, seed);
	return malloc(resamples * sizeof(double));
}

/* The percentile interval at conf of the statistics st (sorted here), and frees st. */
static void boot_finish(double *st, unsigned resamples, double conf, double *ret_lo, double *ret_hi)
{
	qsort(st, resamples, sizeof(double), cmp_double);
	double tail = (1 - conf) / 2;
	*ret_lo = quantile_sorted(st, resamples, tail);
	*ret_hi = quantile_sorted(st, resamples, 1 - tail);
	free(st);
}

int soak_bootstrap_ci(const double *a, size_t na, const double *b, size_t nb, soak_scale_t scale,
		      double conf, unsigned resamples, uint64_t seed, double *ret_lo,
		      double *ret_hi)
{
	if (!a || !b || !na || !nb || !(conf > 0 && conf < 1) || resamples < 2)
		return -EINVAL;
	if (scale == SOAK_SCALE_RATIO && mean_of(b, nb) == 0)
		return -EDOM;
	soak_rng_t rng;
	double *st = boot_start(resamples, seed, &rng);
	if (!st)
		return -ENOMEM;
	for (unsigned i = 0; i < resamples; i++) {
		double ma = resample_mean(&rng, a, na), mb = resample_mean(&rng, b, nb);
		st[i] = ratio_or_diff(scale, ma, mb);
	}
	boot_finish(st, resamples, conf, ret_lo, ret_hi);
	return 0;
}

/* exp(mean over w of log(mean(a_w) / mean(b_w))), resampled when rng. */
static double geomean_ratio(const double *const *a, const size_t *na, const double *const *b,
			    const size_t *nb, size_t k, soak_rng_t *rng)
{
	double sl = 0;
	for (size_t w = 0; w < k; w++) {
		double ma = rng ? resample_mean(rng, a[w], na[w]) : mean_of(a[w], na[w]);
		double mb = rng ? resample_mean(rng, b[w], nb[w]) : mean_of(b[w], nb[w]);
		sl += log(ma) - log(mb);
	}
	return exp(sl / (double)k);
}

int soak_geomean_ratio_ci(const double *const *a, const size_t *na, const double *const *b,
			  const size_t *nb, size_t k, double conf, unsigned resamples, uint64_t seed,
			  double *ret_gm, double *ret_lo, double *ret_hi)
{
	if (!a || !b || !na || !nb || !k || !(conf > 0 && conf < 1) || resamples < 2)
		return -EINVAL;
	for (size_t w = 0; w < k; w++) {
		if (!a[w] || !b[w] || !na[w] || !nb[w])
			return -EINVAL;
		/* a resample's mean lies between the sample's least and largest
		 * value: all > 0 keeps every log finite */
		for (size_t i = 0; i < na[w] + nb[w]; i++) {
			double x = i < na[w] ? a[w][i] : b[w][i - na[w]];
			if (!(x > 0) || !isfinite(x))
				return -EDOM;
		}
	}
	soak_rng_t rng;
	double *st = boot_start(resamples, seed, &rng);
	if (!st)
		return -ENOMEM;
	for (unsigned i = 0; i < resamples; i++)
		st[i] = geomean_ratio(a, na, b, nb, k, &rng);
	*ret_gm = geomean_ratio(a, na, b, nb, k, NULL);
	boot_finish(st, resamples, conf, ret_lo, ret_hi);
	return 0;
}

int soak_bootstrap_stat_ci(const soak_verdict_opts_t *o, size_t na, size_t nb, double conf,
			   double *ret_lo, double *ret_hi)
{
	unsigned resamples = o->resamples ? o->resamples : SOAK_VERDICT_BOOTSTRAP_N;
	if (!o->stat || !na || !nb || !(conf > 0 && conf < 1) || resamples < 2)
		return -EINVAL;
	size_t *ia = malloc((na + nb) * sizeof(size_t));
	double *st = malloc(resamples * sizeof(double));
	if (!ia || !st) {
		free(ia);
		free(st);
		return -ENOMEM;
	}
	size_t *ib = ia + na;
	for (size_t i = 0; i < nb; i++)
		ib[i] = i;
	int r = 0;
	if (o->scale == SOAK_SCALE_RATIO && o->stat(o->stat_ctx, 1, ib, nb) == 0) {
		r = -EDOM;
		goto out;
	}
	soak_rng_t rng;
	soak_rng_seed(&rng, o->seed ? o->seed : SOAK_VERDICT_SEED);
	for (unsigned k = 0; k < resamples; k++) {
		for (size_t i = 0; i < na; i++)
			ia[i] = soak_rng_below(&rng, na);
		for (size_t i = 0; i < nb; i++)
			ib[i] = soak_rng_below(&rng, nb);
		double sa = o->stat(o->stat_ctx, 0, ia, na), sb = o->stat(o->stat_ctx, 1, ib, nb);
		if (isnan(sa) || isnan(sb)) {
			r = -EINVAL;
			goto out;
		}
		st[k] = ratio_or_diff(o->scale, sa, sb);
	}
	boot_finish(st, resamples, conf, ret_lo, ret_hi);
	st = NULL;
out:
	free(ia);
	free(st);
	return r;
}

/* ---- blocks ---- */

size_t soak_verdict_block_len(size_t n_min, size_t min_blocks)
{
	if (!min_blocks || n_min < min_blocks)
		return 0;
	return n_min / min_blocks;
}

size_t soak_verdict_blocks(const double *x, size_t n, size_t len, soak_block_agg_t agg, double *out)
{
	if (!x || !len || n < len)
		return 0;
	size_t nb = 0;
	for (size_t start = n % len; start + len <= n; start += len) {
		double acc = agg == SOAK_BLOCK_MAX ? -INFINITY : 0;
		size_t c = 0;
		for (size_t i = start; i < start + len; i++) {
			if (isnan(x[i]))
				continue;
			if (agg == SOAK_BLOCK_MAX)
				acc = x[i] > acc ? x[i] : acc;
			else
				acc += x[i];
			c++;
		}
		if (c)
			out[nb++] = agg == SOAK_BLOCK_MAX ? acc : acc / (double)c;
	}
	return nb;
}

size_t soak_verdict_min_units(double alpha)
{
	if (!(alpha > 0))
		alpha = SOAK_VERDICT_ALPHA;
	/* 2 / C(2n, n) < alpha; C(2n, n) grows fast, so this ends quickly. */
	for (size_t n = 1; n < 64; n++) {
		double c = 1;
		for (size_t k = 1; k <= n; k++)
			c = c * (double)(n + k) / (double)k;
		if (2.0 / c < alpha)
			return n;
	}
	return 64;
}

/* ---- verdict ---- */

const char *soak_verdict_name(soak_verdict_kind_t k)
{
	switch (k) {
	case SOAK_VERDICT_SAME: return "no significant difference";
	case SOAK_VERDICT_BETTER: return "better";
	case SOAK_VERDICT_WORSE: return "worse";
	case SOAK_VERDICT_NOT_APPLICABLE: return "not applicable";
	default: return "insufficient data";
	}
}

const char *soak_verdict_token(soak_verdict_kind_t k)
{
	switch (k) {
	case SOAK_VERDICT_SAME: return "same";
	case SOAK_VERDICT_BETTER: return "better";
	case SOAK_VERDICT_WORSE: return "worse";
	case SOAK_VERDICT_NOT_APPLICABLE: return "not_applicable";
	default: return "insufficient";
	}
}

static void fmt_change(char *buf, size_t len, const soak_verdict_opts_t *o, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else if (isinf(v))
		snprintf(buf, len, "%sinf", v > 0 ? "+" : "-");
	else if (o->scale == SOAK_SCALE_RATIO)
		snprintf(buf, len, "%+.2f%%", v);
	else
		snprintf(buf, len, "%+.3g", v);
}

static void fmt_p(char *buf, size_t len, const soak_mwu_t *m)
{
	if (m->p < 0.001)
		snprintf(buf, len, "p < 0.001 (%s U)", m->exact ? "exact" : "normal approx.");
	else
		snprintf(buf, len, "p = %.3f (%s U)", m->p, m->exact ? "exact" : "normal approx.");
}

/* v->why: the change, its interval, the p-value, the units and, when there
 * is no verdict, why not. */
static void verdict_text(const soak_verdict_opts_t *o, const char *unit, soak_verdict_t *vp)
{
	const soak_verdict_opts_t opt = *o;
	soak_verdict_t v = *vp;
	size_t na = v.n_a, nb = v.n_b;
	char ch[32], l[32], h[32], p[48], ci[80] = "";
	fmt_change(ch, sizeof(ch), &opt, v.change);
	fmt_p(p, sizeof(p), &v.mwu);
	if (v.has_ci) {
		fmt_change(l, sizeof(l), &opt, v.ci_lo);
		fmt_change(h, sizeof(h), &opt, v.ci_hi);
		snprintf(ci, sizeof(ci), " [%s, %s]", l, h);
	} else {
		snprintf(ci, sizeof(ci), " (baseline mean 0: no relative change)");
	}
	char thr[96];
	if (opt.practical_text)
		snprintf(thr, sizeof(thr), "%s", opt.practical_text);
	else if (opt.scale == SOAK_SCALE_DIFF)
		snprintf(thr, sizeof(thr), "%g", opt.practical_abs);
	else if (opt.practical_abs > 0)
		snprintf(thr, sizeof(thr), "%g%% and %g", opt.practical_pct, opt.practical_abs);
	else
		snprintf(thr, sizeof(thr), "%g%%", opt.practical_pct);
	const char *tail;
	char tbuf[160];
	if (v.kind != SOAK_VERDICT_SAME)
		tail = "";
	else if (v.below_resolution) {
		snprintf(tbuf, sizeof(tbuf), ": below resolution (%g %s)", opt.resolution,
			 opt.resolution_unit ? opt.resolution_unit : "");
		tail = tbuf;
	} else if (!v.significant) {
		snprintf(tbuf, sizeof(tbuf), ": not significant at alpha = %g", opt.alpha);
		tail = tbuf;
	} else {
		snprintf(tbuf, sizeof(tbuf), ": significant but within the practical threshold (%s)",
			 thr);
		tail = tbuf;
	}
	const char *of = opt.stat && opt.stat_name ? opt.stat_name : NULL;
	snprintf(v.why, sizeof(v.why), "%s%s%s%s%s, %s, %zu vs %zu %s%s", ch, ci, of ? " (of the " : "",
		 of ? of : "", of ? ")" : "", p, na, nb, unit, tail);
	*vp = v;
}

int soak_verdict(const double *a, size_t na, const double *b, size_t nb,
		 const soak_verdict_opts_t *o, soak_verdict_t *ret)
{
	soak_verdict_opts_t opt = *o;
	if (!(opt.alpha > 0))
		opt.alpha = SOAK_VERDICT_ALPHA;
	if (opt.alpha >= 1 || opt.practical_pct < 0 || opt.practical_abs < 0)
		return -EINVAL;
	if (!opt.min_units)
		opt.min_units = soak_verdict_min_units(opt.alpha);
	if (!opt.resamples)
		opt.resamples = SOAK_VERDICT_BOOTSTRAP_N;
	if (!opt.seed)
		opt.seed = SOAK_VERDICT_SEED;
	const char *unit = opt.unit_name ? opt.unit_name : "units";
	for (size_t i = 0; i < na; i++)
		if (isnan(a[i]))
			return -EINVAL;
	for (size_t i = 0; i < nb; i++)
		if (isnan(b[i]))
			return -EINVAL;

	soak_verdict_t v = { .kind = SOAK_VERDICT_INSUFFICIENT, .n_a = na, .n_b = nb,
			     .mean_a = NAN, .mean_b = NAN, .change = NAN, .ci_lo = NAN, .ci_hi = NAN };
	if (na < opt.min_units || nb < opt.min_units) {
		snprintf(v.why, sizeof(v.why), "needs at least %zu units per allocator (%s), have %zu "
			 "and %zu (baseline)", opt.min_units, unit, na, nb);
		*ret = v;
		return 0;
	}
	if (opt.stat) {
		size_t *idx = malloc((na > nb ? na : nb) * sizeof(size_t));
		if (!idx)
			return -ENOMEM;
		for (size_t i = 0; i < (na > nb ? na : nb); i++)
			idx[i] = i;
		v.mean_a = opt.stat(opt.stat_ctx, 0, idx, na);
		v.mean_b = opt.stat(opt.stat_ctx, 1, idx, nb);
		free(idx);
		if (isnan(v.mean_a) || isnan(v.mean_b))
			return -EINVAL;
	} else {
		v.mean_a = mean_of(a, na);
		v.mean_b = mean_of(b, nb);
	}
	if (opt.scale == SOAK_SCALE_DIFF)
		v.change = v.mean_a - v.mean_b;
	else if (v.mean_b != 0)
		v.change = 100.0 * (v.mean_a / v.mean_b - 1.0);
	else if (v.mean_a == 0)
		v.change = 0;

	int r = soak_mwu(a, na, b, nb, &v.mwu);
	if (r < 0)
		return r;
	double lo, hi;
	r = opt.stat ? soak_bootstrap_stat_ci(&opt, na, nb, 1 - opt.alpha, &lo, &hi)
		     : soak_bootstrap_ci(a, na, b, nb, opt.scale, 1 - opt.alpha, opt.resamples, opt.seed,
					 &lo, &hi);
	if (r == 0) {
		v.has_ci = true;
		v.ci_lo = opt.scale == SOAK_SCALE_RATIO ? 100.0 * (lo - 1.0) : lo;
		v.ci_hi = opt.scale == SOAK_SCALE_RATIO ? 100.0 * (hi - 1.0) : hi;
	} else if (r != -EDOM) {
		return r;
	}

	/* Significant: the rank test and the interval agree. Without an interval
	 * (baseline mean 0 on the ratio scale) the rank test decides alone. */
	v.significant = v.mwu.p < opt.alpha && (!v.has_ci || v.ci_lo > 0 || v.ci_hi < 0);
	double absdiff = fabs(v.mean_a - v.mean_b);
	/* A change the instrument cannot resolve (one tick of the clock the
	 * latency is read with) is never significant, whatever the ranks say. */
	v.below_resolution = opt.resolution > 0 && absdiff <= opt.resolution;
	if (v.below_resolution)
		v.significant = false;
	bool abs_ok = opt.practical_abs <= 0 || absdiff > opt.practical_abs;
	if (opt.scale == SOAK_SCALE_DIFF)
		v.practical = absdiff > opt.practical_abs;
	else
		v.practical = abs_ok && (isnan(v.change) || fabs(v.change) > opt.practical_pct);
	if (v.significant && v.practical) {
		bool higher = v.mean_a > v.mean_b;
		v.kind = higher == (opt.dir == SOAK_HIGHER_IS_BETTER) ? SOAK_VERDICT_BETTER
								      : SOAK_VERDICT_WORSE;
	} else {
		v.kind = SOAK_VERDICT_SAME;
	}

	verdict_text(&opt, unit, &v);
	*ret = v;
	return 0;
}
