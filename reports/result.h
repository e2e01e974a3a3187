/*
 * result.h - everything a report, a comparison or a gate needs about one run.
 *
 * Two steps, so the arithmetic is testable without a database:
 *   1. a loader (result-load.c) reads one run's series, per-run values, events
 *      and latency histograms from the db into a soak_result_input_t;
 *   2. soak_result_compute() (result.c) is a pure function of that input.
 * soak_result_from_db() does both.
 *
 * Unmeasured is never 0: every reported figure is a soak_fig_t, either valid
 * with a value or invalid with the reason (the runner's recorded reason for an
 * unavailable metric, "no samples of X recorded", "needs at least 10
 * steady-state samples, have 7", ...). Definitions: docs/metrics.md.
 */
#ifndef SOAK_RESULT_H
#define SOAK_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "soak/hist.h"
#include "stats.h"

#define SOAK_RESULT_DRIFT_K 5       /* default k of first-k/last-k drift */
#define SOAK_WHY_MAX 160

/* A reported figure: a value, or the reason there is none (v is NAN then). */
typedef struct {
	bool valid;
	double v;
	char why[SOAK_WHY_MAX];
} soak_fig_t;

/* An owned time series (steady state unless stated), NaN-free. */
typedef struct {
	size_t n;
	double *t, *v;
} soak_xy_t;

/* Syscall budget grades (the hakmem soak report's): ideal < 1e-8/op, acceptable < 1e-7/op. */
typedef enum {
	SOAK_GRADE_NONE = 0,        /* not computable (see total_per_op.why) */
	SOAK_GRADE_IDEAL,
	SOAK_GRADE_ACCEPTABLE,
	SOAK_GRADE_HIGH,
} soak_grade_t;

#define SOAK_GRADE_IDEAL_PER_OP      1e-8
#define SOAK_GRADE_ACCEPTABLE_PER_OP 1e-7

/* The syscall metrics: the first SOAK_SC_BASE are the base syscalls whose sum
 * is the budget; the rest split madvise by advice (not added again). */
#define SOAK_SC_BASE 8
#define SOAK_SC_N    13
extern const char *const soak_sc_metrics[SOAK_SC_N];   /* "sc_mmap", ... */

typedef struct {
	const char *metric;          /* "sc_mmap" (static string) */
	const char *name;            /* "mmap" (static string) */
	soak_fig_t count;            /* steady state: count at end - count at warm-up end */
	soak_fig_t per_op;           /* count / steady-state ops */
	soak_fig_t per_s;            /* count / window seconds */
	soak_fig_t per_step;         /* count / steps in the window (exec --repeat) */
	soak_fig_t run_count;        /* whole run (final per-run value, else last sample) */
} soak_sc_result_t;

/* The allocator's own syscall count ("selfreport.<TAG>.syscalls_total") beside
 * the measured one. Both cover the WHOLE run (the allocator prints its totals
 * at exit), not the steady state. */
typedef struct {
	char tag[64];                /* "SS_OS_STATS" */
	soak_fig_t total;            /* self-reported syscalls */
	soak_fig_t per_op;           /* total / whole-run ops */
	char measured_set[96];       /* which measured syscalls it is compared with */
	soak_fig_t measured;         /* measured count of that set, whole run */
	soak_fig_t measured_per_op;
	soak_fig_t measured_from_op; /* the same set from the worker's first measured
	                                operation to the end (the loader, libc and the
	                                suite's set-up left out: like for like) */
	bool disagree;               /* |self - measured| > 10% of measured + 2 calls, like
	                                for like: measured_from_op when valid, else the
	                                whole run (only meaningful when both are valid) */
	bool disagree_whole;         /* the same test against the whole run */
	const char *basis;           /* what disagree compared: "from the first operation"
	                                or "whole run" (static string) */
} soak_self_budget_t;

/* A declared self-report class (runner/srformat.h: [selfreport.TAG] in
 * soak.ini, "mmap = seg_acq + ..."): the allocator's own count of one syscall
 * class beside the measured count of the same class. */
typedef struct {
	char tag[64];                /* "SS_OS_STATS" */
	char cls[16];                /* "mmap", ..., "total" */
	char decl[160];              /* "mmap_total" or "a + b" (the declaration) */
	soak_fig_t self;             /* whole run (exec --repeat: sum over the steps) */
	soak_fig_t measured;         /* whole run, same class */
	soak_fig_t self_steady;      /* steady state: unavailable (totals at exit) */
	soak_fig_t measured_steady;  /* steady state, same class */
	soak_fig_t measured_from_op; /* from the first operation, same class */
	bool disagree;               /* as soak_self_budget_t: like for like */
	bool disagree_whole;
	const char *basis;
} soak_self_class_t;

