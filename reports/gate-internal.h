/* gate-internal.h - helpers gate.c shares with gate-baseline.c (not part of
 * the gate's interface). */
#ifndef SOAK_GATE_INTERNAL_H
#define SOAK_GATE_INTERNAL_H

#include "gate.h"

/* Appends a check named name for metric m to gr; NULL when out of memory. */
soak_check_t *soak_gate_add_check(soak_gate_run_t *gr, const char *name, soak_gate_metric_t m);
/* Sets the state and the message. */
__attribute__((format(printf, 3, 4)))
void soak_gate_set_state(soak_check_t *c, soak_check_state_t st, const char *fmt, ...);
/* Status ok and no sample lost: a complete result. */
bool soak_gate_run_ok(const soak_run_result_t *r);
/* An unavailable metric: an error when required (and the run ended ok),
 * otherwise skipped. */
void soak_gate_unavailable(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l,
			   soak_gate_metric_t m, const char *what, const char *why);
/* A value of a baseline metric with its unit ("9.800 M ops/s", "2.10 MiB", "60 ns"). */
void soak_gate_fmt_metric(soak_gate_metric_t m, double v, char *buf, size_t len);

/* Adds gr's checks from index `from` on to the counts of gr and rep. */
void soak_gate_count(soak_gate_report_t *rep, soak_gate_run_t *gr, size_t from);

#endif
