/*
 * history.h - nightly history: series of runs that may be put side by side
 * (same workload and options, allocator name, limits and host class), one
 * value per run and metric, and the change points of each metric's series
 * (reports/changepoint.h, the windowed t test with each metric's minimum
 * effect). The analysis is pure; soak_history_load (history-load.c) fills the
 * series from a database, through the run_summary cache or reports/result.h.
 *
 * A night is a run's label (a plan's nightly-{date}); a run without a label is
 * in no night and left out (counted), unless asked for (unlabelled_nights):
 * then its start date (UTC) is its night. A regression is a change point whose direction is worse for the
 * metric (throughput down, RSS/latency/syscalls/faults/CV up); `gate
 * --history` fails when one starts in the newest night of its series.
 */
#ifndef SOAK_HISTORY_H
#define SOAK_HISTORY_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "changepoint.h"
#include "result.h"

enum {
	SOAK_HM_TP,            /* throughput, ops/s */
	SOAK_HM_TP_CPU,        /* ops per CPU-second (user + system) */
	SOAK_HM_RSS_MEAN,
	SOAK_HM_RSS_PEAK,
	SOAK_HM_RSS_DRIFT,
	SOAK_HM_TP_DRIFT,
	SOAK_HM_TP_CV,
	SOAK_HM_SC_PER_OP,
	SOAK_HM_P99,
	SOAK_HM_P999,
	SOAK_HM_PF_PER_OP,
	SOAK_HM_LIVE_MEAN,     /* bytes the workload holds, steady-state mean */
	SOAK_HM_OVERHEAD,      /* RSS / live bytes */
	SOAK_HM_OVERHEAD_DRIFT,
	SOAK_HM_OVERHEAD_END,  /* RSS at the end / live bytes at the end (exec: self-reported) */
	SOAK_HM_N
};

typedef struct {
	const char *key;       /* "throughput" */
	const char *title;     /* "Throughput" */
	const char *unit;      /* "M ops/s" (display unit) */
	double scale;          /* stored value * scale = displayed value */
	int better;            /* +1 higher is better, -1 lower is better */
	/* Minimum effect: a change of the means smaller than min_pct percent of
	 * the mean before, or than min_abs (stored units), is no change point
	 * (the practical thresholds of compare: reports/compare.c). */
	double min_pct, min_abs;
} soak_hmetric_t;
extern const soak_hmetric_t soak_hmetrics[SOAK_HM_N];
/* Index of a metric key, or -1. */
int soak_hmetric_find(const char *key);

/* The strings many points share (a night, a label, a build, the reason a
 * metric is unmeasured), held once per history (history.c). */
typedef struct soak_hpool soak_hpool_t;

/* One run of a series. uuid and started_at are owned by the point; the
 * other strings are the history's pool's (soak_history_free frees both). */
typedef struct {
	int64_t run_id;
	char *uuid, *started_at;
	const char *label, *night;
	const char *build_path, *build_sha256;   /* allocator build identity */
	bool has_build_file;
	int64_t build_size, build_mtime;
	double v[SOAK_HM_N];               /* NAN: unmeasured (why[] says why) */
	double res[SOAK_HM_N];             /* the value's resolution (latency: the histogram's
	                                      bucket width or clock tick at it, ns); 0: exact */
	const char *why[SOAK_HM_N];        /* NULL when valid */
} soak_hpoint_t;

typedef struct {
	size_t metric;
	size_t point;          /* index into the series' points: the first point after the change */
	soak_cp_t cp;          /* as found over the metric's valid points (index remapped) */
	bool regression;
	bool newest_night;     /* the point is in the newest night of the series */
} soak_hchange_t;

typedef struct {
	soak_hpool_t *pool;    /* the history's (soak_history_series sets it) */
	char *key;             /* grouping key (opaque) */
	char *workload, *workload_args, *allocator, *limits, *host_class;
	soak_hpoint_t *p;      /* oldest first */
	size_t n, cap;
	soak_hchange_t *cps;
	size_t n_cps;
	size_t valid[SOAK_HM_N];   /* points with a value */
	double resolution[SOAK_HM_N];   /* the coarsest res[] of the valid points: a change of
	                                   the means at or below it is none (as in compare) */
	bool is_reference;         /* the --relative-to allocator: not analysed */
	/* Runs that did not end ok, of the newest night that had any
	 * (soak_history_note_unfinished): the history gate fails a newest night
	 * that crashed instead of gating the night before it. */
	char *bad_night, *bad_started;   /* that night; its newest such run's start */
	char bad_text[512];              /* "run 12 crashed, run 13 oom" */
	size_t n_bad;
	size_t n_bad_interrupted;        /* of n_bad, stopped from outside (status interrupted) */
} soak_hseries_t;

