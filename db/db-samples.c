/*
 * db-samples.c - one row per sample (schema v3).
 *
 * A run's probes are sampled together at each tick; the tick is one row of
 * sample_rows(run_id, t, v0..v63). sample_columns maps a run's columns to
 * metric ids (fixed for the run when it starts: the metrics its probes can
 * measure). A column is REAL: SQLite stores a whole number in it as a 1-8 byte
 * integer, an unmeasured value as NULL (one header byte). The `samples` view
 * turns the rows back into (run_id, metric_id, t, value), so plain sqlite3
 * queries written for schema v1 keep working; sample_values (schema v1's
 * samples table, kept as it was) holds single samples written one at a time
 * (soak_db_sample: exec --repeat steps) and every sample of runs recorded
 * before v3. docs/schema.md and docs/performance.md say why this layout.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

/* Enough room for the generated SQL below (64 columns). */
#define SQL_MAX 16384

static int append(char *buf, size_t *off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int append(char *buf, size_t *off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, SQL_MAX - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= SQL_MAX - *off)
		return -ENAMETOOLONG;
	*off += (size_t)n;
	return 0;
}

/* Migration to schema v3 (one row per sample): the tables and views whose
 * text depends on SOAK_DB_SAMPLE_COLS; migrate_sample_rows (schema.c) ran
 * first. */
int db_migrate_sample_rows(soak_db_t *db)
{
	char *sql = malloc(SQL_MAX);
	if (!sql)
		return db_fail(db, -ENOMEM, "creating the schema: out of memory");
	size_t off = 0;
	int r = append(sql, &off, "CREATE TABLE sample_rows ("
				  " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
				  " t REAL NOT NULL");
	for (int i = 0; r == 0 && i < SOAK_DB_SAMPLE_COLS; i++)
		r = append(sql, &off, ", v%d REAL", i);
	/* The views name the column map first (CROSS JOIN fixes the order):
	 * `WHERE metric = 'x'` then finds one column and scans the run's rows
	 * once, 0.2 s for a 60-minute 10 ms run, against 7.8 s when the planner
	 * put the rows outside. samples_named joins the names inside each arm so
	 * that such a WHERE reaches both arms of the UNION ALL. */
	char cases[SQL_MAX];   /* append() bounds writes by SQL_MAX */
	size_t coff = 0;
	if (r == 0)
		r = append(cases, &coff, "CASE c.col");
	for (int i = 0; r == 0 && i < SOAK_DB_SAMPLE_COLS; i++)
		r = append(cases, &coff, " WHEN %d THEN s.v%d", i, i);
	if (r == 0)
		r = append(cases, &coff, " END");
	if (r == 0)
		r = append(sql, &off, ", PRIMARY KEY (run_id, t)) WITHOUT ROWID;"
				      "CREATE VIEW samples AS"
				      " SELECT c.run_id AS run_id, c.metric_id AS metric_id, s.t AS t, %s AS value"
				      " FROM sample_columns c CROSS JOIN sample_rows s ON s.run_id = c.run_id"
				      " UNION ALL SELECT run_id, metric_id, t, value FROM sample_values;"
				      "CREATE VIEW samples_named AS"
				      " SELECT c.run_id AS run_id, m.name AS metric, m.unit AS unit, s.t AS t, %s AS value"
				      " FROM sample_columns c CROSS JOIN metrics m ON m.id = c.metric_id"
				      " CROSS JOIN sample_rows s ON s.run_id = c.run_id"
				      " UNION ALL SELECT v.run_id, m.name, m.unit, v.t, v.value"
				      " FROM sample_values v JOIN metrics m ON m.id = v.metric_id;", cases, cases);
	if (r < 0)
		r = db_fail(db, r, "creating the schema: generated SQL too long");
	else
		r = db_exec(db, sql, "creating the sample rows");
	free(sql);
	return r;
}

static void row_stmt_free(soak_db_t *db)
{
	sqlite3_finalize(db->row_stmt);
	db->row_stmt = NULL;
	db->row_run = 0;
	db->row_ncols = 0;
}

void db_samples_close(soak_db_t *db)
{
	row_stmt_free(db);
}

