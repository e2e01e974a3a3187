/* test_parse.c - duration, size and percent parsers, table-driven. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "soak/parse.h"
#include "soak/tpscan.h"

static void test_duration(void **state)
{
	(void)state;
	static const struct { const char *in; double want; } ok[] = {
		{ "90s", 90 }, { "5m", 300 }, { "1h", 3600 }, { "250ms", 0.25 }, { "1.5s", 1.5 },
		{ "2h30m", 9000 }, { "10", 10 }, { "10ms", 0.01 }, { "1m30s", 90 }, { "0.5h", 1800 },
		{ "500us", 0.0005 }, { "1d", 86400 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		double v = -1;
		assert_int_equal(soak_parse_duration(ok[i].in, &v), 0);
		assert_true(fabs(v - ok[i].want) < 1e-12);
	}
	/* Hostile durations: a unit given twice or out of order, hex, exponents,
	 * signs and spaces are refused (strtod took "0x3" as 3 s). */
	static const char *bad[] = { "", "s", "5x", "-5s", "1h5", "5 m", "abc", "nan", "inf", "1e400s",
				     "1s1s", "0x3", "0x3s", "1e3s", "30m2h", "1m1m", "+5s", " 5s", "5s ",
				     "1..5s", ".s", "5.s", "1ms1s", "1h1h1h", "1s\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		double v = 42;
		assert_true(soak_parse_duration(bad[i], &v) < 0);
		assert_true(v == 42); /* out-parameter untouched on failure */
	}
	double v;
	assert_int_equal(soak_parse_duration("400d", &v), -ERANGE);
	assert_int_equal(soak_parse_duration(NULL, &v), -EINVAL);
}

static void test_size(void **state)
{
	(void)state;
	static const struct { const char *in; uint64_t want; } ok[] = {
		{ "64M", 64ull << 20 }, { "1G", 1ull << 30 }, { "512K", 512ull << 10 }, { "4096", 4096 },
		{ "1.5G", 3ull << 29 }, { "64MiB", 64ull << 20 }, { "64mb", 64ull << 20 }, { "0", 0 },
		{ "2T", 2ull << 40 }, { "max", UINT64_MAX }, { "infinity", UINT64_MAX }, { "10B", 10 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;
		assert_int_equal(soak_parse_size(ok[i].in, &v), 0);
		assert_true(v == ok[i].want);
	}
	static const char *bad[] = { "", "M", "64X", "-1M", "64 M", "1.5.5G", "64Mx", "G64",
				     "0x10M", "1e3M", "+1M", "64MM", "64KM", " 64M", "64M ", "nan", "inf" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = 7;
		assert_true(soak_parse_size(bad[i], &v) < 0);
		assert_true(v == 7);
	}
	uint64_t v;
	assert_int_equal(soak_parse_size("99999999999T", &v), -ERANGE);
	/* 10000000T is 1.1e19 bytes: below 2^64 but not an int64 (llround was
	 * undefined there); sizes of 2^63 and more are refused. */
	v = 7;
	assert_int_equal(soak_parse_size("10000000T", &v), -ERANGE);
	assert_true(v == 7);
	assert_int_equal(soak_parse_size("9223372036854775808", &v), -ERANGE);
	assert_int_equal(soak_parse_size("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(soak_parse_size("9223372036854775807", &v), 0);
	assert_true(v == 9223372036854775807ull);
	assert_int_equal(soak_parse_size("8388607T", &v), 0);
	assert_true(v == 8388607ull << 40);
	assert_int_equal(soak_parse_size("0.5K", &v), 0);
	assert_true(v == 512);
}

static void test_percent_u64(void **state)
{
	(void)state;
	double p;
	assert_int_equal(soak_parse_percent("50%", &p), 0);
	assert_true(p == 50);
	assert_int_equal(soak_parse_percent("150", &p), 0);
	assert_true(p == 150);
	assert_int_equal(soak_parse_percent("12.5%", &p), 0);
	assert_true(p == 12.5);
	assert_true(soak_parse_percent("0%", &p) < 0);
	assert_true(soak_parse_percent("%", &p) < 0);
	assert_true(soak_parse_percent("50%%", &p) < 0);
	assert_true(soak_parse_percent("-5%", &p) < 0);
	uint64_t u;
	assert_int_equal(soak_parse_u64("256", &u), 0);
	assert_true(u == 256);
	assert_int_equal(soak_parse_u64("4K", &u), 0);
	assert_true(u == 4096);
	assert_true(soak_parse_u64("-1", &u) < 0);
	assert_true(soak_parse_u64("1.5", &u) < 0);
	assert_int_equal(soak_parse_u64("99999999999999999999", &u), -ERANGE);
}

static void test_format(void **state)
{
	(void)state;
	char b[32];
	assert_string_equal(soak_fmt_bytes(512, b, sizeof(b)), "512 B");
	assert_string_equal(soak_fmt_bytes(10 * 1048576.0, b, sizeof(b)), "10.00 MiB");
	assert_string_equal(soak_fmt_duration(90, b, sizeof(b)), "1m30s");
	assert_string_equal(soak_fmt_duration(3723, b, sizeof(b)), "1h02m03s");
	assert_string_equal(soak_fmt_duration(2.5, b, sizeof(b)), "2.5s");
}

/* --tp-pattern: what glibc's matcher can run in bounded time (the fuzzer
 * found "ops++++++++++++++++++++++/s: ([0-9.]+)" taking over 10 s). */
static void test_tp_pattern(void **state)
{
	(void)state;
	char err[512];
	static const char *ok[] = { "Throughput = ([0-9.]+) ops/s", "ops: ([0-9]+(\\.[0-9]+)?)",
				    "a{2,3}([0-9]+)", "[+*]+ ([0-9]+)", "x\\++([0-9]+)", "[[:digit:]]+ (x)" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (soak_tp_pattern_check(ok[i], err, sizeof(err)) != 0)
			fail_msg("refused '%s': %s", ok[i], err);
	static const char *bad[] = { "ops++++/s: ([0-9.]+)", "a*+([0-9])", "(a)?*", "a{2}{3}(b)",
				     "(a)\\1", "no group", "([0-9]", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (soak_tp_pattern_check(bad[i], err, sizeof(err)) != -EINVAL)
			fail_msg("accepted '%s'", bad[i]);
	/* The matcher keeps only finite, non-negative numbers. */
	tp_scan_t s = { .tp = NAN };
	assert_int_equal(regcomp(&s.re, "ops: ([-0-9.e]+)", REG_EXTENDED), 0);
	const char out[] = "ops: 12.5\nops: -3\nops: 1e999\nno\n";
	soak_tp_scan(&s, out, sizeof(out) - 1);
	assert_true(s.tp == 12.5);
	regfree(&s.re);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_percent_u64),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_tp_pattern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
