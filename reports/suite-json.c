/* suite-json.c - a suite comparison as JSON; see suite-emit.h and
 * docs/suites.md ("JSON"). Every workload's comparison is the document
 * `compare --format json` writes for it; the summary holds the same
 * verdicts, ratios and geometric means as the Markdown summary. */
#include "suite-emit.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emit.h"

static bool put_num_or_null(cJSON *o, const char *key, double v)
{
	return isfinite(v) ? cJSON_AddNumberToObject(o, key, v) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

/* Candidate i's throughput against the baseline in one workload. */
static cJSON *cell_json(const soak_suite_row_t *row, size_t i)
{
	const soak_comparison_t *c = row->cmp;
	const soak_cmp_group_t *g = &c->g[i], *base = &c->g[c->baseline];
	const soak_verdict_t *v = &g->v[SOAK_CM_TP];
	bool tested = g->n_ok && base->n_ok && soak_verdict_tested(v->kind) && !isnan(v->change);
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "entry", row->entry) &&
		  cJSON_AddStringToObject(o, "verdict", soak_verdict_token(v->kind)) &&
		  put_num_or_null(o, "change_pct", tested ? v->change : NAN);
	if (ok && tested && v->has_ci && isfinite(v->ci_lo) && isfinite(v->ci_hi)) {
		double ci[2] = { v->ci_lo, v->ci_hi };
		ok = cJSON_AddItemToObject(o, "ci_pct", cJSON_CreateDoubleArray(ci, 2));
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "ci_pct") != NULL;
	}
	const char *why = !g->n_ok ? "no ok run" : !base->n_ok ? "the baseline has no ok run" : tested ? "" : v->why;
	ok = ok && cJSON_AddStringToObject(o, "status", g->status) &&
	     cJSON_AddStringToObject(o, "baseline_status", base->status) && cJSON_AddStringToObject(o, "why", why);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Candidate i's summary: its cells, the tally and the geometric mean. */
static cJSON *summary_json(const soak_suite_row_t *rows, size_t n, size_t i)
{
	const soak_comparison_t *c0 = rows[0].cmp;
	cJSON *o = cJSON_CreateObject();
	bool ok = o && cJSON_AddStringToObject(o, "allocator", c0->g[i].name);
	cJSON *cells = ok ? cJSON_AddArrayToObject(o, "workloads") : NULL;
	ok = ok && cells;
	for (size_t r = 0; ok && r < n; r++) {
		cJSON *cell = cell_json(&rows[r], i);
		ok = cell && cJSON_AddItemToArray(cells, cell);
	}
	soak_suite_tally_t t = soak_suite_tally(rows, n, i);
	cJSON *tj = ok ? cJSON_AddObjectToObject(o, "tally") : NULL;
	ok = ok && tj && cJSON_AddNumberToObject(tj, "better", (double)t.wins) &&
	     cJSON_AddNumberToObject(tj, "worse", (double)t.losses) &&
	     cJSON_AddNumberToObject(tj, "same", (double)t.same) &&
	     cJSON_AddNumberToObject(tj, "no_verdict", (double)t.no_verdict);
	soak_suite_gm_t g = soak_suite_geomean(rows, n, i);
	cJSON *gj = ok ? cJSON_AddObjectToObject(o, "geometric_mean") : NULL;
	ok = ok && gj && put_num_or_null(gj, "ratio", g.ok ? g.gm : NAN) &&
	     cJSON_AddNumberToObject(gj, "workloads", (double)g.k) && cJSON_AddNumberToObject(gj, "of", (double)g.of);
	if (ok && g.ok) {
		double ci[2] = { g.lo, g.hi };
		ok = cJSON_AddItemToObject(gj, "ci", cJSON_CreateDoubleArray(ci, 2)) &&
		     cJSON_AddStringToObject(gj, "why", "");
	} else if (ok) {
		ok = cJSON_AddNullToObject(gj, "ci") && cJSON_AddStringToObject(gj, "why", g.why);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int soak_suite_emit_json(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n)
{
	const soak_comparison_t *c0 = rows[0].cmp;
	cJSON *doc = cJSON_CreateObject();
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", SOAK_SUITE_SCHEMA_VERSION) &&
		  cJSON_AddStringToObject(doc, "kind", "suite_comparison") &&
		  cJSON_AddStringToObject(doc, "generator", "soakctl " SOAK_VERSION " (" SOAK_GIT_REV ")") &&
		  cJSON_AddStringToObject(doc, "suite", suite) &&
		  cJSON_AddStringToObject(doc, "baseline", c0->g[c0->baseline].name);
	cJSON *wl = ok ? cJSON_AddArrayToObject(doc, "workloads") : NULL;
	ok = ok && wl;
	for (size_t r = 0; ok && r < n; r++) {
		cJSON *w = cJSON_CreateObject(), *cj = w ? soak_compare_json(rows[r].cmp) : NULL;
		ok = cj && cJSON_AddStringToObject(w, "entry", rows[r].entry) &&
		     cJSON_AddStringToObject(w, "workload", rows[r].workload) &&
		     cJSON_AddStringToObject(w, "args", rows[r].args) && cJSON_AddItemToObject(w, "comparison", cj);
		if (!cj)
			cJSON_Delete(w);
		else
			ok = ok && cJSON_AddItemToArray(wl, w);
	}
	cJSON *sum = ok ? cJSON_AddArrayToObject(doc, "summary") : NULL;
	ok = ok && sum;
	for (size_t i = 0; ok && i < c0->n; i++) {
		if (i == c0->baseline)
			continue;
		cJSON *s = summary_json(rows, n, i);
		ok = s && cJSON_AddItemToArray(sum, s);
	}
	return soak_json_write(f, doc, ok);
}
