/*
 * db-write.c - the runner's per-sample writes. Each joins the lazy write
 * transaction (db_write_begin) and uses a cached statement: a sample costs one
 * bind+step, no fsync; soak_db_commit() makes them durable together.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

/* A foreign-key failure does not say which parent is missing: find out. */
static int write_fail(soak_db_t *db, int r, int64_t run, int64_t metric, const char *what)
{
	if (r != -ENOENT)
		return r;
	if (db_run_check(db, run) < 0)
		return db_fail(db, -ENOENT, "%s: run %lld does not exist in database %s", what, (long long)run,
			       db->path);
	if (metric >= 0)
		return db_fail(db, -ENOENT, "%s: metric id %lld does not exist in database %s (register it with "
					    "soak_db_metric)", what, (long long)metric, db->path);
	return r;
}

int soak_db_metric(soak_db_t *db, const char *name, const char *unit, int kind, const char *desc,
		   int64_t *ret_id)
{
	if (!db || !name || !*name)
		return db ? db_fail(db, -EINVAL, "registering a metric: no name given") : -EINVAL;
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	/* The first registration defines a metric: runs recorded earlier keep
	 * the unit they were written with. */
	sqlite3_stmt *st = db_stmt(db, ST_METRIC_INSERT, &r);
	if (!st)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, unit, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, kind);
	sqlite3_bind_text(st, 4, desc, -1, SQLITE_STATIC);
	if ((r = db_step_done(db, st, "registering a metric")) < 0)
		return r;

	st = db_stmt(db, ST_METRIC_ID, &r);
	if (!st)
		return r;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ret_id)
			*ret_id = sqlite3_column_int64(st, 0);
	} else {
		r = db_sqlfail(db, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc, "looking up a metric");
	}
	sqlite3_reset(st);
	return r;
}

int soak_db_unavailable(soak_db_t *db, int64_t run, int64_t metric, const char *reason)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_UNAVAILABLE, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, metric);
	sqlite3_bind_text(st, 3, reason && *reason ? reason : "unavailable (no reason given)", -1, SQLITE_STATIC);
	r = db_step_done(db, st, "recording an unavailable metric");
	return r < 0 ? write_fail(db, r, run, metric, "recording an unavailable metric") : 0;
}

int soak_db_sample(soak_db_t *db, int64_t run, int64_t metric, double t, double value, bool valid)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_SAMPLE, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, metric);
	sqlite3_bind_double(st, 3, t);
	if (valid)
		sqlite3_bind_double(st, 4, value);   /* NaN is stored as NULL too */
	r = db_step_done(db, st, "writing a sample");
	return r < 0 ? write_fail(db, r, run, metric, "writing a sample") : 0;
}

int soak_db_event(soak_db_t *db, int64_t run, double t, const char *kind, const char *detail)
{
	if (!db || !kind)
		return db ? db_fail(db, -EINVAL, "recording an event: no kind given") : -EINVAL;
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_EVENT, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_double(st, 2, t);
	sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, detail, -1, SQLITE_STATIC);
	r = db_step_done(db, st, "recording an event");
	return r < 0 ? write_fail(db, r, run, -1, "recording an event") : 0;
}

int soak_db_value(soak_db_t *db, int64_t run, const char *name, double value, bool valid,
		  const char *reason)
{
	if (!db || !name)
		return db ? db_fail(db, -EINVAL, "recording a value: no name given") : -EINVAL;
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_VALUE, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (valid)
		sqlite3_bind_double(st, 3, value);
	sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
	r = db_step_done(db, st, "recording a value");
	return r < 0 ? write_fail(db, r, run, -1, "recording a value") : 0;
}

/* Bound on soak_hist_encode output: a header of four numbers, then at most
 * one " index:count" per bucket. */
#define HIST_TEXT_MAX (4 * 21 + SOAK_HIST_BUCKETS * (1 + 10 + 1 + 20) + 1)

int soak_db_hist(soak_db_t *db, int64_t run, const char *name, double t, const soak_hist_t *h)
{
	if (!db || !name || !h)
		return db ? db_fail(db, -EINVAL, "storing a histogram: no name or histogram given") : -EINVAL;
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	if (!db->buf) {
		if (!(db->buf = malloc(HIST_TEXT_MAX)))
			return db_fail(db, -ENOMEM, "storing histogram %s: out of memory", name);
		db->buflen = HIST_TEXT_MAX;
	}
	int n = soak_hist_encode(h, db->buf, db->buflen);
	if (n < 0)
		return db_fail(db, n, "storing histogram %s: cannot encode it", name);
	sqlite3_stmt *st = db_stmt(db, ST_HIST, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, t);
	sqlite3_bind_text(st, 4, db->buf, n, SQLITE_STATIC);
	r = db_step_done(db, st, "storing a histogram");
	return r < 0 ? write_fail(db, r, run, -1, "storing a histogram") : 0;
}

int soak_db_log(soak_db_t *db, int64_t run, const char *stream, const char *data, size_t len,
		bool truncated)
{
	if (!db || !stream || (!data && len))
		return db ? db_fail(db, -EINVAL, "storing a log chunk: no stream or data given") : -EINVAL;
	if (len == 0 && !truncated)
		return 0;
	if (len > INT32_MAX)
		return db_fail(db, -E2BIG, "storing a log chunk of %zu bytes: too large", len);
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_LOG, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	if (len)
		sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
	else
		sqlite3_bind_zeroblob(st, 3, 0);
	sqlite3_bind_int(st, 4, truncated);
	r = db_step_done(db, st, "storing a log chunk");
	return r < 0 ? write_fail(db, r, run, -1, "storing a log chunk") : 0;
}
