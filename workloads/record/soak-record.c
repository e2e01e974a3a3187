/*
 * soak-record.c - soak-record.so, the recording library `soakctl record`
 * preloads: it interposes the C allocation functions, forwards each call to
 * the next definition (the allocator recorded under, or the C library's) and
 * writes a trace (soak/trace.h) to $SOAK_RECORD_FILE.
 *
 * - Each thread appends its events to its own buffer under its own lock
 *   (taken by another thread only at exit): no global lock per event. A full
 *   buffer is compressed and written by its thread, one chunk per write() on
 *   an O_APPEND file, under the one flush mutex.
 * - Object ids come from an atomic counter; addresses map to ids in a
 *   lock-striped table in mmap'd memory. A block is removed from the table
 *   before the real free/realloc runs, so an address handed out again is a new
 *   object.
 * - dlsym may call calloc before the real functions are known: those calls
 *   are served from a small static arena, and frees of it are ignored. Calls
 *   the allocator or zstd make while the recorder is inside a real call are
 *   not recorded (a per-thread depth).
 * - At exit (atexit, the library destructor, and _exit/_Exit, which this
 *   library also interposes) every buffer is flushed and the end record
 *   written; a program killed by a signal leaves the chunks written so far,
 *   which read as a cut trace.
 * - A fork child records nothing unless SOAK_RECORD_FOLLOW_FORKS=1; then it
 *   writes its own trace to $SOAK_RECORD_FILE.<pid>. So does a program the
 *   recorded one runs (its pid is not $SOAK_RECORD_PID), under the same rule.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include <zstd.h>

#include "soak/trace.h"

#define REC_EXPORT __attribute__((visibility("default")))
#define REC_TLS __thread __attribute__((tls_model("initial-exec")))
/* Raw bytes per chunk: a killed program loses at most this much per thread. */
#define REC_CHUNK_BYTES (64 * 1024)
#define REC_STRIPES 1024
#define REC_ARENA (256 * 1024)

typedef struct rec_buf {
	int lock;                 /* spin lock: its thread, or the exit flush */
	int live;                 /* a thread owns it */
	struct rec_buf *next;     /* all buffers ever made (never freed) */
	soak_trace_chunk_t c;
} rec_buf_t;

typedef struct {
	int lock;
	size_t cap, n;
	struct { uintptr_t addr; uint64_t id; } *tab;
} rec_stripe_t;

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
static bool rec_done;          /* end record written: nothing more is recorded */
static char rec_path[4096];
static int rec_fd = -1;
static uint64_t rec_next_id = 1, rec_events;
static uint32_t rec_next_stream;
static rec_buf_t *rec_bufs;
static rec_stripe_t *rec_stripes;
static pthread_mutex_t rec_flush_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t rec_key;
static uint8_t *rec_out;
static void *rec_cctx;
static _Alignas(16) unsigned char rec_arena[REC_ARENA];
static size_t rec_arena_used;

static REC_TLS rec_buf_t *tls_buf;
static REC_TLS int tls_depth;
static REC_TLS bool tls_exited;

static void spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	rec_stripes = map(sizeof(rec_stripe_t) * REC_STRIPES);
	rec_out = map(soak_trace_chunk_bound());
	if (!p || !*p || strlen(p) >= sizeof(rec_path) - 16 || !rec_stripes || !rec_out) {
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
	__atomic_store_n(&rec_state, 1, __ATOMIC_RELEASE);
}

/* ---- the address -> id table ---- */

static size_t addr_hash(uintptr_t a)
{
	uint64_t x = (uint64_t)a * 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 20);
}

