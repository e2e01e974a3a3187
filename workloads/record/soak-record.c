/*
 * soak-record.c - soak-record.so, the recording library `soakctl record`
 * preloads: it interposes the C allocation functions, forwards each call to
 * the next definition (the allocator recorded under, or the C library's) and
 * writes a trace (soak/trace.h) to $SOAK_RECORD_FILE.
 *
 * - Each thread appends its events to its own buffer with no lock: a busy
 *   word, set and cleared by its thread around each append, tells the exit
 *   flush (on another thread) when the buffer is quiet; the flush first stops
 *   recording and issues a membarrier(2), so every thread then either sees
 *   the stop or has its busy word visible. A full buffer is compressed by its
 *   thread (its own zstd context, in mmap'd memory: no allocation) and
 *   written as one chunk per write() on an O_APPEND file, under a spin lock
 *   held for the write alone.
 * - Object ids come from per-buffer ranges of REC_ID_RANGE (one atomic add
 *   per range); addresses map to ids in rec-table.c. A block is removed from
 *   the table before the real free/realloc runs, so an address handed out
 *   again is a new object.
 * - Time: CLOCK_MONOTONIC nanoseconds, read per event; on an invariant TSC
 *   from rdtsc, scaled by a slope measured at start (now_ns).
 * - dlsym may call calloc before the real functions are known: those calls
 *   are served from a small static arena, and frees of it are ignored. Calls
 *   the allocator or zstd make while the recorder is inside a real call are
 *   not recorded (a per-thread depth).
 * - At exit (atexit, the library destructor, and _exit/_Exit, which this
 *   library also interposes) and on a fatal signal whose action was the
 *   default (SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTERM, SIGINT,
 *   SIGHUP, SIGQUIT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ) every buffer is
 *   flushed and the end record written; the signal is then raised again
 *   with its default action. The end record names the signal. What the
 *   crashing thread was appending when the signal came is lost (its buffer
 *   is skipped), and SIGKILL or a handler the program installs itself leaves
 *   the chunks written so far, which read as a cut trace.
 * - A fork child records nothing unless SOAK_RECORD_FOLLOW_FORKS=1; then it
 *   writes its own trace to $SOAK_RECORD_FILE.<pid>. So does a program the
 *   recorded one runs (its pid is not $SOAK_RECORD_PID), under the same rule.
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_initStaticCCtx: a context in mmap'd memory */
#include <zstd.h>

#include "rec-table.h"
#include "soak/trace.h"

#define REC_EXPORT __attribute__((visibility("default")))
#define REC_TLS __thread __attribute__((tls_model("initial-exec")))
/* Raw bytes per chunk: a killed program loses at most this much per thread. */
#define REC_CHUNK_BYTES (64 * 1024)
#define REC_ARENA (256 * 1024)
#define REC_ID_RANGE 64
/* zstd level 1: level 3 made chunks 4% smaller at half the speed (41 vs 84
 * MB/s on random_mixed's events, where compression was a third of the cost). */
#define REC_ZLEVEL 1
/* The TSC's slope is measured over the library's first 20 ms (now_ns). */
#define REC_CALIB_NS (20 * 1000 * 1000)

typedef struct rec_buf {
	int busy;                 /* its thread is appending or flushing */
	int live;                 /* a thread owns it */
	struct rec_buf *next;     /* all buffers ever made (never freed) */
	uint64_t id_next, id_end; /* the object ids this buffer hands out */
	ZSTD_CCtx *cctx;          /* made at its first flush, in mmap'd memory */
	uint8_t *out;             /* the compressed chunk */
	soak_trace_chunk_t c;
} rec_buf_t;

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*memalign)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
} real;

static int rec_state;          /* 0 unknown, 3 resolved, 1 recording, 2 off */
static int rec_resolving;
static bool rec_done;          /* recording stopped (the end is being written) */
static bool rec_ended;         /* end record written: nothing more is written */
static bool rec_fence;         /* no membarrier: each append fences instead */
static char rec_path[4096];
static int rec_fd = -1;
static int rec_wlock;          /* the file: one chunk per write() */
static uint64_t rec_next_id = 1, rec_events;
static uint32_t rec_next_stream;
static rec_buf_t *rec_bufs;
static pthread_key_t rec_key;
static size_t rec_cctx_bytes, rec_out_bytes;
static _Alignas(16) unsigned char rec_arena[REC_ARENA];
static size_t rec_arena_used;
static struct {
	bool tsc;                  /* an invariant TSC: time from rdtsc */
	uint64_t start_ns, start_tsc;
	uint64_t mult;             /* ns per cycle << 32; 0 until measured */
} rec_clock;

