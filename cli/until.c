/* until.c - look, run again with run --like, look again (until.h). The
 * decisions are the caller's (gate-until.c, compare-until.c); this file
 * runs the runs and counts what they cost. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "rounds.h"
#include "run-like.h"
#include "soakctl.h"
#include "until.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void soak_until_fmt_time(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);
	if (t < 60)
		snprintf(buf, len, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, len, "%ld min %ld s", t / 60, t % 60);
	else
		snprintf(buf, len, "%ld h %ld min", t / 3600, t % 3600 / 60);
}

/* run --like id, quietly, into db_path (in u's comparison, if any): the
 * new run's id and wall time. */
static int run_like(const char *db_path, const soak_until_t *u, int64_t id, int64_t *ret, double *wall)
{
	soak_run_opts_t o;
	soak_run_opts_init(&o);
	o.say = soak_cli_say;
	o.verbose = -1;
	o.progress = false;
	soak_like_t like = { 0 };
	char err[1024];
	soak_db_t *db = soak_cli_open_db(db_path, SOAK_DB_READ);
	if (!db)
		return -EINVAL;
	int r = soak_like_load(db, id, &o, &like, err, sizeof(err));
	soak_cli_close_db(db);
	if (r == 0)
		r = soak_like_check(&like, &o, err, sizeof(err));
	if (r < 0) {
		soak_err("%s: cannot run again: %s", u->cmd, err);
		soak_like_free(&like);
		return r;
	}
	o.db_path = db_path;
	o.comparison_id = u->comparison_id;
	soak_place_t place;
	if ((r = soak_run_place(&o, &place)) < 0) {
		soak_like_free(&like);
		return r;
	}
	db = soak_cli_open_db(db_path, SOAK_DB_WRITE);
	r = -EINVAL;
	if (db) {
		double t0 = now_s();
		r = soak_run_execute(db, &o, ret);
		*wall = now_s() - t0;
		soak_cli_close_db(db);
	}
	soak_run_unplace(&o);
	soak_like_free(&like);
	return r < 0 ? r : 0;
}

/* The runs the last look asked for, while the budget lasts. */
static int more_runs(const char *db_path, const soak_until_ops_t *ops, soak_until_t *u, int64_t *extra,
		     size_t *n_extra)
{
	size_t cap = u->max_runs - u->spent;
	int64_t *ids = calloc(cap + 1, sizeof(*ids));
	const char **names = calloc(cap + 1, sizeof(*names));
	int r = ids && names ? 0 : -ENOMEM;
	size_t n = r ? 0 : ops->repeat(ops->arg, ids, names, cap);
	for (size_t i = 0; r == 0 && i < n && u->spent < u->max_runs; i++) {
		if (soak_run_interrupted) {   /* a signal between two runs: start no other */
			r = 1;
			break;
		}
		int64_t nid = 0;
		double wall = 0;
		fprintf(u->out, "run %zu of at most %zu: soakctl run --like %" PRId64 "%s%s%s\n", u->spent + 1,
			u->max_runs, ids[i], names[i] ? " (" : "", names[i] ? names[i] : "", names[i] ? ")" : "");
		fflush(u->out);
		r = run_like(db_path, u, ids[i], &nid, &wall);
		u->run_s += wall;
		if (r < 0)
			break;
		u->spent++;
		extra[(*n_extra)++] = nid;
		if (soak_run_interrupted)
			r = 1;
	}
	if (r == -ENOMEM)
		soak_err("%s: out of memory", u->cmd);
	free(ids);
	free(names);
	return r;
}

int soak_until(const char *db_path, const soak_until_ops_t *ops, soak_until_t *u)
{
	int64_t *extra = calloc(u->max_runs + 1, sizeof(*extra));
	size_t n_extra = 0;
	int r = extra ? 0 : -ENOMEM;
	if (r)
		soak_err("%s: out of memory", u->cmd);
	soak_signals_t sig;
	soak_rounds_signals_catch(&sig);
	for (u->look = 1; r == 0; u->look++) {
		if ((r = ops->look(ops->arg, extra, n_extra, u)) < 0)
			break;
		fflush(u->out);
		if (u->next != SOAK_LOOK_MORE)
			break;
		if ((r = more_runs(db_path, ops, u, extra, &n_extra)) != 0)
			break;   /* the last look stands */
	}
	soak_rounds_signals_restore(&sig);
	free(extra);
	return r == 0 && soak_run_interrupted ? 1 : r;   /* a signal during the last look */
}
