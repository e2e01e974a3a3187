/* cmd-workloads.c - `soakctl workloads`: the worker's catalog, plus exec. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "options.h"
#include "run.h"
#include "soakctl.h"

typedef struct {
	bool json;
} workloads_opts_t;

static const soak_opt_t workloads_opts[] = {
	SOAK_OPT(workloads_opts_t, "json", 0, NULL, "the catalog as JSON (names, options, defaults)", SOAK_OT_FLAG, json),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_workloads = {
	.synopsis = "soakctl workloads [--json]",
	.description = "Lists the built-in workloads, their options and defaults (docs/workloads.md has "
		       "their origins). Workload options go after -- on the run command line "
		       "(soakctl run -w random_mixed -- --ws 400).",
	.sections = { { .title = "Options", .opts = workloads_opts } },
	.examples = "soakctl workloads\n"
		    "soakctl workloads --json",
	.exit_status = "0 ok, 2 bad option or soak-worker not found.",
};

int soak_cmd_workloads(int argc, char **argv)
{
	workloads_opts_t o = { 0 };
	soak_optparse_t p = { .cmd = "workloads", .doc = &soak_doc_workloads, .opts = workloads_opts };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, NULL);
	if (r)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	bool json = o.json;
	char worker[PATH_MAX];
	int wr = soak_worker_path(worker, sizeof(worker));
	if (wr < 0) {
		soak_err("%s", soak_worker_path_why(wr));
		return SOAK_EXIT_USAGE;
	}
	if (!json)
		printf("exec\n  Any external command with the allocator injected: soakctl run -w exec "
		       "[--repeat] -- CMD ARGS\n\n");
	fflush(stdout);
	execl(worker, worker, json ? "--list-json" : "--list", (char *)NULL);
	soak_err("cannot run %s: %s", worker, strerror(errno));
	return SOAK_EXIT_USAGE;
}
