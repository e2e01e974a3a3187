/* suite-emit.c - a suite comparison as Markdown; see suite-emit.h. */
#include "suite-emit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emit.h"
#include "verdict.h"

soak_suite_tally_t soak_suite_tally(const soak_suite_row_t *rows, size_t n, size_t i)
{
	soak_suite_tally_t t = { 0 };
	for (size_t r = 0; r < n; r++) {
		const soak_comparison_t *c = rows[r].cmp;
		if (i >= c->n || i == c->baseline)
			continue;
		switch (c->g[i].v[SOAK_CM_TP].kind) {
		case SOAK_VERDICT_BETTER: t.wins++; break;
		case SOAK_VERDICT_WORSE: t.losses++; break;
		case SOAK_VERDICT_SAME: t.same++; break;
		default: t.no_verdict++; break;
		}
	}
	return t;
}

/* Candidate i's throughput against the baseline in one workload: the
 * verdict with the ratio and interval of the workload's table, or why there
 * is none (a group without an ok run shows its runs' status). */
static void summary_cell(const soak_comparison_t *c, size_t i, char *b, size_t len)
{
	const soak_cmp_group_t *g = &c->g[i], *base = &c->g[c->baseline];
	const soak_verdict_t *v = &g->v[SOAK_CM_TP];
	bool diff = v->kind == SOAK_VERDICT_BETTER || v->kind == SOAK_VERDICT_WORSE;
	if (!g->n_ok)
		snprintf(b, len, "no ok run (%s)", g->status[0] ? g->status : "no runs");
	else if (!base->n_ok)
		snprintf(b, len, "baseline has no ok run (%s)", base->status[0] ? base->status : "no runs");
	else if (soak_verdict_tested(v->kind) && !isnan(v->change) && v->has_ci)
		snprintf(b, len, "%s%s%s: %.2f%% [%.2f%%, %.2f%%]", diff ? "**" : "", soak_verdict_name(v->kind),
			 diff ? "**" : "", 100 + v->change, 100 + v->ci_lo, 100 + v->ci_hi);
	else if (soak_verdict_tested(v->kind) && !isnan(v->change))
		snprintf(b, len, "%s%s%s: %.2f%%", diff ? "**" : "", soak_verdict_name(v->kind), diff ? "**" : "",
			 100 + v->change);
	else
		snprintf(b, len, "%s: %s", soak_verdict_name(v->kind), v->why);
}

soak_suite_gm_t soak_suite_geomean(const soak_suite_row_t *rows, size_t n, size_t i)
{
	const soak_cmp_metric_def_t *m = &soak_cmp_metrics[SOAK_CM_TP];
	soak_suite_gm_t g = { .of = n };
	double **v = calloc(2 * n, sizeof(double *));
	size_t *nv = calloc(2 * n, sizeof(size_t));
	int e = v && nv ? 0 : -ENOMEM;
	for (size_t r = 0; r < n && !e; r++) {
		const soak_comparison_t *c = rows[r].cmp;
		const soak_verdict_t *vd = &c->g[i].v[SOAK_CM_TP];
		if (!soak_verdict_tested(vd->kind) || isnan(vd->change))
			continue;
		char why[200];
		const soak_cmp_group_t *gr[2] = { &c->g[i], &c->g[c->baseline] };
		for (int s = 0; s < 2 && !e; s++) {
			size_t j = 2 * g.k + (size_t)s;
			e = soak_cmp_units(m, (const soak_run_result_t *const *)gr[s]->ok, gr[s]->n_ok, &c->units,
					   &v[j], &nv[j], why, sizeof(why));
			if (!e && !nv[j])
				e = -ENODATA;
		}
		g.k++;
	}
	if (!e && g.k > SOAK_SUITE_GM_MAX)
		e = -E2BIG;
	if (!e && g.k) {
		const double *a[SOAK_SUITE_GM_MAX], *b[SOAK_SUITE_GM_MAX];
		size_t na[SOAK_SUITE_GM_MAX], nb[SOAK_SUITE_GM_MAX];
		for (size_t w = 0; w < g.k; w++) {
			a[w] = v[2 * w], na[w] = nv[2 * w];
			b[w] = v[2 * w + 1], nb[w] = nv[2 * w + 1];
		}
		const soak_comparison_t *c0 = rows[0].cmp;
		e = soak_geomean_ratio_ci(a, na, b, nb, g.k, 1 - c0->alpha, SOAK_VERDICT_BOOTSTRAP_N, c0->seed,
					  &g.gm, &g.lo, &g.hi);
	}
	if (!g.k)
		snprintf(g.why, sizeof(g.why), "no workload with a throughput ratio");
	else if (e)
		snprintf(g.why, sizeof(g.why), "not computed: %s", strerror(-e));
	g.ok = g.k && !e;
	for (size_t j = 0; v && j < 2 * n; j++)
		free(v[j]);
	free(v);
	free(nv);
	return g;
}

