/* emit-history.c - `soakctl history` as Markdown and JSON (versioned). */
#include "emit-history.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static void cellf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cellf(FILE *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	soak_md_cell(f, buf);
}

const char *soak_history_unit(const soak_history_t *h, size_t m, char *buf, size_t len)
{
	if (h->relative_to[0])
		snprintf(buf, len, "x %s", h->relative_to);
	else
		snprintf(buf, len, "%s", soak_hmetrics[m].unit);
	return buf;
}

void soak_history_fmt_value(const soak_history_t *h, size_t m, double v, char *buf, size_t len)
{
	if (h->relative_to[0]) {
		snprintf(buf, len, "%.4f", v);
		return;
	}
	double x = v * soak_hmetrics[m].scale;
	if (m == SOAK_HM_P99 || m == SOAK_HM_P999)
		soak_fmt_ns(v, buf, len);
	else if (m == SOAK_HM_SC_PER_OP || m == SOAK_HM_PF_PER_OP)
		snprintf(buf, len, "%.3g", x);
	else if (!strcmp(soak_hmetrics[m].unit, "%"))
		snprintf(buf, len, "%+.2f%%", x);
	else
		snprintf(buf, len, "%.4g", x);
}

void soak_history_fmt_build(const soak_hpoint_t *p, char *buf, size_t len)
{
	if (!p->build_path) {
		snprintf(buf, len, "libc (no library)");
		return;
	}
	char size[32] = "size unknown", mtime[SOAK_DB_TIME_LEN] = "mtime unknown";
	if (p->has_build_file) {
		snprintf(size, sizeof(size), "%lld B", (long long)p->build_size);
		soak_db_time_format((double)p->build_mtime, mtime);
	}
	snprintf(buf, len, "%s, %s, mtime %.19s, sha256 %.12s", p->build_path, size, mtime,
		 p->build_sha256 ? p->build_sha256 : "not recorded");
}

static bool same_build(const soak_hpoint_t *a, const soak_hpoint_t *b)
{
	return !strcmp(a->build_path ? a->build_path : "", b->build_path ? b->build_path : "") &&
	       a->build_size == b->build_size && a->build_mtime == b->build_mtime &&
	       !strcmp(a->build_sha256 ? a->build_sha256 : "", b->build_sha256 ? b->build_sha256 : "");
}

static void series_name(const soak_history_t *h, size_t i, char *buf, size_t len)
{
	(void)h;
	snprintf(buf, len, "S%zu", i + 1);
}

static void md_series(FILE *f, const soak_history_t *h)
{
	fprintf(f, "## Series\n\n| # | Workload | Options | Allocator | Limits | Host class | Runs | First | Newest night |\n"
		   "|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		char name[24];
		series_name(h, i, name, sizeof(name));
		fputc('|', f);
		soak_md_cell(f, name);
		soak_md_cell(f, s->workload);
		soak_md_cell(f, s->workload_args[0] ? s->workload_args : "[]");
		soak_md_cell(f, s->allocator);
		soak_md_cell(f, s->limits);
		soak_md_cell(f, s->host_class);
		cellf(f, "%zu", s->n);
		cellf(f, "%.19s", s->n ? s->p[0].started_at : "");
		soak_md_cell(f, s->n ? s->p[s->n - 1].night : "");
		fputc('\n', f);
	}
}

void soak_history_cp_text(const soak_history_t *h, const soak_hseries_t *s, const soak_hchange_t *c, char *buf,
			  size_t len)
{
	char a[64], b[64], u[96] = "", pct[32] = "";
	soak_history_fmt_value(h, c->metric, c->cp.mean_before, b, sizeof(b));
	soak_history_fmt_value(h, c->metric, c->cp.mean_after, a, sizeof(a));
	/* From 0 there is no percentage: the absolute change alone. */
	if (isfinite(c->cp.change_pct))
		snprintf(pct, sizeof(pct), " %+.1f%%", c->cp.change_pct);
	/* A percentage and a latency are formatted with their unit already. */
	bool own_unit = !h->relative_to[0] && (c->metric == SOAK_HM_P99 || c->metric == SOAK_HM_P999 ||
					       !strcmp(soak_hmetrics[c->metric].unit, "%"));
	if (!own_unit) {
		u[0] = ' ';
		soak_history_unit(h, c->metric, u + 1, sizeof(u) - 1);
	}
	snprintf(buf, len, "%s %s%s (%s -> %s%s) at night %s, run %lld, confidence %.3f (p %.3g)",
		 soak_hmetrics[c->metric].title, c->regression ? "regression" : "improvement", pct,
		 b, a, u, s->p[c->point].night, (long long)s->p[c->point].run_id, 1 - c->cp.p, c->cp.p);
}

