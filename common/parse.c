/* parse.c - duration, size and percent parsers; see include/soak/parse.h. */
#include "soak/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A plain decimal: digits with at most one '.' followed by digits ("5",
 * "1.5", ".5"). No sign, space, exponent, hex, inf or nan: strtod alone took
 * "0x3" and "1e3". */
static int parse_number(const char **p, double *ret)
{
	const char *s = *p;
	size_t ip = strspn(s, "0123456789"), fp = 0;
	if (s[ip] == '.') {
		fp = strspn(s + ip + 1, "0123456789");
		if (!fp)
			return -EINVAL;
		fp++;
	}
	if (!ip && !fp)
		return -EINVAL;
	/* strtod sees only the checked span: on "0x3" it would read the hex. */
	char tmp[64];
	if (ip + fp >= sizeof(tmp))
		return -ERANGE;
	memcpy(tmp, s, ip + fp);
	tmp[ip + fp] = '\0';
	errno = 0;
	double v = strtod(tmp, NULL);
	if (errno || !isfinite(v))
		return -ERANGE;
	*p = s + ip + fp;
	*ret = v;
	return 0;
}

static const struct {
	const char *name;
	double seconds;
} dur_units[] = { { "d", 86400 }, { "h", 3600 }, { "ms", 1e-3 }, { "us", 1e-6 },
		  { "m", 60 }, { "s", 1 } };
/* Rank of each unit, largest first: a duration names each unit at most once,
 * largest to smallest ("2h30m", not "30m2h" or "1s1s"). */
static int dur_rank(double seconds)
{
	static const double order[] = { 86400, 3600, 60, 1, 1e-3, 1e-6 };
	for (int i = 0; i < 6; i++)
		if (order[i] == seconds)
			return i;
	return -1;
}

int soak_parse_duration(const char *s, double *ret_seconds)
{
	if (!s || !*s)
		return -EINVAL;
	const char *p = s;
	double total = 0;
	int parts = 0, rank = -1;
	while (*p) {
		double v;
		int r = parse_number(&p, &v);
		if (r < 0)
			return r == -ERANGE && !parts ? -ERANGE : -EINVAL;
		double mult = 0;
		for (size_t u = 0; u < sizeof(dur_units) / sizeof(dur_units[0]) && !mult; u++) {
			size_t n = strlen(dur_units[u].name);
			if (!strncmp(p, dur_units[u].name, n)) {
				mult = dur_units[u].seconds;
				p += n;
			}
		}
		if (!mult) {
			if (*p || parts)
				return -EINVAL;
			mult = 1; /* a bare number is seconds */
		}
		int k = dur_rank(mult);
		if (k <= rank)
			return -EINVAL;
		rank = k;
		total += v * mult;
		parts++;
	}
	if (!isfinite(total) || total > 365.0 * 86400)
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
	size_t ip = strspn(p, "0123456789");
	double v;
	int r = parse_number(&p, &v);
	if (r < 0)
		return r;
	unsigned shift = 0;
	switch (toupper((unsigned char)*p)) {
	case '\0': break;
	case 'B': p++; break;
	case 'K': shift = 10; p++; break;
	case 'M': shift = 20; p++; break;
	case 'G': shift = 30; p++; break;
	case 'T': shift = 40; p++; break;
	default: return -EINVAL;
	}
	if (shift && (!strcasecmp(p, "iB") || !strcasecmp(p, "B")))
		p += strlen(p);
	if (*p)
		return -EINVAL;
	/* Whole part in integers (exact, overflow-checked), the fraction in
	 * double. Sizes of 2^63 bytes and more are refused: limits are int64 in
	 * the kernel and in the database. */
	uint64_t whole = 0;
	for (size_t i = 0; i < ip; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (whole > ((uint64_t)INT64_MAX - d) / 10)
			return -ERANGE;
		whole = whole * 10 + d;
	}
	if (whole > (uint64_t)INT64_MAX >> shift)
		return -ERANGE;
	double frac = (v - floor(v)) * (double)(1ull << shift);
	uint64_t bytes = (whole << shift) + (uint64_t)llround(frac);
	if (bytes > (uint64_t)INT64_MAX || bytes < (whole << shift))
		return -ERANGE;
	*ret_bytes = bytes;
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
