/*
 * exec-repeat.c - `soak-worker --exec-repeat -- CMD ARGS`: the driver of
 * `soakctl run -w exec --repeat`. It lives in the run's cgroup like any worker,
 * runs CMD back to back until shm->stop, tees CMD's stdout to its own (the
 * runner keeps it and reads [TAG] key=value lines), and for every step writes
 * its exit status, wall time, ru_maxrss and the throughput matched in its
 * output into the shm step ring. ops = completed steps; each step's wall time
 * is also recorded as one latency value.
 *
 * Peak RSS of a step is its ru_maxrss from wait4. The kernel carries the
 * pre-exec mm's high-water mark into it (the ru_maxrss pitfall), so it is
 * never below the driver's own RSS (about 1-2 MiB, see docs/metrics.md); the
 * driver is kept small for that reason.
 */
#include "exec-repeat.h"
#include "soak/tpscan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The throughput matcher lives in common/tpscan.c (fuzzed by tests/fuzz). */
#define scan_line soak_tp_scan_line
#define scan soak_tp_scan

static volatile sig_atomic_t got_term;
static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static bool stop_requested(const soak_shm_t *shm)
{
	return got_term || __atomic_load_n(&shm->stop, __ATOMIC_RELAXED);
}

static void tee_out(tp_scan_t *sc, const char *buf, ssize_t n)
{
	scan(sc, buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, stdout);
}

/* What is left in the pipe after the step ended, read without blocking: a
 * process that escaped the step's group may hold the pipe open forever. */
static void drain(int fd, tp_scan_t *sc)
{
	double end = mono() + 0.1;
	size_t bytes = 0;
	char buf[8192];
	while (mono() < end && bytes < (1u << 20)) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 20) <= 0)
			break;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		tee_out(sc, buf, n);
		bytes += (size_t)n;
	}
}

/* Runs one step; returns 0 when it completed, 1 when stopped, -errno on setup failure.
 * The step leads its own process group: when its command exits, whatever it
 * left running in the group (sh -c 'sleep 30 & ...') is killed before the
 * step is reaped, so nothing holds the output pipe and nothing piles up
 * across steps. Every wait is bounded (20 ms) and sees stop requests. */
static int step(soak_shm_t *shm, char **cmd, tp_scan_t *sc, soak_shm_step_t *ret)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	double t0 = mono();
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		setpgid(0, 0);
		dup2(p[1], 1);
		execvp(cmd[0], cmd);
		fprintf(stderr, "soak-worker: cannot execute %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid); /* also here: no race with the first kill(-pid) */
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	/* A pidfd wakes the poll the moment the command exits. */
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	sc->tp = NAN;
	sc->len = 0;
	bool stopped = false, eof = false;
	int status = 0;
	double t_end = 0;
	struct rusage ru;
	for (;;) {
		if (!stopped && stop_requested(shm)) {
			stopped = true;
			kill(-pid, SIGTERM);
		}
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
			/* Exited, not reaped yet: its group id cannot be reused. */
			t_end = mono();
			kill(-pid, SIGKILL);
			wait4(pid, &status, 0, &ru);
			if (!eof)
				drain(p[0], sc);
			break;
		}
		struct pollfd pf[2] = { { .fd = eof ? -1 : p[0], .events = POLLIN },
					{ .fd = pfd, .events = POLLIN } };
		if (poll(pf, 2, 20) > 0 && (pf[0].revents & (POLLIN | POLLHUP))) {
			char buf[8192];
			ssize_t n = read(p[0], buf, sizeof(buf));
			if (n > 0)
				tee_out(sc, buf, n);
			else if (n == 0)
				eof = true;
		}
	}
	if (pfd >= 0)
		close(pfd);
	close(p[0]);
	if (sc->len)
		scan_line(sc);
	fflush(stdout);
	if (stopped)
		return 1;
	ret->end_mono_s = t_end; /* when the exit was seen, not after the clean-up */
	ret->wall_s = ret->end_mono_s - t0;
	ret->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	ret->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	ret->maxrss_bytes = (uint64_t)ru.ru_maxrss * 1024u;
	ret->throughput = sc->tp;
	return 0;
}

int soak_exec_repeat(soak_shm_t *shm, int argc, char **argv)
{
	const char *pattern = SOAK_TP_PATTERN_DEFAULT;
	int i = 0;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--tp-pattern") && i + 1 < argc)
			pattern = argv[++i];
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "soak-worker: --exec-repeat needs a command\n");
		return SOAK_WORKER_EXIT_USAGE;
	}
	tp_scan_t sc = { 0 };
	if (regcomp(&sc.re, pattern, REG_EXTENDED) != 0) {
		fprintf(stderr, "soak-worker: --tp-pattern '%s' is not a valid extended regex\n", pattern);
		return SOAK_WORKER_EXIT_USAGE;
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	shm->nthreads = 1;
	__atomic_store_n(&shm->state, SOAK_WS_RUNNING, __ATOMIC_RELEASE);
	uint64_t n = 0;
	while (!stop_requested(shm)) {
		soak_shm_step_t s = { 0 };
		int r = step(shm, argv + i, &sc, &s);
		if (r < 0) {
			snprintf(shm->message, sizeof(shm->message), "exec-repeat: %s", strerror(-r));
			__atomic_store_n(&shm->state, SOAK_WS_ERROR, __ATOMIC_RELEASE);
			regfree(&sc.re);
			return SOAK_WORKER_EXIT_SETUP;
		}
		if (r == 1)
			break;
		/* A command that fails at once would spin thousands of steps a
		 * second: back off 100 ms after a failed step shorter than that. */
		if (s.exit_code != 0 && s.wall_s < 0.1) {
			struct timespec ts = { 0, 100 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		n++;
		soak_shm_step_t *slot = &shm->steps[(n - 1) % SOAK_MAX_STEPS];
		*slot = s;
		__atomic_store_n(&slot->seq, n, __ATOMIC_RELEASE);
		__atomic_store_n(&shm->nsteps, n, __ATOMIC_RELEASE);
		if (shm->latency_every)
			soak_hist_record(&shm->thr[0].lat, (uint64_t)(s.wall_s * 1e9));
		__atomic_store_n(&shm->thr[0].ops, n, __ATOMIC_RELAXED);
	}
	regfree(&sc.re);
	__atomic_store_n(&shm->state, SOAK_WS_DONE, __ATOMIC_RELEASE);
	return 0;
}
