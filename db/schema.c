/*
 * schema.c - recognising, creating and migrating the database file.
 *
 * A file is ours when PRAGMA application_id is 'SOAK' (set with the first
 * schema and never changed), so an unrelated SQLite file is refused whatever
 * its user_version. The schema version is PRAGMA user_version; the migrations
 * table below takes a file from version N-1 to N, in one transaction together
 * with everything before it. Version 2 adds one entry (SQL and/or a function).
 *
 * Every check runs before anything is written, so refusing a file leaves it
 * byte-for-byte unchanged; the first write (journal_mode=WAL) happens only
 * once the file is known to be empty or ours.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "db-internal.h"

/* Columns are documented in docs/schema.md: keep both in step. */
static const char schema_v1[] =
	"CREATE TABLE meta ("
	"  key   TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT"
	");"
	"CREATE TABLE runs ("
	"  id                 INTEGER PRIMARY KEY,"
	"  uuid               TEXT NOT NULL UNIQUE,"
	"  label              TEXT,"
	"  comparison_id      TEXT,"
	"  host               TEXT,"
	"  kernel             TEXT,"
	"  suite_version      TEXT,"
	"  git_rev            TEXT,"
	"  cgroup_mode        TEXT,"
	"  cgroup_paths       TEXT,"
	"  memory_max         INTEGER,"
	"  swap_max           INTEGER,"
	"  cpu_max_pct        REAL,"
	"  allocator_name     TEXT,"
	"  allocator_path     TEXT,"
	"  allocator_env      TEXT,"
	"  allocator_size     INTEGER,"
	"  allocator_mtime    INTEGER,"
	"  allocator_sha256   TEXT,"
	"  allocator_observed TEXT,"
	"  workload           TEXT,"
	"  workload_args      TEXT,"
	"  duration_s         REAL,"
	"  interval_s         REAL,"
	"  warmup_s           REAL,"
	"  started_at         TEXT NOT NULL,"
	"  ended_at           TEXT,"
	"  status             TEXT NOT NULL,"
	"  exit_code          INTEGER,"
	"  signal             INTEGER,"
	"  message            TEXT,"
	"  runner_pid         INTEGER,"
	"  runner_starttime   INTEGER,"
	"  worker_pid         INTEGER"
	");"
	"CREATE INDEX runs_label ON runs(label);"
	"CREATE INDEX runs_comparison ON runs(comparison_id);"
	"CREATE INDEX runs_status ON runs(status);"
	"CREATE TABLE metrics ("
	"  id          INTEGER PRIMARY KEY,"
	"  name        TEXT NOT NULL UNIQUE,"
	"  unit        TEXT,"
	"  kind        INTEGER NOT NULL,"
	"  description TEXT"
	");"
	"CREATE TABLE samples ("
	"  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  metric_id INTEGER NOT NULL REFERENCES metrics(id),"
	"  t         REAL NOT NULL,"
	"  value     REAL,"
	"  PRIMARY KEY (run_id, metric_id, t)"
	") WITHOUT ROWID;"
	"CREATE TABLE run_metrics ("
	"  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  metric_id INTEGER NOT NULL REFERENCES metrics(id),"
	"  reason    TEXT NOT NULL,"
	"  PRIMARY KEY (run_id, metric_id)"
	") WITHOUT ROWID;"
	"CREATE TABLE events ("
	"  id     INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  t      REAL NOT NULL,"
	"  kind   TEXT NOT NULL,"
	"  detail TEXT"
	");"
	"CREATE INDEX events_run ON events(run_id, t);"
	"CREATE TABLE run_values ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name   TEXT NOT NULL,"
	"  value  REAL,"
	"  reason TEXT,"
	"  PRIMARY KEY (run_id, name)"
	") WITHOUT ROWID;"
	/* Rows are large (up to ~100 kB of text): a rowid table, not WITHOUT ROWID. */
	"CREATE TABLE histograms ("
	"  id     INTEGER PRIMARY KEY,"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  name   TEXT NOT NULL,"
	"  t      REAL NOT NULL,"
	"  data   TEXT NOT NULL,"
	"  UNIQUE (run_id, name, t)"
	");"
	"CREATE TABLE logs ("
	"  id        INTEGER PRIMARY KEY,"
	"  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  stream    TEXT NOT NULL,"
	"  data      BLOB NOT NULL,"
	"  truncated INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX logs_run ON logs(run_id, stream, id);"
	"CREATE VIEW samples_named AS"
	"  SELECT s.run_id, m.name AS metric, m.unit, s.t, s.value"
	"  FROM samples s JOIN metrics m ON m.id = s.metric_id;";

