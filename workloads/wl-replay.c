/*
 * wl-replay.c - replays a trace written by `soakctl record` (soak/trace.h)
 * under the allocator under test: one thread per recorded thread, each
 * streaming its own events from the file (one chunk in memory at a time) and
 * issuing the same call with the same size and alignment.
 *
 * Live objects sit in a table in mmap'd memory sized by the objects live at
 * a time, not by the trace's length (replay-objs.h): the block, its
 * requested size, the replay thread that holds it. An object is ready once
 * its id is in the table. A free or realloc of an object another thread
 * allocates waits (spin, then sched_yield) until that allocation happened;
 * the recording's times order every allocation before its free, and each
 * thread replays its own events in order, so the waits never form a cycle:
 * the replay is a legal interleaving of the recording. No global lock.
 *
 * bytes_live is exact: the requested sizes of the live objects. A thread
 * counts what it allocated minus what it freed; what another thread frees of
 * its blocks is added to a per-thread atomic the owner takes and subtracts
 * when it publishes, so every thread's published value stays >= 0 and their sum is
 * exact at publication points.
 *
 * --loop yes: at the end of the trace every thread waits for the others,
 * frees the objects it holds, and the replay starts again with an empty
 * table. --window FROM-TO: the first
 * pass stops at TO, later ones start at FROM (a mark in each thread's
 * stream) and stop at TO; between passes each thread frees its objects
 * live and not live at FROM, allocates again its objects live at FROM and
 * no longer, and makes those it keeps ready in the next pass. --speed
 * real|X paces each event at its recorded time (divided by X); max replays
 * as fast as it can.
 * --touch page writes one byte per page of each new block, all every byte,
 * none nothing.
 */
#include <inttypes.h>
#include <malloc.h>
#include <sched.h>

#include "replay-objs.h"
#include "soak/trace.h"
#include "workload.h"

enum { RP_TRACE, RP_SPEED, RP_LOOP, RP_TOUCH, RP_SEED, RP_ORDER, RP_WINDOW };

static const soak_wl_opt_t rp_opts[] = {
	[RP_TRACE] = { "trace", SOAK_OPT_STR, "", 0, 0, "the trace file (soakctl record -o FILE)", NULL },
	[RP_SPEED] = { "speed", SOAK_OPT_STR, "max", 0, 0,
		      "max (no pauses), real (the recorded times) or a factor X (real time divided by X)", NULL },
	[RP_LOOP] = { "loop", SOAK_OPT_STR, "no", 0, 0, "yes: at the end free what is live and start again", "no|yes" },
	[RP_TOUCH] = { "touch", SOAK_OPT_STR, "page", 0, 0, "write to each new block: none, one byte per page, or all",
		      "none|page|all" },
	[RP_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0,
		     "the byte --touch writes (seed mod 255, plus 1): the replay has no other randomness", NULL },
	[RP_ORDER] = { "order", SOAK_OPT_STR, "free", 0, 0,
		      "free: each thread as fast as frees allow; recorded: every event waits for its turn in the "
		      "recorded time order across threads, and each pass's peak of live bytes must equal the "
		      "trace's (a check, slower)", "free|recorded" },
	[RP_WINDOW] = { "window", SOAK_OPT_STR, "", 0, 0,
		       "FROM-TO seconds of the trace (2-8, 1.5s-3.25s): the first pass replays up to TO, every later "
		       "one only [FROM, TO), back to the state at FROM between passes (implies --loop yes)", NULL },
};

typedef struct {
	_Alignas(64) uint64_t remote_freed;
	uint64_t head_ts;  /* --order recorded: the time of its next event (UINT64_MAX: none) */
} rp_remote_t;

