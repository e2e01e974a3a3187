/* libbump.so - the trivial allocator scripts/bench-replay.sh replays a trace
 * under, so the replay engine's own cost per op shows: a block is carved
 * from one reserved region by an atomic bump and carries its power-of-two
 * class in a 16-byte header; free pushes it on its class's list of the
 * freeing thread, malloc pops from this thread's list first (memory stays
 * bounded by the live blocks of each class). No locks, no system call per
 * op; memory is never returned. Not an allocator to use: for measuring. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUMP_EXPORT __attribute__((visibility("default")))
#define BUMP_REGION (64ull << 30)   /* reserved, not committed */
#define BUMP_HDR 16
#define BUMP_CLASSES 48

typedef struct blk { struct blk *next; } blk_t;

static unsigned char *region;
static uint64_t used;
/* initial-exec: a dynamic TLS access could call malloc itself. */
static __thread __attribute__((tls_model("initial-exec"))) blk_t *lists[BUMP_CLASSES];

/* A block of this allocator (the dynamic linker hands out a few of its own
 * before it is there, and frees some of them later through free). */
static bool ours(const void *p)
{
	unsigned char *r = __atomic_load_n(&region, __ATOMIC_ACQUIRE);
	return r && (const unsigned char *)p >= r && (const unsigned char *)p < r + BUMP_REGION;
}

static unsigned class_of(size_t n)
{
	return n <= 16 ? 4 : 64 - (unsigned)__builtin_clzll((unsigned long long)n - 1);
}

static void *carve(size_t n, size_t align)
{
	if (!region) {
		void *r = mmap(NULL, BUMP_REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		if (r == MAP_FAILED)
			return NULL;
		unsigned char *none = NULL;
		if (!__atomic_compare_exchange_n(&region, &none, r, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			munmap(r, BUMP_REGION);
	}
	uint64_t at = __atomic_fetch_add(&used, n + BUMP_HDR + align, __ATOMIC_RELAXED);
	if (at + n + BUMP_HDR + align > BUMP_REGION)
		return NULL;
	uintptr_t p = (uintptr_t)region + at + BUMP_HDR;
	p = (p + align - 1) & ~(uintptr_t)(align - 1);
	return (void *)p;
}

static void *bump_alloc(size_t n, size_t align)
{
	if (n > (1ull << (BUMP_CLASSES - 2)))
		return NULL;
	unsigned c = class_of(n);
	if (align <= 16 && lists[c]) {
		blk_t *b = lists[c];
		lists[c] = b->next;
		return b;
	}
	unsigned char *p = carve((size_t)1 << c, align < 16 ? 16 : align);
	if (p)
		((uint64_t *)p)[-1] = c;
	return p;
}

BUMP_EXPORT void *malloc(size_t n)
{
	return bump_alloc(n, 16);
}

BUMP_EXPORT void free(void *p)
{
	if (!p || !ours(p))
		return;
	uint64_t c = ((uint64_t *)p)[-1];
	if (c >= BUMP_CLASSES)
		return;
	blk_t *b = p;
	b->next = lists[c];
	lists[c] = b;
}

BUMP_EXPORT void *calloc(size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n)
		return NULL;
	void *p = bump_alloc(k * n, 16);   /* malloc + memset would fold into a call to calloc */
	if (p)
		memset(p, 0, k * n);
	return p;
}

BUMP_EXPORT size_t malloc_usable_size(void *p)
{
	return p && ours(p) ? (size_t)1 << ((uint64_t *)p)[-1] : 0;
}

BUMP_EXPORT void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	size_t have = malloc_usable_size(p);
	if (n <= have && n)
		return p;
	void *q = malloc(n ? n : 1);
	if (q)
		memcpy(q, p, have < n ? have : n);
	free(p);
	return q;
}

BUMP_EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
	if (n && k > SIZE_MAX / n) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, k * n);
}

/* Aligned blocks are carved, never from a list (a list's block may not be
 * aligned); their free still lists them by class. */
BUMP_EXPORT void *memalign(size_t align, size_t n)
{
	if (align > 16) {
		unsigned char *p = carve((size_t)1 << class_of(n), align);
		if (p)
			((uint64_t *)p)[-1] = class_of(n);
		return p;
	}
	return malloc(n);
}

BUMP_EXPORT void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

BUMP_EXPORT int posix_memalign(void **ret, size_t align, size_t n)
{
	void *p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*ret = p;
	return 0;
}

BUMP_EXPORT void *valloc(size_t n)
{
	return memalign((size_t)getpagesize(), n);
}

BUMP_EXPORT void *pvalloc(size_t n)
{
	size_t pg = (size_t)getpagesize();
	return memalign(pg, (n + pg - 1) & ~(pg - 1));
}
