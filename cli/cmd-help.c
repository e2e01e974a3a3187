/* cmd-help.c - `soakctl help`: a command's --help, its man page, every man
 * page into a directory (run by the build), or the bash completion. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmdhelp.h"
#include "options.h"
#include "soakctl.h"

typedef struct {
	bool man, completion;
	const char *dir;
} help_opts_t;

#define O(...) SOAK_OPT(help_opts_t, __VA_ARGS__)
static const soak_opt_t help_opts[] = {
	O("man", 0, NULL, "print the man page (roff) of COMMAND, or soakctl(1) without one", SOAK_OT_FLAG, man),
	O("man-dir", 0, "DIR", "write soakctl.1 and soakctl-COMMAND.1 for every command into DIR "
	  "(the build does this; the pages are installed in share/man/man1)", SOAK_OT_STR, dir),
	O("bash-completion", 0, NULL, "print the bash completion script (installed in "
	  "share/bash-completion/completions/soakctl)", SOAK_OT_FLAG, completion),
	{ 0 }
};
#undef O

static const soak_opt_t help_operands[] = {
	SOAK_OPERAND("COMMAND", "the command to describe (run, report, ...)"),
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
	help_opts_t o = { 0 };
	soak_optparse_t p = { .cmd = "help", .doc = &soak_doc_help, .opts = help_opts };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, &res);
	if (!r && res.n_operands > 1) {
		soak_err("help: unexpected argument '%s' (one command at a time)", res.operands[1]);
		r = -EINVAL;
	}
	const char *cmd = !r && res.n_operands ? res.operands[0] : NULL;
	soak_optres_free(&res);
	if (r)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	bool man = o.man, completion = o.completion;
	const char *dir = o.dir;
	const soak_cmd_entry_t *e = NULL;
	if (cmd && !(e = soak_command_find(cmd))) {
		soak_err("help: unknown command '%s' (see soakctl --help)", cmd);
		return SOAK_EXIT_USAGE;
	}
	if (dir) {
		r = soak_man_write_dir(dir);
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
