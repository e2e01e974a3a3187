/* plan.c - the plan file (libinih) and its cells; see plan.h. */
#include "plan.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak/parse.h"
#include "suite.h"

typedef struct {
	soak_plan_t *p;
	const char *path;
	char err[512];
} pctx_t;

static int bad(pctx_t *c, const char *fmt, const char *a, const char *b)
{
	char m[400];
	snprintf(m, sizeof(m), fmt, a, b);
	snprintf(c->err, sizeof(c->err), "%s", m);
	return 0;
}

static int set_str(pctx_t *c, char *dst, size_t len, const char *key, const char *v)
{
	if (strlen(v) >= len)
		return bad(c, "%s is too long (%s)", key, "shorten it");
	snprintf(dst, len, "%s", v);
	return 1;
}

static int plan_key(pctx_t *c, const char *key, const char *v)
{
	soak_plan_t *p = c->p;
	if (!strcmp(key, "label"))
		return set_str(c, p->label, sizeof(p->label), key, v);
	if (!strcmp(key, "config"))
		return set_str(c, p->config, sizeof(p->config), key, v);
	if (!strcmp(key, "suite"))
		return set_str(c, p->suites, sizeof(p->suites), key, v);
	if (!strcmp(key, "duration") || !strcmp(key, "warmup") || !strcmp(key, "interval")) {
		double s;
		if (soak_parse_duration(v, &s) < 0)
			return bad(c, "%s = %s: not a duration (90s, 5m, 1h)", key, v);
		char *dst = !strcmp(key, "duration") ? p->duration : !strcmp(key, "warmup") ? p->warmup : p->interval;
		if (!strcmp(key, "duration"))
			p->duration_s = s;
		return set_str(c, dst, sizeof(p->duration), key, v);
	}
	if (!strcmp(key, "repeats") || !strcmp(key, "seed")) {
		uint64_t u;
		if (soak_parse_u64(v, &u) < 0 || (!strcmp(key, "repeats") && (u < 1 || u > 1000)))
			return bad(c, "%s = %s: not a whole number (repeats: 1 to 1000)", key, v);
		if (!strcmp(key, "repeats"))
			p->repeats = (size_t)u;
		else
			p->seed = u;
		return 1;
	}
	if (!strcmp(key, "allocators")) {
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s", v);
		char *save = NULL;
		for (char *t = strtok_r(buf, " \t,", &save); t; t = strtok_r(NULL, " \t,", &save)) {
			if (p->n_alloc == SOAK_PLAN_MAX)
				return bad(c, "allocators: more than %s (%s)", "64", "split the plan");
			/* A cell is allocator x workload x limits: the same allocator
			 * twice is one cell, whose runs would never count finished. */
			for (size_t a = 0; a < p->n_alloc; a++)
				if (!strcmp(p->allocators[a], t))
					return bad(c, "allocators: %s is named twice (%s)", t,
						   "name each once; repeats = N runs each cell N times");
			if (set_str(c, p->allocators[p->n_alloc], sizeof(p->allocators[0]), "allocator", t) == 0)
				return 0;
			p->n_alloc++;
		}
		return 1;
	}
	return bad(c, "unknown key '%s' in [plan] (%s)",
		   key, "label, allocators, duration, warmup, interval, repeats, seed, config, suite");
}

