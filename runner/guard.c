/* guard.c - the sentinel and the session sweep; see guard.h. */
#include "guard.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-kill.h"

int soak_guard_parse_sid(const char *stat, pid_t *ret, char *ret_state)
{
	/* "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')' */
	const char *p = strrchr(stat, ')');
	if (!p)
		return -EINVAL;
	char state;
	int ppid, pgrp, sid;
	if (sscanf(p + 1, " %c %d %d %d", &state, &ppid, &pgrp, &sid) != 4 || sid < 0)
		return -EINVAL;
	*ret = (pid_t)sid;
	if (ret_state)
		*ret_state = state;
	return 0;
}

/* The session of a live process; -ESRCH for a zombie (dead already, only
 * its parent's wait is missing). */
static int read_sid(pid_t pid, pid_t *ret)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	char state;
	int r = soak_guard_parse_sid(buf, ret, &state);
	return r < 0 ? r : state == 'Z' || state == 'X' ? -ESRCH : 0;
}

/* One pass over /proc; returns how many members of sid it signalled. */
static int sweep(pid_t sid)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	int killed = 0;
	pid_t self = getpid();
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		pid_t s;
		if (*end || pid <= 0 || pid == self || read_sid((pid_t)pid, &s) < 0 || s != sid)
			continue;
		/* The pidfd pins the process; checking the session again after
		 * opening it means a reused pid is never signalled. */
		int fd = (int)pidfd_open((pid_t)pid, 0);
		if (fd < 0)
			continue;
		if (read_sid((pid_t)pid, &s) == 0 && s == sid && pidfd_send_signal(fd, SIGKILL, NULL, 0) == 0)
			killed++;
		close(fd);
	}
	closedir(d);
	return killed;
}

int soak_guard_kill_session(pid_t sid)
{
	if (sid <= 1)
		return -EINVAL;
	int total = 0;
	for (int i = 0; i < 200; i++) {
		int n = sweep(sid);
		if (n <= 0)
			break;
		total += n;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return total;
}

/* Our own children (subreaper: the command's orphans, wherever their
 * session); one pass. A child's pid cannot be reused before we reap it. */
static int kill_children(pid_t keep)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return -errno;
	int killed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[300], buf[4096];
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n")) {
			char *end;
			long pid = strtol(t, &end, 10);
			pid_t s;
			if (*end || pid <= 1 || pid == keep || read_sid((pid_t)pid, &s) < 0)
				continue;
			int pfd = (int)pidfd_open((pid_t)pid, 0);
			if (pfd >= 0 && pidfd_send_signal(pfd, SIGKILL, NULL, 0) == 0)
				killed++;
			if (pfd >= 0)
				close(pfd);
		}
	}
	closedir(d);
	return killed;
}

int soak_guard_kill_tree(pid_t sid, pid_t keep)
{
	int total = 0;
	for (int i = 0; i < 100; i++) {
		int n = soak_guard_kill_session(sid);
		int c = kill_children(keep);
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			;
		total += (n > 0 ? n : 0) + (c > 0 ? c : 0);
		if (n <= 0 && c <= 0)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return total;
}

static void sentinel(int fd, const soak_cg_paths_t *cg, pid_t sid)
{
	/* Ctrl-C reaches the whole foreground group: the runner handles it and
	 * then says "done"; the sentinel must still be there if it does not. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_NAME, "soak-sentinel");
	/* The runner blocks SIGTERM (and more) for its signalfd: not here. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Hold nothing of the runner's (database, pipes, signalfd). */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	close_range(4, ~0U, 0);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; null >= 0 && i < 3; i++)
		dup2(null, i); /* a pipe reading soakctl's output ends with soakctl */
	if (null > 3)
		close(null);
	char b = 0;
	ssize_t n;
	while ((n = read(fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n == 1 && b == 'd')
		_exit(0);
	/* The runner died without cleaning up. */
	if (cg->mode == SOAK_CG_NONE) {
		soak_guard_kill_session(sid);
		_exit(0);
	}
	const char *dirs[3] = { cg->unified_dir, cg->mem_dir, cg->cpu_dir };
	for (int i = 0; i < 3; i++)
		soak_cg_kill_dir(dirs[i]);
	for (int i = 0; i < 3; i++)
		soak_cg_remove_dir(dirs[i]);
	_exit(0);
}

int soak_guard_start(soak_guard_t *g, const soak_cg_paths_t *cg, pid_t sid)
{
	g->pid = -1;
	g->fd = -1;
	int p[2];
	/* A socket, not a pipe: "done" is sent with MSG_NOSIGNAL, so a sentinel
	 * that is already gone costs no SIGPIPE. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[1]);
		sentinel(p[0], cg, sid);
	}
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	return 0;
}

void soak_guard_stop(soak_guard_t *g)
{
	if (g->fd >= 0) {
		ssize_t n = send(g->fd, "d", 1, MSG_NOSIGNAL);
		(void)n;
		close(g->fd);
		g->fd = -1;
	}
	if (g->pid > 0)
		waitpid(g->pid, NULL, 0);
	g->pid = -1;
}
