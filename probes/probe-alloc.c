/*
 * probe-alloc.c - the allocator's own view of its memory: the figures the
 * worker's statistics thread (workloads/allocstats.c) reads from the allocator
 * (jemalloc's mallctl, tcmalloc's MallocExtension_GetNumericProperty,
 * mimalloc's mi_process_info, glibc's mallinfo2) at most every 100 ms and
 * publishes in the shm under a sequence lock. Reading them here costs a few
 * loads; the query's own cost is the worker's (docs/probes.md).
 *
 * Which interface applies is chosen by the runner before the worker starts
 * (shm->astats.kind), so every figure the allocator does not offer has its
 * reason from the start, naming the allocator.
 */
#include "probe.h"
#include "probe-util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const soak_metric_def_t alloc_metrics[SOAK_ASTAT__N] = {
	[SOAK_ASTAT_ALLOCATED] = { "alloc_allocated_bytes", "bytes", SOAK_GAUGE,
				   "bytes in blocks the allocator handed out, by its own count" },
	[SOAK_ASTAT_ACTIVE] = { "alloc_active_bytes", "bytes", SOAK_GAUGE, "bytes in the allocator's pages holding live blocks" },
	[SOAK_ASTAT_RESIDENT] = { "alloc_resident_bytes", "bytes", SOAK_GAUGE, "the allocator's estimate of its resident bytes" },
	[SOAK_ASTAT_MAPPED] = { "alloc_mapped_bytes", "bytes", SOAK_GAUGE,
				"bytes the allocator obtained from the OS and keeps mapped (mimalloc: committed)" },
	[SOAK_ASTAT_RETAINED] = { "alloc_retained_bytes", "bytes", SOAK_GAUGE,
				  "address space the allocator kept after returning its pages to the OS" },
	[SOAK_ASTAT_FREE] = { "alloc_free_bytes", "bytes", SOAK_GAUGE, "free bytes held in the allocator's heap" },
};

/* Why a figure is NULL under an allocator that has a query: NULL = offered. */
static const char *const alloc_missing[SOAK_ASTATS__N][SOAK_ASTAT__N] = {
	[SOAK_ASTATS_GLIBC] = {
		[SOAK_ASTAT_ACTIVE] = "glibc (mallinfo2) offers no active-pages figure",
		[SOAK_ASTAT_RESIDENT] = "glibc (mallinfo2) offers no resident estimate",
		[SOAK_ASTAT_RETAINED] = "glibc (mallinfo2) offers no retained figure",
	},
	[SOAK_ASTATS_JEMALLOC] = {
		[SOAK_ASTAT_FREE] = "jemalloc offers no free-bytes figure",
	},
	[SOAK_ASTATS_TCMALLOC] = {
		[SOAK_ASTAT_ACTIVE] = "tcmalloc offers no active-pages figure",
		[SOAK_ASTAT_RESIDENT] = "tcmalloc offers no resident estimate",
	},
	[SOAK_ASTATS_MIMALLOC] = {
		[SOAK_ASTAT_ALLOCATED] = "mimalloc (mi_process_info) offers no allocated-bytes figure, only committed "
					 "memory (alloc_mapped_bytes)",
		[SOAK_ASTAT_ACTIVE] = "mimalloc (mi_process_info) offers no active-pages figure",
		[SOAK_ASTAT_RESIDENT] = "mimalloc (mi_process_info) offers only the process's RSS, no estimate of its own",
		[SOAK_ASTAT_RETAINED] = "mimalloc (mi_process_info) offers no retained figure",
		[SOAK_ASTAT_FREE] = "mimalloc (mi_process_info) offers no free-bytes figure",
	},
};

struct alloc_state {
	const soak_shm_t *shm;
	uint64_t want;            /* figures the kind offers */
};

static int alloc_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	if (!ctx->shm || ctx->exclude_root) {
		snprintf(why, whylen, "exec commands: the allocator's statistics are read inside soak's worker only");
		return -ENOTSUP;
	}
	return 0;
}

static int alloc_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	char why[SOAK_REASON_MAX];
	int r = alloc_supported(ctx, why, sizeof(why));
	if (r < 0) {
		soak_reason_all(reasons, SOAK_ASTAT__N, "%s", why);
		return r;
	}
	const soak_shm_astats_t *a = &ctx->shm->astats;
	if (ctx->shm->magic != SOAK_SHM_MAGIC || ctx->shm->version != SOAK_SHM_VERSION) {
		soak_reason_all(reasons, SOAK_ASTAT__N, "worker shared memory: bad magic or version %u (want %u)",
				ctx->shm->version, SOAK_SHM_VERSION);
		return -EPROTO;
	}
	if (a->kind == SOAK_ASTATS_NONE || a->kind >= SOAK_ASTATS__N) {
		soak_reason_all(reasons, SOAK_ASTAT__N, "%.150s", a->why[0] ? a->why : "no statistics interface");
		return -ENOTSUP;
	}
	if (!a->period_ms) {
		soak_reason_all(reasons, SOAK_ASTAT__N, "allocator statistics queries are off");
		return -ENOTSUP;
	}
	struct alloc_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->shm = ctx->shm;
	for (int i = 0; i < SOAK_ASTAT__N; i++) {
		const char *m = alloc_missing[a->kind][i];
		if (m)
			soak_reason_set(reasons, (size_t)i, "%s", m);
		else
			s->want |= 1ull << i;
	}
	*state = s;
	return 0;
}

/* One consistent set, or false (none published yet, or the writer kept
 * writing through a few tries: the next sample reads it). */
static bool alloc_read(const soak_shm_astats_t *a, uint64_t *val, uint64_t *have)
{
	for (int tries = 0; tries < 4; tries++) {
		uint64_t s0 = __atomic_load_n(&a->seq, __ATOMIC_ACQUIRE);
		if (s0 & 1)
			continue;
		for (int i = 0; i < SOAK_ASTAT__N; i++)
			val[i] = __atomic_load_n(&a->val[i], __ATOMIC_RELAXED);
		*have = __atomic_load_n(&a->have, __ATOMIC_RELAXED);
		uint64_t reads = __atomic_load_n(&a->reads, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&a->seq, __ATOMIC_RELAXED) == s0)
			return reads > 0;
	}
	return false;
}

static int alloc_sample(void *state, double *v, bool *ok)
{
	struct alloc_state *s = state;
	uint64_t val[SOAK_ASTAT__N], have;
	if (!alloc_read(&s->shm->astats, val, &have))
		return 0;
	have &= s->want;
	for (int i = 0; i < SOAK_ASTAT__N; i++) {
		ok[i] = (have >> i) & 1;
		v[i] = ok[i] ? (double)val[i] : 0;
	}
	return 0;
}

static void alloc_close(void *state)
{
	free(state);
}

const soak_probe_ops_t soak_probe_alloc = {
	.name = "alloc",
	.metrics = alloc_metrics,
	.n_metrics = SOAK_ASTAT__N,
	.supported = alloc_supported,
	.open = alloc_open,
	.sample = alloc_sample,
	.close = alloc_close,
};
