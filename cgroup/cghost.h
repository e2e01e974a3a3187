/*
 * cghost.h - what this host's cgroups are, and the record of where a run's
 * cgroups go. The bottom of cgroup/: cgroup.c (creating the run's cgroups),
 * cgplace.c (choosing the placement) and cgroup-kill.c (recovery) all use it,
 * and it uses none of them.
 *
 * Functions return 0 or a negative errno and write a reason into a caller's
 * buffer; they never print, never write to a cgroup and never move a process.
 */
#ifndef SOAK_CGROUP_CGHOST_H
#define SOAK_CGROUP_CGHOST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cgnames.h"

/* Where the cgroup2 tree is mounted on a pure v2 host, and on a hybrid one. */
#define SOAK_CG_V2_ROOT "/sys/fs/cgroup"
#define SOAK_CG_UNIFIED_HYBRID "/sys/fs/cgroup/unified"

/* The cgroup version of the file system holding path: 2 for cgroup2, 1 for a
 * v1 controller hierarchy, 0 for any other file system, -errno when statfs
 * fails (no such path). */
int soak_cg_fs_version(const char *path);

/* libcgroup's cgroup_init(), called once per process; 0, or -ENODEV with why. */
int soak_cg_libcgroup_ready(char *why, size_t whylen);

/* Which hierarchy this host has: v2 when /sys/fs/cgroup is cgroup2, else
 * hybrid or v1 by whether the unified mount exists; -ENODEV with a reason
 * when no memory controller is mounted. */
int soak_cg_detect(soak_cg_mode_t *ret, char *why, size_t whylen);

/* How the runner obtained the cgroup that receives the run's cgroups
 * (cgplace.h explains each). */
typedef enum {
	SOAK_PLACE_NONE = 0,
	SOAK_PLACE_OWN,
	SOAK_PLACE_LEAF_MOVE,
	SOAK_PLACE_SYSTEMD_SCOPE,
	SOAK_PLACE_CGROUP_PARENT,
} soak_place_how_t;

/* The placement: made by soak_place_acquire (cgplace.h), read by
 * soak_cg_create (cgroup.h) and stored in the run record. */
typedef struct {
	soak_cg_mode_t mode;
	soak_place_how_t how;
	char parent[PATH_MAX];     /* cgroup2 dir receiving the run's cgroups ("" on v1) */
	char home[PATH_MAX];       /* cgroup2 dir the runner was in before a move */
	char leaf[PATH_MAX];       /* the runner's own leaf, made by us ("" if none) */
	char scope[256];           /* systemd scope unit ("" if none) */
	const char *bus;           /* "system" or "user" for the scope, else NULL */
	bool enabled_memory, enabled_cpu;   /* controllers we enabled in parent */
	char note[256];            /* what the user may want to know (printed with -v) */
} soak_place_t;

/* "own", "leaf-move", "systemd-scope", "cgroup-parent" or "none": the
 * spelling of runs.cgroup_placement. */
const char *soak_place_how_name(soak_place_how_t how);

#endif
