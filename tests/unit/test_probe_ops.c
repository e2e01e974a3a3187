/* test_probe_ops.c - the ops probe on a worker shared-memory block built in
 * the test: operation totals, live bytes, per-interval latency percentiles
 * (invalid when nothing was timed), the cumulative snapshot. */
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
#include "probe-ops.h"

enum { OPS, LIVE, USABLE, P50, P90, P99, P999, MAX };

#define EXEC_LIVE "exec commands: the suite cannot see what the program holds; declare a self-report key"

static soak_shm_t *new_shm(unsigned nthreads, uint32_t every)
{
	soak_shm_t *shm = calloc(1, sizeof(*shm));
	assert_non_null(shm);
	shm->magic = SOAK_SHM_MAGIC;
	shm->version = SOAK_SHM_VERSION;
	shm->nthreads = nthreads;
	shm->latency_every = every;
	shm->usable_on = 1;
	shm->state = SOAK_WS_RUNNING;
	for (unsigned i = 0; i < SOAK_MAX_THREADS; i++)
		soak_hist_init(&shm->thr[i].lat);
	return shm;
}

static void *open_ops(soak_shm_t *shm, char (*reasons)[SOAK_REASON_MAX])
{
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_probe_ctx_t ctx = { .pid = 1, .shm = shm, .interval_s = 1 };
	char why[SOAK_REASON_MAX];
	assert_int_equal(p->supported(&ctx, why, sizeof(why)), 0);
	void *s = NULL;
	assert_int_equal(p->open(&s, &ctx, reasons), 0);
	return s;
}

static void test_intervals(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = new_shm(2, 1);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = open_ops(shm, reasons);
	for (size_t i = 0; i < p->n_metrics; i++)
		assert_string_equal(reasons[i], "");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];

	/* Nothing yet: 0 ops is a true 0; no latency is invalid. */
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[OPS] && v[OPS] == 0);
	assert_false(ok[P50] || ok[P90] || ok[P99] || ok[P999] || ok[MAX]);

	/* Interval 1: thread 0 times 1..100 ns, thread 1 times 101..200. */
	for (uint64_t i = 1; i <= 100; i++) {
		soak_hist_record(&shm->thr[0].lat, i);
		soak_hist_record(&shm->thr[1].lat, 100 + i);
	}
	shm->thr[0].ops = 1000;
	shm->thr[1].ops = 500;
	shm->thr[0].bytes_live = 4096;
	shm->thr[1].bytes_live = 1024;
	shm->thr[2].ops = 99999;   /* beyond nthreads: not counted */
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(v[OPS] == 1500);
	assert_true(v[LIVE] == 5120);
	for (int i = P50; i <= MAX; i++)
		assert_true(ok[i]);
	assert_true(v[P50] == 100);
	assert_true(v[P90] == 180);
	assert_true(v[P99] == 198);
	assert_true(v[P999] == 200);
	assert_true(v[MAX] == 200);

	/* Interval 2: no timed op -> invalid, not 0; ops still valid. */
	shm->thr[0].ops = 1200;
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[OPS] && v[OPS] == 1700);
	assert_false(ok[P50] || ok[MAX]);

	/* Interval 3: only this interval's values count: 10 x 1000 ns, one 5000. */
	for (int i = 0; i < 10; i++)
		soak_hist_record(&shm->thr[1].lat, 1000);
	soak_hist_record(&shm->thr[0].lat, 5000);
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[P50]);
	assert_true(v[P50] >= 992 && v[P50] <= 1008);   /* bucket midpoint, < 0.8% */
	assert_true(v[MAX] == 5000);                     /* exact: set in this interval */

	soak_hist_t *all = malloc(sizeof(*all));
	assert_non_null(all);
	soak_probe_ops_snapshot(shm, all);
	assert_int_equal(all->count, 211);
	assert_int_equal(all->min, 1);
	assert_int_equal(all->max, 5000);
	free(all);
	p->close(s);
	free(shm);
}

static void test_no_shm(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_probe_ctx_t ctx = { .pid = 1, .shm = NULL };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = NULL;
	/* Unusable at open, with a reason per metric: live bytes say how an
	 * exec command could report them. */
	assert_true(p->open(&s, &ctx, reasons) < 0);
	for (size_t i = 0; i < p->n_metrics; i++)
		assert_string_equal(reasons[i], i == LIVE || i == USABLE ? EXEC_LIVE
									   : "external command: no operation counter");
}

/* exec --repeat runs under soak's driver (shm present): its counters hold
 * no block of the program, so live bytes are NULL with the exec reason;
 * bytes_usable not turned on says how to turn it on. */
