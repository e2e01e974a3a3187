/* emit-history.h - emitters of `soakctl history` (Markdown, JSON; HTML in emit-html.c). */
#ifndef SOAK_EMIT_HISTORY_H
#define SOAK_EMIT_HISTORY_H

#include <stdio.h>

#include "history.h"

typedef struct {
	size_t last;           /* points per metric table */
	unsigned metrics;      /* bit m: metric m's table (0: all) */
} soak_history_emit_opts_t;

int soak_history_emit_md(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o);
int soak_history_emit_json(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o);

/* A metric value in its display unit ("12.3", "+1.50%", "181ns"). */
void soak_history_fmt_value(const soak_history_t *h, size_t m, double v, char *buf, size_t len);
/* The unit of metric m as displayed ("M ops/s", or "x system" for ratios). */
const char *soak_history_unit(const soak_history_t *h, size_t m, char *buf, size_t len);
/* "path, N B, mtime T, sha256 abcdef012345" or "libc (no library)". */
void soak_history_fmt_build(const soak_hpoint_t *p, char *buf, size_t len);
/* One line describing a change point (gate output). */
void soak_history_cp_text(const soak_history_t *h, const soak_hseries_t *s, const soak_hchange_t *c, char *buf, size_t len);

#endif
