/*
 * exec-repeat.c - `soak-worker --exec-repeat [--step-env K=V]... [--verify-lib
 * PATH] -- CMD ARGS`: the driver of `soakctl run -w exec --repeat`. It lives in
 * the run's cgroup like any worker, runs CMD back to back until shm->stop, and
 * for every step writes its exit status, wall time, ru_maxrss, the throughput
 * matched in its output and whether the allocator was in its maps into the shm
 * step ring. ops = completed steps.
 *
 * The command alone gets the allocator: the runner starts the driver without
 * LD_PRELOAD or the allocator's variables and passes them as --step-env, which
 * the driver adds to each step's environment only. So the driver's own
 * allocations, self-report lines and maps never stand for the command's.
 *
 * Each step's stdout and stderr go through pipes: tee'd to the driver's own
 * (the runner keeps them as logs), scanned for the throughput line (stdout)
 * and for [TAG] key=value self-reports (both), which are folded per step into
 * shm->sr (see shm.h).
 *
 * Peak RSS of a step is its ru_maxrss from wait4 when that is more than
 * 1 MiB above the driver's own VmHWM: the kernel carries the pre-exec mm's high-water mark
 * (ours: vfork shares our mm until the exec) into it, so a value not
 * above ours says nothing about the step and is left unmeasured (0 in the
 * ring, NULL in the database; docs/metrics.md).
 */
#include "exec-repeat.h"
#include "selfreport.h"
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

/* What every step gets: its environment and the library to look for. */
typedef struct {
	char **cmd;
	char **envp;              /* environ + --step-env, built once */
	const char *verify_lib;   /* NULL: no injected allocator */
} step_cfg_t;

/* True for a shared object other than the dynamic loader itself. */
static bool other_so(const char *line)
{
	const char *slash = strrchr(line, '/');
	if (!slash || !strncmp(slash + 1, "ld-linux", 8) || !strncmp(slash + 1, "ld-musl", 7))
		return false;
	const char *so = strstr(slash, ".so");
	return so && (so[3] == '\0' || so[3] == '.');
}

/* 1 when PATH ends a line of /proc/PID/maps; 0 when it does not although the
 * loader has mapped other libraries (it maps LD_PRELOAD objects before the
 * program's own DT_NEEDED ones, so it is past that point); -1 when it cannot
 * be told yet (gone, exiting, or the loader has not mapped anything yet). */
static int maps_has(pid_t pid, const char *path)
{
	char p[64], line[4608];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -1;
	bool found = false, others = false;
	size_t plen = strlen(path);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");
		line[l] = '\0';
		found = l >= plen && !strcmp(line + l - plen, path);
		others = others || other_so(line);
	}
	fclose(f);
	return found ? 1 : (others ? 0 : -1);
}

/* How far above our VmHWM a step's ru_maxrss must be to be its own. */
#define STEP_PEAK_MARGIN_KB 1024u

/* Our own VmHWM in kB, 0 when unreadable. */
static uint64_t self_hwm_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *p = strstr(buf, "\nVmHWM:");
	unsigned long long kb;
	return p && sscanf(p + 7, "%llu", &kb) == 1 ? (uint64_t)kb : 0;
}

/* Per-step self-report parsing: one store and one line parser per stream. */
typedef struct {
	soak_sr_store_t store;
	soak_selfreport_t out, err;
} step_sr_t;

static void fold_selfreport(soak_shm_t *shm, const soak_sr_store_t *st)
{
	for (size_t i = 0; i < st->n; i++) {
		const soak_sr_entry_t *e = &st->e[i];
		soak_shm_sr_t *x = NULL;
		for (uint32_t k = 0; k < shm->sr_n && !x; k++)
			if (!strcmp(shm->sr[k].tag, e->tag) && !strcmp(shm->sr[k].key, e->key))
				x = &shm->sr[k];
		if (!x) {
			if (shm->sr_n == SOAK_SHM_SR_MAX || strlen(e->tag) >= SOAK_SHM_SR_NAME ||
			    strlen(e->key) >= SOAK_SHM_SR_NAME) {
				shm->sr_dropped++;
				continue;
			}
			x = &shm->sr[shm->sr_n++];
			snprintf(x->tag, sizeof(x->tag), "%s", e->tag);
			snprintf(x->key, sizeof(x->key), "%s", e->key);
			x->min = x->max = e->value;
		}
		x->sum += e->value;
		x->last = e->value;
		if (e->value < x->min)
			x->min = e->value;
		if (e->value > x->max)
			x->max = e->value;
		x->nsteps++;
	}
	shm->sr_dropped += (uint32_t)st->dropped;
}

