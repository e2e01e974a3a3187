/*
 * run-driver.c - exec --driver CMD: a second process that drives the measured
 * command (a load generator against a server) and is not measured itself.
 *
 * It is started by /bin/sh -c CMD once the command has exec'd and its
 * allocator was checked, from the runner: so it stays in the runner's cgroup
 * (never the run's, never its limits), without LD_PRELOAD or the allocator's
 * variables, and outside the command's process tree (the probes that follow
 * the command's pid never see it). It leads its own process group; the stop
 * is SIGTERM to that group before the command's own stop, SIGKILL after
 * SOAK_DRIVER_GRACE_S. Its output is kept as the driver_stdout/driver_stderr
 * logs, and its [TAG] key=value lines are self-reports of the run like the
 * command's own (the last value wins), with the first value of each also kept
 * (selfreport_first.TAG.key), so drift over the run is last - first.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-internal.h"

/* How long the driver's group has between SIGTERM and SIGKILL. */
#define SOAK_DRIVER_GRACE_S 1.0

void run_driver_init(run_t *r)
{
	r->drv.c.pid = -1;
	r->drv.out.fd = r->drv.err.fd = -1;
	soak_sr_store_init(&r->sr_first);
}

/* Self-report callback of the driver's streams: the run's store, and the
 * first value of each TAG.key. */
static void driver_sr_put(void *arg, const char *tag, const char *key, double value)
{
	run_t *r = arg;
	double old;
	soak_sr_store_put(&r->sr, tag, key, value);
	if (soak_sr_store_get(&r->sr_first, tag, key, &old) < 0)
		soak_sr_store_put(&r->sr_first, tag, key, value);
}

static void driver_feed(const char *data, size_t len, void *arg)
{
	soak_selfreport_feed(arg, data, len);
}

