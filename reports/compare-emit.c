/* compare-emit.c - a comparison as Markdown (the hakmem soak report's "Competitive
 * Position" table: one column per allocator), JSON (versioned) or CSV (one row
 * per allocator and metric). An unmeasured figure is "unavailable (reason)",
 * null plus "<key>_unavailable", or an empty cell - never 0. */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "emit.h"
#include "soak/parse.h"

#define MIB (1024.0 * 1024.0)

/* ---- shared text ---- */

/* A figure of metric m as text, in the unit of its row. */
static char *fmt_value(int m, const soak_fig_t *f, soak_grade_t grade, char *buf, size_t len)
{
	char b[48];
	if (!f->valid) {
		snprintf(buf, len, "unavailable (%s)", f->why);
		return buf;
	}
	switch (m) {
	case SOAK_CM_TP:   /* M ops/s; exec steps can be far below 0.01 M */
		snprintf(b, sizeof(b), f->v >= 1e5 || f->v == 0 ? "%.2f" : "%.3g", f->v / 1e6);
		break;
	case SOAK_CM_CV: snprintf(b, sizeof(b), "%.2f%%", f->v); break;
	case SOAK_CM_TP_DRIFT:
	case SOAK_CM_OVERHEAD_DRIFT:
	case SOAK_CM_RSS_DRIFT: snprintf(b, sizeof(b), "%+.2f%%", f->v); break;
	case SOAK_CM_RSS_MEAN:
	case SOAK_CM_LIVE_MEAN:
	case SOAK_CM_LIVE_PEAK:
	case SOAK_CM_LIVE_END:
	case SOAK_CM_RSS_PEAK: snprintf(b, sizeof(b), "%.2f", f->v / MIB); break;
	case SOAK_CM_OVERHEAD:
	case SOAK_CM_OVERHEAD_END: snprintf(b, sizeof(b), "%.3fx", f->v); break;
	case SOAK_CM_SC_PER_OP:
		snprintf(b, sizeof(b), "%.1e (%s)", f->v, soak_grade_name(grade));
		break;
	case SOAK_CM_LAT_P50:
	case SOAK_CM_LAT_P99:
	case SOAK_CM_LAT_P999: soak_fmt_ns(f->v, b, sizeof(b)); break;
	case SOAK_CM_STEP_WALL: snprintf(b, sizeof(b), "%.4f", f->v); break;
	default: snprintf(b, sizeof(b), "%.2e", f->v); break;
	}
	if (f->why[0])
		snprintf(buf, len, "%s (%s)", b, f->why);
	else
		snprintf(buf, len, "%s", b);
	return buf;
}

static void thresholds_text(char *buf, size_t len)
{
	buf[0] = '\0';
	for (int m = 0; m < SOAK_CM_N; m++) {
		const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
		if (!d->verdict)
			continue;
		size_t l = strlen(buf);
		if (d->scale == SOAK_SCALE_DIFF)
			snprintf(buf + l, len - l, "%s%s %g percent points", l ? "; " : "", d->key,
				 d->practical_abs);
		else if (d->practical_abs > 0) {
			bool mib = m == SOAK_CM_RSS_MEAN || m == SOAK_CM_RSS_PEAK;
			snprintf(buf + l, len - l, "%s%s %g%% and at least %g %s", l ? "; " : "", d->key,
				 d->practical_pct, mib ? d->practical_abs / MIB : d->practical_abs,
				 mib ? "MiB" : d->unit);
		} else
			snprintf(buf + l, len - l, "%s%s %g%%", l ? "; " : "", d->key, d->practical_pct);
	}
}

/* ---- Markdown ---- */

static void md_header(FILE *f, const soak_comparison_t *c, bool only_candidates, const char *last)
{
	fputs("| Metric |", f);
	for (size_t i = 0; i < c->n; i++) {
		if (only_candidates && i == c->baseline)
			continue;
		char b[128];
		snprintf(b, sizeof(b), "%s%s", c->g[i].name, i == c->baseline ? " (baseline)" : "");
		soak_md_cell(f, b);
	}
	if (last)
		soak_md_cell(f, last);
	fputs("\n|---|", f);
	for (size_t i = 0; i < c->n; i++)
		if (!(only_candidates && i == c->baseline))
			fputs("---|", f);
	if (last)
		fputs("---|", f);
	fputc('\n', f);
}

