/* compare-suite.c - `soakctl compare --suite NAME A B ...`; see compare-suite.h.
 * Every cell (a workload of the suite under one allocator) runs once per
 * round, in an order shuffled per round, so the host's drift over the whole
 * suite hits every workload and allocator alike; each workload then gets the
 * comparison `compare` makes for one workload (reports/compare.h). */
#include "compare-suite.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "compare.h"
#include "db.h"
#include "plan.h"
#include "rounds.h"
#include "soak/outfile.h"
#include "soakctl.h"
#include "suite-emit.h"
#include "suite.h"

#define MAX_ALLOCS 32
#define WL_ARGS 128

typedef struct {
	const soak_cmp_suite_opts_t *o;
	soak_suite_t s;
	soak_run_opts_t ro[SOAK_SUITE_MAX];
	char args[SOAK_SUITE_MAX][1024];
	char *wl_argv[SOAK_SUITE_MAX][WL_ARGS + 1];
	soak_alloc_t a[MAX_ALLOCS];
	char names[MAX_ALLOCS][80];      /* column titles, unique */
	size_t n_a, baseline;
	soak_db_t *db;
	int64_t *ids;                    /* run ids in the order run */
	size_t *cell_of;
	size_t planned, made;
	char cid[37];
	uint64_t seed;
} suite_run_t;

/* Each entry's run options: the common ones with the entry's workload and
 * options, checked by the worker before anything runs. */
static int setup_entries(suite_run_t *x, const soak_run_opts_t *base)
{
	for (size_t e = 0; e < x->s.n; e++) {
		const soak_suite_entry_t *en = &x->s.e[e];
		snprintf(x->args[e], sizeof(x->args[e]), "%s", en->args);
		int n = soak_plan_split(x->args[e], x->wl_argv[e], WL_ARGS);
		if (n < 0) {
			soak_err("compare: suite %s (%s): entry %s: %s", x->s.name, x->s.source, en->name,
				 n == -EINVAL ? "unclosed quote in its options" : "too many options");
			return -EINVAL;
		}
		x->wl_argv[e][n] = NULL;
		x->ro[e] = *base;
		x->ro[e].workload = en->workload;
		x->ro[e].wl_argv = x->wl_argv[e];
		x->ro[e].wl_argc = n;
		/* The worker (or the engine) has said what is wrong in one line,
		 * naming the workload and the option: a second line would break
		 * the one-line rule for bad input. */
		if (soak_run_check(&x->ro[e]) < 0)
			return -EINVAL;
	}
	return 0;
}

/* Resolves every allocator first: a typo in the last name must not cost an hour. */
static int setup_allocs(suite_run_t *x, const soak_run_opts_t *base)
{
	const soak_cmp_suite_opts_t *o = x->o;
	if (o->n_alloc < 2 || o->n_alloc > MAX_ALLOCS) {
		soak_err("compare: name %s allocators (soakctl compare --suite %s system mimalloc)",
			 o->n_alloc < 2 ? "at least two" : "at most 32", o->suite);
		return -EINVAL;
	}
	x->n_a = o->n_alloc;
	for (size_t i = 0; i < x->n_a; i++) {
		char err[1024] = "";
		if (soak_alloc_resolve(o->allocs[i], base->config, &x->a[i], err, sizeof(err)) < 0) {
			soak_err("compare: %s", err[0] ? err : "unknown allocator");
			return -EINVAL;
		}
		/* Column names are unique: a second "system" column is "system#2". */
		size_t k = 1;
		for (size_t j = 0; j < i; j++)
			k += !strcmp(x->a[j].name, x->a[i].name);
		if (k == 1)
			snprintf(x->names[i], sizeof(x->names[i]), "%s", x->a[i].name);
		else
			snprintf(x->names[i], sizeof(x->names[i]), "%.60s#%zu", x->a[i].name, k);
	}
	x->baseline = 0;
	if (o->baseline) {
		while (x->baseline < x->n_a && strcmp(x->names[x->baseline], o->baseline))
			x->baseline++;
		if (x->baseline == x->n_a) {
			soak_err("compare: --baseline %s is not one of the allocators compared", o->baseline);
			return -EINVAL;
		}
	}
	return 0;
}

static int run_cell(void *arg, size_t round, size_t cell)
{
	suite_run_t *x = arg;
	size_t e = cell / x->n_a, a = cell % x->n_a;
	soak_run_opts_t *ro = &x->ro[e];
	ro->allocator = x->o->allocs[a];
	ro->comparison_id = x->cid;
	if (ro->verbose >= 0)
		fprintf(stderr, "soakctl: suite %s, round %zu/%zu, run %zu/%zu: %s under %s\n", x->s.name, round + 1,
			x->o->repeat, x->made + 1, x->planned, x->s.e[e].name, x->names[a]);
	int64_t id = 0;
	if (soak_run_execute(x->db, ro, &id) < 0) {
		soak_err("compare: the run of %s under %s could not start; stopping the suite (%zu runs "
			 "recorded under %s)", x->s.e[e].name, x->names[a], x->made, x->cid);
		return -EIO;
	}
	x->ids[x->made] = id;
	x->cell_of[x->made++] = cell;
	return 0;
}

