/*
 * output.h - the worker's stdout/stderr: read without blocking, kept as a
 * bounded log per run (head kept, the rest counted as truncated), and fed
 * line by line to a listener (self-reported counters).
 */
#ifndef SOAK_OUTPUT_H
#define SOAK_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define SOAK_LOG_MAX (256 * 1024)   /* bytes kept per stream and run */

typedef struct {
	const char *name;      /* "stdout" / "stderr" */
	int fd;                /* -1 when closed */
	char *buf;             /* kept head of the stream */
	size_t len;
	size_t dropped;        /* bytes past SOAK_LOG_MAX */
	void (*on_data)(const char *data, size_t len, void *arg);
	void *arg;
} soak_output_t;

void soak_output_init(soak_output_t *o, const char *name, int fd,
		      void (*on_data)(const char *, size_t, void *), void *arg);
/* Reads what is available now; returns bytes read, 0 at EOF (fd closed), -errno. */
long soak_output_pump(soak_output_t *o);
/* Reads until EOF or no data arrives for idle_ms, but never longer than
 * SOAK_DRAIN_MAX_MS nor more than SOAK_DRAIN_MAX_BYTES: a process that keeps
 * the pipe open and writing cannot hold the runner. Returns 0, or -EAGAIN
 * when it stopped at a bound with the stream still open. */
#define SOAK_DRAIN_MAX_MS 1000
#define SOAK_DRAIN_MAX_BYTES (4 * 1024 * 1024)
int soak_output_drain(soak_output_t *o, int idle_ms);
void soak_output_free(soak_output_t *o);

#endif