static void md_changes(FILE *f, const soak_history_t *h)
{
	size_t total = 0;
	for (size_t i = 0; i < h->n; i++)
		total += h->s[i].n_cps;
	fprintf(f, "\n## Change points\n\n");
	if (!total) {
		fprintf(f, "No change point at α = %g in any series and metric.\n", h->cp.alpha);
		return;
	}
	fprintf(f, "| Series | Allocator | Metric | Night | Run | Change | Before → after | Direction | Confidence (1-p) "
		   "| Newest night | Build of the run | Build changed |\n"
		   "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		for (size_t j = 0; j < s->n_cps; j++) {
			const soak_hchange_t *c = &s->cps[j];
			const soak_hpoint_t *p = &s->p[c->point];
			char name[24], b[64], a[64], build[1400], u[96];
			series_name(h, i, name, sizeof(name));
			soak_history_fmt_value(h, c->metric, c->cp.mean_before, b, sizeof(b));
			soak_history_fmt_value(h, c->metric, c->cp.mean_after, a, sizeof(a));
			soak_history_fmt_build(p, build, sizeof(build));
			fputc('|', f);
			soak_md_cell(f, name);
			soak_md_cell(f, s->allocator);
			soak_md_cell(f, soak_hmetrics[c->metric].title);
			soak_md_cell(f, p->night);
			cellf(f, "%lld", (long long)p->run_id);
			if (isfinite(c->cp.change_pct))
				cellf(f, "%+.1f%%", c->cp.change_pct);
			else
				soak_md_cell(f, "n/a (before is 0)");
			cellf(f, "%s → %s %s", b, a, soak_history_unit(h, c->metric, u, sizeof(u)));
			soak_md_cell(f, c->regression ? "regression" : "improvement");
			cellf(f, "%.3f", 1 - c->cp.p);
			soak_md_cell(f, c->newest_night ? "yes" : "no");
			soak_md_cell(f, build);
			soak_md_cell(f, c->point > 0 && !same_build(&s->p[c->point - 1], p) ? "yes" : "no");
			fputc('\n', f);
		}
	}
}

static bool is_cp(const soak_hseries_t *s, size_t m, size_t point)
{
	for (size_t j = 0; j < s->n_cps; j++)
		if (s->cps[j].metric == m && s->cps[j].point == point)
			return true;
	return false;
}

static void md_metric(FILE *f, const soak_history_t *h, size_t m, size_t last)
{
	/* A metric no run measured: one line with the first reason, not a table of it. */
	const char *why = NULL;
	bool any = false;
	for (size_t i = 0; i < h->n && !any; i++)
		for (size_t j = 0; j < h->s[i].n && !any; j++) {
			any = !isnan(h->s[i].p[j].v[m]);
			if (!why)
				why = h->s[i].p[j].why[m];
		}
	if (!any) {
		fprintf(f, "\n## %s\n\nUnavailable in every run (first reason: %s).\n", soak_hmetrics[m].title,
			why ? why : "not measured");
		return;
	}
	char u[96];
	fprintf(f, "\n## %s (%s), last %zu points\n\n| Series | Allocator |", soak_hmetrics[m].title,
		soak_history_unit(h, m, u, sizeof(u)), last);
	for (size_t k = last; k-- > 0;)
		fprintf(f, k ? " newest-%zu |" : " newest |", k);
	fprintf(f, " Change points |\n|---|---|");
	for (size_t k = 0; k <= last; k++)
		fprintf(f, "---|");
	fputc('\n', f);
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		char name[24];
		series_name(h, i, name, sizeof(name));
		fputc('|', f);
		soak_md_cell(f, name);
		soak_md_cell(f, s->allocator);
		for (size_t k = last; k-- > 0;) {
			if (k >= s->n) {
				soak_md_cell(f, "");
				continue;
			}
			const soak_hpoint_t *p = &s->p[s->n - 1 - k];
			char v[64];
			if (isnan(p->v[m])) {
				cellf(f, "unavailable (%s)", p->why[m] ? p->why[m] : "?");
				continue;
			}
			soak_history_fmt_value(h, m, p->v[m], v, sizeof(v));
			if (is_cp(s, m, s->n - 1 - k))
				cellf(f, "**%s** ⟵", v);
			else
				soak_md_cell(f, v);
		}
		char list[1024] = "";
		for (size_t j = 0; j < s->n_cps; j++) {
			const soak_hchange_t *c = &s->cps[j];
			if (c->metric != m)
				continue;
			size_t l = strlen(list);
			char pct[32] = "from 0";
			if (isfinite(c->cp.change_pct))
				snprintf(pct, sizeof(pct), "%+.1f%%", c->cp.change_pct);
			snprintf(list + l, sizeof(list) - l, "%s%s at %s (%s, conf. %.3f)", l ? "; " : "", pct,
				 s->p[c->point].night, c->regression ? "regression" : "improvement", 1 - c->cp.p);
		}
		if (s->is_reference)
			snprintf(list, sizeof(list), "reference (not analysed)");
		else if (!list[0] && s->resolution[m] > 0 && !h->relative_to[0])
			snprintf(list, sizeof(list), "none (%zu points; a change below resolution (%.0f ns) is none)",
				 s->valid[m], s->resolution[m]);
		else if (!list[0])
			snprintf(list, sizeof(list), "none (%zu points)", s->valid[m]);
		soak_md_cell(f, list);
		fputc('\n', f);
	}
}

