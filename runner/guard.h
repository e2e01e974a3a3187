/*
 * guard.h - nothing a run starts outlives it.
 *
 * The workload is the leader of its own session (spawn.c calls setsid), so
 * everything it starts shares that session unless it calls setsid itself.
 *   - With cgroups, the run's cgroup holds every descendant: it is killed
 *     (cgroup.kill) when the command ends, before its output is drained.
 *   - Without cgroups (--no-cgroup), the runner is a child subreaper
 *     (PR_SET_CHILD_SUBREAPER): orphans of the workload become its children,
 *     are reaped during the run, and at the end every process of the
 *     workload's session is killed (soak_guard_kill_session) and reaped.
 *   - A runner killed with SIGKILL cannot clean up, and PR_SET_PDEATHSIG only
 *     covers its direct child: a small sentinel process, forked from the
 *     runner (outside the run's cgroup), waits on a pipe only the runner
 *     holds. When the pipe closes without the runner saying "done", the
 *     sentinel kills the run's cgroups (or its session) and removes the
 *     cgroups. The next soakctl command still marks the run incomplete.
 */
#ifndef SOAK_RUNNER_GUARD_H
#define SOAK_RUNNER_GUARD_H

#include <sys/types.h>

#include "cgnames.h"

typedef struct {
	pid_t pid;     /* the sentinel, -1 when none */
	int fd;        /* write end of its pipe */
} soak_guard_t;

/* Forks the sentinel for the run whose cgroups are `cg` (mode NONE: the
 * session `sid`). 0 or -errno (the run goes on without one). */
int soak_guard_start(soak_guard_t *g, const soak_cg_paths_t *cg, pid_t sid);
/* Tells the sentinel the run is cleaned up, and reaps it. */
void soak_guard_stop(soak_guard_t *g);

/* Kills every process whose session is sid, through pidfds after checking
 * /proc/PID/stat again once the pidfd is open. Loops until none is left or
 * about 2 s pass. Returns how many processes it signalled. */
int soak_guard_kill_session(pid_t sid);

/* Subreaper's end of a run without cgroups: kills the session sid and every
 * child of ours but `keep` (orphans that left the session come to us), reaps
 * them, and again until nothing is left (about 1 s at most). Returns how many
 * it killed. The caller must have reaped (or stored) its workload already. */
int soak_guard_kill_tree(pid_t sid, pid_t keep);

/* Parses the state (field 3) and session id (field 6) of a /proc/PID/stat
 * text; -EINVAL. ret_state may be NULL. */
int soak_guard_parse_sid(const char *stat, pid_t *ret, char *ret_state);

#endif
