/* fuzz_trace.c - the trace reader (common/trace.c) and the summary
 * (common/tracesum.c): no crash, bounded memory; an error is one line
 * naming "trace: offset N:"; a trace read to its end is either whole or
 * says it was cut; the summary never counts more live objects than events. */
#include "fuzz.h"

#include <errno.h>

#include "soak/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	soak_trace_reader_t *r;
	char err[512];
	if (soak_trace_open_mem(data, size, &r, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(!strncmp(err, "trace: offset ", 14) && !strchr(err, '\n'));
		return 0;
	}
	soak_trace_sum_t *s;
	if (soak_trace_sum_new(&s) < 0)
		abort();
	soak_trace_ev_t ev;
	int k;
	while ((k = soak_trace_next(r, &ev, err, sizeof(err))) == 1) {
		FUZZ_ASSERT(ev.kind > 0 && ev.kind < SOAK_EV_KINDS && ev.align_log2 < 64);
		if (soak_trace_sum_add(s, &ev) < 0)
			abort();
	}
	if (k < 0 && k != -ENOMEM)
		FUZZ_ASSERT(!strncmp(err, "trace: offset ", 14) && !strchr(err, '\n'));
	const soak_trace_stats_t *st = soak_trace_sum_stats(s);
	FUZZ_ASSERT(st->end_live_objects <= st->events && st->peak_live_bytes >= st->end_live_bytes);
	FUZZ_ASSERT(soak_trace_bytes_read(r) <= size);
	soak_trace_sum_free(s);
	soak_trace_close(r);
	return 0;
}
