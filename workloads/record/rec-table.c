/* rec-table.c - soak-record.so's address -> object id table (rec-table.h). */
#include "rec-table.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#define REC_STRIPES 1024

typedef struct {
	int lock;
	size_t cap, n;
	struct { uintptr_t addr; uint64_t id; } *tab;
} rec_stripe_t;

static rec_stripe_t *rec_stripes;

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int rec_table_init(void)
{
	if (!rec_stripes)
		rec_stripes = map(sizeof(rec_stripe_t) * REC_STRIPES);
	return rec_stripes ? 0 : -ENOMEM;
}

static size_t addr_hash(uintptr_t a)
{
	uint64_t x = (uint64_t)a * 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 20);
}

static void stripe_put(rec_stripe_t *s, uintptr_t addr, uint64_t id)
{
	if ((s->n + 1) * 4 > s->cap * 3) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		__typeof__(s->tab) t = map(cap * sizeof(*t));
		if (!t)
			return; /* out of memory: this block will read as freed-unknown */
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->tab[i].addr)
				continue;
			size_t j = addr_hash(s->tab[i].addr) & (cap - 1);
			while (t[j].addr)
				j = (j + 1) & (cap - 1);
			t[j] = s->tab[i];
		}
		if (s->tab)
			munmap(s->tab, s->cap * sizeof(*t));
		s->tab = t;
		s->cap = cap;
	}
	size_t j = addr_hash(addr) & (s->cap - 1);
	while (s->tab[j].addr && s->tab[j].addr != addr)
		j = (j + 1) & (s->cap - 1);
	s->n += !s->tab[j].addr;
	s->tab[j].addr = addr;
	s->tab[j].id = id;
}

/* Removes addr: its id, or 0 when the recorder never saw it. */
static uint64_t stripe_take(rec_stripe_t *s, uintptr_t addr)
{
	if (!s->cap)
		return 0;
	size_t mask = s->cap - 1, i = addr_hash(addr) & mask;
	while (s->tab[i].addr != addr) {
		if (!s->tab[i].addr)
			return 0;
		i = (i + 1) & mask;
	}
	uint64_t id = s->tab[i].id;
	for (size_t j = (i + 1) & mask; s->tab[j].addr; j = (j + 1) & mask) {
		size_t home = addr_hash(s->tab[j].addr) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->tab[i] = s->tab[j];
			i = j;
		}
	}
	s->tab[i].addr = 0;
	s->n--;
	return id;
}

static rec_stripe_t *stripe_of(const void *p)
{
	return &rec_stripes[(addr_hash((uintptr_t)p) >> 12) % REC_STRIPES];
}

void rec_table_put(const void *p, uint64_t id)
{
	rec_stripe_t *s = stripe_of(p);
	spin_lock(&s->lock);
	stripe_put(s, (uintptr_t)p, id);
	spin_unlock(&s->lock);
}

uint64_t rec_table_take(const void *p)
{
	rec_stripe_t *s = stripe_of(p);
	spin_lock(&s->lock);
	uint64_t id = stripe_take(s, (uintptr_t)p);
	spin_unlock(&s->lock);
	return id;
}

void rec_table_lock_all(void)
{
	for (int i = 0; i < REC_STRIPES; i++)
		spin_lock(&rec_stripes[i].lock);
}

void rec_table_unlock_all(void)
{
	for (int i = 0; i < REC_STRIPES; i++)
		spin_unlock(&rec_stripes[i].lock);
}

void rec_table_clear(void)
{
	for (int i = 0; i < REC_STRIPES; i++) {
		rec_stripe_t *s = &rec_stripes[i];
		if (s->tab)
			munmap(s->tab, s->cap * sizeof(*s->tab));
		s->tab = NULL;
		s->cap = s->n = 0;
	}
}
