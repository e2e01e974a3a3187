/*
 * gate.h - release gates: each run is checked against thresholds (an INI file
 * or the built-in targets: RSS drift <= +5%, throughput drift >= -5%, CV <= 5%, syscalls <= 1e-7/op) and, optionally, the gated runs of a
 * series against baseline runs of the same series, the run being the unit
 * (gate-baseline.c). Pure apart from reading the INI file: the runs come in
 * as soak_run_result_t; the emitters (gate-emit.c, emit-junit.c) write to a
 * FILE*.
 *
 * A check passes, fails, is skipped (its metric is unavailable and not
 * required, or its run did not end ok), is undecided (a baseline check whose
 * interval reaches beyond its limit without a significant change: more runs
 * are needed) or is an error (cannot be evaluated: a required metric is
 * unavailable, the baseline is unusable or too small). Exit code of the gate:
 * 2 when any check is an error, else 1 when any fails, else 2 when any is
 * undecided, else 0. Keys, defaults and the method: docs/compare-gate.md.
 */
#ifndef SOAK_GATE_H
#define SOAK_GATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "compare.h"
#include "result.h"

#define SOAK_GATE_SCHEMA_VERSION 1

/* The metrics a gate can require (require = a, b, ...). */
typedef enum {
	SOAK_GM_STATUS = 0,
	SOAK_GM_RSS_DRIFT,
	SOAK_GM_TP_DRIFT,
	SOAK_GM_CV,
	SOAK_GM_SYSCALLS,      /* syscalls_per_op */
	SOAK_GM_THROUGHPUT,    /* the baseline throughput check */
	SOAK_GM_PEAK_RSS,      /* the baseline peak RSS check */
	SOAK_GM_LATENCY_P99,   /* the baseline p99 check */
	SOAK_GM_OVERHEAD_DRIFT,/* RSS per live byte, drift */
	SOAK_GM_N
} soak_gate_metric_t;

extern const char *const soak_gate_metric_names[SOAK_GM_N];

/* Thresholds; NAN means the check is off ("off" in the file). */
typedef struct {
	double rss_drift_max_pct;               /* 5 */
	double tp_drift_min_pct;                /* -5 */
	double syscalls_per_op_max;             /* 1e-7 */
	double cv_max_pct;                      /* 5 */
	double overhead_drift_max_pct;          /* the RSS drift target unless set */
	bool overhead_drift_set;                /* set by a thresholds file */
	char status[128];                       /* accepted statuses, "ok" ("" = off) */
	double baseline_tp_loss_max_pct;        /* 2 */
	double baseline_peak_rss_growth_max_pct;/* 10 */
	double baseline_p99_growth_max_pct;     /* 10 */
	double alpha;                           /* 0.05 */
	unsigned require;                       /* bit (1 << soak_gate_metric_t) */
} soak_gate_limits_t;

/* An overhead drift worth less memory than this is no failure (compare's
 * floor for RSS). */
#define SOAK_GATE_OVERHEAD_MIN_BYTES (1024.0 * 1024.0)

/* Built-in defaults: the seed's targets; require = rss_drift, tp_drift, throughput. */
void soak_gate_limits_default(soak_gate_limits_t *l);

/* A parsed thresholds file: [gate] and optional [gate.WORKLOAD] overrides. */
typedef struct soak_gate_thresholds soak_gate_thresholds_t;

/* Reads path (NULL = built-in defaults only). On error returns -ENOENT (cannot
 * read), -EINVAL (unknown section or key, bad value) or -ENOMEM with one line
 * in err naming the file, the line and the key. */
int soak_gate_thresholds_load(const char *path, soak_gate_thresholds_t **ret, char *err,
			      size_t errlen);
/* The same, and a [gate.WORKLOAD] section whose name known() does not take
 * (a misspelt workload, whose thresholds would never apply) is an error. */
int soak_gate_thresholds_load_known(const char *path, bool (*known)(const char *workload),
				    soak_gate_thresholds_t **ret, char *err, size_t errlen);
void soak_gate_thresholds_free(soak_gate_thresholds_t *t);
/* "built-in defaults (targets: RSS drift <= +5%, throughput drift >= -5%, CV <= 5%, syscalls <= 1e-7/op)" or the file name. */
const char *soak_gate_thresholds_source(const soak_gate_thresholds_t *t);
/* The limits for one workload: defaults, then [gate], then [gate.WORKLOAD]. */
void soak_gate_thresholds_for(const soak_gate_thresholds_t *t, const char *workload,
			      soak_gate_limits_t *ret);

/* ---- checks ---- */
typedef enum {
	SOAK_CHECK_PASS = 0,
	SOAK_CHECK_FAIL,
	SOAK_CHECK_SKIP,
	SOAK_CHECK_ERROR,
	SOAK_CHECK_UNDECIDED,       /* baseline checks: neither pass nor fail yet */
} soak_check_state_t;

