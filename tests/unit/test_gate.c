/* test_gate.c - reports/gate.c and reports/emit-junit.c: the thresholds file
 * (good, unknown key, bad number, unreadable, overrides), checks on synthetic
 * results (pass, fail, OOM-killed, required metric unavailable -> cannot
 * evaluate, baseline regression), the JUnit file validated with xmllint
 * against tests/fixtures/gate/junit.xsd, and atomic output files. */
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gate.h"
#include "soak/outfile.h"

#define FX SOAK_FIXTURES "/gate/"

/* ---- synthetic results ---- */

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

typedef struct {
	soak_run_result_t r;
	double tp_t[40], tp_v[40], rss_t[40], rss_v[40];
} synth_t;

/* A healthy run: 40 intervals of ~10 M ops/s, flat RSS of 2 MiB. Every
 * figure the gate reads is set; the rest stay zeroed (not read). */
static void synth(synth_t *s, int64_t id, const char *alloc, const char *status, double tp_scale)
{
	memset(s, 0, sizeof(*s));
	soak_run_result_t *r = &s->r;
	r->run.id = id;
	r->run.allocator_name = (char *)alloc;
	r->run.workload = (char *)"random_mixed";
	r->run.status = (char *)status;
	r->run.started_at = (char *)"2026-01-02T03:04:05.678Z";
	r->run.ended_at = (char *)"2026-01-02T03:05:05.678Z";
	r->run.host = (char *)"ci-host";
	r->partial = strcmp(status, "ok") != 0;
	for (int i = 0; i < 40; i++) {
		/* small deterministic wiggle so the samples are not all tied */
		s->tp_t[i] = s->rss_t[i] = i + 1;
		s->tp_v[i] = tp_scale * (10e6 + 1e5 * ((i * 7) % 5 - 2));
		s->rss_v[i] = 2097152 + 4096 * (i % 3);
	}
	r->tp.series = (soak_xy_t){ 40, s->tp_t, s->tp_v };
	r->rss.series = (soak_xy_t){ 40, s->rss_t, s->rss_v };
	fig(&r->tp.mean, tp_scale * 10e6);
	fig(&r->tp.cv_pct, 1.4);
	fig(&r->tp.drift_pct, 0.5);
	fig(&r->rss.mean, 2.1e6);
	fig(&r->rss.peak, 2.2e6);
	fig(&r->rss.drift_pct, 0.0);
	fig(&r->sc_total_per_op, 5e-8);
	none(&r->lat.p99_ns, "no latency histogram recorded (the workload does not time operations)");
	none(&r->lat.p50_ns, "no latency histogram recorded");
	none(&r->lat.p999_ns, "no latency histogram recorded");
	none(&r->pf.minor_per_op, "no pf_minor samples");
}

static const soak_check_t *find(const soak_gate_report_t *rep, size_t run, const char *name)
{
	for (size_t i = 0; i < rep->runs[run].n; i++)
		if (!strcmp(rep->runs[run].checks[i].name, name))
			return &rep->runs[run].checks[i];
	print_error("no check %s\n", name);
	fail();
	return NULL;
}

/* ---- thresholds ---- */

static void test_thresholds_defaults(void **state)
{
	(void)state;
	soak_gate_thresholds_t *t;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load(NULL, &t, err, sizeof(err)), 0);
	soak_gate_limits_t l;
	soak_gate_thresholds_for(t, "leak", &l);
	assert_true(l.rss_drift_max_pct == 5);
	assert_true(l.tp_drift_min_pct == -5);
	assert_true(l.syscalls_per_op_max == 1e-7);
	assert_string_equal(l.status, "ok");
	assert_true(l.baseline_tp_loss_max_pct == 2);
	assert_non_null(strstr(soak_gate_thresholds_source(t), "built-in"));
	soak_gate_thresholds_free(t);
}