static void stripe_put(rec_stripe_t *s, uintptr_t addr, uint64_t id)
{
	if ((s->n + 1) * 4 > s->cap * 3) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		__typeof__(s->tab) t = map(cap * sizeof(*t));
		if (!t)
			return; /* out of memory: this block will read as freed-unknown */
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->tab[i].addr)
				continue;
			size_t j = addr_hash(s->tab[i].addr) & (cap - 1);
			while (t[j].addr)
				j = (j + 1) & (cap - 1);
			t[j] = s->tab[i];
		}
		if (s->tab)
			munmap(s->tab, s->cap * sizeof(*t));
		s->tab = t;
		s->cap = cap;
	}
	size_t j = addr_hash(addr) & (s->cap - 1);
	while (s->tab[j].addr && s->tab[j].addr != addr)
		j = (j + 1) & (s->cap - 1);
	s->n += !s->tab[j].addr;
	s->tab[j].addr = addr;
	s->tab[j].id = id;
}

/* Removes addr: its id, or 0 when the recorder never saw it. */
static uint64_t stripe_take(rec_stripe_t *s, uintptr_t addr)
{
	if (!s->cap)
		return 0;
	size_t mask = s->cap - 1, i = addr_hash(addr) & mask;
	while (s->tab[i].addr != addr) {
		if (!s->tab[i].addr)
			return 0;
		i = (i + 1) & mask;
	}
	uint64_t id = s->tab[i].id;
	for (size_t j = (i + 1) & mask; s->tab[j].addr; j = (j + 1) & mask) {
		size_t home = addr_hash(s->tab[j].addr) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].addr = 0;
	s->n--;
	return id;
}

static rec_stripe_t *stripe_of(const void *p)
{
	return &rec_stripes[(addr_hash((uintptr_t)p) >> 12) % REC_STRIPES];
}

static uint64_t id_new(const void *p)
{
	uint64_t id = __atomic_fetch_add(&rec_next_id, 1, __ATOMIC_RELAXED);
	rec_stripe_t *s = stripe_of(p);
	spin_lock(&s->lock);
	stripe_put(s, (uintptr_t)p, id);
	spin_unlock(&s->lock);
	return id;
}

