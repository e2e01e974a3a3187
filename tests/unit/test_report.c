/* test_report.c - reports/result.c (pure computation from synthetic arrays)
 * and the three emitters. Expected numbers are worked out by hand in the
 * comments next to each fixture. */
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

#include "emit.h"
#include "result.h"

#define MIB (1024.0 * 1024.0)
#define NT 13   /* samples at t = 0, 1, ..., 12 */

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
		fail();
	}
}

static void assert_fig(const soak_fig_t *f, double want, double tol)
{
	if (!f->valid) {
		print_error("figure unavailable: %s (want %.17g)\n", f->why, want);
		fail();
	}
	assert_near(f->v, want, tol);
}

static void assert_unavail(const soak_fig_t *f, const char *why_part)
{
	if (f->valid) {
		print_error("figure is %.17g, want unavailable (%s)\n", f->v, why_part);
		fail();
	}
	assert_true(isnan(f->v));
	if (!strstr(f->why, why_part)) {
		print_error("reason '%s' does not contain '%s'\n", f->why, why_part);
		fail();
	}
}

/*
 * The fixture: warm-up 2 s (run record), samples every second t = 0..12,
 * so the steady state is t = 2..12 (11 samples, 10 intervals).
 *
 * rss_bytes (MiB): 5 5 | 10 10 10 10 10 11 12 12 12 12 12
 *   steady mean 121/11 = 11, first 10, last 12, first-5 mean 10, last-5 12,
 *   drift +20 %.
 * ops_total: 0, 50e6, 100e6 at t 0..2, then +100e6/s for 5 s and +110e6/s for
 *   5 s: rates 100,100,100,100,100,110,110,110,110,110 M ops/s; mean 105 M,
 *   sample stddev sqrt(10 * 25e12 / 9) = 5.2705e6, CV 5.0195 %, drift +10 %;
 *   steady ops 1050e6, whole run (last) 1150e6.
 * sc_mmap: 0, 20, 30 at t 0..2, then +1/s -> 40 at t 12: steady 10.
 * sc_madvise: 0, 1, 3, then +1/s -> 13: steady 10. Other base syscalls flat.
 * sc_mlock: unavailable ("tracepoint sys_enter_mlock missing").
 * minflt: 0, 800, 1000, then +50/s -> 1500: steady 500 (pf_minor unavailable).
 * latency: warm-up snapshot 100 x 100 ns; end adds 900 x 1000 ns and
 *   100 x 10000 ns -> steady 1000 ops: p50 = p90 = midpoint of the bucket
 *   [1000, 1003] = 1001.5 ns; p99 = p99.9 = max = 10000 ns (the bucket
 *   midpoint 10015.5 is clamped to the exact max); mean 1.9 us.
 */
typedef struct {
	double t[NT];
	double v[40][NT];
	soak_input_series_t s[40];
	size_t n;
	soak_value_t values[8];
	size_t n_values;
	soak_event_t events[4];
	size_t n_events;
	soak_hist_t warm, end;
	soak_run_t run;
	soak_result_input_t in;
} fx_t;

static double *add_series(fx_t *f, const char *metric, const char *unavailable)
{
	size_t i = f->n++;
	f->s[i] = (soak_input_series_t){ .metric = metric, .n = unavailable ? 0 : NT, .t = f->t,
					  .v = f->v[i], .unavailable = unavailable };
	return f->v[i];
}

static void counter(double *v, const double *head, size_t nhead, double step)
{
	for (size_t i = 0; i < NT; i++)
		v[i] = i < nhead ? head[i] : v[i - 1] + step;
}

