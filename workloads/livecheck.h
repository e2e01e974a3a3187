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

#endif
