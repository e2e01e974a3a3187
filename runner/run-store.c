/*
 * run-store.c - the runner's write path during a run; see run-internal.h.
 *
 * The sampling loop never waits for the database. A tick copies the probes'
 * values into the next slot of a ring allocated when the run starts (no
 * allocation, no formatting, no SQL); the few other records of the loop
 * (events, the observed allocator, latency snapshots, exec steps) are queued
 * the same way. run_store_flush() writes everything pending in one
 * transaction, one prepared statement per row, every SOAK_FLUSH_S (0.5 s).
 * The database connection's busy timeout is 0 while the loop runs: when another process
 * holds the write lock, or a write or the commit fails (disk full, I/O error),
 * the transaction is rolled back, everything stays queued, and the next flush
 * tries again. Only when the ring is full (SOAK_STORE_HOLD_S of samples) are
 * the oldest samples dropped - counted, their time span recorded in a
 * samples_lost event, and the run's samples_lost set, so that nothing is
 * lost silently.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "run-internal.h"


/* How much the ring holds, in seconds of samples at the run's interval. */
#define SOAK_STORE_HOLD_S 60.0
#define SOAK_STORE_MIN_ROWS 64
#define SOAK_STORE_MAX_ROWS 65536
/* A flush failing for this long is worth a line on stderr and an event. */
#define SOAK_STORE_WARN_S 1.0

int run_store_init(run_t *r)
{
	run_store_t *s = &r->store;
	size_t n = 0;
	for (size_t i = 0; i < r->nprobes; i++)
		for (size_t m = 0; r->probes[i].usable && m < r->probes[i].ops->n_metrics; m++)
			n += !r->probes[i].reasons[m][0];
	/* Metrics unavailable for the whole run get no column: they cost nothing. */
	s->src = calloc(n ? n : 1, sizeof(*s->src));
	s->ok = calloc(n ? n : 1, sizeof(*s->ok));
	int64_t *ids = calloc(n ? n : 1, sizeof(*ids));
	double rows = ceil(SOAK_STORE_HOLD_S / r->o->interval_s);
	s->cap = rows < SOAK_STORE_MIN_ROWS ? SOAK_STORE_MIN_ROWS
		 : rows > SOAK_STORE_MAX_ROWS ? SOAK_STORE_MAX_ROWS : (size_t)rows;
	/* Tests shrink the ring to make it overflow in seconds. */
	const char *env = getenv("SOAK_STORE_ROWS");
	if (env && *env) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(env, &end, 10);
		if (errno || *end || v < 2 || v > SOAK_STORE_MAX_ROWS || env[0] == '-')
			run_say(r->o, SOAK_SAY_ERROR, "SOAK_STORE_ROWS=%.40s ignored: give a number of rows from 2 to %d", env,
				 SOAK_STORE_MAX_ROWS);
		else
			s->cap = v;
	}
	s->ring = calloc(s->cap * (n + 1), sizeof(double));
	s->hist[0] = malloc(sizeof(soak_hist_t));
	s->hist[1] = malloc(sizeof(soak_hist_t));
	if ((r->probe_cpu_hist = malloc(sizeof(soak_hist_t))))
		soak_hist_init(r->probe_cpu_hist);
	if ((r->store_cpu_hist = malloc(sizeof(soak_hist_t))))
		soak_hist_init(r->store_cpu_hist);
	if (!s->src || !s->ok || !ids || !s->ring || !s->hist[0] || !s->hist[1]) {
		free(ids);
		run_say(r->o, SOAK_SAY_ERROR, "out of memory for the sample buffer");
		return -ENOMEM;
	}
	size_t c = 0;
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		for (size_t m = 0; p->usable && m < p->ops->n_metrics; m++) {
			if (p->reasons[m][0])
				continue;
			s->src[c] = &p->vals[m];
			s->ok[c] = &p->valid[m];
			ids[c++] = p->ids[m];
		}
	}
	s->ncols = n;
	int e = soak_db_sample_columns(r->db, r->id, ids, n);
	free(ids);
	if (e < 0) {
		run_say(r->o, SOAK_SAY_ERROR, "cannot prepare the sample rows: %s", soak_db_errmsg(r->db));
		return e;
	}
	return 0;
}

