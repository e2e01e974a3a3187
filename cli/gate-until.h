/*
 * gate-until.h - `gate --until-decided --max-runs M`: while a baseline check
 * is undecided, run the gated series again (run --like its newest gated run,
 * under that run's label, so the new run joins the candidates) and look
 * again, until every check is decided or M extra runs are spent. The looks
 * share the family alpha (reports/gate.h, soak_gate_look_alpha); when to
 * stop is soak_gate_look_next; the loop is until.h's, shared with compare.
 * Prints each look's outcome and the machine time the runs took.
 */
#ifndef SOAK_GATE_UNTIL_H
#define SOAK_GATE_UNTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gate.h"
#include "until.h"

/* One look: evaluates the gate with the extra runs among the gated runs
 * (rep->look and rep->looks_max are set). 0, or negative after printing
 * why (the gate cannot be evaluated: exit 2). */
typedef int (*soak_gate_look_fn)(void *arg, const int64_t *extra, size_t n_extra, soak_gate_report_t *rep);

/* Runs the looks (until.h; u->max_runs set, the rest is filled); *rep is
 * the last one (free it), u says what they cost. Returns 0 when the loop
 * ended (rep says how), a negative errno after printing why, or 1 when a
 * run was interrupted (exit 128+N). */
int soak_gate_until(const char *db_path, soak_gate_look_fn look, void *arg, soak_gate_report_t *rep,
		    soak_until_t *u);

/* The closing line: "decided after 3 more runs, 4 min 12 s of runs", or per
 * undecided check "undecided after 6 runs: -3.10% [...] vs a 2% limit". */
void soak_gate_until_print_end(FILE *f, const soak_gate_report_t *rep, const soak_until_t *u);

#endif
