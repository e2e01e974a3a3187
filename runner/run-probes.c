/* run-probes.c - the probes of one run; see run-internal.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-internal.h"
#include "runinfo.h"
#include "soak/parse.h"


void run_probes_register(run_t *r)
{
	r->nprobes = soak_n_probes;
	r->probe_rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	r->probes = calloc(r->nprobes, sizeof(*r->probes));
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		p->ops = soak_probes[i];
		size_t n = p->ops->n_metrics;
		p->ids = calloc(n, sizeof(*p->ids));
		p->vals = calloc(n, sizeof(*p->vals));
		p->valid = calloc(n, sizeof(*p->valid));
		p->reasons = calloc(n, sizeof(*p->reasons));
		p->last_t = -1;
		char why[SOAK_REASON_MAX] = "";
		p->usable = !p->ops->supported || p->ops->supported(&r->ctx, why, sizeof(why)) == 0;
		for (size_t m = 0; m < n; m++) {
			const soak_metric_def_t *d = &p->ops->metrics[m];
			soak_db_metric(r->db, d->name, d->unit, (int)d->kind, d->desc, &p->ids[m]);
			if (!p->usable)
				snprintf(p->reasons[m], SOAK_REASON_MAX, "%s", why[0] ? why : "not supported here");
		}
	}
}

/* Records the reasons of metrics that are unavailable for the whole run. */
void run_probes_record_unavailable(run_t *r)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		for (size_t m = 0; m < p->ops->n_metrics; m++)
			if (p->reasons[m][0])
				soak_db_unavailable(r->db, r->id, p->ids[m], p->reasons[m]);
	}
}

typedef int (*probe_start_fn)(void **state, const soak_probe_ctx_t *ctx, char (*reasons)[SOAK_REASON_MAX]);

/* One start step (attach or open, named STEP) of every usable probe that has
 * it: a probe whose step fails is unusable for the rest of the run, and each
 * of its metrics without a reason of its own gets "<probe>: STEP failed: ...". */
static void probes_start(run_t *r, bool attach, const char *step)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		probe_start_fn fn = attach ? p->ops->attach : p->ops->open;
		if (!p->usable || !fn)
			continue;
		int e = fn(&p->state, &r->ctx, p->reasons);
		if (e < 0) {
			p->usable = false;
			for (size_t m = 0; m < p->ops->n_metrics; m++)
				if (!p->reasons[m][0])
					snprintf(p->reasons[m], SOAK_REASON_MAX, "%s: %s failed: %s",
						 p->ops->name, step, strerror(-e));
		}
	}
}

void run_probes_attach(run_t *r)
{
	probes_start(r, true, "attach");
}

void run_probes_open(run_t *r)
{
	probes_start(r, false, "open");
}

static const probe_slot_t *run_find_metric(const run_t *r, const char *name, size_t *ret_m)
{
	for (size_t i = 0; i < r->nprobes; i++)
		for (size_t m = 0; m < r->probes[i].ops->n_metrics; m++)
			if (!strcmp(r->probes[i].ops->metrics[m].name, name)) {
				*ret_m = m;
				return &r->probes[i];
			}
	return NULL;
}

/* A reason learnt after open() (the worker found it could not measure the
 * metric after all): recorded when the metric has none yet. */
void run_probes_late_unavailable(run_t *r, const char *name, const char *reason)
{
	size_t m;
	const probe_slot_t *p = run_find_metric(r, name, &m);
	if (!p || p->reasons[m][0])
		return;
	snprintf(p->reasons[m], SOAK_REASON_MAX, "%s", reason);
	soak_db_unavailable(r->db, r->id, p->ids[m], reason);
}

/* The last sampled value of a metric, if valid. */
bool run_last_value(const run_t *r, const char *name, double *ret)
{
	size_t m;
	const probe_slot_t *p = run_find_metric(r, name, &m);
	if (!p || !p->usable || !p->valid[m])
		return false;
	*ret = p->vals[m];
	return true;
}

/* A probe found unusable costs nothing here; the values go to the store's
 * ring (run-store.c), never straight to the database. A probe's
 * sample_slow() runs only when slow_interval_s has passed since its last call
 * (half a sampling interval of slack keeps the cadence on the grid), or when
 * forced (the final sample).
 *
 * Where the runner's CPU goes is measured without a clock read on most ticks
 * (a thread CPU clock read is a system call, ~1.3 µs here, and a tick's first
 * calls after a wake-up cost several times that): a random eighth of the ticks
 * is timed, the whole tick and each probe's sample(), and scaled to all ticks
 * at the end (run-end.c); every sample_slow() call is timed (they are rare,
 * and a perf read can take milliseconds: sampled, a few of them would swing
 * the estimate). Returns the tick's probe CPU in seconds when it was timed,
 * else NAN. */
double run_probes_sample(run_t *r, double t, bool force)
{
	r->probe_rng ^= r->probe_rng << 13;
	r->probe_rng ^= r->probe_rng >> 7;
	r->probe_rng ^= r->probe_rng << 17;
	bool each = (r->probe_rng & 7) == 0;
	r->probe_timed += each;
	double c0 = each ? run_cpu_now() : 0, c = c0, slow_s = 0;
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		if (!p->usable)
			continue;
		memset(p->valid, 0, p->ops->n_metrics * sizeof(bool));
		if (p->ops->sample && p->ops->sample(p->state, p->vals, p->valid) < 0)
			memset(p->valid, 0, p->ops->n_metrics * sizeof(bool));
		if (each) {
			double c1 = run_cpu_now();
			p->cpu_s += c1 - c;
			c = c1;
		}
		double slow = p->ops->slow_interval_s;
		if (p->ops->sample_slow &&
		    (force || p->last_t < 0 || !(slow > 0) || t - p->last_t >= slow - 0.5 * r->o->interval_s)) {
			p->last_t = t;
			p->reads++;
			double s0 = each ? c : run_cpu_now();
			p->ops->sample_slow(p->state, p->vals, p->valid);
			double s1 = run_cpu_now();
			p->slow_cpu_s += s1 - s0;
			slow_s += s1 - s0;
			if (each)
				c = s1;
		}
	}
	run_store_tick(r, t);
	r->nsamples++;
	r->probe_slow_cpu_s += slow_s;
	if (!each)
		return NAN;
	double dc = run_cpu_now() - c0;
	r->probe_fast_cpu_s += dc - slow_s;
	return dc;
}

/* The probes' CPU over the whole run: the timed ticks' share without the
 * slow reads, scaled to all ticks, plus every slow read. */
double run_probes_cpu_s(const run_t *r)
{
	if (!r->probe_timed)
		return r->probe_slow_cpu_s;
	return r->probe_fast_cpu_s * (double)r->nsamples / (double)r->probe_timed + r->probe_slow_cpu_s;
}

void run_probes_close(run_t *r)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		if (p->state && p->ops->close)
			p->ops->close(p->state);
		free(p->ids);
		free(p->vals);
		free(p->valid);
		free(p->reasons);
	}
	free(r->probes);
	r->probes = NULL;
}
