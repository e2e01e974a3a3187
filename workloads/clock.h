/*
 * clock.h - the worker's cheap nanosecond clock for per-op latency.
 *
 * On CPUs whose TSC is invariant (constant_tsc and nonstop_tsc in
 * /proc/cpuinfo) soak_clock_ns() reads rdtsc and converts cycles with a
 * fixed-point multiply calibrated against CLOCK_MONOTONIC at start-up (~20 ms);
 * elsewhere it calls clock_gettime(CLOCK_MONOTONIC), which the vDSO serves
 * without a system call. Either way the result is monotonic nanoseconds.
 */
#ifndef SOAK_WL_CLOCK_H
#define SOAK_WL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef struct {
	bool tsc;            /* rdtsc in use */
	uint64_t base_tsc;   /* tsc at calibration */
	uint64_t base_ns;    /* CLOCK_MONOTONIC at base_tsc */
	uint64_t mult;       /* ns per cycle << SOAK_CLOCK_SHIFT */
	double ghz;          /* measured TSC frequency, for the summary */
	double read_ns;      /* measured cost of one soak_clock_ns() */
} soak_clock_t;

#define SOAK_CLOCK_SHIFT 32

extern soak_clock_t soak_clock;

/* Calibrate (or pick the fallback). `force_monotonic` skips the TSC. */
void soak_clock_init(bool force_monotonic);
const char *soak_clock_source(void);
/* Parse /proc/cpuinfo-style text: true when the flags list both constant_tsc and nonstop_tsc. */
bool soak_clock_tsc_flags_ok(const char *cpuinfo);

static inline uint64_t soak_clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__) || defined(__i386__)
static inline uint64_t soak_clock_rdtsc(void)
{
	uint32_t lo, hi;
	/* lfence: do not start reading the TSC before earlier instructions finished,
	 * so t1 is not taken while the timed operation is still in flight. */
	__asm__ __volatile__("lfence\n\trdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}
#define SOAK_CLOCK_HAVE_TSC 1
#else
static inline uint64_t soak_clock_rdtsc(void) { return 0; }
#define SOAK_CLOCK_HAVE_TSC 0
#endif

static inline uint64_t soak_clock_ns(void)
{
	if (__builtin_expect(soak_clock.tsc, 1)) {
		uint64_t d = soak_clock_rdtsc() - soak_clock.base_tsc;
		return soak_clock.base_ns + (uint64_t)(((unsigned __int128)d * soak_clock.mult) >> SOAK_CLOCK_SHIFT);
	}
	return soak_clock_mono_ns();
}

#endif
