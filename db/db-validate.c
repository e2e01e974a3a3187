/*
 * db-validate.c - values no run can have. A database may come from anywhere
 * (a shard of another host, a copy edited by hand): a run whose record or
 * samples hold an impossible value is refused where it enters a history
 * (merge) and left out, with the reason, where a history is read, so it is
 * never averaged into one. "Impossible" is strict, never merely unusual: an
 * unknown status, a warm-up or duration beyond a year or negative (a
 * warm-up of -1 means "found at report time", SOAK_WARMUP_AUTO), a
 * non-positive interval, a negative sample (every metric counts or measures
 * something: bytes, operations, faults, ns; but step_exit_code, which is -1
 * for a command killed by a signal), a counter that goes down.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db-internal.h"

/* Every status a runner or recovery writes (runner/run-end.c, db-recover.c). */
#define DB_STATUSES "'running','ok','failed','crashed','oom-killed','timed-out','interrupted'," \
		    "'allocator-mismatch','verify-failed','incomplete'"
#define DB_YEAR_S "31622400"

static const char *const record_sql =
	"SELECT CASE"
	" WHEN status NOT IN (" DB_STATUSES ") THEN 'status ' || quote(status) || ' is not one soakctl writes'"
	" WHEN warmup_s IS NOT NULL AND warmup_s != -1 AND NOT (warmup_s >= 0 AND warmup_s <= " DB_YEAR_S ")"
	"  THEN 'warmup_s = ' || warmup_s || ' s is outside 0 .. one year (or -1: found at report time)'"
	" WHEN duration_s IS NOT NULL AND NOT (duration_s >= 0 AND duration_s <= " DB_YEAR_S ")"
	"  THEN 'duration_s = ' || duration_s || ' s is outside 0 .. one year'"
	" WHEN interval_s IS NOT NULL AND NOT (interval_s > 0 AND interval_s <= 86400)"
	"  THEN 'interval_s = ' || interval_s || ' s is outside (0, one day]'"
	" WHEN started_at NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*'"
	"  THEN 'started_at ' || quote(started_at) || ' is not a date'"
	" END FROM %s.runs WHERE id = ?1";

/* Samples come in two tables (db/schema.c): the wide sample_rows (one row
 * per tick, a column per metric, the columns named in sample_columns) and the
 * narrow sample_values. Negative samples are found in SQL on each table;
 * counters going down by one scan in key order (run_id, metric_id, t for
 * the narrow table, run_id, t for the wide one), compared in C. Through the
 * samples view (both tables as one, then lag() over a sort) the check was
 * more than half of a cold history's time, and lag() on the narrow table
 * alone still 0.35 ms a run. */
static const char *const narrow_neg_sql =
	"SELECT m.name || ' = ' || v.value || ' at t = ' || v.t || ' s is negative'"
	" FROM %s.sample_values v JOIN %s.metrics m ON m.id = v.metric_id"
	" WHERE v.run_id = ?1 AND ((v.value < 0 AND m.name != 'step_exit_code') OR v.t < 0) LIMIT 1";
static const char *const narrow_counter_sql =
	"SELECT v.metric_id, m.name, v.t, v.value FROM %s.sample_values v JOIN %s.metrics m ON m.id = v.metric_id"
	" WHERE v.run_id = ?1 AND m.kind = 1 ORDER BY v.metric_id, v.t";
static const char *const wide_cols_sql =
	"SELECT c.col, m.name, m.kind FROM %s.sample_columns c JOIN %s.metrics m ON m.id = c.metric_id"
	" WHERE c.run_id = ?1 AND c.col BETWEEN 0 AND 63 ORDER BY c.col";

/* The first row's text of the query fmt (for schema) about run: 1 with it in
 * why, 0 when none. With db, the statement is kept prepared (a history checks
 * every run it computes: preparing three statements per run cost 4 times
 * the computation itself). */
static int first_text(sqlite3 *sql, soak_db_t *db, const char *fmt, const char *schema, int64_t run, char *why,
		      size_t len)
{
	char q[1024];
	snprintf(q, sizeof(q), fmt, schema, schema);
	sqlite3_stmt *st;
	int rc = SQLITE_OK;
	if (db) {
		if (db_prepare_cached(db, q, &st) < 0)
			return -EIO;
	} else if ((rc = sqlite3_prepare_v2(sql, q, -1, &st, NULL)) != SQLITE_OK) {
		return db_errno(rc);
	}
	sqlite3_bind_int64(st, 1, run);
	int r = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		snprintf(why, len, "%s", (const char *)sqlite3_column_text(st, 0));
		r = 1;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		r = db_errno(rc);
	}
	if (db)
		db_release(st);
	else
		sqlite3_finalize(st);
	return r;
}

