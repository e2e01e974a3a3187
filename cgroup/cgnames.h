/*
 * cgnames.h - where a run's cgroups live and what their files are called: the
 * one table of v1 and v2 file names, used by cgroup creation, the probes and
 * the worker (wl-paging reads its own limits through it).
 *
 * The runner creates the cgroups (cgroup/cgroup.c, libcgroup); probes only read
 * the files named here. Hierarchies differ per host:
 *   v2      one cgroup2 directory with memory and cpu controllers (memory.max ...)
 *   hybrid  v1 memory and cpu directories plus a cgroup2 child in the unified tree
 *           (no controllers there, but cgroup.kill, cgroup.procs, *.pressure, cpu.stat)
 *   v1      v1 memory and cpu directories only
 *   none    --no-cgroup: no limits, no cgroup files
 *
 * Contract: pure lookups, no I/O, nothing allocated; a name the host does not
 * have is NULL, which a reader reports as unavailable, never as 0.
 */
#ifndef SOAK_CGROUP_CGNAMES_H
#define SOAK_CGROUP_CGNAMES_H

#include <limits.h>

typedef enum { SOAK_CG_NONE = 0, SOAK_CG_V1, SOAK_CG_HYBRID, SOAK_CG_V2 } soak_cg_mode_t;

/* Logical cgroup files; soak_cg_file() maps them to the host's names. */
typedef enum {
	SOAK_CGF_MEM_LIMIT = 0,   /* v1 memory.limit_in_bytes        v2 memory.max */
	SOAK_CGF_SWAP_LIMIT,      /* v1 memory.memsw.limit_in_bytes  v2 memory.swap.max (see note) */
	SOAK_CGF_MEM_USAGE,       /* v1 memory.usage_in_bytes        v2 memory.current */
	SOAK_CGF_MEM_PEAK,        /* v1 memory.max_usage_in_bytes    v2 memory.peak */
	SOAK_CGF_MEM_STAT,        /* memory.stat (keys differ: see soak_cg_stat_key) */
	SOAK_CGF_OOM_EVENTS,      /* v1 memory.oom_control           v2 memory.events (key oom_kill) */
	SOAK_CGF_SWAP_USAGE,      /* v1 memory.memsw.usage_in_bytes (mem+swap)  v2 memory.swap.current */
	SOAK_CGF_CPU_QUOTA,       /* v1 cpu.cfs_quota_us (+cpu.cfs_period_us)   v2 cpu.max */
	SOAK_CGF_CPU_PERIOD,      /* v1 cpu.cfs_period_us            v2 (inside cpu.max) */
	SOAK_CGF__COUNT
} soak_cg_file_t;

/* Note on swap: v1 memsw.* counts memory+swap; v2 swap.* counts swap alone.
 * The runner converts: v1 memsw.limit = memory limit + swap limit. */

typedef struct {
	soak_cg_mode_t mode;
	char mem_dir[PATH_MAX];     /* directory holding the memory files ("" if none) */
	char cpu_dir[PATH_MAX];     /* directory holding the cpu files ("" if none) */
	char unified_dir[PATH_MAX]; /* cgroup2 directory (v2 or hybrid), "" otherwise */
} soak_cg_paths_t;

/* The file name for `f` under `mode` (v1 names for V1 and HYBRID), or NULL when
 * the host has no such file (e.g. SOAK_CGF_CPU_PERIOD on v2). */
const char *soak_cg_file(soak_cg_mode_t mode, soak_cg_file_t f);
/* memory.stat key for anonymous / file / swap bytes: v1 "total_rss", "total_cache",
 * "total_swap"; v2 "anon", "file", "swap" (swap is not in v2 memory.stat: NULL);
 * "pgfault", "pgmajfault"; and, v1 only (NULL on v2), the limits in force
 * including the ancestors': "memory_limit" (hierarchical_memory_limit) and
 * "memsw_limit" (hierarchical_memsw_limit). NULL for an unknown name. */
const char *soak_cg_stat_key(soak_cg_mode_t mode, const char *logical);
const char *soak_cg_mode_name(soak_cg_mode_t mode);

#endif
