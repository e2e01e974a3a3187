/*
 * test_probe_perf.c - the perf probe counts exactly (live, needs root).
 *
 * tests/helpers/sysfix makes a known number of each memory syscall across its
 * main thread, a second thread and a forked child. The test forks it (the
 * child waits on a pipe before execve, like the runner's), attaches the perf
 * probe, releases it, samples while the second thread is alive (after its
 * calls), while the forked child is alive, and after waitpid, and checks, in
 * both counting modes:
 *   - final counts == `strace -f -C` of the same binary, per syscall and per
 *     madvise advice;
 *   - final counts - strace of `sysfix 0` (libc/ld.so startup, pthread and
 *     fork overhead) == the numbers sysfix reports it made ("[SYSFIX] ...");
 *   - mid-run, while the second thread and later the forked child are alive
 *     (blocked after their calls): both modes already count their calls.
 * Also: SOAK_PERF_DISABLE=1 and an unprivileged user give reasons, not 0.
 * Exit 77 (skip) only when not root.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "probe.h"
#include "probe-perf.h"
#include "selfreport.h"

#define N_UNITS 2
static const char *const syscalls[] = { "mmap", "munmap", "mremap", "madvise", "brk",
					"mprotect", "mlock", "munlock" };
#define NSC (sizeof(syscalls) / sizeof(syscalls[0]))
static const char *const advices[] = { "dontneed", "free", "hugepage", "willneed", "other" };
#define NADV (sizeof(advices) / sizeof(advices[0]))

static char sysfix[PATH_MAX];

/* Counts keyed like the perf metrics without "sc_": syscalls then
 * madvise_<advice>. */
typedef struct {
	double sc[NSC];
	double adv[NADV];
} counts_t;

static const soak_probe_ops_t *perf(void)
{
	const soak_probe_ops_t *p = soak_probe_find("perf");
	assert_non_null(p);
	return p;
}

static int midx(const char *name)
{
	const soak_probe_ops_t *p = perf();
	for (size_t i = 0; i < p->n_metrics; i++)
		if (!strcmp(p->metrics[i].name, name))
			return (int)i;
	fail_msg("no perf metric %s", name);
	return -1;
}

static void from_sample(const double *v, const bool *ok, counts_t *c)
{
	char name[64];
	for (size_t i = 0; i < NSC; i++) {
		snprintf(name, sizeof(name), "sc_%s", syscalls[i]);
		int m = midx(name);
		if (!ok[m])
			fail_msg("%s invalid", name);
		c->sc[i] = v[m];
	}
	for (size_t i = 0; i < NADV; i++) {
		snprintf(name, sizeof(name), "sc_madvise_%s", advices[i]);
		int m = midx(name);
		if (!ok[m])
			fail_msg("%s invalid", name);
		c->adv[i] = v[m];
	}
}

/* ---- strace ground truth ----------------------------------------------- */

static int advice_index(const char *tok)
{
	static const char *const names[] = { "MADV_DONTNEED", "MADV_FREE", "MADV_HUGEPAGE", "MADV_WILLNEED" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(tok, names[i]))
			return i;
	return 4;
}

/* `strace -f -C -o FILE -e trace=... sysfix N`: the -c table for the totals,
 * the trace lines for madvise's advice (strace -c does not split it). */
