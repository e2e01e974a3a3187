/* cmd-allocators.c - `soakctl allocators`: what resolves here and why not. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "soakctl.h"

/* STATUS: ok; missing (no such file, package not installed); unusable (the
 * file is there but cannot serve allocations: not an ELF shared library, or
 * no malloc and free among its exports, e.g. libz.so). */
static void row(const char *name, const soak_alloc_t *a, const char *err, void *arg)
{
	int *bad = arg;
	if (err && err[0]) {
		printf("%-12s %-10s %s\n", name, strstr(err, "is not an ELF") ? "unusable" : "missing", err);
		(*bad)++;
		return;
	}
	if (a->path[0]) {
		int m = soak_alloc_exports(a->path, "malloc"), f = soak_alloc_exports(a->path, "free");
		if (m != 1 || f != 1) {
			char why[64] = "";
			if (m < 0 || f < 0)
				snprintf(why, sizeof(why), " (its symbol table could not be read: %s)",
					 strerror(-(m < 0 ? m : f)));
			printf("%-12s %-10s %s does not export %s%s: it is not a memory allocator, so "
			       "preloading it would change nothing%s\n", name, "unusable", a->path,
			       m != 1 && f != 1 ? "malloc and free" : m != 1 ? "malloc" : "free", "", why);
			(*bad)++;
			return;
		}
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
			       "in --config FILE, ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini.\n"
			       "STATUS: ok; missing (no such file, package not installed); unusable (not an ELF\n"
			       "shared library, or it exports no malloc and free).\n");
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
