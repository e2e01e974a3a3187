/* test_history.c - reports/history.c's analysis: the minimum effect of each
 * metric (a change below it is no change point, so no regression for the
 * gate), and a change from 0 shown without a NaN percentage. Series of 10
 * nights x 3 runs with the newest night planted, values known exactly. */
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

#include <unistd.h>

#include "db.h"
#include "emit-history.h"
#include "history.h"

#define NIGHTS 10
#define PER 3

/* The resolution each point's value of metric m carries (0: exact). */
static double make_res;

/* One series, metric m: `before` for the first NIGHTS-1 nights, `after` in
 * the newest; every other metric unmeasured. */
static void make(soak_history_t *h, size_t m, double before, double after)
{
	memset(h, 0, sizeof(*h));
	for (int k = 0; k < NIGHTS; k++)
		for (int j = 0; j < PER; j++) {
			char label[32], start[32];
			snprintf(label, sizeof(label), "nightly-2026-01-%02d", k + 1);
			snprintf(start, sizeof(start), "2026-01-%02dT02:%02d:00Z", k + 1, j);
			soak_run_t run = { .id = k * PER + j + 1, .uuid = "u", .label = label, .started_at = start,
					   .status = "ok", .allocator_name = "a", .workload = "w", .host_class = "h" };
			soak_hseries_t *s = soak_history_series(h, &run, true);
			assert_non_null(s);
			soak_hpoint_t p = { 0 };
			char why[] = "not in this test";
			for (size_t i = 0; i < SOAK_HM_N; i++) {
				p.v[i] = NAN;
				p.why[i] = why;
			}
			p.v[m] = k == NIGHTS - 1 ? after : before;
			p.res[m] = make_res;
			char *json = soak_history_summary_encode(&p);
			assert_non_null(json);
			assert_int_equal(soak_history_add_summary(s, &run, json), 0);
			free(json);
		}
	soak_cp_opts_t o = { .alpha = SOAK_CP_ALPHA, .min_size = SOAK_CP_MIN_SIZE };
	assert_int_equal(soak_history_analyse(h, &o), 0);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->s[0].n, NIGHTS * PER);
}

static size_t changes(const soak_history_t *h, size_t m)
{
	size_t k = 0;
	for (size_t j = 0; j < h->s[0].n_cps; j++)
		k += h->s[0].cps[j].metric == m;
	return k;
}

/* The one change of metric m: a regression at the first run of the newest night. */
static const soak_hchange_t *newest_regression(const soak_history_t *h, size_t m)
{
	assert_int_equal(changes(h, m), 1);
	const soak_hchange_t *c = &h->s[0].cps[0];
	assert_int_equal(c->metric, m);
	assert_int_equal(c->point, (NIGHTS - 1) * PER);
	assert_true(c->regression && c->newest_night);
	return c;
}

/* Mean RSS of 64 MiB: one 4 KiB page more (+0.006%) is below 5% and 1 MiB;
 * 10 MiB more (+15.6%) is a regression. */
static void test_rss_min_effect(void **state)
{
	(void)state;
	soak_history_t h;
	make(&h, SOAK_HM_RSS_MEAN, 64.0 * 1048576, 64.0 * 1048576 + 4096);
	assert_int_equal(changes(&h, SOAK_HM_RSS_MEAN), 0);
	soak_history_free(&h);
	make(&h, SOAK_HM_RSS_MEAN, 64.0 * 1048576, 74.0 * 1048576);
	const soak_hchange_t *c = newest_regression(&h, SOAK_HM_RSS_MEAN);
	assert_true(fabs(c->cp.change_pct - 1000.0 / 64) < 1e-9);
	soak_history_free(&h);
}

/* Syscalls/op from 0: 6.4e-9 is below 1e-8 per op; 5e-8 is a regression,
 * printed as its two values, never as a NaN percentage. */
