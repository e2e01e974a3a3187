/* cp_false_alarm.c - how often the change-point test finds a change point in
 * series that have none, and how often it finds a planted one: the windowed
 * t test history uses (soak_cp_find_window, no minimum effect), or with
 * METHOD "permutation" E-divisive with the permutation test (soak_cp_find).
 * Run by scripts/bench-changepoint.sh; prints a Markdown table.
 *
 * usage: cp_false_alarm [SERIES-PER-CELL] [SEED] [window|permutation]
 * Rows: length n, noise (gaussian; heavy-tailed: lognormal sigma 0.5 scaled to
 * the same CV; bimodal: 20% of points +3 sigma), series without a change:
 *   any  - fraction with at least one change point (family-wise false alarms)
 *   tail - fraction with a change point among the newest 3 points and a drop
 *          (what `gate --history` fails on with 3 runs per night)
 * and series whose newest 3 points dropped 10% at CV 3% and 5%: detection rate. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "changepoint.h"
#include "verdict.h"

static double unif(soak_rng_t *r)
{
	return ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(soak_rng_t *r)
{
	return sqrt(-2 * log(unif(r))) * cos(2 * M_PI * unif(r));
}

enum { GAUSS, LOGNORM, BIMODAL, NKIND };
static const char *kind_name[] = { "gaussian", "lognormal", "bimodal 20%" };

static double noise(int kind, soak_rng_t *r)
{
	switch (kind) {
	case LOGNORM: {
		/* lognormal(0, 0.5) standardised: mean e^0.125, sd sqrt((e^0.25-1)e^0.25) */
		double m = exp(0.125), s = sqrt((exp(0.25) - 1) * exp(0.25));
		return (exp(0.5 * gauss(r)) - m) / s;
	}
	case BIMODAL:
		return gauss(r) + (unif(r) < 0.2 ? 3.0 : 0.0);
	default:
		return gauss(r);
	}
}

static int use_window = 1;

/* Fraction of series (any change point, a drop among the newest 3). */
static void rate(size_t n, int kind, double cv, double drop, size_t reps, uint64_t seed, double *any,
		 double *tail)
{
	soak_rng_t r;
	soak_rng_seed(&r, seed);
	double *x = malloc(n * sizeof(*x));
	size_t na = 0, nt = 0;
	for (size_t k = 0; k < reps; k++) {
		for (size_t i = 0; i < n; i++)
			x[i] = 100.0 * (1 + cv * noise(kind, &r)) * (i + 3 >= n ? 1 - drop : 1);
		soak_cp_t *cp;
		size_t m;
		soak_cp_opts_t o = { .seed = seed + k };
		if ((use_window ? soak_cp_find_window(x, n, &o, &cp, &m) : soak_cp_find(x, n, &o, &cp, &m)) < 0)
			abort();
		na += m > 0;
		bool t = false;
		for (size_t i = 0; i < m; i++)
			t |= cp[i].index + 3 >= n && cp[i].change_pct < 0;
		nt += t;
		free(cp);
	}
	free(x);
	*any = (double)na / (double)reps;
	*tail = (double)nt / (double)reps;
}

int main(int argc, char **argv)
{
	size_t reps = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
	use_window = argc <= 3 || strcmp(argv[3], "permutation");
	const size_t lens[] = { 9, 15, 30, 60 };
	if (use_window)
		printf("E-divisive in windows of %d, Student's t test (winsorized at median +- %.0f robust sd), "
		       "alpha %.2f, min segment %d, no minimum effect; %zu series per cell, seed %llu\n\n",
		       SOAK_CP_WINDOW, SOAK_CP_WINSOR, SOAK_CP_ALPHA, SOAK_CP_MIN_SIZE, reps, (unsigned long long)seed);
	else
		printf("E-divisive, alpha %.2f, %d permutations, min segment %d; %zu series per cell, seed %llu\n\n",
		       SOAK_CP_ALPHA, SOAK_CP_PERMUTATIONS, SOAK_CP_MIN_SIZE, reps, (unsigned long long)seed);
	printf("| n | noise | stationary: any change point | stationary: drop in newest 3 | "
	       "10%% drop, CV 3%%: found in newest 3 | 10%% drop, CV 5%%: found in newest 3 |\n");
	printf("|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (int k = 0; k < NKIND; k++) {
			double a0, t0, a1, t1, a2, t2;
			rate(lens[i], k, 0.05, 0, reps, seed, &a0, &t0);
			rate(lens[i], k, 0.03, 0.10, reps, seed + 1000003, &a1, &t1);
			rate(lens[i], k, 0.05, 0.10, reps, seed + 2000003, &a2, &t2);
			printf("| %zu | %s | %.3f | %.3f | %.3f | %.3f |\n", lens[i], kind_name[k], a0, t0, t1, t2);
			fflush(stdout);
		}
	return 0;
}
