/* test_options.c - cli/options.c, the one option parser of soakctl's
 * commands: every option of every command's table names the field it sets
 * (no table entry is left to a catch-all) and no two options of a table set
 * the same field by mistake, each of run's options changes its
 * own field and nothing else, every value type reads what it documents, and
 * the error lines (unknown option, missing value, bad value, out of range, a
 * value given to a flag, an operand where none is taken) are one line each,
 * naming the option and what it accepts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdhelp.h"
#include "options.h"
#include "soakctl.h"

/* Runs parse with stderr captured; returns its result, the text in err. */
static int parse_err(const soak_optparse_t *p, int argc, char **argv, void *dest, soak_optres_t *res,
		     char *err, size_t len)
{
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), STDERR_FILENO);
	int r = soak_opts_parse(p, argc, argv, dest, res);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	size_t n = fread(err, 1, len - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
	return r;
}

/* Every --option of every command is parsed by cli/options.c (has a type). */
static void test_every_option_has_a_destination(void **state)
{
	(void)state;
	size_t checked = 0;
	for (size_t i = 0; i < soak_n_commands; i++) {
		for (const soak_opt_section_t *s = soak_commands[i].doc->sections; s->title; s++)
			for (const soak_opt_t *o = soak_section_opts(s); !s->operands && o->name; o++) {
				if (o->type == SOAK_OT_NONE)
					fail_msg("%s: --%s has no type: the parser would not read it",
						 soak_commands[i].name, o->name);
				if ((o->type == SOAK_OT_FLAG || o->type == SOAK_OT_SET) != !o->arg)
					fail_msg("%s: --%s: a flag without a value placeholder, or the reverse",
						 soak_commands[i].name, o->name);
				if (o->type == SOAK_OT_CHOICE && !o->choices)
					fail_msg("%s: --%s: a choice without choices", soak_commands[i].name, o->name);
				if (o->type == SOAK_OT_FN && !o->fn)
					fail_msg("%s: --%s: no function", soak_commands[i].name, o->name);
				/* Two options of one table setting one field: only -q/-v style
				 * options that store different values. */
				for (const soak_opt_t *q = soak_section_opts(s); q != o; q++)
					if (q->off == o->off && !(q->type == SOAK_OT_SET && o->type == SOAK_OT_SET &&
								   q->lo != o->lo))
						fail_msg("%s: --%s and --%s set the same field", soak_commands[i].name,
							 q->name, o->name);
				checked++;
			}
	}
	assert_true(checked > 50);
}

/* A valid value of each type, for the byte comparison below. */
static const char *sample(const soak_opt_t *o)
{
	switch (o->type) {
	case SOAK_OT_DURATION: return "7s";
	case SOAK_OT_SIZE: return "64M";
	case SOAK_OT_PERCENT: return "50%";
	case SOAK_OT_UINT: return "3";
	default: return "x";
	}
}

/* Each of run's options changes the bytes of its own field (and its "has"
 * bool) and no other byte of soak_run_opts_t. */
static void test_run_option_sets_only_its_field(void **state)
{
	(void)state;
	for (const soak_opt_t *o = soak_run_opts_doc(); o->name; o++) {
		soak_run_opts_t before, after;
		soak_run_opts_init(&before);
		soak_run_opts_init(&after);
		char arg[64];
		snprintf(arg, sizeof(arg), "--%s", o->name);
		char *argv[] = { arg, (char *)sample(o), NULL };
		soak_optparse_t p = { .opts = soak_run_opts_doc(), .no_help = 1 };
		int argc = o->arg ? 2 : 1;
		assert_int_equal(soak_opts_parse(&p, argc, argv, &after, NULL), 0);
		size_t changed = 0;
		for (size_t b = 0; b < sizeof(before); b++) {
			if (((unsigned char *)&before)[b] == ((unsigned char *)&after)[b])
				continue;
			bool own = b >= o->off && b < o->off + o->size;
			bool has = o->has && b == o->has - 1;
			if (!own && !has)
				fail_msg("--%s changed byte %zu, outside its field at %zu+%zu", o->name, b, o->off,
					 o->size);
			changed++;
		}
		if (!changed)
			fail_msg("--%s %s changed nothing", o->name, argc == 2 ? argv[1] : "");
	}
}

typedef struct {
	bool flag, has_n;
	int level;
	const char *str, *fmt;
	size_t n;
	uint32_t small;
	uint64_t bytes, big;
	double secs, pct, x;
} t_opts_t;

