/* test_compare.c - reports/compare.c on synthetic runs: the unit choice
 * (repeats vs blocks of intervals), verdict signs, exclusion of runs that did
 * not end ok, insufficient-data messages, and the three output formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "compare.h"

#define NI 30

typedef struct {
	soak_run_result_t r;
	double t[NI], tp[NI], rss[NI];
} synth_t;

static void fig(soak_fig_t *f, double v)
{
	f->valid = true;
	f->v = v;
	f->why[0] = '\0';
}

static void none(soak_fig_t *f, const char *why)
{
	f->valid = false;
	f->v = NAN;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

/* A run of NI intervals around tp ops/s (+-1%) with flat RSS of rss bytes. */
static void synth(synth_t *s, int64_t id, const char *alloc, const char *status, double tp,
		  double rss, unsigned wiggle)
{
	memset(s, 0, sizeof(*s));
	soak_run_result_t *r = &s->r;
	r->run.id = id;
	r->run.allocator_name = (char *)alloc;
	r->run.workload = (char *)"random_mixed";
	r->run.workload_args = (char *)"[]";
	r->run.status = (char *)status;
	r->run.duration_s = 30;
	r->run.interval_s = 1;
	double sum = 0;
	for (int i = 0; i < NI; i++) {
		s->t[i] = i + 1;
		s->tp[i] = tp * (1 + 0.01 * (((i * 7 + (int)wiggle) % 5) - 2) / 2.0);
		s->rss[i] = rss + 4096 * ((i + wiggle) % 3);
		sum += s->tp[i];
	}
	r->tp.series = (soak_xy_t){ NI, s->t, s->tp };
	r->rss.series = (soak_xy_t){ NI, s->t, s->rss };
	fig(&r->tp.mean, sum / NI);
	fig(&r->tp.cv_pct, 0.7);
	fig(&r->tp.drift_pct, 0.1 * wiggle);
	fig(&r->rss.mean, rss);
	fig(&r->rss.peak, rss + 8192);
	fig(&r->rss.drift_pct, 0);
	fig(&r->sc_total_per_op, 2e-8);
	fig(&r->pf.minor_per_op, 1e-7);
	for (int i = 0; i < SOAK_SC_N; i++) {      /* as soak_result_compute names them */
		r->sc[i].metric = soak_sc_metrics[i];
		r->sc[i].name = soak_sc_metrics[i] + 3;
	}
	for (int i = 0; i < 3; i++) {
		soak_fig_t *lat[] = { &r->lat.p50_ns, &r->lat.p99_ns, &r->lat.p999_ns };
		none(lat[i], "no latency histogram recorded");
	}
}

static const soak_run_result_t *const *ptrs(synth_t *s, size_t n, const soak_run_result_t **out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = &s[i].r;
	return out;
}

/* One run per allocator: the run is the unit (never blocks of one run's
 * intervals), so even a 20% difference is insufficient data, saying what is
 * needed. */
static void test_single_runs_insufficient(void **state)
{
	(void)state;
	synth_t a, b;
	synth(&a, 1, "system", "ok", 10e6, 2e6, 0);
	synth(&b, 2, "mimalloc", "ok", 12e6, 2e6, 1);
	const soak_run_result_t *pa[1] = { &a.r }, *pb[1] = { &b.r };
	soak_cmp_group_in_t g[2] = { { "system", pa, 1 }, { "mimalloc", pb, 1 } };
	soak_cmp_opts_t o = { .baseline = 0 };
	soak_comparison_t c;
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	assert_false(c.units.blocks);
	for (int m = 0; m < SOAK_CM_N; m++) {
		if (!soak_cmp_metrics[m].verdict)
			continue;
		const soak_verdict_t *v = &c.g[1].v[m];
		assert_int_equal(v->kind, SOAK_VERDICT_INSUFFICIENT);
	}
	assert_non_null(strstr(c.g[1].v[SOAK_CM_TP].why, "4"));
	soak_compare_free(&c);
}

/* A workload whose ops/s is no throughput (fragment) gets no throughput,
 * CV or throughput-drift verdict, even with a 20% difference; RSS still does. */
