/*
 * run-internal.h - the state of one run, shared by the runner's run-*.c files:
 *   run.c         options, set-up (cgroups, shm, record, spawn) and clean-up
 *   run-probes.c  the probes of a run: register, attach, open, sample, close
 *   run-live.c    the sampling loop: progress, allocator verification, steps,
 *                 stop requests, signals
 *   run-end.c     the end: self-reported counters, status, final records
 *   run-driver.c  exec --driver: the process that loads the command, unmeasured
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
#include "soak/hist.h"
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
	double cpu_s;         /* runner CPU in this probe, over the timed samples */
	double slow_cpu_s;    /* runner CPU in its sample_slow() calls, every one timed */
	double last_t;        /* run time of its last sample_slow(), -1 none */
	size_t reads;         /* samples in which sample_slow() ran */
} probe_slot_t;

/* run-store.c: what the loop queues for the database. */
#define SOAK_STORE_EVENTS 64
/* exec --repeat steps queued between flushes: a step can end every 0.5 ms
 * (`/bin/true` on a 2-CPU VM: 1,850 a second), and a locked or full database
 * may hold the queue for seconds (the sample ring holds 60 s). 32768 x 40
 * bytes (1.25 MiB, in the heap-allocated run): about 17 s of such steps. */
#define SOAK_STORE_STEPS 32768
typedef struct {
	double t;
	char kind[32];
	char detail[256];
	bool has_detail;
} run_pending_event_t;

typedef struct {
	size_t ncols;                 /* metrics with a column (available for the run) */
	const double **src;           /* per column: the probe's value ... */
	const bool **ok;              /* ... and its valid flag */
	double *ring;                 /* cap rows of (t, ncols values) */
	size_t cap, head, n;          /* pending rows: head .. head+n-1 (mod cap) */
	run_pending_event_t ev[SOAK_STORE_EVENTS];
	size_t nev;
	uint64_t ev_dropped;
	char observed[4096];
	bool observed_pending;
	soak_hist_t *hist[2];         /* latency: warm-up end, latest */
	double hist_t[2];
	bool hist_pending[2], hist_stored;
	struct { double t, v[4]; } steps[SOAK_STORE_STEPS];
	size_t nsteps;
	uint64_t taken;               /* samples taken: the ticks' rows and exec steps */
	uint64_t lost;                /* samples taken but never stored */
	double lost_t0, lost_t1;      /* the first and the last of them */
	uint64_t gap_n;               /* lost since the last successful flush */
	double gap_t0, gap_t1;
	bool failing, warned;         /* the last flush failed; said so */
	double fail_since;
	char fail_msg[512];
} run_store_t;

typedef struct {
	const soak_run_opts_t *o;
	soak_db_t *db;
	int64_t id;
	char uuid[40];          /* the run's uuid, made before its cgroups (their name) */
	soak_alloc_t alloc;
	char preload[PATH_MAX];       /* LD_PRELOAD's value (soak_alloc_preload_path) */
	char preload_dir[64];         /* its private link's directory, "" when none */
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
	soak_sr_store_t sr_first;           /* the driver's: first value of each TAG.key */
	struct {                            /* exec --driver (run-driver.c) */
		soak_child_t c;
		bool on, reaped, stopped;
		soak_output_t out, err;
		soak_selfreport_t sr_out, sr_err;
	} drv;
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
	run_store_t store;
	bool store_failed;      /* a final write or commit failed */
	/* measurements of the runner itself */
	size_t nsamples;
	double jitter_sum, jitter_max;
	double probe_fast_cpu_s;           /* runner CPU in the probes on the timed ticks, slow reads excluded */
	double probe_slow_cpu_s;           /* runner CPU in every sample_slow() call */
	double store_cpu_s;                /* runner CPU in the flushes, every one timed */
	uint64_t probe_rng;                /* picks the samples whose probes are timed one by one */
	size_t probe_timed;                /* how many were */
	/* Their distributions (ns per tick, per flush): medians resist the
	 * contention of a shared host, which inflates the totals. */
	soak_hist_t *probe_cpu_hist, *store_cpu_hist;
	size_t nflushes;
	bool progress_on;       /* --progress, not quiet, and stderr a terminal (asked at the start) */
	int last_progress_len;
	double last_progress, progress_rss, progress_ops;
	/* The syscall counters when the worker began its first measured
	 * operation (run-mark.c), stored as first_op.* values at the end. */
	struct {
		bool taken;
		double t;                   /* run time of the mark */
		size_t n;
		struct { const char *metric; double v; bool ok; } c[32];
		char why[160];              /* when not taken */
	} mark;
} run_t;

