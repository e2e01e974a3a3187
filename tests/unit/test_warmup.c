/* test_warmup.c - reports/warmup.c: a run's automatic warm-up (MSER-5 on its
 * throughput and RSS) from synthetic series with planted warm-ups of known
 * length, a run too short to find one, a leak, a given --warmup, and what the
 * Markdown, JSON and CSV reports say about it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "emit.h"
#include "result.h"

#include "emit-buf.h"

#define MIB (1024.0 * 1024.0)
#define NMAX 60

/* Samples every second at t = 0 .. n-1.
 * rss_bytes: a planted ramp from 1 MiB over the first rss_ramp samples, then
 *   10 MiB +- 4 KiB alternating; leak: 1 MiB + 1 MiB per second throughout.
 * ops_total: the rate of interval k (t k to k+1) is 1e5 * (k + 1) for the
 *   first tp_ramp intervals, then 1e6 +- 1e3 alternating. */
typedef struct {
	double t[NMAX], rss[NMAX], ops[NMAX];
	soak_input_series_t s[2];
	soak_run_t run;
	soak_result_input_t in;
} fx_t;

static void fixture(fx_t *f, size_t n, size_t rss_ramp, size_t tp_ramp, bool leak, double warmup)
{
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++) {
		f->t[i] = (double)i;
		if (leak)
			f->rss[i] = MIB + MIB * (double)i;
		else if (i < rss_ramp)
			f->rss[i] = MIB + 9 * MIB * (double)i / (double)rss_ramp;
		else
			f->rss[i] = 10 * MIB + (i % 2 ? 4096 : -4096);
		double rate = i <= tp_ramp ? 1e5 * (double)i : 1e6 + (i % 2 ? 1e3 : -1e3);
		f->ops[i] = i ? f->ops[i - 1] + rate : 0;
	}
	f->s[0] = (soak_input_series_t){ .metric = "rss_bytes", .n = n, .t = f->t, .v = f->rss };
	f->s[1] = (soak_input_series_t){ .metric = "ops_total", .n = n, .t = f->t, .v = f->ops };
	f->run = (soak_run_t){ .id = 3, .allocator_name = "system", .workload = "random_mixed",
			       .status = "ok", .duration_s = (double)n, .interval_s = 1,
			       .warmup_s = warmup };
	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s, .n_series = 2 };
}

/* The fixture's result (the caller frees it with soak_result_free). */
static void result_of(soak_run_result_t *r, size_t n, size_t rss_ramp, size_t tp_ramp, bool leak,
		      double warmup)
{
	static fx_t f;
	fixture(&f, n, rss_ramp, tp_ramp, leak, warmup);
	assert_int_equal(soak_result_compute(&f.in, NULL, r), 0);
}

/* runs[0] of the JSON report of r (*doc to cJSON_Delete). */
static cJSON *json_run(const soak_run_result_t *r, cJSON **doc)
{
	char *js = emit(&soak_emitter_json, r);
	*doc = cJSON_Parse(js);
	free(js);
	assert_non_null(*doc);
	return cJSON_GetArrayItem(cJSON_GetObjectItem(*doc, "runs"), 0);
}


/* RSS ramp over 8 samples: MSER-5 truncates 10 (the first batch boundary
 * after it), t = 10. Throughput ramp over intervals 0..2 (rate 3e5 at the
 * third): 5 intervals truncated, the first kept one starts at t = 5. The run's
 * warm-up is the later: 10 s. The steady RSS is then flat but for the
 * alternating 4 KiB. */
