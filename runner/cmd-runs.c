/* cmd-runs.c - `soakctl runs`: the list of recorded runs. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "emit.h"
#include "soakctl.h"

static void runs_help(FILE *f)
{
	fprintf(f,
		"usage: soakctl runs [--db FILE] [--label L] [--format md|json|csv]\n"
		"\n"
		"Lists the recorded runs, oldest first: id, start time (UTC), workload, allocator,\n"
		"label, status (with its signal or exit code) and wall-clock duration. Runs of a\n"
		"runner that died are marked incomplete first.\n"
		"\n"
		"  --db FILE      database (default ./soak.db)\n"
		"  --label L      only runs labelled L\n"
		"  --format FMT   md (default), json or csv\n"
		"\n"
		"Exit codes: 0 ok, 2 bad option or missing database.\n");
}

int soak_cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' }, { "label", required_argument, 0, 'l' },
		{ "format", required_argument, 0, 'f' }, { "help", no_argument, 0, 'h' }, { 0 }
	};
	const char *db_path = "./soak.db", *label = NULL, *format = "md";
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hf:l:", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db_path = optarg; break;
		case 'l': label = optarg; break;
		case 'f': format = optarg; break;
		case 'h': runs_help(stdout); return SOAK_EXIT_OK;
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
