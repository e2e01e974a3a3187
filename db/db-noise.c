/* db-noise.c - the host's noise floor (table host_noise, schema version 5,
 * its conditions since 6; written by `soakctl calibrate`, read by reports
 * and the gate for the runs measured under the same conditions). */
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

/* spin's --pattern in a JSON array of arguments: ["--pattern", "alu"] or
 * ["--pattern=alu"]; the default when absent. */
static void args_pattern(const char *args, char *buf, size_t len)
{
	snprintf(buf, len, "%s", SOAK_NOISE_PATTERN_DEFAULT);
	const char *p = args ? strstr(args, "\"--pattern") : NULL;
	if (!p)
		return;
	p += strlen("\"--pattern");
	if (*p == '=') {
		p++;
	} else if (*p == '"') {
		p++;
		while (*p == ' ' || *p == ',')
			p++;
		if (*p++ != '"')
			return;
	} else {
		return;
	}
	size_t n = strcspn(p, "\"\\");
	if (n && n < len && p[n] == '"')
		snprintf(buf, len, "%.*s", (int)n, p);
}

void soak_noise_identity(const soak_run_t *r, soak_noise_t *n)
{
	snprintf(n->host, sizeof(n->host), "%s", r->host ? r->host : "");
	snprintf(n->kernel, sizeof(n->kernel), "%s", r->kernel ? r->kernel : "");
	snprintf(n->measured_at, sizeof(n->measured_at), "%s", r->started_at ? r->started_at : "");
	snprintf(n->host_class, sizeof(n->host_class), "%s", r->host_class ? r->host_class : "");
	snprintf(n->workload, sizeof(n->workload), "%s", r->workload ? r->workload : "spin");
	args_pattern(r->workload_args, n->pattern, sizeof(n->pattern));
	/* The limits as the run recorded them (absent: no limit). */
	n->has_memory_max = r->has_memory_max, n->memory_max = r->memory_max;
	n->has_swap_max = r->has_swap_max, n->swap_max = r->swap_max;
	n->has_cpu_max = r->has_cpu_max, n->cpu_max_pct = r->cpu_max_pct;
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
				    "run_id, intervals, cv_pct, drift_pct, host_class, memory_max, swap_max, cpu_max_pct, "
				    "pattern) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
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
	sqlite3_bind_text(st, 11, n->host_class[0] ? n->host_class : NULL, -1, SQLITE_STATIC);
	if (n->has_memory_max)
		sqlite3_bind_int64(st, 12, (int64_t)n->memory_max);
	if (n->has_swap_max)
		sqlite3_bind_int64(st, 13, (int64_t)n->swap_max);
	if (n->has_cpu_max)
		sqlite3_bind_double(st, 14, n->cpu_max_pct);
	sqlite3_bind_text(st, 15, n->pattern[0] ? n->pattern : NULL, -1, SQLITE_STATIC);
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

static void bind_limit(sqlite3_stmt *st, int i, bool has, double v)
{
	if (has)
		sqlite3_bind_double(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* Limits compare as numbers (an integer column against a bound double is
 * exact below 2^53); NULL matches NULL only. */
#define SAME_LIMIT(col, p) "((" col " IS NULL AND " p " IS NULL) OR abs(" col " - " p ") <= 1e-9 * abs(" p "))"

int soak_db_noise_for_run(soak_db_t *db, const soak_run_t *run, soak_noise_t *ret)
{
	if (!db || !run || !run->host || !ret || !(run->interval_s > 0))
		return db ? db_fail(db, -EINVAL, "reading a noise floor: no host or interval given") : -EINVAL;
	char pattern[32];
	if (run->workload && !strcmp(run->workload, "spin"))
		args_pattern(run->workload_args, pattern, sizeof(pattern));
	else
		snprintf(pattern, sizeof(pattern), "%s", SOAK_NOISE_PATTERN_DEFAULT);
	sqlite3_stmt *st;
	int r = db_prepare_cached(db,
				  "SELECT id, host, kernel, measured_at, interval_s, duration_s, workload, "
				  "coalesce(run_id, 0), intervals, cv_pct, drift_pct, host_class, memory_max, swap_max, "
				  "cpu_max_pct, pattern FROM host_noise "
				  "WHERE host = ?1 AND abs(interval_s - ?2) <= 0.01 * ?2 "
				  "AND (host_class = ?3 OR host_class IS NULL OR ?3 IS NULL) "
				  "AND coalesce(pattern, '" SOAK_NOISE_PATTERN_DEFAULT "') = ?4 "
				  "AND " SAME_LIMIT("memory_max", "?5") " AND " SAME_LIMIT("swap_max", "?6")
				  " AND " SAME_LIMIT("cpu_max_pct", "?7") " "
				  "ORDER BY abs(julianday(measured_at) - julianday(?8)), measured_at DESC, id DESC LIMIT 1",
				  &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, run->host, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, run->interval_s);
	sqlite3_bind_text(st, 3, run->host_class, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, pattern, -1, SQLITE_STATIC);
	bind_limit(st, 5, run->has_memory_max, (double)run->memory_max);
	bind_limit(st, 6, run->has_swap_max, (double)run->swap_max);
	bind_limit(st, 7, run->has_cpu_max, run->cpu_max_pct);
	sqlite3_bind_text(st, 8, run->started_at, -1, SQLITE_STATIC);
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
		col_text(st, 11, n.host_class, sizeof(n.host_class));
		n.has_memory_max = sqlite3_column_type(st, 12) != SQLITE_NULL;
		n.memory_max = (uint64_t)sqlite3_column_int64(st, 12);
		n.has_swap_max = sqlite3_column_type(st, 13) != SQLITE_NULL;
		n.swap_max = (uint64_t)sqlite3_column_int64(st, 13);
		n.has_cpu_max = sqlite3_column_type(st, 14) != SQLITE_NULL;
		n.cpu_max_pct = col_real(st, 14);
		col_text(st, 15, n.pattern, sizeof(n.pattern));
		*ret = n;
		r = 0;
	} else if (rc != SQLITE_DONE) {
		r = db_sqlfail(db, rc, "reading a noise floor");
	}
	db_release(st);
	return r;
}
