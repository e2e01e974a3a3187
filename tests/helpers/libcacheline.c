/* libcacheline.so - a test allocator that decides where each thread's small
 * blocks go, so cache_thrash can be shown to see false sharing
 * (scripts/bench-cache-thrash.sh). With SOAK_TEST_CACHELINE=packed, a
 * request of at most 16 bytes gets its thread's 16-byte slot of one shared
 * 64-byte line (four threads per line: the naive allocator of Hoard's
 * paper); with SOAK_TEST_CACHELINE=padded, its thread's slot starts a line of
 * its own, 128 bytes apart (no two threads' slots share a line or an
 * adjacent-line prefetch pair). Each thread has one slot: while it is taken,
 * and for larger requests, glibc serves (__libc_* entry points, no dlsym).
 * Threads are numbered on their first call, never reused; past 64, glibc.
 * No malloc_usable_size: run the worker without --usable-bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

#define CL_THREADS 64
#define CL_SMALL 16

static _Alignas(128) unsigned char arena[CL_THREADS * 128];
static int busy[CL_THREADS];
static uint32_t next_id;
static __thread uint32_t self_id; /* 1-based; 0 = not numbered yet */
static int mode = -1;             /* 0 off, 1 packed, 2 padded */

static int cl_mode(void)
{
	if (mode < 0) {
		const char *m = getenv("SOAK_TEST_CACHELINE");
		mode = !m ? 0 : !strcmp(m, "packed") ? 1 : !strcmp(m, "padded") ? 2 : 0;
	}
	return mode;
}

static unsigned char *cl_slot(uint32_t i)
{
	return cl_mode() == 1 ? arena + (i / 4) * 64 + (i % 4) * CL_SMALL : arena + i * 128;
}

static int cl_index(const void *p)
{
	const unsigned char *c = p;
	if (c < arena || c >= arena + sizeof(arena))
		return -1;
	for (uint32_t i = 0; i < CL_THREADS; i++)
		if (cl_slot(i) == c)
			return (int)i;
	return -1;
}

void *malloc(size_t n)
{
	if (n <= CL_SMALL && cl_mode()) {
		if (!self_id)
			self_id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
		uint32_t i = self_id - 1;
		if (i < CL_THREADS && !busy[i]) {
			busy[i] = 1; /* only its own thread takes slot i */
			return cl_slot(i);
		}
	}
	return __libc_malloc(n);
}

void free(void *p)
{
	int i = p ? cl_index(p) : -1;
	if (i >= 0)
		__atomic_store_n(&busy[i], 0, __ATOMIC_RELEASE);
	else
		__libc_free(p);
}

void *calloc(size_t a, size_t b)
{
	return __libc_calloc(a, b);
}

void *realloc(void *old, size_t n)
{
	if (old && cl_index(old) >= 0) {
		void *p = __libc_malloc(n);
		if (p)
			memcpy(p, old, n < CL_SMALL ? n : CL_SMALL);
		free(old);
		return p;
	}
	return __libc_realloc(old, n);
}
