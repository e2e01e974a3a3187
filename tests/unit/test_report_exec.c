/* test_report_exec.c - the figures of exec runs (reports/result-counters.c
 * and the emitters): a step is not an operation, so nothing is divided by
 * the driver's step count as if it were one; a self-reported maximum is not
 * summed over the steps; a built-in workload's step figures are not
 * applicable. Expected numbers are worked out by hand next to each fixture. */
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

#define NT 11   /* samples at t = 0 .. 10 */

/* exec --repeat, --warmup 0 given: one step ends every second (t 1..10, so
 * 10 steps in the steady state); the driver counts them in ops_total (0..10).
 * sc_mmap +30 per second (300), minflt +200 per second (2000), CPU user
 * 0.1 s and sys 0.05 s per second (1.5 s). Per step: 30 mmap, 200 minor
 * faults; the other base syscalls 0 (total 30 per step); per op: unavailable; per CPU second: unavailable. Self-reported:
 * RSS.max_kb printed by three steps as 80, 120, 100 (the runner stores the
 * sum 300, min 80, max 120), RSS.frees 5, 7, 9 (sum 21). */
typedef struct {
	double t[NT], v[16][NT];
	soak_input_series_t s[16];
	size_t n;
	soak_value_t values[12];
	size_t n_values;
	soak_run_t run;
	soak_result_input_t in;
} fx_t;

static double *add(fx_t *f, const char *metric)
{
	size_t i = f->n++;
	f->s[i] = (soak_input_series_t){ .metric = metric, .n = NT, .t = f->t, .v = f->v[i] };
	return f->v[i];
}

static void value(fx_t *f, char *name, double v)
{
	f->values[f->n_values++] = (soak_value_t){ .name = name, .valid = true, .value = v };
}

static void exec_fixture(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	double *ops = add(f, "ops_total"), *mm = add(f, "sc_mmap"), *mf = add(f, "minflt");
	double *us = add(f, "cpu_user_s"), *sy = add(f, "cpu_sys_s");
	double *wall = add(f, "step_wall_s"), *ex = add(f, "step_exit_code");
	/* Step samples only at the steps' ends, t = 1..10. */
	for (size_t k = f->n - 2; k < f->n; k++) {
		f->s[k].n = NT - 1;
		f->s[k].t = f->t + 1;
		f->s[k].v = f->v[k] + 1;
	}
	static const char *const flat[] = { "sc_munmap", "sc_mremap", "sc_madvise", "sc_brk",
					    "sc_mprotect", "sc_mlock", "sc_munlock" };
	for (size_t k = 0; k < sizeof(flat) / sizeof(flat[0]); k++)
		add(f, flat[k]);   /* 0 throughout (zeroed above) */
	for (int i = 0; i < NT; i++) {
		f->t[i] = i;
		ops[i] = i;
		mm[i] = 30.0 * i;
		mf[i] = 200.0 * i;
		us[i] = 0.1 * i;
		sy[i] = 0.05 * i;
		wall[i] = 0.9;
		ex[i] = 0;
	}
	value(f, (char *)"selfreport.RSS.max_kb", 300);
	value(f, (char *)"selfreport_step_min.RSS.max_kb", 80);
	value(f, (char *)"selfreport_step_max.RSS.max_kb", 120);
	value(f, (char *)"selfreport_steps.RSS.max_kb", 3);
	value(f, (char *)"selfreport.RSS.frees", 21);
	value(f, (char *)"selfreport_step_min.RSS.frees", 5);
	value(f, (char *)"selfreport_step_max.RSS.frees", 9);
	value(f, (char *)"selfreport_steps.RSS.frees", 3);
	f->run = (soak_run_t){ .id = 5, .allocator_name = "system", .workload = "exec", .status = "ok",
			       .duration_s = 10, .interval_s = 1, .warmup_s = 0 };
	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s, .n_series = f->n,
				       .values = f->values, .n_values = f->n_values };
}

static void assert_none(const soak_fig_t *f, const char *why_part)
{
	if (f->valid)
		fail_msg("figure is %.17g, want unavailable (%s)", f->v, why_part);
	if (!strstr(f->why, why_part))
		fail_msg("reason '%s' does not contain '%s'", f->why, why_part);
}