void run_driver_start(run_t *r)
{
	const soak_run_opts_t *o = r->o;
	if (!o->driver || r->reaped)
		return;
	char pidv[48];
	snprintf(pidv, sizeof(pidv), "SOAK_COMMAND_PID=%d", (int)r->child.pid);
	char *argv[] = { "/bin/sh", "-c", (char *)o->driver, NULL };
	char *env[] = { pidv, NULL };
	soak_spawn_t sp = { .argv = argv, .env_add = env, .clear_ld_preload = true, .keep_fd = -1,
			    .capture = true };
	double t = run_now() - r->t0;
	/* What the driver's shell starts and leaves (it is killed first) must
	 * become ours to reap, not init's. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	int rc = soak_spawn(&sp, &r->drv.c);
	if (rc == 0 && (rc = soak_spawn_release(&r->drv.c)) < 0)
		waitpid(r->drv.c.pid, NULL, 0);
	if (rc < 0) {
		char d[256];
		snprintf(d, sizeof(d), "the driver could not start: %s", strerror(-rc));
		r->drv.c.pid = -1;
		run_event(r, t, "driver_failed", d);
		run_say(o, SOAK_SAY_ERROR, "%s", d);
		return;
	}
	r->drv.on = true;
	soak_selfreport_init(&r->drv.sr_out, driver_sr_put, r);
	soak_selfreport_init(&r->drv.sr_err, driver_sr_put, r);
	soak_output_init(&r->drv.out, "driver_stdout", r->drv.c.out_fd, driver_feed, &r->drv.sr_out);
	soak_output_init(&r->drv.err, "driver_stderr", r->drv.c.errout_fd, driver_feed, &r->drv.sr_err);
	fcntl(r->drv.out.fd, F_SETFL, O_NONBLOCK);
	fcntl(r->drv.err.fd, F_SETFL, O_NONBLOCK);
	char d[64];
	snprintf(d, sizeof(d), "pid %d", (int)r->drv.c.pid);
	run_event(r, t, "driver_started", d);
}

/* Records how the driver ended; st is its wait status. */
static void driver_ended(run_t *r, int st)
{
	double t = run_now() - r->t0;
	r->drv.reaped = true;
	char d[160];
	if (WIFSIGNALED(st))
		snprintf(d, sizeof(d), "killed by signal %d%s", WTERMSIG(st),
			 r->drv.stopped ? " (the run's stop)" : "");
	else
		snprintf(d, sizeof(d), "exited with status %d", WEXITSTATUS(st));
	run_event(r, t, "driver_exit", d);
	/* Ended on its own while the command still runs: it runs undriven. */
	if (!r->drv.stopped && !r->stop_sent)
		run_say(r->o, SOAK_SAY_ERROR, "the driver %s at %.2fs, before the run's end: the command ran undriven "
			"from then on (its output is kept in the run's logs driver_stdout and driver_stderr)", d, t);
}

bool run_driver_reaped(run_t *r, pid_t p, int st)
{
	if (!r->drv.on || r->drv.reaped || p != r->drv.c.pid)
		return false;
	driver_ended(r, st);
	return true;
}

/* Whether the driver has exited, without reaping it: its group id stays
 * its own until the reap, so what it left in the group is killed first. */
static bool driver_exited(run_t *r)
{
	siginfo_t si = { 0 };
	return waitid(P_PID, (id_t)r->drv.c.pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == r->drv.c.pid;
}

/* Kills the driver's group and reaps its leader, then the rest of the group:
 * the runner is their subreaper (run_driver_start), so they are not left as
 * zombies of an init that may never reap them. Bounded by 1 s. */
static void driver_reap(run_t *r)
{
	int st;
	pid_t pid = r->drv.c.pid;
	kill(-pid, SIGKILL);
	if (waitpid(pid, &st, 0) == pid)
		driver_ended(r, st);
	const struct timespec step = { 0, 5 * 1000 * 1000 };
	for (int i = 0; i < 200 && kill(-pid, 0) == 0; i++) {
		while (waitpid(-pid, &st, WNOHANG) > 0)
			;
		nanosleep(&step, NULL);
	}
}

void run_driver_try_reap(run_t *r)
{
	if (r->drv.on && !r->drv.reaped && driver_exited(r))
		driver_reap(r);
}

void run_driver_pump(run_t *r)
{
	soak_output_pump(&r->drv.out);
	soak_output_pump(&r->drv.err);
}

void run_driver_stop(run_t *r)
{
	if (!r->drv.on || r->drv.reaped)
		return;
	r->drv.stopped = true;
	pid_t pid = r->drv.c.pid;
	/* Its group: sh and what it runs. The group id cannot be reused while
	 * its unreaped leader holds it. */
	if (kill(-pid, SIGTERM) < 0)
		kill(pid, SIGTERM);
	const struct timespec step = { 0, 10 * 1000 * 1000 };
	for (double w = 0; w < SOAK_DRIVER_GRACE_S; w += 0.01) {
		if (driver_exited(r)) {
			driver_reap(r);
			return;
		}
		run_driver_pump(r);
		nanosleep(&step, NULL);
	}
	driver_reap(r);
	run_event(r, run_now() - r->t0, "driver_killed", "the driver ignored SIGTERM");
}

void run_driver_finish(run_t *r)
{
	if (!r->drv.on)
		return;
	run_driver_stop(r);
	if (soak_output_drain(&r->drv.out, 200) < 0 || soak_output_drain(&r->drv.err, 200) < 0)
		run_event(r, run_now() - r->t0, "output_truncated",
			  "driver output still arriving after it ended: stopped reading (1 s or 4 MiB per stream)");
	soak_selfreport_flush(&r->drv.sr_out);
	soak_selfreport_flush(&r->drv.sr_err);
	if (!r->o->no_cgroup)   /* the next run of a compare may have no driver */
		prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int run_driver_store(run_t *r)
{
	if (!r->drv.on)
		return 0;
	int rc = 0, e;
	char name[3 * SOAK_SR_NAME_MAX];
	for (size_t i = 0; i < r->sr_first.n; i++) {
		const soak_sr_entry_t *en = &r->sr_first.e[i];
		snprintf(name, sizeof(name), "selfreport_first.%s.%s", en->tag, en->key);
		if (en->value >= 0 && en->value <= 1e300)   /* finite and not negative, as selfreport.* */
			e = soak_db_value(r->db, r->id, name, en->value, true, NULL);
		else
			e = soak_db_value(r->db, r->id, name, 0, false, "the driver reported a negative or "
					  "non-finite first value");
		rc = e < 0 ? e : rc;
	}
	const soak_output_t *s[] = { &r->drv.out, &r->drv.err };
	for (int i = 0; i < 2; i++)
		if ((e = soak_db_log(r->db, r->id, s[i]->name, s[i]->buf ? s[i]->buf : "", s[i]->len,
				     s[i]->dropped > 0)) < 0)
			rc = e;
	return rc;
}

void run_driver_free(run_t *r)
{
	soak_output_free(&r->drv.out);
	soak_output_free(&r->drv.err);
}