/* The host's noise floor (soakctl calibrate: the spin control workload's
 * per-interval throughput CV and drift, same host and interval). */
typedef struct {
	bool have;
	soak_noise_t n;
	/* "spin on vm at 1 s, 2026-11-29T19:01:09 (run 1), measured 3 h before
	 * the run", or why none */
	char desc[384];
	bool has_age;                /* both times known */
	double age_s;                /* measured_at - the run's start: < 0 before the run */
	bool stale;                  /* more than SOAK_FLOOR_STALE_S from the run: shown, not applied */
	soak_fig_t cv_pct, drift_pct;
	soak_fig_t excess_cv_pct;    /* sqrt(max(0, CV^2 - floor CV^2)): the run's CV beyond the host's */
} soak_floor_t;

/* A floor measured further than this from a run (before or after) is shown
 * but marked stale, and the gate judges the run without it: a host's noise
 * moves with its neighbours, kernel and load over days. */
#define SOAK_FLOOR_STALE_S (7 * 86400.0)

/* What a self-reported key is, from its name (result-counters.c). */
typedef enum { SOAK_SR_COUNTER = 0, SOAK_SR_MAX, SOAK_SR_MIN } soak_sr_kind_t;
soak_sr_kind_t soak_result_sr_kind(const char *key);

/* Any per-run "selfreport.<TAG>.<key>" counter, name without the prefix. */
typedef struct {
	char *name;                  /* "SS_OS_STATS.mmap_total" (owned) */
	soak_sr_kind_t kind;         /* from the key's name */
	soak_fig_t value;            /* whole run (exec --repeat: a counter's sum over the
	                                steps, a maximum's largest, a minimum's smallest) */
	soak_fig_t step_min, step_max;   /* exec --repeat: per step; else unavailable */
	soak_fig_t steps;            /* exec --repeat: steps that printed it */
} soak_counter_t;

typedef struct {
	soak_xy_t series;            /* rss_bytes in the steady state; exec --repeat:
	                                each step's own peak (step_peak_rss_bytes) */
	char series_source[32];      /* which of the two */
	soak_fig_t mean, min, max, first, last;     /* bytes, steady state */
	soak_fig_t peak;             /* bytes, whole run: the largest of peak_rss_bytes,
	                                max cg_mem_peak_bytes, max rss_bytes, max
	                                step_peak_rss_bytes (ties in that order) */
	char peak_source[48];        /* which of them it is */
	soak_fig_t first_k_mean, last_k_mean, drift_pct;
	soak_fig_t slope_bytes_per_s;
	soak_fig_t slope_pct_per_hour, slope_ci_lo, slope_ci_hi;   /* %/h, 95% */
	soak_slope_t slope;          /* raw fit (valid when slope_pct_per_hour or
	                                slope_bytes_per_s is valid) */
	soak_fig_t swap_peak;        /* max swap_bytes of the process tree */
} soak_rss_result_t;

typedef struct {
	char source[32];             /* "ops_total" or "step_throughput_ops_s" */
	soak_xy_t series;            /* ops/s per interval (or per step), steady state */
	soak_fig_t ops;              /* steady-state operations (ops_total delta) */
	soak_fig_t ops_run;          /* whole-run operations (last ops_total) */
	soak_fig_t mean, stddev, cv_pct, min, max;                   /* ops/s */
	soak_fig_t first_k_mean, last_k_mean, drift_pct;
	soak_fig_t slope_pct_per_hour, slope_ci_lo, slope_ci_hi;   /* %/h, 95% */
	soak_slope_t slope;
	char not_rate[160];          /* non-empty: the workload's ops/s is no throughput
	                                (run value "throughput_verdict": NULL, its reason) */
} soak_tp_result_t;

enum { SOAK_LAT_P50, SOAK_LAT_P90, SOAK_LAT_P99, SOAK_LAT_P999, SOAK_LAT_MAX, SOAK_LAT_N };
extern const char *const soak_lat_metrics[SOAK_LAT_N];  /* "lat_p50_ns", ... */

typedef struct {
	soak_hist_t *hist;           /* steady-state histogram (owned), NULL if none */
	char window[224];            /* "steady state (t 10.0 s to 60.0 s)", "whole run ..." */
	soak_fig_t count;            /* operations timed in the window */
	soak_fig_t mean_ns, p50_ns, p90_ns, p99_ns, p999_ns, max_ns;
	soak_xy_t interval[SOAK_LAT_N];   /* per-interval percentile series, steady state */
	soak_fig_t worst_interval_p99_ns; /* max of lat_p99_ns over the steady state */
} soak_lat_result_t;

