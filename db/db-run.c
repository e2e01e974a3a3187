/*
 * db-run.c - the runs table: one field table maps soak_run_t to columns, and
 * drives binding, reading and freeing, so a new field is one line here plus a
 * column (and a migration).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"
#include "soak/uuid.h"

typedef enum {
	F_TEXT,    /* char *, NULL <-> NULL */
	F_U64,     /* uint64_t with a has_ flag */
	F_I64,     /* int64_t with a has_ flag */
	F_INT,     /* int with a has_ flag */
	F_DOUBLE,  /* double; with a has_ flag, or else NAN <-> NULL */
	F_ID,      /* int64_t pid/tick: 0 <-> NULL */
} field_type_t;

typedef struct {
	const char *col;
	field_type_t type;
	size_t off;
	ptrdiff_t has;   /* offset of the bool has_ flag, or -1 */
} run_field_t;

#define T(c)        { #c, F_TEXT, offsetof(soak_run_t, c), -1 }
#define H(c, ty, h) { #c, ty, offsetof(soak_run_t, c), (ptrdiff_t)offsetof(soak_run_t, h) }
#define D(c)        { #c, F_DOUBLE, offsetof(soak_run_t, c), -1 }
#define P(c)        { #c, F_ID, offsetof(soak_run_t, c), -1 }

/* In the order of the CREATE TABLE (schema.c); id is handled apart. */
static const run_field_t run_fields[] = {
	T(uuid), T(label), T(comparison_id), T(host), T(kernel), T(suite_version), T(git_rev),
	T(cgroup_mode), T(cgroup_paths),
	H(memory_max, F_U64, has_memory_max), H(swap_max, F_U64, has_swap_max),
	H(cpu_max_pct, F_DOUBLE, has_cpu_max),
	T(allocator_name), T(allocator_path), T(allocator_env),
	H(allocator_size, F_I64, has_allocator_file), H(allocator_mtime, F_I64, has_allocator_file),
	T(allocator_sha256), T(allocator_observed), T(workload), T(workload_args),
	D(duration_s), D(interval_s), D(warmup_s),
	T(started_at), T(ended_at), T(status),
	H(exit_code, F_INT, has_exit_code), H(signal, F_INT, has_signal), T(message),
	P(runner_pid), P(runner_starttime), P(worker_pid),
	T(cgroup_placement),   /* schema 2 (migrate_placement) */
	P(samples_lost),       /* schema 3 (migrate_sample_rows: one row per tick) */
	/* schema 4 (ALTER TABLE ADD COLUMN: at the end) */
	T(cpu_model), H(cpu_cores, F_I64, has_cpu_cores), H(mem_total, F_I64, has_mem_total),
	T(host_class),
};
#define N_FIELDS (sizeof(run_fields) / sizeof(run_fields[0]))

#define FIELD(r, f, type) ((type *)((char *)(r) + (f)->off))

size_t db_run_columns(char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < N_FIELDS; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? "," : "", run_fields[i].col);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	return N_FIELDS;
}

/* "INSERT INTO runs(uuid,...) VALUES(?,...)" for the cached ST_RUN_INSERT. */
static void run_insert_sql(char *ins, size_t len)
{
	char cols[2048];
	size_t n = db_run_columns(cols, sizeof(cols));
	int off = snprintf(ins, len, "INSERT INTO runs(%s) VALUES(?", cols);
	for (size_t i = 1; i < n && off > 0 && (size_t)off < len; i++)
		off += snprintf(ins + off, len - (size_t)off, ",?");
	if (off > 0 && (size_t)off < len)
		snprintf(ins + off, len - (size_t)off, ")");
}

static bool field_has(const soak_run_t *r, const run_field_t *f)
{
	return f->has < 0 || *(const bool *)((const char *)r + f->has);
}

/* Binds every field to parameters 1..N_FIELDS. Text is bound SQLITE_STATIC:
 * the statement is stepped before r goes away. */
static int run_bind(soak_db_t *db, sqlite3_stmt *st, const soak_run_t *r)
{
	for (size_t i = 0; i < N_FIELDS; i++) {
		const run_field_t *f = &run_fields[i];
		int k = (int)i + 1;
		if (!field_has(r, f)) {
			sqlite3_bind_null(st, k);
			continue;
		}
		switch (f->type) {
		case F_TEXT:
			sqlite3_bind_text(st, k, *FIELD(r, f, char *const), -1, SQLITE_STATIC);
			break;
		case F_U64: {
			uint64_t v = *FIELD(r, f, const uint64_t);
			if (v > INT64_MAX)
				return db_fail(db, -ERANGE, "run field %s: %llu is too large to store", f->col,
					       (unsigned long long)v);
			sqlite3_bind_int64(st, k, (int64_t)v);
			break;
		}
		case F_I64:
			sqlite3_bind_int64(st, k, *FIELD(r, f, const int64_t));
			break;
		case F_INT:
			sqlite3_bind_int(st, k, *FIELD(r, f, const int));
			break;
		case F_DOUBLE:
			/* SQLite stores NaN as NULL, which is what absent means. */
			sqlite3_bind_double(st, k, *FIELD(r, f, const double));
			break;
		case F_ID: {
			int64_t v = *FIELD(r, f, const int64_t);
			if (v)
				sqlite3_bind_int64(st, k, v);
			else
				sqlite3_bind_null(st, k);
			break;
		}
		}
	}
	return 0;
}