static void test_thresholds_good_file(void **state)
{
	(void)state;
	soak_gate_thresholds_t *t;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load(FX "thresholds-good.ini", &t, err, sizeof(err)), 0);
	soak_gate_limits_t l;
	soak_gate_thresholds_for(t, "leak", &l);          /* [gate] only */
	assert_true(l.rss_drift_max_pct == 5);
	assert_true(l.tp_drift_min_pct == -5);            /* "-5%" */
	assert_true(isnan(l.cv_max_pct));                  /* off */
	assert_true(l.baseline_tp_loss_max_pct == 3);
	assert_true(l.baseline_peak_rss_growth_max_pct == 10);   /* default kept */
	assert_int_equal(l.require, 1u << SOAK_GM_SYSCALLS | 1u << SOAK_GM_LATENCY_P99);
	soak_gate_thresholds_for(t, "random_mixed", &l);  /* [gate] + [gate.random_mixed] */
	assert_true(l.rss_drift_max_pct == 2);
	assert_string_equal(l.status, "ok, interrupted");
	assert_true(isnan(l.cv_max_pct));
	soak_gate_thresholds_free(t);
}

static void test_thresholds_unknown_key(void **state)
{
	(void)state;
	soak_gate_thresholds_t *t = NULL;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load(FX "thresholds-unknown-key.ini", &t, err, sizeof(err)),
			 -EINVAL);
	assert_null(t);
	assert_non_null(strstr(err, "thresholds-unknown-key.ini:3:"));
	assert_non_null(strstr(err, "unknown key 'rss_drfit_max_pct'"));
}

static void test_thresholds_bad_number(void **state)
{
	(void)state;
	soak_gate_thresholds_t *t = NULL;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load(FX "thresholds-bad-number.ini", &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "thresholds-bad-number.ini:5:"));
	assert_non_null(strstr(err, "'cv_max_pct'"));
	assert_non_null(strstr(err, "'five' is not a number"));
}

static void test_thresholds_other_errors(void **state)
{
	(void)state;
	soak_gate_thresholds_t *t = NULL;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load(FX "no-such-file.ini", &t, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no-such-file.ini"));

	char path[] = "/tmp/soak-test-gate-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *bad[][2] = {
		{ "[gate]\nstatus = ok, exploded\n", "unknown status 'exploded'" },
		{ "[gate]\nrequire = syscalls_per_op, colour\n", "unknown metric 'colour'" },
		{ "[gates]\nalpha = 0.05\n", "unknown section [gates]" },
		{ "alpha = 0.05\n", "outside a section" },
		{ "[gate]\nalpha = 2\n", "not in (0, 0.5]" },
		{ "[gate]\ncv_max_pct = -1\n", "must not be negative" },
		{ "[gate]\nthis is not ini\n", ":2:" },
		/* Issue 9 row 7: after a 300-character line the line is still right,
		 * duplicates are errors. */
		{ "[gate]\n; ..................................................................................................................................................................................................................................................................................................\nalpha = 2\n", ":3: key 'alpha'" },
		{ "[gate]\nalpha = 0.05\nalpha = 0.01\n", ":3: key 'alpha' given twice in [gate] (first at line 2)" },
		{ "[gate]\nalpha = 0.05\n[gate]\n", ":3: duplicate section [gate]" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, bad[i][0], strlen(bad[i][0]), 0), (ssize_t)strlen(bad[i][0]));
		err[0] = '\0';
		assert_int_equal(soak_gate_thresholds_load(path, &t, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i][1]) || !strstr(err, path)) {
			print_error("case %zu: '%s' does not name '%s' and the file\n", i, err, bad[i][1]);
			fail();
		}
	}
	close(fd);
	unlink(path);
}

/* ---- evaluation ---- */

static void test_gate_pass(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 7, "mimalloc", "ok", 1.0);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.checks, 5);   /* status, rss_drift, tp_drift, cv, syscalls */
	assert_int_equal(rep.failed + rep.errors + rep.skipped, 0);
	assert_int_equal(soak_gate_exit_code(&rep), 0);
	assert_string_equal(rep.runs[0].run, "mimalloc-7");
	soak_gate_report_free(&rep);
}

static void test_gate_fail_rss_drift(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 8, "system", "ok", 1.0);
	fig(&s.r.rss.drift_pct, 35.2);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	const soak_check_t *c = find(&rep, 0, "rss_drift");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "threshold");
	assert_string_equal(c->value, "+35.20%");
	assert_non_null(strstr(c->message, "+35.20% > max +5.00%"));
	assert_int_equal(rep.failed, 1);
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);
}

