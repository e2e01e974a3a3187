/* test_plan.c - cli/plan.c: the plan file, shards, label template, option
 * splitting. */
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

static char path[] = "/tmp/soak-test-plan-XXXXXX";

static void write_plan(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good[] =
	"[plan]\nlabel = nightly-{date}-{host}\nallocators = system, mimalloc jemalloc\n"
	"duration = 5m\nwarmup = 30s\nrepeats = 3\nseed = 7\n"
	"[workload.a]\nname = random_mixed\nargs = --ws 400 --label 'two words'\n"
	"[workload.b]\nname = exec\nargs = /bin/true\n"
	"[limits.small]\nmemory-max = 256M\nswap-max = 0\n"
	"[limits.cpu]\ncpu-max = 150%\n";

static void test_load_good(void **state)
{
	(void)state;
	write_plan(good);
	soak_plan_t *p = malloc(sizeof(*p));
	char err[512] = "";
	assert_int_equal(soak_plan_load(path, p, err, sizeof(err)), 0);
	assert_int_equal(p->n_alloc, 3);
	assert_string_equal(p->allocators[1], "mimalloc");
	assert_int_equal(p->n_wl, 2);
	assert_string_equal(p->wl[1].name, "exec");
	assert_int_equal(p->n_lim, 2);
	assert_string_equal(p->lim[0].memory_max, "256M");
	assert_string_equal(p->lim[1].cpu_max, "150%");
	assert_int_equal(p->repeats, 3);
	assert_int_equal(p->seed, 7);
	assert_true(p->duration_s == 300);

	/* Shards: disjoint, together every cell once, same on every call. */
	soak_plan_cell_t all[64], s[64];
	size_t n = soak_plan_cells(p, 1, 1, all, 64);
	assert_int_equal(n, 12);
	int seen[12] = { 0 };
	size_t sum = 0;
	for (size_t k = 1; k <= 5; k++) {
		size_t m = soak_plan_cells(p, k, 5, s, 64);
		sum += m;
		for (size_t i = 0; i < m; i++) {
			assert_int_equal(s[i].index % 5, k - 1);
			seen[s[i].index]++;
			assert_int_equal(s[i].alloc, all[s[i].index].alloc);
			assert_int_equal(s[i].wl, all[s[i].index].wl);
			assert_int_equal(s[i].lim, all[s[i].index].lim);
		}
	}
	assert_int_equal(sum, 12);
	for (int i = 0; i < 12; i++)
		assert_int_equal(seen[i], 1);

	char label[64];
	assert_int_equal(soak_plan_label(p->label, "2026-11-29", "h1", label, sizeof(label)), 0);
	assert_string_equal(label, "nightly-2026-11-29-h1");
	assert_int_equal(soak_plan_label(p->label, "2026-11-29", "h1", label, 10), -ENAMETOOLONG);
	free(p);
}

static void test_split(void **state)
{
	(void)state;
	char buf[] = "--ws 400  --label 'two words' \"a b\"c";
	char *argv[8];
	assert_int_equal(soak_plan_split(buf, argv, 8), 5);
	assert_string_equal(argv[0], "--ws");
	assert_string_equal(argv[1], "400");
	assert_string_equal(argv[3], "two words");
	assert_string_equal(argv[4], "a bc");
	char bad[] = "x 'open";
	assert_int_equal(soak_plan_split(bad, argv, 8), -EINVAL);
	char empty[] = "   ";
	assert_int_equal(soak_plan_split(empty, argv, 8), 0);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "[plan]\nallocators = system\nrepeats = 0\n[workload.a]\nname = x\n", ":3: repeats = 0" },
		{ "[plan]\nallocators = system\nduration = soon\n[workload.a]\nname = x\n", ":3: duration = soon: not a duration" },
		{ "[plan]\nallocators = system\ncolour = red\n", ":3: unknown key 'colour' in [plan]" },
		{ "[plan]\nallocators = system\n[bogus]\nx = 1\n", ":4: unknown section [bogus]" },
		{ "[plan]\nallocators = system\n[limits.a]\nmemory-max = lots\n", ":4: memory-max = lots: not a size" },
		{ "[plan]\nduration = 1m\n[workload.a]\nname = x\n", "names no allocators" },
		{ "[plan]\nallocators = system\n", "no [workload.NAME] section" },
		{ "[plan]\nallocators = system\n[workload.a]\nargs = -x\n", "[workload.a] has no name" },
		{ "[plan]\nallocators = system\nthis is not ini\n", ":3: not INI syntax" },
		{ "[plan]\nallocators = system mimalloc system\n[workload.a]\nname = x\n",
		  ":2: allocators: system is named twice" },
	};
	soak_plan_t *p = malloc(sizeof(*p));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_plan(cases[i].text);
		char err[512] = "";
		assert_int_equal(soak_plan_load(path, p, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].want)) {
			print_error("case %zu: '%s' does not contain '%s'\n", i, err, cases[i].want);
			fail();
		}
		assert_non_null(strstr(err, path));
	}
	char err[512];
	assert_int_equal(soak_plan_load("/nonexistent/plan.ini", p, err, sizeof(err)), -ENOENT);
	free(p);
}

int main(void)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return 1;
	close(fd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_good),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_errors),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return r;
}
