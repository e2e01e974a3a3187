/* run-end.c - how a run ended, and its final records; see run-internal.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-internal.h"
#include "runinfo.h"
#include "soak/parse.h"


/* ---- self-reported counters ---- */

void run_feed_selfreport(const char *data, size_t len, void *arg)
{
	soak_selfreport_feed(arg, data, len);
}

/* A failed final write: the commit may still succeed without it. */
static void chk(run_t *r, int e)
{
	if (e < 0)
		r->store_failed = true;
}

void run_feed_stdout(const char *data, size_t len, void *arg)
{
	run_t *r = arg;
	soak_selfreport_feed(&r->sr_out, data, len);
	soak_tpscan_feed(&r->tp, data, len);
}

/* A single exec is one step: the same four step metrics as exec --repeat,
 * once, at the end (its peak RSS is peak_rss_bytes: no driver here). */
static void run_store_single_step(run_t *r, double t)
{
	if (r->shm || !r->reaped)
		return;
	soak_tpscan_flush(&r->tp);
	double code = WIFEXITED(r->wstatus) ? WEXITSTATUS(r->wstatus) : -1;
	double v[4] = { t, code, NAN, r->tp_on ? r->tp.tp : NAN };
	run_step_sample(r, t, v);   /* queued; the step peak's reason is written after the flush */
}

/* Declared formats (runner/srformat.h): for every declared tag that was
 * printed, each declared class as the sum of its keys, stored as
 * selfreport_class.TAG.CLASS; its reason column holds the declaration
 * ("declared: a + b"), or why there is no value ("not printed: b"). */
static void run_store_selfreport_classes(run_t *r, soak_sr_store_t *st)
{
	char name[3 * SOAK_SR_NAME_MAX], decl[600], why[sizeof(decl) + 2 * SOAK_SR_NAME_MAX + 64];
	for (size_t f = 0; f < r->srfmt.n; f++) {
		const soak_srfmt_t *fm = &r->srfmt.f[f];
		bool printed = false;
		for (size_t i = 0; i < st->n && !printed; i++)
			printed = !strcmp(st->e[i].tag, fm->tag);
		if (!printed)
			continue;
		for (int c = 0; c < SOAK_SRFMT_CLASSES; c++) {
			if (!fm->keys[c][0][0])
				continue;
			soak_srfmt_describe(fm, c, decl, sizeof(decl));
			double sum = 0, v;
			const char *missing = NULL;
			for (int k = 0; k < SOAK_SRFMT_KEYS && fm->keys[c][k][0] && !missing; k++) {
				if (soak_sr_store_get(st, fm->tag, fm->keys[c][k], &v) < 0)
					missing = fm->keys[c][k];
				else
					sum += v;
			}
			snprintf(name, sizeof(name), "selfreport_class.%s.%s", fm->tag, soak_srfmt_classes[c]);
			if (missing)
				snprintf(why, sizeof(why), "the allocator printed no %s (declared: %s)", missing, decl);
			else
				snprintf(why, sizeof(why), "declared: %s", decl);
			soak_db_value(r->db, r->id, name, sum, !missing, why);
		}
	}
}

/* A declared live_bytes (runner/srformat.h): the first declaring tag whose
 * keys were all printed gives selfreport_live_bytes, the sum of their values
 * (st holds the last value printed, or for exec --repeat the last step's),
 * its reason column naming the source ("self-report TAG.KEY"); when no
 * declaring tag printed its keys, NULL with why, naming the first one. */
