/* cmd-gate.c - `soakctl gate`: release gates CI can act on. Selects runs,
 * loads thresholds, picks each run's baseline, evaluates (reports/gate.h) and
 * writes the summary, JUnit XML, Markdown and JSON. Exit 0 all checks pass, 1
 * any fails, 2 the gate cannot be evaluated. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdhelp.h"
#include "compare.h"
#include "db.h"
#include "gate.h"
#include "result.h"
#include "soak/outfile.h"
#include "soakctl.h"

static const soak_opt_t gate_opts[] = {
	{ "db", 0, "FILE", "database (default ./soak.db)", 'd' },
	{ "thresholds", 0, "FILE", "INI file: [gate] and [gate.WORKLOAD] sections with rss_drift_max_pct, "
		"tp_drift_min_pct, syscalls_per_op_max, cv_max_pct, status, baseline_tp_loss_max_pct, "
		"baseline_peak_rss_growth_max_pct, baseline_p99_growth_max_pct, alpha, require (a value of "
		"off disables a check)", 't' },
	{ "baseline", 0, "RUN|LABEL", "compare with this run, or the newest run with this label (same "
		"workload, and same allocator when there is one)", 'b' },
	{ "junit", 0, "FILE", "JUnit XML for CI (one testcase per check)", 'j' },
	{ "markdown", 0, "FILE", "a pull-request comment", 'm' },
	{ "json", 0, "FILE", "JSON (versioned)", 'J' },
	{ "latest", 0, NULL, "the newest run", 'L' },
	{ "label", 0, "L", "every run labelled L", 'l' },
	{ "comparison", 0, "ID", "every run of a comparison (soakctl compare)", 'c' },
	{ "history", 0, NULL, "instead: fail when a change point for the worse starts in the newest night "
	  "(soakctl gate --history --help lists its options; method: docs/nightly.md)", 'H' },
	{ 0 }
};

static const soak_opt_t gate_operands[] = {
	{ "RUN_ID...", 0, NULL, "these runs", 0 },
	{ 0 }
};

const soak_cmd_doc_t soak_doc_gate = {
	.synopsis = "soakctl gate [--db FILE] [--thresholds FILE.ini] [--baseline RUN_ID|LABEL]\n"
		    "             [--junit FILE] [--markdown FILE] [--json FILE]\n"
		    "             (--latest | RUN_ID... | --label L | --comparison ID)",
	.description = "Checks recorded runs against thresholds and, with --baseline, against a baseline "
		       "run: status ok, RSS drift, throughput drift, throughput CV, syscall budget, and a "
		       "significant throughput loss / peak RSS growth / p99 growth vs the baseline. "
		       "Built-in thresholds are the seed's targets (RSS drift <= +5%, throughput drift "
		       ">= -5%, syscalls <= 1e-7/op, CV <= 5%, status ok; vs a baseline: loss <= 2%, "
		       "peak RSS and p99 growth <= 10%). Keys and method: docs/compare-gate.md.",
	.sections = { { .title = "Options", .opts = gate_opts },
		      { .title = "Runs", .opts = gate_operands, .operands = true } },
	.notes = "Output files are written atomically (a temporary file renamed into place).",
	.examples = "soakctl gate --latest --junit gate.xml --markdown gate.md\n"
		    "soakctl gate --history --db history.db\n"
		    "soakctl gate --label nightly --baseline last-night --thresholds gate.ini --junit gate.xml",
	.exit_status = "0 every check passed, 1 a check failed, 2 the gate cannot be evaluated (no such "
		       "run, unreadable or invalid thresholds, a required metric unavailable - named on its line).",
};

typedef struct {
	const char *db_path, *thresholds, *baseline, *junit, *markdown, *json, *label, *comparison;
	bool latest;
	int64_t *ids;
	size_t n_ids;
} gate_opts_t;

static int parse_args(int argc, char **argv, gate_opts_t *o)
{
	struct option opts[SOAK_GETOPT_MAX];
	char shortopts[SOAK_GETOPT_MAX * 2];
	if (soak_getopt_table(&soak_doc_gate, opts, shortopts) < 0)
		return -E2BIG;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db_path = optarg; break;
		case 't': o->thresholds = optarg; break;
		case 'b': o->baseline = optarg; break;
		case 'j': o->junit = optarg; break;
		case 'm': o->markdown = optarg; break;
		case 'J': o->json = optarg; break;
		case 'L': o->latest = true; break;
		case 'l': o->label = optarg; break;
		case 'c': o->comparison = optarg; break;
		case 'h': soak_help_print(stdout, "gate", &soak_doc_gate); return 1;
		case ':':
			soak_err("gate: option %s needs a value (see soakctl gate --help)", argv[optind - 1]);
			return -EINVAL;
		default:
			soak_err("gate: unknown option '%s' (see soakctl gate --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		o->n_ids = (size_t)(argc - optind);
		if (!(o->ids = calloc(o->n_ids, sizeof(*o->ids))))
			return -ENOMEM;
		for (size_t i = 0; i < o->n_ids; i++)
			if (soak_cli_parse_id(argv[optind + (int)i], &o->ids[i]) < 0) {
				soak_err("gate: '%s' is not a run id (a positive number; see soakctl runs)",
					 argv[optind + (int)i]);
				return -EINVAL;
			}
	}
	int sel = (o->latest ? 1 : 0) + (o->n_ids ? 1 : 0) + (o->label ? 1 : 0) + (o->comparison ? 1 : 0);
	if (sel != 1) {
		soak_err("gate: choose the runs with exactly one of --latest, RUN_ID..., --label L or "
			 "--comparison ID");
		return -EINVAL;
	}
	return 0;
}

typedef struct {
	soak_run_result_t *res;
	size_t n, cap;
} cache_t;

/* Loads a run's result once (baselines are shared by the runs gated). */
static soak_run_result_t *cached(soak_db_t *db, cache_t *c, const soak_run_t *run)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->res[i].run.id == run->id)
			return &c->res[i];
	if (c->n == c->cap)
		return NULL;
	soak_result_opts_t ro = { 0 };
	int r = soak_result_from_db(db, run, &ro, &c->res[c->n]);
	if (r < 0) {
		soak_err("gate: run %lld: %s", (long long)run->id,
			 r == -ENOMEM ? "out of memory" : soak_db_errmsg(db));
		return NULL;
	}
	return &c->res[c->n++];
}

