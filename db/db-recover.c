/*
 * db-recover.c - runs whose runner died (kill -9, power loss, OOM killer) stay
 * 'running' forever unless someone notices: any later soakctl that opens the
 * database for writing calls soak_db_recover.
 *
 * A runner is dead when its pid is gone, a zombie, or reused by another process
 * (its start time differs from the one recorded; soak_proc_alive in
 * common/procstat.c tells, db/ only reads and marks the records). Runs of other
 * hosts are left alone: a shared database may be written from several machines
 * and a pid means nothing elsewhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soak/procstat.h"

#include "db-internal.h"

/* Seconds since start of the run's last sample, or -1 without samples. One
 * index probe per metric instead of a scan of the run's samples. */
static int last_sample_t(soak_db_t *db, int64_t run, double *ret)
{
	sqlite3_stmt *st;
	int r = db_prepare(db, "SELECT max(mt) FROM (SELECT (SELECT max(t) FROM sample_values"
			       " WHERE run_id = ?1 AND metric_id = m.id) AS mt FROM metrics m"
			       " UNION ALL SELECT max(t) FROM sample_rows WHERE run_id = ?1)", &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, run);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_double(st, 0);
	else
		r = db_sqlfail(db, rc, "finding the last sample of a run");
	sqlite3_finalize(st);
	return r;
}

static int running_here(soak_db_t *db, const char *host, soak_run_t **ret, size_t *n)
{
	char cols[2048], sql[2560];
	db_run_columns(cols, sizeof(cols));
	snprintf(sql, sizeof(sql), "SELECT id,%s FROM runs WHERE status = 'running' AND host = ?1 ORDER BY id",
		 cols);
	sqlite3_stmt *st;
	int r = db_prepare(db, sql, &st);
	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	r = db_runs_read_all(db, st, "finding running runs", ret, n);
	sqlite3_finalize(st);
	return r;
}

/* Marks one dead run; *marked = false when another soakctl got there first. */
static int mark_incomplete(soak_db_t *db, soak_run_t *run, bool *marked)
{
	double last = -1, start;
	int r = last_sample_t(db, run->id, &last);
	if (r < 0)
		return r;
	char ended[SOAK_DB_TIME_LEN];
	if (last >= 0 && soak_db_time_parse(run->started_at, &start) == 0)
		soak_db_time_format(start + last, ended);
	else
		snprintf(ended, sizeof(ended), "%s", run->started_at);

	sqlite3_stmt *st;
	if ((r = db_prepare(db, "UPDATE runs SET status = 'incomplete', ended_at = ?2"
				" WHERE id = ?1 AND status = 'running'", &st)) < 0)
		return r;
	sqlite3_bind_int64(st, 1, run->id);
	sqlite3_bind_text(st, 2, ended, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_sqlfail(db, rc, "marking a run incomplete");
	*marked = sqlite3_changes(db->sql) == 1;
	if (!*marked)
		return 0;

	char detail[128];
	snprintf(detail, sizeof(detail), "runner (pid %lld) died; run marked by a later soakctl",
		 (long long)run->runner_pid);
	if ((r = soak_db_event(db, run->id, last >= 0 ? last : 0, "incomplete", detail)) < 0)
		return r;
	char *status = strdup("incomplete"), *end = strdup(ended);
	if (!status || !end) {
		free(status);
		free(end);
		return db_fail(db, -ENOMEM, "recovering runs: out of memory");
	}
	free(run->status);
	free(run->ended_at);
	run->status = status;
	run->ended_at = end;
	return 0;
}

int soak_db_recover(soak_db_t *db, void (*cleanup)(const soak_run_t *r, void *arg), void *arg)
{
	int r = db_check_writable(db);
	if (r < 0)
		return r;
	char host[256];
	if (gethostname(host, sizeof(host)) < 0)
		return db_fail(db, -errno, "recovering runs: gethostname: %s", strerror(errno));
	host[sizeof(host) - 1] = '\0';

	/* Select and mark under the write lock, so that two soakctl recovering at
	 * once cannot both claim (and clean up) the same run. */
	if ((r = db_durable_begin(db)) < 0)
		return r;
	soak_run_t *runs = NULL;
	size_t n = 0;
	bool *marked = NULL;
	r = running_here(db, host, &runs, &n);
	if (r == 0 && n && !(marked = calloc(n, sizeof(*marked))))
		r = db_fail(db, -ENOMEM, "recovering runs: out of memory");
	for (size_t i = 0; r == 0 && i < n; i++)
		if (!soak_proc_alive(runs[i].runner_pid, runs[i].runner_starttime))
			r = mark_incomplete(db, &runs[i], &marked[i]);
	int r2 = db_durable_end(db, r == 0);
	if (r == 0)
		r = r2;

	/* Cleanup only once the marks are on disk: a crash in between leaves
	 * cgroups behind (removable by hand) but never a run cleaned twice. */
	int count = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!marked[i])
			continue;
		count++;
		if (cleanup)
			cleanup(&runs[i], arg);
	}
	free(marked);
	soak_runs_free(runs, n);
	return r < 0 ? r : count;
}
