/* test_probe_selfreport.c - the "[TAG] key=value" self-report parser: chunk
 * splits at every byte position, interleaving with other output, no final
 * newline, last value wins, and the known syscall-total format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "selfreport.h"

static const char seed_line[] =
	"[SS_OS_STATS] alloc=9 free=10 madvise=9 madvise_enomem=0 madvise_other=0 "
	"madvise_disabled=0 mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0";

/* Records every callback as "TAG.key=value;" for comparison. */
typedef struct {
	char log[8192];
	size_t len;
	int calls;
} rec_t;

static void rec_cb(void *arg, const char *tag, const char *key, double value)
{
	rec_t *r = arg;
	int n = snprintf(r->log + r->len, sizeof(r->log) - r->len, "%s.%s=%g;", tag, key, value);
	assert_true(n > 0 && (size_t)n < sizeof(r->log) - r->len);
	r->len += (size_t)n;
	r->calls++;
}

static void parse_all(const char *text, size_t len, rec_t *r)
{
	soak_selfreport_t p;
	memset(r, 0, sizeof(*r));
	soak_selfreport_init(&p, rec_cb, r);
	soak_selfreport_feed(&p, text, len);
	soak_selfreport_flush(&p);
}

static void test_seed_line(void **st)
{
	(void)st;
	soak_sr_store_t s;
	soak_sr_store_init(&s);
	soak_selfreport_t p;
	soak_selfreport_init(&p, soak_sr_store_put, &s);
	soak_selfreport_feed(&p, seed_line, strlen(seed_line));
	assert_int_equal(s.n, 0);               /* no newline yet */
	soak_selfreport_flush(&p);              /* EOF without newline */
	assert_int_equal(s.n, 10);
	double v;
	assert_int_equal(soak_sr_store_get(&s, "SS_OS_STATS", "free", &v), 0);
	assert_true(v == 10);
	assert_int_equal(soak_sr_store_get(&s, "SS_OS_STATS", "huge_fail", &v), 0);
	assert_true(v == 0);
	assert_int_equal(soak_selfreport_syscalls("SS_OS_STATS", soak_sr_store_get, &s, &v), 0);
	assert_true(v == 18);                   /* mmap_total + madvise */
	const char *tag;
	assert_int_equal(soak_selfreport_syscalls_any(soak_sr_store_get, &s, &tag, &v), 0);
	assert_string_equal(tag, "SS_OS_STATS");
	assert_true(v == 18);
	assert_int_equal(soak_selfreport_syscalls("OTHER", soak_sr_store_get, &s, &v), -ENOENT);
}

static void test_syscalls_missing_key(void **st)
{
	(void)st;
	soak_sr_store_t s;
	soak_sr_store_init(&s);
	soak_sr_store_put(&s, "SS_OS_STATS", "mmap_total", 4);
	double v = -1;
	assert_int_equal(soak_selfreport_syscalls("SS_OS_STATS", soak_sr_store_get, &s, &v), -ENODATA);
	assert_true(v == -1);
	const char *tag = NULL;
	assert_int_equal(soak_selfreport_syscalls_any(soak_sr_store_get, &s, &tag, &v), -ENOENT);
}

static const char stream[] =
	"starting worker\n"
	"[SS_OS_STATS] alloc=1 madvise=2 mmap_total=3\r\n"
	"noise [X] ignored=abc n=-4 f=2.5e3 g=.5 h=1. bad=1x e=1e k=3,\n"
	"progress 50% [Y_2] a=1 [Z] b=2\n"
	"no tag here a=1\n"
	"[bad tag] c=1\n"
	"[T]x=1\n"
	"\n"
	"[SS_OS_STATS] alloc=9 free=10 madvise=9 madvise_enomem=0 madvise_other=0 madvise_disabled=0 mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0";

static const char expect[] =
	"SS_OS_STATS.alloc=1;SS_OS_STATS.madvise=2;SS_OS_STATS.mmap_total=3;"
	"X.n=-4;X.f=2500;X.g=0.5;X.h=1;X.k=3;"
	"Y_2.a=1;Z.b=2;"
	"SS_OS_STATS.alloc=9;SS_OS_STATS.free=10;SS_OS_STATS.madvise=9;SS_OS_STATS.madvise_enomem=0;"
	"SS_OS_STATS.madvise_other=0;SS_OS_STATS.madvise_disabled=0;SS_OS_STATS.mmap_total=9;"
	"SS_OS_STATS.fallback_mmap=0;SS_OS_STATS.huge_alloc=0;SS_OS_STATS.huge_fail=0;";

static void test_stream(void **st)
{
	(void)st;
	rec_t r;
	parse_all(stream, strlen(stream), &r);
	assert_string_equal(r.log, expect);
}

/* The number grammar: [+-]digits[.digits][e[+-]digits] with digits on at
 * least one side of the point; no hex. inf and nan are passed on (flagged
 * later, when the counters are stored), 1e999 as inf. */
static void test_number_forms(void **st)
{
	(void)st;
	rec_t r;
	const char *l = "[N] a=.5 b=+3 c=1e3 d=1E-2 e=0x10 f=inf g=nan h= i=1.2.3 =4 j=-Infinity k=1e999 l=infx";
	parse_all(l, strlen(l), &r);
	assert_string_equal(r.log, "N.a=0.5;N.b=3;N.c=1000;N.d=0.01;N.f=inf;N.g=nan;N.j=-inf;N.k=inf;");
}

/* Hostile counter values: -510 and inf must never be summed into the
 * syscall total. */
