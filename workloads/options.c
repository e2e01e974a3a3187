/* options.c - one generic parser for every workload's option table, and the
 * `--list` / `--list-json` emitters (the runner's `soakctl workloads` execs the
 * latter, so its shape is versioned: "schema_version"). */
#include "workload.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "soak/parse.h"

#define SOAK_WL_LIST_SCHEMA 1

static const char *type_name(soak_opt_type_t t)
{
	switch (t) {
	case SOAK_OPT_U64: return "u64";
	case SOAK_OPT_SIZE: return "size";
	case SOAK_OPT_DOUBLE: return "double";
	case SOAK_OPT_DURATION: return "duration";
	case SOAK_OPT_STR: return "string";
	}
	return "?";
}

static bool choice_ok(const char *choices, const char *s)
{
	size_t n = strlen(s);
	const char *p = choices;
	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && !strncmp(p, s, n))
			return true;
		if (!bar)
			break;
		p = bar + 1;
	}
	return false;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	/* Seeds are often written in hex (0x12345678). */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2]) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(s + 2, &end, 16);
		if (errno || *end || s[2] == '-' || s[2] == '+' || s[2] == ' ')
			return -EINVAL;
		*ret = v;
		return 0;
	}
	return soak_parse_u64(s, ret);
}

int soak_wl_opt_parse(const soak_wl_opt_t *o, const char *text, soak_wl_val_t *ret,
		      char *why, size_t whylen)
{
	soak_wl_val_t v;
	double num = 0;
	int r = 0;
	switch (o->type) {
	case SOAK_OPT_U64:
		r = parse_u64(text, &v.u);
		num = (double)v.u;
		break;
	case SOAK_OPT_SIZE:
		r = soak_parse_size(text, &v.u);
		num = (double)v.u;
		break;
	case SOAK_OPT_DURATION:
		r = soak_parse_duration(text, &v.d);
		num = v.d;
		break;
	case SOAK_OPT_DOUBLE: {
		char *end;
		errno = 0;
		v.d = strtod(text, &end);
		if (end == text || *end || errno || !isfinite(v.d))
			r = -EINVAL;
		num = v.d;
		break;
	}
	case SOAK_OPT_STR:
		if (o->choices && !choice_ok(o->choices, text)) {
			snprintf(why, whylen, "--%s %s: must be one of %s", o->name, text, o->choices);
			return -EINVAL;
		}
		v.s = text;
		*ret = v;
		return 0;
	}
	if (r < 0) {
		snprintf(why, whylen, "--%s %s: not a valid %s", o->name, text, type_name(o->type));
		return -EINVAL;
	}
	if (num < o->min || num > o->max) {
		snprintf(why, whylen, "--%s %s: out of bounds [%.15g, %.15g]", o->name, text, o->min, o->max);
		return -ERANGE;
	}
	*ret = v;
	return 0;
}

int soak_wl_opt_index(const soak_workload_t *wl, const char *name)
{
	for (size_t i = 0; i < wl->n_opts; i++)
		if (!strcmp(wl->opts[i].name, name))
			return (int)i;
	return -1;
}

int soak_wl_opts_parse(const soak_workload_t *wl, soak_wl_ctx_t *ctx, int argc, char **argv,
		       char *why, size_t whylen)
{
	for (size_t i = 0; i < wl->n_opts; i++) {
		int r = soak_wl_opt_parse(&wl->opts[i], wl->opts[i].def, &ctx->opt[i], why, whylen);
		if (r < 0)
			return r; /* a bad table: the registry test catches it first */
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = NULL;
		if (strncmp(a, "--", 2) != 0) {
			snprintf(why, whylen, "%s: unexpected argument '%s' (options are --name VALUE)", wl->name, a);
			return -EINVAL;
		}
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, a + 2, len);
		name[len] = '\0';
		int k = soak_wl_opt_index(wl, name);
		if (k < 0) {
			snprintf(why, whylen, "%s: unknown option --%s (see soak-worker --list)", wl->name, name);
			return -EINVAL;
		}
		if (eq) {
			val = eq + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			snprintf(why, whylen, "%s: option --%s needs a value", wl->name, name);
			return -EINVAL;
		}
		char inner[200];
		int r = soak_wl_opt_parse(&wl->opts[k], val, &ctx->opt[k], inner, sizeof(inner));
		if (r < 0) {
			snprintf(why, whylen, "%s: %s", wl->name, inner);
			return r;
		}
	}
	return 0;
}

