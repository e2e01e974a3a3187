/* libballast.so - preloaded into soakctl by tests: the runner holds
 * SOAK_TEST_BALLAST_MB of touched memory before it forks any worker, which
 * would show up in the worker's ru_maxrss (carried across fork and exec) if
 * the suite ever took a worker's peak from rusage. */
#include <stdlib.h>
#include <string.h>

/* volatile and exported: the compiler must not drop an allocation it sees
 * is never read. */
char *volatile soak_test_ballast;

__attribute__((constructor)) static void hold(void)
{
	const char *mb = getenv("SOAK_TEST_BALLAST_MB");
	if (!mb)
		return;
	size_t n = (size_t)atol(mb) << 20;
	volatile char *p = malloc(n);
	for (size_t i = 0; p && i < n; i += 4096)
		p[i] = 0x5a;
	soak_test_ballast = (char *)p;
}
