/*
 * shm.h - the contract between the runner (soakctl) and the worker (soak-worker).
 *
 * The runner creates a memfd of sizeof(soak_shm_t), maps it, and passes it to the
 * worker as an inherited file descriptor named by the environment variable
 * SOAK_SHM_FD. The worker maps the same fd and writes its progress there; the
 * runner only reads, except for `stop`, which it sets to ask the worker to finish.
 *
 * Why shared memory: the worker's hot loop must make no system call for
 * bookkeeping. Counters are plain per-thread words that the owning thread stores
 * with relaxed atomics; the runner loads them once per sampling interval.
 */
#ifndef SOAK_SHM_H
#define SOAK_SHM_H

#include <stdint.h>
#include "soak/hist.h"

#define SOAK_SHM_MAGIC      0x314d48534b414f53ULL /* "SOAKSHM1" */
#define SOAK_SHM_VERSION    8
#define SOAK_SHM_FD_ENV     "SOAK_SHM_FD"
#define SOAK_RUNNER_PID_ENV "SOAK_RUNNER_PID"
#define SOAK_MAX_THREADS    64

/* Worker life cycle, written by the worker (release store), read by the runner. */
enum soak_worker_state {
	SOAK_WS_INIT = 0,      /* mapped, parsing options */
	SOAK_WS_READY = 1,     /* allocator identified (malloc_so/free_so valid), about to start */
	SOAK_WS_RUNNING = 2,   /* measured operations under way */
	SOAK_WS_DONE = 3,      /* stopped cleanly after `stop` or its own end */
	SOAK_WS_VERIFY_FAILED = 4, /* a memory pattern check failed: allocator corrupted memory */
	SOAK_WS_ERROR = 5,     /* bad options or setup failure; see message */
};

/* Worker exit codes (beyond 0 = ok) so the runner can classify without the shm. */
#define SOAK_WORKER_EXIT_USAGE   2
#define SOAK_WORKER_EXIT_VERIFY  3
#define SOAK_WORKER_EXIT_NOSWAP  4  /* workload refused: needs swap and none is configured */
#define SOAK_WORKER_EXIT_SETUP   5  /* other setup failure (message in shm) */

/* One completed step of `exec --repeat` (the worker runs an external command
 * back to back). The ring holds the last SOAK_MAX_STEPS steps; step k lives in
 * steps[(k - 1) % SOAK_MAX_STEPS] and its seq is stored last (release), so a
 * reader that sees seq == k sees the whole record. 4096 steps (224 KiB): a
 * step can end every 0.5 ms, and under ASan a flush of thousands of queued
 * steps held the runner's loop long enough for 256 to overflow. */
#define SOAK_MAX_STEPS 4096
typedef struct {
	uint64_t seq;                /* step number from 1; 0 = empty */
	double end_mono_s;           /* CLOCK_MONOTONIC at the step's end (system-wide clock) */
	double wall_s;               /* exec to exit */
	int32_t exit_code;           /* -1 when killed by a signal */
	int32_t signal;              /* 0 unless killed */
	uint64_t maxrss_bytes;       /* the step's own ru_maxrss; 0 when not above the
	                              * driver's VmHWM (then not the step's: docs/metrics.md) */
	double throughput;           /* parsed from its output; NAN when absent */
	int32_t alloc_seen;          /* the injected library in the step's maps at the
	                              * driver's last look: 1 yes, 0 no (it ran without
	                              * it), -1 never looked (exited first, or no library) */
	int32_t _pad;
} soak_shm_step_t;

/* Self-reported counters of exec --repeat steps ([TAG] key=value lines each
 * step printed on stdout or stderr), folded by the driver after every step:
 * within a step the last value of a key counts; across steps sum, last, min
 * and max over the steps that printed it. The runner reads the table after
 * the driver has exited (no concurrent writer). */
#define SOAK_SHM_SR_MAX 256
#define SOAK_SHM_SR_NAME 64
typedef struct {
	char tag[SOAK_SHM_SR_NAME];
	char key[SOAK_SHM_SR_NAME];
	double sum, last, min, max;
	uint64_t nsteps;             /* steps that printed it */
} soak_shm_sr_t;

/* The allocator's own statistics, read by the worker at the slow cadence
 * (workloads/allocstats.c) and sampled by probes/probe-alloc.c. */
enum soak_astat {
	SOAK_ASTAT_ALLOCATED = 0,   /* bytes in blocks handed out */
	SOAK_ASTAT_ACTIVE,          /* pages holding live blocks */
	SOAK_ASTAT_RESIDENT,        /* the allocator's resident estimate */
	SOAK_ASTAT_MAPPED,          /* obtained from the OS and mapped (mimalloc: committed) */
	SOAK_ASTAT_RETAINED,        /* kept as address space, returned to the OS */
	SOAK_ASTAT_FREE,            /* free bytes held in the allocator's heap */
	SOAK_ASTAT__N
};

/* Which statistics interface the worker queries, chosen by the runner before
 * the worker starts (declared with `stats =` in soak.ini, else found from the
 * library's exports). Names as written in soak.ini: soak_astats_kind_names. */
