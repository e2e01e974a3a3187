/*
 * db-merge.c - soak_db_merge(): databases written by many hosts (shards of a
 * nightly plan) into one, losslessly and idempotently.
 *
 * All or nothing: the merged file is built beside OUT (a copy of OUT made with
 * VACUUM INTO, or a fresh database) and renamed over OUT only when every input
 * went in; on any error the copy is removed and OUT is as it was. When no run
 * is new, OUT is not rewritten at all.
 *
 * Runs are keyed by uuid. The tables that hang off a run are found from the
 * schema (every table with a run_id column), and copied column by column over
 * the columns both files have, with run_id renumbered and metric_id mapped by
 * metric name: a table added by a later migration is merged without a change
 * here. Integer primary keys named "id" are left to the target (rows keep their
 * order). A run present on both sides is compared in full (its record and
 * every row, as sets and as counts): identical is skipped, different is an
 * error naming the run and the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db-internal.h"

#define MAX_TABLES 32
#define MAX_COLS 96
#define SQL_MAX 16384

typedef struct {
	char name[64];
	char cols[SQL_MAX / 4];   /* target column list, comma separated */
	char src[SQL_MAX / 4];    /* matching expressions over src.<name> */
	char tgt[SQL_MAX / 4];    /* the same columns over main.<name> */
	bool has_id;
} tbl_t;

typedef struct {
	sqlite3 *sql;             /* the merged copy's connection */
	const char *in;           /* current input path */
	char *err;
	size_t errlen;
} mctx_t;

static int mfail(mctx_t *m, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int mfail(mctx_t *m, int r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (m->err && m->errlen)
		vsnprintf(m->err, m->errlen, fmt, ap);
	va_end(ap);
	return r;
}

static int msql(mctx_t *m, int rc, const char *what)
{
	return mfail(m, db_errno(rc), "merge: %s: %s: %s", m->in ? m->in : "output", what,
		     sqlite3_errmsg(m->sql));
}

static int mexec(mctx_t *m, const char *sql, const char *what)
{
	int rc = sqlite3_exec(m->sql, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : msql(m, rc, what);
}

/* Columns of schema.table: names into cols (at most max), and whether a
 * column is an integer primary key named id. */
static int table_cols(mctx_t *m, const char *schema, const char *table, char cols[][64], size_t max,
		      size_t *n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(m->sql, "SELECT name FROM pragma_table_info(?1, ?2) ORDER BY cid", -1,
				    &st, NULL);
	if (rc != SQLITE_OK)
		return msql(m, rc, "reading the schema");
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, schema, -1, SQLITE_STATIC);
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
		snprintf(cols[(*n)++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : msql(m, rc, "reading the schema");
}

static bool has_col(char cols[][64], size_t n, const char *c)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(cols[i], c))
			return true;
	return false;
}

static void cat(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + l, len - l, fmt, ap);
	va_end(ap);
}

/* The column lists of one table over the columns both sides have. In src
 * expressions run_id becomes ?2 (the run's id in the target) and metric_id
 * the target's id of the same metric name. */
