/*
 * compare-until.h - `compare --until-decided --max-runs M`: while a metric
 * the comparison decides on (compare.h, soak_cmp_decide_metrics) is
 * undecided for a column, run every allocator once more (run --like its
 * newest run, in an order shuffled per round) and compare again, until every such
 * metric is decided, one is worse, or M more runs per allocator are spent.
 * The loop is until.h's, shared with the gate; the looks share alpha the
 * same way (Bonferroni over at most M + 1 looks). What each look says and
 * the exit code are here; cmd-compare.c makes the comparisons.
 */
#ifndef SOAK_COMPARE_UNTIL_H
#define SOAK_COMPARE_UNTIL_H

#include <stdio.h>

#include "compare.h"
#include "until.h"

/* Prints the look's line ("look 2 of at most 3: ...") and one line per
 * metric and column, and sets u->next. alpha is the family alpha. */
void soak_cmp_until_look(FILE *f, const soak_comparison_t *c, double alpha, soak_until_t *u);

/* The closing line(s): decided, stopped on a worse metric, or still
 * undecided with each undecided metric's interval; the machine time. */
void soak_cmp_until_print_end(FILE *f, const soak_comparison_t *c, const soak_until_t *u);

/* 0 every metric decided and none worse, 1 a metric is worse, 2 undecided
 * after the runs allowed, or nothing could be decided. */
int soak_cmp_until_exit(const soak_comparison_t *c, const soak_until_t *u);

#endif
