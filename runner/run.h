/*
 * run.h - one soak run: options, and the runner that executes it.
 * `soakctl run` parses options into soak_run_opts_t and calls soak_run_execute;
 * `soakctl compare` does the same once per allocator and repeat.
 */
#ifndef SOAK_RUN_H
#define SOAK_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "cgplace.h"
#include "db.h"

typedef struct {
	const char *workload;        /* built-in workload name, or "exec" */
	char **wl_argv;              /* workload options (after --), NULL-terminated */
	int wl_argc;
	const char *allocator;       /* "system", a registered name, a path, or NAME=PATH */
	const char *config;          /* --config FILE (allocator registry), or NULL */
	double duration_s;           /* default 60 */
	double interval_s;           /* default 1, >= 0.01 */
	double warmup_s;             /* default 0; excluded from statistics */
	double grace_s;              /* stop request -> SIGKILL, default 5 */
	bool has_memory_max, has_swap_max, has_cpu_max;
	uint64_t memory_max, swap_max;
	double cpu_max_pct;
	bool no_cgroup;
	const char *cgroup_parent;   /* --cgroup-parent PATH, or NULL */
	soak_place_t *place;         /* set by soak_run_place (NULL with --no-cgroup) */
	const char *db_path;         /* default ./soak.db */
	const char *label;
	const char *comparison_id;   /* set by compare */
	uint32_t latency_every;      /* time 1 in N ops; 0 = off */
	bool repeat;                 /* exec workload: run the command back to back */
	const char *tp_pattern;      /* exec --repeat: regex with one group capturing ops/s */
	int verbose;                 /* -1 quiet, 0 normal, 1 verbose */
	bool progress;               /* live progress line (only on a TTY) */
} soak_run_opts_t;

void soak_run_opts_init(soak_run_opts_t *o);
/* Prints the run options table (for --help of run and compare). */
void soak_run_opts_help(FILE *f);

/* Parses run options from argv[0..argc) (argv[0] is the first option, not the
 * program name). Options not known are an error unless they are known to
 * `extra` (a NULL-terminated list of long option names taking a value, which
 * are skipped and left for the caller). Everything after "--" becomes the
 * workload's argv. Prints one line naming the problem and returns -EINVAL. */
int soak_run_parse_opts(int argc, char **argv, soak_run_opts_t *o, const char *const *extra);

/* True when arg is a run option that takes no value (--no-cgroup, -q, ...):
 * lets other commands (compare) pass run options through without a list of
 * their own. */
bool soak_run_opt_is_flag(const char *arg);

/* Chooses where the runs' cgroups go (cgplace.h), once per soakctl, before
 * the database is opened: a host where no placement works gets one line and
 * -errno, and nothing is written. Sets o->place (unless --no-cgroup). */
int soak_run_place(soak_run_opts_t *o, soak_place_t *place);
/* Undoes it: the runner's leaf and the controllers it enabled. */
void soak_run_unplace(soak_run_opts_t *o);

/* Executes one run and records it in db. Returns 0 when the run was recorded
 * (whatever its status; *ret_run_id set), 1 when it was recorded but samples
 * or final records could not be stored (counted in runs.samples_lost, said on
 * stderr), or a negative errno for an
 * environment/usage error that prevented the run (message already printed,
 * nothing half-written). */
int soak_run_execute(soak_db_t *db, const soak_run_opts_t *o, int64_t *ret_run_id);

/* Set by SIGINT/SIGTERM handlers: compare stops starting new runs. */
/* Path of the soak-worker binary: $SOAK_WORKER, else relative to soakctl's
 * own executable: ../libexec/soak/ (installed), ../workloads/ (build tree),
 * or the same directory. */
#ifndef SOAK_WORKER_REL   /* set by CMake from the install dirs */
#define SOAK_WORKER_REL "../libexec/soak/soak-worker"
#endif
int soak_worker_path(char *buf, size_t len);

extern volatile int soak_run_interrupted;
/* The signal that interrupted (SIGINT, SIGTERM, SIGHUP), 0 when none. */
extern volatile int soak_run_interrupt_signal;

/* Default sampling of per-op latency: 1 in N operations is timed. */
#define SOAK_DEFAULT_LATENCY_EVERY 256   /* measured < 1.5% throughput cost: docs/workloads.md */

#endif
