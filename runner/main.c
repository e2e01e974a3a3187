/* main.c - soakctl: the command table. */
#include <stdio.h>
#include <string.h>

#include "soakctl.h"

static const soak_cmd_t commands[] = {
	{ "run", "run one soak and record it", soak_cmd_run },
	{ "report", "report runs: drift, CV, latency, syscall budget, peak RSS", soak_cmd_report },
	{ "runs", "list the runs in a database", soak_cmd_runs },
	{ "compare", "run allocators side by side and give a verdict per metric", soak_cmd_compare },
	{ "gate", "check runs against thresholds and a baseline (exit 0/1/2, JUnit)", soak_cmd_gate },
	{ "plan", "run a nightly plan (sharded, resumable): soakctl plan run PLAN.ini", soak_cmd_plan },
	{ "history", "series of runs over nights, with change points per metric", soak_cmd_history },
	{ "merge", "merge databases of many hosts into one (lossless, idempotent)", soak_cmd_merge },
	{ "workloads", "list the built-in workloads and their options", soak_cmd_workloads },
	{ "allocators", "list the allocators that resolve here, and why others do not", soak_cmd_allocators },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: soakctl [--version] [--help] COMMAND [ARGS]\n\n"
		   "Soak and stability tests for memory allocators.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'soakctl COMMAND --help' describes each command.\n"
		   "Exit codes: 0 ok, 1 gate failed or regression found, 2 usage or environment error.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SOAK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return SOAK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("soakctl %s (%s)\n", SOAK_VERSION, SOAK_GIT_REV);
		return SOAK_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	soak_err("unknown command '%s' (see soakctl --help)", argv[1]);
	return SOAK_EXIT_USAGE;
}
