/* libsizelog.so - a preloadable malloc that records the sizes of the first
 * SIZELOG_MAX allocations of the process and writes them, one per line, to
 * $SOAK_TEST_SIZELOG at exit. Ground truth for "a workload is deterministic
 * for a given seed": two runs with one seed must log the same sequence.
 * It forwards to glibc's __libc_* entry points (no dlsym bootstrap needed). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIZELOG_MAX 20000

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static size_t sizes[SIZELOG_MAX];
static unsigned long n;

static void note(size_t sz)
{
	unsigned long i = __atomic_fetch_add(&n, 1, __ATOMIC_RELAXED);
	if (i < SIZELOG_MAX)
		sizes[i] = sz;
}

void *malloc(size_t sz)
{
	note(sz);
	return __libc_malloc(sz);
}

void *calloc(size_t a, size_t b)
{
	note(a * b);
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t sz)
{
	note(sz);
	return __libc_realloc(p, sz);
}

void free(void *p)
{
	__libc_free(p);
}

__attribute__((destructor)) static void dump(void)
{
	const char *path = getenv("SOAK_TEST_SIZELOG");
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	unsigned long k = n < SIZELOG_MAX ? n : SIZELOG_MAX;
	char line[32];
	for (unsigned long i = 0; i < k; i++) {
		int len = snprintf(line, sizeof(line), "%zu\n", sizes[i]);
		if (write(fd, line, (size_t)len) != len)
			break;
	}
	close(fd);
}
