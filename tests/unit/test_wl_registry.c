/* test_wl_registry.c - the worker's workload registry and the helpers every
 * workload relies on: each entry has a unique name, run(), a seed, and option
 * defaults inside their bounds; the option parser, the --list-json output, the
 * pattern and page checks, fastmod, jittered sampling gaps, the cgroup limit
 * and /proc/swaps readers (on fixture trees written here), and the cpuinfo
 * flag parser.
 *
 * tests/CMakeLists.txt links unit tests against the runner's libraries only, and
 * the worker is an executable, so the workload sources are compiled into this
 * test directly (every file but worker.c, which holds main()). A new
 * wl-<name>.c needs one line in registry.c and one include here; the test
 * counts wl-*.c files so a forgotten registry line fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../workloads/cgcpus.c"
#include "../../workloads/clock.c"
#include "../../workloads/livecheck.c"
#include "../../workloads/options.c"
#include "../../workloads/registry.c"
#include "../../workloads/replay-objs.c"
#include "../../workloads/support.c"
#include "../../workloads/wl-cache-scratch.c"
#include "../../workloads/wl-cache-thrash.c"
#include "../../workloads/wl-fragment.c"
#include "../../workloads/wl-large.c"
#include "../../workloads/wl-larson.c"
#include "../../workloads/wl-leak.c"
#include "../../workloads/wl-lifo.c"
#include "../../workloads/wl-mstress.c"
#include "../../workloads/wl-paging.c"
#include "../../workloads/wl-pareto.c"
#include "../../workloads/wl-random-mixed.c"
#include "../../workloads/wl-remote-free.c"
#include "../../workloads/wl-replay.c"
#include "../../workloads/wl-rptest.c"
#include "../../workloads/wl-scenario.c"
#include "../../workloads/wl-spin.c"
#include "../../workloads/wl-tiny-hot.c"
#include "../../workloads/wl-xmalloc.c"

#define WORKLOADS_DIR SOAK_FIXTURES "/../../workloads"

static const char *const worker_opts[] = { "latency-sample", "duration", "clock", NULL };

static void test_every_wl_file_is_registered(void **state)
{
	(void)state;
	DIR *d = opendir(WORKLOADS_DIR);
	assert_non_null(d);
	size_t files = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (!fnmatch("wl-*.c", e->d_name, 0))
			files++;
	closedir(d);
	if (files != soak_n_workloads)
		fail_msg("%zu wl-*.c files in workloads/ but %zu registry entries (registry.c)", files,
			 soak_n_workloads);
}

static void test_entries_sane(void **state)
{
	(void)state;
	assert_true(soak_n_workloads >= 7);
	for (size_t w = 0; w < soak_n_workloads; w++) {
		const soak_workload_t *wl = soak_workloads[w];
		assert_non_null(wl);
		assert_non_null(wl->name);
		for (const char *c = wl->name; *c; c++)
			if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '_'))
				fail_msg("workload name '%s': use [a-z0-9_]", wl->name);
		for (size_t v = 0; v < w; v++)
			if (!strcmp(soak_workloads[v]->name, wl->name))
				fail_msg("workload name '%s' registered twice", wl->name);
		if (!wl->run)
			fail_msg("%s: no run()", wl->name);
		if (!wl->summary || !*wl->summary || !wl->origin || !*wl->origin || !wl->op || !*wl->op)
			fail_msg("%s: summary, origin and op must be set", wl->name);
		assert_true(wl->n_opts <= SOAK_WL_MAX_OPTS);
		assert_ptr_equal(soak_workload_find(wl->name), wl);
		if (soak_wl_opt_index(wl, "seed") < 0)
			fail_msg("%s: every workload takes --seed", wl->name);
	}
	assert_null(soak_workload_find("no_such_workload"));
}

static void test_option_tables_sane(void **state)
{
	(void)state;
	for (size_t w = 0; w < soak_n_workloads; w++) {
		const soak_workload_t *wl = soak_workloads[w];
		for (size_t i = 0; i < wl->n_opts; i++) {
			const soak_wl_opt_t *o = &wl->opts[i];
			char why[256];
			soak_wl_val_t v;
			assert_non_null(o->name);
			if (!o->def || !o->help || !*o->help)
				fail_msg("%s --%s: default and help must be set", wl->name, o->name);
			for (size_t j = 0; j < i; j++)
				if (!strcmp(wl->opts[j].name, o->name))
					fail_msg("%s: option --%s twice", wl->name, o->name);
			for (const char *const *p = worker_opts; *p; p++)
				if (!strcmp(*p, o->name))
					fail_msg("%s --%s: clashes with a worker option", wl->name, o->name);
			if (o->type != SOAK_OPT_STR && !(o->min <= o->max))
				fail_msg("%s --%s: min %g > max %g", wl->name, o->name, o->min, o->max);
			if (o->type == SOAK_OPT_STR && o->choices && !choice_ok(o->choices, o->def))
				fail_msg("%s --%s: default '%s' is not one of %s", wl->name, o->name, o->def, o->choices);
			if (soak_wl_opt_parse(o, o->def, &v, why, sizeof(why)) != 0)
				fail_msg("%s: default does not parse or is out of bounds: %s", wl->name, why);
			/* 0 = the cgroup's CPUs (the worker resolves it) */
			if (!strcmp(o->name, "threads") && (o->min < 0 || o->max > SOAK_MAX_THREADS))
				fail_msg("%s --threads: bounds must lie in [0, %d]", wl->name, SOAK_MAX_THREADS);
		}
		/* defaults as a whole parse (no argv) */
		soak_wl_ctx_t ctx;
		char why[256];
		memset(&ctx, 0, sizeof(ctx));
		assert_int_equal(soak_wl_opts_parse(wl, &ctx, 0, NULL, why, sizeof(why)), 0);
	}
}

