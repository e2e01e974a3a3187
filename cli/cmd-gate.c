/* cmd-gate.c - `soakctl gate`: release gates CI can act on. Selects runs,
 * loads thresholds, groups the gated runs by series and picks each series'
 * baseline runs, evaluates (reports/gate.h) and writes the summary, JUnit
 * XML, Markdown and JSON. Exit 0 all checks pass, 1 any fails, 2 the gate
 * cannot be evaluated or a baseline check is undecided. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "compare.h"
#include "db.h"
#include "gate.h"
#include "gate-until.h"
#include "options.h"
#include "result.h"
#include "soak/outfile.h"
#include "soakctl.h"

typedef struct {
	const char *db_path, *thresholds, *baseline, *junit, *markdown, *json, *label, *comparison;
	bool latest;
	uint64_t baseline_last;      /* 0 = not given */
	bool history;                /* handed to cmd-history.c before parsing */
	bool until_decided;
	uint64_t max_runs;           /* 0 = not given */
	int64_t *ids;
	size_t n_ids;
} gate_opts_t;

#define O(...) SOAK_OPT(gate_opts_t, __VA_ARGS__)
static const soak_opt_t gate_opts[] = {
	O("db", 0, "FILE", "database (default ./soak.db)", SOAK_OT_STR, db_path),
	O("thresholds", 0, "FILE", "INI file: [gate] and [gate.WORKLOAD] sections with rss_drift_max_pct, "
	  "tp_drift_min_pct, syscalls_per_op_max, cv_max_pct, status, baseline_tp_loss_max_pct, "
	  "baseline_peak_rss_growth_max_pct, baseline_p99_growth_max_pct, alpha, require (a value of "
	  "off disables a check)", SOAK_OT_STR, thresholds),
	O("baseline", 0, "LABEL|ID,ID,...", "baseline runs: every run with this label, or these runs; "
	  "only finished (ok) runs of the gated runs' series (workload and options, allocator, "
	  "limits, host class) count, at least 3", SOAK_OT_STR, baseline),
	O("baseline-last", 0, "N", "baseline runs: the newest N finished (ok) runs of each gated "
	  "series that started before its gated runs (any label)", SOAK_OT_UINT, baseline_last,
	  .lo = 1, .hi = 100000),
	O("until-decided", 0, NULL, "while a baseline check is undecided, run the gated series again (run "
	  "--like its newest gated run, under its label) and look again, until every check is decided or "
	  "--max-runs runs are spent; the looks share the family alpha (Bonferroni over at most M + 1 "
	  "looks)", SOAK_OT_FLAG, until_decided),
	O("max-runs", 0, "M", "--until-decided: at most M more runs (default 5)", SOAK_OT_UINT, max_runs,
	  .lo = 1, .hi = 1000),
	O("junit", 0, "FILE", "JUnit XML for CI (one testcase per check)", SOAK_OT_STR, junit),
	O("markdown", 0, "FILE", "a pull-request comment", SOAK_OT_STR, markdown),
	O("json", 0, "FILE", "JSON (versioned)", SOAK_OT_STR, json),
	O("latest", 0, NULL, "the newest run", SOAK_OT_FLAG, latest),
	O("label", 0, "L", "every run labelled L", SOAK_OT_STR, label),
	O("comparison", 0, "ID", "every run of a comparison (soakctl compare)", SOAK_OT_STR, comparison),
	O("history", 0, NULL, "instead: fail when a change point for the worse starts in the newest night "
	  "(soakctl gate --history --help lists its options; method: docs/nightly.md)", SOAK_OT_FLAG, history),
	{ 0 }
};
#undef O

