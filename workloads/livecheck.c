/*
 * livecheck.c - the test hook that holds bytes_live (and bytes_usable) to
 * ground truth. With SOAK_TEST_LIVE_CHECK set, the worker expects the tests'
 * counting library (tests/helpers/libcountalloc.c, preloaded) which sums the
 * requested sizes of the blocks the workload threads allocated and have not
 * freed. The worker then compares the library's sum with its own count:
 *  - at every tick of a single-threaded workload (nothing is in flight there);
 *  - at stop, after every thread returned (remote_free: blocks still in its
 *    rings), and after teardown, for any number of threads.
 * A difference ends the run as a setup error naming both numbers. Without
 * the variable nothing here runs: soak_wl_live_check stays NULL, one
 * predicted branch per tick.
 */
#include "livecheck.h"

#include <dlfcn.h>
#include <inttypes.h>
#include <stdlib.h>

static uint64_t (*lc_live)(void);
static uint64_t (*lc_usable)(void);
static void (*lc_thread)(int on);
static uint64_t (*lc_remote)(void);
static uint64_t (*lc_frees)(void);
static uint64_t lc_ticks; /* comparisons made at ticks (one thread: no race) */
static bool lc_failed;

static void lc_tick(soak_wl_thread_t *t)
{
	uint64_t want = lc_live(), wantu = lc_usable();
	lc_ticks++;
	if (lc_failed)
		return;
	lc_failed = t->bytes_live != want || (t->usable_size && t->bytes_usable != wantu);
	if (t->bytes_live != want)
		soak_wl_error(t->ctx, "live check at tick %" PRIu64 ": %s counts %" PRIu64
			      " bytes live, the counting library %" PRIu64,
			      lc_ticks, t->ctx->wl->name, t->bytes_live, want);
	else if (t->usable_size && t->bytes_usable != wantu)
		soak_wl_error(t->ctx, "live check at tick %" PRIu64 ": %s counts %" PRIu64
			      " usable bytes, the counting library %" PRIu64,
			      lc_ticks, t->ctx->wl->name, t->bytes_usable, wantu);
}

int soak_wl_live_check_init(soak_wl_ctx_t *ctx)
{
	if (!getenv("SOAK_TEST_LIVE_CHECK"))
		return 0;
	lc_live = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "soak_count_live");
	lc_usable = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "soak_count_usable");
	lc_thread = (void (*)(int))dlsym(RTLD_DEFAULT, "soak_count_thread");
	lc_remote = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "soak_count_remote");
	lc_frees = (uint64_t (*)(void))dlsym(RTLD_DEFAULT, "soak_count_frees");
	if (!lc_live || !lc_usable || !lc_thread || !lc_remote || !lc_frees)
		return soak_wl_error(ctx, "SOAK_TEST_LIVE_CHECK is set but the counting library "
				     "(tests/helpers/libcountalloc.so) is not preloaded");
	if (ctx->nthreads == 1)
		soak_wl_live_check = lc_tick;
	return 0;
}

void soak_wl_live_thread(bool on)
{
	if (lc_thread)
		lc_thread(on);
}

int soak_wl_live_check_total(soak_wl_ctx_t *ctx, const char *when)
{
	if (!lc_live)
		return 0;
	uint64_t live = 0, usable = 0;
	for (unsigned i = 0; i < ctx->nthreads; i++) {
		live += __atomic_load_n(&ctx->shm->thr[i].bytes_live, __ATOMIC_RELAXED);
		usable += __atomic_load_n(&ctx->shm->thr[i].bytes_usable, __ATOMIC_RELAXED);
	}
	uint64_t want = lc_live(), wantu = lc_usable();
	fprintf(stderr, "live-check: %s %s: bytes_live %" PRIu64 " counted %" PRIu64
		", bytes_usable %" PRIu64 " counted %" PRIu64 " (%" PRIu64 " tick comparisons)\n",
		ctx->wl->name, when, live, want, usable, wantu, lc_ticks);
	if (lc_failed)
		return SOAK_WORKER_EXIT_SETUP; /* the tick's message stands */
	if (live != want)
		return soak_wl_error(ctx, "live check %s: %s counts %" PRIu64 " bytes live, the counting library %" PRIu64,
				     when, ctx->wl->name, live, want);
	if (ctx->usable_size && usable != wantu)
		return soak_wl_error(ctx, "live check %s: %s counts %" PRIu64 " usable bytes, the counting library %" PRIu64,
				     when, ctx->wl->name, usable, wantu);
	return 0;
}

int soak_wl_live_check_remote(soak_wl_ctx_t *ctx, uint64_t remote_frees)
{
	if (!lc_remote)
		return 0;
	uint64_t want = lc_remote();
	fprintf(stderr, "live-check: %s remote frees %" PRIu64 " counted %" PRIu64 " of %" PRIu64 " frees\n",
		ctx->wl->name, remote_frees, want, lc_frees());
	if (remote_frees != want)
		return soak_wl_error(ctx, "live check: %s counts %" PRIu64 " remote frees, the counting library %" PRIu64,
				     ctx->wl->name, remote_frees, want);
	return 0;
}
