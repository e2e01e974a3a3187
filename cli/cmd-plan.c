/* cmd-plan.c - `soakctl plan run PLAN.ini`: the cells of a plan (cli/plan.h)
 * run interleaved in rounds like compare, resumable by label (a cell's repeat
 * is skipped when the database already holds that many finished runs of it
 * under the label), sharded with --shard I/N so N hosts each write their own
 * database (merge them with soakctl merge). --dry-run lists the cells and the
 * machine time they need. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cmdhelp.h"
#include "options.h"
#include "db.h"
#include "plan.h"
#include "run.h"
#include "soak/uuid.h"
#include "rounds.h"
#include "soakctl.h"
#include "verdict.h"

#define MAX_CELLS (SOAK_PLAN_MAX * SOAK_PLAN_MAX * 4)
#define WL_ARGS 128

typedef struct {
	size_t i, n;
} shard_t;

typedef struct {
	const char *plan, *db_path, *label, *date, *host_class;
	shard_t shard;   /* --shard I/N */
	bool dry_run, quiet;
} plan_opts_t;

/* --shard I/N with 1 <= I <= N. */
static int parse_shard(const char *v, void *field, char *why, size_t len)
{
	unsigned long a, b;
	char c;
	snprintf(why, len, "I/N with 1 <= I <= N <= 100000 (e.g. 2/4)");
	if (sscanf(v, "%lu/%lu%c", &a, &b, &c) != 2 || b < 1 || b > 100000 || a < 1 || a > b || v[0] == '-')
		return -EINVAL;
	*(shard_t *)field = (shard_t){ a, b };
	return 0;
}

/* --date YYYY-MM-DD: kept as written, for the label template. */
static int parse_date(const char *v, void *field, char *why, size_t len)
{
	unsigned y, m, d;
	char x;
	snprintf(why, len, "a date YYYY-MM-DD (e.g. 2026-01-31)");
	if (sscanf(v, "%4u-%2u-%2u%c", &y, &m, &d, &x) != 3 || strlen(v) != 10 || m < 1 || m > 12 || d < 1)
		return -EINVAL;
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap)) {
		snprintf(why, len, "a calendar date (%04u-%02u has %u days: no such day)", y, m,
			 mdays[m - 1] + (m == 2 && leap));
		return -EINVAL;
	}
	*(const char **)field = v;
	return 0;
}

#define O(...) SOAK_OPT(plan_opts_t, __VA_ARGS__)
static const soak_opt_t plan_opts[] = {
	O("db", 0, "FILE", "database (default ./soak.db)", SOAK_OT_STR, db_path),
	O("shard", 0, "I/N", "this host's shard (default 1/1): cell i runs when i mod N = I-1", SOAK_OT_FN, shard,
	  .fn = parse_shard),
	O("dry-run", 0, NULL, "list the cells, what is finished, and the machine time still needed", SOAK_OT_FLAG,
	  dry_run),
	O("label", 0, "L", "use label L instead of the plan's template (resume another night)", SOAK_OT_STR, label),
	O("date", 0, "YYYY-MM-DD", "the {date} of the label template (default: today, UTC)", SOAK_OT_FN, date,
	  .fn = parse_date),
	O("host-class", 0, "C", "the runs' host class (default $SOAK_HOST_CLASS, else derived)", SOAK_OT_STR,
	  host_class),
	O("quiet", 'q', NULL, "only errors", SOAK_OT_FLAG, quiet),
	{ 0 }
};
#undef O