static void test_live_reasons(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = new_shm(1, 1);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	soak_probe_ctx_t ctx = { .pid = 1, .shm = shm, .interval_s = 1, .exclude_root = true };
	void *s = NULL;
	assert_int_equal(p->open(&s, &ctx, reasons), 0);
	assert_string_equal(reasons[LIVE], EXEC_LIVE);
	assert_string_equal(reasons[USABLE], EXEC_LIVE);
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[OPS] && !ok[LIVE] && !ok[USABLE]);
	p->close(s);

	memset(reasons, 0, sizeof(reasons));
	shm->usable_on = 0;
	snprintf(shm->usable_why, sizeof(shm->usable_why), "not measured: costs 9%% throughput; turn on with --usable-bytes");
	ctx.exclude_root = false;
	assert_int_equal(p->open(&s, &ctx, reasons), 0);
	assert_string_equal(reasons[LIVE], "");
	assert_string_equal(reasons[USABLE], shm->usable_why);
	shm->thr[0].bytes_live = 4242;
	assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
	assert_true(ok[LIVE] && v[LIVE] == 4242 && !ok[USABLE]);
	p->close(s);
	free(shm);
}

static void test_timing_off(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = new_shm(1, 0);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = open_ops(shm, reasons);
	assert_string_equal(reasons[OPS], "");
	for (int i = P50; i <= MAX; i++)
		assert_non_null(strstr(reasons[i], "latency timing off"));
	p->close(s);
	free(shm);
}

static void test_bad_magic(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = new_shm(1, 1);
	shm->magic = 0;
	soak_probe_ctx_t ctx = { .pid = 1, .shm = shm };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = NULL;
	assert_true(p->open(&s, &ctx, reasons) < 0);
	assert_true(reasons[OPS][0] != '\0');
	free(shm);
}

/* The probe's one-pass interval histogram gives exactly what the plain path
 * gives: a cumulative snapshot, soak_hist_diff against the previous one and
 * soak_hist_quantile. 3 threads, 40 intervals of random latencies spanning
 * the linear and log buckets, empty intervals, and torn reads (a bucket that
 * looks smaller than at the previous sample). */
static void test_matches_plain_path(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = new_shm(3, 1);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *s = open_ops(shm, reasons);
	soak_hist_t *snap[2] = { malloc(sizeof(soak_hist_t)), malloc(sizeof(soak_hist_t)) };
	soak_hist_t *diff = malloc(sizeof(soak_hist_t));
	assert_true(snap[0] && snap[1] && diff);
	soak_hist_init(snap[0]);
	int cur = 1;
	uint64_t x = 88172645463325252ull;
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	unsigned checked = 0;
	for (int iv = 0; iv < 40; iv++) {
		unsigned nrec = iv % 7 == 3 ? 0 : 1 + iv * 37 % 500;
		for (unsigned r = 0; r < nrec; r++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint64_t val = (x & 0xff) < 200 ? x % 300 : (x >> 8) % (1ull << (8 + x % 24));
			soak_hist_record(&shm->thr[x % 3].lat, val);
		}
		if (iv % 9 == 5) {   /* a torn read: one bucket looks smaller */
			for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
				if (shm->thr[1].lat.b[i]) {
					shm->thr[1].lat.b[i]--;
					break;
				}
		}
		double v[SOAK_PROBE_MAX_METRICS];
		bool ok[SOAK_PROBE_MAX_METRICS];
		assert_int_equal(soak_probe_sample_all(p, s, v, ok), 0);
		soak_probe_ops_snapshot(shm, snap[cur]);
		soak_hist_diff(diff, snap[cur], snap[!cur]);
		cur = !cur;
		assert_int_equal(ok[MAX], diff->count > 0);
		if (!diff->count)
			continue;
		for (int q = 0; q < 4; q++) {
			int qok = 0;
			double want = soak_hist_quantile(diff, qs[q], &qok);
			assert_true(qok && ok[P50 + q]);
			if (v[P50 + q] != want)
				fail_msg("interval %d q %.3f: probe %.1f, plain path %.1f", iv, qs[q], v[P50 + q], want);
		}
		assert_true(v[MAX] == (double)diff->max);
		checked++;
	}
	assert_true(checked >= 30);
	free(snap[0]);
	free(snap[1]);
	free(diff);
	p->close(s);
	free(shm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_no_shm),
		cmocka_unit_test(test_live_reasons),
		cmocka_unit_test(test_timing_off),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_matches_plain_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
