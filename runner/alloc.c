/* alloc.c - the allocator registry; see alloc.h. */
#include "alloc.h"
#include "elfread.h"
#include "soak/ini.h"
#include "soak/shm.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct builtin {
	const char *name;
	const char *files[3];    /* candidate file names, first found wins */
	const char *package;     /* Debian package that installs it */
} builtins[] = {
	{ "system", { NULL }, NULL },
	{ "mimalloc", { "libmimalloc.so.2", "libmimalloc.so" }, "libmimalloc2.0" },
	{ "jemalloc", { "libjemalloc.so.2", "libjemalloc.so" }, "libjemalloc2" },
	{ "tcmalloc", { "libtcmalloc_minimal.so.4", "libtcmalloc.so.4" }, "libtcmalloc-minimal4" },
};

static const char *const libdirs[] = {
#ifdef __x86_64__
	"/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
	"/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu",
#endif
	"/usr/lib64", "/usr/lib", "/usr/local/lib",
};

static int check_library(const char *path, soak_alloc_t *a, char *err, size_t errlen)
{
	struct stat st;
	int r = soak_elf_is_shared(path);
	if (r == -EINVAL || (r == 0 && stat(path, &st) != 0)) {
		snprintf(err, errlen, "allocator %s: %s is not an ELF shared library of this machine "
			 "(or its headers are damaged)", a->name, path);
		return -EINVAL;
	}
	if (r == -ENOEXEC) {
		snprintf(err, errlen, "allocator %s: %s is a shared library built for another machine "
			 "(its ELF e_machine is not this host's): use a build for this host", a->name, path);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "allocator %s: cannot open %s: %s", a->name, path, strerror(-r));
		return -ENOENT;
	}
	if (!realpath(path, a->path))
		snprintf(a->path, sizeof(a->path), "%s", path);
	a->has_file = true;
	a->size = st.st_size;
	a->mtime = st.st_mtime;
	return 0;
}

static int resolve_builtin(const struct builtin *b, soak_alloc_t *a, char *err, size_t errlen)
{
	snprintf(a->name, sizeof(a->name), "%s", b->name);
	snprintf(a->source, sizeof(a->source), "built-in");
	if (!b->files[0])
		return 0;
	for (size_t f = 0; f < 3 && b->files[f]; f++)
		for (size_t d = 0; d < sizeof(libdirs) / sizeof(libdirs[0]); d++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", libdirs[d], b->files[f]);
			if (access(path, R_OK) == 0)
				return check_library(path, a, err, errlen);
		}
	snprintf(err, errlen, "allocator %s is not installed: apt-get install %s", b->name, b->package);
	return -ENOENT;
}

struct ini_find {
	const char *want;          /* name looked up, or NULL to list all */
	soak_alloc_t found;
	bool hit;
	const char *file;
	/* listing: every [allocator.NAME] section in file order */
	char (*names)[64];
	size_t n_names, cap_names;
};

/* Sections [allocator.NAME] with keys path and env; other sections belong to
 * other readers of the same file (the gate's thresholds). */
