/*
 * alloc.h - allocators by name. Built-in names (system, mimalloc, jemalloc,
 * tcmalloc) resolve to where Debian's packages install them; users register
 * more in an INI file ([allocator.NAME] path=..., env=...) found by --config,
 * ./soak.ini, then $XDG_CONFIG_HOME/soak/soak.ini; NAME=PATH registers one on
 * the command line and a bare path (containing '/') names itself. A relative
 * path = in an INI file is relative to that file's directory.
 */
#ifndef SOAK_ALLOC_H
#define SOAK_ALLOC_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	char name[64];
	char path[PATH_MAX];     /* "" for system (no injection) */
	char env[16384];         /* extra environment as written: A="x y" B=2 (soak_env_split) */
	char source[PATH_MAX];   /* "built-in", "command line" or the INI file */
	char stats[16];          /* declared statistics interface (stats = ...), "" = find it */
	bool has_file;
	int64_t size, mtime;
} soak_alloc_t;

/* Resolves spec to an allocator whose library exists and is an ELF shared
 * object. On failure err says what is missing and how to get it (e.g. the
 * Debian package) and -ENOENT/-EINVAL is returned. */
int soak_alloc_resolve(const char *spec, const char *config, soak_alloc_t *ret, char *err,
		       size_t errlen);

/* Calls fn for every known allocator (built-in and from the config files),
 * resolved or not (err non-empty says why not). */
int soak_alloc_each(const char *config,
		    void (*fn)(const char *name, const soak_alloc_t *a, const char *err, void *arg),
		    void *arg, char *err, size_t errlen);

/* The INI files read, in lookup order (--config FILE, ./soak.ini,
 * $XDG_CONFIG_HOME/soak/soak.ini), existing ones only (--config always). */
int soak_alloc_config_files(const char *config, char files[3][PATH_MAX]);

/* The path to put in LD_PRELOAD for a: its own, or, when that path holds a
 * character the loader reads as syntax (a space or a colon separate
 * libraries, '$' starts $LIB/$ORIGIN), a link to it in a private directory
 * made for the run (/tmp/soak-preload-XXXXXX, written into dir; "" when none
 * was needed). 0, or a negative errno with the reason in err. Remove the
 * directory with soak_alloc_preload_remove(dir) once the run has ended. */
int soak_alloc_preload_path(const soak_alloc_t *a, char *out, size_t outlen, char *dir, size_t dirlen,
			    char *err, size_t errlen);
void soak_alloc_preload_remove(char *dir);

/* 1 when the shared library at path defines (exports) the function sym in
 * its dynamic symbol table, 0 when not, -errno when unreadable. */
int soak_alloc_exports(const char *path, const char *sym);

/* The statistics interface the worker queries for allocator a (enum
 * soak_astats_kind of soak/shm.h): the declared one (`stats =` in soak.ini)
 * when the library exports its function, else the first the library exports
 * of jemalloc's mallctl, tcmalloc's MallocExtension_GetNumericProperty,
 * mimalloc's mi_process_info, glibc's mallinfo2; the system allocator is glibc.
 * SOAK_ASTATS_NONE with the reason in why (naming the allocator) when none. */
int soak_alloc_stats_kind(const soak_alloc_t *a, char *why, size_t whylen);
/* The kind named `name` in soak.ini ("jemalloc", ..., "none"), or -EINVAL. */
int soak_alloc_stats_parse(const char *name);

/* True when `observed` (the object that provided malloc in the worker) is the
 * allocator requested. For system: the C library. */
bool soak_alloc_matches(const soak_alloc_t *a, const char *observed);

#endif