static void run_store_selfreport_live(run_t *r, soak_sr_store_t *st)
{
	char decl[600], why[sizeof(decl) + 2 * SOAK_SR_NAME_MAX + 128] = "";
	for (size_t f = 0; f < r->srfmt.n; f++) {
		const soak_srfmt_t *fm = &r->srfmt.f[f];
		if (!fm->live[0][0])
			continue;
		soak_srfmt_describe_live(fm, decl, sizeof(decl));
		double sum = 0, v = 0;
		const char *missing = NULL, *bad = NULL;
		for (int k = 0; k < SOAK_SRFMT_KEYS && fm->live[k][0] && !missing && !bad; k++) {
			if (soak_sr_store_get(st, fm->tag, fm->live[k], &v) < 0)
				missing = fm->live[k];
			else if (!isfinite(v) || v < 0)
				bad = fm->live[k];
			else
				sum += v;
		}
		if (!missing && !bad) {
			snprintf(why, sizeof(why), "self-report %s", decl);
			chk(r, soak_db_value(r->db, r->id, "selfreport_live_bytes", sum, true, why));
			return;
		}
		if (why[0])
			continue;   /* the first declaration names the reason */
		if (bad)
			snprintf(why, sizeof(why), "declared as %s but the command printed %s.%s=%g, not a byte count",
				 decl, fm->tag, bad, v);
		else if (fm->live[1][0])
			snprintf(why, sizeof(why), "declared as %s but the command never printed %s.%s", decl,
				 fm->tag, missing);
		else
			snprintf(why, sizeof(why), "declared as %s but the command never printed it", decl);
	}
	if (why[0])
		chk(r, soak_db_value(r->db, r->id, "selfreport_live_bytes", 0, false, why));
}

/* exec --repeat: the steps' own counters as the driver folded them (the
 * runner's stream parser saw the same lines but cannot tell steps apart).
 * The whole-run figure, selfreport.TAG.key, is the SUM over the steps that
 * printed the key (a step's counters cover that process only, so the sum is
 * what the whole run made, comparable with the measured syscalls); per step
 * the minimum, maximum and last value are kept beside it, and the number of
 * steps that printed it (docs/metrics.md). */
static void run_store_selfreport_steps(run_t *r)
{
	char name[3 * SOAK_SR_NAME_MAX];
	soak_sr_store_t *sum = malloc(sizeof(*sum));
	if (!sum)
		return;
	soak_sr_store_t *last = malloc(sizeof(*last));
	if (!last) {
		free(sum);
		return;
	}
	soak_sr_store_init(sum);
	soak_sr_store_init(last);
	uint32_t n = r->shm->sr_n < SOAK_SHM_SR_MAX ? r->shm->sr_n : SOAK_SHM_SR_MAX;
	for (uint32_t i = 0; i < n; i++) {
		soak_shm_sr_t e = r->shm->sr[i];   /* written by the driver, now gone: a copy, bounded */
		e.tag[sizeof(e.tag) - 1] = e.key[sizeof(e.key) - 1] = '\0';
		static const char *const what[] = { "selfreport", "selfreport_step_min", "selfreport_step_max",
						    "selfreport_step_last", "selfreport_steps" };
		double v[] = { e.sum, e.min, e.max, e.last, (double)e.nsteps };
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			snprintf(name, sizeof(name), "%s.%s.%s", what[k], e.tag, e.key);
			soak_db_value(r->db, r->id, name, v[k], isfinite(v[k]), isfinite(v[k]) ? NULL : "not finite");
		}
		soak_sr_store_put(sum, e.tag, e.key, e.sum);
		soak_sr_store_put(last, e.tag, e.key, e.last);
	}
	for (size_t i = 0; i < sum->n; i++) {
		double total;
		if ((i == 0 || strcmp(sum->e[i].tag, sum->e[i - 1].tag)) &&
		    soak_selfreport_syscalls(sum->e[i].tag, soak_sr_store_get, sum, &total) == 0) {
			snprintf(name, sizeof(name), "selfreport.%s.syscalls_total", sum->e[i].tag);
			soak_db_value(r->db, r->id, name, total, true, NULL);
		}
	}
	run_store_selfreport_classes(r, sum);
	/* live bytes are a level, not a count: the last step's, never a sum */
	run_store_selfreport_live(r, last);
	free(sum);
	free(last);
	if (r->shm->sr_dropped)
		soak_db_event(r->db, r->id, run_now() - r->t0, "selfreport_dropped",
			      "the steps printed more than 256 distinct TAG.key counters: the rest were not stored");
}