static int ini_cb(void *user, const char *section, const char *key, const char *value, int line,
		  char *err, size_t errlen)
{
	(void)line;
	struct ini_find *f = user;
	if (strncmp(section, "allocator.", 10))
		return 0;
	const char *name = section + 10;
	if (!key) {
		if (!*name) {
			snprintf(err, errlen, "[allocator.] has no name: [allocator.NAME]");
			return -EINVAL;
		}
		if (f->names && f->n_names < f->cap_names)
			snprintf(f->names[f->n_names++], sizeof(f->names[0]), "%s", name);
		return 0;
	}
	if (f->want && strcmp(name, f->want))
		return 0;
	if (strcmp(f->found.name, name)) {
		memset(&f->found, 0, sizeof(f->found));
		snprintf(f->found.name, sizeof(f->found.name), "%s", name);
		snprintf(f->found.source, sizeof(f->found.source), "%s", f->file);
	}
	char *dst;
	size_t cap;
	if (!strcmp(key, "path")) {
		dst = f->found.path;
		cap = sizeof(f->found.path);
	} else if (!strcmp(key, "env")) {
		char **env = NULL;
		int r = soak_env_split(value, &env, NULL, err, errlen);
		if (r < 0)
			return r;
		soak_env_free(env);
		dst = f->found.env;
		cap = sizeof(f->found.env);
	} else if (!strcmp(key, "stats")) {
		if (soak_alloc_stats_parse(value) < 0) {
			snprintf(err, errlen, "unknown stats '%s' in [%s] (known: jemalloc, tcmalloc, mimalloc, "
				 "glibc, none)", value, section);
			return -EINVAL;
		}
		dst = f->found.stats;
		cap = sizeof(f->found.stats);
	} else {
		snprintf(err, errlen, "unknown key '%s' in [%s] (known: path, env, stats)", key, section);
		return -EINVAL;
	}
	if (strlen(value) >= cap) {
		snprintf(err, errlen, "%s in [%s] is %zu bytes, more than the %zu this suite keeps",
			 key, section, strlen(value), cap - 1);
		return -EINVAL;
	}
	memcpy(dst, value, strlen(value) + 1);
	f->hit = true;
	return 0;
}

/* The INI files in lookup order; only existing ones. */
/* Adds path unless it is missing or the same file as one already listed
 * (--config soak.ini from the folder that holds soak.ini). */
static void add_file(char files[3][PATH_MAX], int *n, const char *path)
{
	struct stat st, o;
	if (stat(path, &st) != 0)
		return;
	for (int i = 0; i < *n; i++)
		if (stat(files[i], &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino)
			return;
	snprintf(files[(*n)++], PATH_MAX, "%s", path);
}

int soak_alloc_config_files(const char *config, char files[3][PATH_MAX])
{
	int n = 0;
	if (config)
		snprintf(files[n++], PATH_MAX, "%s", config);
	add_file(files, &n, "soak.ini");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char p[PATH_MAX];
	if (xdg && *xdg)
		snprintf(p, sizeof(p), "%s/soak/soak.ini", xdg);
	else
		snprintf(p, sizeof(p), "%s/.config/soak/soak.ini", home ? home : "/");
	add_file(files, &n, p);
	return n;
}

static int parse_ini(const char *file, struct ini_find *f, char *err, size_t errlen)
{
	f->file = file;
	return soak_ini_parse_file(file, ini_cb, f, err, errlen);
}

static int from_config(const char *name, const char *config, soak_alloc_t *a, char *err, size_t errlen)
{
	char files[3][PATH_MAX];
	int n = soak_alloc_config_files(config, files);
	if (config && access(config, R_OK) != 0) {
		snprintf(err, errlen, "cannot read config %s: %s", config, strerror(errno));
		return -ENOENT;
	}
	for (int i = 0; i < n; i++) {
		struct ini_find f = { .want = name };
		int r = parse_ini(files[i], &f, err, errlen);
		if (r < 0)
			return r;
		if (!f.hit)
			continue;
		if (!f.found.path[0]) {
			snprintf(err, errlen, "%s: [allocator.%s] has no path = line", files[i], name);
			return -EINVAL;
		}
		/* A relative path is the file's: relative to its directory. */
		if (f.found.path[0] != '/') {
			char dir[PATH_MAX], *joined = NULL;
			size_t dl = strnlen(files[i], sizeof(dir) - 1);
			memcpy(dir, files[i], dl);
			dir[dl] = '\0';
			if (asprintf(&joined, "%s/%s", dirname(dir), f.found.path) < 0)
				return -ENOMEM;
			size_t jl = strlen(joined);
			if (jl >= sizeof(f.found.path)) {
				free(joined);
				snprintf(err, errlen, "%s: [allocator.%s] path is too long", files[i], name);
				return -EINVAL;
			}
			memcpy(f.found.path, joined, jl + 1);
			free(joined);
		}
		*a = f.found;
		return check_library(f.found.path, a, err, errlen);
	}
	return -ENOENT;
}

int soak_alloc_resolve(const char *spec, const char *config, soak_alloc_t *ret, char *err,
		       size_t errlen)
{
	soak_alloc_t a = { 0 };
	int r;
	err[0] = '\0';
	const char *eq = strchr(spec, '=');
	if (eq) { /* NAME=PATH */
		if (eq == spec || !eq[1]) {
			snprintf(err, errlen, "--allocator %s: expected NAME=PATH", spec);
			return -EINVAL;
		}
		snprintf(a.name, sizeof(a.name), "%.*s", (int)(eq - spec), spec);
		snprintf(a.source, sizeof(a.source), "command line");
		r = check_library(eq + 1, &a, err, errlen);
	} else if (strchr(spec, '/')) { /* a path names itself */
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof(tmp), "%s", spec);
		snprintf(a.name, sizeof(a.name), "%s", basename(tmp));
		snprintf(a.source, sizeof(a.source), "command line");
		r = check_library(spec, &a, err, errlen);
	} else {
		/* A user's registration overrides a built-in of the same name. */
		r = from_config(spec, config, &a, err, errlen);
		if (r == -ENOENT && !err[0]) {
			for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
				if (!strcmp(builtins[i].name, spec)) {
					r = resolve_builtin(&builtins[i], &a, err, errlen);
					goto out;
				}
			snprintf(err, errlen, "unknown allocator '%s': use system, mimalloc, jemalloc, "
				 "tcmalloc, a path to a .so, NAME=PATH, or register it in soak.ini "
				 "([allocator.%s] path = ...)", spec, spec);
			return -ENOENT;
		}
	}
out:
	if (r == 0)
		*ret = a;
	return r;
}