static int table_plan(mctx_t *m, const char *name, bool is_runs, tbl_t *t)
{
	char mc[MAX_COLS][64], sc[MAX_COLS][64];
	size_t nm, ns;
	int r;
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	if ((r = table_cols(m, "main", name, mc, MAX_COLS, &nm)) < 0 ||
	    (r = table_cols(m, "src", name, sc, MAX_COLS, &ns)) < 0)
		return r;
	if (!ns)
		return 0;   /* an older input without this table: nothing to copy */
	for (size_t i = 0; i < ns; i++)
		if (!has_col(mc, nm, sc[i]))
			return mfail(m, -EPROTO, "merge: %s: table %s has a column %s this soakctl does not "
					 "know: merge with the soakctl that wrote it", m->in, name, sc[i]);
	for (size_t i = 0; i < nm; i++) {
		const char *c = mc[i];
		if (!strcmp(c, "id")) {
			t->has_id = true;
			continue;
		}
		if (!has_col(sc, ns, c))
			continue;   /* added after the input's schema: stays NULL */
		const char *sep = t->cols[0] ? "," : "";
		cat(t->cols, sizeof(t->cols), "%s\"%s\"", sep, c);
		cat(t->tgt, sizeof(t->tgt), "%s\"%s\"", sep, c);
		if (!is_runs && !strcmp(c, "run_id"))
			cat(t->src, sizeof(t->src), "%s?2", sep);
		else if (!strcmp(c, "metric_id"))
			cat(t->src, sizeof(t->src), "%s(SELECT dst FROM temp.merge_metric WHERE src = metric_id)", sep);
		else
			cat(t->src, sizeof(t->src), "%s\"%s\"", sep, c);
	}
	return 0;
}

