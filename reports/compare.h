/*
 * compare.h - allocators side by side: groups of runs (one group per
 * allocator, its repeats), their figures, and a verdict per metric against a
 * baseline group, emitted as Markdown, JSON (versioned) or CSV.
 *
 * Pure apart from writing to a FILE*: the runs come in as soak_run_result_t
 * (reports/result.h); the statistics are reports/verdict.h. The metric table
 * and the latency resolution are shared with the baseline checks of
 * `soakctl gate`.
 * Method and defaults: docs/compare-gate.md.
 */
#ifndef SOAK_COMPARE_H
#define SOAK_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"
#include "verdict.h"

#define SOAK_COMPARE_SCHEMA_VERSION 1

/* compare's defaults: several shorter interleaved runs, the run as the unit
 * (measured cost and power: docs/compare-gate.md, scripts/bench-compare-power.sh). */
#define SOAK_CMP_DEFAULT_REPEAT 24
#define SOAK_CMP_DEFAULT_DURATION_S 3
#define SOAK_CMP_DEFAULT_WARMUP_S 0.5

/* ---- metrics ---- */
typedef enum {
	SOAK_CM_TP = 0,        /* throughput mean, ops/s */
	SOAK_CM_CV,            /* throughput CV, % (shown, no verdict) */
	SOAK_CM_TP_DRIFT,      /* throughput drift, % */
	SOAK_CM_RSS_MEAN,      /* bytes */
	SOAK_CM_RSS_PEAK,      /* bytes */
	SOAK_CM_RSS_DRIFT,     /* % */
	SOAK_CM_LIVE_MEAN,     /* bytes the workload holds (shown, no verdict) */
	SOAK_CM_OVERHEAD,      /* RSS / live bytes, ratio */
	SOAK_CM_OVERHEAD_DRIFT,/* % */
	SOAK_CM_LIVE_PEAK,     /* bytes, the largest sample (shown, no verdict) */
	SOAK_CM_LIVE_END,      /* bytes at the end: the last sample, or what an exec command reported */
	SOAK_CM_OVERHEAD_END,  /* RSS at the end / live bytes at the end, ratio */
	SOAK_CM_SC_PER_OP,     /* syscalls per operation */
	SOAK_CM_LAT_P50,       /* ns */
	SOAK_CM_LAT_P99,
	SOAK_CM_LAT_P999,
	SOAK_CM_PF_PER_OP,     /* minor page faults per operation */
	SOAK_CM_STEP_WALL,     /* exec: mean wall time of a step, s */
	SOAK_CM_N
} soak_cmp_metric_t;

typedef struct {
	const char *key;                 /* "throughput", "rss_peak", ... (JSON, CSV) */
	const char *title;               /* Markdown row title */
	const char *unit;                /* "ops/s", "bytes", "ns", "%", "per op" */
	const char *target;              /* the hakmem soak report's target, or "-" */
	bool verdict;                    /* gets a verdict against the baseline */
	soak_direction_t dir;
	soak_scale_t scale;
	double practical_pct;            /* default practical thresholds */
	double practical_abs;
	soak_block_agg_t agg;            /* across repeats (display) and inside blocks */
	const soak_fig_t *(*fig)(const soak_run_result_t *r);
	const soak_xy_t *(*series)(const soak_run_result_t *r);   /* per interval, or NULL */
} soak_cmp_metric_def_t;

extern const soak_cmp_metric_def_t soak_cmp_metrics[SOAK_CM_N];
const soak_cmp_metric_def_t *soak_cmp_metric_find(const char *key);

/* ---- units ---- */
/* Which independent units a verdict uses (the same for every group). */
typedef struct {
	bool blocks;                     /* false: one unit per run (repeats) */
	size_t block_len;                /* intervals per block (blocks only; 0 = none possible) */
	size_t min_units;                /* per group, from alpha */
	char desc[128];                  /* "repeats (one unit = one run's steady-state value)" */
	char why_no_blocks[160];         /* when block_len is 0 */
} soak_cmp_units_t;

/* Number of steady-state intervals of a run: the longest of its per-interval
 * series (throughput, RSS, latency). */
size_t soak_cmp_run_intervals(const soak_run_result_t *r);

/* compare's unit: the run (one steady-state value per run), always; a set
 * with fewer than min_units ok runs gives insufficient data. */
void soak_cmp_choose_units(const soak_run_result_t *const *const *sets, const size_t *n_sets,
			   size_t n_groups, double alpha, soak_cmp_units_t *ret);
/* The units of metric m over runs (heap array in *ret, free()); 0 with *n = 0
 * and `why` filled when the metric gives none (unavailable in a run, no
 * per-interval series for blocks). -ENOMEM. */
int soak_cmp_units(const soak_cmp_metric_def_t *m, const soak_run_result_t *const *runs, size_t n,
		   const soak_cmp_units_t *u, double **ret, size_t *ret_n, char *why, size_t whylen);

/* Verdict of metric m for candidate runs vs baseline runs, with the given
 * practical thresholds (NAN = the metric's default). Fills *ret (an
 * INSUFFICIENT verdict carries why). -ENOMEM/-EINVAL. */