static REC_TLS rec_buf_t *tls_buf;
static REC_TLS int tls_depth;
static REC_TLS bool tls_exited;
static REC_TLS bool tls_writing;  /* this thread holds rec_wlock */


static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- time ---- */

/* Every event reads the clock: trace info orders the threads' events by
 * time (the peak of live bytes, cross-thread frees), so a stamp reused from
 * an earlier read would put a free on one thread before another thread's
 * malloc it follows. On an invariant TSC the read is rdtsc (behind lfence,
 * like the vDSO's) scaled by one slope measured against CLOCK_MONOTONIC over
 * the library's first REC_CALIB_NS; clock_gettime before that and elsewhere.
 * Measured on this suite's VMs: ~50 ns against ~75 ns for clock_gettime. */
static inline uint64_t tsc_read(void)
{
	uint32_t lo, hi;
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static void clock_start(void)
{
	unsigned a, b, c, d;
	/* CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every
	 * C- and P-state (Linux's constant_tsc and nonstop_tsc). */
	rec_clock.tsc = __get_cpuid(0x80000007, &a, &b, &c, &d) && (d & (1u << 8));
	uint64_t t0 = tsc_read();
	rec_clock.start_ns = mono_ns();
	rec_clock.start_tsc = t0 / 2 + tsc_read() / 2;
}

static uint64_t now_ns(void)
{
	uint64_t m = __atomic_load_n(&rec_clock.mult, __ATOMIC_ACQUIRE);
	if (__builtin_expect(m != 0, 1)) {
		uint64_t d = tsc_read() - rec_clock.start_tsc;
		return rec_clock.start_ns + (uint64_t)(((unsigned __int128)d * m) >> 32);
	}
	if (!rec_clock.tsc)
		return mono_ns();
	/* The slope, once, from a clock read bracketed by two TSC reads (their
	 * midpoint: a preemption between them does not skew it). */
	uint64_t t0 = tsc_read(), ns = mono_ns(), t1 = tsc_read();
	uint64_t cyc = t0 / 2 + t1 / 2 - rec_clock.start_tsc;
	if (ns - rec_clock.start_ns >= REC_CALIB_NS && t1 > t0 && cyc) {
		m = (uint64_t)(((unsigned __int128)(ns - rec_clock.start_ns) << 32) / cyc);
		uint64_t none = 0;
		__atomic_compare_exchange_n(&rec_clock.mult, &none, m, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	return ns;
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}
static void *arena_alloc(size_t n)
{
	size_t at = __atomic_fetch_add(&rec_arena_used, (n + 15) & ~(size_t)15, __ATOMIC_RELAXED);
	return at + n <= REC_ARENA ? rec_arena + at : NULL;
}

static bool in_arena(const void *p)
{
	return (const unsigned char *)p >= rec_arena && (const unsigned char *)p < rec_arena + REC_ARENA;
}

#define RESOLVE(f) real.f = (__typeof__(real.f))dlsym(RTLD_NEXT, #f)

static void thread_gone(void *arg);
static void membarrier_register(void);

/* Finds the real functions; decides whether to record when `final` (the
 * constructor) or when the variable is there: a call before the C library
 * has its environment (ld.so's own allocations) must not turn recording off. */
static void resolve(bool final)
{
	if (rec_state == 0) {
	rec_resolving = 1;
	RESOLVE(malloc);
	RESOLVE(calloc);
	RESOLVE(realloc);
	RESOLVE(reallocarray);
	RESOLVE(free);
	RESOLVE(posix_memalign);
	RESOLVE(aligned_alloc);
	RESOLVE(memalign);
	RESOLVE(valloc);
	RESOLVE(pvalloc);
	rec_resolving = 0;
	__atomic_store_n(&rec_state, 3, __ATOMIC_RELEASE);
	}
	const char *p = getenv("SOAK_RECORD_FILE");
	if (!final && (!p || !*p))
		return;
	if (!p || !*p || strlen(p) >= sizeof(rec_path) - 16 || rec_table_init() < 0) {
		__atomic_store_n(&rec_state, 2, __ATOMIC_RELEASE);
		return;
	}
	strcpy(rec_path, p);
	/* SOAK_RECORD_PID names the recorded process: a program it runs (a shell,
	 * a helper) is another process, recorded only when forks are followed,
	 * into its own file. */
	const char *pid = getenv("SOAK_RECORD_PID"), *follow = getenv("SOAK_RECORD_FOLLOW_FORKS");
	if (pid && strtol(pid, NULL, 10) != (long)getpid()) {
		if (!follow || strcmp(follow, "1") != 0) {
			__atomic_store_n(&rec_state, 2, __ATOMIC_RELEASE);
			return;
		}
		snprintf(rec_path + strlen(rec_path), 16, ".%d", (int)getpid());
	}
	if (pthread_key_create(&rec_key, thread_gone) != 0) {
		__atomic_store_n(&rec_state, 2, __ATOMIC_RELEASE);
		return;
	}
	rec_cctx_bytes = ZSTD_estimateCCtxSize(REC_ZLEVEL);
	rec_out_bytes = SOAK_TRACE_CHUNK_HDR + ZSTD_COMPRESSBOUND(REC_CHUNK_BYTES);
	membarrier_register();
	clock_start();
	__atomic_store_n(&rec_state, 1, __ATOMIC_RELEASE);
}

/* A new id for the block at p, from b's range; 0 (not recorded) without a
 * buffer: a thread past its exit. */
static uint64_t id_new(rec_buf_t *b, const void *p)
{
	if (!b || !p)
		return 0;
	if (b->id_next == b->id_end) {
		b->id_next = __atomic_fetch_add(&rec_next_id, REC_ID_RANGE, __ATOMIC_RELAXED);
		b->id_end = b->id_next + REC_ID_RANGE;
	}
	uint64_t id = b->id_next++;
	rec_table_put(p, id);
	return id;
}

/* ---- the file ---- */

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void read_cmdline(char *dst, size_t len)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, dst, len - 1) : -1;
	if (fd >= 0)
		close(fd);
	n = n < 0 ? 0 : n;
	for (ssize_t i = 0; i < n; i++)
		if (dst[i] == '\0')
			dst[i] = ' ';
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = '\0';
}

/* Under rec_wlock: opens the file and writes the header once. */
static bool file_ready(void)
{
	if (rec_fd >= 0)
		return true;
	rec_fd = open(rec_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (rec_fd < 0)
		return false;
	static soak_trace_hdr_t h;
	static uint8_t hbuf[SOAK_TRACE_HDR_MAX + 16];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	h.start_realtime_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	read_cmdline(h.cmdline, sizeof(h.cmdline));
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(h.host, sizeof(h.host), "%s", u.nodename);
	const char *a = getenv("SOAK_RECORD_ALLOCATOR");
	snprintf(h.allocator, sizeof(h.allocator), "%s", a && *a ? a : "system");
	snprintf(h.clock, sizeof(h.clock), "CLOCK_MONOTONIC");
	write_all(rec_fd, hbuf, soak_trace_hdr_encode(&h, hbuf));
	return true;
}

/* Takes the file's lock: false when this thread holds it already (a signal
 * that came during its write: nothing more can be written safely). */
static bool file_lock(void)
{
	if (tls_writing)
		return false;
	spin_lock(&rec_wlock);
	tls_writing = true;
	return true;
}

static void file_unlock(void)
{
	tls_writing = false;
	spin_unlock(&rec_wlock);
}

/* Compresses and writes b's chunk (by its thread, or by the exit flush once
 * it is quiet), then empties it. No allocation: the context and the output
 * live in mmap'd memory. */
static void flush_buf(rec_buf_t *b)
{
	if (b->c.n == 0)
		return;
	tls_depth++;
	if (!b->cctx) {
		void *w = map(rec_cctx_bytes);
		b->cctx = w ? ZSTD_initStaticCCtx(w, rec_cctx_bytes) : NULL;
		b->out = map(rec_out_bytes);
	}
	size_t n = b->cctx && b->out ? soak_trace_chunk_encode(&b->c, b->cctx, b->out, rec_out_bytes, REC_ZLEVEL) : 0;
	if (n && !__atomic_load_n(&rec_ended, __ATOMIC_ACQUIRE) && file_lock()) {
		if (!rec_ended && file_ready()) {
			write_all(rec_fd, b->out, n);
			__atomic_fetch_add(&rec_events, b->c.n, __ATOMIC_RELAXED);
		}
		file_unlock();
	}
	soak_trace_chunk_reset(&b->c, b->c.stream);
	tls_depth--;
}

static void add_event(rec_buf_t *b, const soak_trace_ev_t *ev)
{
	if (b->c.len + SOAK_TRACE_EVENT_MAX > REC_CHUNK_BYTES)
		flush_buf(b);
	soak_trace_chunk_add(&b->c, ev);
}

/* The busy word around an append: set, then (after the exit flush's
 * membarrier, or a fence) the stop is seen or the busy word is. */
static bool buf_enter(rec_buf_t *b)
{
	__atomic_store_n(&b->busy, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(rec_fence, 0))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&rec_done, __ATOMIC_RELAXED))
		return true;
	__atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
	return false;
}

