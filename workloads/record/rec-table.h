/*
 * rec-table.h - soak-record.so's address -> object id table: lock-striped
 * open addressing (linear probing, backward-shift deletion) in mmap'd
 * memory, so the recorder never calls the allocator it records.
 */
#ifndef SOAK_REC_TABLE_H
#define SOAK_REC_TABLE_H

#include <stdint.h>

/* The recorder's spin locks (held for a few instructions, or a write). */
static inline void spin_lock(int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void spin_unlock(int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

/* The stripes' memory: 0, or -ENOMEM. */
int rec_table_init(void);
/* Maps p to id (an address already there takes the new id). Out of memory:
 * the block is not mapped, and its free reads as of an unknown block. */
void rec_table_put(const void *p, uint64_t id);
/* Removes p: its id, or 0 when the table does not hold it. */
uint64_t rec_table_take(const void *p);
/* Fork: every stripe's lock taken, then released (in parent and child). */
void rec_table_lock_all(void);
void rec_table_unlock_all(void);
/* Forgets every address (a fork child: its parent's blocks are, to its own
 * trace, blocks allocated before recording; their frees are not events). */
void rec_table_clear(void);

#endif
