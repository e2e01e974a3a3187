/*
 * db-internal.h - shared by the files of db/ only (names db_*, never exported
 * through db.h).
 *
 * Calls run down, never back up: db-open.c opens through schema.c; schema.c,
 * db-run.c, db-samples.c, db-write.c, db-read.c and the rest call the
 * statement and transaction helpers of db-stmt.c, which calls nothing else
 * in db/. db/ only talks SQL: what it needs of the system (is a runner alive?)
 * comes from common/.
 *
 * Transactions: every write goes through db_write_begin(), which opens one
 * BEGIN IMMEDIATE transaction lazily; soak_db_commit() closes it. Run begin/end
 * and recovery use db_durable_begin()/db_durable_end() instead: they commit
 * whatever is pending, then write their change in a transaction of its own
 * committed with synchronous=FULL, so a run record survives even a power loss.
 */
#ifndef SOAK_DB_INTERNAL_H
#define SOAK_DB_INTERNAL_H

#include <sqlite3.h>
#include <stdarg.h>

#include "db.h"

#define DB_BUSY_TIMEOUT_MS 2000
/* PRAGMA application_id: 'SOAK'. Marks a file as ours whatever its version. */
#define DB_APPLICATION_ID 0x534f414b

/* Read statements kept prepared by their SQL text: parsing one costs more than
 * running it (a history reads thousands of runs with the same few queries). */
#define DB_RCACHE 32

/* Cached statements, prepared on first use (a READ db never prepares writes). */
typedef enum {
	ST_RUN_INSERT,
	ST_RUN_OBSERVED,
	ST_RUN_WORKER_PID,
	ST_RUN_END,
	ST_RUN_EXISTS,
	ST_METRIC_INSERT,
	ST_METRIC_ID,
	ST_UNAVAILABLE,
	ST_SAMPLE,
	ST_EVENT,
	ST_VALUE,
	ST_HIST,
	ST_LOG,
	ST__MAX
} db_stmt_id_t;

struct soak_db {
	sqlite3 *sql;
	char *path;
	int mode;
	int lock_fd;                 /* the file, flock()ed shared while open (db-lock.c), -1 none */
	bool created;                /* this open created the file */
	bool no_sidecars;            /* READ: no -wal/-shm existed before the open */
	bool immutable;              /* READ: opened immutable (nothing can write the file) */
	bool in_tx;                  /* the lazy write transaction is open */
	sqlite3_stmt *stmt[ST__MAX];
	sqlite3_stmt *row_stmt;      /* the sample-row insert of run row_run (db-samples.c) */
	int64_t row_run;
	size_t row_ncols;
	char *buf;                   /* soak_hist_encode scratch */
	size_t buflen;
	char err[512];
	struct {                     /* read statements kept prepared (db_prepare_cached) */
		char *sql;
		uint64_t hash;       /* of sql: most lookups compare no string */
		sqlite3_stmt *st;
	} rcache[DB_RCACHE];
	size_t rcache_next;          /* the slot replaced next when all are taken */
};

/* db-lock.c: a flock on the database file that follows a rename over it.
 * Shared for writers, exclusive for a merge into it; waits up to wait_s for
 * the other side. 0 with *ret_fd (close it to unlock), -EBUSY when the wait
 * ran out, or another negative errno. */
#define DB_LOCK_WAIT_S 30.0
int db_lock_file(const char *path, bool exclusive, double wait_s, int *ret_fd);

/* db-validate.c: 1 when run (in schema "main" or an attached "src") has a
 * value no run can have, with the reason in why; 0 when not; negative errno
 * on an SQL error. */
int db_run_impossible(sqlite3 *sql, const char *schema, int64_t run, char *why, size_t len);

/* Whether nothing can write the database file at path (a read-only file
 * system, or an unwritable directory without a WAL): read commands then open
 * it immutable (db-open.c). */
bool db_read_only_place(const char *path);

/* ---- db-stmt.c: the bottom of db/, calling nothing else in it ---- */

