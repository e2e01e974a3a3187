/* test_html_points.c - what the HTML time plots draw (reports/emit-html.c):
 * the series the statistics use, up to the stop request. A counter's last
 * sample is taken after the worker was reaped, so the interval after the
 * stop request has a rate near 0 that is no throughput: drawn, it made every
 * run's throughput "fall to 0" at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit-html.h"

/* ops_total +1e6 per second at t = 0..10, the stop request at t = 10.2, the
 * final sample at t = 11 unchanged (the worker stopped): 10 rates of 1 M
 * ops/s at t = 1..10, nothing at t = 11. */
static void test_rate_ends_at_stop(void **state)
{
	(void)state;
	double t[12], v[12];
	for (int i = 0; i < 12; i++) {
		t[i] = i;
		v[i] = 1e6 * (i < 11 ? i : 10);
	}
	soak_xy_t xy = { .n = 12, .t = t, .v = v };
	soak_run_result_t r;
	memset(&r, 0, sizeof(r));
	r.steady_end_s = 10.2;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(soak_html_time_points(f, &r, &xy, true, 1e-6), 10);
	fclose(f);
	assert_non_null(strstr(buf, "1 1\n"));
	assert_non_null(strstr(buf, "10 1\n"));
	assert_null(strstr(buf, "11 "));
	assert_null(strstr(buf, " 0\n"));
	free(buf);
	/* Levels (RSS) likewise; without a stop request, everything. */
	r.steady_end_s = INFINITY;
	f = open_memstream(&buf, &len);
	assert_int_equal(soak_html_time_points(f, &r, &xy, false, 1e-6), 12);
	fclose(f);
	assert_non_null(strstr(buf, "11 10\n"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_ends_at_stop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
