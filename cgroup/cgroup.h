/*
 * cgroup.h - the run's cgroups: created below the runner's own cgroups (never
 * changing the runner's own limits, never moving it out), the worker attached
 * before it execs, and everything removed when the run ends.
 *
 * v1 controllers (memory, cpu) are handled with libcgroup; the cgroup2 child
 * that hybrid hosts also get (for cgroup.kill, PSI and cgroup-scoped perf
 * counters) is a plain mkdir/rmdir in the unified mount, because libcgroup
 * 2.0.2 does not manage a controller-less cgroup2 tree beside v1 controllers.
 *
 * Contract: functions return 0 (or a count) on success and a negative errno on
 * failure, with one line naming the problem in err when they take one. They
 * never print, never change the runner's own cgroups' limits and never move
 * the runner; where the run's cgroups go was decided before (cgplace.h) and
 * is only read here. Every limit written is read back: a value the kernel
 * did not keep is an error, not a silent difference.
 */
#ifndef SOAK_CGROUP_CGROUP_H
#define SOAK_CGROUP_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cghost.h"

typedef struct {
	bool has_memory_max, has_swap_max, has_cpu_max;
	uint64_t memory_max, swap_max;   /* swap alone (converted to memsw on v1) */
	double cpu_max_pct;              /* percent of one CPU */
} soak_cg_limits_t;

typedef struct {
	soak_cg_paths_t paths;
	char mem_name[4096];    /* libcgroup name (relative to the controller mount) */
	char cpu_name[4096];
	bool mem_created, cpu_created, unified_created;
	const soak_place_t *place;   /* where they were made (cgplace.h) */
} soak_cg_t;

/* Creates the run's cgroups named `name` and applies the limits: the cgroup2
 * directory below place->parent (pure v2: with the limits; hybrid: the
 * controller-less child), v1 memory and cpu below the runner's own v1 cgroups.
 * place must outlive cg. On failure nothing is left behind and err names the
 * problem. */
int soak_cg_create(soak_cg_t *cg, const soak_place_t *place, const char *name,
		   const soak_cg_limits_t *lim, char *err, size_t errlen);
/* Moves pid (a forked child that has not exec'd yet) into every cgroup. */
int soak_cg_attach(soak_cg_t *cg, pid_t pid, char *err, size_t errlen);
/* Reads the v1/v2 oom_kill counter; -errno when unavailable. */
int soak_cg_oom_kills(const soak_cg_t *cg, uint64_t *ret);
/* Kills whatever still runs in the cgroups and removes them. Safe to call twice. */
int soak_cg_destroy(soak_cg_t *cg);
/* Kills every process in the run's cgroups (they stay); the number of
 * processes that were there, or -errno. */
int soak_cg_kill(soak_cg_t *cg);
/* JSON text of the directories, stored in the run record. A runner that died
 * leaves them behind: soak_cg_recover_json (cgroup-kill.h) removes them. */
int soak_cg_paths_json(const soak_cg_t *cg, char *buf, size_t len);

#endif
