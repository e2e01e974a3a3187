/* parse.c - duration, size and percent parsers; see include/soak/parse.h. */
#include "soak/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_number(const char **p, double *ret)
{
	char *end;
	if (!isdigit((unsigned char)**p) && **p != '.')
		return -EINVAL;
	errno = 0;
	double v = strtod(*p, &end);
	if (end == *p || errno || !isfinite(v) || v < 0)
		return -EINVAL;
	*p = end;
	*ret = v;
	return 0;
}

int soak_parse_duration(const char *s, double *ret_seconds)
{
	if (!s || !*s)
		return -EINVAL;
	const char *p = s;
	double total = 0;
	int parts = 0;
	while (*p) {
		double v;
		if (parse_number(&p, &v) < 0)
			return -EINVAL;
		double mult;
		if (!strncmp(p, "ms", 2)) {
			mult = 1e-3;
			p += 2;
		} else if (!strncmp(p, "us", 2)) {
			mult = 1e-6;
			p += 2;
		} else if (*p == 's') {
			mult = 1;
			p++;
		} else if (*p == 'm') {
			mult = 60;
			p++;
		} else if (*p == 'h') {
			mult = 3600;
			p++;
		} else if (*p == 'd') {
			mult = 86400;
			p++;
		} else if (*p == '\0' && parts == 0) {
			mult = 1;
		} else {
			return -EINVAL;
		}
		total += v * mult;
		parts++;
	}
	if (total > 365.0 * 86400)
		return -ERANGE;
	*ret_seconds = total;
	return 0;
}

int soak_parse_size(const char *s, uint64_t *ret_bytes)
{
	if (!s || !*s)
		return -EINVAL;
	if (!strcasecmp(s, "max") || !strcasecmp(s, "infinity")) {
		*ret_bytes = UINT64_MAX;
		return 0;
	}
	const char *p = s;
	double v;
	if (parse_number(&p, &v) < 0)
		return -EINVAL;
	double mult = 1;
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'B': p++; break;
	case 'K': mult = 1024.0; p++; break;
	case 'M': mult = 1024.0 * 1024; p++; break;
	case 'G': mult = 1024.0 * 1024 * 1024; p++; break;
	case 'T': mult = 1024.0 * 1024 * 1024 * 1024; p++; break;
	default: return -EINVAL;
	}
	if (mult > 1 && (!strcasecmp(p, "iB") || !strcasecmp(p, "B")))
		p += strlen(p);
	if (*p)
		return -EINVAL;
	double bytes = v * mult;
	if (bytes >= 18446744073709551615.0)
		return -ERANGE;
	*ret_bytes = (uint64_t)llround(bytes);
	return 0;
}

int soak_parse_percent(const char *s, double *ret_pct)
{
	if (!s || !*s)
		return -EINVAL;
	const char *p = s;
	double v;
	if (parse_number(&p, &v) < 0)
		return -EINVAL;
	if (*p == '%')
		p++;
	if (*p || v <= 0)
		return -EINVAL;
	if (v > 100000)
		return -ERANGE;
	*ret_pct = v;
	return 0;
}

int soak_parse_u64(const char *s, uint64_t *ret)
{
	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	unsigned long long mult = 1;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': mult = 1024ull; end++; break;
	case 'M': mult = 1024ull * 1024; end++; break;
	case 'G': mult = 1024ull * 1024 * 1024; end++; break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

char *soak_fmt_bytes(double b, char *buf, int len)
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (fabs(b) >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(buf, (size_t)len, i ? "%.2f %s" : "%.0f %s", b, u[i]);
	return buf;
}

char *soak_fmt_duration(double s, char *buf, int len)
{
	long t = lround(s);
	if (s < 60)
		snprintf(buf, (size_t)len, "%.1fs", s);
	else if (t < 3600)
		snprintf(buf, (size_t)len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, (size_t)len, "%ldh%02ldm%02lds", t / 3600, t / 60 % 60, t % 60);
	return buf;
}