static void strace_counts(long n, counts_t *c)
{
	char out[PATH_MAX], arg[32], filter[128];
	snprintf(out, sizeof(out), "/tmp/soak-test-strace-%d-%ld.txt", (int)getpid(), n);
	snprintf(arg, sizeof(arg), "%ld", n);
	snprintf(filter, sizeof(filter), "trace=mmap,munmap,mremap,madvise,brk,mprotect,mlock,munlock");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);
		dup2(dn, 1);
		execlp("strace", "strace", "-f", "-C", "-o", out, "-e", filter, sysfix, arg, (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("strace -f -C %s %ld failed (status %d): is strace installed?", sysfix, n, st);
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	memset(c, 0, sizeof(*c));
	char line[1024];
	bool table = false;
	double adv_sum = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "% time", 6)) {
			table = true;
			continue;
		}
		if (table) {
			/* "pct seconds usecs/call calls [errors] syscall" */
			char *tok[8];
			int nt = 0;
			for (char *s = strtok(line, " \t\n"); s && nt < 8; s = strtok(NULL, " \t\n"))
				tok[nt++] = s;
			if (nt < 5)
				continue;
			for (size_t i = 0; i < NSC; i++)
				if (!strcmp(tok[nt - 1], syscalls[i]))
					c->sc[i] = strtod(tok[3], NULL);
			continue;
		}
		char *m = strstr(line, " madvise(");
		if (!m)
			continue;
		/* third argument: after the second ", " */
		char *a = strstr(m, ", ");
		a = a ? strstr(a + 2, ", ") : NULL;
		assert_non_null(a);
		a += 2;
		size_t len = strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789x");
		char tok[64];
		snprintf(tok, sizeof(tok), "%.*s", (int)len, a);
		c->adv[advice_index(tok)]++;
		adv_sum++;
	}
	fclose(f);
	unlink(out);
	assert_true(table);
	assert_true(adv_sum == c->sc[3]);   /* every madvise line seen */
}

/* ---- cgroup2 helpers ---------------------------------------------------- */

/* The cgroup2 directory of this process: "0::PATH" under the cgroup2 mount
 * (/sys/fs/cgroup/unified on hybrid hosts, /sys/fs/cgroup on v2 hosts). */