static const soak_opt_t plan_operands[] = {
	SOAK_OPERAND("run", "the action (the only one)"),
	SOAK_OPERAND("PLAN.ini", "the plan file: [plan] (suite = NAME adds a suite's workloads), [workload.NAME], "
		      "[limits.NAME] (docs/nightly.md, docs/suites.md)"),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_plan = {
	.synopsis = "soakctl plan run PLAN.ini [--db FILE] [--shard I/N] [--dry-run] [--label L] [--date YYYY-MM-DD] "
		    "[--host-class C] [-q]",
	.description = "Runs the cells of a plan: every allocator x workload (with its options) x limit set, "
		       "`repeats` times, interleaved in rounds (each round runs every cell once, in an order "
		       "shuffled with the plan's seed), all under the plan's label (nightly-{date}). "
		       "Resumable: run it again with the same label and only repeats without a finished run "
		       "(any status but running, interrupted, incomplete) are run. Sharded: --shard I/N runs "
		       "cell i when i mod N = I-1, in the plan's fixed order, so N hosts (a CI matrix, a Slurm "
		       "array, a Kubernetes Indexed Job) each run 1/N of the cells into their own database; "
		       "soakctl merge puts them together. The plan format is in docs/nightly.md.",
	.sections = { { .title = "Options", .opts = plan_opts },
		      { .title = "Arguments", .opts = plan_operands, .operands = true } },
	.examples = "soakctl plan run nightly.ini --dry-run\n"
		    "soakctl plan run nightly.ini --shard 2/4 --db shard-2.db",
	.exit_status = "0 every cell of the shard has its runs, 2 usage or environment error (a run that "
		       "could not start, a bad plan), 130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (the run "
		       "in progress is kept, status interrupted; run the plan again to resume).",
};

/* 0 ok, 1 help printed, -EINVAL bad input (one line printed). */
static int parse_args(int argc, char **argv, plan_opts_t *o)
{
	soak_optparse_t p = { .cmd = "plan", .doc = &soak_doc_plan, .opts = plan_opts };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, o, &res);
	if (!r && (res.n_operands < 1 || strcmp(res.operands[0], "run"))) {
		soak_err("plan: say what to do: soakctl plan run PLAN.ini (see soakctl plan --help)");
		r = -EINVAL;
	} else if (!r && res.n_operands != 2) {
		if (res.n_operands < 2)
			soak_err("plan: name the plan file: soakctl plan run PLAN.ini");
		else
			soak_err("plan: one plan file only (unexpected '%s')", res.operands[2]);
		r = -EINVAL;
	} else if (!r)
		o->plan = res.operands[1];
	soak_optres_free(&res);
	return r;
}

/* One cell, resolved: its run options (argv kept alive for wl_argv). */
typedef struct {
	soak_plan_cell_t c;
	soak_alloc_t a;
	soak_run_opts_t ro;
	char args[1024];
	char *wl_argv[WL_ARGS];
	char *argv[WL_ARGS + 32];
	char label[256];
	size_t done;
} cell_t;

