/* compare-control.c - compare --control; see compare-control.h. */
#include "compare-control.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soakctl.h"

int soak_cmp_control_run(soak_db_t *db, const soak_run_opts_t *ro, int64_t *id)
{
	static char *no_args[] = { NULL };
	soak_run_opts_t c = *ro;
	c.workload = "spin";
	c.wl_argv = no_args;
	c.wl_argc = 0;
	c.allocator = "system";
	c.label = "compare-control";
	c.comparison_id = NULL;   /* not one of the comparison's groups */
	c.repeat = false;
	return soak_run_execute(db, &c, id);
}

int soak_cmp_control_load(soak_db_t *db, const int64_t *ids, size_t n, soak_run_result_t **ret,
			  size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	if (!n)
		return 0;
	soak_run_filter_t f = { .ids = ids, .n_ids = n };
	soak_run_t *runs = NULL;
	size_t nr = 0;
	if (soak_db_runs(db, &f, &runs, &nr) < 0) {
		soak_err("compare: control runs: %s", soak_db_errmsg(db));
		return -EIO;
	}
	soak_run_result_t *res = calloc(nr + 1, sizeof(*res));
	if (!res) {
		soak_runs_free(runs, nr);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < nr; i++) {
		soak_result_opts_t o = { 0 };
		if (soak_result_from_db(db, &runs[i], &o, &res[k]) < 0) {
			soak_err("compare: control run %lld: %s", (long long)runs[i].id, soak_db_errmsg(db));
			soak_cmp_control_free(res, k);
			soak_runs_free(runs, nr);
			return -EIO;
		}
		k++;
	}
	soak_runs_free(runs, nr);
	*ret = res;
	*ret_n = k;
	return 0;
}

void soak_cmp_control_free(soak_run_result_t *res, size_t n)
{
	for (size_t i = 0; i < n; i++)
		soak_result_free(&res[i]);
	free(res);
}

int soak_cmp_control_store(soak_db_t *db, const soak_cmp_noise_t *z, const soak_run_result_t *first,
			   double interval_s, double duration_s)
{
	if (!z->from_control || !z->cv_pct.valid || !first)
		return 0;
	soak_noise_t nz = { .interval_s = interval_s, .duration_s = duration_s, .run_id = first->run.id,
			    .intervals = (int64_t)first->tp.series.n, .cv_pct = z->cv_pct.v,
			    .drift_pct = z->drift_pct.valid ? z->drift_pct.v : NAN };
	soak_noise_identity(&first->run, &nz);
	if (soak_db_noise_add(db, &nz, NULL) < 0 || soak_db_commit(db) < 0) {
		soak_err("compare: storing the control's floor: %s", soak_db_errmsg(db));
		return -EIO;
	}
	return 0;
}
