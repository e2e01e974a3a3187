/* trace.c - the allocation trace format (soak/trace.h): encoding for the
 * recorder, and a streaming reader that trusts nothing it reads. */
#include "soak/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_createDCtx_advanced: the reader's memory hooks */
#include <zstd.h>

static const char *const kind_names[SOAK_EV_KINDS] = {
	[SOAK_EV_MALLOC] = "malloc", [SOAK_EV_CALLOC] = "calloc", [SOAK_EV_REALLOC] = "realloc",
	[SOAK_EV_REALLOCARRAY] = "reallocarray", [SOAK_EV_FREE] = "free",
	[SOAK_EV_POSIX_MEMALIGN] = "posix_memalign", [SOAK_EV_ALIGNED_ALLOC] = "aligned_alloc",
	[SOAK_EV_MEMALIGN] = "memalign", [SOAK_EV_VALLOC] = "valloc", [SOAK_EV_PVALLOC] = "pvalloc",
	[SOAK_EV_THREAD_START] = "thread_start", [SOAK_EV_THREAD_EXIT] = "thread_exit",
};

const char *soak_trace_kind_name(unsigned kind)
{
	return kind > 0 && kind < SOAK_EV_KINDS ? kind_names[kind] : "?";
}

bool soak_trace_kind_allocates(unsigned kind)
{
	return kind >= SOAK_EV_MALLOC && kind <= SOAK_EV_PVALLOC && kind != SOAK_EV_FREE;
}

static bool kind_aligned(unsigned k)
{
	return k == SOAK_EV_POSIX_MEMALIGN || k == SOAK_EV_ALIGNED_ALLOC || k == SOAK_EV_MEMALIGN;
}

static bool kind_reallocs(unsigned k)
{
	return k == SOAK_EV_REALLOC || k == SOAK_EV_REALLOCARRAY;
}

