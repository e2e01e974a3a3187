/* main.c - soakctl: dispatches to the command table (commands.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "soak/text.h"
#include "soakctl.h"

static void usage(FILE *f)
{
	soak_help_print(f, NULL, &soak_doc_soakctl);
}

/* stdout and stderr behind a filter that turns control characters into '?'
 * (soak/text.h): labels, commands, worker messages and logs come from
 * workloads and databases we do not trust. stderr stays unbuffered, stdout
 * line-buffered on a terminal. */
static FILE *orig_stdout, *orig_stderr;

/* At exit the filters are flushed, closed (freeing them) and the real
 * streams put back for anything that still prints. */
static void unfilter_std_streams(void)
{
	if (stdout != orig_stdout) {
		FILE *f = stdout;
		stdout = orig_stdout;
		fclose(f);
	}
	if (stderr != orig_stderr) {
		FILE *f = stderr;
		stderr = orig_stderr;
		fclose(f);
	}
}

static void filter_std_streams(void)
{
	fflush(stdout);
	fflush(stderr);
	orig_stdout = stdout;
	orig_stderr = stderr;
	FILE *o = soak_text_filter_fd(STDOUT_FILENO), *e = soak_text_filter_fd(STDERR_FILENO);
	if (o) {
		setvbuf(o, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
		stdout = o;
	}
	if (e) {
		setvbuf(e, NULL, _IONBF, 0);
		stderr = e;
	}
	atexit(unfilter_std_streams);
}

int main(int argc, char **argv)
{
	filter_std_streams();
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
