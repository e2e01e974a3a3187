/*
 * probe-perf.c - exact counts of memory-management system calls, page faults
 * and context switches of the worker's whole process tree, with perf_event_open
 * in counting mode (the syscall budget, docs/syscall-budget.md): syscall-entry tracepoints
 * (syscalls/sys_enter_<name>, ids read from tracefs, never hard-coded),
 * madvise split by advice with tracepoint filters, and software events.
 *
 * Two modes (docs/probes.md):
 *  - cgroup: the run has a cgroup2 directory (v2 or hybrid). One event per
 *    online CPU with PERF_FLAG_PID_CGROUP on that directory, summed. Counts
 *    every task that runs in the cgroup, whoever its parent is. Opened in
 *    attach() and enabled at once: the child sits in the cgroup, stopped
 *    before execve, and must make no counted syscall before it execs.
 *  - task: no cgroup2 directory (--no-cgroup, v1 hosts), or cgroup-wide events
 *    refused (non-root). One event per metric on the worker, inherit=1 +
 *    enable_on_exec (counting starts at execve). Threads and children get
 *    inherited copies. Measured (tests/unit/test_probe_perf.c): read() of the
 *    parent event also sums the copies of live threads and children (the
 *    kernel walks event->child_list in perf_event_read_value), so mid-run
 *    reads are exact here too, not only the totals after exit; exited ones
 *    are folded in at their exit.
 *
 * A value is never scaled: an event that was multiplexed (time_running <
 * time_enabled) makes the sample invalid. When counting is impossible the
 * metric gets a reason, never a 0. SOAK_PERF_DISABLE=1 forces that (tests).
 */
#include "probe.h"
#include "probe-perf.h"
#include "probe-util.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum {
	M_MMAP, M_MUNMAP, M_MREMAP, M_MADVISE, M_BRK, M_MPROTECT, M_MLOCK, M_MUNLOCK,
	M_MADV_DONTNEED, M_MADV_FREE, M_MADV_HUGEPAGE, M_MADV_WILLNEED, M_MADV_OTHER,
	M_PF_MINOR, M_PF_MAJOR, M_CTXSW, M__N
};

#define SC(n, what) { "sc_" #n, "count", SOAK_COUNTER, what }
static const soak_metric_def_t perf_metrics[M__N] = {
	[M_MMAP] = SC(mmap, "mmap calls entered by the process tree"),
	[M_MUNMAP] = SC(munmap, "munmap calls entered"),
	[M_MREMAP] = SC(mremap, "mremap calls entered"),
	[M_MADVISE] = SC(madvise, "madvise calls entered (any advice)"),
	[M_BRK] = SC(brk, "brk calls entered (sbrk is brk)"),
	[M_MPROTECT] = SC(mprotect, "mprotect calls entered"),
	[M_MLOCK] = SC(mlock, "mlock calls entered"),
	[M_MUNLOCK] = SC(munlock, "munlock calls entered"),
	[M_MADV_DONTNEED] = SC(madvise_dontneed, "madvise(MADV_DONTNEED = 4) calls"),
	[M_MADV_FREE] = SC(madvise_free, "madvise(MADV_FREE = 8) calls"),
	[M_MADV_HUGEPAGE] = SC(madvise_hugepage, "madvise(MADV_HUGEPAGE = 14) calls"),
	[M_MADV_WILLNEED] = SC(madvise_willneed, "madvise(MADV_WILLNEED = 3) calls"),
	[M_MADV_OTHER] = SC(madvise_other, "madvise calls with any other advice (total minus the four)"),
	[M_PF_MINOR] = { "pf_minor", "count", SOAK_COUNTER, "minor page faults (perf software event)" },
	[M_PF_MAJOR] = { "pf_major", "count", SOAK_COUNTER, "major page faults (perf software event)" },
	[M_CTXSW] = { "ctx_switches", "count", SOAK_COUNTER, "context switches (perf software event)" },
};

