/*
 * ring.h - the single-producer/single-consumer ring that workloads with
 * cross-thread frees share: the producer mallocs a block, counts it in its
 * own bytes_live and pushes it; the consumer pops, checks the block's pattern
 * and frees it (a remote free), then adds the freed sizes to the ring's
 * `freed` words; the producer subtracts their growth before each publication
 * (soak_ring_settle), so a thread's count never goes below zero and the sum
 * over threads is exact once every ring is settled (the workload's quiesce()).
 *
 * Each side's words sit on their own cache line. Slots live in workload
 * metadata (soak_wl_meta_alloc), never in the allocator under test.
 */
#ifndef SOAK_RING_H
#define SOAK_RING_H

#include "workload.h"

typedef struct {
	void *p;
	uint64_t size;
	uint64_t tag;     /* pattern tag */
} soak_ring_item_t;

typedef struct {
	_Alignas(64) uint64_t head;     /* next slot to pop (consumer writes) */
	uint64_t freed;                 /* bytes popped and freed (consumer writes) */
	uint64_t freed_usable;          /* their usable sizes, when counted (consumer writes) */
	uint64_t frees;                 /* blocks freed from this ring, by any consumer */
	_Alignas(64) uint64_t tail;     /* next slot to fill (producer writes) */
	uint64_t freed_seen;            /* `freed` as the producer last subtracted it */
	uint64_t freed_usable_seen;     /* the same for freed_usable */
	_Alignas(64) soak_ring_item_t *slot;
} soak_ring_t;

/* Capacity: the power of 2 at or above `want` (at least 2). */
static inline uint64_t soak_ring_cap(uint64_t want)
{
	uint64_t cap = 2;
	while (cap < want)
		cap <<= 1;
	return cap;
}

/* Bytes of one mapping holding a `head`-byte state, n rings and their slots. */
static inline size_t soak_ring_meta_size(size_t head, unsigned n, uint64_t cap)
{
	size_t ring_off = (head + 63) & ~(size_t)63;
	return ring_off + n * sizeof(soak_ring_t) + n * cap * sizeof(soak_ring_item_t);
}

/* The rings inside such a mapping m (zeroed), their slots wired. */
static inline soak_ring_t *soak_ring_layout(unsigned char *m, size_t head, unsigned n, uint64_t cap)
{
	size_t ring_off = (head + 63) & ~(size_t)63;
	soak_ring_t *r = (soak_ring_t *)(m + ring_off);
	soak_ring_item_t *slots = (soak_ring_item_t *)(m + ring_off + n * sizeof(soak_ring_t));
	for (unsigned i = 0; i < n; i++)
		r[i].slot = slots + (size_t)i * cap;
	return r;
}

/* Producer: false when the ring is full. */
static inline bool soak_ring_push(soak_ring_t *r, uint64_t mask, const soak_ring_item_t *it)
{
	uint64_t tail = r->tail;
	if (tail - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) > mask)
		return false;
	r->slot[tail & mask] = *it;
	__atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
	return true;
}

/* Producer: what the consumer freed since the last call leaves t's count. */
static inline void soak_ring_settle(soak_wl_thread_t *t, soak_ring_t *r)
{
	uint64_t b = __atomic_load_n(&r->freed, __ATOMIC_ACQUIRE);
	uint64_t u = __atomic_load_n(&r->freed_usable, __ATOMIC_RELAXED);
	t->bytes_live -= b - r->freed_seen;
	t->bytes_usable -= u - r->freed_usable_seen;
	r->freed_seen = b;
	r->freed_usable_seen = u;
}

/* Consumer: pop, check (pattern from seed, tag, size) and free up to `max`
 * blocks, one timed op each on t. The count freed, or -(exit code) after a
 * verify failure. */
static inline int64_t soak_ring_drain(soak_wl_thread_t *t, soak_ring_t *r, uint64_t mask,
				      uint64_t seed, uint64_t max)
{
	uint64_t head = r->head, bytes = 0, usable = 0, n = 0;
	uint64_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	int rc = 0;
	for (; head != tail && n < max; head++, n++) {
		soak_ring_item_t it = r->slot[head & mask];
		size_t off = soak_wl_check(it.p, it.size, soak_wl_pattern(seed, it.tag, it.size));
		if (__builtin_expect(off != SIZE_MAX, 0)) {
			rc = soak_wl_fail_block(t, it.p, it.size, off, "remotely freed");
			break;
		}
		if (t->usable_size)
			usable += t->usable_size(it.p);
		SOAK_WL_TIMED(t, free(it.p));
		bytes += it.size;
		t->ops++;
	}
	__atomic_store_n(&r->frees, r->frees + n, __ATOMIC_RELAXED);
	__atomic_store_n(&r->freed_usable, r->freed_usable + usable, __ATOMIC_RELAXED);
	__atomic_store_n(&r->freed, r->freed + bytes, __ATOMIC_RELEASE);
	__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	return rc ? -rc : (int64_t)n;
}

/* A thread struct carrying worker slot tid's published counts (after the
 * threads stopped: quiesce and teardown settle rings into it). Not timed. */
static inline void soak_ring_load(soak_wl_ctx_t *ctx, soak_wl_thread_t *t, unsigned tid)
{
	soak_wl_thread_init(t, ctx, tid);
	t->lat_left = t->lat_every = UINT64_MAX;
	t->ops = ctx->shm->thr[tid].ops;
	t->bytes_live = ctx->shm->thr[tid].bytes_live;
	t->bytes_usable = ctx->shm->thr[tid].bytes_usable;
}

#endif