static void test_gate_oom_killed(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 9, "system", "oom-killed", 1.0);
	s.r.run.has_memory_max = true;
	s.r.run.memory_max = 64 << 20;
	none(&s.r.tp.drift_pct, "needs at least 2k = 10 steady-state samples, have 4");
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	const soak_check_t *c = find(&rep, 0, "status");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "oom-killed");
	assert_non_null(strstr(c->message, "OOM-KILLED"));
	/* tp_drift is required, but the run did not end ok: skipped, not an error. */
	assert_int_equal(find(&rep, 0, "tp_drift")->state, SOAK_CHECK_SKIP);
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);
}

/* A run that ended ok but lost samples (issue 9 row 4): the status check
 * fails and names the lost samples, whatever statuses are accepted. */
static void test_gate_samples_lost(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 11, "system", "ok", 1.0);
	s.r.run.samples_lost = 178;
	s.r.run.message = (char *)"178 of 697 samples were lost: the database could not store them (disk full)";
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	snprintf(l.status, sizeof(l.status), "ok, interrupted");
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	const soak_check_t *c = find(&rep, 0, "status");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "samples-lost");
	assert_non_null(strstr(c->message, "SAMPLES LOST: 178 samples"));
	assert_string_equal(c->value, "ok, 178 samples lost");
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);
	/* The same run without the loss passes. */
	s.r.run.samples_lost = 0;
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	assert_int_equal(find(&rep, 0, "status")->state, SOAK_CHECK_PASS);
	soak_gate_report_free(&rep);
}

static void test_gate_required_unavailable(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 10, "system", "ok", 1.0);
	none(&s.r.sc_total_per_op, "syscall counting disabled (SOAK_PERF_DISABLE=1)");
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	/* Not required by default: skipped, the gate passes. */
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	assert_int_equal(find(&rep, 0, "syscalls_per_op")->state, SOAK_CHECK_SKIP);
	assert_int_equal(soak_gate_exit_code(&rep), 0);
	soak_gate_report_free(&rep);
	/* Required: the gate cannot be evaluated, and says which metric and why. */
	l.require |= 1u << SOAK_GM_SYSCALLS;
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	const soak_check_t *c = find(&rep, 0, "syscalls_per_op");
	assert_int_equal(c->state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c->message, "cannot evaluate"));
	assert_non_null(strstr(c->message, "syscalls_per_op"));
	assert_non_null(strstr(c->message, "SOAK_PERF_DISABLE"));
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	/* Errors win over failures. */
	fig(&s.r.rss.drift_pct, 50);
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	assert_true(rep.failed > 0);
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	soak_gate_report_free(&rep);
}

static void test_gate_baseline(void **state)
{
	(void)state;
	synth_t base, same, slow;
	synth(&base, 1, "system", "ok", 1.0);
	synth(&same, 2, "system", "ok", 1.0);
	synth(&slow, 3, "slow", "ok", 0.6);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	const soak_run_result_t *const b[1] = { &base.r };
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &same.r, &l, b, 1, NULL), 0);
	assert_int_equal(find(&rep, 0, "baseline_throughput")->state, SOAK_CHECK_PASS);
	assert_int_equal(find(&rep, 0, "baseline_peak_rss")->state, SOAK_CHECK_PASS);
	/* No latency in either run, not required: skipped with the reason. */
	const soak_check_t *p = find(&rep, 0, "baseline_latency_p99");
	assert_int_equal(p->state, SOAK_CHECK_SKIP);
	assert_non_null(strstr(p->message, "does not time operations"));
	assert_int_equal(soak_gate_exit_code(&rep), 0);

	assert_int_equal(soak_gate_eval(&rep, &slow.r, &l, b, 1, NULL), 0);
	const soak_check_t *c = find(&rep, 1, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "regression");
	assert_non_null(strstr(c->message, "-40.00%"));
	assert_non_null(strstr(c->message, "system #1"));
	assert_non_null(strstr(c->baseline, "10.000 M ops/s"));
	assert_int_equal(soak_gate_exit_code(&rep), 1);

	/* An unusable baseline is an error of the gate, not a pass. */
	synth_t dead;
	synth(&dead, 4, "system", "crashed", 1.0);
	const soak_run_result_t *const d[1] = { &dead.r };
	assert_int_equal(soak_gate_eval(&rep, &same.r, &l, d, 1, NULL), 0);
	c = find(&rep, 2, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c->message, "crashed"));
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	soak_gate_report_free(&rep);
}

/* ---- outputs ---- */

