/*
 * wl-paging.c - lgalloc's paging benchmark (the lgalloc benchmark guide): allocate a working set
 * larger than the memory limit (default 3x the cgroup's limit) as `block`-byte
 * blocks, write every page, then loop over
 *   random read      read one word of a random page of the working set (timed;
 *                    bimodal: resident ~100 ns, swapped-in ~80 us on NVMe),
 *   realloc+touch    every `realloc-every`-th op: free a random block and
 *                    malloc one of the same size, then write every page (timed
 *                    together: the allocator decides whether the pages come
 *                    back warm or must be faulted in fresh).
 * lgalloc's allocator has no realloc; its "realloc+touch" is dealloc + alloc +
 * touch, which is what this does with free/malloc.
 *
 * Needs swap: without an active swap device the worker refuses (exit
 * SOAK_WORKER_EXIT_NOSWAP) and names scripts/swap.sh. The fill phase is
 * interruptible and counts no ops (bytes_live shows its progress).
 */
#include "workload.h"
#include "cgnames.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { PG_SIZE, PG_BLOCK, PG_REALLOC, PG_SEED };

static const soak_wl_opt_t pg_opts[] = {
	[PG_SIZE] = { "size", SOAK_OPT_SIZE, "0", 0, 1099511627776.0,
		     "working set bytes (0 = 3x this cgroup's memory limit; required without a limit)", NULL },
	[PG_BLOCK] = { "block", SOAK_OPT_SIZE, "1M", 65536, 1073741824.0, "bytes per block", NULL },
	[PG_REALLOC] = { "realloc-every", SOAK_OPT_U64, "16", 0, 1 << 30,
			"every Nth op is a realloc+touch, the others random reads (0 = reads only)", NULL },
	[PG_SEED] = { "seed", SOAK_OPT_U64, "1", 0, 18446744073709551615.0, "read, block and pattern seed", NULL },
};

#define PG_NO_LIMIT UINT64_MAX

/* /proc/swaps: a header line, then one line per active swap area. */
bool soak_wl_swap_active(const char *proc_swaps)
{
	FILE *f = fopen(proc_swaps, "re");
	if (!f)
		return false;
	char line[512];
	int lines = 0;
	while (fgets(line, sizeof(line), f))
		if (line[0] != '\n')
			lines++;
	fclose(f);
	return lines > 1;
}

/* A failed call's -errno, never 0: the callers rely on "0 = *ret was set"
 * (and GCC -O2 -Wmaybe-uninitialized cannot know errno is non-zero). */
static int pg_neg_errno(void)
{
	int e = errno;
	return e > 0 ? -e : -EIO;
}

static int pg_read_u64_file(const char *path, uint64_t *ret)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return pg_neg_errno();
	char buf[64];
	int r = -EINVAL;
	if (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "max", 3)) {
			*ret = PG_NO_LIMIT;
			r = 0;
		} else {
			char *end;
			unsigned long long v = strtoull(buf, &end, 10);
			if (end != buf) {
				*ret = v;
				r = 0;
			}
		}
	}
	fclose(f);
	return r;
}

static int pg_stat_key(const char *path, const char *key, uint64_t *ret)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return pg_neg_errno();
	char k[128];
	unsigned long long v;
	int r = -ENOENT;
	while (fscanf(f, "%127s %llu", k, &v) == 2)
		if (!strcmp(k, key)) {
			*ret = v;
			r = 0;
			break;
		}
	fclose(f);
	return r;
}

/* v1: the memory controller's hierarchical limits in memory.stat (they include
 * the ancestors'), else its own limit file; memsw counts memory + swap. */
static int pg_v1_limits(const char *dir, uint64_t *mem, uint64_t *swap)
{
	char stat[PATH_MAX * 2 + 32], file[PATH_MAX * 2 + 32];
	snprintf(stat, sizeof(stat), "%s/%s", dir, soak_cg_file(SOAK_CG_V1, SOAK_CGF_MEM_STAT));
	uint64_t m, ms;
	if (pg_stat_key(stat, soak_cg_stat_key(SOAK_CG_V1, "memory_limit"), &m) < 0) {
		snprintf(file, sizeof(file), "%s/%s", dir, soak_cg_file(SOAK_CG_V1, SOAK_CGF_MEM_LIMIT));
		if (pg_read_u64_file(file, &m) < 0)
			return -ENOENT;
	}
	if (m < (1ull << 60))
		*mem = m;
	if (pg_stat_key(stat, soak_cg_stat_key(SOAK_CG_V1, "memsw_limit"), &ms) == 0 && ms < (1ull << 60) &&
	    *mem != PG_NO_LIMIT)
		*swap = ms > *mem ? ms - *mem : 0;
	return 0;
}

/* v2: the smallest limit on the path from the leaf up to (not including) the
 * root; each level may limit. */