static void own_unified(char *dir, size_t len)
{
	static const char *const mnts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	const char *mnt = NULL;
	for (size_t i = 0; i < 2 && !mnt; i++) {
		struct statfs sf;
		if (statfs(mnts[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)
			mnt = mnts[i];
	}
	if (!mnt)
		fail_msg("no cgroup2 mount at /sys/fs/cgroup/unified or /sys/fs/cgroup");
	FILE *f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	char line[PATH_MAX];
	const char *path = NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			path = line + 3;
			break;
		}
	}
	fclose(f);
	assert_non_null(path);
	int k = snprintf(dir, len, "%s%s", mnt, strcmp(path, "/") ? path : "");
	assert_true(k > 0 && (size_t)k < len);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	int k = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (k < 0 || (size_t)k >= sizeof(path))
		fail_msg("path too long: %s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	ssize_t n = write(fd, text, strlen(text));
	if (n != (ssize_t)strlen(text))
		fail_msg("write %s to %s: %s", text, path, strerror(errno));
	close(fd);
}

/* ---- one live run ------------------------------------------------------ */

/* What a failed assertion would leave behind: cleaned by the teardown. */
static pid_t live_child;
static char live_cgdir[PATH_MAX];

static int teardown_live(void **st)
{
	(void)st;
	if (live_child > 0) {
		kill(live_child, SIGKILL);
		waitpid(live_child, NULL, 0);
		live_child = 0;
	}
	if (live_cgdir[0]) {
		rmdir(live_cgdir);
		live_cgdir[0] = '\0';
	}
	return 0;
}

typedef struct {
	counts_t mid_thread, mid_child, final;
	soak_sr_store_t self;     /* sysfix's [SYSFIX] line */
	char mode[16];
	int grouped;                 /* counter fds read through a group leader */
	double pf_minor, ctx_switches;
} run_t;

static void sample_counts(void *state, counts_t *c, double *v, bool *ok)
{
	assert_int_equal(soak_probe_sample_all(perf(), state, v, ok), 0);
	from_sample(v, ok, c);
}

static void live_run(bool cgroup_mode, run_t *r)
{
	const soak_probe_ops_t *p = perf();
	int gate[2], out[2], in[2];
	assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	char arg[16];
	snprintf(arg, sizeof(arg), "%d", N_UNITS);
	char *const argv[] = { sysfix, arg, "hold", NULL };
	extern char **environ;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Raw system calls only: nothing between here and execve may be
		 * counted (no libc or sanitizer wrapper that could allocate). */
		char c;
		syscall(SYS_dup2, out[1], 1);
		syscall(SYS_dup2, in[0], 0);
		syscall(SYS_close, gate[1]);
		syscall(SYS_read, gate[0], &c, 1);   /* EOF: released */
		syscall(SYS_execve, sysfix, argv, environ);
		syscall(SYS_exit_group, 127);
	}
	close(gate[0]);
	close(out[1]);
	close(in[0]);
	live_child = pid;

	char cgdir[PATH_MAX] = "";
	soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
	if (cgroup_mode) {
		char own[PATH_MAX - 64];
		own_unified(own, sizeof(own));
		snprintf(cgdir, sizeof(cgdir), "%s/soak-test-%d", own, (int)getpid());
		if (mkdir(cgdir, 0755) < 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", cgdir, strerror(errno));
		snprintf(live_cgdir, sizeof(live_cgdir), "%s", cgdir);
		char pidtext[16];
		snprintf(pidtext, sizeof(pidtext), "%d", (int)pid);
		write_file(cgdir, "cgroup.procs", pidtext);
		cg.mode = SOAK_CG_HYBRID;
		snprintf(cg.unified_dir, sizeof(cg.unified_dir), "%s", cgdir);
	}
	soak_probe_ctx_t ctx = { .pid = pid, .cg = &cg, .interval_s = 1 };
	char why[SOAK_REASON_MAX] = "";
	assert_int_equal(p->supported(&ctx, why, sizeof(why)), 0);
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *state = NULL;
	int ar = p->attach(&state, &ctx, reasons);
	for (size_t i = 0; i < p->n_metrics; i++)
		if (reasons[i][0])
			fail_msg("%s unavailable: %s", p->metrics[i].name, reasons[i]);
	assert_int_equal(ar, 0);
	snprintf(r->mode, sizeof(r->mode), "%s", soak_probe_perf_mode(state));
	r->grouped = soak_probe_perf_grouped(state);

	close(gate[1]);   /* release: the child execs sysfix */
	assert_int_equal(p->open(&state, &ctx, reasons), 0);

	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	soak_sr_store_init(&r->self);
	soak_selfreport_t sr;
	soak_selfreport_init(&sr, soak_sr_store_put, &r->self);
	char buf[512];
	ssize_t n;
	int held = 0;
	double x;
	while ((n = read(out[0], buf, sizeof(buf))) > 0) {
		soak_selfreport_feed(&sr, buf, (size_t)n);
		if (held == 0 && soak_sr_store_get(&r->self, "SYSFIX_HOLD", "thread", &x) == 0) {
			/* The second thread is done with its calls and still alive. */
			sample_counts(state, &r->mid_thread, v, ok);
			held = 1;
			assert_int_equal(write(in[1], "g", 1), 1);
		}
		if (held == 1 && soak_sr_store_get(&r->self, "SYSFIX_HOLD", "child", &x) == 0) {
			/* The forked child is done with its calls and still alive. */
			sample_counts(state, &r->mid_child, v, ok);
			held = 2;
			close(in[1]);
		}
	}
	soak_selfreport_flush(&sr);
	close(out[0]);
	if (held < 2)
		close(in[1]);
	assert_int_equal(held, 2);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	live_child = 0;
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	/* The runner's last sample: after waitpid, before close. */
	sample_counts(state, &r->final, v, ok);
	assert_true(ok[midx("pf_minor")] && ok[midx("ctx_switches")] && ok[midx("pf_major")]);
	r->pf_minor = v[midx("pf_minor")];
	r->ctx_switches = v[midx("ctx_switches")];
	p->close(state);
	if (cgdir[0] && rmdir(cgdir) < 0)
		fail_msg("rmdir %s: %s", cgdir, strerror(errno));
	live_cgdir[0] = '\0';
}

static void check_exact(const run_t *r, const counts_t *truth, const counts_t *base)
{
	char key[64];
	for (size_t i = 0; i < NSC; i++) {
		if (r->final.sc[i] != truth->sc[i])
			fail_msg("%s mode: sc_%s = %.0f, strace -f -c says %.0f", r->mode, syscalls[i],
				 r->final.sc[i], truth->sc[i]);
		double known;
		assert_int_equal(soak_sr_store_get((void *)&r->self, "SYSFIX", syscalls[i], &known), 0);
		if (r->final.sc[i] - base->sc[i] != known)
			fail_msg("%s mode: sc_%s = %.0f = %.0f (startup) + %.0f, sysfix made %.0f", r->mode,
				 syscalls[i], r->final.sc[i], base->sc[i], r->final.sc[i] - base->sc[i], known);
	}
	for (size_t i = 0; i < NADV; i++) {
		if (r->final.adv[i] != truth->adv[i])
			fail_msg("%s mode: sc_madvise_%s = %.0f, strace says %.0f", r->mode, advices[i],
				 r->final.adv[i], truth->adv[i]);
		snprintf(key, sizeof(key), "madvise_%s", advices[i]);
		double known;
		assert_int_equal(soak_sr_store_get((void *)&r->self, "SYSFIX", key, &known), 0);
		if (r->final.adv[i] - base->adv[i] != known)
			fail_msg("%s mode: sc_madvise_%s - startup = %.0f, sysfix made %.0f", r->mode,
				 advices[i], r->final.adv[i] - base->adv[i], known);
	}
	assert_true(r->pf_minor > 0);
	assert_true(r->ctx_switches > 0);
}

static counts_t truth, base;

static int setup_strace(void **st)
{
	(void)st;
	strace_counts(N_UNITS, &truth);
	strace_counts(0, &base);
	return 0;
}

/* Calls that startup never makes: the mid-run checks use them. */
static const char *const clean[] = { "mremap", "mlock", "munlock" };

static void check_mid(const run_t *r, const counts_t *mid, double want)
{
	for (size_t k = 0; k < sizeof(clean) / sizeof(clean[0]); k++) {
		for (size_t i = 0; i < NSC; i++) {
			if (strcmp(syscalls[i], clean[k]))
				continue;
			assert_true(base.sc[i] == 0);
			if (mid->sc[i] != want)
				fail_msg("%s mode, mid-run: sc_%s = %.0f, want %.0f", r->mode, syscalls[i],
					 mid->sc[i], want);
		}
	}
	for (size_t i = 1; i < 4; i++)   /* free, hugepage, willneed */
		if (mid->adv[i] - base.adv[i] != want)
			fail_msg("%s mode, mid-run: sc_madvise_%s = %.0f, want %.0f", r->mode, advices[i],
				 mid->adv[i], want);
}

static void test_cgroup_mode(void **st)
{
	(void)st;
	run_t r;
	live_run(true, &r);
	assert_string_equal(r.mode, "cgroup");
	/* All 15 counters x the online CPUs in groups, unless SOAK_PERF_UNGROUPED. */
	const char *ug = getenv("SOAK_PERF_UNGROUPED");
	if (ug && !strcmp(ug, "1"))
		assert_int_equal(r.grouped, 0);
	else
		assert_int_equal(r.grouped, 15 * (int)sysconf(_SC_NPROCESSORS_ONLN));
	check_exact(&r, &truth, &base);
	/* Main thread (N units) and the live second thread (2N), then also the
	 * live child (3N): seen while they run. */
	check_mid(&r, &r.mid_thread, 3 * N_UNITS);
	check_mid(&r, &r.mid_child, 6 * N_UNITS);
}

static void test_task_mode(void **st)
{
	(void)st;
	run_t r;
	live_run(false, &r);
	assert_string_equal(r.mode, "task");
	const char *ug = getenv("SOAK_PERF_UNGROUPED");
	if (ug && !strcmp(ug, "1"))
		assert_int_equal(r.grouped, 0);
	else
		assert_int_equal(r.grouped, 15);
	check_exact(&r, &truth, &base);
	/* Measured: read() of an inherit=1 event also sums the inherited events
	 * of live threads and children (the kernel walks event->child_list), so
	 * task mode sees them mid-run too, not only once they exit. */
	check_mid(&r, &r.mid_thread, 3 * N_UNITS);
	check_mid(&r, &r.mid_child, 6 * N_UNITS);
}

/* The same exact counts with every counter read on its own fd (the path a
 * kernel that refuses groups takes). */
static void test_cgroup_mode_ungrouped(void **st)
{
	setenv("SOAK_PERF_UNGROUPED", "1", 1);
	test_cgroup_mode(st);
	unsetenv("SOAK_PERF_UNGROUPED");
}

static void test_task_mode_ungrouped(void **st)
{
	setenv("SOAK_PERF_UNGROUPED", "1", 1);
	test_task_mode(st);
	unsetenv("SOAK_PERF_UNGROUPED");
}

static void test_disabled(void **st)
{
	(void)st;
	const soak_probe_ops_t *p = perf();
	setenv("SOAK_PERF_DISABLE", "1", 1);
	soak_probe_ctx_t ctx = { .pid = getpid() };
	char why[SOAK_REASON_MAX] = "";
	assert_true(p->supported(&ctx, why, sizeof(why)) < 0);
	assert_string_equal(why, "disabled by SOAK_PERF_DISABLE");
	char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
	void *state = NULL;
	assert_true(p->attach(&state, &ctx, reasons) < 0);
	assert_null(state);
	assert_true(p->open(&state, &ctx, reasons) < 0);
	assert_null(state);
	for (size_t i = 0; i < p->n_metrics; i++)
		assert_string_equal(reasons[i], "disabled by SOAK_PERF_DISABLE");
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	memset(ok, 1, sizeof(ok));
	assert_true(soak_probe_sample_all(p, state, v, ok) < 0);
	for (size_t i = 0; i < p->n_metrics; i++)
		assert_false(ok[i]);
	p->close(state);
	unsetenv("SOAK_PERF_DISABLE");
}

/* As nobody (tracefs is root-only here, perf_event_paranoid 2): every
 * syscall metric has a reason and is never valid; every metric is either
 * valid or has a reason, never both, never neither. */
static void test_unprivileged(void **st)
{
	(void)st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		const soak_probe_ops_t *p = perf();
		int gate[2];
		if (pipe(gate))
			_exit(11);
		pid_t t = fork();
		if (t == 0) {
			char c;
			close(gate[1]);
			if (read(gate[0], &c, 1) < 0)
				_exit(1);
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		close(gate[0]);
		soak_cg_paths_t cg = { .mode = SOAK_CG_NONE };
		soak_probe_ctx_t ctx = { .pid = t, .cg = &cg };
		char reasons[SOAK_PROBE_MAX_METRICS][SOAK_REASON_MAX] = { { 0 } };
		void *state = NULL;
		int r = p->attach(&state, &ctx, reasons);
		close(gate[1]);
		waitpid(t, NULL, 0);
		double v[SOAK_PROBE_MAX_METRICS];
		bool ok[SOAK_PROBE_MAX_METRICS];
		if (r == 0 && soak_probe_sample_all(p, state, v, ok) < 0)
			_exit(12);
		/* Where tracefs is open to everyone (not here) the syscall metrics
		 * may count as nobody; then only "valid xor reason" is checked. */
		bool denied = access("/sys/kernel/tracing/events", F_OK) < 0 &&
			      access("/sys/kernel/debug/tracing/events", F_OK) < 0;
		for (size_t i = 0; i < p->n_metrics; i++) {
			bool sc = denied && !strncmp(p->metrics[i].name, "sc_", 3);
			bool valid = r == 0 && ok[i];
			if (sc && (!reasons[i][0] || valid)) {
				fprintf(stderr, "%s: reason '%s' valid %d\n", p->metrics[i].name, reasons[i], valid);
				_exit(13);
			}
			if (valid && reasons[i][0])
				_exit(14);
			if (!valid && !reasons[i][0])
				_exit(15);
		}
		fprintf(stderr, "as nobody: sc_mmap: %s\n", reasons[0]);
		p->close(state);
		_exit(0);
	}
	int st2;
	assert_int_equal(waitpid(pid, &st2, 0), pid);
	assert_true(WIFEXITED(st2));
	assert_int_equal(WEXITSTATUS(st2), 0);
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_probe_perf: skipped: needs root (tracefs, perf tracepoints, cgroups)\n");
		return 77;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return 1;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	if (snprintf(sysfix, sizeof(sysfix), "%s/sysfix", self) >= (int)sizeof(sysfix))
		return 1;
	if (access(sysfix, X_OK) < 0) {
		fprintf(stderr, "test_probe_perf: %s not built\n", sysfix);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_cgroup_mode, teardown_live),
		cmocka_unit_test_teardown(test_task_mode, teardown_live),
		cmocka_unit_test_teardown(test_cgroup_mode_ungrouped, teardown_live),
		cmocka_unit_test_teardown(test_task_mode_ungrouped, teardown_live),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_unprivileged),
	};
	return cmocka_run_group_tests(tests, setup_strace, NULL);
}
