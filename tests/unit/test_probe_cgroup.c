/* test_probe_cgroup.c - cgroup file parsers on v1/v2 fixture files, and the
 * cgroup and cpu probes opened on fixture directories laid out like a v1
 * memory cgroup (tests/fixtures/cgroup/v1) and a cgroup2 directory (v2). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "probe.h"
#include "probe-util.h"

#define CG SOAK_FIXTURES "/cgroup"

static char *fixture(const char *name)
{
	static char buf[16384];
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", CG, name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void test_v1_stat(void **st)
{
	(void)st;
	char *b = fixture("v1/memory.stat");
	uint64_t v;
	assert_int_equal(soak_kv_u64(b, soak_cg_stat_key(SOAK_CG_V1, "anon"), &v), 0);
	assert_int_equal(v, 52428800);
	assert_int_equal(soak_kv_u64(b, soak_cg_stat_key(SOAK_CG_HYBRID, "file"), &v), 0);
	assert_int_equal(v, 10489856);
	assert_int_equal(soak_kv_u64(b, "total_swap", &v), 0);
	assert_int_equal(v, 4194304);
	assert_int_equal(soak_kv_u64(b, "rss", &v), 0);   /* whole word: not total_rss, not rss_huge */
	assert_int_not_equal(v, 52428800);
	assert_int_equal(soak_kv_u64(b, "no_such_key", &v), -ENOENT);
	assert_int_equal(soak_kv_u64(b, "total", &v), -ENOENT);
}

static void test_v2_stat(void **st)
{
	(void)st;
	char *b = fixture("v2/memory.stat");
	uint64_t v;
	assert_int_equal(soak_kv_u64(b, soak_cg_stat_key(SOAK_CG_V2, "anon"), &v), 0);
	assert_int_equal(v, 52428800);   /* not anon_thp */
	assert_int_equal(soak_kv_u64(b, soak_cg_stat_key(SOAK_CG_V2, "file"), &v), 0);
	assert_int_equal(v, 10489856);   /* not file_mapped */
	assert_int_equal(soak_kv_u64("anon 12x\n", "anon", &v), -EINVAL);
	assert_int_equal(soak_kv_u64("anon -1\n", "anon", &v), -EINVAL);
	assert_int_equal(soak_kv_u64("anon 7", "anon", &v), 0);   /* no final newline */
	assert_int_equal(v, 7);
}

