/*
 * probe.h - the probe contract. A probe samples one aspect of a running worker
 * (process memory, cgroup memory, CPU, syscall counts, the worker's own
 * counters...) into named metrics. Probes are plugins: one probe-<name>.c each,
 * exporting one soak_probe_ops_t, listed once in probes/registry.c.
 *
 * Life cycle, driven by the runner (the only process that calls probes):
 *   supported()  may this probe work here at all? (cheap; reason when not)
 *   attach()     optional: called after fork, while the child is stopped before
 *                execve (perf counters with enable_on_exec are opened here)
 *   open()       after the child has exec'd; keep fds open for cheap sampling
 *   sample()     every interval, and once more after the worker has exited
 *   close()      release everything
 *
 * Rules: sample() runs on the runner's hot path; it must not allocate, must not
 * walk /proc broadly, and should use kept-open fds with pread. A metric that
 * could not be measured is reported invalid (valid[i] = 0), never as 0; a metric
 * that can never be measured in this run gets a reason in open()/attach().
 * Functions return 0 or a negative errno.
 */
#ifndef SOAK_PROBE_H
#define SOAK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "soak/cgroup.h"
#include "soak/shm.h"

#define SOAK_REASON_MAX 160

typedef enum {
	SOAK_GAUGE = 0,    /* a level at the sample time (bytes, threads) */
	SOAK_COUNTER = 1,  /* cumulative since the worker started (ops, faults, syscalls) */
} soak_metric_kind_t;

typedef struct {
	const char *name;  /* stable, snake_case, unique across probes, e.g. "rss_bytes" */
	const char *unit;  /* "bytes", "count", "ops", "ns", "s", "pct" */
	soak_metric_kind_t kind;
	const char *desc;  /* one line; the full definition is in docs/metrics.md */
} soak_metric_def_t;

typedef struct {
	pid_t pid;                  /* the worker (root of the process tree) */
	const soak_cg_paths_t *cg;  /* the run's cgroups; mode SOAK_CG_NONE without cgroups */
	const soak_shm_t *shm;      /* built-in worker's shared memory; NULL for external commands */
	double interval_s;          /* sampling period */
} soak_probe_ctx_t;

typedef struct soak_probe_ops {
	const char *name;
	const soak_metric_def_t *metrics;
	size_t n_metrics;
	/* 0 when usable here; else negative errno and a human reason in why. */
	int (*supported)(const soak_probe_ctx_t *ctx, char *why, size_t whylen);
	/* Optional. May create *state; open() then receives it. reasons[i] (SOAK_REASON_MAX bytes each) is set non-empty for a
	 * metric that will be unavailable for the whole run. */
	int (*attach)(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX]);
	int (*open)(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX]);
	/* values[i]/valid[i] for each metric i of this probe. */
	int (*sample)(void *state, double *values, bool *valid);
	void (*close)(void *state);
} soak_probe_ops_t;

/* The registry (probes/registry.c). */
extern const soak_probe_ops_t *const soak_probes[];
extern const size_t soak_n_probes;
const soak_probe_ops_t *soak_probe_find(const char *name);

#endif
