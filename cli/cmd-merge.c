/* cmd-merge.c - `soakctl merge OUT.db IN.db...`: the databases of many hosts
 * (shards of a plan) into one. Lossless and idempotent; all or nothing
 * (db/db-merge.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "db.h"
#include "soakctl.h"

static const soak_opt_t merge_opts[] = {
	{ "quiet", 'q', NULL, "no summary line", 'q' },
	{ 0 }
};

static const soak_opt_t merge_operands[] = {
	{ "OUT.db", 0, NULL, "the merged database (created when missing)", 0 },
	{ "IN.db...", 0, NULL, "the databases to merge into it (e.g. one per shard)", 0 },
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
	struct option opts[SOAK_GETOPT_MAX];
	char shortopts[SOAK_GETOPT_MAX * 2];
	if (soak_getopt_table(&soak_doc_merge, opts, shortopts) < 0)
		return SOAK_EXIT_USAGE;
	bool quiet = false;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': soak_help_print(stdout, "merge", &soak_doc_merge); return SOAK_EXIT_OK;
		default:
			soak_err("merge: unknown option '%s' (see soakctl merge --help)", argv[optind - 1]);
			return SOAK_EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		soak_err("merge: name the output and at least one input: soakctl merge OUT.db IN.db...");
		return SOAK_EXIT_USAGE;
	}
	const char *out = argv[optind];
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
	int r = soak_db_merge(out, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1), &s,
			      err, sizeof(err));
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