/* What was recorded, per workload: the results (res, in the order run) and
 * each cell's runs (cell c's at runs[c * repeat ..], n[c] of them). */
typedef struct {
	soak_run_result_t *res;
	size_t n_res;
	const soak_run_result_t **runs;
	size_t *n;
	size_t mismatched;
} loaded_t;

static void loaded_free(loaded_t *l)
{
	for (size_t i = 0; i < l->n_res; i++)
		soak_result_free(&l->res[i]);
	free(l->res);
	free(l->runs);
	free(l->n);
}

static int load_recorded(suite_run_t *x, loaded_t *l)
{
	size_t cells = x->s.n * x->n_a;
	l->res = calloc(x->made + 1, sizeof(*l->res));
	l->runs = calloc(cells * x->o->repeat + 1, sizeof(*l->runs));
	l->n = calloc(cells, sizeof(*l->n));
	if (!l->res || !l->runs || !l->n)
		return soak_err("compare: out of memory"), -ENOMEM;
	soak_run_filter_t f = { .ids = x->ids, .n_ids = x->made };
	soak_run_t *runs = NULL;
	size_t nr = 0;
	if (x->made && soak_db_runs(x->db, &f, &runs, &nr) < 0) {
		soak_err("compare: %s", soak_db_errmsg(x->db));
		return -EIO;
	}
	int r = 0;
	for (size_t i = 0; i < x->made && !r; i++)
		for (size_t j = 0; j < nr && !r; j++) {
			if (runs[j].id != x->ids[i])
				continue;
			if (runs[j].status && !strcmp(runs[j].status, "allocator-mismatch"))
				l->mismatched++;
			soak_result_opts_t ro = { 0 };
			if ((r = soak_cli_result(x->db, &runs[j], &ro, &l->res[l->n_res], "compare")) < 0)
				break;
			size_t c = x->cell_of[i];
			l->runs[c * x->o->repeat + l->n[c]++] = &l->res[l->n_res++];
		}
	soak_runs_free(runs, nr);
	return r < 0 ? -EIO : 0;
}

static int emit_cb(FILE *f, const void *arg)
{
	const void *const *a = arg;
	return soak_suite_emit(f, a[0], a[1], *(const size_t *)a[2], a[3]);
}

/* One comparison per workload, then the report. An exit code. */
static int report(suite_run_t *x, const loaded_t *l)
{
	soak_comparison_t *cmp = calloc(x->s.n, sizeof(*cmp));
	soak_suite_row_t *rows = calloc(x->s.n, sizeof(*rows));
	soak_cmp_group_in_t in[MAX_ALLOCS];
	size_t done = 0;
	int rc = SOAK_EXIT_USAGE;
	if (!cmp || !rows) {
		soak_err("compare: out of memory");
		goto out;
	}
	soak_cmp_opts_t co = { .comparison_id = x->cid, .order_seed = x->seed, .has_order_seed = true,
			       .repeats_planned = x->o->repeat, .interrupted = x->made < x->planned,
			       .baseline = x->baseline, .alpha = x->o->alpha };
	for (; done < x->s.n; done++) {
		for (size_t a = 0; a < x->n_a; a++) {
			size_t c = done * x->n_a + a;
			in[a] = (soak_cmp_group_in_t){ x->names[a], l->runs + c * x->o->repeat, l->n[c] };
		}
		int r = soak_compare_compute(in, x->n_a, &co, &cmp[done]);
		if (r < 0) {
			soak_err("compare: %s", strerror(-r));
			goto out;
		}
		rows[done] = (soak_suite_row_t){ x->s.e[done].name, x->s.e[done].workload, x->s.e[done].args,
						 &cmp[done] };
	}
	const void *arg[4] = { x->s.name, rows, &done, x->o->format };
	char err[512];
	rc = SOAK_EXIT_OK;
	if (x->o->output) {
		if (soak_write_atomic(x->o->output, emit_cb, arg, err, sizeof(err)) < 0) {
			soak_err("compare: %s", err);
			rc = SOAK_EXIT_USAGE;
		}
	} else if (emit_cb(stdout, arg) < 0 || fflush(stdout) != 0) {
		soak_err("compare: writing the report failed: %s", strerror(errno));
		rc = SOAK_EXIT_USAGE;
	}
out:
	for (size_t i = 0; i < done; i++)
		soak_compare_free(&cmp[i]);
	free(cmp);
	free(rows);
	return rc;
}

