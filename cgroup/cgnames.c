/* cgnames.c - the one v1/v2 cgroup file name table (libcgroup 2.0.2 does not
 * translate between hierarchies). See cgnames.h. */
#include "cgnames.h"

#include <stddef.h>
#include <string.h>

static const struct {
	const char *v1, *v2;
} names[SOAK_CGF__COUNT] = {
	[SOAK_CGF_MEM_LIMIT]  = { "memory.limit_in_bytes", "memory.max" },
	[SOAK_CGF_SWAP_LIMIT] = { "memory.memsw.limit_in_bytes", "memory.swap.max" },
	[SOAK_CGF_MEM_USAGE]  = { "memory.usage_in_bytes", "memory.current" },
	[SOAK_CGF_MEM_PEAK]   = { "memory.max_usage_in_bytes", "memory.peak" },
	[SOAK_CGF_MEM_STAT]   = { "memory.stat", "memory.stat" },
	[SOAK_CGF_OOM_EVENTS] = { "memory.oom_control", "memory.events" },
	[SOAK_CGF_SWAP_USAGE] = { "memory.memsw.usage_in_bytes", "memory.swap.current" },
	[SOAK_CGF_CPU_QUOTA]  = { "cpu.cfs_quota_us", "cpu.max" },
	[SOAK_CGF_CPU_PERIOD] = { "cpu.cfs_period_us", NULL },
};

const char *soak_cg_file(soak_cg_mode_t mode, soak_cg_file_t f)
{
	if (f < 0 || f >= SOAK_CGF__COUNT || mode == SOAK_CG_NONE)
		return NULL;
	return mode == SOAK_CG_V2 ? names[f].v2 : names[f].v1;
}

static const struct {
	const char *logical, *v1, *v2;
} stat_keys[] = {
	{ "anon", "total_rss", "anon" },
	{ "file", "total_cache", "file" },
	{ "swap", "total_swap", NULL }, /* v2: memory.swap.current instead */
	{ "pgfault", "total_pgfault", "pgfault" },
	{ "pgmajfault", "total_pgmajfault", "pgmajfault" },
	/* v1 only: the limits in force including the ancestors' (v2 has no such
	 * key: its reader walks memory.max / memory.swap.max up the tree). */
	{ "memory_limit", "hierarchical_memory_limit", NULL },
	{ "memsw_limit", "hierarchical_memsw_limit", NULL },
};

const char *soak_cg_stat_key(soak_cg_mode_t mode, const char *logical)
{
	for (size_t i = 0; i < sizeof(stat_keys) / sizeof(stat_keys[0]); i++)
		if (!strcmp(stat_keys[i].logical, logical))
			return mode == SOAK_CG_V2 ? stat_keys[i].v2 : stat_keys[i].v1;
	return NULL;
}

const char *soak_cg_mode_name(soak_cg_mode_t mode)
{
	switch (mode) {
	case SOAK_CG_V1: return "v1";
	case SOAK_CG_HYBRID: return "hybrid";
	case SOAK_CG_V2: return "v2";
	default: return "none";
	}
}