int db_run_read(sqlite3_stmt *st, soak_run_t *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	for (size_t i = 0; i < N_FIELDS; i++) {
		const run_field_t *f = &run_fields[i];
		int k = (int)i + 1;
		bool null = sqlite3_column_type(st, k) == SQLITE_NULL;
		if (f->has >= 0 && !null)
			*(bool *)((char *)r + f->has) = true;
		switch (f->type) {
		case F_TEXT:
			if (!null) {
				char *s = strdup((const char *)sqlite3_column_text(st, k));
				if (!s) {
					soak_run_free(r);
					return -ENOMEM;
				}
				*FIELD(r, f, char *) = s;
			}
			break;
		case F_U64:
			*FIELD(r, f, uint64_t) = null ? 0 : (uint64_t)sqlite3_column_int64(st, k);
			break;
		case F_I64:
		case F_ID:
			*FIELD(r, f, int64_t) = null ? 0 : sqlite3_column_int64(st, k);
			break;
		case F_INT:
			*FIELD(r, f, int) = null ? 0 : sqlite3_column_int(st, k);
			break;
		case F_DOUBLE:
			*FIELD(r, f, double) = null ? (f->has < 0 ? NAN : 0.0) : sqlite3_column_double(st, k);
			break;
		}
	}
	return 0;
}

void soak_run_free(soak_run_t *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < N_FIELDS; i++)
		if (run_fields[i].type == F_TEXT)
			free(*FIELD(r, &run_fields[i], char *));
	memset(r, 0, sizeof(*r));
}

void soak_runs_free(soak_run_t *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++)
		soak_run_free(&runs[i]);
	free(runs);
}

int soak_db_run_begin(soak_db_t *db, const soak_run_t *run, int64_t *ret_id)
{
	if (!db || !run)
		return -EINVAL;
	int r = db_check_writable(db);
	if (r < 0)
		return r;
	soak_run_t x = *run;
	char uuid[37], now[SOAK_DB_TIME_LEN];
	if (!x.uuid) {
		if ((r = soak_uuid4(uuid)) < 0)
			return db_fail(db, r, "cannot generate a run uuid: getrandom: %s", strerror(-r));
		x.uuid = uuid;
	}
	if (!x.started_at) {
		db_now(now);
		x.started_at = now;
	}
	if (!x.status)
		x.status = "running";

	if ((r = db_durable_begin(db)) < 0)
		return r;
	char ins[3072];
	run_insert_sql(ins, sizeof(ins));
	sqlite3_stmt *st = db_stmt_text(db, ST_RUN_INSERT, ins, &r);
	if (st && (r = run_bind(db, st, &x)) == 0)
		r = db_step_done(db, st, "recording a run");
	int64_t id = sqlite3_last_insert_rowid(db->sql);
	if (st)
		sqlite3_clear_bindings(st);
	int r2 = db_durable_end(db, r == 0);
	if (r == 0)
		r = r2;
	if (r == 0 && ret_id)
		*ret_id = id;
	return r;
}

/* Steps ST, an UPDATE of run RUN (WHAT names it in an error): -ENOENT when
 * no such run exists. */
static int run_update_done(soak_db_t *db, sqlite3_stmt *st, int64_t run, const char *what)
{
	int r = db_step_done(db, st, what);
	if (r == 0 && sqlite3_changes(db->sql) == 0)
		r = db_fail(db, -ENOENT, "run %lld does not exist in database %s", (long long)run, db->path);
	return r;
}

int soak_db_run_set_observed(soak_db_t *db, int64_t run, const char *observed)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_RUN_OBSERVED, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_text(st, 2, observed, -1, SQLITE_STATIC);
	return run_update_done(db, st, run, "recording the observed allocator");
}

int soak_db_run_set_worker_pid(soak_db_t *db, int64_t run, int64_t pid)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_RUN_WORKER_PID, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, pid);
	return run_update_done(db, st, run, "recording the worker pid");
}

