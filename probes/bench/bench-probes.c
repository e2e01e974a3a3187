/*
 * bench-probes.c - per-sample cost of the probes and of the /proc reading
 * methods they chose between (docs/probes.md; run by scripts/bench-probes.sh).
 *
 *   soak-bench-probes [--mib N] [--threads T] [--children C] [--iters N]
 *   soak-bench-probes --overhead [--rounds R]
 *
 * Forks a target that waits on a pipe, puts it into fresh cgroups (as root:
 * a v1 memory child and a cgroup2 child, like the runner on a hybrid host),
 * attaches the perf probe, releases the target, which touches N MiB, starts
 * T-1 idle threads and C idle children, then times `iters` samples of each
 * method and prints a Markdown table (median, mean, p99 in microseconds).
 *
 * --overhead: the worker-side cost of the perf probe. A child runs a
 * syscall-heavy loop (mmap + touch + munmap) and a malloc-heavy loop
 * (glibc malloc/free of 16..1040 bytes, as random_mixed) without counters, with
 * task-mode counters and with cgroup-mode counters, in interleaved rounds;
 * prints the median time of each and the paired ratios.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libproc2/pids.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "probe-ops.h"
#include "probe-perf.h"
#include "probe-util.h"
#include "proctree.h"

static long opt_mib = 100, opt_threads = 1, opt_children = 0, opt_iters = 1000;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double *times;

static void report(const char *what, const char *note)
{
	double sum = 0;
	for (long i = 0; i < opt_iters; i++)
		sum += times[i];
	qsort(times, (size_t)opt_iters, sizeof(double), cmp_double);
	printf("| %s | %.1f | %.1f | %.1f | %s |\n", what, times[opt_iters / 2], sum / (double)opt_iters,
	       times[(long)((double)opt_iters * 0.99)], note);
	fflush(stdout);
}

/* ---- the target ---------------------------------------------------------- */

