/* test_trace.c - common/trace.c and common/tracesum.c: a trace written with
 * the encoder reads back event for event; a cut trace reads up to its last
 * whole chunk and says it was cut; every corruption (truncated header, bad
 * magic, bad version, bad chunk length, bad varint, bytes after the end) is
 * refused with one line naming the offset; the summary of a hand-written
 * sequence gives the counts, peak and cross-thread frees computed here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak/trace.h"

typedef struct {
	uint8_t *buf;
	size_t len, cap;
} tbuf_t;

static void tb_put(tbuf_t *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->buf = realloc(b->buf, b->cap);
		assert_non_null(b->buf);
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

static void tb_header(tbuf_t *b)
{
	soak_trace_hdr_t h = { .start_realtime_ns = 123 };
	strcpy(h.cmdline, "prog --x");
	strcpy(h.host, "hostA");
	strcpy(h.allocator, "system");
	strcpy(h.clock, "CLOCK_MONOTONIC");
	uint8_t *hb = malloc(SOAK_TRACE_HDR_MAX + 16);
	tb_put(b, hb, soak_trace_hdr_encode(&h, hb));
	free(hb);
}

static void tb_chunk(tbuf_t *b, soak_trace_chunk_t *c)
{
	size_t cap = soak_trace_chunk_bound();
	uint8_t *out = malloc(cap);
	size_t n = soak_trace_chunk_encode(c, NULL, out, cap, 3);
	assert_true(n > SOAK_TRACE_CHUNK_HDR);
	tb_put(b, out, n);
	free(out);
}

static soak_trace_ev_t ev(unsigned kind, uint64_t ts, uint64_t id, uint64_t old, uint64_t size, unsigned al)
{
	return (soak_trace_ev_t){ .kind = (uint8_t)kind, .ts_ns = ts, .id = id, .old_id = old, .size = size,
				  .align_log2 = (uint8_t)al };
}

/* Stream 0: two chunks; stream 1: one. 9 events. */
static const soak_trace_ev_t *sample(size_t *n)
{
	static soak_trace_ev_t e[9];
	e[0] = ev(SOAK_EV_THREAD_START, 1000, 7, 0, 7, 0);
	e[1] = ev(SOAK_EV_MALLOC, 1100, 1, 0, 100, 0);
	e[2] = ev(SOAK_EV_POSIX_MEMALIGN, 1200, 2, 0, 4096, 12);
	e[3] = ev(SOAK_EV_REALLOC, 1300, 3, 1, 300, 0);
	e[4] = ev(SOAK_EV_FREE, 1400, 2, 0, 0, 0);   /* second chunk of stream 0 */
	e[5] = ev(SOAK_EV_THREAD_EXIT, 1500, 0, 0, 0, 0);
	e[6] = ev(SOAK_EV_THREAD_START, 1250, 7, 0, 8, 0);  /* stream 1 */
	e[7] = ev(SOAK_EV_CALLOC, 1260, 4, 0, 1ULL << 40, 0);
	e[8] = ev(SOAK_EV_FREE, 1450, 3, 0, 0, 0);
	for (int i = 0; i < 9; i++)
		e[i].stream = i >= 6;
	*n = 9;
	return e;
}

static size_t write_sample(tbuf_t *b, bool end)
{
	size_t n;
	const soak_trace_ev_t *e = sample(&n);
	static soak_trace_chunk_t c;
	tb_header(b);
	soak_trace_chunk_reset(&c, 0);
	for (int i = 0; i < 4; i++)
		assert_true(soak_trace_chunk_add(&c, &e[i]));
	tb_chunk(b, &c);
	size_t after_first = b->len;
	soak_trace_chunk_reset(&c, 1);
	for (int i = 6; i < 9; i++)
		assert_true(soak_trace_chunk_add(&c, &e[i]));
	tb_chunk(b, &c);
	soak_trace_chunk_reset(&c, 0);
	for (int i = 4; i < 6; i++)
		assert_true(soak_trace_chunk_add(&c, &e[i]));
	tb_chunk(b, &c);
	if (end) {
		uint8_t t[SOAK_TRACE_END_LEN];
		soak_trace_end_encode(n, 0, t);
		tb_put(b, t, sizeof(t));
	}
	return after_first;
}

