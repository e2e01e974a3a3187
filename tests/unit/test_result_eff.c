/* test_result_eff.c - memory efficiency (reports/result-eff.c): live bytes,
 * overhead = RSS / live, its drift, and whether RSS growth is the program
 * holding more or the allocator keeping more, on planted series whose figures
 * are worked out by hand next to each case; and the gate's overhead_drift
 * check and rss_drift explanation on them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "gate.h"
#include "result.h"

#define MIB (1024.0 * 1024.0)
#define NT 21   /* samples at t = 0..20, warm-up 0: all are steady state; drift k = 5 */

typedef struct {
	double t[NT];
	double v[8][NT];
	soak_input_series_t s[8];
	size_t n;
	soak_run_t run;
	soak_result_input_t in;
	soak_run_result_t r;
} fx_t;

static void assert_fig(const soak_fig_t *f, double want, double tol)
{
	if (!f->valid) {
		print_error("figure unavailable: %s (want %.17g)\n", f->why, want);
		fail();
	}
	if (!(fabs(f->v - want) <= tol)) {
		print_error("got %.17g, want %.17g\n", f->v, want);
		fail();
	}
}

static void assert_unavail(const soak_fig_t *f, const char *part)
{
	if (f->valid || !strstr(f->why, part)) {
		print_error("figure %s (%.17g, '%s'), want unavailable with '%s'\n",
			    f->valid ? "valid" : "unavailable", f->v, f->why, part);
		fail();
	}
}

static double *series(fx_t *f, const char *metric, const char *unavailable)
{
	size_t i = f->n++;
	f->s[i] = (soak_input_series_t){ .metric = metric, .n = unavailable ? 0 : NT, .t = f->t,
					  .v = f->v[i], .unavailable = unavailable };
	return f->v[i];
}

static void fx_init(fx_t *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < NT; i++)
		f->t[i] = i;
	f->run = (soak_run_t){ .id = 3, .uuid = "u3", .allocator_name = "system", .workload = "leak",
			       .status = "ok", .duration_s = 20, .interval_s = 1, .warmup_s = 0 };
}

/* bytes_live and rss_bytes in MiB from two functions of the sample index. */
static void fx_mib(fx_t *f, double (*live)(int), double (*rss)(int))
{
	double *l = series(f, "bytes_live", NULL), *r = series(f, "rss_bytes", NULL);
	for (int i = 0; i < NT; i++) {
		l[i] = live(i) * MIB;
		r[i] = rss(i) * MIB;
	}
}

static double leak_live(int i) { return 10 + i; }
static double leak_rss(int i) { return 14 + i; }
static double frag_live(int i) { return i < 10 ? 20 : 10; }
static double const_40(int i) { (void)i; return 40; }
static double const_10(int i) { (void)i; return 10; }
static double grow_rss(int i) { return 20 + i; }

static void fx_compute(fx_t *f)
{
	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s, .n_series = f->n };
	assert_int_equal(soak_result_compute(&f->in, NULL, &f->r), 0);
}

/* The named check of the gate's only run, evaluated with built-in limits. */
static const soak_check_t *gate_check(soak_gate_report_t *rep, const soak_run_result_t *r,
				      const char *name)
{
	if (!rep->n) {
		soak_gate_limits_t l;
		soak_gate_limits_default(&l);
		assert_int_equal(soak_gate_eval(rep, r, &l), 0);
	}
	for (size_t i = 0; i < rep->runs[0].n; i++)
		if (!strcmp(rep->runs[0].checks[i].name, name))
			return &rep->runs[0].checks[i];
	print_error("no check %s\n", name);
	fail();
	return NULL;
}

/* Live grows 1 MiB/s from 10 MiB; RSS = live + 4 MiB.
 * live mean 20 MiB, peak 30; first-5 mean 12, last-5 mean 28: drift +133.33%.
 * RSS mean 24, first-5 16, last-5 32: growth 16 MiB, live growth 16 MiB: 100%.
 * overhead mean 24/20 = 1.2, at peak 34/30, RSS - live = 4 MiB. */
