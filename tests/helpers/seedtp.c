/*
 * seedtp.c - a fixture for `exec --repeat`: prints the seeds' throughput line
 *
 *   Throughput = 60276071 ops/s [iter=200000000 ws=400] time=3.318s
 *
 * with the numbers given on the command line (copied verbatim), then exits.
 *
 *   seedtp OPS ITER WS TIME [EXIT_CODE [SLEEP_MS [RSS_MIB]]]
 *
 * SLEEP_MS makes the step's wall time known; RSS_MIB allocates and touches
 * that much memory first, so the step's own peak RSS is known too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long arg_long(const char *s, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end || v < 0) {
		fprintf(stderr, "seedtp: %s '%s' is not a non-negative integer\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 5 || argc > 8) {
		fprintf(stderr, "usage: seedtp OPS ITER WS TIME [EXIT_CODE [SLEEP_MS [RSS_MIB]]]\n");
		return 2;
	}
	long code = argc > 5 ? arg_long(argv[5], "EXIT_CODE") : 0;
	long sleep_ms = argc > 6 ? arg_long(argv[6], "SLEEP_MS") : 0;
	long rss_mib = argc > 7 ? arg_long(argv[7], "RSS_MIB") : 0;
	char *mem = NULL;
	if (rss_mib) {
		mem = malloc((size_t)rss_mib << 20);
		if (!mem) {
			fprintf(stderr, "seedtp: cannot allocate %ld MiB\n", rss_mib);
			return 2;
		}
		memset(mem, 1, (size_t)rss_mib << 20);
	}
	if (sleep_ms) {
		struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
	printf("Throughput = %s ops/s [iter=%s ws=%s] time=%ss\n", argv[1], argv[2], argv[3], argv[4]);
	fflush(stdout);
	free(mem);
	return (int)(code & 255);
}