/* Schema 2: how the run's cgroups were obtained (own, leaf-move,
 * systemd-scope, cgroup-parent, none); NULL for runs recorded before. */
static const char migrate_placement[] =
	"ALTER TABLE runs ADD COLUMN cgroup_placement TEXT;";

/* Schema v3: one row per sample. schema v1's samples
 * table becomes sample_values (kept as it is: runs recorded before v3 stay
 * readable without a rewrite, and single samples still go there); the rows,
 * and the `samples` and `samples_named` views over both, are created by
 * db_migrate_sample_rows (db-samples.c) because their text depends on
 * SOAK_DB_SAMPLE_COLS. runs.samples_lost counts samples a run took but could
 * not store (NULL: none). */
static const char migrate_sample_rows[] =
	"DROP VIEW samples_named;"
	"ALTER TABLE samples RENAME TO sample_values;"
	"CREATE TABLE sample_columns ("
	"  run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  col       INTEGER NOT NULL,"
	"  metric_id INTEGER NOT NULL REFERENCES metrics(id),"
	"  PRIMARY KEY (run_id, col)"
	") WITHOUT ROWID;"
	"ALTER TABLE runs ADD COLUMN samples_lost INTEGER;";

/* Schema 4: the host identity of each run, so databases
 * merged from many hosts keep what each machine was; the index history needs
 * to find a series (workload, allocator, host class) in time order; and a
 * derived per-run summary for history at scale. */
static const char migrate_host_identity[] =
	"ALTER TABLE runs ADD COLUMN cpu_model TEXT;"
	"ALTER TABLE runs ADD COLUMN cpu_cores INTEGER;"
	"ALTER TABLE runs ADD COLUMN mem_total INTEGER;"
	"ALTER TABLE runs ADD COLUMN host_class TEXT;"
	"CREATE INDEX runs_series ON runs(workload, allocator_name, host_class, started_at);"
	/* Derived, rebuildable: the per-run figures history needs, so a history of
	 * thousands of runs does not recompute every run from its samples. Rows of
	 * another format are ignored and rewritten; merge never copies it. */
	"CREATE TABLE run_summary ("
	"  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
	"  format INTEGER NOT NULL,"
	"  data   TEXT NOT NULL"
	");";

/* Schema 5: the host's noise floor measured by
 * `soakctl calibrate` (the spin control workload): per-interval throughput CV
 * and drift at one sampling interval, with the host's identity and time. */
static const char migrate_host_noise[] =
	"CREATE TABLE host_noise ("
	"  id          INTEGER PRIMARY KEY,"
	"  host        TEXT NOT NULL,"
	"  kernel      TEXT,"
	"  measured_at TEXT NOT NULL,"
	"  interval_s  REAL NOT NULL,"
	"  duration_s  REAL NOT NULL,"
	"  workload    TEXT NOT NULL,"
	"  run_id      INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
	"  intervals   INTEGER NOT NULL,"
	"  cv_pct      REAL,"
	"  drift_pct   REAL"
	");"
	"CREATE INDEX host_noise_host ON host_noise(host, interval_s, measured_at);";

/* Schema 6: the conditions a noise floor was measured under, so it is
 * applied only to runs under the same ones: the host class (two machines
 * with one name are two hosts), the limits and spin's pattern. Rows whose
 * control run is still there take them from it; the others keep NULL limits
 * and so hold only for runs without limits. */
