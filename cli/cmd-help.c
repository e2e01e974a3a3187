/* cmd-help.c - `soakctl help`: a command's --help, its man page, every man
 * page into a directory (run by the build), or the bash completion. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "soakctl.h"

static const soak_opt_t help_opts[] = {
	{ "man", 0, NULL, "print the man page (roff) of COMMAND, or soakctl(1) without one", 0 },
	{ "man-dir", 0, "DIR", "write soakctl.1 and soakctl-COMMAND.1 for every command into DIR "
		"(the build does this; the pages are installed in share/man/man1)", 0 },
	{ "bash-completion", 0, NULL, "print the bash completion script (installed in "
		"share/bash-completion/completions/soakctl)", 0 },
	{ 0 }
};

static const soak_opt_t help_operands[] = {
	{ "COMMAND", 0, NULL, "the command to describe (run, report, ...)", 0 },
	{ 0 }
};

const soak_cmd_doc_t soak_doc_help = {
	.synopsis = "soakctl help [COMMAND]\n"
		    "soakctl help --man [COMMAND]\n"
		    "soakctl help --man-dir DIR\n"
		    "soakctl help --bash-completion",
	.description = "Prints the help of COMMAND (the same as soakctl COMMAND --help), its man page, "
		       "or the bash completion. The help text, the man pages and the completion are "
		       "written from the same option tables the commands parse with, so they list the "
		       "same options.",
	.sections = { { .title = "Options", .opts = help_opts },
		      { .title = "Arguments", .opts = help_operands, .operands = true } },
	.examples = "soakctl help run\n"
		    "soakctl help --man run | man -l -\n"
		    "soakctl help --bash-completion > ~/.local/share/bash-completion/completions/soakctl",
	.exit_status = "0 ok, 2 unknown command or option, or DIR not writable.",
};

int soak_cmd_help(int argc, char **argv)
{
	bool man = false, completion = false;
	const char *dir = NULL, *cmd = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--man"))
			man = true;
		else if (!strcmp(a, "--bash-completion"))
			completion = true;
		else if (!strcmp(a, "--man-dir")) {
			if (i + 1 >= argc) {
				soak_err("help: --man-dir needs a directory");
				return SOAK_EXIT_USAGE;
			}
			dir = argv[++i];
		}
		else if (!strncmp(a, "--man-dir=", 10))
			dir = a + 10;
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			soak_help_print(stdout, "help", &soak_doc_help);
			return SOAK_EXIT_OK;
		} else if (a[0] == '-') {
			soak_err("help: unknown option '%s' (see soakctl help --help)", a);
			return SOAK_EXIT_USAGE;
		} else if (!cmd)
			cmd = a;
		else {
			soak_err("help: unexpected argument '%s' (one command at a time)", a);
			return SOAK_EXIT_USAGE;
		}
	}
	const soak_cmd_entry_t *e = NULL;
	if (cmd && !(e = soak_command_find(cmd))) {
		soak_err("help: unknown command '%s' (see soakctl --help)", cmd);
		return SOAK_EXIT_USAGE;
	}
	if (dir) {
		int r = soak_man_write_dir(dir);
		if (r < 0) {
			soak_err("help: cannot write the man pages into %s: %s", dir, strerror(-r));
			return SOAK_EXIT_USAGE;
		}
		return SOAK_EXIT_OK;
	}
	if (completion) {
		soak_completion_bash(stdout);
		return SOAK_EXIT_OK;
	}
	if (man)
		soak_man_print(stdout, e ? e->name : NULL, e ? e->doc : &soak_doc_soakctl);
	else
		soak_help_print(stdout, e ? e->name : NULL, e ? e->doc : &soak_doc_soakctl);
	return SOAK_EXIT_OK;
}
