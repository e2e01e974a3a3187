/*
 * suite.h - named sets of workloads with their options. Built in: "classic"
 * (the classic allocator stress patterns this suite has) and "seeds" (the
 * suite's own first workloads). Users declare more in soak.ini, found like
 * the allocator registry (--config FILE, ./soak.ini, then
 * $XDG_CONFIG_HOME/soak/soak.ini):
 *
 *   [suite.mine]
 *   rm400  = random_mixed --ws 400     ; ENTRY = WORKLOAD [OPTIONS]
 *   rm4000 = random_mixed --ws 4000
 *   larson = larson --threads 2
 *
 * Entries keep the file's order; a suite in a config file overrides a
 * built-in one of the same name. Whether each workload and its options are
 * valid is the worker's to say (soak_run_check), not this reader's.
 */
#ifndef SOAK_SUITE_H
#define SOAK_SUITE_H

#include <limits.h>
#include <stddef.h>

#define SOAK_SUITE_MAX 32            /* entries per suite */

typedef struct {
	char name[64];                   /* the entry's key ("rm400"); its table's title */
	char workload[64];               /* "random_mixed" */
	char args[1024];                 /* the workload's options as written ("" = defaults) */
} soak_suite_entry_t;

typedef struct {
	char name[64];
	char source[PATH_MAX];           /* "built-in" or the config file */
	soak_suite_entry_t e[SOAK_SUITE_MAX];
	size_t n;
} soak_suite_t;

/* Finds suite `name` (config files first, then the built-in ones). 0, or
 * -ENOENT (unknown: err names the known ones and how to declare it),
 * -EINVAL (a bad [suite.*] section: err = "FILE:LINE: what"). */
int soak_suite_find(const char *name, const char *config, soak_suite_t *ret, char *err, size_t errlen);

/* The names of the built-in suites, NULL-terminated. */
extern const char *const soak_suite_builtin_names[];

#endif
