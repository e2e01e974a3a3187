/*
 * result-eff.c - memory efficiency of a run: the bytes the program holds
 * (bytes_live, counted exactly by the workload) beside the memory it costs
 * (RSS), the overhead RSS / live and its drift, and whether RSS growth is the
 * program holding more or the allocator keeping more per live byte.
 * Definitions: docs/metrics.md ("Memory efficiency"). Pure.
 */
#include "result-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const soak_eff_metrics[SOAK_EFF_N] = {
	[SOAK_EFF_LIVE] = "bytes_live",
	[SOAK_EFF_USABLE] = "bytes_usable",
	[SOAK_EFF_ALLOCATED] = "alloc_allocated_bytes",
	[SOAK_EFF_ACTIVE] = "alloc_active_bytes",
	[SOAK_EFF_RESIDENT] = "alloc_resident_bytes",
	[SOAK_EFF_MAPPED] = "alloc_mapped_bytes",
	[SOAK_EFF_RSS] = "rss_bytes",
};

const char *const soak_eff_labels[SOAK_EFF_N] = {
	[SOAK_EFF_LIVE] = "requested (live)",
	[SOAK_EFF_USABLE] = "usable",
	[SOAK_EFF_ALLOCATED] = "allocated",
	[SOAK_EFF_ACTIVE] = "active",
	[SOAK_EFF_RESIDENT] = "resident (allocator)",
	[SOAK_EFF_MAPPED] = "mapped",
	[SOAK_EFF_RSS] = "RSS",
};

/* RSS that moved less than this (percent, last-k vs first-k) did not grow. */
#define EFF_FLAT_PCT 1.0

#define EXEC_WHY "exec commands: the suite cannot see the bytes the program holds"

static void figs_none(soak_fig_t *const *f, size_t n, const soak_fig_t *why)
{
	for (size_t i = 0; i < n; i++)
		soak_rs_fig_copy_why(f[i], why);
}

static void eff_init(soak_eff_result_t *e)
{
	soak_fig_t why;
	soak_rs_fig_none(&why, "not computed");
	soak_fig_t *f[] = { &e->live_mean, &e->live_peak, &e->live_first_k_mean, &e->live_last_k_mean,
			    &e->live_drift_pct, &e->live_slope_pct_per_hour, &e->live_slope_ci_lo,
			    &e->live_slope_ci_hi, &e->live_slope_bytes_per_s, &e->overhead_mean, &e->overhead_peak, &e->overhead_bytes,
			    &e->overhead_first_k_mean, &e->overhead_last_k_mean, &e->overhead_drift_pct,
			    &e->overhead_slope_pct_per_hour, &e->overhead_slope_ci_lo,
			    &e->overhead_slope_ci_hi, &e->rss_growth_bytes, &e->live_growth_bytes,
			    &e->live_share_pct, &e->live_end, &e->rss_end, &e->overhead_end };
	figs_none(f, sizeof(f) / sizeof(f[0]), &why);
	for (int i = 0; i < SOAK_EFF_N; i++) {
		soak_rs_fig_copy_why(&e->level_mean[i], &why);
		soak_rs_fig_copy_why(&e->level_last[i], &why);
	}
}

/* One layer's steady-state series, mean and last value. */
static int eff_level(const soak_result_input_t *in, const soak_run_result_t *r, bool repeat,
		     soak_eff_result_t *e, int i)
{
	soak_fig_t why;
	const soak_input_series_t *s = soak_rs_find_series(in, soak_eff_metrics[i]);
	if (repeat && i != SOAK_EFF_RSS) {
		/* only the requested layer can be self-reported (live_bytes = KEY) */
		soak_rs_fig_none(&why, "%s%s", EXEC_WHY, i == SOAK_EFF_LIVE ? " (declare a self-report key for them: "
				 "live_bytes = KEY in [selfreport.TAG])" : "");
	} else if (!soak_rs_series_unusable(s, soak_eff_metrics[i], &why)) {
		if (soak_rs_xy_steady(s, r->warmup_s, &e->level[i]) < 0)
			return -ENOMEM;
		soak_rs_xy_trim(&e->level[i], r->steady_end_s);
		if (!e->level[i].n)
			soak_rs_fig_none(&why, "no %s samples after the warm-up (%.1f s)", soak_eff_metrics[i],
					 r->warmup_s);
	}
	const soak_xy_t *xy = &e->level[i];
	if (!xy->n) {
		soak_rs_fig_copy_why(&e->level_mean[i], &why);
		soak_rs_fig_copy_why(&e->level_last[i], &why);
		return 0;
	}
	soak_summary_t sum;
	soak_stats_summary(xy->v, xy->n, &sum);
	soak_rs_fig_set(&e->level_mean[i], sum.mean);
	soak_rs_fig_set(&e->level_last[i], xy->v[xy->n - 1]);
	return 0;
}

