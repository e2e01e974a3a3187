/* clock.c - TSC calibration for soak_clock_ns(); see clock.h. */
#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

soak_clock_t soak_clock;

static bool has_flag(const char *flags, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = flags; (p = strstr(p, name)) != NULL; p += n) {
		bool start = p == flags || p[-1] == ' ' || p[-1] == '\t';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n' || p[n] == '\t';
		if (start && end)
			return true;
	}
	return false;
}

bool soak_clock_tsc_flags_ok(const char *cpuinfo)
{
	/* The first "flags" line stands for all CPUs (they are identical on x86). */
	const char *p = strstr(cpuinfo, "\nflags");
	if (!p && !strncmp(cpuinfo, "flags", 5))
		p = cpuinfo;
	if (!p)
		return false;
	const char *colon = strchr(p + 1, ':');
	const char *eol = strchr(p + 1, '\n');
	if (!colon || (eol && colon > eol))
		return false;
	size_t len = eol ? (size_t)(eol - colon) : strlen(colon);
	char line[4096];
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	memcpy(line, colon + 1, len);
	line[len] = '\0';
	return has_flag(line, "constant_tsc") && has_flag(line, "nonstop_tsc");
}

static bool cpu_has_invariant_tsc(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	/* 64 KiB covers the first CPU's block on any machine we know. */
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return soak_clock_tsc_flags_ok(buf);
}

/* Cost of one soak_clock_ns() with the current source, in ns. */
static double read_cost(void)
{
	enum { N = 2000 };
	volatile uint64_t sink = 0;
	uint64_t t0 = soak_clock_mono_ns();
	for (int i = 0; i < N; i++)
		sink += soak_clock_ns();
	(void)sink;
	return (double)(soak_clock_mono_ns() - t0) / N;
}

static void calibrate(void);

void soak_clock_init(bool force_monotonic)
{
	memset(&soak_clock, 0, sizeof(soak_clock));
	if (!force_monotonic && SOAK_CLOCK_HAVE_TSC && cpu_has_invariant_tsc())
		calibrate();
	if (soak_clock.tsc) {
		/* Some hypervisors trap rdtsc (~1 us): then the vDSO is cheaper. */
		double tsc_cost = read_cost();
		soak_clock.tsc = false;
		double mono_cost = read_cost();
		/* Only a trapped rdtsc is worth leaving: within 2x, keep the TSC so
		 * the choice does not flip between runs on noise. */
		soak_clock.tsc = tsc_cost <= 2 * mono_cost;
		soak_clock.read_ns = soak_clock.tsc ? tsc_cost : mono_cost;
	} else {
		soak_clock.read_ns = read_cost();
	}
}

static void calibrate(void)
{
	/* Calibrate over ~20 ms; bracket each TSC read with two clock reads and
	 * keep the midpoint so a preemption between them does not skew the slope. */
	uint64_t a0 = soak_clock_mono_ns(), c0 = soak_clock_rdtsc(), b0 = soak_clock_mono_ns();
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	while (nanosleep(&nap, &nap) != 0)
		;
	uint64_t a1 = soak_clock_mono_ns(), c1 = soak_clock_rdtsc(), b1 = soak_clock_mono_ns();
	uint64_t ns = (a1 + b1) / 2 - (a0 + b0) / 2;
	uint64_t cyc = c1 - c0;
	if (c1 <= c0 || ns < 10 * 1000 * 1000)
		return; /* nonsense: stay on clock_gettime */
	soak_clock.mult = (uint64_t)(((unsigned __int128)ns << SOAK_CLOCK_SHIFT) / cyc);
	soak_clock.base_tsc = c0;
	soak_clock.base_ns = (a0 + b0) / 2;
	soak_clock.ghz = (double)cyc / (double)ns;
	soak_clock.tsc = true;
}

const char *soak_clock_source(void)
{
	return soak_clock.tsc ? "tsc" : "clock_gettime";
}
