/* test_ini.c - common/ini.c and common/env.c (docs/faults.md, row 7): lines
 * of any length reach the handler whole, on their real line numbers;
 * duplicates are errors naming both lines; env values split like a shell
 * would, without one. Ground truth: the exact strings and line numbers
 * written here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak/ini.h"

typedef struct {
	char log[65536];
	size_t len;
} rec_t;

static int rec(void *user, const char *section, const char *key, const char *value, int line,
	       char *err, size_t errlen)
{
	rec_t *r = user;
	(void)err, (void)errlen;
	r->len += (size_t)snprintf(r->log + r->len, sizeof(r->log) - r->len, "%d [%s] %s=%s\n", line,
				   section, key ? key : "-", value ? value : "-");
	return 0;
}

static int parse(const char *text, rec_t *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	return soak_ini_parse_mem("t.ini", text, strlen(text), rec, r, err, errlen);
}

static void test_long_lines(void **state)
{
	(void)state;
	/* 35 variables: 200+ characters, the line Debian's inih cut at 199. */
	char env[1024] = "", text[4096];
	size_t o = 0;
	for (int i = 0; i < 35; i++)
		o += (size_t)snprintf(env + o, sizeof(env) - o, "%sVAR%d=1", i ? " " : "", i);
	assert_true(strlen(env) > 199);
	snprintf(text, sizeof(text), "; comment\n[allocator.x]\nenv = %s\npath = /lib/x.so\n", env);
	rec_t r;
	char err[512], want[4096];
	assert_int_equal(parse(text, &r, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "2 [allocator.x] -=-\n3 [allocator.x] env=%s\n"
		 "4 [allocator.x] path=/lib/x.so\n", env);
	assert_string_equal(r.log, want);

	/* A 10000-character value, then an error: the error's line is the
	 * file's (inih counted a long line as several). */
	char *big = malloc(20000);
	memset(big, 'a', 10000);
	big[10000] = '\0';
	char *t2 = malloc(20100);
	snprintf(t2, 20100, "[gate]\nx = %s\n\n; c\nnot ini\n", big);
	assert_int_equal(parse(t2, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:5: not INI syntax"));
	/* The rest of a long line never becomes a key (path could be replaced). */
	snprintf(t2, 20100, "[allocator.x]\npath = /lib/real.so\nenv = A=\"%.*s path = /evil.so\"\n", 190,
		 big);
	assert_int_equal(parse(t2, &r, err, sizeof(err)), 0);
	assert_null(strstr(r.log, "] path=/evil.so"));
	assert_non_null(strstr(r.log, "2 [allocator.x] path=/lib/real.so\n"));
	free(big);
	free(t2);
}

static void test_errors_name_lines(void **state)
{
	(void)state;
	static const struct { const char *text, *want; } bad[] = {
		{ "[a]\nk = 1\n[b]\n[a]\n", "t.ini:4: duplicate section [a] (first at line 1)" },
		{ "[a]\nk = 1\n\nk = 2\n", "t.ini:4: key 'k' given twice in [a] (first at line 2)" },
		{ "[a]\nk = 1\n[b]\nk = 1\n[a ]\n", "t.ini:5: duplicate section [a]" },
		{ "[a\n", "t.ini:1: a section header without ']'" },
		{ "[a] x\n", "t.ini:1: text after the section header" },
		{ "[]\n", "t.ini:1: '[]' is not a section name" },
		{ "[a]\n = v\n", "t.ini:2: '' is not a key name" },
		{ "[a]\nk = v\n  continued\n", "t.ini:3: not INI syntax" },
		{ "[a]\nk = \x1b[31mred\n", "t.ini:2: control character 0x1b" },
		{ "[a]\r\nk = 1\r\nj\r\n", "t.ini:3: not INI syntax" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rec_t r;
		char err[512] = "";
		int rc = parse(bad[i].text, &r, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, bad[i].want))
			fail_msg("case %zu: rc %d, '%s', want '%s'", i, rc, err, bad[i].want);
	}
	/* NUL byte */
	rec_t r;
	char err[512];
	memset(&r, 0, sizeof(r));
	assert_int_equal(soak_ini_parse_mem("t.ini", "[a]\nk=1\0x\n", 10, rec, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.ini:2: a NUL byte"));
	/* Comments, CRLF, BOM, ':' and inline comments are fine. */
	assert_int_equal(parse("\xEF\xBB\xBF[a]\r\n# c\r\nk: v ; note\r\nq = \"x ; y\" ;n\r\n", &r, err,
			       sizeof(err)), 0);
	assert_string_equal(r.log, "1 [a] -=-\n3 [a] k=v\n4 [a] q=\"x ; y\"\n");
}

static void test_env_split(void **state)
{
	(void)state;
	char **v, err[256];
	size_t n;
	assert_int_equal(soak_env_split("A=\"x y\" B=2 C='$HOME z' D=a\\ b E= F=\"q\\\"uote\"", &v, &n, err,
					sizeof(err)), 0);
	assert_int_equal(n, 6);
	assert_string_equal(v[0], "A=x y");
	assert_string_equal(v[1], "B=2");
	assert_string_equal(v[2], "C=$HOME z");
	assert_string_equal(v[3], "D=a b");
	assert_string_equal(v[4], "E=");
	assert_string_equal(v[5], "F=q\"uote");
	assert_null(v[6]);
	soak_env_free(v);
	assert_int_equal(soak_env_split("  \t ", &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	soak_env_free(v);
	static const char *bad[] = { "A=\"x", "A='x", "novalue", "1A=2", "=x", "A-B=1", "A=1 \\" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = NULL;
		if (soak_env_split(bad[i], &v, &n, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted env '%s'", bad[i]);
		assert_null(v);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_errors_name_lines),
		cmocka_unit_test(test_env_split),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