static void test_not_a_rate(void **state)
{
	(void)state;
	synth_t a, b;
	synth(&a, 1, "system", "ok", 10e6, 2e6, 0);
	synth(&b, 2, "mimalloc", "ok", 12e6, 2e6, 1);
	snprintf(b.r.tp.not_rate, sizeof(b.r.tp.not_rate), "fragment's operation rate is set by its idle phases");
	const soak_run_result_t *pa[1] = { &a.r }, *pb[1] = { &b.r };
	soak_cmp_group_in_t g[2] = { { "system", pa, 1 }, { "mimalloc", pb, 1 } };
	soak_cmp_opts_t o = { .baseline = 0 };
	soak_comparison_t c;
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	for (int m = 0; m < 3; m++) {
		static const int ms[] = { SOAK_CM_TP, SOAK_CM_CV, SOAK_CM_TP_DRIFT };
		const soak_verdict_t *v = &c.g[1].v[ms[m]];
		if (!soak_cmp_metrics[ms[m]].verdict)
			continue;
		assert_int_equal(v->kind, SOAK_VERDICT_NOT_APPLICABLE);
		assert_non_null(strstr(v->why, "idle phases"));
	}
	assert_int_not_equal(c.g[1].v[SOAK_CM_RSS_MEAN].kind, SOAK_VERDICT_NOT_APPLICABLE);
	soak_compare_free(&c);
}

/* Step wall time of built-in workloads (no steps): "not applicable", the
 * result's own reason, never "insufficient data". */
static void test_step_wall_not_applicable(void **state)
{
	(void)state;
	synth_t a[4], b[4];
	const soak_run_result_t *pa[4], *pb[4];
	for (int i = 0; i < 4; i++) {
		synth(&a[i], 1 + i, "system", "ok", 10e6, 2e6, (uint64_t)i);
		synth(&b[i], 5 + i, "mimalloc", "ok", 12e6, 2e6, (uint64_t)(10 + i));
		snprintf(a[i].r.steps.wall_mean_s.why, sizeof(a[i].r.steps.wall_mean_s.why),
			 "not applicable: random_mixed is a built-in workload, it runs no steps");
		snprintf(b[i].r.steps.wall_mean_s.why, sizeof(b[i].r.steps.wall_mean_s.why),
			 "not applicable: random_mixed is a built-in workload, it runs no steps");
		pa[i] = &a[i].r;
		pb[i] = &b[i].r;
	}
	soak_cmp_group_in_t g[2] = { { "system", pa, 4 }, { "mimalloc", pb, 4 } };
	soak_cmp_opts_t o = { .baseline = 0 };
	soak_comparison_t c;
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	const soak_verdict_t *v = &c.g[1].v[SOAK_CM_STEP_WALL];
	assert_int_equal(v->kind, SOAK_VERDICT_NOT_APPLICABLE);
	assert_non_null(strstr(v->why, "runs no steps"));
	assert_int_not_equal(c.g[1].v[SOAK_CM_TP].kind, SOAK_VERDICT_NOT_APPLICABLE);
	soak_compare_free(&c);
}

/* Gives run r a steady-state histogram: n_fast operations at fast ns and
 * n_slow at slow ns, and its own quantiles from it (as result.c does). */
static soak_hist_t *lat_hist(soak_run_result_t *r, unsigned n_fast, uint64_t fast, unsigned n_slow,
			     uint64_t slow)
{
	soak_hist_t *h = malloc(sizeof(*h));
	assert_non_null(h);
	soak_hist_init(h);
	for (unsigned i = 0; i < n_fast; i++)
		soak_hist_record(h, fast);
	for (unsigned i = 0; i < n_slow; i++)
		soak_hist_record(h, slow);
	r->lat.hist = h;
	fig(&r->lat.p50_ns, soak_hist_quantile(h, 0.5, NULL));
	fig(&r->lat.p99_ns, soak_hist_quantile(h, 0.99, NULL));
	fig(&r->lat.p999_ns, soak_hist_quantile(h, 0.999, NULL));
	return h;
}

/* Latency with the run as the unit: the table shows the quantile of the
 * group's merged histograms and the verdict tests that same number (a table
 * that said p99 180 vs 450 ns beside a verdict of +9.99%, taken from averaged
 * per-interval p99s, contradicted itself). One candidate run with a heavy
 * tail: the mean of the runs' own p99s is ~1,100 ns, the merged p99 about
 * 5,000 ns. */
