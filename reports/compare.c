/* compare.c - groups of runs, their figures and verdicts against a baseline;
 * see compare.h. The output formats are in compare-emit.c. */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "result-internal.h"

#define MIB (1024.0 * 1024.0)

/* ---- the metric table ---- */

#define FIG_GETTER(fn, member) \
	static const soak_fig_t *fn(const soak_run_result_t *r) { return &r->member; }
FIG_GETTER(f_tp, tp.mean)
FIG_GETTER(f_cv, tp.cv_pct)
FIG_GETTER(f_tp_drift, tp.drift_pct)
FIG_GETTER(f_rss_mean, rss.mean)
FIG_GETTER(f_rss_peak, rss.peak)
FIG_GETTER(f_rss_drift, rss.drift_pct)
FIG_GETTER(f_live, eff.live_mean)
FIG_GETTER(f_overhead, eff.overhead_mean)
FIG_GETTER(f_overhead_drift, eff.overhead_drift_pct)
FIG_GETTER(f_live_peak, eff.live_peak)
FIG_GETTER(f_live_end, eff.live_end)
FIG_GETTER(f_overhead_end, eff.overhead_end)
FIG_GETTER(f_sc, sc_total_per_op)
FIG_GETTER(f_p50, lat.p50_ns)
FIG_GETTER(f_p99, lat.p99_ns)
FIG_GETTER(f_p999, lat.p999_ns)
FIG_GETTER(f_pf, pf.minor_per_op)
FIG_GETTER(f_step, steps.wall_mean_s)

static const soak_xy_t *s_tp(const soak_run_result_t *r) { return &r->tp.series; }
static const soak_xy_t *s_rss(const soak_run_result_t *r) { return &r->rss.series; }
static const soak_xy_t *s_overhead(const soak_run_result_t *r) { return &r->eff.overhead; }
static const soak_xy_t *s_p50(const soak_run_result_t *r) { return &r->lat.interval[SOAK_LAT_P50]; }
static const soak_xy_t *s_p99(const soak_run_result_t *r) { return &r->lat.interval[SOAK_LAT_P99]; }
static const soak_xy_t *s_p999(const soak_run_result_t *r) { return &r->lat.interval[SOAK_LAT_P999]; }
static const soak_xy_t *s_step(const soak_run_result_t *r) { return &r->steps.wall_series; }

/* Practical thresholds (docs/compare-gate.md): throughput 2%; RSS 5%
 * and at least 1 MiB (the seed's drift target; smaller absolute differences
 * are allocator metadata noise); latency percentiles 10% (a per-interval p99
 * moves by several percent between quiet intervals; the histogram itself is
 * within 0.4%); syscalls 10% and at least 1e-8 per op (the seed's "ideal"
 * grade: below it nobody can tell); minor faults 10% and 1e-5 per op (one
 * fault per 100,000 operations costs < 0.01 ns per op); drifts 2 percent
 * points; exec step wall time 2% like throughput (a step is the command's
 * whole run: its time is its throughput's inverse), never a latency. */