static void pg_v2_limits(const char *cg_root, const char *leaf, uint64_t *mem, uint64_t *swap)
{
	const char *mem_max = soak_cg_file(SOAK_CG_V2, SOAK_CGF_MEM_LIMIT);
	const char *swap_max = soak_cg_file(SOAK_CG_V2, SOAK_CGF_SWAP_LIMIT);
	char rel[PATH_MAX], path[PATH_MAX * 2 + 32];
	snprintf(rel, sizeof(rel), "%s", leaf);
	for (;;) {
		uint64_t v;
		snprintf(path, sizeof(path), "%s%s/%s", cg_root, rel, mem_max);
		if (pg_read_u64_file(path, &v) == 0 && v < *mem)
			*mem = v;
		snprintf(path, sizeof(path), "%s%s/%s", cg_root, rel, swap_max);
		if (pg_read_u64_file(path, &v) == 0 && v < *swap)
			*swap = v;
		char *slash = strrchr(rel, '/');
		if (!slash || slash == rel)
			break;
		*slash = '\0';
	}
}

/*
 * The memory limit (and swap allowance) that applies to this process, from
 * /proc/self/cgroup-style text and a cgroup mount root, with the file names of
 * the one v1/v2 table (cgroup/cgnames.h). v1 (and hybrid, whose memory
 * controller is v1): pg_v1_limits; v2: pg_v2_limits. PG_NO_LIMIT when there is
 * none; huge v1 values (PAGE_COUNTER_MAX, 0x7ffffffffffff000) mean none.
 */
int soak_wl_cg_limits(const char *proc_cgroup, const char *cg_root, uint64_t *ret_mem, uint64_t *ret_swap)
{
	char v1[PATH_MAX], v2[PATH_MAX];
	int r = soak_wl_cg_self_paths(proc_cgroup, "memory", v1, v2, sizeof(v1));
	if (r < 0)
		return r;
	uint64_t mem = PG_NO_LIMIT, swap = PG_NO_LIMIT;
	if (v1[0]) {
		char dir[PATH_MAX * 2];
		snprintf(dir, sizeof(dir), "%s/memory%s", cg_root, v1);
		if ((r = pg_v1_limits(dir, &mem, &swap)) < 0)
			return r;
	} else if (v2[0]) {
		pg_v2_limits(cg_root, v2, &mem, &swap);
	} else {
		return -ENOENT;
	}
	*ret_mem = mem;
	*ret_swap = swap;
	return 0;
}

/* The limits the run will have. `soakctl run` checks the options before it
 * creates the run's cgroup, so it passes the planned limits in
 * SOAK_CHECK_MEMORY_MAX / SOAK_CHECK_SWAP_MAX (bytes, or "max"); inside the
 * run the worker reads its own cgroup. */
static uint64_t pg_env_limit(const char *name, bool *set)
{
	const char *v = getenv(name);
	*set = v && *v;
	if (!*set || !strcmp(v, "max"))
		return PG_NO_LIMIT;
	return strtoull(v, NULL, 10);
}

static void pg_host_limits(uint64_t *mem, uint64_t *swap)
{
	bool set_mem, set_swap;
	*mem = pg_env_limit("SOAK_CHECK_MEMORY_MAX", &set_mem);
	*swap = pg_env_limit("SOAK_CHECK_SWAP_MAX", &set_swap);
	if (set_mem || set_swap)
		return;
	*mem = *swap = PG_NO_LIMIT;
	/* Hybrid hosts: the memory controller is v1 at /sys/fs/cgroup/memory. */
	if (soak_wl_cg_limits("/proc/self/cgroup", "/sys/fs/cgroup", mem, swap) < 0)
		*mem = *swap = PG_NO_LIMIT;
}

static int pg_supported(soak_wl_ctx_t *ctx, char *why, size_t len)
{
	if (!soak_wl_swap_active("/proc/swaps")) {
		snprintf(why, len, "paging: no active swap (/proc/swaps lists none); enable a swap file with "
				   "`scripts/swap.sh on [SIZE]` (or zram: `scripts/swap.sh on --zram`) and remove it "
				   "afterwards with `scripts/swap.sh off`");
		return SOAK_WORKER_EXIT_NOSWAP;
	}
	uint64_t mem, swap;
	pg_host_limits(&mem, &swap);
	if (swap == 0) {
		snprintf(why, len, "paging: this cgroup may not swap (swap limit 0): give the run --swap-max");
		return SOAK_WORKER_EXIT_NOSWAP;
	}
	if (ctx->opt[PG_SIZE].u == 0) {
		long pages = sysconf(_SC_PHYS_PAGES);
		uint64_t ram = pages > 0 ? (uint64_t)pages * soak_wl_page_size() : PG_NO_LIMIT;
		if (mem == PG_NO_LIMIT || mem >= ram) {
			snprintf(why, len, "paging: --size is required: no cgroup memory limit below RAM was found "
					   "(the default is 3x the limit; run under soakctl --memory-max)");
			return SOAK_WORKER_EXIT_USAGE;
		}
		ctx->opt[PG_SIZE].u = 3 * mem;
	}
	if (ctx->opt[PG_SIZE].u < ctx->opt[PG_BLOCK].u) {
		snprintf(why, len, "paging: --size is smaller than one --block");
		return SOAK_WORKER_EXIT_USAGE;
	}
	return 0;
}