static void test_oom(void **st)
{
	(void)st;
	uint64_t v;
	assert_int_equal(soak_kv_u64(fixture("v1/memory.oom_control"), "oom_kill", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(soak_kv_u64(fixture("v2/memory.events"), "oom_kill", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(soak_kv_u64(fixture("v2/memory.events"), "oom", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(soak_kv_u64(fixture("memory.oom_control-old"), "oom_kill", &v), -ENOENT);
}

static void test_psi(void **st)
{
	(void)st;
	uint64_t v;
	char *b = fixture("v2/memory.pressure");
	assert_int_equal(soak_psi_total(b, "some", &v), 0);
	assert_int_equal(v, 1234567);
	assert_int_equal(soak_psi_total(b, "full", &v), 0);
	assert_int_equal(v, 456789);
	b = fixture("memory.pressure-someonly");
	assert_int_equal(soak_psi_total(b, "some", &v), 0);
	assert_int_equal(v, 987);
	assert_int_equal(soak_psi_total(b, "full", &v), -ENOENT);
	b = fixture("memory.pressure-bad");
	assert_int_equal(soak_psi_total(b, "some", &v), -EINVAL);
	assert_int_equal(soak_psi_total(b, "full", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(soak_psi_total("some avg10=0.00\n", "some", &v), -EINVAL);
}

/* ---- whole probes on fixture directories ------------------------------- */

enum { USAGE, PEAK, SWAP, ANON, FILEB, OOM, PSI_SOME, PSI_FULL };

static void run_probe(const char *name, soak_cg_paths_t *cg, double *v, bool *ok,
		      char (*reasons)[SOAK_REASON_MAX], int want_open)
{
	const soak_probe_ops_t *p = soak_probe_find(name);
	assert_non_null(p);
	soak_probe_ctx_t ctx = { .pid = getpid(), .cg = cg, .interval_s = 1 };
	char why[SOAK_REASON_MAX];
	assert_int_equal(p->supported(&ctx, why, sizeof(why)), 0);
	void *s = NULL;
	int r = p->open(&s, &ctx, reasons);
	assert_int_equal(r < 0, want_open < 0);
	if (r < 0)
		return;
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	for (size_t i = 0; i < p->n_metrics; i++)
		if (reasons[i][0])
			assert_false(ok[i]);   /* a metric with a reason is never valid */
	p->close(s);
}

static void paths(soak_cg_paths_t *cg, soak_cg_mode_t mode, const char *mem, const char *uni)
{
	memset(cg, 0, sizeof(*cg));
	cg->mode = mode;
	snprintf(cg->mem_dir, sizeof(cg->mem_dir), "%s", mem);
	snprintf(cg->unified_dir, sizeof(cg->unified_dir), "%s", uni);
}

static void test_probe_hybrid(void **st)
{
	(void)st;
	soak_cg_paths_t cg;
	paths(&cg, SOAK_CG_HYBRID, CG "/v1", CG "/v2");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	run_probe("cgroup", &cg, v, ok, reasons, 0);
	for (int i = USAGE; i <= PSI_FULL; i++) {
		assert_string_equal(reasons[i], "");
		assert_true(ok[i]);
	}
	assert_int_equal((uint64_t)v[USAGE], 67108864);
	assert_int_equal((uint64_t)v[PEAK], 83886080);
	assert_int_equal((uint64_t)v[SWAP], 71303168 - 67108864);
	assert_int_equal((uint64_t)v[ANON], 52428800);
	assert_int_equal((uint64_t)v[FILEB], 10489856);
	assert_int_equal((uint64_t)v[OOM], 3);
	assert_int_equal((uint64_t)v[PSI_SOME], 1234567);
	assert_int_equal((uint64_t)v[PSI_FULL], 456789);
}

static void test_probe_v1(void **st)
{
	(void)st;
	soak_cg_paths_t cg;
	paths(&cg, SOAK_CG_V1, CG "/v1", "");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	run_probe("cgroup", &cg, v, ok, reasons, 0);
	assert_true(ok[USAGE] && ok[OOM]);
	assert_int_equal((uint64_t)v[OOM], 3);
	assert_false(ok[PSI_SOME] || ok[PSI_FULL]);
	assert_non_null(strstr(reasons[PSI_SOME], "no cgroup2 directory"));
	assert_non_null(strstr(reasons[PSI_FULL], "no cgroup2 directory"));
}

static void test_probe_v2(void **st)
{
	(void)st;
	soak_cg_paths_t cg;
	paths(&cg, SOAK_CG_V2, CG "/v2", CG "/v2");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	run_probe("cgroup", &cg, v, ok, reasons, 0);
	for (int i = USAGE; i <= PSI_FULL; i++)
		assert_true(ok[i]);
	assert_int_equal((uint64_t)v[USAGE], 62914560);
	assert_int_equal((uint64_t)v[PEAK], 73400320);
	assert_int_equal((uint64_t)v[SWAP], 1048576);
	assert_int_equal((uint64_t)v[ANON], 52428800);
	assert_int_equal((uint64_t)v[FILEB], 10489856);
	assert_int_equal((uint64_t)v[OOM], 2);
}

static void test_probe_missing_files(void **st)
{
	(void)st;
	/* v2 names in the v1 directory: nothing matches; every memory metric
	 * gets a reason naming the file, PSI still works. */
	soak_cg_paths_t cg;
	paths(&cg, SOAK_CG_V2, CG "/v1", CG "/v2");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	run_probe("cgroup", &cg, v, ok, reasons, 0);
	assert_non_null(strstr(reasons[USAGE], "memory.current"));
	assert_non_null(strstr(reasons[USAGE], "ENOENT"));
	assert_non_null(strstr(reasons[SWAP], "swap accounting"));
	assert_non_null(strstr(reasons[OOM], "memory.events"));
	assert_true(ok[PSI_SOME]);
	assert_false(ok[USAGE] || ok[PEAK] || ok[OOM]);
}

static void test_no_cgroup(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("cgroup");
	soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
	soak_probe_ctx_t ctx = { .pid = getpid(), .cg = &cg };
	char why[SOAK_REASON_MAX] = "";
	assert_true(p->supported(&ctx, why, sizeof(why)) < 0);
	assert_string_equal(why, "run without cgroups (--no-cgroup)");
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = NULL;
	assert_true(p->open(&s, &ctx, reasons) < 0);
	assert_null(s);
	for (size_t i = 0; i < p->n_metrics; i++)
		assert_string_equal(reasons[i], "run without cgroups (--no-cgroup)");
}

static void test_cpu_cgroup2(void **st)
{
	(void)st;
	soak_cg_paths_t cg;
	paths(&cg, SOAK_CG_HYBRID, CG "/v1", CG "/v2");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	run_probe("cpu", &cg, v, ok, reasons, 0);
	assert_true(ok[0] && ok[1]);
	assert_true(v[0] == 2.5);
	assert_true(v[1] == 1.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_stat),
		cmocka_unit_test(test_v2_stat),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_probe_hybrid),
		cmocka_unit_test(test_probe_v1),
		cmocka_unit_test(test_probe_v2),
		cmocka_unit_test(test_probe_missing_files),
		cmocka_unit_test(test_no_cgroup),
		cmocka_unit_test(test_cpu_cgroup2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
