/*
 * trace.h - the allocation trace format: what `soakctl record` writes (through
 * soak-record.so) and what `soakctl trace info` and the replay workload read.
 *
 * File layout (all integers little-endian):
 *
 *   header   "SOAKTRC1" (8 bytes), u32 format version, u32 length L of the rest
 *            (<= SOAK_TRACE_HDR_MAX), then L bytes: u64 start time (CLOCK_REALTIME
 *            ns), then four strings, each u16 length + bytes: command line (words
 *            separated by spaces), host, allocator recorded under, clock name.
 *   chunks   each: "CHNK", u32 stream, u32 compressed length C, u32 raw length R
 *            (<= SOAK_TRACE_CHUNK_MAX), u32 event count N, u64 base time, then C
 *            bytes of one zstd frame (with its checksum) holding R bytes of events.
 *   end      "TEND", u32 signal, u64 total event count: the recorder wrote
 *            everything. signal: 0 when the program exited, else the number of
 *            the fatal signal that ended it (the recorder flushed in its handler).
 *            A file without it was cut (the program was killed, or _exit'ed before
 *            the recorder's last flush): it is readable up to its last whole chunk.
 *
 * A stream is one thread of one process; its chunks appear in order. Each chunk
 * decodes alone: its events carry a kind byte, then LEB128 varints: the time since
 * the previous event of the chunk (the first: since the chunk's base time), then
 * per kind the object ids as zigzag deltas from the previous id of the chunk, the
 * size and (aligned kinds) log2 of the alignment. Object ids are never addresses:
 * each block returned gets a new id (a realloc that moves or not links old to
 * new; an address used again is a new object); id 0 is NULL.
 *
 * The reader trusts nothing: every length and field is bounded, and a corrupt
 * file is refused with one line naming the offset and the reason.
 */
#ifndef SOAK_TRACE_H
#define SOAK_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SOAK_TRACE_MAGIC "SOAKTRC1"
#define SOAK_TRACE_VERSION 1
#define SOAK_TRACE_HDR_MAX 65536
#define SOAK_TRACE_CHUNK_MAX (1u << 20)
#define SOAK_TRACE_CHUNK_HDR 28
#define SOAK_TRACE_END_LEN 16
/* Highest signal number an end record may name. */
#define SOAK_TRACE_SIGNAL_MAX 64
/* Largest encoded event: kind byte + five 10-byte varints. */
#define SOAK_TRACE_EVENT_MAX 51
/* Streams a trace may hold (threads over the whole recording). */
#define SOAK_TRACE_STREAMS_MAX 4096

typedef enum {
	SOAK_EV_MALLOC = 1,
	SOAK_EV_CALLOC,
	SOAK_EV_REALLOC,
	SOAK_EV_REALLOCARRAY,
	SOAK_EV_FREE,
	SOAK_EV_POSIX_MEMALIGN,
	SOAK_EV_ALIGNED_ALLOC,
	SOAK_EV_MEMALIGN,
	SOAK_EV_VALLOC,
	SOAK_EV_PVALLOC,
	SOAK_EV_THREAD_START,   /* id: the process id, size: the thread id */
	SOAK_EV_THREAD_EXIT,
	SOAK_EV_KINDS
} soak_ev_kind_t;

typedef struct {
	uint8_t kind;       /* soak_ev_kind_t */
	uint8_t align_log2; /* aligned kinds: log2 of the alignment; else 0 */
	uint32_t stream;
	uint64_t ts_ns;     /* CLOCK_MONOTONIC */
	uint64_t id;        /* the block returned (0: NULL); free: the block freed */
	uint64_t old_id;    /* realloc, reallocarray: the block passed (0: NULL) */
	uint64_t size;      /* bytes asked for (calloc, reallocarray: the product) */
} soak_trace_ev_t;

const char *soak_trace_kind_name(unsigned kind);
/* True for the kinds that return a new block (all but free and thread events). */
bool soak_trace_kind_allocates(unsigned kind);

typedef struct {
	uint32_t version;
	uint64_t start_realtime_ns;
	char cmdline[4096];
	char host[256];
	char allocator[1024];
	char clock[64];
} soak_trace_hdr_t;

