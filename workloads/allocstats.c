/*
 * allocstats.c - the allocator's own view of its memory, read in the worker.
 *
 * A small thread wakes every shm->astats.period_ms (the runner passes its slow
 * cadence, at least 100 ms), queries the allocator and publishes the figures
 * under the sequence lock of soak_shm_astats_t. A thread rather than a check in
 * the workloads' ticks: the hot loops stay as they are (no clock read to find
 * out whether a query is due) and a query that takes locks (jemalloc's epoch
 * merges every arena's stats, glibc's mallinfo2 locks every arena) never runs
 * inside a timed operation. It sleeps on a condition variable, so stopping it
 * is immediate. Its own allocations (its stack, a thread cache) are the
 * allocator's, not the workload's: live-bytes checks do not count them.
 *
 * Each function is resolved only in the object that provides malloc
 * (shm->malloc_so): under a preloaded jemalloc, glibc's mallinfo2 still
 * resolves but describes a heap nobody uses. dlsym on a dlopen() handle also
 * searches the object's dependencies, so dladdr checks where the symbol lives.
 */
#include "allocstats.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int (*as_mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef int (*as_tcprop_fn)(const char *, size_t *);
typedef void (*as_miinfo_fn)(size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *, size_t *);
typedef struct mallinfo2 (*as_mallinfo2_fn)(void);

struct soak_astats {
	soak_shm_t *shm;
	void *fn;               /* the kind's query function */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int quit;
};

void *soak_astats_resolve(const char *path, const char *sym)
{
	void *h = dlopen(path, RTLD_NOLOAD | RTLD_LAZY);
	if (!h)
		return NULL;
	void *p = dlsym(h, sym);
	Dl_info di;
	char real[PATH_MAX];
	if (p && (!dladdr(p, &di) || !di.dli_fname || !realpath(di.dli_fname, real) || strcmp(real, path)))
		p = NULL;
	dlclose(h); /* RTLD_NOLOAD: only drops the reference just taken */
	return p;
}

static const char *as_symbol(uint32_t kind)
{
	switch (kind) {
	case SOAK_ASTATS_GLIBC: return "mallinfo2";
	case SOAK_ASTATS_JEMALLOC: return "mallctl";
	case SOAK_ASTATS_TCMALLOC: return "MallocExtension_GetNumericProperty";
	case SOAK_ASTATS_MIMALLOC: return "mi_process_info";
	default: return NULL;
	}
}

static void as_set(uint64_t *val, uint64_t *have, int i, uint64_t v)
{
	val[i] = v;
	*have |= 1ull << i;
}

static void as_jemalloc(as_mallctl_fn f, uint64_t *val, uint64_t *have)
{
	static const struct { const char *name; int i; } je[] = {
		{ "stats.allocated", SOAK_ASTAT_ALLOCATED }, { "stats.active", SOAK_ASTAT_ACTIVE },
		{ "stats.resident", SOAK_ASTAT_RESIDENT },   { "stats.mapped", SOAK_ASTAT_MAPPED },
		{ "stats.retained", SOAK_ASTAT_RETAINED },
	};
	uint64_t epoch = 1;
	size_t len = sizeof(epoch);
	/* The stats are a snapshot taken at the last epoch: refresh it. */
	if (f("epoch", &epoch, &len, &epoch, sizeof(epoch)) != 0)
		return;
	for (size_t k = 0; k < sizeof(je) / sizeof(je[0]); k++) {
		size_t v, vl = sizeof(v);
		if (f(je[k].name, &v, &vl, NULL, 0) == 0)
			as_set(val, have, je[k].i, v);
	}
}

static void as_tcmalloc(as_tcprop_fn f, uint64_t *val, uint64_t *have)
{
	size_t alloc, heap, freeb, unmapped;
	if (f("generic.current_allocated_bytes", &alloc))
		as_set(val, have, SOAK_ASTAT_ALLOCATED, alloc);
	if (f("tcmalloc.pageheap_free_bytes", &freeb))
		as_set(val, have, SOAK_ASTAT_FREE, freeb);
	bool u = f("tcmalloc.pageheap_unmapped_bytes", &unmapped);
	if (u)
		as_set(val, have, SOAK_ASTAT_RETAINED, unmapped);
	/* heap_size is all address space obtained from the system, unmapped
	 * (released) pages included: mapped is the rest. */
	if (f("generic.heap_size", &heap) && u && heap >= unmapped)
		as_set(val, have, SOAK_ASTAT_MAPPED, heap - unmapped);
}