static void fmt_bound(char *buf, size_t len, const soak_wl_opt_t *o, double b)
{
	if (o->type == SOAK_OPT_STR)
		snprintf(buf, len, "-");
	else if (b >= 1.8e19)
		snprintf(buf, len, "max");
	else
		snprintf(buf, len, "%.15g", b);
}

void soak_wl_list_text(FILE *f)
{
	for (size_t w = 0; w < soak_n_workloads; w++) {
		const soak_workload_t *wl = soak_workloads[w];
		fprintf(f, "%s\n  %s\n  origin: %s\n  op: %s\n", wl->name, wl->summary, wl->origin, wl->op);
		for (size_t i = 0; i < wl->n_opts; i++) {
			const soak_wl_opt_t *o = &wl->opts[i];
			char lo[32], hi[32];
			fmt_bound(lo, sizeof(lo), o, o->min);
			fmt_bound(hi, sizeof(hi), o, o->max);
			fprintf(f, "  --%-14s %-8s default %-10s ", o->name, type_name(o->type), o->def);
			if (o->type == SOAK_OPT_STR)
				fprintf(f, "%-24s", o->choices ? o->choices : "");
			else
				fprintf(f, "[%s, %s]%*s", lo, hi, (int)(20 - strlen(lo) - strlen(hi)) > 0 ? (int)(20 - strlen(lo) - strlen(hi)) : 0, "");
			fprintf(f, " %s\n", o->help);
		}
		fputc('\n', f);
	}
	fprintf(f, "worker options (any workload):\n"
		   "  --latency-sample N   time 1 in N ops (0 = off; default %d; standalone only,\n"
		   "                       under soakctl the shared memory's value is used)\n"
		   "  --duration D         stop after D (\"2s\", \"500ms\"); default: until SIGTERM/SIGINT or the runner's stop\n",
		SOAK_WL_LATENCY_EVERY_DEFAULT);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (v >= 1.8e19)
		fputs("18446744073709551615", f); /* UINT64_MAX: exact, not 1.8e19 */
	else
		fprintf(f, "%.17g", v);
}

static void json_opt(FILE *f, const soak_wl_opt_t *o)
{
	fputs("{\"name\":", f);
	json_str(f, o->name);
	fputs(",\"type\":", f);
	json_str(f, type_name(o->type));
	fputs(",\"default\":", f);
	json_str(f, o->def);
	if (o->type == SOAK_OPT_STR) {
		fputs(",\"choices\":[", f);
		if (o->choices) {
			const char *p = o->choices;
			for (int first = 1;; first = 0) {
				const char *bar = strchr(p, '|');
				size_t len = bar ? (size_t)(bar - p) : strlen(p);
				char c[64];
				snprintf(c, sizeof(c), "%.*s", (int)len, p);
				if (!first)
					fputc(',', f);
				json_str(f, c);
				if (!bar)
					break;
				p = bar + 1;
			}
		}
		fputc(']', f);
	} else {
		fputs(",\"min\":", f);
		json_num(f, o->min);
		fputs(",\"max\":", f);
		json_num(f, o->max);
	}
	fputs(",\"help\":", f);
	json_str(f, o->help);
	fputc('}', f);
}

void soak_wl_list_json(FILE *f)
{
	fprintf(f, "{\"schema_version\":%d,\"latency_sample_default\":%d,\"workloads\":[",
		SOAK_WL_LIST_SCHEMA, SOAK_WL_LATENCY_EVERY_DEFAULT);
	for (size_t w = 0; w < soak_n_workloads; w++) {
		const soak_workload_t *wl = soak_workloads[w];
		fputs(w ? ",\n{\"name\":" : "\n{\"name\":", f);
		json_str(f, wl->name);
		fputs(",\"summary\":", f);
		json_str(f, wl->summary);
		fputs(",\"origin\":", f);
		json_str(f, wl->origin);
		fputs(",\"op\":", f);
		json_str(f, wl->op);
		fputs(",\"options\":[", f);
		for (size_t i = 0; i < wl->n_opts; i++) {
			if (i)
				fputc(',', f);
			json_opt(f, &wl->opts[i]);
		}
		fputs("]}", f);
	}
	fputs("\n]}\n", f);
}
