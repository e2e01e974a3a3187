/* main.c - soakctl: dispatches to the command table (commands.c). */
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "soakctl.h"

static void usage(FILE *f)
{
	soak_help_print(f, NULL, &soak_doc_soakctl);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SOAK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return SOAK_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("soakctl %s (%s)\n", SOAK_VERSION, SOAK_GIT_REV);
		return SOAK_EXIT_OK;
	}
	const soak_cmd_entry_t *cmd = soak_command_find(argv[1]);
	if (cmd)
		return cmd->main(argc - 1, argv + 1);
	soak_err("unknown command '%s' (see soakctl --help)", argv[1]);
	return SOAK_EXIT_USAGE;
}
