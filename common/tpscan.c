/* tpscan.c - the --tp-pattern matcher; see include/soak/tpscan.h. */
#include "soak/tpscan.h"

#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void soak_tp_scan_line(tp_scan_t *s)
{
	regmatch_t m[2];
	s->line[s->len] = '\0';
	if (regexec(&s->re, s->line, 2, m, 0) == 0 && m[1].rm_so >= 0 && m[1].rm_eo >= m[1].rm_so) {
		char num[64];
		int n = (int)(m[1].rm_eo - m[1].rm_so);
		snprintf(num, sizeof(num), "%.*s", n, s->line + m[1].rm_so);
		char *end;
		double v = strtod(num, &end);
		if (end != num && isfinite(v) && v >= 0)
			s->tp = v;
	}
	s->len = 0;
}

void soak_tp_scan(tp_scan_t *s, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			soak_tp_scan_line(s);
			continue;
		}
		if (s->len < sizeof(s->line) - 1)
			s->line[s->len++] = buf[i];
	}
}

static bool is_quant(char c)
{
	return c == '*' || c == '+' || c == '?' || c == '{';
}

/* The end of a bracket expression starting at p ('['), or NULL. */
static const char *bracket_end(const char *p)
{
	const char *q = p + 1;
	if (*q == '^')
		q++;
	if (*q == ']')
		q++;
	while (*q && *q != ']') {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			char close[3] = { q[1], ']', '\0' };
			const char *e = strstr(q + 2, close);
			if (!e)
				return NULL;
			q = e + 2;
		} else {
			q++;
		}
	}
	return *q ? q : NULL;
}

int soak_tp_pattern_check(const char *pat, char *err, size_t errlen)
{
	if (!pat || !*pat || strlen(pat) > 256) {
		snprintf(err, errlen, "--tp-pattern must be 1 to 256 characters");
		return -EINVAL;
	}
	bool prev_quant = false;
	for (const char *p = pat; *p; p++) {
		if (*p == '\\') {
			if (p[1] >= '1' && p[1] <= '9') {
				snprintf(err, errlen, "--tp-pattern '%s': back-references (\\%c) are not "
					 "supported", pat, p[1]);
				return -EINVAL;
			}
			if (p[1])
				p++;
			prev_quant = false;
		} else if (*p == '[') {
			const char *e = bracket_end(p);
			if (!e)
				break;   /* regcomp says what is wrong */
			p = e;
			prev_quant = false;
		} else if (is_quant(*p)) {
			if (prev_quant) {
				snprintf(err, errlen, "--tp-pattern '%s': a repetition right after another "
					 "('%c' at offset %d) can make matching take forever: drop one",
					 pat, *p, (int)(p - pat));
				return -EINVAL;
			}
			if (*p == '{') {
				const char *e = strchr(p, '}');
				if (!e)
					break;
				p = e;
			}
			prev_quant = true;
		} else {
			prev_quant = false;
		}
	}
	regex_t re;
	if (regcomp(&re, pat, REG_EXTENDED) != 0) {
		snprintf(err, errlen, "--tp-pattern '%s' is not a valid extended regular expression", pat);
		return -EINVAL;
	}
	bool group = re.re_nsub >= 1;
	regfree(&re);
	if (!group) {
		snprintf(err, errlen, "--tp-pattern '%s' needs a group ( ) around the number", pat);
		return -EINVAL;
	}
	return 0;
}