static void list_cb_noop(const char *n, const soak_alloc_t *a, const char *e, void *arg)
{
	(void)n, (void)a, (void)e, (void)arg;
}

int soak_alloc_each(const char *config,
		    void (*fn)(const char *name, const soak_alloc_t *a, const char *err, void *arg),
		    void *arg, char *err, size_t errlen)
{
	if (!fn)
		fn = list_cb_noop;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		soak_alloc_t a = { 0 };
		char why[512] = "";
		resolve_builtin(&builtins[i], &a, why, sizeof(why));
		fn(builtins[i].name, &a, why, arg);
	}
	char files[3][PATH_MAX];
	if (config && access(config, R_OK) != 0) {
		snprintf(err, errlen, "cannot read config %s: %s", config, strerror(errno));
		return -ENOENT;
	}
	int n = soak_alloc_config_files(config, files);
	char seen[64][64];
	int nseen = 0;
	for (int i = 0; i < n; i++) {
		/* Collect section names first, then resolve each one; a name an
		 * earlier file registers is listed from that file only. */
		char names[64][64];
		struct ini_find lf = { .want = "", .names = names, .cap_names = 64 };
		char why0[1024] = "";
		if (parse_ini(files[i], &lf, why0, sizeof(why0)) < 0) {
			fn(files[i], &(soak_alloc_t){ 0 }, why0, arg);
			continue;
		}
		for (size_t j = 0; j < lf.n_names; j++) {
			const char *name = names[j];
			bool dup = false;
			for (int k = 0; k < nseen && !dup; k++)
				dup = !strcmp(seen[k], name);
			if (dup)
				continue;
			if (nseen < 64)
				snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			soak_alloc_t a = { 0 };
			char why[1024] = "";
			int r = from_config(name, files[i], &a, why, sizeof(why));
			if (r == -ENOENT && !why[0])
				snprintf(why, sizeof(why), "not found");
			fn(name, &a, why, arg);
		}
	}
	return 0;
}

