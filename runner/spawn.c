/* spawn.c - fork, hold, release, exec; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void child_fail(int fd, int err)
{
	ssize_t n = write(fd, &err, sizeof(err));
	(void)n;
	_exit(127);
}

/* The child's environment, built before fork: after the child is released it
 * is counted by the probes (cgroup-scoped perf counters), so it must not
 * allocate (putenv/setenv may call malloc, which may call brk or mmap). */
static char **build_env(const soak_spawn_t *s)
{
	size_t n = 0, add = 0;
	while (environ[n])
		n++;
	while (s->env_add && s->env_add[add])
		add++;
	char **env = calloc(n + add + 1, sizeof(char *));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *e = environ[i];
		size_t klen = strcspn(e, "=");
		bool drop = s->clear_ld_preload && !strncmp(e, "LD_PRELOAD=", 11);
		for (size_t j = 0; !drop && j < add; j++)
			drop = !strncmp(s->env_add[j], e, klen + 1);   /* replaced below */
		if (!drop)
			env[k++] = (char *)e;
	}
	for (size_t j = 0; j < add; j++)
		env[k++] = s->env_add[j];
	env[k] = NULL;
	return env;
}

/* execvp's PATH search, done before fork for the same reason. */
/* An executable regular file: access(X_OK) alone let a directory (and ""
 * through PATH, which resolves to a PATH directory) pass. */
static bool is_program(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int soak_spawn_resolve(const char *cmd, char *buf, size_t len)
{
	if (!cmd || !*cmd)
		return -ENOENT;
	if (strchr(cmd, '/')) {
		if ((size_t)snprintf(buf, len, "%s", cmd) >= len)
			return -ENAMETOOLONG;
		return is_program(buf) ? 0 : -ENOENT;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		if ((size_t)snprintf(buf, len, "%.*s/%s", (int)l, path, cmd) < len && is_program(buf))
			return 0;
		path += l + (path[l] == ':');
	}
	return -ENOENT;
}

static void child(const soak_spawn_t *s, const char *path, char **envp, pid_t runner, int go,
		  int errfd, int out, int errout)
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
	/* Its own session: everything it starts can be found (and killed) as a
	 * group, and a Ctrl-C on the terminal reaches the runner only, which
	 * stops the workload itself (guard.h). */
	if (setsid() < 0)
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
	if (s->keep_fd >= 0) {
		int fl = fcntl(s->keep_fd, F_GETFD);
		fcntl(s->keep_fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	execve(path, s->argv, envp);
	child_fail(errfd, errno);
}

int soak_spawn(const soak_spawn_t *s, soak_child_t *ret)
{
	int go[2], ef[2], o[2] = { -1, -1 }, e[2] = { -1, -1 };
	char path[4096];
	if (soak_spawn_resolve(s->argv[0], path, sizeof(path)) < 0)
		return -ENOENT;
	char **envp = build_env(s);
	if (!envp)
		return -ENOMEM;
	if (pipe2(go, O_CLOEXEC) < 0) {
		free(envp);
		return -errno;
	}
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
		child(s, path, envp, runner, go[0], ef[1], o[1], e[1]);
	}
	free(envp);
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
	free(envp);
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
	free(envp);
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