static int cell_setup(const soak_plan_t *p, cell_t *x, const plan_opts_t *o, const char *label)
{
	const soak_plan_wl_t *w = &p->wl[x->c.wl];
	const soak_plan_lim_t *l = &p->lim[x->c.lim];
	snprintf(x->label, sizeof(x->label), "%s", label);
	snprintf(x->args, sizeof(x->args), "%s", w->args);
	int n = soak_plan_split(x->args, x->wl_argv, WL_ARGS);
	if (n < 0) {
		soak_err("plan: %s: [workload.%s] args: %s", o->plan, w->section,
			 n == -EINVAL ? "unclosed quote" : "too many options");
		return -EINVAL;
	}
	int k = 0;
#define A(s) (x->argv[k++] = (char *)(s))
	A("-w"); A(w->name); A("-a"); A(p->allocators[x->c.alloc]);
	A("--duration"); A(p->duration); A("--label"); A(x->label); A("--db"); A(o->db_path);
	A("--no-progress");
	if (p->warmup[0]) { A("--warmup"); A(p->warmup); }
	if (p->interval[0]) { A("--interval"); A(p->interval); }
	if (p->config[0]) { A("--config"); A(p->config); }
	if (l->memory_max[0]) { A("--memory-max"); A(l->memory_max); }
	if (l->swap_max[0]) { A("--swap-max"); A(l->swap_max); }
	if (l->cpu_max[0]) { A("--cpu-max"); A(l->cpu_max); }
	if (o->quiet) A("-q");
	if (o->host_class) { A("--host-class"); A(o->host_class); }
	if (w->driver[0]) { A("--driver"); A(w->driver); }
	A("--");
	for (int i = 0; i < n; i++)
		A(x->wl_argv[i]);
#undef A
	soak_run_opts_init(&x->ro);
	/* Every cell is checked as its run would be (the workload's options by
	 * the worker itself) before any runs: a bad cell fails --dry-run, and
	 * never stops a night half way. */
	if (soak_run_parse_opts(k, x->argv, &x->ro, NULL) < 0 || soak_run_check(&x->ro) < 0) {
		soak_err("plan: %s: the cell %s / [workload.%s] / [limits.%s] has bad options (above)", o->plan,
			 p->allocators[x->c.alloc], w->section, l->section);
		return -EINVAL;
	}
	char err[1024] = "";
	if (soak_alloc_resolve(p->allocators[x->c.alloc], p->config[0] ? p->config : NULL, &x->a, err,
			       sizeof(err)) < 0) {
		soak_err("plan: %s", err[0] ? err : "unknown allocator");
		return -EINVAL;
	}
	return 0;
}

static bool same_args(const char *json, char *const *argv, int argc)
{
	cJSON *j = json ? cJSON_Parse(json) : NULL;
	bool same = cJSON_IsArray(j) && cJSON_GetArraySize(j) == argc;
	for (int i = 0; same && i < argc; i++) {
		cJSON *e = cJSON_GetArrayItem(j, i);
		same = cJSON_IsString(e) && !strcmp(e->valuestring, argv[i]);
	}
	cJSON_Delete(j);
	return same;
}

static bool finished(const char *status)
{
	return status && strcmp(status, "running") && strcmp(status, "interrupted") && strcmp(status, "incomplete");
}

/* How many finished runs of each cell the label already has. */
static int count_done(soak_db_t *db, const char *label, cell_t *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cells[i].done = 0;
	if (!db)
		return 0;
	soak_run_filter_t f = { .label = label };
	soak_run_t *runs;
	size_t nr;
	if (soak_db_runs(db, &f, &runs, &nr) < 0) {
		soak_err("plan: %s", soak_db_errmsg(db));
		return -EIO;
	}
	for (size_t j = 0; j < nr; j++) {
		const soak_run_t *r = &runs[j];
		if (!finished(r->status))
			continue;
		for (size_t i = 0; i < n; i++) {
			const soak_run_opts_t *o = &cells[i].ro;
			if (r->allocator_name && !strcmp(r->allocator_name, cells[i].a.name) && r->workload &&
			    !strcmp(r->workload, o->workload) && same_args(r->workload_args, o->wl_argv, o->wl_argc) &&
			    r->has_memory_max == o->has_memory_max && (!o->has_memory_max || r->memory_max == o->memory_max) &&
			    r->has_swap_max == o->has_swap_max && (!o->has_swap_max || r->swap_max == o->swap_max) &&
			    r->has_cpu_max == o->has_cpu_max && (!o->has_cpu_max || r->cpu_max_pct == o->cpu_max_pct)) {
				cells[i].done++;
				break;
			}
		}
	}
	soak_runs_free(runs, nr);
	return 0;
}

static void fmt_time(double s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%ldh%02ldm", (long)s / 3600, (long)s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%ldm%02lds", (long)s / 60, (long)s % 60);
	else
		snprintf(buf, len, "%.0fs", s);
}