/* Reads everything: the events read, or -1 with err set. */
static long read_all(const tbuf_t *b, soak_trace_ev_t *out, size_t max, char *err, bool *cut)
{
	soak_trace_reader_t *r;
	if (soak_trace_open_mem(b->buf, b->len, &r, err, 256) < 0)
		return -1;
	long n = 0;
	soak_trace_ev_t e;
	int k;
	while ((k = soak_trace_next(r, &e, err, 256)) == 1) {
		if ((size_t)n < max)
			out[n] = e;
		n++;
	}
	*cut = soak_trace_cut(r);
	soak_trace_close(r);
	return k < 0 ? -1 : n;
}

static void test_round_trip(void **state)
{
	(void)state;
	tbuf_t b = { 0 };
	write_sample(&b, true);
	soak_trace_ev_t got[16];
	char err[256] = "";
	bool cut;
	assert_int_equal(read_all(&b, got, 16, err, &cut), 9);
	assert_false(cut);
	size_t n;
	const soak_trace_ev_t *e = sample(&n);
	static const int order[9] = { 0, 1, 2, 3, 6, 7, 8, 4, 5 };
	for (int i = 0; i < 9; i++) {
		const soak_trace_ev_t *w = &e[order[i]];
		assert_int_equal(got[i].kind, w->kind);
		assert_int_equal(got[i].stream, w->stream);
		assert_int_equal(got[i].ts_ns, w->ts_ns);
		assert_int_equal(got[i].id, w->kind == SOAK_EV_THREAD_EXIT ? 0 : w->id);
		assert_int_equal(got[i].old_id, w->old_id);
		assert_int_equal(got[i].size, w->size);
		assert_int_equal(got[i].align_log2, w->align_log2);
	}
	soak_trace_reader_t *r;
	assert_int_equal(soak_trace_open_mem(b.buf, b.len, &r, err, sizeof(err)), 0);
	assert_string_equal(soak_trace_header(r)->cmdline, "prog --x");
	assert_string_equal(soak_trace_header(r)->host, "hostA");
	assert_string_equal(soak_trace_header(r)->allocator, "system");
	/* One stream only, then a rewind gives it again. */
	soak_trace_only_stream(r, 1);
	soak_trace_ev_t x;
	for (int pass = 0; pass < 2; pass++) {
		int k = 0;
		while (soak_trace_next(r, &x, err, sizeof(err)) == 1) {
			assert_int_equal(x.stream, 1);
			k++;
		}
		assert_int_equal(k, 3);
		assert_int_equal(soak_trace_streams(r), 2);
		soak_trace_rewind(r, err, sizeof(err));
	}
	soak_trace_close(r);
	free(b.buf);
}

/* A mark on each event of stream 0 (two chunks, four events in the first):
 * a seek to it returns that event next, then the rest of the stream, with
 * the event count as when it was read first. */
static void test_mark_seek(void **state)
{
	(void)state;
	tbuf_t b = { 0 };
	write_sample(&b, true);
	char err[256] = "";
	size_t n;
	const soak_trace_ev_t *e = sample(&n);
	for (int at = 0; at < 6; at++) {
		soak_trace_reader_t *r;
		assert_int_equal(soak_trace_open_mem(b.buf, b.len, &r, err, sizeof(err)), 0);
		soak_trace_only_stream(r, 0);
		soak_trace_ev_t x;
		soak_trace_mark_t m;
		for (int i = 0; i <= at; i++)
			assert_int_equal(soak_trace_next(r, &x, err, sizeof(err)), 1);
		soak_trace_mark(r, &m);
		uint64_t events = soak_trace_events_read(r);
		while (soak_trace_next(r, &x, err, sizeof(err)) == 1)
			;
		for (int again = 0; again < 2; again++) {
			assert_int_equal(soak_trace_seek(r, &m, err, sizeof(err)), 0);
			for (int i = at; i < 6; i++) {
				assert_int_equal(soak_trace_next(r, &x, err, sizeof(err)), 1);
				assert_int_equal(x.ts_ns, e[i].ts_ns);
				assert_int_equal(x.kind, e[i].kind);
				if (i == at)
					assert_int_equal(soak_trace_events_read(r), events);
			}
			assert_int_equal(soak_trace_next(r, &x, err, sizeof(err)), 0);
		}
		soak_trace_close(r);
	}
	free(b.buf);
}

