/* gate-until.c - gate --until-decided: run the undecided series again and
 * look again (gate-until.h). The decisions are reports/'s (gate.h); this
 * file runs the runs and says what happened. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate-until.h"
#include "run-like.h"
#include "soakctl.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "38 s", "4 min 12 s", "1 h 2 min". */
static void fmt_time(double s, char *buf, size_t len)
{
	long t = (long)(s + 0.5);
	if (t < 60)
		snprintf(buf, len, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, len, "%ld min %ld s", t / 60, t % 60);
	else
		snprintf(buf, len, "%ld h %ld min", t / 3600, t % 3600 / 60);
}

/* run --like id, quietly, into db_path: the new run's id and wall time. */
static int run_like(const char *db_path, int64_t id, int64_t *ret, double *wall)
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
		soak_err("gate: cannot run again: %s", err);
		soak_like_free(&like);
		return r;
	}
	o.db_path = db_path;
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

/* "look 2 of at most 3: 7 checks, 0 failed, 1 undecided (...)", then the
 * baseline checks that are not passed, one line each. */
static void print_look(const soak_gate_report_t *rep)
{
	printf("look %u of at most %u: %zu checks, %zu failed, %zu undecided, %zu cannot be evaluated "
	       "(%s)\n", rep->look, rep->looks_max, rep->checks, rep->failed, rep->undecided, rep->errors,
	       rep->family[0] ? rep->family : "no baseline check was tested");
	for (size_t i = 0; i < rep->n; i++)
		for (size_t j = 0; j < rep->runs[i].n; j++) {
			const soak_check_t *c = &rep->runs[i].checks[j];
			if (c->has_stats && c->state != SOAK_CHECK_PASS)
				printf("  %s %s %s: %+.2f%% [%+.2f%%, %+.2f%%], %zu run%s vs %zu baseline runs\n",
				       rep->runs[i].title, c->name, soak_check_state_name(c->state), c->change_pct,
				       c->ci_lo_pct, c->ci_hi_pct, c->k, c->k == 1 ? "" : "s", c->n);
		}
	fflush(stdout);
}

/* One more run of each series with an undecided check (its newest gated
 * run holds the checks), while runs remain. */
static int more_runs(const char *db_path, const soak_gate_report_t *rep, int64_t *extra, size_t *n_extra,
		     soak_gate_until_t *u)
{
	for (size_t i = 0; i < rep->n && u->spent < u->max_runs; i++) {
		if (!rep->runs[i].undecided)
			continue;
		int64_t id = rep->runs[i].run_id, nid = 0;
		double wall = 0;
		printf("run %zu of at most %zu: soakctl run --like %" PRId64 "\n", u->spent + 1, u->max_runs, id);
		fflush(stdout);
		int r = run_like(db_path, id, &nid, &wall);
		u->run_s += wall;
		if (r < 0)
			return r;
		u->spent++;
		extra[(*n_extra)++] = nid;
		if (soak_run_interrupted)
			return 1;
	}
	return 0;
}

int soak_gate_until(const char *db_path, soak_gate_look_fn look, void *arg, soak_gate_report_t *rep,
		    soak_gate_until_t *u)
{
	int64_t *extra = calloc(u->max_runs + 1, sizeof(*extra));
	size_t n_extra = 0;
	int r = extra ? 0 : -ENOMEM;
	for (unsigned l = 1; r == 0; l++) {
		*rep = (soak_gate_report_t){ .look = l, .looks_max = (unsigned)u->max_runs + 1 };
		if ((r = look(arg, extra, n_extra, rep)) < 0)
			break;
		print_look(rep);
		u->next = soak_gate_look_next(rep, u->spent, u->max_runs);
		if (u->next != SOAK_LOOK_MORE)
			break;
		if ((r = more_runs(db_path, rep, extra, &n_extra, u)) != 0)
			break;   /* rep is the last look */
		soak_gate_report_free(rep);
	}
	free(extra);
	return r;
}

void soak_gate_until_print_end(FILE *f, const soak_gate_report_t *rep, const soak_gate_until_t *u)
{
	char t[64];
	fmt_time(u->run_s, t, sizeof(t));
	if (u->next == SOAK_LOOK_DONE && (rep->failed || rep->errors)) {
		fprintf(f, "stopped at look %u: %s, which more runs cannot undo; %zu more run%s, %s of runs\n",
			rep->look, rep->failed ? "a check failed" : "a check cannot be evaluated", u->spent,
			u->spent == 1 ? "" : "s", t);
		return;
	}
	if (u->next == SOAK_LOOK_DONE) {
		if (!u->spent)
			fprintf(f, "decided at the first look: no more runs\n");
		else
			fprintf(f, "decided after %zu more run%s, %s of runs\n", u->spent, u->spent == 1 ? "" : "s", t);
		return;
	}
	if (u->next != SOAK_LOOK_SPENT)
		return;
	fprintf(f, "still undecided after %zu more run%s (--max-runs %zu), %s of runs:\n", u->spent,
		u->spent == 1 ? "" : "s", u->max_runs, t);
	for (size_t i = 0; i < rep->n; i++)
		for (size_t j = 0; j < rep->runs[i].n; j++) {
			const soak_check_t *c = &rep->runs[i].checks[j];
			if (c->state != SOAK_CHECK_UNDECIDED)
				continue;
			/* the message up to its advice: "undecided after 6 runs: ... vs a 2% limit" */
			const char *cut = strstr(c->message, ": run more");
			fprintf(f, "  %s %s: %.*s\n", rep->runs[i].title, c->name,
				cut ? (int)(cut - c->message) : (int)strlen(c->message), c->message);
		}
}
