/* test_probe_proc.c - /proc parsers on fixture files, and the proc and cpu
 * probes on a live process tree (a child with a thread, a grandchild forked by
 * the main thread and one forked by the other thread). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <cmocka.h>

#include "probe.h"
#include "proctree.h"

static char *fixture(const char *name)
{
	static char buf[16384];
	char path[512];
	snprintf(path, sizeof(path), "%s/proc/%s", SOAK_FIXTURES, name);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void test_stat(void **st)
{
	(void)st;
	soak_proc_stat_t s;
	assert_int_equal(soak_proc_parse_stat(fixture("stat"), &s), 0);
	assert_int_equal(s.state, 'R');
	assert_int_equal(s.ppid, 4000);
	assert_int_equal(s.minflt, 1500);
	assert_int_equal(s.cminflt, 300);
	assert_int_equal(s.majflt, 7);
	assert_int_equal(s.cmajflt, 2);
	assert_int_equal(s.utime, 120);
	assert_int_equal(s.stime, 35);
	assert_int_equal(s.cutime, 40);
	assert_int_equal(s.cstime, 10);
	assert_int_equal(s.num_threads, 4);
	assert_int_equal(s.starttime, 123456);
}

static void test_stat_bad(void **st)
{
	(void)st;
	soak_proc_stat_t s = { .minflt = 77 };
	assert_int_equal(soak_proc_parse_stat(fixture("stat-truncated"), &s), -EINVAL);
	assert_int_equal(s.minflt, 77);   /* untouched on failure */
	assert_int_equal(soak_proc_parse_stat("", &s), -EINVAL);
	assert_int_equal(soak_proc_parse_stat("1 (x) S", &s), -EINVAL);
	assert_int_equal(soak_proc_parse_stat("1 (x) S 1 1 1 0 -1 0 -5 0 0 0 0 0 0 0 20 0 1 0 9", &s), -EINVAL);
	/* A kernel thread's stat is complete (all zero faults). */
	assert_int_equal(soak_proc_parse_stat(fixture("stat-kthread"), &s), 0);
	assert_int_equal(s.ppid, 0);
	assert_int_equal(s.num_threads, 1);
}

static void test_status(void **st)
{
	(void)st;
	soak_proc_status_t m;
	assert_int_equal(soak_proc_parse_status(fixture("status"), &m), 0);
	assert_int_equal(m.rss_kb, 102400);
	assert_int_equal(m.anon_kb, 98304);
	assert_int_equal(m.file_kb, 3072);
	assert_int_equal(m.shmem_kb, 1024);
	assert_int_equal(m.swap_kb, 2048);
}

static void test_status_missing(void **st)
{
	(void)st;
	soak_proc_status_t m = { .rss_kb = 5 };
	/* Kernel threads (and zombies) have no memory lines: an error, not 0. */
	assert_int_equal(soak_proc_parse_status(fixture("status-kthread"), &m), -ENODATA);
	assert_int_equal(soak_proc_parse_status(fixture("status-partial"), &m), -EINVAL);
	assert_int_equal(soak_proc_parse_status("VmRSS:\t abc kB\n", &m), -EINVAL);
	assert_int_equal(soak_proc_parse_status("VmRSS:\t 12 MB\n", &m), -EINVAL);
	assert_int_equal(m.rss_kb, 5);
}

static void test_statm(void **st)
{
	(void)st;
	soak_proc_statm_t m;
	assert_int_equal(soak_proc_parse_statm(fixture("statm"), &m), 0);
	assert_int_equal(m.size, 25600);
	assert_int_equal(m.resident, 25600);
	assert_int_equal(m.shared, 1024);
	assert_int_equal(soak_proc_parse_statm("1 2 3\n", &m), -EINVAL);
}

static void test_children(void **st)
{
	(void)st;
	pid_t p[4];
	assert_int_equal(soak_proc_parse_children(fixture("children"), p, 4), 2);
	assert_int_equal(p[0], 4243);
	assert_int_equal(p[1], 4250);
	assert_int_equal(soak_proc_parse_children(fixture("children-empty"), p, 4), 0);
	assert_int_equal(soak_proc_parse_children("1 2 3 4 5 6 ", p, 4), 6);   /* count beyond max */
	assert_int_equal(soak_proc_parse_children("12 x ", p, 4), -EINVAL);
}

