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

#include <stdbool.h>
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

/* The most workloads a geometric mean is taken over (a suite has fewer). */
#define SOAK_SUITE_GM_MAX 64

/* Candidate i's geometric mean of the throughput ratios over the rows whose
 * throughput verdict was tested, with its bootstrap interval
 * (soak_geomean_ratio_ci, the comparison's alpha and seed), or why none. */
typedef struct {
	bool ok;
	double gm, lo, hi;               /* ratios (1.05 = 5% more throughput) */
	size_t k, of;                    /* over k of `of` workloads */
	char why[120];                   /* when !ok */
} soak_suite_gm_t;
soak_suite_gm_t soak_suite_geomean(const soak_suite_row_t *rows, size_t n, size_t i);

/* Writes every workload's comparison and the summary as "md" (Markdown) or
 * "json" (SOAK_SUITE_SCHEMA_VERSION; docs/suites.md). 0, -EINVAL (format),
 * -EIO, -ENOMEM. */
#define SOAK_SUITE_SCHEMA_VERSION 1
int soak_suite_emit(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n, const char *format);
/* The JSON of soak_suite_emit (suite-json.c). */
int soak_suite_emit_json(FILE *f, const char *suite, const soak_suite_row_t *rows, size_t n);

#endif