#define O(...) SOAK_OPT(t_opts_t, __VA_ARGS__)
static const soak_opt_t t_table[] = {
	O("flag", 'f', NULL, "a flag", SOAK_OT_FLAG, flag),
	O("quiet", 'q', NULL, "sets -1", SOAK_OT_SET, level, .lo = -1),
	O("str", 's', "TEXT", "a string", SOAK_OT_STR, str),
	O("format", 0, "md|json", "a choice", SOAK_OT_CHOICE, fmt, .choices = "md|json"),
	O("n", 'n', "N", "1 to 10", SOAK_OT_UINT, n, .lo = 1, .hi = 10, .has = SOAK_OPT_HAS(t_opts_t, has_n)),
	O("small", 0, "N", "a uint32_t", SOAK_OT_UINT, small, .lo = 0, .hi = UINT32_MAX),
	O("big", 0, "N", "a uint64_t", SOAK_OT_UINT, big, .lo = 0, .hi = (double)UINT64_MAX),
	O("size", 0, "SIZE", "bytes", SOAK_OT_SIZE, bytes),
	O("time", 0, "TIME", "seconds", SOAK_OT_DURATION, secs),
	O("pct", 0, "PCT", "percent", SOAK_OT_PERCENT, pct),
	O("x", 0, "A", "(0, 0.5]", SOAK_OT_DOUBLE, x, .lo = 0, .lo_open = 1, .hi = 0.5),
	{ 0 }
};
#undef O

static void test_types_read_their_values(void **state)
{
	(void)state;
	t_opts_t t = { 0 };
	char *argv[] = { "-f", "-q", "--str=hello", "--format", "JSON", "-n7", "--small", "4294967295",
			 "--big", "18446744073709551615", "--size", "1.5K", "--time", "2m30s", "--pct", "150%",
			 "--x", "0.5", "op1", "op2" };
	soak_optparse_t p = { .cmd = "t", .opts = t_table };
	soak_optres_t res;
	assert_int_equal(soak_opts_parse(&p, 20, argv, &t, &res), 0);
	assert_true(t.flag);
	assert_int_equal(t.level, -1);
	assert_string_equal(t.str, "hello");
	assert_string_equal(t.fmt, "JSON");
	assert_int_equal(t.n, 7);
	assert_true(t.has_n);
	assert_int_equal(t.small, UINT32_MAX);
	assert_true(t.big == UINT64_MAX);
	assert_int_equal(t.bytes, 1536);
	assert_true(t.secs == 150.0);
	assert_true(t.pct == 150.0);
	assert_true(t.x == 0.5);
	assert_int_equal(res.n_operands, 2);
	assert_string_equal(res.operands[0], "op1");
	assert_string_equal(res.operands[1], "op2");
	soak_optres_free(&res);

	/* --help stops the parse; "--" hands the rest on untouched */
	char *h[] = { "--flag", "--help", "--bogus" };
	assert_int_equal(soak_opts_parse(&p, 3, h, &t, NULL), 1);
	soak_optparse_t pd = { .cmd = "t", .opts = t_table, .dashdash = 1 };
	char *d[] = { "-n", "2", "--", "--bogus", "-n" };
	assert_int_equal(soak_opts_parse(&pd, 5, d, &t, &res), 0);
	assert_int_equal(res.n_rest, 2);
	assert_string_equal(res.rest[0], "--bogus");
	soak_optres_free(&res);
	/* without a rest, what follows "--" are operands, as getopt reads them */
	char *o[] = { "-n", "2", "--", "-n", "x" };
	assert_int_equal(soak_opts_parse(&p, 5, o, &t, &res), 0);
	assert_int_equal(res.n_operands, 2);
	assert_string_equal(res.operands[0], "-n");
	soak_optres_free(&res);
}

