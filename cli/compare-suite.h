/*
 * compare-suite.h - `soakctl compare --suite NAME A B ...`: every workload of
 * a suite (runner/suite.h) x every allocator, interleaved in rounds under one
 * comparison id, then one comparison table per workload and a summary
 * (reports/suite-emit.h).
 */
#ifndef SOAK_COMPARE_SUITE_H
#define SOAK_COMPARE_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "run.h"

typedef struct {
	const char *suite;
	char **allocs;                   /* as named on the command line */
	size_t n_alloc;
	size_t repeat;
	uint64_t seed;
	bool has_seed;
	const char *baseline;            /* NULL = the first */
	double alpha;
	const char *output;              /* NULL = stdout */
	/* compare's other options, for refusing those that do not go with a suite */
	const char *format;
	bool from_db, control, until_decided;
	char **run_argv;                 /* run's options as given, "--" and after */
	int run_argc;
} soak_cmp_suite_opts_t;

/* Runs and reports the suite with run options `base` (its workload and
 * workload options are the suite's). An exit code. */
int soak_compare_suite(const soak_cmp_suite_opts_t *o, const soak_run_opts_t *base);

#endif