/* Runs the rounds (placed, the database open) and reports. An exit code. */
static int run_and_report(suite_run_t *x)
{
	size_t cells = x->s.n * x->n_a;
	x->planned = cells * x->o->repeat;
	x->ids = calloc(x->planned + 1, sizeof(*x->ids));
	x->cell_of = calloc(x->planned + 1, sizeof(*x->cell_of));
	if (!x->ids || !x->cell_of)
		return soak_err("compare: out of memory"), SOAK_EXIT_USAGE;
	if (x->ro[0].verbose >= 0)
		fprintf(stderr, "soakctl: comparison %s: suite %s (%s), %zu workloads x %zu allocators x %zu "
			"repeat%s = %zu runs of %gs, order seed %" PRIu64 "\n", x->cid, x->s.name, x->s.source,
			x->s.n, x->n_a, x->o->repeat, x->o->repeat == 1 ? "" : "s", x->planned,
			x->ro[0].duration_s, x->seed);
	soak_rounds_t rounds = { .rounds = x->o->repeat, .cells = cells, .seed = x->seed, .cell = run_cell,
				 .arg = x };
	loaded_t l = { 0 };
	int rc = SOAK_EXIT_USAGE;
	if (soak_rounds_run(&rounds) < 0 || load_recorded(x, &l) < 0)
		goto out;
	if (soak_run_interrupted)
		soak_err("compare: interrupted after %zu of %zu runs; reporting what was recorded", x->made,
			 x->planned);
	if (!x->made)
		goto out;
	rc = report(x, &l);
	if (rc == SOAK_EXIT_OK && l.mismatched) {
		soak_err("compare: %zu run%s ended allocator-mismatch (see the tables): the comparison "
			 "did not measure what it names", l.mismatched, l.mismatched == 1 ? "" : "s");
		rc = SOAK_EXIT_USAGE;
	}
	if (rc == SOAK_EXIT_OK && x->ro[0].verbose >= 0)
		fprintf(stderr, "soakctl: suite %s recorded in %s under comparison %s\n", x->s.name,
			x->ro[0].db_path, x->cid);
out:
	loaded_free(&l);
	return rc;
}

/* The options of compare that do not go with --suite: one line, -EINVAL. */
static int refuse_clashes(const soak_cmp_suite_opts_t *o)
{
	const char *clash = o->from_db ? "--from-db (re-report a suite's runs per workload: compare --from-db "
					 "with the run ids)" : o->control ? "--control" :
			    o->until_decided ? "--until-decided" : NULL;
	for (int i = 0; !clash && i < o->run_argc; i++)
		if (!strcmp(o->run_argv[i], "--"))
			clash = "workload options after -- (the suite gives each workload its options)";
		else if (!strncmp(o->run_argv[i], "-w", 2) || !strncmp(o->run_argv[i], "--workload", 10))
			clash = "-w/--workload (the suite names the workloads)";
	if (!clash && strcasecmp(o->format, "md") && strcasecmp(o->format, "markdown") && strcasecmp(o->format, "json"))
		clash = "--format other than md or json (a suite's tables do not fit one CSV; HTML is per run)";
	if (clash)
		soak_err("compare: --suite does not go with %s", clash);
	return clash ? -EINVAL : 0;
}

int soak_compare_suite(const soak_cmp_suite_opts_t *o, const soak_run_opts_t *base)
{
	if (refuse_clashes(o) < 0)
		return SOAK_EXIT_USAGE;
	suite_run_t *x = calloc(1, sizeof(*x));
	if (!x)
		return soak_err("compare: out of memory"), SOAK_EXIT_USAGE;
	x->o = o;
	char err[1024];
	int rc = SOAK_EXIT_USAGE;
	if (soak_suite_find(o->suite, base->config, &x->s, err, sizeof(err)) < 0) {
		soak_err("compare: --suite %s: %s", o->suite, err);
		goto out;
	}
	if (setup_allocs(x, base) < 0 || setup_entries(x, base) < 0)
		goto out;
	/* Placement first (once for every run): nothing written if it fails. */
	soak_place_t place;
	if (soak_run_place(&x->ro[0], &place) < 0)
		goto out;
	for (size_t e = 1; e < x->s.n; e++)
		x->ro[e].place = x->ro[0].place;
	if ((x->db = soak_cli_open_db(base->db_path, SOAK_DB_WRITE))) {
		soak_rounds_new_id(x->cid, &x->seed);
		if (o->has_seed)
			x->seed = o->seed;
		rc = run_and_report(x);
		soak_cli_close_db(x->db);
	}
	soak_run_unplace(&x->ro[0]);
out:
	free(x->ids);
	free(x->cell_of);
	free(x);
	return rc;
}