/* ---- writing (used by soak-record.so: no malloc, no stdio) ---- */

/* Encodes the header into buf (at least SOAK_TRACE_HDR_MAX + 16 bytes): its
 * length. Strings longer than their field are cut. */
size_t soak_trace_hdr_encode(const soak_trace_hdr_t *h, uint8_t *buf);

/* One chunk being filled by one thread. */
typedef struct {
	uint32_t stream;
	uint32_t n;
	uint64_t base_ns, last_ns, last_id;
	size_t len;
	uint8_t raw[SOAK_TRACE_CHUNK_MAX];
} soak_trace_chunk_t;

void soak_trace_chunk_reset(soak_trace_chunk_t *c, uint32_t stream);
/* Appends one event; false when the chunk has no room (flush it, reset, retry). */
bool soak_trace_chunk_add(soak_trace_chunk_t *c, const soak_trace_ev_t *ev);
/* Compresses the chunk with its header into out (soak_trace_chunk_bound()
 * bytes): the length written, or 0 when zstd failed. cctx: a ZSTD_CCtx the
 * caller owns (the recorder's lives in mmap'd memory), or NULL. */
size_t soak_trace_chunk_bound(void);
size_t soak_trace_chunk_encode(const soak_trace_chunk_t *c, void *cctx, uint8_t *out, size_t outlen,
			       int level);
/* The end record into buf (SOAK_TRACE_END_LEN bytes); signal: the fatal
 * signal that ended the program, 0 for an exit. */
void soak_trace_end_encode(uint64_t total_events, uint32_t signal, uint8_t *buf);

/* ---- reading ---- */

typedef struct soak_trace_reader soak_trace_reader_t;

/* Opens and reads the header. 0, or negative errno with one line in err
 * ("FILE: offset N: why"). */
int soak_trace_open(const char *path, soak_trace_reader_t **ret, char *err, size_t errlen);
/* Where a reader's own memory comes from (the replay workload: mmap, never
 * the allocator under test); NULL: malloc. */
typedef struct {
	void *(*alloc)(size_t n);
	void (*release)(void *p, size_t n);
} soak_trace_mem_t;
int soak_trace_open_with(const char *path, const soak_trace_mem_t *mem, soak_trace_reader_t **ret, char *err,
			 size_t errlen);
/* Opens a trace held in memory (the fuzz harness, unit tests); data must
 * outlive the reader. */
int soak_trace_open_mem(const void *data, size_t len, soak_trace_reader_t **ret, char *err, size_t errlen);
const soak_trace_hdr_t *soak_trace_header(const soak_trace_reader_t *r);
/* The next event in file order (each stream's events in their order): 1 with
 * *ev filled, 0 at the end of the trace, or -EINVAL (-EIO, -ENOMEM) with one
 * line in err. At the end, soak_trace_cut() says whether the end record was
 * missing (a cut trace: everything up to its last whole chunk was returned). */
int soak_trace_next(soak_trace_reader_t *r, soak_trace_ev_t *ev, char *err, size_t errlen);
bool soak_trace_cut(const soak_trace_reader_t *r);
/* At the end of a whole trace: the signal that ended the recorded program
 * (the end record's), 0 when it exited. */
uint32_t soak_trace_end_signal(const soak_trace_reader_t *r);
/* For a caller that refuses the event last returned (valid in the format, not
 * in its context): one line in err naming the file, the offset of its chunk,
 * the event's number and stream, and why. Returns -EINVAL. */
int soak_trace_reject(const soak_trace_reader_t *r, char *err, size_t errlen, const char *why);
/* Streams seen so far: 1 + the highest stream number read. */
uint32_t soak_trace_streams(const soak_trace_reader_t *r);
uint64_t soak_trace_events_read(const soak_trace_reader_t *r);
/* Bytes of the trace read so far (the file size at the end). */
uint64_t soak_trace_bytes_read(const soak_trace_reader_t *r);
/* Only the events of one stream from now on (the replay threads: one reader
 * per stream). */
