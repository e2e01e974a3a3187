/* cmd-compare.c - `soakctl compare A B [C ...]`: runs every allocator under the
 * same options, interleaved in rounds with the order shuffled per round, all
 * under one comparison id; then prints the side-by-side table with verdicts
 * (reports/compare.h). With --from-db it re-reports recorded runs instead;
 * with --until-decided it adds runs while a metric is undecided (compare-until.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "cmdhelp.h"
#include "options.h"
#include "compare.h"
#include "db.h"
#include "emit-html.h"
#include "result.h"
#include "run.h"
#include "soak/uuid.h"
#include "soak/outfile.h"
#include "rounds.h"
#include "soakctl.h"
#include "compare-control.h"
#include "compare-select.h"
#include "compare-suite.h"
#include "compare-until.h"
#include "gate.h"

#define MAX_SLOTS 32

typedef struct {
	const char *format, *output, *baseline, *suite;
	size_t repeat;
	bool has_seed, from_db, exec_repeat, has_repeat, control, until_decided;
	uint64_t seed, max_runs;     /* max_runs 0 = not given */
	double alpha;
	char **pos;
	size_t n_pos;
	char **run_argv;
	int run_argc;
} cmp_opts_t;

/* compare's own options; every other option of run's table is handed to
 * soak_run_parse_opts with its value. */
#define O(...) SOAK_OPT(cmp_opts_t, __VA_ARGS__)
static const soak_opt_t compare_opts[] = {
	O("repeat", 0, "K", "runs per allocator (default " SOAK_STR(SOAK_CMP_DEFAULT_REPEAT) "; the run is the "
	  "statistical unit: a verdict needs at least 4 runs per allocator that ended ok at alpha 0.05)",
	  SOAK_OT_UINT, repeat, .lo = 1, .hi = 1000, .has = SOAK_OPT_HAS(cmp_opts_t, has_repeat)),
	O("baseline", 0, "NAME", "the reference allocator (default: the first)", SOAK_OT_STR, baseline),
	O("suite", 0, "NAME", "run every workload of suite NAME (built in: classic, seeds; or [suite.NAME] in "
	  "soak.ini) under every allocator, interleaved in rounds: one table per workload and a summary "
	  "(Markdown; docs/suites.md)", SOAK_OT_STR, suite),
	O("seed", 0, "S", "seed of the per-round order shuffle (default: random, printed)", SOAK_OT_UINT, seed,
	  .lo = 0, .hi = (double)UINT64_MAX, .has = SOAK_OPT_HAS(cmp_opts_t, has_seed)),
	O("alpha", 0, "A", "significance level of the verdicts (default " SOAK_STR(SOAK_VERDICT_ALPHA) ")",
	  SOAK_OT_DOUBLE, alpha, .lo = 0, .lo_open = 1, .hi = 0.5),
	O("format", 0, "md|json|csv|html", "md (default), json (versioned), csv or html (one self-contained page "
	  "with gnuplot plots); with --suite md or json", SOAK_OT_CHOICE, format, .choices = "md|markdown|json|csv|html"),
	O("output", 0, "FILE", "write the report to FILE (atomically) instead of stdout", SOAK_OT_STR, output),
	O("exec-repeat", 0, NULL, "exec workload: run the command back to back (run's --repeat)", SOAK_OT_FLAG,
	  exec_repeat),
	O("control", 0, NULL, "also run the spin control workload (system allocator) once per round, "
	  "interleaved with the allocators: the report shows the host's own noise beside theirs "
	  "(run-to-run CV, CV, drift) and the floor is stored for reports and gates on this host",
	  SOAK_OT_FLAG, control),
	O("until-decided", 0, NULL, "while throughput, peak RSS or p99 latency is undecided for a column "
	  "(no verdict, or an interval reaching beyond the practical threshold), run every allocator once "
	  "more (run --like its newest run, the order shuffled per round) and compare again, until all are decided, "
	  "one is worse or --max-runs more runs per allocator are spent; the looks share alpha (Bonferroni "
	  "over at most M + 1 looks)", SOAK_OT_FLAG, until_decided),
	O("max-runs", 0, "M", "--until-decided: at most M more runs per allocator (default 5)", SOAK_OT_UINT,
	  max_runs, .lo = 1, .hi = 1000),
	O("from-db", 0, NULL, "run nothing: report recorded runs. Each argument is a run id, a "
	  "comma-separated list of run ids (kept as one column), a label or a comparison id; runs "
	  "are grouped by allocator", SOAK_OT_FLAG, from_db),
	{ 0 }
};
#undef O

