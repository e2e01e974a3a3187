/* test_probe_alloc.c - the alloc probe on a shared-memory block built here:
 * a figure the running allocator does not offer is NULL from the start with a
 * reason naming the allocator; no statistics interface gives every figure the
 * runner's reason; a set is read only when the sequence lock says it is
 * whole; exec commands have none. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "probe.h"

static soak_shm_t *new_shm(uint32_t kind)
{
	soak_shm_t *shm = calloc(1, sizeof(*shm));
	assert_non_null(shm);
	shm->magic = SOAK_SHM_MAGIC;
	shm->version = SOAK_SHM_VERSION;
	shm->nthreads = 1;
	shm->astats.kind = kind;
	shm->astats.period_ms = 100;
	return shm;
}

static void publish(soak_shm_t *shm, uint64_t have, uint64_t base)
{
	soak_shm_astats_t *a = &shm->astats;
	a->seq++;
	for (int i = 0; i < SOAK_ASTAT__N; i++)
		a->val[i] = base + (uint64_t)i;
	a->have = have;
	a->reads++;
	a->seq++;
}

static void test_jemalloc(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("alloc");
	assert_non_null(p);
	soak_shm_t *shm = new_shm(SOAK_ASTATS_JEMALLOC);
	soak_probe_ctx_t ctx = { .pid = 1, .shm = shm, .interval_s = 1 };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	char why[SOAK_REASON_MAX];
	assert_int_equal(p->supported(&ctx, why, sizeof(why)), 0);
	void *s = NULL;
	assert_int_equal(p->open(&s, &ctx, reasons), 0);
	for (int i = 0; i < SOAK_ASTAT__N; i++)
		assert_string_equal(reasons[i], i == SOAK_ASTAT_FREE ? "jemalloc offers no free-bytes figure" : "");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	/* Nothing published yet: no figure, not 0. */
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	for (int i = 0; i < SOAK_ASTAT__N; i++)
		assert_false(ok[i]);
	/* A whole set; a figure the worker could not read stays NULL, and a
	 * figure the kind does not offer never shows even if set. */
	publish(shm, 0x3f & ~(1u << SOAK_ASTAT_RETAINED), 1000);
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[SOAK_ASTAT_ALLOCATED] && v[SOAK_ASTAT_ALLOCATED] == 1000);
	assert_true(ok[SOAK_ASTAT_MAPPED] && v[SOAK_ASTAT_MAPPED] == 1003);
	assert_false(ok[SOAK_ASTAT_RETAINED]);
	assert_false(ok[SOAK_ASTAT_FREE]);
	/* Mid-write (odd sequence): not read. */
	shm->astats.seq++;
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_false(ok[SOAK_ASTAT_ALLOCATED]);
	p->close(s);
	free(shm);
}

static void test_kinds(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("alloc");
	static const struct { uint32_t kind; int metric; const char *why; } want[] = {
		{ SOAK_ASTATS_GLIBC, SOAK_ASTAT_ALLOCATED, "" },
		{ SOAK_ASTATS_GLIBC, SOAK_ASTAT_ACTIVE, "glibc (mallinfo2) offers no active-pages figure" },
		{ SOAK_ASTATS_GLIBC, SOAK_ASTAT_FREE, "" },
		{ SOAK_ASTATS_TCMALLOC, SOAK_ASTAT_RETAINED, "" },
		{ SOAK_ASTATS_TCMALLOC, SOAK_ASTAT_RESIDENT, "tcmalloc offers no resident estimate" },
		{ SOAK_ASTATS_MIMALLOC, SOAK_ASTAT_MAPPED, "" },
		{ SOAK_ASTATS_MIMALLOC, SOAK_ASTAT_ALLOCATED,
		  "mimalloc (mi_process_info) offers no allocated-bytes figure, only committed memory (alloc_mapped_bytes)" },
	};
	for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
		soak_shm_t *shm = new_shm(want[w].kind);
		soak_probe_ctx_t ctx = { .pid = 1, .shm = shm, .interval_s = 1 };
		char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
		void *s = NULL;
		assert_int_equal(p->open(&s, &ctx, reasons), 0);
		assert_string_equal(reasons[want[w].metric], want[w].why);
		p->close(s);
		free(shm);
	}
}

static void test_none(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("alloc");
	soak_shm_t *shm = new_shm(SOAK_ASTATS_NONE);
	snprintf(shm->astats.why, sizeof(shm->astats.why),
		 "allocator /x/libfoo.so offers no statistics interface soak knows; declare one in soak.ini");
	soak_probe_ctx_t ctx = { .pid = 1, .shm = shm, .interval_s = 1 };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = NULL;
	assert_true(p->open(&s, &ctx, reasons) < 0);
	for (int i = 0; i < SOAK_ASTAT__N; i++)
		assert_string_equal(reasons[i], shm->astats.why);
	/* exec commands: none either, said as such */
	char why[SOAK_REASON_MAX] = "";
	soak_probe_ctx_t ex = { .pid = 1, .shm = NULL };
	assert_true(p->supported(&ex, why, sizeof(why)) < 0);
	assert_non_null(strstr(why, "exec commands"));
	ex.shm = shm;
	ex.exclude_root = true;
	assert_true(p->supported(&ex, why, sizeof(why)) < 0);
	free(shm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jemalloc),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