/* RSS / live at every steady-state RSS sample with a live sample of the same
 * tick (every probe of a tick records the same t) and live > 0. */
static int eff_overhead_series(const soak_xy_t *rss, const soak_xy_t *live, soak_xy_t *out)
{
	size_t cap = rss->n < live->n ? rss->n : live->n;
	if (!cap)
		return 0;
	out->t = malloc(cap * sizeof(double));
	out->v = malloc(cap * sizeof(double));
	if (!out->t || !out->v)
		return -ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < rss->n && j < live->n; i++) {
		while (j < live->n && live->t[j] < rss->t[i] - 1e-6)
			j++;
		if (j < live->n && fabs(live->t[j] - rss->t[i]) <= 1e-6 && live->v[j] > 0) {
			out->t[out->n] = rss->t[i];
			out->v[out->n++] = rss->v[i] / live->v[j];
		}
	}
	return 0;
}

static void eff_overhead(const soak_run_result_t *r, soak_eff_result_t *e, const soak_fig_t *live_why)
{
	soak_fig_t *f[] = { &e->overhead_mean, &e->overhead_peak, &e->overhead_bytes, &e->overhead_first_k_mean,
			    &e->overhead_last_k_mean, &e->overhead_drift_pct,
			    &e->overhead_slope_pct_per_hour, &e->overhead_slope_ci_lo,
			    &e->overhead_slope_ci_hi };
	soak_fig_t why;
	if (!e->live_mean.valid) {
		figs_none(f, sizeof(f) / sizeof(f[0]), live_why);
		return;
	}
	if (!r->rss.mean.valid) {
		figs_none(f, sizeof(f) / sizeof(f[0]), &r->rss.mean);
		return;
	}
	if (!(e->live_mean.v > 0)) {
		soak_rs_fig_none(&why, "the workload holds no memory after the warm-up (bytes_live 0), so RSS "
				 "per live byte is undefined");
		figs_none(f, sizeof(f) / sizeof(f[0]), &why);
		return;
	}
	soak_rs_fig_set(&e->overhead_mean, r->rss.mean.v / e->live_mean.v);
	soak_rs_fig_set(&e->overhead_bytes, r->rss.mean.v - e->live_mean.v);
	if (r->rss.peak.valid && e->live_peak.valid && e->live_peak.v > 0)
		soak_rs_fig_set(&e->overhead_peak, r->rss.peak.v / e->live_peak.v);
	else
		soak_rs_fig_copy_why(&e->overhead_peak, r->rss.peak.valid ? &e->live_peak : &r->rss.peak);
	if (!e->overhead.n) {
		soak_rs_fig_none(&why, "no steady-state tick has both rss_bytes and a non-zero bytes_live");
		figs_none(f + 3, sizeof(f) / sizeof(f[0]) - 3, &why);
		return;
	}
	soak_rs_put_drift(e->overhead.v, e->overhead.n, r->drift_k, &e->overhead_first_k_mean,
			  &e->overhead_last_k_mean, &e->overhead_drift_pct);
	soak_rs_put_slope(&e->overhead, &e->overhead_slope, NULL, &e->overhead_slope_pct_per_hour,
			  &e->overhead_slope_ci_lo, &e->overhead_slope_ci_hi);
}

/* An exec command's declared live_bytes (selfreport_live_bytes, stored by
 * the runner with its source or why it has none): one value at the end, so
 * the series figures stay unavailable with that reason in live_why. */
static void eff_self_live(const soak_result_input_t *in, soak_eff_result_t *e, soak_fig_t *live_why)
{
	const soak_value_t *v = soak_rs_find_value(in, "selfreport_live_bytes");
	if (!v)
		return;
	const char *src = v->reason ? v->reason : "self-report";
	if (!v->valid || !isfinite(v->value)) {
		soak_rs_fig_none(live_why, "%s", v->reason ? v->reason : "the declared self-report key has no value");
		e->level_mean[SOAK_EFF_LIVE] = e->level_last[SOAK_EFF_LIVE] = *live_why;
		return;
	}
	/* always "self-report TAG.KEY": the emitters show the part after the prefix */
	const char *key = strncmp(src, "self-report ", 12) ? src : src + 12;
	snprintf(e->live_source, sizeof(e->live_source), "self-report %.*s", SOAK_WHY_MAX - 13, key);
	soak_rs_fig_set(&e->live_end, v->value);
	e->level_last[SOAK_EFF_LIVE] = e->live_end;
	soak_rs_fig_none(live_why, "self-reported by the command (%s): one value at the end, not a series", key);
	e->level_mean[SOAK_EFF_LIVE] = *live_why;
}