static void test_latency_merged(void **state)
{
	(void)state;
	synth_t a[5], b[5];
	soak_hist_t merged_a, merged_b;
	soak_hist_init(&merged_a);
	soak_hist_init(&merged_b);
	for (int i = 0; i < 5; i++) {
		synth(&b[i], 1 + i, "system", "ok", 10e6, 2e6, (unsigned)i);
		synth(&a[i], 10 + i, "mimalloc", "ok", 10e6, 2e6, (unsigned)i);
		soak_hist_merge(&merged_b, lat_hist(&b[i].r, 1000, 100, 0, 0));
		soak_hist_merge(&merged_a, i == 4 ? lat_hist(&a[i].r, 900, 100, 100, 5000)
					       : lat_hist(&a[i].r, 1000, 100, 0, 0));
	}
	const soak_run_result_t *pa[5], *pb[5];
	soak_cmp_group_in_t g[2] = { { "system", ptrs(b, 5, pb), 5 }, { "mimalloc", ptrs(a, 5, pa), 5 } };
	soak_cmp_opts_t o = { .baseline = 0 };
	soak_comparison_t c;
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	double qa = soak_hist_quantile(&merged_a, 0.99, NULL), qb = soak_hist_quantile(&merged_b, 0.99, NULL);
	assert_true(qa > 4000 && qb == 100);
	double own_mean = 0;
	for (int i = 0; i < 5; i++)
		own_mean += a[i].r.lat.p99_ns.v / 5;
	assert_true(own_mean < 1200);                     /* what the table showed before */
	assert_true(c.g[1].fig[SOAK_CM_LAT_P99].valid);
	assert_float_equal(c.g[1].fig[SOAK_CM_LAT_P99].v, qa, 1e-9);
	assert_float_equal(c.g[0].fig[SOAK_CM_LAT_P99].v, qb, 1e-9);
	const soak_verdict_t *v = &c.g[1].v[SOAK_CM_LAT_P99];
	assert_float_equal(v->mean_a, qa, 1e-9);          /* the verdict's numbers = the table's */
	assert_float_equal(v->mean_b, qb, 1e-9);
	assert_float_equal(v->change, 100.0 * (qa / qb - 1), 1e-9);
	assert_non_null(strstr(v->why, "merged histograms"));
	/* One run of five carries the tail: the rank test on the runs' own p99s
	 * is not significant (p = 0.44), so no verdict of worse. */
	assert_int_equal(v->kind, SOAK_VERDICT_SAME);
	/* The interval comes from resampling runs: it spans "no change" (a
	 * resample without run 4) up to the tail. */
	assert_true(v->has_ci && v->ci_lo <= 0 && v->ci_hi > 1000);
	soak_compare_free(&c);

	/* Every candidate run slower at the tail: worse, with the merged change. */
	for (int i = 0; i < 5; i++) {
		free(a[i].r.lat.hist);
		lat_hist(&a[i].r, 980, 100, 20, 300);
	}
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	v = &c.g[1].v[SOAK_CM_LAT_P99];
	assert_int_equal(v->kind, SOAK_VERDICT_WORSE);
	assert_float_equal(v->mean_a, soak_hist_quantile(a[0].r.lat.hist, 0.99, NULL), 1e-9);
	assert_true(v->ci_lo > 100 && v->ci_hi < 250);     /* 300.5 / 100: +200.5% */
	assert_int_equal(c.g[1].v[SOAK_CM_LAT_P50].kind, SOAK_VERDICT_SAME);
	soak_compare_free(&c);
	for (int i = 0; i < 5; i++) {
		free(a[i].r.lat.hist);
		free(b[i].r.lat.hist);
	}
}