/* run's --allocator is refused: the arguments name the allocators. */
static int refuse_allocator(const char *v, void *field, char *why, size_t len)
{
	(void)v;
	(void)field;
	snprintf(why, len, "the allocators as arguments (soakctl compare system mimalloc), not with --allocator");
	return -EINVAL;
}

static const soak_opt_t compare_refused[] = {
	{ .name = "allocator", .shrt = 'a', .arg = "NAME", .type = SOAK_OT_FN, .fn = refuse_allocator },
	{ 0 }
};

static const soak_opt_t compare_operands[] = {
	SOAK_OPERAND("ALLOCATOR...", "two or more allocators, named as for soakctl run --allocator"),
	SOAK_OPERAND("RUNS|LABEL|COMPARISON-ID...", "with --from-db: what to report"),
	{ 0 }
};

/* run's options as compare takes them: without --allocator (the arguments
 * name the allocators) and --repeat (compare's own; run's is --exec-repeat). */
static const soak_opt_t *compare_run_opts(void)
{
	static soak_opt_t doc[SOAK_GETOPT_MAX];
	if (!doc[0].name) {
		size_t n = 0;
		for (const soak_opt_t *o = soak_run_opts_doc(); o->name && n + 1 < SOAK_GETOPT_MAX; o++)
			if (strcmp(o->name, "allocator") && strcmp(o->name, "repeat"))
				doc[n++] = *o;
	}
	return doc;
}

const soak_cmd_doc_t soak_doc_compare = {
	.synopsis = "soakctl compare [OPTIONS] ALLOCATOR ALLOCATOR [ALLOCATOR...] [-- WORKLOAD-OPTIONS]\n"
		    "soakctl compare --from-db [--db FILE] [OPTIONS] RUNS|LABEL|COMPARISON-ID...",
	.description = "Runs every allocator under identical options and limits, --repeat times, "
		       "interleaved in rounds (A B A B ..., the order shuffled per round so the machine's "
		       "drift hits all alike), records every run under one comparison id, and prints the "
		       "allocators side by side: throughput and its ratio to the baseline with a confidence "
		       "interval, CV, drifts, mean and peak RSS, syscall budget, latency percentiles, page "
		       "faults and status, then a verdict per metric against the baseline (better / worse / "
		       "no significant difference / insufficient data). Method: docs/compare-gate.md.",
	.sections = { { .title = "Compare options", .opts = compare_opts },
		      { .title = "Run options (as for soakctl run; the arguments name the allocators, "
				 "--exec-repeat is run's --repeat; compare's defaults: --duration "
				 SOAK_STR(SOAK_CMP_DEFAULT_DURATION_S) "s per run, --warmup " SOAK_STR(SOAK_CMP_DEFAULT_WARMUP_S)
				 "s for runs of 2.5 s or more)",
			.opts_fn = compare_run_opts },
		      { .title = "Arguments", .opts = compare_operands, .operands = true } },
	.examples = "soakctl compare system mimalloc jemalloc --duration 2m\n"
		    "soakctl compare system mimalloc -w random_mixed -d 30s --repeat 5 --format json\n"
		    "soakctl compare system mimalloc -d 3s --repeat 4 --until-decided --max-runs 3\n"
		    "soakctl compare --suite classic system mimalloc\n"
		    "soakctl compare --from-db 8f0c3a1e-...      (a comparison id)\n"
		    "soakctl compare --from-db 1,3,5 2,4,6       (two columns of run ids)",
	.exit_status = "0 the comparison ran (whatever the verdicts), 2 usage or environment error, or a "
		       "run got another allocator than it names (allocator-mismatch), 130/143/129 interrupted by "
		       "SIGINT/SIGTERM/SIGHUP (what was recorded is still reported). With --until-decided, as the "
		       "gate: 0 every metric decided and none worse, 1 a column is worse on a metric decided on, "
		       "2 still undecided after --max-runs more runs per allocator (or nothing could be decided).",
};

/* 0 ok, 1 help printed, -EINVAL bad input (one line printed), -ENOMEM. */
static int parse_args(int argc, char **argv, cmp_opts_t *o)
{
	soak_optparse_t p = { .cmd = "compare", .doc = &soak_doc_compare, .opts = compare_opts,
			      .opts2 = compare_refused, .pass = compare_run_opts(), .dashdash = 1 };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, o, &res);
	/* run's options, then "--" and the workload's options, for soak_run_parse_opts */
	o->pos = calloc((size_t)argc + 1, sizeof(char *));
	o->run_argv = calloc((size_t)argc + 2, sizeof(char *));
	if (!r && (!o->pos || !o->run_argv))
		r = -ENOMEM;
	for (int i = 0; !r && i < res.n_operands; i++)
		o->pos[o->n_pos++] = res.operands[i];
	for (int i = 0; !r && i < res.n_pass; i++)
		o->run_argv[o->run_argc++] = res.pass[i];
	if (!r && res.rest) {
		o->run_argv[o->run_argc++] = "--";
		for (int i = 0; i < res.n_rest; i++)
			o->run_argv[o->run_argc++] = res.rest[i];
	}
	soak_optres_free(&res);
	return r;
}

