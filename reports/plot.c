/* plot.c - gnuplot as a child process; see plot.h. */
#include "plot.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void soak_plot_safe(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; s && *s && o + 1 < len; s++) {
		unsigned char c = (unsigned char)*s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  strchr(" ._-+#/:=,()%", c);
		buf[o++] = ok && c ? (char)c : '_';
	}
	buf[o] = '\0';
}

/* Writes script to gnuplot's stdin while reading its stdout (both may block). */
static int pump(int in, int out, const char *script, char **ret, size_t *n)
{
	size_t len = strlen(script), off = 0, cap = 65536, got = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	struct pollfd p[2] = { { .fd = in, .events = POLLOUT }, { .fd = out, .events = POLLIN } };
	while (p[1].fd >= 0) {
		if (p[0].fd >= 0 && off == len) {
			close(in);
			p[0].fd = -1;
		}
		if (poll(p, 2, 30000) <= 0) {
			free(buf);
			return -ETIMEDOUT;
		}
		if (p[0].fd >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in, script + off, len - off);
			if (w < 0) {
				close(in);
				p[0].fd = -1;
			} else {
				off += (size_t)w;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (got + 4096 > cap) {
				char *nb = realloc(buf, cap *= 2);
				if (!nb) {
					free(buf);
					return -ENOMEM;
				}
				buf = nb;
			}
			ssize_t r = read(out, buf + got, cap - got - 1);
			if (r <= 0)
				p[1].fd = -1;
			else
				got += (size_t)r;
		}
	}
	if (p[0].fd >= 0)
		close(in);
	buf[got] = '\0';
	*ret = buf;
	*n = got;
	return 0;
}

int soak_plot_svg(const char *script, char **svg, char *err, size_t errlen)
{
	int pin[2], pout[2];
	if (pipe2(pin, O_CLOEXEC) < 0)
		return snprintf(err, errlen, "plot: pipe: %s", strerror(errno)), -errno;
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(pin[0]);
		close(pin[1]);
		return snprintf(err, errlen, "plot: pipe: %s", strerror(errno)), -errno;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
	posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = { (char *)"gnuplot", NULL };
	pid_t pid;
	int r = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pin[0]);
	close(pout[1]);
	if (r != 0) {
		close(pin[1]);
		close(pout[0]);
		snprintf(err, errlen, "gnuplot not found (apt-get install gnuplot-nox): %s", strerror(r));
		return -r;
	}
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	char *out = NULL;
	size_t n = 0;
	r = pump(pin[1], pout[0], script, &out, &n);
	signal(SIGPIPE, old);
	close(pout[0]);
	int st = 0;
	if (r == -ETIMEDOUT)
		kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		r = -EIO;
	char *start = out ? strstr(out, "<svg") : NULL;
	if (r == 0 && !start)
		r = -EIO;
	if (r < 0) {
		snprintf(err, errlen, "gnuplot failed (%s)", r == -EIO ? "no SVG written" : strerror(-r));
		free(out);
		return r;
	}
	memmove(out, start, strlen(start) + 1);
	*svg = out;
	return 0;
}
