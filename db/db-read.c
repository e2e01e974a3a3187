/*
 * db-read.c - what the reports read. Statements kept prepared (a history reads
 * every run with the same queries);
 * every function checks the run exists first so that a typo in a run id gives
 * -ENOENT naming it rather than an empty result.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

static int read_start(soak_db_t *db, int64_t run, const char *sql, sqlite3_stmt **st)
{
	if (!db)
		return -EINVAL;
	int r = db_run_check(db, run);
	if (r < 0)
		return r;
	if ((r = db_prepare_cached(db, sql, st)) < 0)
		return r;
	sqlite3_bind_int64(*st, 1, run);
	return 0;
}

/* Every row SQL gives for RUN (bound as ?1), each read by ROW into a new
 * array (db_read_rows); WHAT names the rows in messages. */
static int read_run_rows(soak_db_t *db, int64_t run, const char *what, const char *sql, size_t size,
			 db_row_fn row, db_rows_free_fn free_rows, void **ret, size_t *n)
{
	if (!ret || !n)
		return db ? db_fail(db, -EINVAL, "reading %s: no result given", what) : -EINVAL;
	sqlite3_stmt *st;
	int r = read_start(db, run, sql, &st);
	if (r < 0)
		return r;
	char msg[64];
	snprintf(msg, sizeof(msg), "reading %s of run %lld", what, (long long)run);
	r = db_read_rows(db, st, size, row, free_rows, msg, ret, n);
	db_release(st);
	return r;
}

static char *col_strdup(sqlite3_stmt *st, int k, bool *oom)
{
	const char *s = (const char *)sqlite3_column_text(st, k);
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

static int value_row(sqlite3_stmt *st, void *elem)
{
	soak_value_t *x = elem;
	bool oom = false;
	x->name = col_strdup(st, 0, &oom);
	x->valid = sqlite3_column_type(st, 1) != SQLITE_NULL;
	x->value = x->valid ? sqlite3_column_double(st, 1) : NAN;
	x->reason = col_strdup(st, 2, &oom);
	if (!oom)
		return 0;
	free(x->name);
	free(x->reason);
	return -ENOMEM;
}

static void values_free(void *v, size_t n)
{
	soak_values_free(v, n);
}

static int event_row(sqlite3_stmt *st, void *elem)
{
	soak_event_t *e = elem;
	bool oom = false;
	e->t = sqlite3_column_double(st, 0);
	e->kind = col_strdup(st, 1, &oom);
	e->detail = col_strdup(st, 2, &oom);
	if (!oom)
		return 0;
	free(e->kind);
	free(e->detail);
	return -ENOMEM;
}

static void events_free(void *v, size_t n)
{
	soak_events_free(v, n);
}

int soak_db_unavailable_reasons(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, char **why)
{
	if (n && (!metrics || !why))
		return db ? db_fail(db, -EINVAL, "reading reasons: no metrics given") : -EINVAL;
	for (size_t i = 0; i < n; i++)
		why[i] = NULL;
	sqlite3_stmt *st;
	int r = read_start(db, run,
			   "SELECT m.name, u.reason FROM run_metrics u JOIN metrics m ON m.id = u.metric_id"
			   " WHERE u.run_id = ?1", &st);
	if (r < 0)
		return r;
	int rc;
	bool oom = false;
	while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		for (size_t i = 0; name && i < n && !oom; i++)
			if (metrics[i] && !strcmp(metrics[i], name) && !why[i]) {
				const char *t = (const char *)sqlite3_column_text(st, 1);
				oom = !(why[i] = strdup(t ? t : ""));
			}
	}
	if (oom)
		r = db_fail(db, -ENOMEM, "reading reasons: out of memory");
	else if (rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "reading unavailable reasons");
	db_release(st);
	for (size_t i = 0; r < 0 && i < n; i++) {
		free(why[i]);
		why[i] = NULL;
	}
	return r;
}

