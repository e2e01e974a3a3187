/* cmd-history.c - `soakctl history`: every finished run grouped into series
 * (workload + options, allocator name, limits, host class), in time order,
 * one table per metric with the change points found by E-divisive means
 * (reports/history.h); and `soakctl gate --history`, which fails when a
 * regression change point starts in the newest night of a series. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "options.h"
#include "compare.h"
#include "soak/outfile.h"
#include "db.h"
#include "emit-history.h"
#include "emit-html.h"
#include "history.h"
#include "result.h"
#include "soakctl.h"

typedef struct {
	const char *db_path, *format, *output, *workload, *allocator, *host_class, *relative_to;
	bool all_hosts, gate, no_cache, history, unlabelled_nights;
	size_t last;
	unsigned metrics;      /* --metric: bit per metric, 0 = all */
	soak_cp_opts_t cp;
} hist_opts_t;

/* --metric KEY[,KEY...]: a bit per metric (reports/history.h) into *field. */
static int parse_metrics(const char *v, void *field, char *why, size_t len)
{
	char buf[512], *save = NULL;
	unsigned bits = 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *k = strtok_r(buf, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
		int m = soak_hmetric_find(k);
		if (m < 0) {
			snprintf(why, len, "metric keys separated by commas ('%s' is none; soakctl history --help "
				 "lists them)", k);
			return -EINVAL;
		}
		bits |= 1u << m;
	}
	if (!bits) {
		snprintf(why, len, "metric keys separated by commas (soakctl history --help lists them)");
		return -EINVAL;
	}
	*(unsigned *)field = bits;
	return 0;
}

#define O(...) SOAK_OPT(hist_opts_t, __VA_ARGS__)
#define HISTORY_OPTS(...)                                                                                         \
	O("db", 0, "FILE", "database (default ./soak.db), e.g. the output of soakctl merge", SOAK_OT_STR, db_path),  \
	O("workload", 0, "W", "only series of workload W", SOAK_OT_STR, workload),                                   \
	O("allocator", 0, "NAME", "only series of this allocator", SOAK_OT_STR, allocator),                        \
	O("host-class", 0, "C", "only runs of host class C", SOAK_OT_STR, host_class),                              \
	O("all-hosts", 0, NULL, "put runs of different host classes in one series", SOAK_OT_FLAG, all_hosts),      \
	O("unlabelled-nights", 0, NULL, "count a run without a label in the night of its start date (UTC); "     \
	  "without this such runs are left out, and counted", SOAK_OT_FLAG, unlabelled_nights),                    \
	O("relative-to", 0, "NAME", "values as ratios to allocator NAME's median in the same night (same "          \
	  "workload, limits, host class): host drift between nights cancels; for shared or noisy hosts",           \
	  SOAK_OT_STR, relative_to),                                                                                \
	O("metric", 0, "KEY[,KEY...]", "only these metrics: throughput, throughput_per_cpu_s, rss_mean, rss_peak, "  \
	  "rss_drift, throughput_drift, throughput_cv, syscalls_per_op, latency_p99, latency_p999, "                \
	  "page_faults_per_op, live_mean, overhead, overhead_drift", SOAK_OT_FN, metrics, .fn = parse_metrics),                                          \
	O("alpha", 0, "A", "significance level of the change points (default " SOAK_STR(SOAK_CP_ALPHA) ")",          \
	  SOAK_OT_DOUBLE, cp.alpha, .lo = 1e-6, .hi = 0.5),                                                         \
	O("no-cache", 0, NULL, "recompute every run from its samples (the per-run figures are kept in the "        \
	  "derived table run_summary otherwise)", SOAK_OT_FLAG, no_cache),                                          \
	__VA_ARGS__ \
	{ 0 }

static const soak_opt_t history_opts[] = {
	HISTORY_OPTS(O("last", 0, "N", "points per metric table (default 10)", SOAK_OT_UINT, last, .lo = 1, .hi = 1000),
		     O("format", 0, "md|json|html", "md (default), json or html (one self-contained page with "
		       "gnuplot plots)", SOAK_OT_CHOICE, format, .choices = "md|markdown|json|html"),
		     O("output", 0, "FILE", "write to FILE (atomically) instead of stdout", SOAK_OT_STR, output),)
};

static const soak_opt_t gate_history_opts[] = {
	HISTORY_OPTS(O("history", 0, NULL, "gate on change points over nights", SOAK_OT_FLAG, history),)
};
#undef O

