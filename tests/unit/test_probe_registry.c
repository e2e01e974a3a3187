/* test_probe_registry.c - every registered probe is well formed: unique probe
 * names, metric names unique across ALL probes, required hooks present, metric
 * tables sane. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"

static bool snake_case(const char *s)
{
	if (!s || !islower((unsigned char)s[0]))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

static void test_hooks(void **st)
{
	(void)st;
	assert_true(soak_n_probes >= 5);
	for (size_t i = 0; i < soak_n_probes; i++) {
		const soak_probe_ops_t *p = soak_probes[i];
		assert_non_null(p);
		assert_true(snake_case(p->name));
		assert_non_null(p->metrics);
		assert_true(p->n_metrics > 0 && p->n_metrics <= SOAK_PROBE_MAX_METRICS);
		assert_non_null(p->supported);
		assert_non_null(p->open);
		assert_true(p->sample || p->sample_slow);
		assert_non_null(p->close);
		assert_ptr_equal(soak_probe_find(p->name), p);
		p->close(NULL);   /* must be a no-op */
	}
	assert_null(soak_probe_find("no-such-probe"));
}

static void test_unique_probe_names(void **st)
{
	(void)st;
	for (size_t i = 0; i < soak_n_probes; i++)
		for (size_t j = i + 1; j < soak_n_probes; j++)
			assert_string_not_equal(soak_probes[i]->name, soak_probes[j]->name);
}

static void test_metrics(void **st)
{
	(void)st;
	static const char *const units[] = { "bytes", "count", "ops", "ns", "s", "us", "pct" };
	for (size_t i = 0; i < soak_n_probes; i++) {
		const soak_probe_ops_t *p = soak_probes[i];
		for (size_t m = 0; m < p->n_metrics; m++) {
			const soak_metric_def_t *d = &p->metrics[m];
			assert_true(snake_case(d->name));
			assert_non_null(d->desc);
			assert_true(strlen(d->desc) > 0);
			assert_true(d->kind == SOAK_GAUGE || d->kind == SOAK_COUNTER);
			bool unit_ok = false;
			for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
				unit_ok |= d->unit && !strcmp(d->unit, units[u]);
			if (!unit_ok)
				fail_msg("%s.%s: unit %s", p->name, d->name, d->unit ? d->unit : "(null)");
			/* Unique across all probes: the database keys samples by name. */
			for (size_t j = i; j < soak_n_probes; j++) {
				const soak_probe_ops_t *q = soak_probes[j];
				for (size_t n = j == i ? m + 1 : 0; n < q->n_metrics; n++)
					if (!strcmp(d->name, q->metrics[n].name))
						fail_msg("metric %s in %s and %s", d->name, p->name, q->name);
			}
		}
	}
}

/* The names the runner, the reports and docs/metrics-probes.md use. */
static void test_expected_names(void **st)
{
	(void)st;
	static const char *const want[][2] = {
		{ "proc", "rss_bytes" }, { "proc", "rss_anon_bytes" }, { "proc", "rss_file_bytes" },
		{ "proc", "swap_bytes" }, { "proc", "minflt" }, { "proc", "majflt" },
		{ "proc", "nprocs" }, { "proc", "nthreads" },
		{ "cgroup", "cg_mem_usage_bytes" }, { "cgroup", "cg_mem_peak_bytes" },
		{ "cgroup", "cg_swap_bytes" }, { "cgroup", "cg_anon_bytes" }, { "cgroup", "cg_file_bytes" },
		{ "cgroup", "cg_oom_kill" }, { "cgroup", "psi_mem_some_us" }, { "cgroup", "psi_mem_full_us" },
		{ "cpu", "cpu_user_s" }, { "cpu", "cpu_sys_s" },
		{ "ops", "ops_total" }, { "ops", "bytes_live" }, { "ops", "bytes_usable" }, { "ops", "lat_p50_ns" },
		{ "ops", "lat_p90_ns" }, { "ops", "lat_p99_ns" }, { "ops", "lat_p999_ns" },
		{ "ops", "lat_max_ns" },
		{ "perf", "sc_mmap" }, { "perf", "sc_munmap" }, { "perf", "sc_mremap" },
		{ "perf", "sc_madvise" }, { "perf", "sc_brk" }, { "perf", "sc_mprotect" },
		{ "perf", "sc_mlock" }, { "perf", "sc_munlock" }, { "perf", "sc_madvise_dontneed" },
		{ "perf", "sc_madvise_free" }, { "perf", "sc_madvise_hugepage" },
		{ "perf", "sc_madvise_willneed" }, { "perf", "sc_madvise_other" },
		{ "perf", "pf_minor" }, { "perf", "pf_major" }, { "perf", "ctx_switches" },
		{ "alloc", "alloc_allocated_bytes" }, { "alloc", "alloc_active_bytes" },
		{ "alloc", "alloc_resident_bytes" }, { "alloc", "alloc_mapped_bytes" },
		{ "alloc", "alloc_retained_bytes" }, { "alloc", "alloc_free_bytes" },
	};
	size_t total = 0;
	for (size_t i = 0; i < soak_n_probes; i++)
		total += soak_probes[i]->n_metrics;
	assert_int_equal(total, sizeof(want) / sizeof(want[0]));
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		const soak_probe_ops_t *p = soak_probe_find(want[w][0]);
		assert_non_null(p);
		bool found = false;
		for (size_t m = 0; m < p->n_metrics; m++)
			found |= !strcmp(p->metrics[m].name, want[w][1]);
		if (!found)
			fail_msg("%s has no metric %s", want[w][0], want[w][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks),
		cmocka_unit_test(test_unique_probe_names),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_expected_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
