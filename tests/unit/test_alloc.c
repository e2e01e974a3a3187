/* test_alloc.c - runner/alloc.c, the allocator registry: built-in names (and
 * the Debian package named when one is missing, by hiding its files from
 * access()), a bare path, NAME=PATH, non-ELF and missing files, the INI
 * registry with temp files (--config over ./soak.ini over
 * $XDG_CONFIG_HOME/soak/soak.ini, then ~/.config; a registration overrides a
 * built-in; unknown key, missing path, syntax error, unreadable --config),
 * the stats = key and the statistics interface it selects,
 * soak_alloc_each's listing, and soak_alloc_matches for system and a path.
 *
 * access() is interposed here (the runner library is linked statically into
 * this test): a path containing `hide` is reported missing, every other call
 * goes to the kernel. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "soak/shm.h"

/* ---- access() interposition ---- */

static const char *hide; /* substring of paths that "do not exist" */

int access(const char *path, int mode)
{
	if (hide && strstr(path, hide)) {
		errno = ENOENT;
		return -1;
	}
	return (int)syscall(SYS_faccessat, AT_FDCWD, path, mode);
}

/* ---- fixtures ---- */

static char tmp[64];           /* working directory of every test */
static char libc_path[PATH_MAX]; /* the C library as dladdr names it */
static char libc_real[PATH_MAX];

/* tmp/rel (a few rotating buffers, so several can be used in one call). */
static const char *tp(const char *rel)
{
	static char bufs[8][PATH_MAX];
	static unsigned k;
	char *b = bufs[k++ % 8];
	snprintf(b, PATH_MAX, "%.60s/%.200s", tmp, rel);
	return b;
}

static void write_file(const char *path, const char *fmt, ...)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/soak-test-alloc.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	if (chdir(tmp) < 0)
		return -1;
	/* A libc function no sanitizer intercepts: its object is the C library. */
	Dl_info di;
	if (!dladdr((void *)gnu_get_libc_version, &di) || !di.dli_fname)
		return -1;
	snprintf(libc_path, sizeof(libc_path), "%s", di.dli_fname);
	if (!realpath(libc_path, libc_real))
		return -1;
	mkdir("noxdg", 0755);
	mkdir("home", 0755);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	if (chdir("/") < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* Every test starts with no ./soak.ini, an empty XDG dir, HOME without a
 * config, and nothing hidden. */
static int test_setup(void **state)
{
	(void)state;
	unlink("soak.ini");
	setenv("XDG_CONFIG_HOME", tp("noxdg"), 1);
	setenv("HOME", tp("home"), 1);
	hide = NULL;
	return 0;
}

static int resolve(const char *spec, const char *config, soak_alloc_t *a, char *err, size_t len)
{
	memset(a, 0xa5, sizeof(*a)); /* garbage: resolve must set every field it reports */
	err[0] = '\0';
	return soak_alloc_resolve(spec, config, a, err, len);
}

/* ---- built-ins ---- */

static void test_system(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512];
	assert_int_equal(resolve("system", NULL, &a, err, sizeof(err)), 0);
	assert_string_equal(a.name, "system");
	assert_string_equal(a.path, "");
	assert_string_equal(a.env, "");
	assert_string_equal(a.source, "built-in");
	assert_false(a.has_file);
}

static const struct {
	const char *name, *file_hint, *package;
} builtins[] = {
	{ "mimalloc", "libmimalloc", "libmimalloc2.0" },
	{ "jemalloc", "libjemalloc", "libjemalloc2" },
	{ "tcmalloc", "libtcmalloc", "libtcmalloc-minimal4" },
};

/* Installed: an ELF file with its real path, size and mtime. Not installed:
 * the message names the package. */
static void test_builtins_found_or_package(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		soak_alloc_t a;
		char err[512];
		int r = resolve(builtins[i].name, NULL, &a, err, sizeof(err));
		if (r == 0) {
			struct stat st;
			assert_string_equal(a.name, builtins[i].name);
			assert_string_equal(a.source, "built-in");
			assert_non_null(strstr(a.path, builtins[i].file_hint));
			assert_true(a.has_file);
			assert_int_equal(stat(a.path, &st), 0);
			assert_int_equal(a.size, st.st_size);
			assert_int_equal(a.mtime, st.st_mtime);
			char real[PATH_MAX];
			assert_non_null(realpath(a.path, real));
			assert_string_equal(a.path, real);
		} else {
			assert_int_equal(r, -ENOENT);
			assert_non_null(strstr(err, builtins[i].package));
		}
	}
}

