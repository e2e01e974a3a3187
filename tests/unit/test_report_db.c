/* test_report_db.c - end to end: a small database built with the db write API
 * (as the runner would), then the loader + result, and `soakctl report` /
 * `soakctl runs` in-process with their exit codes. */
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
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "db.h"
#include "emit.h"
#include "result.h"
#include "soakctl.h"

#define MIB (1024.0 * 1024.0)

typedef struct {
	char dir[64];
	char db[128];
	char out[128];
} fx_t;

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol)) {
		print_error("got %.17g, want %.17g (tolerance %g)\n", got, want, tol);
		fail();
	}
}

static int64_t metric(soak_db_t *db, const char *name)
{
	int64_t id;
	assert_int_equal(soak_db_metric(db, name, "", 0, name, &id), 0);
	return id;
}

/*
 * Run 1 (ok): samples every second t = 0..11, warm-up ends at t = 2 (event),
 *   rss_bytes 8 MiB before t = 2, then 10 MiB for t 2..6 and 11 MiB for t 7..11
 *   (steady 10 samples: first-5 mean 10, last-5 mean 11, drift +10 %);
 *   ops_total 2e6 t (2 M ops/s flat, steady ops 22e6 - 4e6 = 18e6);
 *   sc_mmap 50 at t <= 2, +1 per second after, NULL at t = 5 -> steady
 *   59 - 50 = 9; sc_mlock unavailable; latency 10 x 500 ns at the warm-up
 *   end, +90 x 2000 ns at the end -> steady p50 = midpoint of [2000, 2007]
 *   = 2003.5, clamped to the window's exact max 2000.
 * Run 2 (oom-killed, signal 9): 3 samples, no latency.
 */
