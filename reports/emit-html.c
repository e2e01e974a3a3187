/* emit-html.c - self-contained HTML pages (placeholder until the plots land). */
#include <errno.h>
#include <stdio.h>

#include "emit-history.h"

int soak_history_emit_html(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o);
int soak_history_emit_html(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o)
{
	(void)f;
	(void)h;
	(void)o;
	return -ENOTSUP;
}