static void test_option_parser(void **state)
{
	(void)state;
	const soak_workload_t *wl = soak_workload_find("random_mixed");
	assert_non_null(wl);
	soak_wl_ctx_t ctx;
	char why[256];
	char *ok[] = { "--ws", "1000", "--max-size=2K", "--seed", "0x10", "--threads", "4" };
	memset(&ctx, 0, sizeof(ctx));
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 7, ok, why, sizeof(why)), 0);
	assert_int_equal(ctx.opt[soak_wl_opt_index(wl, "ws")].u, 1000);
	assert_int_equal(ctx.opt[soak_wl_opt_index(wl, "max-size")].u, 2048);
	assert_int_equal(ctx.opt[soak_wl_opt_index(wl, "seed")].u, 16);
	assert_int_equal(ctx.opt[soak_wl_opt_index(wl, "min-size")].u, 16); /* default kept */

	char *unknown[] = { "--bogus", "1" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 2, unknown, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "--bogus"));
	char *oob[] = { "--ws", "0" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 2, oob, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "--ws 0"));
	char *threads[] = { "--threads", "65" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 2, threads, why, sizeof(why)), -ERANGE);
	char *novalue[] = { "--ws" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 1, novalue, why, sizeof(why)), -EINVAL);
	char *bare[] = { "ws" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 1, bare, why, sizeof(why)), -EINVAL);
	char *junk[] = { "--ws", "12x" };
	assert_int_equal(soak_wl_opts_parse(wl, &ctx, 2, junk, why, sizeof(why)), -EINVAL);

	const soak_workload_t *sc = soak_workload_find("scenario");
	char *name[] = { "--name", "vm" }, *badname[] = { "--name", "vmm" };
	assert_int_equal(soak_wl_opts_parse(sc, &ctx, 2, name, why, sizeof(why)), 0);
	assert_string_equal(ctx.opt[soak_wl_opt_index(sc, "name")].s, "vm");
	assert_int_equal(soak_wl_opts_parse(sc, &ctx, 2, badname, why, sizeof(why)), -EINVAL);

	const soak_workload_t *fr = soak_workload_find("fragment");
	char *idle[] = { "--idle", "250ms" };
	assert_int_equal(soak_wl_opts_parse(fr, &ctx, 2, idle, why, sizeof(why)), 0);
	assert_true(ctx.opt[soak_wl_opt_index(fr, "idle")].d == 0.25);
}

