/*
 * db.h - the only code that talks SQL. One SQLite file (WAL) holds runs,
 * samples, events, per-run values, latency histograms and worker logs; the
 * schema is versioned with PRAGMA user_version and documented in docs/schema.md.
 *
 * Writers: only the runner. Samples are written inside a transaction that
 * soak_db_commit() closes (the runner calls it at least every 100 ms), so a
 * killed runner loses at most 100 ms of samples.
 *
 * Unmeasured is not zero: a sample whose value could not be measured is stored
 * as NULL (valid = false) and a metric unavailable for a whole run is recorded
 * with its reason in run_metrics.
 *
 * All functions return 0 or a negative errno; errors also fill the db's last
 * error text (soak_db_errmsg) with one line naming the problem. A handle is
 * used by one thread at a time (it is opened without SQLite's mutex).
 */
#ifndef SOAK_DB_H
#define SOAK_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "soak/hist.h"

#define SOAK_DB_SCHEMA_VERSION 6

/* runs.warmup_s of a run started without --warmup: reports find the warm-up
 * from the run's own series (MSER-5, reports/warmup.c). Negative, so two such
 * runs compare equal (a NULL, read as NAN, would not). */
#define SOAK_WARMUP_AUTO (-1.0)

typedef struct soak_db soak_db_t;

enum { SOAK_DB_READ = 0, SOAK_DB_WRITE = 1 };

/* Opens (and for WRITE creates/migrates) the database. A file that is not a
 * soak database, is corrupt, is newer than this build, or stays locked gets
 * -EINVAL/-EBUSY/-EPROTO and a one-line message in err. READ never creates
 * (missing file: -ENOENT). WRITE takes the write lock once at open, so a file
 * another writer holds for longer than the 2 s busy timeout gives -EBUSY
 * here. A refused file is left byte-for-byte unchanged. */
int soak_db_open(const char *path, int mode, soak_db_t **ret, char *err, size_t errlen);
/* Closes, committing what is still pending. 0, or the commit's negative
 * errno with its one-line message in err (when err is not NULL): the handle
 * is gone either way, so the message cannot come from soak_db_errmsg. */
int soak_db_close(soak_db_t *db, char *err, size_t errlen);
/* Closes after committing what is pending and folding the WAL into the file,
 * and says whether that worked: 0, or a negative errno (-ENOSPC on a full
 * disk). For a file that is renamed into place after it is closed (merge). */
int soak_db_close_checked(soak_db_t *db);
/* 1 when the run has a value no run can have (an unknown status, a warm-up
 * beyond a year, a negative sample, a counter that goes down), the reason in
 * why; 0 when not; a negative errno on error (soak_db_errmsg). */
int soak_db_run_impossible(soak_db_t *db, int64_t run, char *why, size_t len);
const char *soak_db_errmsg(const soak_db_t *db);

/* A run record. Strings are heap copies owned by the record (soak_run_free).
 * Numeric fields that are unknown/absent use has_* flags or NULL strings. */
typedef struct {
	int64_t id;
	char *uuid;            /* stable id across hosts and merges */
	char *label;
	char *comparison_id;   /* set by `soakctl compare` */
	char *host, *kernel, *suite_version, *git_rev;
	char *cgroup_mode;     /* "v1", "hybrid", "v2", "none" */
	char *cgroup_paths;    /* JSON object of the directories used */
	bool has_memory_max, has_swap_max, has_cpu_max;
	uint64_t memory_max, swap_max;   /* bytes */
	double cpu_max_pct;              /* percent of one CPU */
	char *allocator_name, *allocator_path, *allocator_env; /* env: "K=V K=V" */
	bool has_allocator_file;
	int64_t allocator_size, allocator_mtime;
	char *allocator_sha256;
	char *allocator_observed;        /* what the worker reported providing malloc */
	char *workload, *workload_args;  /* args: JSON array of strings */
	double duration_s, interval_s, warmup_s;   /* warmup_s: SOAK_WARMUP_AUTO = none given */
	char *started_at, *ended_at;     /* ISO 8601 UTC */
	char *status;                    /* running, ok, crashed, oom-killed, timed-out,
	                                    interrupted, incomplete, failed,
	                                    allocator-mismatch, verify-failed */
	bool has_exit_code, has_signal;
	int exit_code, signal;
	char *message;
	int64_t runner_pid, runner_starttime, worker_pid;   /* starttime: soak_proc_starttime */
	char *cgroup_placement;          /* how the cgroups were obtained: own, leaf-move,
	                                    systemd-scope, cgroup-parent, none (NULL: older run) */
	int64_t samples_lost;            /* samples taken but not stored (0: none) */
	/* Host identity (schema 4): what the machine was, so merged databases
	 * from many hosts only put like with like side by side. host_class is
	 * the series key: --host-class / $SOAK_HOST_CLASS, else derived from
	 * CPU model, cores, memory and cgroup mode (soak_host_class_default). */
	char *cpu_model;
	bool has_cpu_cores, has_mem_total;
	int64_t cpu_cores, mem_total;    /* online CPUs; MemTotal in bytes */
	char *host_class;
} soak_run_t;