static int ini_cb(void *user, const char *section, const char *key, const char *v)
{
	pctx_t *c = user;
	soak_plan_t *p = c->p;
	if (!strcmp(section, "plan"))
		return plan_key(c, key, v);
	const char *dot = strchr(section, '.');
	if (!dot || !dot[1])
		return bad(c, "unknown section [%s] (%s)", section, "plan, workload.NAME, limits.NAME");
	size_t kind = (size_t)(dot - section);
	const char *name = dot + 1;
	if (kind == 8 && !strncmp(section, "workload", 8)) {
		size_t i = 0;
		while (i < p->n_wl && strcmp(p->wl[i].section, name))
			i++;
		if (i == p->n_wl) {
			if (i == SOAK_PLAN_MAX)
				return bad(c, "more than %s workloads (%s)", "64", "split the plan");
			if (!set_str(c, p->wl[i].section, sizeof(p->wl[i].section), "section name", name))
				return 0;
			p->n_wl++;
		}
		if (!strcmp(key, "name"))
			return set_str(c, p->wl[i].name, sizeof(p->wl[i].name), key, v);
		if (!strcmp(key, "args"))
			return set_str(c, p->wl[i].args, sizeof(p->wl[i].args), key, v);
		if (!strcmp(key, "driver"))
			return set_str(c, p->wl[i].driver, sizeof(p->wl[i].driver), key, v);
		return bad(c, "unknown key '%s' in [%s] (name, args, driver)", key, section);
	}
	if (kind == 6 && !strncmp(section, "limits", 6)) {
		size_t i = 0;
		while (i < p->n_lim && strcmp(p->lim[i].section, name))
			i++;
		if (i == p->n_lim) {
			if (i == SOAK_PLAN_MAX)
				return bad(c, "more than %s limit sets (%s)", "64", "split the plan");
			if (!set_str(c, p->lim[i].section, sizeof(p->lim[i].section), "section name", name))
				return 0;
			p->n_lim++;
		}
		soak_plan_lim_t *l = &p->lim[i];
		uint64_t u;
		double d;
		if (!strcmp(key, "memory-max") || !strcmp(key, "swap-max")) {
			if (soak_parse_size(v, &u) < 0)
				return bad(c, "%s = %s: not a size (64M, 1G, max)", key, v);
			return set_str(c, key[0] == 'm' ? l->memory_max : l->swap_max, sizeof(l->swap_max), key, v);
		}
		if (!strcmp(key, "cpu-max")) {
			if (soak_parse_percent(v, &d) < 0)
				return bad(c, "%s = %s: not a percentage (50%%, 150%%)", key, v);
			return set_str(c, l->cpu_max, sizeof(l->cpu_max), key, v);
		}
		return bad(c, "unknown key '%s' in [%s] (memory-max, swap-max, cpu-max)", key, section);
	}
	return bad(c, "unknown section [%s] (%s)", section, "plan, workload.NAME, limits.NAME");
}

/* suite = NAME [NAME...]: every entry of each suite becomes a workload of
 * the plan, after the [workload.NAME] sections, named by its entry. 0 or
 * -EINVAL / -ENOENT / -ENOMEM with err. */
static int add_suites(const char *path, soak_plan_t *p, char *err, size_t errlen)
{
	char buf[sizeof(p->suites)], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", p->suites);
	soak_suite_t *s = malloc(sizeof(*s));
	if (!s)
		return snprintf(err, errlen, "%s: out of memory", path), -ENOMEM;
	int r = 0;
	for (char *t = strtok_r(buf, " \t,", &save); t && !r; t = strtok_r(NULL, " \t,", &save)) {
		char why[1024];
		if ((r = soak_suite_find(t, p->config[0] ? p->config : NULL, s, why, sizeof(why))) < 0) {
			snprintf(err, errlen, "%s: suite = %s: %s", path, t, why);
			break;
		}
		for (size_t e = 0; e < s->n && !r; e++) {
			for (size_t w = 0; w < p->n_wl && !r; w++)
				if (!strcmp(p->wl[w].section, s->e[e].name)) {
					snprintf(err, errlen, "%s: suite %s has an entry %s, and the plan already has a "
						 "workload of that name: rename one", path, t, s->e[e].name);
					r = -EINVAL;
				}
			if (!r && p->n_wl == SOAK_PLAN_MAX) {
				snprintf(err, errlen, "%s: more than %d workloads with suite %s: split the plan", path,
					 SOAK_PLAN_MAX, t);
				r = -EINVAL;
			}
			if (r)
				break;
			soak_plan_wl_t *w = &p->wl[p->n_wl++];
			snprintf(w->section, sizeof(w->section), "%s", s->e[e].name);
			snprintf(w->name, sizeof(w->name), "%s", s->e[e].workload);
			snprintf(w->args, sizeof(w->args), "%s", s->e[e].args);
		}
	}
	free(s);
	return r;
}