static fx_t *fixture(bool mlock_missing)
{
	fx_t *f = calloc(1, sizeof(*f));
	for (int i = 0; i < NT; i++)
		f->t[i] = i;
	f->run = (soak_run_t){ .id = 7, .uuid = "uuid-7", .label = "nightly",
			       .allocator_name = "mimalloc", .allocator_path = "/usr/lib/libmimalloc.so.2",
			       .workload = "random_mixed", .workload_args = "[\"--ws\",\"400\"]",
			       .status = "ok", .has_exit_code = true, .exit_code = 0,
			       .started_at = "2025-12-16T10:00:00Z", .ended_at = "2025-12-16T10:00:12Z",
			       .duration_s = 12, .interval_s = 1, .warmup_s = 2, .cgroup_mode = "hybrid",
			       .has_memory_max = true, .memory_max = 64 * 1024 * 1024 };

	double *rss = add_series(f, "rss_bytes", NULL);
	const double rss_mib[NT] = { 5, 5, 10, 10, 10, 10, 10, 11, 12, 12, 12, 12, 12 };
	for (int i = 0; i < NT; i++)
		rss[i] = rss_mib[i] * MIB;

	double *ops = add_series(f, "ops_total", NULL);
	ops[0] = 0;
	ops[1] = 50e6;
	ops[2] = 100e6;
	for (int i = 3; i < NT; i++)
		ops[i] = ops[i - 1] + (i <= 7 ? 100e6 : 110e6);

	const double mmap_head[] = { 0, 20, 30 }, madv_head[] = { 0, 1, 3 }, flat[] = { 0, 5 };
	counter(add_series(f, "sc_mmap", NULL), mmap_head, 3, 1);
	counter(add_series(f, "sc_munmap", NULL), flat, 2, 0);
	counter(add_series(f, "sc_mremap", NULL), flat, 1, 0);
	counter(add_series(f, "sc_madvise", NULL), madv_head, 3, 1);
	counter(add_series(f, "sc_brk", NULL), flat, 2, 0);
	counter(add_series(f, "sc_mprotect", NULL), flat, 2, 0);
	if (mlock_missing)
		add_series(f, "sc_mlock", "tracepoint sys_enter_mlock missing");
	else
		counter(add_series(f, "sc_mlock", NULL), flat, 1, 0);
	counter(add_series(f, "sc_munlock", NULL), flat, 1, 0);

	add_series(f, "pf_minor", "perf_event_open: permission denied");
	const double mf_head[] = { 0, 800, 1000 };
	counter(add_series(f, "minflt", NULL), mf_head, 3, 50);

	double *p99 = add_series(f, "lat_p99_ns", NULL);
	for (int i = 0; i < NT; i++)
		p99[i] = i < 2 ? 50000 : (i == 6 ? 12000 : 9000);   /* warm-up spike excluded */

	f->values[f->n_values++] = (soak_value_t){ .name = "peak_rss_bytes", .valid = true,
						   .value = 13 * MIB };
	f->values[f->n_values++] = (soak_value_t){ .name = "selfreport.SS_OS_STATS.madvise",
						   .valid = true, .value = 9 };
	f->values[f->n_values++] = (soak_value_t){ .name = "selfreport.SS_OS_STATS.mmap_total",
						   .valid = true, .value = 9 };
	f->values[f->n_values++] = (soak_value_t){ .name = "selfreport.SS_OS_STATS.syscalls_total",
						   .valid = true, .value = 18 };

	soak_hist_init(&f->warm);
	for (int i = 0; i < 100; i++)
		soak_hist_record(&f->warm, 100);
	f->end = f->warm;
	for (int i = 0; i < 900; i++)
		soak_hist_record(&f->end, 1000);
	for (int i = 0; i < 100; i++)
		soak_hist_record(&f->end, 10000);

	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s, .n_series = f->n,
				       .values = f->values, .n_values = f->n_values,
				       .events = f->events, .n_events = 0,
				       .lat_end = &f->end, .lat_end_t = 12,
				       .lat_warm = &f->warm, .lat_warm_t = 2 };
	return f;
}

static void compute(fx_t *f, soak_run_result_t *r)
{
	f->in.n_series = f->n;
	f->in.n_values = f->n_values;
	f->in.n_events = f->n_events;
	assert_int_equal(soak_result_compute(&f->in, NULL, r), 0);
}

static void test_result_core(void **state)
{
	(void)state;
	fx_t *f = fixture(true);
	soak_run_result_t r;
	compute(f, &r);

	assert_int_equal(r.drift_k, 5);
	assert_near(r.warmup_s, 2, 0);
	assert_string_equal(r.warmup_source, "run record");
	assert_false(r.partial);
	assert_int_equal(r.samples, 11);
	assert_fig(&r.elapsed_s, 12, 0);
	assert_fig(&r.steady_s, 10, 0);
	/* The result owns a copy of the run record. */
	assert_ptr_not_equal(r.run.allocator_name, f->run.allocator_name);
	assert_string_equal(r.run.allocator_name, "mimalloc");

	/* RSS */
	assert_int_equal(r.rss.series.n, 11);
	assert_fig(&r.rss.mean, 11 * MIB, 1e-6);
	assert_fig(&r.rss.first, 10 * MIB, 0);
	assert_fig(&r.rss.last, 12 * MIB, 0);
	assert_fig(&r.rss.first_k_mean, 10 * MIB, 1e-6);
	assert_fig(&r.rss.last_k_mean, 12 * MIB, 1e-6);
	assert_fig(&r.rss.drift_pct, 20, 1e-9);
	assert_fig(&r.rss.peak, 13 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "peak_rss_bytes");
	assert_true(r.rss.slope_pct_per_hour.valid && r.rss.slope_pct_per_hour.v > 0);
	assert_true(r.rss.slope_ci_lo.v <= r.rss.slope_pct_per_hour.v &&
		    r.rss.slope_pct_per_hour.v <= r.rss.slope_ci_hi.v);
	assert_unavail(&r.rss.swap_peak, "swap_bytes was never recorded for this run");

	/* Throughput */
	assert_string_equal(r.tp.source, "ops_total");
	assert_int_equal(r.tp.series.n, 10);
	assert_near(r.tp.series.t[0], 3, 0);
	assert_near(r.tp.series.v[0], 100e6, 1e-6);
	assert_fig(&r.tp.mean, 105e6, 1e-3);
	assert_fig(&r.tp.stddev, sqrt(10 * 25e12 / 9), 1e-3);        /* 5270462.77 */
	assert_fig(&r.tp.cv_pct, 100 * sqrt(10 * 25e12 / 9) / 105e6, 1e-9);  /* 5.0195 % */
	assert_fig(&r.tp.first_k_mean, 100e6, 1e-3);
	assert_fig(&r.tp.last_k_mean, 110e6, 1e-3);
	assert_fig(&r.tp.drift_pct, 10, 1e-9);
	assert_fig(&r.tp.ops, 1050e6, 0);
	assert_fig(&r.tp.ops_run, 1150e6, 0);

	/* Latency: end minus the warm-up snapshot. */
	assert_non_null(r.lat.hist);
	assert_fig(&r.lat.count, 1000, 0);
	assert_fig(&r.lat.p50_ns, 1001.5, 0);
	assert_fig(&r.lat.p90_ns, 1001.5, 0);
	assert_fig(&r.lat.p99_ns, 10000, 0);
	assert_fig(&r.lat.p999_ns, 10000, 0);
	assert_fig(&r.lat.max_ns, 10000, 0);
	assert_fig(&r.lat.mean_ns, 1900, 1e-9);
	assert_fig(&r.lat.worst_interval_p99_ns, 12000, 0);
	assert_int_equal(r.lat.interval[SOAK_LAT_P99].n, 11);
	assert_int_equal(r.lat.interval[SOAK_LAT_P50].n, 0);
	assert_non_null(strstr(r.lat.window, "steady state"));
	soak_result_free(&r);
	free(f);
}

