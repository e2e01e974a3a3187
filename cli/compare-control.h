/* compare-control.h - compare --control: the spin control runs interleaved
 * with the allocators' runs, their results, and the floor they give
 * (docs/compare-gate.md, "Host noise"). */
#ifndef SOAK_COMPARE_CONTROL_H
#define SOAK_COMPARE_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "db.h"
#include "result.h"
#include "run.h"

/* Runs one control: the spin workload under the system allocator with the
 * comparison's duration, interval, warm-up and limits, labelled
 * "compare-control", outside the comparison's groups. 0 with *id, or < 0. */
int soak_cmp_control_run(soak_db_t *db, const soak_run_opts_t *ro, int64_t *id);

/* Loads the control runs' results (heap array in *ret, free with
 * soak_cmp_control_free). 0 or < 0 (message printed). */
int soak_cmp_control_load(soak_db_t *db, const int64_t *ids, size_t n, soak_run_result_t **ret,
			  size_t *ret_n);
void soak_cmp_control_free(soak_run_result_t *res, size_t n);

/* Stores the control's floor in host_noise (as `soakctl calibrate` does), so
 * later reports and gates on this host use it. 0, or < 0 (message printed). */
int soak_cmp_control_store(soak_db_t *db, const soak_cmp_noise_t *z, const soak_run_result_t *first,
			   double interval_s, double duration_s);

#endif
