/*
 * proctree.h - the worker's process tree read from /proc (internal to probes/):
 * pure parsers for /proc/PID/{stat,status,statm,task/TID/children}, and a walker
 * that keeps per-process fds open across samples (htop-style: openat relative to
 * a /proc/PID directory fd, pread into stack buffers) and discovers descendants
 * through task/TID/children instead of scanning /proc.
 */
#ifndef SOAK_PROCTREE_H
#define SOAK_PROCTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fields of /proc/PID/stat used by the probes. Fault and time fields of a
 * process (not a task) cover all its threads, live and exited; the c* fields
 * cover its reaped children (recursively: a reaped child brings its own c*). */
typedef struct {
	char state;             /* R S D Z T t X I ... */
	pid_t ppid;
	uint64_t minflt, cminflt, majflt, cmajflt;
	uint64_t utime, stime, cutime, cstime;   /* clock ticks (sysconf(_SC_CLK_TCK)) */
	uint64_t num_threads;
	uint64_t starttime;     /* clock ticks after boot: tells a reused pid apart */
} soak_proc_stat_t;

/* /proc/PID/status memory lines, in kB. */
typedef struct {
	uint64_t rss_kb, anon_kb, file_kb, shmem_kb, swap_kb;
} soak_proc_status_t;

/* /proc/PID/statm, in pages. */
typedef struct {
	uint64_t size, resident, shared;
} soak_proc_statm_t;

/* Parsers: 0, or -EINVAL when a field is missing or malformed, -ENODATA when
 * status has none of the memory lines (kernel threads, zombies). */
int soak_proc_parse_stat(const char *buf, soak_proc_stat_t *ret);
int soak_proc_parse_status(const char *buf, soak_proc_status_t *ret);
int soak_proc_parse_statm(const char *buf, soak_proc_statm_t *ret);
/* Space-separated pids of a children file; stores at most max and returns the
 * number found (which may exceed max), or -EINVAL. */
int soak_proc_parse_children(const char *buf, pid_t *pids, size_t max);

/* Sum over the tree rooted at the worker. */
typedef struct {
	uint64_t rss_kb, anon_kb;    /* statm resident, resident - shared */
	uint64_t file_kb;            /* statm shared: RssFile + RssShmem */
	uint64_t minflt, majflt;     /* own + reaped children's, over live members */
	uint64_t utime, stime;       /* ticks, same scope */
	unsigned nprocs;             /* live (non-zombie) processes */
	unsigned nthreads;           /* threads of the live processes */
	bool root_zombie;            /* root exited, not reaped: gauges meaningless */
	bool mem_ok;                 /* every live member's statm parsed */
	bool complete;               /* no member lost to a full table or a read error */
} soak_ptree_sum_t;

typedef struct soak_ptree soak_ptree_t;

/* Also read memory: /proc/PID/statm on every walk (VmRSS, RssAnon and
 * RssFile+RssShmem exactly, from the same counters as status, at half its
 * cost), and keep status open for soak_ptree_swap(). */
#define SOAK_PTREE_MEM 1u
/* Leave the root's own numbers out: its descendants only (live ones, plus the
 * reaped ones through the root's c* fields). For exec --repeat, whose root is
 * the driver: RSS is the running step's, faults and CPU the steps'. */
#define SOAK_PTREE_EXCLUDE_ROOT 2u

/* -ESRCH when root does not exist. */
int soak_ptree_open(soak_ptree_t **ret, pid_t root, unsigned flags);
/* Walks the tree. -ESRCH once the root is gone (reaped); then nothing is valid. */
int soak_ptree_sample(soak_ptree_t *t, soak_ptree_sum_t *ret);
/* VmSwap summed over the live members the last walk counted (SOAK_PTREE_MEM;
 * /proc/PID/status, the only per-process source of it). 0, or a negative errno
 * when one could not be read: then the sum is not measured. */
int soak_ptree_swap(soak_ptree_t *t, uint64_t *swap_kb);
void soak_ptree_close(soak_ptree_t *t);
/* Whether the tree was opened with SOAK_PTREE_EXCLUDE_ROOT. */
bool soak_ptree_excludes_root(const soak_ptree_t *t);

#endif
