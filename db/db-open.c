/* db-open.c - opening (checking the path, creating the file private, the
 * schema through schema.c) and closing; the statement and transaction helpers
 * it uses are in db-stmt.c. See db.h and db-internal.h. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <sys/statvfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "soak/outfile.h"

#include "db-internal.h"

/*
 * A file this open created and nothing was recorded in (no run, no noise
 * floor): a command refused after opening (a bad soak.ini) leaves no database
 * behind. Every connection holds a shared flock on the file while open, so
 * the creator removes it only when its exclusive lock proves nobody else has
 * it open; an opener that locked a file removed meanwhile opens again.
 */
static bool db_nothing_recorded(soak_db_t *db)
{
	if (!db->created || db->mode != SOAK_DB_WRITE || !db->sql || db->lock_fd < 0)
		return false;
	sqlite3_stmt *st = NULL;
	bool none = sqlite3_prepare_v2(db->sql, "SELECT NOT EXISTS (SELECT 1 FROM runs)"
				      " AND NOT EXISTS (SELECT 1 FROM host_noise)", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	sqlite3_finalize(st);
	return none;
}

static bool db_same_file(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void db_discard(soak_db_t *db)
{
	if (flock(db->lock_fd, LOCK_EX | LOCK_NB) < 0 || !db_same_file(db->lock_fd, db->path))
		return;   /* another connection has it open: it stays */
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", db->path, sfx[i]);
		unlink(p);
	}
	unlink(db->path);
}

static bool db_sidecar_exists(const char *path, const char *sfx, off_t *size)
{
	char p[PATH_MAX + 16];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", path, sfx);
	if (stat(p, &st) != 0)
		return false;
	if (size)
		*size = st.st_size;
	return true;
}

/*
 * A read-only connection to a database in WAL mode creates PATH-wal and
 * PATH-shm when they are missing (a database copied without them) and, being
 * read-only, never removes them. When this READ open made them, the WAL is
 * still empty and the file is writable, a moment's read-write connection is
 * opened and closed: SQLite removes both when that is the last connection,
 * and leaves them when any other one (a live runner, a sqlite3 shell) still
 * uses them. An empty WAL checkpoints nothing: the file is not changed.
 */
static void db_read_tidy(const char *path)
{
	off_t wal = -1;
	if (!db_sidecar_exists(path, "-wal", &wal) || wal != 0 || access(path, W_OK) != 0)
		return;
	sqlite3 *s = NULL;
	if (sqlite3_open_v2(path, &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK)
		sqlite3_exec(s, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	sqlite3_close_v2(s);
}

static void db_free(soak_db_t *db)
{
	bool discard = db_nothing_recorded(db);
	for (int i = 0; i < ST__MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	for (int i = 0; i < DB_RCACHE; i++) {
		sqlite3_finalize(db->rcache[i].st);
		free(db->rcache[i].sql);
	}
	db_samples_close(db);
	/* close_v2: a statement leaked by a bug must not keep the file open forever. */
	sqlite3_close_v2(db->sql);
	if (discard)
		db_discard(db);
	else if (db->no_sidecars && db->sql && !db->immutable)
		db_read_tidy(db->path);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db->buf);
	free(db->path);
	free(db);
}

int soak_db_close(soak_db_t *db, char *err, size_t errlen)
{
	if (!db)
		return 0;
	int r = db->in_tx ? soak_db_commit(db) : 0;
	if (r < 0 && err && errlen)
		snprintf(err, errlen, "%s", db->err);
	db_free(db);
	return r;
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
	db->created = fd >= 0;
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

/* Whether nothing can write the database: on a read-only file system, or in
 * a directory we may not write and without a WAL. SQLite reads a WAL-mode
 * database through its -shm file, which it cannot create there ("unable to
 * open database file"); with nothing able to write it, the file can be
 * opened immutable instead, which needs no -shm and takes no locks. */
bool db_read_only_place(const char *path)
{
	char d[4096], wal[4200];
	snprintf(d, sizeof(d), "%s", path);
	const char *dir = dirname(d);
	struct statvfs v;
	if (statvfs(dir, &v) == 0 && (v.f_flag & ST_RDONLY))
		return true;
	snprintf(wal, sizeof(wal), "%s-wal", path);
	return access(dir, W_OK) != 0 && access(wal, F_OK) != 0;
}

/* file:PATH?immutable=1 with PATH percent-encoded where a URI needs it. */
static int immutable_uri(const char *path, char *buf, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	if (len < 32)
		return -ENAMETOOLONG;
	n += (size_t)snprintf(buf, len, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (n + 4 + sizeof("?immutable=1") > len)
			return -ENAMETOOLONG;
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f) {
			buf[n++] = '%';
			buf[n++] = hex[*p >> 4];
			buf[n++] = hex[*p & 15];
		} else {
			buf[n++] = (char)*p;
		}
	}
	snprintf(buf + n, len - n, "?immutable=1");
	return 0;
}

static int db_check_path(soak_db_t *db)
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
	return 0;
}

/* The shared flock every connection holds (see db_nothing_recorded and
 * db-lock.c), on the file the path names once it is granted; -ESTALE when
 * the file was removed meanwhile (its creator discarded it). A writer waits
 * for a merge into the file (up to DB_LOCK_WAIT_S); a reader does not: it
 * reads the file as it is, unlocked, while a merge builds its copy. */
static int db_lock_shared(soak_db_t *db)
{
	bool w = db->mode == SOAK_DB_WRITE;
	int r = db_lock_file(db->path, false, w ? DB_LOCK_WAIT_S : 0, &db->lock_fd);
	if (r == -ENOENT)
		return -ESTALE;
	if (r == -EBUSY && !w)
		return 0;
	if (r == -EBUSY)
		return db_fail(db, r, "database %s is being merged into by another soakctl (waited %.0f s): "
			       "try again when the merge has ended", db->path, DB_LOCK_WAIT_S);
	if (r < 0)
		return db_fail(db, r, "database %s: locking: %s", db->path, strerror(-r));
	return 0;
}

static int db_open_conn(soak_db_t *db)
{
	int r = -ESTALE;
	for (int tries = 0; r == -ESTALE && tries < 8; tries++)
		if ((r = db_check_path(db)) == 0)
			r = db_lock_shared(db);
	if (r == -ESTALE)
		return db_fail(db, -EAGAIN, "database %s keeps being removed while opened: try again", db->path);
	if (r < 0)
		return r;

	/* NOMUTEX: a handle is used by one thread (db.h); SQLite's per-call
	 * connection mutex was ~16% of reading a long run (docs/performance.md). */
	int flags = (db->mode == SOAK_DB_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
		    SQLITE_OPEN_NOMUTEX;
	char uri[8192];
	const char *name = db->path;
	if (db->mode == SOAK_DB_READ && db_read_only_place(db->path) &&
	    immutable_uri(db->path, uri, sizeof(uri)) == 0) {
		name = uri;
		flags |= SQLITE_OPEN_URI;
		db->immutable = true;
	}
	int rc = sqlite3_open_v2(name, &db->sql, flags, NULL);
	if (rc != SQLITE_OK) {
		int e = db->sql ? sqlite3_system_errno(db->sql) : 0;
		if (e)
			return db_fail(db, -e, "database %s cannot be %s: %s", db->path,
				       db->mode == SOAK_DB_WRITE ? "opened or created" : "opened", strerror(e));
		return db_sqlfail(db, rc, "opening");
	}
	sqlite3_extended_result_codes(db->sql, 1);
	sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS);

	r = db_schema_open(db);
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
	db->no_sidecars = mode == SOAK_DB_READ && !db_sidecar_exists(path, "-wal", NULL) &&
			  !db_sidecar_exists(path, "-shm", NULL);
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