static void test_leak_holds_more(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	fx_mib(&f, leak_live, leak_rss);
	fx_compute(&f);
	const soak_eff_result_t *e = &f.r.eff;
	assert_fig(&e->live_mean, 20 * MIB, 1e-6);
	assert_fig(&e->live_peak, 30 * MIB, 1e-6);
	assert_fig(&e->live_slope_bytes_per_s, MIB, 1e-6);
	assert_fig(&e->live_drift_pct, 100.0 * (28 - 12) / 12, 1e-9);
	assert_fig(&e->overhead_mean, 1.2, 1e-12);
	assert_fig(&e->overhead_peak, 34.0 / 30, 1e-12);
	assert_fig(&e->overhead_bytes, 4 * MIB, 1e-6);
	assert_fig(&e->rss_growth_bytes, 16 * MIB, 1e-6);
	assert_fig(&e->live_growth_bytes, 16 * MIB, 1e-6);
	assert_fig(&e->live_share_pct, 100, 1e-9);
	assert_int_equal(e->why, SOAK_EFF_WHY_HOLDS);
	/* at the end: the last tick, live 30 MiB, RSS 34 MiB */
	assert_string_equal(e->live_source, "workload");
	assert_fig(&e->live_end, 30 * MIB, 1e-6);
	assert_fig(&e->rss_end, 34 * MIB, 1e-6);
	assert_fig(&e->overhead_end, 34.0 / 30, 1e-12);
	assert_non_null(strstr(e->explain, "RSS +100.0% (+16.0 MiB), live +133.3% (+16.0 MiB)"));
	assert_non_null(strstr(e->explain, "the workload holds more"));
	/* overhead per sample (10+i+4)/(10+i): first-5 mean and last-5 mean by hand */
	double a = 0, b = 0;
	for (int i = 0; i < 5; i++) {
		a += (14.0 + i) / (10 + i) / 5;
		b += (30.0 + i) / (26 + i) / 5;
	}
	assert_fig(&e->overhead_drift_pct, 100 * (b - a) / a, 1e-9);
	assert_fig(&e->level_mean[SOAK_EFF_LIVE], 20 * MIB, 1e-6);
	assert_fig(&e->level_mean[SOAK_EFF_RSS], 24 * MIB, 1e-6);
	assert_unavail(&e->level_mean[SOAK_EFF_ALLOCATED], "alloc_allocated_bytes");

	/* The gate: RSS drift fails and says the workload holds more; overhead
	 * drift (falling) passes. */
	soak_gate_report_t rep = { 0 };
	const soak_check_t *rc = gate_check(&rep, &f.r, "rss_drift");
	const soak_check_t *oc = gate_check(&rep, &f.r, "overhead_drift");
	assert_int_equal(rc->state, SOAK_CHECK_FAIL);
	assert_non_null(strstr(rc->message, "the workload holds more"));
	assert_int_equal(oc->state, SOAK_CHECK_PASS);
	soak_gate_report_free(&rep);
	soak_result_free(&f.r);
}

/* Live halves at t = 10 (20 -> 10 MiB), RSS stays 40 MiB: RSS flat,
 * overhead first-5 2.0, last-5 4.0: +100%. The gate's rss_drift passes and
 * overhead_drift fails. */
static void test_fragmentation_overhead_rises(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	fx_mib(&f, frag_live, const_40);
	fx_compute(&f);
	const soak_eff_result_t *e = &f.r.eff;
	assert_fig(&e->live_drift_pct, -50, 1e-9);
	assert_fig(&e->overhead_first_k_mean, 2, 1e-12);
	assert_fig(&e->overhead_last_k_mean, 4, 1e-12);
	assert_fig(&e->overhead_drift_pct, 100, 1e-9);
	assert_int_equal(e->why, SOAK_EFF_WHY_FLAT);
	assert_unavail(&e->live_share_pct, "RSS did not grow");
	assert_non_null(strstr(e->explain, "the allocator kept memory the workload freed"));

	soak_gate_report_t rep = { 0 };
	assert_int_equal(gate_check(&rep, &f.r, "rss_drift")->state, SOAK_CHECK_PASS);
	const soak_check_t *oc = gate_check(&rep, &f.r, "overhead_drift");
	assert_int_equal(oc->state, SOAK_CHECK_FAIL);
	assert_non_null(strstr(oc->message, "+100.00% > max +5.00%"));
	soak_gate_report_free(&rep);
	soak_result_free(&f.r);
}

