/* test_gate.c - reports/gate.c and reports/emit-junit.c: the thresholds file
 * (good, unknown key, bad number, unreadable, overrides), checks on synthetic
 * results (pass, fail, OOM-killed, required metric unavailable -> cannot
 * evaluate, the baseline of a series: undecided, regression, too few runs,
 * below resolution), the JUnit file validated with xmllint
 * against tests/fixtures/gate/junit.xsd, and atomic output files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
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
	fig(&r->eff.overhead_drift_pct, 0.2);
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
		/* Thresholds files are read like soak.ini: after a 300-character
		 * line the line number is still right, duplicates are errors. */
		{ "[gate]\n; ..................................................................................................................................................................................................................................................................................................\nalpha = 2\n", ":3: key 'alpha'" },
		{ "[gate]\nalpha = 0.05\nalpha = 0.01\n", ":3: key 'alpha' given twice in [gate] (first at line 2)" },
		{ "[gate]\nalpha = 0.05\n[gate]\n", ":3: duplicate section [gate]" },
		{ "[gate]\ncv_max_pct = 0x10\n", ":2: key 'cv_max_pct' in [gate]: '0x10' is not a number" },
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

/* A [gate.WORKLOAD] section naming no workload (a typo) is an error when the
 * caller says which names are workloads. */
static bool known_wl(const char *name)
{
	return !strcmp(name, "tiny_hot") || !strcmp(name, "exec");
}

static void test_thresholds_unknown_workload(void **state)
{
	(void)state;
	char path[] = "/tmp/soak-test-gate-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *text = "[gate]\nalpha = 0.05\n[gate.tiny-hot]\ncv_max_pct = 3\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	soak_gate_thresholds_t *t = NULL;
	char err[512] = "";
	assert_int_equal(soak_gate_thresholds_load_known(path, known_wl, &t, err, sizeof(err)), -EINVAL);
	if (!strstr(err, ":3: [gate.tiny-hot] names no workload")) {
		print_error("'%s'\n", err);
		fail();
	}
	fd = open(path, O_WRONLY | O_TRUNC);
	text = "[gate.tiny_hot]\ncv_max_pct = 3\n[gate.exec]\ncv_max_pct = 4\n";
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(soak_gate_thresholds_load_known(path, known_wl, &t, err, sizeof(err)), 0);
	soak_gate_thresholds_free(t);
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.checks, 6);   /* status, rss_drift, overhead_drift, tp_drift, cv, syscalls */
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	const soak_check_t *c = find(&rep, 0, "rss_drift");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "threshold");
	assert_string_equal(c->value, "+35.20%");
	assert_non_null(strstr(c->message, "+35.20% > max +5.00%"));
	assert_int_equal(rep.failed, 1);
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);
}

/* The host's noise floor, by hand (default max CV 5%, min drift -5%):
 * - floor CV 12.9% >= 5%: cannot evaluate (exit 2), not a FAIL;
 * - CV 5.5%, floor 3%: excess sqrt(30.25 - 9) = 4.61% <= 5%: pass;
 * - CV 8%, floor 3%: excess sqrt(64 - 9) = 7.42% > 5%: fail;
 * - drift -6%, floor drift +2%: -6 >= -5 - 2 = -7: pass; drift -7.5: fail;
 * - floor drift -5.5%: cannot evaluate;
 * - fragment (not_rate): both skipped as not applicable. */
static void floor_of(synth_t *s, double cv, double drift)
{
	s->r.floor.have = true;
	s->r.floor.n.interval_s = 1;
	snprintf(s->r.floor.desc, sizeof(s->r.floor.desc), "spin on ci-host at 1 s (run 1)");
	fig(&s->r.floor.cv_pct, cv);
	fig(&s->r.floor.drift_pct, drift);
	double d = s->r.tp.cv_pct.v * s->r.tp.cv_pct.v - cv * cv;
	fig(&s->r.floor.excess_cv_pct, d > 0 ? sqrt(d) : 0);
}

static int gate_state(synth_t *s, const char *check, soak_check_t *ret)
{
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = { 0 };
	assert_int_equal(soak_gate_eval(&rep, &s->r, &l), 0);
	*ret = *find(&rep, 0, check);
	int code = soak_gate_exit_code(&rep);
	soak_gate_report_free(&rep);
	return code;
}

