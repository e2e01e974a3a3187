/* db-summary.c - the derived run_summary table (see db.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db-internal.h"

bool db_table_is_derived(const char *name)
{
	return name && !strcmp(name, "run_summary");
}

static int summary_row(sqlite3_stmt *st, void *elem)
{
	soak_run_summary_t *s = elem;
	s->run_id = sqlite3_column_int64(st, 0);
	const char *d = (const char *)sqlite3_column_text(st, 1);
	return (s->data = strdup(d ? d : "")) ? 0 : -ENOMEM;
}

static void summaries_free(void *v, size_t n)
{
	soak_summaries_free(v, n);
}

int soak_db_summaries(soak_db_t *db, int format, soak_run_summary_t **ret, size_t *n)
{
	sqlite3_stmt *st;
	int r = db_prepare(db, "SELECT run_id, data FROM run_summary WHERE format = ?1 ORDER BY run_id", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, format);
	r = db_read_rows(db, st, sizeof(**ret), summary_row, summaries_free, "reading summaries", (void **)ret, n);
	sqlite3_finalize(st);
	return r;
}

int soak_db_summary_get(soak_db_t *db, int format, int64_t run_id, char **ret)
{
	sqlite3_stmt *st;
	int r = db_prepare_cached(db, "SELECT data FROM run_summary WHERE run_id = ?1 AND format = ?2", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_int(st, 2, format);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(st, 0);
		r = (*ret = strdup(d ? d : "")) ? 0 : db_fail(db, -ENOMEM, "reading a summary: out of memory");
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : db_sqlfail(db, rc, "reading a summary");
	}
	db_release(st);
	return r;
}

void soak_summaries_free(soak_run_summary_t *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i].data);
	free(s);
}

int soak_db_summaries_put(soak_db_t *db, int format, const soak_run_summary_t *s, size_t n)
{
	int r = db_write_begin(db);
	if (r < 0)
		return r;
	sqlite3_stmt *st;
	if ((r = db_prepare(db, "INSERT OR REPLACE INTO run_summary(run_id, format, data) VALUES(?1, ?2, ?3)", &st)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, s[i].run_id);
		sqlite3_bind_int(st, 2, format);
		sqlite3_bind_text(st, 3, s[i].data, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE)
			r = db_sqlfail(db, rc, "writing a summary");
	}
	sqlite3_finalize(st);
	if (r == 0)
		r = soak_db_commit(db);
	return r;
}