static void test_list_json(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	soak_wl_list_json(f);
	fclose(f);
	cJSON *doc = cJSON_Parse(text);
	if (!doc)
		fail_msg("--list-json is not JSON near: %.60s", cJSON_GetErrorPtr());
	assert_int_equal(cJSON_GetObjectItem(doc, "schema_version")->valueint, 1);
	cJSON *wls = cJSON_GetObjectItem(doc, "workloads");
	assert_int_equal(cJSON_GetArraySize(wls), (int)soak_n_workloads);
	for (size_t w = 0; w < soak_n_workloads; w++) {
		cJSON *j = cJSON_GetArrayItem(wls, (int)w);
		const soak_workload_t *wl = soak_workloads[w];
		assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, wl->name);
		cJSON *opts = cJSON_GetObjectItem(j, "options");
		assert_int_equal(cJSON_GetArraySize(opts), (int)wl->n_opts);
		for (size_t i = 0; i < wl->n_opts; i++) {
			cJSON *o = cJSON_GetArrayItem(opts, (int)i);
			assert_string_equal(cJSON_GetObjectItem(o, "name")->valuestring, wl->opts[i].name);
			assert_string_equal(cJSON_GetObjectItem(o, "default")->valuestring, wl->opts[i].def);
			assert_non_null(cJSON_GetObjectItem(o, "help"));
			if (wl->opts[i].type == SOAK_OPT_STR)
				assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "choices")));
			else
				assert_true(cJSON_GetObjectItem(o, "min")->valuedouble == wl->opts[i].min);
		}
	}
	cJSON_Delete(doc);
	free(text);
}

static void test_pattern_fill_check(void **state)
{
	(void)state;
	unsigned char buf[4 * 4096 + 64];
	for (size_t size = 1; size <= 64; size++) {
		uint64_t pat = soak_wl_pattern(7, size, size);
		memset(buf, 0, sizeof(buf));
		soak_wl_fill(buf, size, pat);
		assert_int_equal(soak_wl_check(buf, size, pat), SIZE_MAX);
		/* another tag or size does not match */
		assert_int_not_equal(soak_wl_check(buf, size, soak_wl_pattern(7, size + 1, size)), SIZE_MAX);
		/* a corrupted first or last byte is found at its offset */
		buf[0] ^= 0x40;
		assert_int_equal(soak_wl_check(buf, size, pat), 0);
		buf[0] ^= 0x40;
		buf[size - 1] ^= 0x01;
		assert_int_equal(soak_wl_check(buf, size, pat), size - 1);
	}
	size_t size = sizeof(buf);
	uint64_t pat = soak_wl_pattern(1, 2, size);
	size_t words = soak_wl_touch_pages(buf, size, pat);
	soak_wl_fill(buf, size, pat);
	assert_int_equal(words, 5); /* one per 4 KiB step, tail untouched */
	assert_int_equal(soak_wl_check(buf, size, pat), SIZE_MAX);
	assert_int_equal(soak_wl_check_pages(buf, size, pat), SIZE_MAX);
	buf[2 * 4096 + SOAK_WL_PAGE_WORD_OFF + 3] ^= 1;
	assert_int_equal(soak_wl_check_pages(buf, size, pat), 2 * 4096 + SOAK_WL_PAGE_WORD_OFF + 3);
}