static void build_db(const char *path)
{
	char err[256];
	soak_db_t *db;
	assert_int_equal(soak_db_open(path, SOAK_DB_WRITE, &db, err, sizeof(err)), 0);
	soak_run_t run = { .label = "e2e", .allocator_name = "system", .workload = "random_mixed",
			   .workload_args = "[]", .duration_s = 10, .interval_s = 1, .warmup_s = 2,
			   .cgroup_mode = "hybrid", .runner_pid = getpid() };
	int64_t id;
	assert_int_equal(soak_db_run_begin(db, &run, &id), 0);
	assert_int_equal(id, 1);
	int64_t rss = metric(db, "rss_bytes"), ops = metric(db, "ops_total");
	int64_t mm = metric(db, "sc_mmap"), ml = metric(db, "sc_mlock");
	assert_int_equal(soak_db_unavailable(db, id, ml, "perf tracepoint sys_enter_mlock not found"), 0);
	for (int t = 0; t <= 11; t++) {
		double r = t < 2 ? 8 : t <= 6 ? 10 : 11;
		assert_int_equal(soak_db_sample(db, id, rss, t, r * MIB, true), 0);
		assert_int_equal(soak_db_sample(db, id, ops, t, 2e6 * t, true), 0);
		assert_int_equal(soak_db_sample(db, id, mm, t, t <= 2 ? 50 : 50 + (t - 2), t != 5), 0);
	}
	soak_hist_t h;
	soak_hist_init(&h);
	for (int i = 0; i < 10; i++)
		soak_hist_record(&h, 500);
	assert_int_equal(soak_db_event(db, id, 2, "warmup_end", NULL), 0);
	assert_int_equal(soak_db_hist(db, id, "latency", 2, &h), 0);
	for (int i = 0; i < 90; i++)
		soak_hist_record(&h, 2000);
	assert_int_equal(soak_db_hist(db, id, "latency", 11, &h), 0);
	assert_int_equal(soak_db_value(db, id, "peak_rss_bytes", 11.5 * MIB, true, NULL), 0);
	assert_int_equal(soak_db_value(db, id, "selfreport.SS_OS_STATS.syscalls_total", 60, true, NULL), 0);
	int code = 0;
	assert_int_equal(soak_db_run_end(db, id, "ok", &code, NULL, NULL), 0);

	run.label = "e2e-oom";
	assert_int_equal(soak_db_run_begin(db, &run, &id), 0);
	for (int t = 0; t <= 2; t++)
		assert_int_equal(soak_db_sample(db, id, rss, t, (t + 1) * 20 * MIB, true), 0);
	int sig = 9;
	assert_int_equal(soak_db_event(db, id, 2, "oom_kill", "the cgroup's oom_kill counter rose"), 0);
	assert_int_equal(soak_db_run_end(db, id, "oom-killed", NULL, &sig, "memory limit reached"), 0);
	assert_int_equal(soak_db_commit(db), 0);
	soak_db_close(db, NULL, 0);
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/soak-test-report-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/soak.db", f->dir);
	snprintf(f->out, sizeof(f->out), "%s/out", f->dir);
	build_db(f->db);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void test_loader_and_result(void **state)
{
	fx_t *f = *state;
	char err[256];
	soak_db_t *db;
	assert_int_equal(soak_db_open(f->db, SOAK_DB_READ, &db, err, sizeof(err)), 0);
	soak_run_t *runs;
	size_t n;
	soak_run_filter_t filt = { 0 };
	assert_int_equal(soak_db_runs(db, &filt, &runs, &n), 0);
	assert_int_equal(n, 2);

	soak_run_result_t r;
	assert_int_equal(soak_result_from_db(db, &runs[0], NULL, &r), 0);
	assert_string_equal(r.warmup_source, "warmup_end event");
	assert_near(r.warmup_s, 2, 0);
	assert_int_equal(r.samples, 10);
	assert_true(r.rss.drift_pct.valid);
	assert_near(r.rss.drift_pct.v, 10, 1e-9);
	assert_near(r.rss.peak.v, 11.5 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "peak_rss_bytes");
	assert_near(r.tp.mean.v, 2e6, 1e-6);
	assert_near(r.tp.cv_pct.v, 0, 1e-9);
	assert_near(r.tp.ops.v, 18e6, 0);
	/* The NULL sample at t = 5 is skipped; 59 at t 11 - 50 at t 2 = 9. */
	assert_true(r.sc[0].count.valid);
	assert_near(r.sc[0].count.v, 9, 0);
	assert_near(r.sc[0].per_op.v, 9 / 18e6, 1e-20);
	assert_false(r.sc[6].count.valid);
	assert_string_equal(r.sc[6].count.why, "perf tracepoint sys_enter_mlock not found");
	/* The total names the first base syscall it lacks. */
	assert_string_equal(r.sc_total.why, "munmap: sc_munmap was never recorded for this run");
	/* munmap: never registered for this run. */
	assert_string_equal(r.sc[1].count.why, "sc_munmap was never recorded for this run");
	assert_true(r.lat.p50_ns.valid);
	assert_near(r.lat.p50_ns.v, 2000, 0);
	assert_near(r.lat.count.v, 90, 0);
	assert_int_equal(r.n_self, 1);
	assert_near(r.self[0].total.v, 60, 0);
	soak_result_free(&r);

	assert_int_equal(soak_result_from_db(db, &runs[1], NULL, &r), 0);
	assert_true(r.partial);
	assert_string_equal(r.run.status, "oom-killed");
	assert_int_equal(r.samples, 1);
	assert_false(r.lat.p50_ns.valid);
	assert_false(r.tp.mean.valid);
	assert_near(r.rss.peak.v, 60 * MIB, 0);
	assert_string_equal(r.rss.peak_source, "rss_bytes");
	soak_result_free(&r);
	soak_runs_free(runs, n);
	soak_db_close(db, NULL, 0);
}

/* A torn or damaged histogram row makes latency unavailable with the db's
 * reason (or the window say so); it never fails the whole report. */
static void test_corrupt_histogram(void **state)
{
	fx_t *f = *state;
	sqlite3 *sql;
	assert_int_equal(sqlite3_open(f->db, &sql), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sql, "UPDATE histograms SET data = '3 0 1 1 5:2' WHERE t = 2",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(sql);
	char err[256];
	soak_db_t *db;
	assert_int_equal(soak_db_open(f->db, SOAK_DB_READ, &db, err, sizeof(err)), 0);
	soak_run_t *runs;
	size_t n;
	soak_run_filter_t filt = { 0 };
	assert_int_equal(soak_db_runs(db, &filt, &runs, &n), 0);
	soak_run_result_t r;
	assert_int_equal(soak_result_from_db(db, &runs[0], NULL, &r), 0);
	assert_near(r.lat.count.v, 100, 0);   /* whole run: 10 + 90 */
	assert_non_null(strstr(r.lat.window, "warm-up snapshot unusable"));
	assert_non_null(strstr(r.lat.window, "corrupt"));
	soak_result_free(&r);
	soak_runs_free(runs, n);
	soak_db_close(db, NULL, 0);

	assert_int_equal(sqlite3_open(f->db, &sql), SQLITE_OK);
	assert_int_equal(sqlite3_exec(sql, "UPDATE histograms SET data = 'garbage'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(sql);
	assert_int_equal(soak_db_open(f->db, SOAK_DB_READ, &db, err, sizeof(err)), 0);
	assert_int_equal(soak_db_runs(db, &filt, &runs, &n), 0);
	assert_int_equal(soak_result_from_db(db, &runs[0], NULL, &r), 0);
	assert_false(r.lat.p99_ns.valid);
	assert_non_null(strstr(r.lat.p99_ns.why, "corrupt"));
	soak_result_free(&r);
	soak_runs_free(runs, n);
	soak_db_close(db, NULL, 0);
}

static int cmd(int (*fn)(int, char **), const char *out, ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;
	va_start(ap, out);
	for (const char *a; argc < 31 && (a = va_arg(ap, const char *));)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	/* Capture stdout in a file when asked. */
	int saved = -1;
	if (out) {
		fflush(stdout);
		saved = dup(1);
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		close(fd);
	}
	int rc = fn(argc, argv);
	if (out) {
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
	}
	return rc;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void test_cmd_report(void **state)
{
	fx_t *f = *state;
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--format", "json",
			     "--output", f->out, "2", "1", NULL), 0);
	cJSON *doc = cJSON_Parse(slurp(f->out));
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *runs = cJSON_GetObjectItem(doc, "runs");
	assert_int_equal(cJSON_GetArraySize(runs), 2);
	/* In the order asked for. */
	cJSON *a = cJSON_GetArrayItem(runs, 0), *b = cJSON_GetArrayItem(runs, 1);
	assert_int_equal(cJSON_GetObjectItem(a, "id")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(a, "status")->valuestring, "oom-killed");
	assert_int_equal(cJSON_GetObjectItem(a, "signal")->valueint, 9);
	assert_int_equal(cJSON_GetObjectItem(b, "id")->valueint, 1);
	cJSON *mlock = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "syscalls"),
							       "by_name"), "mlock");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(mlock, "per_op")));
	assert_string_equal(cJSON_GetObjectItem(mlock, "per_op_unavailable")->valuestring,
			    "perf tracepoint sys_enter_mlock not found");
	assert_near(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "rss"), "drift_pct")->valuedouble, 10, 1e-9);
	cJSON_Delete(doc);

	/* Default: the latest run, Markdown, on stdout. */
	assert_int_equal(cmd(soak_cmd_report, f->out, "report", "--db", f->db, NULL), 0);
	char *md = slurp(f->out);
	assert_non_null(strstr(md, "| system #2 |"));
	assert_null(strstr(md, "| system #1 |"));
	assert_non_null(strstr(md, "system #2 is partial"));
	/* --label, CSV, --drift-k. */
	assert_int_equal(cmd(soak_cmd_report, f->out, "report", "--db", f->db, "--label", "e2e",
			     "--format", "csv", "--drift-k", "3", NULL), 0);
	char *csv = slurp(f->out);
	assert_int_equal(strncmp(csv, "id,uuid,", 8), 0);
	assert_non_null(strstr(csv, "\n1,"));
	assert_null(strstr(csv, "\n2,"));
	/* --latency-ccdf in Markdown. */
	assert_int_equal(cmd(soak_cmd_report, f->out, "report", "--db", f->db, "--latency-ccdf", "1",
			     NULL), 0);
	md = slurp(f->out);
	assert_non_null(strstr(md, "| Latency | Fraction of ops slower | Ops slower |"));
	assert_non_null(strstr(md, "| 1.00µs | 1 | 90 |\n| 2.00µs | 0 | 0 |\n"));
	assert_int_equal(cmd(soak_cmd_report, f->out, "report", "--help", NULL), 0);
	assert_non_null(strstr(slurp(f->out), "usage: soakctl report"));
}