/* ---- shared: compute and write the comparison ---- */

typedef struct {
	char name[80];
	char key[1200];              /* allocator name, path and environment */
	bool explicit_ids;           /* a comma list: never merged */
	const soak_run_result_t **runs;
	size_t n;
} group_t;

typedef struct {
	soak_run_result_t *res;      /* every loaded run */
	size_t n_res, cap_res;
	group_t *g;
	size_t n_g;
} collect_t;

static void collect_free(collect_t *c)
{
	for (size_t i = 0; i < c->n_res; i++)
		soak_result_free(&c->res[i]);
	free(c->res);
	for (size_t i = 0; i < c->n_g; i++)
		free(c->g[i].runs);
	free(c->g);
}

static int emit_cb(FILE *f, const void *arg)
{
	const void *const *a = arg;
	if (!strcasecmp(a[1], "html"))
		return soak_html_compare(f, a[0]);
	return soak_compare_emit(f, a[0], a[1]);
}

/* The comparison of what c holds, against --baseline (or the first). An exit code. */
static int compute(collect_t *c, const cmp_opts_t *o, soak_cmp_opts_t *co, soak_comparison_t *cmp)
{
	if (c->n_g < 2)
		soak_err("compare: note: only one allocator (%s) among the runs: nothing to compare "
			 "it with", c->n_g ? c->g[0].name : "none");
	if (!c->n_g)
		return SOAK_EXIT_USAGE;
	co->baseline = 0;
	if (o->baseline) {
		size_t i = 0;
		while (i < c->n_g && strcmp(c->g[i].name, o->baseline))
			i++;
		if (i == c->n_g) {
			char names[512] = "";
			for (size_t j = 0; j < c->n_g; j++) {
				size_t l = strlen(names);
				snprintf(names + l, sizeof(names) - l, "%s%s", j ? ", " : "", c->g[j].name);
			}
			soak_err("compare: --baseline %s is not one of the allocators compared (%s)",
				 o->baseline, names);
			return SOAK_EXIT_USAGE;
		}
		co->baseline = i;
	}
	if (!co->alpha)
		co->alpha = o->alpha;
	soak_cmp_group_in_t *in = calloc(c->n_g, sizeof(*in));
	if (!in)
		return SOAK_EXIT_USAGE;
	for (size_t i = 0; i < c->n_g; i++)
		in[i] = (soak_cmp_group_in_t){ c->g[i].name,
					       (const soak_run_result_t *const *)c->g[i].runs,
					       c->g[i].n };
	int r = soak_compare_compute(in, c->n_g, co, cmp);
	free(in);
	if (r < 0) {
		soak_err("compare: %s", strerror(-r));
		return SOAK_EXIT_USAGE;
	}
	return SOAK_EXIT_OK;
}

/* Writes the report to --output or stdout. An exit code. */
static int emit_report(const cmp_opts_t *o, const soak_comparison_t *cmp)
{
	int r;
	if (o->output) {
		char err[512];
		const void *arg[2] = { cmp, o->format };
		if (soak_write_atomic(o->output, emit_cb, arg, err, sizeof(err)) < 0) {
			soak_err("compare: %s", err);
			return SOAK_EXIT_USAGE;
		}
	} else if ((r = emit_cb(stdout, (const void *[]){ cmp, o->format })) < 0 || fflush(stdout) != 0) {
		soak_err("compare: writing the report failed: %s", strerror(r < 0 ? -r : errno));
		return SOAK_EXIT_USAGE;
	}
	return SOAK_EXIT_OK;
}

static int report(collect_t *c, const cmp_opts_t *o, soak_cmp_opts_t *co, soak_cmp_noise_t *noise)
{
	soak_comparison_t cmp;
	int rc = compute(c, o, co, &cmp);
	if (rc != SOAK_EXIT_OK)
		return rc;
	if (noise)
		*noise = cmp.noise;
	rc = emit_report(o, &cmp);
	soak_compare_free(&cmp);
	return rc;
}