typedef struct {
	char name[48];              /* "rss_drift", "baseline_throughput", "status" */
	char metric[32];            /* soak_gate_metric_names[...] */
	soak_check_state_t state;
	char value[160];            /* "+35.20%", "oom-killed", "unavailable" */
	char threshold[160];        /* "<= +5%", "ok" */
	char baseline[64 + 96 + 8]; /* "8.31 M ops/s (system #3)", "" when absolute: a
	                               figure (64) and a baseline name (96) always fit */
	char type[32];              /* failure/error type: "threshold", "regression",
	                               "oom-killed", "crashed", "unavailable" */
	char message[1280];         /* one line naming metric, value, threshold, baseline */
	/* Baseline checks that were tested: the change vs the baseline mean in
	 * percent, its interval, the p-value and Holm's adjusted p-value. */
	bool has_stats;
	double change_pct, ci_lo_pct, ci_hi_pct, p, p_holm;
	size_t k, n;                /* gated runs and baseline runs used */
} soak_check_t;

typedef struct {
	int64_t run_id;
	char run[96];               /* "system-12": the JUnit class "soak.gate.<run>" */
	char title[96];             /* "system #12" */
	char workload[64];
	char started_at[32];
	char host[96];
	double time_s;              /* wall-clock length of the run, NAN if unknown */
	soak_check_t *checks;
	size_t n;
	size_t failed, errors, skipped, undecided;
} soak_gate_run_t;

typedef struct {
	soak_gate_run_t *runs;
	size_t n;
	size_t checks, failed, errors, skipped, undecided;
	char thresholds[PATH_MAX];  /* source of the thresholds */
	char baseline[160];         /* what --baseline named, "" without */
	char family[160];           /* "Holm over 3 checks, family alpha 0.05", "" without */
	/* gate --until-decided: set before soak_gate_eval_baseline. looks_max > 1
	 * splits the family alpha evenly over at most that many looks
	 * (soak_gate_look_alpha); look is this one, 1 first. */
	unsigned look, looks_max;
} soak_gate_report_t;

/* Evaluates one run's own checks (status, drifts, CV, syscalls). Appends a
 * run to rep. -ENOMEM. */
int soak_gate_eval(soak_gate_report_t *rep, const soak_run_result_t *r,
		   const soak_gate_limits_t *l);

/* ---- the baseline: runs of the same series (gate-baseline.c) ---- */

/* Fewest baseline runs a check is evaluated with (the t interval needs a
 * spread, and with 2 runs a 95% prediction interval spans +-15.6 standard deviations). */
#define SOAK_GATE_MIN_BASELINE 3

/* Whether two runs belong to one series: workload and its options,
 * allocator name, memory/swap/CPU limits and host class (the key history
 * groups by). When not, why names the first difference, said of b
 * ("allocator slow, not system": b ran slow, a system). */
bool soak_gate_same_series(const soak_run_t *a, const soak_run_t *b, char *why, size_t len);

typedef struct {
	const soak_run_result_t *const *cand;  /* the gated runs of one series (any status) */
	size_t k;
	const soak_run_result_t *const *base;  /* its baseline runs: same series, ended ok */
	size_t nb;
	const char *base_desc;      /* which runs and what was skipped, shown with every check */
	const char *error;          /* the baseline is unusable (checks in error), or NULL */
	soak_gate_limits_t limits;
} soak_gate_series_t;

/* The baseline checks of every series (throughput, peak RSS, latency p99;
 * the unit is the run), decided together: Holm-Bonferroni over all their
 * p-values at the family alpha (the smallest alpha of the series). Each
 * series' checks are appended to the run of rep whose id is the newest of
 * its gated runs (soak_gate_eval must have added it). -EINVAL, -ENOMEM. */
int soak_gate_eval_baseline(soak_gate_report_t *rep, const soak_gate_series_t *s, size_t n);

/* ---- gate --until-decided: more gated runs until every check is decided ----
 * Each look at the checks after another run is a new chance to fail an
 * unchanged allocator by chance, so the looks share the family alpha:
 * Bonferroni over at most looks_max looks (1 + the extra runs allowed), each
 * at alpha / looks_max; all the looks together fail an unchanged allocator
 * with probability <= alpha, whenever the sequence stops. */
double soak_gate_look_alpha(double alpha, unsigned looks_max);

typedef enum {
	SOAK_LOOK_DONE = 0,   /* every check decided, or one failed or cannot be evaluated */
	SOAK_LOOK_MORE,       /* a baseline check is undecided and runs remain: run again */
	SOAK_LOOK_SPENT,      /* undecided, and max_runs extra runs are spent */
} soak_look_next_t;

/* What follows a look that spent `spent` of at most max_runs extra runs. A
 * failure ends the sequence (it is final: its alpha was spent), as does an
 * error (more runs of the candidate cannot fix a missing baseline). */
soak_look_next_t soak_gate_look_next(const soak_gate_report_t *rep, size_t spent, size_t max_runs);

void soak_gate_report_free(soak_gate_report_t *rep);
/* 2 any check cannot be evaluated, else 1 any fails, else 2 any is
 * undecided, else 0. */
int soak_gate_exit_code(const soak_gate_report_t *rep);

/* "PASS", "FAIL", "SKIP", "ERROR", "UNDECIDED" */
const char *soak_check_state_name(soak_check_state_t s);

/* ---- outputs ---- */
int soak_gate_emit_text(FILE *f, const soak_gate_report_t *rep);      /* terse, stdout */
int soak_gate_emit_junit(FILE *f, const soak_gate_report_t *rep);     /* emit-junit.c */
int soak_gate_emit_markdown(FILE *f, const soak_gate_report_t *rep);  /* PR comment */
int soak_gate_emit_json(FILE *f, const soak_gate_report_t *rep);      /* versioned */

#endif
