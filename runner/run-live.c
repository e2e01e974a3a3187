/* run-live.c - the sampling loop of one run; see run-internal.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-internal.h"
#include "runinfo.h"
#include "soak/parse.h"


/* ---- progress ---- */

void run_progress(run_t *r, double t, bool final)
{
	if (!r->progress_on)
		return;
	if (!final && t - r->last_progress < 0.25)
		return;
	char line[200], a[32], b[32], c[32];
	double rss = NAN, ops = NAN;
	/* After the reap the process is gone: keep showing its last RSS. */
	if (run_last_value(r, "rss_bytes", &rss))
		r->progress_rss = rss;
	int n = snprintf(line, sizeof(line), "\r[%s / %s] rss %s", soak_fmt_duration(t, a, sizeof(a)),
			 soak_fmt_duration(r->o->duration_s, b, sizeof(b)),
			 r->progress_rss > 0 ? soak_fmt_bytes(r->progress_rss, c, sizeof(c)) : "?");
	/* The rate since the last progress line, not the average since the start. */
	if (run_last_value(r, "ops_total", &ops) && t > r->last_progress && !final) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  ops/s %.3gM",
			      (ops - r->progress_ops) / (t - r->last_progress) / 1e6);
		r->progress_ops = ops;
	} else if (final && run_last_value(r, "ops_total", &ops) && t > 0) {
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  ops/s %.3gM (mean)", ops / t / 1e6);
	}
	r->last_progress = t;
	int pad = r->last_progress_len > n ? r->last_progress_len - n : 0;
	/* The line's own \r must reach the terminal: the command line writes
	 * progress as it is (it holds only numbers we formatted). */
	run_say(r->o, SOAK_SAY_PROGRESS, "%s%*s%s", line, pad, "", final ? "\n" : "");
	r->last_progress_len = n;
}

/* ---- allocator verification ---- */

/* Built-in worker: it reports the object providing malloc in the shm header.
 * External command: look for the library in its memory maps. */
void run_verify_allocator(run_t *r)
{
	if (r->verified || r->mismatch || r->o->repeat)
		return;   /* exec --repeat: each step is checked, see run_steps_read() */
	char observed[PATH_MAX] = "";
	if (r->shm) {
		int32_t st = __atomic_load_n(&r->shm->state, __ATOMIC_ACQUIRE);
		if (st < SOAK_WS_READY || st == SOAK_WS_ERROR)
			return;
		snprintf(observed, sizeof(observed), "%.255s", r->shm->malloc_so);
		if (r->shm->free_so[0] && strcmp(r->shm->free_so, r->shm->malloc_so) &&
		    !soak_alloc_matches(&r->alloc, r->shm->free_so)) {
			r->mismatch = true;
			snprintf(r->message, sizeof(r->message),
				 "allocator mismatch: free() comes from %.255s, not %.200s", r->shm->free_so,
				 r->alloc.path[0] ? r->alloc.path : "the C library");
		}
	} else {
		if (!r->alloc.path[0]) {
			snprintf(observed, sizeof(observed), "system (no injection)");
			r->verified = true;
			run_observed(r, observed);
			return;
		}
		int m = soak_runinfo_maps_has(r->child.pid, r->alloc.path);
		if (m < 0 || (m == 0 && r->reaped))
			return; /* gone before it could be checked: see run_finish() */
		if (m == 0) {
			/* The loader maps preloads before main(); a live process without
			 * the library after a while did not get it (setuid, a loader error). */
			if (run_now() - r->t0 < SOAK_EXEC_VERIFY_S)
				return;
			r->mismatch = true;
			snprintf(r->message, sizeof(r->message),
				 "allocator mismatch: %.200s is not mapped into %.200s after %.0f s (the "
				 "loader refused LD_PRELOAD? see the run's stderr log)",
				 r->alloc.path, r->o->wl_argv[0], SOAK_EXEC_VERIFY_S);
			run_say(r->o, SOAK_SAY_ERROR, "%s", r->message);
			kill(r->child.pid, SIGKILL);
			run_event(r, run_now() - r->t0, "allocator_mismatch", r->message);
			r->verified = true;
			return;
		}
		snprintf(observed, sizeof(observed), "%s", r->alloc.path);
	}
	run_observed(r, observed);
	if (!r->mismatch && r->shm && !soak_alloc_matches(&r->alloc, observed)) {
		r->mismatch = true;
		snprintf(r->message, sizeof(r->message),
			 "allocator mismatch: asked for %.60s (%.200s) but malloc() comes from %.200s", r->alloc.name,
			 r->alloc.path[0] ? r->alloc.path : "the C library", observed);
	}
	if (r->mismatch) {
		run_say(r->o, SOAK_SAY_ERROR, "%s", r->message);
		kill(r->child.pid, SIGKILL);
		run_event(r, run_now() - r->t0, "allocator_mismatch", r->message);
	}
	r->verified = true;
}

