/*
 * rounds.h - interleaved rounds, shared by `compare` and `plan run`: every
 * cell (an allocator of a comparison, a cell of a plan) runs once per round,
 * in an order shuffled anew each round, so the host's drift over the hours
 * hits every cell alike. SIGINT, SIGTERM and SIGHUP stop the run in progress
 * (the runner records it `interrupted`) and the rounds; the caller then
 * exits soak_exit_interrupted(): 128 + the signal.
 */
#ifndef SOAK_ROUNDS_H
#define SOAK_ROUNDS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "verdict.h"

typedef struct {
	size_t rounds, cells;
	uint64_t seed;        /* of the order shuffle: the same seed, the same orders */
	/* Before each round's cells (may be NULL); a negative return stops. */
	int (*begin)(void *arg, size_t round);
	/* Runs cell `cell` in round `round`; a negative return stops (the
	 * callback printed why). */
	int (*cell)(void *arg, size_t round, size_t cell);
	void *arg;
} soak_rounds_t;

/* A new random id (a comparison's) and a random seed for its order shuffle;
 * without an entropy source, both from the time and the pid. */
void soak_rounds_new_id(char buf[37], uint64_t *seed_out);

/* Runs the rounds with the signal handlers installed (and the previous ones
 * restored after). 0 when every round ran or a signal stopped them
 * (soak_run_interrupted says which), else the first negative return of a
 * callback. */
int soak_rounds_run(const soak_rounds_t *r);

/* The handlers soak_rounds_run installs, for other loops of runs (the
 * --until-decided looks): SIGINT, SIGTERM and SIGHUP set
 * soak_run_interrupted instead of ending soakctl between two runs. */
typedef struct {
	struct sigaction old[3];
} soak_signals_t;
void soak_rounds_signals_catch(soak_signals_t *s);
void soak_rounds_signals_restore(const soak_signals_t *s);

/* One round's order: 0..n-1 shuffled (Fisher-Yates, the last element first). */
void soak_rounds_shuffle(soak_rng_t *rng, size_t *order, size_t n);

#endif