typedef struct {
	rp_objs_t objs;
	uint64_t max_id, first_ts;
	double speed;           /* 0: max */
	bool loop;
	bool window;            /* --window: events in [from_ns, to_ns) loop */
	uint64_t from_ns, to_ns;
	int touch;              /* 0 none, 1 page, 2 all */
	unsigned char byte;     /* what --touch writes */
	uint32_t gen;           /* the pass, from 1 */
	unsigned nthreads;
	bool strict;            /* --order recorded */
	uint64_t want_peak;     /* the trace's peak of live bytes (trace info's) */
	_Alignas(64) uint64_t live, peak;
	uint32_t ended;         /* threads at the end of this pass */
	_Alignas(64) uint32_t bar_count, bar_round;
	rp_remote_t remote[SOAK_MAX_THREADS];
} rp_state_t;

static rp_state_t *rp_st;

/* The readers' buffers and zstd's context come from mmap, not from the
 * allocator under test. */
static const soak_trace_mem_t rp_mem = { soak_wl_meta_alloc, soak_wl_meta_free };

/* One bound of --window: seconds, an optional "s"; NULL when not one. */
static const char *rp_seconds(const char *p, double *v)
{
	char *end;
	if (!((*p >= '0' && *p <= '9') || *p == '.'))
		return NULL;
	*v = strtod(p, &end);
	if (end == p || !(*v >= 0) || *v > 1e9)
		return NULL;
	return *end == 's' ? end + 1 : end;
}

/* The allocations and frees of the trace in [from, to) (absolute times). */
static int rp_window_events(const char *path, uint64_t from, uint64_t to, uint64_t *n, char *err, size_t len)
{
	soak_trace_reader_t *r;
	if (soak_trace_open_with(path, &rp_mem, &r, err, len) < 0)
		return -1;
	soak_trace_ev_t ev;
	int k;
	*n = 0;
	while ((k = soak_trace_next(r, &ev, err, len)) == 1)
		*n += ev.ts_ns >= from && ev.ts_ns < to && ev.kind < SOAK_EV_THREAD_START;
	soak_trace_close(r);
	return k;
}

/* --window FROM-TO: parsed and checked against the trace (first and last:
 * its first and last event times). 0, or SOAK_WORKER_EXIT_USAGE with one
 * line in why. */
