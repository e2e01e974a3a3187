/* db-open.c - opening and closing, error text, the statement cache and the
 * transaction helpers; see db.h and db-internal.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soak/outfile.h"

#include "db-internal.h"

/* Statement texts, indexed by db_stmt_id_t. ST_RUN_INSERT is built from the
 * run field table (db-run.c) instead. */
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

int db_prepare_cached(soak_db_t *db, const char *sql, sqlite3_stmt **ret)
{
	for (size_t i = 0; i < DB_RCACHE; i++)
		if (db->rcache[i].sql && !strcmp(db->rcache[i].sql, sql)) {
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
	db->rcache[k].st = st;
	*ret = st;
	return 0;
}

void db_release(sqlite3_stmt *st)
{
	sqlite3_reset(st);
}

sqlite3_stmt *db_stmt(soak_db_t *db, db_stmt_id_t id, int *r)
{
	sqlite3_stmt *st = db->stmt[id];
	if (st) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return st;
	}
	char ins[3072];
	const char *sql = stmt_sql[id];
	if (id == ST_RUN_INSERT) {
		char cols[2048];
		size_t n = db_run_columns(cols, sizeof(cols));
		int off = snprintf(ins, sizeof(ins), "INSERT INTO runs(%s) VALUES(?", cols);
		for (size_t i = 1; i < n && off > 0 && (size_t)off < sizeof(ins); i++)
			off += snprintf(ins + off, sizeof(ins) - (size_t)off, ",?");
		if (off > 0 && (size_t)off < sizeof(ins))
			snprintf(ins + off, sizeof(ins) - (size_t)off, ")");
		sql = ins;
	}
	int rc = sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &db->stmt[id], NULL);
	if (rc != SQLITE_OK) {
		*r = db_sqlfail(db, rc, "preparing a statement");
		db->stmt[id] = NULL;
		return NULL;
	}
	return db->stmt[id];
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

static void db_free(soak_db_t *db)
{
	for (int i = 0; i < ST__MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	for (int i = 0; i < DB_RCACHE; i++) {
		sqlite3_finalize(db->rcache[i].st);
		free(db->rcache[i].sql);
	}
	db_samples_close(db);
	/* close_v2: a statement leaked by a bug must not keep the file open forever. */
	sqlite3_close_v2(db->sql);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db->buf);
	free(db->path);
	free(db);
}

void soak_db_close(soak_db_t *db)
{
	if (!db)
		return;
	if (db->in_tx && soak_db_commit(db) < 0)
		fprintf(stderr, "soakctl: %s\n", db->err);
	db_free(db);
}

int soak_db_close_checked(soak_db_t *db)
{
	if (!db)
		return 0;
	int r = db->in_tx ? soak_db_commit(db) : 0;
	if (r == 0 && db->mode == SOAK_DB_WRITE) {
		/* Fold the WAL into the file now, where a full disk is an error:
		 * the close would do it too but say nothing when it fails. */
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
		int e = sqlite3_system_errno(db->sql);
		if (rc != SQLITE_OK)
			r = e ? -e : db_errno(rc);
		else if (log != done)
			r = -EBUSY;
	}
	if (r < 0 && db->in_tx)
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
	db_free(db);
	return r;
}

/* The database holds environments, command lines and logs: create it 0600
 * whatever the umask. SQLite gives its -wal and -shm files the database
 * file's mode. O_EXCL|O_NOFOLLOW: a symlink planted at the name is not
 * followed. */
static int db_create_private(soak_db_t *db)
{
	int fd = open(db->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, SOAK_FILE_MODE);
	if (fd < 0 && errno == EEXIST)
		return 0;   /* another soakctl created it first: open that one */
	if (fd < 0) {
		int e = errno;
		return db_fail(db, -e, "database %s cannot be created: %s", db->path, strerror(e));
	}
	int r = fchmod(fd, SOAK_FILE_MODE) == 0 ? 0 : -errno;
	close(fd);
	if (r < 0)
		return db_fail(db, r, "database %s: %s", db->path, strerror(-r));
	return 0;
}

static int db_open_conn(soak_db_t *db)
{
	struct stat s;
	if (stat(db->path, &s) == 0) {
		if (S_ISDIR(s.st_mode))
			return db_fail(db, -EISDIR, "database %s is a directory: pass --db FILE", db->path);
		/* SQLite would open a device or FIFO and create PATH-journal next to
		 * it (--db /dev/null made /dev/null-journal). */
		if (!S_ISREG(s.st_mode))
			return db_fail(db, -EINVAL, "database %s is %s, not a regular file: pass --db FILE",
				       db->path, S_ISCHR(s.st_mode) || S_ISBLK(s.st_mode) ? "a device" :
				       S_ISFIFO(s.st_mode) ? "a FIFO" : "a socket");
	} else if (errno != ENOENT) {
		return db_fail(db, -errno, "database %s: %s", db->path, strerror(errno));
	} else if (db->mode == SOAK_DB_READ) {
		/* SQLITE_OPEN_READONLY would not create it either, but this says why. */
		return db_fail(db, -ENOENT, "database %s does not exist: run `soakctl run` first or pass --db FILE",
			       db->path);
	} else {
		int r = db_create_private(db);
		if (r < 0)
			return r;
	}

	if (db->mode == SOAK_DB_WRITE) {
		int r = db_lock_file(db->path, false, DB_LOCK_WAIT_S, &db->lock_fd);
		if (r == -EBUSY)
			return db_fail(db, r, "database %s is being merged into by another soakctl (waited %.0f s): "
				       "try again when the merge has ended", db->path, DB_LOCK_WAIT_S);
		if (r < 0)
			return db_fail(db, r, "database %s: %s", db->path, strerror(-r));
	}
	/* NOMUTEX: a handle is used by one thread (db.h); SQLite's per-call
	 * connection mutex was ~16% of reading a long run (docs/performance.md). */
	int flags = (db->mode == SOAK_DB_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
		    SQLITE_OPEN_NOMUTEX;
	int rc = sqlite3_open_v2(db->path, &db->sql, flags, NULL);
	if (rc != SQLITE_OK) {
		int e = db->sql ? sqlite3_system_errno(db->sql) : 0;
		if (e)
			return db_fail(db, -e, "database %s cannot be %s: %s", db->path,
				       db->mode == SOAK_DB_WRITE ? "opened or created" : "opened", strerror(e));
		return db_sqlfail(db, rc, "opening");
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS);

	int r = db_schema_open(db);
	if (r < 0)
		return r;
	/* Connection settings, not stored in the file. */
	r = db_exec(db, "PRAGMA foreign_keys = ON", "enabling foreign keys");
	if (r < 0)
		return r;
	if (db->mode == SOAK_DB_WRITE)
		r = db_exec(db, "PRAGMA synchronous = NORMAL", "setting synchronous");
	return r;
}

int soak_db_open(const char *path, int mode, soak_db_t **ret, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!path || !ret || (mode != SOAK_DB_READ && mode != SOAK_DB_WRITE)) {
		if (err && errlen)
			snprintf(err, errlen, "soak_db_open: invalid arguments");
		return -EINVAL;
	}
	soak_db_t *db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		if (err && errlen)
			snprintf(err, errlen, "database %s: out of memory", path);
		return -ENOMEM;
	}
	db->mode = mode;
	db->lock_fd = -1;
	int r = db_open_conn(db);
	if (r < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s", db->err);
		if (db->in_tx)
			sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
		db_free(db);
		return r;
	}
	*ret = db;
	return 0;
}