static void run_store_selfreport(run_t *r)
{
	soak_selfreport_flush(&r->sr_out);
	soak_selfreport_flush(&r->sr_err);
	if (r->o->repeat && r->shm) {
		run_store_selfreport_steps(r);
		return;
	}
	char name[3 * SOAK_SR_NAME_MAX];
	for (size_t i = 0; i < r->sr.n; i++) {
		const soak_sr_entry_t *e = &r->sr.e[i];
		snprintf(name, sizeof(name), "selfreport.%s.%s", e->tag, e->key);
		/* A counter the workload reported as negative, inf or nan is kept
		 * as unavailable with the reason, never stored or summed. */
		if (!isfinite(e->value) || e->value < 0) {
			char why[256];
			snprintf(why, sizeof(why), "the workload reported %s=%g: a counter cannot be "
				 "negative or non-finite", e->key, e->value);
			chk(r, soak_db_value(r->db, r->id, name, 0, false, why));
			chk(r, soak_db_event(r->db, r->id, run_now() - r->t0, "selfreport_invalid", why));
		} else {
			chk(r, soak_db_value(r->db, r->id, name, e->value, true, NULL));
		}
		double total;
		/* One syscall total per known format (e.g. SS_OS_STATS: mmap_total + madvise). */
		if (i == 0 || strcmp(e->tag, r->sr.e[i - 1].tag)) {
			int sr = soak_selfreport_syscalls(e->tag, soak_sr_store_get, &r->sr, &total);
			snprintf(name, sizeof(name), "selfreport.%s.syscalls_total", e->tag);
			if (sr == 0)
				chk(r, soak_db_value(r->db, r->id, name, total, true, NULL));
			else if (sr == -ERANGE)
				chk(r, soak_db_value(r->db, r->id, name, 0, false, "a counter it sums was reported "
					      "negative or non-finite (see the selfreport_invalid event)"));
		}
	}
	run_store_selfreport_classes(r, &r->sr);
	run_store_selfreport_live(r, &r->sr);
	if (r->sr.dropped)
		chk(r, soak_db_event(r->db, r->id, run_now() - r->t0, "selfreport_dropped",
			      "more than 256 distinct TAG.key counters: the rest were not stored"));
}

/* ---- end of run ---- */

static const char *run_classify(run_t *r, int *exit_code, int *sig, bool *has_exit, bool *has_sig)
{
	*has_exit = *has_sig = false;
	if (WIFSIGNALED(r->wstatus)) {
		*has_sig = true;
		*sig = WTERMSIG(r->wstatus);
	} else if (WIFEXITED(r->wstatus)) {
		*has_exit = true;
		*exit_code = WEXITSTATUS(r->wstatus);
	}
	uint64_t oom_after;
	bool oom = r->have_oom_before && soak_cg_oom_kills(&r->cg, &oom_after) == 0 &&
		   oom_after > r->oom_before;
	if (r->mismatch)
		return "allocator-mismatch";
	/* Anywhere in the cgroup, whatever exit code a wrapper made of it
	 * (sh -c turns the SIGKILL into exit 137). */
	if (oom)
		return "oom-killed";
	if (soak_run_interrupted)
		return "interrupted";
	if (*has_exit && run_worker_stopped_by_other(r, *exit_code))
		return "interrupted";
	if (r->killed_after_grace)
		return "timed-out";
	/* Stopped by the runner at its duration (exec: SIGTERM to its group):
	 * that is how such a run ends, not a crash. A wrapper that reports the
	 * SIGTERM as exit 128+15 stopped the same way. */
	if (r->sent_sigterm && ((*has_sig && *sig == SIGTERM) || (!*has_sig && *exit_code == 128 + SIGTERM)))
		return "ok";
	if (*has_sig)
		return "crashed";
	/* A worker reports its states in the shared memory: one that exits 0
	 * without ever running its workload (a SOAK_WORKER that is not
	 * soak-worker, e.g. /bin/true) measured nothing. */
	int32_t st = r->shm ? __atomic_load_n(&r->shm->state, __ATOMIC_ACQUIRE) : SOAK_WS_DONE;
	if (*exit_code == 0 && st < SOAK_WS_RUNNING) {
		snprintf(r->message, sizeof(r->message), "the worker exited with code 0 but never started its "
			 "workload (it never reported %s in the shared memory): is SOAK_WORKER soak-worker?",
			 st == SOAK_WS_READY ? "running" : "ready");
		return "failed";
	}
	if (*exit_code == 0)
		return "ok";
	if (*exit_code == SOAK_WORKER_EXIT_VERIFY && r->shm)
		return "verify-failed";
	return "failed";
}