/* How often the sampling loop writes its queued samples to the database. */
#define SOAK_FLUSH_S 0.5

/* Hands one line to o->say (nothing when the caller set none). */
void run_say(const soak_run_opts_t *o, soak_say_t kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* CLOCK_MONOTONIC in seconds. */
double run_now(void);
/* This thread's CPU time in seconds (where the runner's CPU goes). */
double run_cpu_now(void);

/* run-probes.c */
void run_probes_register(run_t *r);
void run_probes_record_unavailable(run_t *r);
/* A reason the worker gave after open(), recorded for metric `name` when it has none. */
void run_probes_late_unavailable(run_t *r, const char *name, const char *reason);
void run_probes_attach(run_t *r);
void run_probes_open(run_t *r);
double run_probes_sample(run_t *r, double t, bool force);
/* The probes' runner CPU over the run so far (seconds, estimated: see run-probes.c). */
double run_probes_cpu_s(const run_t *r);
void run_probes_close(run_t *r);
/* The last sampled value of a metric, if valid. */
bool run_last_value(const run_t *r, const char *name, double *ret);

/* run-store.c: the write path of the loop; nothing here waits for the db. */
int run_store_init(run_t *r);
void run_store_free(run_t *r);
/* Whether a queue other than the ring is half full (flush early). */
bool run_store_pressing(const run_t *r);
/* Queues this tick's probe values (after run_probes_sample). */
void run_store_tick(run_t *r, double t);
/* Queue an event, the observed allocator, one exec step's four values. */
void run_event(run_t *r, double t, const char *kind, const char *detail);
void run_observed(run_t *r, const char *observed);
void run_step_sample(run_t *r, double t, const double v[4]);
/* Queues the merged latency histogram of all worker threads at time t. */
void run_store_latency(run_t *r, double t);
/* Writes and commits everything queued; on failure keeps it queued. */
int run_store_flush(run_t *r);
/* After the loop: flush with retries; what cannot be stored counts as lost. */
int run_store_final(run_t *r);

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
/* A built-in worker exited 0 on a SIGTERM/SIGINT the runner did not send. */
bool run_worker_stopped_by_other(const run_t *r, int exit_code);
void run_await_group_signal(run_t *r, int sfd);
/* Samples until the worker is reaped; sfd is the signalfd of SIGINT/TERM/CHLD/HUP. */
int run_loop(run_t *r, int sfd);

/* run-end.c */
void run_feed_selfreport(const char *data, size_t len, void *arg);
/* A single exec's stdout: self-reports and the throughput line; arg is the run. */
void run_feed_stdout(const char *data, size_t len, void *arg);
/* Final sample, status, per-run values and logs; after the reap. */
void run_finish(run_t *r);
/* run-driver.c: exec --driver. init in run_new; start once the command runs;
 * reaped (true when p was the driver, st its status) or tried; pump its
 * output; stop (SIGTERM, SIGKILL after a grace); finish (stop, drain, flush
 * its self-reports); store (first values, its logs: 0 or -errno); free. */
void run_driver_init(run_t *r);
void run_driver_start(run_t *r);
bool run_driver_reaped(run_t *r, pid_t p, int st);
void run_driver_try_reap(run_t *r);
void run_driver_pump(run_t *r);
void run_driver_stop(run_t *r);
void run_driver_finish(run_t *r);
int run_driver_store(run_t *r);
void run_driver_free(run_t *r);
/* run-mark.c: waits (bounded) for the worker's first operation and reads the
 * syscall counters then; run_mark_store records them (run end). */
void run_mark_first_op(run_t *r);
void run_mark_store(run_t *r);

#endif
