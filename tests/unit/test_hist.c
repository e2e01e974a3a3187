/* test_hist.c - common/hist.c: quantiles against exact nearest-rank values
 * over 1 ns..60 s, merge == record-into-one, diff == second batch, encode /
 * decode round trips, and bucket bounds for every bucket. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak/hist.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Log-uniform in [lo, hi]. */
static uint64_t rnd_log(double lo, double hi)
{
	double u = (double)(rnd() >> 11) / 9007199254740992.0;
	uint64_t v = (uint64_t)llround(exp(log(lo) + u * (log(hi) - log(lo))));
	return v < (uint64_t)lo ? (uint64_t)lo : v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Quantiles as exact fractions, so the reference rank has no rounding. */
static const struct { double q; uint64_t num, den; } qs[] = {
	{ 0.5, 1, 2 }, { 0.9, 9, 10 }, { 0.99, 99, 100 }, { 0.999, 999, 1000 }, { 1.0, 1, 1 },
};

/* Record v[0..n), then check every quantile within 1% of the exact
 * nearest-rank value (rank = ceil(q n), 1-based, of the sorted values). */
static void check_quantiles(uint64_t *v, size_t n, const char *what)
{
	soak_hist_t *h = malloc(sizeof(*h));
	assert_non_null(h);
	soak_hist_init(h);
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		soak_hist_record(h, v[i]);
		sum += v[i];
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	assert_int_equal(h->count, n);
	assert_int_equal(h->sum, sum);
	assert_int_equal(h->min, v[0]);
	assert_int_equal(h->max, v[n - 1]);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t rank = (qs[k].num * n + qs[k].den - 1) / qs[k].den;
		if (rank < 1)
			rank = 1;
		double exact = (double)v[rank - 1];
		int ok = 0;
		double got = soak_hist_quantile(h, qs[k].q, &ok);
		assert_int_equal(ok, 1);
		double err = fabs(got - exact) / exact;
		if (err > 0.01)
			fail_msg("%s: p%g of %zu values: got %.1f, exact %.0f (error %.3f%%)", what,
				 qs[k].q * 100, n, got, exact, err * 100);
		if (exact < SOAK_HIST_LINEAR && got != exact)
			fail_msg("%s: p%g: %.1f, but values below %u are exact (%.0f)", what, qs[k].q * 100,
				 got, SOAK_HIST_LINEAR, exact);
	}
	/* The same histogram given by its non-empty buckets: the same values. */
	soak_hist_sparse_t *sp = malloc(sizeof(*sp));
	assert_non_null(sp);
	sp->n = 0;
	sp->count = h->count, sp->min = h->min, sp->max = h->max;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
		if (h->b[i]) {
			sp->idx[sp->n] = (uint16_t)i;
			sp->cnt[sp->n++] = h->b[i];
		}
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		double got = 0;
		soak_hist_quantiles_sparse(sp, &qs[k].q, 1, &got);
		if (got != soak_hist_quantile(h, qs[k].q, NULL))
			fail_msg("%s: sparse p%g %.1f != %.1f", what, qs[k].q * 100, got,
				 soak_hist_quantile(h, qs[k].q, NULL));
	}
	free(sp);
	free(h);
}

static void test_quantiles_log_uniform_1ns_60s(void **state)
{
	(void)state;
	size_t n = 200000;
	uint64_t *v = malloc(n * sizeof(*v));
	assert_non_null(v);
	for (size_t i = 0; i < n; i++)
		v[i] = rnd_log(1, 60e9);
	check_quantiles(v, n, "log-uniform 1ns..60s");
	free(v);
}

static void test_quantiles_many_shapes(void **state)
{
	(void)state;
	size_t cap = 100000;
	uint64_t *v = malloc(cap * sizeof(*v));
	assert_non_null(v);
	/* every decade on its own, so each quantile falls in a different octave */
	for (double lo = 1; lo < 60e9; lo *= 10) {
		for (size_t i = 0; i < 5000; i++)
			v[i] = rnd_log(lo, fmin(lo * 10, 60e9));
		check_quantiles(v, 5000, "one decade");
	}
	/* exact region */
	for (size_t i = 0; i < 10000; i++)
		v[i] = 1 + rnd() % 255;
	check_quantiles(v, 10000, "1..255 ns");
	/* seed 000's paging CCDF shape: half resident (~200 ns), half swap-in (~80 us) */
	for (size_t i = 0; i < 100000; i++)
		v[i] = (rnd() & 1) ? rnd_log(150, 300) : rnd_log(60000, 4000000);
	check_quantiles(v, 100000, "bimodal");
	/* sparse: few values far apart, where an off-by-one rank would show */
	for (size_t n = 1; n <= 200; n++) {
		for (size_t i = 0; i < n; i++)
			v[i] = (i + 1) * 1000003;
		check_quantiles(v, n, "sparse");
	}
	/* one value, repeated */
	for (size_t i = 0; i < 1000; i++)
		v[i] = 123456789;
	check_quantiles(v, 1000, "constant");
	/* the edges: 1 ns, 60 s, and bucket boundaries */
	size_t n = 0;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS && n + 2 < cap; i += 7) {
		v[n++] = soak_hist_bucket_low(i) ? soak_hist_bucket_low(i) : 1;
		v[n++] = soak_hist_bucket_high(i) ? soak_hist_bucket_high(i) : 1;
	}
	v[n++] = 60000000000ull;
	check_quantiles(v, n, "bucket edges");
	free(v);
}

