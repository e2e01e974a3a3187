/* cmd-allocators.c - `soakctl allocators`: what resolves here and why not. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "cmdhelp.h"
#include "soakctl.h"

static void row(const char *name, const soak_alloc_t *a, const char *err, void *arg)
{
	int *bad = arg;
	if (err && err[0]) {
		printf("%-12s %-10s %s\n", name, "missing", err);
		(*bad)++;
		return;
	}
	printf("%-12s %-10s %s%s%s  [%s]\n", name, "ok", a->path[0] ? a->path : "(C library, no injection)",
	       a->env[0] ? "  env: " : "", a->env, a->source);
}

static const soak_opt_t allocators_opts[] = {
	{ "config", 0, "FILE", "allocator registry INI (default ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini)", 'c' },
	{ 0 }
};

const soak_cmd_doc_t soak_doc_allocators = {
	.synopsis = "soakctl allocators [--config FILE]",
	.description = "Lists the built-in allocators (system, mimalloc, jemalloc, tcmalloc) and the ones "
		       "registered in soak.ini ([allocator.NAME] path = ..., env = ...), looked up in "
		       "--config FILE, ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini: the library each "
		       "resolves to, or why it does not resolve here.",
	.sections = { { .title = "Options", .opts = allocators_opts } },
	.examples = "soakctl allocators\n"
		    "soakctl allocators --config /etc/soak/soak.ini",
	.exit_status = "0 ok (missing allocators are listed, not an error), 2 bad option or unreadable config.",
};

int soak_cmd_allocators(int argc, char **argv)
{
	struct option opts[SOAK_GETOPT_MAX];
	char shortopts[SOAK_GETOPT_MAX * 2];
	if (soak_getopt_table(&soak_doc_allocators, opts, shortopts) < 0)
		return SOAK_EXIT_USAGE;
	const char *config = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts + 1, opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'h') {
			soak_help_print(stdout, "allocators", &soak_doc_allocators);
			return SOAK_EXIT_OK;
		} else
			return SOAK_EXIT_USAGE;
	}
	if (optind < argc) {
		soak_err("allocators: unexpected argument '%s'", argv[optind]);
		return SOAK_EXIT_USAGE;
	}
	int bad = 0;
	char err[1024] = "";
	printf("%-12s %-10s %s\n", "NAME", "STATUS", "LIBRARY");
	if (soak_alloc_each(config, row, &bad, err, sizeof(err)) < 0) {
		soak_err("%s", err);
		return SOAK_EXIT_USAGE;
	}
	return SOAK_EXIT_OK;
}