static soak_run_result_t *load_one(soak_db_t *db, collect_t *c, const soak_run_t *run)
{
	for (size_t i = 0; i < c->n_res; i++)
		if (c->res[i].run.id == run->id)
			return NULL;    /* named twice: counted once */
	if (c->n_res == c->cap_res) {
		/* Groups keep pointers into res: allocate once, big enough (see callers). */
		return NULL;
	}
	soak_result_opts_t ro = { 0 };
	if (soak_cli_result(db, run, &ro, &c->res[c->n_res], "compare") < 0)
		return (soak_run_result_t *)-1;
	return &c->res[c->n_res++];
}

static void run_key(const soak_run_t *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s\x1f%s\x1f%s", r->allocator_name ? r->allocator_name : "?",
		 r->allocator_path ? r->allocator_path : "", r->allocator_env ? r->allocator_env : "");
}

static group_t *new_group(collect_t *c, const char *base_name, const char *key, bool explicit_ids,
			  size_t cap)
{
	group_t *g = realloc(c->g, (c->n_g + 1) * sizeof(*g));
	if (!g)
		return NULL;
	c->g = g;
	g = &c->g[c->n_g];
	memset(g, 0, sizeof(*g));
	if (!(g->runs = calloc(cap + 1, sizeof(*g->runs))))
		return NULL;
	c->n_g++;
	snprintf(g->key, sizeof(g->key), "%s", key);
	g->explicit_ids = explicit_ids;
	/* Column names are unique: a second "system" column is "system#2". */
	int k = 1;
	for (;;) {
		if (k == 1)
			snprintf(g->name, sizeof(g->name), "%s", base_name);
		else
			snprintf(g->name, sizeof(g->name), "%.60s#%d", base_name, k);
		size_t j = 0;
		while (j + 1 < c->n_g && strcmp(c->g[j].name, g->name))
			j++;
		if (j + 1 == c->n_g)
			break;
		k++;
	}
	return g;
}

/* ---- --from-db ---- */

static int from_db(const cmp_opts_t *o, const soak_run_opts_t *ro)
{
	if (!o->n_pos) {
		soak_err("compare: --from-db needs run ids, labels or a comparison id (see soakctl runs)");
		return SOAK_EXIT_USAGE;
	}
	soak_db_t *db = soak_cli_open_db(ro->db_path, SOAK_DB_READ);
	if (!db)
		return SOAK_EXIT_USAGE;
	soak_html_set_series_source(soak_cli_html_series, db);
	int rc = SOAK_EXIT_USAGE;
	collect_t c = { 0 };
	soak_run_t **sel = calloc(o->n_pos, sizeof(*sel));
	size_t *nsel = calloc(o->n_pos, sizeof(*nsel));
	bool *expl = calloc(o->n_pos, sizeof(*expl));
	size_t total = 0, done = 0;
	if (!sel || !nsel || !expl)
		goto out;
	for (; done < o->n_pos; done++) {
		if (soak_cmp_select_runs(db, o->pos[done], ro->db_path, &sel[done], &nsel[done], &expl[done]) < 0)
			goto out;
		total += nsel[done];
	}
	c.cap_res = total;
	if (!(c.res = calloc(total + 1, sizeof(*c.res))))
		goto out;
	const char *comparison_id = NULL;
	for (size_t a = 0; a < o->n_pos; a++) {
		group_t *eg = NULL;
		for (size_t j = 0; j < nsel[a]; j++) {
			const soak_run_t *run = &sel[a][j];
			soak_run_result_t *res = load_one(db, &c, run);
			if (res == (soak_run_result_t *)-1)
				goto out;
			if (!res)
				continue;
			char key[1200];
			run_key(run, key, sizeof(key));
			group_t *g = eg;
			if (g && strcmp(g->key, key)) {
				soak_err("compare: the runs %s mix allocators (%s and %s): a comma-separated "
					 "list is one column, the repeats of one allocator", o->pos[a],
					 g->runs[0]->run.allocator_name ? g->runs[0]->run.allocator_name : "?",
					 run->allocator_name ? run->allocator_name : "?");
				goto out;
			}
			if (expl[a] && !g)
				g = eg = new_group(&c, run->allocator_name ? run->allocator_name : "?", key,
						   true, total);
			for (size_t k = 0; !g && k < c.n_g; k++)
				if (!c.g[k].explicit_ids && !strcmp(c.g[k].key, key))
					g = &c.g[k];
			if (!g)
				g = new_group(&c, run->allocator_name ? run->allocator_name : "?", key,
					      false, total);
			if (!g) {
				soak_err("compare: out of memory");
				goto out;
			}
			g->runs[g->n++] = res;
			if (!comparison_id && run->comparison_id)
				comparison_id = res->run.comparison_id;
		}
	}
	soak_cmp_opts_t co = { .comparison_id = comparison_id };
	rc = report(&c, o, &co, NULL);
out:
	for (size_t i = 0; i < done && sel; i++)
		soak_runs_free(sel[i], nsel[i]);
	free(sel);
	free(nsel);
	free(expl);
	collect_free(&c);
	soak_cli_close_db(db);
	return rc;
}