/* Tables of the target that hang off a run. */
static int child_tables(mctx_t *m, tbl_t *t, size_t *n)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(m->sql,
		"SELECT m.name FROM main.sqlite_master m WHERE m.type = 'table' AND m.name != 'runs'"
		" AND EXISTS (SELECT 1 FROM pragma_table_info(m.name, 'main') p WHERE p.name = 'run_id')"
		" ORDER BY m.name", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return msql(m, rc, "reading the schema");
	char names[MAX_TABLES][64];
	size_t k = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && k < MAX_TABLES) {
		const char *nm = (const char *)sqlite3_column_text(st, 0);
		if (!db_table_is_derived(nm))
			snprintf(names[k++], 64, "%s", nm);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return msql(m, rc, "reading the schema");
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		int r = table_plan(m, names[i], false, &t[*n]);
		if (r < 0)
			return r;
		if (t[*n].cols[0])
			(*n)++;
	}
	/* A table of the input that the target lacks would be lost. */
	rc = sqlite3_prepare_v2(m->sql,
		"SELECT name FROM src.sqlite_master WHERE type = 'table' AND name NOT IN"
		" (SELECT name FROM main.sqlite_master WHERE type = 'table')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return msql(m, rc, "reading the schema");
	int r = 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		r = mfail(m, -EPROTO, "merge: %s has a table %s this soakctl does not know: merge with the "
				      "soakctl that wrote it", m->in, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return r;
}

static int prep(mctx_t *m, sqlite3_stmt **st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int prep(mctx_t *m, sqlite3_stmt **st, const char *fmt, ...)
{
	char *sql = malloc(SQL_MAX);
	if (!sql)
		return mfail(m, -ENOMEM, "merge: out of memory");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, SQL_MAX, fmt, ap);
	va_end(ap);
	int rc = sqlite3_prepare_v2(m->sql, sql, -1, st, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : msql(m, rc, "preparing the merge");
}

/* Rows of table t for the src run a and the target run b: ret[0] those of
 * the input not in the output, ret[1] those of the output not in the input
 * (as sets), ret[2] and ret[3] the row counts of each side. A changed row is
 * one row on each side, never counted twice in one figure. */
static int diff_rows(mctx_t *m, const tbl_t *t, bool is_runs, int64_t a, int64_t b, int64_t ret[4])
{
	sqlite3_stmt *st;
	const char *key = is_runs ? "id" : "run_id";
	int r = prep(m, &st,
		     "SELECT (SELECT count(*) FROM (SELECT %s FROM src.\"%s\" WHERE %s = ?1 EXCEPT"
		     " SELECT %s FROM main.\"%s\" WHERE %s = ?2)),"
		     " (SELECT count(*) FROM (SELECT %s FROM main.\"%s\" WHERE %s = ?2 EXCEPT"
		     " SELECT %s FROM src.\"%s\" WHERE %s = ?1)),"
		     " (SELECT count(*) FROM src.\"%s\" WHERE %s = ?1),"
		     " (SELECT count(*) FROM main.\"%s\" WHERE %s = ?2)",
		     t->src, t->name, key, t->tgt, t->name, key, t->tgt, t->name, key, t->src, t->name, key,
		     t->name, key, t->name, key);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		for (int i = 0; i < 4; i++)
			ret[i] = sqlite3_column_int64(st, i);
	else
		r = msql(m, rc, "comparing runs");
	sqlite3_finalize(st);
	return r;
}

static bool rows_differ(const int64_t d[4])
{
	return d[0] || d[1] || d[2] != d[3];
}

static int copy_rows(mctx_t *m, const tbl_t *t, int64_t a, int64_t b, size_t *rows)
{
	sqlite3_stmt *st;
	int r = prep(m, &st, "INSERT INTO main.\"%s\"(%s) SELECT %s FROM src.\"%s\" WHERE run_id = ?1%s",
		     t->name, t->cols, t->src, t->name, t->has_id ? " ORDER BY id" : "");
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return msql(m, rc, "copying rows");
	*rows += (size_t)sqlite3_changes(m->sql);
	return 0;
}

/* Inside the transaction of one input. */
/* A run of the input (id a) that the output holds already (id b): 0 when
 * its record and every row are the same, else -EEXIST naming the table. */
static int same_run(mctx_t *m, const tbl_t *runs, const tbl_t *kids, size_t nk, int64_t a, int64_t b,
		    const char *uuid, const char *status, const char *tstatus)
{
	int64_t d[4];
	int r = diff_rows(m, runs, true, a, b, d);
	if (r < 0)
		return r;
	if (rows_differ(d))
		return mfail(m, -EEXIST, "merge: %s: run %s (id %lld there, status %s) is already in the "
				      "output (id %lld, status %s) with a different record: the same "
				      "run recorded twice differently; merge refuses to choose", m->in,
			     uuid, (long long)a, status ? status : "", (long long)b, tstatus);
	for (size_t i = 0; i < nk; i++) {
		if ((r = diff_rows(m, &kids[i], false, a, b, d)) < 0)
			return r;
		if (rows_differ(d))
			return mfail(m, -EEXIST, "merge: %s: run %s (id %lld there, id %lld in the "
					      "output) differs in table %s (%lld of the %lld rows there not in "
					      "the output, %lld of the output's %lld not there): merge refuses "
					      "to choose", m->in, uuid, (long long)a, (long long)b, kids[i].name,
				     (long long)d[0], (long long)d[2], (long long)d[1], (long long)d[3]);
	}
	return 0;
}

static int merge_runs(mctx_t *m, soak_merge_stats_t *s)
{
	static tbl_t runs, kids[MAX_TABLES];
	size_t nk = 0;
	int r;
	if ((r = table_plan(m, "runs", true, &runs)) < 0 || (r = child_tables(m, kids, &nk)) < 0)
		return r;
	if ((r = mexec(m, "CREATE TEMP TABLE IF NOT EXISTS merge_metric(src INTEGER PRIMARY KEY, dst INTEGER);"
			  "DELETE FROM temp.merge_metric;"
			  "INSERT INTO main.metrics(name, unit, kind, description)"
			  " SELECT name, unit, kind, description FROM src.metrics"
			  " WHERE name NOT IN (SELECT name FROM main.metrics) ORDER BY id;"
			  "INSERT INTO temp.merge_metric SELECT s.id, t.id FROM src.metrics s"
			  " JOIN main.metrics t ON t.name = s.name;", "merging metric names")) < 0)
		return r;
	sqlite3_stmt *list = NULL, *find = NULL, *ins = NULL;
	if ((r = prep(m, &list, "SELECT id, uuid, status FROM src.runs ORDER BY id")) < 0 ||
	    (r = prep(m, &find, "SELECT id, status FROM main.runs WHERE uuid = ?1")) < 0 ||
	    (r = prep(m, &ins, "INSERT INTO main.runs(%s) SELECT %s FROM src.runs WHERE id = ?1", runs.cols,
		      runs.src)) < 0)
		goto out;
	int rc;
	while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
		int64_t a = sqlite3_column_int64(list, 0), b = 0;
		const char *uuid = (const char *)sqlite3_column_text(list, 1);
		const char *st = (const char *)sqlite3_column_text(list, 2);
		if (soak_db_merge_stop) {
			r = mfail(m, -EINTR, "merge: interrupted by signal %d", (int)soak_db_merge_stop);
			goto out;
		}
		/* A run still being recorded (or left so by a runner that died,
		 * which the input's next soakctl command marks incomplete) is not
		 * copied: its end is not known yet, and once it ends the input
		 * would disagree with the copy. */
		if (st && !strcmp(st, "running")) {
			s->runs_running++;
			continue;
		}
		sqlite3_reset(find);
		sqlite3_bind_text(find, 1, uuid, -1, SQLITE_TRANSIENT);
		char tstatus[32] = "";
		if ((rc = sqlite3_step(find)) == SQLITE_ROW) {
			b = sqlite3_column_int64(find, 0);
			snprintf(tstatus, sizeof(tstatus), "%s", (const char *)sqlite3_column_text(find, 1));
		} else if (rc != SQLITE_DONE) {
			r = msql(m, rc, "looking up a run");
			goto out;
		}
		sqlite3_reset(find);
		if (b) {
			if ((r = same_run(m, &runs, kids, nk, a, b, uuid, st, tstatus)) < 0)
				goto out;
			s->runs_same++;
			continue;
		}
		char why[512];
		if ((r = db_run_impossible(m->sql, "src", a, why, sizeof(why))) != 0) {
			if (r > 0)
				r = mfail(m, -EINVAL, "merge: %s: run %s (id %lld) has an impossible value: %s: "
						      "the input is damaged or was edited; nothing merged", m->in, uuid,
					  (long long)a, why);
			else
				r = mfail(m, r, "merge: %s: checking run %s: %s", m->in, uuid, sqlite3_errmsg(m->sql));
			goto out;
		}
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, a);
		if ((rc = sqlite3_step(ins)) != SQLITE_DONE) {
			r = msql(m, rc, "copying a run");
			goto out;
		}
		b = sqlite3_last_insert_rowid(m->sql);
		s->rows_added++;
		for (size_t i = 0; i < nk; i++)
			if ((r = copy_rows(m, &kids[i], a, b, &s->rows_added)) < 0)
				goto out;
		s->runs_added++;
	}
	if (rc != SQLITE_DONE)
		r = msql(m, rc, "listing runs");
out:
	sqlite3_finalize(list);
	sqlite3_finalize(find);
	sqlite3_finalize(ins);
	return r;
}

