/* emit.c - the emitter table and helpers shared by the output formats. */
#include "emit.h"
#include "soak/text.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const soak_emitter_t *soak_emitter_find(const char *name)
{
	static const soak_emitter_t *const all[] = { &soak_emitter_md, &soak_emitter_json,
						     &soak_emitter_csv };
	if (!name)
		return NULL;
	if (!strcasecmp(name, "markdown"))
		name = "md";
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcasecmp(all[i]->name, name))
			return all[i];
	return NULL;
}

static int parse_iso(const char *s, double *ret)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		p = s ? strptime(s, "%Y-%m-%d %H:%M:%S", &tm) : NULL;
	if (!p)
		return -1;
	double frac = 0;
	if (*p == '.') {
		char *end;
		frac = strtod(p, &end);
		p = end;
	}
	*ret = (double)timegm(&tm) + frac;
	return 0;
}

double soak_run_wall_s(const soak_run_t *r)
{
	double a, b;
	if (parse_iso(r->started_at, &a) < 0 || parse_iso(r->ended_at, &b) < 0 || b < a)
		return NAN;
	return b - a;
}

/* Three significant digits, trailing zeros kept ("1.00µs", "76.2µs", "240µs"),
 * like the lgalloc benchmark guide's tables. */
static void fmt3(char *buf, size_t len, double v, const char *unit)
{
	const char *f = v < 10 ? "%.2f%s" : v < 100 ? "%.1f%s" : "%.0f%s";
	snprintf(buf, len, f, v, unit);
}

char *soak_fmt_ns(double ns, char *buf, size_t len)
{
	if (isnan(ns))
		snprintf(buf, len, "-");
	else if (ns < 1e3)
		snprintf(buf, len, "%.0fns", ns);
	else if (ns < 1e6)
		fmt3(buf, len, ns / 1e3, "µs");
	else if (ns < 1e9)
		fmt3(buf, len, ns / 1e6, "ms");
	else
		fmt3(buf, len, ns / 1e9, "s");
	return buf;
}

char *soak_fmt_status(const soak_run_t *r, char *buf, size_t len)
{
	const char *st = r->status ? r->status : "unknown";
	if (r->has_signal) {
		const char *abbrev = sigabbrev_np(r->signal);
		snprintf(buf, len, "%s (signal %d%s%s)", st, r->signal, abbrev ? ": SIG" : "",
			 abbrev ? abbrev : "");
	} else if (r->has_exit_code && r->exit_code != 0) {
		snprintf(buf, len, "%s (exit %d)", st, r->exit_code);
	} else {
		snprintf(buf, len, "%s", st);
	}
	/* Samples taken but not stored: the figures have a hole (schema v3). */
	size_t n = strlen(buf);
	if (r->samples_lost > 0 && n < len)
		snprintf(buf + n, len - n, ", %lld samples lost", (long long)r->samples_lost);
	return buf;
}

/* RFC 4180 quoting, plus: a cell that a spreadsheet would run as a formula
 * (leading =, +, -, @, tab or CR) gets a leading ' (OWASP's CSV injection
 * advice), and control characters other than newline become '?'. */
void soak_csv_str(FILE *f, const char *s)
{
	if (!s)
		return;
	bool formula = *s && strchr("=+-@\t\r", *s);
	bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	while (*s) {
		size_t n;
		if (*s == '"')
			fputs("\"\"", f), s++;
		else if (*s != '\n' && soak_text_is_control(s, &n))
			fputc('?', f), s += n;
		else
			fputc(*s++, f);
	}
	if (quote)
		fputc('"', f);
}

void soak_csv_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.12g", v);
}

void soak_md_cell(FILE *f, const char *s)
{
	fputs(" ", f);
	while (*s) {
		size_t n;
		if (*s == '|')
			fputs("\\|", f), s++;
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f), s++;
		else if (soak_text_is_control(s, &n))
			fputc('?', f), s += n;   /* no escape sequence reaches a terminal */
		else
			fputc(*s++, f);
	}
	fputs(" |", f);
}

int soak_json_write(FILE *f, cJSON *doc, bool ok)
{
	char *text = ok ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (!text)
		return -ENOMEM;
	fputs(text, f);
	fputc('\n', f);
	free(text);
	return ferror(f) ? -EIO : 0;
}