static void test_cut(void **state)
{
	(void)state;
	tbuf_t b = { 0 };
	size_t first = write_sample(&b, false);
	soak_trace_ev_t got[16];
	char err[256] = "";
	bool cut;
	assert_int_equal(read_all(&b, got, 16, err, &cut), 9);
	assert_true(cut);
	/* Cut inside the second chunk: the first chunk's 4 events. */
	for (size_t at = first + 1; at < first + 40; at += 7) {
		tbuf_t c = { b.buf, at, at };
		assert_int_equal(read_all(&c, got, 16, err, &cut), 4);
		assert_true(cut);
	}
	free(b.buf);
}

/* The header-only pass agrees with a full read on every prefix of the
 * sample: events of the whole chunks, streams, cut or ended. */
static void test_skim(void **state)
{
	(void)state;
	tbuf_t b = { 0 };
	write_sample(&b, true);
	soak_trace_ev_t got[16];
	char err[256] = "";
	size_t hdr = 0;
	for (size_t at = 1; at <= b.len; at++) {
		tbuf_t c = { b.buf, at, at };
		bool cut;
		long n = read_all(&c, got, 16, err, &cut);
		soak_trace_reader_t *r;
		if (soak_trace_open_mem(c.buf, c.len, &r, err, sizeof(err)) < 0) {
			assert_int_equal(n, -1);
			continue;
		}
		if (!hdr)
			hdr = at;
		assert_int_equal(soak_trace_skim(r, err, sizeof(err)), 0);
		assert_int_equal(soak_trace_events_read(r), n);
		assert_int_equal(soak_trace_cut(r), cut);
		assert_int_equal(soak_trace_cut(r), at < b.len);
		if (n >= 7)
			assert_int_equal(soak_trace_streams(r), 2);
		soak_trace_close(r);
	}
	assert_true(hdr > 0);
	free(b.buf);
}

static void expect_refused(tbuf_t *b, const char *why)
{
	soak_trace_ev_t got[16];
	char err[256] = "";
	bool cut;
	assert_int_equal(read_all(b, got, 16, err, &cut), -1);
	if (!strstr(err, why) || strncmp(err, "trace: offset ", 14) != 0)
		fail_msg("wanted '%s', got '%s'", why, err);
	assert_null(strchr(err, '\n'));
}

static void test_corrupt(void **state)
{
	(void)state;
	tbuf_t b = { 0 };
	size_t first = write_sample(&b, true);
	uint8_t *orig = malloc(b.len);
	memcpy(orig, b.buf, b.len);
	size_t len = b.len;
#define RESET() (memcpy(b.buf, orig, len), b.len = len)
	b.len = 10;
	expect_refused(&b, "header truncated");
	RESET();
	b.len = 30;
	expect_refused(&b, "header truncated");
	RESET();
	b.buf[0] = 'X';
	expect_refused(&b, "bad magic");
	RESET();
	b.buf[8] = 9;
	expect_refused(&b, "format version 9");
	RESET();
	b.buf[14] = 0x10;
	expect_refused(&b, "header length");
	RESET();
	b.buf[first + 8] = 0xff, b.buf[first + 9] = 0xff, b.buf[first + 10] = 0xff;
	expect_refused(&b, "bad chunk length");
	RESET();
	b.buf[first + 12] = 0, b.buf[first + 13] = 0, b.buf[first + 14] = 0x20;
	expect_refused(&b, "bad chunk length");
	RESET();
	b.buf[first + 1] = 'Z';
	expect_refused(&b, "bad chunk magic");
	RESET();
	b.buf[first + 40] ^= 0x55;
	expect_refused(&b, "does not decompress");
	RESET();
	tb_put(&b, "x", 1);
	expect_refused(&b, "after the end record");
	RESET();
	b.buf[len - 8] = 99;
	expect_refused(&b, "end record counts 99 events");
	free(b.buf);
	/* Bad deltas: a chunk whose raw bytes are a varint that never ends, and
	 * a time delta that overflows the clock. */
	static soak_trace_chunk_t c;
	tbuf_t d = { 0 };
	tb_header(&d);
	soak_trace_chunk_reset(&c, 0);
	c.raw[0] = SOAK_EV_MALLOC;
	memset(c.raw + 1, 0xff, 12);
	c.len = 13, c.n = 1;
	tb_chunk(&d, &c);
	expect_refused(&d, "bad time delta");
	free(d.buf);
	d = (tbuf_t){ 0 };
	tb_header(&d);
	soak_trace_chunk_reset(&c, 0);
	soak_trace_ev_t e = ev(SOAK_EV_MALLOC, 10, 1, 0, 5, 0);
	soak_trace_chunk_add(&c, &e);
	c.base_ns = UINT64_MAX - 1;
	c.raw[c.len++] = SOAK_EV_FREE, c.raw[c.len++] = 5, c.raw[c.len++] = 0;
	c.n = 2;
	tb_chunk(&d, &c);
	expect_refused(&d, "overflows the clock");
	free(d.buf);
	free(orig);
}