static void test_syscalls_from_zero(void **state)
{
	(void)state;
	soak_history_t h;
	make(&h, SOAK_HM_SC_PER_OP, 0, 6.4e-9);
	assert_int_equal(changes(&h, SOAK_HM_SC_PER_OP), 0);
	soak_history_free(&h);
	make(&h, SOAK_HM_SC_PER_OP, 0, 5e-8);
	const soak_hchange_t *c = newest_regression(&h, SOAK_HM_SC_PER_OP);
	assert_true(isnan(c->cp.change_pct));
	char t[512];
	soak_history_cp_text(&h, &h.s[0], c, t, sizeof(t));
	assert_null(strstr(t, "nan"));
	assert_non_null(strstr(t, "Syscalls per op regression (0 -> 5e-08 /op) at night nightly-2026-01-10"));
	soak_history_free(&h);
}

/* p99 latency 40 ns -> 60 ns (+50%): a regression when the values are exact,
 * no change when the histogram cannot tell values 41 ns apart (a clock
 * tick of 41 ns): below resolution, as compare and gate judge it. */
/* A run of the newest night that did not end ok fails the night, unless it
 * was interrupted and the series ran ok after it in the same night (a
 * cancelled shard submitted again). */
static void note_bad(soak_history_t *h, int64_t id, const char *status, const char *start)
{
	char label[] = "nightly-2026-01-10", st[32], when[32], uuid[] = "x", a[] = "a", w[] = "w", hc[] = "h";
	snprintf(st, sizeof(st), "%s", status);
	snprintf(when, sizeof(when), "%s", start);
	soak_run_t run = { .id = id, .uuid = uuid, .label = label, .started_at = when,
			   .status = st, .allocator_name = a, .workload = w, .host_class = hc };
	assert_int_equal(soak_history_note_unfinished(h, &run, true), 0);
}

static void test_newest_night_rerun(void **state)
{
	(void)state;
	soak_history_t h;
	char buf[640];
	/* the newest night's ok runs start at 02:00, 02:01 and 02:02 */
	make(&h, SOAK_HM_TP, 100, 100);
	note_bad(&h, 90, "interrupted", "2026-01-10T02:00:30Z");
	assert_int_equal(soak_history_newest_unfinished(&h.s[0], buf, sizeof(buf)), SOAK_HNIGHT_RERUN);
	assert_string_equal(buf, "newest night nightly-2026-01-10: 1 run interrupted and run again after "
				 "(run 90 interrupted)");
	/* a crash beside it is never excused */
	note_bad(&h, 91, "crashed", "2026-01-10T02:00:40Z");
	assert_int_equal(soak_history_newest_unfinished(&h.s[0], buf, sizeof(buf)), SOAK_HNIGHT_FAILED);
	assert_non_null(strstr(buf, "2 runs did not end ok (run 90 interrupted, run 91 crashed)"));
	soak_history_free(&h);
	/* interrupted after the last ok run: nothing ran it again */
	make(&h, SOAK_HM_TP, 100, 100);
	note_bad(&h, 90, "interrupted", "2026-01-10T02:05:00Z");
	assert_int_equal(soak_history_newest_unfinished(&h.s[0], buf, sizeof(buf)), SOAK_HNIGHT_FAILED);
	assert_non_null(strstr(buf, "1 run did not end ok (run 90 interrupted)"));
	soak_history_free(&h);
}

static void test_latency_resolution(void **state)
{
	(void)state;
	soak_history_t h;
	make_res = 0;
	make(&h, SOAK_HM_P99, 40, 60);
	newest_regression(&h, SOAK_HM_P99);
	soak_history_free(&h);
	make_res = 41;
	make(&h, SOAK_HM_P99, 40, 60);
	assert_int_equal(changes(&h, SOAK_HM_P99), 0);
	assert_true(h.s[0].resolution[SOAK_HM_P99] == 41);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	soak_history_emit_opts_t eo = { .last = 10 };
	assert_int_equal(soak_history_emit_md(f, &h, &eo), 0);
	fclose(f);
	if (!strstr(buf, "below resolution (41 ns)")) {
		print_error("%s\n", buf);
		fail();
	}
	free(buf);
	soak_history_free(&h);
	make_res = 0;
	make(&h, SOAK_HM_P999, 100000, 100010);   /* 0.01%: below the 10% minimum anyway */
	assert_int_equal(changes(&h, SOAK_HM_P999), 0);
	soak_history_free(&h);
}