/* RSS grows 1 MiB/s from 20 MiB, live stays 10 MiB: growth 16 MiB, live 0:
 * the allocator's. Overhead first-5 mean 2.2, last-5 3.8: +72.73%. */
static void test_rss_grows_live_flat(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	fx_mib(&f, const_10, grow_rss);
	fx_compute(&f);
	const soak_eff_result_t *e = &f.r.eff;
	assert_fig(&e->overhead_drift_pct, 100 * (3.8 - 2.2) / 2.2, 1e-9);
	assert_fig(&e->live_share_pct, 0, 1e-9);
	assert_int_equal(e->why, SOAK_EFF_WHY_OVERHEAD);
	assert_non_null(strstr(e->explain, "the allocator keeps more per live byte"));
	soak_result_free(&f.r);
}

/* A working set of 0.1 MiB in a 4 MiB process: RSS 4.0 -> 4.4 MiB moves
 * RSS per live byte by +10%, worth 0.4 MiB: below the 1 MiB that counts. */
static double tiny_live(int i) { (void)i; return 0.1; }
static double tiny_rss(int i) { return i < 10 ? 4.0 : 4.4; }

static void test_overhead_below_a_mib(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	fx_mib(&f, tiny_live, tiny_rss);
	fx_compute(&f);
	assert_fig(&f.r.eff.overhead_drift_pct, 10, 1e-9);
	soak_gate_report_t rep = { 0 };
	const soak_check_t *oc = gate_check(&rep, &f.r, "overhead_drift");
	assert_int_equal(oc->state, SOAK_CHECK_PASS);
	assert_non_null(strstr(oc->message, "worth 0.40 MiB at the 0.10 MiB the workload holds"));
	soak_gate_report_free(&rep);
	soak_result_free(&f.r);
}

/* No live bytes, exec commands, an unrecorded series: reasons, never 0. */
static void test_unavailable(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	double *live = series(&f, "bytes_live", NULL), *rss = series(&f, "rss_bytes", NULL);
	for (int i = 0; i < NT; i++) {
		live[i] = 0;
		rss[i] = 4 * MIB;
	}
	fx_compute(&f);
	assert_fig(&f.r.eff.live_mean, 0, 0);
	assert_unavail(&f.r.eff.overhead_mean, "holds no memory");
	assert_unavail(&f.r.eff.overhead_drift_pct, "holds no memory");
	soak_result_free(&f.r);

	fx_init(&f);
	series(&f, "bytes_live", "the worker's shared memory is not mapped");
	rss = series(&f, "rss_bytes", NULL);
	for (int i = 0; i < NT; i++)
		rss[i] = 4 * MIB;
	fx_compute(&f);
	assert_unavail(&f.r.eff.live_mean, "shared memory is not mapped");
	assert_unavail(&f.r.eff.overhead_mean, "shared memory is not mapped");
	assert_non_null(strstr(f.r.eff.explain, "live bytes unavailable"));
	soak_result_free(&f.r);

	fx_init(&f);
	f.run.workload = "exec";
	live = series(&f, "bytes_live", NULL);
	rss = series(&f, "rss_bytes", NULL);
	double *wall = series(&f, "step_wall_s", NULL);
	for (int i = 0; i < NT; i++) {
		live[i] = 0;
		rss[i] = 4 * MIB;
		wall[i] = 0.5;
	}
	fx_compute(&f);
	assert_unavail(&f.r.eff.live_mean, "exec commands");
	assert_unavail(&f.r.eff.live_mean, "live_bytes = KEY in [selfreport.TAG]");
	assert_unavail(&f.r.eff.overhead_mean, "exec commands");
	/* the other layers cannot be self-reported: no such hint */
	assert_unavail(&f.r.eff.level_mean[SOAK_EFF_USABLE], "exec commands");
	assert_null(strstr(f.r.eff.level_mean[SOAK_EFF_USABLE].why, "self-report"));
	soak_result_free(&f.r);
}