void run_store_free(run_t *r)
{
	run_store_t *s = &r->store;
	free(s->src);
	free(s->ok);
	free(s->ring);
	free(s->hist[0]);
	free(s->hist[1]);
	memset(s, 0, sizeof(*s));
	free(r->probe_cpu_hist);
	free(r->store_cpu_hist);
	r->probe_cpu_hist = r->store_cpu_hist = NULL;
}

static void note_lost(run_store_t *s, double t, uint64_t n)
{
	if (!s->lost)
		s->lost_t0 = t;
	if (t > s->lost_t1)
		s->lost_t1 = t;
	if (!s->gap_n)
		s->gap_t0 = t;
	s->gap_t1 = t;
	s->gap_n += n;
	s->lost += n;
}

/* The probes' values of this tick into the ring; NAN = unmeasured. */
void run_store_tick(run_t *r, double t)
{
	run_store_t *s = &r->store;
	s->taken++;
	if (!s->ring) {
		note_lost(s, t, 1);   /* run_store_init failed and said so */
		return;
	}
	size_t w = s->ncols + 1;
	if (s->n == s->cap) {
		/* Full: the oldest pending sample is the one given up. */
		note_lost(s, s->ring[s->head * w], 1);
		s->head = (s->head + 1) % s->cap;
		s->n--;
	}
	double *row = &s->ring[((s->head + s->n) % s->cap) * w];
	row[0] = t;
	for (size_t c = 0; c < s->ncols; c++)
		row[c + 1] = *s->ok[c] ? *s->src[c] : NAN;
	s->n++;
}

/* A queue other than the sample ring is half full: flush now rather than at
 * the next SOAK_FLUSH_S (many short exec steps, or an event per failed step). */
bool run_store_pressing(const run_t *r)
{
	return r->store.nsteps >= SOAK_STORE_STEPS / 2 || r->store.nev >= SOAK_STORE_EVENTS / 2;
}

