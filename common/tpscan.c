/* tpscan.c - the throughput line of a command's output; see soak/tpscan.h. */
#include "soak/tpscan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int soak_tpscan_init(soak_tpscan_t *s, const char *pattern)
{
	s->len = 0;
	s->tp = NAN;
	return regcomp(&s->re, pattern ? pattern : SOAK_TP_PATTERN_DEFAULT, REG_EXTENDED) ? -EINVAL : 0;
}

void soak_tpscan_reset(soak_tpscan_t *s)
{
	s->len = 0;
	s->tp = NAN;
}

static void scan_line(soak_tpscan_t *s)
{
	regmatch_t m[2];
	s->line[s->len] = '\0';
	if (regexec(&s->re, s->line, 2, m, 0) == 0 && m[1].rm_so >= 0) {
		char num[64];
		int n = (int)(m[1].rm_eo - m[1].rm_so);
		snprintf(num, sizeof(num), "%.*s", n, s->line + m[1].rm_so);
		char *end;
		double v = strtod(num, &end);
		/* A throughput is a finite number >= 0: "inf", "nan" or "-3" are not. */
		if (end != num && isfinite(v) && v >= 0)
			s->tp = v;
	}
	s->len = 0;
}

void soak_tpscan_feed(soak_tpscan_t *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			scan_line(s);
			continue;
		}
		if (s->len < sizeof(s->line) - 1)
			s->line[s->len++] = buf[i];
	}
}

void soak_tpscan_flush(soak_tpscan_t *s)
{
	if (s->len)
		scan_line(s);
}

void soak_tpscan_free(soak_tpscan_t *s)
{
	regfree(&s->re);
}