/* ---- running a comparison ---- */

typedef struct {
	const char *spec;
	soak_alloc_t a;
	group_t *g;
} slot_t;

/* One comparison being run: what the rounds record, for loading after. */
typedef struct {
	const cmp_opts_t *o;
	soak_run_opts_t *ro;
	soak_db_t *db;
	slot_t slots[MAX_SLOTS];
	size_t ns, planned, made;
	int64_t *ids;            /* run ids in the order run (with --until-decided's) */
	size_t *slot_of;         /* the slot of each */
	size_t *more_slot;       /* --until-decided: the slot of each run it asked for */
	soak_rng_t more_rng;     /* the order of its rounds */
	size_t n_more;
	collect_t *c;            /* what the last look loaded */
	size_t *mismatched;      /* its runs that got another allocator */
	soak_comparison_t cmp;   /* --until-decided: the last look */
	bool have_cmp;
	int64_t *ctl_ids;        /* --control: the control runs */
	size_t n_ctl;
	char cid[37];
	uint64_t seed;
} cmp_run_t;

/* Resolves every allocator first: a typo in the last name must not cost an hour. */
static int resolve_slots(cmp_run_t *x)
{
	const cmp_opts_t *o = x->o;
	if (o->n_pos < 2) {
		soak_err("compare: name at least two allocators (soakctl compare system mimalloc; "
			 "the same one twice measures the noise)");
		return -EINVAL;
	}
	if (o->n_pos > MAX_SLOTS) {
		soak_err("compare: at most %d allocators at once", MAX_SLOTS);
		return -EINVAL;
	}
	x->ns = o->n_pos;
	for (size_t i = 0; i < x->ns; i++) {
		char err[1024] = "";
		x->slots[i].spec = o->pos[i];
		if (soak_alloc_resolve(o->pos[i], x->ro->config, &x->slots[i].a, err, sizeof(err)) < 0) {
			soak_err("compare: %s", err[0] ? err : "unknown allocator");
			return -EINVAL;
		}
	}
	return 0;
}

/* One run of a round: slot ns is the control run (--control). */
static int run_cell(void *arg, size_t round, size_t cell)
{
	cmp_run_t *x = arg;
	soak_run_opts_t *ro = x->ro;
	int64_t id = 0;
	if (cell == x->ns) {
		if (ro->verbose >= 0)
			fprintf(stderr, "soakctl: round %zu/%zu: control (spin)\n", round + 1, x->o->repeat);
		if (soak_cmp_control_run(x->db, ro, &id) < 0) {
			soak_err("compare: the control run could not start; stopping the comparison (%zu runs "
				 "recorded under %s)", x->made, x->cid);
			return -EIO;
		}
		x->ctl_ids[x->n_ctl++] = id;
		return 0;
	}
	slot_t *s = &x->slots[cell];
	ro->allocator = s->spec;
	if (ro->verbose >= 0)
		fprintf(stderr, "soakctl: round %zu/%zu, run %zu/%zu: %s\n", round + 1, x->o->repeat, x->made + 1,
			x->planned, s->g->name);
	if (soak_run_execute(x->db, ro, &id) < 0) {
		soak_err("compare: the run of %s could not start; stopping the comparison (%zu runs recorded "
			 "under %s)", s->spec, x->made, x->cid);
		return -EIO;
	}
	x->ids[x->made] = id;
	x->slot_of[x->made++] = cell;
	return 0;
}

/* Loads what was recorded into the slots' groups, in the order it was run;
 * counts the runs that got another allocator than they asked for. */
static int load_recorded(cmp_run_t *x, collect_t *c, size_t *mismatched)
{
	soak_run_filter_t f = { .ids = x->ids, .n_ids = x->made };
	soak_run_t *runs = NULL;
	size_t nr = 0;
	*mismatched = 0;
	if (x->made && soak_db_runs(x->db, &f, &runs, &nr) < 0) {
		soak_err("compare: %s", soak_db_errmsg(x->db));
		return -EIO;
	}
	for (size_t i = 0; i < x->made; i++)
		for (size_t j = 0; j < nr; j++) {
			if (runs[j].id != x->ids[i])
				continue;
			if (runs[j].status && !strcmp(runs[j].status, "allocator-mismatch"))
				(*mismatched)++;
			soak_run_result_t *res = load_one(x->db, c, &runs[j]);
			if (res == (soak_run_result_t *)-1) {
				soak_runs_free(runs, nr);
				return -EIO;
			}
			if (res) {
				group_t *g = x->slots[x->slot_of[i]].g;
				g->runs[g->n++] = res;
			}
		}
	soak_runs_free(runs, nr);
	return 0;
}