static void test_fastmod_and_gaps(void **state)
{
	(void)state;
	uint64_t s = 42;
	const uint32_t ds[] = { 1, 2, 3, 7, 400, 1025, 65535, 1u << 30, 4294967295u };
	for (size_t k = 0; k < sizeof(ds) / sizeof(ds[0]); k++) {
		soak_wl_mod32_t f = soak_wl_mod32_init(ds[k]);
		for (int i = 0; i < 100000; i++) {
			uint32_t a = (uint32_t)soak_wl_rand64(&s);
			if (soak_wl_mod32(f, a) != a % ds[k])
				fail_msg("fastmod %u %% %u", a, ds[k]);
		}
		assert_int_equal(soak_wl_mod32(f, 0xffffffffu), 0xffffffffu % ds[k]);
	}
	/* sampling gaps: in [1, 2N-1], mean N; N=1 every op; off never */
	soak_shm_t *shm = calloc(1, sizeof(*shm));
	soak_wl_ctx_t ctx = { .wl = &soak_wl_random_mixed, .shm = shm, .latency_every = 128 };
	soak_wl_thread_t t;
	soak_wl_thread_init(&t, &ctx, 0);
	double sum = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t g = soak_wl_next_gap(&t);
		assert_true(g >= 1 && g <= 255);
		sum += (double)g;
	}
	assert_true(sum / 200000 > 127 && sum / 200000 < 129);
	ctx.latency_every = 1;
	soak_wl_thread_init(&t, &ctx, 0);
	assert_int_equal(soak_wl_next_gap(&t), 1);
	ctx.latency_every = 0;
	soak_wl_thread_init(&t, &ctx, 0);
	assert_int_equal(t.lat_left, UINT64_MAX);
	/* a workload cap wins over a sparser request, not over "off" */
	ctx.wl = &soak_wl_leak;
	ctx.latency_every = 128;
	soak_wl_thread_init(&t, &ctx, 0);
	assert_int_equal(t.lat_every, 1);
	free(shm);
}

