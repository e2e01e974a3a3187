/* options.c - the one option parser of soakctl's commands (options.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"
#include "soak/parse.h"
#include "soakctl.h"

#define PFX(p) ((p)->cmd ? (p)->cmd : ""), ((p)->cmd ? ": " : "")
#define CMD(p) ((p)->cmd ? (p)->cmd : "run")

static bool takes_value(const soak_opt_t *o)
{
	return o->type != SOAK_OT_FLAG && o->type != SOAK_OT_SET;
}

/* The option arg names ("-x", "--name", "--name=V") in opts, or NULL; *val
 * is the "=V" part. */
static const soak_opt_t *find(const soak_opt_t *opts, const char *arg, const char **val)
{
	*val = NULL;
	if (!opts)
		return NULL;
	if (arg[0] == '-' && arg[1] && arg[1] != '-') {
		/* -x, or -xVALUE as getopt reads it */
		for (const soak_opt_t *o = opts; o->name; o++)
			if (o->shrt == arg[1] && (!arg[2] || takes_value(o))) {
				*val = arg[2] ? arg + 2 : NULL;
				return o;
			}
		return NULL;
	}
	if (strncmp(arg, "--", 2))
		return NULL;
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (const soak_opt_t *o = opts; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len)) {
			*val = eq ? eq + 1 : NULL;
			return o;
		}
	return NULL;
}

static void store_uint(void *field, size_t size, uint64_t u)
{
	if (size == sizeof(uint32_t))
		*(uint32_t *)field = (uint32_t)u;
	else if (size == sizeof(uint64_t))
		*(uint64_t *)field = u;
	else
		*(unsigned char *)field = (unsigned char)u;
}

static void store_int(void *field, size_t size, int v)
{
	if (size == sizeof(bool))
		*(bool *)field = v != 0;
	else
		*(int *)field = v;
}

/* A decimal whole number in [lo, hi]. */
static int read_uint(const soak_opt_t *o, const char *v, uint64_t *u)
{
	char *end;
	errno = 0;
	if (v[0] < '0' || v[0] > '9')
		return -EINVAL;
	*u = strtoull(v, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || (double)*u > o->hi || (double)*u < o->lo)
		return -ERANGE;
	return 0;
}

/* A number in [lo, hi] (lo excluded when lo_open), as C writes it ("1e-3" too). */
static int read_double(const soak_opt_t *o, const char *v, double *x)
{
	char *end;
	errno = 0;
	*x = strtod(v, &end);
	if (!*v || *end || isnan(*x))
		return -EINVAL;
	if (errno == ERANGE || *x > o->hi || *x < o->lo || (o->lo_open && *x == o->lo))
		return -ERANGE;
	return 0;
}

static bool choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *c = choices; *c;) {
		size_t l = strcspn(c, "|");
		if (l == n && !strncasecmp(c, v, n))
			return true;
		c += l + (c[l] == '|');
	}
	return false;
}

/* The accepted form of o's type, for the error line. */
static void form(const soak_opt_t *o, char *why, size_t len)
{
	switch (o->type) {
	case SOAK_OT_DURATION:
		snprintf(why, len, "a number with one unit each, largest first: 90s, 5m, 2h30m, 250ms (at most 365d)");
		break;
	case SOAK_OT_SIZE:
		snprintf(why, len, "a number with one unit: 64M, 1G, 512K, 1.5G, or max (less than 8388608T)");
		break;
	case SOAK_OT_PERCENT:
		snprintf(why, len, "a percentage of one CPU: 50%%, 150%%");
		break;
	case SOAK_OT_UINT:
		if (o->hi >= (double)UINT64_MAX)   /* the double rounds up to 2^64 */
			snprintf(why, len, "a whole number from %.0f to %" PRIu64, o->lo, UINT64_MAX);
		else
			snprintf(why, len, "a whole number from %.0f to %.0f", o->lo, o->hi);
		break;
	case SOAK_OT_DOUBLE:
		snprintf(why, len, "a number from %g%s to %g", o->lo, o->lo_open ? " (excluded)" : "", o->hi);
		break;
	case SOAK_OT_CHOICE: {
		int k = snprintf(why, len, "one of: ");
		for (const char *c = o->choices; *c && k >= 0 && (size_t)k < len;) {
			size_t l = strcspn(c, "|");
			k += snprintf(why + k, len - (size_t)k, "%s%.*s", c == o->choices ? "" : ", ", (int)l, c);
			c += l + (c[l] == '|');
		}
		break;
	}
	default:
		snprintf(why, len, "a value that is not empty");
	}
}

