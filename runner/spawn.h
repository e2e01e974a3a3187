/*
 * spawn.h - fork a workload so that it is inside its cgroups and counted by
 * its probes before its first instruction: the child waits on a pipe until
 * the parent has attached it, then execs. It dies with the runner
 * (PR_SET_PDEATHSIG, checked against the runner's pid after it is set) and
 * leads its own session (setsid), so its pid is also its process group's.
 */
#ifndef SOAK_SPAWN_H
#define SOAK_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
	char *const *argv;        /* program and arguments (argv[0] is looked up in PATH) */
	char *const *env_add;     /* "K=V" entries set in the child, NULL-terminated */
	bool clear_ld_preload;    /* unset LD_PRELOAD inherited from the runner's environment */
	int keep_fd;              /* an fd to pass through exec (the shm), -1 for none */
	bool capture;             /* stdout/stderr to pipes (else inherited) */
} soak_spawn_t;

typedef struct {
	pid_t pid;
	int go_fd;                /* write one byte to release the child */
	int err_fd;               /* exec failure: errno arrives here; EOF = exec done */
	int out_fd, errout_fd;    /* worker stdout/stderr (capture), else -1 */
} soak_child_t;

/* execvp's PATH search: the executable `cmd` names, or -ENOENT. */
int soak_spawn_resolve(const char *cmd, char *buf, size_t len);
/* Forks; the child waits for soak_spawn_release. Returns 0 or -errno. */
int soak_spawn(const soak_spawn_t *s, soak_child_t *ret);
/* Releases the child and waits until it has exec'd; -errno (from the child) when exec failed. */
int soak_spawn_release(soak_child_t *c);

#endif