/* Throughput CV 3.00% -> 3.0004% ("+0.0%") is below 1 point; 3% -> 5% is a regression. */
static void test_cv_min_effect(void **state)
{
	(void)state;
	soak_history_t h;
	make(&h, SOAK_HM_TP_CV, 3.0, 3.0004);
	assert_int_equal(changes(&h, SOAK_HM_TP_CV), 0);
	soak_history_free(&h);
	make(&h, SOAK_HM_TP_CV, 3.0, 5.0);
	newest_regression(&h, SOAK_HM_TP_CV);
	soak_history_free(&h);
}

/* A constant throughput whose newest night differs by rounding only, and a
 * 1% drop (below 2%): no change point; a 5% drop is a regression. */
static void test_throughput_constant_and_small(void **state)
{
	(void)state;
	soak_history_t h;
	make(&h, SOAK_HM_TP, 1e7, 1e7 * (1 - 7.5e-16));
	assert_int_equal(changes(&h, SOAK_HM_TP), 0);
	soak_history_free(&h);
	make(&h, SOAK_HM_TP, 1e7, 0.99e7);
	assert_int_equal(changes(&h, SOAK_HM_TP), 0);
	soak_history_free(&h);
	make(&h, SOAK_HM_TP, 1e7, 0.95e7);
	const soak_hchange_t *c = newest_regression(&h, SOAK_HM_TP);
	assert_true(fabs(c->cp.change_pct + 5) < 1e-9);
	soak_history_free(&h);
}

/* n runs of allocator a through the real write path, run k with throughput
 * exactly rate * (k + 1): ops_total grows by that much every second. */
static void write_runs(const char *path, size_t n, double rate)
{
	char err[512];
	soak_db_t *db;
	assert_int_equal(soak_db_open(path, SOAK_DB_WRITE, &db, err, sizeof(err)), 0);
	int64_t m_ops;
	assert_int_equal(soak_db_metric(db, "ops_total", "ops", 1, "operations", &m_ops), 0);
	for (size_t k = 0; k < n; k++) {
		char label[48], start[SOAK_DB_TIME_LEN];
		snprintf(label, sizeof(label), "nightly-2026-01-%02zu", k + 1);
		soak_db_time_format(1767232800.0 + 86400.0 * (double)k, start);
		soak_run_t rec = { .label = label, .host = "h", .kernel = "k", .suite_version = "t",
				   .cgroup_mode = "none", .allocator_name = "a", .workload = "w",
				   .workload_args = "[]", .duration_s = 10, .interval_s = 1, .started_at = start,
				   .status = "running", .host_class = "hc" };
		int64_t id;
		assert_int_equal(soak_db_run_begin(db, &rec, &id), 0);
		for (int t = 0; t <= 10; t++)
			assert_int_equal(soak_db_sample(db, id, m_ops, t, rate * (double)(k + 1) * t, true), 0);
		assert_int_equal(soak_db_run_end(db, id, "ok", NULL, NULL, NULL), 0);
	}
	assert_int_equal(soak_db_close_checked(db), 0);
}

static size_t saved(const char *path)
{
	char err[512];
	soak_db_t *db;
	soak_run_summary_t *sum;
	size_t n;
	assert_int_equal(soak_db_open(path, SOAK_DB_READ, &db, err, sizeof(err)), 0);
	assert_int_equal(soak_db_summaries(db, SOAK_HISTORY_SUMMARY_FORMAT, &sum, &n), 0);
	soak_summaries_free(sum, n);
	soak_db_close(db, NULL, 0);
	return n;
}

/* soak_history_load computes each run's throughput (known exactly), saves the
 * summaries in batches, reads them back unchanged, and stops when asked. */
