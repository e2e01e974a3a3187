/* parse.h - parsers for user-facing values. All return 0 or -EINVAL/-ERANGE and
 * write the out-parameter only on success. */
#ifndef SOAK_PARSE_H
#define SOAK_PARSE_H

#include <stdint.h>

/* "90s", "5m", "1h", "250ms", "1.5s", "2h30m"; a bare number is seconds. */
int soak_parse_duration(const char *s, double *ret_seconds);
/* "64M", "1G", "512K", "4096", "1.5G", "64MiB", "max" -> UINT64_MAX (no limit).
 * Suffixes are binary (K = 1024), like systemd's MemoryMax=. */
int soak_parse_size(const char *s, uint64_t *ret_bytes);
/* "50%", "150%", "50" -> percent of one CPU (> 0). */
int soak_parse_percent(const char *s, double *ret_pct);
/* Unsigned integer with optional K/M/G decimal-free binary suffix. */
int soak_parse_u64(const char *s, uint64_t *ret);
/* Human formats into buf: "12.3 MiB", "1m30s". Return buf. */
char *soak_fmt_bytes(double bytes, char *buf, int len);
char *soak_fmt_duration(double s, char *buf, int len);

#endif