static void test_repeats_and_exclusion(void **state)
{
	(void)state;
	synth_t a[4], b[5];
	for (unsigned i = 0; i < 4; i++)
		synth(&a[i], 1 + 2 * i, "system", "ok", 10e6 * (1 + 0.002 * i), 2e6, i);
	for (unsigned i = 0; i < 4; i++)
		synth(&b[i], 2 + 2 * i, "slow", "ok", 7e6 * (1 + 0.002 * i), 2e6, i + 1);
	synth(&b[4], 10, "slow", "oom-killed", 1e6, 64e6, 0);
	const soak_run_result_t *pa[4], *pb[5];
	soak_cmp_group_in_t g[2] = { { "system", ptrs(a, 4, pa), 4 }, { "slow", ptrs(b, 5, pb), 5 } };
	soak_cmp_opts_t o = { .baseline = 0, .comparison_id = "cmp-1", .repeats_planned = 5 };
	soak_comparison_t c;
	assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
	assert_false(c.units.blocks);                     /* 4 ok repeats each */
	assert_int_equal(c.g[1].n_ok, 4);
	assert_string_equal(c.g[1].status, "ok x4, oom-killed x1");
	const soak_verdict_t *v = &c.g[1].v[SOAK_CM_TP];
	assert_int_equal(v->kind, SOAK_VERDICT_WORSE);
	assert_int_equal(v->n_a, 4);                       /* the OOM-killed run is out */
	assert_true(fabs(v->change + 30) < 0.5);
	assert_true(v->mwu.exact);
	assert_true(fabs(v->mwu.p - 2.0 / 70.0) < 1e-12);
	/* Figures are means over ok runs: the OOM run's 64 MB does not count. */
	assert_true(c.g[1].fig[SOAK_CM_RSS_MEAN].v < 3e6);
	/* Repeats give verdicts for one-value-per-run metrics too. */
	assert_int_equal(c.g[1].v[SOAK_CM_SC_PER_OP].kind, SOAK_VERDICT_SAME);
	bool noted = false;
	for (size_t i = 0; i < c.n_notes; i++)
		noted |= strstr(c.notes[i], "slow #10 is oom-killed") != NULL &&
			 strstr(c.notes[i], "excluded from the verdicts") != NULL;
	assert_true(noted);

	/* Markdown: the table shape, the verdict row, the method under it. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(soak_compare_emit(f, &c, "md"), 0);
	fclose(f);
	assert_non_null(strstr(buf, "| Metric | system (baseline) | slow | Target |"));
	assert_non_null(strstr(buf, "| Throughput vs system (95% CI) | 100% | 70."));
	assert_non_null(strstr(buf, "| throughput | **worse**: -30."));
	assert_non_null(strstr(buf, "**Method.**"));
	assert_non_null(strstr(buf, "runs (one unit"));
	assert_non_null(strstr(buf, "| Status (runs) | ok x4 | ok x4, oom-killed x1 |"));
	free(buf);

	/* JSON: versioned, verdict tokens, the runs embedded. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(soak_compare_emit(f, &c, "json"), 0);
	fclose(f);
	cJSON *j = cJSON_Parse(buf);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "schema_version")->valueint, 1);
	cJSON *al = cJSON_GetObjectItem(j, "allocators");
	assert_int_equal(cJSON_GetArraySize(al), 2);
	cJSON *slow = cJSON_GetArrayItem(al, 1);
	cJSON *tv = cJSON_GetObjectItem(cJSON_GetObjectItem(slow, "verdicts"), "throughput");
	assert_string_equal(cJSON_GetObjectItem(tv, "verdict")->valuestring, "worse");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(slow, "figures"),
						     "latency_p99")));
	assert_string_equal(cJSON_GetObjectItem(j, "comparison_id")->valuestring, "cmp-1");
	cJSON_Delete(j);
	free(buf);

	/* CSV: a header and one row per allocator and metric. */
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(soak_compare_emit(f, &c, "csv"), 0);
	fclose(f);
	size_t lines = 0;
	for (char *p = buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 1 + 2 * SOAK_CM_N);
	assert_non_null(strstr(buf, "cmp-1,slow,0,throughput,"));
	assert_non_null(strstr(buf, ",worse,"));
	free(buf);
	assert_int_equal(soak_compare_emit(stdout, &c, "xml"), -EINVAL);
	soak_compare_free(&c);
}

/* compare --until-decided's rule, case by case: decided when better or
 * worse, or "same" with the whole interval within the threshold (both ways)
 * or below resolution; undecided when the interval reaches beyond it or the
 * runs are too few; undecidable when more runs cannot give the data. */
