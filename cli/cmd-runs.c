/* cmd-runs.c - `soakctl runs`: the list of recorded runs. */
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "options.h"
#include "db.h"
#include "emit.h"
#include "soakctl.h"

typedef struct {
	const char *db_path, *label, *format;
} runs_opts_t;

#define O(...) SOAK_OPT(runs_opts_t, __VA_ARGS__)
static const soak_opt_t runs_opts[] = {
	O("db", 0, "FILE", "database (default ./soak.db)", SOAK_OT_STR, db_path),
	O("label", 'l', "L", "only runs labelled L", SOAK_OT_STR, label),
	O("format", 'f', "md|json|csv", "md (default), json or csv", SOAK_OT_CHOICE, format,
	  .choices = "md|markdown|json|csv"),
	{ 0 }
};
#undef O

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
	runs_opts_t o = { .db_path = "./soak.db", .format = "md" };
	soak_optparse_t p = { .cmd = "runs", .doc = &soak_doc_runs, .opts = runs_opts };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, NULL);
	if (r)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	const char *db_path = o.db_path, *label = o.label;
	const soak_emitter_t *em = soak_emitter_find(o.format);
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
	soak_cli_close_db(db);
	return rc;
}