static void md_points(FILE *f, const soak_history_t *h, size_t last)
{
	fprintf(f, "\n## Points (last %zu per series): night and allocator build\n\n"
		   "| Series | Run | Started (UTC) | Night | Build (path, size, mtime, sha256) |\n"
		   "|---|---|---|---|---|\n", last);
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		for (size_t j = s->n > last ? s->n - last : 0; j < s->n; j++) {
			char name[24], build[1400];
			series_name(h, i, name, sizeof(name));
			soak_history_fmt_build(&s->p[j], build, sizeof(build));
			fputc('|', f);
			soak_md_cell(f, name);
			cellf(f, "%lld", (long long)s->p[j].run_id);
			cellf(f, "%.19s", s->p[j].started_at);
			soak_md_cell(f, s->p[j].night);
			soak_md_cell(f, build);
			fputc('\n', f);
		}
	}
}

int soak_history_emit_md(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o)
{
	fprintf(f, "# Soak history\n\n%zu runs in %zu series (%zu runs not ok left out", h->runs, h->n, h->skipped);
	if (h->unlabelled)
		fprintf(f, "; %zu runs without a label left out: a night is a label", h->unlabelled);
	if (h->impossible)
		fprintf(f, "; %zu run%s with an impossible value left out (%s)", h->impossible,
			h->impossible == 1 ? "" : "s", h->impossible_text);
	fprintf(f, "). A series is one workload "
		   "with its options, one allocator name, one set of limits and one host class, in time "
		   "order. Change points: E-divisive means in windows of %d points with a Student's t test (α = %g, "
		   "at least %zu points per segment, changes below each metric's minimum effect ignored); a "
		   "regression is a change for the worse. Method: docs/nightly.md.\n\n",
		 SOAK_CP_WINDOW, h->cp.alpha, h->cp.min_size);
	if (h->relative_to[0])
		fprintf(f, "Values are ratios to the median of %s in the same night, series key and host class "
			   "(host drift between nights cancels); %s's own series is the reference and is not "
			   "analysed.\n\n", h->relative_to, h->relative_to);
	md_series(f, h);
	md_changes(f, h);
	for (size_t m = 0; m < SOAK_HM_N; m++)
		if (!o->metrics || (o->metrics >> m & 1u))
			md_metric(f, h, m, o->last);
	md_points(f, h, o->last);
	return ferror(f) ? -EIO : 0;
}