enum soak_astats_kind {
	SOAK_ASTATS_NONE = 0,       /* none known: every figure NULL, why[] says so */
	SOAK_ASTATS_GLIBC,          /* mallinfo2() */
	SOAK_ASTATS_JEMALLOC,       /* mallctl("stats.*") after an "epoch" refresh */
	SOAK_ASTATS_TCMALLOC,       /* MallocExtension_GetNumericProperty() */
	SOAK_ASTATS_MIMALLOC,       /* mi_process_info() */
	SOAK_ASTATS__N
};

static const char *const soak_astats_kind_names[SOAK_ASTATS__N] = {
	[SOAK_ASTATS_NONE] = "none",         [SOAK_ASTATS_GLIBC] = "glibc",
	[SOAK_ASTATS_JEMALLOC] = "jemalloc", [SOAK_ASTATS_TCMALLOC] = "tcmalloc",
	[SOAK_ASTATS_MIMALLOC] = "mimalloc",
};

/* The worker writes a set of figures under a sequence lock: seq is odd while it
 * writes; a reader that sees the same even seq before and after copying has a
 * consistent set (every word is accessed with relaxed atomics, ordered by
 * fences). */
typedef struct {
	uint32_t kind;               /* enum soak_astats_kind: set by the runner */
	uint32_t period_ms;          /* query period (runner; 0 = queries off) */
	uint64_t seq;
	uint64_t reads;              /* completed queries */
	uint64_t have;               /* bit i: val[i] was read */
	uint64_t val[SOAK_ASTAT__N];
	double read_ns;              /* the last query's duration (CLOCK_MONOTONIC) */
	char why[256];               /* kind NONE (runner) or the worker could not
	                              * query it (worker, before RUNNING): why */
} soak_shm_astats_t;

/* One per worker thread, cache-line aligned so threads never share a line. */
typedef struct {
	_Alignas(64) uint64_t ops;   /* completed operations (relaxed store by owner) */
	uint64_t bytes_live;         /* bytes requested and not yet freed (docs/workloads.md) */
	uint64_t bytes_usable;       /* malloc_usable_size() of those blocks, when counted */
	uint32_t active;             /* 1 while the thread runs */
	uint32_t _pad;
	soak_hist_t lat;             /* per-op latency in ns, sampled 1 in latency_every */
} soak_shm_thread_t;

typedef struct {
	uint64_t magic;              /* SOAK_SHM_MAGIC, set by the runner */
	uint32_t version;            /* SOAK_SHM_VERSION, set by the runner */
	uint32_t nthreads;           /* threads in use (set by the worker before READY) */
	int32_t stop;                /* runner sets 1: finish the current op and exit 0 */
	int32_t state;               /* enum soak_worker_state */
	uint32_t latency_every;      /* 1 in N ops is timed (0 = timing off) */
	int32_t stop_signal;         /* worker: the first SIGTERM/SIGINT it got (0: none) */
	char malloc_so[256];         /* dladdr() path of the object providing malloc */
	char free_so[256];           /* same for free */
	char message[256];           /* human text for ERROR / VERIFY_FAILED */
	char not_rate[160];          /* the workload's ops/s is no throughput: why (else empty) */
	uint32_t usable_on;          /* runner sets 1: count bytes_usable (a call per alloc/free);
	                              * the worker clears it when the allocator has no
	                              * malloc_usable_size of its own */
	int32_t stop_sender;         /* worker: si_pid of stop_signal (0: the kernel or unknown) */
	char usable_why[160];        /* runner: why bytes_usable is not counted (else empty) */
	soak_shm_astats_t astats;
	soak_shm_thread_t thr[SOAK_MAX_THREADS];
	uint64_t nsteps;             /* exec --repeat: steps completed (release store) */
	soak_shm_step_t steps[SOAK_MAX_STEPS];
	uint32_t sr_n;               /* entries of sr[] in use */
	uint32_t sr_dropped;         /* TAG.key pairs that did not fit */
	soak_shm_sr_t sr[SOAK_SHM_SR_MAX];
	/* The first measured operation (built-in workloads): just before it the
	 * worker moves first_op from NONE to WAITING and waits, at most
	 * SOAK_FIRST_OP_WAIT_S, until the runner has read the syscall counters
	 * and set MARKED. Counts "from the first operation" then leave out the
	 * loader, libc, this mapping and the workload's set-up. A runner that
	 * stops waiting first sets SKIPPED (0 -> 3), and the worker does not wait. */
	int32_t first_op;
	int32_t _pad3;
	/* How nthreads was chosen ("--threads 4", or the default from the
	 * cgroup's CPUs and how they were found); "" for a workload without
	 * a threads option. Written by the worker before READY. */
	char threads_how[200];
} soak_shm_t;

enum { SOAK_FIRST_OP_NONE = 0, SOAK_FIRST_OP_WAITING = 1, SOAK_FIRST_OP_MARKED = 2, SOAK_FIRST_OP_SKIPPED = 3 };
#define SOAK_FIRST_OP_WAIT_S 5

#endif