static void as_query(struct soak_astats *as, uint64_t *val, uint64_t *have)
{
	*have = 0;
	switch (as->shm->astats.kind) {
	case SOAK_ASTATS_GLIBC: {
		struct mallinfo2 mi = ((as_mallinfo2_fn)as->fn)();
		as_set(val, have, SOAK_ASTAT_ALLOCATED, mi.uordblks + mi.hblkhd);
		as_set(val, have, SOAK_ASTAT_MAPPED, mi.arena + mi.hblkhd);
		as_set(val, have, SOAK_ASTAT_FREE, mi.fordblks);
		break;
	}
	case SOAK_ASTATS_JEMALLOC:
		as_jemalloc((as_mallctl_fn)as->fn, val, have);
		break;
	case SOAK_ASTATS_TCMALLOC:
		as_tcmalloc((as_tcprop_fn)as->fn, val, have);
		break;
	case SOAK_ASTATS_MIMALLOC: {
		size_t el, ut, st, rss, prss, commit, pcommit, pf;
		((as_miinfo_fn)as->fn)(&el, &ut, &st, &rss, &prss, &commit, &pcommit, &pf);
		as_set(val, have, SOAK_ASTAT_MAPPED, commit);
		break;
	}
	default:
		break;
	}
}

static double as_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Query once and publish under the sequence lock. */
static void as_publish(struct soak_astats *as)
{
	soak_shm_astats_t *a = &as->shm->astats;
	uint64_t val[SOAK_ASTAT__N] = { 0 }, have;
	double t0 = as_now_ns();
	as_query(as, val, &have);
	double dt = as_now_ns() - t0;
	uint64_t seq = a->seq;
	__atomic_store_n(&a->seq, seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	for (int i = 0; i < SOAK_ASTAT__N; i++)
		__atomic_store_n(&a->val[i], val[i], __ATOMIC_RELAXED);
	__atomic_store_n(&a->have, have, __ATOMIC_RELAXED);
	__atomic_store_n(&a->reads, a->reads + 1, __ATOMIC_RELAXED);
	a->read_ns = dt;
	__atomic_store_n(&a->seq, seq + 2, __ATOMIC_RELEASE);
}

static void *as_main(void *arg)
{
	struct soak_astats *as = arg;
	uint32_t ms = as->shm->astats.period_ms;
	struct timespec due;
	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&as->mu);
	for (;;) {
		due.tv_nsec += (long)(ms % 1000) * 1000000L;
		due.tv_sec += ms / 1000 + due.tv_nsec / 1000000000L;
		due.tv_nsec %= 1000000000L;
		while (!as->quit && pthread_cond_timedwait(&as->cv, &as->mu, &due) != ETIMEDOUT)
			;
		if (as->quit)
			break;
		pthread_mutex_unlock(&as->mu);
		as_publish(as);
		pthread_mutex_lock(&as->mu);
	}
	pthread_mutex_unlock(&as->mu);
	return NULL;
}

void soak_astats_standalone(soak_shm_t *shm, uint32_t ms)
{
	static const uint32_t order[] = { SOAK_ASTATS_JEMALLOC, SOAK_ASTATS_TCMALLOC, SOAK_ASTATS_MIMALLOC,
					  SOAK_ASTATS_GLIBC };
	shm->astats.period_ms = ms;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (soak_astats_resolve(shm->malloc_so, as_symbol(order[i]))) {
			shm->astats.kind = order[i];
			return;
		}
}

soak_astats_t *soak_astats_start(soak_shm_t *shm)
{
	soak_shm_astats_t *a = &shm->astats;
	const char *sym = as_symbol(a->kind);
	if (!sym || !a->period_ms)
		return NULL;
	void *fn = soak_astats_resolve(shm->malloc_so, sym);
	if (!fn) {
		snprintf(a->why, sizeof(a->why), "allocator %.150s was declared %s but exports no %s",
			 shm->malloc_so, soak_astats_kind_names[a->kind], sym);
		return NULL;
	}
	struct soak_astats *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->shm = shm;
	as->fn = fn;
	pthread_mutex_init(&as->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&as->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* The first set before any operation: the baseline. */
	as_publish(as);
	if (pthread_create(&as->th, NULL, as_main, as) != 0) {
		snprintf(a->why, sizeof(a->why), "the worker could not start its statistics thread");
		free(as);
		return NULL;
	}
	return as;
}

void soak_astats_stop(soak_astats_t *as)
{
	if (!as)
		return;
	pthread_mutex_lock(&as->mu);
	as->quit = 1;
	pthread_cond_signal(&as->cv);
	pthread_mutex_unlock(&as->mu);
	pthread_join(as->th, NULL);
	as_publish(as); /* the last set, after the workload stopped */
	pthread_mutex_destroy(&as->mu);
	pthread_cond_destroy(&as->cv);
	free(as);
}
