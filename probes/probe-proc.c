/*
 * probe-proc.c - memory, faults, processes and threads of the worker's whole
 * process tree (the worker and its descendants; threads are inside their
 * process's numbers), from kept-open /proc/PID/{stat,statm} on every sample
 * and /proc/PID/status for VmSwap at most every 100 ms (see proctree.c and
 * docs/probes.md for why not libproc2).
 *
 * Validity: gauges are invalid once the root has exited (zombie) or been
 * reaped, and when any live member's status could not be read; fault counters
 * stay valid while the root is a zombie (its stat still holds the final,
 * complete numbers) and become invalid once it is reaped.
 *
 * exec --repeat (ctx->exclude_root): the root is soak's driver, so its own
 * memory, faults and process count are left out; faults are the steps' (the
 * reaped ones through the driver's cminflt/cmajflt, the live one directly) and
 * memory gauges are invalid in a sample that falls between two steps.
 */
#include "probe.h"
#include "probe-util.h"
#include "proctree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { M_RSS, M_ANON, M_FILE, M_SWAP, M_MINFLT, M_MAJFLT, M_NPROCS, M_NTHREADS, M__N };

static const soak_metric_def_t proc_metrics[M__N] = {
	[M_RSS] = { "rss_bytes", "bytes", SOAK_GAUGE, "resident memory of the process tree (VmRSS)" },
	[M_ANON] = { "rss_anon_bytes", "bytes", SOAK_GAUGE, "anonymous resident memory (RssAnon)" },
	[M_FILE] = { "rss_file_bytes", "bytes", SOAK_GAUGE, "file-backed and shmem resident memory (RssFile+RssShmem)" },
	[M_SWAP] = { "swap_bytes", "bytes", SOAK_GAUGE, "swapped-out anonymous memory (VmSwap), at most every 100 ms" },
	[M_MINFLT] = { "minflt", "count", SOAK_COUNTER, "minor page faults, incl. exited threads and reaped children" },
	[M_MAJFLT] = { "majflt", "count", SOAK_COUNTER, "major page faults, incl. exited threads and reaped children" },
	[M_NPROCS] = { "nprocs", "count", SOAK_GAUGE, "live processes in the tree" },
	[M_NTHREADS] = { "nthreads", "count", SOAK_GAUGE, "threads of the live processes" },
};

static int proc_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	(void)ctx;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
	if (access(path, R_OK) < 0) {
		snprintf(why, whylen, "%s: %s (kernel without CONFIG_PROC_CHILDREN, or /proc not mounted)",
			 path, strerror(errno));
		return -ENOTSUP;
	}
	return 0;
}

struct proc_state {
	soak_ptree_t *tree;
	bool mem;       /* this tick's walk measured memory: swap may be summed */
};

static int proc_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	struct proc_state *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	int r = soak_ptree_open(&ps->tree, ctx->pid,
				SOAK_PTREE_MEM | (ctx->exclude_root ? SOAK_PTREE_EXCLUDE_ROOT : 0));
	if (r < 0) {
		char e[32];
		soak_reason_all(reasons, M__N, "/proc/%d: %s", (int)ctx->pid, soak_errname(r, e, sizeof(e)));
		free(ps);
		return r;
	}
	*state = ps;
	return 0;
}

static int proc_sample(void *state, double *v, bool *ok)
{
	struct proc_state *ps = state;
	soak_ptree_sum_t s;
	memset(ok, 0, M__N * sizeof(*ok));
	ps->mem = false;
	int r = soak_ptree_sample(ps->tree, &s);
	if (r < 0)
		return r;
	/* With the root excluded (exec --repeat), a sample between two steps
	 * sees no process of the command: its gauges are not measured, not 0. */
	bool gauges = s.complete && !s.root_zombie && (s.nprocs > 0 || !soak_ptree_excludes_root(ps->tree));
	bool mem = gauges && s.mem_ok;
	v[M_RSS] = (double)s.rss_kb * 1024.0;
	v[M_ANON] = (double)s.anon_kb * 1024.0;
	v[M_FILE] = (double)s.file_kb * 1024.0;
	ok[M_RSS] = ok[M_ANON] = ok[M_FILE] = mem;
	ps->mem = mem;
	v[M_MINFLT] = (double)s.minflt;
	v[M_MAJFLT] = (double)s.majflt;
	ok[M_MINFLT] = ok[M_MAJFLT] = s.complete;
	v[M_NPROCS] = s.nprocs;
	v[M_NTHREADS] = s.nthreads;
	ok[M_NPROCS] = ok[M_NTHREADS] = s.complete && !s.root_zombie;
	return 0;
}

/* At most every 100 ms, right after the same tick's walk: VmSwap of the
 * processes that walk counted. Only status has it, and status costs twice
 * statm (bench-probes); at intervals of 100 ms or more it is read on every
 * sample. docs/probes.md says so. */
static int proc_sample_slow(void *state, double *v, bool *ok)
{
	struct proc_state *ps = state;
	uint64_t kb;
	if (!ps->mem || soak_ptree_swap(ps->tree, &kb) < 0)
		return 0;
	v[M_SWAP] = (double)kb * 1024.0;
	ok[M_SWAP] = true;
	return 0;
}

static void proc_close(void *state)
{
	struct proc_state *ps = state;
	if (!ps)
		return;
	soak_ptree_close(ps->tree);
	free(ps);
}

const soak_probe_ops_t soak_probe_proc = {
	.name = "proc",
	.metrics = proc_metrics,
	.n_metrics = M__N,
	.supported = proc_supported,
	.open = proc_open,
	.sample = proc_sample,
	.sample_slow = proc_sample_slow,
	.slow_interval_s = 0.1,
	.close = proc_close,
};