static void test_load_batches(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-history.XXXXXX", path[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/h.db", dir);
	write_runs(path, 7, 1000);
	char err[512];
	soak_db_t *db;
	assert_int_equal(soak_db_open(path, SOAK_DB_READ, &db, err, sizeof(err)), 0);
	/* Asked to stop before the first run: nothing computed, nothing saved. */
	volatile sig_atomic_t stop = 1;
	soak_history_load_opts_t o = { .save_path = path, .batch = 3, .stop = &stop };
	soak_history_t h = { 0 };
	assert_int_equal(soak_history_load(db, &o, &h, err, sizeof(err)), -EINTR);
	assert_int_equal(h.runs, 0);
	assert_int_equal(saved(path), 0);
	soak_history_free(&h);
	stop = 0;
	for (int pass = 0; pass < 2; pass++) {   /* computed, then from run_summary */
		memset(&h, 0, sizeof(h));
		assert_int_equal(soak_history_load(db, &o, &h, err, sizeof(err)), 0);
		assert_int_equal(h.runs, 7);
		assert_int_equal(h.n, 1);
		assert_int_equal(saved(path), 7);   /* batches of 3, 3 and 1 */
		for (size_t k = 0; k < 7; k++)
			assert_true(fabs(h.s[0].p[k].v[SOAK_HM_TP] - 1000.0 * (double)(k + 1)) < 1e-9);
		soak_history_free(&h);
	}
	soak_db_close(db, NULL, 0);
	unlink(path);
	char side[80];
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	rmdir(dir);
}

/* A change's text gives each value's unit once: a CV (a percentage) and a
 * latency (formatted with its own unit) carry it already. */
static void test_cp_text_units(void **state)
{
	(void)state;
	soak_history_t h = { 0 };
	soak_hpoint_t p = { .run_id = 7, .night = "nightly-2026-01-02" };
	soak_hseries_t s = { .p = &p, .n = 1 };
	char t[512];
	soak_hchange_t c = { .metric = SOAK_HM_TP_CV, .point = 0, .regression = true,
			     .cp = { .p = 0.01, .mean_before = 5.0, .mean_after = 11.82, .change_pct = 136.4 } };
	soak_history_cp_text(&h, &s, &c, t, sizeof(t));
	if (!strstr(t, "(+5.00% -> +11.82%) at night")) {
		print_error("CV change: '%s'\n", t);
		fail();
	}
	c.metric = SOAK_HM_P99;
	c.cp.mean_before = 1000;
	c.cp.mean_after = 2500;
	soak_history_cp_text(&h, &s, &c, t, sizeof(t));
	assert_null(strstr(t, " ns ns"));
	assert_null(strstr(t, "s ns)"));
	c.metric = SOAK_HM_TP;
	c.cp.mean_before = 1e6;
	c.cp.mean_after = 2e6;
	soak_history_cp_text(&h, &s, &c, t, sizeof(t));
	if (!strstr(t, "(1 -> 2 M ops/s)")) {
		print_error("throughput change: '%s'\n", t);
		fail();
	}
}

/* Memory per run: a night, a label and the reason a metric is unmeasured
 * are held once for the history, not copied into every point (at 10,000
 * runs the copies were about 1 KB per run); the values stay each point's. */
static void test_points_share_strings(void **state)
{
	(void)state;
	soak_history_t h;
	make(&h, SOAK_HM_TP, 1e6, 1e6);
	const soak_hseries_t *s = &h.s[0];
	for (size_t i = 1; i < s->n; i++) {
		assert_ptr_equal(s->p[i].why[SOAK_HM_P99], s->p[0].why[SOAK_HM_P99]);
		assert_ptr_equal(s->p[i].why[SOAK_HM_RSS_MEAN], s->p[0].why[SOAK_HM_RSS_MEAN]);
		if (!strcmp(s->p[i].night, s->p[i - 1].night))
			assert_ptr_equal(s->p[i].night, s->p[i - 1].night);
		if (!strcmp(s->p[i].label, s->p[i - 1].label))
			assert_ptr_equal(s->p[i].label, s->p[i - 1].label);
		assert_ptr_not_equal(s->p[i].uuid, s->p[0].uuid);
	}
	assert_string_equal(s->p[0].why[SOAK_HM_P99], "not in this test");
	assert_string_equal(s->p[PER].night, "nightly-2026-01-02");
	soak_history_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rss_min_effect),
		cmocka_unit_test(test_syscalls_from_zero),
		cmocka_unit_test(test_cv_min_effect),
		cmocka_unit_test(test_throughput_constant_and_small),
		cmocka_unit_test(test_load_batches),
		cmocka_unit_test(test_cp_text_units),
		cmocka_unit_test(test_latency_resolution),
		cmocka_unit_test(test_newest_night_rerun),
		cmocka_unit_test(test_points_share_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