#define HISTORY_DESC                                                                                          \
	"Series: runs with status ok that share workload and options, allocator name, limits and host "         \
	"class, ordered by start time; the night of a run is its label (e.g. nightly-2026-11-29, the "      \
	"label of a plan); runs without a label are in no night and left out (their number is shown) "       \
	"unless --unlabelled-nights makes their start date their night. Per metric (throughput, "             \
	"throughput per CPU-second, mean and peak RSS, "                                                        \
	"RSS and throughput drift, CV, syscalls/op, p99 and p99.9 latency, minor page faults/op) the change "   \
	"points are found by E-divisive means in windows of 50 points with a Student's t test, ignoring "      \
	"changes below each metric's minimum effect (2% throughput, 5% and 1 MiB RSS, ...), each with its "    \
	"size, direction (regression or improvement), confidence (1-p), night, run and allocator build. "      \
	"A change needs at least 2 points on each side: run 2 or more repeats per night to let the newest "    \
	"night stand on its own. Method and measured false-alarm rate: docs/nightly.md."

const soak_cmd_doc_t soak_doc_history = {
	.synopsis = "soakctl history [--db FILE] [--relative-to NAME] [--metric KEY] [--format md|json|html] [--output FILE]",
	.description = "Prints the history of every series with its change points.\n\n" HISTORY_DESC,
	.sections = { { .title = "Options", .opts = history_opts } },
	.examples = "soakctl history --db history.db\n"
		    "soakctl history --db history.db --relative-to system --format html --output history.html",
	.exit_status = "0 ok, 2 usage error or no runs.",
};

/* `gate --history`: documented as its own page, reached through gate. */
const soak_cmd_doc_t soak_doc_gate_history = {
	.synopsis = "soakctl gate --history [--db FILE] [--relative-to NAME] [--metric KEY]",
	.description = "Fails (exit 1) when a change point for the worse starts in the newest night of a "
		       "series (on any metric, or on --metric); a noisy but stationary history passes.\n\n"
		       HISTORY_DESC,
	.sections = { { .title = "Options", .opts = gate_history_opts } },
	.examples = "soakctl gate --history --db history.db",
	.exit_status = "0 no regression in the newest night, 1 regression, 2 usage error or no runs.",
};

/* 0 ok, 1 help printed, -EINVAL bad option (message printed). */
static int parse_args(int argc, char **argv, hist_opts_t *o)
{
	const soak_cmd_doc_t *doc = o->gate ? &soak_doc_gate_history : &soak_doc_history;
	const char *cmd = o->gate ? "gate --history" : "history";
	/* Options of the permutation test that windowed change points replaced:
	 * refused with what became of them, not as unknown. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		static const char *const gone[] = { "--permutations", "--seed" };
		for (size_t k = 0; k < 2; k++) {
			size_t l = strlen(gone[k]);
			if (!strncmp(argv[i], gone[k], l) && (!argv[i][l] || argv[i][l] == '=')) {
				soak_err("%s: %s was removed: change points come from a windowed t test, which "
					 "has no permutations and no randomness (drop the option)", cmd, gone[k]);
				return -EINVAL;
			}
		}
	}
	soak_optparse_t p = { .cmd = cmd, .doc = doc, .help_name = o->gate ? "gate" : "history",
			      .opts = o->gate ? gate_history_opts : history_opts };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, o, NULL);
	return r;
}

/* SIGINT/SIGTERM while loading: stop, keeping the summaries computed so far. */
static volatile sig_atomic_t load_stop;
static void on_signal(int sig)
{
	(void)sig;
	load_stop = 1;
}

/* Loads and analyses; prints its own error line. */
static int load(soak_db_t *db, const hist_opts_t *o, soak_history_t *h)
{
	const char *cmd = o->gate ? "gate --history" : "history";
	soak_history_load_opts_t lo = { .workload = o->workload, .allocator = o->allocator,
					.host_class = o->host_class, .relative_to = o->relative_to,
					.all_hosts = o->all_hosts, .gate = o->gate, .no_cache = o->no_cache,
					.unlabelled_nights = o->unlabelled_nights,
					.save_path = o->db_path, .stop = &load_stop };
	char err[600];
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	int r = soak_history_load(db, &lo, h, err, sizeof(err));
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r < 0) {
		soak_err("%s: %s", cmd, err);
		return r;
	}
	if (r == 0 && !h->runs && !(o->gate && h->n)) {
		if (h->unlabelled)
			soak_err("%s: no finished run (status ok) with a label%s in %s, %zu without one: a night is "
				 "a label (soakctl plan run, or run --label); --unlabelled-nights takes their start "
				 "dates as nights", cmd, o->workload || o->allocator || o->host_class ?
				 " matches the filters" : "", o->db_path, h->unlabelled);
		else
			soak_err("%s: no finished run (status ok)%s in %s: nothing to show", cmd,
				 o->workload || o->allocator || o->host_class ? " matches the filters" : "",
				 o->db_path);
		return -ENOENT;
	}
	if (r == 0 && o->relative_to) {
		bool found = false;
		for (size_t i = 0; i < h->n; i++)
			found |= !strcmp(h->s[i].allocator, o->relative_to);
		if (!found) {
			soak_err("%s: --relative-to %s: no finished run of that allocator (see soakctl runs)", cmd,
				 o->relative_to);
			return -ENOENT;
		}
		if ((r = soak_history_relative(h, o->relative_to)) < 0)
			soak_err("%s: out of memory", cmd);
	}
	if (r == 0 && (r = soak_history_analyse(h, &o->cp)) < 0)
		soak_err("%s: out of memory", cmd);
	return r;
}