static void dry_run(const soak_plan_t *p, const plan_opts_t *o, cell_t *cells, size_t n, size_t total_cells)
{
	printf("plan %s: label %s, shard %zu/%zu: %zu of %zu cells, %zu repeat%s, %s per run\n\n", o->plan,
	       cells[0].label, o->shard.i, o->shard.n, n, total_cells, p->repeats, p->repeats == 1 ? "" : "s", p->duration);
	printf("| Cell | Allocator | Workload | Options | Limits | Finished | To run |\n|---|---|---|---|---|---|---|\n");
	size_t todo = 0;
	for (size_t i = 0; i < n; i++) {
		const soak_plan_lim_t *l = &p->lim[cells[i].c.lim];
		size_t left = cells[i].done >= p->repeats ? 0 : p->repeats - cells[i].done;
		todo += left;
		printf("| %zu | %s | %s | %s | %s%s%s%s%s%s%s | %zu | %zu |\n", cells[i].c.index + 1,
		       p->allocators[cells[i].c.alloc], p->wl[cells[i].c.wl].name, p->wl[cells[i].c.wl].args,
		       l->section, l->memory_max[0] ? " mem " : "", l->memory_max, l->swap_max[0] ? " swap " : "",
		       l->swap_max, l->cpu_max[0] ? " cpu " : "", l->cpu_max, cells[i].done, left);
	}
	char a[32], b[32];
	fmt_time((double)todo * p->duration_s, a, sizeof(a));
	fmt_time((double)(total_cells * p->repeats) * p->duration_s, b, sizeof(b));
	printf("\nMachine time: %zu run%s x %s = %s still to run on this shard (plus start/stop, a few s per run); "
	       "the whole plan is %zu runs = %s.\n", todo, todo == 1 ? "" : "s", p->duration, a,
	       total_cells * p->repeats, b);
}

/* A plan being run: the rounds' callbacks' state. */
typedef struct {
	const soak_plan_t *p;
	const plan_opts_t *o;
	soak_db_t *db;
	cell_t *cells;
	size_t n, ran, skipped;
	char cid[37];
} plan_run_t;

/* Before each round: how many finished runs each cell has (resuming by label). */
static int begin_round(void *arg, size_t round)
{
	(void)round;
	plan_run_t *x = arg;
	return count_done(x->db, x->cells[0].label, x->cells, x->n);
}

static int run_cell(void *arg, size_t round, size_t cell)
{
	plan_run_t *x = arg;
	cell_t *c = &x->cells[cell];
	const soak_plan_t *p = x->p;
	if (c->done > round) {
		x->skipped++;
		return 0;
	}
	if (!x->o->quiet)
		fprintf(stderr, "soakctl: plan %s, round %zu/%zu: cell %zu (%s, %s %s, limits %s)\n", c->label,
			round + 1, p->repeats, c->c.index + 1, c->a.name, p->wl[c->c.wl].name, p->wl[c->c.wl].args,
			p->lim[c->c.lim].section);
	c->ro.comparison_id = x->cid;
	int64_t id;
	if (soak_run_execute(x->db, &c->ro, &id) < 0) {
		soak_err("plan: the run of cell %zu (%s) could not start; stopping (%zu runs recorded under %s; "
			 "run the plan again to resume)", c->c.index + 1, c->a.name, x->ran, c->label);
		return -EIO;
	}
	c->done++;
	x->ran++;
	return 0;
}

/* Runs the cells in interleaved rounds (rounds.h). An exit code: 0, 2 when a
 * run could not start, 128 + N when signal N stopped the rounds. */
