/*
 * libmmapk.c - an LD_PRELOAD test allocator with a known syscall budget: the
 * next allocator's malloc/free/calloc/realloc (dlsym(RTLD_NEXT)), plus exactly
 * one mmap + munmap pair of one page, made outside the wrapped allocator,
 * every K allocations, K = SOAK_TEST_MMAP_EVERY (read once; unset, 0 or
 * invalid: no pairs). An allocation is one call of malloc, calloc or realloc;
 * free is not counted. The count is process-wide (one atomic counter), so the
 * pairs are exact whatever the number of threads: after N allocations the
 * library has made floor(N / K) pairs.
 *
 * At exit it reports itself on stderr as "[MMAPK] every=K allocs=N pairs=P"
 * (a self-report line, stored by the runner as selfreport.MMAPK.*).
 *
 * Bootstrap: dlsym can allocate (its error buffer uses calloc) before the real
 * functions are known; those requests are served from a small static buffer
 * whose blocks are never handed to the real free. Used by
 * tests/integration/test_syscall_budget.sh.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);

static uint64_t every;          /* K; 0 = no pairs */
static uint64_t allocs;         /* allocations counted (atomic) */
static uint64_t pairs;          /* mmap+munmap pairs made (atomic) */
static long page;
static int resolving;

/* Bootstrap arena for allocations made while dlsym runs. */
static _Alignas(16) unsigned char boot[8192];
static size_t boot_used;

static int from_boot(const void *p)
{
	return (const unsigned char *)p >= boot && (const unsigned char *)p < boot + sizeof(boot);
}

static void *boot_alloc(size_t n)
{
	size_t need = (n + 15) & ~(size_t)15;
	size_t off = __atomic_fetch_add(&boot_used, need + 16, __ATOMIC_RELAXED);
	if (off + need + 16 > sizeof(boot))
		return NULL;
	/* The block size before the block, for realloc. */
	memcpy(boot + off, &n, sizeof(n));
	return boot + off + 16;
}

static void resolve(void)
{
	if (__atomic_load_n(&next_realloc, __ATOMIC_ACQUIRE))
		return;
	resolving = 1;
	void *m = dlsym(RTLD_NEXT, "malloc");
	void *f = dlsym(RTLD_NEXT, "free");
	void *c = dlsym(RTLD_NEXT, "calloc");
	void *r = dlsym(RTLD_NEXT, "realloc");
	if (!m || !f || !c || !r)
		_exit(127);
	const char *e = getenv("SOAK_TEST_MMAP_EVERY");
	if (e && *e) {
		char *end;
		unsigned long long v = strtoull(e, &end, 10);
		if (*end == '\0')
			every = v;
	}
	page = sysconf(_SC_PAGESIZE);
	__atomic_store_n(&next_malloc, (void *(*)(size_t))m, __ATOMIC_RELEASE);
	__atomic_store_n(&next_free, (void (*)(void *))f, __ATOMIC_RELEASE);
	__atomic_store_n(&next_calloc, (void *(*)(size_t, size_t))c, __ATOMIC_RELEASE);
	__atomic_store_n(&next_realloc, (void *(*)(void *, size_t))r, __ATOMIC_RELEASE);
	resolving = 0;
}

/* One allocation: every K-th makes the pair. */
static inline void counted(void)
{
	if (!every)
		return;
	uint64_t n = __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(n % every != 0, 1))
		return;
	void *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(126); /* the budget would be wrong: fail loudly */
	munmap(p, (size_t)page);
	__atomic_add_fetch(&pairs, 1, __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void mmapk_init(void)
{
	resolve();
}

__attribute__((destructor)) static void mmapk_fini(void)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "[MMAPK] every=%llu allocs=%llu pairs=%llu\n",
			 (unsigned long long)every,
			 (unsigned long long)__atomic_load_n(&allocs, __ATOMIC_RELAXED),
			 (unsigned long long)__atomic_load_n(&pairs, __ATOMIC_RELAXED));
	if (n > 0 && write(2, line, (size_t)n) < 0)
		return;
}

void *malloc(size_t size)
{
	if (__builtin_expect(!next_malloc, 0)) {
		if (resolving)
			return boot_alloc(size);
		resolve();
	}
	counted();
	return next_malloc(size);
}

void free(void *p)
{
	if (!p || from_boot(p))
		return;
	if (__builtin_expect(!next_free, 0))
		resolve();
	next_free(p);
}

void *calloc(size_t n, size_t size)
{
	if (__builtin_expect(!next_calloc, 0)) {
		if (resolving) {
			if (size && n > SIZE_MAX / size)
				return NULL;
			return boot_alloc(n * size); /* static storage: already zero */
		}
		resolve();
	}
	counted();
	return next_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	if (__builtin_expect(!next_realloc, 0)) {
		if (resolving)
			return NULL;
		resolve();
	}
	if (p && from_boot(p)) {
		size_t old;
		memcpy(&old, (unsigned char *)p - 16, sizeof(old));
		void *q = malloc(size);
		if (q)
			memcpy(q, p, old < size ? old : size);
		return q;
	}
	counted();
	return next_realloc(p, size);
}
