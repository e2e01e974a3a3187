/*
 * db-stmt.c - the bottom of db/: error text, one-off and cached statements,
 * and the transaction helpers every writer calls (db-internal.h). It calls
 * nothing else in db/, so the files above it (opening, schema, runs, samples,
 * writes, reads) all call down into it and never back up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "db-internal.h"

/* Statement texts, indexed by db_stmt_id_t. ST_RUN_INSERT is built from the
 * run field table by db-run.c, which prepares it through db_stmt_text(). */
static const char *const stmt_sql[ST__MAX] = {
	[ST_RUN_OBSERVED] = "UPDATE runs SET allocator_observed = ?2 WHERE id = ?1",
	[ST_RUN_WORKER_PID] = "UPDATE runs SET worker_pid = ?2 WHERE id = ?1",
	[ST_RUN_END] = "UPDATE runs SET status = ?2, ended_at = ?3, exit_code = ?4, signal = ?5,"
		       " message = ?6 WHERE id = ?1",
	[ST_RUN_EXISTS] = "SELECT 1 FROM runs WHERE id = ?1",
	[ST_METRIC_INSERT] = "INSERT INTO metrics(name, unit, kind, description) VALUES(?1, ?2, ?3, ?4)"
			     " ON CONFLICT(name) DO NOTHING",
	[ST_METRIC_ID] = "SELECT id FROM metrics WHERE name = ?1",
	[ST_UNAVAILABLE] = "INSERT INTO run_metrics(run_id, metric_id, reason) VALUES(?1, ?2, ?3)"
			   " ON CONFLICT(run_id, metric_id) DO UPDATE SET reason = excluded.reason",
	/* A second sample at the same t replaces the first (last write wins). */
	[ST_SAMPLE] = "INSERT OR REPLACE INTO sample_values(run_id, metric_id, t, value) VALUES(?1, ?2, ?3, ?4)",
	[ST_EVENT] = "INSERT INTO events(run_id, t, kind, detail) VALUES(?1, ?2, ?3, ?4)",
	[ST_VALUE] = "INSERT INTO run_values(run_id, name, value, reason) VALUES(?1, ?2, ?3, ?4)"
		     " ON CONFLICT(run_id, name) DO UPDATE SET value = excluded.value,"
		     " reason = excluded.reason",
	[ST_HIST] = "INSERT INTO histograms(run_id, name, t, data) VALUES(?1, ?2, ?3, ?4)"
		    " ON CONFLICT(run_id, name, t) DO UPDATE SET data = excluded.data",
	[ST_LOG] = "INSERT INTO logs(run_id, stream, data, truncated) VALUES(?1, ?2, ?3, ?4)",
};

int db_fail(soak_db_t *db, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
	return r;
}

int db_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_MISMATCH:
	case SQLITE_RANGE:
	case SQLITE_TOOBIG:
		return -EINVAL;
	case SQLITE_CONSTRAINT:
		/* A sample or event for a run or metric that does not exist. */
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return -ENOENT;
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -EINVAL;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	default:
		return -EIO;
	}
}

int db_sqlfail(soak_db_t *db, int rc, const char *what)
{
	int r = db_errno(rc);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return db_fail(db, r, "database %s is locked by another process (another soakctl?): "
				      "wait or use another --db", db->path);
	const char *msg = db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc);
	return db_fail(db, r, "database %s: %s: %s", db->path, what, msg);
}

int db_prepare(soak_db_t *db, const char *sql, sqlite3_stmt **ret)
{
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, ret, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(db, rc, "preparing a statement");
	return 0;
}

sqlite3_stmt *db_stmt_text(soak_db_t *db, db_stmt_id_t id, const char *sql, int *r)
{
	sqlite3_stmt *st = db->stmt[id];
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		*r = db_sqlfail(db, rc, "preparing a statement");
		db->stmt[id] = NULL;
		return NULL;
	}
	return db->stmt[id];
}

sqlite3_stmt *db_stmt(soak_db_t *db, db_stmt_id_t id, int *r)
{
	return db_stmt_text(db, id, stmt_sql[id], r);
}