/* Per step, never per op, never graded. */
static void test_exec_per_step(void **state)
{
	(void)state;
	static fx_t f;
	exec_fixture(&f);
	soak_run_result_t r;
	assert_int_equal(soak_result_compute(&f.in, NULL, &r), 0);
	assert_int_equal(r.steps.n, 10);
	assert_true(r.sc[0].per_step.valid);
	assert_float_equal(r.sc[0].per_step.v, 30, 1e-12);
	assert_none(&r.sc[0].per_op, "no operation count");
	assert_none(&r.sc_total_per_op, "no operation count");
	assert_float_equal(r.sc_total_per_step.v, 30, 1e-12);
	assert_int_equal(r.grade, SOAK_GRADE_NONE);
	assert_none(&r.pf.minor_per_op, "no operation count");
	assert_true(r.pf.minor_per_step.valid);
	assert_float_equal(r.pf.minor_per_step.v, 200, 1e-12);
	assert_float_equal(r.pf.minor_per_s.v, 200, 1e-12);
	assert_none(&r.tp_per_cpu_s, "a step is not an operation");
	assert_none(&r.cpu_ops, "a step is not an operation");

	char *md = emit(&soak_emitter_md, &r);
	assert_non_null(strstr(md, "| Allocator | Ops | Syscalls | Per-op rate | Per step | Per second | Grade |"));
	assert_non_null(strstr(md, "Minor faults/step"));
	assert_null(strstr(md, "| high |"));
	free(md);
	char *js = emit(&soak_emitter_json, &r);
	cJSON *j = cJSON_Parse(js), *run = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "runs"), 0);
	cJSON *sc = cJSON_GetObjectItem(run, "syscalls"), *pf = cJSON_GetObjectItem(run, "page_faults");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sc, "total_per_op")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sc, "grade")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(pf, "minor_per_op")));
	assert_float_equal(cJSON_GetObjectItem(pf, "minor_per_step")->valuedouble, 200, 1e-12);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(run, "tp_per_cpu_s")));
	/* A maximum is the largest step's, a counter the sum over the steps. */
	cJSON *self = cJSON_GetObjectItem(run, "selfreport");
	assert_float_equal(cJSON_GetObjectItem(self, "RSS.max_kb")->valuedouble, 120, 0);
	assert_float_equal(cJSON_GetObjectItem(self, "RSS.frees")->valuedouble, 21, 0);
	cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "selfreport_steps"), "RSS.max_kb");
	assert_string_equal(cJSON_GetObjectItem(st, "whole_run")->valuestring, "max over steps");
	cJSON_Delete(j);
	free(js);
	char *csv = emit(&soak_emitter_csv, &r);
	assert_non_null(strstr(csv, "RSS.max_kb=120"));
	assert_non_null(strstr(csv, ",sc_total_per_step,"));
	free(csv);
	md = emit(&soak_emitter_md, &r);
	assert_non_null(strstr(md, "| RSS.max_kb | 120 (max over steps) | 80–120 | 3 |"));
	assert_non_null(strstr(md, "| RSS.frees | 21 (sum over steps) | 5–9 | 3 |"));
	free(md);
	soak_result_free(&r);
}

static void test_sr_kind(void **state)
{
	(void)state;
	const char *max[] = { "max_kb", "maxrss", "MaxRSS", "peak_bytes", "rss_peak", "hwm", "heap.max" };
	const char *min[] = { "min_free", "free_minimum" };
	const char *cnt[] = { "minflt", "minor_faults", "mmap_total", "frees", "every", "syscalls_total" };
	for (size_t i = 0; i < sizeof(max) / sizeof(max[0]); i++)
		assert_int_equal(soak_result_sr_kind(max[i]), SOAK_SR_MAX);
	for (size_t i = 0; i < sizeof(min) / sizeof(min[0]); i++)
		assert_int_equal(soak_result_sr_kind(min[i]), SOAK_SR_MIN);
	for (size_t i = 0; i < sizeof(cnt) / sizeof(cnt[0]); i++)
		assert_int_equal(soak_result_sr_kind(cnt[i]), SOAK_SR_COUNTER);
}

/* A built-in workload runs no steps: its step wall time is not applicable,
 * not "insufficient data". */
static void test_builtin_steps_not_applicable(void **state)
{
	(void)state;
	static fx_t f;
	memset(&f, 0, sizeof(f));
	double *ops = add(&f, "ops_total");
	for (int i = 0; i < NT; i++) {
		f.t[i] = i;
		ops[i] = 1e6 * i;
	}
	f.run = (soak_run_t){ .id = 6, .allocator_name = "system", .workload = "random_mixed",
			      .status = "ok", .duration_s = 10, .interval_s = 1, .warmup_s = 0 };
	f.in = (soak_result_input_t){ .run = &f.run, .series = f.s, .n_series = f.n };
	soak_run_result_t r;
	assert_int_equal(soak_result_compute(&f.in, NULL, &r), 0);
	assert_none(&r.steps.wall_mean_s, "not applicable: random_mixed is a built-in workload");
	assert_none(&r.steps.wall_p99_s, "not applicable");
	soak_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exec_per_step),
		cmocka_unit_test(test_sr_kind),
		cmocka_unit_test(test_builtin_steps_not_applicable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
