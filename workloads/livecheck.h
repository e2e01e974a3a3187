/*
 * livecheck.h - the worker's test hook for exact live bytes (livecheck.c).
 */
#ifndef SOAK_LIVECHECK_H
#define SOAK_LIVECHECK_H

#include "workload.h"

/* With SOAK_TEST_LIVE_CHECK set: find the counting library's functions (an
 * error when it is not preloaded) and, for one thread, hook every tick.
 * 0, or a SOAK_WORKER_EXIT_* code after soak_wl_error(). */
int soak_wl_live_check_init(soak_wl_ctx_t *ctx);
/* Count (on) or stop counting the calling thread's allocations. */
void soak_wl_live_thread(bool on);
/* Compare the sum over the threads' published counts with the library's,
 * naming the moment (`when`) on stderr. 0, or an exit code after soak_wl_error(). */
int soak_wl_live_check_total(soak_wl_ctx_t *ctx, const char *when);

/* Compare the workload's count of frees made by a thread other than the
 * allocating one (every block, settled: call after the last free, e.g. at the
 * end of teardown) with the library's, printing both (and the library's
 * count of all frees of counted blocks) on stderr. 0 when the
 * check is off, or an exit code after soak_wl_error(). */
int soak_wl_live_check_remote(soak_wl_ctx_t *ctx, uint64_t remote_frees);

#endif