int db_step_done(soak_db_t *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);
	int r = 0;
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		r = db_sqlfail(db, rc, what);
	sqlite3_reset(st);
	/* An I/O error or a full disk may have rolled the transaction back. */
	if (db->in_tx && sqlite3_get_autocommit(db->sql))
		db->in_tx = false;
	return r;
}

int db_exec(soak_db_t *db, const char *sql, const char *what)
{
	int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_sqlfail(db, rc, what);
	return 0;
}

int db_check_writable(soak_db_t *db)
{
	if (!db)
		return -EINVAL;
	if (db->mode != SOAK_DB_WRITE)
		return db_fail(db, -EROFS, "database %s is open read-only: writing needs SOAK_DB_WRITE",
			       db->path);
	return 0;
}

int db_write_begin(soak_db_t *db)
{
	int r = db_check_writable(db);
	if (r < 0)
		return r;
	if (db->in_tx && sqlite3_get_autocommit(db->sql))
		db->in_tx = false;
	if (db->in_tx)
		return 0;
	r = db_exec(db, "BEGIN IMMEDIATE", "starting a transaction");
	if (r < 0)
		return r;
	db->in_tx = true;
	return 0;
}

int soak_db_commit(soak_db_t *db)
{
	if (!db)
		return -EINVAL;
	if (db->in_tx && sqlite3_get_autocommit(db->sql))
		db->in_tx = false;
	if (!db->in_tx)
		return 0;
	int r = db_exec(db, "COMMIT", "committing");
	if (r == 0 || sqlite3_get_autocommit(db->sql))
		db->in_tx = false;
	return r;
}

/* synchronous may only change outside a transaction, hence the pending commit. */
int db_durable_begin(soak_db_t *db)
{
	int r = db_check_writable(db);
	if (r < 0)
		return r;
	r = soak_db_commit(db);
	if (r < 0)
		return r;
	r = db_exec(db, "PRAGMA synchronous = FULL", "setting synchronous");
	if (r < 0)
		return r;
	r = db_write_begin(db);
	if (r < 0)
		db_exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous");
	return r;
}

int db_durable_end(soak_db_t *db, bool commit)
{
	int r = 0;
	if (commit) {
		r = soak_db_commit(db);
	} else if (db->in_tx) {
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		db->in_tx = false;
	}
	if (db->in_tx) {
		/* The commit failed and left the transaction open: drop it so that
		 * synchronous can be restored and later writes start clean. */
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		db->in_tx = false;
	}
	sqlite3_exec(db->sql, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
	return r;
}

int db_run_check(soak_db_t *db, int64_t run)
{
	int r = 0;
	sqlite3_stmt *st = db_stmt(db, ST_RUN_EXISTS, &r);
	if (!st)
		return r;
	sqlite3_bind_int64(st, 1, run);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = db_fail(db, -ENOENT, "run %lld does not exist in database %s", (long long)run, db->path);
	else if (rc != SQLITE_ROW)
		r = db_sqlfail(db, rc, "looking up a run");
	sqlite3_reset(st);
	return r;
}

const char *soak_db_errmsg(const soak_db_t *db)
{
	if (!db)
		return "no database";
	return db->err;
}

/* FNV-1a of the statement's text. */
static uint64_t sql_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

int db_prepare_cached(soak_db_t *db, const char *sql, sqlite3_stmt **ret)
{
	uint64_t h = sql_hash(sql);
	for (size_t i = 0; i < DB_RCACHE; i++)
		if (db->rcache[i].sql && db->rcache[i].hash == h && !strcmp(db->rcache[i].sql, sql)) {
			sqlite3_reset(db->rcache[i].st);
			sqlite3_clear_bindings(db->rcache[i].st);
			*ret = db->rcache[i].st;
			return 0;
		}
	char *copy = strdup(sql);
	if (!copy)
		return db_fail(db, -ENOMEM, "preparing a statement: out of memory");
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		free(copy);
		return db_sqlfail(db, rc, "preparing a statement");
	}
	size_t k = db->rcache_next++ % DB_RCACHE;
	sqlite3_finalize(db->rcache[k].st);
	free(db->rcache[k].sql);
	db->rcache[k].sql = copy;
	db->rcache[k].hash = h;
	db->rcache[k].st = st;
	*ret = st;
	return 0;
}

void db_release(sqlite3_stmt *st)
{
	sqlite3_reset(st);
}
