/*
 * run-internal.h - the state of one run, shared by the runner's run-*.c files:
 *   run.c         options, set-up (cgroups, shm, record, spawn) and clean-up
 *   run-probes.c  the probes of a run: register, attach, open, sample, close
 *   run-live.c    the sampling loop: progress, allocator verification, steps,
 *                 stop requests, signals
 *   run-end.c     the end: self-reported counters, status, final records
 */
#ifndef SOAK_RUN_INTERNAL_H
#define SOAK_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "cgroup.h"
#include "guard.h"
#include "output.h"
#include "probe.h"
#include "run.h"
#include "selfreport.h"
#include "soak/shm.h"
#include "spawn.h"
#include "srformat.h"
#include "soak/tpscan.h"

/* How long an external command may run without the injected allocator in its
 * memory maps before the run is stopped as allocator-mismatch. */
#define SOAK_EXEC_VERIFY_S 2.0

typedef struct {
	const soak_probe_ops_t *ops;
	void *state;
	bool usable;          /* supported and opened */
	int64_t *ids;         /* db metric ids */
	double *vals;
	bool *valid;
	char (*reasons)[SOAK_REASON_MAX];
} probe_slot_t;

typedef struct {
	const soak_run_opts_t *o;
	soak_db_t *db;
	int64_t id;
	char uuid[40];          /* the run's uuid, made before its cgroups (their name) */
	soak_alloc_t alloc;
	soak_cg_t cg;
	soak_shm_t *shm;
	int shm_fd;
	soak_child_t child;
	soak_probe_ctx_t ctx;
	probe_slot_t *probes;
	size_t nprobes;
	soak_output_t out, err;
	soak_selfreport_t sr_out, sr_err;   /* [TAG] key=value lines, per stream */
	soak_sr_store_t sr;                 /* last value of each TAG.key */
	soak_tpscan_t tp;                   /* a single exec: its throughput line */
	soak_srfmt_set_t srfmt;             /* declared self-report formats */
	bool tp_on;
	double t0;              /* monotonic time of release */
	uint64_t oom_before;
	bool have_oom_before;
	/* end state */
	soak_guard_t guard;     /* the sentinel (guard.h) */
	bool stop_sent, killed_after_grace, mismatch, warmup_done, verified;
	bool sent_sigterm;      /* the stop was SIGTERM to the command's group (exec) */
	int stop_by_signal;     /* the runner's stop came from this signal (0: duration) */
	double stop_at;
	int wstatus;
	bool reaped;
	char message[1024];
	/* exec --repeat: step metrics and the last step read */
	int64_t step_ids[4];
	uint64_t steps_seen;
	/* measurements of the runner itself */
	size_t nsamples;
	double jitter_sum, jitter_max;
	int last_progress_len;
	double last_progress, progress_rss, progress_ops;
} run_t;

/* CLOCK_MONOTONIC in seconds. */
double run_now(void);

/* run-probes.c */
void run_probes_register(run_t *r);
void run_probes_record_unavailable(run_t *r);
void run_probes_attach(run_t *r);
void run_probes_open(run_t *r);
void run_probes_sample(run_t *r, double t);
void run_probes_close(run_t *r);
/* The last sampled value of a metric, if valid. */
bool run_last_value(const run_t *r, const char *name, double *ret);
/* Stores the merged latency histogram of all worker threads at time t. */
void run_store_latency(run_t *r, double t);

/* run-live.c */
void run_progress(run_t *r, double t, bool final);
void run_verify_allocator(run_t *r);
void run_verify_exec_early(run_t *r);
void run_steps_register(run_t *r);
void run_steps_read(run_t *r);
bool run_try_reap(run_t *r);
/* Kills whatever the run's command left running (its cgroup, or without one
 * its session); records how many there were. */
void run_kill_leftovers(run_t *r, double t);
/* Reads signals still queued on sfd after the loop (they count as an interrupt
 * of the command, not of the run that already ended). */
void run_drain_signals(int sfd);
/* Samples until the worker is reaped; sfd is the signalfd of SIGINT/TERM/CHLD/HUP. */
int run_loop(run_t *r, int sfd);

/* run-end.c */
void run_feed_selfreport(const char *data, size_t len, void *arg);
/* A single exec's stdout: self-reports and the throughput line; arg is the run. */
void run_feed_stdout(const char *data, size_t len, void *arg);
/* Final sample, status, per-run values and logs; after the reap. */
void run_finish(run_t *r);

#endif