const soak_cmp_metric_def_t soak_cmp_metrics[SOAK_CM_N] = {
	[SOAK_CM_TP] = { "throughput", "Throughput (M ops/s)", "ops/s", "-", true,
			 SOAK_HIGHER_IS_BETTER, SOAK_SCALE_RATIO, 2, 0, SOAK_BLOCK_MEAN, f_tp, s_tp },
	[SOAK_CM_CV] = { "cv", "Throughput CV", "%", "~1-2%", false,
			 SOAK_LOWER_IS_BETTER, SOAK_SCALE_DIFF, 0, 1, SOAK_BLOCK_MEAN, f_cv, NULL },
	[SOAK_CM_TP_DRIFT] = { "tp_drift", "Throughput drift", "%", "> -5%", true,
			       SOAK_HIGHER_IS_BETTER, SOAK_SCALE_DIFF, 0, 2, SOAK_BLOCK_MEAN,
			       f_tp_drift, NULL },
	[SOAK_CM_RSS_MEAN] = { "rss_mean", "Mean RSS (MiB)", "bytes", "-", true,
			       SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, MIB, SOAK_BLOCK_MEAN,
			       f_rss_mean, s_rss },
	[SOAK_CM_RSS_PEAK] = { "rss_peak", "Peak RSS (MiB)", "bytes", "-", true,
			       SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, MIB, SOAK_BLOCK_MAX,
			       f_rss_peak, s_rss },
	[SOAK_CM_RSS_DRIFT] = { "rss_drift", "RSS drift", "%", "< +5%", true,
				SOAK_LOWER_IS_BETTER, SOAK_SCALE_DIFF, 0, 2, SOAK_BLOCK_MEAN,
				f_rss_drift, NULL },
	/* Overhead: 5% like RSS (RSS per live byte moves with RSS when the
	 * workload holds the same); its drift 2 points like RSS drift. */
	[SOAK_CM_LIVE_MEAN] = { "live_mean", "Live bytes (MiB, mean)", "bytes", "-", false,
				SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, MIB, SOAK_BLOCK_MEAN,
				f_live, NULL },
	[SOAK_CM_OVERHEAD] = { "overhead", "Overhead (RSS / live)", "x", "-", true,
			       SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, 0, SOAK_BLOCK_MEAN,
			       f_overhead, s_overhead },
	[SOAK_CM_OVERHEAD_DRIFT] = { "overhead_drift", "Overhead drift", "%", "< +5%", true,
				     SOAK_LOWER_IS_BETTER, SOAK_SCALE_DIFF, 0, 2, SOAK_BLOCK_MEAN,
				     f_overhead_drift, NULL },
	/* At the end: the only efficiency figures an exec command that reports
	 * its own live bytes has (docs/efficiency.md, "Exec commands"). */
	[SOAK_CM_LIVE_PEAK] = { "live_peak", "Live bytes (MiB, peak)", "bytes", "-", false,
				SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, MIB, SOAK_BLOCK_MAX,
				f_live_peak, NULL },
	[SOAK_CM_LIVE_END] = { "live_end", "Live bytes at end (MiB)", "bytes", "-", false,
			       SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, MIB, SOAK_BLOCK_MEAN,
			       f_live_end, NULL },
	[SOAK_CM_OVERHEAD_END] = { "overhead_end", "Overhead at end (RSS / live)", "x", "-", true,
				   SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 5, 0, SOAK_BLOCK_MEAN,
				   f_overhead_end, NULL },
	[SOAK_CM_SC_PER_OP] = { "syscalls_per_op", "Syscall budget (/op)", "per op", "< 1e-7/op",
				true, SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 10, 1e-8,
				SOAK_BLOCK_MEAN, f_sc, NULL },
	[SOAK_CM_LAT_P50] = { "latency_p50", "Latency p50", "ns", "-", true, SOAK_LOWER_IS_BETTER,
			      SOAK_SCALE_RATIO, 10, 0, SOAK_BLOCK_MEAN, f_p50, s_p50 },
	[SOAK_CM_LAT_P99] = { "latency_p99", "Latency p99", "ns", "-", true, SOAK_LOWER_IS_BETTER,
			      SOAK_SCALE_RATIO, 10, 0, SOAK_BLOCK_MEAN, f_p99, s_p99 },
	[SOAK_CM_LAT_P999] = { "latency_p999", "Latency p99.9", "ns", "-", true,
			       SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 10, 0, SOAK_BLOCK_MEAN,
			       f_p999, s_p999 },
	[SOAK_CM_PF_PER_OP] = { "page_faults_per_op", "Page faults (minor, /op)", "per op", "-",
				true, SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 10, 1e-5,
				SOAK_BLOCK_MEAN, f_pf, NULL },
	[SOAK_CM_STEP_WALL] = { "step_wall", "Step wall time (s, mean)", "s", "-", true,
				SOAK_LOWER_IS_BETTER, SOAK_SCALE_RATIO, 2, 0, SOAK_BLOCK_MEAN,
				f_step, s_step },
};

const soak_cmp_metric_def_t *soak_cmp_metric_find(const char *key)
{
	for (int i = 0; key && i < SOAK_CM_N; i++)
		if (!strcmp(soak_cmp_metrics[i].key, key))
			return &soak_cmp_metrics[i];
	return NULL;
}

/* ---- latency: quantiles of the runs' merged histograms ---- */

