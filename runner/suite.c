/* suite.c - named sets of workloads; see suite.h. */
#include "suite.h"
#include "alloc.h"
#include "soak/ini.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	const char *name;
	const char *entries[SOAK_SUITE_MAX][2];   /* entry name, "WORKLOAD [OPTIONS]" */
} builtin_suite_t;

/* classic: the classic allocator stress patterns of mimalloc-bench that this
 * suite has as workloads (docs/workloads.md), at their defaults. seeds: the
 * suite's first workloads whose operation rate is a throughput. */
static const builtin_suite_t builtins[] = {
	{ "classic", { { "larson", "larson" }, { "xmalloc", "xmalloc" }, { "cache_thrash", "cache_thrash" },
		       { "cache_scratch", "cache_scratch" }, { "lifo", "lifo" } } },
	{ "seeds", { { "random_mixed", "random_mixed" }, { "tiny_hot", "tiny_hot" },
		     { "remote_free", "remote_free" } } },
};

const char *const soak_suite_builtin_names[] = { "classic", "seeds", NULL };

/* "WORKLOAD [OPTIONS]" into an entry. 0 or -EINVAL with err. */
static int set_entry(soak_suite_entry_t *e, const char *key, const char *value, char *err, size_t errlen)
{
	size_t wl = strcspn(value, " \t");
	const char *args = value + wl;
	args += strspn(args, " \t");
	if (!wl) {
		snprintf(err, errlen, "entry %s names no workload (%s = WORKLOAD [OPTIONS])", key, key);
		return -EINVAL;
	}
	if (wl >= sizeof(e->workload) || strlen(args) >= sizeof(e->args)) {
		snprintf(err, errlen, "entry %s is too long (a workload name of at most %zu bytes, options "
			 "of at most %zu)", key, sizeof(e->workload) - 1, sizeof(e->args) - 1);
		return -EINVAL;
	}
	if (value[0] == '-') {
		snprintf(err, errlen, "entry %s starts with an option: the workload comes first (%s = "
			 "random_mixed %s)", key, key, value);
		return -EINVAL;
	}
	snprintf(e->name, sizeof(e->name), "%s", key);
	snprintf(e->workload, sizeof(e->workload), "%.*s", (int)wl, value);
	snprintf(e->args, sizeof(e->args), "%s", args);
	return 0;
}

typedef struct {
	const char *want;
	soak_suite_t *s;
	bool seen;                 /* the wanted section exists in this file */
	int header_line;
} find_t;

/* Sections [suite.NAME]; other sections belong to other readers of the file. */
static int ini_cb(void *user, const char *section, const char *key, const char *value, int line,
		  char *err, size_t errlen)
{
	find_t *f = user;
	if (strncmp(section, "suite.", 6))
		return 0;
	const char *name = section + 6;
	if (!*name) {
		snprintf(err, errlen, "[suite.] has no name: [suite.NAME]");
		return -EINVAL;
	}
	if (strcmp(name, f->want))
		return 0;
	if (!key) {
		f->seen = true;
		f->header_line = line;
		return 0;
	}
	if (f->s->n == SOAK_SUITE_MAX) {
		snprintf(err, errlen, "[%s] has more than %d entries: split it", section, SOAK_SUITE_MAX);
		return -EINVAL;
	}
	if (set_entry(&f->s->e[f->s->n], key, value, err, errlen) < 0)
		return -EINVAL;
	f->s->n++;
	return 0;
}

static int from_builtin(const char *name, soak_suite_t *s)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		if (strcmp(builtins[i].name, name))
			continue;
		char err[8];
		for (size_t j = 0; j < SOAK_SUITE_MAX && builtins[i].entries[j][0]; j++)
			if (set_entry(&s->e[s->n++], builtins[i].entries[j][0], builtins[i].entries[j][1], err,
				      sizeof(err)) < 0)
				return -EINVAL;   /* a bad table: the unit test catches it */
		snprintf(s->source, sizeof(s->source), "built-in");
		return 0;
	}
	return -ENOENT;
}

int soak_suite_find(const char *name, const char *config, soak_suite_t *ret, char *err, size_t errlen)
{
	static soak_suite_t s;   /* 40 KiB: not on the stack */
	memset(&s, 0, sizeof(s));
	err[0] = '\0';
	if (!*name || strlen(name) >= sizeof(s.name)) {
		snprintf(err, errlen, "suite name '%s' is empty or longer than %zu bytes", name, sizeof(s.name) - 1);
		return -EINVAL;
	}
	snprintf(s.name, sizeof(s.name), "%s", name);
	if (config && access(config, R_OK) != 0) {
		snprintf(err, errlen, "cannot read config %s: %s", config, strerror(errno));
		return -ENOENT;
	}
	char files[3][PATH_MAX];
	int n = soak_alloc_config_files(config, files);
	for (int i = 0; i < n; i++) {
		find_t f = { .want = name, .s = &s };
		int r = soak_ini_parse_file(files[i], ini_cb, &f, err, errlen);
		if (r < 0)
			return r == -ENOENT ? -EINVAL : r;
		if (!f.seen)
			continue;
		if (!s.n) {
			snprintf(err, errlen, "%s:%d: [suite.%s] has no entries (ENTRY = WORKLOAD [OPTIONS], "
				 "e.g. rm400 = random_mixed --ws 400)", files[i], f.header_line, name);
			return -EINVAL;
		}
		memcpy(s.source, files[i], sizeof(s.source));
		*ret = s;
		return 0;
	}
	if (from_builtin(name, &s) == 0) {
		*ret = s;
		return 0;
	}
	snprintf(err, errlen, "unknown suite '%s': use classic or seeds, or declare [suite.%s] in soak.ini "
		 "(ENTRY = WORKLOAD [OPTIONS] lines; docs/suites.md)", name, name);
	return -ENOENT;
}