static cJSON *num_or_null(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

int soak_history_emit_json(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o)
{
	(void)o;
	cJSON *doc = cJSON_CreateObject(), *arr;
	bool ok = doc && cJSON_AddNumberToObject(doc, "schema_version", 1) &&
		  cJSON_AddStringToObject(doc, "kind", "history") &&
		  cJSON_AddNumberToObject(doc, "alpha", h->cp.alpha) &&
		  cJSON_AddNumberToObject(doc, "window", SOAK_CP_WINDOW) &&
		  cJSON_AddNumberToObject(doc, "runs", (double)h->runs) &&
		  cJSON_AddNumberToObject(doc, "runs_left_out", (double)h->skipped) &&
		  cJSON_AddNumberToObject(doc, "runs_unlabelled_left_out", (double)h->unlabelled) &&
		  cJSON_AddNumberToObject(doc, "runs_impossible_left_out", (double)h->impossible) &&
		  cJSON_AddItemToObject(doc, "relative_to", h->relative_to[0] ? cJSON_CreateString(h->relative_to) : cJSON_CreateNull()) &&
		  (arr = cJSON_AddArrayToObject(doc, "series"));
	for (size_t i = 0; ok && i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		cJSON *js = cJSON_CreateObject(), *pts = NULL, *cps = NULL;
		ok = js && cJSON_AddItemToArray(arr, js) && cJSON_AddStringToObject(js, "workload", s->workload) &&
		     cJSON_AddStringToObject(js, "workload_args", s->workload_args) &&
		     cJSON_AddStringToObject(js, "allocator", s->allocator) &&
		     cJSON_AddStringToObject(js, "limits", s->limits) &&
		     cJSON_AddStringToObject(js, "host_class", s->host_class) &&
		     cJSON_AddBoolToObject(js, "reference", s->is_reference) &&
		     (pts = cJSON_AddArrayToObject(js, "points")) && (cps = cJSON_AddArrayToObject(js, "change_points"));
		for (size_t j = 0; ok && j < s->n; j++) {
			const soak_hpoint_t *p = &s->p[j];
			cJSON *jp = cJSON_CreateObject(), *b = NULL, *mv = NULL;
			ok = jp && cJSON_AddItemToArray(pts, jp) &&
			     cJSON_AddNumberToObject(jp, "run_id", (double)p->run_id) &&
			     cJSON_AddStringToObject(jp, "uuid", p->uuid) && cJSON_AddStringToObject(jp, "night", p->night) &&
			     cJSON_AddStringToObject(jp, "started_at", p->started_at) &&
			     (b = cJSON_AddObjectToObject(jp, "build")) &&
			     cJSON_AddItemToObject(b, "path", p->build_path ? cJSON_CreateString(p->build_path) : cJSON_CreateNull()) &&
			     cJSON_AddItemToObject(b, "size", p->has_build_file ? cJSON_CreateNumber((double)p->build_size) : cJSON_CreateNull()) &&
			     cJSON_AddItemToObject(b, "mtime", p->has_build_file ? cJSON_CreateNumber((double)p->build_mtime) : cJSON_CreateNull()) &&
			     cJSON_AddItemToObject(b, "sha256", p->build_sha256 ? cJSON_CreateString(p->build_sha256) : cJSON_CreateNull()) &&
			     (mv = cJSON_AddObjectToObject(jp, "metrics"));
			for (size_t m = 0; ok && m < SOAK_HM_N; m++) {
				ok = cJSON_AddItemToObject(mv, soak_hmetrics[m].key, num_or_null(p->v[m]));
				if (ok && p->why[m]) {
					char k[96];
					snprintf(k, sizeof(k), "%s_unavailable", soak_hmetrics[m].key);
					ok = cJSON_AddStringToObject(mv, k, p->why[m]) != NULL;
				}
			}
		}
		for (size_t j = 0; ok && j < s->n_cps; j++) {
			const soak_hchange_t *c = &s->cps[j];
			cJSON *jc = cJSON_CreateObject();
			ok = jc && cJSON_AddItemToArray(cps, jc) &&
			     cJSON_AddStringToObject(jc, "metric", soak_hmetrics[c->metric].key) &&
			     cJSON_AddNumberToObject(jc, "point", (double)c->point) &&
			     cJSON_AddNumberToObject(jc, "run_id", (double)s->p[c->point].run_id) &&
			     cJSON_AddStringToObject(jc, "night", s->p[c->point].night) &&
			     cJSON_AddItemToObject(jc, "change_pct", num_or_null(c->cp.change_pct)) &&
			     cJSON_AddNumberToObject(jc, "mean_before", c->cp.mean_before) &&
			     cJSON_AddNumberToObject(jc, "mean_after", c->cp.mean_after) &&
			     cJSON_AddStringToObject(jc, "direction", c->regression ? "regression" : "improvement") &&
			     cJSON_AddNumberToObject(jc, "p", c->cp.p) &&
			     cJSON_AddNumberToObject(jc, "confidence", 1 - c->cp.p) &&
			     cJSON_AddNumberToObject(jc, "q", c->cp.q) &&
			     cJSON_AddBoolToObject(jc, "newest_night", c->newest_night);
		}
	}
	return soak_json_write(f, doc, ok);
}