/* The quantile a latency metric reads, or 0 for another metric. */
static double lat_quantile(const soak_cmp_metric_def_t *m)
{
	return m->fig == f_p50 ? 0.50 : m->fig == f_p99 ? 0.99 : m->fig == f_p999 ? 0.999 : 0;
}

/* Whether every run has a steady-state histogram with timed operations. */
static bool all_have_hist(const soak_run_result_t *const *runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!runs[i]->lat.hist || !runs[i]->lat.hist->count)
			return false;
	return n > 0;
}

typedef struct {
	const soak_run_result_t *const *runs[2];
	double q;
	unsigned lo, hi;          /* the buckets any run uses */
	soak_hist_t *acc;         /* zero outside [lo, hi] */
} merged_q_t;

static void merged_q_range(merged_q_t *m, const size_t *n)
{
	m->lo = SOAK_HIST_BUCKETS - 1;
	m->hi = 0;
	for (int g = 0; g < 2; g++)
		for (size_t i = 0; i < n[g]; i++) {
			const soak_hist_t *h = m->runs[g][i]->lat.hist;
			for (unsigned b = 0; b < SOAK_HIST_BUCKETS; b++)
				if (h->b[b]) {
					if (b < m->lo)
						m->lo = b;
					if (b > m->hi)
						m->hi = b;
				}
		}
	if (m->lo > m->hi)
		m->lo = m->hi = 0;
}

/* soak_verdict_opts_t.stat: quantile q of the merged histograms of the runs
 * idx[0..n) of group g (a run drawn twice counts twice). */
static double merged_q_stat(void *ctx, int g, const size_t *idx, size_t n)
{
	merged_q_t *m = ctx;
	soak_hist_t *a = m->acc;
	memset(&a->b[m->lo], 0, (m->hi - m->lo + 1) * sizeof(a->b[0]));
	a->count = a->sum = a->max = 0;
	a->min = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		const soak_hist_t *h = m->runs[g][idx[i]]->lat.hist;
		for (unsigned b = m->lo; b <= m->hi; b++)
			a->b[b] += h->b[b];
		a->count += h->count;
		a->sum += h->sum;
		if (h->max > a->max)
			a->max = h->max;
		if (h->min < a->min)
			a->min = h->min;
	}
	int ok = 0;
	double v = soak_hist_quantile(a, m->q, &ok);
	return ok ? v : NAN;
}

/* The group's figure for a latency quantile: the quantile of its runs'
 * merged steady-state histograms (the number the verdict tests). False when
 * a run has no histogram (then the mean of the runs' own figures is shown). */