void soak_run_free(soak_run_t *r);

/* ---- writing (runner only) ----
 * Writes join one transaction opened by the first of them; it holds the
 * database's write lock until soak_db_commit(). run_begin, run_end and recover
 * commit what is pending and then their own change at once, durably
 * (synchronous=FULL). soak_db_close commits what is still pending. */
int soak_db_run_begin(soak_db_t *db, const soak_run_t *r, int64_t *ret_id);
int soak_db_run_set_observed(soak_db_t *db, int64_t run, const char *observed);
int soak_db_run_set_worker_pid(soak_db_t *db, int64_t run, int64_t pid);
int soak_db_run_end(soak_db_t *db, int64_t run, const char *status, const int *exit_code,
		    const int *signal, const char *message);
/* Registers a metric name (idempotent) and returns its id. */
int soak_db_metric(soak_db_t *db, const char *name, const char *unit, int kind,
		   const char *desc, int64_t *ret_id);
int soak_db_unavailable(soak_db_t *db, int64_t run, int64_t metric, const char *reason);
/* One sample of one metric (a row of its own in sample_values): for samples
 * taken apart from the ticks, e.g. exec --repeat steps. */
int soak_db_sample(soak_db_t *db, int64_t run, int64_t metric, double t, double value, bool valid);

/* One row per tick (schema v3). soak_db_sample_columns fixes, once per run, which
 * metric each column holds (at most SOAK_DB_SAMPLE_COLS) and prepares the one
 * insert statement; soak_db_sample_row then writes values[0..n-1] at time t
 * with one bind+step and no allocation. NAN is stored as NULL (unmeasured). A
 * second row at the same t replaces the first. */
#define SOAK_DB_SAMPLE_COLS 64
int soak_db_sample_columns(soak_db_t *db, int64_t run, const int64_t *metric_ids, size_t n);
int soak_db_sample_row(soak_db_t *db, int64_t run, double t, const double *values);
/* Records how many samples a run took but could not store (runs.samples_lost). */
int soak_db_run_set_samples_lost(soak_db_t *db, int64_t run, int64_t lost);
/* How long a write waits for another process's write lock (default 2000 ms);
 * the runner uses 0 in its sampling loop so that it never blocks there. */
int soak_db_set_busy_timeout(soak_db_t *db, int ms);
/* Drops the open write transaction, if any (after a failed write or commit). */
int soak_db_rollback(soak_db_t *db);
int soak_db_event(soak_db_t *db, int64_t run, double t, const char *kind, const char *detail);
/* Per-run scalars (final syscall totals, self-reported counters, cgroup peak...). */
int soak_db_value(soak_db_t *db, int64_t run, const char *name, double value, bool valid,
		  const char *reason);
int soak_db_hist(soak_db_t *db, int64_t run, const char *name, double t, const soak_hist_t *h);
int soak_db_log(soak_db_t *db, int64_t run, const char *stream, const char *data, size_t len,
		bool truncated);
/* The host's noise floor (`soakctl calibrate`, table host_noise). A floor
 * holds for runs of the same host (name and class), interval, control
 * pattern and limits: the conditions it was measured under (schema 6). */
