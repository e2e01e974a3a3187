/*
 * replay-objs.c - the replay's table of live objects (replay-objs.h).
 */
#include "replay-objs.h"

#include "workload.h"

static size_t level_bytes(unsigned bits)
{
	return ((size_t)1 << bits) * sizeof(rp_obj_t);
}

int rp_objs_init(rp_objs_t *t, uint64_t expect_live, bool one_writer)
{
	memset(t, 0, sizeof(*t));
	t->one_writer = one_writer;
	pthread_mutex_init(&t->grow, NULL);
	/* Four slots per object expected live (at most a quarter full), at
	 * least 1024. */
	unsigned bits = 10;
	while (bits < 40 && ((uint64_t)1 << bits) < expect_live * 4)
		bits++;
	t->bits[0] = bits;
	t->slot[0] = soak_wl_meta_alloc(level_bytes(bits));
	if (!t->slot[0])
		return -1;
	t->levels = 1;
	return 0;
}

void rp_objs_destroy(rp_objs_t *t)
{
	for (unsigned i = 0; i < t->levels; i++)
		soak_wl_meta_free(t->slot[i], level_bytes(t->bits[i]));
	pthread_mutex_destroy(&t->grow);
	memset(t, 0, sizeof(*t));
}

rp_obj_t *rp_objs_find_slow(rp_objs_t *t, uint64_t id)
{
	unsigned n = __atomic_load_n(&t->levels, __ATOMIC_ACQUIRE);
	for (unsigned l = 0; l < n; l++) {
		size_t mask = ((size_t)1 << t->bits[l]) - 1, h = rp_objs_home(id, l, t->bits[l]);
		rp_obj_t *s = t->slot[l];
		for (unsigned i = 0; i < (l ? RP_OBJ_PROBES : 1); i++) {
			rp_obj_t *o = &s[(h + i) & mask];
			if (__atomic_load_n(&o->key, __ATOMIC_ACQUIRE) == id)
				return o;
		}
	}
	return NULL;
}

/* Adds level n (if no other thread has); false when it cannot. */
static bool add_level(rp_objs_t *t, unsigned n)
{
	bool ok = true;
	pthread_mutex_lock(&t->grow);
	if (t->levels == n) {
		unsigned bits = t->bits[n - 1] + 1;
		rp_obj_t *s = n < RP_OBJ_LEVELS && bits < 48 ? soak_wl_meta_alloc(level_bytes(bits)) : NULL;
		if (s) {
			t->slot[n] = s;
			t->bits[n] = bits;
			__atomic_store_n(&t->levels, n + 1, __ATOMIC_RELEASE);
		} else {
			ok = false;
		}
	}
	pthread_mutex_unlock(&t->grow);
	return ok;
}

rp_obj_t *rp_objs_put_slow(rp_objs_t *t, uint64_t id, const rp_obj_t *fill)
{
	for (unsigned l = 0;; l++) {
		unsigned n = __atomic_load_n(&t->levels, __ATOMIC_ACQUIRE);
		if (l == n && !add_level(t, n))
			return NULL;
		size_t mask = ((size_t)1 << t->bits[l]) - 1, h = rp_objs_home(id, l, t->bits[l]);
		rp_obj_t *s = t->slot[l];
		for (unsigned i = 0; i < (l ? RP_OBJ_PROBES : 1); i++) {
			rp_obj_t *o = &s[(h + i) & mask];
			if (rp_objs_claim(t, o, id, fill))
				return o;
		}
	}
}

void rp_objs_remove(rp_obj_t *o, bool dead)
{
	uint64_t id = __atomic_load_n(&o->key, __ATOMIC_RELAXED);
	__atomic_store_n(&o->key, dead ? id | RP_OBJ_DEAD : 0, __ATOMIC_RELEASE);
}

void rp_objs_revive(rp_obj_t *o, void *p)
{
	o->p = p;
	__atomic_store_n(&o->key, __atomic_load_n(&o->key, __ATOMIC_RELAXED) & ~RP_OBJ_DEAD, __ATOMIC_RELEASE);
}

size_t rp_objs_bytes(const rp_objs_t *t)
{
	size_t b = 0;
	for (unsigned i = 0; i < t->levels; i++)
		b += level_bytes(t->bits[i]);
	return b;
}

int rp_objs_each(rp_objs_t *t, int (*fn)(rp_obj_t *o, void *arg), void *arg)
{
	unsigned n = __atomic_load_n(&t->levels, __ATOMIC_ACQUIRE);
	for (unsigned l = 0; l < n; l++) {
		size_t size = (size_t)1 << t->bits[l];
		for (size_t i = 0; i < size; i++) {
			uint64_t k = __atomic_load_n(&t->slot[l][i].key, __ATOMIC_ACQUIRE);
			if (k == 0 || k == RP_OBJ_BUSY)
				continue;
			int rc = fn(&t->slot[l][i], arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}
