/* cmdhelp.c - `--help` text and getopt tables from the command tables (cmdhelp.h). */
#include <errno.h>
#include <string.h>

#include "cmdhelp.h"

#define HELP_WIDTH 80
#define LEFT_MAX 30   /* an option wider than this gets its help on the next line */

const soak_opt_t *soak_section_opts(const soak_opt_section_t *s)
{
	return s->opts ? s->opts : s->opts_fn ? s->opts_fn() : NULL;
}

/* Writes text wrapped to HELP_WIDTH; the first line continues at column
 * col, the following ones start at indent. Explicit "\n" are kept. */
static void wrap(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;
	bool fresh = true;   /* nothing written on this line yet */
	while (*p) {
		if (*p == '\n') {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
			fresh = true;
			p++;
			continue;
		}
		size_t w = strcspn(p, " \n");
		if (!fresh && col + 1 + (int)w > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (!fresh) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, w, f);
		col += (int)w;
		fresh = false;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void paragraphs(FILE *f, const char *text, int indent)
{
	fprintf(f, "%*s", indent, "");
	wrap(f, text, indent, indent);
}

static int left_text(const soak_opt_t *o, bool operand, char *buf, size_t len)
{
	if (operand)
		return snprintf(buf, len, "  %s", o->name);
	if (o->shrt)
		return snprintf(buf, len, "  -%c, --%s%s%s", o->shrt, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	return snprintf(buf, len, "      --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void print_opts(FILE *f, const soak_opt_t *opts, bool operand)
{
	char left[128];
	int width = 0;
	for (const soak_opt_t *o = opts; o->name; o++) {
		int w = left_text(o, operand, left, sizeof(left));
		if (w <= LEFT_MAX && w > width)
			width = w;
	}
	for (const soak_opt_t *o = opts; o->name; o++) {
		int w = left_text(o, operand, left, sizeof(left));
		if (w > width) {
			fprintf(f, "%s\n%*s", left, width + 2, "");
		} else
			fprintf(f, "%-*s  ", width, left);
		wrap(f, o->help, width + 2, width + 2);
	}
}

void soak_help_print_opts(FILE *f, const soak_opt_t *opts)
{
	print_opts(f, opts, false);
}

void soak_help_print(FILE *f, const char *name, const soak_cmd_doc_t *doc)
{
	const char *s = doc->synopsis;
	for (int line = 0; *s; line++) {
		size_t n = strcspn(s, "\n");
		fprintf(f, "%s %.*s\n", line ? "      " : "usage:", (int)n, s);
		s += n + (s[n] == '\n');
	}
	fputc('\n', f);
	paragraphs(f, doc->description, 0);
	if (!name) {
		fprintf(f, "\nCommands:\n");
		for (size_t i = 0; i < soak_n_commands; i++)
			fprintf(f, "  %-12s %s\n", soak_commands[i].name, soak_commands[i].summary);
	}
	for (const soak_opt_section_t *sec = doc->sections; sec->title; sec++) {
		const soak_opt_t *opts = soak_section_opts(sec);
		if (!opts)
			continue;
		fprintf(f, "\n%s:\n", sec->title);
		print_opts(f, opts, sec->operands);
	}
	if (doc->notes) {
		fputc('\n', f);
		paragraphs(f, doc->notes, 0);
	}
	if (doc->examples) {
		fprintf(f, "\nExamples:\n");
		for (const char *e = doc->examples; *e;) {
			size_t n = strcspn(e, "\n");
			fprintf(f, "  %.*s\n", (int)n, e);
			e += n + (e[n] == '\n');
		}
	}
	fprintf(f, "\nExit codes: ");
	wrap(f, doc->exit_status, 12, 0);
	if (!name)
		fprintf(f, "\n'soakctl COMMAND --help' and 'man soakctl-COMMAND' describe each command.\n");
}

int soak_getopt_table(const soak_cmd_doc_t *doc, struct option *out, char *shortopts)
{
	size_t n = 0, k = 0;
	shortopts[k++] = ':';
	shortopts[k++] = 'h';
	for (const soak_opt_section_t *sec = doc->sections; sec->title; sec++) {
		const soak_opt_t *opts = soak_section_opts(sec);
		if (sec->operands || !opts)
			continue;
		for (const soak_opt_t *o = opts; o->name; o++) {
			if (n + 2 >= SOAK_GETOPT_MAX || k + 3 >= SOAK_GETOPT_MAX * 2)
				return -E2BIG;
			out[n++] = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL, o->val };
			if (o->shrt) {
				shortopts[k++] = o->shrt;
				if (o->arg)
					shortopts[k++] = ':';
			}
		}
	}
	out[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	out[n] = (struct option){ 0 };
	shortopts[k] = '\0';
	return 0;
}
