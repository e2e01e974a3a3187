/* runinfo.h - small facts about processes read from /proc. */
#ifndef SOAK_RUNINFO_H
#define SOAK_RUNINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* 1 when `path` is mapped into pid, 0 when not, -errno when pid is gone. */
int soak_runinfo_maps_has(pid_t pid, const char *path);

/* 1 when path is a statically linked ELF executable (no PT_INTERP: the dynamic
 * loader never runs, so LD_PRELOAD cannot inject anything), 0 when it is
 * dynamic or not ELF (a script), -errno when unreadable. */
int soak_runinfo_is_static(const char *path);

/* The machine a run ran on: CPU model ("model name" of /proc/cpuinfo, NULL
 * when absent), online CPUs, MemTotal in bytes (0 when unreadable). */
typedef struct {
	char cpu_model[256];
	bool has_cpu_model;
	int64_t cpu_cores;
	int64_t mem_total;
} soak_host_t;
void soak_runinfo_host(soak_host_t *h);

/* The default host class: "<cpu model>/<cores>c/<GiB>G/<cgroup mode>", memory
 * rounded to whole GiB so a kernel reserving a little more does not split a
 * series. Runs are only put side by side within one class. */
void soak_host_class_default(const soak_host_t *h, const char *cgroup_mode, char *buf, size_t len);

/* SHA-256 of a file as 64 hex digits (OpenSSL's EVP): the allocator build's
 * identity in history, beside path, size and mtime. 0 or -errno. */
int soak_runinfo_sha256(const char *path, char hex[65]);

#endif