/* A statement: kept prepared with db, else prepared here (finish with done()). */
static int prep(sqlite3 *sql, soak_db_t *db, const char *q, sqlite3_stmt **st)
{
	if (db)
		return db_prepare_cached(db, q, st) < 0 ? -EIO : 0;
	int rc = sqlite3_prepare_v2(sql, q, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : db_errno(rc);
}

static void done(soak_db_t *db, sqlite3_stmt *st)
{
	if (db)
		db_release(st);
	else
		sqlite3_finalize(st);
}

/* A REAL as SQLite writes it in text (what the SQL messages show). */
static void real_text(double v, char *buf, size_t len)
{
	char *t = sqlite3_mprintf("%!.15g", v);
	snprintf(buf, len, "%s", t ? t : "?");
	sqlite3_free(t);
}

typedef struct {
	int col[64], n;
	char name[64][64];
	bool counter[64], may_be_negative[64];
} wide_cols_t;

static int wide_columns(sqlite3 *sql, soak_db_t *db, const char *schema, int64_t run, wide_cols_t *w)
{
	char q[512];
	snprintf(q, sizeof(q), wide_cols_sql, schema, schema);
	sqlite3_stmt *st;
	int r = prep(sql, db, q, &st), rc = SQLITE_DONE;
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	w->n = 0;
	while (w->n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		w->col[w->n] = sqlite3_column_int(st, 0);
		snprintf(w->name[w->n], sizeof(w->name[0]), "%s", name ? name : "?");
		w->counter[w->n] = sqlite3_column_int(st, 2) == 1;
		w->may_be_negative[w->n] = name && !strcmp(name, "step_exit_code");
		w->n++;
	}
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_errno(rc);
	done(db, st);
	return r;
}

/* One ordered scan of the run's wide rows: the first negative sample in neg,
 * the first counter going down in down (either may stay empty). */
static int wide_scan(sqlite3 *sql, soak_db_t *db, const char *schema, int64_t run, char *neg, char *down,
		     size_t len)
{
	wide_cols_t w;
	int r = wide_columns(sql, db, schema, run, &w);
	if (r < 0 || !w.n)
		return r;
	char q[1024];
	size_t off = (size_t)snprintf(q, sizeof(q), "SELECT t");
	for (int i = 0; i < w.n; i++)
		off += (size_t)snprintf(q + off, sizeof(q) - off, ", v%d", w.col[i]);
	snprintf(q + off, sizeof(q) - off, " FROM %s.sample_rows WHERE run_id = ?1 ORDER BY t", schema);
	sqlite3_stmt *st;
	if ((r = prep(sql, db, q, &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	double prev[64];
	bool have[64] = { false };
	char a[64], b[64], tt[64];
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !(neg[0] && down[0])) {
		double t = sqlite3_column_double(st, 0);
		for (int i = 0; i < w.n; i++) {
			if (sqlite3_column_type(st, i + 1) == SQLITE_NULL)
				continue;
			double v = sqlite3_column_double(st, i + 1);
			if (!neg[0] && ((v < 0 && !w.may_be_negative[i]) || t < 0)) {
				real_text(v, a, sizeof(a)), real_text(t, tt, sizeof(tt));
				snprintf(neg, len, "%s = %s at t = %s s is negative", w.name[i], a, tt);
			}
			if (!down[0] && w.counter[i] && have[i] && v < prev[i]) {
				real_text(prev[i], a, sizeof(a)), real_text(v, b, sizeof(b)), real_text(t, tt, sizeof(tt));
				snprintf(down, len, "%s goes down from %s to %s at t = %s s (a counter)", w.name[i], a, b, tt);
			}
			prev[i] = v, have[i] = true;
		}
	}
	r = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_errno(rc);
	done(db, st);
	return r;
}

/* The first counter of the narrow table going down, in down. */
static int narrow_down(sqlite3 *sql, soak_db_t *db, const char *schema, int64_t run, char *down, size_t len)
{
	char q[512];
	snprintf(q, sizeof(q), narrow_counter_sql, schema, schema);
	sqlite3_stmt *st;
	int r = prep(sql, db, q, &st), rc;
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	int64_t prev_id = 0;
	double prev = 0;
	bool have = false;
	while (!down[0] && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		bool null = sqlite3_column_type(st, 3) == SQLITE_NULL;
		double v = sqlite3_column_double(st, 3);
		if (have && id == prev_id && !null && v < prev) {
			char a[64], b[64], tt[64];
			const char *name = (const char *)sqlite3_column_text(st, 1);
			real_text(prev, a, sizeof(a)), real_text(v, b, sizeof(b));
			real_text(sqlite3_column_double(st, 2), tt, sizeof(tt));
			snprintf(down, len, "%s goes down from %s to %s at t = %s s (a counter)", name ? name : "?", a, b, tt);
		}
		/* as lag(): the row just before, even a NULL (which compares with nothing) */
		have = !null, prev = v, prev_id = id;
	}
	r = down[0] || rc == SQLITE_DONE ? 0 : db_errno(rc);
	done(db, st);
	return r;
}

/* The record, then a negative sample (narrow, then wide), then a counter
 * going down (narrow, then wide). 1 with why, 0, or -errno. */
static int run_impossible(sqlite3 *sql, soak_db_t *db, const char *schema, int64_t run, char *why, size_t len)
{
	char neg[512] = "", down[512] = "";
	int r = first_text(sql, db, record_sql, schema, run, why, len);
	if (r == 0)
		r = first_text(sql, db, narrow_neg_sql, schema, run, why, len);
	if (r == 0)
		r = wide_scan(sql, db, schema, run, neg, down, sizeof(neg));
	if (r == 0 && neg[0])
		return snprintf(why, len, "%s", neg), 1;
	if (r == 0 && !down[0]) {
		char nd[512] = "";
		r = narrow_down(sql, db, schema, run, nd, sizeof(nd));
		if (r == 0 && nd[0])
			return snprintf(why, len, "%s", nd), 1;
	}
	if (r == 0 && down[0])
		return snprintf(why, len, "%s", down), 1;
	return r;
}

int db_run_impossible(sqlite3 *sql, const char *schema, int64_t run, char *why, size_t len)
{
	return run_impossible(sql, NULL, schema, run, why, len);
}

int soak_db_run_impossible(soak_db_t *db, int64_t run, char *why, size_t len)
{
	int r = run_impossible(db->sql, db, "main", run, why, len);
	if (r < 0)
		return db_fail(db, r, "checking run %lld: %s", (long long)run, sqlite3_errmsg(db->sql));
	return r;
}
