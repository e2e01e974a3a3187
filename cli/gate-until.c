/* gate-until.c - gate --until-decided: run the undecided series again and
 * look again (gate-until.h). The decisions are reports/'s (gate.h), the
 * loop and the runs until.c's; this file says what each look saw. */
#include <stdio.h>
#include <string.h>

#include "gate-until.h"

typedef struct {
	soak_gate_look_fn look;
	void *arg;
	soak_gate_report_t *rep;   /* the last look */
} gate_loop_t;

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

/* One more run of each series with an undecided check: its newest gated
 * run holds the checks. */
static size_t repeat(void *arg, int64_t *ids, const char **names, size_t cap)
{
	const gate_loop_t *g = arg;
	size_t n = 0;
	(void)names;
	for (size_t i = 0; i < g->rep->n && n < cap; i++)
		if (g->rep->runs[i].undecided)
			ids[n++] = g->rep->runs[i].run_id;
	return n;
}

/* A look: the previous look's report gives way to this one's. */
static int look(void *arg, const int64_t *extra, size_t n_extra, soak_until_t *u)
{
	gate_loop_t *g = arg;
	if (u->look > 1)
		soak_gate_report_free(g->rep);
	*g->rep = (soak_gate_report_t){ .look = u->look, .looks_max = u->looks_max };
	int r = g->look(g->arg, extra, n_extra, g->rep);
	if (r < 0)
		return r;
	print_look(g->rep);
	u->next = soak_gate_look_next(g->rep, u->spent, u->max_runs);
	return 0;
}

int soak_gate_until(const char *db_path, soak_gate_look_fn fn, void *arg, soak_gate_report_t *rep,
		    soak_until_t *u)
{
	gate_loop_t g = { fn, arg, rep };
	soak_until_ops_t ops = { look, repeat, &g };
	u->looks_max = (unsigned)u->max_runs + 1;
	u->out = stdout;
	u->cmd = "gate";
	return soak_until(db_path, &ops, u);
}

void soak_gate_until_print_end(FILE *f, const soak_gate_report_t *rep, const soak_until_t *u)
{
	char t[64];
	soak_until_fmt_time(u->run_s, t, sizeof(t));
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