int soak_alloc_exports(const char *path, const char *sym)
{
	return soak_elf_exports(path, sym);
}

static const char *const stats_symbol[SOAK_ASTATS__N] = {
	[SOAK_ASTATS_GLIBC] = "mallinfo2",
	[SOAK_ASTATS_JEMALLOC] = "mallctl",
	[SOAK_ASTATS_TCMALLOC] = "MallocExtension_GetNumericProperty",
	[SOAK_ASTATS_MIMALLOC] = "mi_process_info",
};

int soak_alloc_stats_parse(const char *name)
{
	for (int k = 0; k < SOAK_ASTATS__N; k++)
		if (!strcmp(name, soak_astats_kind_names[k]))
			return k;
	return -EINVAL;
}

int soak_alloc_stats_kind(const soak_alloc_t *a, char *why, size_t whylen)
{
	why[0] = '\0';
	if (!a->path[0])
		return SOAK_ASTATS_GLIBC;
	if (a->stats[0]) {
		int k = soak_alloc_stats_parse(a->stats);
		if (k == SOAK_ASTATS_NONE) {
			snprintf(why, whylen, "allocator %.60s declares no statistics interface (stats = none in %.150s)",
				 a->name, a->source);
			return SOAK_ASTATS_NONE;
		}
		if (k > 0 && soak_alloc_exports(a->path, stats_symbol[k]) == 1)
			return k;
		snprintf(why, whylen, "allocator %.150s is declared stats = %s but exports no %s", a->path,
			 a->stats, k > 0 ? stats_symbol[k] : "known function");
		return SOAK_ASTATS_NONE;
	}
	static const int order[] = { SOAK_ASTATS_JEMALLOC, SOAK_ASTATS_TCMALLOC, SOAK_ASTATS_MIMALLOC,
				     SOAK_ASTATS_GLIBC };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (soak_alloc_exports(a->path, stats_symbol[order[i]]) == 1)
			return order[i];
	snprintf(why, whylen, "allocator %.150s offers no statistics interface soak knows; declare one in soak.ini",
		 a->path);
	return SOAK_ASTATS_NONE;
}

bool soak_alloc_matches(const soak_alloc_t *a, const char *observed)
{
	if (!observed || !observed[0])
		return false;
	char real[PATH_MAX];
	if (!realpath(observed, real))
		snprintf(real, sizeof(real), "%s", observed);
	if (!a->path[0]) {
		/* system: malloc must come from the C library itself. */
		const char *base = strrchr(real, '/');
		base = base ? base + 1 : real;
		return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5);
	}
	return !strcmp(real, a->path);
}

int soak_alloc_preload_path(const soak_alloc_t *a, char *out, size_t outlen, char *dir, size_t dirlen,
			    char *err, size_t errlen)
{
	if (!a->path[strcspn(a->path, " :$")]) {
		snprintf(out, outlen, "%s", a->path);
		return 0;
	}
	char tmpl[] = "/tmp/soak-preload-XXXXXX";
	if (!mkdtemp(tmpl)) {
		int e = errno;
		snprintf(err, errlen, "allocator %s: its path has a space, ':' or '$', which LD_PRELOAD cannot "
			 "carry, and no private link could be made in /tmp: %s", a->name, strerror(e));
		return -e;
	}
	snprintf(out, outlen, "%s/%s", tmpl, "allocator.so");
	if (symlink(a->path, out) < 0) {
		int e = errno;
		rmdir(tmpl);
		snprintf(err, errlen, "allocator %s: cannot link %s to %s: %s", a->name, out, a->path, strerror(e));
		return -e;
	}
	snprintf(dir, dirlen, "%s", tmpl);
	return 0;
}

void soak_alloc_preload_remove(char *dir)
{
	if (!dir[0])
		return;
	char link[PATH_MAX];
	snprintf(link, sizeof(link), "%s/allocator.so", dir);
	unlink(link);
	rmdir(dir);
	dir[0] = '\0';
}