static void test_decision(void **state)
{
	(void)state;
	soak_cmp_group_t g[2];
	memset(g, 0, sizeof(g));
	soak_comparison_t c = { .g = g, .n = 2, .baseline = 0, .units = { .min_units = 4 } };
	soak_verdict_t *v = &g[1].v[SOAK_CM_TP];
	const struct {
		soak_verdict_kind_t kind;
		double lo, hi;
		size_t na;
		soak_cmp_decision_t want;
	} tp[] = {
		{ SOAK_VERDICT_WORSE, -12, -8, 5, SOAK_CMP_DECIDED },
		{ SOAK_VERDICT_BETTER, 8, 12, 5, SOAK_CMP_DECIDED },
		{ SOAK_VERDICT_SAME, -1.5, 1.9, 5, SOAK_CMP_DECIDED },      /* within 2% both ways */
		{ SOAK_VERDICT_SAME, -2.5, 1.0, 5, SOAK_CMP_UNDECIDED },    /* a loss not ruled out */
		{ SOAK_VERDICT_SAME, -1.0, 2.5, 5, SOAK_CMP_UNDECIDED },    /* nor a gain */
		{ SOAK_VERDICT_INSUFFICIENT, NAN, NAN, 3, SOAK_CMP_UNDECIDED },   /* 3 runs of 4 */
		{ SOAK_VERDICT_INSUFFICIENT, NAN, NAN, 0, SOAK_CMP_UNDECIDABLE }, /* unavailable */
		{ SOAK_VERDICT_NOT_APPLICABLE, NAN, NAN, 0, SOAK_CMP_UNDECIDABLE },
	};
	for (size_t i = 0; i < sizeof(tp) / sizeof(tp[0]); i++) {
		*v = (soak_verdict_t){ .kind = tp[i].kind, .ci_lo = tp[i].lo, .ci_hi = tp[i].hi,
				       .has_ci = !isnan(tp[i].lo), .n_a = tp[i].na, .n_b = tp[i].na,
				       .mean_a = 1e7, .mean_b = 1e7 };
		if (soak_cmp_decision(&c, 1, SOAK_CM_TP) != tp[i].want)
			fail_msg("case %zu: decision %d, want %d", i, soak_cmp_decision(&c, 1, SOAK_CM_TP), tp[i].want);
	}
	/* A baseline mean of 0: no interval of a ratio, more runs cannot give one. */
	*v = (soak_verdict_t){ .kind = SOAK_VERDICT_SAME, .ci_lo = NAN, .ci_hi = NAN, .n_a = 5, .n_b = 5 };
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_TP), SOAK_CMP_UNDECIDABLE);
	/* Peak RSS: 5% or 1 MiB. +-8% of 4 MiB is 0.32 MiB: decided; of 40 MiB, 3.2 MiB: not. */
	v = &g[1].v[SOAK_CM_RSS_PEAK];
	*v = (soak_verdict_t){ .kind = SOAK_VERDICT_SAME, .ci_lo = -8, .ci_hi = 8, .has_ci = true, .n_a = 5,
			       .n_b = 5, .mean_b = 4 << 20 };
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_RSS_PEAK), SOAK_CMP_DECIDED);
	v->mean_b = 40 << 20;
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_RSS_PEAK), SOAK_CMP_UNDECIDED);
	/* p99 whose point change is below resolution: never significant, but
	 * decided only by its interval as any other (noisy runs may hide a
	 * change the timer resolves: -20% .. +40% is undecided). */
	v = &g[1].v[SOAK_CM_LAT_P99];
	*v = (soak_verdict_t){ .kind = SOAK_VERDICT_SAME, .ci_lo = -20, .ci_hi = 40, .has_ci = true, .n_a = 5,
			       .n_b = 5, .mean_b = 50, .below_resolution = true };
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_LAT_P99), SOAK_CMP_UNDECIDED);
	v->ci_lo = -4, v->ci_hi = 6;   /* within the 10% threshold both ways */
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_LAT_P99), SOAK_CMP_DECIDED);
	v->below_resolution = false, v->ci_lo = -20, v->ci_hi = 40;
	assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_LAT_P99), SOAK_CMP_UNDECIDED);
	assert_int_equal(soak_cmp_decide_metrics[0], SOAK_CM_TP);
}

/* The resolution floor with a known clock: every run's histogram holds
 * latencies on a 10 ns grid only (20, 30, 40 ns and the tail), as a timer
 * that advances in 10 ns steps records them, so the tick read from the
 * histograms is 10 ns (soak_hist_tick_ns: the clusters start 10 ns apart).
 * Baseline p99 50 ns. A candidate at 60 ns (one tick, +20%, every run
 * above every baseline run: significant by ranks) is "below resolution
 * (10 ns)", no significant difference, decided; at 70 ns (two ticks) it is
 * resolved: worse. */