/* How each metric is counted; M_MADV_OTHER is computed. */
static const struct ev {
	const char *syscall;   /* tracepoint syscalls/sys_enter_<syscall>, or NULL */
	int advice;            /* >= 0: filter "<advice field> == advice" */
	int sw;                /* PERF_COUNT_SW_* when syscall is NULL; -1: computed */
	const char *label;     /* for reasons */
} evs[M__N] = {
	[M_MMAP] = { "mmap", -1, 0, "sys_enter_mmap" },
	[M_MUNMAP] = { "munmap", -1, 0, "sys_enter_munmap" },
	[M_MREMAP] = { "mremap", -1, 0, "sys_enter_mremap" },
	[M_MADVISE] = { "madvise", -1, 0, "sys_enter_madvise" },
	[M_BRK] = { "brk", -1, 0, "sys_enter_brk" },
	[M_MPROTECT] = { "mprotect", -1, 0, "sys_enter_mprotect" },
	[M_MLOCK] = { "mlock", -1, 0, "sys_enter_mlock" },
	[M_MUNLOCK] = { "munlock", -1, 0, "sys_enter_munlock" },
	[M_MADV_DONTNEED] = { "madvise", 4, 0, "sys_enter_madvise" },
	[M_MADV_FREE] = { "madvise", 8, 0, "sys_enter_madvise" },
	[M_MADV_HUGEPAGE] = { "madvise", 14, 0, "sys_enter_madvise" },
	[M_MADV_WILLNEED] = { "madvise", 3, 0, "sys_enter_madvise" },
	[M_MADV_OTHER] = { NULL, -1, -1, "madvise_other" },
	[M_PF_MINOR] = { NULL, -1, PERF_COUNT_SW_PAGE_FAULTS_MIN, "page-faults-min" },
	[M_PF_MAJOR] = { NULL, -1, PERF_COUNT_SW_PAGE_FAULTS_MAJ, "page-faults-maj" },
	[M_CTXSW] = { NULL, -1, PERF_COUNT_SW_CONTEXT_SWITCHES, "context-switches" },
};

/* Splits are read before the madvise total, so total >= sum of splits and
 * madvise_other never goes negative from the reads' order (only from calls in
 * flight on another CPU between two reads; clamped at 0). */
static const int read_order[] = {
	M_MADV_DONTNEED, M_MADV_FREE, M_MADV_HUGEPAGE, M_MADV_WILLNEED, M_MADVISE,
	M_MMAP, M_MUNMAP, M_MREMAP, M_BRK, M_MPROTECT, M_MLOCK, M_MUNLOCK,
	M_PF_MINOR, M_PF_MAJOR, M_CTXSW,
};

enum { MODE_CGROUP, MODE_TASK };

struct perf_state {
	int mode;
	int nper;              /* fds per metric: online CPUs (cgroup) or 1 (task) */
	int *cpus;
	int *fd;               /* fd[m * nper + k], -1 when not open */
	int *leader;           /* leader[k]: a dummy event leading CPU k's group, or -1 */
	uint64_t *id;          /* id[m * nper + k]: the kernel's event id, 0 when not in a group */
	bool avail[M__N];
};

/* One read() of a group (PERF_FORMAT_GROUP | TOTAL_TIME_* | ID): the dummy
 * leader and at most one event per metric. */
struct group_read {
	uint64_t nr, enabled, running;
	struct { uint64_t value, id; } v[M__N + 1];
};

static const char tracefs_mnt[] = "/sys/kernel/tracing";

static bool perf_disabled(void)
{
	const char *e = getenv("SOAK_PERF_DISABLE");
	return e && *e && strcmp(e, "0");
}

static int perf_supported(const soak_probe_ctx_t *ctx, char *why, size_t whylen)
{
	(void)ctx;
	if (perf_disabled()) {
		snprintf(why, whylen, "disabled by SOAK_PERF_DISABLE");
		return -ENOTSUP;
	}
	if (access("/proc/sys/kernel/perf_event_paranoid", F_OK) < 0) {
		snprintf(why, whylen, "kernel without perf events (no /proc/sys/kernel/perf_event_paranoid)");
		return -ENOTSUP;
	}
	return 0;
}

/* ---- tracefs ----------------------------------------------------------- */

/* Finds the tracefs directory holding events/syscalls, mounting tracefs at
 * /sys/kernel/tracing when it is not mounted and we are root. */