static bool merged_lat_fig(const soak_cmp_metric_def_t *d, const soak_run_result_t *const *set,
			   size_t n, soak_fig_t *out)
{
	double q = lat_quantile(d);
	if (!q || !all_have_hist(set, n))
		return false;
	soak_hist_t *acc = malloc(sizeof(*acc));
	if (!acc)
		return false;
	soak_hist_init(acc);
	size_t *idx = malloc(n * sizeof(*idx));
	if (!idx) {
		free(acc);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	merged_q_t m = { .runs = { set, set }, .q = q, .acc = acc };
	size_t ns[2] = { n, 0 };
	merged_q_range(&m, ns);
	double v = merged_q_stat(&m, 0, idx, n);
	free(idx);
	free(acc);
	if (isnan(v))
		return false;
	memset(out, 0, sizeof(*out));
	out->valid = true;
	out->v = v;
	return true;
}

double soak_cmp_lat_resolution(const soak_run_result_t *const *a, size_t na,
			       const soak_run_result_t *const *b, size_t nb,
			       const soak_cmp_metric_def_t *m)
{
	if (!lat_quantile(m))
		return 0;
	const soak_run_result_t *const *sets[2] = { a, b };
	size_t ns[2] = { na, nb };
	double v = 0, res = 0;
	for (int g = 0; g < 2; g++)
		for (size_t i = 0; i < ns[g]; i++)
			if (m->fig(sets[g][i])->valid)
				v = fmax(v, m->fig(sets[g][i])->v);
	for (int g = 0; g < 2; g++)
		for (size_t i = 0; i < ns[g]; i++)
			res = fmax(res, soak_lat_resolution_ns(sets[g][i]->lat.hist, v));
	return res;
}

/* ---- units ---- */

size_t soak_cmp_run_intervals(const soak_run_result_t *r)
{
	/* The shortest non-empty per-interval series, so that every metric with
	 * a series gets at least SOAK_VERDICT_MIN_BLOCKS blocks. */
	const size_t n[] = { r->tp.series.n, r->rss.series.n, r->lat.interval[SOAK_LAT_P99].n };
	size_t m = 0;
	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (n[i] && (!m || n[i] < m))
			m = n[i];
	return m;
}

void soak_cmp_choose_units(const soak_run_result_t *const *const *sets, const size_t *n_sets,
			   size_t n_groups, double alpha, soak_cmp_units_t *ret)
{
	/* The run is the unit, always: intervals of one run share its host
	 * conditions, so blocks of one run are not independent and leave out
	 * run-to-run variation, the largest part of the noise on a shared host
	 * Fewer than min_units ok runs: insufficient data. */
	(void)sets, (void)n_sets, (void)n_groups;
	memset(ret, 0, sizeof(*ret));
	ret->min_units = soak_verdict_min_units(alpha);
	snprintf(ret->desc, sizeof(ret->desc), "runs (one unit = one run's steady-state value)");
}

int soak_cmp_units(const soak_cmp_metric_def_t *m, const soak_run_result_t *const *runs, size_t n,
		   const soak_cmp_units_t *u, double **ret, size_t *ret_n, char *why, size_t whylen)
{
	*ret = NULL;
	*ret_n = 0;
	why[0] = '\0';
	if (u->blocks && !u->block_len) {
		snprintf(why, whylen, "%s", u->why_no_blocks);
		return 0;
	}
	if (u->blocks && !m->series) {
		snprintf(why, whylen, "%s is one value per run (no per-interval series for blocks): "
			 "needs at least %zu repeats per allocator (--repeat %zu)", m->key, u->min_units,
			 u->min_units);
		return 0;
	}
	size_t cap = 0;
	for (size_t i = 0; i < n; i++)
		cap += u->blocks ? m->series(runs[i])->n / u->block_len + 1 : 1;
	double *x = malloc((cap ? cap : 1) * sizeof(double));
	if (!x)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const soak_fig_t *f = m->fig(runs[i]);
		char nm[96];
		if (!f->valid) {
			snprintf(why, whylen, "%s unavailable for %s: %s", m->key,
				 soak_result_name(runs[i], nm, sizeof(nm)), f->why);
			free(x);
			return 0;
		}
		if (!u->blocks) {
			x[k++] = f->v;
			continue;
		}
		const soak_xy_t *s = m->series(runs[i]);
		k += soak_verdict_blocks(s->v, s->n, u->block_len, m->agg, x + k);
	}
	*ret = x;
	*ret_n = k;
	return 0;
}

static const char *why_not_rate(const soak_run_result_t *r)
{
	return r->tp.not_rate[0] ? r->tp.not_rate : NULL;
}

static const char *why_no_steps(const soak_run_result_t *r)
{
	const char *w = r->steps.wall_mean_s.why;
	return !strncmp(w, "not applicable", 14) ? w : NULL;
}

/* A "not applicable" verdict when why() names a reason for any run. */
static bool not_applicable(const soak_run_result_t *const *cand, size_t nc,
			   const soak_run_result_t *const *base, size_t nb,
			   const char *(*why)(const soak_run_result_t *), soak_verdict_t *ret)
{
	const soak_run_result_t *const *sets[2] = { cand, base };
	size_t ns[2] = { nc, nb };
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ns[k]; i++) {
			const char *w = why(sets[k][i]);
			if (!w)
				continue;
			memset(ret, 0, sizeof(*ret));
			ret->kind = SOAK_VERDICT_NOT_APPLICABLE;
			ret->mean_a = ret->mean_b = ret->change = ret->ci_lo = ret->ci_hi = NAN;
			snprintf(ret->why, sizeof(ret->why), "%s", w);
			return true;
		}
	return false;
}