void run_event(run_t *r, double t, const char *kind, const char *detail)
{
	run_store_t *s = &r->store;
	if (s->nev == SOAK_STORE_EVENTS) {
		s->ev_dropped++;
		return;
	}
	run_pending_event_t *e = &s->ev[s->nev++];
	e->t = t;
	snprintf(e->kind, sizeof(e->kind), "%s", kind);
	e->has_detail = detail != NULL;
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

void run_observed(run_t *r, const char *observed)
{
	snprintf(r->store.observed, sizeof(r->store.observed), "%s", observed);
	r->store.observed_pending = true;
}

void run_step_sample(run_t *r, double t, const double v[4])
{
	run_store_t *s = &r->store;
	s->taken++;
	if (s->nsteps == SOAK_STORE_STEPS) {
		note_lost(s, t, 1);
		return;
	}
	s->steps[s->nsteps].t = t;
	memcpy(s->steps[s->nsteps].v, v, sizeof(s->steps[0].v));
	s->nsteps++;
}

void run_store_latency(run_t *r, double t)
{
	run_store_t *s = &r->store;
	if (!r->shm || !r->shm->latency_every || !s->hist[0])
		return;
	/* Slot 0: the first snapshot (warm-up end), slot 1: the latest. */
	int k = s->hist_pending[0] || s->hist_stored ? 1 : 0;
	soak_hist_t *h = s->hist[k];
	soak_hist_init(h);
	uint32_t n = __atomic_load_n(&r->shm->nthreads, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n && i < SOAK_MAX_THREADS; i++)
		soak_hist_merge(h, &r->shm->thr[i].lat);
	soak_hist_settle(h);
	s->hist_t[k] = t;
	s->hist_pending[k] = true;
}

/* Everything queued, inside the open transaction. */
static int write_pending(run_t *r)
{
	run_store_t *s = &r->store;
	int e = 0;
	for (size_t i = 0; i < s->nev && e == 0; i++)
		e = soak_db_event(r->db, r->id, s->ev[i].t, s->ev[i].kind, s->ev[i].has_detail ? s->ev[i].detail : NULL);
	if (e == 0 && s->observed_pending)
		e = soak_db_run_set_observed(r->db, r->id, s->observed);
	for (int k = 0; k < 2 && e == 0; k++)
		if (s->hist_pending[k])
			e = soak_db_hist(r->db, r->id, "latency", s->hist_t[k], s->hist[k]);
	for (size_t i = 0; i < s->nsteps && e == 0; i++)
		for (int m = 0; m < 4 && e == 0; m++)
			e = soak_db_sample(r->db, r->id, r->step_ids[m], s->steps[i].t, s->steps[i].v[m],
					   !isnan(s->steps[i].v[m]));
	size_t w = s->ncols + 1;
	for (size_t i = 0; i < s->n && e == 0; i++) {
		const double *row = &s->ring[((s->head + i) % s->cap) * w];
		e = soak_db_sample_row(r->db, r->id, row[0], row + 1);
	}
	if (e == 0 && s->gap_n) {
		char d[200];
		snprintf(d, sizeof(d), "%llu samples from t=%.3f s to t=%.3f s could not be stored: %.120s",
			 (unsigned long long)s->gap_n, s->gap_t0, s->gap_t1,
			 s->fail_msg[0] ? s->fail_msg : "the buffer was full");
		e = soak_db_event(r->db, r->id, s->gap_t0, "samples_lost", d);
	}
	if (e == 0 && s->lost)
		e = soak_db_run_set_samples_lost(r->db, r->id, (int64_t)s->lost);
	return e;
}

int run_store_flush(run_t *r)
{
	run_store_t *s = &r->store;
	int e = write_pending(r);
	if (e == 0)
		e = soak_db_commit(r->db);
	double now = run_now() - r->t0;
	if (e < 0) {
		soak_db_rollback(r->db);
		if (!s->failing) {
			s->failing = true;
			s->warned = false;
			s->fail_since = now;
			snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", soak_db_errmsg(r->db));
		}
		/* A busy lock for a few flushes is normal with two writers: say
		 * something once it lasts. */
		if (!s->warned && now - s->fail_since >= SOAK_STORE_WARN_S && r->o->verbose >= 0) {
			s->warned = true;
			run_say(r->o, SOAK_SAY_ERROR, "%s: holding samples in memory (up to %.0f s) and retrying", s->fail_msg,
				 (double)s->cap * r->o->interval_s);
		}
		return e;
	}
	if (s->failing) {
		s->failing = false;
		if (now - s->fail_since >= SOAK_STORE_WARN_S) {
			char d[300];
			snprintf(d, sizeof(d), "the database refused writes for %.2f s (%.200s); samples were held "
				 "in memory meanwhile", now - s->fail_since, s->fail_msg);
			/* Best effort: a note; the samples themselves are stored. */
			if (soak_db_event(r->db, r->id, s->fail_since, "db_delayed", d) < 0 ||
			    soak_db_commit(r->db) < 0)
				soak_db_rollback(r->db);
		}
	}
	s->nev = 0;
	s->observed_pending = false;
	if (s->hist_pending[0] || s->hist_pending[1])
		s->hist_stored = true;
	s->hist_pending[0] = s->hist_pending[1] = false;
	s->nsteps = 0;
	s->head = (s->head + s->n) % s->cap;
	s->n = 0;
	s->gap_n = 0;
	return 0;
}

/* After the loop: a few more tries, waiting for the lock as other commands
 * do; what is still pending then is lost, and said so. */
int run_store_final(run_t *r)
{
	run_store_t *s = &r->store;
	soak_db_set_busy_timeout(r->db, 2000);
	int e = 0;
	for (int i = 0; i < 5; i++) {
		if ((e = run_store_flush(r)) == 0)
			return 0;
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	size_t w = s->ncols + 1;
	if (s->n) {
		note_lost(s, s->ring[s->head * w], s->n);
		s->gap_t1 = s->ring[((s->head + s->n - 1) % s->cap) * w];
		if (s->gap_t1 > s->lost_t1)
			s->lost_t1 = s->gap_t1;
	}
	if (s->nsteps)
		note_lost(s, s->steps[0].t, s->nsteps);
	s->n = s->nsteps = 0;
	return e;
}