static const char migrate_noise_conditions[] =
	"ALTER TABLE host_noise ADD COLUMN host_class TEXT;"
	"ALTER TABLE host_noise ADD COLUMN memory_max INTEGER;"
	"ALTER TABLE host_noise ADD COLUMN swap_max INTEGER;"
	"ALTER TABLE host_noise ADD COLUMN cpu_max_pct REAL;"
	"ALTER TABLE host_noise ADD COLUMN pattern TEXT;"
	"UPDATE host_noise SET"
	"  host_class = (SELECT r.host_class FROM runs r WHERE r.id = host_noise.run_id),"
	"  memory_max = (SELECT r.memory_max FROM runs r WHERE r.id = host_noise.run_id),"
	"  swap_max = (SELECT r.swap_max FROM runs r WHERE r.id = host_noise.run_id),"
	"  cpu_max_pct = (SELECT r.cpu_max_pct FROM runs r WHERE r.id = host_noise.run_id)"
	" WHERE run_id IS NOT NULL;";

typedef struct {
	int version;               /* the schema version this step produces */
	const char *sql;           /* run first, may be NULL */
	int (*fn)(soak_db_t *db);  /* data migration, may be NULL */
} db_migration_t;

static const db_migration_t migrations[] = {
	{ 1, schema_v1, NULL },
	{ 2, migrate_placement, NULL },   /* runs.cgroup_placement */
	{ 3, migrate_sample_rows, db_migrate_sample_rows },   /* sample_rows */
	{ 4, migrate_host_identity, NULL },   /* host identity, run_summary */
	{ 5, migrate_host_noise, NULL },   /* host_noise */
	{ 6, migrate_noise_conditions, NULL },   /* host_noise conditions */
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SOAK_DB_SCHEMA_VERSION,
	       "one migration per schema version");

typedef enum { DB_FRESH, DB_SOAK, DB_FOREIGN } db_kind_t;

static int inspect_fail(soak_db_t *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		return db_fail(db, -EINVAL, "database %s: file is not a database (not SQLite): pass another --db",
			       db->path);
	case SQLITE_CORRUPT:
		return db_fail(db, -EINVAL, "database %s is corrupt: %s", db->path, sqlite3_errmsg(db->sql));
	default:
		return db_sqlfail(db, rc, "reading the schema");
	}
}

static int db_inspect(soak_db_t *db, db_kind_t *kind, int *version)
{
	static const char sql[] =
		"SELECT (SELECT user_version FROM pragma_user_version),"
		" (SELECT application_id FROM pragma_application_id),"
		" (SELECT count(*) FROM sqlite_master),"
		" (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'runs'))";
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return inspect_fail(db, rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int r = inspect_fail(db, rc);
		sqlite3_finalize(st);
		return r;
	}
	int uv = sqlite3_column_int(st, 0);
	int app = sqlite3_column_int(st, 1);
	int objects = sqlite3_column_int(st, 2);
	int ours = sqlite3_column_int(st, 3);
	sqlite3_finalize(st);

	*version = uv;
	if (app == 0 && uv == 0 && objects == 0)
		*kind = DB_FRESH;
	else if (app == DB_APPLICATION_ID && ours == 2)
		*kind = DB_SOAK;
	else
		*kind = DB_FOREIGN;
	return 0;
}