static void test_result_syscall_budget(void **state)
{
	(void)state;
	fx_t *f = fixture(true);
	soak_run_result_t r;
	compute(f, &r);

	/* mmap: 40 at the end - 30 at the warm-up end = 10 over 1050e6 ops, 10 s. */
	assert_string_equal(r.sc[0].name, "mmap");
	assert_fig(&r.sc[0].count, 10, 0);
	assert_fig(&r.sc[0].per_op, 10 / 1050e6, 1e-20);
	assert_fig(&r.sc[0].per_s, 1, 1e-12);
	assert_fig(&r.sc[0].run_count, 40, 0);
	assert_fig(&r.sc[1].count, 0, 0);          /* munmap: measured zero is 0 */
	assert_fig(&r.sc[3].count, 10, 0);         /* madvise */
	assert_unavail(&r.sc[0].per_step, "not an exec --repeat run");
	/* The unavailable reason travels to the syscall and to the total. */
	assert_unavail(&r.sc[6].count, "tracepoint sys_enter_mlock missing");
	assert_unavail(&r.sc[6].per_op, "tracepoint sys_enter_mlock missing");
	assert_unavail(&r.sc_total, "mlock: tracepoint sys_enter_mlock missing");
	assert_unavail(&r.sc_total_per_op, "mlock: tracepoint sys_enter_mlock missing");
	assert_int_equal(r.grade, SOAK_GRADE_NONE);
	/* madvise split never sampled. */
	assert_unavail(&r.sc[8].count, "sc_madvise_dontneed was never recorded for this run");

	/* Self-reported 18 (whole run) vs measured mmap+madvise 40 + 13 = 53:
	 * |18 - 53| = 35 > 10% of 53 + 2 -> disagree. */
	assert_int_equal(r.n_self, 1);
	assert_string_equal(r.self[0].tag, "SS_OS_STATS");
	assert_fig(&r.self[0].total, 18, 0);
	assert_fig(&r.self[0].per_op, 18 / 1150e6, 1e-20);
	assert_string_equal(r.self[0].measured_set, "mmap+madvise");
	assert_fig(&r.self[0].measured, 53, 0);
	assert_true(r.self[0].disagree);
	assert_int_equal(r.n_counters, 3);
	assert_string_equal(r.counters[1].name, "SS_OS_STATS.mmap_total");

	/* Page faults fall back to /proc counters when perf is not permitted. */
	assert_string_equal(r.pf.source, "proc");
	assert_fig(&r.pf.minor, 500, 0);
	assert_fig(&r.pf.minor_per_op, 500 / 1050e6, 1e-20);
	assert_fig(&r.pf.minor_per_s, 50, 1e-12);
	assert_unavail(&r.pf.major, "majflt was never recorded for this run");
	assert_unavail(&r.cpu_pct, "cpu_user_s was never recorded for this run");
	soak_result_free(&r);

	/* With every base syscall measured: total 10 + 10 = 20 over 1050e6 ops =
	 * 1.9e-8/op: acceptable (< 1e-7), not ideal (< 1e-8). */
	f = (free(f), fixture(false));
	compute(f, &r);
	assert_fig(&r.sc_total, 20, 0);
	assert_fig(&r.sc_total_per_op, 20 / 1050e6, 1e-20);
	assert_fig(&r.sc_total_per_s, 2, 1e-12);
	assert_int_equal(r.grade, SOAK_GRADE_ACCEPTABLE);
	assert_string_equal(soak_grade_name(r.grade), "acceptable");
	soak_result_free(&r);
	free(f);

	assert_int_equal(soak_grade_of(9e-9), SOAK_GRADE_IDEAL);
	assert_int_equal(soak_grade_of(9e-8), SOAK_GRADE_ACCEPTABLE);   /* seed 003's hakmem */
	assert_int_equal(soak_grade_of(1e-7), SOAK_GRADE_HIGH);
	assert_int_equal(soak_grade_of(NAN), SOAK_GRADE_NONE);
}