typedef struct {
	char source[8];              /* "perf" (pf_minor/pf_major) or "proc" (minflt/majflt) */
	soak_fig_t minor, major;     /* steady-state deltas */
	soak_fig_t minor_per_op, major_per_op, minor_per_s, major_per_s;
	soak_fig_t minor_per_step, major_per_step;   /* exec --repeat: per step, never per op */
	soak_fig_t ctx_switches, ctx_per_s;
} soak_pf_result_t;

typedef struct {
	size_t n;                    /* steps that ended in the steady state */
	size_t failed;               /* of them, with a non-zero exit code */
	soak_fig_t wall_mean_s;
	soak_xy_t wall_series;       /* steady-state steps' wall times, s (compare's units) */
	soak_fig_t wall_p50_s, wall_p90_s, wall_p99_s, wall_max_s;   /* steady-state steps */
	soak_fig_t peak_rss_max;     /* max step_peak_rss_bytes */
	char exit_codes[96];         /* "0 ×120, 3 ×2": each code and how many steps */
} soak_steps_result_t;

/* Memory efficiency (result-eff.c): what the program holds (bytes_live, the
 * workload's own exact count of requested bytes not yet freed) beside what it
 * costs (RSS), and the layers between them where the allocator tells. */
enum {
	SOAK_EFF_LIVE = 0,           /* bytes_live: requested, not yet freed */
	SOAK_EFF_USABLE,             /* bytes_usable: malloc_usable_size of those blocks */
	SOAK_EFF_ALLOCATED,          /* alloc_allocated_bytes: the allocator's count of live blocks */
	SOAK_EFF_ACTIVE,             /* alloc_active_bytes: pages holding live blocks */
	SOAK_EFF_RESIDENT,           /* alloc_resident_bytes: the allocator's resident estimate */
	SOAK_EFF_MAPPED,             /* alloc_mapped_bytes: obtained from the OS, mapped */
	SOAK_EFF_RSS,                /* rss_bytes: what the kernel charges the process tree */
	SOAK_EFF_N
};
extern const char *const soak_eff_metrics[SOAK_EFF_N];   /* "bytes_live", ... "rss_bytes" */
extern const char *const soak_eff_labels[SOAK_EFF_N];    /* "requested (live)", ... "RSS" */

/* The share of RSS growth that live bytes explain, beyond which the growth is
 * called the program's (>= HOLDS) or the allocator's (<= OVERHEAD). */
#define SOAK_EFF_HOLDS_SHARE    0.8
#define SOAK_EFF_OVERHEAD_SHARE 0.2

typedef enum {
	SOAK_EFF_WHY_NONE = 0,       /* not decidable (see explain) */
	SOAK_EFF_WHY_FLAT,           /* RSS did not grow beyond one page per MiB */
	SOAK_EFF_WHY_HOLDS,          /* live bytes explain the growth: the program holds more */
	SOAK_EFF_WHY_OVERHEAD,       /* live bytes do not: the allocator keeps more per live byte */
	SOAK_EFF_WHY_BOTH,           /* in between */
} soak_eff_why_t;

