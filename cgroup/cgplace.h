/*
 * cgplace.h - where the run's cgroups go: the cgroup that receives them (the
 * "parent") and how the runner got it. Chosen once per soakctl process, before
 * anything is written, and undone at the end (docs/cgroups.md):
 *
 *   own            below the runner's own cgroup (v1 and hybrid hosts; on pure
 *                  v2 only where that works: the root cgroup)
 *   leaf-move      pure v2, the runner alone in its cgroup (a container): it
 *                  moves itself into a leaf child and enables +memory +cpu in
 *                  the now-empty cgroup
 *   systemd-scope  pure v2 on a systemd host: a transient scope with
 *                  Delegate=yes from the system (root) or user manager, then
 *                  as leaf-move inside the scope
 *   cgroup-parent  --cgroup-parent PATH: below a cgroup the user prepared
 *   none           --no-cgroup
 *
 * Nothing outside the parent is ever written, except moving the runner itself
 * (leaf-move, systemd-scope) and asking systemd for the scope.
 *
 * Contract: functions return 0 (or a count) or a negative errno, with one line
 * naming the problem and the options in err; they never print (the note a
 * user may want is left in soak_place_t.note for the caller) and never kill
 * anything. A failed acquire leaves the runner where it was and every file as
 * it found it. The placement record itself (soak_place_t) is in cghost.h.
 */
#ifndef SOAK_CGROUP_CGPLACE_H
#define SOAK_CGROUP_CGPLACE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#include "cghost.h"

/* What the chooser decides from: read from a cgroup2 directory (or a fake
 * tree in the tests) by soak_place_facts_read. */
typedef struct {
	bool is_root;              /* the runner's cgroup2 path is "/" */
	bool has_memory, has_cpu;  /* in its cgroup.controllers */
	bool sub_memory, sub_cpu;  /* already in its cgroup.subtree_control */
	bool alone;                /* its cgroup.procs lists the runner only */
	bool delegated;            /* systemd marked it delegated (xattr) */
	bool systemd;              /* systemd is PID 1 (sd_booted) */
} soak_place_facts_t;

#define SOAK_PLACE_MAX_PLAN 4

/* Reads the facts about cgroup2 directory `dir` for process `self` (procs:
 * `self` alone?), `systemd` as given. Missing files count as empty. */
int soak_place_facts_read(const char *dir, pid_t self, bool systemd, soak_place_facts_t *f);

/* The ways to try on a pure v2 host, best first, for need_cpu (--cpu-max).
 * Pure: tested over fake trees. Returns how many were written to plan. */
size_t soak_place_plan(const soak_place_facts_t *f, bool need_cpu,
		       soak_place_how_t plan[SOAK_PLACE_MAX_PLAN]);

/* Strict check of a --cgroup-parent PATH: absolute below `mount` or relative
 * to it, no "." or ".." parts, no symlinks, a cgroup2 directory. Writes the
 * absolute path to out. */
int soak_place_parent_path(const char *mount, const char *path, char *out, size_t outlen,
			   char *err, size_t errlen);

/* Chooses and prepares the placement (see above). cgroup_parent may be NULL.
 * On failure nothing is left changed and err holds one line naming the
 * options. */
int soak_place_acquire(soak_place_t *p, const char *cgroup_parent, bool need_cpu,
		       char *err, size_t errlen);
/* Moves the runner back where it was, removes its leaf and disables what it
 * enabled; the systemd scope goes away when the runner exits. */
void soak_place_release(soak_place_t *p);

/* For a runner killed with -9: removes its leaf (named in the run record's
 * cgroup_paths JSON under "leaf") once it is empty. Never kills anything.
 * The path passes the checks of cgroup-kill.h with the name
 * soak-runner-<runner_pid>; else -EPERM and why says which and why. */
int soak_place_recover_json(const char *json, int64_t runner_pid, char *why, size_t whylen);

/* cgplace-systemd.c: asks the system (root) or user manager for a transient
 * scope `unit` with Delegate=yes holding this process, and waits for the job.
 * On success the runner is in the scope. */
int soak_place_systemd_scope(const char *unit, bool user, char *err, size_t errlen);
bool soak_place_systemd_booted(void);

#endif
