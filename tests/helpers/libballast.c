/* libballast.so - preloaded into soakctl by tests: the runner holds
 * SOAK_TEST_BALLAST_MB of touched memory before it forks any worker, which
 * would show up in the worker's ru_maxrss (carried across fork and exec) if
 * the suite ever took a worker's peak from rusage. */
#include <stdlib.h>
#include <string.h>

static void *ballast;

__attribute__((constructor)) static void hold(void)
{
	const char *mb = getenv("SOAK_TEST_BALLAST_MB");
	if (!mb)
		return;
	size_t n = (size_t)atol(mb) << 20;
	ballast = malloc(n);
	if (ballast)
		memset(ballast, 0x5a, n);
}