/* Reads what is there from one of the step's pipes; false at EOF or error. */
static bool pump(int fd, FILE *tee, soak_tpscan_t *sc, soak_selfreport_t *sr)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (sc)
		soak_tpscan_feed(sc, buf, (size_t)n);
	soak_selfreport_feed(sr, buf, (size_t)n);
	fwrite(buf, 1, (size_t)n, tee);
	return true;
}

/* What is left in a pipe after the step ended, read without blocking and for
 * at most 100 ms / 1 MiB: a process that escaped the step's group may hold
 * the pipe open forever. */
static void drain(int fd, FILE *tee, soak_tpscan_t *sc, soak_selfreport_t *sr, bool eof)
{
	double end = mono() + 0.1;
	size_t bytes = 0;
	while (!eof && mono() < end && bytes < (1u << 20)) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 20) <= 0)
			break;
		char buf[8192];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (sc)
			soak_tpscan_feed(sc, buf, (size_t)n);
		soak_selfreport_feed(sr, buf, (size_t)n);
		fwrite(buf, 1, (size_t)n, tee);
		bytes += (size_t)n;
	}
}

/* One step's process: its pid, its pidfd, and the two ends of its stdout
 * (o) and stderr (e) pipes. */
typedef struct {
	int o[2], e[2];
	pid_t pid;
	int pfd;
	double t0;   /* monotonic time just before the vfork */
} step_proc_t;

/* How the wait for a step ended. */
typedef struct {
	bool stopped;        /* a stop request came: SIGTERM to its group */
	int status;          /* from wait4 */
	int seen;            /* allocator in its maps: 1 yes, 0 no, -1 cannot tell */
	double t_end;        /* when its exit was seen */
	struct rusage ru;
} step_end_t;

/* Starts one step: the pipes of its stdout and stderr, then the command.
 * Returns 0 with the step running in p, 1 when the command could not be
 * executed (a step with exit code 127 in ret, the pipes closed), or -errno
 * when the step could not be set up. */