static void test_gate_noise_floor(void **state)
{
	(void)state;
	synth_t s;
	soak_check_t c;
	synth(&s, 9, "system", "ok", 1.0);
	fig(&s.r.tp.cv_pct, 13.7);
	floor_of(&s, 12.9, 0.5);
	assert_int_equal(gate_state(&s, "cv", &c), 2);
	assert_int_equal(c.state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c.message, "cannot evaluate: host too noisy (control CV 12.90% at 1 s"));
	fig(&s.r.tp.cv_pct, 5.5);
	floor_of(&s, 3.0, 0.5);
	assert_int_equal(gate_state(&s, "cv", &c), 0);
	assert_int_equal(c.state, SOAK_CHECK_PASS);
	assert_non_null(strstr(c.message, "excess CV 4.61% <= max 5.00%"));
	/* A floor just under the limit: CV 6.9% against 5% would pass with an
	 * excess of 4.86%, smaller than the floor's own 4.9%: not evaluated. */
	fig(&s.r.tp.cv_pct, 6.9);
	floor_of(&s, 4.9, 0.5);
	assert_int_equal(gate_state(&s, "cv", &c), 2);
	assert_int_equal(c.state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c.message, "passes only through the host's floor 4.90%"));
	fig(&s.r.tp.cv_pct, 8.0);
	floor_of(&s, 3.0, 0.5);
	assert_int_equal(gate_state(&s, "cv", &c), 1);
	assert_int_equal(c.state, SOAK_CHECK_FAIL);
	assert_non_null(strstr(c.message, "excess CV 7.42%"));
	fig(&s.r.tp.cv_pct, 1.0);
	fig(&s.r.tp.drift_pct, -6.0);
	floor_of(&s, 3.0, 2.0);
	assert_int_equal(gate_state(&s, "tp_drift", &c), 0);
	assert_int_equal(c.state, SOAK_CHECK_PASS);
	fig(&s.r.tp.drift_pct, -7.5);
	assert_int_equal(gate_state(&s, "tp_drift", &c), 1);
	assert_int_equal(c.state, SOAK_CHECK_FAIL);
	/* drift -8% with a host drift of 4.5%: allowed -9.5%, but 3.5% is left
	 * for the allocator, less than the host's own 4.5% */
	fig(&s.r.tp.drift_pct, -8.0);
	floor_of(&s, 3.0, 4.5);
	assert_int_equal(gate_state(&s, "tp_drift", &c), 2);
	assert_non_null(strstr(c.message, "passes only through the host's floor +4.50%"));
	floor_of(&s, 3.0, -5.5);
	assert_int_equal(gate_state(&s, "tp_drift", &c), 2);
	assert_non_null(strstr(c.message, "host too noisy (control drift -5.50% at 1 s"));
	snprintf(s.r.tp.not_rate, sizeof(s.r.tp.not_rate), "fragment's rate is its idle phases");
	fig(&s.r.tp.cv_pct, 80);
	gate_state(&s, "cv", &c);
	assert_int_equal(c.state, SOAK_CHECK_SKIP);
	assert_non_null(strstr(c.message, "not applicable"));
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	const soak_check_t *c = find(&rep, 0, "status");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "oom-killed");
	assert_non_null(strstr(c->message, "OOM-KILLED"));
	/* tp_drift is required, but the run did not end ok: skipped, not an error. */
	assert_int_equal(find(&rep, 0, "tp_drift")->state, SOAK_CHECK_SKIP);
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);
}

/* A run that ended ok but lost samples: the status check fails and names
 * the lost samples, whatever statuses are accepted, so lost data never
 * passes a gate. */
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	assert_int_equal(find(&rep, 0, "syscalls_per_op")->state, SOAK_CHECK_SKIP);
	assert_int_equal(soak_gate_exit_code(&rep), 0);
	soak_gate_report_free(&rep);
	/* Required: the gate cannot be evaluated, and says which metric and why. */
	l.require |= 1u << SOAK_GM_SYSCALLS;
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	const soak_check_t *c = find(&rep, 0, "syscalls_per_op");
	assert_int_equal(c->state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c->message, "cannot evaluate"));
	assert_non_null(strstr(c->message, "syscalls_per_op"));
	assert_non_null(strstr(c->message, "SOAK_PERF_DISABLE"));
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	/* Errors win over failures. */
	fig(&s.r.rss.drift_pct, 50);
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	assert_true(rep.failed > 0);
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	soak_gate_report_free(&rep);
}

