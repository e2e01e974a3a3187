/* runinfo.h - small facts about processes read from /proc. */
#ifndef SOAK_RUNINFO_H
#define SOAK_RUNINFO_H

#include <stdint.h>
#include <sys/types.h>

/* 1 when `path` is mapped into pid, 0 when not, -errno when pid is gone. */
int soak_runinfo_maps_has(pid_t pid, const char *path);

#endif
