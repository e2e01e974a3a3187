/* db-noise.c - the host's noise floor (table host_noise, schema version 5;
 * written by `soakctl calibrate`, read by reports and the gate). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "db-internal.h"

static void bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

int soak_db_noise_add(soak_db_t *db, const soak_noise_t *n, int64_t *ret_id)
{
	if (!db || !n || !n->host[0] || !n->measured_at[0] || !(n->interval_s > 0))
		return db ? db_fail(db, -EINVAL, "recording a noise floor: host, time or interval missing") : -EINVAL;
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->sql,
				    "INSERT INTO host_noise(host, kernel, measured_at, interval_s, duration_s, workload, "
				    "run_id, intervals, cv_pct, drift_pct) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(db, rc, "recording a noise floor");
	sqlite3_bind_text(st, 1, n->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->kernel[0] ? n->kernel : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->measured_at, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, n->interval_s);
	sqlite3_bind_double(st, 5, n->duration_s);
	sqlite3_bind_text(st, 6, n->workload, -1, SQLITE_STATIC);
	if (n->run_id > 0)
		sqlite3_bind_int64(st, 7, n->run_id);
	sqlite3_bind_int64(st, 8, n->intervals);
	bind_real(st, 9, n->cv_pct);
	bind_real(st, 10, n->drift_pct);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, rc, "recording a noise floor");
	if (ret_id)
		*ret_id = sqlite3_last_insert_rowid(db->sql);
	return 0;
}

static void col_text(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(buf, len, "%s", t ? (const char *)t : "");
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

int soak_db_noise_latest(soak_db_t *db, const char *host, double interval_s, soak_noise_t *ret)
{
	if (!db || !host || !ret || !(interval_s > 0))
		return db ? db_fail(db, -EINVAL, "reading a noise floor: no host or interval given") : -EINVAL;
	sqlite3_stmt *st;
	int r = db_prepare_cached(db,
				  "SELECT id, host, kernel, measured_at, interval_s, duration_s, workload, "
				  "coalesce(run_id, 0), intervals, cv_pct, drift_pct FROM host_noise "
				  "WHERE host = ?1 AND abs(interval_s - ?2) <= 0.01 * ?2 "
				  "ORDER BY measured_at DESC, id DESC LIMIT 1", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, interval_s);
	int rc = sqlite3_step(st);
	r = -ENOENT;
	if (rc == SQLITE_ROW) {
		soak_noise_t n = { 0 };
		n.id = sqlite3_column_int64(st, 0);
		col_text(st, 1, n.host, sizeof(n.host));
		col_text(st, 2, n.kernel, sizeof(n.kernel));
		col_text(st, 3, n.measured_at, sizeof(n.measured_at));
		n.interval_s = col_real(st, 4);
		n.duration_s = col_real(st, 5);
		col_text(st, 6, n.workload, sizeof(n.workload));
		n.run_id = sqlite3_column_int64(st, 7);
		n.intervals = sqlite3_column_int64(st, 8);
		n.cv_pct = col_real(st, 9);
		n.drift_pct = col_real(st, 10);
		*ret = n;
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = db_sqlfail(db, rc, "reading a noise floor");
	}
	db_release(st);
	return r;
}