/* Warm-up taken from the warmup_end event (t 2.5): the t = 2 samples become
 * warm-up too, and the syscall baseline is the last sample at or before 2.5. */
static void test_result_warmup_event(void **state)
{
	(void)state;
	fx_t *f = fixture(false);
	f->events[f->n_events++] = (soak_event_t){ .t = 2.5, .kind = "warmup_end" };
	soak_run_result_t r;
	compute(f, &r);
	assert_near(r.warmup_s, 2.5, 0);
	assert_string_equal(r.warmup_source, "warmup_end event");
	assert_int_equal(r.samples, 10);
	assert_int_equal(r.rss.series.n, 10);
	assert_int_equal(r.tp.series.n, 9);
	assert_fig(&r.sc[0].count, 10, 0);    /* baseline still t = 2 (30) */
	assert_fig(&r.tp.ops, 1050e6, 0);
	soak_result_free(&r);
	free(f);
}

/* The steady state ends at the stop request: what the worker does while it
 * exits (e.g. the munmap of its metadata, seen in the final sample after the
 * reap) is not steady state. Stop at t = 11.5: counters end at t = 11. */
static void test_result_stop_request_ends_window(void **state)
{
	(void)state;
	fx_t *f = fixture(false);
	f->events[f->n_events++] = (soak_event_t){ .t = 11.5, .kind = "stop_requested" };
	soak_run_result_t r;
	compute(f, &r);
	assert_true(r.steady_end_s == 11.5);
	assert_fig(&r.sc[0].count, 9, 0);        /* sc_mmap 30 at t 2 -> 39 at t 11 */
	assert_fig(&r.tp.ops, 940e6, 0);         /* 100e6 at t 2 -> 1040e6 at t 11 */
	assert_int_equal(r.tp.series.n, 9);      /* rates t 2..11 */
	assert_fig(&r.sc[0].run_count, 40, 0);   /* whole-run total still the last sample */
	soak_result_free(&r);
	free(f);
}

static void test_result_short_partial_run(void **state)
{
	(void)state;
	fx_t *f = fixture(false);
	/* An OOM-killed run with samples only up to t = 5 (4 steady samples). */
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].n)
			f->s[i].n = 6;
	f->run.status = "oom-killed";
	f->run.has_exit_code = false;
	f->run.has_signal = true;
	f->run.signal = 9;
	f->values[0] = (soak_value_t){ .name = "peak_rss_bytes", .valid = false,
				       .reason = "no memory cgroup" };
	f->in.lat_end = NULL;
	f->in.lat_unavailable = "latency timing off (--latency-sample 0)";
	soak_run_result_t r;
	compute(f, &r);
	assert_true(r.partial);
	assert_int_equal(r.samples, 4);
	assert_fig(&r.rss.mean, 10 * MIB, 1e-6);
	assert_unavail(&r.rss.drift_pct, "drift compares the first and the last 5 values: it needs 10 after the warm-up, this run has 4 (run longer or sample more often)");
	assert_unavail(&r.rss.first_k_mean, "drift compares the first and the last 5 values: it needs 10");
	assert_unavail(&r.tp.drift_pct, "drift compares the first and the last 5 values: it needs 10 after the warm-up, this run has 3 (run longer or sample more often)");
	assert_fig(&r.tp.mean, 100e6, 1e-3);
	/* No per-run peak: the largest sampled RSS, warm-up included. */
	assert_fig(&r.rss.peak, 10 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "rss_bytes");
	assert_unavail(&r.lat.p99_ns, "latency timing off (--latency-sample 0)");
	assert_null(r.lat.hist);
	soak_result_free(&r);

	/* Fewer than 3 steady samples: no slope, with the reason. */
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].n)
			f->s[i].n = 4;
	compute(f, &r);
	assert_unavail(&r.rss.slope_pct_per_hour, "a trend needs at least 3 values after the warm-up, this run has 2");
	assert_unavail(&r.rss.slope_ci_lo, "needs at least 3");
	assert_unavail(&r.tp.stddev, "a spread needs at least 2 throughput values");
	soak_result_free(&r);

	/* A per-run peak below the sampled RSS (the cgroup is not charged for
	 * shared pages first touched elsewhere): the larger figure wins. */
	f->values[0] = (soak_value_t){ .name = "peak_rss_bytes", .valid = true, .value = 0.6 * MIB };
	compute(f, &r);
	assert_fig(&r.rss.peak, 10 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "rss_bytes");
	soak_result_free(&r);

	/* A warm-up snapshot the db could not read: whole run, and why. */
	f->in.lat_end = &f->end;
	f->in.lat_warm = NULL;
	f->in.lat_warm_unavailable = "histogram latency of run 7 at t=2.000 is corrupt";
	compute(f, &r);
	assert_fig(&r.lat.count, 1100, 0);
	assert_string_equal(r.lat.window, "whole run to t 12.0 s (warm-up snapshot unusable: "
					  "histogram latency of run 7 at t=2.000 is corrupt)");
	soak_result_free(&r);

	/* The peak from the cgroup's series when the per-run value is missing. */
	f->n_values = 0;
	double *cg = add_series(f, "cg_mem_peak_bytes", NULL);
	for (int i = 0; i < NT; i++)
		cg[i] = (20 + i) * MIB;
	compute(f, &r);
	assert_fig(&r.rss.peak, 32 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "cg_mem_peak_bytes");
	soak_result_free(&r);
	free(f);
}