static int rp_window_setup(soak_wl_ctx_t *ctx, rp_state_t *s, uint64_t first, uint64_t last, char *why,
			   size_t len)
{
	const char *w = ctx->opt[RP_WINDOW].s, *p;
	double from, to, dur = (double)(last - first) / 1e9;
	if (!w[0])
		return 0;
	if (!(p = rp_seconds(w, &from)) || *p != '-' || !(p = rp_seconds(p + 1, &to)) || *p) {
		snprintf(why, len, "replay: --window %s: give FROM-TO in seconds of the trace, e.g. 2-8 or 1.5s-3.25s",
			 w);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (from >= to) {
		snprintf(why, len, "replay: --window %s: FROM must be below TO (seconds of the trace, e.g. 2-8)", w);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (to > dur) {
		snprintf(why, len, "replay: --window %s: the trace lasts %.9g s (soakctl trace info); give TO at most that",
			 w, dur);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (s->strict) {
		snprintf(why, len, "replay: --window and --order recorded: choose one (the peak check covers whole passes)");
		return SOAK_WORKER_EXIT_USAGE;
	}
	s->window = s->loop = true;
	s->from_ns = first + (uint64_t)(from * 1e9 + 0.5);
	s->to_ns = first + (uint64_t)(to * 1e9 + 0.5);
	uint64_t n;
	char err[512];
	if (rp_window_events(ctx->opt[RP_TRACE].s, s->from_ns, s->to_ns, &n, err, sizeof(err)) < 0) {
		snprintf(why, len, "replay: %s", err);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (n == 0) {
		snprintf(why, len, "replay: --window %s: no allocation or free of the trace falls in it; widen it", w);
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

/* Reads the whole trace: streams, highest id, first time, and refuses one
 * the replay could not finish. */
static int rp_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	const char *path = ctx->opt[RP_TRACE].s, *speed = ctx->opt[RP_SPEED].s;
	if (!path[0]) {
		snprintf(why, len, "replay: give the trace: -- --trace FILE (soakctl record -o FILE -- CMD)");
		return SOAK_WORKER_EXIT_USAGE;
	}
	double x = 0;
	if (strcmp(speed, "max") != 0) {
		char *end;
		x = strcmp(speed, "real") ? strtod(speed, &end) : 1.0;
		if (strcmp(speed, "real") && (*end || !(x > 0) || x > 1e9)) {
			snprintf(why, len, "replay: --speed %s: give max, real or a factor above 0", speed);
			return SOAK_WORKER_EXIT_USAGE;
		}
	}
	/* The whole trace once, in time order across threads: its highest id,
	 * its threads, and whether every free follows its allocation (a free
	 * of an object no thread allocates would wait for it forever). */
	soak_trace_stats_t st;
	soak_trace_info_t info;
	char err[512];
	if (soak_trace_summarize_with(path, &rp_mem, &st, &info, err, sizeof(err)) < 0) {
		snprintf(why, len, "replay: %s", err);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (st.unknown_frees) {
		snprintf(why, len, "replay: %s: %" PRIu64 " frees of objects no event allocated before them (the "
			 "first: object %" PRIu64 " on thread %" PRIu32 " at %.6f s): the replay would wait for "
			 "them forever; a damaged or hand-made trace, or a fork child's recorded before soak "
			 "stopped naming its parent's blocks: record it again", path, st.unknown_frees,
			 st.first_unknown_id, st.first_unknown_stream,
			 (double)(st.first_unknown_ts_ns - st.first_ts_ns) / 1e9);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (st.reused_ids) {
		snprintf(why, len, "replay: %s: %" PRIu64 " allocations of an object id still live: a trace "
			 "soakctl record writes never reuses one (a damaged or hand-made trace)", path,
			 st.reused_ids);
		return SOAK_WORKER_EXIT_USAGE;
	}
	if (st.max_id >= RP_OBJ_ID_MAX) {
		snprintf(why, len, "replay: %s: object id %" PRIu64 " (at most 2^62): a trace soakctl record "
			 "writes numbers its objects from 1 (a damaged or hand-made trace)", path, st.max_id);
		return SOAK_WORKER_EXIT_USAGE;
	}
	uint64_t max_id = st.max_id, first = st.events ? st.first_ts_ns : UINT64_MAX;
	uint32_t streams = info.streams;
	rp_state_t *s = soak_wl_meta_alloc(sizeof(*s));
	if (!s) {
		snprintf(why, len, "replay: out of memory");
		return SOAK_WORKER_EXIT_SETUP;
	}
	if (rp_objs_init(&s->objs, st.max_live_objects, info.streams <= 1) < 0) {
		snprintf(why, len, "replay: no memory for a table of %" PRIu64 " live objects", st.max_live_objects);
		return SOAK_WORKER_EXIT_SETUP;
	}
	s->max_id = max_id;
	s->first_ts = first == UINT64_MAX ? 0 : first;
	s->speed = x;
	s->loop = !strcmp(ctx->opt[RP_LOOP].s, "yes");
	s->touch = !strcmp(ctx->opt[RP_TOUCH].s, "none") ? 0 : !strcmp(ctx->opt[RP_TOUCH].s, "page") ? 1 : 2;
	s->byte = (unsigned char)(ctx->opt[RP_SEED].u % 255 + 1);
	s->gen = 1;
	s->strict = !strcmp(ctx->opt[RP_ORDER].s, "recorded");
	s->want_peak = st.peak_live_bytes;
	uint64_t last = st.events ? st.last_ts_ns : s->first_ts;
	int w = rp_window_setup(ctx, s, s->first_ts, last > s->first_ts ? last : s->first_ts, why, len);
	if (w)
		return w;
	ctx->nthreads = streams ? streams : 1;
	s->nthreads = ctx->nthreads;
	rp_st = s;
	return 0;
}

static int rp_setup(soak_wl_ctx_t *ctx)
{
	ctx->priv = rp_st;
	return 0;
}

static void rp_touch(const rp_state_t *s, void *p, uint64_t size)
{
	if (!p || !s->touch)
		return;
	if (s->touch == 2) {
		memset(p, s->byte, size);
		return;
	}
	size_t page = soak_wl_page_size();
	for (uint64_t off = 0; off < size; off += page)
		((volatile unsigned char *)p)[off] = s->byte;
}

/* Waits until object id is live (allocated in this pass, or kept from the
 * last); its slot, or NULL on stop. */
static rp_obj_t *rp_wait(soak_wl_thread_t *t, rp_state_t *s, uint64_t id)
{
	rp_obj_t *o;
	for (unsigned spins = 0; !(o = rp_objs_find(&s->objs, id)); spins++) {
		if (spins < 1000) {
			__builtin_ia32_pause();
			continue;
		}
		if (soak_wl_stop_requested(t->ctx))
			return NULL;
		sched_yield();
	}
	return o;
}

/* The object leaves: counted off its owner's bytes. */
/* --order recorded: the live bytes of all threads, in the recorded order. */
static void rp_live(rp_state_t *s, uint64_t add, uint64_t sub)
{
	if (!s->strict)
		return;
	uint64_t v = __atomic_add_fetch(&s->live, add - sub, __ATOMIC_RELAXED);
	uint64_t p = __atomic_load_n(&s->peak, __ATOMIC_RELAXED);
	while (v > p && !__atomic_compare_exchange_n(&s->peak, &p, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* before: --window, an event before FROM (the first pass): the object was
 * not live at FROM. One live at FROM stays in the table, dead, for the pass
 * end to allocate again. */
static void rp_release(soak_wl_thread_t *t, rp_state_t *s, rp_obj_t *o, bool before)
{
	if (before)
		o->at_from = false;
	rp_live(s, 0, o->size);
	if (o->owner == t->tid)
		t->bytes_live -= o->size;
	else
		__atomic_fetch_add(&s->remote[o->owner].remote_freed, o->size, __ATOMIC_RELAXED);
	rp_objs_remove(o, s->window && o->at_from);
}

/* The new block enters the table. 0, or a SOAK_WORKER_EXIT_* code. */
static int rp_hold(soak_wl_thread_t *t, rp_state_t *s, const soak_trace_ev_t *ev, void *p, uint64_t size)
{
	if (!ev->id || !p)
		return 0;
	rp_touch(s, p, size);
	rp_obj_t fill = {
		.p = p,
		.size = size,
		.owner = t->tid,
		.kind = ev->kind == SOAK_EV_REALLOC || ev->kind == SOAK_EV_REALLOCARRAY ? SOAK_EV_MALLOC : ev->kind,
		.align_log2 = ev->align_log2,
		.at_from = s->window && ev->ts_ns < s->from_ns,
	};
	t->bytes_live += size;
	rp_live(s, size, 0);
	if (!rp_objs_put(&s->objs, ev->id, &fill))
		return soak_wl_error(t->ctx, "replay: no memory for the table of live objects (%zu bytes mapped)",
				     rp_objs_bytes(&s->objs));
	return 0;
}

/* One allocating call of a kind that takes no block (all but realloc). */
static void *rp_alloc(soak_wl_thread_t *t, unsigned kind, size_t size, unsigned align_log2)
{
	size_t al = (size_t)1 << align_log2;
	void *p = NULL;
	if (kind == SOAK_EV_MALLOC)
		SOAK_WL_TIMED(t, p = malloc(size));
	else if (kind == SOAK_EV_CALLOC)
		SOAK_WL_TIMED(t, p = calloc(1, size));
	else if (kind == SOAK_EV_POSIX_MEMALIGN)
		SOAK_WL_TIMED(t, p = posix_memalign(&p, al, size) ? NULL : p);
	else if (kind == SOAK_EV_ALIGNED_ALLOC)
		SOAK_WL_TIMED(t, p = aligned_alloc(al, size));
	else if (kind == SOAK_EV_MEMALIGN)
		SOAK_WL_TIMED(t, p = memalign(al, size));
	else if (kind == SOAK_EV_VALLOC)
		SOAK_WL_TIMED(t, p = valloc(size));
	else
		SOAK_WL_TIMED(t, p = pvalloc(size));
	return p;
}

/* One event: 0, or a SOAK_WORKER_EXIT_* code; *stop on a stop while waiting. */
static int rp_event(soak_wl_thread_t *t, rp_state_t *s, const soak_trace_ev_t *ev, bool *stop)
{
	size_t size = (size_t)ev->size;
	bool before = s->window && ev->ts_ns < s->from_ns;
	void *p = NULL;
	int rc;
	switch (ev->kind) {
	case SOAK_EV_FREE: {
		rp_obj_t *o = rp_wait(t, s, ev->id);
		if (!o)
			return *stop = true, 0;
		p = o->p;
		rp_release(t, s, o, before);
		SOAK_WL_TIMED(t, free(p));
		break;
	}
	case SOAK_EV_REALLOC:
	case SOAK_EV_REALLOCARRAY: {
		void *old = NULL;
		rp_obj_t *o = NULL;
		if (ev->old_id) {
			if (!(o = rp_wait(t, s, ev->old_id)))
				return *stop = true, 0;
			old = o->p;
		}
		if (ev->kind == SOAK_EV_REALLOC)
			SOAK_WL_TIMED(t, p = realloc(old, size));
		else
			SOAK_WL_TIMED(t, p = reallocarray(old, 1, size));
		if (o && (p || size == 0))
			rp_release(t, s, o, before);
		if (!p && size && ev->id)
			return soak_wl_nomem(t, size);
		if ((rc = rp_hold(t, s, ev, p, size)))
			return rc;
		break;
	}
	case SOAK_EV_MALLOC:
	case SOAK_EV_CALLOC:
	case SOAK_EV_POSIX_MEMALIGN:
	case SOAK_EV_ALIGNED_ALLOC:
	case SOAK_EV_MEMALIGN:
	case SOAK_EV_VALLOC:
	case SOAK_EV_PVALLOC:
		p = rp_alloc(t, ev->kind, size, ev->align_log2);
		if (!p && ev->id)
			return soak_wl_nomem(t, size);
		if ((rc = rp_hold(t, s, ev, p, size)))
			return rc;
		break;
	default:
		return 0; /* thread start and exit: the replay thread is already there */
	}
	t->ops++;
	return 0;
}

static void rp_publish(soak_wl_thread_t *t, rp_state_t *s)
{
	t->bytes_live -= __atomic_exchange_n(&s->remote[t->tid].remote_freed, 0, __ATOMIC_RELAXED);
	soak_wl_publish(t);
}

/* Paces the event at its recorded time / speed (base: the recorded time of
 * the pass's start); true on stop. */
static bool rp_pace(soak_wl_thread_t *t, rp_state_t *s, uint64_t start, uint64_t base, uint64_t ts)
{
	uint64_t due = start + (uint64_t)((double)(ts - base) / s->speed);
	uint64_t now = soak_clock_mono_ns();
	return now < due && soak_wl_sleep_ns(t, due - now);
}

/* Waits for every replay thread; true for the last one to arrive, which
 * runs `last` before releasing the others. *stop when stopped meanwhile (a
 * pthread barrier would wait forever for a thread that stopped). */
static bool rp_barrier(soak_wl_thread_t *t, rp_state_t *s, void (*last)(rp_state_t *), bool *stop)
{
	uint32_t round = __atomic_load_n(&s->bar_round, __ATOMIC_ACQUIRE);
	if (__atomic_add_fetch(&s->bar_count, 1, __ATOMIC_ACQ_REL) == s->nthreads) {
		__atomic_store_n(&s->bar_count, 0, __ATOMIC_RELAXED);
		if (last)
			last(s);
		__atomic_store_n(&s->bar_round, round + 1, __ATOMIC_RELEASE);
		return true;
	}
	while (__atomic_load_n(&s->bar_round, __ATOMIC_ACQUIRE) == round) {
		if (soak_wl_stop_requested(t->ctx)) {
			*stop = true;
			return false;
		}
		sched_yield();
	}
	return false;
}

static void rp_gen_next(rp_state_t *s)
{
	s->gen++;
	/* --order recorded: no thread moves before every thread has published
	 * its first event of the new pass. */
	for (unsigned i = 0; i < s->nthreads; i++)
		__atomic_store_n(&s->remote[i].head_ts, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->ended, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->peak, __atomic_load_n(&s->live, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

/* --order recorded: publishes this thread's next event time and waits until
 * it is the earliest of all threads' (ties: the lower thread first, as trace
 * info merges them). false on stop. */
static bool rp_turn(soak_wl_thread_t *t, rp_state_t *s, uint64_t ts)
{
	__atomic_store_n(&s->remote[t->tid].head_ts, ts, __ATOMIC_RELEASE);
	for (unsigned j = 0, spins = 0; j < s->nthreads; j++) {
		for (;;) {
			uint64_t h = __atomic_load_n(&s->remote[j].head_ts, __ATOMIC_ACQUIRE);
			if (j == t->tid || h > ts || (h == ts && h && j > t->tid))
				break;
			if (++spins % 1024 == 0) {
				if (soak_wl_stop_requested(t->ctx))
					return false;
				sched_yield();
			}
			__builtin_ia32_pause();
		}
	}
	return true;
}

/* --order recorded, at the end of a pass: the last thread to end it checks
 * the peak of live bytes against the trace's. 0, or a verify failure. */
static int rp_pass_end(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, rp_state_t *s)
{
	if (!s->strict)
		return 0;
	__atomic_store_n(&s->remote[t->tid].head_ts, UINT64_MAX, __ATOMIC_RELEASE);
	if (__atomic_add_fetch(&s->ended, 1, __ATOMIC_ACQ_REL) != s->nthreads)
		return 0;
	uint64_t peak = __atomic_load_n(&s->peak, __ATOMIC_RELAXED);
	if (peak != s->want_peak)
		return soak_wl_fail(ctx, "replay: --order recorded: pass %" PRIu32 " of %s reached a peak of %" PRIu64
				    " live bytes; the trace's is %" PRIu64, s->gen, ctx->opt[RP_TRACE].s, peak,
				    s->want_peak);
	return 0;
}

/* --window, at the end of a pass: an object live at FROM and freed in the
 * window is allocated again by its owner, with its size, alignment and call,
 * ready in the next pass. */
static int rp_reborn(soak_wl_thread_t *t, rp_state_t *s, rp_obj_t *o)
{
	void *p = rp_alloc(t, o->kind, (size_t)o->size, o->align_log2);
	if (!p)
		return soak_wl_nomem(t, (size_t)o->size);
	t->ops++;
	t->bytes_live += o->size;
	rp_live(s, o->size, 0);
	rp_touch(s, p, o->size);
	rp_objs_revive(o, p);
	return 0;
}

/* One object at the end of a pass: freed (--window: kept when live at FROM,
 * allocated again when live at FROM and freed since). */
static int rp_pass_end_obj(soak_wl_thread_t *t, rp_state_t *s, rp_obj_t *o)
{
	if (rp_obj_dead(o))
		return rp_reborn(t, s, o);
	if (o->at_from)
		return 0;
	void *p = o->p;
	rp_release(t, s, o, false);
	SOAK_WL_TIMED(t, free(p));
	t->ops++;
	return 0;
}

/* This thread's objects, collected from the table to be taken in id order
 * (the order of the recording's allocations). */
typedef struct {
	rp_obj_t **v;
	size_t n;
	uint32_t tid;
} rp_mine_t;

static int rp_collect(rp_obj_t *o, void *arg)
{
	rp_mine_t *m = arg;
	if (o->owner == m->tid)
		m->v[m->n++] = o;
	return 0;
}

/* Heapsort by id: qsort may take its buffer from the allocator under test. */
static void rp_sift(rp_obj_t **v, size_t i, size_t n)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && rp_obj_id(v[c + 1]) > rp_obj_id(v[c]))
			c++;
		if (rp_obj_id(v[i]) >= rp_obj_id(v[c]))
			return;
		rp_obj_t *x = v[i];
		v[i] = v[c];
		v[c] = x;
	}
}

static void rp_sort_by_id(rp_obj_t **v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		rp_sift(v, i, n);
	for (size_t end = n; end-- > 1;) {
		rp_obj_t *x = v[0];
		v[0] = v[end];
		v[end] = x;
		rp_sift(v, 0, end);
	}
}

/* End of a pass with --loop, all threads in step: each frees what it holds
 * (--window: what is live and was not live at FROM) and, with --window,
 * allocates again what was live at FROM and is not, in id order; what stays
 * live is ready in the next pass. 0, or a SOAK_WORKER_EXIT_* code. */
static int rp_next_pass(soak_wl_thread_t *t, rp_state_t *s, bool *stop)
{
	rp_barrier(t, s, NULL, stop);
	if (*stop)
		return 0;
	/* Nothing enters the table until the next barrier: the slots bound
	 * this thread's objects. */
	size_t bytes = rp_objs_bytes(&s->objs) / sizeof(rp_obj_t) * sizeof(rp_obj_t *);
	rp_mine_t m = { soak_wl_meta_alloc(bytes), 0, t->tid };
	int rc = 0;
	if (!m.v) {
		rc = soak_wl_error(t->ctx, "replay: no memory for the end of a pass (%zu bytes)", bytes);
	} else {
		rp_objs_each(&s->objs, rp_collect, &m);
		rp_sort_by_id(m.v, m.n);
		for (size_t i = 0; i < m.n && !rc; i++)
			rc = rp_pass_end_obj(t, s, m.v[i]);
		soak_wl_meta_free(m.v, bytes);
	}
	/* A thread that failed still meets the others (they wait for it). */
	rp_barrier(t, s, rp_gen_next, stop);
	return rc;
}

/* An object id beyond the table: the table was sized on the file as
 * supported() read it, and the file changed since (a trace still being
 * recorded, or rewritten, read again by a pass of --loop). Thread starts
 * carry the process id in id, not an object. */
static bool rp_beyond(const rp_state_t *s, const soak_trace_ev_t *ev)
{
	return (ev->id > s->max_id && ev->kind != SOAK_EV_THREAD_START) || ev->old_id > s->max_id;
}

static int rp_refuse(soak_wl_ctx_t *ctx, const soak_trace_reader_t *r, const rp_state_t *s,
		     const soak_trace_ev_t *ev)
{
	char why[256], err[768];
	snprintf(why, sizeof(why),
		 "%s of object id %" PRIu64 ", beyond the highest id (%" PRIu64 ") the file held when the "
		 "replay began: the trace changed during the run; replay a finished recording",
		 soak_trace_kind_name(ev->kind), ev->old_id > s->max_id ? ev->old_id : ev->id, s->max_id);
	soak_trace_reject(r, err, sizeof(err), why);
	return soak_wl_error(ctx, "replay: %s", err);
}

/* Where a replay thread is in the trace. */
typedef struct {
	uint64_t start, n;      /* the pass's start (monotonic); events read */
	bool later;             /* --window: a pass after the first */
	bool marked, idle;      /* --window: mark is its first event at or after FROM; idle: it has none */
	soak_trace_mark_t mark;
} rp_cursor_t;

/* One pass of this thread's events (--window: up to TO). 0, or a
 * SOAK_WORKER_EXIT_* code. */
static int rp_pass(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, rp_state_t *s, soak_trace_reader_t *r, rp_cursor_t *c,
		   bool *stop)
{
	soak_trace_ev_t ev;
	char err[512];
	uint64_t base = c->later ? s->from_ns : s->first_ts;
	int rc = 0, k = 0;
	while (!*stop && !rc && !c->idle && (k = soak_trace_next(r, &ev, err, sizeof(err))) == 1) {
		if (s->window && !c->marked && ev.ts_ns >= s->from_ns) {
			soak_trace_mark(r, &c->mark);
			c->marked = true;
		}
		if (s->window && ev.ts_ns >= s->to_ns)
			break;
		if (rp_beyond(s, &ev))
			rc = rp_refuse(ctx, r, s, &ev);
		else if (s->speed > 0 && rp_pace(t, s, c->start, base, ev.ts_ns))
			*stop = true;
		else if (s->strict && !rp_turn(t, s, ev.ts_ns ? ev.ts_ns : 1))
			*stop = true;
		else
			rc = rp_event(t, s, &ev, stop);
		if (++c->n % SOAK_WL_BATCH == 0) {
			rp_publish(t, s);
			*stop = *stop || soak_wl_stop_requested(ctx);
		}
	}
	if (!*stop && !rc && k < 0)
		rc = soak_wl_error(ctx, "replay: %s", err);
	return rc;
}

/* The end of the trace without --loop: each thread holds what is live and
 * makes no more calls until stopped. Once the last thread is there, the
 * run's later intervals count 0 ops: its ops/s is then no throughput (the
 * gates, compare and history say so and skip their throughput figures)
 * rather than a mean diluted by idle time. */
static void rp_note_idle(soak_wl_ctx_t *ctx, const rp_state_t *s, uint64_t start)
{
	static unsigned ended;
	if (__atomic_add_fetch(&ended, 1, __ATOMIC_RELAXED) != s->nthreads)
		return;
	snprintf(ctx->shm->not_rate, sizeof(ctx->shm->not_rate), "the replay reached the end of its trace after "
		 "%.1f s and then made no calls (--loop no): ops/s is no throughput; give --loop yes",
		 (double)(soak_clock_mono_ns() - start) / 1e9);
}

static int rp_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	rp_state_t *s = ctx->priv;
	soak_trace_reader_t *r;
	char err[512];
	if (soak_trace_open_with(ctx->opt[RP_TRACE].s, &rp_mem, &r, err, sizeof(err)) < 0)
		return soak_wl_error(ctx, "replay: %s", err);
	soak_trace_only_stream(r, t->tid);
	rp_cursor_t c = { .start = soak_clock_mono_ns() };
	bool stop = false;
	int rc = 0;
	while (!stop && !rc) {
		rc = rp_pass(ctx, t, s, r, &c, &stop);
		if (!stop && !rc)
			rc = rp_pass_end(ctx, t, s);
		if (stop || rc)
			break;
		rp_publish(t, s);
		if (!s->loop) {
			/* The end of the trace: hold what is live until stopped. */
			rp_note_idle(ctx, s, c.start);
			while (!soak_wl_sleep_ns(t, 100 * 1000 * 1000))
				rp_publish(t, s);
			break;
		}
		rc = rp_next_pass(t, s, &stop);
		if (!s->window) {
			soak_trace_rewind(r, err, sizeof(err));
		} else {
			/* Later passes start at the first event at or after FROM. */
			c.later = true;
			c.idle = !c.marked;
			if (!rc && c.marked && soak_trace_seek(r, &c.mark, err, sizeof(err)) < 0)
				rc = soak_wl_error(ctx, "replay: %s", err);
		}
		c.start = soak_clock_mono_ns();
	}
	rp_publish(t, s);
	soak_trace_close(r);
	return rc;
}

const soak_workload_t soak_wl_replay = {
	.name = "replay",
	.summary = "replays a trace recorded by soakctl record: the program's own calls, sizes, alignments and threads",
	.origin = "a real program's allocation stream (soakctl record -o FILE -- CMD), docs/replay.md",
	.op = "one recorded malloc, calloc, realloc, free or aligned allocation (and, with --loop, each end-of-pass free; "
	      "with --window, each end-of-pass allocation again)",
	.opts = rp_opts,
	.n_opts = sizeof(rp_opts) / sizeof(rp_opts[0]),
	.supported = rp_supported,
	.setup = rp_setup,
	.run = rp_run,
};