static const soak_opt_t gate_operands[] = {
	SOAK_OPERAND("RUN_ID...", "these runs"),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_gate = {
	.synopsis = "soakctl gate [--db FILE] [--thresholds FILE.ini] [--baseline LABEL|ID,ID,... | --baseline-last N]\n"
		    "             [--until-decided [--max-runs M]]\n"
		    "             [--junit FILE] [--markdown FILE] [--json FILE]\n"
		    "             (--latest | RUN_ID... | --label L | --comparison ID)",
	.description = "Checks recorded runs against thresholds and, with --baseline or --baseline-last, "
		       "the gated runs of each series against baseline runs of the same series (the run "
		       "is the unit; pass, fail or undecided; Holm over the baseline checks): status ok, "
		       "RSS drift, overhead (RSS per live byte) drift, throughput drift, throughput CV, "
		       "syscall budget, and a significant "
		       "throughput loss / peak RSS growth / p99 growth vs the baseline. "
		       "Built-in thresholds: RSS drift <= +5%, overhead drift <= the RSS drift limit, "
		       "throughput drift >= -5%, syscalls <= "
		       "1e-7/op, CV <= 5%, status ok; vs a baseline: loss <= 2%, peak RSS and p99 growth "
		       "<= 10%. Keys and method: docs/compare-gate.md.",
	.sections = { { .title = "Options", .opts = gate_opts },
		      { .title = "Runs", .opts = gate_operands, .operands = true } },
	.notes = "Output files are written atomically (a temporary file renamed into place).",
	.examples = "soakctl gate --latest --junit gate.xml --markdown gate.md\n"
		    "soakctl gate --history --db history.db\n"
		    "soakctl gate --label rc-2.1 --baseline nightly --thresholds gate.ini --junit gate.xml\n"
		    "soakctl gate --latest --baseline-last 10\n"
		    "soakctl gate --label rc-2.1 --baseline nightly --until-decided --max-runs 4",
	.exit_status = "0 every check passed, 1 a check failed, 2 the gate cannot be evaluated (no such "
		       "run, unreadable or invalid thresholds, a required metric unavailable, fewer than 3 "
		       "baseline runs - named on its line) or a baseline check is undecided (more runs needed; with "
		       "--until-decided: still undecided after --max-runs more runs), 128+N a run of "
		       "--until-decided was interrupted by signal N.",
};


static int parse_args(int argc, char **argv, gate_opts_t *o)
{
	soak_optparse_t p = { .cmd = "gate", .doc = &soak_doc_gate, .opts = gate_opts };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, o, &res);
	if (!r && res.n_operands) {
		r = soak_cli_parse_ids("gate", res.operands, (size_t)res.n_operands, &o->ids);
		o->n_ids = r ? 0 : (size_t)res.n_operands;
	}
	soak_optres_free(&res);
	if (r)
		return r;
	int sel = (o->latest ? 1 : 0) + (o->n_ids ? 1 : 0) + (o->label ? 1 : 0) + (o->comparison ? 1 : 0);
	if (sel != 1) {
		soak_err("gate: choose the runs with exactly one of --latest, RUN_ID..., --label L or "
			 "--comparison ID");
		return -EINVAL;
	}
	if (o->baseline && o->baseline_last) {
		soak_err("gate: choose the baseline with one of --baseline and --baseline-last, not both");
		return -EINVAL;
	}
	if (o->until_decided && !o->baseline && !o->baseline_last) {
		soak_err("gate: --until-decided needs a baseline to decide against: give --baseline or --baseline-last");
		return -EINVAL;
	}
	if (o->max_runs && !o->until_decided) {
		soak_err("gate: --max-runs applies to --until-decided only");
		return -EINVAL;
	}
	return 0;
}

/* The worker's catalog (soak-worker --list-json), read once; NULL when the
 * worker cannot be run (then every name is taken: run says what is wrong). */