static int merge_one(mctx_t *m, const char *in, soak_merge_stats_t *s)
{
	/* Every refusal (not SQLite, not ours, newer, older, corrupt) has its own
	 * line in soak_db_open; nothing of the input is written. */
	char e[512];
	soak_db_t *chk = NULL;
	int r = soak_db_open(in, SOAK_DB_READ, &chk, e, sizeof(e));
	if (r < 0)
		return mfail(m, r, "merge: %s", e);
	soak_db_close(chk, NULL, 0);
	if (db_read_only_place(in))
		return mfail(m, -EROFS, "merge: %s is on a read-only file system (or in a directory soakctl cannot "
				       "write): SQLite cannot attach it there; copy it to a writable directory first", in);
	m->in = in;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(m->sql, "ATTACH ?1 AS src", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return msql(m, rc, "attaching");
	sqlite3_bind_text(st, 1, in, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return msql(m, rc, "attaching");
	if ((r = mexec(m, "BEGIN IMMEDIATE", "starting the merge")) == 0) {
		r = merge_runs(m, s);
		if (r == 0)
			r = mexec(m, "COMMIT", "committing");
		if (r < 0)
			sqlite3_exec(m->sql, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_exec(m->sql, "DETACH src", NULL, NULL, NULL);
	s->inputs++;
	m->in = NULL;
	return r;
}

/* The copy of OUT that the merge builds on (empty when OUT does not exist). */
volatile sig_atomic_t soak_db_merge_stop;

/* Stops a long statement (the copy of OUT, a large table) when a signal came. */
static int stop_requested(void *arg)
{
	(void)arg;
	return soak_db_merge_stop != 0;
}

static int start_copy(const char *out, const char *tmp, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(out, &sb) != 0)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "merge: %s: %s", out, strerror(errno)), -errno);
	soak_db_t *chk = NULL;
	char e[512];
	int r = soak_db_open(out, SOAK_DB_READ, &chk, e, sizeof(e));
	if (r < 0) {
		snprintf(err, errlen, "merge: output %s", e);
		return r;
	}
	soak_db_close(chk, NULL, 0);
	sqlite3 *s = NULL;
	int rc = sqlite3_open_v2(out, &s, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(s, DB_BUSY_TIMEOUT_MS);
		sqlite3_progress_handler(s, 10000, stop_requested, NULL);
		/* Fold the WAL into the file so the copy and the renamed result
		 * never meet a stale OUT-wal (content is unchanged by this). */
		rc = sqlite3_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	}
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK && (rc = sqlite3_prepare_v2(s, "VACUUM INTO ?1", -1, &st, NULL)) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, tmp, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "merge: copying %s: %s", out, s ? sqlite3_errmsg(s) : "out of memory");
		r = db_errno(rc);
	}
	sqlite3_finalize(st);
	sqlite3_close_v2(s);
	return r;
}