int soak_db_run_set_samples_lost(soak_db_t *db, int64_t run, int64_t lost)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	if ((r = db_prepare(db, "UPDATE runs SET samples_lost = ?2 WHERE id = ?1", &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	if (lost > 0)
		sqlite3_bind_int64(st, 2, lost);
	r = run_update_done(db, st, run, "recording lost samples");
	sqlite3_finalize(st);
	return r;
}

int soak_db_run_end(soak_db_t *db, int64_t run, const char *status, const int *exit_code,
		    const int *signal, const char *message)
{
	if (!db)
		return -EINVAL;
	if (!status)
		return db_fail(db, -EINVAL, "ending run %lld: no status given", (long long)run);
	char now[SOAK_DB_TIME_LEN];
	db_now(now);
	int r = db_durable_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st = db_stmt(db, ST_RUN_END, &r);
	if (st) {
		sqlite3_bind_int64(st, 1, run);
		sqlite3_bind_text(st, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
		if (exit_code)
			sqlite3_bind_int(st, 4, *exit_code);
		if (signal)
			sqlite3_bind_int(st, 5, *signal);
		sqlite3_bind_text(st, 6, message, -1, SQLITE_STATIC);
		r = run_update_done(db, st, run, "recording the end of a run");
		sqlite3_clear_bindings(st);
	}
	int r2 = db_durable_end(db, r == 0);
	return r < 0 ? r : r2;
}

/* SQL for soak_db_runs; the explicit ids travel as one JSON array so that any
 * number of them fits one statement. */
static int runs_query(soak_db_t *db, const soak_run_filter_t *f, sqlite3_stmt **ret)
{
	char cols[2048], sql[2560];
	db_run_columns(cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT id,%s FROM runs WHERE (?1 IS NULL OR label = ?1)"
		 " AND (?2 IS NULL OR comparison_id = ?2)"
		 " AND (?3 IS NULL OR id IN (SELECT value FROM json_each(?3)))"
		 " ORDER BY id %s", cols, f->latest ? "DESC LIMIT 1" : "ASC");
	int r = db_prepare(db, sql, ret);
	if (r < 0)
		return r;
	sqlite3_bind_text(*ret, 1, f->label, -1, SQLITE_STATIC);
	sqlite3_bind_text(*ret, 2, f->comparison_id, -1, SQLITE_STATIC);
	if (f->n_ids) {
		size_t len = 3 + f->n_ids * 21;
		char *ids = malloc(len), *p = ids;
		if (!ids) {
			sqlite3_finalize(*ret);
			return db_fail(db, -ENOMEM, "listing runs: out of memory");
		}
		*p++ = '[';
		for (size_t i = 0; i < f->n_ids; i++)
			p += sprintf(p, "%s%lld", i ? "," : "", (long long)f->ids[i]);
		*p++ = ']';
		*p = '\0';
		sqlite3_bind_text(*ret, 3, ids, -1, free);
	}
	return 0;
}

int soak_db_runs(soak_db_t *db, const soak_run_filter_t *f, soak_run_t **ret, size_t *n)
{
	static const soak_run_filter_t all;
	if (!db || !ret || !n)
		return -EINVAL;
	if (!f)
		f = &all;
	int r;
	for (size_t i = 0; i < f->n_ids; i++)
		if ((r = db_run_check(db, f->ids[i])) < 0)
			return r;

	sqlite3_stmt *st;
	if ((r = runs_query(db, f, &st)) < 0)
		return r;
	r = db_runs_read_all(db, st, "listing runs", ret, n);
	sqlite3_finalize(st);
	return r;
}

static int run_row(sqlite3_stmt *st, void *elem)
{
	return db_run_read(st, elem);
}

static void runs_free(void *v, size_t n)
{
	soak_runs_free(v, n);
}

int db_runs_read_all(soak_db_t *db, sqlite3_stmt *st, const char *what, soak_run_t **ret, size_t *n)
{
	return db_read_rows(db, st, sizeof(**ret), run_row, runs_free, what, (void **)ret, n);
}

int soak_db_runs_each(soak_db_t *db, int (*fn)(const soak_run_t *run, void *arg), void *arg)
{
	if (!db || !fn)
		return -EINVAL;
	char cols[2048], sql[2304];
	db_run_columns(cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT id,%s FROM runs ORDER BY coalesce(started_at, ''), id", cols);
	sqlite3_stmt *st;
	int r = db_prepare(db, sql, &st);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		soak_run_t run;
		if (db_run_read(st, &run) < 0) {
			r = db_fail(db, -ENOMEM, "listing runs: out of memory");
			break;
		}
		r = fn(&run, arg);
		soak_run_free(&run);
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "listing runs");
	sqlite3_finalize(st);
	return r;
}