static int run_cells(const soak_plan_t *p, const plan_opts_t *o, soak_db_t *db, cell_t *cells, size_t n)
{
	plan_run_t x = { .p = p, .o = o, .db = db, .cells = cells, .n = n };
	if (soak_uuid4(x.cid) < 0)
		snprintf(x.cid, sizeof(x.cid), "plan-%ld", (long)getpid());
	soak_rounds_t rounds = { .rounds = p->repeats, .cells = n, .seed = p->seed, .begin = begin_round,
				 .cell = run_cell, .arg = &x };
	int rc = soak_rounds_run(&rounds) < 0 ? SOAK_EXIT_USAGE : SOAK_EXIT_OK;
	if (rc == SOAK_EXIT_OK && soak_run_interrupted) {
		soak_err("plan: interrupted (%zu run%s recorded); run it again with --label %s to resume", x.ran,
			 x.ran == 1 ? "" : "s", cells[0].label);
		rc = soak_exit_interrupted();
	}
	if (!o->quiet)
		fprintf(stderr, "soakctl: plan %s shard %zu/%zu: %zu run%s now, %zu already finished (comparison "
			"%s)\n", cells[0].label, o->shard.i, o->shard.n, x.ran, x.ran == 1 ? "" : "s", x.skipped,
			x.cid);
	return rc;
}

int soak_cmd_plan(int argc, char **argv)
{
	plan_opts_t o = { .db_path = "./soak.db", .shard = { 1, 1 } };
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	char err[1024];
	soak_plan_t *p = malloc(sizeof(*p));
	cell_t *cells = calloc(MAX_CELLS, sizeof(*cells));
	soak_plan_cell_t *pc = calloc(MAX_CELLS, sizeof(*pc));
	soak_db_t *db = NULL;
	int rc = SOAK_EXIT_USAGE;
	if (!p || !cells || !pc) {
		soak_err("plan: out of memory");
		goto out;
	}
	if (soak_plan_load(o.plan, p, err, sizeof(err)) < 0) {
		soak_err("plan: %s", err);
		goto out;
	}
	size_t total = p->n_alloc * p->n_wl * p->n_lim;
	if (total > MAX_CELLS) {
		soak_err("plan: %s has %zu cells, more than %d: split it", o.plan, total, MAX_CELLS);
		goto out;
	}
	size_t n = soak_plan_cells(p, o.shard.i, o.shard.n, pc, MAX_CELLS);
	char label[256], date[16];
	if (!o.date) {
		time_t now = time(NULL);
		strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&now));
	}
	struct utsname u;
	uname(&u);
	if (o.label)
		snprintf(label, sizeof(label), "%s", o.label);
	else if (soak_plan_label(p->label, o.date ? o.date : date, u.nodename, label, sizeof(label)) < 0) {
		soak_err("plan: %s: the label is too long once expanded", o.plan);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cells[i].c = pc[i];
		if (cell_setup(p, &cells[i], &o, label) < 0)
			goto out;
	}
	if (!n) {
		if (!o.quiet)
			fprintf(stderr, "soakctl: plan %s: shard %zu/%zu has no cell (%zu cells in all)\n", o.plan,
				o.shard.i, o.shard.n, total);
		rc = SOAK_EXIT_OK;
		goto out;
	}
	if (o.dry_run) {
		/* A dry run never creates the database. */
		if (access(o.db_path, F_OK) == 0 && !(db = soak_cli_open_db(o.db_path, SOAK_DB_READ)))
			goto out;
		if (count_done(db, label, cells, n) < 0)
			goto out;
		dry_run(p, &o, cells, n, total);
		rc = SOAK_EXIT_OK;
		goto out;
	}
	/* Where the cgroups go is chosen once per soakctl, before the database
	 * is opened (as run and compare do); every cell uses that placement. */
	soak_place_t place;
	if (soak_run_place(&cells[0].ro, &place) < 0)
		goto out;
	for (size_t i = 1; i < n; i++)
		cells[i].ro.place = cells[0].ro.place;
	if ((db = soak_cli_open_db(o.db_path, SOAK_DB_WRITE)))
		rc = run_cells(p, &o, db, cells, n);
	soak_cli_close_db(db);
	db = NULL;
	soak_run_unplace(&cells[0].ro);
out:
	soak_cli_close_db(db);
	free(p);
	free(cells);
	free(pc);
	return rc;
}
