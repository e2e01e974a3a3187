/* history-load.c - reads every run of a database into series (history.h):
 * from the run_summary cache when it holds the run, else computed from the
 * run's rows, and the computed summaries saved back in batches. With
 * result-load.c, the only file of reports/ that calls the db's API. */
#include "history.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"

static bool wanted(const soak_history_load_opts_t *o, const soak_run_t *r)
{
	return (!o->workload || (r->workload && !strcmp(o->workload, r->workload))) &&
	       (!o->allocator || (r->allocator_name && (!strcmp(o->allocator, r->allocator_name) ||
							(o->relative_to && !strcmp(o->relative_to, r->allocator_name))))) &&
	       (!o->host_class || (r->host_class && !strcmp(o->host_class, r->host_class)));
}

typedef struct {
	const soak_history_load_opts_t *o;
	soak_db_t *w;              /* writer, opened at the first batch */
	bool no_writer;            /* could not open one: the cache is not kept */
	soak_run_summary_t *fresh; /* computed since the last save */
	size_t n_fresh, batch;
} saver_t;

/* The summaries computed so far go into run_summary in one transaction: a
 * cache, so any failure (read-only file, a busy writer) only costs time. In
 * WAL mode the reader's snapshot is not disturbed by these commits. */
static void flush(saver_t *sv)
{
	if (!sv->n_fresh)
		return;
	if (!sv->w && !sv->no_writer) {
		char err[512];
		if (!sv->o->save_path || access(sv->o->save_path, W_OK) != 0 ||
		    soak_db_open(sv->o->save_path, SOAK_DB_WRITE, &sv->w, err, sizeof(err)) != 0) {
			sv->w = NULL;
			sv->no_writer = true;
		}
	}
	if (sv->w && soak_db_summaries_put(sv->w, SOAK_HISTORY_SUMMARY_FORMAT, sv->fresh, sv->n_fresh) < 0) {
		soak_db_rollback(sv->w);
		soak_db_close(sv->w, NULL, 0);
		sv->w = NULL;
		sv->no_writer = true;
	}
	for (size_t i = 0; i < sv->n_fresh; i++)
		free(sv->fresh[i].data);
	sv->n_fresh = 0;
}

static int left_impossible(soak_history_t *h, const soak_run_t *run, const char *why,
			   const soak_history_load_opts_t *o)
{
	if (!h->impossible++)
		snprintf(h->impossible_text, sizeof(h->impossible_text), "run %lld: %s", (long long)run->id, why);
	if (!o->gate)
		return 0;
	char status[256];
	snprintf(status, sizeof(status), "has an impossible value: %s", why);
	soak_run_t r = *run;
	r.status = status;
	return soak_history_note_unfinished(h, &r, !o->all_hosts);
}

/* One finished run into its series: from the cache or computed. */
static int add_run(soak_db_t *db, soak_history_t *h, const soak_run_t *run, saver_t *sv, char *err,
		   size_t errlen)
{
	soak_hseries_t *s = soak_history_series(h, run, !sv->o->all_hosts);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* The cached summary, read for this run alone: holding every summary
	 * at once cost about 1 KB per run of the database. */
	char *cached = NULL;
	int r = sv->o->no_cache ? -ENOENT : soak_db_summary_get(db, SOAK_HISTORY_SUMMARY_FORMAT, run->id, &cached);
	if (r == 0) {
		r = soak_history_add_summary(s, run, cached);
		free(cached);
		if (r == 0) {
			h->runs++;
			return 0;
		}
		if (r == -ENOMEM) {
			snprintf(err, errlen, "out of memory");
			return r;
		}
	} else if (r == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	/* A value no run can have (a database edited by hand) is never
	 * averaged in: the run is left out with the reason, and fails its
	 * night in the gate. A cached summary passed this check when made. */
	char why[200];
	r = soak_db_run_impossible(db, run->id, why, sizeof(why));
	if (r > 0)
		return left_impossible(h, run, why, sv->o);
	if (r < 0) {
		snprintf(err, errlen, "run %lld: %s", (long long)run->id, soak_db_errmsg(db));
		return r;
	}
	h->runs++;
	soak_run_result_t res;
	soak_result_opts_t ro = { 0 };
	r = soak_result_from_db(db, run, &ro, &res);
	if (r < 0) {
		snprintf(err, errlen, "run %lld: %s", (long long)run->id,
			 r == -ENOMEM ? "out of memory" : soak_db_errmsg(db));
		return r;
	}
	r = soak_history_add(s, run, &res);
	soak_result_free(&res);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		return r;
	}
	if (sv->o->no_cache)
		return 0;
	if ((sv->fresh[sv->n_fresh].data = soak_history_summary_encode(&s->p[s->n - 1])))
		sv->fresh[sv->n_fresh++].run_id = run->id;
	if (sv->n_fresh >= sv->batch)
		flush(sv);
	return 0;
}

typedef struct {
	soak_db_t *db;
	const soak_history_load_opts_t *o;
	soak_history_t *h;
	saver_t *sv;
	char *err;
	size_t errlen;
} walk_t;

/* One run of the walk in start order. */
static int load_one(const soak_run_t *run, void *arg)
{
	walk_t *w = arg;
	const soak_history_load_opts_t *o = w->o;
	if (o->stop && *o->stop) {
		snprintf(w->err, w->errlen, "interrupted (the summaries computed so far are kept)");
		return -EINTR;
	}
	if (!wanted(o, run))
		return 0;
	/* A night is a label: a stray run without one (a manual run into
	 * the nightly database) would form a one-run "night" newer than
	 * the real newest one and hide it from the gate. */
	if (!o->unlabelled_nights && (!run->label || !*run->label)) {
		w->h->unlabelled++;
		return 0;
	}
	if (run->status && !strcmp(run->status, "ok"))
		return add_run(w->db, w->h, run, w->sv, w->err, w->errlen);
	w->h->skipped++;
	/* A run still going is no failure; any other end is. */
	int r = 0;
	if (o->gate && (!run->status || strcmp(run->status, "running")) &&
	    (r = soak_history_note_unfinished(w->h, run, !o->all_hosts)) < 0)
		snprintf(w->err, w->errlen, "out of memory");
	return r;
}

/* The runs are read one at a time in start order, each run's cached
 * summary looked up alone: what stays in memory is the series' points. */
int soak_history_load(soak_db_t *db, const soak_history_load_opts_t *o, soak_history_t *h, char *err,
		      size_t errlen)
{
	saver_t sv = { .o = o, .batch = o->batch ? o->batch : SOAK_HISTORY_BATCH };
	if (!(sv.fresh = calloc(sv.batch, sizeof(*sv.fresh)))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	err[0] = '\0';
	walk_t w = { .db = db, .o = o, .h = h, .sv = &sv, .err = err, .errlen = errlen };
	soak_db_snapshot_begin(db);   /* one consistent view, one lock */
	int r = soak_db_runs_each(db, load_one, &w);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s", soak_db_errmsg(db));
	soak_db_snapshot_end(db);
	flush(&sv);   /* what was computed is kept, also after an error */
	soak_db_close(sv.w, NULL, 0);
	free(sv.fresh);
	return r;
}
