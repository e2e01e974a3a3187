/*
 * cmd-calibrate.c - `soakctl calibrate`: measures the host's noise floor.
 * Runs the `spin` control workload (random_mixed's slot pattern on a fixed
 * arena, never calling the allocator: its throughput varies with the host
 * only) under the system allocator at
 * the chosen interval, and stores its per-interval throughput CV and drift
 * with the host's name, kernel and time in the host_noise table. Reports
 * print the floor beside CV and drift; the gate judges them against it
 * (docs/compare-gate.md, "Host noise").
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "result.h"
#include "run.h"
#include "soakctl.h"

const soak_cmd_doc_t soak_doc_calibrate = {
	.synopsis = "soakctl calibrate [RUN OPTIONS] [-- SPIN OPTIONS]",
	.description = "Measures this host's noise floor: runs the spin control workload (random_mixed's slot "
		       "pattern on a fixed arena without calling the allocator, so its throughput moves with "
		       "the host only) under the system allocator and stores its per-interval throughput CV and drift at the sampling "
		       "interval, with the host's name, class, kernel, time, limits and spin pattern (table "
		       "host_noise). Use the interval and limits your soaks use (-i, --memory-max, --swap-max, "
		       "--cpu-max): a floor applies only to runs under the same ones, the one measured closest "
		       "in time to the run. Reports show the floor beside CV and drift, and soakctl gate "
		       "judges them against it: excess CV = sqrt(CV^2 - floor^2); a floor beyond a threshold "
		       "makes that check 'cannot evaluate: host too noisy' (docs/compare-gate.md).",
	.sections = { { .title = "Run options (as for soakctl run; defaults here: --duration 30s --warmup 2s "
				 "--interval 1s; -w and -a are fixed to spin and system)",
			.opts_fn = soak_run_opts_doc } },
	.examples = "soakctl calibrate\n"
		    "soakctl calibrate -i 250ms -d 1m",
	.exit_status = "0 the floor was measured and stored, 2 usage or environment error, or the control run "
		       "did not end ok.",
};

/* -w and -a are fixed: the floor is the spin workload's under the system allocator. */
static int check_control(const soak_run_opts_t *o)
{
	if (strcmp(o->workload, "spin") || strcmp(o->allocator, "system")) {
		soak_err("calibrate runs the spin control workload under the system allocator: drop -w/-a");
		return -EINVAL;
	}
	return 0;
}

int soak_cmd_calibrate(int argc, char **argv)
{
	soak_run_opts_t o;
	soak_run_opts_init(&o);
	o.workload = "spin";
	o.duration_s = 30;
	o.warmup_s = 2;
	o.label = "calibrate";
	soak_place_t place;
	soak_db_t *db = NULL;
	int r = soak_cli_run_start(argc, argv, "calibrate", &soak_doc_calibrate, check_control, NULL, &o, &place,
				   &db);
	if (r != 0)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	int rc = SOAK_EXIT_USAGE;
	int64_t id = 0;
	soak_run_t *runs = NULL;
	size_t n = 0;
	soak_run_result_t res;
	bool have_res = false;
	int er = soak_run_execute(db, &o, &id);
	soak_run_unplace(&o);
	if (er < 0)
		goto out;
	soak_run_filter_t f = { .ids = &id, .n_ids = 1 };
	if (soak_db_runs(db, &f, &runs, &n) < 0 || n != 1) {
		soak_err("calibrate: cannot read back run %" PRId64 ": %s", id, soak_db_errmsg(db));
		goto out;
	}
	if (!runs[0].status || strcmp(runs[0].status, "ok")) {
		soak_err("calibrate: the control run %" PRId64 " ended %s%s%s: no floor stored", id,
			 runs[0].status ? runs[0].status : "?", runs[0].message ? ": " : "",
			 runs[0].message ? runs[0].message : "");
		goto out;
	}
	soak_result_opts_t ro = { 0 };
	if (soak_result_from_db(db, &runs[0], &ro, &res) < 0) {
		soak_err("calibrate: cannot compute run %" PRId64 ": %s", id, soak_db_errmsg(db));
		goto out;
	}
	have_res = true;
	if (!res.tp.cv_pct.valid) {
		soak_err("calibrate: no throughput CV from the control run %" PRId64 " (%s): run longer (-d)", id,
			 res.tp.cv_pct.why);
		goto out;
	}
	soak_noise_t nz = { .interval_s = o.interval_s, .duration_s = o.duration_s, .run_id = id,
			    .intervals = (int64_t)res.tp.series.n, .cv_pct = res.tp.cv_pct.v,
			    .drift_pct = res.tp.drift_pct.valid ? res.tp.drift_pct.v : NAN };
	soak_noise_identity(&runs[0], &nz);
	if (soak_db_noise_add(db, &nz, NULL) < 0 || soak_db_commit(db) < 0) {
		soak_err("calibrate: %s", soak_db_errmsg(db));
		goto out;
	}
	char drift[48] = "unavailable";
	if (!isnan(nz.drift_pct))
		snprintf(drift, sizeof(drift), "%+.2f%%", nz.drift_pct);
	if (o.verbose >= 0)
		printf("host %s noise floor at %g s: throughput CV %.2f%%, drift %s (spin, %" PRId64
		       " intervals, run %" PRId64 "); stored in %s\n",
		       nz.host, nz.interval_s, nz.cv_pct, drift, nz.intervals, id, o.db_path);
	rc = SOAK_EXIT_OK;
out:
	if (have_res)
		soak_result_free(&res);
	soak_runs_free(runs, n);
	soak_cli_close_db(db);
	return rc;
}
