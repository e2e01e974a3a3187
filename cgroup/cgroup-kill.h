/*
 * cgroup-kill.h - killing what runs in a cgroup and removing the directory,
 * without trusting anything read from a file.
 *
 * The run's own cgroups and the cgroups a dead runner left behind (recovery
 * reads their paths from the database, which may come from anywhere) go
 * through the same code:
 *   - a path is acted on only if it is spelled exactly as the suite spells
 *     it: absolute, no "." or ".." or empty components, below one of the
 *     allowed roots (soak_cg_default_roots, or a caller's list), with the last
 *     component the name the suite gave that run (soak_cg_run_name);
 *   - and if, on disk, it resolves to itself (no symlink anywhere) and is a
 *     directory on a cgroup file system (so rmdir can only remove a cgroup);
 *   - processes are killed with cgroup.kill (cgroup2, 5.14+); where there is
 *     none (v1, older v2 frozen first), each pid of a whole, strictly parsed
 *     cgroup.procs is opened as a pidfd, still listed after the open, and
 *     signalled through the pidfd: kill() never gets a number from a file.
 *
 * Contract: functions return 0 (or a count) or a negative errno, with one line
 * per refused or failed directory in why; they never print, and never remove
 * or signal anything that failed a check.
 */
#ifndef SOAK_CGROUP_CGROUP_KILL_H
#define SOAK_CGROUP_CGROUP_KILL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SOAK_CG_MAX_ROOTS 8
#define SOAK_CG_NAME_PREFIX "soak-"
/* "soak-" + a 36-character UUID */
#define SOAK_CG_NAME_LEN 48

/* The name of a run's cgroup directories: "soak-<run uuid>". */
int soak_cg_run_name(const char *uuid, char *buf, size_t len);

/* Parses a whole cgroup.procs text: one positive decimal pid per line, nothing
 * else (no sign, no blank line but a final newline, no value above pid_max's
 * ceiling 2^22). Returns the count, or -EINVAL for any other text, -E2BIG when
 * more than max. */
int soak_cg_parse_procs(const char *text, pid_t *pids, size_t max);

/* Lexical check of a path from an untrusted source: 0 when it is
 * <root>/<components>/<name> for one of roots, else -EPERM with why set. */
int soak_cg_path_allowed(const char *path, const char *const *roots, size_t nroots,
			 const char *name, char *why, size_t whylen);

/* On-disk check: path is a directory on a cgroup file system and resolves to
 * itself. 0, -ENOENT (already gone), or -EPERM with why set. */
int soak_cg_dir_verify(const char *path, char *why, size_t whylen);

/* The roots the suite creates cgroups below: the mount points of the v1
 * memory and cpu controllers and of the cgroup2 tree. Returns the count. */
size_t soak_cg_default_roots(char roots[][PATH_MAX], size_t max);

/* Kills every process of a cgroup directory (see above). Returns the number
 * of processes it listed before the kill (>= 0), or -errno. */
int soak_cg_kill_dir(const char *dir);

/* rmdir, killing again while it is busy; gives up after about 2 s. */
int soak_cg_remove_dir(const char *dir);

/* Recovery: kills and removes the cgroups named in a run record's JSON
 * (memory, cpu, unified) that pass both checks for run `uuid` below `roots`
 * (NULL: the default roots). Returns 0 when every named directory was removed
 * or already gone, -EPERM when one was refused, other -errno; why holds one
 * line per refused or failed directory. */
int soak_cg_recover_json(const char *json, const char *uuid, const char *const *roots,
			 size_t nroots, char *why, size_t whylen);

#endif