static void *idle(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void touch(long mib)
{
	size_t n = (size_t)mib << 20;
	char *p = mmap(NULL, n ? n : 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(3);
	for (size_t i = 0; i < n; i += 4096)
		p[i] = 1;
}

static pid_t spawn_target(int *gate_wr, int *ready_rd)
{
	int gate[2], ready[2];
	if (pipe2(gate, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		exit(2);
	pid_t pid = fork();
	if (pid < 0)
		exit(2);
	if (pid == 0) {
		char c;
		close(gate[1]);
		close(ready[0]);
		if (read(gate[0], &c, 1) < 0)
			_exit(3);
		touch(opt_mib);
		for (long i = 1; i < opt_threads; i++) {
			pthread_t t;
			if (pthread_create(&t, NULL, idle, NULL))
				_exit(3);
		}
		for (long i = 0; i < opt_children; i++) {
			pid_t c2 = fork();
			if (c2 == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				touch(1);
				idle(NULL);
			}
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		idle(NULL);
	}
	close(gate[0]);
	close(ready[1]);
	*gate_wr = gate[1];
	*ready_rd = ready[0];
	return pid;
}

/* ---- cgroups (root) ------------------------------------------------------ */

static int own_cgroup(const char *controller, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return -errno;
	char line[PATH_MAX];
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (!strcmp(c1 + 1, controller)) {
			snprintf(out, len, "%s", strcmp(c2 + 1, "/") ? c2 + 1 : "");
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static int put_in(const char *dir, pid_t pid)
{
	char path[PATH_MAX + 16], text[16];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(text, sizeof(text), "%d", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = write(fd, text, strlen(text)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;
	return statfs(path, &sf) == 0 && sf.f_type == magic;
}

/* Hybrid-host layout (v1 memory child + cgroup2 child); v2-only: one dir. */
static void make_cgroups(soak_cg_paths_t *cg, pid_t pid)
{
	char own[PATH_MAX / 2];
	memset(cg, 0, sizeof(*cg));
	cg->mode = SOAK_CG_NONE;
	if (geteuid() != 0)
		return;
	const char *uni = is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC) ? "/sys/fs/cgroup/unified"
			  : is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC) ? "/sys/fs/cgroup" : NULL;
	if (uni && own_cgroup("", own, sizeof(own)) == 0) {
		snprintf(cg->unified_dir, sizeof(cg->unified_dir), "%s%s/soak-bench-%d", uni, own, (int)getpid());
		if (mkdir(cg->unified_dir, 0755) < 0 || put_in(cg->unified_dir, pid) < 0)
			cg->unified_dir[0] = '\0';
	}
	if (is_fs("/sys/fs/cgroup/memory", CGROUP_SUPER_MAGIC) && own_cgroup("memory", own, sizeof(own)) == 0) {
		snprintf(cg->mem_dir, sizeof(cg->mem_dir), "/sys/fs/cgroup/memory%s/soak-bench-%d", own, (int)getpid());
		if (mkdir(cg->mem_dir, 0755) < 0 || put_in(cg->mem_dir, pid) < 0)
			cg->mem_dir[0] = '\0';
	}
	if (cg->mem_dir[0])
		cg->mode = cg->unified_dir[0] ? SOAK_CG_HYBRID : SOAK_CG_V1;
	else if (cg->unified_dir[0] && !strcmp(uni, "/sys/fs/cgroup"))
		cg->mode = SOAK_CG_V2;
	else if (cg->unified_dir[0])
		cg->mode = SOAK_CG_HYBRID;   /* PSI and cpu.stat only */
}

static void remove_cgroups(const soak_cg_paths_t *cg)
{
	if (cg->mem_dir[0])
		rmdir(cg->mem_dir);
	if (cg->unified_dir[0])
		rmdir(cg->unified_dir);
}

/* ---- timed methods ------------------------------------------------------- */

static void time_probe(const char *label, const soak_probe_ops_t *p, void *state, const char *note)
{
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	for (long i = 0; i < opt_iters; i++) {
		double t0 = now_us();
		soak_probe_sample_all(p, state, v, ok);
		times[i] = now_us() - t0;
	}
	size_t nvalid = 0;
	for (size_t i = 0; i < p->n_metrics; i++)
		nvalid += ok[i];
	char buf[256];
	snprintf(buf, sizeof(buf), "%s%s%zu/%zu metrics valid", note, *note ? "; " : "", nvalid, p->n_metrics);
	report(label, buf);
}

static void time_pread(const char *label, pid_t pid, const char *file)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (long i = 0; i < opt_iters; i++) {
		double t0 = now_us();
		soak_read_fd(fd, buf, sizeof(buf));
		times[i] = now_us() - t0;
	}
	close(fd);
	report(label, "read only, no parsing");
}

static void time_stat_status(pid_t pid)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int sfd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int mfd = open(path, O_RDONLY | O_CLOEXEC);
	soak_proc_stat_t st;
	soak_proc_status_t m;
	for (long i = 0; i < opt_iters; i++) {
		double t0 = now_us();
		if (soak_read_fd(sfd, buf, sizeof(buf)) > 0)
			soak_proc_parse_stat(buf, &st);
		if (soak_read_fd(mfd, buf, sizeof(buf)) > 0)
			soak_proc_parse_status(buf, &m);
		times[i] = now_us() - t0;
	}
	close(sfd);
	close(mfd);
	report("kept-open pread stat + status, parsed (one pid)", "the fields of the libproc2 row");
}

static void time_libproc2(pid_t pid)
{
	enum pids_item items[] = { PIDS_VM_RSS, PIDS_VM_RSS_ANON, PIDS_VM_RSS_FILE, PIDS_VM_RSS_SHARED,
				   PIDS_VM_SWAP, PIDS_FLT_MIN_C, PIDS_FLT_MAJ_C, PIDS_NLWP };
	struct pids_info *info = NULL;
	if (procps_pids_new(&info, items, sizeof(items) / sizeof(items[0])) < 0)
		return;
	unsigned p = (unsigned)pid;
	volatile unsigned long sink = 0;
	for (long i = 0; i < opt_iters; i++) {
		double t0 = now_us();
		struct pids_fetch *f = procps_pids_select(info, &p, 1, PIDS_SELECT_PID);
		if (f && f->counts->total == 1)
			sink += PIDS_VAL(0, ul_int, f->stacks[0], info);
		times[i] = now_us() - t0;
	}
	report("libproc2 procps_pids_select (one pid)", "VmRSS, RssAnon/File/Shmem, VmSwap, flt+cflt, nlwp");
	/* Tree discovery with libproc2 means reading every process. */
	enum pids_item tree[] = { PIDS_ID_PID, PIDS_ID_PPID };
	procps_pids_reset(info, tree, 2);
	long iters = opt_iters;
	opt_iters = iters < 100 ? iters : 100;
	for (long i = 0; i < opt_iters; i++) {
		double t0 = now_us();
		struct pids_fetch *f = procps_pids_reap(info, PIDS_FETCH_TASKS_ONLY);
		if (f)
			sink += (unsigned long)f->counts->total;
		times[i] = now_us() - t0;
	}
	char note[96];
	snprintf(note, sizeof(note), "pid+ppid of all processes, to find descendants (%ld runs)", opt_iters);
	report("libproc2 procps_pids_reap (whole /proc)", note);
	opt_iters = iters;
	(void)sink; /* only there so the fetches are not optimised away (clang warns otherwise) */
	procps_pids_unref(&info);
}

static soak_shm_t *fake_shm(unsigned nthreads)
{
	soak_shm_t *shm = calloc(1, sizeof(*shm));
	if (!shm)
		exit(2);
	shm->magic = SOAK_SHM_MAGIC;
	shm->version = SOAK_SHM_VERSION;
	shm->nthreads = nthreads;
	shm->latency_every = 64;
	for (unsigned t = 0; t < SOAK_MAX_THREADS; t++) {
		soak_hist_init(&shm->thr[t].lat);
		for (uint64_t v = 20; v < 200000; v = v * 11 / 10 + 1)
			soak_hist_record(&shm->thr[t].lat, v);
	}
	return shm;
}

static void time_ops(unsigned nthreads)
{
	const soak_probe_ops_t *p = soak_probe_find("ops");
	soak_shm_t *shm = fake_shm(nthreads);
	soak_probe_ctx_t ctx = { .pid = getpid(), .shm = shm };
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *st = NULL;
	if (p->open(&st, &ctx, reasons) == 0) {
		char label[64];
		snprintf(label, sizeof(label), "probe ops (%u worker threads)", nthreads);
		time_probe(label, p, st, "merges every thread's histogram");
		p->close(st);
	}
	free(shm);
}

/* ---- --overhead ----------------------------------------------------------- */

enum { OV_NONE, OV_TASK, OV_CGROUP, OV__N };
static const char *const ov_name[OV__N] = { "no counters", "perf task mode", "perf cgroup mode" };

static double loop_syscalls(void)
{
	double t0 = now_us();
	for (int i = 0; i < 100000; i++) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		p[0] = 1;
		munmap(p, 4096);
	}
	return now_us() - t0;
}

static double loop_malloc(void)
{
	static void *slot[4096];
	uint32_t x = 2463534242u;
	double t0 = now_us();
	for (int i = 0; i < 10000000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		unsigned k = x & 4095;
		if (slot[k]) {
			free(slot[k]);
			slot[k] = NULL;
		} else {
			slot[k] = malloc(16 + x % 1025);
			if (!slot[k])
				_exit(3);
			*(volatile char *)slot[k] = 1;
		}
	}
	for (unsigned k = 0; k < 4096; k++)
		free(slot[k]);
	return now_us() - t0;
}

/* One child run under `mode`; returns the two loop times (µs). */
static int overhead_run(int mode, double ret[2], double *ret_calls)
{
	int gate, res[2];
	int gp[2];
	if (pipe2(gp, O_CLOEXEC) || pipe2(res, O_CLOEXEC))
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char c;
		close(gp[1]);
		if (read(gp[0], &c, 1) < 0)
			_exit(3);
		double t[2] = { loop_syscalls(), loop_malloc() };
		if (write(res[1], t, sizeof(t)) != (ssize_t)sizeof(t))
			_exit(3);
		_exit(0);
	}
	close(gp[0]);
	close(res[1]);
	gate = gp[1];
	soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
	if (mode == OV_CGROUP)
		make_cgroups(&cg, pid);
	soak_probe_ctx_t ctx = { .pid = pid, .cg = &cg, .interval_s = 1 };
	const soak_probe_ops_t *perf = soak_probe_find("perf");
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *st = NULL;
	int r = 0;
	if (mode == OV_CGROUP)
		r = perf->attach(&st, &ctx, reasons);
	else if (mode == OV_TASK)
		r = perf->open(&st, &ctx, reasons);   /* no exec here: enable now */
	close(gate);
	double t[2] = { 0, 0 };
	ssize_t n = read(res[0], t, sizeof(t));
	close(res[0]);
	waitpid(pid, NULL, 0);
	*ret_calls = -1;
	if (st) {
		double v[SOAK_PROBE_MAX_METRICS];
		bool ok[SOAK_PROBE_MAX_METRICS];
		soak_probe_sample_all(perf, st, v, ok);
		*ret_calls = ok[0] ? v[0] + v[1] : -1;   /* sc_mmap + sc_munmap */
		perf->close(st);
	}
	remove_cgroups(&cg);
	if (r < 0 || n != (ssize_t)sizeof(t))
		return r < 0 ? r : -EIO;
	ret[0] = t[0];
	ret[1] = t[1];
	return 0;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int overhead(int rounds)
{
	double t[OV__N][2][64], calls[OV__N] = { 0 };
	if (rounds > 64)
		rounds = 64;
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < OV__N; k++) {
			int m = (k + r) % OV__N;   /* rotate the order: no mode always first */
			double x[2] = { 0, 0 };
			int e = overhead_run(m, x, &calls[m]);
			if (e < 0) {
				fprintf(stderr, "%s: %s\n", ov_name[m], strerror(-e));
				return 2;
			}
			t[m][0][r] = x[0];
			t[m][1][r] = x[1];
		}
	}
	printf("%d interleaved rounds; child loops: 100k x (mmap 4 KiB, touch, munmap), "
	       "10M glibc malloc/free of 16..1040 B over 4096 slots.\n\n", rounds);
	printf("| counters | syscall loop ms (median) | ratio | malloc loop ms (median) | ratio | sc_mmap+sc_munmap counted |\n");
	printf("| --- | ---: | ---: | ---: | ---: | ---: |\n");
	double base[2] = { median(t[OV_NONE][0], rounds), median(t[OV_NONE][1], rounds) };
	for (int m = 0; m < OV__N; m++) {
		double a = median(t[m][0], rounds), b = median(t[m][1], rounds);
		char c[32] = "-";
		if (m != OV_NONE)
			snprintf(c, sizeof(c), "%.0f", calls[m]);
		printf("| %s | %.1f | %.3f | %.1f | %.3f | %s |\n", ov_name[m], a / 1e3, a / base[0], b / 1e3,
		       b / base[1], c);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: soak-bench-probes [--mib N] [--threads T] [--children C] [--iters N]\n"
			"       soak-bench-probes --overhead [--rounds R]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "mib", required_argument, 0, 'm' }, { "threads", required_argument, 0, 't' },
		{ "children", required_argument, 0, 'c' }, { "iters", required_argument, 0, 'i' },
		{ "overhead", no_argument, 0, 'o' }, { "rounds", required_argument, 0, 'r' },
		{ 0, 0, 0, 0 },
	};
	int o, rounds = 5;
	bool do_overhead = false;
	while ((o = getopt_long(argc, argv, "m:t:c:i:or:", lo, NULL)) != -1) {
		long v = optarg ? strtol(optarg, NULL, 10) : 0;
		switch (o) {
		case 'm': opt_mib = v; break;
		case 't': opt_threads = v < 1 ? 1 : v; break;
		case 'c': opt_children = v; break;
		case 'i': opt_iters = v < 10 ? 10 : v; break;
		case 'o': do_overhead = true; break;
		case 'r': rounds = v < 1 ? 1 : (int)v; break;
		default: usage();
		}
	}
	if (do_overhead)
		return overhead(rounds);
	times = calloc((size_t)opt_iters, sizeof(double));
	if (!times)
		return 2;

	int gate, ready;
	pid_t pid = spawn_target(&gate, &ready);
	soak_cg_paths_t cg;
	make_cgroups(&cg, pid);
	soak_probe_ctx_t ctx = { .pid = pid, .cg = &cg, .interval_s = 1 };
	soak_cg_paths_t nocg = { .mode = SOAK_CG_NONE };
	soak_probe_ctx_t task_ctx = { .pid = pid, .cg = &nocg, .interval_s = 1 };

	/* perf: cgroup mode attached while the target waits (like the runner);
	 * task mode opened now without enable_on_exec (the target does not exec),
	 * before the target starts its threads so they inherit the events. */
	const soak_probe_ops_t *perf = soak_probe_find("perf");
	char r1[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } }, r2[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *perf_cg = NULL, *perf_task = NULL;
	if (cg.unified_dir[0] && perf->attach(&perf_cg, &ctx, r1) == 0 &&
	    strcmp(soak_probe_perf_mode(perf_cg), "cgroup")) {
		perf->close(perf_cg);
		perf_cg = NULL;
	}
	if (perf->open(&perf_task, &task_ctx, r2) < 0)
		perf_task = NULL;

	close(gate);
	char c;
	if (read(ready, &c, 1) != 1) {
		fprintf(stderr, "target failed\n");
		return 2;
	}
	char host[256] = "";
	gethostname(host, sizeof(host));
	printf("Target: %ld MiB touched, %ld thread(s), %ld child(ren); %ld samples per row; cgroups: %s; "
	       "%ld online CPUs.\n\n",
	       opt_mib, opt_threads, opt_children, opt_iters, soak_cg_mode_name(cg.mode),
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("| method | median µs | mean µs | p99 µs | notes |\n| --- | ---: | ---: | ---: | --- |\n");

	time_libproc2(pid);
	time_pread("kept-open pread /proc/PID/statm", pid, "statm");
	time_pread("kept-open pread /proc/PID/stat", pid, "stat");
	time_pread("kept-open pread /proc/PID/status", pid, "status");
	time_stat_status(pid);

	const char *names[] = { "proc", "cgroup", "cpu" };
	for (size_t i = 0; i < 3; i++) {
		const soak_probe_ops_t *p = soak_probe_find(names[i]);
		char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } }, why[SOAK_REASON_MAX];
		void *st = NULL;
		if (p->supported(&ctx, why, sizeof(why)) == 0 && p->open(&st, &ctx, reasons) == 0) {
			char label[64];
			snprintf(label, sizeof(label), "probe %s", names[i]);
			time_probe(label, p, st, !strcmp(names[i], "cpu") && cg.unified_dir[0] ? "cgroup2 cpu.stat" :
					       !strcmp(names[i], "proc") ? "whole tree, stat+status+children" : "");
			p->close(st);
		}
		if (!strcmp(names[i], "cpu")) {
			st = NULL;
			memset(reasons, 0, sizeof(reasons));
			if (p->open(&st, &task_ctx, reasons) == 0) {
				time_probe("probe cpu (no cgroup2: /proc tree)", p, st, "stat of every tree member");
				p->close(st);
			}
		}
	}
	time_ops(1);
	time_ops(8);
	time_ops(64);
	if (perf_cg) {
		time_probe("probe perf, cgroup mode", perf, perf_cg, "15 events x online CPUs, one read each");
		perf->close(perf_cg);
	}
	if (perf_task) {
		time_probe("probe perf, task mode", perf, perf_task, "15 inherited events, one read each");
		perf->close(perf_task);
	}

	kill(pid, SIGKILL);
	/* The children were re-parented to init when the target died: kill them
	 * through the cgroup when there is one, else by their own pids. */
	if (cg.unified_dir[0]) {
		char path[PATH_MAX + 16];
		snprintf(path, sizeof(path), "%s/cgroup.kill", cg.unified_dir);
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "1", 1) < 0)
				perror("cgroup.kill");
			close(fd);
		}
	}
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 50; i++) {   /* cgroup removal waits for the last task */
		usleep(20000);
		remove_cgroups(&cg);
		if ((!cg.mem_dir[0] || access(cg.mem_dir, F_OK)) && (!cg.unified_dir[0] || access(cg.unified_dir, F_OK)))
			break;
	}
	free(times);
	return 0;
}
