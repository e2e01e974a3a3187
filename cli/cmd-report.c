/* cmd-report.c - `soakctl report`: per-run steady-state statistics from the
 * database, as Markdown, JSON or CSV. The figures come from reports/result.h;
 * this file only selects runs and writes the output. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "options.h"
#include "db.h"
#include "emit.h"
#include "emit-html.h"
#include "result.h"
#include "soak/outfile.h"
#include "soakctl.h"

typedef struct {
	const char *db_path;
	const char *format;
	const char *output;
	const char *label;
	bool latest;
	size_t drift_k;
	bool ccdf;
	int64_t *ids;
	size_t n_ids;
} report_opts_t;

#define O(...) SOAK_OPT(report_opts_t, __VA_ARGS__)
static const soak_opt_t report_opts[] = {
	O("db", 0, "FILE", "database (default ./soak.db)", SOAK_OT_STR, db_path),
	O("format", 'f', "md|json|csv|html", "md (default), json (versioned, schema_version 1), csv, or html (one self-contained page with gnuplot plots)",
	  SOAK_OT_CHOICE, format, .choices = "md|markdown|json|csv|html"),
	O("drift-k", 0, "K", "drift = mean of the first K vs the last K samples (default " SOAK_STR(SOAK_RESULT_DRIFT_K) ")",
	  SOAK_OT_UINT, drift_k, .lo = 1, .hi = 1000000),
	O("latency-ccdf", 0, NULL, "add the latency CCDF: latency vs fraction of operations slower (with --format csv, print only the CCDF rows)", SOAK_OT_FLAG, ccdf),
	O("output", 'o', "FILE", "write to FILE instead of stdout", SOAK_OT_STR, output),
	O("latest", 0, NULL, "the newest run (default when no run is selected)", SOAK_OT_FLAG, latest),
	O("label", 'l', "L", "runs labelled L (with --latest: the newest of them)", SOAK_OT_STR, label),
	{ 0 }
};
#undef O

static const soak_opt_t report_operands[] = {
	SOAK_OPERAND("RUN_ID...", "these runs (see soakctl runs)"),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_report = {
	.synopsis = "soakctl report [--db FILE] [--format md|json|csv] [--drift-k K]\n"
		    "               [--latency-ccdf] [--output FILE] [RUN_ID... | --latest | --label L]",
	.description = "Steady-state statistics of recorded runs (samples after the warm-up): duration, "
		       "samples, status, RSS mean/peak/drift/slope, throughput mean/stddev/CV/drift/slope, "
		       "latency percentiles, syscall budget, page faults. Definitions: docs/metrics.md.",
	.sections = { { .title = "Options", .opts = report_opts },
		      { .title = "Runs", .opts = report_operands, .operands = true } },
	.notes = "Metrics that could not be measured are shown as unavailable with the reason "
		 "(JSON: null plus \"<name>_unavailable\"; CSV: an empty cell), never as 0.",
	.examples = "soakctl report --latest\n"
		    "soakctl report --format json --output run.json 3\n"
		    "soakctl report --label nightly --latest --latency-ccdf",
	.exit_status = "0 ok, 2 bad option, missing database or unknown run.",
};

/* 0 ok, 1 help printed, -EINVAL bad input (one line printed). */
static int parse_args(int argc, char **argv, report_opts_t *o)
{
	soak_optparse_t p = { .cmd = "report", .doc = &soak_doc_report, .opts = report_opts };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, o, &res);
	if (!r && res.n_operands) {
		r = soak_cli_parse_ids("report", res.operands, (size_t)res.n_operands, &o->ids);
		o->n_ids = r ? 0 : (size_t)res.n_operands;
	}
	soak_optres_free(&res);
	if (r)
		return r;
	if (o->n_ids && o->latest) {
		soak_err("report: give run ids or --latest, not both");
		return -EINVAL;
	}
	if (!o->n_ids && !o->label)
		o->latest = true;
	return 0;
}

static int html_report(FILE *f, const soak_run_result_t *r, size_t n, const soak_emit_opts_t *o)
{
	(void)o;
	return soak_html_report(f, r, n);
}

static const soak_emitter_t html_emitter = { .name = "html", .report = html_report };

