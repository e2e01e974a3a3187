/* gate-emit.c - the gate as a Markdown pull-request comment and as JSON
 * (versioned: "schema_version"). The terse stdout summary is in gate.c, the
 * JUnit XML in emit-junit.c. */
#include "gate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emit.h"

static const char *icon(soak_check_state_t s)
{
	switch (s) {
	case SOAK_CHECK_PASS: return "✅";
	case SOAK_CHECK_FAIL: return "❌";
	case SOAK_CHECK_SKIP: return "⏭️";
	case SOAK_CHECK_UNDECIDED: return "❔";
	default: return "⚠️";
	}
}

int soak_gate_emit_markdown(FILE *f, const soak_gate_report_t *rep)
{
	int code = soak_gate_exit_code(rep);
	size_t passed = rep->checks - rep->failed - rep->errors - rep->skipped - rep->undecided;
	fprintf(f, "## Soak gate: %s\n\n",
		code == 0 ? "✅ PASS" : code == 1 ? "❌ FAIL"
		: rep->errors ? "⚠️ cannot be evaluated" : "❔ undecided: run more");
	fprintf(f, "%zu run%s, %zu checks: %zu passed, %zu failed, %zu undecided, %zu could not be "
		"evaluated, %zu skipped. Thresholds: %s%s%s.", rep->n, rep->n == 1 ? "" : "s", rep->checks,
		passed, rep->failed, rep->undecided, rep->errors, rep->skipped, rep->thresholds,
		rep->baseline[0] ? "; baseline: " : "", rep->baseline);
	if (rep->family[0])
		fprintf(f, " Baseline checks: the run is the unit, %s.", rep->family);
	fputs("\n\n", f);
	fputs("| | Run | Check | Value | Threshold | Baseline | Details |\n"
	      "|---|---|---|---|---|---|---|\n", f);
	for (size_t i = 0; i < rep->n; i++) {
		const soak_gate_run_t *gr = &rep->runs[i];
		for (size_t j = 0; j < gr->n; j++) {
			const soak_check_t *c = &gr->checks[j];
			fprintf(f, "| %s |", icon(c->state));
			soak_md_cell(f, gr->title);
			soak_md_cell(f, c->name);
			soak_md_cell(f, c->value);
			soak_md_cell(f, c->threshold);
			soak_md_cell(f, c->baseline[0] ? c->baseline : "-");
			soak_md_cell(f, c->message);
			fputc('\n', f);
		}
	}
	fputs("\n✅ pass · ❌ fail · ❔ undecided (exit 2: more runs needed) · ⚠️ could not be "
	      "evaluated (exit 2) · ⏭️ skipped. "
	      "Method and thresholds: docs/compare-gate.md.\n", f);
	return ferror(f) ? -EIO : 0;
}

static const char *state_token(soak_check_state_t s)
{
	switch (s) {
	case SOAK_CHECK_PASS: return "pass";
	case SOAK_CHECK_FAIL: return "fail";
	case SOAK_CHECK_SKIP: return "skip";
	case SOAK_CHECK_UNDECIDED: return "undecided";
	default: return "error";
	}
}

static bool put_str_or_null(cJSON *o, const char *k, const char *s)
{
	return s && *s ? cJSON_AddStringToObject(o, k, s) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

/* A number, or null when it is not one. */
static bool json_num(cJSON *o, const char *k, double v)
{
	return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

static cJSON *check_json(const soak_check_t *c)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "name", c->name) &&
		  cJSON_AddStringToObject(o, "metric", c->metric) &&
		  cJSON_AddStringToObject(o, "state", state_token(c->state)) &&
		  put_str_or_null(o, "value", c->value) && put_str_or_null(o, "threshold", c->threshold) &&
		  put_str_or_null(o, "baseline", c->baseline) && put_str_or_null(o, "type", c->type) &&
		  cJSON_AddStringToObject(o, "message", c->message);
	if (ok && c->has_stats) {
		cJSON *st = cJSON_AddObjectToObject(o, "stats");
		ok = st && json_num(st, "change_pct", c->change_pct) &&
		     json_num(st, "ci_lo_pct", c->ci_lo_pct) &&
		     json_num(st, "ci_hi_pct", c->ci_hi_pct) && json_num(st, "p", c->p) &&
		     json_num(st, "p_holm", c->p_holm) &&
		     cJSON_AddNumberToObject(st, "runs", (double)c->k) &&
		     cJSON_AddNumberToObject(st, "baseline_runs", (double)c->n);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int soak_gate_emit_json(FILE *f, const soak_gate_report_t *rep)
{
	int code = soak_gate_exit_code(rep);
	size_t passed = rep->checks - rep->failed - rep->errors - rep->skipped - rep->undecided;
	const char *result = code == 0 ? "pass" : code == 1 ? "fail" : rep->errors ? "error" : "undecided";
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", SOAK_GATE_SCHEMA_VERSION) &&
		  cJSON_AddStringToObject(doc, "kind", "gate") &&
		  cJSON_AddStringToObject(doc, "generator", "soakctl " SOAK_VERSION " (" SOAK_GIT_REV ")") &&
		  cJSON_AddStringToObject(doc, "result", result) &&
		  cJSON_AddNumberToObject(doc, "exit_code", code) &&
		  cJSON_AddStringToObject(doc, "thresholds", rep->thresholds) &&
		  put_str_or_null(doc, "baseline", rep->baseline) &&
		  put_str_or_null(doc, "baseline_method", rep->family);
	cJSON *sum = ok ? cJSON_AddObjectToObject(doc, "summary") : NULL;
	ok = ok && sum && cJSON_AddNumberToObject(sum, "runs", (double)rep->n) &&
	     cJSON_AddNumberToObject(sum, "checks", (double)rep->checks) &&
	     cJSON_AddNumberToObject(sum, "passed", (double)passed) &&
	     cJSON_AddNumberToObject(sum, "failed", (double)rep->failed) &&
	     cJSON_AddNumberToObject(sum, "errors", (double)rep->errors) &&
	     cJSON_AddNumberToObject(sum, "skipped", (double)rep->skipped) &&
	     cJSON_AddNumberToObject(sum, "undecided", (double)rep->undecided);
	cJSON *runs = ok ? cJSON_AddArrayToObject(doc, "runs") : NULL;
	ok = ok && runs;
	for (size_t i = 0; ok && i < rep->n; i++) {
		const soak_gate_run_t *gr = &rep->runs[i];
		cJSON *r = cJSON_CreateObject();
		ok = r && cJSON_AddItemToArray(runs, r) &&
		     cJSON_AddNumberToObject(r, "id", (double)gr->run_id) &&
		     cJSON_AddStringToObject(r, "run", gr->run) &&
		     cJSON_AddStringToObject(r, "title", gr->title) &&
		     put_str_or_null(r, "workload", gr->workload) &&
		     put_str_or_null(r, "started_at", gr->started_at) &&
		     cJSON_AddNumberToObject(r, "failed", (double)gr->failed) &&
		     cJSON_AddNumberToObject(r, "errors", (double)gr->errors) &&
		     cJSON_AddNumberToObject(r, "skipped", (double)gr->skipped) &&
		     cJSON_AddNumberToObject(r, "undecided", (double)gr->undecided);
		cJSON *checks = ok ? cJSON_AddArrayToObject(r, "checks") : NULL;
		ok = ok && checks;
		for (size_t j = 0; ok && j < gr->n; j++) {
			cJSON *c = check_json(&gr->checks[j]);
			ok = c && cJSON_AddItemToArray(checks, c);
		}
	}
	return soak_json_write(f, doc, ok);
}