static void ratio_cell(FILE *f, const soak_comparison_t *c, size_t i)
{
	char b[160];
	const soak_cmp_group_t *g = &c->g[i], *base = &c->g[c->baseline];
	const soak_verdict_t *v = &g->v[SOAK_CM_TP];
	if (i == c->baseline) {
		soak_md_cell(f, g->fig[SOAK_CM_TP].valid ? "100%" : "n/a");
		return;
	}
	if (soak_verdict_tested(v->kind) && !isnan(v->change)) {
		if (v->has_ci)
			snprintf(b, sizeof(b), "%.2f%% [%.2f%%, %.2f%%]", 100 + v->change, 100 + v->ci_lo,
				 100 + v->ci_hi);
		else
			snprintf(b, sizeof(b), "%.2f%%", 100 + v->change);
	} else if (g->fig[SOAK_CM_TP].valid && base->fig[SOAK_CM_TP].valid &&
		   base->fig[SOAK_CM_TP].v > 0) {
		snprintf(b, sizeof(b), "%.2f%% (no interval)",
			 100 * g->fig[SOAK_CM_TP].v / base->fig[SOAK_CM_TP].v);
	} else {
		snprintf(b, sizeof(b), "n/a");
	}
	soak_md_cell(f, b);
}

static void md_run_line(FILE *f, const soak_comparison_t *c)
{
	const soak_run_t *r = NULL;
	for (size_t i = 0; i < c->n && !r; i++)
		if (c->g[i].n_runs)
			r = &c->g[i].runs[0]->run;
	if (!r)
		return;
	char d[32], w[32], iv[32], mem[32], sw[32];
	soak_fmt_duration(r->duration_s, d, sizeof(d));
	soak_fmt_duration(r->warmup_s, w, sizeof(w));
	soak_fmt_duration(r->interval_s, iv, sizeof(iv));
	fprintf(f, "Workload `%s`%s%s, %s per run (warm-up %s, interval %s), limits: memory %s, "
		"swap %s, cpu ", r->workload ? r->workload : "?",
		r->workload_args && strcmp(r->workload_args, "[]") ? " " : "",
		r->workload_args && strcmp(r->workload_args, "[]") ? r->workload_args : "", d, w, iv,
		r->has_memory_max && r->memory_max != UINT64_MAX
			? soak_fmt_bytes((double)r->memory_max, mem, sizeof(mem)) : "unlimited",
		r->has_swap_max && r->swap_max != UINT64_MAX
			? soak_fmt_bytes((double)r->swap_max, sw, sizeof(sw)) : "unlimited");
	if (r->has_cpu_max)
		fprintf(f, "%.0f%%", r->cpu_max_pct);
	else
		fputs("unlimited", f);
	if (r->cgroup_mode && !strcmp(r->cgroup_mode, "none"))
		fputs(" (no cgroup: not enforced)", f);
	fputs(".", f);
	if (c->opts.repeats_planned)
		fprintf(f, " %zu repeat%s per allocator, interleaved in rounds", c->opts.repeats_planned,
			c->opts.repeats_planned == 1 ? "" : "s");
	if (c->opts.has_order_seed)
		fprintf(f, ", order shuffled per round (seed %llu)",
			(unsigned long long)c->opts.order_seed);
	if (c->opts.repeats_planned || c->opts.has_order_seed)
		fputs(".", f);
	if (c->opts.comparison_id)
		fprintf(f, " Comparison id `%s`.", c->opts.comparison_id);
	fputs("\n\n", f);
}

static void pct_cell(FILE *f, const soak_fig_t *x, const char *fmt)
{
	char b[300];
	if (x->valid)
		snprintf(b, sizeof(b), fmt, x->v);
	else
		snprintf(b, sizeof(b), "unavailable (%s)", x->why);
	soak_md_cell(f, b);
}

/* CV beyond the floor's: sqrt(CV^2 - floor^2), 0 when below it. */
static soak_fig_t excess_cv(const soak_fig_t *cv, const soak_fig_t *floor_cv)
{
	soak_fig_t e = { .v = NAN };
	if (!cv->valid)
		snprintf(e.why, sizeof(e.why), "%s", cv->why);
	else if (!floor_cv->valid)
		snprintf(e.why, sizeof(e.why), "no floor");
	else {
		e.valid = true;
		e.v = sqrt(fmax(0, cv->v * cv->v - floor_cv->v * floor_cv->v));
	}
	return e;
}

/* The host's noise beside the groups' own: what the host alone
 * produces, against which the allocators' CV, drift and run-to-run spread
 * are read. */