/* CPU time read less often than every sample (the cpu probe reads at most
 * every 100 ms, so at a 10 ms interval 9 rows in 10 are NULL): here every
 * 3 s, at t = 0, 3, 6, 9, 12. A counter's window starts at its last value at
 * or before the 2 s warm-up's end: t = 0..12 (12 s): user +0.5 s/s -> 6 s,
 * system +0.1 s/s -> 1.2 s, 60% of a CPU. The operations over that window
 * are ops[12] - ops[0] = 1150e6, not the steady state's 1050e6 (t = 2..12):
 * 1150e6 / 7.2 s = 159.72e6 ops per CPU second (1050e6 / 7.2 s = 145.83e6
 * would mix two windows). */
static void test_result_cpu_slow_cadence(void **state)
{
	(void)state;
	fx_t *f = fixture(false);
	double *u = add_series(f, "cpu_user_s", NULL), *sy = add_series(f, "cpu_sys_s", NULL);
	for (int i = 0; i < NT; i++) {
		u[i] = i % 3 ? NAN : 0.5 * i;
		sy[i] = i % 3 ? NAN : 0.1 * i;
	}
	soak_run_result_t r;
	compute(f, &r);
	assert_fig(&r.tp.ops, 1050e6, 0);
	assert_fig(&r.cpu_user_s, 6, 1e-12);
	assert_fig(&r.cpu_sys_s, 1.2, 1e-12);
	assert_fig(&r.cpu_pct, 60, 1e-9);
	assert_fig(&r.tp_per_cpu_s, 1150e6 / 7.2, 1e-3);
	soak_result_free(&r);
	free(f);
}

/* exec --repeat: throughput from the steps, syscalls per step. */
static void test_result_exec_steps(void **state)
{
	(void)state;
	fx_t *f = calloc(1, sizeof(*f));
	for (int i = 0; i < NT; i++)
		f->t[i] = i;
	f->run = (soak_run_t){ .id = 3, .allocator_name = "system", .workload = "exec",
			       .status = "ok" };
	double *tp = add_series(f, "step_throughput_ops_s", NULL);
	double *ex = add_series(f, "step_exit_code", NULL);
	double *mm = add_series(f, "sc_mmap", NULL);
	for (int i = 0; i < NT; i++) {
		tp[i] = 60e6 + (i % 2 ? 1e6 : -1e6);
		ex[i] = i == 4 ? 1 : 0;
		mm[i] = i ? 100.0 * (i + 1) : NAN;   /* not measured at t = 0 */
	}
	f->in = (soak_result_input_t){ .run = &f->run, .series = f->s };
	soak_run_result_t r;
	compute(f, &r);
	assert_string_equal(r.tp.source, "step_throughput_ops_s");
	assert_int_equal(r.tp.series.n, 13);
	assert_fig(&r.tp.mean, 60e6 - 1e6 / 13, 1e-3);   /* 7 x -1e6, 6 x +1e6 */
	assert_unavail(&r.tp.ops, "exec steps report a throughput");
	assert_int_equal(r.steps.n, 13);
	assert_int_equal(r.steps.failed, 1);
	/* No warm-up and no valid sample at t = 0: from the implied 0 at t = 0
	 * (counters start with the worker) to 1300 at t = 12. */
	assert_fig(&r.sc[0].count, 1300, 0);
	assert_fig(&r.sc[0].per_step, 100, 1e-12);
	assert_unavail(&r.sc[0].per_op, "no operation count");
	soak_result_free(&r);
	free(f);
}