typedef struct {
	soak_xy_t live;              /* bytes_live, steady state */
	soak_fig_t live_mean, live_peak;            /* bytes; peak over the whole run */
	soak_fig_t live_first_k_mean, live_last_k_mean, live_drift_pct;
	soak_fig_t live_slope_bytes_per_s;
	soak_fig_t live_slope_pct_per_hour, live_slope_ci_lo, live_slope_ci_hi;
	soak_slope_t live_slope;
	soak_xy_t overhead;          /* rss_bytes / bytes_live at each steady-state
	                                sample that has both and live > 0 */
	soak_fig_t overhead_mean;    /* mean RSS / mean live bytes, steady state */
	soak_fig_t overhead_peak;    /* peak RSS / peak live bytes, whole run */
	soak_fig_t overhead_bytes;   /* mean RSS - mean live bytes, steady state: what
	                                the live bytes cost beyond themselves, including
	                                the program's own code and libraries */
	soak_fig_t overhead_first_k_mean, overhead_last_k_mean, overhead_drift_pct;
	soak_fig_t overhead_slope_pct_per_hour, overhead_slope_ci_lo, overhead_slope_ci_hi;
	soak_slope_t overhead_slope;
	soak_fig_t rss_growth_bytes, live_growth_bytes;   /* last-k mean - first-k mean */
	soak_fig_t live_share_pct;   /* live growth / RSS growth, percent */
	soak_eff_why_t why;
	char explain[SOAK_WHY_MAX + 64];  /* "RSS +12.0% (+4.0 MiB), live +12.1% (+3.9 MiB):
	                                     live bytes explain 98% of the growth: the
	                                     workload holds more" */
	/* Where live bytes come from: "workload" (bytes_live, a series), "self-report
	 * TAG.KEY" (an exec command's declared live_bytes, one value at the end),
	 * or "" (none). */
	char live_source[SOAK_WHY_MAX];
	soak_fig_t live_end;         /* bytes at the end: the last steady-state bytes_live
	                                sample, or the value the command printed last */
	soak_fig_t rss_end;          /* bytes at the end: the last steady-state RSS sample,
	                                or for exec --repeat the last step's peak RSS */
	char rss_end_source[64];     /* which of the two */
	soak_fig_t overhead_end;     /* rss_end / live_end (same tick for a workload) */
	soak_fig_t level_mean[SOAK_EFF_N];  /* steady-state mean of each layer, bytes */
	soak_fig_t level_last[SOAK_EFF_N];  /* last steady-state value */
	soak_xy_t level[SOAK_EFF_N];        /* each layer's steady-state series (plots) */
} soak_eff_result_t;

/* How the steady state's start was chosen (reports/warmup.c). */
typedef struct {
	bool automatic;              /* the run gave no --warmup: found from its series */
	bool found;                  /* automatic: MSER-5 found it (else warmup_s = 0 and
	                                drift is not graded) */
	char method[SOAK_WHY_MAX + 32]; /* "found by MSER-5 on throughput and RSS", "--warmup 30 s, given" */
	char why[SOAK_WHY_MAX];      /* automatic, not found: "not found, run too short (12 samples)" */
	soak_fig_t rss_s, tp_s;      /* automatic: each series' own truncation time, s */
} soak_warmup_t;

typedef struct {
	soak_run_t run;              /* deep copy of the run record (owned) */
	size_t drift_k;
	double warmup_s;             /* steady state = samples with t >= warmup_s */
	double steady_end_s;         /* ... and t <= the stop request (INFINITY without one) */
	char warmup_source[24];      /* "warmup_end event", "run record" or "MSER-5" */
	soak_warmup_t warmup;        /* how warmup_s was chosen */
	bool partial;                /* status is not "ok": figures cover what was recorded */
	soak_fig_t elapsed_s;        /* time of the last sample of any metric */
	soak_fig_t steady_s;         /* elapsed_s - warmup_s */
	size_t samples;              /* steady-state samples (largest count of any metric) */
	soak_fig_t oom_kills;        /* cg_oom_kill at the end (whole run) */

	soak_rss_result_t rss;
	soak_tp_result_t tp;
	soak_lat_result_t lat;
	soak_eff_result_t eff;       /* memory efficiency (after rss) */

	soak_sc_result_t sc[SOAK_SC_N];
	soak_fig_t sc_total;         /* steady-state sum of the SOAK_SC_BASE base syscalls */
	soak_fig_t sc_total_per_op, sc_total_per_s, sc_total_per_step;
	soak_fig_t sc_window_s;      /* seconds the steady-state counts cover */
	soak_grade_t grade;          /* from sc_total_per_op */

	soak_self_budget_t *self;     /* one per selfreport.<TAG>.syscalls_total (owned) */
	size_t n_self;
	soak_counter_t *counters;    /* every selfreport.* value (owned) */
	size_t n_counters;
	soak_self_class_t *classes;  /* every selfreport_class.* value (owned) */
	size_t n_classes;

	soak_pf_result_t pf;
	soak_steps_result_t steps;
	soak_fig_t cpu_user_s, cpu_sys_s, cpu_pct;   /* steady state; pct of one CPU */
	soak_fig_t cpu_ops;          /* operations over exactly the CPU counters' window
	                                (read at most every 100 ms: it can differ from
	                                the steady state's by that much at each end) */
	soak_fig_t tp_per_cpu_s;     /* steady-state ops / CPU seconds of the run's cgroup
	                                (cpu_user_s + cpu_sys_s), beside ops per wall second */
	soak_floor_t floor;          /* the host's noise floor at this run's interval */
} soak_run_result_t;