static int pg_run(soak_wl_ctx_t *ctx, soak_wl_thread_t *t)
{
	const size_t block = ctx->opt[PG_BLOCK].u;
	const size_t n = ctx->opt[PG_SIZE].u / block;
	const uint64_t every = ctx->opt[PG_REALLOC].u, seed = ctx->opt[PG_SEED].u;
	const size_t ps = soak_wl_page_size();
	size_t meta = n * (sizeof(unsigned char *) + sizeof(uint64_t));
	unsigned char **blk = soak_wl_meta_alloc(meta);
	if (!blk)
		return soak_wl_error(ctx, "paging: cannot map %zu bytes of block table", meta);
	uint64_t *tag = (uint64_t *)(blk + n);
	uint64_t rng = soak_wl_mix(seed), next_tag = 0;
	size_t filled = 0;
	int rc = 0;
	/* fill: untimed, no ops */
	for (; filled < n; filled++) {
		if (soak_wl_tick(t))
			goto drain;
		unsigned char *p = malloc(block);
		if (!p) {
			rc = soak_wl_nomem(t, block);
			goto out;
		}
		tag[filled] = next_tag++;
		uint64_t pat = soak_wl_pattern(seed, tag[filled], block);
		soak_wl_touch_pages(p, block, pat);
		soak_wl_fill(p, block, pat);
		blk[filled] = p;
		soak_wl_got(t, p, block);
	}
	/* Pages with a page word per block (see soak_wl_touch_pages). */
	const size_t ppb = (block - 8 - SOAK_WL_PAGE_WORD_OFF - 8) / ps + 1;
	uint64_t countdown = every ? every : UINT64_MAX;
	for (;;) {
		for (unsigned k = 0; k < 16; k++) {
			uint64_t r = soak_wl_rand64(&rng);
			size_t b = (size_t)(r % n);
			if (--countdown == 0) {
				countdown = every;
				unsigned char *old = blk[b];
				uint64_t pat = soak_wl_pattern(seed, tag[b], block);
				size_t off = soak_wl_check(old, block, pat);
				if (off != SIZE_MAX) {
					rc = soak_wl_fail_block(t, old, block, off, "paged");
					goto out;
				}
				unsigned char *p;
				uint64_t npat = soak_wl_pattern(seed, next_tag, block);
				soak_wl_gone(t, old, block);
				SOAK_WL_TIMED(t, {
					free(old);
					p = malloc(block);
					if (p)
						soak_wl_touch_pages(p, block, npat);
				});
				if (!p) {
					blk[b] = NULL;
					rc = soak_wl_nomem(t, block);
					goto out;
				}
				soak_wl_fill(p, block, npat);
				soak_wl_got(t, p, block);
				blk[b] = p;
				tag[b] = next_tag++;
			} else {
				size_t pg = (size_t)((r >> 32) % ppb);
				const unsigned char *at = blk[b] + pg * ps + SOAK_WL_PAGE_WORD_OFF;
				uint64_t w;
				SOAK_WL_TIMED(t, w = *(const volatile uint64_t *)(const void *)at);
				if (w != soak_wl_page_word(soak_wl_pattern(seed, tag[b], block), pg)) {
					rc = soak_wl_fail_block(t, blk[b], block, pg * ps + SOAK_WL_PAGE_WORD_OFF, "paged");
					goto out;
				}
			}
			t->ops++;
		}
		if (soak_wl_tick(t))
			break;
	}
drain:
	/* No free-all at stop: half the working set is in swap, and checking and
	 * freeing it would take seconds; the random reads verified it all along
	 * and process exit returns the memory. */
	(void)filled;
out:
	soak_wl_publish(t);
	if (rc != SOAK_WORKER_EXIT_VERIFY)
		soak_wl_meta_free(blk, meta);
	return rc;
}

const soak_workload_t soak_wl_paging = {
	.name = "paging",
	.summary = "working set larger than the memory limit: random page reads and realloc+touch of blocks (needs swap)",
	.origin = "lgalloc benchmark guide: paging benchmark (3x the memory limit, random reads CCDF, realloc+touch)",
	.op = "one random read of a page word, or one realloc+touch (free + malloc + write every page), each timed",
	.lat_every_max = 1,
	.opts = pg_opts,
	.n_opts = sizeof(pg_opts) / sizeof(pg_opts[0]),
	.supported = pg_supported,
	.run = pg_run,
};
