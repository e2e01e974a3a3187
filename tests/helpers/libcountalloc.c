/* libcountalloc.so - ground truth for bytes_live and bytes_usable: a
 * preloadable malloc that keeps, for the blocks that counted threads
 * allocated and nobody has freed yet, the sum of their requested sizes and of
 * their malloc_usable_size(). It interposes every allocating entry point
 * (malloc, calloc, realloc, reallocarray, free, posix_memalign, aligned_alloc,
 * memalign, valloc, pvalloc, malloc_usable_size) and forwards them to glibc's
 * __libc_* entry points: no dlsym bootstrap (dlsym itself calls calloc).
 *
 * Only threads that called soak_count_thread(1) are counted (the worker turns
 * it on around each workload thread's run, with SOAK_TEST_LIVE_CHECK set):
 * what the worker allocates for itself before and after (options, thread
 * stacks' TLS, stdio) is not the workload's. A free removes a counted block
 * whichever thread frees it (remote frees). Blocks live in an open-addressing
 * table (linear probing, deletion by backward shift: no tombstones however
 * long the churn) in an mmap'd region, under a spin lock.
 *
 * Each counted block also remembers which thread allocated it (a number this
 * library gives each thread on its first counted call, never reused, unlike
 * kernel thread ids): a free by any other thread is a remote free, counted in
 * soak_count_remote() so workloads that count their cross-thread frees
 * (larson, xmalloc, cache_scratch) are held to it. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);
extern void __libc_free(void *);

#define CA_BITS 23 /* 8 M entries, 128 MiB of address space, touched as used */
#define CA_N (1ull << CA_BITS)

typedef struct {
	uintptr_t p;
	size_t size;
	uint32_t owner;  /* allocating thread (ca_self) */
} ca_ent_t;

static void ca_die(const char *msg);
static ca_ent_t *tab;
static int lock;
static uint64_t live, usable, nlive, remote, frees;
static __thread int counted;
static __thread uint32_t self_id;
static uint32_t next_id;

static uint32_t ca_self(void)
{
	if (!self_id)
		self_id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
	return self_id;
}

static size_t (*real_usable)(void *);

/* glibc's, found once before any thread is counted (dlsym may allocate). */
__attribute__((constructor)) static void ca_init(void)
{
	real_usable = (size_t (*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	if (!real_usable)
		ca_die("libcountalloc: no malloc_usable_size after this library\n");
}

size_t malloc_usable_size(void *p)
{
	return p ? real_usable(p) : 0;
}

static void ca_lock(void)
{
	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void ca_unlock(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

static uint64_t ca_hash(uintptr_t p)
{
	uint64_t x = (uint64_t)p * 0x9e3779b97f4a7c15ULL;
	return x >> (64 - CA_BITS);
}

static void ca_die(const char *msg)
{
	if (write(2, msg, strlen(msg)) < 0)
		_exit(99);
	_exit(99);
}

static void ca_add(void *p, size_t size)
{
	if (!p || !counted)
		return;
	size_t u = malloc_usable_size(p);
	ca_lock();
	if (!tab) {
		void *m = mmap(NULL, CA_N * sizeof(ca_ent_t), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			ca_die("libcountalloc: cannot map its table\n");
		tab = m;
	}
	if (nlive + 1 >= CA_N / 2)
		ca_die("libcountalloc: table full\n");
	uint64_t i = ca_hash((uintptr_t)p);
	while (tab[i].p)
		i = (i + 1) & (CA_N - 1);
	tab[i].p = (uintptr_t)p;
	tab[i].size = size;
	tab[i].owner = ca_self();
	nlive++;
	__atomic_store_n(&live, live + size, __ATOMIC_RELAXED);
	__atomic_store_n(&usable, usable + u, __ATOMIC_RELAXED);
	ca_unlock();
}

/* Forget p if it is counted (before the real free). */
static void ca_del(void *p)
{
	if (!p || !__atomic_load_n(&tab, __ATOMIC_RELAXED))
		return;
	size_t u = malloc_usable_size(p);
	uint32_t me = ca_self();
	ca_lock();
	uint64_t i = ca_hash((uintptr_t)p);
	while (tab[i].p && tab[i].p != (uintptr_t)p)
		i = (i + 1) & (CA_N - 1);
	if (!tab[i].p) {
		ca_unlock();
		return;
	}
	__atomic_store_n(&live, live - tab[i].size, __ATOMIC_RELAXED);
	__atomic_store_n(&usable, usable - u, __ATOMIC_RELAXED);
	if (tab[i].owner != me)
		__atomic_store_n(&remote, remote + 1, __ATOMIC_RELAXED);
	__atomic_store_n(&frees, frees + 1, __ATOMIC_RELAXED);
	nlive--;
	/* Backward shift: pull later entries of the cluster into the hole when
	 * their home slot is not between the hole and them. */
	uint64_t j = i;
	for (;;) {
		j = (j + 1) & (CA_N - 1);
		if (!tab[j].p)
			break;
		uint64_t h = ca_hash(tab[j].p);
		bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
		if (!stays) {
			tab[i] = tab[j];
			i = j;
		}
	}
	tab[i].p = 0;
	tab[i].size = 0;
	tab[i].owner = 0;
	ca_unlock();
}

void soak_count_thread(int on)
{
	counted = on;
}

uint64_t soak_count_live(void)
{
	return __atomic_load_n(&live, __ATOMIC_RELAXED);
}

/* Counted blocks freed by a thread other than the one that allocated them. */
uint64_t soak_count_remote(void)
{
	return __atomic_load_n(&remote, __ATOMIC_RELAXED);
}

/* Counted blocks freed, by any thread. */
uint64_t soak_count_frees(void)
{
	return __atomic_load_n(&frees, __ATOMIC_RELAXED);
}

uint64_t soak_count_usable(void)
{
	return __atomic_load_n(&usable, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	ca_add(p, n);
	return p;
}

void *calloc(size_t a, size_t b)
{
	void *p = __libc_calloc(a, b);
	ca_add(p, a * b);
	return p;
}

void *realloc(void *old, size_t n)
{
	ca_del(old);
	void *p = __libc_realloc(old, n);
	if (!p && n && old) {
		/* failed: old is still live; count it again */
		ca_add(old, malloc_usable_size(old));
		return NULL;
	}
	ca_add(p, n);
	return p;
}

void *reallocarray(void *old, size_t a, size_t b)
{
	size_t n;
	if (__builtin_mul_overflow(a, b, &n)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, n);
}

void free(void *p)
{
	ca_del(p);
	__libc_free(p);
}

void *memalign(size_t al, size_t n)
{
	void *p = __libc_memalign(al, n);
	ca_add(p, n);
	return p;
}

void *aligned_alloc(size_t al, size_t n)
{
	return memalign(al, n);
}

int posix_memalign(void **ret, size_t al, size_t n)
{
	if (al < sizeof(void *) || (al & (al - 1)))
		return EINVAL;
	void *p = __libc_memalign(al, n);
	if (!p)
		return ENOMEM;
	ca_add(p, n);
	*ret = p;
	return 0;
}

void *valloc(size_t n)
{
	void *p = __libc_valloc(n);
	ca_add(p, n);
	return p;
}

void *pvalloc(size_t n)
{
	void *p = __libc_pvalloc(n);
	ca_add(p, n);
	return p;
}