/* The report of what was recorded, with the control runs' noise; stores the
 * host's floor when there were control runs. An exit code. */
static int report_recorded(cmp_run_t *x, collect_t *c)
{
	soak_run_result_t *ctl_res = NULL;
	size_t n_ctl_res = 0;
	if (x->n_ctl && soak_cmp_control_load(x->db, x->ctl_ids, x->n_ctl, &ctl_res, &n_ctl_res) < 0)
		return SOAK_EXIT_USAGE;
	soak_cmp_opts_t co = { .comparison_id = x->cid, .order_seed = x->seed, .has_order_seed = true,
			       .repeats_planned = x->o->repeat, .interrupted = x->made < x->planned };
	const soak_run_result_t **ctl_ptr = n_ctl_res ? calloc(n_ctl_res, sizeof(*ctl_ptr)) : NULL;
	if (n_ctl_res && !ctl_ptr) {
		soak_err("compare: out of memory");
		soak_cmp_control_free(ctl_res, n_ctl_res);
		return SOAK_EXIT_USAGE;
	}
	for (size_t i = 0; i < n_ctl_res; i++)
		ctl_ptr[i] = &ctl_res[i];
	co.control = ctl_ptr;
	co.n_control = n_ctl_res;
	soak_cmp_noise_t noise;
	int rc = report(c, x->o, &co, &noise);
	if (rc == SOAK_EXIT_OK && n_ctl_res &&
	    soak_cmp_control_store(x->db, &noise, ctl_ptr[0], x->ro->interval_s, x->ro->duration_s) < 0)
		rc = SOAK_EXIT_USAGE;
	free(ctl_ptr);
	soak_cmp_control_free(ctl_res, n_ctl_res);
	return rc;
}

/* One group per slot, in c (empty), room for cap runs each. */
static int slot_groups(cmp_run_t *x, collect_t *c, size_t cap)
{
	for (size_t i = 0; i < x->ns; i++) {
		char key[1200];
		snprintf(key, sizeof(key), "slot %zu", i);
		if (!new_group(c, x->slots[i].a.name, key, true, cap)) {
			soak_err("compare: out of memory");
			return -ENOMEM;
		}
	}
	/* new_group may move the array: take the pointers after the last one. */
	for (size_t i = 0; i < x->ns; i++)
		x->slots[i].g = &c->g[i];
	return 0;
}

/* ---- --until-decided (the loop: until.c; what a look says: compare-until.c) ---- */

/* One look: every run so far (the rounds' and the ones added, in their
 * slots), compared at this look's share of alpha. */
static int until_look(void *arg, const int64_t *extra, size_t n_extra, soak_until_t *u)
{
	cmp_run_t *x = arg;
	while (x->made - x->planned < n_extra) {   /* the runs added since the last look */
		size_t i = x->made - x->planned;
		x->ids[x->made] = extra[i];
		x->slot_of[x->made++] = x->more_slot[i];
	}
	if (x->have_cmp)
		soak_compare_free(&x->cmp);
	x->have_cmp = false;
	collect_free(x->c);
	*x->c = (collect_t){ .cap_res = x->made };
	if (!(x->c->res = calloc(x->made + 1, sizeof(*x->c->res))) || slot_groups(x, x->c, x->made) < 0 ||
	    load_recorded(x, x->c, x->mismatched) < 0)
		return -EIO;
	double alpha = x->o->alpha > 0 ? x->o->alpha : SOAK_VERDICT_ALPHA;
	soak_cmp_opts_t co = { .comparison_id = x->cid, .order_seed = x->seed, .has_order_seed = true,
			       .repeats_planned = x->o->repeat + x->n_more / x->ns, .interrupted = soak_run_interrupted,
			       .alpha = soak_gate_look_alpha(alpha, u->looks_max) };
	if (compute(x->c, x->o, &co, &x->cmp) != SOAK_EXIT_OK)
		return -EINVAL;
	x->have_cmp = true;
	soak_cmp_until_look(u->out, &x->cmp, alpha, u);
	return 0;
}

/* Every allocator once more, from its newest run, in an order shuffled
 * per round as the rounds' (the same seed, the same orders), so a drift of
 * the host hits all alike. */
