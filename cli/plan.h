/*
 * plan.h - a nightly plan (PLAN.ini): allocators x workloads (each with its
 * options) x limit sets x repeats, one duration/warm-up/interval, a label
 * template. Parsed with libinih; cells are enumerated in a fixed order so
 * `--shard I/N` is deterministic on every host.
 *
 *   [plan]
 *   label = nightly-{date}        ; {date} = UTC date (YYYY-MM-DD), {host} = hostname
 *   allocators = system mimalloc  ; names, registered names, paths or NAME=PATH
 *   duration = 5m
 *   warmup = 30s
 *   interval = 1s
 *   repeats = 3
 *   seed = 1                      ; order shuffle of each round (default 1)
 *   config = soak.ini             ; allocator registry and suites (optional)
 *   suite = classic               ; each workload of the suite is a workload of the plan
 *   [workload.rm400]
 *   name = random_mixed
 *   args = --ws 400               ; workload options, split at spaces ('quotes' keep spaces)
 *   [limits.small]
 *   memory-max = 256M
 *   swap-max = 0
 *   cpu-max = 100%
 */
#ifndef SOAK_PLAN_H
#define SOAK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SOAK_PLAN_MAX 64            /* allocators, workloads, limit sets each */

typedef struct {
	char section[64];           /* "rm400" */
	char name[64];              /* workload name ("random_mixed", "exec") */
	char args[1024];            /* raw options text */
	char driver[1024];          /* exec: driver = CMD (run --driver), "" = none */
} soak_plan_wl_t;

typedef struct {
	char section[64];           /* "small"; "none" when the plan has no [limits.*] */
	char memory_max[32], swap_max[32], cpu_max[32];   /* as written ("" = unset) */
} soak_plan_lim_t;

typedef struct {
	char label[256];
	char config[1024];
	char suites[256];           /* suite = NAME [NAME...] as written ("" = none) */
	char duration[32], warmup[32], interval[32];
	double duration_s;          /* parsed, for machine time */
	size_t repeats;
	uint64_t seed;
	char allocators[SOAK_PLAN_MAX][256];
	size_t n_alloc;
	soak_plan_wl_t wl[SOAK_PLAN_MAX];
	size_t n_wl;
	soak_plan_lim_t lim[SOAK_PLAN_MAX];
	size_t n_lim;
} soak_plan_t;

/* A cell: one allocator, workload and limit set (its repeats run on one shard). */
typedef struct {
	size_t index;               /* in the plan's fixed order */
	size_t alloc, wl, lim;
} soak_plan_cell_t;

/* Parses path; 0, or -errno with one line "PATH:LINE: what, what to do" in err. */
int soak_plan_load(const char *path, soak_plan_t *ret, char *err, size_t errlen);
/* The cells of shard `shard` of `shards` (1-based; 1/1 = all), in plan order:
 * cell i goes to shard (i mod shards) + 1. Returns how many (at most max). */
size_t soak_plan_cells(const soak_plan_t *p, size_t shard, size_t shards, soak_plan_cell_t *out, size_t max);
/* Label from the template: {date} -> date ("YYYY-MM-DD"), {host} -> host. */
int soak_plan_label(const char *tmpl, const char *date, const char *host, char *buf, size_t len);
/* Splits workload options at spaces; '...' or "..." keep spaces. Pointers
 * into buf (modified); returns the count or -EINVAL (unclosed quote). */
int soak_plan_split(char *buf, char **argv, int max);

#endif
