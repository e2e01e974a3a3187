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

/* What the engine has to tell the user. The engine never prints: it hands
 * each line to the callback the command line put in soak_run_opts_t.say
 * (soakctl writes "soakctl: LINE" to stderr; progress lines as they are). */
typedef enum {
	SOAK_SAY_ERROR,      /* why a run could not start or lost something */
	SOAK_SAY_INFO,       /* a run's end, a stop request, where its cgroups went */
	SOAK_SAY_PROGRESS,   /* the live progress line: "\r...", "\n" at the end */
} soak_say_t;
typedef void (*soak_say_fn)(void *arg, soak_say_t kind, const char *line);

typedef struct {
	const char *workload;        /* built-in workload name, or "exec" */
	char **wl_argv;              /* workload options (after --), NULL-terminated */
	int wl_argc;
	const char *allocator;       /* "system", a registered name, a path, or NAME=PATH */
	const char *allocator_env;   /* non-NULL: the allocator's environment ("K=V K=V", ""
	                                for none) instead of its registration's (run --like) */
	const char *config;          /* --config FILE (allocator registry), or NULL */
	double duration_s;           /* default 60 */
	double interval_s;           /* default 1, >= 0.01 */
	double warmup_s;             /* excluded from statistics; default SOAK_WARMUP_AUTO:
	                                none given, reports find it (MSER-5), and
	                                no warmup_end event or latency snapshot */
	double grace_s;              /* stop request -> SIGKILL, default 5 */
	bool has_memory_max, has_swap_max, has_cpu_max;
	uint64_t memory_max, swap_max;
	double cpu_max_pct;
	bool no_cgroup;
	const char *cgroup_parent;   /* --cgroup-parent PATH, or NULL */
	soak_place_t *place;         /* set by soak_run_place (NULL with --no-cgroup) */
	const char *db_path;         /* default ./soak.db */
	const char *label;
	const char *host_class;      /* --host-class, or NULL: $SOAK_HOST_CLASS / derived */
	const char *comparison_id;   /* set by compare */
	uint32_t latency_every;      /* time 1 in N ops; 0 = off */
	bool usable_bytes;           /* count bytes_usable (a malloc_usable_size call per op) */
	bool repeat;                 /* exec workload: run the command back to back */
	const char *tp_pattern;      /* exec: regex with one group capturing ops/s */
	const char *driver;          /* exec: a shell command driving the command, not
	                                measured (run-driver.c), or NULL */
	int verbose;                 /* -1 quiet, 0 normal, 1 verbose */
	bool progress;               /* live progress line (only on a TTY) */
	soak_say_fn say;             /* where the engine's lines go; NULL: nowhere */
	void *say_arg;
	uint64_t like_run;           /* run --like ID (the command line's; the engine ignores it) */
} soak_run_opts_t;

void soak_run_opts_init(soak_run_opts_t *o);
/* Chooses where the runs' cgroups go (cgplace.h), once per soakctl, before
 * the database is opened: a host where no placement works gets one line and
 * -errno (the reason through o->say), and nothing is written. Sets o->place (unless --no-cgroup). */
int soak_run_place(soak_run_opts_t *o, soak_place_t *place);
/* Undoes it: the runner's leaf and the controllers it enabled. */
void soak_run_unplace(soak_run_opts_t *o);

/* Executes one run and records it in db. Returns 0 when the run was recorded
 * (whatever its status; *ret_run_id set), 1 when it was recorded but samples
 * or final records could not be stored (counted in runs.samples_lost, said on
 * stderr), or a negative errno for an
 * environment/usage error that prevented the run (message already printed,
 * nothing half-written; the reason went through o->say). */
int soak_run_execute(soak_db_t *db, const soak_run_opts_t *o, int64_t *ret_run_id);
/* The checks soak_run_execute makes before anything is recorded (allocator,
 * worker, the workload's options by the worker itself, an exec command),
 * without a placement, a database or a run: 0, or a negative errno with the
 * reason said (o->say, or the worker's own line). For plan --dry-run. */
int soak_run_check(const soak_run_opts_t *o);

/* Path of the soak-worker binary: $SOAK_WORKER, else relative to soakctl's
 * own executable: ../libexec/soak/ (installed), ../workloads/ (build tree),
 * or the same directory. */
#ifndef SOAK_WORKER_REL   /* set by CMake from the install dirs */
#define SOAK_WORKER_REL "../libexec/soak/soak-worker"
#endif
int soak_worker_path(char *buf, size_t len);
/* Why soak_worker_path failed with r, in one line for the user. */
const char *soak_worker_path_why(int r);

/* Set by SIGINT/SIGTERM handlers: compare stops starting new runs. */
extern volatile int soak_run_interrupted;
/* The signal that interrupted (SIGINT, SIGTERM, SIGHUP), 0 when none. Set by
 * the engine's loop and by the command line's own handler (compare),
 * hence exported; readers outside those use soak_run_interrupt_signal_get. */
extern volatile int soak_run_interrupt_signal;
int soak_run_interrupt_signal_get(void);

/* The settings a run's row does not hold (latency sampling, grace, exec
 * --repeat and --tp-pattern), recorded as JSON in the run's log stream of
 * this name so that `run --like` can repeat the run:
 * {"latency_every":256,"grace_s":5,"repeat":false,"tp_pattern":null,"driver":null} */
#define SOAK_RUN_SETTINGS_STREAM "settings"

/* Default sampling of per-op latency: 1 in N operations is timed. */
#define SOAK_DEFAULT_LATENCY_EVERY 256   /* measured < 1.5% throughput cost: docs/workloads.md */

#endif
