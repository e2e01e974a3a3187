/*
 * selfreport.h - counters a worker reports about itself on stdout/stderr
 * (so an allocator's own syscall count can be set beside the measured one,
 * docs/syscall-budget.md), as lines containing
 *
 *     [TAG] key=value key=value ...
 *
 * TAG is [A-Za-z0-9_]+; a value is a decimal number (integer or float: 12,
 * -3, 0.5, 1e6) or inf/infinity/nan (reported as such, and 1e999 as inf, so
 * that a consumer can flag them); pairs whose value is not a number are ignored, and so is any
 * text before the tag (the line may be interleaved with other output). A
 * second [TAG] on the same line starts a new tag. Every pair found yields
 * cb(arg, tag, key, value); the last value of a TAG.key wins (soak_sr_store
 * keeps that).
 *
 * The parser is pure and incremental: feed arbitrary chunks of one stream
 * (lines may be split anywhere), then flush at EOF for a last line without a
 * newline. Use one parser per stream (stdout, stderr). Lines longer than
 * SOAK_SR_LINE_MAX - 1 bytes are cut there; the token cut in the middle is
 * dropped, the pairs before it are kept.
 */
#ifndef SOAK_SELFREPORT_H
#define SOAK_SELFREPORT_H

#include <stdbool.h>
#include <stddef.h>

#define SOAK_SR_LINE_MAX 4096
#define SOAK_SR_NAME_MAX 64     /* longest tag or key + 1; longer ones are ignored */

typedef void (*soak_sr_cb_t)(void *arg, const char *tag, const char *key, double value);

typedef struct {
	soak_sr_cb_t cb;
	void *arg;
	size_t len;
	bool overflow;          /* the current line exceeded the buffer */
	char line[SOAK_SR_LINE_MAX];
} soak_selfreport_t;

void soak_selfreport_init(soak_selfreport_t *p, soak_sr_cb_t cb, void *arg);
void soak_selfreport_feed(soak_selfreport_t *p, const void *buf, size_t n);
/* End of stream: parses a last line that had no newline. */
void soak_selfreport_flush(soak_selfreport_t *p);
/* Parses one line (no newline needed); returns the number of pairs reported. */
int soak_selfreport_line(const char *line, size_t len, soak_sr_cb_t cb, void *arg);

/* A small store keeping the last value of each TAG.key, in first-seen order. */
#define SOAK_SR_STORE_MAX 256
typedef struct {
	char tag[SOAK_SR_NAME_MAX];
	char key[SOAK_SR_NAME_MAX];
	double value;
} soak_sr_entry_t;

typedef struct {
	size_t n;
	size_t dropped;         /* new TAG.key pairs not stored: the store was full */
	soak_sr_entry_t e[SOAK_SR_STORE_MAX];
} soak_sr_store_t;

void soak_sr_store_init(soak_sr_store_t *s);
/* soak_sr_cb_t-compatible: arg is a soak_sr_store_t. */
void soak_sr_store_put(void *store, const char *tag, const char *key, double value);
/* soak_sr_lookup_t-compatible: 0, or -ENOENT. */
int soak_sr_store_get(void *store, const char *tag, const char *key, double *ret);

typedef int (*soak_sr_lookup_t)(void *arg, const char *tag, const char *key, double *ret);

/* The self-reported syscall total of a known format, from its counters:
 * SS_OS_STATS (hakmem): mmap_total + madvise. Returns 0, -ENOENT for a tag
 * that is not a known format, -ENODATA when a needed key was not reported,
 * -ERANGE when one is negative, infinite or NaN (never summed). */
int soak_selfreport_syscalls(const char *tag, soak_sr_lookup_t lookup, void *arg, double *ret);
/* The first known format present (lookup succeeds for all its keys):
 * *ret_tag and *ret set, 0; or -ENOENT. */
int soak_selfreport_syscalls_any(soak_sr_lookup_t lookup, void *arg, const char **ret_tag, double *ret);

#endif