static void test_builtin_missing_names_package(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		soak_alloc_t a;
		char err[512], want[128];
		hide = builtins[i].file_hint;
		assert_int_equal(resolve(builtins[i].name, NULL, &a, err, sizeof(err)), -ENOENT);
		snprintf(want, sizeof(want), "apt-get install %s", builtins[i].package);
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, builtins[i].name));
		assert_null(strchr(err, '\n'));
	}
	hide = NULL;
}

/* ---- paths ---- */

static void test_bare_path(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512];
	struct stat st;
	assert_int_equal(resolve(libc_path, NULL, &a, err, sizeof(err)), 0);
	const char *base = strrchr(libc_path, '/') + 1;
	assert_string_equal(a.name, base);
	assert_string_equal(a.path, libc_real);
	assert_string_equal(a.source, "command line");
	assert_string_equal(a.env, "");
	assert_true(a.has_file);
	assert_int_equal(stat(libc_real, &st), 0);
	assert_int_equal(a.size, st.st_size);
	assert_int_equal(a.mtime, st.st_mtime);
}

static void test_name_eq_path(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512], spec[PATH_MAX + 16];
	snprintf(spec, sizeof(spec), "mine=%s", libc_path);
	assert_int_equal(resolve(spec, NULL, &a, err, sizeof(err)), 0);
	assert_string_equal(a.name, "mine");
	assert_string_equal(a.path, libc_real);
	assert_string_equal(a.source, "command line");
	assert_true(a.has_file);

	assert_int_equal(resolve("=/lib/x.so", NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected NAME=PATH"));
	assert_int_equal(resolve("mine=", NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected NAME=PATH"));
	/* NAME=PATH wins over a registration of the same name. */
	write_file("soak.ini", "[allocator.mine]\npath = /nonexistent/libmine.so\n");
	assert_int_equal(resolve(spec, NULL, &a, err, sizeof(err)), 0);
	assert_string_equal(a.path, libc_real);
}

static void test_not_elf(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512], p[PATH_MAX + 8];
	snprintf(p, sizeof(p), "%s", tp("notelf.so"));
	write_file(p, "this is not an ELF file, just text long enough for a header......\n");
	assert_int_equal(resolve(p, NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, p));
	assert_non_null(strstr(err, "is not an ELF shared library"));
	/* Too short for an ELF header. */
	write_file(p, "\x7f" "ELF");
	assert_int_equal(resolve(p, NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not an ELF shared library"));
	/* A directory. */
	snprintf(p, sizeof(p), "%s", tp("noxdg"));
	assert_int_equal(resolve(p, NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is not an ELF shared library"));
	/* NAME=PATH and a registration name the file the same way. */
	snprintf(p, sizeof(p), "x=%s", tp("notelf.so"));
	assert_int_equal(resolve(p, NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "allocator x: "));
	write_file("soak.ini", "[allocator.y]\npath = %s/notelf.so\n", tmp);
	assert_int_equal(resolve("y", NULL, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "allocator y: "));
	assert_non_null(strstr(err, "notelf.so is not an ELF shared library"));
}

static void test_missing_file(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512];
	assert_int_equal(resolve("/nonexistent/dir/libgone.so", NULL, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open /nonexistent/dir/libgone.so"));
	write_file("soak.ini", "[allocator.gone]\npath = /nonexistent/dir/libgone.so\n");
	assert_int_equal(resolve("gone", NULL, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "allocator gone: cannot open /nonexistent/dir/libgone.so"));
}

/* ---- the INI registry ---- */

static void reg(const char *file, const char *name, const char *from)
{
	FILE *f = fopen(file, "a");
	assert_non_null(f);
	fprintf(f, "[allocator.%s]\npath = %s\nenv = FROM=%s X=1\n\n", name, libc_path, from);
	assert_int_equal(fclose(f), 0);
}

static void expect_from(const char *name, const char *config, const char *from, const char *source)
{
	soak_alloc_t a;
	char err[512], env[64];
	assert_int_equal(resolve(name, config, &a, err, sizeof(err)), 0);
	snprintf(env, sizeof(env), "FROM=%s X=1", from);
	assert_string_equal(a.name, name);
	assert_string_equal(a.env, env);
	assert_string_equal(a.path, libc_real);
	assert_string_equal(a.source, source);
	assert_true(a.has_file);
}

static void test_config_precedence(void **state)
{
	(void)state;
	char cfg[PATH_MAX], xdg[PATH_MAX], home[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s", tp("cfg.ini"));
	snprintf(xdg, sizeof(xdg), "%s", tp("xdg/soak/soak.ini"));
	snprintf(home, sizeof(home), "%s", tp("home/.config/soak/soak.ini"));
	unlink(cfg);
	unlink(xdg);
	unlink(home);
	reg(cfg, "a", "config");
	reg("soak.ini", "a", "cwd");
	reg("soak.ini", "b", "cwd");
	mkdir(tp("xdg"), 0755);
	mkdir(tp("xdg/soak"), 0755);
	reg(xdg, "a", "xdg");
	reg(xdg, "b", "xdg");
	reg(xdg, "c", "xdg");
	setenv("XDG_CONFIG_HOME", tp("xdg"), 1);

	expect_from("a", cfg, "config", cfg);    /* --config first */
	expect_from("a", NULL, "cwd", "soak.ini"); /* then ./soak.ini */
	expect_from("b", cfg, "cwd", "soak.ini");  /* a name --config lacks */
	expect_from("c", cfg, "xdg", xdg);         /* then $XDG_CONFIG_HOME */
	unlink("soak.ini");
	expect_from("a", NULL, "xdg", xdg);
	expect_from("b", NULL, "xdg", xdg);

	/* Without XDG_CONFIG_HOME: ~/.config/soak/soak.ini. */
	unsetenv("XDG_CONFIG_HOME");
	mkdir(tp("home/.config"), 0755);
	mkdir(tp("home/.config/soak"), 0755);
	reg(home, "c", "home");
	expect_from("c", NULL, "home", home);
	expect_from("c", cfg, "home", home);
	unlink(home);
}

static void test_registration_overrides_builtin(void **state)
{
	(void)state;
	char cfg[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s", tp("override.ini"));
	unlink(cfg);
	reg(cfg, "mimalloc", "mine");
	expect_from("mimalloc", cfg, "mine", cfg);
	/* Even when the built-in is not installed. */
	hide = "libmimalloc";
	expect_from("mimalloc", cfg, "mine", cfg);
}

static void test_ini_errors(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512], cfg[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s", tp("bad.ini"));

	write_file(cfg, "[allocator.t]\npath = %s\npaht = /x\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key 'paht'"));
	assert_non_null(strstr(err, "[allocator.t]"));
	assert_non_null(strstr(err, cfg));

	write_file(cfg, "[allocator.t]\nenv = A=1\n");
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "[allocator.t] has no path"));

	write_file(cfg, "[allocator.t]\npath = %s\nthis line has no equals sign\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	char want[PATH_MAX + 32];
	snprintf(want, sizeof(want), "%.4000s:3: not INI syntax", cfg);
	assert_non_null(strstr(err, want));

	snprintf(cfg, sizeof(cfg), "%s", tp("does-not-exist.ini"));
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read config"));
	assert_non_null(strstr(err, cfg));
	/* ... also for a built-in name: a --config that is not there is an error. */
	assert_int_equal(resolve("system", cfg, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read config"));

	/* A 35-variable env line (over 199 characters, where
	 * Debian's inih cut it) arrives whole; quotes are kept for the split;
	 * the tail of a long line never becomes a key (it could replace path). */
	char env[2048] = "";
	size_t o = 0;
	for (int i = 0; i < 35; i++)
		o += (size_t)snprintf(env + o, sizeof(env) - o, "%sVAR%d=%d", i ? " " : "", i, i);
	snprintf(cfg, sizeof(cfg), "%s", tp("long.ini"));
	write_file(cfg, "[allocator.t]\npath = %s\nenv = %s Q=\"x y\" %-200s PATH_TAIL=\"path = /evil.so\"\n",
		   libc_path, env, "");
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(a.path, libc_real);
	assert_non_null(strstr(a.env, env));
	assert_non_null(strstr(a.env, "Q=\"x y\""));
	assert_non_null(strstr(a.env, "PATH_TAIL=\"path = /evil.so\""));
	/* Errors name the file's line even after a long one. */
	write_file(cfg, "[allocator.t]\n; %0300d\npath = %s\n\npaht = /x\n", 0, libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%.4000s:5: unknown key 'paht'", cfg);
	assert_non_null(strstr(err, want));
	/* Duplicates and bad env values are errors with their line. */
	write_file(cfg, "[allocator.t]\npath = %s\npath = /x\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%.4000s:3: key 'path' given twice in [allocator.t] (first at line 2)", cfg);
	assert_non_null(strstr(err, want));
	write_file(cfg, "[allocator.t]\npath = %s\n[allocator.t]\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: duplicate section [allocator.t] (first at line 1)"));
	write_file(cfg, "[allocator.t]\npath = %s\nenv = A=\"x y\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: env: a quote is not closed"));

	/* Other sections are not ours and are ignored. */
	snprintf(cfg, sizeof(cfg), "%s", tp("other.ini"));
	write_file(cfg, "[general]\ncolour = blue\n\n[allocator.t]\npath = %s\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(a.path, libc_real);
}

/* stats = in [allocator.NAME]: parsed and validated, and the interface the
 * worker will query: declared, found from the exports, or none with a reason
 * naming the allocator. */
static void test_stats(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512], cfg[PATH_MAX], why[256];
	snprintf(cfg, sizeof(cfg), "%s", tp("stats.ini"));
	assert_int_equal(soak_alloc_stats_parse("jemalloc"), SOAK_ASTATS_JEMALLOC);
	assert_int_equal(soak_alloc_stats_parse("none"), SOAK_ASTATS_NONE);
	assert_int_equal(soak_alloc_stats_parse("JEMALLOC"), -EINVAL);

	write_file(cfg, "[allocator.t]\npath = %s\nstats = jemaloc\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: unknown stats 'jemaloc' in [allocator.t] (known: jemalloc, tcmalloc, "
				    "mimalloc, glibc, none)"));

	/* No declaration: the C library exports mallinfo2. */
	write_file(cfg, "[allocator.t]\npath = %s\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(a.stats, "");
	assert_int_equal(soak_alloc_stats_kind(&a, why, sizeof(why)), SOAK_ASTATS_GLIBC);
	assert_string_equal(why, "");

	write_file(cfg, "[allocator.t]\npath = %s\nstats = glibc\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_string_equal(a.stats, "glibc");
	assert_int_equal(soak_alloc_stats_kind(&a, why, sizeof(why)), SOAK_ASTATS_GLIBC);

	/* Declared but not exported, and none. */
	write_file(cfg, "[allocator.t]\npath = %s\nstats = tcmalloc\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_int_equal(soak_alloc_stats_kind(&a, why, sizeof(why)), SOAK_ASTATS_NONE);
	char want[PATH_MAX + 128];
	snprintf(want, sizeof(want), "allocator %s is declared stats = tcmalloc but exports no "
		 "MallocExtension_GetNumericProperty", libc_real);
	assert_string_equal(why, want);
	write_file(cfg, "[allocator.t]\npath = %s\nstats = none\n", libc_path);
	assert_int_equal(resolve("t", cfg, &a, err, sizeof(err)), 0);
	assert_int_equal(soak_alloc_stats_kind(&a, why, sizeof(why)), SOAK_ASTATS_NONE);
	assert_non_null(strstr(why, "allocator t declares no statistics interface (stats = none in "));

	/* system: glibc, nothing to declare. */
	assert_int_equal(resolve("system", NULL, &a, err, sizeof(err)), 0);
	assert_int_equal(soak_alloc_stats_kind(&a, why, sizeof(why)), SOAK_ASTATS_GLIBC);
}

static void test_unknown_name(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512];
	assert_int_equal(resolve("no-such-alloc", NULL, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown allocator 'no-such-alloc'"));
	assert_non_null(strstr(err, "[allocator.no-such-alloc]"));
	assert_null(strchr(err, '\n'));
}

/* ---- listing ---- */

typedef struct {
	int n;
	char names[16][64], errs[16][512], paths[16][PATH_MAX];
} list_t;

static void collect(const char *name, const soak_alloc_t *a, const char *err, void *arg)
{
	list_t *l = arg;
	assert_true(l->n < 16);
	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
	snprintf(l->errs[l->n], sizeof(l->errs[0]), "%s", err ? err : "");
	snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", a->path);
	l->n++;
}

static void test_each(void **state)
{
	(void)state;
	char cfg[PATH_MAX], err[512] = "";
	snprintf(cfg, sizeof(cfg), "%s", tp("list.ini"));
	write_file(cfg,
		   "[allocator.good]\npath = %s\n\n"
		   "[allocator.gone]\npath = /nonexistent/libgone.so\n\n"
		   "[allocator.text]\npath = %s/list.ini\n",
		   libc_path, tmp);
	hide = "libtcmalloc";
	static list_t l;
	memset(&l, 0, sizeof(l));
	assert_int_equal(soak_alloc_each(cfg, collect, &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 7);
	const char *names[] = { "system", "mimalloc", "jemalloc", "tcmalloc", "good", "gone", "text" };
	for (int i = 0; i < 7; i++)
		assert_string_equal(l.names[i], names[i]);
	assert_string_equal(l.errs[0], "");
	assert_non_null(strstr(l.errs[3], "apt-get install libtcmalloc-minimal4"));
	assert_string_equal(l.errs[4], "");
	assert_string_equal(l.paths[4], libc_real);
	assert_non_null(strstr(l.errs[5], "cannot open /nonexistent/libgone.so"));
	assert_non_null(strstr(l.errs[6], "is not an ELF shared library"));

	snprintf(cfg, sizeof(cfg), "%s", tp("nope.ini"));
	memset(&l, 0, sizeof(l));
	assert_int_equal(soak_alloc_each(cfg, collect, &l, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot read config"));
}

/* ---- verification ---- */

static void test_matches_system(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512];
	assert_int_equal(resolve("system", NULL, &a, err, sizeof(err)), 0);
	assert_true(soak_alloc_matches(&a, libc_path));
	assert_true(soak_alloc_matches(&a, libc_real));
	assert_true(soak_alloc_matches(&a, "/nonexistent/lib/libc-2.31.so")); /* older glibc naming */
	assert_true(soak_alloc_matches(&a, "libc.so.6"));
	assert_false(soak_alloc_matches(&a, "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0"));
	assert_false(soak_alloc_matches(&a, "/usr/lib/x86_64-linux-gnu/libcrypt.so.1"));
	assert_false(soak_alloc_matches(&a, "/opt/x/libc_malloc.so"));
	assert_false(soak_alloc_matches(&a, ""));
	assert_false(soak_alloc_matches(&a, NULL));
}

static void test_matches_path(void **state)
{
	(void)state;
	soak_alloc_t a;
	char err[512], link[PATH_MAX];
	assert_int_equal(resolve(libc_path, NULL, &a, err, sizeof(err)), 0);
	assert_true(soak_alloc_matches(&a, libc_real));
	assert_true(soak_alloc_matches(&a, libc_path));
	/* A symlink to the same file is the same library. */
	snprintf(link, sizeof(link), "%s", tp("link.so"));
	unlink(link);
	assert_int_equal(symlink(libc_real, link), 0);
	assert_true(soak_alloc_matches(&a, link));
	/* Another file, even with the same name elsewhere, is not. */
	char other[PATH_MAX];
	snprintf(other, sizeof(other), "%s", tp(strrchr(libc_real, '/') + 1));
	write_file(other, "copy");
	assert_false(soak_alloc_matches(&a, other));
	assert_false(soak_alloc_matches(&a, "/nonexistent/libfoo.so"));
	assert_false(soak_alloc_matches(&a, ""));
	assert_false(soak_alloc_matches(&a, NULL));
	unlink(link);
	unlink(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_system, test_setup),
		cmocka_unit_test_setup(test_builtins_found_or_package, test_setup),
		cmocka_unit_test_setup(test_builtin_missing_names_package, test_setup),
		cmocka_unit_test_setup(test_bare_path, test_setup),
		cmocka_unit_test_setup(test_name_eq_path, test_setup),
		cmocka_unit_test_setup(test_not_elf, test_setup),
		cmocka_unit_test_setup(test_missing_file, test_setup),
		cmocka_unit_test_setup(test_config_precedence, test_setup),
		cmocka_unit_test_setup(test_registration_overrides_builtin, test_setup),
		cmocka_unit_test_setup(test_ini_errors, test_setup),
		cmocka_unit_test_setup(test_stats, test_setup),
		cmocka_unit_test_setup(test_unknown_name, test_setup),
		cmocka_unit_test_setup(test_each, test_setup),
		cmocka_unit_test_setup(test_matches_system, test_setup),
		cmocka_unit_test_setup(test_matches_path, test_setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