/* A clock that resolves 1 ns (the TSC): a dense core of consecutive values
 * and a sparse tail of single values 40 ns apart, each above 0.1% of the
 * values. The tick is 1 ns, not the tail's gaps (which read as 40.5 ns on
 * a real run). */
static void test_latency_tick_sparse_tail(void **state)
{
	(void)state;
	soak_hist_t *h = malloc(sizeof(*h));
	assert_non_null(h);
	soak_hist_init(h);
	for (uint64_t v = 55; v <= 80; v++)
		for (int k = 0; k < 500; k++)
			soak_hist_record(h, v);
	for (uint64_t v = 100; v <= 220; v += 40)
		for (int k = 0; k < 30; k++)
			soak_hist_record(h, v);
	assert_float_equal(soak_hist_tick_ns(h), 1, 0);
	free(h);
}

static void test_latency_resolution_known_tick(void **state)
{
	(void)state;
	synth_t a[5], b[5];
	const uint64_t tails[] = { 60, 70 };
	for (size_t t = 0; t < 2; t++) {
		for (int i = 0; i < 5; i++) {
			synth(&b[i], 1 + i, "system", "ok", 10e6, 2e6, (unsigned)i);
			synth(&a[i], 10 + i, "cand", "ok", 10e6, 2e6, (unsigned)i);
			soak_hist_t *hb = lat_hist(&b[i].r, 9000, 20, 120, 50);
			soak_hist_t *ha = lat_hist(&a[i].r, 9000, 20, 120, tails[t]);
			for (int k = 0; k < 800; k++) {
				soak_hist_record(hb, 30);
				soak_hist_record(ha, 30);
			}
			for (int k = 0; k < 80; k++) {
				soak_hist_record(hb, 40);
				soak_hist_record(ha, 40);
			}
			fig(&b[i].r.lat.p99_ns, soak_hist_quantile(hb, 0.99, NULL));
			fig(&a[i].r.lat.p99_ns, soak_hist_quantile(ha, 0.99, NULL));
			assert_float_equal(soak_hist_tick_ns(hb), 10, 0);
			assert_float_equal(soak_hist_tick_ns(ha), 10, 0);
		}
		assert_float_equal(b[0].r.lat.p99_ns.v - a[0].r.lat.p99_ns.v, -10.0 * (double)(t + 1), 1e-9);
		const soak_run_result_t *pa[5], *pb[5];
		soak_cmp_group_in_t g[2] = { { "system", ptrs(b, 5, pb), 5 }, { "cand", ptrs(a, 5, pa), 5 } };
		soak_cmp_opts_t o = { .baseline = 0 };
		soak_comparison_t c;
		assert_int_equal(soak_compare_compute(g, 2, &o, &c), 0);
		const soak_verdict_t *v = &c.g[1].v[SOAK_CM_LAT_P99];
		assert_true(v->mwu.p < 0.05);     /* every candidate run above every baseline run */
		if (t == 0) {
			assert_int_equal(v->kind, SOAK_VERDICT_SAME);
			assert_true(v->below_resolution);
			assert_non_null(strstr(v->why, "below resolution (10 ns)"));
			assert_int_equal(soak_cmp_decision(&c, 1, SOAK_CM_LAT_P99), SOAK_CMP_DECIDED);
		} else {
			assert_int_equal(v->kind, SOAK_VERDICT_WORSE);
			assert_false(v->below_resolution);
			assert_null(strstr(v->why, "below resolution"));
		}
		soak_compare_free(&c);
		for (int i = 0; i < 5; i++) {
			free(a[i].r.lat.hist);
			free(b[i].r.lat.hist);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_runs_insufficient),
		cmocka_unit_test(test_step_wall_not_applicable),
		cmocka_unit_test(test_not_a_rate),
		cmocka_unit_test(test_repeats_and_exclusion),
		cmocka_unit_test(test_latency_merged),
		cmocka_unit_test(test_decision),
		cmocka_unit_test(test_latency_tick_sparse_tail),
		cmocka_unit_test(test_latency_resolution_known_tick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