int soak_db_unavailable_reason(soak_db_t *db, int64_t run, const char *metric, char *buf, size_t len)
{
	if (!metric)
		return db ? db_fail(db, -EINVAL, "reading a reason: no metric given") : -EINVAL;
	char *why;
	int r = soak_db_unavailable_reasons(db, run, &metric, 1, &why);
	if (r < 0)
		return r;
	if (!why)
		return db_fail(db, -ENOENT, "metric %s was not marked unavailable for run %lld", metric, (long long)run);
	if (buf && len)
		snprintf(buf, len, "%s", why);
	free(why);
	return 0;
}

int soak_db_values(soak_db_t *db, int64_t run, soak_value_t **ret, size_t *n)
{
	return read_run_rows(db, run, "values",
			     "SELECT name, value, reason FROM run_values WHERE run_id = ?1 ORDER BY name",
			     sizeof(**ret), value_row, values_free, (void **)ret, n);
}

void soak_values_free(soak_value_t *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].reason);
	}
	free(v);
}

int soak_db_get_hist(soak_db_t *db, int64_t run, const char *name, double t, soak_hist_t *ret,
		     double *ret_t)
{
	if (!name || !ret)
		return db ? db_fail(db, -EINVAL, "reading a histogram: no name given") : -EINVAL;
	sqlite3_stmt *st;
	int r = read_start(db, run,
			   "SELECT t, data FROM histograms WHERE run_id = ?1 AND name = ?2 AND (?3 < 0 OR t <= ?3)"
			   " ORDER BY t DESC LIMIT 1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 3, t);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		double at = sqlite3_column_double(st, 0);
		const char *text = (const char *)sqlite3_column_text(st, 1);
		/* Decode into a copy: *ret is an out-parameter, set only on success. */
		soak_hist_t *h = malloc(sizeof(*h));
		if (!h) {
			r = db_fail(db, -ENOMEM, "reading histogram %s: out of memory", name);
		} else if (!text || soak_hist_decode(h, text) < 0) {
			r = db_fail(db, -EINVAL, "histogram %s of run %lld at t=%.3f is corrupt", name, (long long)run,
				    at);
		} else {
			memcpy(ret, h, sizeof(*h));
			if (ret_t)
				*ret_t = at;
		}
		free(h);
	} else if (rc == SQLITE_DONE) {
		if (t < 0)
			r = db_fail(db, -ENOENT, "run %lld has no histogram %s", (long long)run, name);
		else
			r = db_fail(db, -ENOENT, "run %lld has no histogram %s at or before t=%.3f", (long long)run,
				    name, t);
	} else {
		r = db_sqlfail(db, rc, "reading a histogram");
	}
	db_release(st);
	return r;
}

int soak_db_events(soak_db_t *db, int64_t run, soak_event_t **ret, size_t *n)
{
	return read_run_rows(db, run, "events", "SELECT t, kind, detail FROM events WHERE run_id = ?1 ORDER BY t, id",
			     sizeof(**ret), event_row, events_free, (void **)ret, n);
}

void soak_events_free(soak_event_t *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].kind);
		free(e[i].detail);
	}
	free(e);
}

int soak_db_log_read(soak_db_t *db, int64_t run, const char *stream, char **ret, size_t *ret_len,
		     bool *ret_truncated)
{
	if (!stream || !ret)
		return db ? db_fail(db, -EINVAL, "reading a log: no stream given") : -EINVAL;
	sqlite3_stmt *st;
	int r = read_start(db, run, "SELECT data, truncated FROM logs WHERE run_id = ?1 AND stream = ?2 ORDER BY id",
			   &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 2, stream, -1, SQLITE_STATIC);
	char *buf = malloc(1);
	size_t len = 0;
	bool trunc = false;
	int rc = SQLITE_DONE;
	if (!buf)
		r = db_fail(db, -ENOMEM, "reading log %s of run %lld: out of memory", stream, (long long)run);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const void *d = sqlite3_column_blob(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *nb = realloc(buf, len + n + 1);
		if (!nb) {
			r = db_fail(db, -ENOMEM, "reading log %s of run %lld: out of memory", stream, (long long)run);
			break;
		}
		buf = nb;
		if (n)
			memcpy(buf + len, d, n);
		len += n;
		trunc |= sqlite3_column_int(st, 1) != 0;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "reading a log");
	db_release(st);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len)
		*ret_len = len;
	if (ret_truncated)
		*ret_truncated = trunc;
	return 0;
}
