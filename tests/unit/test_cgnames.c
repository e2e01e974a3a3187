/* test_cgnames.c - the one v1/v2 cgroup name table (the recovery guard is in
 * test_cgroup_kill.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup.h"
#include "cgnames.h"

static void test_file_table(void **state)
{
	(void)state;
	static const struct { soak_cg_file_t f; const char *v1, *v2; } rows[] = {
		{ SOAK_CGF_MEM_LIMIT, "memory.limit_in_bytes", "memory.max" },
		{ SOAK_CGF_SWAP_LIMIT, "memory.memsw.limit_in_bytes", "memory.swap.max" },
		{ SOAK_CGF_MEM_USAGE, "memory.usage_in_bytes", "memory.current" },
		{ SOAK_CGF_MEM_PEAK, "memory.max_usage_in_bytes", "memory.peak" },
		{ SOAK_CGF_MEM_STAT, "memory.stat", "memory.stat" },
		{ SOAK_CGF_OOM_EVENTS, "memory.oom_control", "memory.events" },
		{ SOAK_CGF_SWAP_USAGE, "memory.memsw.usage_in_bytes", "memory.swap.current" },
		{ SOAK_CGF_CPU_QUOTA, "cpu.cfs_quota_us", "cpu.max" },
		{ SOAK_CGF_CPU_PERIOD, "cpu.cfs_period_us", NULL },
	};
	assert_int_equal(sizeof(rows) / sizeof(rows[0]), SOAK_CGF__COUNT);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_string_equal(soak_cg_file(SOAK_CG_V1, rows[i].f), rows[i].v1);
		assert_string_equal(soak_cg_file(SOAK_CG_HYBRID, rows[i].f), rows[i].v1);
		if (rows[i].v2)
			assert_string_equal(soak_cg_file(SOAK_CG_V2, rows[i].f), rows[i].v2);
		else
			assert_null(soak_cg_file(SOAK_CG_V2, rows[i].f));
		assert_null(soak_cg_file(SOAK_CG_NONE, rows[i].f));
	}
	assert_null(soak_cg_file(SOAK_CG_V1, SOAK_CGF__COUNT));
}

static void test_stat_keys_and_modes(void **state)
{
	(void)state;
	assert_string_equal(soak_cg_stat_key(SOAK_CG_V1, "anon"), "total_rss");
	assert_string_equal(soak_cg_stat_key(SOAK_CG_V2, "anon"), "anon");
	assert_string_equal(soak_cg_stat_key(SOAK_CG_HYBRID, "file"), "total_cache");
	assert_string_equal(soak_cg_stat_key(SOAK_CG_V2, "file"), "file");
	assert_string_equal(soak_cg_stat_key(SOAK_CG_V1, "swap"), "total_swap");
	assert_null(soak_cg_stat_key(SOAK_CG_V2, "swap"));
	assert_null(soak_cg_stat_key(SOAK_CG_V1, "nonsense"));
	/* the v1 limits in force, read by the paging workload */
	assert_string_equal(soak_cg_stat_key(SOAK_CG_V1, "memory_limit"), "hierarchical_memory_limit");
	assert_string_equal(soak_cg_stat_key(SOAK_CG_HYBRID, "memsw_limit"), "hierarchical_memsw_limit");
	assert_null(soak_cg_stat_key(SOAK_CG_V2, "memory_limit"));
	assert_string_equal(soak_cg_mode_name(SOAK_CG_V1), "v1");
	assert_string_equal(soak_cg_mode_name(SOAK_CG_HYBRID), "hybrid");
	assert_string_equal(soak_cg_mode_name(SOAK_CG_V2), "v2");
	assert_string_equal(soak_cg_mode_name(SOAK_CG_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_table),
		cmocka_unit_test(test_stat_keys_and_modes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