/* ---- exec --repeat steps ---- */

static const char *const step_metrics[4][3] = {
	{ "step_wall_s", "s", "wall time of one step of exec --repeat" },
	{ "step_exit_code", "code", "exit code of the step (-1 when killed by a signal)" },
	{ "step_peak_rss_bytes", "bytes", "the step's own peak RSS (ru_maxrss, when 1 MiB above the driver's VmHWM)" },
	{ "step_throughput_ops_s", "ops/s", "throughput the step printed (--tp-pattern)" },
};

void run_steps_register(run_t *r)
{
	for (int i = 0; i < 4; i++)
		soak_db_metric(r->db, step_metrics[i][0], step_metrics[i][1], SOAK_GAUGE,
			       step_metrics[i][2], &r->step_ids[i]);
}

/* exec --repeat: the driver looked at each step's memory maps while it ran
 * (after its exec). The first step seen with the library verifies the run; a
 * step that ran without it (e.g. `env -u LD_PRELOAD cmd`) is a mismatch. */
static void run_verify_step(run_t *r, uint64_t k, const soak_shm_step_t *st)
{
	if (r->mismatch)
		return;
	if (!r->alloc.path[0]) {
		if (!r->verified)
			run_observed(r, "system (no injection)");
		r->verified = true;
		return;
	}
	if (st->alloc_seen == 1 && !r->verified) {
		run_observed(r, r->alloc.path);
		r->verified = true;
	} else if (st->alloc_seen == 0) {
		r->mismatch = true;
		snprintf(r->message, sizeof(r->message),
			 "allocator mismatch: step %llu of %.200s ran without %.200s in its memory maps (the "
			 "command dropped LD_PRELOAD, or the loader refused it: see the run's stderr log)",
			 (unsigned long long)k, r->o->wl_argv[0], r->alloc.path);
		run_say(r->o, SOAK_SAY_ERROR, "%s", r->message);
		run_observed(r, "not mapped: the command ran without the library");
		kill(r->child.pid, SIGKILL);
		run_event(r, run_now() - r->t0, "allocator_mismatch", r->message);
		r->verified = true;
	}
}

/* One sample per completed step, at the step's end time. */
void run_steps_read(run_t *r)
{
	if (!r->o->repeat || !r->shm)
		return;
	uint64_t n = __atomic_load_n(&r->shm->nsteps, __ATOMIC_ACQUIRE);
	if (n > r->steps_seen + SOAK_MAX_STEPS) {
		char d[96];
		snprintf(d, sizeof(d), "%llu steps ended between two samples; only the last %d are kept",
			 (unsigned long long)(n - r->steps_seen), SOAK_MAX_STEPS);
		run_event(r, run_now() - r->t0, "steps_dropped", d);
		r->steps_seen = n - SOAK_MAX_STEPS;
	}
	for (uint64_t k = r->steps_seen + 1; k <= n; k++) {
		const soak_shm_step_t *st = &r->shm->steps[(k - 1) % SOAK_MAX_STEPS];
		if (__atomic_load_n(&st->seq, __ATOMIC_ACQUIRE) != k)
			continue;
		run_verify_step(r, k, st);
		double t = st->end_mono_s - r->t0;
		/* maxrss 0: not above the driver's own peak, so not the step's (exec-repeat.c) */
		double v[4] = { st->wall_s, st->exit_code, st->maxrss_bytes ? (double)st->maxrss_bytes : NAN,
				st->throughput };
		run_step_sample(r, t, v);
		if (st->exit_code != 0) {
			char d[96];
			snprintf(d, sizeof(d), "step %llu exited %d%s%s", (unsigned long long)k, st->exit_code,
				 st->signal ? " by " : "", st->signal ? strsignal(st->signal) : "");
			run_event(r, t, "step_failed", d);
		}
	}
	r->steps_seen = n;
}

