/*
 * sysfix.c - fixture for the perf probe test (tests/unit/test_probe_perf.c):
 * makes a known number of each memory-management system call across the main
 * thread, a second thread and a forked child, on top of what libc startup,
 * pthread_create/exit and fork make anyway.
 *
 *   sysfix N     the main thread does the unit of calls N times, the second
 *                thread 2N times, the child 3N times
 *   sysfix 0     baseline: the same thread and fork, no extra calls
 *   sysfix N hold  as `sysfix N`, but the second thread, once done, prints
 *                "[SYSFIX_HOLD] thread=1" and stays alive until it reads a
 *                byte (or EOF) on stdin; the child then does the same with
 *                "[SYSFIX_HOLD] child=1": a test samples the counters while
 *                that thread, then that child, are alive
 *
 * One unit: mmap, mremap, mprotect, madvise x6 (DONTNEED, FREE, HUGEPAGE,
 * WILLNEED, NORMAL, RANDOM), mlock, munlock, brk (query), munmap - each through
 * syscall(2) so libc adds nothing. At the end it prints the calls it made
 * beyond the baseline as "[SYSFIX] mmap=... madvise_dontneed=..." (a
 * self-report line, parsed with probes/selfreport.c). It uses no malloc and no
 * stdio (those would add brk/mmap calls of their own).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long page;

static void unit(void)
{
	char *p = (char *)syscall(SYS_mmap, NULL, 4 * page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	p[page] = 1;
	/* mremap first, while the mapping is one vma (mprotect splits it). */
	char *q = (char *)syscall(SYS_mremap, p, 4 * page, 8 * page, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		_exit(2);
	syscall(SYS_mprotect, q, page, PROT_READ);
	syscall(SYS_madvise, q, 4 * page, MADV_DONTNEED);
	syscall(SYS_madvise, q, 4 * page, MADV_FREE);
	syscall(SYS_madvise, q, 4 * page, MADV_HUGEPAGE);
	syscall(SYS_madvise, q, 4 * page, MADV_WILLNEED);
	syscall(SYS_madvise, q, 4 * page, MADV_NORMAL);
	syscall(SYS_madvise, q, 4 * page, MADV_RANDOM);
	syscall(SYS_mlock, q + 2 * page, page);   /* may fail (RLIMIT_MEMLOCK): still entered */
	syscall(SYS_munlock, q + 2 * page, page);
	syscall(SYS_brk, 0);
	syscall(SYS_munmap, q, 8 * page);
}

static void units(long n)
{
	for (long i = 0; i < n; i++)
		unit();
}

static int hold;

static void say(const char *s)
{
	size_t n = strlen(s);
	if (write(1, s, n) != (ssize_t)n)
		_exit(2);
}

static void hold_point(const char *line)
{
	char c;
	if (!hold)
		return;
	say(line);
	if (read(0, &c, 1) < 0)
		_exit(2);
}

static void *thread_main(void *arg)
{
	units(2 * (long)(intptr_t)arg);
	hold_point("[SYSFIX_HOLD] thread=1\n");
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1;
	hold = argc > 2 && !strcmp(argv[2], "hold");
	page = sysconf(_SC_PAGESIZE);
	units(n);
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, (void *)(intptr_t)n) != 0)
		return 2;
	pthread_join(t, NULL);
	pid_t c = fork();
	if (c < 0)
		return 2;
	if (c == 0) {
		units(3 * n);
		hold_point("[SYSFIX_HOLD] child=1\n");
		_exit(0);
	}
	int st;
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		return 2;
	long u = 6 * n;   /* units over the three actors */
	char line[512];
	int len = snprintf(line, sizeof(line),
			   "[SYSFIX] mmap=%ld munmap=%ld mremap=%ld madvise=%ld brk=%ld mprotect=%ld "
			   "mlock=%ld munlock=%ld madvise_dontneed=%ld madvise_free=%ld "
			   "madvise_hugepage=%ld madvise_willneed=%ld madvise_other=%ld\n",
			   u, u, u, 6 * u, u, u, u, u, u, u, u, u, 2 * u);
	if (len <= 0 || (size_t)len >= sizeof(line))
		return 2;
	say(line);
	return 0;
}
