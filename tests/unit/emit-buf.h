/* emit-buf.h - for unit tests of the report emitters: one run's report in a
 * string (include after cmocka.h and emit.h). */
#ifndef SOAK_TEST_EMIT_BUF_H
#define SOAK_TEST_EMIT_BUF_H

#include <stdio.h>

/* The report of r by emitter e (free it). */
static inline char *emit(const soak_emitter_t *e, const soak_run_result_t *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	soak_emit_opts_t o = { 0 };
	assert_int_equal(e->report(m, r, 1, &o), 0);
	fclose(m);
	return buf;
}

#endif