/* Gates K candidate runs against n baseline runs of a series (the caller,
 * cmd-gate.c, picks them): each candidate's own checks, then the baseline
 * checks of the series. */
static soak_gate_report_t gate_series(synth_t *cand, size_t k, synth_t *base, size_t n,
				      const soak_gate_limits_t *l)
{
	soak_gate_report_t rep = { 0 };
	const soak_run_result_t *c[8], *b[8];
	for (size_t i = 0; i < k; i++) {
		c[i] = &cand[i].r;
		assert_int_equal(soak_gate_eval(&rep, &cand[i].r, l), 0);
	}
	for (size_t i = 0; i < n; i++)
		b[i] = &base[i].r;
	soak_gate_series_t s = { .cand = c, .k = k, .base = b, .nb = n, .base_desc = "test baseline",
				 .limits = *l };
	assert_int_equal(soak_gate_eval_baseline(&rep, &s, 1), 0);
	return rep;
}

/* 5 baseline runs of mean throughputs 10.0, 10.2, 9.8, 10.1, 9.9 M ops/s
 * (mean 10, s = 0.158 M: a run-to-run CV of 1.58%), peak RSS all 2.2e6. */
static void baseline5(synth_t *b)
{
	const double tp[] = { 1.00, 1.02, 0.98, 1.01, 0.99 };
	for (int i = 0; i < 5; i++)
		synth(&b[i], i + 1, "system", "ok", tp[i]);
}