static size_t until_repeat(void *arg, int64_t *ids, const char **names, size_t cap)
{
	cmp_run_t *x = arg;
	size_t n = 0, order[MAX_SLOTS];
	soak_rounds_shuffle(&x->more_rng, order, x->ns);
	for (size_t k = 0; k < x->ns && n < cap; k++) {
		size_t s = order[k], j = x->made;
		while (j > 0 && x->slot_of[j - 1] != s)
			j--;
		if (!j)
			continue;
		ids[n] = x->ids[j - 1];
		names[n++] = x->slots[s].g->name;
		x->more_slot[x->n_more++] = s;
	}
	return n;
}

/* compare --until-decided after the rounds: the looks, the last one's
 * report, the closing line. An exit code. */
static int until_decided(cmp_run_t *x, collect_t *c, size_t *mismatched)
{
	size_t m = x->o->max_runs ? (size_t)x->o->max_runs : 5;
	soak_until_t u = { .max_runs = m * x->ns, .looks_max = (unsigned)m + 1, .out = stderr,
			   .cmd = "compare", .comparison_id = x->cid };
	soak_until_ops_t ops = { until_look, until_repeat, x };
	x->c = c;
	x->mismatched = mismatched;
	soak_rng_seed(&x->more_rng, x->seed ^ 0x756e74696cULL);   /* "until": another stream than the rounds' */
	int r = soak_until(x->ro->db_path, &ops, &u);
	if (!x->have_cmp)
		return SOAK_EXIT_USAGE;
	int rc = emit_report(x->o, &x->cmp);
	soak_cmp_until_print_end(stderr, &x->cmp, &u);
	if (rc == SOAK_EXIT_OK)
		rc = r < 0 ? SOAK_EXIT_USAGE : soak_cmp_until_exit(&x->cmp, &u);
	soak_compare_free(&x->cmp);
	x->have_cmp = false;
	return rc;
}

/* Runs the rounds (the database open, the cgroups placed) and reports. */
static int run_and_report(cmp_run_t *x, collect_t *c)
{
	const cmp_opts_t *o = x->o;
	x->planned = x->ns * o->repeat;
	c->cap_res = x->planned;
	/* --until-decided adds at most --max-runs runs per allocator */
	size_t more = o->until_decided ? x->ns * (o->max_runs ? (size_t)o->max_runs : 5) : 0;
	x->ids = calloc(x->planned + more + 1, sizeof(*x->ids));
	x->ctl_ids = calloc(o->repeat + 1, sizeof(*x->ctl_ids));
	x->slot_of = calloc(x->planned + more + 1, sizeof(*x->slot_of));
	x->more_slot = calloc(more + 1, sizeof(*x->more_slot));
	c->res = calloc(x->planned + 1, sizeof(*c->res));
	if (!x->ids || !x->slot_of || !c->res || !x->ctl_ids || !x->more_slot)
		return soak_err("compare: out of memory"), SOAK_EXIT_USAGE;
	if (slot_groups(x, c, x->planned) < 0)
		return SOAK_EXIT_USAGE;
	if (x->ro->verbose >= 0)
		fprintf(stderr, "soakctl: comparison %s: %zu allocators x %zu repeat%s = %zu runs of %gs, "
			"order seed %" PRIu64 "\n", x->cid, x->ns, o->repeat, o->repeat == 1 ? "" : "s",
			x->planned, x->ro->duration_s, x->seed);
	/* --control: cell ns is the control run, shuffled in with the others. */
	soak_rounds_t rounds = { .rounds = o->repeat, .cells = x->ns + (o->control ? 1 : 0), .seed = x->seed,
				 .cell = run_cell, .arg = x };
	size_t mismatched = 0;
	if (soak_rounds_run(&rounds) < 0 || load_recorded(x, c, &mismatched) < 0)
		return SOAK_EXIT_USAGE;
	if (soak_run_interrupted)
		soak_err("compare: interrupted after %zu of %zu runs; reporting what was recorded", x->made,
			 x->planned);
	if (!x->made)
		return SOAK_EXIT_USAGE;
	int rc = o->until_decided && !soak_run_interrupted ? until_decided(x, c, &mismatched)
							    : report_recorded(x, c);
	/* A run that got another allocator than it asked for is an error, not a
	 * result: the table shows it, and the comparison exits 2. */
	if (rc == SOAK_EXIT_OK && mismatched) {
		soak_err("compare: %zu run%s ended allocator-mismatch (see the table): the comparison "
			 "did not measure what it names", mismatched, mismatched == 1 ? "" : "s");
		rc = SOAK_EXIT_USAGE;
	}
	if (rc == SOAK_EXIT_OK && x->ro->verbose >= 0)
		fprintf(stderr, "soakctl: comparison %s recorded in %s; report it again with: soakctl "
			"compare --from-db --db %s %s\n", x->cid, x->ro->db_path, x->ro->db_path, x->cid);
	return rc;
}

