/* result.c - pure computation of a run's reported figures; see result.h and
 * docs/metrics.md. No I/O: the loader (result-load.c) supplies the arrays. */
#include "result.h"
#include "result-internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const soak_sc_metrics[SOAK_SC_N] = {
	"sc_mmap", "sc_munmap", "sc_mremap", "sc_madvise", "sc_brk", "sc_mprotect",
	"sc_mlock", "sc_munlock",
	"sc_madvise_dontneed", "sc_madvise_free", "sc_madvise_hugepage",
	"sc_madvise_willneed", "sc_madvise_other",
};

const char *const soak_lat_metrics[SOAK_LAT_N] = {
	"lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns",
};

/* ---- figures ---- */

void soak_rs_fig_set(soak_fig_t *f, double v)
{
	if (isnan(v)) {
		f->valid = false;
		f->v = NAN;
		snprintf(f->why, sizeof(f->why), "not a number");
		return;
	}
	f->valid = true;
	f->v = v;
	f->why[0] = '\0';
}

__attribute__((format(printf, 2, 3)))
void soak_rs_fig_none(soak_fig_t *f, const char *fmt, ...)
{
	va_list ap;
	f->valid = false;
	f->v = NAN;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

void soak_rs_fig_copy_why(soak_fig_t *f, const soak_fig_t *from)
{
	soak_rs_fig_none(f, "%s", from->why);
}

/* Initial state of every figure: nothing computed yet. */
static void fig_init_all(soak_fig_t *figs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		soak_rs_fig_none(&figs[i], "not computed");
}

/* ---- input lookup ---- */

const soak_input_series_t *soak_rs_find_series(const soak_result_input_t *in, const char *metric)
{
	for (size_t i = 0; i < in->n_series; i++)
		if (in->series[i].metric && !strcmp(in->series[i].metric, metric))
			return &in->series[i];
	return NULL;
}

const soak_value_t *soak_rs_find_value(const soak_result_input_t *in, const char *name)
{
	for (size_t i = 0; i < in->n_values; i++)
		if (in->values[i].name && !strcmp(in->values[i].name, name))
			return &in->values[i];
	return NULL;
}

size_t soak_rs_count_valid(const soak_input_series_t *s, double t_from)
{
	size_t c = 0;
	for (size_t i = 0; s && i < s->n; i++)
		c += !isnan(s->v[i]) && !isnan(s->t[i]) && s->t[i] >= t_from;
	return c;
}

/* Why a series gives no value: the runner's reason wins. Returns true (and
 * fills f) when the series is unusable. */
bool soak_rs_series_unusable(const soak_input_series_t *s, const char *metric, soak_fig_t *f)
{
	if (s && s->unavailable) {
		soak_rs_fig_none(f, "%s", s->unavailable);
		return true;
	}
	if (!s || s->n == 0) {
		soak_rs_fig_none(f, "%s was never recorded for this run", metric);
		return true;
	}
	if (soak_rs_count_valid(s, -INFINITY) == 0) {
		soak_rs_fig_none(f, "%s could not be measured in any sample", metric);
		return true;
	}
	return false;
}

/* Steady-state valid points of a series into an owned soak_xy_t. */
int soak_rs_xy_steady(const soak_input_series_t *s, double t_from, soak_xy_t *out)
{
	memset(out, 0, sizeof(*out));
	size_t n = soak_rs_count_valid(s, t_from);
	if (!n)
		return 0;
	out->t = malloc(n * sizeof(double));
	out->v = malloc(n * sizeof(double));
	if (!out->t || !out->v) {
		free(out->t);
		free(out->v);
		out->t = out->v = NULL;
		return -ENOMEM;
	}
	for (size_t i = 0; i < s->n; i++)
		if (!isnan(s->v[i]) && !isnan(s->t[i]) && s->t[i] >= t_from) {
			out->t[out->n] = s->t[i];
			out->v[out->n] = s->v[i];
			out->n++;
		}
	return 0;
}

/* The end of the steady state: the runner's stop request. Samples after it
 * cover the worker winding down (and the final sample after the reap, taken
 * at an arbitrary time), so rates and levels stop there; counters still use
 * the final sample for whole-run totals. */
double soak_rs_steady_end(const soak_result_input_t *in)
{
	for (size_t i = 0; i < in->n_events; i++)
		if (in->events[i].kind && !strcmp(in->events[i].kind, "stop_requested"))
			return in->events[i].t;
	return INFINITY;
}

/* Samples of s taken at or before t_to (series are in time order). */
size_t soak_rs_n_upto(const soak_input_series_t *s, double t_to)
{
	size_t n = s->n;
	while (n && s->t[n - 1] > t_to)
		n--;
	return n;
}

void soak_rs_xy_trim(soak_xy_t *xy, double t_to)
{
	while (xy->n && xy->t[xy->n - 1] > t_to)
		xy->n--;
}

void soak_rs_xy_free(soak_xy_t *xy)
{
	free(xy->t);
	free(xy->v);
	memset(xy, 0, sizeof(*xy));
}

double soak_rs_series_max(const soak_input_series_t *s)
{
	double m = NAN;
	for (size_t i = 0; s && i < s->n; i++)
		if (!isnan(s->v[i]) && (isnan(m) || s->v[i] > m))
			m = s->v[i];
	return m;
}

double soak_rs_series_last(const soak_input_series_t *s)
{
	for (size_t i = s ? s->n : 0; i-- > 0;)
		if (!isnan(s->v[i]))
			return s->v[i];
	return NAN;
}

/* ---- run record copy (the result owns its strings) ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

#define RUN_STRINGS(X) X(uuid) X(label) X(comparison_id) X(host) X(kernel) \
	X(suite_version) X(git_rev) X(cgroup_mode) X(cgroup_paths) X(allocator_name) \
	X(allocator_path) X(allocator_env) X(allocator_sha256) X(allocator_observed) \
	X(workload) X(workload_args) X(started_at) X(ended_at) X(status) X(message) \
	X(cgroup_placement) \
	X(cpu_model) X(host_class)

static void run_clear(soak_run_t *r)
{
#define FREE_ONE(f) free(r->f); r->f = NULL;
	RUN_STRINGS(FREE_ONE)
#undef FREE_ONE
}

static int run_copy(soak_run_t *dst, const soak_run_t *src)
{
	/* Scalars by assignment; strings duplicated one by one, so a field added
	 * to soak_run_t later is never shared by accident (it stays NULL). */
	*dst = *src;
#define NULL_ONE(f) dst->f = NULL;
	RUN_STRINGS(NULL_ONE)
#undef NULL_ONE
	int bad = 0;
#define DUP_ONE(f) dst->f = dup_or_null(src->f); bad |= src->f && !dst->f;
	RUN_STRINGS(DUP_ONE)
#undef DUP_ONE
	if (bad) {
		run_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

/* ---- helpers ---- */

const char *soak_grade_name(soak_grade_t g)
{
	switch (g) {
	case SOAK_GRADE_IDEAL: return "ideal";
	case SOAK_GRADE_ACCEPTABLE: return "acceptable";
	case SOAK_GRADE_HIGH: return "high";
	default: return "n/a";
	}
}

soak_grade_t soak_grade_of(double per_op)
{
	if (isnan(per_op))
		return SOAK_GRADE_NONE;
	if (per_op < SOAK_GRADE_IDEAL_PER_OP)
		return SOAK_GRADE_IDEAL;
	if (per_op < SOAK_GRADE_ACCEPTABLE_PER_OP)
		return SOAK_GRADE_ACCEPTABLE;
	return SOAK_GRADE_HIGH;
}

char *soak_result_name(const soak_run_result_t *r, char *buf, size_t len)
{
	const char *a = r->run.allocator_name ? r->run.allocator_name : "?";
	snprintf(buf, len, "%s #%lld", a, (long long)r->run.id);
	return buf;
}

/* ---- pieces ---- */

void soak_rs_put_drift(const double *v, size_t n, size_t k, soak_fig_t *first, soak_fig_t *last,
		      soak_fig_t *drift)
{
	soak_drift_t d;
	int rc = soak_stats_drift(v, n, k, &d);
	if (rc == 0) {
		soak_rs_fig_set(first, d.first_mean);
		soak_rs_fig_set(last, d.last_mean);
		soak_rs_fig_set(drift, d.drift_pct);
		return;
	}
	if (rc == -EDOM)
		soak_rs_fig_none(drift, "the mean of the first %zu steady-state samples is 0", k);
	else
		soak_rs_fig_none(drift, "drift compares the first and the last %zu values: it needs %zu after the warm-up, this run has %zu (run longer or sample more often)", k, 2 * k, n);
	soak_rs_fig_copy_why(first, drift);
	soak_rs_fig_copy_why(last, drift);
}

void soak_rs_put_slope(const soak_xy_t *xy, soak_slope_t *raw, soak_fig_t *per_s, soak_fig_t *pct,
		      soak_fig_t *lo, soak_fig_t *hi)
{
	int rc = soak_stats_slope(xy->t, xy->v, xy->n, raw);
	if (rc < 0) {
		memset(raw, 0, sizeof(*raw));
		if (rc == -EDOM)
			soak_rs_fig_none(pct, "all steady-state samples share one time stamp");
		else
			soak_rs_fig_none(pct, "a trend needs at least 3 values after the warm-up, this run has %zu", xy->n);
		if (per_s)
			soak_rs_fig_copy_why(per_s, pct);
		soak_rs_fig_copy_why(lo, pct);
		soak_rs_fig_copy_why(hi, pct);
		return;
	}
	if (per_s)
		soak_rs_fig_set(per_s, raw->slope);
	if (isnan(raw->pct_per_hour)) {
		soak_rs_fig_none(pct, "the steady-state mean is 0, a relative slope is undefined");
		soak_rs_fig_copy_why(lo, pct);
		soak_rs_fig_copy_why(hi, pct);
		return;
	}
	soak_rs_fig_set(pct, raw->pct_per_hour);
	soak_rs_fig_set(lo, raw->pct_per_hour_ci_lo);
	soak_rs_fig_set(hi, raw->pct_per_hour_ci_hi);
}

static void compute_extent(const soak_result_input_t *in, soak_run_result_t *r)
{
	double last = NAN;
	size_t best = 0;
	for (size_t i = 0; i < in->n_series; i++) {
		const soak_input_series_t *s = &in->series[i];
		for (size_t j = 0; j < s->n; j++)
			if (!isnan(s->t[j]) && (isnan(last) || s->t[j] > last))
				last = s->t[j];
		size_t c = soak_rs_count_valid(s, r->warmup_s);
		if (c > best)
			best = c;
	}
	r->samples = best;
	if (isnan(last)) {
		soak_rs_fig_none(&r->elapsed_s, "the run recorded no sample");
		soak_rs_fig_none(&r->steady_s, "the run recorded no sample");
		return;
	}
	soak_rs_fig_set(&r->elapsed_s, last);
	if (last >= r->warmup_s)
		soak_rs_fig_set(&r->steady_s, last - r->warmup_s);
	else
		soak_rs_fig_none(&r->steady_s, "the run ended during the warm-up (last sample at %.1f s, "
			 "warm-up %.1f s)", last, r->warmup_s);
}

/* Any step metric marks an exec --repeat run (the runner writes all four). */
bool soak_rs_is_repeat(const soak_result_input_t *in)
{
	static const char *const step_metrics[] = { "step_wall_s", "step_exit_code", "step_throughput_ops_s" };
	for (size_t i = 0; i < 3; i++) {
		const soak_input_series_t *x = soak_rs_find_series(in, step_metrics[i]);
		if (x && x->n && soak_rs_count_valid(x, -INFINITY))
			return true;
	}
	return false;
}

static int compute_rss(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_rss_result_t *m = &r->rss;
	const soak_input_series_t *s = soak_rs_find_series(in, "rss_bytes");
	const soak_input_series_t *sampled = s;
	/* exec --repeat: an instant sample falls anywhere in a step (start-up,
	 * peak, between steps), so its level says where the sample fell, not
	 * whether memory grows. The series is each step's own peak instead, one
	 * value per step; the sampled RSS stays the fallback when no step's peak
	 * could be measured (docs/metrics.md). */
	const soak_input_series_t *sp = soak_rs_find_series(in, "step_peak_rss_bytes");
	if (soak_rs_is_repeat(in) && sp && sp->n && !sp->unavailable && soak_rs_count_valid(sp, r->warmup_s))
		s = sp;
	snprintf(m->series_source, sizeof(m->series_source), "%s", s == sp ? "step_peak_rss_bytes" : "rss_bytes");
	soak_fig_t why;
	bool unusable = soak_rs_series_unusable(s, m->series_source, &why);
	if (!unusable) {
		if (soak_rs_xy_steady(s, r->warmup_s, &m->series) < 0)
			return -ENOMEM;
		soak_rs_xy_trim(&m->series, r->steady_end_s);
		if (!m->series.n)
			soak_rs_fig_none(&why, "no %s samples after the warm-up (%.1f s)", m->series_source, r->warmup_s);
	}
	if (unusable || !m->series.n) {
		soak_fig_t *all[] = { &m->mean, &m->min, &m->max, &m->first, &m->last,
				      &m->first_k_mean, &m->last_k_mean, &m->drift_pct,
				      &m->slope_bytes_per_s, &m->slope_pct_per_hour,
				      &m->slope_ci_lo, &m->slope_ci_hi };
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			soak_rs_fig_copy_why(all[i], &why);
	} else {
		soak_summary_t sum;
		soak_stats_summary(m->series.v, m->series.n, &sum);
		soak_rs_fig_set(&m->mean, sum.mean);
		soak_rs_fig_set(&m->min, sum.min);
		soak_rs_fig_set(&m->max, sum.max);
		soak_rs_fig_set(&m->first, m->series.v[0]);
		soak_rs_fig_set(&m->last, m->series.v[m->series.n - 1]);
		soak_rs_put_drift(m->series.v, m->series.n, r->drift_k, &m->first_k_mean, &m->last_k_mean,
			  &m->drift_pct);
		soak_rs_put_slope(&m->series, &m->slope, &m->slope_bytes_per_s, &m->slope_pct_per_hour,
			  &m->slope_ci_lo, &m->slope_ci_hi);
	}

	/* Peak: the largest of the worker's own figures, in this order of
	 * preference on ties: the per-run peak_rss_bytes (its cgroup's
	 * high-water mark or VmHWM, recorded by the runner), the cgroup's peak
	 * series, the sampled RSS, the exec steps' own peaks. The maximum, because
	 * each alone can be low: the cgroup is not charged for shared pages
	 * another cgroup touched first (libc), and sampling misses short spikes.
	 * Never the runner's ru_maxrss: it can carry the parent's peak. */
	const soak_value_t *pv = soak_rs_find_value(in, "peak_rss_bytes");
	const struct { const char *name; double v; } cand[] = {
		{ "peak_rss_bytes", pv && pv->valid ? pv->value : NAN },
		{ "cg_mem_peak_bytes", soak_rs_series_max(soak_rs_find_series(in, "cg_mem_peak_bytes")) },
		{ "rss_bytes", soak_rs_series_max(sampled) },
		{ "step_peak_rss_bytes", soak_rs_series_max(soak_rs_find_series(in, "step_peak_rss_bytes")) },
	};
	int best = -1;
	for (int i = 0; i < (int)(sizeof(cand) / sizeof(cand[0])); i++)
		if (!isnan(cand[i].v) && (best < 0 || cand[i].v > cand[best].v))
			best = i;
	if (best >= 0) {
		soak_rs_fig_set(&m->peak, cand[best].v);
		snprintf(m->peak_source, sizeof(m->peak_source), "%s", cand[best].name);
	} else if (pv && pv->reason) {
		soak_rs_fig_none(&m->peak, "%s", pv->reason);
	} else {
		soak_rs_fig_copy_why(&m->peak, &why);
	}

	const soak_input_series_t *sw = soak_rs_find_series(in, "swap_bytes");
	if (!soak_rs_series_unusable(sw, "swap_bytes", &m->swap_peak))
		soak_rs_fig_set(&m->swap_peak, soak_rs_series_max(sw));
	return 0;
}

static void tp_none(soak_tp_result_t *m, const soak_fig_t *why)
{
	soak_fig_t *all[] = { &m->mean, &m->stddev, &m->cv_pct, &m->min, &m->max,
			      &m->first_k_mean, &m->last_k_mean, &m->drift_pct,
			      &m->slope_pct_per_hour, &m->slope_ci_lo, &m->slope_ci_hi };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		soak_rs_fig_copy_why(all[i], why);
}

static int compute_tp(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_tp_result_t *m = &r->tp;
	const soak_input_series_t *ops = soak_rs_find_series(in, "ops_total");
	const soak_input_series_t *step = soak_rs_find_series(in, "step_throughput_ops_s");
	soak_fig_t why;
	/* exec --repeat: the steps' own printed throughput wins over ops_total,
	 * which the driver counts in steps (steps per second is not ops/s). */
	bool repeat = soak_rs_is_repeat(in);
	const soak_value_t *nv = soak_rs_find_value(in, "throughput_verdict");
	if (nv && !nv->valid && nv->reason)
		snprintf(m->not_rate, sizeof(m->not_rate), "%s", nv->reason);
	bool steps = repeat && step && step->n && !step->unavailable && soak_rs_count_valid(step, -INFINITY);

	if (!repeat && !soak_rs_series_unusable(ops, "ops_total", &why)) {
		snprintf(m->source, sizeof(m->source), "ops_total");
		soak_rs_fig_set(&m->ops_run, soak_rs_series_last(ops));
		soak_window_t w;
		if (soak_stats_counter_window(ops->t, ops->v, soak_rs_n_upto(ops, r->steady_end_s), r->warmup_s, &w) == 0)
			soak_rs_fig_set(&m->ops, w.delta);
		else
			soak_rs_fig_none(&m->ops, "no ops_total sample after the warm-up (%.1f s)", r->warmup_s);
		/* Rates between consecutive steady-state samples: both ends of every
		 * interval lie after the warm-up. */
		soak_xy_t st;
		if (soak_rs_xy_steady(ops, r->warmup_s, &st) < 0)
			return -ENOMEM;
		soak_rs_xy_trim(&st, r->steady_end_s);
		if (st.n >= 2) {
			m->series.t = malloc((st.n - 1) * sizeof(double));
			m->series.v = malloc((st.n - 1) * sizeof(double));
			if (!m->series.t || !m->series.v) {
				soak_rs_xy_free(&st);
				return -ENOMEM;
			}
			m->series.n = soak_stats_rates(st.t, st.v, st.n, m->series.t, m->series.v);
		}
		soak_rs_xy_free(&st);
		if (!m->series.n)
			soak_rs_fig_none(&why, "needs 2 ops_total samples after the warm-up (%.1f s)",
				 r->warmup_s);
	} else if (steps) {
		/* exec --repeat: each step reports its own throughput. */
		snprintf(m->source, sizeof(m->source), "step_throughput_ops_s");
		soak_rs_fig_none(&m->ops, "exec steps report a throughput, not an operation count");
		soak_rs_fig_copy_why(&m->ops_run, &m->ops);
		if (soak_rs_xy_steady(step, r->warmup_s, &m->series) < 0)
			return -ENOMEM;
		soak_rs_xy_trim(&m->series, r->steady_end_s);
		if (!m->series.n)
			soak_rs_fig_none(&why, "no step throughput after the warm-up (%.1f s)", r->warmup_s);
	} else {
		if (repeat)
			/* A plain exec run is one step too (the command's whole run). */
			soak_rs_fig_none(&why, "exec: a step is not an operation (without --repeat the whole run is one step), and no "
				 "step printed a throughput matching --tp-pattern");
		else if (step && step->unavailable && (!ops || !ops->n))
			soak_rs_fig_none(&why, "%s", step->unavailable);
		snprintf(m->source, sizeof(m->source), "none");
		soak_rs_fig_copy_why(&m->ops, &why);
		soak_rs_fig_copy_why(&m->ops_run, &why);
	}
	if (!m->series.n) {
		tp_none(m, &why);
		return 0;
	}
	soak_summary_t sum;
	soak_stats_summary(m->series.v, m->series.n, &sum);
	soak_rs_fig_set(&m->mean, sum.mean);
	soak_rs_fig_set(&m->min, sum.min);
	soak_rs_fig_set(&m->max, sum.max);
	if (sum.n > 1) {
		soak_rs_fig_set(&m->stddev, sum.stddev);
		if (isnan(sum.cv_pct))
			soak_rs_fig_none(&m->cv_pct, "the mean throughput is 0");
		else
			soak_rs_fig_set(&m->cv_pct, sum.cv_pct);
	} else {
		soak_rs_fig_none(&m->stddev, "a spread needs at least 2 throughput values after the warm-up, this run has 1");
		soak_rs_fig_copy_why(&m->cv_pct, &m->stddev);
	}
	soak_rs_put_drift(m->series.v, m->series.n, r->drift_k, &m->first_k_mean, &m->last_k_mean,
		  &m->drift_pct);
	soak_rs_put_slope(&m->series, &m->slope, NULL, &m->slope_pct_per_hour, &m->slope_ci_lo,
		  &m->slope_ci_hi);
	return 0;
}

static double hist_q(const soak_hist_t *h, double q)
{
	int ok;
	double v = soak_hist_quantile(h, q, &ok);
	return ok ? v : NAN;
}

static int compute_lat(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_lat_result_t *m = &r->lat;
	soak_fig_t *all[] = { &m->count, &m->mean_ns, &m->p50_ns, &m->p90_ns, &m->p99_ns,
			      &m->p999_ns, &m->max_ns };
	const size_t nall = sizeof(all) / sizeof(all[0]);
	soak_fig_t why;

	for (int i = 0; i < SOAK_LAT_N; i++) {
		const soak_input_series_t *s = soak_rs_find_series(in, soak_lat_metrics[i]);
		if (s && soak_rs_xy_steady(s, r->warmup_s, &m->interval[i]) < 0)
			return -ENOMEM;
	}
	const soak_input_series_t *p99 = soak_rs_find_series(in, "lat_p99_ns");
	if (!soak_rs_series_unusable(p99, "lat_p99_ns", &m->worst_interval_p99_ns)) {
		const soak_xy_t *x = &m->interval[SOAK_LAT_P99];
		double w = NAN;
		for (size_t i = 0; i < x->n; i++)
			if (isnan(w) || x->v[i] > w)
				w = x->v[i];
		if (isnan(w))
			soak_rs_fig_none(&m->worst_interval_p99_ns, "no per-interval latency was recorded after the warm-up");
		else
			soak_rs_fig_set(&m->worst_interval_p99_ns, w);
	}

	if (!in->lat_end) {
		if (in->lat_unavailable)
			soak_rs_fig_none(&why, "%s", in->lat_unavailable);
		else
			soak_rs_fig_none(&why, "no latency histogram recorded (the workload does not time "
				 "operations)");
		for (size_t i = 0; i < nall; i++)
			soak_rs_fig_copy_why(all[i], &why);
		snprintf(m->window, sizeof(m->window), "none");
		return 0;
	}
	m->hist = malloc(sizeof(*m->hist));
	if (!m->hist)
		return -ENOMEM;
	/* Cumulative snapshots: steady state = end minus the warm-up snapshot. */
	if (in->lat_warm && in->lat_warm_t < in->lat_end_t) {
		soak_hist_diff(m->hist, in->lat_end, in->lat_warm);
		snprintf(m->window, sizeof(m->window), "steady state (t %.1f s to %.1f s)",
			 in->lat_warm_t, in->lat_end_t);
	} else {
		*m->hist = *in->lat_end;
		if (in->lat_warm)
			snprintf(m->window, sizeof(m->window),
				 "whole run to t %.1f s (it ended before the warm-up end)",
				 in->lat_end_t);
		else if (in->lat_warm_unavailable)
			snprintf(m->window, sizeof(m->window),
				 "whole run to t %.1f s (warm-up snapshot unusable: %s)",
				 in->lat_end_t, in->lat_warm_unavailable);
		else if (r->warmup.automatic)
			/* The runner snapshots the histogram at a given warm-up's
			 * end only; an automatic one is found after the run. */
			snprintf(m->window, sizeof(m->window),
				 "whole run (t 0 to %.1f s): the warm-up was found after the run, "
				 "the histogram has no snapshot at its end", in->lat_end_t);
		else if (r->warmup_s > 0)
			snprintf(m->window, sizeof(m->window),
				 "whole run to t %.1f s (no snapshot at the warm-up end)",
				 in->lat_end_t);
		else
			snprintf(m->window, sizeof(m->window), "whole run (t 0 to %.1f s)",
				 in->lat_end_t);
	}
	if (!m->hist->count) {
		if (soak_rs_is_repeat(in))
			soak_rs_fig_none(&why, "an exec command is not timed per operation: see its step wall times");
		else
			soak_rs_fig_none(&why, "no operations were timed in the %s", m->window);
		for (size_t i = 0; i < nall; i++)
			soak_rs_fig_copy_why(all[i], &why);
		soak_rs_fig_set(&m->count, 0);
		return 0;
	}
	soak_rs_fig_set(&m->count, (double)m->hist->count);
	soak_rs_fig_set(&m->mean_ns, soak_hist_mean(m->hist));
	soak_rs_fig_set(&m->p50_ns, hist_q(m->hist, 0.50));
	soak_rs_fig_set(&m->p90_ns, hist_q(m->hist, 0.90));
	soak_rs_fig_set(&m->p99_ns, hist_q(m->hist, 0.99));
	soak_rs_fig_set(&m->p999_ns, hist_q(m->hist, 0.999));
	soak_rs_fig_set(&m->max_ns, (double)m->hist->max);
	return 0;
}


/* Every soak_fig_t in the result starts as "not computed", so a figure a
 * future edit forgets to fill can never read as 0. */
static void init_figs(soak_run_result_t *r)
{
	soak_fig_t *f[] = {
		&r->elapsed_s, &r->steady_s, &r->oom_kills,
		&r->rss.mean, &r->rss.min, &r->rss.max, &r->rss.first, &r->rss.last, &r->rss.peak,
		&r->rss.first_k_mean, &r->rss.last_k_mean, &r->rss.drift_pct,
		&r->rss.slope_bytes_per_s, &r->rss.slope_pct_per_hour, &r->rss.slope_ci_lo,
		&r->rss.slope_ci_hi, &r->rss.swap_peak,
		&r->tp.ops, &r->tp.ops_run, &r->tp.mean, &r->tp.stddev, &r->tp.cv_pct, &r->tp.min,
		&r->tp.max, &r->tp.first_k_mean, &r->tp.last_k_mean, &r->tp.drift_pct,
		&r->tp.slope_pct_per_hour, &r->tp.slope_ci_lo, &r->tp.slope_ci_hi,
		&r->lat.count, &r->lat.mean_ns, &r->lat.p50_ns, &r->lat.p90_ns, &r->lat.p99_ns,
		&r->lat.p999_ns, &r->lat.max_ns, &r->lat.worst_interval_p99_ns,
		&r->sc_total, &r->sc_total_per_op, &r->sc_total_per_s, &r->sc_total_per_step,
		&r->sc_window_s,
		&r->pf.minor, &r->pf.major, &r->pf.minor_per_op, &r->pf.major_per_op,
		&r->pf.minor_per_s, &r->pf.major_per_s, &r->pf.minor_per_step, &r->pf.major_per_step, &r->pf.ctx_switches, &r->pf.ctx_per_s,
		&r->steps.wall_mean_s, &r->steps.peak_rss_max,
		&r->cpu_user_s, &r->cpu_sys_s, &r->cpu_pct, &r->cpu_ops,
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		fig_init_all(f[i], 1);
	for (int i = 0; i < SOAK_SC_N; i++) {
		soak_sc_result_t *c = &r->sc[i];
		soak_fig_t *g[] = { &c->count, &c->per_op, &c->per_s, &c->per_step, &c->run_count };
		for (size_t j = 0; j < sizeof(g) / sizeof(g[0]); j++)
			fig_init_all(g[j], 1);
	}
}

int soak_result_compute(const soak_result_input_t *in, const soak_result_opts_t *o,
			soak_run_result_t *ret)
{
	if (!in || !in->run)
		return -EINVAL;
	soak_run_result_t *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	int rc = run_copy(&r->run, in->run);
	if (rc < 0) {
		free(r);
		return rc;
	}
	init_figs(r);
	r->drift_k = o && o->drift_k ? o->drift_k : SOAK_RESULT_DRIFT_K;
	r->steady_end_s = soak_rs_steady_end(in);
	if ((rc = soak_result_warmup(in, r)) < 0)
		goto fail;
	r->partial = !r->run.status || strcmp(r->run.status, "ok") != 0 || r->run.samples_lost > 0;

	compute_extent(in, r);
	soak_rs_compute_steps(in, r);
	if ((rc = compute_rss(in, r)) < 0 || (rc = compute_tp(in, r)) < 0 ||
	    (rc = compute_lat(in, r)) < 0)
		goto fail;
	soak_result_warmup_drift(r);
	if ((rc = soak_result_eff(in, r)) < 0)
		goto fail;
	soak_rs_compute_sc(in, r);
	if ((rc = soak_rs_compute_self(in, r)) < 0 || (rc = soak_result_self_classes(in, r)) < 0)
		goto fail;
	soak_rs_compute_pf(in, r);
	soak_rs_compute_misc(in, r);
	soak_result_floor(in, r);
	soak_result_tp_per_cpu(r);
	*ret = *r;
	free(r);
	return 0;
fail:
	soak_result_free(r);
	free(r);
	return rc;
}

void soak_result_free(soak_run_result_t *r)
{
	if (!r)
		return;
	run_clear(&r->run);
	soak_rs_xy_free(&r->rss.series);
	soak_rs_xy_free(&r->tp.series);
	soak_result_eff_free(&r->eff);
	soak_rs_xy_free(&r->steps.wall_series);
	for (int i = 0; i < SOAK_LAT_N; i++)
		soak_rs_xy_free(&r->lat.interval[i]);
	free(r->lat.hist);
	r->lat.hist = NULL;
	for (size_t i = 0; i < r->n_counters; i++)
		free(r->counters[i].name);
	free(r->counters);
	free(r->classes);
	r->classes = NULL;
	r->n_classes = 0;
	free(r->self);
	r->counters = NULL;
	r->self = NULL;
	r->n_counters = r->n_self = 0;
}

/* ---- CCDF ---- */

size_t soak_result_ccdf(const soak_hist_t *h, soak_ccdf_point_t *pts, size_t max)
{
	if (!h || !h->count || !max)
		return 0;
	int lo = -1, hi = -1;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
		if (h->b[i]) {
			if (lo < 0)
				lo = (int)i;
			hi = (int)i;
		}
	if (lo < 0)
		return 0;
	double vmin = (double)soak_hist_bucket_low((unsigned)lo);
	double vmax = (double)soak_hist_bucket_high((unsigned)hi);
	double decade = 1;
	while (decade * 10 <= vmin)
		decade *= 10;
	static const double steps[] = { 1, 2, 5 };
	size_t n = 0;
	for (; n < max; decade *= 10) {
		for (int s = 0; s < 3 && n < max; s++) {
			double x = decade * steps[s];
			uint64_t slower = 0;
			for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
				if (h->b[i] && (double)soak_hist_bucket_low(i) > x)
					slower += h->b[i];
			pts[n++] = (soak_ccdf_point_t){ .value_ns = x, .slower = slower,
							 .fraction = (double)slower / (double)h->count };
			if (x >= vmax || slower == 0)
				return n;
		}
	}
	return n;
}
