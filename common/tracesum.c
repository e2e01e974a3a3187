/* tracesum.c - the summary of a trace (soak/trace.h): pure, fed events in
 * time order. Live objects sit in an open-addressing table (linear probing,
 * backward-shift deletion) keyed by object id: memory follows the objects
 * live at once, never the length of the trace. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "soak/trace.h"

typedef struct {
	uint64_t id, size, ts;
	uint32_t stream;
} ts_obj_t;

struct soak_trace_sum {
	const soak_trace_mem_t *mem;   /* NULL: calloc and free */
	soak_trace_stats_t st;
	ts_obj_t *tab;
	size_t cap, n;         /* cap: a power of two */
	uint64_t live_bytes;
	uint8_t *seen;         /* streams seen (bitmap over SOAK_TRACE_STREAMS_MAX) */
	bool any;
};

/* Zeroed memory from mem (or calloc), and its release. */
static void *z_alloc(const soak_trace_mem_t *m, size_t n)
{
	if (!m)
		return calloc(1, n ? n : 1);
	void *p = m->alloc(n ? n : 1);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

static void z_free(const soak_trace_mem_t *m, void *p, size_t n)
{
	if (p && m)
		m->release(p, n ? n : 1);
	else
		free(p);
}

static size_t slot_of(uint64_t id, size_t cap)
{
	uint64_t x = id * 0x9e3779b97f4a7c15ULL;
	return (size_t)(x ^ (x >> 29)) & (cap - 1);
}

static int tab_grow(soak_trace_sum_t *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	ts_obj_t *t = z_alloc(s->mem, cap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->tab[i].id)
			continue;
		size_t j = slot_of(s->tab[i].id, cap);
		while (t[j].id)
			j = (j + 1) & (cap - 1);
		t[j] = s->tab[i];
	}
	z_free(s->mem, s->tab, s->cap * sizeof(*t));
	s->tab = t;
	s->cap = cap;
	return 0;
}

static ts_obj_t *tab_find(soak_trace_sum_t *s, uint64_t id)
{
	if (!s->cap)
		return NULL;
	for (size_t j = slot_of(id, s->cap);; j = (j + 1) & (s->cap - 1)) {
		if (s->tab[j].id == id)
			return &s->tab[j];
		if (!s->tab[j].id)
			return NULL;
	}
}

static void tab_del(soak_trace_sum_t *s, ts_obj_t *o)
{
	size_t i = (size_t)(o - s->tab), mask = s->cap - 1;
	for (size_t j = (i + 1) & mask; s->tab[j].id; j = (j + 1) & mask) {
		size_t home = slot_of(s->tab[j].id, s->cap);
		/* Move j back to i when i lies cyclically in [home, j). */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].id = 0;
	s->n--;
}

static int tab_put(soak_trace_sum_t *s, uint64_t id, uint64_t size, uint64_t ts, uint32_t stream)
{
	if ((s->n + 1) * 4 > s->cap * 3 && tab_grow(s) < 0)
		return -ENOMEM;
	size_t j = slot_of(id, s->cap);
	while (s->tab[j].id && s->tab[j].id != id)
		j = (j + 1) & (s->cap - 1);
	if (!s->tab[j].id) {
		s->n++;
	} else {
		s->live_bytes -= s->tab[j].size; /* an id reused: the file says so, count the last */
		s->st.reused_ids++;
	}
	s->tab[j] = (ts_obj_t){ id, size, ts, stream };
	s->live_bytes += size;
	return 0;
}

int soak_trace_sum_new_with(const soak_trace_mem_t *mem, soak_trace_sum_t **ret)
{
	soak_trace_sum_t *s = z_alloc(mem, sizeof(*s));
	if (!s || !(s->seen = z_alloc(mem, SOAK_TRACE_STREAMS_MAX / 8))) {
		z_free(mem, s, sizeof(*s));
		return -ENOMEM;
	}
	s->mem = mem;
	*ret = s;
	return 0;
}

int soak_trace_sum_new(soak_trace_sum_t **ret)
{
	return soak_trace_sum_new_with(NULL, ret);
}

