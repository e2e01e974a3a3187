/*
 * text.h - text from untrusted sources (labels, commands, worker messages and
 * logs, database contents) made safe for a terminal: C0 control characters
 * (ESC, BEL, CR, backspace...), DEL and the C1 controls (UTF-8 C2 80..C2 9F)
 * become '?', so no escape sequence from a workload or a copied database
 * reaches the user's terminal. Tab and newline are kept only where the
 * caller says so.
 */
#ifndef SOAK_TEXT_H
#define SOAK_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True when the byte at s (with s[1] after it) starts a control character;
 * *len gets its length in bytes (1, or 2 for a C1 control). */
bool soak_text_is_control(const char *s, size_t *len);

/* Copies src into dst (always terminated, cut to len - 1 bytes) with every
 * control character replaced by '?'; keep_newline keeps '\n'. Returns dst. */
char *soak_text_clean(char *dst, size_t len, const char *src, bool keep_newline);

/* fputs with the same replacement (newlines kept). */
int soak_fputs_clean(const char *s, FILE *f);

/* A stream that writes to fd with every control character but newline and
 * tab replaced by '?' (a C1 control split across two writes too). soakctl
 * puts its stdout and stderr behind one: whatever a label, a log, a message or
 * a copied database holds, no escape sequence reaches the terminal. NULL with
 * errno on failure. */
FILE *soak_text_filter_fd(int fd);

#endif
