/* rounds.c - interleaved rounds with a shuffled order per round (rounds.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "rounds.h"
#include "soak/uuid.h"
#include "run.h"
#include "verdict.h"

static void on_signal(int sig)
{
	if (!soak_run_interrupted)
		soak_run_interrupt_signal = sig;
	soak_run_interrupted = 1;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

void soak_rounds_signals_catch(soak_signals_t *s)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_SIGNALS; i++)
		sigaction(stop_signals[i], &sa, &s->old[i]);
}

void soak_rounds_signals_restore(const soak_signals_t *s)
{
	for (size_t i = 0; i < N_SIGNALS; i++)
		sigaction(stop_signals[i], &s->old[i], NULL);
}

/* Fisher-Yates from the last element down: the order compare and plan have
 * always drawn, so a recorded order seed gives the same order again. */
void soak_rounds_shuffle(soak_rng_t *rng, size_t *order, size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = soak_rng_below(rng, i), t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
}

int soak_rounds_run(const soak_rounds_t *r)
{
	size_t *order = calloc(r->cells + 1, sizeof(*order));
	if (!order)
		return -ENOMEM;
	soak_signals_t sig;
	soak_rounds_signals_catch(&sig);
	soak_rng_t rng;
	soak_rng_seed(&rng, r->seed);
	int rc = 0;
	for (size_t round = 0; round < r->rounds && !soak_run_interrupted && rc >= 0; round++) {
		soak_rounds_shuffle(&rng, order, r->cells);
		if (r->begin && (rc = r->begin(r->arg, round)) < 0)
			break;
		for (size_t k = 0; k < r->cells && !soak_run_interrupted && rc >= 0; k++)
			rc = r->cell(r->arg, round, order[k]);
	}
	soak_rounds_signals_restore(&sig);
	free(order);
	return rc < 0 ? rc : 0;
}

void soak_rounds_new_id(char buf[37], uint64_t *seed_out)
{
	if (soak_uuid4(buf) < 0 || getrandom(seed_out, sizeof(*seed_out), 0) != (ssize_t)sizeof(*seed_out)) {
		/* No entropy source: time and pid are unique enough for an id. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec ^
			     ((uint64_t)getpid() << 32);
		soak_rng_t r;
		soak_rng_seed(&r, x);
		*seed_out = soak_rng_next(&r);
		snprintf(buf, 37, "%08llx-0000-4000-8000-%012llx", (unsigned long long)(x >> 32),
			 (unsigned long long)(soak_rng_next(&r) & 0xffffffffffffULL));
	}
}
