/* exec-repeat.h - the worker's `--exec-repeat` mode: run an external command
 * back to back until the runner asks to stop, one step record per run. */
#ifndef SOAK_EXEC_REPEAT_H
#define SOAK_EXEC_REPEAT_H

#include "soak/shm.h"

/* argv: [--tp-pattern REGEX] [--step-env K=V]... [--verify-lib PATH] [--] CMD
 * ARGS...; returns the worker's exit code. */
int soak_exec_repeat(soak_shm_t *shm, int argc, char **argv);


#endif