static int find_tracefs(char *dir, size_t len, char *why, size_t whylen)
{
	static const char *const cands[] = { tracefs_mnt, "/sys/kernel/debug/tracing" };
	char path[PATH_MAX], e[32];
	bool denied = false, mounted = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
			snprintf(path, sizeof(path), "%s/events", cands[i]);
			if (access(path, F_OK) < 0) {
				denied |= errno == EACCES;
				continue;
			}
			mounted = true;
			snprintf(path, sizeof(path), "%s/events/syscalls", cands[i]);
			if (access(path, F_OK) == 0) {
				snprintf(dir, len, "%s", cands[i]);
				return 0;
			}
		}
		if (denied) {
			snprintf(why, whylen, "tracefs %s: EACCES: tracepoint ids are readable by root only",
				 tracefs_mnt);
			return -EACCES;
		}
		if (mounted) {
			snprintf(why, whylen, "no syscall tracepoints in %s/events "
				 "(kernel without CONFIG_FTRACE_SYSCALLS)", tracefs_mnt);
			return -ENOENT;
		}
		if (attempt == 0) {
			if (geteuid() != 0) {
				snprintf(why, whylen, "tracefs not mounted at %s (as root: "
					 "mount -t tracefs nodev %s)", tracefs_mnt, tracefs_mnt);
				return -ENOENT;
			}
			/* Left mounted on purpose: ids stay readable for later runs. */
			if (mount("nodev", tracefs_mnt, "tracefs", 0, NULL) < 0 && errno != EBUSY) {
				int r = -errno;
				snprintf(why, whylen, "mount tracefs at %s: %s", tracefs_mnt,
					 soak_errname(r, e, sizeof(e)));
				return r;
			}
		}
	}
	snprintf(why, whylen, "tracefs not found at %s after mounting it", tracefs_mnt);
	return -ENOENT;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = soak_read_fd(fd, buf, len);
	close(fd);
	return n < 0 ? (int)n : 0;
}

