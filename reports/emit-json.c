/* emit-json.c - JSON report, versioned: {"schema_version": 1, "runs": [...]}.
 * An unmeasured figure is null with a sibling "<name>_unavailable": "reason".
 * Field list: docs/metrics.md ("JSON report"). */
#include "emit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool put_fig(cJSON *o, const char *key, const soak_fig_t *f)
{
	if (f->valid && isfinite(f->v))
		return cJSON_AddNumberToObject(o, key, f->v) != NULL;
	char k[96];
	snprintf(k, sizeof(k), "%s_unavailable", key);
	return cJSON_AddNullToObject(o, key) &&
	       cJSON_AddStringToObject(o, k, f->valid ? "not finite" : f->why);
}

static bool put_str(cJSON *o, const char *key, const char *s)
{
	return s ? cJSON_AddStringToObject(o, key, s) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

/* "disagree": like for like (null when one side is missing), "disagree_basis"
 * what it compared, "disagree_whole_run" the same against the whole run. */
static bool put_agree(cJSON *o, const soak_fig_t *self, const soak_fig_t *whole, const soak_fig_t *from_op,
		      bool disagree, bool disagree_whole, const char *basis)
{
	bool like = self->valid && (from_op->valid ? from_op : whole)->valid;
	return (like ? cJSON_AddBoolToObject(o, "disagree", disagree) : cJSON_AddNullToObject(o, "disagree")) &&
	       put_str(o, "disagree_basis", basis ? basis : "whole run") &&
	       (self->valid && whole->valid ? cJSON_AddBoolToObject(o, "disagree_whole_run", disagree_whole)
					    : cJSON_AddNullToObject(o, "disagree_whole_run"));
}

static bool put_ci(cJSON *o, const char *key, const soak_fig_t *lo, const soak_fig_t *hi)
{
	if (lo->valid && hi->valid) {
		double v[2] = { lo->v, hi->v };
		cJSON *a = cJSON_CreateDoubleArray(v, 2);
		return a && cJSON_AddItemToObject(o, key, a);
	}
	return put_fig(o, key, lo->valid ? hi : lo);
}

static cJSON *obj(cJSON *parent, const char *key)
{
	return cJSON_AddObjectToObject(parent, key);
}

/* "warmup": how the steady state's start was chosen (docs/metrics.md). */
static bool warmup_fields(cJSON *j, const soak_run_result_t *r)
{
	const soak_warmup_t *w = &r->warmup;
	cJSON *o = obj(j, "warmup");
	return o && put_str(o, "source", w->automatic ? "mser5" : "given") &&
	       cJSON_AddBoolToObject(o, "found", !w->automatic || w->found) &&
	       put_str(o, "method", w->automatic && !w->found ? w->why : w->method) &&
	       put_fig(o, "throughput_s", &w->tp_s) && put_fig(o, "rss_s", &w->rss_s);
}

static bool run_fields(cJSON *j, const soak_run_result_t *r)
{
	const soak_run_t *run = &r->run;
	bool ok = cJSON_AddNumberToObject(j, "id", (double)run->id) &&
		  put_str(j, "uuid", run->uuid) && put_str(j, "label", run->label) &&
		  put_str(j, "comparison_id", run->comparison_id) &&
		  put_str(j, "status", run->status) && cJSON_AddBoolToObject(j, "partial", r->partial);
	ok = ok && (run->has_exit_code ? cJSON_AddNumberToObject(j, "exit_code", run->exit_code) != NULL
				       : cJSON_AddNullToObject(j, "exit_code") != NULL);
	ok = ok && (run->has_signal ? cJSON_AddNumberToObject(j, "signal", run->signal) != NULL
				    : cJSON_AddNullToObject(j, "signal") != NULL);
	ok = ok && cJSON_AddNumberToObject(j, "samples_lost", (double)run->samples_lost) != NULL;
	ok = ok && put_str(j, "message", run->message) && put_str(j, "host", run->host) &&
	     put_str(j, "kernel", run->kernel) && put_str(j, "suite_version", run->suite_version) &&
	     put_str(j, "git_rev", run->git_rev) && put_str(j, "started_at", run->started_at) &&
	     put_str(j, "ended_at", run->ended_at);
	cJSON *a = obj(j, "allocator");
	ok = ok && a && put_str(a, "name", run->allocator_name) &&
	     put_str(a, "path", run->allocator_path) && put_str(a, "env", run->allocator_env) &&
	     put_str(a, "sha256", run->allocator_sha256) &&
	     put_str(a, "observed", run->allocator_observed);
	cJSON *w = obj(j, "workload");
	ok = ok && w && put_str(w, "name", run->workload);
	if (ok) {
		/* workload_args is a JSON array in the db: embed it, else keep the text. */
		cJSON *args = run->workload_args ? cJSON_Parse(run->workload_args) : NULL;
		if (args)
			ok = cJSON_AddItemToObject(w, "args", args);
		else
			ok = put_str(w, "args", run->workload_args);
	}
	cJSON *l = obj(j, "limits");
	ok = ok && l && put_str(l, "cgroup_mode", run->cgroup_mode) &&
	     put_str(l, "cgroup_placement", run->cgroup_placement);
	ok = ok && (run->has_memory_max && run->memory_max != UINT64_MAX
			    ? cJSON_AddNumberToObject(l, "memory_max_bytes", (double)run->memory_max) != NULL
			    : cJSON_AddNullToObject(l, "memory_max_bytes") != NULL);
	ok = ok && (run->has_swap_max && run->swap_max != UINT64_MAX
			    ? cJSON_AddNumberToObject(l, "swap_max_bytes", (double)run->swap_max) != NULL
			    : cJSON_AddNullToObject(l, "swap_max_bytes") != NULL);
	ok = ok && (run->has_cpu_max ? cJSON_AddNumberToObject(l, "cpu_max_pct", run->cpu_max_pct) != NULL
				     : cJSON_AddNullToObject(l, "cpu_max_pct") != NULL);
	ok = ok && cJSON_AddNumberToObject(j, "planned_duration_s", run->duration_s) &&
	     cJSON_AddNumberToObject(j, "interval_s", run->interval_s) &&
	     cJSON_AddNumberToObject(j, "warmup_s", r->warmup_s) && warmup_fields(j, r) &&
	     put_fig(j, "duration_s", &r->elapsed_s) && put_fig(j, "steady_s", &r->steady_s) &&
	     cJSON_AddNumberToObject(j, "samples", (double)r->samples) &&
	     cJSON_AddNumberToObject(j, "drift_k", (double)r->drift_k) &&
	     put_fig(j, "oom_kills", &r->oom_kills);
	return ok;
}

static bool rss_fields(cJSON *j, const soak_rss_result_t *m)
{
	cJSON *o = obj(j, "rss");
	return o && put_fig(o, "mean_bytes", &m->mean) && put_fig(o, "min_bytes", &m->min) &&
	       put_fig(o, "max_bytes", &m->max) && put_fig(o, "first_bytes", &m->first) &&
	       put_fig(o, "last_bytes", &m->last) && put_fig(o, "peak_bytes", &m->peak) &&
	       put_str(o, "peak_source", m->peak.valid ? m->peak_source : NULL) &&
	       put_str(o, "series_source", m->series_source[0] ? m->series_source : NULL) &&
	       put_fig(o, "first_k_mean_bytes", &m->first_k_mean) &&
	       put_fig(o, "last_k_mean_bytes", &m->last_k_mean) &&
	       put_fig(o, "drift_pct", &m->drift_pct) &&
	       put_fig(o, "slope_bytes_per_s", &m->slope_bytes_per_s) &&
	       put_fig(o, "slope_pct_per_hour", &m->slope_pct_per_hour) &&
	       put_ci(o, "slope_ci95", &m->slope_ci_lo, &m->slope_ci_hi) &&
	       put_fig(o, "swap_peak_bytes", &m->swap_peak);
}

static const char *const eff_why_names[] = {
	[SOAK_EFF_WHY_NONE] = NULL, [SOAK_EFF_WHY_FLAT] = "flat",
	[SOAK_EFF_WHY_HOLDS] = "workload_holds_more", [SOAK_EFF_WHY_OVERHEAD] = "allocator_overhead",
	[SOAK_EFF_WHY_BOTH] = "both",
};

/* "efficiency": live bytes, overhead and the memory layers (docs/metrics.md). */
static bool eff_fields(cJSON *j, const soak_eff_result_t *e)
{
	cJSON *o = obj(j, "efficiency");
	bool ok = o && put_fig(o, "live_mean_bytes", &e->live_mean) &&
		  put_fig(o, "live_peak_bytes", &e->live_peak) &&
		  put_fig(o, "live_first_k_mean_bytes", &e->live_first_k_mean) &&
		  put_fig(o, "live_last_k_mean_bytes", &e->live_last_k_mean) &&
		  put_fig(o, "live_drift_pct", &e->live_drift_pct) &&
		  put_fig(o, "live_slope_bytes_per_s", &e->live_slope_bytes_per_s) &&
		  put_fig(o, "live_slope_pct_per_hour", &e->live_slope_pct_per_hour) &&
		  put_fig(o, "overhead_mean", &e->overhead_mean) &&
		  put_fig(o, "overhead_peak", &e->overhead_peak) &&
		  put_fig(o, "overhead_bytes", &e->overhead_bytes) &&
		  put_fig(o, "overhead_first_k_mean", &e->overhead_first_k_mean) &&
		  put_fig(o, "overhead_last_k_mean", &e->overhead_last_k_mean) &&
		  put_fig(o, "overhead_drift_pct", &e->overhead_drift_pct) &&
		  put_fig(o, "overhead_slope_pct_per_hour", &e->overhead_slope_pct_per_hour) &&
		  put_ci(o, "overhead_slope_ci95", &e->overhead_slope_ci_lo, &e->overhead_slope_ci_hi) &&
		  put_fig(o, "rss_growth_bytes", &e->rss_growth_bytes) &&
		  put_fig(o, "live_growth_bytes", &e->live_growth_bytes) &&
		  put_fig(o, "live_share_of_rss_growth_pct", &e->live_share_pct) &&
		  put_str(o, "rss_growth_is", eff_why_names[e->why]) && put_str(o, "explain", e->explain) &&
		  put_str(o, "live_source", e->live_source[0] ? e->live_source : NULL) &&
		  put_fig(o, "live_at_end_bytes", &e->live_end) && put_fig(o, "rss_at_end_bytes", &e->rss_end) &&
		  put_str(o, "rss_at_end_source", e->rss_end_source) &&
		  put_fig(o, "overhead_at_end", &e->overhead_end);
	cJSON *l = ok ? obj(o, "layers_mean_bytes") : NULL;
	ok = ok && l;
	for (int i = 0; ok && i < SOAK_EFF_N; i++)
		ok = put_fig(l, soak_eff_metrics[i], &e->level_mean[i]);
	return ok;
}

static bool tp_fields(cJSON *j, const soak_tp_result_t *m)
{
	cJSON *o = obj(j, "throughput");
	return o && put_str(o, "source", m->source) &&
	       cJSON_AddNumberToObject(o, "intervals", (double)m->series.n) &&
	       put_fig(o, "ops", &m->ops) && put_fig(o, "ops_run", &m->ops_run) &&
	       put_fig(o, "mean_ops_s", &m->mean) && put_fig(o, "stddev_ops_s", &m->stddev) &&
	       put_fig(o, "cv_pct", &m->cv_pct) && put_fig(o, "min_ops_s", &m->min) &&
	       put_fig(o, "max_ops_s", &m->max) &&
	       put_fig(o, "first_k_mean_ops_s", &m->first_k_mean) &&
	       put_fig(o, "last_k_mean_ops_s", &m->last_k_mean) &&
	       put_fig(o, "drift_pct", &m->drift_pct) &&
	       put_fig(o, "slope_pct_per_hour", &m->slope_pct_per_hour) &&
	       put_ci(o, "slope_ci95", &m->slope_ci_lo, &m->slope_ci_hi);
}

static bool lat_fields(cJSON *j, const soak_lat_result_t *m, const soak_emit_opts_t *eo)
{
	cJSON *o = obj(j, "latency");
	bool ok = o && put_str(o, "window", m->window) && put_fig(o, "count", &m->count) &&
		  put_fig(o, "mean_ns", &m->mean_ns) && put_fig(o, "p50_ns", &m->p50_ns) &&
		  put_fig(o, "p90_ns", &m->p90_ns) && put_fig(o, "p99_ns", &m->p99_ns) &&
		  put_fig(o, "p999_ns", &m->p999_ns) && put_fig(o, "max_ns", &m->max_ns) &&
		  put_fig(o, "worst_interval_p99_ns", &m->worst_interval_p99_ns);
	if (ok && eo && eo->latency_ccdf && m->hist && m->hist->count) {
		soak_ccdf_point_t pts[64];
		size_t n = soak_result_ccdf(m->hist, pts, 64);
		cJSON *a = cJSON_AddArrayToObject(o, "ccdf");
		ok = a != NULL;
		for (size_t i = 0; ok && i < n; i++) {
			cJSON *p = cJSON_CreateObject();
			ok = p && cJSON_AddItemToArray(a, p) &&
			     cJSON_AddNumberToObject(p, "latency_ns", pts[i].value_ns) &&
			     cJSON_AddNumberToObject(p, "fraction_slower", pts[i].fraction) &&
			     cJSON_AddNumberToObject(p, "ops_slower", (double)pts[i].slower);
		}
	}
	return ok;
}

static bool sc_fields(cJSON *j, const soak_run_result_t *r)
{
	cJSON *o = obj(j, "syscalls");
	bool ok = o && put_fig(o, "window_s", &r->sc_window_s) &&
		  put_fig(o, "total", &r->sc_total) && put_fig(o, "total_per_op", &r->sc_total_per_op) &&
		  put_fig(o, "total_per_s", &r->sc_total_per_s) &&
		  put_fig(o, "total_per_step", &r->sc_total_per_step);
	ok = ok && (r->grade != SOAK_GRADE_NONE
			    ? cJSON_AddStringToObject(o, "grade", soak_grade_name(r->grade)) != NULL
			    : (cJSON_AddNullToObject(o, "grade") &&
			       cJSON_AddStringToObject(o, "grade_unavailable", r->sc_total_per_op.why)));
	cJSON *by = ok ? obj(o, "by_name") : NULL;
	ok = ok && by;
	for (int i = 0; ok && i < SOAK_SC_N; i++) {
		const soak_sc_result_t *c = &r->sc[i];
		cJSON *e = obj(by, c->name);
		ok = e && put_fig(e, "count", &c->count) && put_fig(e, "per_op", &c->per_op) &&
		     put_fig(e, "per_s", &c->per_s) && put_fig(e, "per_step", &c->per_step) &&
		     put_fig(e, "run_count", &c->run_count);
	}
	cJSON *self = ok ? cJSON_AddArrayToObject(o, "self_reported") : NULL;
	ok = ok && self;
	for (size_t i = 0; ok && i < r->n_self; i++) {
		const soak_self_budget_t *s = &r->self[i];
		cJSON *e = cJSON_CreateObject();
		ok = e && cJSON_AddItemToArray(self, e) && put_str(e, "tag", s->tag) &&
		     put_str(e, "window", "whole run") && put_fig(e, "total", &s->total) &&
		     put_fig(e, "per_op", &s->per_op) && put_str(e, "measured_set", s->measured_set) &&
		     put_fig(e, "measured", &s->measured) &&
		     put_fig(e, "measured_per_op", &s->measured_per_op) &&
		     put_fig(e, "measured_from_first_op", &s->measured_from_op) &&
		     put_agree(e, &s->total, &s->measured, &s->measured_from_op, s->disagree, s->disagree_whole,
			       s->basis);
	}
	return ok;
}

static bool other_fields(cJSON *j, const soak_run_result_t *r)
{
	const soak_pf_result_t *m = &r->pf;
	cJSON *o = obj(j, "page_faults");
	bool ok = o && put_str(o, "source", m->source) && put_fig(o, "minor", &m->minor) &&
		  put_fig(o, "major", &m->major) && put_fig(o, "minor_per_op", &m->minor_per_op) &&
		  put_fig(o, "major_per_op", &m->major_per_op) &&
		  put_fig(o, "minor_per_step", &m->minor_per_step) &&
		  put_fig(o, "major_per_step", &m->major_per_step) &&
		  put_fig(o, "minor_per_s", &m->minor_per_s) &&
		  put_fig(o, "major_per_s", &m->major_per_s) &&
		  put_fig(o, "ctx_switches", &m->ctx_switches) &&
		  put_fig(o, "ctx_switches_per_s", &m->ctx_per_s);
	cJSON *c = ok ? obj(j, "cpu") : NULL;
	ok = ok && c && put_fig(c, "user_s", &r->cpu_user_s) && put_fig(c, "sys_s", &r->cpu_sys_s) &&
	     put_fig(c, "pct", &r->cpu_pct);
	cJSON *s = ok ? obj(j, "steps") : NULL;
	ok = ok && s && cJSON_AddNumberToObject(s, "count", (double)r->steps.n) &&
	     cJSON_AddNumberToObject(s, "failed", (double)r->steps.failed) &&
	     put_fig(s, "wall_mean_s", &r->steps.wall_mean_s) &&
	     put_fig(s, "wall_p50_s", &r->steps.wall_p50_s) && put_fig(s, "wall_p90_s", &r->steps.wall_p90_s) &&
	     put_fig(s, "wall_p99_s", &r->steps.wall_p99_s) && put_fig(s, "wall_max_s", &r->steps.wall_max_s) &&
	     put_str(s, "exit_codes", r->steps.exit_codes[0] ? r->steps.exit_codes : NULL) &&
	     put_fig(s, "peak_rss_max_bytes", &r->steps.peak_rss_max);
	/* "selfreport": every counter, whole run (exec --repeat: sum over the
	 * steps); "selfreport_steps": per step, for exec --repeat runs. */
	cJSON *sr = ok ? obj(j, "selfreport") : NULL;
	ok = ok && sr;
	for (size_t i = 0; ok && i < r->n_counters; i++)
		ok = put_fig(sr, r->counters[i].name, &r->counters[i].value);
	ok = ok && put_fig(j, "tp_per_cpu_s", &r->tp_per_cpu_s);
	cJSON *hn = ok ? obj(j, "host_noise") : NULL;
	ok = ok && hn && put_str(hn, "floor", r->floor.desc) && put_fig(hn, "cv_pct", &r->floor.cv_pct) &&
	     put_fig(hn, "drift_pct", &r->floor.drift_pct) && put_fig(hn, "excess_cv_pct", &r->floor.excess_cv_pct) &&
	     put_str(hn, "measured_at", r->floor.have ? r->floor.n.measured_at : NULL) &&
	     (r->floor.have ? cJSON_AddNumberToObject(hn, "interval_s", r->floor.n.interval_s) != NULL
			    : cJSON_AddNullToObject(hn, "interval_s") != NULL);
	cJSON *cl = ok ? cJSON_AddArrayToObject(j, "selfreport_classes") : NULL;
	ok = ok && cl;
	for (size_t i = 0; ok && i < r->n_classes; i++) {
		const soak_self_class_t *c = &r->classes[i];
		cJSON *k = cJSON_CreateObject();
		ok = k && cJSON_AddItemToArray(cl, k);
		if (!ok) {
			cJSON_Delete(k);
			break;
		}
		ok = put_str(k, "tag", c->tag) && put_str(k, "class", c->cls) && put_str(k, "declared", c->decl) &&
		     put_fig(k, "self", &c->self) && put_fig(k, "measured", &c->measured) &&
		     put_fig(k, "self_steady", &c->self_steady) &&
		     put_fig(k, "measured_steady", &c->measured_steady) &&
		     put_fig(k, "measured_from_first_op", &c->measured_from_op) &&
		     put_agree(k, &c->self, &c->measured, &c->measured_from_op, c->disagree, c->disagree_whole,
			       c->basis);
	}
	cJSON *ss = ok ? obj(j, "selfreport_steps") : NULL;
	ok = ok && ss;
	for (size_t i = 0; ok && i < r->n_counters; i++) {
		const soak_counter_t *c = &r->counters[i];
		if (!c->steps.valid)
			continue;
		cJSON *k = obj(ss, c->name);
		ok = k && put_fig(k, "min", &c->step_min) && put_fig(k, "max", &c->step_max) &&
		     put_fig(k, "steps", &c->steps) &&
		     put_str(k, "whole_run", c->kind == SOAK_SR_MAX ? "max over steps"
					     : c->kind == SOAK_SR_MIN ? "min over steps" : "sum over steps");
	}
	return ok;
}

cJSON *soak_result_to_json(const soak_run_result_t *r, const soak_emit_opts_t *o)
{
	cJSON *j = cJSON_CreateObject();
	if (j && run_fields(j, r) && rss_fields(j, &r->rss) && eff_fields(j, &r->eff) && tp_fields(j, &r->tp) &&
	    lat_fields(j, &r->lat, o) && sc_fields(j, r) && other_fields(j, r))
		return j;
	cJSON_Delete(j);
	return NULL;
}

static int json_report(FILE *f, const soak_run_result_t *r, size_t n, const soak_emit_opts_t *o)
{
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", SOAK_REPORT_SCHEMA_VERSION) &&
		  cJSON_AddStringToObject(doc, "generator", "soakctl " SOAK_VERSION " (" SOAK_GIT_REV ")");
	cJSON *runs = ok ? cJSON_AddArrayToObject(doc, "runs") : NULL;
	ok = ok && runs;
	for (size_t i = 0; ok && i < n; i++) {
		cJSON *j = soak_result_to_json(&r[i], o);
		ok = j && cJSON_AddItemToArray(runs, j);
		if (!ok)
			cJSON_Delete(j);
	}
	if (!ok) {
		cJSON_Delete(doc);
		return -ENOMEM;
	}
	return soak_json_write(f, doc, true);
}

static int json_runs(FILE *f, const soak_run_t *runs, size_t n)
{
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", SOAK_REPORT_SCHEMA_VERSION);
	cJSON *a = ok ? cJSON_AddArrayToObject(doc, "runs") : NULL;
	ok = ok && a;
	for (size_t i = 0; ok && i < n; i++) {
		const soak_run_t *r = &runs[i];
		cJSON *e = cJSON_CreateObject();
		double w = soak_run_wall_s(r);
		ok = e && cJSON_AddItemToArray(a, e) &&
		     cJSON_AddNumberToObject(e, "id", (double)r->id) && put_str(e, "uuid", r->uuid) &&
		     put_str(e, "started_at", r->started_at) && put_str(e, "ended_at", r->ended_at) &&
		     put_str(e, "workload", r->workload) && put_str(e, "allocator", r->allocator_name) &&
		     put_str(e, "label", r->label) && put_str(e, "comparison_id", r->comparison_id) &&
		     put_str(e, "status", r->status);
		ok = ok && (isnan(w) ? cJSON_AddNullToObject(e, "duration_s") != NULL
				     : cJSON_AddNumberToObject(e, "duration_s", w) != NULL);
	}
	if (!ok) {
		cJSON_Delete(doc);
		return -ENOMEM;
	}
	return soak_json_write(f, doc, true);
}

const soak_emitter_t soak_emitter_json = { .name = "json", .report = json_report, .runs = json_runs };