/* The refusals shared by both modes (and READ's own). */
static int db_check_kind(soak_db_t *db, db_kind_t kind, int v)
{
	if (kind == DB_FOREIGN)
		return db_fail(db, -EINVAL, "database %s is an SQLite file but not a soak database: pass another --db",
			       db->path);
	if (kind == DB_SOAK && v > SOAK_DB_SCHEMA_VERSION)
		return db_fail(db, -EPROTO, "database %s was written by a newer soak (schema %d > %d): upgrade soakctl",
			       db->path, v, SOAK_DB_SCHEMA_VERSION);
	if (db->mode == SOAK_DB_WRITE)
		return 0;
	if (kind == DB_FRESH)
		return db_fail(db, -EINVAL, "database %s is empty, not a soak database: run `soakctl run` first",
			       db->path);
	if (v < SOAK_DB_SCHEMA_VERSION)
		return db_fail(db, -EPROTO,
			       "database %s has an older schema (%d < %d): any writing soakctl command "
			       "(e.g. `soakctl run`) upgrades it", db->path, v, SOAK_DB_SCHEMA_VERSION);
	return 0;
}

static int db_set_wal(soak_db_t *db)
{
	sqlite3_stmt *st;
	int r = db_prepare(db, "PRAGMA journal_mode = WAL", &st);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		r = db_sqlfail(db, rc, "enabling WAL");
	} else {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		if (!mode || strcmp(mode, "wal") != 0)
			r = db_fail(db, -EIO, "database %s: cannot use WAL mode (journal_mode stays %s): "
					      "is it on a network file system?", db->path, mode ? mode : "unknown");
	}
	sqlite3_finalize(st);
	return r;
}

static int db_meta_set(soak_db_t *db, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int r = db_prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2)"
			       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, "writing meta");
	sqlite3_finalize(st);
	return r;
}

/* Inside the write transaction: from version `from` (0 = empty file) to current. */
static int db_migrate(soak_db_t *db, int from)
{
	char sql[64], now[SOAK_DB_TIME_LEN];
	const char *who = "soakctl " SOAK_VERSION " (" SOAK_GIT_REV ")";
	int r;
	for (size_t i = 0; i < sizeof(migrations) / sizeof(migrations[0]); i++) {
		const db_migration_t *m = &migrations[i];
		if (m->version <= from)
			continue;
		if (m->sql && (r = db_exec(db, m->sql, "creating the schema")) < 0)
			return r;
		if (m->fn && (r = m->fn(db)) < 0)
			return r;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", m->version);
		if ((r = db_exec(db, sql, "setting the schema version")) < 0)
			return r;
	}
	db_now(now);
	if (from == 0) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d", DB_APPLICATION_ID);
		if ((r = db_exec(db, sql, "setting the application id")) < 0 ||
		    (r = db_meta_set(db, "application", "soak")) < 0 ||
		    (r = db_meta_set(db, "created_by", who)) < 0 ||
		    (r = db_meta_set(db, "created_at", now)) < 0)
			return r;
	} else {
		if ((r = db_meta_set(db, "migrated_by", who)) < 0 || (r = db_meta_set(db, "migrated_at", now)) < 0)
			return r;
	}
	snprintf(sql, sizeof(sql), "%d", SOAK_DB_SCHEMA_VERSION);
	return db_meta_set(db, "schema_version", sql);
}

int db_schema_open(soak_db_t *db)
{
	db_kind_t kind;
	int v, r;
	if ((r = db_inspect(db, &kind, &v)) < 0 || (r = db_check_kind(db, kind, v)) < 0)
		return r;
	if (db->mode == SOAK_DB_READ)
		return 0;

	/* journal_mode cannot change inside a transaction; it is persistent, so
	 * this is a no-op for a file we created. */
	if ((r = db_set_wal(db)) < 0)
		return r;
	/* Taking the write lock here also turns "another writer holds the
	 * database" into -EBUSY at open rather than at the first sample. */
	if ((r = db_write_begin(db)) < 0)
		return r;
	/* Again under the lock: another soakctl may have created it meanwhile. */
	if ((r = db_inspect(db, &kind, &v)) < 0 || (r = db_check_kind(db, kind, v)) < 0)
		return r;
	if (kind == DB_FRESH || v < SOAK_DB_SCHEMA_VERSION) {
		if ((r = db_migrate(db, kind == DB_FRESH ? 0 : v)) < 0)
			return r;
	}
	return soak_db_commit(db);
}
