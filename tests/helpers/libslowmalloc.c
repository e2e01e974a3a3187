/*
 * libslowmalloc.c - an LD_PRELOAD test allocator: glibc's malloc plus a known
 * busy-wait of SOAK_TEST_MALLOC_DELAY_NS nanoseconds (read once at load) on
 * every malloc call. The latency test expects the measured malloc percentiles
 * to shift by that amount, within the histogram's error.
 *
 * It defines free too (a plain pass-through), so the worker's dladdr check
 * sees this library as the provider of both malloc and free, as with a real
 * allocator. calloc/realloc stay glibc's: they never call malloc through the
 * PLT, and their blocks are glibc blocks our free hands back to glibc.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static uint64_t delay_ns;
/* SOAK_TEST_MALLOC_DELAY_EVERY=N: only every Nth malloc of a thread waits
 * (default 1): a delay smaller than a clock read on average (a planted 10%
 * slowdown of a fast allocator) as delay_ns/N per call. */
static uint64_t delay_every = 1;
/* A countdown, not calls % every: a division on every malloc would cost more
 * than the delay it spreads (a 20 ns operation), and the same counting runs
 * with or without a delay, so delay 0 is the exact baseline of a delay. */
static __thread uint64_t countdown __attribute__((tls_model("initial-exec")));

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void resolve(void)
{
	/* dlsym(RTLD_NEXT) does not allocate for a symbol that exists. */
	void *m = dlsym(RTLD_NEXT, "malloc");
	void *f = dlsym(RTLD_NEXT, "free");
	__atomic_store_n(&next_free, (void (*)(void *))f, __ATOMIC_RELEASE);
	__atomic_store_n(&next_malloc, (void *(*)(size_t))m, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void slowmalloc_init(void)
{
	const char *e = getenv("SOAK_TEST_MALLOC_DELAY_NS");
	if (e) {
		char *end;
		unsigned long long v = strtoull(e, &end, 10);
		if (end != e && *end == '\0')
			delay_ns = v;
	}
	const char *ev = getenv("SOAK_TEST_MALLOC_DELAY_EVERY");
	if (ev) {
		char *end;
		unsigned long long v = strtoull(ev, &end, 10);
		if (end != ev && *end == '\0' && v > 0)
			delay_every = v;
	}
	resolve();
}

void *malloc(size_t size)
{
	void *(*m)(size_t) = __atomic_load_n(&next_malloc, __ATOMIC_ACQUIRE);
	if (!m) {
		resolve(); /* called before our constructor ran */
		m = next_malloc;
	}
	if (countdown-- <= 1) {
		countdown = delay_every;
		if (delay_ns) {
			uint64_t end = now_ns() + delay_ns;
			while (now_ns() < end)
				;
		}
	}
	return m(size);
}

void free(void *p)
{
	void (*f)(void *) = __atomic_load_n(&next_free, __ATOMIC_ACQUIRE);
	if (!f) {
		resolve();
		f = next_free;
	}
	f(p);
}
