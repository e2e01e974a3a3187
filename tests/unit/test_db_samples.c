/* test_db_samples.c - one row per sample (schema v3): rows round-trip exactly
 * (NULL = unmeasured), the samples/samples_named views give plain-SQL readers
 * what schema v1 gave them, reading many metrics at once equals reading them
 * one by one, and a real schema-v1 file (tests/fixtures/db/schema-v1.db,
 * written by soakctl before v3) migrates with every sample intact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

typedef struct {
	char path[64];
	soak_db_t *db;
} fx_t;

static void rm_db(const char *path)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal" };
	char p[128];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, side[i]);
		unlink(p);
	}
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/soak-test-rows-XXXXXX");
	int fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	soak_db_close(f->db, NULL, 0);
	rm_db(f->path);
	free(f);
	return 0;
}

static soak_db_t *open_mode(const char *path, int mode)
{
	char err[512];
	soak_db_t *db = NULL;
	int r = soak_db_open(path, mode, &db, err, sizeof(err));
	if (r < 0)
		print_error("soak_db_open(%s): %s\n", path, err);
	assert_int_equal(r, 0);
	return db;
}

static int64_t new_run(soak_db_t *db)
{
	soak_run_t r = { .workload = "random_mixed", .interval_s = 0.01 };
	int64_t id;
	assert_int_equal(soak_db_run_begin(db, &r, &id), 0);
	return id;
}

static int64_t metric(soak_db_t *db, const char *name)
{
	int64_t id;
	assert_int_equal(soak_db_metric(db, name, "bytes", 0, NULL, &id), 0);
	return id;
}

/* One value of an SQL query over a raw connection, as text ("NULL" for NULL). */
static void sql1(const char *path, const char *sql, char *buf, size_t len)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	int rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		print_error("%s: %s\n", sql, sqlite3_errmsg(s));
	assert_int_equal(rc, SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	const char *v = (const char *)sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", v ? v : "NULL");
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void test_rows_roundtrip(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = f->db = open_mode(f->path, SOAK_DB_WRITE);
	int64_t run = new_run(db);
	int64_t ids[3] = { metric(db, "rss_bytes"), metric(db, "ops_total"), metric(db, "cpu_user_s") };
	const double rows[4][4] = {
		/* t, rss, ops, cpu: NAN = unmeasured; 0 must stay 0, not NULL */
		{ 0.0, 4096, 0, 0.25 },
		{ 0.01, NAN, 1e12, 0.26 },
		{ 0.02, 8192, 1e12 + 1, NAN },
		{ 0.03, -1, 3, 1e-300 },
	};
	/* Rows before columns: refused, with a reason. */
	assert_int_equal(soak_db_sample_row(db, run, 0, rows[0] + 1), -EINVAL);
	assert_non_null(strstr(soak_db_errmsg(db), "soak_db_sample_columns"));
	int64_t many[SOAK_DB_SAMPLE_COLS + 1] = { 0 };
	assert_int_equal(soak_db_sample_columns(db, run, many, SOAK_DB_SAMPLE_COLS + 1), -E2BIG);
	assert_int_equal(soak_db_sample_columns(db, run, ids, 3), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(soak_db_sample_row(db, run, rows[i][0], rows[i] + 1), 0);
	assert_int_equal(soak_db_commit(db), 0);

	static const char *const names[3] = { "rss_bytes", "ops_total", "cpu_user_s" };
	soak_series_t s[3];
	assert_int_equal(soak_db_series_many(db, run, names, 3, 0, s), 0);
	for (int m = 0; m < 3; m++) {
		assert_int_equal(s[m].n, 4);
		soak_series_t one;
		assert_int_equal(soak_db_series(db, run, names[m], 0, &one), 0);
		assert_int_equal(one.n, 4);
		for (int i = 0; i < 4; i++) {
			assert_true(s[m].t[i] == rows[i][0]);
			double want = rows[i][m + 1];
			if (isnan(want))
				assert_true(isnan(s[m].v[i]));
			else
				assert_true(s[m].v[i] == want);   /* exact: whole numbers come back as they went */
			assert_memory_equal(&one.v[i], &s[m].v[i], sizeof(double));
		}
		soak_series_free(&one);
		soak_series_free(&s[m]);
	}
	/* t_from cuts the same way for every metric. */
	assert_int_equal(soak_db_series_many(db, run, names, 3, 0.015, s), 0);
	for (int m = 0; m < 3; m++) {
		assert_int_equal(s[m].n, 2);
		soak_series_free(&s[m]);
	}
	/* Plain SQL, as docs/schema.md shows it. */
	char buf[64];
	sql1(f->path, "SELECT count(*) FROM samples_named WHERE run_id = 1", buf, sizeof(buf));
	assert_string_equal(buf, "12");
	sql1(f->path, "SELECT count(*) FROM samples_named WHERE run_id = 1 AND value IS NULL", buf, sizeof(buf));
	assert_string_equal(buf, "2");
	sql1(f->path, "SELECT value FROM samples_named WHERE metric = 'ops_total' AND t = 0.02", buf, sizeof(buf));
	assert_string_equal(buf, "1000000000001.0");
	sql1(f->path, "SELECT value FROM samples s JOIN metrics m ON m.id = s.metric_id"
		      " WHERE m.name = 'rss_bytes' AND s.t = 0.01", buf, sizeof(buf));
	assert_string_equal(buf, "NULL");
	sql1(f->path, "SELECT count(*) FROM sample_rows", buf, sizeof(buf));
	assert_string_equal(buf, "4");
}

/* Single samples (exec steps) and rows of one metric merge in time order. */
static void test_rows_and_singles(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = f->db = open_mode(f->path, SOAK_DB_WRITE);
	int64_t run = new_run(db);
	int64_t rss = metric(db, "rss_bytes"), step = metric(db, "step_wall_s");
	assert_int_equal(soak_db_sample_columns(db, run, &rss, 1), 0);
	for (int i = 0; i < 5; i++) {
		double v = 100.0 + i;
		assert_int_equal(soak_db_sample_row(db, run, i * 1.0, &v), 0);
	}
	assert_int_equal(soak_db_sample(db, run, step, 0.5, 0.4, true), 0);
	assert_int_equal(soak_db_sample(db, run, step, 2.5, 0, false), 0);
	/* An odd writer: one more rss value between two rows. */
	assert_int_equal(soak_db_sample(db, run, rss, 1.5, 7, true), 0);
	assert_int_equal(soak_db_commit(db), 0);
	static const char *const names[3] = { "step_wall_s", "rss_bytes", "no_such_metric" };
	soak_series_t s[3];
	assert_int_equal(soak_db_series_many(db, run, names, 3, 0, s), 0);
	assert_int_equal(s[0].n, 2);
	assert_true(s[0].t[0] == 0.5 && s[0].v[0] == 0.4);
	assert_true(s[0].t[1] == 2.5 && isnan(s[0].v[1]));
	assert_int_equal(s[1].n, 6);
	const double t[6] = { 0, 1, 1.5, 2, 3, 4 }, v[6] = { 100, 101, 7, 102, 103, 104 };
	for (int i = 0; i < 6; i++)
		assert_true(s[1].t[i] == t[i] && s[1].v[i] == v[i]);
	assert_int_equal(s[2].n, 0);
	for (int i = 0; i < 3; i++)
		soak_series_free(&s[i]);
	assert_int_equal(soak_db_series_many(db, run + 1, names, 3, 0, s), -ENOENT);
}

static void test_samples_lost(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = f->db = open_mode(f->path, SOAK_DB_WRITE);
	int64_t a = new_run(db), b = new_run(db);
	assert_int_equal(soak_db_run_set_samples_lost(db, a, 312), 0);
	assert_int_equal(soak_db_run_set_samples_lost(db, b + 5, 1), -ENOENT);
	assert_int_equal(soak_db_commit(db), 0);
	soak_run_t *runs;
	size_t n;
	assert_int_equal(soak_db_runs(db, NULL, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].samples_lost, 312);
	assert_int_equal(runs[1].samples_lost, 0);
	soak_runs_free(runs, n);
	char buf[32];
	sql1(f->path, "SELECT coalesce(samples_lost, 'none') FROM runs WHERE id = 2", buf, sizeof(buf));
	assert_string_equal(buf, "none");
}

/* The fixture was written by soakctl at schema v1 (6c97e4e): run 1 is
 * random_mixed for 1.5 s at 100 ms, run 2 exec --repeat (step samples). */
static void test_migrate_v1_file(void **state)
{
	fx_t *f = *state;
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cp %s/db/schema-v1.db %s", SOAK_FIXTURES, f->path);
	assert_int_equal(system(cmd), 0);

	/* Ground truth from the v1 table itself, before anything migrates. */
	char n_all[32], n_null[32], sum_rss[64], sum_steps[64], one[64], kinds[32];
	sql1(f->path, "PRAGMA user_version", kinds, sizeof(kinds));
	assert_string_equal(kinds, "1");
	sql1(f->path, "SELECT count(*) FROM samples", n_all, sizeof(n_all));
	sql1(f->path, "SELECT count(*) FROM samples WHERE value IS NULL", n_null, sizeof(n_null));
	sql1(f->path, "SELECT total(value) FROM samples_named WHERE metric = 'rss_bytes'", sum_rss, sizeof(sum_rss));
	sql1(f->path, "SELECT total(value) FROM samples_named WHERE metric LIKE 'step_%'", sum_steps,
	     sizeof(sum_steps));
	sql1(f->path, "SELECT group_concat(t || ':' || value) FROM (SELECT t, value FROM samples_named"
		      " WHERE run_id = 1 AND metric = 'ops_total' ORDER BY t)", one, sizeof(one));
	assert_true(atoi(n_all) > 500);

	/* A reader refuses it with a hint; a writer migrates it. */
	soak_db_t *rd = NULL;
	char err[512];
	assert_int_equal(soak_db_open(f->path, SOAK_DB_READ, &rd, err, sizeof(err)), -EPROTO);
	soak_db_t *db = f->db = open_mode(f->path, SOAK_DB_WRITE);
	char buf[64], want[16];
	snprintf(want, sizeof(want), "%d", SOAK_DB_SCHEMA_VERSION);
	sql1(f->path, "PRAGMA user_version", buf, sizeof(buf));
	assert_string_equal(buf, want);
	sql1(f->path, "SELECT value FROM meta WHERE key = 'schema_version'", buf, sizeof(buf));
	assert_string_equal(buf, want);

	/* Every v1 sample reads back the same through the same queries. */
	sql1(f->path, "SELECT count(*) FROM samples", buf, sizeof(buf));
	assert_string_equal(buf, n_all);
	sql1(f->path, "SELECT count(*) FROM samples WHERE value IS NULL", buf, sizeof(buf));
	assert_string_equal(buf, n_null);
	sql1(f->path, "SELECT total(value) FROM samples_named WHERE metric = 'rss_bytes'", buf, sizeof(buf));
	assert_string_equal(buf, sum_rss);
	sql1(f->path, "SELECT total(value) FROM samples_named WHERE metric LIKE 'step_%'", buf, sizeof(buf));
	assert_string_equal(buf, sum_steps);
	char got[64];
	sql1(f->path, "SELECT group_concat(t || ':' || value) FROM (SELECT t, value FROM samples_named"
		      " WHERE run_id = 1 AND metric = 'ops_total' ORDER BY t)", got, sizeof(got));
	assert_string_equal(got, one);

	/* ... and through the read API; the old runs have no samples_lost. */
	soak_series_t s;
	assert_int_equal(soak_db_series(db, 1, "ops_total", 0, &s), 0);
	assert_true(s.n > 10);
	soak_series_free(&s);
	soak_run_t *runs;
	size_t n;
	assert_int_equal(soak_db_runs(db, NULL, &runs, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(runs[0].status, "ok");
	assert_int_equal(runs[0].samples_lost, 0);
	soak_runs_free(runs, n);

	/* A new run in the migrated file uses rows, next to the old ones. */
	int64_t run = new_run(db), m = metric(db, "rss_bytes");
	assert_int_equal(soak_db_sample_columns(db, run, &m, 1), 0);
	double v = 5;
	assert_int_equal(soak_db_sample_row(db, run, 0.5, &v), 0);
	assert_int_equal(soak_db_commit(db), 0);
	snprintf(cmd, sizeof(cmd), "SELECT count(*) FROM samples_named WHERE run_id = %lld", (long long)run);
	sql1(f->path, cmd, buf, sizeof(buf));
	assert_string_equal(buf, "1");
	/* Reopening a migrated file changes nothing. */
	soak_db_close(db, NULL, 0);
	f->db = open_mode(f->path, SOAK_DB_WRITE);
	sql1(f->path, "SELECT count(*) FROM samples", buf, sizeof(buf));
	assert_int_equal(atoi(buf), atoi(n_all) + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_and_singles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_v1_file, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
