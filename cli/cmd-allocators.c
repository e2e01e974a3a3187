/* cmd-allocators.c - `soakctl allocators`: what resolves here and why not. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "soak/shm.h"
#include "cmdhelp.h"
#include "options.h"
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
	/* The statistics interface the worker would query (alloc_* metrics). */
	char why[256];
	int k = soak_alloc_stats_kind(a, why, sizeof(why));
	printf("%-12s %-10s %s%s%s  [%s]  stats: %s\n", name, "ok", a->path[0] ? a->path : "(C library, no injection)",
	       a->env[0] ? "  env: " : "", a->env, a->source, soak_astats_kind_names[k]);
}

typedef struct {
	const char *config;
} allocators_opts_t;

static const soak_opt_t allocators_opts[] = {
	SOAK_OPT(allocators_opts_t, "config", 0, "FILE", "allocator registry INI (default ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini)",
		 SOAK_OT_STR, config),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_allocators = {
	.synopsis = "soakctl allocators [--config FILE]",
	.description = "Lists the built-in allocators (system, mimalloc, jemalloc, tcmalloc) and the ones "
		       "registered in soak.ini ([allocator.NAME] path = ..., env = ...), looked up in "
		       "--config FILE, ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini: the library each "
		       "resolves to, or why it does not resolve here.",
	.sections = { { .title = "Options", .opts = allocators_opts } },
	.notes = "STATUS is ok; missing (no such file, or the Debian package is not installed); or unusable "
		 "(the file is not an ELF shared library, or it exports no malloc and free, e.g. libz.so: "
		 "preloading it would change nothing).",
	.examples = "soakctl allocators\n"
		    "soakctl allocators --config /etc/soak/soak.ini",
	.exit_status = "0 ok (missing allocators are listed, not an error), 2 bad option or unreadable config.",
};

int soak_cmd_allocators(int argc, char **argv)
{
	allocators_opts_t o = { 0 };
	soak_optparse_t p = { .cmd = "allocators", .doc = &soak_doc_allocators, .opts = allocators_opts };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, NULL);
	if (r)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	const char *config = o.config;
	int bad = 0;
	char err[1024] = "";
	printf("%-12s %-10s %s\n", "NAME", "STATUS", "LIBRARY");
	if (soak_alloc_each(config, row, &bad, err, sizeof(err)) < 0) {
		soak_err("%s", err);
		return SOAK_EXIT_USAGE;
	}
	return SOAK_EXIT_OK;
}