static char *read_catalog(void)
{
	char worker[PATH_MAX];
	int fd[2];
	if (soak_worker_path(worker, sizeof(worker)) < 0 || pipe(fd) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execl(worker, worker, "--list-json", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len), *in = pid > 0 ? fdopen(fd[0], "r") : NULL;
	char chunk[4096];
	size_t k;
	while (in && out && (k = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, k, out);
	if (in)
		fclose(in);
	else
		close(fd[0]);
	if (out)
		fclose(out);
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Whether a [gate.NAME] section names a workload: exec or a built-in one. */
static bool known_workload(const char *name)
{
	static char *catalog;
	static bool read;
	if (!strcmp(name, "exec"))
		return true;
	if (!read) {
		catalog = read_catalog();
		read = true;
	}
	char key[128];
	snprintf(key, sizeof(key), "\"name\":\"%s\"", name);
	return !catalog || strstr(catalog, key);
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
	if (soak_cli_result(db, run, &ro, &c->res[c->n], "gate") < 0)
		return NULL;
	return &c->res[c->n++];
}

/* The gated runs of one series (indices into the gated runs) and its
 * baseline (indices into the pool), with what was left out and why. */
typedef struct {
	size_t *cand, k;
	size_t *base, nb;
	size_t other, not_ok, later;   /* pool runs skipped: another series, not ok, not before */
	char other_why[160];           /* the first difference of a run of another series */
	char desc[480];
} series_t;

static bool run_finished_ok(const soak_run_t *r)
{
	return r->status && !strcmp(r->status, "ok") && r->samples_lost <= 0;
}

/* Start-time order (ISO 8601 strings compare as times), then id. */
static bool started_before(const soak_run_t *a, const soak_run_t *b)
{
	int c = strcmp(a->started_at ? a->started_at : "", b->started_at ? b->started_at : "");
	return c < 0 || (c == 0 && a->id < b->id);
}

/* Groups the gated runs into series (the key history uses). */
static int group_series(const soak_run_t *runs, size_t n, series_t **ret, size_t *ns)
{
	series_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < m && !soak_gate_same_series(&runs[s[j].cand[0]], &runs[i], NULL, 0))
			j++;
		if (j == m && !(s[m++].cand = calloc(n, sizeof(size_t)))) {
			*ret = s;
			*ns = m;
			return -ENOMEM;
		}
		s[j].cand[s[j].k++] = i;
	}
	*ret = s;
	*ns = m;
	return 0;
}

static bool is_gated(const soak_run_t *runs, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (runs[i].id == id)
			return true;
	return false;
}

/* The baseline of series s from the pool: same series, ended ok, never a
 * gated run; with --baseline-last N the newest N that started before the
 * series' first gated run. */
static int pick_baseline(const gate_opts_t *o, const soak_run_t *runs, size_t n, series_t *s,
			 const soak_run_t *pool, size_t np)
{
	const soak_run_t *first = &runs[s->cand[0]];
	if (!(s->base = calloc(np + 1, sizeof(size_t))))
		return -ENOMEM;
	for (size_t j = 0; j < np; j++) {
		char why[160];
		if (is_gated(runs, n, pool[j].id))
			continue;
		if (!soak_gate_same_series(first, &pool[j], why, sizeof(why))) {
			if (!s->other++)
				snprintf(s->other_why, sizeof(s->other_why), "%s", why);
		} else if (!run_finished_ok(&pool[j])) {
			s->not_ok++;
		} else if (o->baseline_last && !started_before(&pool[j], first)) {
			s->later++;
		} else {
			/* insertion in start-time order */
			size_t at = s->nb;
			while (at > 0 && started_before(&pool[j], &pool[s->base[at - 1]])) {
				s->base[at] = s->base[at - 1];
				at--;
			}
			s->base[at] = j;
			s->nb++;
		}
	}
	if (o->baseline_last && s->nb > (size_t)o->baseline_last) {
		size_t drop = s->nb - (size_t)o->baseline_last;
		memmove(s->base, s->base + drop, (size_t)o->baseline_last * sizeof(size_t));
		s->nb = (size_t)o->baseline_last;
	}
	/* What the baseline is, and what was left out and why. */
	int l = 0;
	if (o->baseline_last)
		l = snprintf(s->desc, sizeof(s->desc), "the newest %zu finished run%s of the series before "
			     "its gated runs", s->nb, s->nb == 1 ? "" : "s");
	else
		l = snprintf(s->desc, sizeof(s->desc), "%zu finished run%s of the series in --baseline %s",
			     s->nb, s->nb == 1 ? "" : "s", o->baseline);
	for (size_t i = 0; i < s->nb && l > 0 && (size_t)l < sizeof(s->desc) - 64; i++)
		l += snprintf(s->desc + l, sizeof(s->desc) - (size_t)l, "%s #%lld", i ? "" : ":",
			      (long long)pool[s->base[i]].id);
	if (s->other && l > 0 && (size_t)l < sizeof(s->desc))
		l += snprintf(s->desc + l, sizeof(s->desc) - (size_t)l, "; skipped %zu run%s of another "
			      "series (%s)", s->other, s->other == 1 ? "" : "s", s->other_why);
	if (s->not_ok && l > 0 && (size_t)l < sizeof(s->desc))
		l += snprintf(s->desc + l, sizeof(s->desc) - (size_t)l, "; skipped %zu run%s that did not "
			      "end ok", s->not_ok, s->not_ok == 1 ? "" : "s");
	if (s->later && l > 0 && (size_t)l < sizeof(s->desc))
		snprintf(s->desc + l, sizeof(s->desc) - (size_t)l, "; skipped %zu run%s that started after "
			 "the gated runs", s->later, s->later == 1 ? "" : "s");
	return 0;
}

/* The pool the baseline is picked from: runs named by id, a label's runs,
 * or (--baseline-last) every run. */
static int baseline_pool(soak_db_t *db, const gate_opts_t *o, soak_run_t **ret, size_t *n)
{
	soak_run_filter_t f = { 0 };
	int64_t *ids = NULL;
	size_t nid = 0;
	if (o->baseline) {
		int e = soak_cli_parse_id_list(o->baseline, &ids, &nid);
		if (e == -ENOMEM) {
			soak_err("gate: %s", strerror(-e));
			return e;
		}
		f = e == 0 ? (soak_run_filter_t){ .ids = ids, .n_ids = nid }
			   : (soak_run_filter_t){ .label = o->baseline };
	}
	int r = soak_db_runs(db, &f, ret, n);
	free(ids);
	if (r < 0 || !*n) {
		soak_err("gate: cannot evaluate: --baseline%s %s: %s", o->baseline ? "" : "-last",
			 o->baseline ? o->baseline : "", r < 0 ? soak_db_errmsg(db)
			 : "no run or label of that name (see soakctl runs)");
		return -EINVAL;
	}
	return 0;
}

static void series_free(series_t *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].cand);
		free(s[i].base);
	}
	free(s);
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

