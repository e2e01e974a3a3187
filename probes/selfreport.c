/* selfreport.c - parser for "[TAG] key=value ..." lines; see selfreport.h. */
#include "selfreport.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\0';
}

static bool is_word(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_key(char c)
{
	return is_word(c) || c == '.' || c == '-';
}

/* "[TAG]" at p (followed by a space or the end): its length, else 0. */
static size_t tag_at(const char *p, const char *end)
{
	if (p >= end || *p != '[')
		return 0;
	const char *q = p + 1;
	while (q < end && is_word(*q))
		q++;
	if (q == p + 1 || q >= end || *q != ']' || (q + 1 < end && !is_space(q[1])))
		return 0;
	return (size_t)(q + 1 - p);
}

/* A decimal number filling [p, end): [+-]digits[.digits][e[+-]digits]. */
static bool number(const char *p, const char *end, double *ret)
{
	char buf[64];
	size_t n = (size_t)(end - p);
	if (!n || n >= sizeof(buf))
		return false;
	const char *q = p;
	if (*q == '+' || *q == '-')
		q++;
	size_t digits = 0;
	while (q < end && *q >= '0' && *q <= '9')
		q++, digits++;
	if (q < end && *q == '.')
		for (q++; q < end && *q >= '0' && *q <= '9'; q++)
			digits++;
	if (!digits) {
		/* inf, infinity, nan (any case, signed) are reported as such, so the
		 * caller can flag them instead of losing them silently. */
		size_t m = (size_t)(end - q);
		if ((m == 3 && !strncasecmp(q, "inf", 3)) || (m == 8 && !strncasecmp(q, "infinity", 8))) {
			*ret = *p == '-' ? -INFINITY : INFINITY;
			return true;
		}
		if (m == 3 && !strncasecmp(q, "nan", 3)) {
			*ret = NAN;
			return true;
		}
		return false;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q == end || *q < '0' || *q > '9')
			return false;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q != end)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*ret = strtod(buf, NULL);   /* 1e999 overflows to inf: flagged, not dropped */
	return true;
}

int soak_selfreport_line(const char *line, size_t len, soak_sr_cb_t cb, void *arg)
{
	const char *p = line, *end = line + len;
	char tag[SOAK_SR_NAME_MAX], key[SOAK_SR_NAME_MAX];
	bool have_tag = false;
	int pairs = 0;
	/* Text before the first tag is not ours: look for "[TAG]" anywhere. */
	while (p < end) {
		size_t tl = tag_at(p, end);
		if (tl) {
			have_tag = tl - 2 < sizeof(tag);
			if (have_tag) {
				memcpy(tag, p + 1, tl - 2);
				tag[tl - 2] = '\0';
			}
			p += tl;
			break;
		}
		p++;
	}
	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		const char *tok = p;
		while (p < end && !is_space(*p))
			p++;
		if (tok == p)
			break;
		size_t tl = tag_at(tok, p);
		if (tl == (size_t)(p - tok)) {       /* a new [TAG] */
			have_tag = tl - 2 < sizeof(tag);
			if (have_tag) {
				memcpy(tag, tok + 1, tl - 2);
				tag[tl - 2] = '\0';
			}
			continue;
		}
		if (!have_tag)
			continue;
		const char *eq = memchr(tok, '=', (size_t)(p - tok));
		if (!eq || eq == tok || (size_t)(eq - tok) >= sizeof(key))
			continue;
		bool ok = true;
		for (const char *k = tok; k < eq; k++)
			ok &= is_key(*k);
		const char *vend = p;
		if (vend > eq + 1 && (vend[-1] == ',' || vend[-1] == ';'))
			vend--;   /* "a=1, b=2" */
		double v;
		if (!ok || !number(eq + 1, vend, &v))
			continue;
		memcpy(key, tok, (size_t)(eq - tok));
		key[eq - tok] = '\0';
		cb(arg, tag, key, v);
		pairs++;
	}
	return pairs;
}

void soak_selfreport_init(soak_selfreport_t *p, soak_sr_cb_t cb, void *arg)
{
	p->cb = cb;
	p->arg = arg;
	p->len = 0;
	p->overflow = false;
}

static void end_line(soak_selfreport_t *p)
{
	size_t len = p->len;
	if (p->overflow)   /* drop the token the cut went through */
		while (len > 0 && !is_space(p->line[len - 1]))
			len--;
	soak_selfreport_line(p->line, len, p->cb, p->arg);
	p->len = 0;
	p->overflow = false;
}

void soak_selfreport_feed(soak_selfreport_t *p, const void *buf, size_t n)
{
	const char *s = buf;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '\n') {
			end_line(p);
			continue;
		}
		if (p->len < sizeof(p->line) - 1)
			p->line[p->len++] = c;
		else
			p->overflow = true;
	}
}

void soak_selfreport_flush(soak_selfreport_t *p)
{
	if (p->len || p->overflow)
		end_line(p);
}

/* ---- store ------------------------------------------------------------- */

void soak_sr_store_init(soak_sr_store_t *s)
{
	s->n = 0;
	s->dropped = 0;
}

void soak_sr_store_put(void *store, const char *tag, const char *key, double value)
{
	soak_sr_store_t *s = store;
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->e[i].tag, tag) && !strcmp(s->e[i].key, key)) {
			s->e[i].value = value;
			return;
		}
	}
	if (s->n == SOAK_SR_STORE_MAX || strlen(tag) >= SOAK_SR_NAME_MAX || strlen(key) >= SOAK_SR_NAME_MAX) {
		s->dropped++;
		return;
	}
	soak_sr_entry_t *e = &s->e[s->n++];
	strcpy(e->tag, tag);
	strcpy(e->key, key);
	e->value = value;
}

int soak_sr_store_get(void *store, const char *tag, const char *key, double *ret)
{
	soak_sr_store_t *s = store;
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->e[i].tag, tag) && !strcmp(s->e[i].key, key)) {
			*ret = s->e[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- known formats ----------------------------------------------------- */

static const struct {
	const char *tag;
	const char *sum[4];    /* keys whose sum is the syscall total */
} formats[] = {
	/* hakmem's bench_random_mixed report: "the self-reported syscall total is
	 * mmap_total + madvise" */
	{ "SS_OS_STATS", { "mmap_total", "madvise", NULL } },
};

int soak_selfreport_syscalls(const char *tag, soak_sr_lookup_t lookup, void *arg, double *ret)
{
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		if (strcmp(formats[f].tag, tag))
			continue;
		double total = 0, v;
		for (size_t k = 0; formats[f].sum[k]; k++) {
			if (lookup(arg, tag, formats[f].sum[k], &v) < 0)
				return -ENODATA;
			if (!isfinite(v) || v < 0)
				return -ERANGE;   /* a count cannot be negative or infinite */
			total += v;
		}
		*ret = total;
		return 0;
	}
	return -ENOENT;
}

int soak_selfreport_syscalls_any(soak_sr_lookup_t lookup, void *arg, const char **ret_tag, double *ret)
{
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		double v;
		if (soak_selfreport_syscalls(formats[f].tag, lookup, arg, &v) == 0) {
			*ret_tag = formats[f].tag;
			*ret = v;
			return 0;
		}
	}
	return -ENOENT;
}