/* ---- live tree --------------------------------------------------------- */

#define MIB (1024 * 1024)

static void touch(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = 1;
}

static int ready_fd;
static volatile pid_t thread_child;

/* The extra thread forks too: its child is found only through that thread's
 * task/TID/children file. */
static void *forking_thread(void *arg)
{
	(void)arg;
	pid_t c = fork();
	if (c == 0) {
		if (write(ready_fd, "t", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	thread_child = c;
	for (;;)
		pause();
	return NULL;
}

/* Child: 32 MiB, one extra thread that forks a process, a grandchild with
 * 16 MiB; each grandchild says so on `ready`; on EOF of `go` the child kills
 * and reaps both grandchildren and exits. */
static pid_t spawn_tree(int *ready_rd, int *go_wr)
{
	int r[2], g[2];
	assert_int_equal(pipe(r), 0);
	assert_int_equal(pipe(g), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(r[0]);
		close(g[1]);
		ready_fd = r[1];
		touch(32 * MIB);
		pthread_t t;
		if (pthread_create(&t, NULL, forking_thread, NULL))
			_exit(3);
		pid_t gc = fork();
		if (gc == 0) {
			touch(16 * MIB);
			if (write(r[1], "g", 1) != 1)
				_exit(3);
			pause();
			_exit(0);
		}
		char c;
		if (read(g[0], &c, 1) < 0)   /* blocks until EOF */
			_exit(3);
		while (!thread_child)
			usleep(1000);
		kill(gc, SIGKILL);
		kill(thread_child, SIGKILL);
		waitpid(gc, NULL, 0);
		waitpid(thread_child, NULL, __WALL);
		_exit(0);
	}
	close(r[1]);
	close(g[0]);
	char c[2];
	assert_int_equal(read(r[0], &c[0], 1), 1);   /* both grandchildren ready */
	assert_int_equal(read(r[0], &c[1], 1), 1);
	*ready_rd = r[0];
	*go_wr = g[1];
	return pid;
}

static void test_live_tree(void **st)
{
	(void)st;
	const soak_probe_ops_t *proc = soak_probe_find("proc"), *cpu = soak_probe_find("cpu");
	assert_non_null(proc);
	assert_non_null(cpu);
	int rd, go;
	pid_t pid = spawn_tree(&rd, &go);
	soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
	soak_probe_ctx_t ctx = { .pid = pid, .cg = &cg, .interval_s = 1 };
	char why[SOAK_REASON_MAX] = "";
	assert_int_equal(proc->supported(&ctx, why, sizeof(why)), 0);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *ps = NULL, *cs = NULL;
	assert_int_equal(proc->open(&ps, &ctx, reasons), 0);
	char creasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	assert_int_equal(cpu->open(&cs, &ctx, creasons), 0);
	for (size_t i = 0; i < proc->n_metrics; i++)
		assert_string_equal(reasons[i], "");

	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	/* Twice: the second walk reads the kept-open (cached) fds. */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(soak_probe_sample_all(proc, ps, v, ok), 0);
		for (size_t i = 0; i < proc->n_metrics; i++)
			assert_true(ok[i]);
		/* metrics: rss, anon, file, swap, minflt, majflt, nprocs, nthreads */
		assert_true(v[0] >= 48.0 * MIB);
		assert_true(v[1] >= 48.0 * MIB);
		assert_true(v[0] >= v[1] + v[2] - 1);
		assert_true(v[4] >= 48.0 * MIB / 4096);
		assert_int_equal((int)v[6], 3);   /* child, its grandchild, its thread's child */
		assert_int_equal((int)v[7], 4);   /* child's 2 threads + 1 + 1 */
	}
	double minflt_live = v[4];

	/* Let the child reap the grandchild and exit, but do not reap the child:
	 * a zombie root has final counters and no meaningful gauges. */
	close(go);
	siginfo_t si;
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(soak_probe_sample_all(proc, ps, v, ok), 0);
	assert_false(ok[0]);
	assert_false(ok[6]);
	assert_true(ok[4]);
	assert_true(v[4] >= minflt_live);   /* the grandchild's faults stay (cminflt) */
	double cv[2];
	bool cok[2];
	assert_int_equal(soak_probe_sample_all(cpu, cs, cv, cok), 0);
	assert_true(cok[0] && cok[1]);

	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Reaped: invalid, never 0. */
	assert_true(soak_probe_sample_all(proc, ps, v, ok) < 0);
	for (size_t i = 0; i < proc->n_metrics; i++)
		assert_false(ok[i]);
	assert_true(soak_probe_sample_all(cpu, cs, cv, cok) < 0);
	assert_false(cok[0] || cok[1]);
	proc->close(ps);
	cpu->close(cs);
	close(rd);
}

/* The memory gauges come from statm (resident, shared pages) and VmSwap from
 * status: against ground truth, the status lines they stand for (VmRSS,
 * RssAnon, RssFile + RssShmem, VmSwap) read by the test from the same idle
 * process, and the sizes it mapped: 8 MiB of touched anonymous memory and
 * 4 MiB of a touched memfd (shmem). */
static void test_statm_matches_status(void **st)
{
	(void)st;
	const soak_probe_ops_t *proc = soak_probe_find("proc");
	int r[2], g[2];
	assert_int_equal(pipe(r), 0);
	assert_int_equal(pipe(g), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(r[0]);
		close(g[1]);
		touch(8 * MIB);
		int fd = memfd_create("soak-test", 0);
		char *m = fd >= 0 && ftruncate(fd, 4 * MIB) == 0
				  ? mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
				  : MAP_FAILED;
		if (m == MAP_FAILED)
			_exit(3);
		for (size_t i = 0; i < 4 * MIB; i += 4096)
			m[i] = 1;
		char c = 'r';
		if (write(r[1], &c, 1) != 1 || read(g[0], &c, 1) < 0)   /* blocks until EOF */
			_exit(3);
		_exit(0);
	}
	close(r[1]);
	close(g[0]);
	char c;
	assert_int_equal(read(r[0], &c, 1), 1);
	soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
	soak_probe_ctx_t ctx = { .pid = pid, .cg = &cg, .interval_s = 1 };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *ps = NULL;
	assert_int_equal(proc->open(&ps, &ctx, reasons), 0);
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	assert_int_equal(soak_probe_sample_all(proc, ps, v, ok), 0);
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	soak_proc_status_t m;
	assert_int_equal(soak_proc_parse_status(buf, &m), 0);
	/* metrics: rss, anon, file, swap */
	for (int i = 0; i < 4; i++)
		assert_true(ok[i]);
	assert_int_equal((uint64_t)v[0], m.rss_kb * 1024);
	assert_int_equal((uint64_t)v[1], m.anon_kb * 1024);
	assert_int_equal((uint64_t)v[2], (m.file_kb + m.shmem_kb) * 1024);
	assert_int_equal((uint64_t)v[3], m.swap_kb * 1024);
	assert_true(v[1] >= 8.0 * MIB);
	assert_true(v[2] >= 4.0 * MIB);
	proc->close(ps);
	close(g[1]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(r[0]);
}

static void test_open_missing(void **st)
{
	(void)st;
	const soak_probe_ops_t *proc = soak_probe_find("proc");
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	soak_probe_ctx_t ctx = { .pid = pid };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *ps = NULL;
	assert_true(proc->open(&ps, &ctx, reasons) < 0);
	assert_null(ps);
	for (size_t i = 0; i < proc->n_metrics; i++)
		assert_true(reasons[i][0] != '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_stat_bad),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_missing),
		cmocka_unit_test(test_statm),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_live_tree),
		cmocka_unit_test(test_statm_matches_status),
		cmocka_unit_test(test_open_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