static int finish(const char *out, const char *tmp, bool existed, char *err, size_t errlen)
{
	char wal[4096];
	snprintf(wal, sizeof(wal), "%s-wal", out);
	struct stat sb;
	if (stat(wal, &sb) == 0 && sb.st_size > 0) {
		snprintf(err, errlen, "merge: %s is being written (%s exists): merge when no soakctl writes it",
			 out, wal);
		return -EBUSY;
	}
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0 || (stat(out, &sb) == 0 && fchmod(fd, sb.st_mode & 07777) < 0)) {
		snprintf(err, errlen, "merge: %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	if (!existed && link(tmp, out) < 0) {
		if (errno == EEXIST)
			return -EAGAIN;
		snprintf(err, errlen, "merge: linking %s to %s: %s", tmp, out, strerror(errno));
		return -errno;
	}
	if (existed && rename(tmp, out) < 0) {
		snprintf(err, errlen, "merge: renaming %s to %s: %s", tmp, out, strerror(errno));
		return -errno;
	}
	char *d = strdup(out);
	if (d && (fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
	free(d);
	return 0;
}

static void remove_tmp(const char *tmp)
{
	char p[4200];
	unlink(tmp);
	snprintf(p, sizeof(p), "%s-wal", tmp);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", tmp);
	unlink(p);
}

/* Locks OUT for the merge (db-lock.c): exclusive, so no writer has it open
 * and no other merge renames over it until this one has. A missing OUT has no
 * lock: finish() then links the result into place, which fails when another
 * soakctl created OUT meanwhile (the merge is then done again onto it). */
static int lock_out(const char *out, int *fd, char *err, size_t errlen)
{
	*fd = -1;
	int r = db_lock_file(out, true, DB_LOCK_WAIT_S, fd);
	if (r == -ENOENT)
		return 0;
	if (r == -EBUSY)
		snprintf(err, errlen, "merge: %s is in use by another soakctl (a run, compare, plan or merge) "
			 "after %.0f s of waiting: merge when it has ended", out, DB_LOCK_WAIT_S);
	else if (r < 0)
		snprintf(err, errlen, "merge: %s: %s", out, strerror(-r));
	return r;
}

/* Removes what merges killed before their end left beside OUT: OUT.merge-XXXXXX
 * and its -wal and -shm. A merge holds a shared flock on its own file from its
 * creation to its removal, so a file that takes an exclusive one is nobody's. */
static void remove_stale(const char *out)
{
	char d[4096], b[4096];
	snprintf(d, sizeof(d), "%s", out);
	snprintf(b, sizeof(b), "%s", out);
	const char *dirp = dirname(d), *base = basename(b);
	size_t bl = strlen(base);
	DIR *dir = opendir(dirp);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		char p[4096];
		if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".merge-", 7) ||
		    strlen(e->d_name + bl + 7) != 6)
			continue;
		if (snprintf(p, sizeof(p), "%.3800s/%.255s", dirp, e->d_name) >= (int)sizeof(p))
			continue;
		int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		struct stat sb;
		if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0)
			remove_tmp(p);
		close(fd);
	}
	if (dir)
		closedir(dir);
}

