/*
 * wl-replay.c - replays a trace written by `soakctl record` (soak/trace.h)
 * under the allocator under test: one thread per recorded thread, each
 * streaming its own events from the file (one chunk in memory at a time) and
 * issuing the same call with the same size and alignment.
 *
 * Object ids index a table in mmap'd memory (sized by the highest id of the
 * trace): the block, its requested size, the replay thread that holds it and
 * a readiness word. A free or realloc of an object another thread allocates
 * waits (spin, then sched_yield) until that allocation happened in this pass;
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
 * frees the objects it holds, and the replay starts again (a generation
 * number makes last pass's readiness stale). --speed real|X paces each event
 * at its recorded time (divided by X); max replays as fast as it can.
 * --touch page writes one byte per page of each new block, all every byte,
 * none nothing.
 */
#include <inttypes.h>
#include <malloc.h>
#include <sched.h>

#include "soak/trace.h"
#include "workload.h"

enum { RP_TRACE, RP_SPEED, RP_LOOP, RP_TOUCH, RP_SEED, RP_ORDER };

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
};

typedef struct {
	void *p;
	uint64_t size;
	uint32_t gen;      /* readiness: the pass that allocated it (0: never) */
	uint32_t owner;
} rp_obj_t;

typedef struct {
	_Alignas(64) uint64_t remote_freed;
	uint64_t head_ts;  /* --order recorded: the time of its next event (UINT64_MAX: none) */
} rp_remote_t;