bool run_try_reap(run_t *r)
{
	if (r->reaped)
		return true;
	pid_t p = waitpid(r->child.pid, &r->wstatus, WNOHANG);
	if (p == r->child.pid)
		r->reaped = true;
	/* Without cgroups, or with a driver, the runner is a subreaper: orphans
	 * of the command (and the driver's) are our children now; reap them as
	 * they exit. */
	run_driver_try_reap(r);
	int st;
	while ((r->o->no_cgroup || r->drv.on) && (p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (run_driver_reaped(r, p, st))
			continue;
		if (p == r->child.pid) {
			r->wstatus = st;
			r->reaped = true;
		} else if (p == r->guard.pid) {
			r->guard.pid = -1;
		}
	}
	return r->reaped;
}

void run_kill_leftovers(run_t *r, double t)
{
	int n;
	if (r->cg.paths.mode != SOAK_CG_NONE) {
		n = soak_cg_kill(&r->cg);
	} else {
		/* Reap the workload first: the tree kill reaps every child. */
		for (int i = 0; i < 200 && !run_try_reap(r); i++) {
			kill(r->child.pid, SIGKILL);
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		n = soak_guard_kill_tree(r->child.pid, r->guard.pid);
	}
	if (n > 0) {
		char d[160];
		snprintf(d, sizeof(d), "%d process%s the command left running %s killed", n, n == 1 ? "" : "es",
			 n == 1 ? "was" : "were");
		run_event(r, t, "leftovers_killed", d);
	}
}

void run_drain_signals(int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD && !soak_run_interrupted) {
			soak_run_interrupted = 1;
			soak_run_interrupt_signal = (int)si.ssi_signo;
		}
}

/* A built-in worker runs until the runner stops it. One that stopped on a
 * SIGTERM or SIGINT the runner did not send (it notes the first in the
 * shared memory) exits 0 as if its run were whole: it was cut short, by a
 * signal to the whole job whose copy the runner may still read, or by
 * someone's kill of the worker alone. */
bool run_worker_stopped_by_other(const run_t *r, int exit_code)
{
	if (!r->shm || r->stop_sent || exit_code != 0)
		return false;
	int sig = __atomic_load_n(&r->shm->stop_signal, __ATOMIC_ACQUIRE);
	return sig == SIGTERM || sig == SIGINT;
}

/* A signal sent to a whole group or job (Ctrl-C, scancel, kill -TERM
 * -PGID, a service stop) reaches the command and the runner in no set
 * order: the command may end of it, and its SIGCHLD end the loop, before
 * the runner's own copy is read. The run then looked crashed (the command
 * died of the signal) or even ok (a built-in worker stops cleanly on
 * SIGTERM). A command that ended so, without the runner's stop, waits up
 * to 200 ms for that copy, so the run is recorded interrupted. */
static bool run_ended_by_group_signal(const run_t *r)
{
	if (!r->reaped || r->sent_sigterm)
		return false;
	if (WIFSIGNALED(r->wstatus)) {
		int sig = WTERMSIG(r->wstatus);
		return sig == SIGTERM || sig == SIGINT || sig == SIGHUP;
	}
	if (!WIFEXITED(r->wstatus))
		return false;
	int code = WEXITSTATUS(r->wstatus);
	if (code == 128 + SIGTERM || code == 128 + SIGINT || code == 128 + SIGHUP)
		return true;   /* a wrapper (sh -c) reporting the signal */
	return run_worker_stopped_by_other(r, code);
}

void run_await_group_signal(run_t *r, int sfd)
{
	if (soak_run_interrupted || !run_ended_by_group_signal(r))
		return;
	/* Until the deadline: a SIGCHLD of another child also wakes the poll. */
	for (double end = run_now() + 0.2, left; !soak_run_interrupted && (left = end - run_now()) > 0;) {
		struct pollfd pf = { .fd = sfd, .events = POLLIN };
		const struct timespec wait = { 0, (long)(left * 1e9) };
		if (ppoll(&pf, 1, &wait, NULL) > 0)
			run_drain_signals(sfd);
	}
	if (soak_run_interrupted) {
		char d[64];
		snprintf(d, sizeof(d), "runner got %s", strsignal(soak_run_interrupt_signal));
		run_event(r, run_now() - r->t0, "interrupted", d);
	}
}

/* An external command is checked as soon as it runs: its memory maps are
 * polled every millisecond until the allocator appears, it exits, or
 * SOAK_EXEC_VERIFY_S passes (then the periodic checks take over). */
void run_verify_exec_early(run_t *r)
{
	if (r->shm || !r->alloc.path[0])
		return;
	const struct timespec ms = { 0, 1000 * 1000 };
	for (int i = 0; i < 200 && !r->verified; i++) {
		if (soak_runinfo_maps_has(r->child.pid, r->alloc.path) != 0 || run_try_reap(r))
			break;
		nanosleep(&ms, NULL);
	}
	if (!r->reaped)
		run_verify_allocator(r);
}

/* ---- the loop ---- */

static void run_request_stop(run_t *r, double t, const char *why)
{
	if (r->stop_sent)
		return;
	r->stop_sent = true;
	r->stop_at = t;
	run_driver_stop(r);   /* the load first: the command is not stopped under it */
	if (r->shm) {
		__atomic_store_n(&r->shm->stop, 1, __ATOMIC_RELEASE);
	} else {
		/* The command leads its own process group (spawn.c): a wrapper
		 * (sh -c CMD) and what it runs get the SIGTERM together. The
		 * group cannot be reused while its unreaped leader holds it. */
		if (kill(-r->child.pid, SIGTERM) < 0)
			kill(r->child.pid, SIGTERM);
		r->sent_sigterm = true;
	}
	run_event(r, t, "stop_requested", why);
	if (r->o->verbose > 0)
		run_say(r->o, SOAK_SAY_INFO, "stop requested (%s) at %.2fs", why, t);
}

static void run_handle_signal(run_t *r, int sig, double t)
{
	if (sig == SIGCHLD)
		return;
	char d[64];
	snprintf(d, sizeof(d), "runner got %s", strsignal(sig));
	if (!soak_run_interrupted) {
		soak_run_interrupted = 1;
		soak_run_interrupt_signal = sig;
		run_event(r, t, "interrupted", d);
		run_request_stop(r, t, d);
	} else {
		kill(r->child.pid, SIGKILL); /* second signal: no more grace */
		run_kill_leftovers(r, t);
	}
}


/* Benchmark hook (scripts/bench-overhead.sh, docs/performance.md):
 * SOAK_BENCH_PHASE_S=P alternates phases of P seconds sampled at the run's
 * interval with phases sampled only at their start, so one run measures what
 * fine sampling costs the workload with its own heap, placement and host
 * state on both sides. P must be a whole multiple of the interval. */
static double bench_phase_s(const soak_run_opts_t *o)
{
	const char *e = getenv("SOAK_BENCH_PHASE_S");
	if (!e || !*e)
		return 0;
	char *end;
	double p = strtod(e, &end);
	double k = p / o->interval_s;
	if (*end || !(p > 0) || k < 2 || fabs(k - round(k)) > 1e-6) {
		run_say(o, SOAK_SAY_ERROR, "SOAK_BENCH_PHASE_S=%.40s ignored: give a whole multiple (>= 2) of the interval", e);
		return 0;
	}
	return p;
}

/* Write every SOAK_FLUSH_S: a killed runner (SIGKILL: any other end
 * flushes) loses at most that. A flush costs a few hundred µs, most of it
 * fixed (the first SQLite and WAL work after a wake-up runs cold): every
 * 10 ms tick it cost about twice the runner CPU, every 100 ms 20-30 µs per
 * tick (docs/performance.md). Sooner when the queue of exec steps or events
 * is half full. A failed flush keeps everything queued for the next one
 * (run-store.c). *committed and *last_commit: the samples and the time of
 * the last flush. */
static void run_flush_due(run_t *r, size_t *committed, double *last_commit)
{
	if ((r->nsamples != *committed || r->store.nev) &&
	    (run_now() - *last_commit >= SOAK_FLUSH_S || run_store_pressing(r))) {
		double c0 = run_cpu_now();
		run_store_flush(r);
		double dc = run_cpu_now() - c0;
		r->store_cpu_s += dc;
		r->nflushes++;
		if (r->store_cpu_hist)
			soak_hist_record(r->store_cpu_hist, (uint64_t)(dc * 1e9));
		*committed = r->nsamples;
		*last_commit = run_now();
	}
}

/* Waits until the next tick (next), the end of the duration or of the grace
 * period, whichever comes first, or until a signal or the command's output
 * arrives: handles the signals (a SIGCHLD sets *reap_due) and reads the
 * output. -1 with errno when ppoll fails. */
static int run_wait(run_t *r, int sfd, double next, bool *reap_due)
{
	const soak_run_opts_t *o = r->o;
	struct pollfd pf[5];
	double wake = next;
	if (!r->stop_sent && o->duration_s < wake)
		wake = o->duration_s;
	if (r->stop_sent && !r->killed_after_grace && r->stop_at + o->grace_s < wake)
		wake = r->stop_at + o->grace_s;
	double t = run_now() - r->t0;
	double dt = wake > t ? wake - t : 0;
	struct timespec timeout = { (time_t)dt, (long)((dt - floor(dt)) * 1e9) };
	int n = 0;
	pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	pf[n++] = (struct pollfd){ .fd = r->out.fd, .events = POLLIN };
	pf[n++] = (struct pollfd){ .fd = r->err.fd, .events = POLLIN };
	pf[n++] = (struct pollfd){ .fd = r->drv.out.fd, .events = POLLIN };   /* -1: ignored */
	pf[n++] = (struct pollfd){ .fd = r->drv.err.fd, .events = POLLIN };
	if (ppoll(pf, (nfds_t)n, &timeout, NULL) < 0 && errno != EINTR)
		return -1;
	if (pf[0].revents & POLLIN) {
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			*reap_due |= si.ssi_signo == SIGCHLD;
			run_handle_signal(r, (int)si.ssi_signo, run_now() - r->t0);
		}
	}
	if (pf[1].revents)
		soak_output_pump(&r->out);
	if (pf[2].revents)
		soak_output_pump(&r->err);
	if (pf[3].revents)
		soak_output_pump(&r->drv.out);
	if (pf[4].revents)
		soak_output_pump(&r->drv.err);
	return 0;
}

