/* test_cmdhelp.c - the command tables that --help, the man pages and the bash
 * completion are written from (cli/cmdhelp.h): every command has a
 * documentation entry with a synopsis naming it; option names and letters are
 * unique per command; a letter's getopt value is the letter; the getopt tables
 * built from them hold every option; every option appears in the --help text,
 * the man page (as roff "\-\-name") and the completion; roff escaping
 * neutralises control lines, backslashes and minus signs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdhelp.h"

static char *capture(void (*fn)(FILE *, const char *, const soak_cmd_doc_t *), const char *name,
		     const soak_cmd_doc_t *doc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fn(f, name, doc);
	fclose(f);
	return buf;
}

static void test_every_command_documented(void **state)
{
	(void)state;
	assert_true(soak_n_commands >= 8);
	for (size_t i = 0; i < soak_n_commands; i++) {
		const soak_cmd_entry_t *c = &soak_commands[i];
		assert_non_null(c->doc);
		assert_non_null(c->main);
		assert_true(c->summary && *c->summary);
		char want[64];
		snprintf(want, sizeof(want), "soakctl %s", c->name);
		assert_memory_equal(c->doc->synopsis, want, strlen(want));
		assert_true(c->doc->description && c->doc->exit_status);
		assert_ptr_equal(soak_command_find(c->name), c);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(soak_commands[j].name, c->name);
	}
	assert_null(soak_command_find("nonesuch"));
}

static void test_options_unique_and_getopt(void **state)
{
	(void)state;
	for (size_t i = 0; i < soak_n_commands; i++) {
		const soak_cmd_doc_t *doc = soak_commands[i].doc;
		const char *names[SOAK_GETOPT_MAX];
		char letters[SOAK_GETOPT_MAX];
		size_t n = 0, nl = 0;
		for (const soak_opt_section_t *s = doc->sections; s->title; s++) {
			const soak_opt_t *o = soak_section_opts(s);
			assert_non_null(o);
			for (; !s->operands && o->name; o++) {
				for (size_t j = 0; j < n; j++)
					if (!strcmp(names[j], o->name))
						fail_msg("%s: --%s listed twice", soak_commands[i].name, o->name);
				names[n++] = o->name;
				assert_true(o->help && *o->help);
				if (o->shrt) {
					assert_null(memchr(letters, o->shrt, nl));
					letters[nl++] = o->shrt;
				}
			}
		}
		struct option lo[SOAK_GETOPT_MAX];
		char so[SOAK_GETOPT_MAX * 2];
		assert_int_equal(soak_getopt_table(doc, lo, so), 0);
		size_t k = 0;
		while (lo[k].name)
			k++;
		assert_int_equal(k, n + 1);   /* every option, plus --help */
		assert_string_equal(lo[n].name, "help");
		assert_memory_equal(so, ":h", 2);
		for (size_t j = 0; j < nl; j++)
			assert_non_null(strchr(so + 2, letters[j]));
	}
}

/* Letters with a getopt value must use the letter as the value, else -x and
 * --long would reach different cases of the parser's switch. */
static void test_letter_is_value(void **state)
{
	(void)state;
	for (size_t i = 0; i < soak_n_commands; i++)
		for (const soak_opt_section_t *s = soak_commands[i].doc->sections; s->title; s++)
			for (const soak_opt_t *o = soak_section_opts(s); o->name; o++)
				if (o->shrt && o->val && o->val != o->shrt)
					fail_msg("%s: -%c has getopt value %d", soak_commands[i].name, o->shrt, o->val);
}

static void test_help_man_completion_list_every_option(void **state)
{
	(void)state;
	char *comp = NULL;
	size_t comp_len = 0;
	FILE *cf = open_memstream(&comp, &comp_len);
	soak_completion_bash(cf);
	fclose(cf);
	for (size_t i = 0; i < soak_n_commands; i++) {
		const soak_cmd_entry_t *c = &soak_commands[i];
		char *help = capture(soak_help_print, c->name, c->doc);
		char *man = capture(soak_man_print, c->name, c->doc);
		char th[64];
		snprintf(th, sizeof(th), "soakctl\\-%s \\- ", c->name);
		assert_non_null(strstr(man, th));   /* NAME line for whatis/apropos */
		for (const soak_opt_section_t *s = c->doc->sections; s->title; s++)
			for (const soak_opt_t *o = soak_section_opts(s); !s->operands && o->name; o++) {
				char want[96], roff[128], *r = roff;
				snprintf(want, sizeof(want), "--%s", o->name);
				if (!strstr(help, want))
					fail_msg("soakctl %s --help lacks %s", c->name, want);
				if (!strstr(comp, want))
					fail_msg("the completion lacks %s", want);
				for (const char *p = want; *p; p++) {
					if (*p == '-')
						*r++ = '\\';
					*r++ = *p;
				}
				*r = '\0';
				if (!strstr(man, roff))
					fail_msg("soakctl-%s(1) lacks %s", c->name, roff);
			}
		free(help);
		free(man);
	}
	free(comp);
}

static const soak_opt_t tricky_opts[] = {
	{ .name = "dash-name", .shrt = 'x', .arg = "A|B", .help = ".starts like a request\n'and like this, with a \\ backslash", .val = 'x' },
	{ 0 }
};
static const soak_cmd_doc_t tricky = {
	.synopsis = "soakctl tricky [-x A|B]",
	.description = "first paragraph\n\n.TH in a paragraph start",
	.sections = { { .title = "Options", .opts = tricky_opts } },
	.examples = "soakctl tricky -x A\n.not a request",
	.exit_status = "0 ok.",
};

static void test_roff_escaping(void **state)
{
	(void)state;
	char *man = capture(soak_man_print, "tricky", &tricky);
	/* no line of ours starts a request: each starts with a known macro or text */
	for (char *line = man; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (line[0] != '.' && line[0] != '\'')
			continue;
		static const char *const ok[] = { ".\\\"", ".TH ", ".SH ", ".SS ", ".TP", ".PP", ".RS", ".RE", ".nf", ".fi", ".nh", ".ad l" };
		bool known = false;
		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			known |= !strncmp(line, ok[i], strlen(ok[i]));
		if (!known)
			fail_msg("unescaped control line: %.40s", line);
	}
	assert_non_null(strstr(man, "\\&.starts like a request"));
	assert_non_null(strstr(man, "\\&'and like this, with a \\e backslash"));
	assert_non_null(strstr(man, "\\&.TH in a paragraph start"));
	assert_non_null(strstr(man, "\\&.not a request"));
	assert_non_null(strstr(man, "\\fB\\-x\\fR, \\fB\\-\\-dash\\-name\\fR \\fIA|B\\fR"));
	free(man);
	char *help = capture(soak_help_print, "tricky", &tricky);
	assert_non_null(strstr(help, "usage: soakctl tricky [-x A|B]\n"));
	assert_non_null(strstr(help, "  -x, --dash-name A|B  .starts like a request\n"));
	free(help);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_documented),
		cmocka_unit_test(test_options_unique_and_getopt),
		cmocka_unit_test(test_letter_is_value),
		cmocka_unit_test(test_help_man_completion_list_every_option),
		cmocka_unit_test(test_roff_escaping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