static void test_ccdf(void **state)
{
	(void)state;
	fx_t *f = fixture(false);
	soak_hist_t d;
	soak_hist_diff(&d, &f->end, &f->warm);
	soak_ccdf_point_t p[32];
	size_t n = soak_result_ccdf(&d, p, 32);
	/* Values 1000 (900 ops) and 10000 (100 ops): from 1 us in 1-2-5 steps:
	 * at 1 us the 10 us bucket lies above (0.1), and the 1000 ns bucket
	 * [1000, 1003] does not; ... at 10 us nothing is slower. */
	assert_int_equal(n, 4);
	assert_near(p[0].value_ns, 1000, 0);
	assert_near(p[0].fraction, 0.1, 1e-12);
	assert_int_equal(p[0].slower, 100);
	assert_near(p[2].value_ns, 5000, 0);
	assert_near(p[2].fraction, 0.1, 1e-12);
	assert_near(p[3].value_ns, 10000, 0);
	assert_near(p[3].fraction, 0, 0);
	assert_int_equal(soak_result_ccdf(&d, p, 2), 2);
	soak_hist_t empty;
	soak_hist_init(&empty);
	assert_int_equal(soak_result_ccdf(&empty, p, 32), 0);
	free(f);
}

/* ---- emitters ---- */

static char *emit(const char *format, const soak_run_result_t *r, size_t n, bool ccdf)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	assert_non_null(mf);
	const soak_emitter_t *em = soak_emitter_find(format);
	assert_non_null(em);
	soak_emit_opts_t o = { .latency_ccdf = ccdf };
	assert_int_equal(em->report(mf, r, n, &o), 0);
	fclose(mf);
	return buf;
}

static void two_runs(soak_run_result_t r[2])
{
	fx_t *f = fixture(true);
	compute(f, &r[0]);
	f->run.id = 8;
	f->run.allocator_name = "system";
	f->run.status = "crashed";
	f->run.has_exit_code = false;
	f->run.has_signal = true;
	f->run.signal = 11;
	f->run.message = "worker killed by Segmentation fault";
	compute(f, &r[1]);
	free(f);
}

static void test_emit_json(void **state)
{
	(void)state;
	soak_run_result_t r[2];
	two_runs(r);
	char *text = emit("json", r, 2, true);
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *runs = cJSON_GetObjectItem(doc, "runs");
	assert_int_equal(cJSON_GetArraySize(runs), 2);
	cJSON *j = cJSON_GetArrayItem(runs, 0);
	assert_int_equal(cJSON_GetObjectItem(j, "id")->valueint, 7);
	assert_string_equal(cJSON_GetObjectItem(j, "uuid")->valuestring, "uuid-7");
	assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "ok");
	assert_int_equal(cJSON_GetObjectItem(j, "samples")->valueint, 11);
	cJSON *args = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "workload"), "args");
	assert_true(cJSON_IsArray(args));

	cJSON *rss = cJSON_GetObjectItem(j, "rss");
	assert_near(cJSON_GetObjectItem(rss, "peak_bytes")->valuedouble, 13 * MIB, 0);
	assert_near(cJSON_GetObjectItem(rss, "drift_pct")->valuedouble, 20, 1e-9);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(rss, "slope_pct_per_hour")));
	cJSON *ci = cJSON_GetObjectItem(rss, "slope_ci95");
	assert_int_equal(cJSON_GetArraySize(ci), 2);
	assert_true(cJSON_GetArrayItem(ci, 0)->valuedouble <= cJSON_GetArrayItem(ci, 1)->valuedouble);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(rss, "swap_peak_bytes")));
	assert_string_equal(cJSON_GetObjectItem(rss, "swap_peak_bytes_unavailable")->valuestring,
			    "swap_bytes was never recorded for this run");

	cJSON *tp = cJSON_GetObjectItem(j, "throughput");
	assert_near(cJSON_GetObjectItem(tp, "mean_ops_s")->valuedouble, 105e6, 1e-3);
	assert_near(cJSON_GetObjectItem(tp, "cv_pct")->valuedouble, 100 * sqrt(10 * 25e12 / 9) / 105e6, 1e-9);
	assert_near(cJSON_GetObjectItem(tp, "drift_pct")->valuedouble, 10, 1e-9);

	cJSON *lat = cJSON_GetObjectItem(j, "latency");
	assert_near(cJSON_GetObjectItem(lat, "p50_ns")->valuedouble, 1001.5, 0);
	assert_near(cJSON_GetObjectItem(lat, "p999_ns")->valuedouble, 10000, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(lat, "ccdf")), 4);

	/* Unmeasured: null with the reason beside it, never 0. */
	cJSON *sc = cJSON_GetObjectItem(j, "syscalls");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sc, "total_per_op")));
	assert_string_equal(cJSON_GetObjectItem(sc, "total_per_op_unavailable")->valuestring,
			    "mlock: tracepoint sys_enter_mlock missing");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(sc, "grade")));
	cJSON *mlock = cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "by_name"), "mlock");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(mlock, "count")));
	assert_string_equal(cJSON_GetObjectItem(mlock, "count_unavailable")->valuestring,
			    "tracepoint sys_enter_mlock missing");
	cJSON *mmap = cJSON_GetObjectItem(cJSON_GetObjectItem(sc, "by_name"), "mmap");
	assert_near(cJSON_GetObjectItem(mmap, "per_op")->valuedouble, 10 / 1050e6, 1e-22);
	cJSON *self = cJSON_GetArrayItem(cJSON_GetObjectItem(sc, "self_reported"), 0);
	assert_near(cJSON_GetObjectItem(self, "total")->valuedouble, 18, 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(self, "disagree")));
	assert_string_equal(cJSON_GetObjectItem(self, "window")->valuestring, "whole run");

	cJSON *j2 = cJSON_GetArrayItem(runs, 1);
	assert_string_equal(cJSON_GetObjectItem(j2, "status")->valuestring, "crashed");
	assert_int_equal(cJSON_GetObjectItem(j2, "signal")->valueint, 11);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j2, "exit_code")));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(j2, "partial")));
	cJSON_Delete(doc);
	free(text);
	soak_result_free(&r[0]);
	soak_result_free(&r[1]);
}