int soak_cmp_verdict(const soak_cmp_metric_def_t *m, const soak_run_result_t *const *cand,
		     size_t nc, const soak_run_result_t *const *base, size_t nb,
		     const soak_cmp_units_t *u, double alpha, double practical_pct,
		     double practical_abs, uint64_t seed, soak_verdict_t *ret)
{
	double *a = NULL, *b = NULL;
	size_t na = 0, nbu = 0;
	char wa[SOAK_VERDICT_WHY_MAX], wb[SOAK_VERDICT_WHY_MAX];
	/* A workload whose operation rate is no throughput (fragment: its idle
	 * phases set it) gets no throughput verdict. */
	if ((m->fig == f_tp || m->fig == f_cv || m->fig == f_tp_drift) &&
	    not_applicable(cand, nc, base, nb, why_not_rate, ret))
		return 0;
	/* Step wall time exists for exec --repeat only: for a built-in
	 * workload it is not applicable, not a lack of data. */
	if (m->fig == f_step && not_applicable(cand, nc, base, nb, why_no_steps, ret))
		return 0;
	int r = soak_cmp_units(m, cand, nc, u, &a, &na, wa, sizeof(wa));
	if (r == 0)
		r = soak_cmp_units(m, base, nb, u, &b, &nbu, wb, sizeof(wb));
	if (r < 0)
		goto out;
	if (wa[0] || wb[0]) {
		memset(ret, 0, sizeof(*ret));
		ret->kind = SOAK_VERDICT_INSUFFICIENT;
		ret->mean_a = ret->mean_b = ret->change = ret->ci_lo = ret->ci_hi = NAN;
		snprintf(ret->why, sizeof(ret->why), "%s", wa[0] ? wa : wb);
		goto out;
	}
	char unit[64], thr[96];
	double pct = isnan(practical_pct) ? m->practical_pct : practical_pct;
	double abs_ = isnan(practical_abs) ? m->practical_abs : practical_abs;
	bool mib = m->fig == soak_cmp_metrics[SOAK_CM_RSS_MEAN].fig ||
		   m->fig == soak_cmp_metrics[SOAK_CM_RSS_PEAK].fig;
	if (m->scale == SOAK_SCALE_DIFF)
		snprintf(thr, sizeof(thr), "%g percent points", abs_);
	else if (abs_ > 0 && mib)
		snprintf(thr, sizeof(thr), "%g%% and %g MiB", pct, abs_ / (1024.0 * 1024.0));
	else if (abs_ > 0)
		snprintf(thr, sizeof(thr), "%g%% and %g %s", pct, abs_, m->unit);
	else
		snprintf(thr, sizeof(thr), "%g%%", pct);
	if (u->blocks)
		snprintf(unit, sizeof(unit), "blocks of %zu intervals", u->block_len);
	else
		snprintf(unit, sizeof(unit), "repeats");
	soak_verdict_opts_t vo = {
		.alpha = alpha, .dir = m->dir, .scale = m->scale,
		.practical_pct = pct, .practical_abs = abs_,
		.min_units = u->min_units, .seed = seed, .unit_name = unit, .practical_text = thr,
	};
	/* Latency with the run as the unit: the point estimates and the interval
	 * are quantiles of the runs' merged histograms (runs resampled with
	 * replacement, 2,000 times), so the verdict tests the table's numbers;
	 * the rank test runs on the runs' own quantiles. */
	merged_q_t mq = { .runs = { cand, base }, .q = lat_quantile(m) };
	if (mq.q && !u->blocks && all_have_hist(cand, nc) && all_have_hist(base, nb)) {
		if (!(mq.acc = malloc(sizeof(*mq.acc)))) {
			r = -ENOMEM;
			goto out;
		}
		soak_hist_init(mq.acc);
		size_t ns[2] = { nc, nb };
		merged_q_range(&mq, ns);
		vo.stat = merged_q_stat;
		vo.stat_ctx = &mq;
		vo.stat_name = "merged histograms";
		vo.resamples = 2000;
		vo.resolution = soak_cmp_lat_resolution(cand, nc, base, nb, m);
		vo.resolution_unit = "ns";
	}
	r = soak_verdict(a, na, b, nbu, &vo, ret);
	free(mq.acc);
out:
	free(a);
	free(b);
	return r;
}

/* ---- a comparison ---- */

