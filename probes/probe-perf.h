/* probe-perf.h - what the perf probe exports beyond its ops table. */
#ifndef SOAK_PROBE_PERF_H
#define SOAK_PROBE_PERF_H

/* The counting mode a perf probe state chose: "cgroup" (cgroup-scoped, exact
 * for live threads at every sample), "task" (inherited per-task events: live
 * threads' counts appear when they exit), or "none" (state NULL). For the run
 * record and tests. */
const char *soak_probe_perf_mode(const void *state);
/* How many of its counter fds are read through a group leader (one read()
 * per CPU) rather than one by one: for tests. */
int soak_probe_perf_grouped(const void *state);

#endif