/* Splits one CSV line (RFC 4180 quoting) and returns the field count;
 * fields[i] point into buf. */
static size_t csv_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line, *out = line;
	while (n < max) {
		fields[n++] = out;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '"' && p[1] == '"') {
					*out++ = '"';
					p += 2;
				} else if (*p == '"') {
					p++;
					break;
				} else {
					*out++ = *p++;
				}
			}
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		if (*p != ',') {
			*out = '\0';
			break;
		}
		*out++ = '\0';
		p++;
	}
	return n;
}

static void test_emit_csv(void **state)
{
	(void)state;
	soak_run_result_t r[2];
	two_runs(r);
	char *text = emit("csv", r, 2, false);
	char *l1 = text, *l2 = strchr(l1, '\n');
	assert_non_null(l2);
	*l2++ = '\0';
	char *l3 = strchr(l2, '\n');
	assert_non_null(l3);
	*l3++ = '\0';
	char *l4 = strchr(l3, '\n');
	assert_non_null(l4);
	*l4++ = '\0';
	assert_string_equal(l4, "");   /* header + 2 rows, nothing else */
	assert_int_equal(strncmp(l1, "id,uuid,", 8), 0);

	char *h[256], *a[256], *b[256];
	size_t nh = csv_split(l1, h, 256), na = csv_split(l2, a, 256), nb = csv_split(l3, b, 256);
	assert_true(nh > 50);
	assert_int_equal(na, nh);
	assert_int_equal(nb, nh);
	for (size_t i = 0; i < nh; i++) {
		if (!strcmp(h[i], "id"))
			assert_string_equal(a[i], "7");
		else if (!strcmp(h[i], "rss_drift_pct"))
			assert_near(strtod(a[i], NULL), 20, 1e-9);
		else if (!strcmp(h[i], "rss_peak_bytes"))
			assert_near(strtod(a[i], NULL), 13 * MIB, 0);
		else if (!strcmp(h[i], "sc_total_per_op") || !strcmp(h[i], "sc_grade") ||
			 !strcmp(h[i], "sc_mlock_count"))
			assert_string_equal(a[i], "");          /* unavailable: empty */
		else if (!strcmp(h[i], "sc_mmap_count"))
			assert_string_equal(a[i], "10");
		else if (!strcmp(h[i], "sc_munmap_count"))
			assert_string_equal(a[i], "0");         /* measured zero */
		else if (!strcmp(h[i], "status"))
			assert_string_equal(b[i], "crashed");
		else if (!strcmp(h[i], "signal"))
			assert_string_equal(b[i], "11");
		else if (!strcmp(h[i], "workload"))
			assert_string_equal(a[i], "random_mixed");
	}
	free(text);

	/* --latency-ccdf: CCDF rows instead. */
	text = emit("csv", r, 2, true);
	assert_int_equal(strncmp(text, "id,allocator,latency_ns,fraction_slower,ops_slower,ops_timed\n"
				 "7,mimalloc,1000,0.1,100,1000\n", 82), 0);
	free(text);
	soak_result_free(&r[0]);
	soak_result_free(&r[1]);
}