static void write_file(const char *path, const char *text)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_cgroup_limits_and_swaps(void **state)
{
	(void)state;
	char root[] = "/tmp/soak-wl-test-XXXXXX", p[512], cg[512];
	assert_non_null(mkdtemp(root));
	uint64_t mem, swap;

	/* v1 / hybrid: limits from the memory controller's hierarchical values */
	snprintf(p, sizeof(p), "%s/v1.cgroup", root);
	write_file(p, "12:pids:/\n4:memory:/runner/run-1\n1:name=systemd:/\n0::/\n");
	snprintf(cg, sizeof(cg), "%s/v1/memory/runner/run-1/memory.stat", root);
	write_file(cg, "cache 0\nrss 0\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit 335544320\n");
	snprintf(cg, sizeof(cg), "%s/v1", root);
	assert_int_equal(soak_wl_cg_limits(p, cg, &mem, &swap), 0);
	assert_int_equal(mem, 64 << 20);
	assert_int_equal(swap, 256 << 20);
	/* no limit: PAGE_COUNTER_MAX */
	snprintf(cg, sizeof(cg), "%s/v1/memory/runner/run-1/memory.stat", root);
	write_file(cg, "hierarchical_memory_limit 9223372036854771712\nhierarchical_memsw_limit 9223372036854771712\n");
	snprintf(cg, sizeof(cg), "%s/v1", root);
	assert_int_equal(soak_wl_cg_limits(p, cg, &mem, &swap), 0);
	assert_true(mem == UINT64_MAX && swap == UINT64_MAX);

	/* v2: the smallest memory.max / memory.swap.max on the way up */
	snprintf(p, sizeof(p), "%s/v2.cgroup", root);
	write_file(p, "0::/a/b\n");
	snprintf(cg, sizeof(cg), "%s/v2/a/memory.max", root);
	write_file(cg, "134217728\n");
	snprintf(cg, sizeof(cg), "%s/v2/a/b/memory.max", root);
	write_file(cg, "max\n");
	snprintf(cg, sizeof(cg), "%s/v2/a/b/memory.swap.max", root);
	write_file(cg, "0\n");
	snprintf(cg, sizeof(cg), "%s/v2", root);
	assert_int_equal(soak_wl_cg_limits(p, cg, &mem, &swap), 0);
	assert_int_equal(mem, 128 << 20);
	assert_int_equal(swap, 0);

	/* /proc/swaps: header only vs one area */
	snprintf(p, sizeof(p), "%s/swaps", root);
	write_file(p, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	assert_false(soak_wl_swap_active(p));
	write_file(p, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/var/tmp/soak.swap file 262140 0 -2\n");
	assert_true(soak_wl_swap_active(p));
	assert_false(soak_wl_swap_active("/nonexistent/swaps"));

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

/* Writes text to root/rel (directories made). */
static void put(const char *root, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	write_file(p, text);
}

/* The CPU quota on the way up: v1 "cpu,cpuacct" hierarchy, v2 cpu.max. */
static void test_cgroup_cpu_quota(void **state)
{
	(void)state;
	char root[] = "/tmp/soak-wl-test-XXXXXX", p1[512], p2[512], v1[512], v2[512];
	assert_non_null(mkdtemp(root));
	snprintf(p1, sizeof(p1), "%s/v1.cgroup", root);
	snprintf(p2, sizeof(p2), "%s/v2.cgroup", root);
	snprintf(v1, sizeof(v1), "%s/v1", root);
	snprintf(v2, sizeof(v2), "%s/v2", root);
	double cpus = -1;
	put(root, "v1.cgroup", "4:memory:/m\n3:cpu,cpuacct:/runner/run-1\n0::/\n");
	put(root, "v1/cpu/runner/cpu.cfs_quota_us", "250000\n");
	put(root, "v1/cpu/runner/cpu.cfs_period_us", "100000\n");
	put(root, "v1/cpu/runner/run-1/cpu.cfs_quota_us", "-1\n");
	put(root, "v1/cpu/runner/run-1/cpu.cfs_period_us", "100000\n");
	assert_int_equal(soak_wl_cg_cpu_quota(p1, v1, &cpus), 0);
	assert_true(cpus == 2.5);
	put(root, "v1/cpu/runner/run-1/cpu.cfs_quota_us", "150000\n");
	assert_int_equal(soak_wl_cg_cpu_quota(p1, v1, &cpus), 0);
	assert_true(cpus == 1.5);

	put(root, "v2.cgroup", "0::/a/b\n");
	put(root, "v2/a/cpu.max", "max 100000\n");
	put(root, "v2/a/b/cpu.max", "50000 100000\n");
	assert_int_equal(soak_wl_cg_cpu_quota(p2, v2, &cpus), 0);
	assert_true(cpus == 0.5);
	put(root, "v2.cgroup", "0::/a\n");
	assert_int_equal(soak_wl_cg_cpu_quota(p2, v2, &cpus), 0);
	assert_true(cpus == 0);   /* max: no quota */
	/* the default threads: the quota rounded up, never above the affinity mask */
	char why[200];
	unsigned n = soak_wl_default_threads(p2, v2, why, sizeof(why));
	assert_true(n >= 1 && strstr(why, "no CPU quota"));
	unsigned m = soak_wl_default_threads(p1, v1, why, sizeof(why));
	assert_int_equal(m, n < 2 ? n : 2);
	assert_non_null(strstr(why, "a CPU quota of 1.50 CPUs"));

	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_cpuinfo_flags(void **state)
{
	(void)state;
	assert_true(soak_clock_tsc_flags_ok("processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good nonstop_tsc cpuid\n"));
	assert_false(soak_clock_tsc_flags_ok("processor\t: 0\nflags\t\t: fpu tsc constant_tsc rep_good cpuid\n"));
	assert_false(soak_clock_tsc_flags_ok("processor\t: 0\nflags\t\t: fpu nonstop_tsc_x constant_tsc\n"));
	assert_false(soak_clock_tsc_flags_ok("processor\t: 0\n"));
	/* the clock works either way and is monotonic */
	soak_clock_init(false);
	uint64_t a = soak_clock_ns(), b = soak_clock_ns();
	assert_true(b >= a);
	soak_clock_init(true);
	assert_false(soak_clock.tsc);
	a = soak_clock_ns();
	b = soak_clock_ns();
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_wl_file_is_registered),
		cmocka_unit_test(test_entries_sane),
		cmocka_unit_test(test_option_tables_sane),
		cmocka_unit_test(test_option_parser),
		cmocka_unit_test(test_list_json),
		cmocka_unit_test(test_pattern_fill_check),
		cmocka_unit_test(test_fastmod_and_gaps),
		cmocka_unit_test(test_cgroup_limits_and_swaps),
		cmocka_unit_test(test_cgroup_cpu_quota),
		cmocka_unit_test(test_cpuinfo_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