__attribute__((format(printf, 2, 3)))
static int add_note(soak_comparison_t *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char **n = realloc(c->notes, (c->n_notes + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->notes = n;
	if (!(n[c->n_notes] = strdup(buf)))
		return -ENOMEM;
	c->n_notes++;
	return 0;
}

/* A run that lost samples is not a complete result, whatever its status. */
static bool is_ok(const soak_run_result_t *r)
{
	return r->run.status && !strcmp(r->run.status, "ok") && r->run.samples_lost <= 0;
}

/* "ok x3, oom-killed x1" in order of first appearance. */
static void status_counts(soak_cmp_group_t *g)
{
	const char *seen[16];
	size_t cnt[16], ns = 0;
	for (size_t i = 0; i < g->n_runs; i++) {
		const char *s = g->runs[i]->run.status ? g->runs[i]->run.status : "unknown";
		size_t j = 0;
		while (j < ns && strcmp(seen[j], s))
			j++;
		if (j == ns && ns < 16) {
			seen[ns] = s;
			cnt[ns++] = 0;
		}
		if (j < ns)
			cnt[j]++;
	}
	g->status[0] = '\0';
	for (size_t j = 0; j < ns; j++) {
		size_t l = strlen(g->status);
		snprintf(g->status + l, sizeof(g->status) - l, "%s%s x%zu", j ? ", " : "", seen[j], cnt[j]);
	}
}

static void aggregate(soak_cmp_group_t *g)
{
	const soak_run_result_t **set = g->n_ok ? g->ok : g->runs;
	size_t n = g->n_ok ? g->n_ok : g->n_runs;
	g->from_partial = !g->n_ok && g->n_runs;
	for (int m = 0; m < SOAK_CM_N; m++) {
		const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
		soak_fig_t *out = &g->fig[m];
		if (merged_lat_fig(d, (const soak_run_result_t *const *)set, n, out))
			continue;
		double acc = d->agg == SOAK_BLOCK_MAX ? -INFINITY : 0;
		size_t c = 0;
		const soak_fig_t *first_bad = NULL;
		for (size_t i = 0; i < n; i++) {
			const soak_fig_t *f = d->fig(set[i]);
			if (!f->valid) {
				if (!first_bad)
					first_bad = f;
				continue;
			}
			acc = d->agg == SOAK_BLOCK_MAX ? fmax(acc, f->v) : acc + f->v;
			c++;
		}
		memset(out, 0, sizeof(*out));
		if (c) {
			out->valid = true;
			out->v = d->agg == SOAK_BLOCK_MAX ? acc : acc / (double)c;
			if (first_bad)   /* some repeats lack it: say so next to the value */
				snprintf(out->why, sizeof(out->why), "%zu of %zu runs", c, n);
		} else {
			out->v = NAN;
			snprintf(out->why, sizeof(out->why), "%s",
				 first_bad ? first_bad->why : "no runs");
		}
	}
	g->grade = g->fig[SOAK_CM_SC_PER_OP].valid ? soak_grade_of(g->fig[SOAK_CM_SC_PER_OP].v)
						   : SOAK_GRADE_NONE;
}

/* CV of the mean throughputs of runs (sample SD / mean, percent). */
static void run_cv(const soak_run_result_t *const *runs, size_t n, soak_fig_t *out)
{
	double m = 0, ss = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (runs[i]->tp.mean.valid && !runs[i]->tp.not_rate[0]) {
			m += runs[i]->tp.mean.v;
			k++;
		}
	memset(out, 0, sizeof(*out));
	out->v = NAN;
	if (k < 2) {
		snprintf(out->why, sizeof(out->why), "needs at least 2 runs with a throughput, has %zu", k);
		return;
	}
	m /= (double)k;
	for (size_t i = 0; i < n; i++)
		if (runs[i]->tp.mean.valid && !runs[i]->tp.not_rate[0])
			ss += (runs[i]->tp.mean.v - m) * (runs[i]->tp.mean.v - m);
	if (!(m > 0)) {
		snprintf(out->why, sizeof(out->why), "mean throughput 0");
		return;
	}
	out->valid = true;
	out->v = 100.0 * sqrt(ss / (double)(k - 1)) / m;
}

static int notes_for(soak_comparison_t *c)
{
	int r = 0;
	for (size_t i = 0; i < c->n && r == 0; i++) {
		soak_cmp_group_t *g = &c->g[i];
		for (size_t j = 0; j < g->n_runs && r == 0; j++) {
			const soak_run_result_t *x = g->runs[j];
			if (is_ok(x))
				continue;
			char nm[96], st[128];
			soak_fmt_status(&x->run, st, sizeof(st));
			r = add_note(c, "%s is %s: shown with its status and excluded from the verdicts.",
				     soak_result_name(x, nm, sizeof(nm)), st);
		}
		if (r == 0 && g->from_partial)
			r = add_note(c, "%s has no run with status ok: its figures come from the "
				     "partial runs and it gets no verdicts.", g->name);
	}
	/* Runs that do not share workload, duration and limits are not comparable. */
	const soak_run_t *ref = NULL;
	for (size_t i = 0; i < c->n && r == 0; i++)
		for (size_t j = 0; j < c->g[i].n_runs && r == 0; j++) {
			const soak_run_t *x = &c->g[i].runs[j]->run;
			if (!ref) {
				ref = x;
				continue;
			}
			bool same = x->workload && ref->workload && !strcmp(x->workload, ref->workload) &&
				    ((!x->workload_args && !ref->workload_args) ||
				     (x->workload_args && ref->workload_args &&
				      !strcmp(x->workload_args, ref->workload_args))) &&
				    x->duration_s == ref->duration_s && x->warmup_s == ref->warmup_s &&
				    x->has_memory_max == ref->has_memory_max &&
				    x->memory_max == ref->memory_max && x->has_cpu_max == ref->has_cpu_max &&
				    x->cpu_max_pct == ref->cpu_max_pct;
			if (!same) {
				r = add_note(c, "Warning: the runs differ in workload, its options, "
					     "duration, warm-up or limits (run %lld vs run %lld): "
					     "the comparison is not like for like.",
					     (long long)x->id, (long long)ref->id);
				ref = NULL;
				goto done;
			}
		}
done:
	if (r == 0 && c->opts.interrupted)
		r = add_note(c, "The comparison was interrupted: not every planned run was made.");
	return r;
}

/* Mean of a figure over runs (the valid ones); false when none is valid. */
static bool mean_fig(const soak_run_result_t *const *runs, size_t n, size_t off, double *ret)
{
	double s = 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const soak_fig_t *f = (const soak_fig_t *)((const char *)runs[i] + off);
		if (f->valid) {
			s += f->v;
			k++;
		}
	}
	if (k)
		*ret = s / (double)k;
	return k > 0;
}

static void compute_noise(soak_comparison_t *c)
{
	soak_cmp_noise_t *z = &c->noise;
	memset(z, 0, sizeof(*z));
	soak_rs_fig_none(&z->cv_pct, "not measured");
	soak_rs_fig_none(&z->drift_pct, "not measured");
	soak_rs_fig_none(&z->run_cv_pct, "needs the control runs of compare --control");
	const soak_cmp_opts_t *o = &c->opts;
	if (o->control && o->n_control) {
		const soak_run_result_t *ok[64];
		size_t n = 0;
		for (size_t i = 0; i < o->n_control && n < 64; i++)
			if (is_ok(o->control[i]))
				ok[n++] = o->control[i];
		z->from_control = true;
		int l = snprintf(z->source, sizeof(z->source), "compare --control: spin under system, "
				 "interleaved with the allocators' runs (%zu of %zu ok:", n, o->n_control);
		for (size_t i = 0; i < o->n_control && l > 0 && (size_t)l < sizeof(z->source); i++)
			l += snprintf(z->source + l, sizeof(z->source) - (size_t)l, " #%lld",
				      (long long)o->control[i]->run.id);
		if (l > 0 && (size_t)l < sizeof(z->source))
			snprintf(z->source + l, sizeof(z->source) - (size_t)l, ")");
		double v;
		if (mean_fig(ok, n, offsetof(soak_run_result_t, tp.cv_pct), &v))
			soak_rs_fig_set(&z->cv_pct, v);
		if (mean_fig(ok, n, offsetof(soak_run_result_t, tp.drift_pct), &v))
			soak_rs_fig_set(&z->drift_pct, v);
		run_cv(ok, n, &z->run_cv_pct);
		z->have = z->cv_pct.valid || z->run_cv_pct.valid;
		if (!z->have)
			snprintf(z->why, sizeof(z->why), "no control run ended ok with a throughput CV");
		return;
	}
	for (size_t i = 0; i < c->n; i++)
		for (size_t j = 0; j < c->g[i].n_runs; j++) {
			const soak_floor_t *fl = &c->g[i].runs[j]->floor;
			if (!fl->have)
				continue;
			z->have = true;
			snprintf(z->source, sizeof(z->source), "stored floor (soakctl calibrate or compare --control): %.320s", fl->desc);
			if (!isnan(fl->n.cv_pct))
				soak_rs_fig_set(&z->cv_pct, fl->n.cv_pct);
			if (!isnan(fl->n.drift_pct))
				soak_rs_fig_set(&z->drift_pct, fl->n.drift_pct);
			return;
		}
	snprintf(z->why, sizeof(z->why), "not measured for this host at the runs' interval: run "
		 "soakctl calibrate (same --interval), or compare with --control");
}

int soak_compare_compute(const soak_cmp_group_in_t *groups, size_t n, const soak_cmp_opts_t *o,
			 soak_comparison_t *ret)
{
	if (!groups || !n || !o || o->baseline >= n)
		return -EINVAL;
	soak_comparison_t c = { .n = n, .baseline = o->baseline, .opts = *o,
				.alpha = o->alpha > 0 ? o->alpha : SOAK_VERDICT_ALPHA,
				.seed = o->seed ? o->seed : SOAK_VERDICT_SEED };
	c.g = calloc(n, sizeof(*c.g));
	if (!c.g)
		return -ENOMEM;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		soak_cmp_group_t *g = &c.g[i];
		snprintf(g->name, sizeof(g->name), "%s", groups[i].name ? groups[i].name : "?");
		g->n_runs = groups[i].n_runs;
		g->runs = calloc(g->n_runs + 1, sizeof(*g->runs));
		g->ok = calloc(g->n_runs + 1, sizeof(*g->ok));
		if (!g->runs || !g->ok) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t j = 0; j < g->n_runs; j++) {
			g->runs[j] = groups[i].runs[j];
			if (is_ok(g->runs[j]))
				g->ok[g->n_ok++] = g->runs[j];
		}
		status_counts(g);
		aggregate(g);
		run_cv(g->ok, g->n_ok, &g->run_cv_pct);
	}

	/* One unit type for the whole comparison, from the ok runs. */
	const soak_run_result_t *const **sets = calloc(n, sizeof(*sets));
	size_t *ns = calloc(n, sizeof(*ns));
	if (!sets || !ns) {
		free(sets);
		free(ns);
		r = -ENOMEM;
		goto fail;
	}
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		if (c.g[i].n_ok) {
			sets[ng] = (const soak_run_result_t *const *)c.g[i].ok;
			ns[ng++] = c.g[i].n_ok;
		}
	soak_cmp_choose_units(sets, ns, ng, c.alpha, &c.units);
	free(sets);
	free(ns);

	const soak_cmp_group_t *b = &c.g[c.baseline];
	for (size_t i = 0; i < n; i++) {
		soak_cmp_group_t *g = &c.g[i];
		for (int m = 0; m < SOAK_CM_N; m++) {
			soak_verdict_t *v = &g->v[m];
			memset(v, 0, sizeof(*v));
			v->mean_a = v->mean_b = v->change = v->ci_lo = v->ci_hi = NAN;
			if (i == c.baseline || !soak_cmp_metrics[m].verdict)
				continue;
			if (!g->n_ok || !b->n_ok) {
				snprintf(v->why, sizeof(v->why), "%s has no run with status ok",
					 g->n_ok ? b->name : g->name);
				continue;
			}
			r = soak_cmp_verdict(&soak_cmp_metrics[m],
					     (const soak_run_result_t *const *)g->ok, g->n_ok,
					     (const soak_run_result_t *const *)b->ok, b->n_ok, &c.units,
					     c.alpha, NAN, NAN, c.seed, v);
			if (r < 0)
				goto fail;
		}
	}
	if ((r = notes_for(&c)) < 0)
		goto fail;
	compute_noise(&c);
	*ret = c;
	return 0;
fail:
	soak_compare_free(&c);
	return r;
}

void soak_compare_free(soak_comparison_t *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->g && i < c->n; i++) {
		free(c->g[i].runs);
		free(c->g[i].ok);
	}
	free(c->g);
	for (size_t i = 0; i < c->n_notes; i++)
		free(c->notes[i]);
	free(c->notes);
	memset(c, 0, sizeof(*c));
}