typedef struct {
	soak_hseries_t *s;
	size_t n, cap;
	soak_hpool_t *pool;        /* the points' shared strings */
	size_t runs, skipped;      /* runs used; runs not "ok" (left out) */
	size_t unlabelled;         /* runs without a label: in no night, left out */
	size_t impossible;         /* runs with a value no run can have: left out */
	char impossible_text[256]; /* the first of them: "run 12: warmup_s = ..." */
	soak_cp_opts_t cp;
	char relative_to[64];      /* values are ratios to this allocator ("" = absolute) */
} soak_history_t;

/* The series a run belongs to (created when new); key and names copied. */
soak_hseries_t *soak_history_series(soak_history_t *h, const soak_run_t *run, bool by_host_class);
/* Notes a run of the series that did not end ok (crashed, oom, interrupted,
 * ...): kept when it belongs to the newest night seen with such runs. */
int soak_history_note_unfinished(soak_history_t *h, const soak_run_t *run, bool by_host_class);
/* Whether the newest night of s (by start time, finished or not) has runs
 * that did not end ok (SOAK_HNIGHT_*); the text names them. */
enum {
	SOAK_HNIGHT_OK = 0,     /* every run of the newest night ended ok */
	SOAK_HNIGHT_FAILED,     /* some did not: buf says which */
	SOAK_HNIGHT_RERUN,      /* only interrupted ones, and the series ran ok after them
				 * in the same night (a shard stopped and submitted again):
				 * buf says which, as a note */
};
int soak_history_newest_unfinished(const soak_hseries_t *s, char *buf, size_t len);
/* Adds a point for run with its metric values taken from res (copied). */
int soak_history_add(soak_hseries_t *s, const soak_run_t *run, const soak_run_result_t *res);
/* Turns every value into its ratio to the median of allocator `ref` in the
 * same night and series key (workload, options, limits, host class): host
 * drift between nights, which hits every allocator run at the same time,
 * cancels. Points of a night without a reference run become NAN with a
 * reason; the reference's own series is marked and not analysed. */
int soak_history_relative(soak_history_t *h, const char *ref);
/* The per-run values as a derived summary (db run_summary): JSON tagged with
 * the build that computed them; a summary of another build is not used.
 * encode: heap string or NULL (no memory). add_summary: -EINVAL when the
 * summary is not usable (another build, unreadable): compute instead. */
#define SOAK_HISTORY_SUMMARY_FORMAT 1
char *soak_history_summary_encode(const soak_hpoint_t *p);
int soak_history_add_summary(soak_hseries_t *s, const soak_run_t *run, const char *json);
/* Loading a database's runs into h (history-load.c). */
#define SOAK_HISTORY_BATCH 256     /* computed summaries saved per transaction */
typedef struct {
	const char *workload, *allocator, *host_class;   /* filters (NULL = any) */
	const char *relative_to;   /* its runs pass the allocator filter too */
	bool all_hosts;            /* one series across host classes */
	bool gate;                 /* note the runs that did not end ok */
	bool unlabelled_nights;    /* a run without a label: its start date is its night
	                              (otherwise it is left out, counted in unlabelled) */
	bool no_cache;             /* neither read nor write run_summary */
	const char *save_path;     /* the database file to save summaries into
	                              (NULL or not writable: not saved) */
	size_t batch;              /* summaries per save (0 = SOAK_HISTORY_BATCH) */
	volatile sig_atomic_t *stop;   /* set (by a signal handler): stop, keeping
	                                  the summaries computed so far */
} soak_history_load_opts_t;
/* Every run of db in start order: the ok runs into their series (the cached
 * summary, else computed from the run's rows and saved every `batch` runs, so
 * a killed or interrupted load keeps all but the last batch), the others
 * counted as skipped (and noted for the gate). 0, or a negative errno with a
 * message in err (-EINTR when stopped). */
int soak_history_load(soak_db_t *db, const soak_history_load_opts_t *o, soak_history_t *h, char *err,
		      size_t errlen);
/* Finds the change points of every series and metric (o: alpha, seed...). */
int soak_history_analyse(soak_history_t *h, const soak_cp_opts_t *o);
void soak_history_free(soak_history_t *h);

/* The value of metric m of a run result (NAN and why when unmeasured). */
double soak_history_value(const soak_run_result_t *r, size_t m, char *why, size_t whylen);
/* "nightly-2026-11-29", or "2026-11-29" from started_at when unlabelled
 * (loaded only with unlabelled_nights). */
void soak_history_night(const soak_run_t *run, char *buf, size_t len);

#endif