typedef struct {
	int64_t id;
	char host[256], kernel[256], measured_at[32], workload[32];
	char host_class[256];        /* "" on a row older than schema 6 without its run */
	char pattern[32];            /* spin's --pattern; "" when not recorded (older row) */
	bool has_memory_max, has_swap_max, has_cpu_max;
	uint64_t memory_max, swap_max;
	double cpu_max_pct;
	double interval_s, duration_s;
	int64_t run_id;              /* 0 when the run was deleted */
	int64_t intervals;
	double cv_pct, drift_pct;    /* NAN when not measured */
} soak_noise_t;

/* The control pattern spin ran with ("slots", its default, unless the run's
 * arguments say otherwise). */
#define SOAK_NOISE_PATTERN_DEFAULT "slots"
/* A floor's identity from its control run's record: host, kernel, time,
 * class, limits and spin's --pattern from the workload arguments. */
void soak_noise_identity(const soak_run_t *control, soak_noise_t *n);
int soak_db_noise_add(soak_db_t *db, const soak_noise_t *n, int64_t *ret_id);
/* The floor that applies to run: same host name, same host class (a row
 * without a class: the name only), interval within 1%, the same control
 * pattern (spin's own for a spin run, else the default; a row without one
 * counts as the default), the same memory, swap and CPU limits (a row
 * without recorded limits: runs without limits only); of those the one
 * measured closest in time to the run's start. 0, -ENOENT when there is
 * none, or a negative errno. */
int soak_db_noise_for_run(soak_db_t *db, const soak_run_t *run, soak_noise_t *ret);

/* Commits the open write transaction (if any). */
int soak_db_commit(soak_db_t *db);

/* Marks runs whose runner died (status 'running', runner pid gone or reused)
 * as 'incomplete' and calls cleanup(run, cgroup_paths_json, arg) for each so
 * the caller can remove the cgroups left behind. Returns how many were marked. */
int soak_db_recover(soak_db_t *db, void (*cleanup)(const soak_run_t *r, void *arg), void *arg);

/* ---- reading (reports) ---- */
typedef struct {
	const char *label;           /* runs with this label */
	const char *comparison_id;   /* runs of one comparison */
	bool latest;                 /* only the newest matching run */
	const int64_t *ids;          /* explicit ids (n_ids > 0) */
	size_t n_ids;
} soak_run_filter_t;

/* Runs matching the filter, oldest first. *ret is an array of n records;
 * free with soak_runs_free. -ENOENT when an explicit id does not exist. */
int soak_db_runs(soak_db_t *db, const soak_run_filter_t *f, soak_run_t **ret, size_t *n);
void soak_runs_free(soak_run_t *runs, size_t n);
/* Every run in start order (started_at, then id), one record at a time:
 * fn(run, arg) for each, the record freed after it returns; a negative
 * return stops the walk and is returned. Memory does not grow with the
 * number of runs (SQLite sorts them, spilling to a temporary file). */
int soak_db_runs_each(soak_db_t *db, int (*fn)(const soak_run_t *run, void *arg), void *arg);

typedef struct {
	size_t n;
	double *t;      /* seconds since run start */
	double *v;      /* NAN where the sample was NULL (unmeasured) */
} soak_series_t;

/* All samples of one metric of a run with t >= t_from, in time order. A metric
 * never sampled gives n = 0 (not an error). */
int soak_db_series(soak_db_t *db, int64_t run, const char *metric, double t_from, soak_series_t *ret);
void soak_series_free(soak_series_t *s);
/* The same for n metrics at once (ret[i] for metrics[i]), in one scan of the
 * run's sample rows: what a report that reads many metrics should use. */
int soak_db_series_many(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, double t_from,
			soak_series_t *ret);

/* Reason a metric was unavailable for a run, or -ENOENT when it was available. */
int soak_db_unavailable_reason(soak_db_t *db, int64_t run, const char *metric, char *buf, size_t len);
/* The same for n metrics in one query: why[i] is a heap string (free()) for
 * each metric marked unavailable ("" when no reason was recorded), NULL for
 * the others. 0 or negative errno
 * (then every why[i] is NULL). */
int soak_db_unavailable_reasons(soak_db_t *db, int64_t run, const char *const *metrics, size_t n, char **why);

