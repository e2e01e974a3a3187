/* output.c - bounded capture of a worker stream; see output.h. */
#include "output.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void soak_output_init(soak_output_t *o, const char *name, int fd,
		      void (*on_data)(const char *, size_t, void *), void *arg)
{
	memset(o, 0, sizeof(*o));
	o->name = name;
	o->fd = fd;
	o->on_data = on_data;
	o->arg = arg;
}

long soak_output_pump(soak_output_t *o)
{
	if (o->fd < 0)
		return 0;
	char chunk[16384];
	ssize_t n = read(o->fd, chunk, sizeof(chunk));
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	if (n == 0) {
		close(o->fd);
		o->fd = -1;
		return 0;
	}
	if (o->on_data)
		o->on_data(chunk, (size_t)n, o->arg);
	size_t room = o->len < SOAK_LOG_MAX ? SOAK_LOG_MAX - o->len : 0;
	size_t keep = (size_t)n < room ? (size_t)n : room;
	if (keep) {
		if (!o->buf)
			o->buf = malloc(SOAK_LOG_MAX);
		if (o->buf) {
			memcpy(o->buf + o->len, chunk, keep);
			o->len += keep;
		} else {
			keep = 0;
		}
	}
	o->dropped += (size_t)n - keep;
	return n;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int soak_output_drain(soak_output_t *o, int idle_ms)
{
	double end = now_ms() + SOAK_DRAIN_MAX_MS;
	size_t bytes = 0;
	while (o->fd >= 0) {
		double left = end - now_ms();
		if (left <= 0 || bytes >= SOAK_DRAIN_MAX_BYTES)
			return -EAGAIN;
		struct pollfd p = { .fd = o->fd, .events = POLLIN };
		if (poll(&p, 1, left < idle_ms ? (int)left + 1 : idle_ms) <= 0)
			return left < idle_ms ? -EAGAIN : 0;
		long n = soak_output_pump(o);
		if (n == 0)
			return 0;
		if (n > 0)
			bytes += (size_t)n;
	}
	return 0;
}

void soak_output_free(soak_output_t *o)
{
	if (o->fd >= 0)
		close(o->fd);
	free(o->buf);
	o->buf = NULL;
	o->fd = -1;
}