static void test_emit_md(void **state)
{
	(void)state;
	soak_run_result_t r[2];
	two_runs(r);
	char *text = emit("md", r, 2, true);
	/* The seed report's throughput table, column for column. */
	assert_non_null(strstr(text, "| Allocator | Mean TP (M ops/s) | First 5 avg | Last 5 avg | "
				     "TP Drift | Stddev | CV | Status |\n"));
	assert_non_null(strstr(text, "| mimalloc #7 | 105.00 | 100.00 | 110.00 | +10.00% | 5.27 | "
				     "5.02% | ok |\n"));
	assert_non_null(strstr(text, "| Allocator | First RSS (MiB) | Last RSS (MiB) | Mean RSS (MiB) | "
				     "Peak RSS (MiB) | RSS Drift | Status |\n"));
	assert_non_null(strstr(text, "| mimalloc #7 | 10.00 | 12.00 | 11.00 | 13.00 | +20.00% | ok |"));
	/* Partial runs are shown, with their status. */
	assert_non_null(strstr(text, "crashed (signal 11: SIGSEGV)"));
	assert_non_null(strstr(text, "system #8 is partial"));
	/* Unmeasured figures say why. */
	assert_non_null(strstr(text, "unavailable (mlock: tracepoint sys_enter_mlock missing)"));
	assert_non_null(strstr(text, "| mmap | 10 | 9.5e-09 | 1.00 | ideal |"));
	assert_non_null(strstr(text, "| mimalloc #7 | [SS_OS_STATS] | 18 |"));
	assert_non_null(strstr(text, "| 1.00µs | 0.1 | 100 |"));
	assert_null(strstr(text, "nan"));
	free(text);

	/* k follows --drift-k. */
	fx_t *f = fixture(false);
	soak_run_result_t r3;
	soak_result_opts_t o = { .drift_k = 3 };
	assert_int_equal(soak_result_compute(&f->in, &o, &r3), 0);
	text = emit("md", &r3, 1, false);
	assert_non_null(strstr(text, "| First 3 avg | Last 3 avg |"));
	assert_null(strstr(text, "Latency CCDF"));
	free(text);
	soak_result_free(&r3);
	free(f);
	soak_result_free(&r[0]);
	soak_result_free(&r[1]);
}

static void test_emit_runs_and_find(void **state)
{
	(void)state;
	assert_ptr_equal(soak_emitter_find("md"), &soak_emitter_md);
	assert_ptr_equal(soak_emitter_find("markdown"), &soak_emitter_md);
	assert_ptr_equal(soak_emitter_find("JSON"), &soak_emitter_json);
	assert_null(soak_emitter_find("xml"));
	assert_null(soak_emitter_find(NULL));

	soak_run_t runs[2] = {
		{ .id = 1, .started_at = "2025-12-16T10:00:00Z", .ended_at = "2025-12-16T10:05:00Z",
		  .workload = "random_mixed", .allocator_name = "system", .label = "a,b", .status = "ok" },
		{ .id = 2, .started_at = "2025-12-16T11:00:00Z", .workload = "leak",
		  .allocator_name = "mimalloc", .status = "incomplete" },
	};
	assert_near(soak_run_wall_s(&runs[0]), 300, 0);
	assert_true(isnan(soak_run_wall_s(&runs[1])));
	char *buf = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&buf, &len);
	assert_int_equal(soak_emitter_csv.runs(mf, runs, 2), 0);
	fclose(mf);
	assert_string_equal(buf, "id,started_at,workload,allocator,label,status,duration_s\n"
				 "1,2025-12-16T10:00:00Z,random_mixed,system,\"a,b\",ok,300\n"
				 "2,2025-12-16T11:00:00Z,leak,mimalloc,,incomplete,\n");
	free(buf);
	mf = open_memstream(&buf, &len);
	assert_int_equal(soak_emitter_md.runs(mf, runs, 2), 0);
	fclose(mf);
	assert_non_null(strstr(buf, "| 1 | 2025-12-16T10:00:00Z | random_mixed | system | a,b | ok | 5m00s |"));
	assert_non_null(strstr(buf, "| 2 | 2025-12-16T11:00:00Z | leak | mimalloc |  | incomplete | - |"));
	free(buf);
	mf = open_memstream(&buf, &len);
	assert_int_equal(soak_emitter_json.runs(mf, runs, 2), 0);
	fclose(mf);
	cJSON *doc = cJSON_Parse(buf);
	assert_non_null(doc);
	cJSON *r2 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(r2, "duration_s")));
	assert_string_equal(cJSON_GetObjectItem(r2, "status")->valuestring, "incomplete");
	cJSON_Delete(doc);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_result_core),
		cmocka_unit_test(test_result_syscall_budget),
		cmocka_unit_test(test_result_warmup_event),
		cmocka_unit_test(test_result_short_partial_run),
		cmocka_unit_test(test_result_exec_steps),
		cmocka_unit_test(test_result_cpu_slow_cadence),
		cmocka_unit_test(test_result_stop_request_ends_window),
		cmocka_unit_test(test_ccdf),
		cmocka_unit_test(test_emit_json),
		cmocka_unit_test(test_emit_csv),
		cmocka_unit_test(test_emit_md),
		cmocka_unit_test(test_emit_runs_and_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
