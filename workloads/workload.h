/*
 * workload.h - the workload contract inside the worker binary (soak-worker).
 *
 * A workload is a plugin: one wl-<name>.c exporting one soak_workload_t, listed
 * once in workloads/registry.c. The worker's main parses `soak-worker NAME
 * [--opt VALUE ...]` against the workload's option table, identifies the
 * allocator (dladdr on malloc/free, into the shm header), then calls setup(),
 * run() on each thread, and teardown().
 *
 * Hot-loop rules: no system call for bookkeeping. Count each completed
 * operation in the thread's soak_shm_thread_t (soak_wl_publish), check
 * soak_wl_should_stop() every few hundred operations, time 1 in
 * latency_every operations with soak_clock_ns() into thr->lat.
 */
#ifndef SOAK_WORKLOAD_H
#define SOAK_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soak/shm.h"

typedef enum { SOAK_OPT_U64, SOAK_OPT_SIZE, SOAK_OPT_DOUBLE, SOAK_OPT_STR } soak_opt_type_t;

typedef struct {
	const char *name;      /* "ws", "min-size" (given as --ws 400) */
	soak_opt_type_t type;
	const char *def;       /* default as text, parsed like user input */
	double min, max;       /* bounds for numeric options (inclusive) */
	const char *help;
} soak_wl_opt_t;

#define SOAK_WL_MAX_OPTS 16

typedef struct {
	/* Parsed option values, indexed like the workload's option table. */
	union { uint64_t u; double d; const char *s; } opt[SOAK_WL_MAX_OPTS];
	unsigned nthreads;
	uint32_t latency_every;     /* 0 = no timing */
	soak_shm_t *shm;
	void *priv;                 /* workload state from setup() */
} soak_wl_ctx_t;

typedef struct soak_workload {
	const char *name;
	const char *summary;        /* one line for `soakctl workloads` */
	const char *origin;         /* which seed / benchmark it reproduces */
	const soak_wl_opt_t *opts;
	size_t n_opts;
	/* Optional: 0 when runnable here, else negative errno with a reason. */
	int (*supported)(const soak_wl_ctx_t *ctx, char *why, size_t whylen);
	int (*setup)(soak_wl_ctx_t *ctx);                  /* optional */
	/* Runs on thread `tid` until stop; returns 0, or SOAK_WORKER_EXIT_VERIFY after
	 * writing a message with soak_wl_fail(). */
	int (*run)(soak_wl_ctx_t *ctx, unsigned tid);
	void (*teardown)(soak_wl_ctx_t *ctx);              /* optional */
} soak_workload_t;

extern const soak_workload_t *const soak_workloads[];
extern const size_t soak_n_workloads;
const soak_workload_t *soak_workload_find(const char *name);

#endif
