/* procstat.h - is a process recorded earlier still the same live process?
 * A pid alone cannot say (pids are reused), so a record keeps the pid with its
 * start time, field 22 of /proc/PID/stat, and both are compared later.
 * Returns 0 or negative errno; reads /proc only, never signals anything. */
#ifndef SOAK_PROCSTAT_H
#define SOAK_PROCSTAT_H

#include <stdbool.h>
#include <stdint.h>

/* The start time of PID in clock ticks since boot. -ENOENT when PID does not
 * exist or is a zombie (it has died; only its parent has not reaped it). */
int soak_proc_starttime(int64_t pid, int64_t *ret);

/* Whether the process recorded as (pid, starttime) still runs: false when the
 * pid was never a valid pid, is gone, a zombie, or reused (another start
 * time); true when it cannot tell, so a live process is never declared dead.
 * starttime 0 means none was recorded: the pid alone decides. */
bool soak_proc_alive(int64_t pid, int64_t starttime);

#endif