int run_loop(run_t *r, int sfd)
{
	const soak_run_opts_t *o = r->o;
	double next = 0, last_commit = 0;
	const double phase = bench_phase_s(o);
	size_t committed = 0;
	/* waitpid() only when a SIGCHLD came through the signalfd (and on the
	 * first pass: the command may have exited before the loop), not on every
	 * tick: one system call less per sample. A SIGCHLD that arrives while the
	 * loop works stays pending in the signalfd and ends the next ppoll(). */
	bool reap_due = true;
	for (;;) {
		if (reap_due) {
			reap_due = false;
			if (run_try_reap(r))
				break;
		}
		double t = run_now() - r->t0;
		if (t >= next) {
			double jitter = t - next;
			r->jitter_sum += jitter;
			if (jitter > r->jitter_max)
				r->jitter_max = jitter;
			run_verify_allocator(r);
			double dc = run_probes_sample(r, t, false);
			if (r->probe_cpu_hist && !isnan(dc))   /* a timed tick */
				soak_hist_record(r->probe_cpu_hist, (uint64_t)(dc * 1e9));
			run_steps_read(r);
			run_progress(r, t, false);
			if (!r->warmup_done && t >= o->warmup_s && o->warmup_s > 0) {
				r->warmup_done = true;
				run_event(r, t, "warmup_end", NULL);
				run_store_latency(r, t);
			}
			/* Skip missed ticks rather than bursting to catch up. */
			double step = o->interval_s;
			if (phase > 0 && (long)floor(next / phase + 1e-6) % 2 == 1)
				step = phase;      /* a coarse benchmark phase: its start only */
			next += step * (1.0 + floor((t - next) / step));
			if (phase > 0)        /* keep the grid exact over many additions */
				next = round(next / o->interval_s) * o->interval_s;
		}
		if (!r->stop_sent && t >= o->duration_s)
			run_request_stop(r, t, "duration reached");
		if (r->stop_sent && !r->killed_after_grace && t >= r->stop_at + o->grace_s) {
			r->killed_after_grace = true;
			kill(r->child.pid, SIGKILL);
			run_kill_leftovers(r, t);
			run_event(r, t, "killed", "worker ignored the stop request");
		}
		run_flush_due(r, &committed, &last_commit);
		if (run_wait(r, sfd, next, &reap_due) < 0)
			return -errno;
	}
	return 0;
}
