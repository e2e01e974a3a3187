/*
 * tpscan.h - the --tp-pattern matcher of `run -w exec --repeat`: complete
 * lines of a command's output are matched against an extended regular
 * expression, and the number its first group captures is the step's
 * throughput. Lines are cut at 4095 bytes; a capture that is not a finite,
 * non-negative decimal number is ignored (the command's output is not trusted).
 */
#ifndef SOAK_TPSCAN_H
#define SOAK_TPSCAN_H

#include <regex.h>
#include <stddef.h>

typedef struct {
	regex_t re;            /* compiled by the caller with REG_EXTENDED */
	char line[4096];
	size_t len;
	double tp;             /* last match, NAN when none */
} tp_scan_t;

/* Whether soakctl accepts pattern for --tp-pattern: an extended regular
 * expression of at most 256 bytes with a group around the number, and
 * without what makes glibc's regcomp exponential (found by
 * tests/fuzz/fuzz_tp_pattern; measured: "ops" + 12 stacked '+' 0.05 s, 14
 * 0.17 s, 16 1.2 s, the fuzzer's 22 over 10 s): a repetition operator right
 * after another one, or a back-reference. 0, or -EINVAL with err saying what is wrong. */
int soak_tp_pattern_check(const char *pattern, char *err, size_t errlen);

/* Matches the buffered line and empties the buffer. */
void soak_tp_scan_line(tp_scan_t *s);
/* Feeds output; every '\n' ends a line. */
void soak_tp_scan(tp_scan_t *s, const char *buf, size_t n);

/* Default pattern: hakmem's benchmark output, "Throughput = 60276071 ops/s [iter=... ws=...] time=...s". */
#define SOAK_TP_PATTERN_DEFAULT "Throughput *= *([0-9.eE+]+) *ops/s"

/* Life cycle for the exec --repeat driver (per step) and the runner (a single
 * exec): init compiles pattern (NULL: the default; -EINVAL when it is not an
 * extended regex), reset forgets the last match and a partial line, flush
 * matches a last line without its newline, free releases the regex. */
typedef tp_scan_t soak_tpscan_t;
int soak_tpscan_init(tp_scan_t *s, const char *pattern);
void soak_tpscan_reset(tp_scan_t *s);
void soak_tpscan_flush(tp_scan_t *s);
void soak_tpscan_free(tp_scan_t *s);
#define soak_tpscan_feed soak_tp_scan

#endif