static unsigned log2_class(uint64_t v)
{
	return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

/* The block `id` leaves (free, or the old side of a realloc). */
static void release(soak_trace_sum_t *s, uint64_t id, const soak_trace_ev_t *ev)
{
	ts_obj_t *o = tab_find(s, id);
	if (!o) {
		if (!s->st.unknown_frees++) {
			s->st.first_unknown_id = id;
			s->st.first_unknown_ts_ns = ev->ts_ns;
			s->st.first_unknown_stream = ev->stream;
		}
		return;
	}
	if (o->stream != ev->stream)
		s->st.cross_thread_frees++;
	uint64_t life = ev->ts_ns > o->ts ? ev->ts_ns - o->ts : 0;
	unsigned c = log2_class(life);
	s->st.life_log2[c < SOAK_TRACE_LIFE_CLASSES ? c : SOAK_TRACE_LIFE_CLASSES - 1]++;
	s->live_bytes -= o->size;
	tab_del(s, o);
}

int soak_trace_sum_add(soak_trace_sum_t *s, const soak_trace_ev_t *ev)
{
	soak_trace_stats_t *st = &s->st;
	if (!s->any) {
		st->first_ts_ns = ev->ts_ns;
		s->any = true;
	}
	if (ev->ts_ns > st->last_ts_ns)
		st->last_ts_ns = ev->ts_ns;
	st->events++;
	if (ev->kind < SOAK_EV_KINDS)
		st->ops[ev->kind]++;
	if (ev->stream < SOAK_TRACE_STREAMS_MAX && !(s->seen[ev->stream / 8] & (1u << (ev->stream % 8)))) {
		s->seen[ev->stream / 8] |= (uint8_t)(1u << (ev->stream % 8));
		st->threads++;
	}
	if (ev->kind == SOAK_EV_THREAD_START && ev->size == ev->id)
		st->processes++; /* a process's first thread: its tid is its pid */
	else if (ev->kind != SOAK_EV_THREAD_START && ev->id > st->max_id)
		st->max_id = ev->id; /* a thread start's id is its tid, not an object */
	if (ev->old_id > st->max_id)
		st->max_id = ev->old_id;
	if (ev->kind == SOAK_EV_FREE && ev->id)
		release(s, ev->id, ev);
	if ((ev->kind == SOAK_EV_REALLOC || ev->kind == SOAK_EV_REALLOCARRAY) && ev->old_id &&
	    (ev->id || ev->size == 0))
		release(s, ev->old_id, ev);
	if (soak_trace_kind_allocates(ev->kind)) {
		st->size_log2[log2_class(ev->size)]++;
		if (ev->id && tab_put(s, ev->id, ev->size, ev->ts_ns, ev->stream) < 0)
			return -ENOMEM;
	}
	if (s->live_bytes > st->peak_live_bytes) {
		st->peak_live_bytes = s->live_bytes;
		st->peak_live_objects = s->n;
		st->peak_ts_ns = ev->ts_ns - st->first_ts_ns;
	}
	if (s->n > st->max_live_objects)
		st->max_live_objects = s->n;
	st->end_live_bytes = s->live_bytes;
	st->end_live_objects = s->n;
	return 0;
}

const soak_trace_stats_t *soak_trace_sum_stats(const soak_trace_sum_t *s)
{
	return &s->st;
}

void soak_trace_sum_free(soak_trace_sum_t *s)
{
	if (!s)
		return;
	const soak_trace_mem_t *m = s->mem;
	z_free(m, s->tab, s->cap * sizeof(*s->tab));
	z_free(m, s->seen, SOAK_TRACE_STREAMS_MAX / 8);
	z_free(m, s, sizeof(*s));
}

/* ---- a whole file, in time order ---- */

/* One reader per stream, merged by time (ties: the lower stream first). A
 * first pass reads the chunk headers only: the streams, the events, the end
 * (every event is decoded and checked once, in the merge). */
int soak_trace_summarize(const char *path, soak_trace_stats_t *ret, soak_trace_info_t *info, char *err,
			 size_t errlen)
{
	return soak_trace_summarize_with(path, NULL, ret, info, err, errlen);
}

int soak_trace_summarize_with(const char *path, const soak_trace_mem_t *mem, soak_trace_stats_t *ret,
			      soak_trace_info_t *info, char *err, size_t errlen)
{
	soak_trace_reader_t *r;
	int e = soak_trace_open_with(path, mem, &r, err, errlen);
	if (e < 0)
		return e;
	e = soak_trace_skim(r, err, errlen);
	memset(info, 0, sizeof(*info));
	info->hdr = *soak_trace_header(r);
	info->cut = soak_trace_cut(r);
	info->end_signal = soak_trace_end_signal(r);
	info->events = soak_trace_events_read(r);
	info->bytes = soak_trace_bytes_read(r);
	uint32_t n = soak_trace_streams(r);
	info->streams = n;
	soak_trace_close(r);
	if (e < 0)
		return e;
	size_t m = n ? n : 1;
	soak_trace_reader_t **rs = z_alloc(mem, m * sizeof(*rs));
	soak_trace_ev_t *head = z_alloc(mem, m * sizeof(*head));
	bool *has = z_alloc(mem, m * sizeof(*has));
	soak_trace_sum_t *s = NULL;
	e = rs && head && has ? soak_trace_sum_new_with(mem, &s) : -ENOMEM;
	for (uint32_t i = 0; i < n && e >= 0; i++) {
		e = soak_trace_open_with(path, mem, &rs[i], err, errlen);
		if (e >= 0) {
			soak_trace_only_stream(rs[i], i);
			e = soak_trace_next(rs[i], &head[i], err, errlen);
			has[i] = e == 1;
		}
	}
	while (e >= 0) {
		uint32_t best = UINT32_MAX;
		for (uint32_t i = 0; i < n; i++)
			if (has[i] && (best == UINT32_MAX || head[i].ts_ns < head[best].ts_ns))
				best = i;
		if (best == UINT32_MAX)
			break;
		e = soak_trace_sum_add(s, &head[best]);
		if (e >= 0) {
			e = soak_trace_next(rs[best], &head[best], err, errlen);
			has[best] = e == 1;
		}
	}
	if (e == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (e >= 0)
		*ret = *soak_trace_sum_stats(s);
	for (uint32_t i = 0; rs && i < n; i++)
		soak_trace_close(rs[i]);
	z_free(mem, rs, m * sizeof(*rs));
	z_free(mem, head, m * sizeof(*head));
	z_free(mem, has, m * sizeof(*has));
	soak_trace_sum_free(s);
	return e < 0 ? e : 0;
}