static void buf_leave(rec_buf_t *b)
{
	__atomic_store_n(&b->busy, 0, __ATOMIC_RELEASE);
}

/* This thread's buffer, made (or reused) on its first event; NULL when off. */
static rec_buf_t *my_buf(void)
{
	if (tls_buf)
		return tls_buf;
	if (tls_exited)
		return NULL;
	rec_buf_t *b = NULL;
	for (rec_buf_t *x = __atomic_load_n(&rec_bufs, __ATOMIC_ACQUIRE); x && !b; x = x->next)
		if (!__atomic_exchange_n(&x->live, 1, __ATOMIC_ACQ_REL))
			b = x;
	if (!b) {
		b = map(sizeof(*b));
		if (!b)
			return NULL;
		b->live = 1;
		b->next = __atomic_load_n(&rec_bufs, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&rec_bufs, &b->next, b, false, __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED))
			;
	}
	soak_trace_chunk_reset(&b->c, __atomic_fetch_add(&rec_next_stream, 1, __ATOMIC_RELAXED));
	tls_buf = b;
	tls_depth++;
	pthread_setspecific(rec_key, b);
	tls_depth--;
	soak_trace_ev_t ev = { .kind = SOAK_EV_THREAD_START, .ts_ns = now_ns(), .id = (uint64_t)getpid(),
			       .size = (uint64_t)syscall(SYS_gettid) };
	if (buf_enter(b)) {
		add_event(b, &ev);
		buf_leave(b);
	}
	return b;
}