static int emit_junit(FILE *f, const void *arg)
{
	return soak_gate_emit_junit(f, arg);
}

static int emit_fail(FILE *f, const void *arg)
{
	(void)arg;
	fputs("<partial", f);
	return -EIO;
}

static void test_junit_valid_and_names_failure(void **state)
{
	(void)state;
	synth_t ok, bad;
	synth(&ok, 11, "sys<&>\"tem'", "ok", 1.0);   /* everything must be escaped */
	synth(&bad, 12, "system", "oom-killed", 1.0);
	fig(&bad.r.rss.drift_pct, 12.5);
	bad.r.run.message = (char *)"worker said: <oops> & \x01 bye \xff";
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	snprintf(rep.thresholds, sizeof(rep.thresholds), "built-in <defaults>");
	assert_int_equal(soak_gate_eval(&rep, &ok.r, &l, NULL, 0, NULL), 0);
	assert_int_equal(soak_gate_eval(&rep, &bad.r, &l, NULL, 0, NULL), 0);

	char dir[] = "/tmp/soak-test-junit-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], cmd[512];
	snprintf(path, sizeof(path), "%s/junit.xml", dir);
	char err[256];
	assert_int_equal(soak_write_atomic(path, emit_junit, &rep, err, sizeof(err)), 0);

	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema %sjunit.xsd %s", FX, path);
	int rc = system(cmd);
	if (rc == -1 || WEXITSTATUS(rc) == 127)
		skip();   /* no xmllint: libxml2-utils not installed */
	assert_int_equal(WEXITSTATUS(rc), 0);

	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char buf[16384];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "<testsuites name=\"soak.gate\""));
	assert_non_null(strstr(buf, "classname=\"soak.gate.system-12\" name=\"rss_drift\""));
	assert_non_null(strstr(buf, "type=\"oom-killed\""));
	assert_non_null(strstr(buf, "metric: rss_drift"));
	assert_non_null(strstr(buf, "&lt;oops&gt; &amp;"));
	assert_non_null(strstr(buf, "soak.gate.sys____tem_-11"));
	assert_null(strstr(buf, "\x01"));

	/* A failing emitter leaves the old file as it was and no temporary file. */
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	assert_true(soak_write_atomic(path, emit_fail, &rep, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, path));
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st1.st_size, st2.st_size);
	snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) -eq 1", dir);
	assert_int_equal(system(cmd), 0);
	/* An unwritable place: an error naming the file. */
	assert_true(soak_write_atomic("/nonexistent-dir/x.xml", emit_junit, &rep, err,
					      sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent-dir/x.xml"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	soak_gate_report_free(&rep);
}

static void test_text_markdown_json(void **state)
{
	(void)state;
	synth_t s;
	synth(&s, 13, "system", "ok", 1.0);
	fig(&s.r.tp.drift_pct, -7.5);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l, NULL, 0, NULL), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(soak_gate_emit_text(f, &rep), 0);
	assert_int_equal(soak_gate_emit_markdown(f, &rep), 0);
	assert_int_equal(soak_gate_emit_json(f, &rep), 0);
	fclose(f);
	assert_non_null(strstr(buf, "FAIL  system-13 tp_drift: throughput drift -7.50% < min -5.00%"));
	assert_non_null(strstr(buf, "\nFAIL: 1 of 5 checks failed"));
	assert_non_null(strstr(buf, "| ❌ | system #13 | tp_drift |"));
	assert_non_null(strstr(buf, "\"schema_version\":\t1"));
	assert_non_null(strstr(buf, "\"result\":\t\"fail\""));
	free(buf);
	soak_gate_report_free(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thresholds_defaults),
		cmocka_unit_test(test_thresholds_good_file),
		cmocka_unit_test(test_thresholds_unknown_key),
		cmocka_unit_test(test_thresholds_bad_number),
		cmocka_unit_test(test_thresholds_other_errors),
		cmocka_unit_test(test_gate_pass),
		cmocka_unit_test(test_gate_fail_rss_drift),
		cmocka_unit_test(test_gate_oom_killed),
		cmocka_unit_test(test_gate_samples_lost),
		cmocka_unit_test(test_gate_required_unavailable),
		cmocka_unit_test(test_gate_baseline),
		cmocka_unit_test(test_junit_valid_and_names_failure),
		cmocka_unit_test(test_text_markdown_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
