/* cmd-workloads.c - `soakctl workloads`: the worker's catalog, plus exec. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "soakctl.h"

int soak_cmd_workloads(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: soakctl workloads [--json]\n\nLists the built-in workloads, their "
			       "options and defaults (docs/workloads.md has their origins).\n");
			return SOAK_EXIT_OK;
		}
		if (!strcmp(argv[i], "--json"))
			json = true;
		else {
			soak_err("workloads: unknown argument '%s'", argv[i]);
			return SOAK_EXIT_USAGE;
		}
	}
	char worker[PATH_MAX];
	if (soak_worker_path(worker, sizeof(worker)) < 0) {
		soak_err("cannot find the soak-worker binary next to soakctl (set SOAK_WORKER)");
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
