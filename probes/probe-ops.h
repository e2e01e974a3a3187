/*
 * probe-ops.h - what the ops probe exports beyond its ops table.
 */
#ifndef SOAK_PROBE_OPS_H
#define SOAK_PROBE_OPS_H

#include "soak/hist.h"
#include "soak/shm.h"

/* out = the cumulative latency histogram of all the worker's threads
 * (thr[0 .. nthreads)), merged, read with relaxed atomic loads while the worker
 * runs. count is the sum of the buckets read, so a torn snapshot stays
 * self-consistent. The runner stores one at the end of warm-up and one at the
 * end, and diffs them (soak_hist_diff) for whole-run percentiles. out is ~31 KiB:
 * keep it off small stacks. */
void soak_probe_ops_snapshot(const soak_shm_t *shm, soak_hist_t *out);

#endif
