/* test_suite.c - runner/suite.c: built-in suites, [suite.NAME] sections,
 * their errors; cli/plan.c's suite = NAME expansion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan.h"
#include "suite.h"

static char ini[] = "/tmp/soak-test-suite-XXXXXX";
static char planf[] = "/tmp/soak-test-suiteplan-XXXXXX";

static void write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_builtin(void **state)
{
	(void)state;
	soak_suite_t *s = malloc(sizeof(*s));
	char err[512];
	write_file(ini, "[allocator.x]\npath = /nonexistent.so\n");
	assert_int_equal(soak_suite_find("classic", ini, s, err, sizeof(err)), 0);
	const char *want[] = { "larson", "xmalloc", "cache_thrash", "cache_scratch", "lifo" };
	assert_int_equal(s->n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(s->e[i].name, want[i]);
		assert_string_equal(s->e[i].workload, want[i]);
		assert_string_equal(s->e[i].args, "");
	}
	assert_string_equal(s->source, "built-in");
	assert_int_equal(soak_suite_find("seeds", ini, s, err, sizeof(err)), 0);
	assert_int_equal(s->n, 3);
	free(s);
}

static void test_config(void **state)
{
	(void)state;
	soak_suite_t *s = malloc(sizeof(*s));
	char err[512];
	write_file(ini, "[suite.mine]\nrm400 = random_mixed --ws 400\nrm4k = random_mixed   --ws 4000 --min-size 16\n"
			"la = larson\n[suite.classic]\nonly = lifo --threads 1\n[gate]\nthroughput = 5%\n");
	assert_int_equal(soak_suite_find("mine", ini, s, err, sizeof(err)), 0);
	assert_int_equal(s->n, 3);
	assert_string_equal(s->e[1].name, "rm4k");
	assert_string_equal(s->e[1].workload, "random_mixed");
	assert_string_equal(s->e[1].args, "--ws 4000 --min-size 16");
	assert_string_equal(s->e[2].args, "");
	assert_string_equal(s->source, ini);
	/* A config's suite overrides the built-in one of the same name. */
	assert_int_equal(soak_suite_find("classic", ini, s, err, sizeof(err)), 0);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->e[0].args, "--threads 1");
	free(s);
}

static void test_errors(void **state)
{
	(void)state;
	soak_suite_t *s = malloc(sizeof(*s));
	static const struct {
		const char *text, *name, *want;
		int rc;
	} cases[] = {
		{ "[suite.empty]\n[gate]\nx = 1\n", "empty", ":1: [suite.empty] has no entries", -EINVAL },
		{ "[suite.a]\nx = --ws 4\n", "a", ":2: entry x starts with an option", -EINVAL },
		{ "[suite.a]\nx = random_mixed\nx = lifo\n", "a", ":3:", -EINVAL },
		{ "[suite.]\nx = lifo\n", "a", ":1: [suite.] has no name", -EINVAL },
		{ "[suite.a]\nx = lifo\n", "nosuch", "unknown suite 'nosuch': use classic or seeds", -ENOENT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "";
		write_file(ini, cases[i].text);
		assert_int_equal(soak_suite_find(cases[i].name, ini, s, err, sizeof(err)), cases[i].rc);
		if (!strstr(err, cases[i].want)) {
			print_error("case %zu: '%s' does not contain '%s'\n", i, err, cases[i].want);
			fail();
		}
	}
	char err[512];
	assert_int_equal(soak_suite_find("classic", "/nonexistent/soak.ini", s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read config /nonexistent/soak.ini"));
	free(s);
}

static void test_plan_suite(void **state)
{
	(void)state;
	soak_plan_t *p = malloc(sizeof(*p));
	char err[1024] = "", text[512];
	write_file(ini, "[suite.mine]\nrm400 = random_mixed --ws 400\nla = larson --threads 2\n");
	snprintf(text, sizeof(text), "[plan]\nallocators = system\nconfig = %s\nsuite = mine classic\n"
		 "[workload.spin]\nname = spin\n", ini);
	write_file(planf, text);
	assert_int_equal(soak_plan_load(planf, p, err, sizeof(err)), 0);
	assert_int_equal(p->n_wl, 1 + 2 + 5);
	assert_string_equal(p->wl[0].section, "spin");
	assert_string_equal(p->wl[1].section, "rm400");
	assert_string_equal(p->wl[1].args, "--ws 400");
	assert_string_equal(p->wl[2].name, "larson");
	assert_string_equal(p->wl[7].section, "lifo");
	/* An entry named like a [workload.NAME] of the plan: refused. */
	snprintf(text, sizeof(text), "[plan]\nallocators = system\nconfig = %s\nsuite = mine\n"
		 "[workload.la]\nname = spin\n", ini);
	write_file(planf, text);
	assert_int_equal(soak_plan_load(planf, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "suite mine has an entry la"));
	snprintf(text, sizeof(text), "[plan]\nallocators = system\nsuite = nosuch\n");
	write_file(planf, text);
	assert_int_equal(soak_plan_load(planf, p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "suite = nosuch: unknown suite"));
	free(p);
}

int main(void)
{
	/* Only the test's own config file: no ./soak.ini or ~/.config one. */
	setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
	if (chdir("/") != 0)
		return 1;
	int fd = mkstemp(ini), fd2 = mkstemp(planf);
	if (fd < 0 || fd2 < 0)
		return 1;
	close(fd);
	close(fd2);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_plan_suite),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(ini);
	unlink(planf);
	return r;
}