static void test_syscalls_hostile_values(void **st)
{
	(void)st;
	static const char *lines[] = {
		"[SS_OS_STATS] madvise=9 mmap_total=-510",
		"[SS_OS_STATS] madvise=inf mmap_total=9",
		"[SS_OS_STATS] madvise=9 mmap_total=nan",
		"[SS_OS_STATS] madvise=1e999 mmap_total=9",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		soak_sr_store_t s;
		soak_sr_store_init(&s);
		soak_selfreport_line(lines[i], strlen(lines[i]), soak_sr_store_put, &s);
		assert_int_equal(s.n, 2);
		double v = 42;
		assert_int_equal(soak_selfreport_syscalls("SS_OS_STATS", soak_sr_store_get, &s, &v), -ERANGE);
		assert_true(v == 42);
		const char *tag = NULL;
		assert_int_equal(soak_selfreport_syscalls_any(soak_sr_store_get, &s, &tag, &v), -ENOENT);
	}
}

static void test_every_split(void **st)
{
	(void)st;
	size_t n = strlen(stream);
	rec_t whole;
	parse_all(stream, n, &whole);
	static char text[sizeof(stream)];
	memcpy(text, stream, n);
	for (size_t i = 0; i <= n; i++) {
		rec_t r;
		memset(&r, 0, sizeof(r));
		soak_selfreport_t p;
		soak_selfreport_init(&p, rec_cb, &r);
		soak_selfreport_feed(&p, text, i);
		soak_selfreport_feed(&p, text + i, n - i);
		soak_selfreport_flush(&p);
		assert_string_equal(r.log, whole.log);
	}
	/* Two splits at every pair of positions of the seed line. */
	size_t m = strlen(seed_line);
	rec_t ref;
	parse_all(seed_line, m, &ref);
	for (size_t i = 0; i <= m; i++) {
		for (size_t j = i; j <= m; j++) {
			rec_t r;
			memset(&r, 0, sizeof(r));
			soak_selfreport_t p;
			soak_selfreport_init(&p, rec_cb, &r);
			soak_selfreport_feed(&p, seed_line, i);
			soak_selfreport_feed(&p, seed_line + i, j - i);
			soak_selfreport_feed(&p, seed_line + j, m - j);
			soak_selfreport_flush(&p);
			assert_string_equal(r.log, ref.log);
		}
	}
	/* Byte by byte. */
	rec_t r;
	memset(&r, 0, sizeof(r));
	soak_selfreport_t p;
	soak_selfreport_init(&p, rec_cb, &r);
	for (size_t i = 0; i < n; i++)
		soak_selfreport_feed(&p, text + i, 1);
	soak_selfreport_flush(&p);
	assert_string_equal(r.log, whole.log);
}

static void test_last_wins(void **st)
{
	(void)st;
	const char *t = "[A] x=1 y=2\nother\n[A] x=5\n[B] x=7\n[A] x=6 x=8\n";
	soak_sr_store_t s;
	soak_sr_store_init(&s);
	soak_selfreport_t p;
	soak_selfreport_init(&p, soak_sr_store_put, &s);
	soak_selfreport_feed(&p, t, strlen(t));
	soak_selfreport_flush(&p);
	double v;
	assert_int_equal(soak_sr_store_get(&s, "A", "x", &v), 0);
	assert_true(v == 8);
	assert_int_equal(soak_sr_store_get(&s, "A", "y", &v), 0);
	assert_true(v == 2);
	assert_int_equal(soak_sr_store_get(&s, "B", "x", &v), 0);
	assert_true(v == 7);
	assert_int_equal(soak_sr_store_get(&s, "B", "y", &v), -ENOENT);
	assert_int_equal(s.n, 3);
}

static void test_flush_twice_and_empty(void **st)
{
	(void)st;
	rec_t r;
	memset(&r, 0, sizeof(r));
	soak_selfreport_t p;
	soak_selfreport_init(&p, rec_cb, &r);
	soak_selfreport_flush(&p);
	soak_selfreport_feed(&p, "[A] x=1", 7);
	soak_selfreport_flush(&p);
	soak_selfreport_flush(&p);
	assert_int_equal(r.calls, 1);
}

static void test_long_line(void **st)
{
	(void)st;
	/* A line beyond the buffer: pairs before the cut are kept, the cut token
	 * is dropped, and the next line parses normally. */
	static char big[3 * SOAK_SR_LINE_MAX];
	size_t n = (size_t)snprintf(big, sizeof(big), "[L] a=1 ");
	while (n < SOAK_SR_LINE_MAX + 100)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "k=12345 ");
	n += (size_t)snprintf(big + n, sizeof(big) - n, "z=9\n[M] b=2\n");
	soak_sr_store_t s;
	soak_sr_store_init(&s);
	soak_selfreport_t p;
	soak_selfreport_init(&p, soak_sr_store_put, &s);
	soak_selfreport_feed(&p, big, n);
	double v;
	assert_int_equal(soak_sr_store_get(&s, "L", "a", &v), 0);
	assert_int_equal(soak_sr_store_get(&s, "L", "k", &v), 0);
	assert_true(v == 12345);
	assert_int_equal(soak_sr_store_get(&s, "L", "z", &v), -ENOENT);
	assert_int_equal(soak_sr_store_get(&s, "M", "b", &v), 0);
	assert_true(v == 2);
}

static void test_nul_bytes(void **st)
{
	(void)st;
	const char t[] = "[A] x=1\0y=2\n";
	rec_t r;
	parse_all(t, sizeof(t) - 1, &r);
	assert_string_equal(r.log, "A.x=1;A.y=2;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_line),
		cmocka_unit_test(test_syscalls_missing_key),
		cmocka_unit_test(test_syscalls_hostile_values),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_number_forms),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_flush_twice_and_empty),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_nul_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