/* ---- little-endian fields and varints ---- */

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static size_t put_var(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* 0 on success; -1 when the varint runs past end or past 64 bits. */
static inline int get_var(const uint8_t **pp, const uint8_t *end, uint64_t *ret)
{
	/* One byte: most time deltas and id deltas of a busy thread. */
	const uint8_t *p = *pp;
	if (__builtin_expect(p < end && !(p[0] & 0x80), 1)) {
		*ret = p[0];
		*pp = p + 1;
		return 0;
	}
	/* Two bytes: most sizes and the time deltas of a thread that waited. */
	if (end - p >= 2 && !(p[1] & 0x80)) {
		*ret = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		*pp = p + 2;
		return 0;
	}
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pp >= end)
			return -1;
		uint8_t b = *(*pp)++;
		if (shift == 63 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -1;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* ---- writing ---- */

static size_t put_str(uint8_t *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	p[0] = (uint8_t)n;
	p[1] = (uint8_t)(n >> 8);
	memcpy(p + 2, s, n);
	return 2 + n;
}

size_t soak_trace_hdr_encode(const soak_trace_hdr_t *h, uint8_t *buf)
{
	memcpy(buf, SOAK_TRACE_MAGIC, 8);
	put32(buf + 8, SOAK_TRACE_VERSION);
	size_t n = 16;
	put64(buf + n, h->start_realtime_ns);
	n += 8;
	n += put_str(buf + n, h->cmdline, sizeof(h->cmdline) - 1);
	n += put_str(buf + n, h->host, sizeof(h->host) - 1);
	n += put_str(buf + n, h->allocator, sizeof(h->allocator) - 1);
	n += put_str(buf + n, h->clock, sizeof(h->clock) - 1);
	put32(buf + 12, (uint32_t)(n - 16));
	return n;
}

void soak_trace_chunk_reset(soak_trace_chunk_t *c, uint32_t stream)
{
	c->stream = stream;
	c->n = 0;
	c->len = 0;
	c->base_ns = c->last_ns = c->last_id = 0;
}

static size_t put_id(soak_trace_chunk_t *c, uint8_t *p, uint64_t id)
{
	size_t n = put_var(p, zigzag((int64_t)(id - c->last_id)));
	c->last_id = id;
	return n;
}

bool soak_trace_chunk_add(soak_trace_chunk_t *c, const soak_trace_ev_t *ev)
{
	if (c->len + SOAK_TRACE_EVENT_MAX > sizeof(c->raw))
		return false;
	if (c->n == 0)
		c->base_ns = c->last_ns = ev->ts_ns;
	uint8_t *p = c->raw + c->len;
	size_t n = 0;
	p[n++] = ev->kind;
	/* A clock that went backwards (it cannot, but the file must stay valid) counts as 0. */
	n += put_var(p + n, ev->ts_ns > c->last_ns ? ev->ts_ns - c->last_ns : 0);
	if (ev->ts_ns > c->last_ns)
		c->last_ns = ev->ts_ns;
	if (kind_reallocs(ev->kind))
		n += put_id(c, p + n, ev->old_id);
	n += put_id(c, p + n, ev->id);
	if (ev->kind != SOAK_EV_FREE && ev->kind != SOAK_EV_THREAD_EXIT)
		n += put_var(p + n, ev->size);
	if (kind_aligned(ev->kind))
		p[n++] = ev->align_log2;
	c->len += n;
	c->n++;
	return true;
}

size_t soak_trace_chunk_bound(void)
{
	return SOAK_TRACE_CHUNK_HDR + ZSTD_COMPRESSBOUND(SOAK_TRACE_CHUNK_MAX);
}

size_t soak_trace_chunk_encode(const soak_trace_chunk_t *c, void *cctx, uint8_t *out, size_t outlen,
			       int level)
{
	if (outlen < SOAK_TRACE_CHUNK_HDR)
		return 0;
	ZSTD_CCtx *cx = cctx ? cctx : ZSTD_createCCtx();
	if (!cx)
		return 0;
	ZSTD_CCtx_reset(cx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cx, ZSTD_c_checksumFlag, 1);
	size_t z = ZSTD_compress2(cx, out + SOAK_TRACE_CHUNK_HDR, outlen - SOAK_TRACE_CHUNK_HDR, c->raw, c->len);
	if (!cctx)
		ZSTD_freeCCtx(cx);
	if (ZSTD_isError(z))
		return 0;
	memcpy(out, "CHNK", 4);
	put32(out + 4, c->stream);
	put32(out + 8, (uint32_t)z);
	put32(out + 12, (uint32_t)c->len);
	put32(out + 16, c->n);
	put64(out + 20, c->base_ns);
	return SOAK_TRACE_CHUNK_HDR + z;
}

void soak_trace_end_encode(uint64_t total_events, uint32_t signal, uint8_t *buf)
{
	memcpy(buf, "TEND", 4);
	put32(buf + 4, signal);
	put64(buf + 8, total_events);
}

/* ---- reading ---- */

/* The reader's memory: malloc by default; the replay workload passes mmap
 * hooks so the allocator under test serves only the replayed blocks. A
 * block carries its size in front (zstd's free hook is given no size). */
static void *sys_alloc(size_t n)
{
	return malloc(n);
}

static void sys_release(void *p, size_t n)
{
	(void)n;
	free(p);
}

static const soak_trace_mem_t sys_mem = { sys_alloc, sys_release };

static void *m_alloc(const soak_trace_mem_t *m, size_t n)
{
	if (n > SIZE_MAX - 16)
		return NULL;
	uint8_t *p = m->alloc(n + 16);
	if (!p)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + 16;
}

static void m_free(const soak_trace_mem_t *m, void *q)
{
	if (!q)
		return;
	size_t n;
	uint8_t *p = (uint8_t *)q - 16;
	memcpy(&n, p, sizeof(n));
	m->release(p, n + 16);
}

static void *z_alloc(void *opaque, size_t n)
{
	return m_alloc(opaque, n);
}

static void z_free(void *opaque, void *p)
{
	m_free(opaque, p);
}

struct soak_trace_reader {
	int fd;                     /* or -1: mem/memlen */
	soak_trace_mem_t mem_fn;    /* where the reader's own memory comes from */
	const uint8_t *mem;
	size_t memlen;
	char name[256];
	uint64_t pos;               /* offset of the next unread byte */
	uint64_t chunk_at;          /* offset of the chunk being decoded */
	uint64_t first_chunk;       /* offset of the first chunk */
	soak_trace_hdr_t hdr;
	bool ended, cut, one_stream, skim;
	uint32_t stream_only, streams;
	uint64_t events, total_end;
	uint32_t end_signal;        /* the end record's signal (0: an exit) */
	/* the chunk being decoded */
	uint8_t *raw, *comp;
	size_t raw_cap, comp_cap;
	const uint8_t *p, *end;
	uint32_t left, stream, chunk_n;
	uint64_t last_ns, last_id;
	ZSTD_DCtx *dctx;
};

__attribute__((format(printf, 4, 5)))
static int fail(soak_trace_reader_t *r, char *err, size_t errlen, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s: offset %" PRIu64 ": %s", r->name, r->pos, why);
	return -EINVAL;
}

/* Reads exactly n bytes at r->pos: n, or fewer at the end of the file. */
static size_t rd(soak_trace_reader_t *r, void *buf, size_t n)
{
	size_t got;
	if (r->fd >= 0) {
		got = 0;
		while (got < n) {
			ssize_t k = pread(r->fd, (uint8_t *)buf + got, n - got, (off_t)(r->pos + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
	} else {
		got = r->pos >= r->memlen ? 0 : r->memlen - r->pos < n ? r->memlen - r->pos : n;
		memcpy(buf, r->mem + r->pos, got);
	}
	return got;
}

static int get_str(soak_trace_reader_t *r, const uint8_t **pp, const uint8_t *end, char *dst,
		   size_t dstlen, const char *what, char *err, size_t errlen)
{
	if (end - *pp < 2)
		return fail(r, err, errlen, "header truncated in the %s", what);
	size_t n = (size_t)(*pp)[0] | (size_t)(*pp)[1] << 8;
	*pp += 2;
	if ((size_t)(end - *pp) < n)
		return fail(r, err, errlen, "header truncated in the %s (%zu bytes announced)", what, n);
	if (n >= dstlen)
		return fail(r, err, errlen, "%s of %zu bytes (at most %zu)", what, n, dstlen - 1);
	if (memchr(*pp, '\0', n))
		return fail(r, err, errlen, "%s holds a NUL byte", what);
	memcpy(dst, *pp, n);
	dst[n] = '\0';
	*pp += n;
	return 0;
}

static int read_header(soak_trace_reader_t *r, char *err, size_t errlen)
{
	uint8_t fixed[16];
	size_t got = rd(r, fixed, sizeof(fixed));
	if (got >= 8 && memcmp(fixed, SOAK_TRACE_MAGIC, 8) != 0)
		return fail(r, err, errlen, "not a soak trace (bad magic)");
	if (got < sizeof(fixed))
		return fail(r, err, errlen, "header truncated (%zu of 16 bytes)", got);
	r->hdr.version = get32(fixed + 8);
	if (r->hdr.version != SOAK_TRACE_VERSION)
		return fail(r, err, errlen, "format version %" PRIu32 " (this soakctl reads version %d)",
			    r->hdr.version, SOAK_TRACE_VERSION);
	uint32_t len = get32(fixed + 12);
	if (len < 16 || len > SOAK_TRACE_HDR_MAX)
		return fail(r, err, errlen, "header length %" PRIu32 " (16 to %d)", len, SOAK_TRACE_HDR_MAX);
	uint8_t *h = m_alloc(&r->mem_fn, len);
	if (!h)
		return -ENOMEM;
	r->pos = 16;
	got = rd(r, h, len);
	int ret = 0;
	const uint8_t *p = h, *end = h + len;
	if (got < len)
		ret = fail(r, err, errlen, "header truncated (%zu of %" PRIu32 " bytes)", got, len);
	if (!ret) {
		r->hdr.start_realtime_ns = get64(p);
		p += 8;
	}
	if (!ret)
		ret = get_str(r, &p, end, r->hdr.cmdline, sizeof(r->hdr.cmdline), "command line", err, errlen);
	if (!ret)
		ret = get_str(r, &p, end, r->hdr.host, sizeof(r->hdr.host), "host", err, errlen);
	if (!ret)
		ret = get_str(r, &p, end, r->hdr.allocator, sizeof(r->hdr.allocator), "allocator", err, errlen);
	if (!ret)
		ret = get_str(r, &p, end, r->hdr.clock, sizeof(r->hdr.clock), "clock", err, errlen);
	if (!ret && p != end)
		ret = fail(r, err, errlen, "header has %zu bytes past its last field", (size_t)(end - p));
	m_free(&r->mem_fn, h);
	if (!ret)
		r->pos = r->first_chunk = 16 + (uint64_t)len;
	return ret;
}

static int open_common(soak_trace_reader_t *r, soak_trace_reader_t **ret, char *err, size_t errlen)
{
	ZSTD_customMem cm = { z_alloc, z_free, &r->mem_fn };
	r->dctx = ZSTD_createDCtx_advanced(cm);
	int e = r->dctx ? read_header(r, err, errlen) : -ENOMEM;
	if (e < 0) {
		if (e == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", r->name);
		soak_trace_close(r);
		return e;
	}
	*ret = r;
	return 0;
}

static soak_trace_reader_t *new_reader(const soak_trace_mem_t *mem)
{
	mem = mem ? mem : &sys_mem;
	soak_trace_reader_t *r = m_alloc(mem, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->mem_fn = *mem;
	r->fd = -1;
	return r;
}

int soak_trace_open_with(const char *path, const soak_trace_mem_t *mem, soak_trace_reader_t **ret, char *err,
			 size_t errlen)
{
	soak_trace_reader_t *r = new_reader(mem);
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	snprintf(r->name, sizeof(r->name), "%s", path);
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		soak_trace_close(r);
		return -e;
	}
	return open_common(r, ret, err, errlen);
}

int soak_trace_open(const char *path, soak_trace_reader_t **ret, char *err, size_t errlen)
{
	return soak_trace_open_with(path, NULL, ret, err, errlen);
}

int soak_trace_open_mem(const void *data, size_t len, soak_trace_reader_t **ret, char *err, size_t errlen)
{
	soak_trace_reader_t *r = new_reader(NULL);
	if (!r) {
		snprintf(err, errlen, "trace: out of memory");
		return -ENOMEM;
	}
	snprintf(r->name, sizeof(r->name), "trace");
	r->mem = data;
	r->memlen = len;
	return open_common(r, ret, err, errlen);
}

static int grow(soak_trace_reader_t *r, uint8_t **buf, size_t *cap, size_t need)
{
	if (*cap >= need)
		return 0;
	uint8_t *n = m_alloc(&r->mem_fn, need);   /* contents need not survive */
	if (!n)
		return -ENOMEM;
	m_free(&r->mem_fn, *buf);
	*buf = n;
	*cap = need;
	return 0;
}

/* Reads the next chunk of interest into r->raw. 1: a chunk; 0: the end. */
static int load_chunk(soak_trace_reader_t *r, char *err, size_t errlen)
{
	for (;;) {
		uint8_t h[SOAK_TRACE_CHUNK_HDR];
		size_t got = rd(r, h, sizeof(h));
		if (got == 0) {
			r->cut = true;
			return 0;
		}
		if (got >= SOAK_TRACE_END_LEN && !memcmp(h, "TEND", 4)) {
			uint64_t total = get64(h + 8);
			if (got != SOAK_TRACE_END_LEN)
				return fail(r, err, errlen, "bytes after the end record");
			if (get32(h + 4) > SOAK_TRACE_SIGNAL_MAX)
				return fail(r, err, errlen, "end record names signal %" PRIu32 " (at most %d)", get32(h + 4),
					    SOAK_TRACE_SIGNAL_MAX);
			r->end_signal = get32(h + 4);
			if (!r->one_stream && total != r->events)
				return fail(r, err, errlen, "end record counts %" PRIu64 " events, the chunks hold %" PRIu64,
					    total, r->events);
			r->ended = true;
			r->total_end = total;
			return 0;
		}
		if (got < sizeof(h)) {
			/* A chunk header or end record cut by a kill: the trace ends at
			 * its last whole chunk. */
			size_t m = got < 4 ? got : 4;
			if (memcmp(h, "CHNK", m) != 0 && memcmp(h, "TEND", m) != 0)
				return fail(r, err, errlen, "not a chunk (bad chunk magic)");
			r->cut = true;
			return 0;
		}
		if (memcmp(h, "CHNK", 4) != 0)
			return fail(r, err, errlen, "not a chunk (bad chunk magic)");
		uint32_t stream = get32(h + 4), clen = get32(h + 8), rlen = get32(h + 12), n = get32(h + 16);
		if (stream >= SOAK_TRACE_STREAMS_MAX)
			return fail(r, err, errlen, "stream %" PRIu32 " (at most %d streams)", stream,
				    SOAK_TRACE_STREAMS_MAX);
		if (rlen > SOAK_TRACE_CHUNK_MAX || clen > ZSTD_COMPRESSBOUND(SOAK_TRACE_CHUNK_MAX) || clen == 0)
			return fail(r, err, errlen, "bad chunk length (%" PRIu32 " compressed, %" PRIu32 " raw)",
				    clen, rlen);
		if (n == 0 || n > rlen)
			return fail(r, err, errlen, "chunk of %" PRIu32 " raw bytes claims %" PRIu32 " events", rlen, n);
		if (stream + 1 > r->streams)
			r->streams = stream + 1;
		if (r->skim) {
			/* Headers only: a chunk counts when its body is all in the file. */
			uint8_t last;
			uint64_t at = r->pos;
			r->pos += sizeof(h) + clen - 1;
			if (rd(r, &last, 1) < 1) {
				r->pos = at;
				r->cut = true;
				return 0;
			}
			r->pos += 1;
			r->chunk_at = at;
			r->events += n;
			continue;
		}
		if (r->one_stream && stream != r->stream_only) {
			r->pos += sizeof(h) + clen;
			continue;
		}
		if (grow(r, &r->comp, &r->comp_cap, clen) < 0 || grow(r, &r->raw, &r->raw_cap, rlen ? rlen : 1) < 0) {
			snprintf(err, errlen, "%s: out of memory", r->name);
			return -ENOMEM;
		}
		uint64_t at = r->pos;
		r->pos += sizeof(h);
		if (rd(r, r->comp, clen) < clen) {
			r->pos = at;
			r->cut = true;
			return 0;
		}
		size_t z = ZSTD_decompressDCtx(r->dctx, r->raw, rlen, r->comp, clen);
		if (ZSTD_isError(z) || z != rlen) {
			r->pos = at;
			return fail(r, err, errlen, "chunk does not decompress to its %" PRIu32 " bytes (%s)", rlen,
				    ZSTD_isError(z) ? ZSTD_getErrorName(z) : "wrong length");
		}
		r->pos += clen;
		r->chunk_at = at;
		r->p = r->raw;
		r->end = r->raw + rlen;
		r->left = n;
		r->chunk_n = n;
		r->stream = stream;
		r->last_ns = get64(h + 20);
		r->last_id = 0;
		return 1;
	}
}

/* One object id: a zigzag delta from the last id of the chunk. */
static inline int get_id(const uint8_t **p, const uint8_t *end, uint64_t *last, uint64_t *id)
{
	uint64_t v;
	if (get_var(p, end, &v) < 0)
		return -1;
	*id = *last + (uint64_t)unzigzag(v);
	*last = *id;
	return 0;
}

/* The cursor lives in locals: stores of the event's bytes may alias the
 * reader (uint8_t), which would reload r->p after each one. */
static __attribute__((noinline)) int decode(soak_trace_reader_t *r, soak_trace_ev_t *ev, char *err, size_t errlen)
{
	const uint8_t *p = r->p, *end = r->end;
	uint64_t last_id = r->last_id, dt = 0, id = 0, old_id = 0, size = 0;
	unsigned kind = 0, align = 0;
	const char *bad = NULL;
	if (p >= end) {
		bad = "chunk ends before its last event";
	} else {
		kind = *p++;
		if (kind == 0 || kind >= SOAK_EV_KINDS)
			bad = "unknown event kind";
	}
	if (!bad && get_var(&p, end, &dt) < 0)
		bad = "bad time delta";
	if (!bad && dt > UINT64_MAX - r->last_ns)
		bad = "time delta overflows the clock";
	if (!bad && kind_reallocs(kind) && get_id(&p, end, &last_id, &old_id) < 0)
		bad = "bad object id delta";
	if (!bad && get_id(&p, end, &last_id, &id) < 0)
		bad = "bad object id delta";
	if (!bad && kind != SOAK_EV_FREE && kind != SOAK_EV_THREAD_EXIT && get_var(&p, end, &size) < 0)
		bad = "bad size";
	if (!bad && kind_aligned(kind)) {
		if (p >= end || *p > 63)
			bad = "bad alignment";
		else
			align = *p++;
	}
	if (!bad && r->left == 1 && p != end)
		bad = "bytes after the chunk's last event";
	r->p = p;
	r->last_id = last_id;
	if (bad) {
		memset(ev, 0, sizeof(*ev));
		ev->kind = (uint8_t)kind;
		return fail(r, err, errlen, "event %" PRIu64 " (stream %" PRIu32 "): %s", r->events, r->stream, bad);
	}
	r->last_ns += dt;
	*ev = (soak_trace_ev_t){ .kind = (uint8_t)kind, .align_log2 = (uint8_t)align, .stream = r->stream,
				 .ts_ns = r->last_ns, .id = id, .old_id = old_id, .size = size };
	r->left--;
	r->events++;
	return 1;
}

static __attribute__((noinline)) int next_chunk(soak_trace_reader_t *r, soak_trace_ev_t *ev, char *err,
						 size_t errlen)
{
	if (r->ended || r->cut)
		return 0;
	int l = load_chunk(r, err, errlen);
	return l <= 0 ? l : decode(r, ev, err, errlen);
}

/* The common case (an event left in the chunk) is a jump to decode. */
int soak_trace_next(soak_trace_reader_t *r, soak_trace_ev_t *ev, char *err, size_t errlen)
{
	if (__builtin_expect(r->left != 0, 1))
		return decode(r, ev, err, errlen);
	return next_chunk(r, ev, err, errlen);
}

int soak_trace_reject(const soak_trace_reader_t *r, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s: offset %" PRIu64 ": event %" PRIu64 " (stream %" PRIu32 "): %s", r->name,
		 r->chunk_at, r->events ? r->events - 1 : 0, r->stream, why);
	return -EINVAL;
}

bool soak_trace_cut(const soak_trace_reader_t *r)
{
	return r->cut;
}

uint32_t soak_trace_end_signal(const soak_trace_reader_t *r)
{
	return r->end_signal;
}

uint32_t soak_trace_streams(const soak_trace_reader_t *r)
{
	return r->streams;
}

uint64_t soak_trace_events_read(const soak_trace_reader_t *r)
{
	return r->events;
}

uint64_t soak_trace_bytes_read(const soak_trace_reader_t *r)
{
	return r->pos + (r->ended ? SOAK_TRACE_END_LEN : 0);
}

const soak_trace_hdr_t *soak_trace_header(const soak_trace_reader_t *r)
{
	return &r->hdr;
}

int soak_trace_skim(soak_trace_reader_t *r, char *err, size_t errlen)
{
	r->skim = true;
	int e = r->left == 0 && !r->ended && !r->cut ? load_chunk(r, err, errlen) : 0;
	r->skim = false;
	return e < 0 ? e : 0;
}

void soak_trace_only_stream(soak_trace_reader_t *r, uint32_t stream)
{
	r->one_stream = true;
	r->stream_only = stream;
}

int soak_trace_rewind(soak_trace_reader_t *r, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	r->pos = r->first_chunk;
	r->ended = r->cut = false;
	r->end_signal = 0;
	r->left = 0;
	r->events = 0;
	return 0;
}

void soak_trace_mark(const soak_trace_reader_t *r, soak_trace_mark_t *m)
{
	m->chunk_at = r->chunk_at;
	m->index = r->chunk_n - r->left - 1;
	m->events = r->events - 1 - m->index;
}

int soak_trace_seek(soak_trace_reader_t *r, const soak_trace_mark_t *m, char *err, size_t errlen)
{
	soak_trace_rewind(r, err, errlen);
	r->pos = m->chunk_at;
	r->events = m->events;
	int l = load_chunk(r, err, errlen);
	if (l == 0)
		return fail(r, err, errlen, "the chunk is gone: the trace changed since it was read");
	if (l < 0)
		return l;
	if (m->index >= r->left)
		return fail(r, err, errlen, "the chunk holds %" PRIu32 " events, not %" PRIu32 ": the trace changed",
			    r->left, m->index + 1);
	soak_trace_ev_t ev;
	for (uint32_t i = 0; i < m->index; i++)
		if (decode(r, &ev, err, errlen) < 0)
			return -EINVAL;
	return 0;
}

void soak_trace_close(soak_trace_reader_t *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	soak_trace_mem_t m = r->mem_fn;
	m_free(&m, r->raw);
	m_free(&m, r->comp);
	m_free(&m, r);
}