int soak_plan_load(const char *path, soak_plan_t *ret, char *err, size_t errlen)
{
	soak_plan_t *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(p->label, sizeof(p->label), "nightly-{date}");
	snprintf(p->duration, sizeof(p->duration), "60s");
	p->duration_s = 60;
	p->repeats = 1;
	p->seed = 1;
	FILE *f = fopen(path, "re");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "cannot read plan %s: %s", path, strerror(e));
		free(p);
		return -e;
	}
	pctx_t c = { .p = p, .path = path };
	int line = ini_parse_file(f, ini_cb, &c);
	fclose(f);
	int r = 0;
	if (line) {
		snprintf(err, errlen, "%s:%d: %s", path, line,
			 c.err[0] ? c.err : "not INI syntax (expected [section] or key = value)");
		r = -EINVAL;
	} else if (p->suites[0] && (r = add_suites(path, p, err, errlen)) < 0) {
		/* err says which suite and why */
	} else if (!p->n_alloc) {
		snprintf(err, errlen, "%s: [plan] names no allocators (allocators = system mimalloc)", path);
		r = -EINVAL;
	} else if (!p->n_wl) {
		snprintf(err, errlen, "%s: no [workload.NAME] section (name = random_mixed) and no suite = NAME", path);
		r = -EINVAL;
	}
	for (size_t i = 0; r == 0 && i < p->n_wl; i++)
		if (!p->wl[i].name[0]) {
			snprintf(err, errlen, "%s: [workload.%s] has no name = (a workload of soakctl workloads, or exec)",
				 path, p->wl[i].section);
			r = -EINVAL;
		}
	if (r == 0 && !p->n_lim) {
		snprintf(p->lim[0].section, sizeof(p->lim[0].section), "none");
		p->n_lim = 1;
	}
	if (r == 0)
		*ret = *p;
	free(p);
	return r;
}

size_t soak_plan_cells(const soak_plan_t *p, size_t shard, size_t shards, soak_plan_cell_t *out, size_t max)
{
	size_t k = 0, i = 0;
	for (size_t w = 0; w < p->n_wl; w++)
		for (size_t l = 0; l < p->n_lim; l++)
			for (size_t a = 0; a < p->n_alloc; a++, i++)
				if (i % shards == shard - 1 && k < max)
					out[k++] = (soak_plan_cell_t){ .index = i, .alloc = a, .wl = w, .lim = l };
	return k;
}

int soak_plan_label(const char *tmpl, const char *date, const char *host, char *buf, size_t len)
{
	size_t o = 0;
	for (const char *s = tmpl; *s; s++) {
		const char *sub = NULL;
		size_t skip = 0;
		if (!strncmp(s, "{date}", 6))
			sub = date, skip = 5;
		else if (!strncmp(s, "{host}", 6))
			sub = host, skip = 5;
		if (sub) {
			int n = snprintf(buf + o, len - o, "%s", sub);
			if (n < 0 || (size_t)n >= len - o)
				return -ENAMETOOLONG;
			o += (size_t)n;
			s += skip;
		} else {
			if (o + 1 >= len)
				return -ENAMETOOLONG;
			buf[o++] = *s;
		}
	}
	buf[o] = '\0';
	return 0;
}

int soak_plan_split(char *buf, char **argv, int max)
{
	int n = 0;
	char *r = buf, *w = buf;
	while (*r) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r)
			break;
		if (n == max)
			return -E2BIG;
		argv[n++] = w;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '\'' || *r == '"') {
				char q = *r++;
				while (*r && *r != q)
					*w++ = *r++;
				if (*r != q)
					return -EINVAL;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}