static int tracepoint_id(const char *tracefs, const char *syscall, uint64_t *ret)
{
	char path[PATH_MAX], buf[64];
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_%s/id", tracefs, syscall);
	int r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return r;
	const char *end;
	if (soak_parse_u64_dec(buf, ret, &end) < 0 || (*end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

/* The name of madvise's advice argument in the tracepoint format (the third
 * field after __syscall_nr: "behavior" on current kernels). */
static void advice_field(const char *tracefs, char *name, size_t len)
{
	char path[PATH_MAX], buf[4096];
	snprintf(name, len, "behavior");
	snprintf(path, sizeof(path), "%s/events/syscalls/sys_enter_madvise/format", tracefs);
	if (read_small(path, buf, sizeof(buf)) < 0)
		return;
	int after_nr = -1;
	for (char *p = strstr(buf, "field:"); p; p = strstr(p + 6, "field:")) {
		char *semi = strchr(p, ';');
		if (!semi)
			return;
		char *w = semi;
		while (w > p && w[-1] != ' ' && w[-1] != '\t')
			w--;
		size_t wl = (size_t)(semi - w);
		if (after_nr >= 0 && ++after_nr == 3) {
			if (wl > 0 && wl < len)
				snprintf(name, len, "%.*s", (int)wl, w);
			return;
		}
		if (wl == 12 && !strncmp(w, "__syscall_nr", 12))
			after_nr = 0;
	}
}

/* ---- opening ----------------------------------------------------------- */

static int online_cpus(int **ret)
{
	char buf[1024];
	int r = read_small("/sys/devices/system/cpu/online", buf, sizeof(buf));
	if (r < 0)
		return r;
	int n = 0, cap = 64, *cpus = malloc(sizeof(int) * (size_t)cap);
	if (!cpus)
		return -ENOMEM;
	for (char *p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;
		if (end == p || a < 0)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			b = strtol(p, &end, 10);
			if (end == p || b < a)
				goto bad;
		}
		for (long c = a; c <= b; c++) {
			if (n == cap) {
				int *nc = realloc(cpus, sizeof(int) * (size_t)(cap *= 2));
				if (!nc)
					goto bad;
				cpus = nc;
			}
			cpus[n++] = (int)c;
		}
		p = *end == ',' ? end + 1 : end;
	}
	if (!n)
		goto bad;
	*ret = cpus;
	return n;
bad:
	free(cpus);
	return -EINVAL;
}

static int sys_perf_event_open(struct perf_event_attr *a, pid_t pid, int cpu, int group,
			       unsigned long flags)
{
	int fd = (int)syscall(SYS_perf_event_open, a, pid, cpu, group, flags | PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Opens one event, retrying user-only when the kernel refuses kernel-side
 * counting to an unprivileged user (perf_event_paranoid 2: syscall tracepoints
 * still count exactly with exclude_kernel). */
static int open_event(struct perf_event_attr *a, pid_t pid, int cpu, int group, unsigned long flags)
{
	int fd = sys_perf_event_open(a, pid, cpu, group, flags);
	/* Context switches happen in the kernel: counted user-only they would
	 * always read 0, a false measurement. Leave them refused. */
	bool ctxsw = a->type == PERF_TYPE_SOFTWARE && a->config == PERF_COUNT_SW_CONTEXT_SWITCHES;
	if ((fd == -EACCES || fd == -EPERM) && geteuid() != 0 && !a->exclude_kernel && !ctxsw) {
		a->exclude_kernel = a->exclude_hv = 1;
		fd = sys_perf_event_open(a, pid, cpu, group, flags);
		if (fd < 0)
			a->exclude_kernel = a->exclude_hv = 0;
	}
	return fd;
}

static void open_reason(char (*reasons)[SOAK_REASON_MAX], int m, int err, const char *what)
{
	char e[32];
	const char *name = soak_errname(err, e, sizeof(e));
	if (err == -EACCES || err == -EPERM)
		soak_reason_set(reasons, (size_t)m, "%s(%s): %s: needs root or kernel.perf_event_paranoid <= 1",
				what, evs[m].label, name);
	else if (err == -ENOENT && evs[m].syscall && !strcmp(what, "tracepoint"))
		soak_reason_set(reasons, (size_t)m, "no tracepoint syscalls/%s: %s", evs[m].label, name);
	else
		soak_reason_set(reasons, (size_t)m, "%s(%s): %s", what, evs[m].label, name);
}

static void close_fds(struct perf_state *s)
{
	for (int i = 0; i < M__N * s->nper; i++) {
		if (s->fd[i] >= 0)
			close(s->fd[i]);
		s->fd[i] = -1;
		s->id[i] = 0;
	}
	for (int k = 0; k < s->nper; k++) {
		if (s->leader[k] >= 0)
			close(s->leader[k]);
		s->leader[k] = -1;
	}
	memset(s->avail, 0, sizeof(s->avail));
}

static int alloc_fds(struct perf_state *s, int nper)
{
	free(s->fd);
	free(s->leader);
	free(s->id);
	s->nper = nper;
	s->fd = malloc(sizeof(int) * (size_t)(M__N * nper));
	s->leader = malloc(sizeof(int) * (size_t)nper);
	s->id = calloc((size_t)(M__N * nper), sizeof(uint64_t));
	if (!s->fd || !s->leader || !s->id)
		return -ENOMEM;
	for (int i = 0; i < M__N * nper; i++)
		s->fd[i] = -1;
	for (int k = 0; k < nper; k++)
		s->leader[k] = -1;
	return 0;
}

/* Opens a dummy software event per CPU (cgroup mode) or on the worker (task
 * mode) to lead a group: one read() then returns every counter of that CPU,
 * instead of one read per counter. Each read of a counter that is active on
 * another CPU costs an inter-processor call (in a VM, an exit per call):
 * measured at 15 calls and ~300 us per 10 ms tick before grouping
 * (docs/performance.md). A leader the kernel refuses (e.g. inherited groups
 * on an old kernel) leaves that CPU's events ungrouped, read one by one. */
static void open_leaders(struct perf_state *s, int target, bool on_exec)
{
	/* SOAK_PERF_UNGROUPED=1: no groups (tests run the fallback with it). */
	const char *e = getenv("SOAK_PERF_UNGROUPED");
	if (e && *e && strcmp(e, "0"))
		return;
	for (int k = 0; k < s->nper; k++) {
		struct perf_event_attr a = { .size = sizeof(a), .disabled = 1,
			.type = PERF_TYPE_SOFTWARE, .config = PERF_COUNT_SW_DUMMY,
			.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				       PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING };
		if (s->mode == MODE_TASK) {
			a.inherit = 1;
			a.enable_on_exec = on_exec;
		}
		int fd = s->mode == MODE_CGROUP
			 ? open_event(&a, target, s->cpus[k], -1, PERF_FLAG_PID_CGROUP)
			 : open_event(&a, target, -1, -1, 0);
		s->leader[k] = fd < 0 ? -1 : fd;
	}
}

/* Opens one metric's event on slot k: in the group of CPU k when there is
 * one (falling back to its own fd when the kernel refuses the group). */
static int open_member(struct perf_state *s, struct perf_event_attr *a, int target, int k, int m)
{
	int fd = -EINVAL;
	if (s->leader[k] >= 0) {
		fd = s->mode == MODE_CGROUP
		     ? open_event(a, target, s->cpus[k], s->leader[k], PERF_FLAG_PID_CGROUP)
		     : open_event(a, target, -1, s->leader[k], 0);
		uint64_t id = 0;
		if (fd >= 0 && ioctl(fd, PERF_EVENT_IOC_ID, &id) == 0 && id) {
			s->id[m * s->nper + k] = id;
			return fd;
		}
		if (fd >= 0)
			close(fd);
	}
	return s->mode == MODE_CGROUP ? open_event(a, target, s->cpus[k], -1, PERF_FLAG_PID_CGROUP)
				      : open_event(a, target, -1, -1, 0);
}

/* Opens every event of the current mode. `target` is a cgroup fd (cgroup
 * mode) or the worker's pid (task mode). Returns the number of metrics
 * opened, or -EACCES/-EPERM when the very first open was refused (so cgroup
 * mode can fall back to task mode). */
static int open_all(struct perf_state *s, int target, bool on_exec, const char *tracefs,
		    const char *tracefs_why, char (*reasons)[SOAK_REASON_MAX])
{
	char field[64], filter[96], e[32];
	if (tracefs)
		advice_field(tracefs, field, sizeof(field));
	open_leaders(s, target, on_exec);
	int opened = 0, tried = 0;
	for (int m = 0; m < M__N; m++) {
		const struct ev *ev = &evs[m];
		if (ev->sw < 0 || reasons[m][0])
			continue;
		struct perf_event_attr a = { .size = sizeof(a), .disabled = 1,
			.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING };
		if (ev->syscall) {
			if (!tracefs) {
				soak_reason_set(reasons, (size_t)m, "%s", tracefs_why);
				continue;
			}
			uint64_t id;
			int r = tracepoint_id(tracefs, ev->syscall, &id);
			if (r < 0) {
				open_reason(reasons, m, r, "tracepoint");
				continue;
			}
			a.type = PERF_TYPE_TRACEPOINT;
			a.config = id;
		} else {
			a.type = PERF_TYPE_SOFTWARE;
			a.config = (uint64_t)ev->sw;
		}
		if (s->mode == MODE_TASK) {
			a.inherit = 1;
			a.enable_on_exec = on_exec;
		}
		int fail = 0;
		for (int k = 0; k < s->nper && !fail; k++) {
			int fd = open_member(s, &a, target, k, m);
			if (fd < 0) {
				fail = fd;
				break;
			}
			s->fd[m * s->nper + k] = fd;
			if (ev->advice >= 0) {
				snprintf(filter, sizeof(filter), "%s == %d", field, ev->advice);
				if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) < 0) {
					soak_reason_set(reasons, (size_t)m, "PERF_EVENT_IOC_SET_FILTER(%s): %s",
							filter, soak_errname(-errno, e, sizeof(e)));
					fail = 1;
				}
			}
		}
		if (fail) {
			for (int k = 0; k < s->nper; k++) {
				int *fd = &s->fd[m * s->nper + k];
				if (*fd >= 0)
					close(*fd);
				*fd = -1;
				s->id[m * s->nper + k] = 0;
			}
			if (fail < 0 && tried == 0 && opened == 0 && (fail == -EACCES || fail == -EPERM) &&
			    s->mode == MODE_CGROUP)
				return fail;
			if (fail < 0)
				open_reason(reasons, m, fail, "perf_event_open");
			tried++;
			continue;
		}
		tried++;
		s->avail[m] = true;
		opened++;
	}
	return opened;
}

/* Enables the events opened disabled (all but task mode's enable_on_exec). */
static void enable_all(struct perf_state *s)
{
	for (int k = 0; k < s->nper; k++)
		if (s->leader[k] >= 0)
			ioctl(s->leader[k], PERF_EVENT_IOC_ENABLE, 0);
	for (int i = 0; i < M__N * s->nper; i++)
		if (s->fd[i] >= 0)
			ioctl(s->fd[i], PERF_EVENT_IOC_ENABLE, 0);
}

/* Cgroup mode needs one fd per metric and CPU: raise the soft fd limit when a
 * big machine would exhaust it. */
static void ensure_fds(int need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	if (rl.rlim_cur < (rlim_t)need + 256 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void perf_close(void *state)
{
	struct perf_state *s = state;
	if (!s)
		return;
	if (s->fd)
		close_fds(s);
	free(s->fd);
	free(s->leader);
	free(s->id);
	free(s->cpus);
	free(s);
}

/* Tries cgroup mode; returns the number of metrics opened, or a negative errno
 * when cgroup-wide counting is impossible here (then task mode is tried). */
static int try_cgroup(struct perf_state *s, const char *dir, const char *tfs, const char *tfs_why,
		      char (*reasons)[SOAK_REASON_MAX])
{
	int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	int ncpu = online_cpus(&s->cpus);
	int r = ncpu < 0 ? ncpu : alloc_fds(s, ncpu);
	if (r == 0) {
		s->mode = MODE_CGROUP;
		ensure_fds((M__N + 1) * ncpu);
		r = open_all(s, cgfd, false, tfs, tfs_why, reasons);
	}
	close(cgfd);
	return r;
}

static int setup(void **state, const soak_probe_ctx_t *ctx, bool on_exec,
		 char (*reasons)[SOAK_REASON_MAX])
{
	char why[SOAK_REASON_MAX], tracefs[PATH_MAX], e[32];
	if (perf_supported(ctx, why, sizeof(why)) < 0) {
		soak_reason_all(reasons, M__N, "%s", why);
		return -ENOTSUP;
	}
	const char *tfs = find_tracefs(tracefs, sizeof(tracefs), why, sizeof(why)) == 0 ? tracefs : NULL;
	struct perf_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int opened = -ENOENT;
	if (ctx->cg && ctx->cg->unified_dir[0])
		opened = try_cgroup(s, ctx->cg->unified_dir, tfs, why, reasons);
	if (opened > 0) {
		enable_all(s);
	} else {
		/* No cgroup2 directory, or cgroup-wide events refused (they need
		 * CAP_PERFMON or perf_event_paranoid <= 0): follow the worker itself. */
		if (s->fd)
			close_fds(s);
		for (int m = 0; m < M__N; m++)
			reasons[m][0] = '\0';
		if (ctx->pid <= 0 || alloc_fds(s, 1) < 0) {
			perf_close(s);
			soak_reason_all(reasons, M__N, "no worker pid to count");
			return -ESRCH;
		}
		s->mode = MODE_TASK;
		opened = open_all(s, ctx->pid, on_exec, tfs, why, reasons);
		if (opened > 0 && !on_exec)
			enable_all(s);
	}
	if (opened <= 0) {
		soak_reason_all(reasons, M__N, "perf_event_open: %s",
				soak_errname(opened < 0 ? opened : -ENODEV, e, sizeof(e)));
		perf_close(s);
		return opened < 0 ? opened : -ENODEV;
	}
	/* madvise_other is computed from the total and the four splits. */
	static const int parts[] = { M_MADVISE, M_MADV_DONTNEED, M_MADV_FREE, M_MADV_HUGEPAGE,
				     M_MADV_WILLNEED };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int m = parts[i];
		if (!s->avail[m] && !reasons[M_MADV_OTHER][0])
			soak_reason_set(reasons, M_MADV_OTHER, "needs %s: %.100s", perf_metrics[m].name,
					reasons[m][0] ? reasons[m] : "unavailable");
	}
	s->avail[M_MADV_OTHER] = !reasons[M_MADV_OTHER][0];
	*state = s;
	return 0;
}

static int perf_attach(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	return setup(state, ctx, true, reasons);
}

/* Without attach() (the worker already runs) the counters start now: task mode
 * then misses the threads and children that already exist. */
static int perf_open(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX])
{
	if (*state)
		return 0;
	return setup(state, ctx, false, reasons);
}

static int perf_sample(void *state, double *v, bool *ok)
{
	struct perf_state *s = state;
	memset(ok, 0, M__N * sizeof(*ok));
	if (!s)
		return -ENODEV;
	uint64_t sum[M__N] = { 0 };
	bool good[M__N];
	for (int m = 0; m < M__N; m++)
		good[m] = s->avail[m];
	/* Grouped counters: one read per CPU returns them all at once. */
	for (int k = 0; k < s->nper; k++) {
		if (s->leader[k] < 0)
			continue;
		struct group_read g;
		ssize_t n = read(s->leader[k], &g, sizeof(g));
		bool gok = n >= (ssize_t)(3 * sizeof(uint64_t)) && g.nr <= M__N + 1 &&
			   (size_t)n == 3 * sizeof(uint64_t) + g.nr * sizeof(g.v[0]) &&
			   g.running == g.enabled;
		for (int m = 0; m < M__N; m++) {
			uint64_t id = s->id[m * s->nper + k];
			if (!id || !good[m])
				continue;
			bool found = false;
			for (uint64_t j = 0; gok && j < g.nr && !found; j++)
				if (g.v[j].id == id) {
					sum[m] += g.v[j].value;
					found = true;
				}
			good[m] = found;
		}
	}
	/* The rest one by one; splits before the madvise total (read_order). */
	for (size_t i = 0; i < sizeof(read_order) / sizeof(read_order[0]); i++) {
		int m = read_order[i];
		for (int k = 0; k < s->nper && good[m]; k++) {
			int slot = m * s->nper + k;
			if (s->id[slot])
				continue;
			struct { uint64_t value, enabled, running; } rd = { 0, 0, 0 };
			ssize_t n = read(s->fd[slot], &rd, sizeof(rd));
			good[m] = n == (ssize_t)sizeof(rd) && rd.running == rd.enabled;
			sum[m] += rd.value;
		}
	}
	for (int m = 0; m < M__N; m++) {
		if (!s->avail[m] || m == M_MADV_OTHER)
			continue;
		v[m] = (double)sum[m];
		ok[m] = good[m];
	}
	if (s->avail[M_MADV_OTHER] && ok[M_MADVISE] && ok[M_MADV_DONTNEED] && ok[M_MADV_FREE] &&
	    ok[M_MADV_HUGEPAGE] && ok[M_MADV_WILLNEED]) {
		double o = v[M_MADVISE] - v[M_MADV_DONTNEED] - v[M_MADV_FREE] - v[M_MADV_HUGEPAGE] -
			   v[M_MADV_WILLNEED];
		v[M_MADV_OTHER] = o > 0 ? o : 0;
		ok[M_MADV_OTHER] = true;
	}
	return 0;
}

const soak_probe_ops_t soak_probe_perf = {
	.name = "perf",
	.metrics = perf_metrics,
	.n_metrics = M__N,
	.supported = perf_supported,
	.attach = perf_attach,
	.open = perf_open,
	/* Each read of a CPU's group whose counters are live on another CPU is
	 * an inter-processor call, which waits for the worker's vCPU: from ~35 us
	 * to milliseconds of runner CPU per read in this suite's VMs, so at most
	 * once a second (docs/performance.md). The counts are cumulative and read
	 * at the first and final samples, so totals and per-op figures stay exact. */
	.sample_slow = perf_sample,
	.slow_interval_s = 1.0,
	.close = perf_close,
};

/* For tests and docs: which mode the probe chose ("cgroup" or "task"). */
const char *soak_probe_perf_mode(const void *state)
{
	const struct perf_state *s = state;
	return !s ? "none" : s->mode == MODE_CGROUP ? "cgroup" : "task";
}

int soak_probe_perf_grouped(const void *state)
{
	const struct perf_state *s = state;
	int n = 0;
	for (int m = 0; s && m < M__N; m++)
		for (int k = 0; k < s->nper; k++)
			n += s->id[m * s->nper + k] != 0;
	return n;
}
