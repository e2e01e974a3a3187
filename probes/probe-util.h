/*
 * probe-util.h - helpers shared by the probes (internal to probes/): reading
 * kept-open text files, parsing "key value" files (cgroup memory.stat,
 * memory.events, memory.oom_control, cpu.stat), PSI files, and writing reasons.
 * Parsers are pure (text in, numbers out) so tests feed them fixture files.
 * All return 0 or a negative errno and write out-parameters only on success.
 */
#ifndef SOAK_PROBE_UTIL_H
#define SOAK_PROBE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "probe.h"

/* pread(fd, buf, len - 1, 0) and NUL-terminate. Returns the byte count, or
 * -errno, or -EFBIG when the file did not fit (a truncated read would silently
 * drop keys). A kept-open /proc or cgroup fd regenerates its text on each read
 * at offset 0. */
ssize_t soak_read_fd(int fd, char *buf, size_t len);

/* Opens dir/name O_RDONLY|O_CLOEXEC; -errno on failure. */
int soak_open_in(const char *dir, const char *name);

/* Strict decimal u64: digits only (no sign, no spaces), no overflow. `end`
 * (optional) receives the first character after the digits. */
int soak_parse_u64_dec(const char *s, uint64_t *ret, const char **end);

/* Value of the line "key <u64>" in a "key value" file; the key must match a
 * whole first word. -ENOENT when no such line, -EINVAL when it is malformed. */
int soak_kv_u64(const char *buf, const char *key, uint64_t *ret);

/* The total= field (microseconds) of the "some" or "full" line of a PSI file
 * (memory.pressure, /proc/pressure/memory). -ENOENT when the line is absent. */
int soak_psi_total(const char *buf, const char *line, uint64_t *ret);

/* reasons[i] = formatted text for every metric of a probe that has none yet. */
void soak_reason_all(char (*reasons)[SOAK_REASON_MAX], size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* reasons[i] = formatted text (overwrites). */
void soak_reason_set(char (*reasons)[SOAK_REASON_MAX], size_t i, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "EACCES" for 13 (strerrorname_np), "errno 999" when unknown. */
const char *soak_errname(int err, char *buf, size_t len);

#endif