/* One per-run value; valid=false with a reason when it could not be measured. */
typedef struct {
	char *name;
	bool valid;
	double value;
	char *reason;
} soak_value_t;
int soak_db_values(soak_db_t *db, int64_t run, soak_value_t **ret, size_t *n);
void soak_values_free(soak_value_t *v, size_t n);

/* The histogram named `name` stored last at or before time t (t < 0: the last one). */
int soak_db_get_hist(soak_db_t *db, int64_t run, const char *name, double t, soak_hist_t *ret,
		     double *ret_t);

typedef struct {
	double t;
	char *kind;
	char *detail;
} soak_event_t;
int soak_db_events(soak_db_t *db, int64_t run, soak_event_t **ret, size_t *n);
void soak_events_free(soak_event_t *e, size_t n);

/* The log chunks of one run and stream ("stdout", "stderr"...) concatenated in
 * write order, NUL-terminated (*ret is heap, free()); *ret_truncated is true
 * when any chunk was stored truncated. No chunk gives an empty string. */
int soak_db_log_read(soak_db_t *db, int64_t run, const char *stream, char **ret, size_t *ret_len,
		     bool *ret_truncated);

/* A read snapshot: between begin and end every read sees the same state of
 * the file, and SQLite takes its shared lock once instead of once per
 * statement (history reads thousands of runs). Only on a READ database. */
int soak_db_snapshot_begin(soak_db_t *db);
void soak_db_snapshot_end(soak_db_t *db);

/* ---- derived per-run summaries (db-summary.c) ----
 * A cache of figures computed from a run's rows (history's per-run values),
 * tagged with the format of the computation: rows of another format are
 * not returned. Never merged; deleting the table's rows loses nothing. */
typedef struct {
	int64_t run_id;
	char *data;            /* as written (JSON) */
} soak_run_summary_t;
/* Every summary of `format`, by run id ascending. */
int soak_db_summaries(soak_db_t *db, int format, soak_run_summary_t **ret, size_t *n);
void soak_summaries_free(soak_run_summary_t *s, size_t n);
/* The summary of one run in `format`: 0 with *ret a heap copy (free it),
 * -ENOENT when there is none, or a negative errno. */
int soak_db_summary_get(soak_db_t *db, int format, int64_t run_id, char **ret);
/* Writes (replaces) summaries in one transaction (a WRITE database). */
int soak_db_summaries_put(soak_db_t *db, int format, const soak_run_summary_t *s, size_t n);

/* ---- merging databases (db-merge.c) ----
 * Copies every run of the inputs that OUT does not hold yet (runs are keyed by
 * uuid) with all its rows into OUT, in one go: the merged file is built beside
 * OUT and renamed over it only when every input went in, so on any error OUT is
 * unchanged. A run already in OUT is skipped when its record and rows are
 * identical, and is an error naming the run and table when they differ. When
 * nothing is new OUT is not rewritten at all (merging twice changes nothing).
 * An input that is not a soak database or has a newer schema is refused with
 * one line in err. */
typedef struct {
	size_t inputs;
	size_t runs_added, runs_same;
	size_t runs_running;      /* inputs' runs still being recorded: not copied */
	size_t rows_added;
} soak_merge_stats_t;
/* Set (to the signal's number) by a signal handler: the merge stops at the
 * next run or within a long statement, removes its file and returns -EINTR
 * with OUT unchanged. */
#include <signal.h>
extern volatile sig_atomic_t soak_db_merge_stop;
int soak_db_merge(const char *out, const char *const *in, size_t n_in, soak_merge_stats_t *ret,
		  char *err, size_t errlen);

/* ---- helpers shared with the runner ---- */
/* Timestamps as stored: ISO 8601 UTC with milliseconds, "2026-11-21T21:08:32.123Z". */
#define SOAK_DB_TIME_LEN 25
void soak_db_time_format(double epoch_s, char buf[SOAK_DB_TIME_LEN]);
/* Parses soak_db_time_format output (the ".mmm" part is optional) into seconds
 * since the epoch; -EINVAL otherwise. */
int soak_db_time_parse(const char *s, double *ret);

#endif
