/* cmd-merge.c - `soakctl merge OUT.db IN.db...`: the databases of many hosts
 * (shards of a plan) into one. Lossless and idempotent; all or nothing
 * (db/db-merge.c). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "options.h"
#include "db.h"
#include "soakctl.h"

typedef struct {
	bool quiet;
} merge_opts_t;

static const soak_opt_t merge_opts[] = {
	SOAK_OPT(merge_opts_t, "quiet", 'q', NULL, "no summary line", SOAK_OT_FLAG, quiet),
	{ 0 }
};

static const soak_opt_t merge_operands[] = {
	SOAK_OPERAND("OUT.db", "the merged database (created when missing)"),
	SOAK_OPERAND("IN.db...", "the databases to merge into it (e.g. one per shard)"),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_merge = {
	.synopsis = "soakctl merge [-q] OUT.db IN.db [IN.db...]",
	.description = "Copies every run of the inputs that OUT does not hold yet into OUT (created when "
		       "missing), with all its samples, values, events, histograms and logs, and its host "
		       "identity (host, CPU model, cores, memory, kernel, cgroup mode, host class). Runs are "
		       "keyed by their UUID: a run already in OUT with the same record and rows is skipped, "
		       "so merging twice changes nothing; the same UUID with different content is an error "
		       "naming the run and the table. All or nothing: OUT is rewritten only when every input "
		       "went in, and left as it was on any error. An input that is not a soak database, or "
		       "was written by a newer soakctl, is refused. Do not merge into a database a runner is "
		       "writing. Method: docs/nightly.md.",
	.sections = { { .title = "Options", .opts = merge_opts },
		      { .title = "Databases", .opts = merge_operands, .operands = true } },
	.examples = "soakctl merge history.db shard-1.db shard-2.db",
	.exit_status = "0 merged (or nothing new), 2 bad input (nothing written).",
};

static void on_signal(int sig)
{
	soak_db_merge_stop = sig;
}

int soak_cmd_merge(int argc, char **argv)
{
	merge_opts_t o = { 0 };
	soak_optparse_t p = { .cmd = "merge", .doc = &soak_doc_merge, .opts = merge_opts };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, &res);
	if (!r && res.n_operands < 2) {
		soak_err("merge: name the output and at least one input: soakctl merge OUT.db IN.db...");
		r = -EINVAL;
	}
	if (r) {
		soak_optres_free(&res);
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	}
	bool quiet = o.quiet;
	const char *out = res.operands[0];
	/* An interrupted merge removes its file and leaves OUT as it was. */
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A parent may hand them down blocked (a test runner, a CI agent). */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	char err[1024] = "";
	soak_merge_stats_t s;
	r = soak_db_merge(out, (const char *const *)res.operands + 1, (size_t)res.n_operands - 1, &s, err,
			  sizeof(err));
	soak_optres_free(&res);
	if (r < 0) {
		soak_err("%s (%s unchanged)", err[0] ? err : strerror(-r), out);
		return r == -EINTR && soak_db_merge_stop ? SOAK_EXIT_SIGNAL_BASE + soak_db_merge_stop
							 : SOAK_EXIT_USAGE;
	}
	if (!quiet)
		fprintf(stderr, "soakctl: merged %zu database%s into %s: %zu run%s added (%zu rows), %zu "
			"already there\n", s.inputs, s.inputs == 1 ? "" : "s", out, s.runs_added,
			s.runs_added == 1 ? "" : "s", s.rows_added, s.runs_same);
	if (s.runs_running)
		fprintf(stderr, "soakctl: %zu run%s still running in the inputs not copied: merge again once "
			"%s ended\n", s.runs_running, s.runs_running == 1 ? "" : "s",
			s.runs_running == 1 ? "it has" : "they have");
	return SOAK_EXIT_OK;
}
