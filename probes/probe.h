/*
 * probe.h - the probe contract. A probe samples one aspect of a running worker
 * (process memory, cgroup memory, CPU, syscall counts, the worker's own
 * counters...) into named metrics. Probes are plugins: one probe-<name>.c each,
 * exporting one soak_probe_ops_t, listed once in probes/registry.c.
 *
 * Life cycle, driven by the runner (the only process that calls probes):
 *   supported()  may this probe work here at all? (cheap; reason when not).
 *                When it fails, the runner records its reason for every metric
 *                of the probe and calls nothing else of it.
 *   attach()     optional: called after fork, while the child sits in the run's
 *                cgroups but is still stopped before execve (perf counters with
 *                enable_on_exec, and cgroup-scoped perf counters, are opened
 *                here). The child must make no counted system call between
 *                attach() and execve (no malloc/mmap after fork: async-signal-safe
 *                code only, which is the rule after fork anyway).
 *   open()       after the child has exec'd; keep fds open for cheap sampling.
 *                Receives the state attach() created (NULL when attach is absent
 *                or set none).
 *   sample()     every interval, and once more after the worker has been reaped
 *                (waitpid), before close()
 *   close()      release everything; called once whenever attach() or open()
 *                ran, whatever they returned; close(NULL) is a no-op.
 *
 * reasons: the runner passes an array of n_metrics strings of SOAK_REASON_MAX
 * bytes, all empty, to attach() and then (the same array) to open(). A probe
 * writes a non-empty reason for each metric that will be unavailable for the
 * whole run; such metrics are never valid. When attach() or open() fail
 * (negative errno) the probe has written a reason for every metric, and the
 * runner does not call sample().
 *
 * Rules: sample() runs on the runner's hot path; it must not allocate, must not
 * walk /proc broadly, and should use kept-open fds with pread. A metric that
 * could not be measured is reported invalid (valid[i] = false), never as 0.
 * sample() returns 0, or a negative errno when nothing at all could be read
 * (then every valid[i] is false too). All fds are opened O_CLOEXEC so the
 * runner's next worker does not inherit them.
 * Functions return 0 or a negative errno.
 */
#ifndef SOAK_PROBE_H
#define SOAK_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgnames.h"
#include "soak/shm.h"

#define SOAK_REASON_MAX 160
/* Upper bound on n_metrics of any probe (checked by the registry test): the
 * runner may size its values/valid/reasons arrays with it. */
#define SOAK_PROBE_MAX_METRICS 32

typedef enum {
	SOAK_GAUGE = 0,    /* a level at the sample time (bytes, threads) */
	SOAK_COUNTER = 1,  /* cumulative since the worker started (ops, faults, syscalls) */
} soak_metric_kind_t;

typedef struct {
	const char *name;  /* stable, snake_case, unique across probes, e.g. "rss_bytes" */
	const char *unit;  /* "bytes", "count", "ops", "ns", "s", "us", "pct" */
	soak_metric_kind_t kind;
	const char *desc;  /* one line; the full definition is in docs/metrics.md */
} soak_metric_def_t;

typedef struct {
	pid_t pid;                  /* the worker (root of the process tree) */
	const soak_cg_paths_t *cg;  /* the run's cgroups; mode SOAK_CG_NONE without cgroups */
	const soak_shm_t *shm;      /* built-in worker's shared memory; NULL for external commands */
	double interval_s;          /* sampling period */
	bool exclude_root;          /* the root is soak's exec --repeat driver: the
	                             * process tree's numbers are its descendants' only */
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
	/* values[i]/valid[i] for each metric i of this probe, every sample
	 * (optional when sample_slow is set). The runner clears valid[] first. */
	int (*sample)(void *state, double *values, bool *valid);
	/* Optional: the metrics that cost far more to read than they gain from
	 * fine sampling (perf counters: an inter-processor call per read, ~35 us
	 * in a VM; cgroup memory.stat and PSI text; counters and levels such as
	 * CPU time, swap and the cgroup's peak), read at most every
	 * slow_interval_s. At shorter intervals they are NULL in the samples
	 * between reads; the first sample and the final one after the reap always
	 * read them. Sets only the metrics it reads (after sample()). */
	int (*sample_slow)(void *state, double *values, bool *valid);
	double slow_interval_s;
	void (*close)(void *state);
} soak_probe_ops_t;

/* The registry (probes/registry.c). */
extern const soak_probe_ops_t *const soak_probes[];
extern const size_t soak_n_probes;
const soak_probe_ops_t *soak_probe_find(const char *name);

/* Reads every metric of a probe now (sample() and sample_slow(), valid[]
 * cleared first): for tests and benchmarks; the runner paces sample_slow().
 * 0, or the first negative errno. */
int soak_probe_sample_all(const soak_probe_ops_t *p, void *state, double *values, bool *valid);

#endif