static void thread_gone(void *arg)
{
	rec_buf_t *b = arg;
	soak_trace_ev_t ev = { .kind = SOAK_EV_THREAD_EXIT, .ts_ns = now_ns() };
	if (buf_enter(b)) {
		add_event(b, &ev);
		flush_buf(b);
		buf_leave(b);
	}
	tls_buf = NULL;
	tls_exited = true;
	__atomic_store_n(&b->live, 0, __ATOMIC_RELEASE);
}

/* True when this call is to be recorded (the real functions are known). */
static bool recording(void)
{
	int st = __atomic_load_n(&rec_state, __ATOMIC_ACQUIRE);
	if (__builtin_expect(st == 0 || st == 3, 0) && !rec_resolving)
		resolve(false);
	return rec_state == 1 && tls_depth == 0 && !__atomic_load_n(&rec_done, __ATOMIC_RELAXED);
}

static void record(rec_buf_t *b, soak_trace_ev_t *ev)
{
	if (b && buf_enter(b)) {
		add_event(b, ev);
		buf_leave(b);
	}
}

static void ev_alloc(unsigned kind, const void *p, size_t size, size_t align)
{
	rec_buf_t *b = my_buf();
	soak_trace_ev_t ev = { .kind = (uint8_t)kind, .size = size, .id = id_new(b, p) };
	ev.align_log2 = align ? (uint8_t)__builtin_ctzll(align) : 0;
	ev.ts_ns = now_ns();
	record(b, &ev);
}
REC_EXPORT void *malloc(size_t n)
{
	if (!recording())
		return real.malloc ? real.malloc(n) : arena_alloc(n);
	tls_depth++;
	void *p = real.malloc(n);
	tls_depth--;
	ev_alloc(SOAK_EV_MALLOC, p, n, 0);
	return p;
}

REC_EXPORT void *calloc(size_t k, size_t n)
{
	if (!recording()) {
		if (real.calloc)
			return real.calloc(k, n);
		return n && k > SIZE_MAX / n ? NULL : arena_alloc(k * n); /* the arena is zeroed */
	}
	tls_depth++;
	void *p = real.calloc(k, n);
	tls_depth--;
	ev_alloc(SOAK_EV_CALLOC, p, k * n, 0);
	return p;
}