/* Reads v into o's field of dest. 0, or -EINVAL/-ERANGE with the form in why. */
static int set_value(const soak_opt_t *o, const char *v, void *dest, char *why, size_t len)
{
	void *field = (char *)dest + o->off;
	double x;
	uint64_t u;
	int r = 0;
	bool has = true;
	switch (o->type) {
	case SOAK_OT_FLAG: store_int(field, o->size, 1); break;
	case SOAK_OT_SET: store_int(field, o->size, (int)o->lo); break;
	case SOAK_OT_STR: r = *v ? 0 : -EINVAL; if (!r) *(const char **)field = v; break;
	case SOAK_OT_CHOICE: r = choice_ok(o->choices, v) ? 0 : -EINVAL; if (!r) *(const char **)field = v; break;
	case SOAK_OT_UINT: if (!(r = read_uint(o, v, &u))) store_uint(field, o->size, u); break;
	case SOAK_OT_DOUBLE: if (!(r = read_double(o, v, &x))) *(double *)field = x; break;
	case SOAK_OT_DURATION: if (!(r = soak_parse_duration(v, &x))) *(double *)field = x; break;
	case SOAK_OT_PERCENT: if (!(r = soak_parse_percent(v, &x))) *(double *)field = x; break;
	case SOAK_OT_SIZE:
		if (!(r = soak_parse_size(v, &u))) {
			*(uint64_t *)field = u;
			has = u != UINT64_MAX;   /* "max": no limit */
		}
		break;
	case SOAK_OT_FN:
		why[0] = '\0';
		r = o->fn(v, field, why, len);
		break;
	case SOAK_OT_NONE:   /* documentation only: an entry in a parsed table without a type */
		snprintf(why, len, "nothing: --%s has no destination in its table (a bug)", o->name);
		return -EINVAL;
	}
	if (r < 0 && o->type != SOAK_OT_FN)
		form(o, why, len);
	else if (!r && o->has)
		*(bool *)((char *)dest + o->has - 1) = has;
	return r < 0 ? (r == -ERANGE ? -ERANGE : -EINVAL) : 0;
}

static int one_option(const soak_optparse_t *p, const soak_opt_t *o, const char *val, int argc, char **argv,
		      int *i, void *dest)
{
	const char *a = argv[*i];
	if (!takes_value(o)) {
		if (val)
			return soak_err("%s%s--%s takes no value", PFX(p), o->name), -EINVAL;
	} else if (!val) {
		if (*i + 1 >= argc)
			return soak_err("%s%s%s needs a value: %s (see soakctl %s --help)", PFX(p), a, o->arg,
					CMD(p)), -EINVAL;
		val = argv[++*i];
	}
	char why[256];
	int r = set_value(o, val ? val : "", dest, why, sizeof(why));
	if (r == -ERANGE)
		soak_err("%s%s--%s %s: out of range; give %s", PFX(p), o->name, val, why);
	else if (r < 0)
		soak_err("%s%s--%s %s: not a valid %s; give %s", PFX(p), o->name, val, o->arg ? o->arg : "value", why);
	return r < 0 ? -EINVAL : 0;
}

static bool skipped(const char *arg, const char *const *skip)
{
	if (!skip || strncmp(arg, "--", 2))
		return false;
	const char *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	for (; *skip; skip++)
		if (strlen(*skip) == len && !strncmp(*skip, arg + 2, len))
			return true;
	return false;
}

void soak_optres_free(soak_optres_t *res)
{
	if (!res)
		return;
	free(res->operands);
	free(res->pass);
	*res = (soak_optres_t){ 0 };
}

/* A known option of p->pass: copied with its value into res->pass. */
static int pass_on(const soak_optparse_t *p, int argc, char **argv, int *i, soak_optres_t *res)
{
	const char *val;
	const soak_opt_t *o = find(p->pass, argv[*i], &val);
	if (!o)
		return 0;
	res->pass[res->n_pass++] = argv[*i];
	if (takes_value(o) && !val) {
		if (*i + 1 >= argc)
			return soak_err("%s%s%s needs a value: %s (see soakctl %s --help)", PFX(p), argv[*i], o->arg,
					CMD(p)), -EINVAL;
		res->pass[res->n_pass++] = argv[++*i];
	}
	return 1;
}

/* A non-option argument (after "--": whatever it looks like). */
static int operand(const soak_optparse_t *p, const char *a, soak_optres_t *res, bool after_dashdash)
{
	if (a[0] == '-' && a[1] && !after_dashdash)
		return soak_err("%s%sunknown option '%s' (see soakctl %s --help)", PFX(p), a, CMD(p)), -EINVAL;
	if (p->operand_err)
		return soak_err(p->operand_err, a), -EINVAL;
	if (!res)
		return soak_err("%s%sunexpected argument '%s' (see soakctl %s --help)", PFX(p), a, CMD(p)), -EINVAL;
	res->operands[res->n_operands++] = (char *)a;
	return 0;
}

int soak_opts_parse(const soak_optparse_t *p, int argc, char **argv, void *dest, soak_optres_t *res)
{
	if (res) {
		*res = (soak_optres_t){ 0 };
		res->operands = calloc((size_t)argc + 1, sizeof(char *));
		res->pass = calloc((size_t)argc + 1, sizeof(char *));
		if (!res->operands || !res->pass)
			return soak_err("%s%sout of memory", PFX(p)), -ENOMEM;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *val;
		if (!strcmp(a, "--") && p->dashdash) {
			if (res) {
				res->rest = argv + i + 1;
				res->n_rest = argc - i - 1;
			}
			break;
		}
		if (!strcmp(a, "--")) {
			for (int k = i + 1; k < argc; k++)
				if (operand(p, argv[k], res, true) < 0)
					return -EINVAL;
			break;
		}
		if (!p->no_help && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			if (p->doc)
				soak_help_print(stdout, p->help_name ? p->help_name : p->cmd, p->doc);
			return 1;
		}
		if (skipped(a, p->skip)) {
			i += !strchr(a, '=');
			continue;
		}
		const soak_opt_t *o = find(p->opts, a, &val);
		if (!o)
			o = find(p->opts2, a, &val);
		int r;
		if (o)
			r = one_option(p, o, val, argc, argv, &i, dest);
		else if (p->pass && res && (r = pass_on(p, argc, argv, &i, res)) != 0)
			r = r < 0 ? r : 0;
		else
			r = operand(p, a, res, false);
		if (r < 0)
			return r;
	}
	return 0;
}
