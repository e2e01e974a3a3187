/* support.c - helpers every workload shares: failure reporting, interruptible
 * sleep, metadata memory outside the allocator under test, page touching. */
#include "workload.h"

#include <errno.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <unistd.h>

int soak_wl_stop_flag;
void (*soak_wl_live_check)(soak_wl_thread_t *t); /* set by livecheck.c in tests */

static int msg_claimed;
static char msg_buf[sizeof(((soak_shm_t *)0)->message)];

void soak_wl_thread_init(soak_wl_thread_t *t, soak_wl_ctx_t *ctx, unsigned tid)
{
	memset(t, 0, sizeof(*t));
	t->ctx = ctx;
	t->tid = tid;
	t->thr = &ctx->shm->thr[tid];
	t->usable_size = ctx->usable_size;
	uint64_t every = ctx->latency_every;
	if (every && ctx->wl->lat_every_max && every > ctx->wl->lat_every_max)
		every = ctx->wl->lat_every_max;
	t->lat_every = every ? every : UINT64_MAX;
	t->lat_rng = (uint32_t)soak_wl_mix(0x1a7e9c0dULL + tid) | 1;
	t->lat_left = soak_wl_next_gap(t);
}

static void vrecord(soak_wl_ctx_t *ctx, const char *fmt, va_list ap)
{
	if (__atomic_exchange_n(&msg_claimed, 1, __ATOMIC_ACQ_REL))
		return; /* the first failure is the one worth reading */
	vsnprintf(msg_buf, sizeof(msg_buf), fmt, ap);
	if (ctx && ctx->shm)
		memcpy(ctx->shm->message, msg_buf, sizeof(msg_buf));
	__atomic_store_n(&soak_wl_stop_flag, 1, __ATOMIC_RELAXED);
}

int soak_wl_fail(soak_wl_ctx_t *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vrecord(ctx, fmt, ap);
	va_end(ap);
	return SOAK_WORKER_EXIT_VERIFY;
}

int soak_wl_error(soak_wl_ctx_t *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vrecord(ctx, fmt, ap);
	va_end(ap);
	return SOAK_WORKER_EXIT_SETUP;
}

const char *soak_wl_message(void)
{
	return __atomic_load_n(&msg_claimed, __ATOMIC_ACQUIRE) ? msg_buf : "";
}

int soak_wl_fail_block(soak_wl_thread_t *t, const void *p, size_t size, size_t off, const char *what)
{
	const unsigned char *c = p;
	return soak_wl_fail(t->ctx, "%s: verify failed on thread %u: %s block of %zu bytes at %p: "
			    "byte at offset %zu is 0x%02x, pattern differs",
			    t->ctx->wl->name, t->tid, what, size, p, off, c[off]);
}

int soak_wl_nomem(soak_wl_thread_t *t, size_t size)
{
	return soak_wl_error(t->ctx, "%s: malloc(%zu) returned NULL on thread %u",
			     t->ctx->wl->name, size, t->tid);
}

bool soak_wl_sleep_ns(soak_wl_thread_t *t, uint64_t ns)
{
	/* Small steps so a stop request is seen within ~10 ms. */
	uint64_t end = soak_clock_mono_ns() + ns;
	for (;;) {
		soak_wl_publish(t);
		if (soak_wl_stop_requested(t->ctx))
			return true;
		uint64_t now = soak_clock_mono_ns();
		if (now >= end)
			return false;
		uint64_t step = end - now;
		if (step > 10 * 1000 * 1000)
			step = 10 * 1000 * 1000;
		struct timespec ts = { (time_t)(step / 1000000000u), (long)(step % 1000000000u) };
		nanosleep(&ts, NULL);
	}
}

size_t soak_wl_page_size(void)
{
	static size_t ps;
	if (!ps)
		ps = (size_t)sysconf(_SC_PAGESIZE);
	return ps;
}

void *soak_wl_meta_alloc(size_t size)
{
	if (!size)
		size = 1;
	/* NORESERVE: tables sized for the worst case cost only the pages used. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void soak_wl_meta_free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}

#define PAGE_WORD_OFF SOAK_WL_PAGE_WORD_OFF

size_t soak_wl_touch_pages(void *p, size_t size, uint64_t pat)
{
	size_t ps = soak_wl_page_size(), n = 0;
	unsigned char *c = p;
	if (size < 16 + PAGE_WORD_OFF + 8)
		return 0;
	for (size_t off = 0, k = 0; off + PAGE_WORD_OFF + 8 <= size - 8; off += ps, k++, n++) {
		uint64_t w = soak_wl_page_word(pat, k);
		memcpy(c + off + PAGE_WORD_OFF, &w, 8);
	}
	return n;
}

size_t soak_wl_check_pages(const void *p, size_t size, uint64_t pat)
{
	size_t ps = soak_wl_page_size();
	const unsigned char *c = p;
	if (size < 16 + PAGE_WORD_OFF + 8)
		return SIZE_MAX;
	for (size_t off = 0, k = 0; off + PAGE_WORD_OFF + 8 <= size - 8; off += ps, k++) {
		uint64_t w;
		memcpy(&w, c + off + PAGE_WORD_OFF, 8);
		if (w != soak_wl_page_word(pat, k)) {
			uint64_t want = soak_wl_page_word(pat, k);
			for (size_t i = 0; i < 8; i++)
				if (c[off + PAGE_WORD_OFF + i] != soak_wl_pat_byte(want, i))
					return off + PAGE_WORD_OFF + i;
		}
	}
	return SIZE_MAX;
}