static void md_noise(FILE *f, const soak_comparison_t *c)
{
	const soak_cmp_noise_t *z = &c->noise;
	fputs("## Host noise\n\n", f);
	if (!z->have) {
		fprintf(f, "Floor unavailable: %s.\n\n", z->why);
		return;
	}
	fprintf(f, "Floor from %s.\n\n|", z->source);
	soak_md_cell(f, "");
	soak_md_cell(f, z->from_control ? "control (spin)" : "floor (spin)");
	for (size_t i = 0; i < c->n; i++)
		soak_md_cell(f, c->g[i].name);
	fputs("\n|---|---|", f);
	for (size_t i = 0; i < c->n; i++)
		fputs("---|", f);
	fputs("\n|", f);
	soak_md_cell(f, "Run-to-run CV of mean throughput");
	pct_cell(f, &z->run_cv_pct, "%.2f%%");
	for (size_t i = 0; i < c->n; i++)
		pct_cell(f, &c->g[i].run_cv_pct, "%.2f%%");
	fputs("\n|", f);
	soak_md_cell(f, "Throughput CV per interval (mean of runs)");
	pct_cell(f, &z->cv_pct, "%.2f%%");
	for (size_t i = 0; i < c->n; i++)
		pct_cell(f, &c->g[i].fig[SOAK_CM_CV], "%.2f%%");
	fputs("\n|", f);
	soak_md_cell(f, "CV beyond the floor, sqrt(CV² − floor²)");
	soak_md_cell(f, "-");
	for (size_t i = 0; i < c->n; i++) {
		soak_fig_t e = excess_cv(&c->g[i].fig[SOAK_CM_CV], &z->cv_pct);
		pct_cell(f, &e, "%.2f%%");
	}
	fputs("\n|", f);
	soak_md_cell(f, "Throughput drift (mean of runs)");
	pct_cell(f, &z->drift_pct, "%+.2f%%");
	for (size_t i = 0; i < c->n; i++)
		pct_cell(f, &c->g[i].fig[SOAK_CM_TP_DRIFT], "%+.2f%%");
	fputs("\n\n", f);
}

static int md_emit(FILE *f, const soak_comparison_t *c)
{
	char b[512];
	fputs("# Allocator comparison\n\n", f);
	md_run_line(f, c);
	fputs("## Competitive position\n\n", f);
	md_header(f, c, false, "Target");
	for (int m = 0; m < SOAK_CM_N; m++) {
		const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
		fputs("|", f);
		soak_md_cell(f, d->title);
		for (size_t i = 0; i < c->n; i++)
			soak_md_cell(f, fmt_value(m, &c->g[i].fig[m], c->g[i].grade, b, sizeof(b)));
		soak_md_cell(f, d->target);
		fputc('\n', f);
		if (m == SOAK_CM_TP) {
			fputs("|", f);
			snprintf(b, sizeof(b), "Throughput vs %s (%.0f%% CI)", c->g[c->baseline].name,
				 100 * (1 - c->alpha));
			soak_md_cell(f, b);
			for (size_t i = 0; i < c->n; i++)
				ratio_cell(f, c, i);
			soak_md_cell(f, "-");
			fputc('\n', f);
		}
	}
	fputs("|", f);
	soak_md_cell(f, "Status (runs)");
	for (size_t i = 0; i < c->n; i++)
		soak_md_cell(f, c->g[i].status[0] ? c->g[i].status : "no runs");
	soak_md_cell(f, "ok");
	fputs("\n|", f);
	soak_md_cell(f, "Runs");
	for (size_t i = 0; i < c->n; i++) {
		b[0] = '\0';
		for (size_t j = 0; j < c->g[i].n_runs; j++) {
			size_t l = strlen(b);
			snprintf(b + l, sizeof(b) - l, "%s#%lld", j ? " " : "",
				 (long long)c->g[i].runs[j]->run.id);
		}
		soak_md_cell(f, b);
	}
	soak_md_cell(f, "-");
	fputs("\n\n", f);

	if (c->n > 1) {
		fprintf(f, "## Verdicts vs %s\n\n", c->g[c->baseline].name);
		md_header(f, c, true, NULL);
		for (int m = 0; m < SOAK_CM_N; m++) {
			const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
			if (!d->verdict)
				continue;
			fputs("|", f);
			soak_md_cell(f, d->key);
			for (size_t i = 0; i < c->n; i++) {
				if (i == c->baseline)
					continue;
				const soak_verdict_t *v = &c->g[i].v[m];
				bool diff = v->kind == SOAK_VERDICT_BETTER || v->kind == SOAK_VERDICT_WORSE;
				snprintf(b, sizeof(b), "%s%s%s: %s", diff ? "**" : "",
					 soak_verdict_name(v->kind), diff ? "**" : "", v->why);
				soak_md_cell(f, b);
			}
			fputc('\n', f);
		}
		fputc('\n', f);
	}

	md_noise(f, c);
	char thr[640];
	thresholds_text(thr, sizeof(thr));
	fprintf(f, "**Method.** Each allocator is compared with the baseline (%s) on independent "
		"units: %s. A difference counts only when it is statistically significant - "
		"two-sided Mann-Whitney U p < alpha = %g (exact distribution up to %d units per "
		"side without ties, else the normal approximation with tie and continuity "
		"correction) and the %.0f%% percentile bootstrap interval of the ratio of means "
		"(difference for drifts; %d resamples, seed %llu) excludes no change - and larger "
		"than the practical threshold: %s. A verdict needs at least %zu units per "
		"allocator; with fewer it says so. Table values are means over the runs with "
		"status ok (peak RSS: the maximum; latency: the quantile of the runs' merged "
		"histograms, the number its verdict tests, with the interval from resampling "
		"runs). Only runs with status ok enter the verdicts. "
		"Definitions: docs/compare-gate.md, docs/metrics.md.\n",
		c->g[c->baseline].name, c->units.desc, c->alpha, SOAK_VERDICT_EXACT_MAX,
		100 * (1 - c->alpha), SOAK_VERDICT_BOOTSTRAP_N, (unsigned long long)c->seed, thr,
		c->units.min_units);
	if (c->n_notes)
		fputc('\n', f);
	for (size_t i = 0; i < c->n_notes; i++)
		fprintf(f, "> %s\n", c->notes[i]);
	return ferror(f) ? -EIO : 0;
}

