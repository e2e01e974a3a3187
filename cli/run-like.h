/*
 * run-like.h - `soakctl run --like ID`: the settings recorded in run ID as
 * the starting point of a new run's options, which the command line then
 * overrides (cmd-run.c), and `gate --until-decided` repeats a run with.
 */
#ifndef SOAK_RUN_LIKE_H
#define SOAK_RUN_LIKE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "run.h"

typedef struct soak_like {
	int64_t id;
	soak_run_t rec;          /* the recorded run (owned) */
	char **argv;             /* its workload argv, NULL-terminated (owned) */
	int argc;
	char *alloc_spec;        /* "system" or NAME=PATH: what o->allocator is set to */
	char *tp_pattern;        /* exec --tp-pattern as recorded, or NULL */
	char *driver;            /* exec --driver as recorded, or NULL */
} soak_like_t;

/* Sets o (as soak_run_opts_init left it) to run id's settings: workload and
 * its arguments, allocator name, path and environment, duration, interval,
 * warm-up (as given, or automatic), memory/swap/CPU limits or none, label,
 * a host class that was not derived, latency sampling, grace, exec --repeat
 * and --tp-pattern. Strings stay in like (soak_like_free after the run).
 * 0; -ENOENT (no such run) or -EINVAL (an exec run whose command cannot be
 * rebuilt) with one line in err. */
int soak_like_load(soak_db_t *db, int64_t id, soak_run_opts_t *o, soak_like_t *like, char *err, size_t len);

/* After the command line had its say: recorded settings its overrides make
 * meaningless are dropped (another workload: the recorded arguments, unless
 * given after --, --repeat, --tp-pattern; --no-cgroup: the limits). When o
 * still uses the recorded
 * allocator, its file must be the one run id used (the same sha256, else
 * the same size and mtime). An explicit --allocator drops the recorded
 * environment. 0, or -EINVAL with one line in err. */
int soak_like_check(const soak_like_t *like, soak_run_opts_t *o, char *err, size_t len);

void soak_like_free(soak_like_t *like);

#endif
