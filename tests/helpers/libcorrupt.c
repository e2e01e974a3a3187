/*
 * libcorrupt.c - an LD_PRELOAD test allocator that corrupts one live block:
 * glibc's malloc/free, except that once SOAK_TEST_CORRUPT_AFTER mallocs
 * (default 100000) have happened, it flips the first byte of a block the
 * program still holds (one it returned earlier and that was not freed since).
 * Exactly one corruption per process. The workloads' pattern check must catch
 * it: state VERIFY_FAILED, exit SOAK_WORKER_EXIT_VERIFY (3), status
 * verify-failed in the runner.
 *
 * Only the user bytes of a live block are touched, never glibc's metadata,
 * so the C library itself stays sound.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

static void *(*next_malloc)(size_t);
static void (*next_free)(void *);
static uint64_t after = 100000;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t count;
static unsigned char *victim;
static int done;

static void resolve(void)
{
	next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	next_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
}

__attribute__((constructor)) static void corrupt_init(void)
{
	const char *e = getenv("SOAK_TEST_CORRUPT_AFTER");
	if (e) {
		char *end;
		unsigned long long v = strtoull(e, &end, 10);
		if (end != e && *end == '\0')
			after = v;
	}
	resolve();
}

void *malloc(size_t size)
{
	if (!next_malloc)
		resolve();
	void *p = next_malloc(size);
	if (!p || __atomic_load_n(&done, __ATOMIC_RELAXED))
		return p;
	pthread_mutex_lock(&lock);
	if (!done && ++count >= after) {
		if (victim) {
			victim[0] ^= 0xff; /* the victim is still live: corrupt it */
			done = 1;
		} else if (size >= 1) {
			victim = p;
		}
	}
	pthread_mutex_unlock(&lock);
	return p;
}

void free(void *p)
{
	if (!next_free)
		resolve();
	if (p && !__atomic_load_n(&done, __ATOMIC_RELAXED)) {
		pthread_mutex_lock(&lock);
		if (p == victim)
			victim = NULL; /* freed before we struck: pick the next one */
		pthread_mutex_unlock(&lock);
	}
	next_free(p);
}