/* Live bytes, RSS and their ratio at the end of the run. */
static void eff_end(const soak_run_result_t *r, soak_eff_result_t *e, const soak_fig_t *live_why)
{
	bool steps = !strcmp(r->rss.series_source, "step_peak_rss_bytes");
	snprintf(e->rss_end_source, sizeof(e->rss_end_source), "%s",
		 steps ? "the last step's peak RSS" : "the last steady-state RSS sample");
	e->rss_end = r->rss.last;
	if (!e->live.n && !steps && r->steps.n > 1)
		/* exec --repeat without step peaks: an instant sample falls anywhere
		 * in a step, or between two, so it is no RSS of the step that printed */
		soak_rs_fig_none(&e->rss_end, "exec --repeat: no step's own peak RSS was measured (%s), and an "
				 "RSS sample falls anywhere in a step", r->steps.peak_rss_max.valid ? "none after the "
				 "warm-up" : r->steps.peak_rss_max.why);
	else if (!e->live.n && e->rss_end.valid && !(e->rss_end.v > 0))
		soak_rs_fig_none(&e->rss_end, "the last RSS sample is 0: the command had already exited");
	if (e->live.n) {
		/* the workload: the last tick that has both */
		snprintf(e->live_source, sizeof(e->live_source), "workload");
		if (!e->overhead.n) {
			soak_fig_t why;
			soak_rs_fig_none(&why, "no steady-state tick has both rss_bytes and a non-zero bytes_live");
			e->live_end = e->rss_end = e->overhead_end = why;
			return;
		}
		double t = e->overhead.t[e->overhead.n - 1];
		for (size_t i = e->live.n; i-- > 0;)
			if (fabs(e->live.t[i] - t) <= 1e-6) {
				soak_rs_fig_set(&e->live_end, e->live.v[i]);
				break;
			}
		for (size_t i = r->rss.series.n; i-- > 0;)
			if (fabs(r->rss.series.t[i] - t) <= 1e-6) {
				soak_rs_fig_set(&e->rss_end, r->rss.series.v[i]);
				break;
			}
		soak_rs_fig_set(&e->overhead_end, e->overhead.v[e->overhead.n - 1]);
		return;
	}
	if (!e->live_end.valid) {
		soak_rs_fig_copy_why(&e->live_end, live_why);
		soak_rs_fig_copy_why(&e->overhead_end, live_why);
	} else if (!e->rss_end.valid) {
		soak_rs_fig_copy_why(&e->overhead_end, &e->rss_end);
	} else if (!(e->live_end.v > 0)) {
		soak_rs_fig_none(&e->overhead_end, "the command reported 0 live bytes, so RSS per live byte is "
				 "undefined");
	} else {
		soak_rs_fig_set(&e->overhead_end, e->rss_end.v / e->live_end.v);
	}
}

static const char *fmt_mib_signed(double b, char *buf, size_t len)
{
	snprintf(buf, len, "%+.1f MiB", b / 1048576.0);
	return buf;
}

/* Whether live bytes explain RSS growth, as one line (docs/metrics.md). */
static void eff_explain(const soak_run_result_t *r, soak_eff_result_t *e)
{
	const soak_rss_result_t *rs = &r->rss;
	if (!rs->drift_pct.valid) {
		snprintf(e->explain, sizeof(e->explain), "not decided: RSS drift unavailable (%s)", rs->drift_pct.why);
		soak_rs_fig_copy_why(&e->rss_growth_bytes, &rs->drift_pct);
		soak_rs_fig_copy_why(&e->live_share_pct, &rs->drift_pct);
		return;
	}
	soak_rs_fig_set(&e->rss_growth_bytes, rs->last_k_mean.v - rs->first_k_mean.v);
	if (!e->live_drift_pct.valid) {
		snprintf(e->explain, sizeof(e->explain), "RSS %+.1f%%; live bytes unavailable (%s)",
			 rs->drift_pct.v, e->live_drift_pct.why);
		soak_rs_fig_copy_why(&e->live_share_pct, &e->live_drift_pct);
		return;
	}
	char a[32], b[32];
	double rg = e->rss_growth_bytes.v, lg = e->live_growth_bytes.v;
	int n = snprintf(e->explain, sizeof(e->explain), "RSS %+.1f%% (%s), live %+.1f%% (%s)", rs->drift_pct.v,
			 fmt_mib_signed(rg, a, sizeof(a)), e->live_drift_pct.v, fmt_mib_signed(lg, b, sizeof(b)));
	size_t off = n < 0 ? 0 : (size_t)n < sizeof(e->explain) ? (size_t)n : sizeof(e->explain) - 1;
	char *p = e->explain + off;
	size_t left = sizeof(e->explain) - off;
	if (rs->drift_pct.v < EFF_FLAT_PCT || rg <= 0) {
		e->why = SOAK_EFF_WHY_FLAT;
		soak_rs_fig_none(&e->live_share_pct, "RSS did not grow (%+.1f%%)", rs->drift_pct.v);
		if (e->live_drift_pct.v <= -EFF_FLAT_PCT)
			snprintf(p, left, ": RSS did not grow, but the allocator kept memory the workload freed");
		else
			snprintf(p, left, ": RSS did not grow");
		return;
	}
	double share = lg / rg;
	soak_rs_fig_set(&e->live_share_pct, 100.0 * share);
	if (share >= SOAK_EFF_HOLDS_SHARE) {
		e->why = SOAK_EFF_WHY_HOLDS;
		snprintf(p, left, ": live bytes explain %.0f%% of the growth: the workload holds more",
			 100.0 * share);
	} else if (share <= SOAK_EFF_OVERHEAD_SHARE) {
		e->why = SOAK_EFF_WHY_OVERHEAD;
		snprintf(p, left, ": live bytes explain %.0f%% of the growth: the allocator keeps more per "
			 "live byte (fragmentation, or memory not returned)", 100.0 * (share > 0 ? share : 0));
	} else {
		e->why = SOAK_EFF_WHY_BOTH;
		snprintf(p, left, ": live bytes explain %.0f%% of the growth: the workload holds more and "
			 "the allocator keeps more per live byte", 100.0 * share);
	}
}

