/*
 * libslowmalloc.c - an LD_PRELOAD test allocator: glibc's malloc plus a known
 * busy-wait of SOAK_TEST_MALLOC_DELAY_NS nanoseconds (read once at load) on
 * every malloc call. The latency test expects the measured malloc percentiles
 * to shift by that amount, within the histogram's error.
 *
 * SOAK_TEST_MALLOC_SPIN=N and SOAK_TEST_MALLOC_SPIN_ONE_IN=R plant a tail
 * instead: a malloc chosen at random with probability 1/R (a per-thread
 * xorshift; default R = 1) spins N iterations of a loop that reads no clock
 * (a clock read here costs more than the planted delay). Random, not every
 * Rth call: the worker times 1 in 256 operations, and a periodic plant
 * would fall on timed operations always or never. The gate's p99 check is
 * measured against this plant (scripts/bench-gate-power.sh, PLANT=p99).
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
static uint64_t spin_n, spin_one_in = 1;
static __thread uint64_t spin_rng __attribute__((tls_model("initial-exec")));

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *e = getenv(name);
	if (!e)
		return dflt;
	char *end;
	unsigned long long v = strtoull(e, &end, 10);
	return end != e && *end == '\0' ? v : dflt;
}

static void spin_maybe(void)
{
	uint64_t x = spin_rng;
	if (!x)   /* first call of this thread: a seed of its own */
		x = (uint64_t)(uintptr_t)&spin_rng * 0x9e3779b97f4a7c15ull | 1;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	spin_rng = x;
	if (x % spin_one_in == 0)
		for (volatile uint64_t i = 0; i < spin_n; i++)
			;
}

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
	delay_ns = env_u64("SOAK_TEST_MALLOC_DELAY_NS", 0);
	delay_every = env_u64("SOAK_TEST_MALLOC_DELAY_EVERY", 1);
	if (!delay_every)
		delay_every = 1;
	spin_n = env_u64("SOAK_TEST_MALLOC_SPIN", 0);
	spin_one_in = env_u64("SOAK_TEST_MALLOC_SPIN_ONE_IN", 1);
	if (!spin_one_in)
		spin_one_in = 1;
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
	if (spin_n)
		spin_maybe();
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
