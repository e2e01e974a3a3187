/* cmd-runs.c - `soakctl runs`: the list of recorded runs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "db.h"
#include "emit.h"
#include "soakctl.h"

static const soak_opt_t runs_opts[] = {
	{ "db", 0, "FILE", "database (default ./soak.db)", 'd' },
	{ "label", 'l', "L", "only runs labelled L", 'l' },
	{ "format", 'f', "md|json|csv", "md (default), json or csv", 'f' },
	{ 0 }
};

const soak_cmd_doc_t soak_doc_runs = {
	.synopsis = "soakctl runs [--db FILE] [--label L] [--format md|json|csv]",
	.description = "Lists the recorded runs, oldest first: id, start time (UTC), workload, allocator, "
		       "label, status (with its signal or exit code) and wall-clock duration. Runs of a "
		       "runner that died are marked incomplete first.",
	.sections = { { .title = "Options", .opts = runs_opts } },
	.examples = "soakctl runs\n"
		    "soakctl runs --db nightly.db --label nightly --format csv",
	.exit_status = "0 ok, 2 bad option or missing database.",
};

int soak_cmd_runs(int argc, char **argv)
{
	struct option opts[SOAK_GETOPT_MAX];
	char shortopts[SOAK_GETOPT_MAX * 2];
	if (soak_getopt_table(&soak_doc_runs, opts, shortopts) < 0)
		return SOAK_EXIT_USAGE;
	const char *db_path = "./soak.db", *label = NULL, *format = "md";
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'l': label = optarg; break;
		case 'f': format = optarg; break;
		case 'h': soak_help_print(stdout, "runs", &soak_doc_runs); return SOAK_EXIT_OK;
		case ':':
			soak_err("runs: option %s needs a value (see soakctl runs --help)", argv[optind - 1]);
			return SOAK_EXIT_USAGE;
		default:
			if (optopt)
				soak_err("runs: unknown option '-%c' (see soakctl runs --help)", optopt);
			else
				soak_err("runs: unknown option '%s' (see soakctl runs --help)", argv[optind - 1]);
			return SOAK_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		soak_err("runs: unexpected argument '%s' (see soakctl runs --help)", argv[optind]);
		return SOAK_EXIT_USAGE;
	}
	const soak_emitter_t *em = soak_emitter_find(format);
	if (!em) {
		soak_err("runs: unknown format '%s' (md, json or csv)", format);
		return SOAK_EXIT_USAGE;
	}
	soak_db_t *db = soak_cli_open_db(db_path, SOAK_DB_READ);
	if (!db)
		return SOAK_EXIT_USAGE;
	soak_run_filter_t f = { .label = label };
	soak_run_t *runs = NULL;
	size_t n = 0;
	int rc = SOAK_EXIT_OK;
	if (soak_db_runs(db, &f, &runs, &n) < 0) {
		soak_err("runs: %s", soak_db_errmsg(db));
		rc = SOAK_EXIT_USAGE;
	} else if (em->runs(stdout, runs, n) < 0 || fflush(stdout) != 0) {
		soak_err("runs: writing to stdout failed");
		rc = SOAK_EXIT_USAGE;
	}
	soak_runs_free(runs, n);
	soak_db_close(db);
	return rc;
}