/* Samples that were taken but could not be stored: the run's samples_lost, an
 * event with the gap, the run's message and a line on stderr. */
static void run_note_lost(run_t *r, bool *bad)
{
	run_store_t *s = &r->store;
	char d[300];
	if (!s->lost && !*bad)
		return;
	if (s->lost) {
		snprintf(d, sizeof(d), "%llu of %llu samples were lost between t=%.1f s and t=%.1f s: the database "
			 "could not store them (%.180s)", (unsigned long long)s->lost, (unsigned long long)s->taken, s->lost_t0,
			 s->lost_t1, s->fail_msg[0] ? s->fail_msg : "buffer full");
		/* The flush records these itself when it succeeds; here they are retried once. */
		if (s->gap_n) {
			char g[200];
			snprintf(g, sizeof(g), "%llu samples from t=%.3f s to t=%.3f s could not be stored",
				 (unsigned long long)s->gap_n, s->gap_t0, s->gap_t1);
			if (soak_db_event(r->db, r->id, s->gap_t0, "samples_lost", g) < 0)
				*bad = true;
		}
		if (soak_db_run_set_samples_lost(r->db, r->id, (int64_t)s->lost) < 0 || soak_db_commit(r->db) < 0) {
			*bad = true;
			soak_db_rollback(r->db);
		}
	} else {
		snprintf(d, sizeof(d), "some final records of the run were lost: %.200s", soak_db_errmsg(r->db));
	}
	run_say(r->o, SOAK_SAY_ERROR, "run %" PRId64 ": %s", r->id, d);
	size_t len = strlen(r->message);
	snprintf(r->message + len, sizeof(r->message) - len, "%s%s", len ? "; " : "", d);
}

/* The command has been reaped: the last sample, whatever it left running
 * killed, its output drained, and the allocator checked one last time. */
static void run_final_sample(run_t *r, double t)
{
	/* Final sample after the reap: perf counts of exited tasks are folded in. */
	run_probes_sample(r, t, true);
	run_steps_read(r);
	run_progress(r, t, true);
	run_store_latency(r, t);
	/* Whatever the command left running holds its output pipes: kill it
	 * first, then drain (bounded in time and bytes all the same). */
	run_kill_leftovers(r, t);
	run_driver_finish(r);
	if (soak_output_drain(&r->out, 200) < 0 || soak_output_drain(&r->err, 200) < 0)
		run_event(r, t, "output_truncated",
			  "output still arriving after the command ended: stopped reading (1 s or 4 MiB per stream)");
	run_store_single_step(r, t);
	if (!r->verified)
		run_verify_allocator(r);
	if (!r->verified && !r->mismatch && r->alloc.path[0]) {
		char d[160];
		snprintf(d, sizeof(d), "the command exited before its memory maps showed %.100s", r->alloc.name);
		run_event(r, t, "allocator_unverified", d);
		run_observed(r, "unverified: exited before it could be checked");
	}
}

/* What the worker found it could not measure after the probes opened: the
 * allocator's statistics function missing from the malloc object, or its
 * malloc_usable_size (they were never valid in any sample). */
static void run_store_worker_unavailable(run_t *r)
{
	static const char *const alloc_metrics[] = { "alloc_allocated_bytes", "alloc_active_bytes",
						     "alloc_resident_bytes", "alloc_mapped_bytes",
						     "alloc_retained_bytes", "alloc_free_bytes" };
	if (!r->shm || r->o->repeat)
		return;
	const soak_shm_astats_t *a = &r->shm->astats;
	if (a->kind != SOAK_ASTATS_NONE && !__atomic_load_n(&a->reads, __ATOMIC_ACQUIRE) && a->why[0]) {
		char why[SOAK_REASON_MAX];
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, a->why);
		for (size_t i = 0; i < sizeof(alloc_metrics) / sizeof(alloc_metrics[0]); i++)
			run_probes_late_unavailable(r, alloc_metrics[i], why);
	}
	if (r->o->usable_bytes && !__atomic_load_n(&r->shm->usable_on, __ATOMIC_RELAXED) && r->shm->usable_why[0]) {
		char why[SOAK_REASON_MAX];
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, r->shm->usable_why);
		run_probes_late_unavailable(r, "bytes_usable", why);
	}
}