static int step_spawn(const step_cfg_t *cfg, step_proc_t *p, soak_shm_step_t *ret)
{
	int *o = p->o, *e = p->e;
	if (pipe2(o, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(e, O_CLOEXEC) < 0) {
		int err = errno;
		close(o[0]), close(o[1]);
		return -err;
	}
	/* vfork rather than fork: the child makes no copy-on-write faults in a
	 * copy of the driver before its exec, so the step's page faults are the
	 * command's, as when it runs alone; we resume once the exec happened, so
	 * the maps step_wait looks at are the command's. Not posix_spawn: glibc's
	 * maps and unmaps a stack for every call, which the syscall counters
	 * would charge to the steps. The child only calls setpgid, dup2, execvpe
	 * and _exit, and reports a failed exec through exec_errno (shared memory).
	 * The step leads its own process group: when its command exits, whatever
	 * it left running in the group (sh -c 'sleep 30 & ...') is killed before
	 * the step is reaped, so nothing holds the output pipes and nothing piles
	 * up across steps; every wait is bounded (20 ms) and sees stop requests. */
	volatile int exec_errno = 0;
	p->t0 = mono();
	pid_t pid = vfork();
	if (pid == 0) {
		setpgid(0, 0);
		if (dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0) {
			exec_errno = errno;
			_exit(127);
		}
		execvpe(cfg->cmd[0], cfg->cmd, cfg->envp);
		exec_errno = errno;
		_exit(127);
	}
	int serr = pid < 0 ? errno : exec_errno;
	close(o[1]);
	close(e[1]);
	if (pid > 0 && serr) {   /* reap the child that could not exec */
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	if (serr) {
		close(o[0]), close(e[0]);
		if (pid < 0 || serr == ENOMEM)
			return -serr;
		fprintf(stderr, "soak-worker: cannot execute %s: %s\n", cfg->cmd[0], strerror(serr));
		fflush(stderr);
		ret->end_mono_s = mono();
		ret->wall_s = ret->end_mono_s - p->t0;
		ret->exit_code = 127;   /* as a shell says it */
		ret->throughput = NAN;
		ret->alloc_seen = -1;
		return 1;
	}
	p->pid = pid;
	return 0;
}

/* Until the step's command exits: tees and scans its output, looks for the
 * allocator in its maps, turns a stop request into SIGTERM to its group. At
 * its exit whatever is left in the group is killed, the command reaped and
 * its pipes drained. */
static void step_wait(soak_shm_t *shm, const step_cfg_t *cfg, const step_proc_t *p, soak_tpscan_t *sc,
		      step_sr_t *sr, step_end_t *end)
{
	pid_t pid = p->pid;
	bool oeof = false, eeof = false;
	int zeros = 0;
	for (;;) {
		if (!end->stopped && stop_requested(shm)) {
			end->stopped = true;
			kill(-pid, SIGTERM);
		}
		/* A read of /proc/PID/maps is not atomic: lines can be skipped
		 * while the loader changes mappings, so "missing" must be seen
		 * twice in a row; "present" once is enough. */
		if (cfg->verify_lib) {
			int m = maps_has(pid, cfg->verify_lib);
			if (m == 1) {
				end->seen = 1;
				zeros = 0;
			} else if (m == 0 && ++zeros >= 2) {
				end->seen = 0;
			}
		}
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
			/* Exited, not reaped yet: its group id cannot be reused. */
			end->t_end = mono();
			kill(-pid, SIGKILL);
			wait4(pid, &end->status, 0, &end->ru);
			drain(p->o[0], stdout, sc, &sr->out, oeof);
			drain(p->e[0], stderr, NULL, &sr->err, eeof);
			break;
		}
		struct pollfd pf[3] = { { .fd = oeof ? -1 : p->o[0], .events = POLLIN },
					{ .fd = eeof ? -1 : p->e[0], .events = POLLIN },
					{ .fd = p->pfd, .events = POLLIN } };
		if (poll(pf, 3, 20) > 0) {
			if ((pf[0].revents & (POLLIN | POLLHUP)) && !pump(p->o[0], stdout, sc, &sr->out))
				oeof = true;
			if ((pf[1].revents & (POLLIN | POLLHUP)) && !pump(p->e[0], stderr, NULL, &sr->err))
				eeof = true;
		}
	}
}

/* A completed step: its self-reports folded into shm, its record in ret. */
static void step_record(soak_shm_t *shm, const step_sr_t *sr, const soak_tpscan_t *sc, double t0,
			const step_end_t *end, soak_shm_step_t *ret)
{
	fold_selfreport(shm, &sr->store);
	ret->end_mono_s = end->t_end; /* when the exit was seen, not after the clean-up */
	ret->wall_s = ret->end_mono_s - t0;
	ret->exit_code = WIFEXITED(end->status) ? WEXITSTATUS(end->status) : -1;
	ret->signal = WIFSIGNALED(end->status) ? WTERMSIG(end->status) : 0;
	/* ru_maxrss = max(the step's own peak, our mm's high-water mark at its
	 * exec). Our VmHWM, read after the wait, is that mark give or take a few
	 * pages: the kernel folds each task's page-fault counts into the mm
	 * lazily (up to 64 per task before 6.2), and under load a step of sh
	 * showed ru_maxrss 12 KiB above our VmHWM. So only a value more than
	 * STEP_PEAK_MARGIN_KB above our VmHWM is the step's own; else it is not
	 * measured (0). */
	uint64_t hwm = self_hwm_kb();
	ret->maxrss_bytes = hwm && (uint64_t)end->ru.ru_maxrss > hwm + STEP_PEAK_MARGIN_KB
		? (uint64_t)end->ru.ru_maxrss * 1024u : 0;
	ret->throughput = sc->tp;
	ret->alloc_seen = end->seen;
}

/* Runs one step; returns 0 when it completed, 1 when stopped, -errno on setup failure. */
static int step(soak_shm_t *shm, const step_cfg_t *cfg, soak_tpscan_t *sc, step_sr_t *sr, soak_shm_step_t *ret)
{
	step_proc_t p;
	int rc = step_spawn(cfg, &p, ret);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	setpgid(p.pid, p.pid); /* also here: no race with the first kill(-pid) */
	fcntl(p.o[0], F_SETFL, O_NONBLOCK);
	fcntl(p.e[0], F_SETFL, O_NONBLOCK);
	/* A pidfd wakes the poll the moment the command exits. */
	p.pfd = (int)syscall(SYS_pidfd_open, p.pid, 0);
	soak_tpscan_reset(sc);
	soak_sr_store_init(&sr->store);
	soak_selfreport_init(&sr->out, soak_sr_store_put, &sr->store);
	soak_selfreport_init(&sr->err, soak_sr_store_put, &sr->store);
	step_end_t end = { .seen = -1 };
	step_wait(shm, cfg, &p, sc, sr, &end);
	if (p.pfd >= 0)
		close(p.pfd);
	close(p.o[0]);
	close(p.e[0]);
	soak_tpscan_flush(sc);
	soak_selfreport_flush(&sr->out);
	soak_selfreport_flush(&sr->err);
	fflush(stdout);
	fflush(stderr);
	if (end.stopped)
		return 1;
	step_record(shm, sr, sc, p.t0, &end, ret);
	return 0;
}

/* environ plus the --step-env additions (which replace a variable of the
 * same name); LD_PRELOAD of our own environment is never passed on. */
static char **build_envp(char **add, size_t nadd)
{
	extern char **environ;
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + nadd + 1, sizeof(char *));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *v = environ[i];
		size_t klen = strcspn(v, "=");
		bool drop = !strncmp(v, "LD_PRELOAD=", 11) || !strncmp(v, SOAK_SHM_FD_ENV "=", sizeof(SOAK_SHM_FD_ENV)) ||
			    !strncmp(v, SOAK_RUNNER_PID_ENV "=", sizeof(SOAK_RUNNER_PID_ENV));
		for (size_t j = 0; j < nadd && !drop; j++)
			drop = !strncmp(add[j], v, klen + 1);
		if (!drop)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < nadd; j++)
		env[k++] = add[j];
	env[k] = NULL;
	return env;
}