static void test_quantile_empty_and_extremes(void **state)
{
	(void)state;
	soak_hist_t *h = malloc(sizeof(*h));
	soak_hist_init(h);
	int ok = 1;
	assert_true(soak_hist_quantile(h, 0.5, &ok) == 0.0);
	assert_int_equal(ok, 0);
	assert_true(soak_hist_mean(h) == 0.0);
	soak_hist_record(h, 70000000000ull); /* above the top bucket: clamped, max exact */
	assert_int_equal(soak_hist_index(70000000000ull), SOAK_HIST_BUCKETS - 1);
	assert_int_equal(h->max, 70000000000ull);
	assert_true(soak_hist_quantile(h, 1.0, &ok) == 70000000000.0);
	assert_true(soak_hist_quantile(h, 0.0, &ok) == 70000000000.0); /* clamped to min */
	soak_hist_record(h, 0);
	assert_int_equal(h->b[0], 1);
	assert_true(soak_hist_quantile(h, 0.5, &ok) == 0.0);
	free(h);
}

/* low(i) <= v <= high(i) maps back to i; buckets tile [0, 2^36) without gaps;
 * widths keep the relative error under 1/128. */
static void test_bucket_bounds_every_bucket(void **state)
{
	(void)state;
	uint64_t expect_low = 0;
	for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++) {
		uint64_t lo = soak_hist_bucket_low(i), hi = soak_hist_bucket_high(i);
		if (lo != expect_low)
			fail_msg("bucket %u starts at %llu, previous ended at %llu", i, (unsigned long long)lo,
				 (unsigned long long)expect_low - 1);
		assert_true(lo <= hi);
		assert_int_equal(soak_hist_index(lo), i);
		assert_int_equal(soak_hist_index(hi), i);
		assert_int_equal(soak_hist_index(lo + (hi - lo) / 2), i);
		if (lo >= SOAK_HIST_LINEAR)
			assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 128 + 1e-12);
		else
			assert_int_equal(lo, hi);
		expect_low = hi + 1;
	}
	assert_int_equal(expect_low, 1ull << (SOAK_HIST_MAX_EXP + 1));
	assert_true(60000000000ull < expect_low); /* 60 s fits */
}

static void fill_random(soak_hist_t *h, size_t n, double lo, double hi)
{
	for (size_t i = 0; i < n; i++)
		soak_hist_record(h, rnd_log(lo, hi));
}

static void assert_hist_equal(const soak_hist_t *a, const soak_hist_t *b)
{
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->sum, b->sum);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->max, b->max);
	assert_memory_equal(a->b, b->b, sizeof(a->b));
}

static void test_merge_equals_single(void **state)
{
	(void)state;
	enum { T = 8 };
	soak_hist_t *per = malloc(T * sizeof(*per)), *all = malloc(sizeof(*all)), *m = malloc(sizeof(*m));
	assert_non_null(per);
	soak_hist_init(all);
	soak_hist_init(m);
	uint64_t saved = rng_state;
	for (int t = 0; t < T; t++) {
		soak_hist_init(&per[t]);
		if (t == 3)
			continue; /* an idle thread: empty histogram */
		fill_random(&per[t], 10000 + (size_t)t * 977, 1 + t * 10, 1e6 * (t + 1));
	}
	rng_state = saved; /* the same values again, into one histogram */
	for (int t = 0; t < T; t++)
		if (t != 3)
			fill_random(all, 10000 + (size_t)t * 977, 1 + t * 10, 1e6 * (t + 1));
	for (int t = 0; t < T; t++)
		soak_hist_merge(m, &per[t]);
	assert_hist_equal(m, all);
	for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]); k++)
		assert_true(soak_hist_quantile(m, qs[k].q, NULL) == soak_hist_quantile(all, qs[k].q, NULL));
	free(per);
	free(all);
	free(m);
}