static void test_gate_baseline(void **state)
{
	(void)state;
	synth_t base[5], one[1], slow[3];
	baseline5(base);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);

	/* K = 1 at the baseline's mean: the prediction interval of one run spans
	 * +-t s sqrt(1 + 1/5) = +-6.05% (t_{4, 1 - 0.05/4} = 3.4954, two checks
	 * tested: throughput and peak RSS), beyond the 2% limit: undecided, not
	 * pass, not fail. Peak RSS is the same in every run: pass. */
	synth(&one[0], 10, "system", "ok", 1.0);
	soak_gate_report_t rep = gate_series(one, 1, base, 5, &l);
	const soak_check_t *c = find(&rep, 0, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_UNDECIDED);
	assert_string_equal(c->type, "undecided");
	assert_non_null(strstr(c->message, "undecided after 1 run: +0.00% [-6.05%, +6.05%] vs a 2% "
			       "limit: run more (--label with repeats)"));
	assert_true(c->has_stats && c->k == 1 && c->n == 5);
	double half = 3.4954 * sqrt(2.5e-4) * sqrt(1.2) * 100;
	assert_float_equal(c->ci_hi_pct, half, 0.01);
	assert_int_equal(find(&rep, 0, "baseline_peak_rss")->state, SOAK_CHECK_PASS);
	/* No latency in the runs, not required: skipped with the reason. */
	const soak_check_t *p = find(&rep, 0, "baseline_latency_p99");
	assert_int_equal(p->state, SOAK_CHECK_SKIP);
	assert_non_null(strstr(p->message, "does not time operations"));
	assert_string_equal(rep.family, "Holm over 2 checks, family alpha 0.05");
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	assert_int_equal(rep.undecided, 1);
	/* The outputs name it: the text's last line, JSON's result. */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(soak_gate_emit_text(f, &rep), 0);
	assert_int_equal(soak_gate_emit_json(f, &rep), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\nUNDECIDED: 1 check undecided, none failed"));
	assert_non_null(strstr(buf, "\"result\":\t\"undecided\""));
	assert_non_null(strstr(buf, "\"baseline_method\":\t\"Holm over 2 checks, family alpha 0.05\""));
	free(buf);
	soak_gate_report_free(&rep);

	/* K = 3 runs 40% slower: fails throughput, names the change. */
	const double sl[] = { 0.60, 0.61, 0.59 };
	for (int i = 0; i < 3; i++)
		synth(&slow[i], 20 + i, "system", "ok", sl[i]);
	rep = gate_series(slow, 3, base, 5, &l);
	c = find(&rep, 2, "baseline_throughput");   /* under the newest gated run */
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_string_equal(c->type, "regression");
	assert_non_null(strstr(c->message, "-40.00%"));
	assert_non_null(strstr(c->message, "pooled t of 3 runs vs 5 baseline runs"));
	assert_non_null(strstr(c->baseline, "10.000 M ops/s (mean of 5 runs)"));
	assert_non_null(strstr(c->value, "6.000 M ops/s (mean of 3 runs)"));
	assert_int_equal(rep.runs[0].n, rep.runs[1].n);   /* no baseline checks on the older two */
	assert_int_equal(soak_gate_exit_code(&rep), 1);
	soak_gate_report_free(&rep);

	/* A planted 15% loss, K = 3: -15% with the pooled t interval at
	 * 1 - 0.05/2 (s_p = sqrt(12e-4 / 6) = 1.414%, t_{6, 0.9875} = 2.9687:
	 * half-width 2.9687 x 1.414% x sqrt(1/3 + 1/5) = 3.07%), wholly beyond
	 * zero and the point beyond 2%: fails. */
	const double p15[] = { 0.85, 0.86, 0.84 };
	for (int i = 0; i < 3; i++)
		synth(&slow[i], 40 + i, "system", "ok", p15[i]);
	rep = gate_series(slow, 3, base, 5, &l);
	c = find(&rep, 2, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_float_equal(c->change_pct, -15, 1e-9);
	assert_float_equal(c->ci_hi_pct, -15 + 3.0660, 1e-3);
	assert_true(c->p_holm < 0.05);
	soak_gate_report_free(&rep);

	/* K = 3 at the baseline's level: pass (within +-2%). */
	const double same[] = { 1.00, 1.01, 0.99 };
	for (int i = 0; i < 3; i++)
		synth(&slow[i], 30 + i, "system", "ok", same[i]);
	rep = gate_series(slow, 3, base, 5, &l);
	c = find(&rep, 2, "baseline_throughput");
	assert_int_not_equal(c->state, SOAK_CHECK_FAIL);
	soak_gate_report_free(&rep);

	/* A baseline of one run cannot be judged: an error (exit 2), no verdict. */
	rep = gate_series(one, 1, base, 1, &l);
	c = find(&rep, 0, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_ERROR);
	assert_non_null(strstr(c->message, "cannot evaluate: the baseline has 1 run of this series, need 3"));
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	soak_gate_report_free(&rep);
}

/* gate --until-decided: the looks share alpha (Bonferroni over looks_max).
 * A planted 3.5% loss at K = 3 against baseline5: s_p = 1.414%, standard
 * error 1.414% x sqrt(1/3 + 1/5) = 1.0328%, t = 3.389 (df 6). One look
 * (alpha 0.05, two checks: interval at 1 - 0.05/2, t_{6, 0.9875} = 2.9687,
 * half-width 3.066%): [-6.57%, -0.43%], Holm-adjusted p = 2p = 0.029 <
 * 0.05: FAIL. As look 1 of at most 3 (alpha 0.05/3 = 0.01667, interval at
 * 1 - 0.01667/2, t_{6, 0.99583} = 3.8630, half-width 3.9897%): [-7.49%,
 * +0.49%], 0.029 > 0.01667: not significant, and the interval reaches
 * beyond the 2% limit: UNDECIDED. */
static void test_gate_looks(void **state)
{
	(void)state;
	assert_float_equal(soak_gate_look_alpha(0.05, 3), 0.05 / 3, 1e-15);
	assert_float_equal(soak_gate_look_alpha(0.05, 1), 0.05, 0);
	assert_float_equal(soak_gate_look_alpha(0.05, 0), 0.05, 0);
	synth_t base[5], cand[3];
	baseline5(base);
	const double sc[] = { 0.965, 0.975, 0.955 };
	for (int i = 0; i < 3; i++)
		synth(&cand[i], 20 + i, "system", "ok", sc[i]);
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = gate_series(cand, 3, base, 5, &l);
	const soak_check_t *c = find(&rep, 2, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_FAIL);
	assert_float_equal(c->ci_hi_pct, -3.5 + 3.0660, 1e-3);
	assert_true(c->p_holm > 0.05 / 3 && c->p_holm < 0.05);
	assert_int_equal(soak_gate_look_next(&rep, 0, 2), SOAK_LOOK_DONE);   /* a failure is final */
	soak_gate_report_free(&rep);

	/* The same runs as look 1 of at most 3. */
	rep = (soak_gate_report_t){ .look = 1, .looks_max = 3 };
	const soak_run_result_t *cp[3] = { &cand[0].r, &cand[1].r, &cand[2].r }, *bp[5];
	for (int i = 0; i < 3; i++)
		assert_int_equal(soak_gate_eval(&rep, &cand[i].r, &l), 0);
	for (int i = 0; i < 5; i++)
		bp[i] = &base[i].r;
	soak_gate_series_t ser = { .cand = cp, .k = 3, .base = bp, .nb = 5, .limits = l };
	assert_int_equal(soak_gate_eval_baseline(&rep, &ser, 1), 0);
	c = find(&rep, 2, "baseline_throughput");
	assert_int_equal(c->state, SOAK_CHECK_UNDECIDED);
	assert_float_equal(c->ci_lo_pct, -3.5 - 3.9897, 1e-3);
	assert_float_equal(c->ci_hi_pct, -3.5 + 3.9897, 1e-3);
	assert_string_equal(rep.family, "Holm over 2 checks, family alpha 0.05 split over at most 3 looks "
			    "(0.0167 at look 1)");
	/* More runs while any remain; then spent (exit 2 with the interval). */
	assert_int_equal(soak_gate_look_next(&rep, 0, 2), SOAK_LOOK_MORE);
	assert_int_equal(soak_gate_look_next(&rep, 1, 2), SOAK_LOOK_MORE);
	assert_int_equal(soak_gate_look_next(&rep, 2, 2), SOAK_LOOK_SPENT);
	assert_int_equal(soak_gate_exit_code(&rep), 2);
	soak_gate_report_free(&rep);

	/* Every check decided (passed): done at once. */
	rep = (soak_gate_report_t){ 0 };
	assert_int_equal(soak_gate_eval(&rep, &cand[0].r, &l), 0);
	assert_true(rep.checks > 0 && !rep.failed && !rep.errors && !rep.undecided);
	assert_int_equal(soak_gate_look_next(&rep, 0, 2), SOAK_LOOK_DONE);
	soak_gate_report_free(&rep);
	/* A baseline that cannot be used: done (an error, more runs cannot fix it). */
	rep = gate_series(cand, 1, base, 1, &l);
	assert_int_equal(soak_gate_look_next(&rep, 0, 2), SOAK_LOOK_DONE);
	soak_gate_report_free(&rep);
}

/* A one-tick p99 difference (mean 60 ns against 52 ns, with a timer that
 * records in 10 ns steps) is below resolution: never a failure, and a pass
 * only when its whole interval is within the resolution too (here it
 * reaches past one tick: undecided; steadier runs pass); two ticks are not
 * below resolution. */
static void test_gate_p99_resolution(void **state)
{
	(void)state;
	static soak_hist_t h;
	soak_hist_init(&h);
	const unsigned v[] = { 20, 30, 40, 50, 60 }, n[] = { 9000, 800, 120, 50, 30 };
	for (size_t i = 0; i < 5; i++)
		for (unsigned j = 0; j < n[i]; j++)
			soak_hist_record(&h, v[i]);
	synth_t base[5], cand[3];
	baseline5(base);
	const double bp[] = { 50, 50, 60, 50, 50 };
	for (int i = 0; i < 5; i++) {
		fig(&base[i].r.lat.p99_ns, bp[i]);
		base[i].r.lat.hist = &h;
	}
	for (int i = 0; i < 3; i++) {
		synth(&cand[i], 20 + i, "system", "ok", 1.0);
		fig(&cand[i].r.lat.p99_ns, 60);
		cand[i].r.lat.hist = &h;
	}
	soak_gate_limits_t l;
	soak_gate_limits_default(&l);
	soak_gate_report_t rep = gate_series(cand, 3, base, 5, &l);
	const soak_check_t *c = find(&rep, 2, "baseline_latency_p99");
	assert_int_equal(c->state, SOAK_CHECK_UNDECIDED);   /* never a failure */
	assert_true(c->ci_hi_pct > 100.0 * 10 / 52);        /* the interval reaches past one tick */
	assert_float_equal(c->change_pct, 100.0 * 8 / 52, 1e-9);
	/* by the t test alone p = 0.024; below resolution it enters Holm as 1 */
	assert_true(c->p < 0.05);
	assert_float_equal(c->p_holm, 1.0, 0);
	soak_gate_report_free(&rep);
	/* Steadier runs: 58 ns against 50-51 ns, the whole interval within one
	 * tick: a pass, below resolution. */
	const double bq[] = { 50, 51, 50, 51, 50 };
	for (int i = 0; i < 5; i++)
		fig(&base[i].r.lat.p99_ns, bq[i]);
	for (int i = 0; i < 3; i++)
		fig(&cand[i].r.lat.p99_ns, 58);
	rep = gate_series(cand, 3, base, 5, &l);
	c = find(&rep, 2, "baseline_latency_p99");
	assert_int_equal(c->state, SOAK_CHECK_PASS);
	assert_non_null(strstr(c->message, "below resolution (10 ns)"));
	assert_true(c->ci_hi_pct < 100.0 * 10 / 50.4);
	soak_gate_report_free(&rep);
	/* Two ticks (70 ns against 52 ns: 18 ns) are resolved: tested, never "below resolution". */
	for (int i = 0; i < 3; i++)
		fig(&cand[i].r.lat.p99_ns, 70);
	rep = gate_series(cand, 3, base, 5, &l);
	c = find(&rep, 2, "baseline_latency_p99");
	assert_null(strstr(c->message, "below resolution"));
	assert_true(c->state != SOAK_CHECK_PASS);
	assert_true(c->p_holm < 1.0);
	soak_gate_report_free(&rep);
}

static void test_same_series(void **state)
{
	(void)state;
	synth_t a, b;
	synth(&a, 1, "system", "ok", 1.0);
	synth(&b, 2, "system", "ok", 1.0);
	char why[160];
	assert_true(soak_gate_same_series(&a.r.run, &b.r.run, why, sizeof(why)));
	b.r.run.allocator_name = (char *)"slow";
	assert_false(soak_gate_same_series(&a.r.run, &b.r.run, why, sizeof(why)));
	assert_string_equal(why, "allocator slow, not system");
	b.r.run.allocator_name = (char *)"system";
	b.r.run.has_memory_max = true;
	b.r.run.memory_max = 64 << 20;
	assert_false(soak_gate_same_series(&a.r.run, &b.r.run, why, sizeof(why)));
	assert_non_null(strstr(why, "limits"));
	b.r.run.has_memory_max = false;
	b.r.run.memory_max = 0;
	b.r.run.host_class = (char *)"other/2c/4G/v2";
	assert_false(soak_gate_same_series(&a.r.run, &b.r.run, why, sizeof(why)));
	assert_non_null(strstr(why, "host class"));
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
	assert_int_equal(soak_gate_eval(&rep, &ok.r, &l), 0);
	assert_int_equal(soak_gate_eval(&rep, &bad.r, &l), 0);

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
	assert_int_equal(soak_gate_eval(&rep, &s.r, &l), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(soak_gate_emit_text(f, &rep), 0);
	assert_int_equal(soak_gate_emit_markdown(f, &rep), 0);
	assert_int_equal(soak_gate_emit_json(f, &rep), 0);
	fclose(f);
	assert_non_null(strstr(buf, "FAIL  system-13 tp_drift: throughput drift -7.50% < min -5.00%"));
	assert_non_null(strstr(buf, "\nFAIL: 1 of 6 checks failed"));
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
		cmocka_unit_test(test_thresholds_unknown_workload),
		cmocka_unit_test(test_gate_pass),
		cmocka_unit_test(test_gate_noise_floor),
		cmocka_unit_test(test_gate_fail_rss_drift),
		cmocka_unit_test(test_gate_oom_killed),
		cmocka_unit_test(test_gate_samples_lost),
		cmocka_unit_test(test_gate_required_unavailable),
		cmocka_unit_test(test_gate_baseline),
		cmocka_unit_test(test_gate_p99_resolution),
		cmocka_unit_test(test_gate_looks),
		cmocka_unit_test(test_same_series),
		cmocka_unit_test(test_junit_valid_and_names_failure),
		cmocka_unit_test(test_text_markdown_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
