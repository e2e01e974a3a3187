/* commands.c - the soakctl command table and the top-level documentation. */
#include <string.h>

#include "cmdhelp.h"
#include "soakctl.h"

const soak_cmd_entry_t soak_commands[] = {
	{ "run", "run one soak and record it", soak_cmd_run, &soak_doc_run },
	{ "report", "report runs: drift, CV, latency, syscall budget, peak RSS", soak_cmd_report, &soak_doc_report },
	{ "runs", "list the runs in a database", soak_cmd_runs, &soak_doc_runs },
	{ "compare", "run allocators side by side and give a verdict per metric", soak_cmd_compare, &soak_doc_compare },
	{ "gate", "check runs against thresholds and a baseline (exit 0/1/2, JUnit)", soak_cmd_gate, &soak_doc_gate },
	{ "plan", "run a nightly plan (sharded, resumable): soakctl plan run PLAN.ini", soak_cmd_plan, &soak_doc_plan },
	{ "merge", "merge databases of many hosts into one (lossless, idempotent)", soak_cmd_merge, &soak_doc_merge },
	{ "history", "series of runs over nights, with change points per metric", soak_cmd_history, &soak_doc_history },
	{ "workloads", "list the built-in workloads and their options", soak_cmd_workloads, &soak_doc_workloads },
	{ "allocators", "list the allocators that resolve here, and why others do not", soak_cmd_allocators, &soak_doc_allocators },
	{ "calibrate", "measure this host's noise floor (spin control workload) for reports and the gate", soak_cmd_calibrate, &soak_doc_calibrate },
	{ "record", "run a command and record its allocations into a trace file", soak_cmd_record, &soak_doc_record },
	{ "trace", "what a recorded allocation trace holds: soakctl trace info FILE", soak_cmd_trace, &soak_doc_trace },
	{ "help", "describe a command; write the man pages or the bash completion", soak_cmd_help, &soak_doc_help },
};
const size_t soak_n_commands = sizeof(soak_commands) / sizeof(soak_commands[0]);

static const soak_opt_t soakctl_opts[] = {
	{ .name = "help", .shrt = 'h', .help = "list the commands" },
	{ .name = "version", .help = "print the version and git revision" },
	{ 0 }
};

const soak_cmd_doc_t soak_doc_soakctl = {
	.synopsis = "soakctl [--version] [--help] COMMAND [ARGS]",
	.description = "Soak and stability tests for memory allocators. soakctl forks a workload under "
		       "cgroup limits with the allocator under test injected (LD_PRELOAD), samples it "
		       "(RSS, page faults, cgroup memory, exact syscall counts, per-op latency) into one "
		       "SQLite file, and reports drift, CV, syscall budget, tail latency and peak RSS, for "
		       "one run, side by side, or as a release gate.\n\n"
		       "The workloads run in a separate program, soak-worker, found relative to soakctl "
		       "(libexec/soak/soak-worker in an installed tree, workloads/ in a build tree) or "
		       "named by $SOAK_WORKER.",
	.sections = { { .title = "Options", .opts = soakctl_opts } },
	.examples = "soakctl run -w random_mixed -a mimalloc -d 5m --warmup 30s --memory-max 1G -- --ws 400\n"
		    "soakctl report --latest\n"
		    "soakctl compare system mimalloc jemalloc --duration 2m\n"
		    "soakctl gate --latest --junit gate.xml",
	.exit_status = "0 ok / gate passed, 1 gate failed or regression found, 2 usage or environment error, "
		       "130/143/129 run, compare or plan run interrupted by SIGINT/SIGTERM/SIGHUP.",
};

const soak_cmd_entry_t *soak_command_find(const char *name)
{
	for (size_t i = 0; i < soak_n_commands; i++)
		if (!strcmp(soak_commands[i].name, name))
			return &soak_commands[i];
	return NULL;
}