static void summary(FILE *f, const soak_suite_row_t *rows, size_t n)
{
	const soak_comparison_t *c0 = rows[0].cmp;
	char b[600];
	fprintf(f, "# Summary: throughput vs %s\n\n| Workload |", c0->g[c0->baseline].name);
	for (size_t i = 0; i < c0->n; i++)
		if (i != c0->baseline)
			soak_md_cell(f, c0->g[i].name);
	fputs("\n|---|", f);
	for (size_t i = 1; i < c0->n; i++)
		fputs("---|", f);
	fputc('\n', f);
	for (size_t r = 0; r < n; r++) {
		fputs("|", f);
		if (strcmp(rows[r].entry, rows[r].workload))
			snprintf(b, sizeof(b), "%s (%s)", rows[r].entry, rows[r].workload);
		else
			snprintf(b, sizeof(b), "%s", rows[r].entry);
		soak_md_cell(f, b);
		for (size_t i = 0; i < c0->n; i++) {
			if (i == c0->baseline)
				continue;
			summary_cell(rows[r].cmp, i, b, sizeof(b));
			soak_md_cell(f, b);
		}
		fputc('\n', f);
	}
	fputs("|", f);
	soak_md_cell(f, "better / worse / no significant difference / no verdict");
	for (size_t i = 0; i < c0->n; i++) {
		if (i == c0->baseline)
			continue;
		soak_suite_tally_t t = soak_suite_tally(rows, n, i);
		snprintf(b, sizeof(b), "%zu / %zu / %zu / %zu", t.wins, t.losses, t.same, t.no_verdict);
		soak_md_cell(f, b);
	}
	fputs("\n|", f);
	soak_md_cell(f, "geometric mean of the ratios");
	for (size_t i = 0; i < c0->n; i++) {
		if (i == c0->baseline)
			continue;
		soak_suite_gm_t g = soak_suite_geomean(rows, n, i);
		if (g.ok)
			snprintf(b, sizeof(b), "%.2f%% [%.2f%%, %.2f%%] over %zu of %zu workloads", 100 * g.gm,
				 100 * g.lo, 100 * g.hi, g.k, g.of);
		else
			snprintf(b, sizeof(b), "%s", g.why);
		soak_md_cell(f, b);
	}
	fprintf(f, "\n\nEach cell is the throughput verdict of that workload's table above (ratio of the "
		"mean throughputs to %s with its %.0f%% bootstrap interval; method under each table). "
		"\"No verdict\" counts insufficient data, a workload whose operation rate is no "
		"throughput, and allocators without an ok run. The geometric mean is taken over the "
		"workloads with a ratio, each weighing the same whatever its rate; its %.0f%% bootstrap "
		"interval resamples each workload's runs. It sums the suite up and is no verdict: a "
		"suite of other workloads gives another mean.\n", c0->g[c0->baseline].name,
		100 * (1 - c0->alpha), 100 * (1 - c0->alpha));
}

static int suite_emit_md(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n)
{
	if (!n)
		return -EINVAL;
	fprintf(f, "# Suite `%s`: %zu workload%s x %zu allocators\n\n", suite, n, n == 1 ? "" : "s",
		rows[0].cmp->n);
	for (size_t r = 0; r < n; r++) {
		fprintf(f, "# Workload %zu of %zu: %s (`%s%s%s`)\n\n", r + 1, n, rows[r].entry, rows[r].workload,
			rows[r].args[0] ? " " : "", rows[r].args);
		int e = soak_compare_emit(f, rows[r].cmp, "md");
		if (e < 0)
			return e;
		fputc('\n', f);
	}
	summary(f, rows, n);
	return ferror(f) ? -EIO : 0;
}

int soak_suite_emit(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n, const char *format)
{
	if (!n)
		return -EINVAL;
	if (!format || !strcasecmp(format, "md") || !strcasecmp(format, "markdown"))
		return suite_emit_md(f, suite, rows, n);
	if (!strcasecmp(format, "json"))
		return soak_suite_emit_json(f, suite, rows, n);
	return -EINVAL;
}
