/* spawn.c - fork, hold, release, exec; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void child_fail(int fd, int err)
{
	ssize_t n = write(fd, &err, sizeof(err));
	(void)n;
	_exit(127);
}

static void child(const soak_spawn_t *s, pid_t runner, int go, int errfd, int out, int errout)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	/* The worker never outlives the runner. The parent may have died before
	 * prctl took effect: check it is still ours. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != runner)
		_exit(126);
	char b;
	if (read(go, &b, 1) != 1)
		_exit(125); /* runner gave up on us */
	close(go);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}
	if (out >= 0) {
		dup2(out, 1);
		dup2(errout, 2);
		close(out);
		close(errout);
	}
	if (s->clear_ld_preload)
		unsetenv("LD_PRELOAD");
	for (char *const *e = s->env_add; e && *e; e++)
		if (putenv(*e) != 0)
			child_fail(errfd, errno);
	if (s->keep_fd >= 0) {
		int fl = fcntl(s->keep_fd, F_GETFD);
		fcntl(s->keep_fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	execvp(s->argv[0], s->argv);
	child_fail(errfd, errno);
}

int soak_spawn(const soak_spawn_t *s, soak_child_t *ret)
{
	int go[2], ef[2], o[2] = { -1, -1 }, e[2] = { -1, -1 };
	if (pipe2(go, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ef, O_CLOEXEC) < 0)
		goto fail_go;
	if (s->capture && (pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0))
		goto fail_all;
	pid_t runner = getpid();
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		goto fail_all;
	if (pid == 0) {
		close(go[1]);
		close(ef[0]);
		if (s->capture) {
			close(o[0]);
			close(e[0]);
		}
		child(s, runner, go[0], ef[1], o[1], e[1]);
	}
	close(go[0]);
	close(ef[1]);
	if (s->capture) {
		close(o[1]);
		close(e[1]);
	}
	ret->pid = pid;
	ret->go_fd = go[1];
	ret->err_fd = ef[0];
	ret->out_fd = o[0];
	ret->errout_fd = e[0];
	return 0;
fail_all: {
	int r = -errno;
	for (int i = 0; i < 2; i++) {
		if (o[i] >= 0)
			close(o[i]);
		if (e[i] >= 0)
			close(e[i]);
		close(ef[i]);
		close(go[i]);
	}
	return r;
}
fail_go: {
	int r = -errno;
	close(go[0]);
	close(go[1]);
	return r;
}
}

int soak_spawn_release(soak_child_t *c)
{
	char b = 1;
	ssize_t n = write(c->go_fd, &b, 1);
	close(c->go_fd);
	c->go_fd = -1;
	if (n != 1)
		return -EPIPE;
	int err = 0;
	n = read(c->err_fd, &err, sizeof(err));
	close(c->err_fd);
	c->err_fd = -1;
	return n == (ssize_t)sizeof(err) ? -err : 0;
}