/* The newest baseline candidate for run r: not r itself, the same workload,
 * and the same allocator when one has it. NULL with why when none fits. */
static const soak_run_t *pick_baseline(const soak_run_t *cands, size_t n, const soak_run_t *r,
				       const char *sel, char *why, size_t len)
{
	const soak_run_t *best = NULL;
	int best_score = -1;
	for (size_t i = 0; i < n; i++) {
		const soak_run_t *b = &cands[i];
		if (b->id == r->id)
			continue;
		bool same_wl = b->workload && r->workload && !strcmp(b->workload, r->workload);
		if (!same_wl)
			continue;
		bool same_alloc = b->allocator_name && r->allocator_name &&
				  !strcmp(b->allocator_name, r->allocator_name);
		int score = same_alloc ? 1 : 0;
		if (score >= best_score) {     /* ascending ids: later wins ties */
			best = b;
			best_score = score;
		}
	}
	if (!best)
		snprintf(why, len, "no run of workload %s other than run %lld matches --baseline %s",
			 r->workload ? r->workload : "?", (long long)r->id, sel);
	return best;
}

typedef struct {
	int (*fn)(FILE *, const soak_gate_report_t *);
	const soak_gate_report_t *rep;
} out_t;

static int emit_cb(FILE *f, const void *arg)
{
	const out_t *o = arg;
	return o->fn(f, o->rep);
}

static int write_outputs(const gate_opts_t *o, const soak_gate_report_t *rep)
{
	struct {
		const char *path;
		int (*fn)(FILE *, const soak_gate_report_t *);
	} outs[] = { { o->junit, soak_gate_emit_junit }, { o->markdown, soak_gate_emit_markdown },
		     { o->json, soak_gate_emit_json } };
	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (!outs[i].path)
			continue;
		char err[512];
		out_t arg = { outs[i].fn, rep };
		if (soak_write_atomic(outs[i].path, emit_cb, &arg, err, sizeof(err)) < 0) {
			soak_err("gate: %s", err);
			return -EIO;
		}
	}
	return 0;
}

