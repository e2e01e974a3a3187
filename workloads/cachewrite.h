/*
 * cachewrite.h - the loop cache_thrash and cache_scratch share (Hoard's
 * false-sharing tests): allocate a small object, write every byte of it
 * `writes` times, check it, free it. When an allocator places objects of
 * different threads on one cache line, the writes of one thread invalidate
 * the line in the others' caches and every op slows down.
 */
#ifndef SOAK_CACHEWRITE_H
#define SOAK_CACHEWRITE_H

#include "workload.h"

/* The byte written last at offset k of an object (salt from the seed). */
static inline unsigned char soak_wl_cw_byte(uint64_t salt, uint64_t writes, size_t k)
{
	return (unsigned char)(salt ^ (writes - 1) ^ (k * 7));
}

/* Write every byte `writes` times through a volatile pointer (the compiler
 * must not fold the stores: they are what the pattern is about). */
static inline void soak_wl_cw_write(void *p, size_t size, uint64_t writes, uint64_t salt)
{
	volatile unsigned char *v = p;
	for (uint64_t j = 0; j < writes; j++)
		for (size_t k = 0; k < size; k++)
			v[k] = (unsigned char)(salt ^ j ^ (k * 7));
}

/* SIZE_MAX when every byte holds its last write, else the first bad offset. */
static inline size_t soak_wl_cw_check(const void *p, size_t size, uint64_t writes, uint64_t salt)
{
	const unsigned char *c = p;
	for (size_t k = 0; k < size; k++)
		if (c[k] != soak_wl_cw_byte(salt, writes, k))
			return k;
	return SIZE_MAX;
}

/* Ops between two ticks: ~64 K byte writes, at most SOAK_WL_BATCH ops, so a
 * stop is seen quickly however many writes an op makes. */
static inline uint64_t soak_wl_cw_per_tick(size_t size, uint64_t writes)
{
	uint64_t per = 65536 / ((uint64_t)size * writes + 1);
	return per < 1 ? 1 : per > SOAK_WL_BATCH ? SOAK_WL_BATCH : per;
}

/* One op: malloc, write, check, free; timed as a whole. 0 or an exit code. */
static inline int soak_wl_cw_op(soak_wl_thread_t *t, size_t size, uint64_t writes, uint64_t salt)
{
	void *p;
	size_t off = SIZE_MAX;
	SOAK_WL_TIMED(t, {
		p = malloc(size);
		if (__builtin_expect(p != NULL, 1)) {
			soak_wl_got(t, p, size);
			soak_wl_cw_write(p, size, writes, salt);
			off = soak_wl_cw_check(p, size, writes, salt);
			if (__builtin_expect(off == SIZE_MAX, 1)) {
				soak_wl_gone(t, p, size);
				free(p);
			}
		}
	});
	if (__builtin_expect(!p, 0))
		return soak_wl_nomem(t, size);
	if (__builtin_expect(off != SIZE_MAX, 0))
		return soak_wl_fail_block(t, p, size, off, "written");
	t->ops++;
	return 0;
}

#endif