/* Reads to the end of the trace, chunk headers only (no chunk is
 * decompressed or its events checked): its streams, its whole chunks'
 * events, whether it ended or was cut. 0, or < 0 with one line in err. */
int soak_trace_skim(soak_trace_reader_t *r, char *err, size_t errlen);
void soak_trace_only_stream(soak_trace_reader_t *r, uint32_t stream);
/* Back to the first chunk (the replay's --loop). */
int soak_trace_rewind(soak_trace_reader_t *r, char *err, size_t errlen);
/* A position in the trace: soak_trace_mark() takes the event last returned
 * by soak_trace_next(); soak_trace_seek() goes back there, so that event is
 * the next one returned (only its chunk is read again). The replay's
 * --window starts each later pass at its first event this way. 0, or
 * negative errno with one line in err (the file changed since the mark). */
typedef struct {
	uint64_t chunk_at, events; /* the chunk's offset; events before it */
	uint32_t index;            /* the event's number in the chunk */
} soak_trace_mark_t;
void soak_trace_mark(const soak_trace_reader_t *r, soak_trace_mark_t *m);
int soak_trace_seek(soak_trace_reader_t *r, const soak_trace_mark_t *m, char *err, size_t errlen);
void soak_trace_close(soak_trace_reader_t *r);

/* ---- summary (pure: fed events in time order, tracesum.c) ---- */

#define SOAK_TRACE_SIZE_CLASSES 65
#define SOAK_TRACE_LIFE_CLASSES 64

typedef struct soak_trace_sum soak_trace_sum_t;

typedef struct {
	uint64_t events, ops[SOAK_EV_KINDS];
	uint64_t threads, processes;
	uint64_t size_log2[SOAK_TRACE_SIZE_CLASSES]; /* class k: sizes in [2^(k-1), 2^k), 0 in 0 */
	uint64_t peak_live_bytes, peak_live_objects; /* at the peak of live bytes */
	uint64_t max_live_objects;                   /* the most live at once */
	uint64_t peak_ts_ns;                         /* since the first event */
	uint64_t life_log2[SOAK_TRACE_LIFE_CLASSES]; /* lifetimes of freed objects, log2 ns */
	uint64_t cross_thread_frees;                 /* freed (or realloc'ed) by another thread */
	uint64_t unknown_frees;                      /* of blocks the trace never allocated */
	uint64_t first_unknown_id, first_unknown_ts_ns; /* the first of them (time order) */
	uint32_t first_unknown_stream;
	uint64_t reused_ids;                         /* allocations of an id already live */
	uint64_t max_id;                             /* the highest object id */
	uint64_t end_live_bytes, end_live_objects;
	uint64_t first_ts_ns, last_ts_ns;
} soak_trace_stats_t;

int soak_trace_sum_new(soak_trace_sum_t **ret);
/* The same with its memory from mem (the replay: never the allocator under
 * test); NULL = calloc and free. */
int soak_trace_sum_new_with(const soak_trace_mem_t *mem, soak_trace_sum_t **ret);
/* Adds one event; -ENOMEM when the live-object table cannot grow. */
int soak_trace_sum_add(soak_trace_sum_t *s, const soak_trace_ev_t *ev);
const soak_trace_stats_t *soak_trace_sum_stats(const soak_trace_sum_t *s);
void soak_trace_sum_free(soak_trace_sum_t *s);

typedef struct {
	soak_trace_hdr_t hdr;
	bool cut;            /* the end record is missing: read up to the last whole chunk */
	uint32_t end_signal; /* the fatal signal that ended the program (0: it exited) */
	uint64_t events, bytes;
	uint32_t streams;    /* 1 + the highest stream number */
} soak_trace_info_t;

/* Reads the file at path (one reader per stream, merged in time order) into
 * its summary. 0, or negative errno with one line in err. */
int soak_trace_summarize(const char *path, soak_trace_stats_t *ret, soak_trace_info_t *info, char *err,
			 size_t errlen);
int soak_trace_summarize_with(const char *path, const soak_trace_mem_t *mem, soak_trace_stats_t *ret,
			      soak_trace_info_t *info, char *err, size_t errlen);

#endif
