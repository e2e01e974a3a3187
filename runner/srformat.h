/*
 * srformat.h - declared self-report formats: what an allocator's own
 * "[TAG] key=value" counters count. A soak.ini section
 *
 *   [selfreport.HAKMEM_OS]
 *   mmap = seg_acq
 *   munmap = seg_rel
 *   madvise = madvise_calls + madvise_retries
 *
 * says that the sum of the named keys is the number of calls of that syscall
 * class (mmap, munmap, mremap, madvise, brk, mprotect, mlock, munlock, or
 * total = the sum of those eight), so the report sets each class beside the
 * measured count of the same class. hakmem's SS_OS_STATS is declared built
 * in (mmap = mmap_total, madvise = madvise) unless a file declares it.
 *
 * A section may also declare "live_bytes = KEY" (or a sum of keys): the
 * bytes the program holds by its own count, which the report uses as the
 * live bytes of an exec command at the end of the run (docs/metrics.md).
 */
#ifndef SOAK_SRFORMAT_H
#define SOAK_SRFORMAT_H

#include <stddef.h>

#include "selfreport.h"

#define SOAK_SRFMT_MAX 16          /* declared tags */
#define SOAK_SRFMT_CLASSES 9       /* mmap ... munlock, total */
#define SOAK_SRFMT_KEYS 8          /* keys summed per class */

typedef struct {
	char tag[SOAK_SR_NAME_MAX];
	char source[64];               /* the file, or "built-in" */
	/* keys[c][k]: the k-th key summed for class c; empty = not declared */
	char keys[SOAK_SRFMT_CLASSES][SOAK_SRFMT_KEYS][SOAK_SR_NAME_MAX];
	/* live[k]: the k-th key summed for live_bytes; empty = not declared */
	char live[SOAK_SRFMT_KEYS][SOAK_SR_NAME_MAX];
} soak_srfmt_t;

typedef struct {
	size_t n;
	soak_srfmt_t f[SOAK_SRFMT_MAX];
} soak_srfmt_set_t;

/* Class names in order: "mmap", ..., "munlock", "total". */
extern const char *const soak_srfmt_classes[SOAK_SRFMT_CLASSES];

/* Reads every [selfreport.TAG] section of the config files (soak_alloc_config_files
 * order; the first file that declares a tag wins), then adds the built-in ones.
 * 0, or -EINVAL / -ENOENT with one line in err (file, section, key, what to do). */
int soak_srfmt_load(const char *config, soak_srfmt_set_t *ret, char *err, size_t errlen);

/* Parses "a + b + c" into keys[c]; -EINVAL with err when a name is not a key. */
int soak_srfmt_parse_sum(const char *expr, char keys[SOAK_SRFMT_KEYS][SOAK_SR_NAME_MAX], char *err,
			 size_t errlen);

/* "mmap_total + fallback_mmap" for class c of f, into buf. */
void soak_srfmt_describe(const soak_srfmt_t *f, int c, char *buf, size_t len);
/* "TAG.used_memory" or "TAG.a + TAG.b": f's live_bytes declaration, into buf. */
void soak_srfmt_describe_live(const soak_srfmt_t *f, char *buf, size_t len);

#endif