REC_EXPORT void free(void *p)
{
	if (!p || in_arena(p))
		return;
	if (!recording()) {
		if (real.free)
			real.free(p);
		return;
	}
	soak_trace_ev_t ev = { .kind = SOAK_EV_FREE, .ts_ns = now_ns(), .id = rec_table_take(p) };
	if (ev.id)
		record(my_buf(), &ev);
	tls_depth++;
	real.free(p);
	tls_depth--;
}

/* realloc and reallocarray: the old block leaves the table before the call
 * (its address may be handed out at once), and comes back if the call fails. */
static void *re_alloc(unsigned kind, void *p, size_t k, size_t n)
{
	size_t size = kind == SOAK_EV_REALLOC ? n : k * n;
	if (in_arena(p)) {
		void *q = kind == SOAK_EV_REALLOC ? malloc(n) : reallocarray(NULL, k, n);
		if (q)
			memcpy(q, p, size < REC_ARENA - (size_t)((unsigned char *)p - rec_arena) ?
				      size : REC_ARENA - (size_t)((unsigned char *)p - rec_arena));
		return q;
	}
	bool rec = recording();
	uint64_t old = rec && p ? rec_table_take(p) : 0;
	if (rec)
		tls_depth++;
	void *q = kind == SOAK_EV_REALLOC ? real.realloc(p, n) : real.reallocarray(p, k, n);
	if (!rec)
		return q;
	tls_depth--;
	if (!q && p && size && old) {
		rec_table_put(p, old);
	}
	rec_buf_t *b = my_buf();
	soak_trace_ev_t ev = { .kind = (uint8_t)kind, .old_id = old, .size = size, .id = id_new(b, q) };
	ev.ts_ns = now_ns();
	record(b, &ev);
	return q;
}

REC_EXPORT void *realloc(void *p, size_t n)
{
	return re_alloc(SOAK_EV_REALLOC, p, 1, n);
}

REC_EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return re_alloc(SOAK_EV_REALLOCARRAY, p, k, n);
}

REC_EXPORT int posix_memalign(void **ret, size_t align, size_t n)
{
	if (!recording())
		return real.posix_memalign(ret, align, n);
	tls_depth++;
	int r = real.posix_memalign(ret, align, n);
	tls_depth--;
	if (r == 0)
		ev_alloc(SOAK_EV_POSIX_MEMALIGN, *ret, n, align);
	return r;
}

#define REC_ALIGNED(name, KIND, ALIGN)                                 \
	REC_EXPORT void *name(size_t align, size_t n)                  \
	{                                                              \
		if (!recording())                                      \
			return real.name(align, n);                    \
		tls_depth++;                                           \
		void *p = real.name(align, n);                         \
		tls_depth--;                                           \
		ev_alloc(KIND, p, n, ALIGN);                           \
		return p;                                              \
	}
REC_ALIGNED(aligned_alloc, SOAK_EV_ALIGNED_ALLOC, align)
REC_ALIGNED(memalign, SOAK_EV_MEMALIGN, align)

#define REC_PAGED(name, KIND)                                          \
	REC_EXPORT void *name(size_t n)                                \
	{                                                              \
		if (!recording())                                      \
			return real.name(n);                           \
		tls_depth++;                                           \
		void *p = real.name(n);                                \
		tls_depth--;                                           \
		ev_alloc(KIND, p, n, 0);                               \
		return p;                                              \
	}
REC_PAGED(valloc, SOAK_EV_VALLOC)
REC_PAGED(pvalloc, SOAK_EV_PVALLOC)

/* ---- the end ---- */

/* Waits until b's thread is out of an append (up to about 2 s: a thread
 * stuck in its write loses its buffer, the rest of the trace is written). */
static bool buf_quiet(rec_buf_t *b)
{
	for (unsigned i = 0; __atomic_load_n(&b->busy, __ATOMIC_ACQUIRE); i++) {
		if (i < 1000) {
			__builtin_ia32_pause();
			continue;
		}
		if (i > 1000 + 200000)
			return false;
		sched_yield();
	}
	return true;
}

/* Stops recording, flushes every buffer and writes the end record, once.
 * sig: the signal that ends the program (0: an exit). Safe in a signal
 * handler: no allocation, no lock this thread may hold (its own buffer, if
 * the signal came while it was appending, is skipped; if it came during
 * this thread's write, nothing more is written). */