/* After the final flush: the single exec's step peak, events the loop could
 * not queue, the self-reported counters, and why throughput is not a rate. */
static void run_store_end_values(run_t *r, double t)
{
	if (!r->shm && r->reaped)
		chk(r, soak_db_unavailable(r->db, r->id, r->step_ids[2],
					   "a single exec: its peak is the run's Peak RSS (no driver, so no per-step peak)"));
	if (r->store.ev_dropped) {
		char d[96];
		snprintf(d, sizeof(d), "%llu events of the loop could not be queued (more than %d between two writes)",
			 (unsigned long long)r->store.ev_dropped, SOAK_STORE_EVENTS);
		chk(r, soak_db_event(r->db, r->id, t, "events_dropped", d));
	}
	run_store_selfreport(r);
	run_store_worker_unavailable(r);
	/* How many threads the workload ran, and how that was chosen (the
	 * multi-thread workloads default to the cgroup's CPUs). */
	if (r->shm && r->shm->threads_how[0]) {
		char how[sizeof(r->shm->threads_how)];
		snprintf(how, sizeof(how), "%.*s", (int)sizeof(how) - 1, r->shm->threads_how);
		chk(r, soak_db_value(r->db, r->id, "threads", __atomic_load_n(&r->shm->nthreads, __ATOMIC_ACQUIRE),
				     true, NULL));
		chk(r, soak_db_event(r->db, r->id, t, "threads", how));
	}
	if (r->shm && r->shm->not_rate[0]) {
		char why[sizeof(r->shm->not_rate)];
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, r->shm->not_rate);
		soak_db_value(r->db, r->id, "throughput_verdict", 0, false, why);
	}
}

/* The run's status (run_classify), with the events and the message that
 * explain it: an OOM kill, the signal that killed the command, the worker's
 * own message, or its exit code. */
static const char *run_end_status(run_t *r, double t, int *code, int *sig, bool *has_code, bool *has_sig)
{
	const char *status = run_classify(r, code, sig, has_code, has_sig);
	if (!strcmp(status, "oom-killed"))
		chk(r, soak_db_event(r->db, r->id, t, "oom_kill", "the cgroup's oom_kill counter rose"));
	if (!strcmp(status, "oom-killed") && !r->message[0] && !(*has_sig && *sig == SIGKILL))
		snprintf(r->message, sizeof(r->message), "the kernel's OOM killer killed a process in the "
			 "run's cgroup; the command then %s %d", *has_sig ? "died of signal" : "exited with code",
			 *has_sig ? *sig : *code);
	if (!strcmp(status, "interrupted") && !soak_run_interrupted) {
		int by = r->shm->stop_sender;
		char from[48] = "the kernel or an unknown sender";
		if (by > 0)
			snprintf(from, sizeof(from), "pid %d", by);
		snprintf(r->message, sizeof(r->message), "the worker got %s from %s, not from this runner, and "
			 "stopped at t=%.1f s: the run was cut short", r->shm->stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
			 from, t);
		chk(r, soak_db_event(r->db, r->id, t, "interrupted", r->message));
	}
	if (*has_sig) {
		char d[64];
		snprintf(d, sizeof(d), "worker killed by %s", strsignal(*sig));
		chk(r, soak_db_event(r->db, r->id, t, "signal", d));
	}
	if (!r->message[0] && r->shm && r->shm->message[0])
		snprintf(r->message, sizeof(r->message), "%.255s", r->shm->message);
	if (!r->message[0] && !strcmp(status, "failed"))
		snprintf(r->message, sizeof(r->message), "worker exited with code %d", *code);
	return status;
}

/* What the runner itself cost (only when it sampled): its timing jitter,
 * its CPU, and where that CPU went (the probes, the flushes). */
