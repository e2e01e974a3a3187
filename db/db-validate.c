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

/* The first negative sample, then the first counter that goes down. */
static const char *const samples_sql =
	"SELECT m.name || ' = ' || s.value || ' at t = ' || s.t || ' s is negative'"
	" FROM %s.samples s JOIN %s.metrics m ON m.id = s.metric_id"
	" WHERE s.run_id = ?1 AND ((s.value < 0 AND m.name != 'step_exit_code') OR s.t < 0) LIMIT 1";
static const char *const counter_sql =
	"SELECT name || ' goes down from ' || prev || ' to ' || value || ' at t = ' || t || ' s (a counter)'"
	" FROM (SELECT m.name AS name, s.t AS t, s.value AS value,"
	"  lag(s.value) OVER (PARTITION BY s.metric_id ORDER BY s.t) AS prev"
	"  FROM %s.samples s JOIN %s.metrics m ON m.id = s.metric_id"
	"  WHERE s.run_id = ?1 AND m.kind = 1)"
	" WHERE value < prev LIMIT 1";

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

static int run_impossible(sqlite3 *sql, soak_db_t *db, const char *schema, int64_t run, char *why, size_t len)
{
	int r = first_text(sql, db, record_sql, schema, run, why, len);
	if (r == 0)
		r = first_text(sql, db, samples_sql, schema, run, why, len);
	if (r == 0)
		r = first_text(sql, db, counter_sql, schema, run, why, len);
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