int soak_cmp_verdict(const soak_cmp_metric_def_t *m, const soak_run_result_t *const *cand,
		     size_t nc, const soak_run_result_t *const *base, size_t nb,
		     const soak_cmp_units_t *u, double alpha, double practical_pct,
		     double practical_abs, uint64_t seed, soak_verdict_t *ret);

/* What a latency metric m of these runs can resolve (ns): the largest of
 * soak_lat_resolution_ns over the runs' steady-state histograms at the
 * largest run value; 0 for a metric that is no latency. A change of at most
 * this is "below resolution" in compare and gate alike. */
double soak_cmp_lat_resolution(const soak_run_result_t *const *a, size_t na,
			       const soak_run_result_t *const *b, size_t nb,
			       const soak_cmp_metric_def_t *m);

/* ---- a comparison ---- */
typedef struct {
	const char *name;                         /* column title ("system", "system#2") */
	const soak_run_result_t *const *runs;     /* borrowed, any status */
	size_t n_runs;
} soak_cmp_group_in_t;

typedef struct {
	double alpha;                    /* 0 = SOAK_VERDICT_ALPHA */
	size_t baseline;                 /* index of the baseline group */
	uint64_t seed;                   /* bootstrap seed, 0 = SOAK_VERDICT_SEED */
	const char *comparison_id;       /* shown in the header, may be NULL */
	uint64_t order_seed;             /* seed of the run order (shown), 0 = unknown */
	bool has_order_seed;
	size_t repeats_planned;          /* 0 = unknown (--from-db) */
	bool interrupted;                /* stopped before every planned run was made */
	/* compare --control: the spin control runs interleaved with the
	 * allocators' (borrowed), or NULL. */
	const soak_run_result_t *const *control;
	size_t n_control;
} soak_cmp_opts_t;

/* The host's noise beside the comparison: from the control runs of
 * compare --control, else from the floor `soakctl calibrate` stored for this
 * host at the runs' interval, else not measured (why says what to do). */
typedef struct {
	bool have;
	bool from_control;
	char source[400];                /* where the figures come from */
	soak_fig_t cv_pct;               /* per-interval throughput CV of the control (mean over its runs) */
	soak_fig_t drift_pct;            /* its throughput drift (mean over its runs) */
	soak_fig_t run_cv_pct;           /* control only: CV of the control runs' mean throughputs */
	char why[240];                   /* when !have */
} soak_cmp_noise_t;

typedef struct {
	char name[80];
	const soak_run_result_t **runs;  /* all runs of the group (borrowed) */
	size_t n_runs;
	const soak_run_result_t **ok;    /* the runs whose status is ok */
	size_t n_ok;
	bool from_partial;               /* no ok run: figures of the other runs */
	char status[160];                /* "ok x3, oom-killed x1" */
	soak_fig_t fig[SOAK_CM_N];       /* mean over the ok runs (peak: max) */
	soak_verdict_t v[SOAK_CM_N];     /* vs the baseline (not for the baseline) */
	soak_grade_t grade;
	soak_fig_t run_cv_pct;           /* CV of the ok runs' mean throughputs (>= 2 runs) */
} soak_cmp_group_t;

typedef struct {
	soak_cmp_group_t *g;
	size_t n;
	size_t baseline;
	double alpha;
	uint64_t seed;
	soak_cmp_units_t units;
	soak_cmp_opts_t opts;
	char **notes;                    /* lines shown under the table */
	size_t n_notes;
	soak_cmp_noise_t noise;
} soak_comparison_t;

/* Computes figures and verdicts. n >= 1 groups, baseline < n. -EINVAL, -ENOMEM.
 * Free with soak_compare_free. */
int soak_compare_compute(const soak_cmp_group_in_t *groups, size_t n, const soak_cmp_opts_t *o,
			 soak_comparison_t *ret);
void soak_compare_free(soak_comparison_t *c);

/* ---- compare --until-decided (compare-decide.c) ----
 * A metric is decided for a column when its verdict is better or worse, or
 * "no significant difference" with the whole interval of the change within
 * the practical threshold (both ways: an improvement the interval does not
 * rule out is no more decided than a loss) or below the resolution. The
 * metrics decided on are the gate's baseline checks. */
#define SOAK_CMP_DECIDE_N 3
extern const soak_cmp_metric_t soak_cmp_decide_metrics[SOAK_CMP_DECIDE_N];   /* throughput, peak RSS, p99 */

typedef enum {
	SOAK_CMP_DECIDED = 0,
	SOAK_CMP_UNDECIDED,      /* the interval reaches beyond the threshold, or too few runs: run more */
	SOAK_CMP_UNDECIDABLE,    /* insufficient data more runs cannot fix (unavailable, not
	                            applicable, a column without an ok run) */
} soak_cmp_decision_t;

/* The decision on metric m of column g (not the baseline) of c. */
soak_cmp_decision_t soak_cmp_decision(const soak_comparison_t *c, size_t g, soak_cmp_metric_t m);

/* The comparison as the JSON document `--format json` writes (cJSON; the
 * caller deletes it), NULL when out of memory. */
struct cJSON *soak_compare_json(const soak_comparison_t *c);

/* Writes the comparison as "md", "json" or "csv". 0, -EINVAL (format), -EIO, -ENOMEM. */
int soak_compare_emit(FILE *f, const soak_comparison_t *c, const char *format);

/* Output files are written with soak_write_atomic (soak/outfile.h). */

#endif