/* The report of r in format fmt contains want. */
static void assert_emits(const soak_run_result_t *r, const char *fmt, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_int_equal(soak_emitter_find(fmt)->report(m, r, 1, NULL), 0);
	fclose(m);
	if (!strstr(buf, want)) {
		print_error("%s report lacks '%s'\n", fmt, want);
		fail();
	}
	free(buf);
}

/* An exec command with a declared live_bytes key: the runner stores the
 * value it printed as selfreport_live_bytes (reason = its source). RSS runs
 * 30..50 MiB over the steady state, the command said 20 MiB: overhead at the
 * end = 50 / 20 = 2.5; under exec --repeat the RSS at the end is the last
 * step's peak, 80 MiB: 4.0. The series figures stay unavailable. */
enum { PLAIN, REPEAT, REPEAT_NO_PEAKS };

static void fx_exec(fx_t *f, int kind, const soak_value_t *v)
{
	fx_init(f);
	f->run.workload = "exec";
	double *rss = series(f, "rss_bytes", NULL), *wall = series(f, "step_wall_s", NULL);
	double *peak = kind == REPEAT ? series(f, "step_peak_rss_bytes", NULL) : NULL;
	for (int i = 0; i < NT; i++) {
		rss[i] = (30 + i) * MIB;
		wall[i] = 0.5;
		if (peak)
			peak[i] = (60 + i) * MIB;
	}
	if (kind == PLAIN) {
		/* a plain exec is one step, stored at the end */
		f->s[1].n = 1;
		f->s[1].t = &f->t[NT - 1];
		f->s[1].v = &wall[NT - 1];
	}
	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s, .n_series = f->n, .values = v,
				       .n_values = v ? 1 : 0 };
	assert_int_equal(soak_result_compute(&f->in, NULL, &f->r), 0);
}