/* Sets db->err and returns r (negative errno). */
int db_fail(soak_db_t *db, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same for an SQLite result code: "database PATH: WHAT: sqlite text"; returns
 * the errno matching rc. */
int db_sqlfail(soak_db_t *db, int rc, const char *what);
int db_errno(int rc);

/* A cached statement, reset and with bindings cleared; NULL (and *r set) on error. */
sqlite3_stmt *db_stmt(soak_db_t *db, db_stmt_id_t id, int *r);
/* The same for a statement whose text its caller builds (ST_RUN_INSERT): sql
 * is prepared on first use only. */
sqlite3_stmt *db_stmt_text(soak_db_t *db, db_stmt_id_t id, const char *sql, int *r);
/* Steps st once (a row or done are both success), then resets it. */
int db_step_done(soak_db_t *db, sqlite3_stmt *st, const char *what);
/* Prepares a one-off statement. */
int db_prepare(soak_db_t *db, const char *sql, sqlite3_stmt **ret);
int db_exec(soak_db_t *db, const char *sql, const char *what);
/* A read statement kept prepared by its SQL text: reset, bindings cleared.
 * Give it back with db_release() (never finalize it); at most DB_RCACHE
 * different statements may be in use at once. */
int db_prepare_cached(soak_db_t *db, const char *sql, sqlite3_stmt **ret);
void db_release(sqlite3_stmt *st);

/* -EROFS unless the db was opened for writing. */
int db_check_writable(soak_db_t *db);
/* Opens the lazy write transaction if needed. */
int db_write_begin(soak_db_t *db);
int db_durable_begin(soak_db_t *db);
int db_durable_end(soak_db_t *db, bool commit);

/* -ENOENT (with a message naming the run) when run does not exist. */
int db_run_check(soak_db_t *db, int64_t run);

/* ---- db-run.c ---- */
/* Reads a run row: column 0 is id, the next ones follow db_run_columns(). */
int db_run_read(sqlite3_stmt *st, soak_run_t *r);
/* Steps ST (a query of db_run_columns) to its end, reading every row into a
 * new array *RET of *N runs. WHAT names the query in the error message. ST
 * stays the caller's to finalize. */
int db_runs_read_all(soak_db_t *db, sqlite3_stmt *st, const char *what, soak_run_t **ret, size_t *n);
/* "uuid,label,...": every soak_run_t column but id, in table order; returns
 * how many. */
size_t db_run_columns(char *buf, size_t len);

/* ---- db-samples.c: the v3 migration's generated part, and freeing its statement ---- */
int db_migrate_sample_rows(soak_db_t *db);
void db_samples_close(soak_db_t *db);
/* db-summary.c: tables computed from others (run_summary): never merged or compared, rebuilt on demand. */
bool db_table_is_derived(const char *name);

/* ---- schema.c (called by db-open.c only) ---- */
/* Checks the file, creates or migrates it (WRITE), no change on error. */
int db_schema_open(soak_db_t *db);

/* ---- db-util.c ---- */
void db_now(char buf[SOAK_DB_TIME_LEN]);
char *db_strdup(const char *s);
/* Grows the array *V of elements of SZ bytes, holding *CAP of them, so that
 * it holds at least N+1 (doubling). 0, or -ENOMEM with *V and *CAP unchanged. */
int db_grow(void **v, size_t *cap, size_t n, size_t sz);
/* Reads one row of ST into ELEM: 0, or -ENOMEM having freed what it took. */
typedef int (*db_row_fn)(sqlite3_stmt *st, void *elem);
/* Frees N rows read by a db_row_fn, and the array V. */
typedef void (*db_rows_free_fn)(void *v, size_t n);
/* Steps ST to its end, reading every row with READ_ROW into a new array of
 * elements of SIZE bytes: *RET of *N. On error the rows read so far are
 * freed with FREE_ROWS and the message names WHAT ("reading events of run
 * 3"). ST stays the caller's to reset or finalize. */
int db_read_rows(soak_db_t *db, sqlite3_stmt *st, size_t size, db_row_fn read_row, db_rows_free_fn free_rows,
		 const char *what, void **ret, size_t *n);

#endif