/* ---- JSON ---- */

static bool put_num(cJSON *o, const char *k, double v)
{
	return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

static bool put_fig(cJSON *o, const char *k, const soak_fig_t *f)
{
	if (f->valid && isfinite(f->v))
		return cJSON_AddNumberToObject(o, k, f->v) != NULL;
	char key[96];
	snprintf(key, sizeof(key), "%s_unavailable", k);
	return cJSON_AddNullToObject(o, k) && cJSON_AddStringToObject(o, key, f->valid ? "not finite" : f->why);
}

static cJSON *verdict_json(const soak_cmp_metric_def_t *d, const soak_verdict_t *v)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "verdict", soak_verdict_token(v->kind)) &&
		  cJSON_AddStringToObject(o, "change_unit", d->scale == SOAK_SCALE_RATIO ? "pct" : "diff") &&
		  put_num(o, "change", v->change) && put_num(o, "mean", v->mean_a) &&
		  put_num(o, "baseline_mean", v->mean_b);
	if (ok && v->has_ci) {
		double ci[2] = { v->ci_lo, v->ci_hi };
		cJSON *a = isfinite(ci[0]) && isfinite(ci[1]) ? cJSON_CreateDoubleArray(ci, 2) : cJSON_CreateNull();
		ok = a && cJSON_AddItemToObject(o, "ci", a);
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "ci") != NULL;
	}
	bool has_test = soak_verdict_tested(v->kind);
	ok = ok && put_num(o, "p_value", has_test ? v->mwu.p : NAN) &&
	     (has_test ? cJSON_AddBoolToObject(o, "exact", v->mwu.exact) != NULL
		       : cJSON_AddNullToObject(o, "exact") != NULL) &&
	     cJSON_AddNumberToObject(o, "units", (double)v->n_a) &&
	     cJSON_AddNumberToObject(o, "baseline_units", (double)v->n_b) &&
	     cJSON_AddBoolToObject(o, "significant", v->significant) &&
	     cJSON_AddBoolToObject(o, "practical", v->practical) &&
	     cJSON_AddStringToObject(o, "reason", v->why);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *group_json(const soak_comparison_t *c, size_t i)
{
	const soak_cmp_group_t *g = &c->g[i];
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "name", g->name) &&
		  cJSON_AddBoolToObject(o, "baseline", i == c->baseline) &&
		  cJSON_AddStringToObject(o, "status", g->status) &&
		  cJSON_AddNumberToObject(o, "ok_runs", (double)g->n_ok) &&
		  cJSON_AddBoolToObject(o, "figures_from_partial_runs", g->from_partial);
	cJSON *ids = ok ? cJSON_AddArrayToObject(o, "runs") : NULL;
	ok = ok && ids;
	for (size_t j = 0; ok && j < g->n_runs; j++)
		ok = cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)g->runs[j]->run.id));
	cJSON *figs = ok ? cJSON_AddObjectToObject(o, "figures") : NULL;
	ok = ok && figs;
	for (int m = 0; ok && m < SOAK_CM_N; m++)
		ok = put_fig(figs, soak_cmp_metrics[m].key, &g->fig[m]);
	ok = ok && put_fig(figs, "run_cv_pct", &g->run_cv_pct);
	ok = ok && (g->grade != SOAK_GRADE_NONE
			    ? cJSON_AddStringToObject(figs, "syscalls_grade", soak_grade_name(g->grade)) != NULL
			    : cJSON_AddNullToObject(figs, "syscalls_grade") != NULL);
	if (ok && i != c->baseline) {
		cJSON *vs = cJSON_AddObjectToObject(o, "verdicts");
		ok = vs != NULL;
		for (int m = 0; ok && m < SOAK_CM_N; m++) {
			if (!soak_cmp_metrics[m].verdict)
				continue;
			cJSON *v = verdict_json(&soak_cmp_metrics[m], &g->v[m]);
			ok = v && cJSON_AddItemToObject(vs, soak_cmp_metrics[m].key, v);
		}
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *noise_json(const soak_comparison_t *c)
{
	const soak_cmp_noise_t *z = &c->noise;
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddBoolToObject(o, "measured", z->have) &&
		  cJSON_AddBoolToObject(o, "from_control", z->from_control) &&
		  (z->have ? cJSON_AddStringToObject(o, "source", z->source) != NULL
			   : cJSON_AddStringToObject(o, "unavailable", z->why) != NULL) &&
		  put_fig(o, "cv_pct", &z->cv_pct) && put_fig(o, "drift_pct", &z->drift_pct) &&
		  put_fig(o, "run_cv_pct", &z->run_cv_pct);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *method_json(const soak_comparison_t *c)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "test", "two-sided Mann-Whitney U (exact up to 10 "
					       "units per side without ties, else normal approximation "
					       "with tie and continuity correction)") &&
		  cJSON_AddStringToObject(o, "interval", "percentile bootstrap of the ratio of means "
					  "(difference for drifts)") &&
		  cJSON_AddNumberToObject(o, "alpha", c->alpha) &&
		  cJSON_AddNumberToObject(o, "resamples", SOAK_VERDICT_BOOTSTRAP_N) &&
		  cJSON_AddNumberToObject(o, "bootstrap_seed", (double)c->seed) &&
		  cJSON_AddStringToObject(o, "unit", c->units.blocks ? "blocks" : "repeats") &&
		  cJSON_AddStringToObject(o, "unit_description", c->units.desc) &&
		  (c->units.blocks && c->units.block_len
			   ? cJSON_AddNumberToObject(o, "block_intervals", (double)c->units.block_len) != NULL
			   : cJSON_AddNullToObject(o, "block_intervals") != NULL) &&
		  cJSON_AddNumberToObject(o, "min_units", (double)c->units.min_units);
	cJSON *t = ok ? cJSON_AddObjectToObject(o, "thresholds") : NULL;
	ok = ok && t;
	for (int m = 0; ok && m < SOAK_CM_N; m++) {
		const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
		if (!d->verdict)
			continue;
		cJSON *e = cJSON_AddObjectToObject(t, d->key);
		ok = e && cJSON_AddStringToObject(e, "direction", d->dir == SOAK_HIGHER_IS_BETTER
								       ? "higher_is_better" : "lower_is_better") &&
		     cJSON_AddStringToObject(e, "scale", d->scale == SOAK_SCALE_RATIO ? "ratio" : "difference") &&
		     cJSON_AddNumberToObject(e, "practical_pct", d->practical_pct) &&
		     cJSON_AddNumberToObject(e, "practical_abs", d->practical_abs);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *soak_compare_json(const soak_comparison_t *c)
{
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", SOAK_COMPARE_SCHEMA_VERSION) &&
		  cJSON_AddStringToObject(doc, "kind", "comparison") &&
		  cJSON_AddStringToObject(doc, "generator", "soakctl " SOAK_VERSION " (" SOAK_GIT_REV ")") &&
		  (c->opts.comparison_id ? cJSON_AddStringToObject(doc, "comparison_id", c->opts.comparison_id) != NULL
					 : cJSON_AddNullToObject(doc, "comparison_id") != NULL) &&
		  cJSON_AddStringToObject(doc, "baseline", c->g[c->baseline].name) &&
		  (c->opts.has_order_seed ? cJSON_AddNumberToObject(doc, "order_seed", (double)c->opts.order_seed) != NULL
					  : cJSON_AddNullToObject(doc, "order_seed") != NULL) &&
		  cJSON_AddBoolToObject(doc, "interrupted", c->opts.interrupted);
	cJSON *m = ok ? method_json(c) : NULL;
	ok = ok && m && cJSON_AddItemToObject(doc, "method", m);
	cJSON *hn = ok ? noise_json(c) : NULL;
	ok = ok && hn && cJSON_AddItemToObject(doc, "host_noise", hn);
	cJSON *al = ok ? cJSON_AddArrayToObject(doc, "allocators") : NULL;
	ok = ok && al;
	for (size_t i = 0; ok && i < c->n; i++) {
		cJSON *g = group_json(c, i);
		ok = g && cJSON_AddItemToArray(al, g);
	}
	cJSON *notes = ok ? cJSON_AddArrayToObject(doc, "notes") : NULL;
	ok = ok && notes;
	for (size_t i = 0; ok && i < c->n_notes; i++)
		ok = cJSON_AddItemToArray(notes, cJSON_CreateString(c->notes[i]));
	cJSON *runs = ok ? cJSON_AddArrayToObject(doc, "runs") : NULL;
	ok = ok && runs;
	for (size_t i = 0; ok && i < c->n; i++)
		for (size_t j = 0; ok && j < c->g[i].n_runs; j++) {
			cJSON *r = soak_result_to_json(c->g[i].runs[j], NULL);
			ok = r && cJSON_AddItemToArray(runs, r);
		}
	if (!ok) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static int json_emit(FILE *f, const soak_comparison_t *c)
{
	cJSON *doc = soak_compare_json(c);
	return doc ? soak_json_write(f, doc, true) : -ENOMEM;
}

/* ---- CSV ---- */

static int csv_emit(FILE *f, const soak_comparison_t *c)
{
	fputs("comparison_id,allocator,baseline,metric,value,unit,status,change_vs_baseline,"
	      "change_unit,ci_lo,ci_hi,p_value,units,baseline_units,verdict,reason\n", f);
	for (size_t i = 0; i < c->n; i++) {
		const soak_cmp_group_t *g = &c->g[i];
		for (int m = 0; m < SOAK_CM_N; m++) {
			const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
			const soak_verdict_t *v = &g->v[m];
			bool has_v = d->verdict && i != c->baseline;
			soak_csv_str(f, c->opts.comparison_id ? c->opts.comparison_id : "");
			fputc(',', f);
			soak_csv_str(f, g->name);
			fprintf(f, ",%d,%s,", i == c->baseline, d->key);
			if (g->fig[m].valid)
				soak_csv_num(f, g->fig[m].v);
			fprintf(f, ",%s,", d->unit);
			soak_csv_str(f, g->status);
			fputc(',', f);
			if (has_v && soak_verdict_tested(v->kind)) {
				soak_csv_num(f, v->change);
				fprintf(f, ",%s,", d->scale == SOAK_SCALE_RATIO ? "pct" : "diff");
				if (v->has_ci)
					soak_csv_num(f, v->ci_lo);
				fputc(',', f);
				if (v->has_ci)
					soak_csv_num(f, v->ci_hi);
				fputc(',', f);
				soak_csv_num(f, v->mwu.p);
				fprintf(f, ",%zu,%zu,", v->n_a, v->n_b);
			} else {
				fputs(",,,,,,,", f);
			}
			fputs(has_v ? soak_verdict_token(v->kind) : (i == c->baseline && d->verdict ? "baseline" : ""), f);
			fputc(',', f);
			soak_csv_str(f, has_v ? v->why : (!g->fig[m].valid ? g->fig[m].why : ""));
			fputc('\n', f);
		}
	}
	return ferror(f) ? -EIO : 0;
}

int soak_compare_emit(FILE *f, const soak_comparison_t *c, const char *format)
{
	if (!format || !strcasecmp(format, "md") || !strcasecmp(format, "markdown"))
		return md_emit(f, c);
	if (!strcasecmp(format, "json"))
		return json_emit(f, c);
	if (!strcasecmp(format, "csv"))
		return csv_emit(f, c);
	return -EINVAL;
}