int soak_db_sample_columns(soak_db_t *db, int64_t run, const int64_t *metric_ids, size_t n)
{
	if (!db || (n && !metric_ids))
		return db ? db_fail(db, -EINVAL, "sample columns: no metrics given") : -EINVAL;
	if (n > SOAK_DB_SAMPLE_COLS)
		return db_fail(db, -E2BIG, "sample columns: %zu metrics, a row holds at most %d", n,
			       SOAK_DB_SAMPLE_COLS);
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	if ((r = db_run_check(db, run)) < 0)
		return r;
	sqlite3_stmt *st;
	if ((r = db_prepare(db, "INSERT INTO sample_columns(run_id, col, metric_id) VALUES(?1, ?2, ?3)", &st)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_int(st, 2, (int)i);
		sqlite3_bind_int64(st, 3, metric_ids[i]);
		r = db_step_done(db, st, "recording the sample columns");
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r == -ENOENT ? db_fail(db, -ENOENT, "sample columns of run %lld: a metric id is not registered",
					      (long long)run) : r;

	/* The one statement of the per-sample path, prepared once per run. */
	char *sql = malloc(SQL_MAX);
	if (!sql)
		return db_fail(db, -ENOMEM, "sample columns: out of memory");
	size_t off = 0;
	r = append(sql, &off, "INSERT OR REPLACE INTO sample_rows(run_id, t");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = append(sql, &off, ", v%zu", i);
	if (r == 0)
		r = append(sql, &off, ") VALUES(?1, ?2");
	for (size_t i = 0; r == 0 && i < n; i++)
		r = append(sql, &off, ", ?%zu", i + 3);
	if (r == 0)
		r = append(sql, &off, ")");
	row_stmt_free(db);
	if (r < 0) {
		r = db_fail(db, r, "sample columns: generated SQL too long");
	} else {
		int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->row_stmt, NULL);
		if (rc != SQLITE_OK) {
			db->row_stmt = NULL;
			r = db_sqlfail(db, rc, "preparing the sample statement");
		} else {
			db->row_run = run;
			db->row_ncols = n;
		}
	}
	free(sql);
	return r;
}

int soak_db_sample_row(soak_db_t *db, int64_t run, double t, const double *values)
{
	if (!db)
		return -EINVAL;
	if (!db->row_stmt || db->row_run != run)
		return db_fail(db, -EINVAL, "writing a sample row of run %lld: call soak_db_sample_columns first",
			       (long long)run);
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db->row_stmt;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_double(st, 2, t);
	/* SQLite binds NaN as NULL: unmeasured stays NULL, no branch needed. */
	for (size_t i = 0; i < db->row_ncols; i++)
		sqlite3_bind_double(st, (int)i + 3, values[i]);
	return db_step_done(db, st, "writing a sample row");
}

int soak_db_set_busy_timeout(soak_db_t *db, int ms)
{
	if (!db || ms < 0)
		return -EINVAL;
	int rc = sqlite3_busy_timeout(db->sql, ms);
	return rc == SQLITE_OK ? 0 : db_sqlfail(db, rc, "setting the busy timeout");
}

int soak_db_rollback(soak_db_t *db)
{
	if (!db)
		return -EINVAL;
	if (db->in_tx && !sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db->in_tx = false;
	return 0;
}

/* ---- reading ---- */

/* Grows a series' t and v arrays together (they share *cap). */
static int grow2(soak_series_t *s, size_t *cap)
{
	size_t cap_t = *cap;
	if (db_grow((void **)&s->t, &cap_t, s->n, sizeof(double)) < 0)
		return -ENOMEM;
	return db_grow((void **)&s->v, cap, s->n, sizeof(double));
}

/* col[i]: the column of metrics[i] in the rows of `run`, or -1 when it has
 * none; one query for all of them. */
static int metric_columns(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, int *col)
{
	for (size_t i = 0; i < n; i++)
		col[i] = -1;
	sqlite3_stmt *st;
	int r = db_prepare_cached(db, "SELECT m.name, c.col FROM sample_columns c JOIN metrics m ON m.id = c.metric_id"
				      " WHERE c.run_id = ?1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	int rc;
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		int c = sqlite3_column_int(st, 1);
		for (size_t i = 0; name && i < n; i++) {
			if (strcmp(metrics[i], name))
				continue;
			if (c < 0 || c >= SOAK_DB_SAMPLE_COLS)
				r = db_fail(db, -EINVAL, "database %s: run %lld maps %s to column %d, which does not exist",
					    db->path, (long long)run, name, c);
			else
				col[i] = c;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "reading the sample columns");
	db_release(st);
	return r;
}

/* Single samples (sample_values) of the metrics, appended to s[i] in time
 * order per metric; one query for all of them. */
static int read_singles(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, double t_from,
			soak_series_t *s, size_t *cap)
{
	sqlite3_stmt *st;
	int r = db_prepare_cached(db, "SELECT m.name, s.t, s.value FROM sample_values s JOIN metrics m ON m.id = s.metric_id"
				      " WHERE s.run_id = ?1 AND s.t >= ?2 ORDER BY m.name, s.t", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_double(st, 2, t_from);
	int rc;
	/* The rows come by name: the metrics a name matches are looked up once
	 * per name, not once per row (a strcmp per metric and row was a tenth
	 * of a cold history). */
	char prev[128] = "";
	bool *match = calloc(n ? n : 1, sizeof(bool));
	if (!match) {
		db_release(st);
		return db_fail(db, -ENOMEM, "reading series of run %lld: out of memory", (long long)run);
	}
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		double t = sqlite3_column_double(st, 1);
		double v = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
		if (!name)
			continue;
		if (!prev[0] || strcmp(prev, name)) {
			for (size_t i = 0; i < n; i++)
				match[i] = !strcmp(metrics[i], name);
			/* a name too long to keep is looked up on every row */
			snprintf(prev, sizeof(prev), "%s", strlen(name) < sizeof(prev) ? name : "");
		}
		for (size_t i = 0; i < n && r == 0; i++) {
			if (!match[i])
				continue;
			if (grow2(&s[i], &cap[i]) < 0) {
				r = db_fail(db, -ENOMEM, "reading %s of run %lld: out of memory", name, (long long)run);
				break;
			}
			s[i].t[s[i].n] = t;
			s[i].v[s[i].n++] = v;
		}
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "reading a series");
	free(match);
	db_release(st);
	return r;
}

/* In place: a (sorted, first na) and the rest (sorted) merged by t. */
static int merge_sorted(soak_series_t *s, size_t na)
{
	size_t nb = s->n - na;
	if (!na || !nb || s->t[na - 1] <= s->t[na])
		return 0;
	double *t = malloc(s->n * sizeof(double)), *v = malloc(s->n * sizeof(double));
	if (!t || !v) {
		free(t);
		free(v);
		return -ENOMEM;
	}
	size_t i = 0, j = na, k = 0;
	while (i < na || j < s->n) {
		bool a = j >= s->n || (i < na && s->t[i] <= s->t[j]);
		size_t from = a ? i++ : j++;
		t[k] = s->t[from];
		v[k++] = s->v[from];
	}
	free(s->t);
	free(s->v);
	s->t = t;
	s->v = v;
	return 0;
}

int soak_db_series_many(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, double t_from,
			soak_series_t *ret)
{
	if (!db || (n && (!metrics || !ret)))
		return db ? db_fail(db, -EINVAL, "reading series: no metrics given") : -EINVAL;
	int r = db_run_check(db, run);
	if (r < 0)
		return r;
	soak_series_t *s = calloc(n ? n : 1, sizeof(*s));
	size_t *cap = calloc(n ? n : 1, sizeof(*cap));
	int *col = calloc(n ? n : 1, sizeof(*col));
	char *sql = malloc(SQL_MAX);
	if (!s || !cap || !col || !sql) {
		r = db_fail(db, -ENOMEM, "reading series of run %lld: out of memory", (long long)run);
		goto out;
	}
	/* One scan of the run's rows reads every requested column. */
	size_t off = 0, ncols = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		if (!metrics[i])
			r = db_fail(db, -EINVAL, "reading series: metric %zu has no name", i);
	if (r == 0)
		r = metric_columns(db, run, metrics, n, col);
	if (r == 0)
		r = append(sql, &off, "SELECT t");
	for (size_t i = 0; i < n && r == 0; i++) {
		if (col[i] >= 0) {
			r = append(sql, &off, ", v%d", col[i]);
			ncols++;
		}
	}
	if (r == 0 && ncols)
		r = append(sql, &off, " FROM sample_rows WHERE run_id = ?1 AND t >= ?2 ORDER BY t");
	if (r == -ENAMETOOLONG)
		r = db_fail(db, r, "reading series: generated SQL too long");
	if (r == 0 && ncols) {
		sqlite3_stmt *st;
		if ((r = db_prepare_cached(db, sql, &st)) < 0)
			goto out;
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_double(st, 2, t_from);
		int rc;
		while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			double t = sqlite3_column_double(st, 0);
			for (size_t i = 0, k = 1; i < n; i++) {
				if (col[i] < 0)
					continue;
				if (grow2(&s[i], &cap[i]) < 0) {
					r = db_fail(db, -ENOMEM, "reading %s of run %lld: out of memory", metrics[i],
						    (long long)run);
					break;
				}
				int kk = (int)k++;
				s[i].t[s[i].n] = t;
				s[i].v[s[i].n] = sqlite3_column_type(st, kk) == SQLITE_NULL ? NAN
											   : sqlite3_column_double(st, kk);
				s[i].n++;
			}
		}
		if (r == 0 && rc != SQLITE_DONE)
			r = db_sqlfail(db, rc, "reading series");
		db_release(st);
	}
	/* Single samples after the rows' ones, then merged by time. */
	size_t *na = r == 0 ? malloc(n * sizeof(*na) + 1) : NULL;
	if (r == 0 && !na)
		r = db_fail(db, -ENOMEM, "reading series of run %lld: out of memory", (long long)run);
	for (size_t i = 0; i < n && r == 0; i++)
		na[i] = s[i].n;
	if (r == 0)
		r = read_singles(db, run, metrics, n, t_from, s, cap);
	for (size_t i = 0; i < n && r == 0; i++)
		if (merge_sorted(&s[i], na[i]) < 0)
			r = db_fail(db, -ENOMEM, "reading %s of run %lld: out of memory", metrics[i], (long long)run);
	free(na);
out:
	if (r < 0) {
		for (size_t i = 0; s && i < n; i++)
			soak_series_free(&s[i]);
	} else {
		memcpy(ret, s, n * sizeof(*s));
	}
	free(s);
	free(cap);
	free(col);
	free(sql);
	return r;
}

int soak_db_series(soak_db_t *db, int64_t run, const char *metric, double t_from, soak_series_t *ret)
{
	if (!metric || !ret)
		return db ? db_fail(db, -EINVAL, "reading a series: no metric given") : -EINVAL;
	return soak_db_series_many(db, run, &metric, 1, t_from, ret);
}

void soak_series_free(soak_series_t *s)
{
	if (!s)
		return;
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