static void run_store_runner_cost(run_t *r)
{
	if (!r->nsamples)
		return;
	chk(r, soak_db_value(r->db, r->id, "runner.jitter_mean_s", r->jitter_sum / (double)r->nsamples, true, NULL));
	chk(r, soak_db_value(r->db, r->id, "runner.jitter_max_s", r->jitter_max, true, NULL));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
	chk(r, soak_db_value(r->db, r->id, "runner.cpu_s", cpu, true, NULL));
	chk(r, soak_db_value(r->db, r->id, "runner.samples", (double)r->nsamples, true, NULL));
	/* Where it goes: the probes' reads, and the flushes to the database. */
	chk(r, soak_db_value(r->db, r->id, "runner.probe_cpu_s", run_probes_cpu_s(r), true, NULL));
	for (size_t i = 0; i < r->nprobes; i++) {
		char k[64];
		snprintf(k, sizeof(k), "runner.probe_cpu_s.%s", r->probes[i].ops->name);
		/* sample() timed on a random eighth of the samples (scaled to
		 * all), every sample_slow() call timed. */
		if (r->probes[i].usable && r->probe_timed)
			chk(r, soak_db_value(r->db, r->id, k,
					     r->probes[i].cpu_s * (double)r->nsamples / (double)r->probe_timed +
						     r->probes[i].slow_cpu_s,
					     true, NULL));
		snprintf(k, sizeof(k), "runner.probe_slow_reads.%s", r->probes[i].ops->name);
		if (r->probes[i].usable && r->probes[i].ops->sample_slow)
			chk(r, soak_db_value(r->db, r->id, k, (double)r->probes[i].reads, true, NULL));
	}
	chk(r, soak_db_value(r->db, r->id, "runner.store_cpu_s", r->store_cpu_s, true, NULL));
	chk(r, soak_db_value(r->db, r->id, "runner.flushes", (double)r->nflushes, true, NULL));
	int ok1 = 0, ok2 = 0;
	double p1 = r->probe_cpu_hist ? soak_hist_quantile(r->probe_cpu_hist, 0.5, &ok1) : 0;
	double p2 = r->store_cpu_hist ? soak_hist_quantile(r->store_cpu_hist, 0.5, &ok2) : 0;
	chk(r, soak_db_value(r->db, r->id, "runner.probe_cpu_p50_s", p1 * 1e-9, ok1, ok1 ? NULL : "no tick"));
	chk(r, soak_db_value(r->db, r->id, "runner.store_cpu_p50_s", p2 * 1e-9, ok2, ok2 ? NULL : "no flush"));
}

void run_finish(run_t *r)
{
	double t = run_now() - r->t0;
	run_final_sample(r, t);
	/* Everything the loop queued; from here on writes may wait for the lock. */
	bool bad = run_store_final(r) < 0;
	run_store_end_values(r, t);

	int code = 0, sig = 0;
	bool has_code, has_sig;
	const char *status = run_end_status(r, t, &code, &sig, &has_code, &has_sig);

	/* The worker's own peak: its cgroup's high-water mark, never our rusage. */
	double peak;
	if (run_last_value(r, "cg_mem_peak_bytes", &peak))
		chk(r, soak_db_value(r->db, r->id, "peak_rss_bytes", peak, true, NULL));
	else
		chk(r, soak_db_value(r->db, r->id, "peak_rss_bytes", 0, false,
			      "no memory cgroup: see the sampled rss_bytes maximum"));
	run_store_runner_cost(r);
	run_mark_store(r);
	chk(r, soak_db_log(r->db, r->id, "stdout", r->out.buf ? r->out.buf : "", r->out.len, r->out.dropped > 0));
	chk(r, soak_db_log(r->db, r->id, "stderr", r->err.buf ? r->err.buf : "", r->err.len, r->err.dropped > 0));
	chk(r, run_driver_store(r));
	bad |= r->store_failed;
	if (soak_db_commit(r->db) < 0) {
		bad = true;
		soak_db_rollback(r->db);
	}
	run_note_lost(r, &bad);
	if (soak_db_run_end(r->db, r->id, status, has_code ? &code : NULL, has_sig ? &sig : NULL,
			    r->message[0] ? r->message : NULL) < 0) {
		bad = true;
		run_say(r->o, SOAK_SAY_ERROR, "run %" PRId64 ": its end could not be recorded (%s); the next soakctl command marks it "
			 "incomplete", r->id, soak_db_errmsg(r->db));
	}
	r->store_failed = bad || r->store.lost > 0;
	if (r->o->verbose >= 0)
		run_say(r->o, SOAK_SAY_INFO, "run %" PRId64 " %s%s%s", r->id, status,
			r->message[0] ? ": " : "", r->message);
}