/* Each bad input gives exactly this one line and -EINVAL. */
static void test_error_lines(void **state)
{
	(void)state;
	static const struct {
		const char *args[3];
		const char *line;
	} cases[] = {
		{ { "--bogus" }, "soakctl: t: unknown option '--bogus' (see soakctl t --help)\n" },
		{ { "-z" }, "soakctl: t: unknown option '-z' (see soakctl t --help)\n" },
		{ { "--n" }, "soakctl: t: --n needs a value: N (see soakctl t --help)\n" },
		{ { "--n", "11" }, "soakctl: t: --n 11: out of range; give a whole number from 1 to 10\n" },
		{ { "--n", "-1" }, "soakctl: t: --n -1: not a valid N; give a whole number from 1 to 10\n" },
		{ { "--n", "2x" }, "soakctl: t: --n 2x: not a valid N; give a whole number from 1 to 10\n" },
		{ { "--small", "4294967296" },
		  "soakctl: t: --small 4294967296: out of range; give a whole number from 0 to 4294967295\n" },
		{ { "--big", "18446744073709551616" }, "soakctl: t: --big 18446744073709551616: out of range; "
		  "give a whole number from 0 to 18446744073709551615\n" },
		{ { "--x", "0" }, "soakctl: t: --x 0: out of range; give a number from 0 (excluded) to 0.5\n" },
		{ { "--x", "nan" }, "soakctl: t: --x nan: not a valid A; give a number from 0 (excluded) to 0.5\n" },
		{ { "--format", "xml" }, "soakctl: t: --format xml: not a valid md|json; give one of: md, json\n" },
		{ { "--str=" }, "soakctl: t: --str : not a valid TEXT; give a value that is not empty\n" },
		{ { "--flag=1" }, "soakctl: t: --flag takes no value\n" },
		{ { "--time", "1s1s" }, "soakctl: t: --time 1s1s: not a valid TIME; give a number with one unit "
		  "each, largest first: 90s, 5m, 2h30m, 250ms (at most 365d)\n" },
		{ { "--size", "10000000T" }, "soakctl: t: --size 10000000T: out of range; give a number with one "
		  "unit: 64M, 1G, 512K, 1.5G, or max (less than 8388608T)\n" },
		{ { "--pct", "x" }, "soakctl: t: --pct x: not a valid PCT; give a percentage of one CPU: 50%, 150%\n" },
		{ { "op" }, "soakctl: t: nothing but options (not 'op')\n" },
	};
	soak_optparse_t p = { .cmd = "t", .opts = t_table, .operand_err = "t: nothing but options (not '%s')" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t_opts_t t = { 0 };
		int argc = 0;
		while (argc < 3 && cases[i].args[argc])
			argc++;
		char err[512];
		int r = parse_err(&p, argc, (char **)cases[i].args, &t, NULL, err, sizeof(err));
		assert_int_equal(r, -EINVAL);
		assert_string_equal(err, cases[i].line);
		assert_false(t.has_n);
	}
}

/* "max" is no limit: the value is UINT64_MAX and the option's bool is clear. */
static void test_size_max_clears_has(void **state)
{
	(void)state;
	static const soak_opt_t table[] = {
		SOAK_OPT(soak_run_opts_t, "memory-max", 0, "SIZE", "limit", SOAK_OT_SIZE, memory_max,
			 .has = SOAK_OPT_HAS(soak_run_opts_t, has_memory_max)),
		{ 0 }
	};
	soak_run_opts_t o;
	soak_run_opts_init(&o);
	soak_optparse_t p = { .opts = table };
	char *a[] = { "--memory-max", "64M", "--memory-max", "max" };
	assert_int_equal(soak_opts_parse(&p, 2, a, &o, NULL), 0);
	assert_true(o.has_memory_max);
	assert_int_equal(o.memory_max, 64 << 20);
	assert_int_equal(soak_opts_parse(&p, 4, a, &o, NULL), 0);
	assert_false(o.has_memory_max);
}

/* compare hands run's options on with their values, and keeps its own. */
static void test_pass_on(void **state)
{
	(void)state;
	t_opts_t t = { 0 };
	soak_optparse_t p = { .cmd = "t", .opts = t_table, .pass = soak_run_opts_doc(), .dashdash = 1 };
	soak_optres_t res;
	char *argv[] = { "-d", "5s", "a", "--no-cgroup", "-n", "3", "--warmup=1s", "b", "--", "--ws", "4" };
	assert_int_equal(soak_opts_parse(&p, 11, argv, &t, &res), 0);
	assert_int_equal(t.n, 3);
	assert_int_equal(res.n_pass, 4);
	assert_string_equal(res.pass[0], "-d");
	assert_string_equal(res.pass[1], "5s");
	assert_string_equal(res.pass[2], "--no-cgroup");
	assert_string_equal(res.pass[3], "--warmup=1s");
	assert_int_equal(res.n_operands, 2);
	assert_int_equal(res.n_rest, 2);
	soak_optres_free(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_option_has_a_destination),
		cmocka_unit_test(test_run_option_sets_only_its_field),
		cmocka_unit_test(test_types_read_their_values),
		cmocka_unit_test(test_error_lines),
		cmocka_unit_test(test_size_max_clears_has),
		cmocka_unit_test(test_pass_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