static void test_diff_equals_second_batch(void **state)
{
	(void)state;
	soak_hist_t *h = malloc(sizeof(*h)), *s1 = malloc(sizeof(*s1)), *s2 = malloc(sizeof(*s2));
	soak_hist_t *b = malloc(sizeof(*b)), *d = malloc(sizeof(*d));
	for (int round = 0; round < 3; round++) {
		soak_hist_init(h);
		soak_hist_init(b);
		fill_random(h, 50000, 10, 1e7);
		*s1 = *h;
		uint64_t saved = rng_state;
		/* round 1: the second batch holds a new maximum; round 2: empty */
		size_t n2 = round == 2 ? 0 : 30000;
		double hi2 = round == 1 ? 1e9 : 1e6;
		fill_random(h, n2, 100, hi2);
		rng_state = saved;
		fill_random(b, n2, 100, hi2);
		*s2 = *h;
		soak_hist_diff(d, s2, s1);
		assert_int_equal(d->count, b->count);
		assert_int_equal(d->sum, b->sum);
		assert_memory_equal(d->b, b->b, sizeof(d->b));
		if (!n2) {
			assert_int_equal(d->count, 0);
			continue;
		}
		/* extremes are bucket bounds unless exact: same bucket as the truth */
		assert_true(d->min <= b->min);
		assert_int_equal(soak_hist_index(d->min), soak_hist_index(b->min));
		assert_true(d->max >= b->max);
		assert_int_equal(soak_hist_index(d->max), soak_hist_index(b->max));
		if (round == 1)
			assert_int_equal(d->max, b->max);
		for (size_t k = 0; k < sizeof(qs) / sizeof(qs[0]) - 1; k++) {
			double x = soak_hist_quantile(d, qs[k].q, NULL), y = soak_hist_quantile(b, qs[k].q, NULL);
			assert_true(fabs(x - y) <= 0.01 * y);
		}
	}
	free(h);
	free(s1);
	free(s2);
	free(b);
	free(d);
}

static void test_encode_decode_roundtrip(void **state)
{
	(void)state;
	size_t len = 200000;
	char *buf = malloc(len);
	soak_hist_t *h = malloc(sizeof(*h)), *g = malloc(sizeof(*g));
	/* empty, small, wide, every bucket */
	for (int k = 0; k < 4; k++) {
		soak_hist_init(h);
		if (k == 1)
			fill_random(h, 10, 1, 1000);
		if (k == 2)
			fill_random(h, 100000, 1, 60e9);
		if (k == 3)
			for (unsigned i = 0; i < SOAK_HIST_BUCKETS; i++)
				soak_hist_record(h, soak_hist_bucket_high(i));
		int n = soak_hist_encode(h, buf, len);
		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(buf));
		memset(g, 0xab, sizeof(*g));
		assert_int_equal(soak_hist_decode(g, buf), 0);
		assert_memory_equal(h, g, sizeof(*h));
	}
	/* too small a buffer */
	assert_int_equal(soak_hist_encode(h, buf, 16), -ENOSPC);
	/* malformed input */
	assert_int_equal(soak_hist_decode(g, ""), -EINVAL);
	assert_int_equal(soak_hist_decode(g, "1 5 5"), -EINVAL);
	assert_int_equal(soak_hist_decode(g, "2 10 5 5 5:1"), -EINVAL);          /* count mismatch */
	assert_int_equal(soak_hist_decode(g, "1 5 5 5 99999:1"), -EINVAL);       /* index out of range */
	assert_int_equal(soak_hist_decode(g, "1 5 5 5 5-1"), -EINVAL);
	assert_int_equal(soak_hist_decode(g, "1 5 5 5 5:1 junk"), -EINVAL);
	assert_int_equal(soak_hist_decode(g, "1 5 5 5 5:1"), 0);
	assert_int_equal(g->b[5], 1);
	/* A database may come from anywhere: what the encoder cannot produce is
	 * refused, not turned into nonsense percentiles. */
	static const char *bad[] = {
		"2 10 5 5 5:1 5:1",            /* repeated bucket index */
		"2 11 5 6 6:1 5:1",            /* unsorted indexes */
		"1 5 5 5 5:2 6:-1",            /* negative count (totals 1) */
		"2 14 12 2 2:1 12:1",          /* min > max (a report said p50 6 ns > p90 2 ns) */
		"1 5 5 5 5:1 6:0",             /* an empty bucket is never written */
		"1 7 7 7 5:1",                 /* min outside its bucket */
		"1 5 5 9 5:1",                 /* max beyond... below the last bucket: ok? see below */
		"1 5 5 5 +5:1",                /* signs and spaces */
		"1 5 5 5 5: 1",
		"1 5 5 5 5:+1",
		"1  5 5 5 5:1",
		"0 0 3 4",                     /* empty, yet a min and a max */
		"0 0 0 0 5:9223372036854775808 6:9223372036854775808", /* wraps to 0 */
		"1 5 5 5 5:1 ",
		"18446744073709551616 0 0 0",  /* > UINT64_MAX */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i == 6)
			continue;
		if (soak_hist_decode(g, bad[i]) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
	}
	/* A max beyond its bucket is possible (a torn read in the shared
	 * histogram: the max is written before the bucket); below the last
	 * non-empty bucket it is not. */
	assert_int_equal(soak_hist_decode(g, "1 5 5 9 5:1"), 0);
	assert_int_equal(soak_hist_decode(g, "2 14 5 6 5:1 12:1"), -EINVAL);
	assert_int_equal(soak_hist_decode(g, "2 17 5 12 5:1 12:1"), 0);
	free(buf);
	free(h);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds_every_bucket),
		cmocka_unit_test(test_quantiles_log_uniform_1ns_60s),
		cmocka_unit_test(test_quantiles_many_shapes),
		cmocka_unit_test(test_quantile_empty_and_extremes),
		cmocka_unit_test(test_merge_equals_single),
		cmocka_unit_test(test_diff_equals_second_batch),
		cmocka_unit_test(test_encode_decode_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