static int run_all(const cmp_opts_t *o, soak_run_opts_t *ro)
{
	cmp_run_t x = { .o = o, .ro = ro };
	if (resolve_slots(&x) < 0)
		return SOAK_EXIT_USAGE;
	/* Placement first (once for every run): nothing written if it fails. */
	soak_place_t place;
	if (soak_run_place(ro, &place) < 0)
		return SOAK_EXIT_USAGE;
	x.db = soak_cli_open_db(ro->db_path, SOAK_DB_WRITE);
	if (!x.db) {
		soak_run_unplace(ro);
		return SOAK_EXIT_USAGE;
	}
	soak_html_set_series_source(soak_cli_html_series, x.db);
	soak_rounds_new_id(x.cid, &x.seed);
	if (o->has_seed)
		x.seed = o->seed;
	ro->comparison_id = x.cid;
	if (o->exec_repeat)
		ro->repeat = true;
	collect_t c = { 0 };
	int rc = run_and_report(&x, &c);
	soak_run_unplace(ro);
	collect_free(&c);
	free(x.ctl_ids);
	free(x.ids);
	free(x.slot_of);
	free(x.more_slot);
	soak_cli_close_db(x.db);
	return rc;
}

/* --suite: the suite names the workloads and their options (compare-suite.c
 * refuses the options that do not go with it). An exit code. */
static int suite(const cmp_opts_t *o, const soak_run_opts_t *ro)
{
	soak_cmp_suite_opts_t so = { .suite = o->suite, .allocs = o->pos, .n_alloc = o->n_pos,
				     .repeat = o->repeat, .seed = o->seed, .has_seed = o->has_seed,
				     .baseline = o->baseline, .alpha = o->alpha, .output = o->output,
				     .format = o->format, .from_db = o->from_db, .control = o->control,
				     .until_decided = o->until_decided, .run_argv = o->run_argv,
				     .run_argc = o->run_argc };
	return soak_compare_suite(&so, ro);
}

int soak_cmd_compare(int argc, char **argv)
{
	cmp_opts_t o = { .format = "md", .repeat = SOAK_CMP_DEFAULT_REPEAT };
	int r = parse_args(argc, argv, &o);
	int rc = SOAK_EXIT_USAGE;
	if (r != 0) {
		rc = r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
		goto out;
	}
	if (o.max_runs && !o.until_decided) {
		soak_err("compare: --max-runs applies to --until-decided only");
		goto out;
	}
	if (o.until_decided && (o.from_db || o.control)) {
		soak_err("compare: --until-decided runs more runs: not with %s (run the comparison with "
			 "--until-decided instead)", o.from_db ? "--from-db, which runs nothing" : "--control");
		goto out;
	}
	soak_run_opts_t ro;
	soak_run_opts_init(&ro);
	/* Several shorter interleaved runs instead of one long one: the run is
	 * the statistical unit (docs/compare-gate.md). -d/--warmup override. */
	ro.duration_s = SOAK_CMP_DEFAULT_DURATION_S;
	if (soak_run_parse_opts(o.run_argc, o.run_argv, &ro, NULL) < 0)
		goto out;
	/* The default warm-up applies to runs of 5 warm-ups or more (a short
	 * -d keeps run's default: found by MSER-5); an explicit --warmup wins. */
	if (ro.warmup_s == SOAK_WARMUP_AUTO && ro.duration_s >= 5 * SOAK_CMP_DEFAULT_WARMUP_S)
		ro.warmup_s = SOAK_CMP_DEFAULT_WARMUP_S;
	if (o.suite) {
		rc = suite(&o, &ro);
		if (soak_run_interrupted)
			rc = soak_exit_interrupted();
	} else if (o.from_db) {
		if (soak_cmp_from_db_args_check(o.run_argc, o.run_argv) < 0)
			goto out;
		if (o.has_repeat || o.has_seed || o.exec_repeat || o.control) {
			soak_err("compare: --from-db runs nothing: --repeat, --seed, --exec-repeat and "
				 "--control do not apply");
			goto out;
		}
		rc = from_db(&o, &ro);
	} else {
		rc = run_all(&o, &ro);
		/* Interrupted: what was recorded is reported, but the command did not
		 * do what it was asked, so `compare ... && next` must not go on. */
		if (soak_run_interrupted)
			rc = soak_exit_interrupted();
	}
out:
	free(o.pos);
	free(o.run_argv);
	return rc;
}