static void test_exec_self_reported_live(void **state)
{
	(void)state;
	soak_value_t v = { .name = "selfreport_live_bytes", .valid = true, .value = 20 * MIB,
			   .reason = "self-report APP.held" };
	fx_t f;
	fx_exec(&f, PLAIN, &v);
	const soak_eff_result_t *e = &f.r.eff;
	assert_string_equal(e->live_source, "self-report APP.held");
	assert_fig(&e->live_end, 20 * MIB, 0);
	assert_fig(&e->rss_end, 50 * MIB, 0);
	assert_string_equal(e->rss_end_source, "the last steady-state RSS sample");
	assert_fig(&e->overhead_end, 2.5, 1e-12);
	assert_fig(&e->level_last[SOAK_EFF_LIVE], 20 * MIB, 0);
	const soak_fig_t *series_figs[] = { &e->live_mean, &e->live_peak, &e->live_drift_pct,
					    &e->overhead_mean, &e->overhead_drift_pct, &e->overhead_bytes,
					    &e->level_mean[SOAK_EFF_LIVE] };
	for (size_t i = 0; i < sizeof(series_figs) / sizeof(series_figs[0]); i++)
		assert_unavail(series_figs[i], "self-reported by the command (APP.held): one value at the end, not a series");
	assert_emits(&f.r, "md", "| 20.00 (self-reported at the end, APP.held) |");
	assert_emits(&f.r, "md", "| 20.00 | 2.500x |");
	assert_emits(&f.r, "json", "\"live_source\":\t\"self-report APP.held\"");
	assert_emits(&f.r, "csv", "self-report APP.held,20971520,52428800,2.5");
	soak_result_free(&f.r);

	fx_exec(&f, REPEAT, &v);
	assert_fig(&f.r.eff.rss_end, 80 * MIB, 0);
	assert_string_equal(f.r.eff.rss_end_source, "the last step's peak RSS");
	assert_fig(&f.r.eff.overhead_end, 4.0, 1e-12);
	soak_result_free(&f.r);

	/* exec --repeat whose steps' peaks were not measured: no RSS at the end */
	fx_exec(&f, REPEAT_NO_PEAKS, &v);
	assert_fig(&f.r.eff.live_end, 20 * MIB, 0);
	assert_unavail(&f.r.eff.rss_end, "no step's own peak RSS was measured");
	assert_unavail(&f.r.eff.overhead_end, "no step's own peak RSS was measured");
	soak_result_free(&f.r);

	soak_value_t none = { .name = "selfreport_live_bytes", .valid = false,
			      .reason = "declared as APP.held but the command never printed it" };
	fx_exec(&f, PLAIN, &none);
	assert_int_equal(f.r.eff.live_source[0], 0);
	assert_unavail(&f.r.eff.live_end, "declared as APP.held but the command never printed it");
	assert_unavail(&f.r.eff.overhead_end, "declared as APP.held but the command never printed it");
	assert_unavail(&f.r.eff.live_mean, "declared as APP.held but the command never printed it");
	assert_unavail(&f.r.eff.level_mean[SOAK_EFF_LIVE], "never printed it");
	soak_result_free(&f.r);

	/* a last RSS sample of 0 (the command gone) is no RSS at the end */
	fx_exec(&f, PLAIN, NULL);
	f.v[0][NT - 1] = 0;
	f.in.values = &v;
	f.in.n_values = 1;
	soak_result_free(&f.r);
	assert_int_equal(soak_result_compute(&f.in, NULL, &f.r), 0);
	assert_unavail(&f.r.eff.rss_end, "the last RSS sample is 0");
	assert_unavail(&f.r.eff.overhead_end, "the last RSS sample is 0");
	soak_result_free(&f.r);

	v.value = 0;
	fx_exec(&f, PLAIN, &v);
	assert_fig(&f.r.eff.live_end, 0, 0);
	assert_unavail(&f.r.eff.overhead_end, "reported 0 live bytes");
	soak_result_free(&f.r);
}

/* The thresholds file: overhead drift follows rss_drift_max_pct unless set. */
static void test_thresholds_overhead(void **state)
{
	(void)state;
	char path[] = "/tmp/soak-test-eff-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *ini = "[gate]\nrss_drift_max_pct = 3\n[gate.fragment]\noverhead_drift_max_pct = 50\n";
	assert_int_equal(write(fd, ini, strlen(ini)), (ssize_t)strlen(ini));
	close(fd);
	soak_gate_thresholds_t *t = NULL;
	char err[512];
	assert_int_equal(soak_gate_thresholds_load(path, &t, err, sizeof(err)), 0);
	soak_gate_limits_t l;
	soak_gate_thresholds_for(t, "leak", &l);
	assert_true(l.overhead_drift_max_pct == 3);
	soak_gate_thresholds_for(t, "fragment", &l);
	assert_true(l.overhead_drift_max_pct == 50);
	assert_true(l.rss_drift_max_pct == 3);
	soak_gate_thresholds_free(t);
	unlink(path);
}

/* Every output format carries the figures. */
static void test_emitters(void **state)
{
	(void)state;
	fx_t f;
	fx_init(&f);
	fx_mib(&f, leak_live, leak_rss);
	fx_compute(&f);
	assert_emits(&f.r, "md", "| system #3 | 20.00 | 30.00 | +133.33% | 4.00 | 1.200x |");
	assert_emits(&f.r, "json", "\"rss_growth_is\":\t\"workload_holds_more\"");
	assert_emits(&f.r, "csv", ",1.2,1.1333");
	soak_result_free(&f.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leak_holds_more),
		cmocka_unit_test(test_fragmentation_overhead_rises),
		cmocka_unit_test(test_rss_grows_live_flat),
		cmocka_unit_test(test_overhead_below_a_mib),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_exec_self_reported_live),
		cmocka_unit_test(test_thresholds_overhead),
		cmocka_unit_test(test_emitters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
