/* cmd-allocators.c - `soakctl allocators`: what resolves here and why not. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
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

int soak_cmd_allocators(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, 0, 'c' },
					      { "help", no_argument, 0, 'h' }, { 0 } };
	const char *config = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'c')
			config = optarg;
		else if (c == 'h') {
			printf("usage: soakctl allocators [--config FILE]\n\n"
			       "Lists the built-in allocators (system, mimalloc, jemalloc, tcmalloc) and the\n"
			       "ones registered in soak.ini ([allocator.NAME] path = ..., env = ...), looked up\n"
			       "in --config FILE, ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini.\n");
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