static void finish(int sig)
{
	if (rec_state != 1 || __atomic_exchange_n(&rec_done, true, __ATOMIC_SEQ_CST))
		return;
	tls_depth++;
	if (rec_fence || syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (rec_buf_t *b = __atomic_load_n(&rec_bufs, __ATOMIC_ACQUIRE); b; b = b->next) {
		if (b == tls_buf && __atomic_load_n(&b->busy, __ATOMIC_RELAXED))
			continue;
		if (buf_quiet(b))
			flush_buf(b);
	}
	if (file_lock()) {
		if (!rec_ended && file_ready()) {
			uint8_t end[SOAK_TRACE_END_LEN];
			soak_trace_end_encode(__atomic_load_n(&rec_events, __ATOMIC_RELAXED), (uint32_t)sig, end);
			write_all(rec_fd, end, sizeof(end));
		}
		__atomic_store_n(&rec_ended, true, __ATOMIC_RELEASE);
		file_unlock();
	}
	tls_depth--;
}

static void finish_at_exit(void)
{
	finish(0);
}

REC_EXPORT void _exit(int status)
{
	finish(0);
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

REC_EXPORT void _Exit(int status)
{
	_exit(status);
}

/* The signals that end a program by default and can be caught. */
static const int rec_fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTERM, SIGINT,
				 SIGHUP, SIGQUIT, SIGTRAP, SIGSYS, SIGXCPU, SIGXFSZ };

/* SA_RESETHAND put the default action back; the signal raised again stays
 * pending (blocked in its handler) and ends the program on return, as it
 * would have without the recorder (a fault also recurs on return). */
static void on_fatal(int sig)
{
	int e = errno;
	finish(sig);
	raise(sig);
	errno = e;
}

static void catch_fatal(void)
{
	for (size_t i = 0; i < sizeof(rec_fatal) / sizeof(rec_fatal[0]); i++) {
		struct sigaction old, sa = { .sa_handler = on_fatal, .sa_flags = SA_RESETHAND | SA_RESTART };
		sigemptyset(&sa.sa_mask);
		/* Only where the default action stands: a handler or an ignore
		 * inherited or set before us is the program's. */
		if (sigaction(rec_fatal[i], NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
		    old.sa_handler == SIG_DFL)
			sigaction(rec_fatal[i], &sa, NULL);
	}
}

static void membarrier_register(void)
{
	rec_fence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0;
}

/* Fork: every lock is taken so the child finds none held by a thread it
 * does not have. */
static void fork_prepare(void)
{
	spin_lock(&rec_wlock);
	rec_table_lock_all();
}

static void fork_parent(void)
{
	rec_table_unlock_all();
	spin_unlock(&rec_wlock);
}

static void fork_child(void)
{
	fork_parent();
	const char *f = getenv("SOAK_RECORD_FOLLOW_FORKS");
	if (!f || strcmp(f, "1") != 0 || rec_done) {
		rec_state = 2;
		return;
	}
	/* Its own trace: the parent's unwritten events are the parent's, and
	 * so are its blocks (a free of one named the parent's object id, which
	 * the child's trace never allocates: a replay of it waited forever). */
	rec_table_clear();
	size_t len = strlen(rec_path);
	snprintf(rec_path + len, sizeof(rec_path) - len, ".%d", (int)getpid());
	rec_fd = -1;
	rec_events = 0;
	rec_next_stream = 0;
	membarrier_register();   /* a registration is the parent's process's */
	for (rec_buf_t *b = rec_bufs; b; b = b->next) {
		b->busy = 0;
		b->live = b == tls_buf;
		if (b != tls_buf)
			soak_trace_chunk_reset(&b->c, 0);
	}
	if (tls_buf) {
		soak_trace_chunk_reset(&tls_buf->c, 0);
		rec_next_stream = 1;
		soak_trace_ev_t ev = { .kind = SOAK_EV_THREAD_START, .ts_ns = now_ns(),
				       .id = (uint64_t)getpid(), .size = (uint64_t)getpid() };
		add_event(tls_buf, &ev);
	}
}

__attribute__((constructor)) static void rec_start(void)
{
	if (rec_state == 0 || rec_state == 3)
		resolve(true);
	if (rec_state != 1)
		return;
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	atexit(finish_at_exit);
	catch_fatal();
}

__attribute__((destructor)) static void rec_stop(void)
{
	finish(0);
}