int soak_exec_repeat(soak_shm_t *shm, int argc, char **argv)
{
	const char *pattern = SOAK_TP_PATTERN_DEFAULT;
	step_cfg_t cfg = { 0 };
	char **add = calloc((size_t)argc + 1, sizeof(char *));
	size_t nadd = 0;
	int i = 0;
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--tp-pattern") && i + 1 < argc)
			pattern = argv[++i];
		else if (!strcmp(argv[i], "--step-env") && i + 1 < argc && strchr(argv[i + 1], '=') && add)
			add[nadd++] = argv[++i];
		else if (!strcmp(argv[i], "--verify-lib") && i + 1 < argc)
			cfg.verify_lib = argv[++i];
		else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else
			break;
	}
	if (i >= argc || !add) {
		fprintf(stderr, "soak-worker: --exec-repeat needs a command\n");
		free(add);
		return SOAK_WORKER_EXIT_USAGE;
	}
	cfg.cmd = argv + i;
	cfg.envp = build_envp(add, nadd);
	soak_tpscan_t sc;
	if (!cfg.envp || soak_tpscan_init(&sc, pattern) < 0) {
		fprintf(stderr, "soak-worker: --tp-pattern '%s' is not a valid extended regex\n", pattern);
		free(cfg.envp);
		free(add);
		return SOAK_WORKER_EXIT_USAGE;
	}
	step_sr_t *sr = malloc(sizeof(*sr));
	if (!sr) {
		soak_tpscan_free(&sc);
		free(cfg.envp);
		free(add);
		return SOAK_WORKER_EXIT_SETUP;
	}
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	shm->nthreads = 1;
	__atomic_store_n(&shm->state, SOAK_WS_RUNNING, __ATOMIC_RELEASE);
	uint64_t n = 0;
	int rc = 0;
	while (!stop_requested(shm)) {
		soak_shm_step_t s = { 0 };
		int r = step(shm, &cfg, &sc, sr, &s);
		if (r < 0) {
			snprintf(shm->message, sizeof(shm->message), "exec-repeat: %s", strerror(-r));
			__atomic_store_n(&shm->state, SOAK_WS_ERROR, __ATOMIC_RELEASE);
			rc = SOAK_WORKER_EXIT_SETUP;
			break;
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
		/* Step wall times are step metrics (step_wall_s), not per-op latency. */
		__atomic_store_n(&shm->thr[0].ops, n, __ATOMIC_RELAXED);
	}
	free(sr);
	soak_tpscan_free(&sc);
	free(cfg.envp);
	free(add);
	if (!rc)
		__atomic_store_n(&shm->state, SOAK_WS_DONE, __ATOMIC_RELEASE);
	return rc;
}