int soak_result_eff(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_eff_result_t *e = &r->eff;
	eff_init(e);
	bool repeat = soak_rs_is_repeat(in);
	for (int i = 0; i < SOAK_EFF_N; i++)
		if (eff_level(in, r, repeat, e, i) < 0)
			return -ENOMEM;
	/* The live series is the first layer's. */
	const soak_xy_t *lv = &e->level[SOAK_EFF_LIVE];
	e->live.n = lv->n;
	if (lv->n) {
		e->live.t = malloc(lv->n * sizeof(double));
		e->live.v = malloc(lv->n * sizeof(double));
		if (!e->live.t || !e->live.v)
			return -ENOMEM;
		memcpy(e->live.t, lv->t, lv->n * sizeof(double));
		memcpy(e->live.v, lv->v, lv->n * sizeof(double));
	}
	soak_fig_t live_why = e->level_mean[SOAK_EFF_LIVE];
	if (!e->live.n)
		eff_self_live(in, e, &live_why);
	soak_fig_t *lf[] = { &e->live_mean, &e->live_peak, &e->live_first_k_mean, &e->live_last_k_mean,
			     &e->live_drift_pct, &e->live_slope_pct_per_hour, &e->live_slope_ci_lo,
			     &e->live_slope_ci_hi, &e->live_growth_bytes, &e->live_slope_bytes_per_s };
	if (!e->live.n) {
		figs_none(lf, sizeof(lf) / sizeof(lf[0]), &live_why);
	} else {
		e->live_mean = e->level_mean[SOAK_EFF_LIVE];
		soak_rs_fig_set(&e->live_peak, soak_rs_series_max(soak_rs_find_series(in, "bytes_live")));
		soak_rs_put_drift(e->live.v, e->live.n, r->drift_k, &e->live_first_k_mean, &e->live_last_k_mean,
				  &e->live_drift_pct);
		soak_rs_put_slope(&e->live, &e->live_slope, &e->live_slope_bytes_per_s, &e->live_slope_pct_per_hour,
				  &e->live_slope_ci_lo, &e->live_slope_ci_hi);
		if (e->live_drift_pct.valid || (e->live_first_k_mean.valid && e->live_last_k_mean.valid))
			soak_rs_fig_set(&e->live_growth_bytes, e->live_last_k_mean.v - e->live_first_k_mean.v);
		else
			soak_rs_fig_copy_why(&e->live_growth_bytes, &e->live_drift_pct);
	}
	if (e->live.n && r->rss.series.n && !strcmp(r->rss.series_source, "rss_bytes") &&
	    eff_overhead_series(&r->rss.series, &e->live, &e->overhead) < 0)
		return -ENOMEM;
	eff_overhead(r, e, &live_why);
	eff_end(r, e, &live_why);
	/* No steady state found: drifts are not graded, as RSS's are not. */
	if (r->warmup.automatic && !r->warmup.found) {
		soak_fig_t *d[] = { &e->live_drift_pct, &e->live_first_k_mean, &e->live_last_k_mean,
				    &e->live_growth_bytes, &e->overhead_drift_pct,
				    &e->overhead_first_k_mean, &e->overhead_last_k_mean };
		figs_none(d, sizeof(d) / sizeof(d[0]), &r->rss.drift_pct);
	}
	eff_explain(r, e);
	return 0;
}

void soak_result_eff_free(soak_eff_result_t *e)
{
	soak_rs_xy_free(&e->live);
	soak_rs_xy_free(&e->overhead);
	for (int i = 0; i < SOAK_EFF_N; i++)
		soak_rs_xy_free(&e->level[i]);
}