static void test_planted_ramps(void **state)
{
	(void)state;
	soak_run_result_t r;
	result_of(&r, 60, 8, 3, false, SOAK_WARMUP_AUTO);
	assert_true(r.warmup.automatic);
	assert_true(r.warmup.found);
	assert_float_equal(r.warmup_s, 10, 0);
	assert_true(r.warmup.rss_s.valid);
	assert_float_equal(r.warmup.rss_s.v, 10, 0);
	assert_true(r.warmup.tp_s.valid);
	assert_float_equal(r.warmup.tp_s.v, 5, 0);
	assert_string_equal(r.warmup.method, "found by MSER-5 on throughput and RSS");
	assert_string_equal(r.warmup_source, "MSER-5");
	assert_true(r.rss.drift_pct.valid);
	/* first 5 (t 10..14) mean 10 MiB - 4096 / 5, last 5 (t 55..59) + 4096 / 5 */
	assert_float_equal(r.rss.drift_pct.v, 100.0 * (2 * 4096 / 5.0) / (10 * MIB - 4096 / 5.0), 1e-12);
	assert_float_equal(r.rss.first.v, 10 * MIB - 4096, 0);   /* t = 10: even */
	assert_int_equal(r.samples, 50);                         /* t = 10..59 */
	/* Latency has no snapshot at an automatic warm-up's end: said so. */
	char *md = emit(&soak_emitter_md, &r);
	assert_non_null(strstr(md, "warm-up: 10.0s, found by MSER-5 on throughput and RSS"));
	assert_non_null(strstr(md, "| 10.0s (MSER-5) |"));
	free(md);
	cJSON *j, *run = json_run(&r, &j);
	cJSON *w = cJSON_GetObjectItem(run, "warmup");
	assert_string_equal(cJSON_GetObjectItem(w, "source")->valuestring, "mser5");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(w, "found")));
	assert_float_equal(cJSON_GetObjectItem(w, "rss_s")->valuedouble, 10, 0);
	assert_float_equal(cJSON_GetObjectItem(w, "throughput_s")->valuedouble, 5, 0);
	assert_float_equal(cJSON_GetObjectItem(run, "warmup_s")->valuedouble, 10, 0);
	cJSON_Delete(j);
	char *csv = emit(&soak_emitter_csv, &r);
	assert_non_null(strstr(csv, ",warmup_s,warmup_source,warmup_found,"));
	assert_non_null(strstr(csv, ",10,mser5,true,"));
	free(csv);
	soak_result_free(&r);
}

/* 15 samples (14 rates): fewer than 4 batches of 5 in either series. No
 * warm-up, so no drift is graded (the statistics start at t = 0). */
static void test_too_short(void **state)
{
	(void)state;
	soak_run_result_t r;
	result_of(&r, 15, 2, 1, false, SOAK_WARMUP_AUTO);
	assert_true(r.warmup.automatic);
	assert_false(r.warmup.found);
	assert_float_equal(r.warmup_s, 0, 0);
	assert_string_equal(r.warmup.why, "not found, run too short (15 samples; MSER-5 needs 20)");
	assert_false(r.rss.drift_pct.valid);
	assert_non_null(strstr(r.rss.drift_pct.why, "insufficient data: warm-up not found, run too short"));
	assert_false(r.tp.drift_pct.valid);
	assert_false(r.rss.first_k_mean.valid);
	assert_true(r.rss.mean.valid);           /* levels stay, over the whole run */
	char *md = emit(&soak_emitter_md, &r);
	assert_non_null(strstr(md, "warm-up: not found, run too short (15 samples; MSER-5 needs 20); "
			       "drift is not graded"));
	free(md);
	cJSON *j, *run = json_run(&r, &j);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "warmup"), "found")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "rss"), "drift_pct")));
	cJSON_Delete(j);
	soak_result_free(&r);
}

/* A leak: RSS grows by 1 MiB/s throughout, so MSER-5 on it ends at the end of
 * its range (it never settles); the throughput settles after its planted
 * 3-interval ramp (t = 5). The warm-up is the throughput's, and the RSS drift
 * is graded: first 5 steady samples t 5..9 (mean 8 MiB), last 5 t 55..59
 * (mean 58 MiB): +625 %. */
static void test_leak_keeps_drift(void **state)
{
	(void)state;
	soak_run_result_t r;
	result_of(&r, 60, 0, 3, true, SOAK_WARMUP_AUTO);
	assert_true(r.warmup.found);
	assert_float_equal(r.warmup_s, 5, 0);
	assert_false(r.warmup.rss_s.valid);
	assert_non_null(strstr(r.warmup.method, "found by MSER-5 on throughput (RSS did not settle"));
	assert_true(r.rss.drift_pct.valid);
	assert_float_equal(r.rss.drift_pct.v, 100.0 * (58 - 8) / 8, 1e-9);
	soak_result_free(&r);
}

/* --warmup 3s given (no warmup_end event: the run record's value), and an
 * old run recorded with 0: both given, nothing searched. */
static void test_given(void **state)
{
	(void)state;
	soak_run_result_t r;
	result_of(&r, 60, 8, 3, false, 3);
	assert_false(r.warmup.automatic);
	assert_float_equal(r.warmup_s, 3, 0);
	assert_string_equal(r.warmup.method, "--warmup 3 s, given");
	assert_false(r.warmup.rss_s.valid);
	char *md = emit(&soak_emitter_md, &r);
	assert_non_null(strstr(md, "warm-up: 3.0s, --warmup 3 s, given"));
	free(md);
	soak_result_free(&r);
	result_of(&r, 60, 8, 3, false, 0);
	assert_false(r.warmup.automatic);
	assert_float_equal(r.warmup_s, 0, 0);
	soak_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_planted_ramps),
		cmocka_unit_test(test_too_short),
		cmocka_unit_test(test_leak_keeps_drift),
		cmocka_unit_test(test_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