/* Evaluates every gated run's own checks, then the baseline checks of each
 * series together (Holm over all of them). */
static int eval_all(soak_db_t *db, const gate_opts_t *o, const soak_gate_thresholds_t *th,
		    const soak_run_t *runs, size_t n, const soak_run_t *pool, size_t np,
		    soak_gate_report_t *rep)
{
	cache_t cache = { .cap = n + np };
	series_t *ser = NULL;
	size_t ns = 0;
	soak_gate_series_t *gs = NULL;
	const soak_run_result_t **ptrs = NULL;
	int rc = -ENOMEM;
	if (!(cache.res = calloc(cache.cap + 1, sizeof(*cache.res))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		soak_run_result_t *r = cached(db, &cache, &runs[i]);
		if (!r) {
			rc = -EIO;
			goto out;
		}
		soak_gate_limits_t l;
		soak_gate_thresholds_for(th, runs[i].workload, &l);
		if (soak_gate_eval(rep, r, &l) < 0)
			goto out;
	}
	rc = 0;
	if (!pool)
		goto out;
	rc = -ENOMEM;
	if (group_series(runs, n, &ser, &ns) < 0 || !(gs = calloc(ns, sizeof(*gs))) ||
	    !(ptrs = calloc(2 * (n + np) + 1, sizeof(*ptrs))))
		goto out;
	size_t used = 0;
	for (size_t i = 0; i < ns; i++) {
		if (pick_baseline(o, runs, n, &ser[i], pool, np) < 0)
			goto out;
		gs[i].cand = ptrs + used;
		for (size_t j = 0; j < ser[i].k; j++)
			ptrs[used++] = cached(db, &cache, &runs[ser[i].cand[j]]);
		gs[i].k = ser[i].k;
		gs[i].base = ptrs + used;
		for (size_t j = 0; j < ser[i].nb; j++)
			if (!(ptrs[used++] = cached(db, &cache, &pool[ser[i].base[j]]))) {
				rc = -EIO;
				goto out;
			}
		gs[i].nb = ser[i].nb;
		gs[i].base_desc = ser[i].desc;
		soak_gate_thresholds_for(th, runs[ser[i].cand[0]].workload, &gs[i].limits);
	}
	rc = soak_gate_eval_baseline(rep, gs, ns);
out:
	if (rc == -ENOMEM)
		soak_err("gate: out of memory");
	free(ptrs);
	free(gs);
	series_free(ser, ns);
	for (size_t i = 0; i < cache.n; i++)
		soak_result_free(&cache.res[i]);
	free(cache.res);
	return rc;
}

/* The gated runs: the selection, and the runs --until-decided added. */
static int gated_runs(soak_db_t *db, const gate_opts_t *o, const int64_t *extra, size_t n_extra,
		      soak_run_t **runs, size_t *n)
{
	soak_run_filter_t f = { .label = o->label, .comparison_id = o->comparison,
				.latest = o->latest, .ids = o->ids, .n_ids = o->n_ids };
	soak_run_t *more = NULL;
	size_t nm = 0;
	soak_run_filter_t fx = { .ids = extra, .n_ids = n_extra };
	if (soak_db_runs(db, &f, runs, n) < 0 || (n_extra && soak_db_runs(db, &fx, &more, &nm) < 0)) {
		soak_err("gate: %s", soak_db_errmsg(db));
		return -EIO;
	}
	soak_run_t *all = nm ? realloc(*runs, (*n + nm) * sizeof(**runs)) : *runs;
	if (!all) {
		soak_runs_free(more, nm);
		soak_err("gate: out of memory");
		return -ENOMEM;
	}
	*runs = all;
	for (size_t i = 0; i < nm; i++)
		if (is_gated(all, *n, more[i].id))   /* already selected (by its label) */
			soak_run_free(&more[i]);
		else
			all[(*n)++] = more[i];
	free(more);
	return 0;
}

/* Selects the gated runs and their baselines and evaluates them into rep
 * (rep->look/looks_max as the caller set them). Prints why it cannot. */
static int gate_eval(soak_db_t *db, const gate_opts_t *o, const soak_gate_thresholds_t *th,
		     const int64_t *extra, size_t n_extra, soak_gate_report_t *rep)
{
	soak_run_t *runs = NULL, *pool = NULL;
	size_t n = 0, np = 0;
	int rc = -EINVAL;
	if (gated_runs(db, o, extra, n_extra, &runs, &n) < 0)
		goto out;
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
	if (o->baseline || o->baseline_last) {
		if (baseline_pool(db, o, &pool, &np) < 0)
			goto out;
		if (o->baseline)
			snprintf(rep->baseline, sizeof(rep->baseline), "--baseline %s", o->baseline);
		else
			snprintf(rep->baseline, sizeof(rep->baseline), "--baseline-last %llu", (unsigned long long)o->baseline_last);
	}
	snprintf(rep->thresholds, sizeof(rep->thresholds), "%s", soak_gate_thresholds_source(th));
	rc = eval_all(db, o, th, runs, n, pool, np, rep);
out:
	soak_runs_free(runs, n);
	soak_runs_free(pool, np);
	return rc;
}

static int gate(soak_db_t *db, const gate_opts_t *o, const soak_gate_thresholds_t *th)
{
	soak_gate_report_t rep = { 0 };
	int rc = SOAK_EXIT_USAGE;
	if (gate_eval(db, o, th, NULL, 0, &rep) == 0) {
		soak_gate_emit_text(stdout, &rep);
		fflush(stdout);
		rc = write_outputs(o, &rep) < 0 ? SOAK_EXIT_USAGE : soak_gate_exit_code(&rep);
	}
	soak_gate_report_free(&rep);
	return rc;
}

typedef struct {
	const gate_opts_t *o;
	const soak_gate_thresholds_t *th;
} look_arg_t;

/* One look of --until-decided: the database is opened again, as runs were added. */
static int look_cb(void *arg, const int64_t *extra, size_t n_extra, soak_gate_report_t *rep)
{
	const look_arg_t *a = arg;
	soak_db_t *db = soak_cli_open_db(a->o->db_path, SOAK_DB_READ);
	if (!db)
		return -EINVAL;
	int r = gate_eval(db, a->o, a->th, extra, n_extra, rep);
	soak_cli_close_db(db);
	return r;
}

/* gate --until-decided (gate-until.c runs the loop). --latest is the
 * newest run before any run is added, so it is fixed to that run's id. */
static int gate_until(gate_opts_t *o, const soak_gate_thresholds_t *th)
{
	if (o->latest) {
		soak_db_t *db = soak_cli_open_db(o->db_path, SOAK_DB_READ);
		soak_run_t *runs = NULL;
		size_t n = 0;
		soak_run_filter_t f = { .latest = true };
		if (!db || soak_db_runs(db, &f, &runs, &n) < 0 || !n || !(o->ids = calloc(1, sizeof(*o->ids)))) {
			if (db)
				soak_err("gate: cannot evaluate: %s holds no runs", o->db_path);
			soak_runs_free(runs, n);
			soak_cli_close_db(db);
			return SOAK_EXIT_USAGE;
		}
		o->ids[0] = runs[0].id;
		o->n_ids = 1;
		o->latest = false;
		soak_runs_free(runs, n);
		soak_cli_close_db(db);
	}
	look_arg_t arg = { o, th };
	soak_until_t u = { .max_runs = o->max_runs ? (size_t)o->max_runs : 5 };
	soak_gate_report_t rep = { 0 };
	int r = soak_gate_until(o->db_path, look_cb, &arg, &rep, &u);
	int rc = SOAK_EXIT_USAGE;
	if (r >= 0 && rep.n) {
		soak_gate_emit_text(stdout, &rep);
		soak_gate_until_print_end(stdout, &rep, &u);
		fflush(stdout);
		rc = write_outputs(o, &rep) < 0 ? SOAK_EXIT_USAGE : soak_gate_exit_code(&rep);
	}
	if (r == 1)
		rc = soak_exit_interrupted();
	soak_gate_report_free(&rep);
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
	if (soak_gate_thresholds_load_known(o.thresholds, known_workload, &th, err, sizeof(err)) < 0) {
		soak_err("gate: cannot evaluate: %s", err[0] ? err : "invalid thresholds");
		free(o.ids);
		return SOAK_EXIT_USAGE;
	}
	int rc = SOAK_EXIT_USAGE;
	soak_db_t *db = o.until_decided ? NULL : soak_cli_open_db(o.db_path, SOAK_DB_READ);
	if (o.until_decided)
		rc = gate_until(&o, th);
	if (db) {
		rc = gate(db, &o, th);
		soak_cli_close_db(db);
	}
	soak_gate_thresholds_free(th);
	free(o.ids);
	return rc;
}
