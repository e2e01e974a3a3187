/*
 * bench-wake.c - the floor under the runner's cost per sample on this host:
 * what sleeping until the next tick and waking up costs a process that does
 * nothing else, and what the same /proc reads cost right after a wake-up
 * against the same reads again at once (cold against warm caches).
 *
 *   soak-bench-wake [INTERVAL_MS (default 10)] [TICKS (default 300)]
 *
 * Prints, per tick: the process's CPU (getrusage) for a ppoll() sleep alone;
 * then the thread CPU of reading /proc/PID/{stat,status} and
 * task/PID/children of a sleeping child first after the wake and then again.
 * scripts/bench-runner.sh prints it beside the runner's own figures
 * (docs/performance.md).
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
	       (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

static double thread_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

int main(int argc, char **argv)
{
	long ms = argc > 1 ? atol(argv[1]) : 10, ticks = argc > 2 ? atol(argv[2]) : 300;
	if (ms < 1 || ms > 1000 || ticks < 10 || ticks > 100000) {
		fprintf(stderr, "usage: soak-bench-wake [INTERVAL_MS 1..1000] [TICKS 10..100000]\n");
		return 2;
	}
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	double c0 = cpu_us();
	for (long i = 0; i < ticks; i++)
		ppoll(NULL, 0, &ts, NULL);
	printf("sleep and wake-up alone: %.1f us of CPU per %ld ms tick (%ld ticks)\n",
	       (cpu_us() - c0) / (double)ticks, ms, ticks);

	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		pause();
		_exit(0);
	}
	static const char *const fmt[] = { "/proc/%d/stat", "/proc/%d/status", "/proc/%d/task/%d/children" };
	int fd[3];
	for (int k = 0; k < 3; k++) {
		char p[80];
		snprintf(p, sizeof(p), fmt[k], (int)child, (int)child);
		fd[k] = open(p, O_RDONLY | O_CLOEXEC);
		if (fd[k] < 0) {
			perror(p);
			kill(child, SIGKILL);
			return 1;
		}
	}
	char buf[4096];
	double cold = 0, warm = 0;
	for (long i = 0; i < ticks; i++) {
		ppoll(NULL, 0, &ts, NULL);
		double t0 = thread_us();
		for (int k = 0; k < 3; k++)
			if (pread(fd[k], buf, sizeof(buf), 0) < 0)
				return 1;
		double t1 = thread_us();
		for (int k = 0; k < 3; k++)
			if (pread(fd[k], buf, sizeof(buf), 0) < 0)
				return 1;
		cold += t1 - t0;
		warm += thread_us() - t1;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("3 /proc reads (stat, status, children): %.1f us first after a wake-up, %.1f us at once again\n",
	       cold / (double)ticks, warm / (double)ticks);
	return 0;
}
