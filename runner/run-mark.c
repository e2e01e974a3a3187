/* run-mark.c - the syscall counters at the worker's first measured
 * operation, so that an allocator's own count (which starts with the
 * allocator) can be set beside a measured count that leaves out the loader,
 * libc and the suite's own set-up (docs/metrics.md, self-reports). The
 * worker waits for the mark (shm.h, first_op); the runner reads the counting
 * probes' values then, without storing a sample (an extra sample a few ms
 * after the start would be a throughput interval of its own). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run-internal.h"

/* How long the runner waits for the mark before it samples: the sampling
 * loop starts after it, so a workload whose set-up takes longer gets no
 * first-operation figure (the reason says so) rather than a late first sample. */
#define MARK_WAIT_S 1.0

static void skip(run_t *r, const char *why)
{
	snprintf(r->mark.why, sizeof(r->mark.why), "%s", why);
}

/* Reads every "sc_*" counter of the usable probes (absolute counts: the
 * probes that count them read totals, so a read out of turn changes nothing). */
static void read_counters(run_t *r)
{
	double v[SOAK_PROBE_MAX_METRICS];
	bool ok[SOAK_PROBE_MAX_METRICS];
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		bool any = false;
		for (size_t m = 0; m < p->ops->n_metrics; m++)
			any |= !strncmp(p->ops->metrics[m].name, "sc_", 3);
		if (!p->usable || !any)
			continue;
		memset(ok, 0, sizeof(ok));
		if (soak_probe_sample_all(p->ops, p->state, v, ok) < 0)
			memset(ok, 0, sizeof(ok));
		for (size_t m = 0; m < p->ops->n_metrics && r->mark.n < sizeof(r->mark.c) / sizeof(r->mark.c[0]); m++)
			if (!strncmp(p->ops->metrics[m].name, "sc_", 3))
				r->mark.c[r->mark.n++] = (typeof(r->mark.c[0])){ p->ops->metrics[m].name, v[m], ok[m] };
	}
}

void run_mark_first_op(run_t *r)
{
	if (!r->shm) {
		skip(r, "an external command does not mark its first operation");
		return;
	}
	if (r->o->repeat) {
		skip(r, "exec --repeat: each step is a process of its own");
		return;
	}
	double end = run_now() + MARK_WAIT_S;
	const struct timespec ts = { 0, 20 * 1000 };
	while (__atomic_load_n(&r->shm->first_op, __ATOMIC_ACQUIRE) != SOAK_FIRST_OP_WAITING) {
		int32_t st = __atomic_load_n(&r->shm->state, __ATOMIC_ACQUIRE);
		bool gone = st >= SOAK_WS_DONE || run_try_reap(r) || soak_run_interrupted;
		if (gone || run_now() > end) {
			int32_t none = SOAK_FIRST_OP_NONE;
			/* 0 -> SKIPPED, unless the worker got there in the meantime */
			if (__atomic_compare_exchange_n(&r->shm->first_op, &none, SOAK_FIRST_OP_SKIPPED, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				skip(r, gone ? "the worker ended before its first operation"
					     : "the worker did not reach its first operation within 1 s of its start (a long set-up)");
				return;
			}
			break;
		}
		nanosleep(&ts, NULL);
	}
	r->mark.t = run_now() - r->t0;
	read_counters(r);
	r->mark.taken = true;
	__atomic_store_n(&r->shm->first_op, SOAK_FIRST_OP_MARKED, __ATOMIC_RELEASE);
}

void run_mark_store(run_t *r)
{
	char name[64];
	if (!r->mark.taken && !r->mark.why[0])
		skip(r, "not marked");
	soak_db_value(r->db, r->id, "first_op.t_s", r->mark.t, r->mark.taken, r->mark.taken ? NULL : r->mark.why);
	for (size_t i = 0; i < r->mark.n; i++) {
		snprintf(name, sizeof(name), "first_op.%s", r->mark.c[i].metric);
		soak_db_value(r->db, r->id, name, r->mark.c[i].v, r->mark.c[i].ok,
			      r->mark.c[i].ok ? NULL : "the counter could not be read at the first operation");
	}
}