static void test_cmd_report_errors(void **state)
{
	fx_t *f = *state;
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.db", f->dir);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "99", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "abc", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--bogus", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--format", "xml", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--drift-k", "0", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--label", "nope", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", f->db, "--latest", "1", NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", missing, NULL), 2);
	assert_int_equal(cmd(soak_cmd_report, NULL, "report", "--db", NULL), 2);
	assert_int_equal(access(missing, F_OK), -1);   /* a report never creates a database */
}

static void test_cmd_runs(void **state)
{
	fx_t *f = *state;
	assert_int_equal(cmd(soak_cmd_runs, f->out, "runs", "--db", f->db, "--format", "csv", NULL), 0);
	char *csv = slurp(f->out);
	assert_int_equal(strncmp(csv, "id,started_at,workload,allocator,label,status,duration_s\n1,", 59), 0);
	assert_non_null(strstr(csv, ",random_mixed,system,e2e-oom,oom-killed,"));
	assert_int_equal(cmd(soak_cmd_runs, f->out, "runs", "--db", f->db, "--label", "e2e", NULL), 0);
	char *md = slurp(f->out);
	assert_non_null(strstr(md, "| ID | Started (UTC) | Workload | Allocator | Label | Status | Duration |"));
	assert_null(strstr(md, "oom-killed"));
	assert_int_equal(cmd(soak_cmd_runs, f->out, "runs", "--db", f->db, "--format", "json", NULL), 0);
	cJSON *doc = cJSON_Parse(slurp(f->out));
	assert_non_null(doc);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "runs")), 2);
	cJSON_Delete(doc);
	assert_int_equal(cmd(soak_cmd_runs, NULL, "runs", "--db", f->db, "extra", NULL), 2);
	assert_int_equal(cmd(soak_cmd_runs, NULL, "runs", "--format", "yaml", NULL), 2);
	assert_int_equal(cmd(soak_cmd_runs, f->out, "runs", "-h", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_loader_and_result, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_histogram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_report_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cmd_runs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
