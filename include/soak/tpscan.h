/*
 * tpscan.h - finds the throughput a command prints ("Throughput = 60276071
 * ops/s ...", or a --tp-pattern) in its stdout, line by line. Used by the
 * exec --repeat driver (per step) and by the runner (a single exec).
 */
#ifndef SOAK_TPSCAN_H
#define SOAK_TPSCAN_H

#include <regex.h>
#include <stddef.h>

/* Default pattern: the seeds' "Throughput = 60276071 ops/s [iter=... ws=...] time=...s". */
#define SOAK_TP_PATTERN_DEFAULT "Throughput *= *([0-9.eE+]+) *ops/s"

typedef struct {
	regex_t re;
	char line[4096];
	size_t len;
	double tp;      /* group 1 of the last matching line; NAN until one matched */
} soak_tpscan_t;

/* 0, or -EINVAL when pattern is not an extended regex. */
int soak_tpscan_init(soak_tpscan_t *s, const char *pattern);
/* Forgets the last match and any partial line (a new step). */
void soak_tpscan_reset(soak_tpscan_t *s);
void soak_tpscan_feed(soak_tpscan_t *s, const char *buf, size_t n);
/* Scans a last line without its newline. */
void soak_tpscan_flush(soak_tpscan_t *s);
void soak_tpscan_free(soak_tpscan_t *s);

#endif