typedef struct {
	const soak_emitter_t *em;
	const soak_run_result_t *res;
	size_t n;
	const soak_emit_opts_t *eo;
} report_out_t;

static int emit_cb(FILE *f, const void *arg)
{
	const report_out_t *o = arg;
	return o->em->report(f, o->res, o->n, o->eo);
}

/* --output goes through soak_write_atomic: a failed report never leaves a
 * half-written FILE, and nothing a symlink points at is written. */
static int write_report(const report_opts_t *o, const soak_run_result_t *res, size_t n)
{
	const soak_emitter_t *em = strcasecmp(o->format, "html") ? soak_emitter_find(o->format) : &html_emitter;
	soak_emit_opts_t eo = { .latency_ccdf = o->ccdf };
	if (!o->output) {
		int r = em->report(stdout, res, n, &eo);
		if (r < 0 || fflush(stdout) != 0) {
			soak_err("report: writing to stdout failed: %s", strerror(r < 0 ? -r : errno));
			return SOAK_EXIT_USAGE;
		}
		return SOAK_EXIT_OK;
	}
	report_out_t arg = { em, res, n, &eo };
	char err[PATH_MAX + 128];
	if (soak_write_atomic(o->output, emit_cb, &arg, err, sizeof(err)) < 0) {
		soak_err("report: %s", err);
		return SOAK_EXIT_USAGE;
	}
	return SOAK_EXIT_OK;
}

/* soak_db_runs returns runs by id; put them in the order the user named them. */
static void order_like(soak_run_t *runs, size_t n, const int64_t *ids, size_t n_ids)
{
	size_t at = 0;
	for (size_t i = 0; i < n_ids; i++)
		for (size_t j = at; j < n; j++)
			if (runs[j].id == ids[i]) {
				soak_run_t t = runs[at];
				runs[at] = runs[j];
				runs[j] = t;
				at++;
				break;
			}
}

static int report(soak_db_t *db, const report_opts_t *o)
{
	soak_run_filter_t f = { .label = o->label, .latest = o->latest, .ids = o->ids,
				.n_ids = o->n_ids };
	soak_run_t *runs = NULL;
	size_t n = 0;
	int r = soak_db_runs(db, &f, &runs, &n);
	if (r < 0) {
		soak_err("report: %s", soak_db_errmsg(db));
		return SOAK_EXIT_USAGE;
	}
	if (!n) {
		if (o->label)
			soak_err("report: no run has the label '%s' in %s (see soakctl runs)", o->label,
				 o->db_path);
		else
			soak_err("report: %s holds no runs yet: record one with soakctl run", o->db_path);
		soak_runs_free(runs, n);
		return SOAK_EXIT_USAGE;
	}
	order_like(runs, n, o->ids, o->n_ids);
	soak_run_result_t *res = calloc(n, sizeof(*res));
	if (!res) {
		soak_runs_free(runs, n);
		soak_err("report: out of memory");
		return SOAK_EXIT_USAGE;
	}
	soak_result_opts_t ro = { .drift_k = o->drift_k };
	int rc = SOAK_EXIT_OK;
	size_t done = 0;
	for (; done < n; done++) {
		if (soak_cli_result(db, &runs[done], &ro, &res[done], "report") < 0) {
			rc = SOAK_EXIT_USAGE;
			break;
		}
	}
	soak_html_set_series_source(soak_cli_html_series, db);
	if (rc == SOAK_EXIT_OK)
		rc = write_report(o, res, n);
	for (size_t i = 0; i < done; i++)
		soak_result_free(&res[i]);
	free(res);
	soak_runs_free(runs, n);
	return rc;
}

int soak_cmd_report(int argc, char **argv)
{
	report_opts_t o = { .db_path = "./soak.db", .format = "md",
			    .drift_k = SOAK_RESULT_DRIFT_K };
	int r = parse_args(argc, argv, &o);
	if (r != 0) {
		free(o.ids);
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	}
	soak_db_t *db = soak_cli_open_db(o.db_path, SOAK_DB_READ);
	if (!db) {
		free(o.ids);
		return SOAK_EXIT_USAGE;
	}
	int rc = report(db, &o);
	soak_cli_close_db(db);
	free(o.ids);
	return rc;
}