/* What a replay cannot finish: a free of an object no event allocated
 * before it (the first one named), and an id allocated again while live. */
static void test_summary_orphans(void **state)
{
	(void)state;
	soak_trace_sum_t *s;
	assert_int_equal(soak_trace_sum_new(&s), 0);
	soak_trace_ev_t e[] = {
		ev(SOAK_EV_MALLOC, 100, 1, 0, 10, 0), ev(SOAK_EV_FREE, 200, 9, 0, 0, 0),
		ev(SOAK_EV_MALLOC, 300, 1, 0, 20, 0), ev(SOAK_EV_REALLOC, 400, 2, 8, 30, 0),
		ev(SOAK_EV_FREE, 500, 1, 0, 0, 0), ev(SOAK_EV_FREE, 600, 1, 0, 0, 0),
	};
	e[1].stream = 3;
	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		assert_int_equal(soak_trace_sum_add(s, &e[i]), 0);
	const soak_trace_stats_t *st = soak_trace_sum_stats(s);
	assert_int_equal(st->unknown_frees, 3);   /* 9; the realloc's old 8; 1's second free */
	assert_int_equal(st->first_unknown_id, 9);
	assert_int_equal(st->first_unknown_ts_ns, 200);
	assert_int_equal(st->first_unknown_stream, 3);
	assert_int_equal(st->reused_ids, 1);
	assert_int_equal(st->max_id, 9);   /* the highest id any event names */
	soak_trace_sum_free(s);
}

static void test_summary(void **state)
{
	(void)state;
	soak_trace_sum_t *s;
	assert_int_equal(soak_trace_sum_new(&s), 0);
	size_t n;
	const soak_trace_ev_t *e = sample(&n);
	static const int by_time[9] = { 0, 1, 2, 6, 7, 3, 4, 8, 5 };
	for (int i = 0; i < 9; i++)
		assert_int_equal(soak_trace_sum_add(s, &e[by_time[i]]), 0);
	const soak_trace_stats_t *st = soak_trace_sum_stats(s);
	assert_int_equal(st->events, 9);
	assert_int_equal(st->threads, 2);
	assert_int_equal(st->processes, 1);
	assert_int_equal(st->ops[SOAK_EV_MALLOC], 1);
	assert_int_equal(st->ops[SOAK_EV_FREE], 2);
	/* live: 100, +4096, +2^40 at 1260, realloc 100->300 at 1300 */
	assert_int_equal(st->peak_live_bytes, 4096 + (1ULL << 40) + 300);
	assert_int_equal(st->peak_live_objects, 3);
	assert_int_equal(st->peak_ts_ns, 300);
	assert_int_equal(st->cross_thread_frees, 1);  /* id 3 freed by stream 1 */
	assert_int_equal(st->unknown_frees, 0);
	assert_int_equal(st->reused_ids, 0);
	assert_int_equal(st->max_id, 4);   /* a thread start's 7 is a pid, no object */
	assert_int_equal(st->end_live_bytes, 1ULL << 40);
	assert_int_equal(st->size_log2[7], 1);   /* 100 */
	assert_int_equal(st->size_log2[13], 1);  /* 4096 */
	assert_int_equal(st->size_log2[41], 1);  /* 2^40 */
	assert_int_equal(st->size_log2[9], 1);   /* 300 */
	/* lifetimes: 100 (1100->1300: 200), 4096 (1200->1400: 200), 300 (1300->1450: 150) */
	assert_int_equal(st->life_log2[8], 3);
	soak_trace_sum_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mark_seek),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_skim),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_summary_orphans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