typedef struct {
	const soak_history_t *h;
	const hist_opts_t *o;
} emit_arg_t;

static int emit_cb(FILE *f, const void *arg)
{
	const emit_arg_t *a = arg;
	soak_history_emit_opts_t eo = { .last = a->o->last, .metrics = a->o->metrics };
	if (!strcasecmp(a->o->format, "json"))
		return soak_history_emit_json(f, a->h, &eo);
	if (!strcasecmp(a->o->format, "html"))
		return soak_history_emit_html(f, a->h, &eo);
	return soak_history_emit_md(f, a->h, &eo);
}

static int gate(const soak_history_t *h, const hist_opts_t *o)
{
	size_t fails = 0, checks = 0, unfinished = 0;
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *s = &h->s[i];
		size_t before = fails;
		char bad[640];
		int night = soak_history_newest_unfinished(s, bad, sizeof(bad));
		if (night == SOAK_HNIGHT_FAILED) {
			printf("FAIL %s %s (%s, %s): %s\n", s->allocator, s->workload, s->limits, s->host_class, bad);
			unfinished++;
			checks++;
			continue;
		}
		if (night == SOAK_HNIGHT_RERUN)
			printf("note %s %s (%s, %s): %s\n", s->allocator, s->workload, s->limits, s->host_class, bad);
		for (size_t j = 0; j < s->n_cps; j++) {
			const soak_hchange_t *c = &s->cps[j];
			if (o->metrics && !(o->metrics >> c->metric & 1u))
				continue;
			if (!c->regression || !c->newest_night)
				continue;
			char t[512];
			soak_history_cp_text(h, s, c, t, sizeof(t));
			printf("FAIL %s %s (%s, %s): %s\n", s->allocator, s->workload, s->limits, s->host_class, t);
			fails++;
		}
		if (s->is_reference) {
			printf("ref  %s %s (%s, %s): the reference of --relative-to\n", s->allocator, s->workload,
			       s->limits, s->host_class);
			continue;
		}
		checks++;
		if (fails == before)
			printf("ok   %s %s (%s, %s): %zu runs, newest night %s, no regression starting in it\n",
			       s->allocator, s->workload, s->limits, s->host_class, s->n, s->n ? s->p[s->n - 1].night : "(none)");
	}
	printf("gate --history: %zu series, %zu regression%s in the newest night, %zu newest night%s with runs "
	       "that did not end ok (alpha %g)\n", checks, fails, fails == 1 ? "" : "s", unfinished,
	       unfinished == 1 ? "" : "s", h->cp.alpha);
	if (h->impossible)
		printf("note: %zu run%s with an impossible value left out (%s)\n", h->impossible,
		       h->impossible == 1 ? "" : "s", h->impossible_text);
	if (h->unlabelled)
		printf("note: %zu run%s without a label left out: a night is a label (--unlabelled-nights takes "
		       "their start dates as nights)\n", h->unlabelled, h->unlabelled == 1 ? "" : "s");
	return fails || unfinished ? SOAK_EXIT_FAIL : SOAK_EXIT_OK;
}

static int history_main(int argc, char **argv, bool is_gate)
{
	hist_opts_t o = { .db_path = "./soak.db", .format = "md", .last = 10, .gate = is_gate,
			  .cp = { .alpha = SOAK_CP_ALPHA, .min_size = SOAK_CP_MIN_SIZE } };
	int r = parse_args(argc, argv, &o);
	if (r != 0)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	soak_db_t *db = soak_cli_open_db(o.db_path, SOAK_DB_READ);
	if (!db)
		return SOAK_EXIT_USAGE;
	soak_history_t h = { 0 };
	int rc = SOAK_EXIT_USAGE;
	if (load(db, &o, &h) < 0)
		goto out;
	if (is_gate) {
		rc = gate(&h, &o);
		goto out;
	}
	emit_arg_t a = { &h, &o };
	rc = SOAK_EXIT_OK;
	if (o.output) {
		char err[512];
		if (soak_write_atomic(o.output, emit_cb, &a, err, sizeof(err)) < 0) {
			soak_err("history: %s", err);
			rc = SOAK_EXIT_USAGE;
		}
	} else if ((r = emit_cb(stdout, &a)) < 0 || fflush(stdout) != 0) {
		soak_err("history: writing to stdout failed: %s", strerror(r < 0 ? -r : errno));
		rc = SOAK_EXIT_USAGE;
	}
out:
	soak_history_free(&h);
	soak_cli_close_db(db);
	return rc;
}

int soak_cmd_history(int argc, char **argv)
{
	return history_main(argc, argv, false);
}

int soak_cmd_gate_history(int argc, char **argv)
{
	return history_main(argc, argv, true);
}