static int gate(soak_db_t *db, const gate_opts_t *o, const soak_gate_thresholds_t *th)
{
	soak_run_filter_t f = { .label = o->label, .comparison_id = o->comparison,
				.latest = o->latest, .ids = o->ids, .n_ids = o->n_ids };
	soak_run_t *runs = NULL, *bruns = NULL;
	size_t n = 0, nb = 0;
	int rc = SOAK_EXIT_USAGE;
	cache_t cache = { 0 };
	soak_gate_report_t rep = { 0 };
	if (soak_db_runs(db, &f, &runs, &n) < 0) {
		soak_err("gate: %s", soak_db_errmsg(db));
		return SOAK_EXIT_USAGE;
	}
	if (!n) {
		if (o->label)
			soak_err("gate: cannot evaluate: no run has the label '%s' in %s", o->label, o->db_path);
		else if (o->comparison)
			soak_err("gate: cannot evaluate: no run belongs to comparison '%s' in %s",
				 o->comparison, o->db_path);
		else
			soak_err("gate: cannot evaluate: %s holds no runs", o->db_path);
		goto out;
	}
	if (o->baseline) {
		int64_t bid;
		soak_run_filter_t bf = { .label = o->baseline };
		if (soak_cli_parse_id(o->baseline, &bid) == 0)
			bf = (soak_run_filter_t){ .ids = &bid, .n_ids = 1 };
		int r = soak_db_runs(db, &bf, &bruns, &nb);
		if (r < 0 || !nb) {
			soak_err("gate: cannot evaluate: --baseline %s: %s", o->baseline,
				 r < 0 ? soak_db_errmsg(db) : "no run or label of that name (see soakctl runs)");
			goto out;
		}
		snprintf(rep.baseline, sizeof(rep.baseline), "--baseline %s", o->baseline);
	}
	cache.cap = n + nb;
	if (!(cache.res = calloc(cache.cap + 1, sizeof(*cache.res)))) {
		soak_err("gate: out of memory");
		goto out;
	}
	snprintf(rep.thresholds, sizeof(rep.thresholds), "%s", soak_gate_thresholds_source(th));
	for (size_t i = 0; i < n; i++) {
		soak_run_result_t *r = cached(db, &cache, &runs[i]);
		if (!r)
			goto out;
		soak_gate_limits_t l;
		soak_gate_thresholds_for(th, runs[i].workload, &l);
		const soak_run_result_t *b = NULL;
		char why[256] = "";
		if (nb) {
			const soak_run_t *br = pick_baseline(bruns, nb, &runs[i], o->baseline, why, sizeof(why));
			if (br && !(b = cached(db, &cache, br)))
				goto out;
		}
		const soak_run_result_t *const bl[1] = { b };
		if (soak_gate_eval(&rep, r, &l, b ? bl : NULL, b ? 1 : 0, nb && !b ? why : NULL) < 0) {
			soak_err("gate: out of memory");
			goto out;
		}
	}
	soak_gate_emit_text(stdout, &rep);
	fflush(stdout);
	rc = write_outputs(o, &rep) < 0 ? SOAK_EXIT_USAGE : soak_gate_exit_code(&rep);
out:
	soak_gate_report_free(&rep);
	for (size_t i = 0; i < cache.n; i++)
		soak_result_free(&cache.res[i]);
	free(cache.res);
	soak_runs_free(runs, n);
	soak_runs_free(bruns, nb);
	return rc;
}

int soak_cmd_gate(int argc, char **argv)
{
	/* gate --history: change points over nights (cmd-history.c). */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--history"))
			return soak_cmd_gate_history(argc, argv);
	gate_opts_t o = { .db_path = "./soak.db" };
	int r = parse_args(argc, argv, &o);
	if (r != 0) {
		free(o.ids);
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	}
	char err[1024] = "";
	soak_gate_thresholds_t *th = NULL;
	if (soak_gate_thresholds_load(o.thresholds, &th, err, sizeof(err)) < 0) {
		soak_err("gate: cannot evaluate: %s", err[0] ? err : "invalid thresholds");
		free(o.ids);
		return SOAK_EXIT_USAGE;
	}
	soak_db_t *db = soak_cli_open_db(o.db_path, SOAK_DB_READ);
	int rc = SOAK_EXIT_USAGE;
	if (db) {
		rc = gate(db, &o, th);
		soak_db_close(db);
	}
	soak_gate_thresholds_free(th);
	free(o.ids);
	return rc;
}
