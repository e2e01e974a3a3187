/*
 * replay-objs.h - the replay's table of live objects: object id -> the
 * block, its size, the replay thread that holds it. Sized by the live
 * objects, not by the trace's length: a trace of a billion allocations
 * with a few thousand live at a time replays in a table of a few thousand
 * slots (docs/replay.md).
 *
 * The first level is direct-mapped (an id's slot is its id modulo the
 * size); an id whose slot is taken goes to the levels above, open
 * addressing (an id may sit in the 16 slots from its hashed home), each
 * twice as large as the one below, made on demand (the only lock, taken once per level). Every
 * operation is lock-free otherwise: a slot is claimed by a compare-and-swap
 * of its key from 0, filled, and published by a release store of the id, so
 * a thread that finds the id (acquire) sees the block. The thread that frees
 * an object clears its key; nothing moves, so an id once found stays where
 * it is until freed.
 *
 * The key is 0 (free), RP_OBJ_BUSY (being filled), the id (live), or the id
 * with RP_OBJ_DEAD (--window: freed in the window but live at FROM; kept so
 * the pass end can allocate it again). Ids are below RP_OBJ_ID_MAX.
 */
#ifndef SOAK_REPLAY_OBJS_H
#define SOAK_REPLAY_OBJS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RP_OBJ_ID_MAX  (UINT64_C(1) << 62)
#define RP_OBJ_DEAD    (UINT64_C(1) << 62)
#define RP_OBJ_BUSY    UINT64_MAX
#define RP_OBJ_PROBES  16
#define RP_OBJ_LEVELS  40

typedef struct {
	uint64_t key;
	void *p;
	uint64_t size;
	uint32_t owner;
	uint8_t kind;      /* --window: the call that allocates it again (realloc: malloc) */
	uint8_t align_log2;
	bool at_from;      /* --window: live at FROM */
} rp_obj_t;

typedef struct {
	rp_obj_t *slot[RP_OBJ_LEVELS];
	unsigned bits[RP_OBJ_LEVELS];  /* level i: 2^bits[i] slots */
	unsigned levels;               /* published with release */
	bool one_writer;               /* one thread puts: no compare-and-swap */
	pthread_mutex_t grow;
} rp_objs_t;

/* 0, or -1 when the first level cannot be mapped. one_writer: only one
 * thread ever puts (others may find and remove). */
int rp_objs_init(rp_objs_t *t, uint64_t expect_live, bool one_writer);
void rp_objs_destroy(rp_objs_t *t);
/* The slot of live object id, or NULL (not allocated yet, or freed). */
rp_obj_t *rp_objs_find_slow(rp_objs_t *t, uint64_t id);
/* A slot for id, claimed and filled from fill before the id is published;
 * NULL when no level can be added (out of memory). */
rp_obj_t *rp_objs_put_slow(rp_objs_t *t, uint64_t id, const rp_obj_t *fill);

/* The first level keeps consecutive ids in consecutive slots (a program
 * frees mostly what it allocated recently, so the live objects sit in a
 * few cache lines, as they do in the program) and probes no further: one
 * long-lived object in the way sends the id above instead of shifting
 * every later id by a slot. The levels above spread ids (Fibonacci
 * hashing), so a run of long-lived objects that fills a stretch of the
 * first level does not fill theirs. */
static inline size_t rp_objs_home(uint64_t id, unsigned level, unsigned bits)
{
	if (level == 0)
		return (size_t)(id & (((uint64_t)1 << bits) - 1));
	return (size_t)((id * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/* The common cases inline: found in its home slot of the first level, or
 * that slot free for a new id. */
static inline rp_obj_t *rp_objs_find(rp_objs_t *t, uint64_t id)
{
	rp_obj_t *o = &t->slot[0][rp_objs_home(id, 0, t->bits[0])];
	return __atomic_load_n(&o->key, __ATOMIC_ACQUIRE) == id ? o : rp_objs_find_slow(t, id);
}

static inline bool rp_objs_claim(const rp_objs_t *t, rp_obj_t *o, uint64_t id, const rp_obj_t *fill)
{
	uint64_t free_key = 0;
	if (__atomic_load_n(&o->key, __ATOMIC_ACQUIRE) != 0 ||
	    (!t->one_writer && !__atomic_compare_exchange_n(&o->key, &free_key, RP_OBJ_BUSY, false, __ATOMIC_ACQUIRE,
							     __ATOMIC_RELAXED)))
		return false;
	/* Field by field: one wide copy of the caller's fill, written just
	 * before in narrower stores, would stall on store forwarding. */
	o->p = fill->p;
	o->size = fill->size;
	o->owner = fill->owner;
	o->kind = fill->kind;
	o->align_log2 = fill->align_log2;
	o->at_from = fill->at_from;
	__atomic_store_n(&o->key, id, __ATOMIC_RELEASE);
	return true;
}

static inline rp_obj_t *rp_objs_put(rp_objs_t *t, uint64_t id, const rp_obj_t *fill)
{
	rp_obj_t *o = &t->slot[0][rp_objs_home(id, 0, t->bits[0])];
	return rp_objs_claim(t, o, id, fill) ? o : rp_objs_put_slow(t, id, fill);
}
/* The object leaves: its slot is free again (dead: kept, key marked dead). */
void rp_objs_remove(rp_obj_t *o, bool dead);
/* A dead object allocated again. */
void rp_objs_revive(rp_obj_t *o, void *p);
/* Bytes mapped, for the docs' bound. */
size_t rp_objs_bytes(const rp_objs_t *t);
/* Calls fn on every slot holding a live or dead object; stops at fn's first
 * nonzero and returns it. */
int rp_objs_each(rp_objs_t *t, int (*fn)(rp_obj_t *o, void *arg), void *arg);

static inline uint64_t rp_obj_id(const rp_obj_t *o)
{
	return __atomic_load_n(&o->key, __ATOMIC_ACQUIRE) & ~RP_OBJ_DEAD;
}

static inline bool rp_obj_dead(const rp_obj_t *o)
{
	uint64_t k = __atomic_load_n(&o->key, __ATOMIC_ACQUIRE);
	return k != RP_OBJ_BUSY && (k & RP_OBJ_DEAD);
}

#endif
