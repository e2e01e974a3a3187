/* runinfo.h - small facts about processes read from /proc. */
#ifndef SOAK_RUNINFO_H
#define SOAK_RUNINFO_H

#include <stdint.h>
#include <sys/types.h>

/* 1 when `path` is mapped into pid, 0 when not, -errno when pid is gone. */
int soak_runinfo_maps_has(pid_t pid, const char *path);

/* 1 when path is a statically linked ELF executable (no PT_INTERP: the dynamic
 * loader never runs, so LD_PRELOAD cannot inject anything), 0 when it is
 * dynamic or not ELF (a script), -errno when unreadable. */
int soak_runinfo_is_static(const char *path);

#endif
