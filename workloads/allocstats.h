/*
 * allocstats.h - the allocator's own statistics, read in the worker at the
 * slow cadence and published in the shm under a sequence lock (allocstats.c).
 */
#ifndef SOAK_ALLOCSTATS_H
#define SOAK_ALLOCSTATS_H

#include "soak/shm.h"

typedef struct soak_astats soak_astats_t;

/* Starts the statistics thread for shm->astats.kind at shm->astats.period_ms,
 * the query resolved in the object named by shm->malloc_so only. NULL when
 * there is nothing to query (kind none, period 0) or the query cannot be
 * found; then shm->astats.why says why (when it is not the runner's own). */
soak_astats_t *soak_astats_start(soak_shm_t *shm);
/* The function sym when the object at path (a realpath) defines it itself,
 * else NULL (also NULL when a dependency of it does). */
void *soak_astats_resolve(const char *path, const char *sym);
/* Standalone worker (no runner to choose): the first interface the malloc
 * object defines itself, queried every ms milliseconds. */
void soak_astats_standalone(soak_shm_t *shm, uint32_t ms);
/* Stops and joins the thread (NULL: nothing). */
void soak_astats_stop(soak_astats_t *as);

#endif
