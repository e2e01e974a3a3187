/* test_replay_objs.c - the replay's table of live objects
 * (workloads/replay-objs.c) against ground truth: every id put is found
 * with its block until removed and never after; a table far too small
 * grows by levels and still finds all; a million allocations with at most
 * 100 live at once stay in the first level of 1024 slots (the table is
 * sized by live objects, not by the trace); a long-lived object moves only
 * the id whose slot it holds to the level above; dead objects are kept, not
 * found, and found again once revived; two threads putting while two
 * others wait for and remove every id find each exactly once.
 *
 * The worker is an executable, so the source is compiled in here, with the
 * worker's metadata allocator (mmap) written out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/mman.h>

#include "../../workloads/replay-objs.c"

void *soak_wl_meta_alloc(size_t size)
{
	void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void soak_wl_meta_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}

static rp_obj_t *put(rp_objs_t *t, uint64_t id)
{
	rp_obj_t fill = { .p = (void *)(uintptr_t)(id * 16), .size = id + 1, .owner = (uint32_t)(id % 7) };
	return rp_objs_put(t, id, &fill);
}

static int count(rp_obj_t *o, void *arg)
{
	(void)o;
	++*(size_t *)arg;
	return 0;
}

static void test_put_find_remove(void **state)
{
	(void)state;
	rp_objs_t t;
	assert_int_equal(rp_objs_init(&t, 100, false), 0);
	for (uint64_t id = 1; id <= 300; id++)
		assert_non_null(put(&t, id));
	for (uint64_t id = 1; id <= 300; id++) {
		rp_obj_t *o = rp_objs_find(&t, id);
		assert_non_null(o);
		assert_ptr_equal(o->p, (void *)(uintptr_t)(id * 16));
		assert_int_equal(o->size, id + 1);
		assert_int_equal(o->owner, id % 7);
		assert_int_equal(rp_obj_id(o), id);
	}
	assert_null(rp_objs_find(&t, 301));
	for (uint64_t id = 1; id <= 300; id += 2)
		rp_objs_remove(rp_objs_find(&t, id), false);
	for (uint64_t id = 1; id <= 300; id++)
		assert_true((rp_objs_find(&t, id) != NULL) == (id % 2 == 0));
	size_t n = 0;
	rp_objs_each(&t, count, &n);
	assert_int_equal(n, 150);
	rp_objs_destroy(&t);
}

static void test_grows_by_levels(void **state)
{
	(void)state;
	rp_objs_t t;
	assert_int_equal(rp_objs_init(&t, 1, false), 0);   /* 1024 slots */
	assert_int_equal(rp_objs_bytes(&t), 1024 * sizeof(rp_obj_t));
	for (uint64_t id = 1; id <= 20000; id++)
		assert_non_null(put(&t, id));
	assert_true(t.levels > 1);
	for (uint64_t id = 1; id <= 20000; id++) {
		rp_obj_t *o = rp_objs_find(&t, id);
		assert_non_null(o);
		assert_int_equal(o->size, id + 1);
	}
	size_t n = 0;
	rp_objs_each(&t, count, &n);
	assert_int_equal(n, 20000);
	rp_objs_destroy(&t);
}

static void test_sized_by_live_objects(void **state)
{
	(void)state;
	rp_objs_t t;
	assert_int_equal(rp_objs_init(&t, 100, true), 0);   /* one thread: no compare-and-swap */
	for (uint64_t id = 1; id <= 1000000; id++) {
		assert_non_null(put(&t, id));
		if (id > 100)
			rp_objs_remove(rp_objs_find(&t, id - 100), false);
	}
	assert_int_equal(t.levels, 1);
	assert_int_equal(rp_objs_bytes(&t), 1024 * sizeof(rp_obj_t));
	size_t n = 0;
	rp_objs_each(&t, count, &n);
	assert_int_equal(n, 100);
	rp_objs_destroy(&t);
}

/* A long-lived object in the way sends only the id whose slot it holds to
 * the level above; the ids after it keep their own slots (no shift). */
static void test_long_lived_in_the_way(void **state)
{
	(void)state;
	rp_objs_t t;
	assert_int_equal(rp_objs_init(&t, 100, true), 0);   /* 1024 slots */
	assert_non_null(put(&t, 7));                         /* never freed */
	for (uint64_t id = 8; id <= 100000; id++) {
		rp_obj_t *o = put(&t, id);
		assert_non_null(o);
		if ((id & 1023) == 7)
			assert_true(o < t.slot[0] || o >= t.slot[0] + 1024);
		else
			assert_ptr_equal(o, &t.slot[0][id & 1023]);
		if (id >= 108)
			rp_objs_remove(rp_objs_find(&t, id - 100), false);
	}
	assert_ptr_equal(rp_objs_find(&t, 7), &t.slot[0][7]);
	assert_int_equal(t.levels, 2);
	rp_objs_destroy(&t);
}

static void test_dead_and_revived(void **state)
{
	(void)state;
	rp_objs_t t;
	assert_int_equal(rp_objs_init(&t, 10, false), 0);
	rp_obj_t *o = put(&t, 42);
	rp_objs_remove(o, true);
	assert_null(rp_objs_find(&t, 42));
	assert_true(rp_obj_dead(o));
	assert_int_equal(rp_obj_id(o), 42);
	size_t n = 0;
	rp_objs_each(&t, count, &n);
	assert_int_equal(n, 1);
	rp_objs_revive(o, (void *)0x1000);
	assert_ptr_equal(rp_objs_find(&t, 42), o);
	assert_false(rp_obj_dead(o));
	assert_ptr_equal(o->p, (void *)0x1000);
	rp_objs_destroy(&t);
}

/* Two putters (even and odd ids), two removers waiting for each id of the
 * other parity, as cross-thread frees do. */
enum { N_IDS = 200000 };
static rp_objs_t shared;
static uint8_t seen[N_IDS + 2];

static void *putter(void *arg)
{
	for (uint64_t id = 1 + (uintptr_t)arg; id <= N_IDS; id += 2)
		if (!put(&shared, id))
			return (void *)1;
	return NULL;
}

static void *remover(void *arg)
{
	for (uint64_t id = 1 + (uintptr_t)arg; id <= N_IDS; id += 2) {
		rp_obj_t *o;
		while (!(o = rp_objs_find(&shared, id)))
			sched_yield();
		if (o->p != (void *)(uintptr_t)(id * 16))
			return (void *)1;
		seen[id]++;
		rp_objs_remove(o, false);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	assert_int_equal(rp_objs_init(&shared, 64, false), 0);
	pthread_t th[4];
	for (uintptr_t i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&th[i], NULL, putter, (void *)i), 0);
		assert_int_equal(pthread_create(&th[2 + i], NULL, remover, (void *)(1 - i)), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *rc;
		pthread_join(th[i], &rc);
		assert_null(rc);
	}
	for (uint64_t id = 1; id <= N_IDS; id++)
		assert_int_equal(seen[id], 1);
	size_t n = 0;
	rp_objs_each(&shared, count, &n);
	assert_int_equal(n, 0);
	rp_objs_destroy(&shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_find_remove),   cmocka_unit_test(test_grows_by_levels),
		cmocka_unit_test(test_sized_by_live_objects), cmocka_unit_test(test_long_lived_in_the_way),
		cmocka_unit_test(test_dead_and_revived),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