typedef struct {
	rp_obj_t *obj;
	uint64_t max_id, first_ts;
	size_t obj_bytes;
	double speed;           /* 0: max */
	bool loop;
	int touch;              /* 0 none, 1 page, 2 all */
	unsigned char byte;     /* what --touch writes */
	uint32_t gen;
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
	uint64_t max_id = st.max_id, first = st.events ? st.first_ts_ns : UINT64_MAX;
	uint32_t streams = info.streams;
	rp_state_t *s = soak_wl_meta_alloc(sizeof(*s));
	if (!s) {
		snprintf(why, len, "replay: out of memory");
		return SOAK_WORKER_EXIT_SETUP;
	}
	s->obj_bytes = (max_id + 1) * sizeof(rp_obj_t);
	s->obj = soak_wl_meta_alloc(s->obj_bytes);
	if (!s->obj) {
		snprintf(why, len, "replay: no memory for a table of %" PRIu64 " objects", max_id + 1);
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

/* Waits until object id was allocated in this pass; false on stop. */
static bool rp_wait(soak_wl_thread_t *t, rp_state_t *s, uint64_t id)
{
	for (unsigned spins = 0; __atomic_load_n(&s->obj[id].gen, __ATOMIC_ACQUIRE) != s->gen; spins++) {
		if (spins < 1000) {
			__builtin_ia32_pause();
			continue;
		}
		if (soak_wl_stop_requested(t->ctx))
			return false;
		sched_yield();
	}
	return true;
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

static void rp_release(soak_wl_thread_t *t, rp_state_t *s, rp_obj_t *o)
{
	rp_live(s, 0, o->size);
	if (o->owner == t->tid)
		t->bytes_live -= o->size;
	else
		__atomic_fetch_add(&s->remote[o->owner].remote_freed, o->size, __ATOMIC_RELAXED);
	__atomic_store_n(&o->gen, 0, __ATOMIC_RELAXED);
}

static void rp_hold(soak_wl_thread_t *t, rp_state_t *s, uint64_t id, void *p, uint64_t size)
{
	if (!id || !p)
		return;
	rp_obj_t *o = &s->obj[id];
	o->p = p;
	o->size = size;
	o->owner = t->tid;
	t->bytes_live += size;
	rp_live(s, size, 0);
	rp_touch(s, p, size);
	__atomic_store_n(&o->gen, s->gen, __ATOMIC_RELEASE);
}

/* One event: 0, or a SOAK_WORKER_EXIT_* code; *stop on a stop while waiting. */
static int rp_event(soak_wl_thread_t *t, rp_state_t *s, const soak_trace_ev_t *ev, bool *stop)
{
	size_t size = (size_t)ev->size, al = (size_t)1 << ev->align_log2;
	void *p = NULL;
	switch (ev->kind) {
	case SOAK_EV_FREE:
		if (!rp_wait(t, s, ev->id))
			return *stop = true, 0;
		p = s->obj[ev->id].p;
		rp_release(t, s, &s->obj[ev->id]);
		SOAK_WL_TIMED(t, free(p));
		break;
	case SOAK_EV_REALLOC:
	case SOAK_EV_REALLOCARRAY: {
		void *old = NULL;
		if (ev->old_id) {
			if (!rp_wait(t, s, ev->old_id))
				return *stop = true, 0;
			old = s->obj[ev->old_id].p;
		}
		if (ev->kind == SOAK_EV_REALLOC)
			SOAK_WL_TIMED(t, p = realloc(old, size));
		else
			SOAK_WL_TIMED(t, p = reallocarray(old, 1, size));
		if (ev->old_id && (p || size == 0))
			rp_release(t, s, &s->obj[ev->old_id]);
		if (!p && size && ev->id)
			return soak_wl_nomem(t, size);
		rp_hold(t, s, ev->id, p, size);
		break;
	}
	case SOAK_EV_MALLOC:
	case SOAK_EV_CALLOC:
	case SOAK_EV_POSIX_MEMALIGN:
	case SOAK_EV_ALIGNED_ALLOC:
	case SOAK_EV_MEMALIGN:
	case SOAK_EV_VALLOC:
	case SOAK_EV_PVALLOC:
		if (ev->kind == SOAK_EV_MALLOC)
			SOAK_WL_TIMED(t, p = malloc(size));
		else if (ev->kind == SOAK_EV_CALLOC)
			SOAK_WL_TIMED(t, p = calloc(1, size));
		else if (ev->kind == SOAK_EV_POSIX_MEMALIGN)
			SOAK_WL_TIMED(t, p = posix_memalign(&p, al, size) ? NULL : p);
		else if (ev->kind == SOAK_EV_ALIGNED_ALLOC)
			SOAK_WL_TIMED(t, p = aligned_alloc(al, size));
		else if (ev->kind == SOAK_EV_MEMALIGN)
			SOAK_WL_TIMED(t, p = memalign(al, size));
		else if (ev->kind == SOAK_EV_VALLOC)
			SOAK_WL_TIMED(t, p = valloc(size));
		else
			SOAK_WL_TIMED(t, p = pvalloc(size));
		if (!p && ev->id)
			return soak_wl_nomem(t, size);
		rp_hold(t, s, ev->id, p, size);
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

/* Paces the event at its recorded time / speed; true on stop. */
static bool rp_pace(soak_wl_thread_t *t, rp_state_t *s, uint64_t start, uint64_t ts)
{
	uint64_t due = start + (uint64_t)((double)(ts - s->first_ts) / s->speed);
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

/* End of a pass with --loop: free what this thread holds, all in step. */
static void rp_next_pass(soak_wl_thread_t *t, rp_state_t *s, bool *stop)
{
	rp_barrier(t, s, NULL, stop);
	if (*stop)
		return;
	for (uint64_t id = 1; id <= s->max_id; id++) {
		rp_obj_t *o = &s->obj[id];
		if (o->owner == t->tid && __atomic_load_n(&o->gen, __ATOMIC_ACQUIRE) == s->gen) {
			rp_release(t, s, o);
			SOAK_WL_TIMED(t, free(o->p));
			t->ops++;
		}
	}
	rp_barrier(t, s, rp_gen_next, stop);
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

static int rp_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	rp_state_t *s = ctx->priv;
	soak_trace_reader_t *r;
	char err[512];
	if (soak_trace_open_with(ctx->opt[RP_TRACE].s, &rp_mem, &r, err, sizeof(err)) < 0)
		return soak_wl_error(ctx, "replay: %s", err);
	soak_trace_only_stream(r, t->tid);
	soak_trace_ev_t ev;
	uint64_t start = soak_clock_mono_ns(), n = 0;
	bool stop = false;
	int rc = 0, k;
	while (!stop && !rc) {
		while (!stop && !rc && (k = soak_trace_next(r, &ev, err, sizeof(err))) == 1) {
			if (rp_beyond(s, &ev))
				rc = rp_refuse(ctx, r, s, &ev);
			else if (s->speed > 0 && rp_pace(t, s, start, ev.ts_ns))
				stop = true;
			else if (s->strict && !rp_turn(t, s, ev.ts_ns ? ev.ts_ns : 1))
				stop = true;
			else
				rc = rp_event(t, s, &ev, &stop);
			if (++n % SOAK_WL_BATCH == 0) {
				rp_publish(t, s);
				stop = stop || soak_wl_stop_requested(ctx);
			}
		}
		if (!stop && !rc && k < 0)
			rc = soak_wl_error(ctx, "replay: %s", err);
		if (!stop && !rc)
			rc = rp_pass_end(ctx, t, s);
		if (stop || rc)
			break;
		rp_publish(t, s);
		if (!s->loop) {
			/* The end of the trace: hold what is live until stopped. */
			while (!soak_wl_sleep_ns(t, 100 * 1000 * 1000))
				rp_publish(t, s);
			break;
		}
		rp_next_pass(t, s, &stop);
		soak_trace_rewind(r, err, sizeof(err));
		start = soak_clock_mono_ns();
	}
	rp_publish(t, s);
	soak_trace_close(r);
	return rc;
}

const soak_workload_t soak_wl_replay = {
	.name = "replay",
	.summary = "replays a trace recorded by soakctl record: the program's own calls, sizes, alignments and threads",
	.origin = "a real program's allocation stream (soakctl record -o FILE -- CMD), docs/replay.md",
	.op = "one recorded malloc, calloc, realloc, free or aligned allocation (and, with --loop, each end-of-pass free)",
	.opts = rp_opts,
	.n_opts = sizeof(rp_opts) / sizeof(rp_opts[0]),
	.supported = rp_supported,
	.setup = rp_setup,
	.run = rp_run,
};
