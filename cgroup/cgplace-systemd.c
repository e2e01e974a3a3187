/*
 * cgplace-systemd.c - a transient scope with Delegate=yes from systemd, over
 * D-Bus with sd-bus (libsystemd): the request `systemd-run --scope -p
 * Delegate=yes` and podman's systemd cgroup manager make. systemd moves the
 * PIDs into the scope itself and hands the scope's cgroup to us (controllers
 * and, for a user manager, ownership); everything below it is ours.
 *
 * Why D-Bus and not mkdir: on a systemd host the cgroup tree above a
 * delegated cgroup belongs to systemd (single-writer rule); a cgroup made
 * behind its back may be moved or removed at the next reload.
 */
#include "cgplace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

/* The call, and then the job: starting a scope takes milliseconds, but a
 * loaded host (or a TCG guest) can take seconds; systemd-run waits forever. */
#define CALL_TIMEOUT_US (30ULL * 1000 * 1000)
#define JOB_TIMEOUT_US (90ULL * 1000 * 1000)

bool soak_place_systemd_booted(void)
{
	return sd_booted() > 0;
}

typedef struct {
	const char *job;      /* object path of our job */
	char result[32];      /* "done", "failed", ... once removed */
	bool done;
} job_wait_t;

static int on_job_removed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	(void)ret_error;
	job_wait_t *w = userdata;
	uint32_t id;
	const char *path, *unit, *result;
	if (sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) < 0)
		return 0;
	if (w->job && !strcmp(path, w->job)) {
		snprintf(w->result, sizeof(w->result), "%s", result);
		w->done = true;
	}
	return 0;
}

/* Root talks to PID 1 on its private socket, as systemctl and systemd-run do
 * (works without a D-Bus daemon), else on the system bus; others use their
 * user manager's bus. */
static int connect_bus(bool user, sd_bus **ret)
{
	if (user)
		return sd_bus_open_user(ret);
	sd_bus *b = NULL;
	int r = sd_bus_new(&b);
	if (r >= 0 && (r = sd_bus_set_address(b, "unix:path=/run/systemd/private")) >= 0 &&
	    (r = sd_bus_start(b)) >= 0) {
		*ret = b;
		return 0;
	}
	sd_bus_unref(b);
	return sd_bus_open_system(ret);
}

static int append_props(sd_bus_message *m, const char *unit)
{
	int r = sd_bus_message_append(m, "ss", unit, "fail");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "Description", "s", "soakctl runs (soak)");
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "PIDs", "au", 1, (uint32_t)getpid());
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "Delegate", "b", 1);
	/* Gone as soon as it is empty, even if it failed. */
	if (r >= 0)
		r = sd_bus_message_append(m, "(sv)", "CollectMode", "s", "inactive-or-failed");
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "a(sa(sv))", 0);
	return r;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int soak_place_systemd_scope(const char *unit, bool user, char *err, size_t errlen)
{
	const char *who = user ? "user" : "system";
	sd_bus *bus = NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	sd_bus_error e = SD_BUS_ERROR_NULL;
	job_wait_t w = { 0 };
	char *job = NULL;
	int r = connect_bus(user, &bus);
	if (r < 0) {
		snprintf(err, errlen, "cannot connect to the systemd %s manager: %s%s", who, strerror(-r),
			 user ? " (is there a user manager? loginctl enable-linger, XDG_RUNTIME_DIR)" : "");
		goto out;
	}
	/* Subscribed before the call, so the JobRemoved of a fast job is not lost;
	 * the manager sends it to the client that queued the job. */
	r = sd_bus_match_signal(bus, NULL, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				"org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
	if (r >= 0)
		r = sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
						   "/org/freedesktop/systemd1",
						   "org.freedesktop.systemd1.Manager", "StartTransientUnit");
	if (r >= 0)
		r = append_props(m, unit);
	if (r < 0) {
		snprintf(err, errlen, "cannot build the request to the systemd %s manager: %s", who,
			 strerror(-r));
		goto out;
	}
	r = sd_bus_call(bus, m, CALL_TIMEOUT_US, &e, &reply);
	if (r < 0) {
		snprintf(err, errlen, "the systemd %s manager refused a delegated scope: %s", who,
			 e.message ? e.message : strerror(-r));
		goto out;
	}
	const char *path;
	if ((r = sd_bus_message_read(reply, "o", &path)) < 0 || !(job = strdup(path))) {
		r = r < 0 ? r : -ENOMEM;
		snprintf(err, errlen, "unexpected reply from the systemd %s manager", who);
		goto out;
	}
	w.job = job;
	uint64_t end = now_us() + JOB_TIMEOUT_US;
	while (!w.done) {
		r = sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		uint64_t t = now_us();
		if (r == 0 && t < end)
			r = sd_bus_wait(bus, end - t);
		if (r < 0 || t >= end) {
			r = r < 0 ? r : -ETIMEDOUT;
			snprintf(err, errlen, "waiting for systemd to start %s: %s", unit, strerror(-r));
			goto out;
		}
	}
	r = strcmp(w.result, "done") ? -EIO : 0;
	if (r < 0)
		snprintf(err, errlen, "systemd could not start %s (job result: %s)", unit, w.result);
out:
	free(job);
	sd_bus_error_free(&e);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(m);
	sd_bus_flush_close_unref(bus);
	return r < 0 ? r : 0;
}