static uint64_t id_take(const void *p)
{
	rec_stripe_t *s = stripe_of(p);
	spin_lock(&s->lock);
	uint64_t id = stripe_take(s, (uintptr_t)p);
	spin_unlock(&s->lock);
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

/* Under rec_flush_mu: opens the file and writes the header once. */
static bool file_ready(void)
{
	if (rec_fd >= 0)
		return true;
	rec_fd = open(rec_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (rec_fd < 0)
		return false;
	static soak_trace_hdr_t h;
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
	write_all(rec_fd, rec_out, soak_trace_hdr_encode(&h, rec_out));
	return true;
}

/* Compresses and writes b's chunk (b locked by the caller), then empties it. */
static void flush_buf(rec_buf_t *b)
{
	if (b->c.n == 0)
		return;
	tls_depth++;
	pthread_mutex_lock(&rec_flush_mu);
	if (!rec_done && file_ready()) {
		if (!rec_cctx)
			rec_cctx = ZSTD_createCCtx();
		size_t n = soak_trace_chunk_encode(&b->c, rec_cctx, rec_out, soak_trace_chunk_bound(), 3);
		if (n) {
			write_all(rec_fd, rec_out, n);
			rec_events += b->c.n;
		}
	}
	pthread_mutex_unlock(&rec_flush_mu);
	soak_trace_chunk_reset(&b->c, b->c.stream);
	tls_depth--;
}

static void add_event(rec_buf_t *b, const soak_trace_ev_t *ev)
{
	if (b->c.len + SOAK_TRACE_EVENT_MAX > REC_CHUNK_BYTES)
		flush_buf(b);
	soak_trace_chunk_add(&b->c, ev);
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
	spin_lock(&b->lock);
	add_event(b, &ev);
	spin_unlock(&b->lock);
	return b;
}

static void thread_gone(void *arg)
{
	rec_buf_t *b = arg;
	soak_trace_ev_t ev = { .kind = SOAK_EV_THREAD_EXIT, .ts_ns = now_ns() };
	spin_lock(&b->lock);
	if (!__atomic_load_n(&rec_done, __ATOMIC_ACQUIRE)) {
		add_event(b, &ev);
		flush_buf(b);
	}
	spin_unlock(&b->lock);
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

static void record(soak_trace_ev_t *ev)
{
	rec_buf_t *b = my_buf();
	if (!b)
		return;
	spin_lock(&b->lock);
	if (!__atomic_load_n(&rec_done, __ATOMIC_RELAXED))
		add_event(b, ev);
	spin_unlock(&b->lock);
}


static void ev_alloc(unsigned kind, const void *p, size_t size, size_t align)
{
	soak_trace_ev_t ev = { .kind = (uint8_t)kind, .size = size };
	ev.id = p ? id_new(p) : 0;
	ev.align_log2 = align ? (uint8_t)__builtin_ctzll(align) : 0;
	ev.ts_ns = now_ns();
	record(&ev);
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
	soak_trace_ev_t ev = { .kind = SOAK_EV_FREE, .ts_ns = now_ns(), .id = id_take(p) };
	if (ev.id)
		record(&ev);
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
	uint64_t old = rec && p ? id_take(p) : 0;
	if (rec)
		tls_depth++;
	void *q = kind == SOAK_EV_REALLOC ? real.realloc(p, n) : real.reallocarray(p, k, n);
	if (!rec)
		return q;
	tls_depth--;
	if (!q && p && size && old) {
		rec_stripe_t *s = stripe_of(p);
		spin_lock(&s->lock);
		stripe_put(s, (uintptr_t)p, old);
		spin_unlock(&s->lock);
	}
	soak_trace_ev_t ev = { .kind = (uint8_t)kind, .old_id = old, .size = size };
	ev.id = q ? id_new(q) : 0;
	ev.ts_ns = now_ns();
	record(&ev);
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

/* Flushes every buffer and writes the end record, once. */
static void finish(void)
{

	if (rec_state != 1 || __atomic_load_n(&rec_done, __ATOMIC_ACQUIRE))
		return;
	tls_depth++;
	for (rec_buf_t *b = __atomic_load_n(&rec_bufs, __ATOMIC_ACQUIRE); b; b = b->next) {
		spin_lock(&b->lock);
		flush_buf(b);
		spin_unlock(&b->lock);
	}
	pthread_mutex_lock(&rec_flush_mu);
	if (!rec_done && file_ready()) {
		uint8_t end[SOAK_TRACE_END_LEN];
		soak_trace_end_encode(rec_events, end);
		write_all(rec_fd, end, sizeof(end));
	}
	__atomic_store_n(&rec_done, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&rec_flush_mu);
	tls_depth--;
}

REC_EXPORT void _exit(int status)
{
	finish();
	syscall(SYS_exit_group, status);
	__builtin_unreachable();
}

REC_EXPORT void _Exit(int status)
{
	_exit(status);
}

/* Fork: every lock is taken so the child finds none held by a thread it
 * does not have. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&rec_flush_mu);
	for (int i = 0; i < REC_STRIPES; i++)
		spin_lock(&rec_stripes[i].lock);
}

static void fork_parent(void)
{
	for (int i = 0; i < REC_STRIPES; i++)
		spin_unlock(&rec_stripes[i].lock);
	pthread_mutex_unlock(&rec_flush_mu);
}

static void fork_child(void)
{
	fork_parent();
	const char *f = getenv("SOAK_RECORD_FOLLOW_FORKS");
	if (!f || strcmp(f, "1") != 0 || rec_done) {
		rec_state = 2;
		return;
	}
	/* Its own trace: the parent's unwritten events are the parent's. */
	size_t len = strlen(rec_path);
	snprintf(rec_path + len, sizeof(rec_path) - len, ".%d", (int)getpid());
	rec_fd = -1;
	rec_events = 0;
	rec_next_stream = 0;
	rec_cctx = NULL;
	for (rec_buf_t *b = rec_bufs; b; b = b->next) {
		b->lock = 0;
		b->live = b == tls_buf;
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
	atexit(finish);
}

__attribute__((destructor)) static void rec_stop(void)
{
	finish();
}
