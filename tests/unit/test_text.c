/* test_text.c - terminal and spreadsheet safety (docs/faults.md): control
 * characters (C0, DEL, C1) become '?' in cleaned text, Markdown cells and the
 * filtered stdout/stderr streams; CSV cells that a spreadsheet would run as a
 * formula get a leading '. Ground truth: the exact bytes expected. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "soak/text.h"

static const char evil[] = "a\x1b]0;pwned\x07 b\x1b[31m c\r d\b e\x7f f\xc2\x9b g\xc3\xa9 h\tz\ny";

static void test_clean(void **state)
{
	(void)state;
	char out[128];
	assert_string_equal(soak_text_clean(out, sizeof(out), evil, true),
			    "a?]0;pwned? b?[31m c? d? e? f? g\xc3\xa9 h?z\ny");
	assert_string_equal(soak_text_clean(out, sizeof(out), evil, false),
			    "a?]0;pwned? b?[31m c? d? e? f? g\xc3\xa9 h?z?y");
	assert_string_equal(soak_text_clean(out, 4, "abcdef", false), "abc");
}

static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, s);
	fclose(f);
	return buf;
}

static void test_md_cell(void **state)
{
	(void)state;
	char *b = capture(soak_md_cell, evil);
	assert_string_equal(b, " a?]0;pwned? b?[31m c  d? e? f? g\xc3\xa9 h?z y |");
	free(b);
}

static void test_csv_formula(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } cases[] = {
		{ "=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"" },
		{ "+1+1", "\"'+1+1\"" },
		{ "-2+3", "\"'-2+3\"" },
		{ "@SUM(A1)", "\"'@SUM(A1)\"" },
		{ "\t=1", "\"'?=1\"" },
		{ "\r=1", "\"'?=1\"" },
		{ "plain", "plain" },
		{ "a,b", "\"a,b\"" },
		{ "x=1", "x=1" },
		{ "e\x1b[2Jx", "e?[2Jx" },
		{ "two\nlines", "\"two\nlines\"" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *b = capture(soak_csv_str, cases[i].in);
		if (strcmp(b, cases[i].out))
			fail_msg("case %zu: got [%s] want [%s]", i, b, cases[i].out);
		free(b);
	}
}

static void test_filter_stream(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	FILE *f = soak_text_filter_fd(p[1]);
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	fputs(evil, f);
	/* A C1 control split across two writes. */
	fputs("k\xc2", f);
	fputs("\x9bl \xc2", f);
	fputs("\xa9m", f);
	fclose(f);
	close(p[1]);
	char out[256];
	ssize_t n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "a?]0;pwned? b?[31m c? d? e? f? g\xc3\xa9 h\tz\nyk?l \xc2\xa9m");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_md_cell),
		cmocka_unit_test(test_csv_formula),
		cmocka_unit_test(test_filter_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