static int merge_attempt(const char *out, const char *const *in, size_t n_in, soak_merge_stats_t *s,
			 char *err, size_t errlen)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.merge-XXXXXX", out) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "merge: output path too long");
		return -ENAMETOOLONG;
	}
	int lock = -1, r = lock_out(out, &lock, err, errlen);
	if (r < 0)
		return r;
	remove_stale(out);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "merge: cannot create a file beside %s: %s", out, strerror(-r));
		if (lock >= 0)
			close(lock);
		return r;
	}
	flock(fd, LOCK_SH);   /* ours while it exists (remove_stale) */
	bool existed = lock >= 0;
	r = start_copy(out, tmp, err, errlen);
	soak_db_t *db = NULL;
	if (r == 0) {
		char e[512];
		if ((r = soak_db_open(tmp, SOAK_DB_WRITE, &db, e, sizeof(e))) < 0)
			snprintf(err, errlen, "merge: %s", e);
	}
	mctx_t m = { .sql = db ? db->sql : NULL, .err = err, .errlen = errlen };
	if (db)
		sqlite3_progress_handler(db->sql, 10000, stop_requested, NULL);
	for (size_t i = 0; r == 0 && i < n_in; i++)
		r = merge_one(&m, in[i], s);
	if (db && r == 0 && (r = soak_db_close_checked(db)) < 0)
		snprintf(err, errlen, "merge: writing the merged copy beside %s: %s", out, strerror(-r));
	else if (db && r < 0)
		soak_db_close(db, NULL, 0);
	if (r == 0 && (s->runs_added || !existed))
		r = finish(out, tmp, existed, err, errlen);
	remove_tmp(tmp);
	close(fd);
	if (lock >= 0)
		close(lock);
	if (r < 0 && soak_db_merge_stop) {
		snprintf(err, errlen, "merge: interrupted by signal %d", (int)soak_db_merge_stop);
		r = -EINTR;
	}
	return r;
}

int soak_db_merge(const char *out, const char *const *in, size_t n_in, soak_merge_stats_t *ret,
		  char *err, size_t errlen)
{
	soak_merge_stats_t s;
	int r;
	/* OUT a symbolic link: the merged file goes to its target (built
	 * beside it and renamed over it), and the link stays a link. */
	char *real = NULL;
	struct stat st;
	if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!(real = realpath(out, NULL))) {
			snprintf(err, errlen, "merge: %s is a symbolic link to a missing file: give the link's target "
				 "(or remove the link)", out);
			return -ENOENT;
		}
		out = real;
	}
	do {
		memset(&s, 0, sizeof(s));
		r = merge_attempt(out, in, n_in, &s, err, errlen);
	} while (r == -EAGAIN);   /* OUT appeared meanwhile: merge onto it */
	free(real);
	if (r == 0 && ret)
		*ret = s;
	return r;
}
