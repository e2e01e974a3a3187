/*
 * until.h - the loop `gate --until-decided` and `compare --until-decided`
 * share: look at the runs so far; while the look says more runs are needed
 * and the budget allows, repeat runs with `run --like` (the settings
 * recorded in each) and look again. The looks share the family alpha
 * (Bonferroni over at most looks_max looks, reports/gate.h
 * soak_gate_look_alpha); what a look decides is the caller's. Prints each
 * added run and the machine time the runs took.
 */
#ifndef SOAK_UNTIL_H
#define SOAK_UNTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gate.h"

typedef struct soak_until {
	size_t max_runs;         /* runs that may be added in all */
	unsigned looks_max;      /* the looks alpha is split over (1 + the looks the runs allow) */
	FILE *out;               /* where the looks and runs are said */
	const char *cmd;         /* "gate", "compare": for messages */
	const char *comparison_id;   /* the added runs join this comparison, or NULL */
	unsigned look;           /* the look being made, 1 first */
	size_t spent;            /* runs added */
	double run_s;            /* their wall-clock time, s */
	soak_look_next_t next;   /* how the last look ended */
} soak_until_t;

typedef struct {
	/* One look with the runs added so far (extra[0..n_extra), in the order
	 * repeat() named them): evaluates, prints its lines to u->out and sets
	 * u->next (soak_gate_look_next's meaning). 0, or negative after printing
	 * why (exit 2). */
	int (*look)(void *arg, const int64_t *extra, size_t n_extra, soak_until_t *u);
	/* After a look that said SOAK_LOOK_MORE: the runs to repeat, in order
	 * (ids, at most cap); what to call each in the "run" line (names[i], may
	 * be NULL). Returns how many. */
	size_t (*repeat)(void *arg, int64_t *ids, const char **names, size_t cap);
	void *arg;
} soak_until_ops_t;

/* Runs the looks until one says it is done or spent, with SIGINT, SIGTERM
 * and SIGHUP caught (rounds.h). 0 when the loop ended (u->next says how), a
 * negative errno after printing why, or 1 when a signal came (exit 128+N;
 * the run it stopped is recorded interrupted, the last look stands). */
int soak_until(const char *db_path, const soak_until_ops_t *ops, soak_until_t *u);

/* "38 s", "4 min 12 s", "1 h 2 min". */
void soak_until_fmt_time(double s, char *buf, size_t len);

#endif