/* ---- input of the pure computation (all borrowed) ---- */
typedef struct {
	const char *metric;
	size_t n;
	const double *t, *v;         /* whole run, time order, NAN = unmeasured */
	const char *unavailable;     /* reason the runner recorded, or NULL */
} soak_input_series_t;

typedef struct {
	const soak_run_t *run;
	const soak_input_series_t *series;
	size_t n_series;
	const soak_value_t *values;
	size_t n_values;
	const soak_event_t *events;
	size_t n_events;
	const soak_hist_t *lat_end;  /* last "latency" snapshot, or NULL */
	double lat_end_t;
	const soak_hist_t *lat_warm; /* last snapshot at or before the warm-up end, or NULL */
	double lat_warm_t;
	const char *lat_unavailable; /* why there is no lat_end, or NULL */
	const char *lat_warm_unavailable; /* why a warm-up snapshot was unusable, or NULL */
	const soak_noise_t *noise;   /* the floor measured under the run's conditions (soak_db_noise_for_run), or NULL */
} soak_result_input_t;

typedef struct {
	size_t drift_k;              /* 0 = SOAK_RESULT_DRIFT_K */
} soak_result_opts_t;

/* Pure: computes *ret from in. 0, -EINVAL (no run record / k = 0) or -ENOMEM.
 * On success the caller frees *ret with soak_result_free. */
int soak_result_compute(const soak_result_input_t *in, const soak_result_opts_t *o,
			soak_run_result_t *ret);
void soak_result_free(soak_run_result_t *r);

/* ---- loading (result-load.c) ---- */
/* Every series metric the loader reads (NULL-terminated). */
extern const char *const soak_result_metrics[];

typedef struct soak_result_loaded soak_result_loaded_t;
/* Reads everything soak_result_compute needs about run from db. */
int soak_result_load(soak_db_t *db, const soak_run_t *run, soak_result_loaded_t **ret);
const soak_result_input_t *soak_result_loaded_input(const soak_result_loaded_t *l);
void soak_result_loaded_free(soak_result_loaded_t *l);
/* Load + compute. Errors: the db's (message in soak_db_errmsg), -ENOMEM. */
int soak_result_from_db(soak_db_t *db, const soak_run_t *run, const soak_result_opts_t *o,
			soak_run_result_t *ret);

/* ---- helpers ---- */
const char *soak_grade_name(soak_grade_t g);          /* "ideal", "acceptable", "high", "n/a" */
soak_grade_t soak_grade_of(double per_op);
/* Short name of a run for tables: "mimalloc #12" (buf returned). */
char *soak_result_name(const soak_run_result_t *r, char *buf, size_t len);

/* Latency CCDF from a histogram: at 1-2-5 steps per decade from the bucket of
 * the smallest value up to the largest, the fraction of timed operations that
 * were slower (whose bucket lies entirely above the value). Returns the number
 * of points written (at most max). */
typedef struct {
	double value_ns;
	uint64_t slower;
	double fraction;
} soak_ccdf_point_t;
size_t soak_result_ccdf(const soak_hist_t *h, soak_ccdf_point_t *pts, size_t max);

/* result-self.c: the declared classes of r from in's per-run values (after
 * the syscall figures are computed). 0 or -ENOMEM. */
int soak_result_self_classes(const soak_result_input_t *in, soak_run_result_t *r);
/* result-self.c: r->floor from in->noise (after the throughput figures). */
void soak_result_floor(const soak_result_input_t *in, soak_run_result_t *r);
/* warmup.c: r->warmup_s, warmup_source and warmup from the run's --warmup
 * (its warmup_end event) or, for a run recorded with SOAK_WARMUP_AUTO, MSER-5
 * on its throughput and RSS series up to the stop request (docs/metrics.md).
 * Needs r->steady_end_s. 0 or -ENOMEM. */
int soak_result_warmup(const soak_result_input_t *in, soak_run_result_t *r);
/* warmup.c: an automatic warm-up that was not found leaves no steady state to
 * grade drift on: both drifts (and their k-means) say so. */
void soak_result_warmup_drift(soak_run_result_t *r);
/* result-eff.c: r->eff, after the RSS figures and the drift grading. 0 or -ENOMEM. */
int soak_result_eff(const soak_result_input_t *in, soak_run_result_t *r);
void soak_result_eff_free(soak_eff_result_t *e);
/* result-eff.c: one line for a drift: "RSS +12.0% (+4.0 MiB), live +12.1% ...". */
/* result-self.c: r->tp_per_cpu_s (after throughput and CPU figures). */
void soak_result_tp_per_cpu(soak_run_result_t *r);

#endif
