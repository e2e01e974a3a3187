/*
 * suite-emit.h - a suite comparison: one comparison (compare.h) per workload
 * of the suite, then a summary with one row per workload and one column per
 * candidate allocator: the throughput verdict against the baseline, the
 * ratio of the means with its interval, both exactly as the workload's own
 * table has them, or the runs' status when an allocator has no ok run.
 * The last rows count the verdicts per allocator and give the geometric mean
 * of the ratios over the workloads that have one, with a bootstrap interval
 * (soak_geomean_ratio_ci): the summary's only statistic of its own.
 */
#ifndef SOAK_SUITE_EMIT_H
#define SOAK_SUITE_EMIT_H

#include <stddef.h>
#include <stdio.h>

#include "compare.h"

typedef struct {
	const char *entry;               /* the suite's entry name ("rm400") */
	const char *workload;            /* "random_mixed" */
	const char *args;                /* its options as written ("" = defaults) */
	const soak_comparison_t *cmp;    /* its allocators, same order in every row */
} soak_suite_row_t;

typedef struct {
	size_t wins, losses, same, no_verdict;
} soak_suite_tally_t;

/* The verdict counts of candidate group i over the rows (i != baseline). */
soak_suite_tally_t soak_suite_tally(const soak_suite_row_t *rows, size_t n, size_t i);

/* Writes every workload's table and the summary, as Markdown. 0, -EIO. */
int soak_suite_emit_md(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n);

#endif
