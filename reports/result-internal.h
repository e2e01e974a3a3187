/*
 * result-internal.h - helpers shared by the files that compute a run's result
 * (result.c, result-counters.c) and compare.c's figures. Not part of
 * result.h's contract.
 */
#ifndef SOAK_RESULT_INTERNAL_H
#define SOAK_RESULT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"
#include "stats.h"

void soak_rs_fig_set(soak_fig_t *f, double v);
void soak_rs_fig_none(soak_fig_t *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void soak_rs_fig_copy_why(soak_fig_t *f, const soak_fig_t *from);
const soak_input_series_t *soak_rs_find_series(const soak_result_input_t *in, const char *metric);
const soak_value_t *soak_rs_find_value(const soak_result_input_t *in, const char *name);
/* result-self.c: the measured count of the base syscalls idx[0..n) from the
 * worker's first measured operation (the runner's first_op.* values) to the
 * end; and the like-for-like disagreement of a self-report (see
 * soak_self_budget_t), setting *basis. */
void soak_rs_from_first_op(const soak_result_input_t *in, const soak_run_result_t *r, const int *idx, int n,
			   soak_fig_t *ret);
bool soak_rs_self_disagree(const soak_fig_t *self, const soak_fig_t *whole, const soak_fig_t *from_op,
			   bool *whole_disagree, const char **basis);
size_t soak_rs_count_valid(const soak_input_series_t *s, double t_from);
bool soak_rs_series_unusable(const soak_input_series_t *s, const char *metric, soak_fig_t *f);
int soak_rs_xy_steady(const soak_input_series_t *s, double t_from, soak_xy_t *out);
double soak_rs_steady_end(const soak_result_input_t *in);
size_t soak_rs_n_upto(const soak_input_series_t *s, double t_to);
void soak_rs_xy_trim(soak_xy_t *xy, double t_to);
void soak_rs_xy_free(soak_xy_t *xy);
double soak_rs_series_max(const soak_input_series_t *s);
double soak_rs_series_last(const soak_input_series_t *s);
bool soak_rs_is_repeat(const soak_result_input_t *in);
void soak_rs_compute_sc(const soak_result_input_t *in, soak_run_result_t *r);
int soak_rs_compute_self(const soak_result_input_t *in, soak_run_result_t *r);
void soak_rs_compute_pf(const soak_result_input_t *in, soak_run_result_t *r);
void soak_rs_compute_steps(const soak_result_input_t *in, soak_run_result_t *r);
void soak_rs_compute_misc(const soak_result_input_t *in, soak_run_result_t *r);
/* First-k/last-k means and drift of v; a reason in each figure when not computable. */
void soak_rs_put_drift(const double *v, size_t n, size_t k, soak_fig_t *first, soak_fig_t *last,
		       soak_fig_t *drift);
/* Least-squares slope of xy (per second when per_s, and %/h with its 95% interval). */
void soak_rs_put_slope(const soak_xy_t *xy, soak_slope_t *raw, soak_fig_t *per_s, soak_fig_t *pct,
		       soak_fig_t *lo, soak_fig_t *hi);

#endif
