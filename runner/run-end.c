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
#include "soakctl.h"

/* ---- self-reported counters ---- */

void run_feed_selfreport(const char *data, size_t len, void *arg)
{
	soak_selfreport_feed(arg, data, len);
}

static void run_store_selfreport(run_t *r)
{
	soak_selfreport_flush(&r->sr_out);
	soak_selfreport_flush(&r->sr_err);
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
			soak_db_value(r->db, r->id, name, 0, false, why);
			soak_db_event(r->db, r->id, run_now() - r->t0, "selfreport_invalid", why);
		} else {
			soak_db_value(r->db, r->id, name, e->value, true, NULL);
		}
		double total;
		/* One syscall total per known format (e.g. SS_OS_STATS: mmap_total + madvise). */
		if (i == 0 || strcmp(e->tag, r->sr.e[i - 1].tag)) {
			int sr = soak_selfreport_syscalls(e->tag, soak_sr_store_get, &r->sr, &total);
			snprintf(name, sizeof(name), "selfreport.%s.syscalls_total", e->tag);
			if (sr == 0)
				soak_db_value(r->db, r->id, name, total, true, NULL);
			else if (sr == -ERANGE)
				soak_db_value(r->db, r->id, name, 0, false, "a counter it sums was reported "
					      "negative or non-finite (see the selfreport_invalid event)");
		}
	}
	if (r->sr.dropped)
		soak_db_event(r->db, r->id, run_now() - r->t0, "selfreport_dropped",
			      "more than 256 distinct TAG.key counters: the rest were not stored");
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
	if (oom && *has_sig && *sig == SIGKILL)
		return "oom-killed";
	if (soak_run_interrupted)
		return "interrupted";
	if (r->killed_after_grace)
		return "timed-out";
	if (*has_sig)
		return "crashed";
	if (*exit_code == 0)
		return "ok";
	if (*exit_code == SOAK_WORKER_EXIT_VERIFY && r->shm)
		return "verify-failed";
	return "failed";
}

void run_finish(run_t *r)
{
	double t = run_now() - r->t0;
	/* Final sample after the reap: perf counts of exited tasks are folded in. */
	run_probes_sample(r, t);
	run_steps_read(r);
	run_progress(r, t, true);
	run_store_latency(r, t);
	soak_output_drain(&r->out, 200);
	soak_output_drain(&r->err, 200);
	if (!r->verified)
		run_verify_allocator(r);
	if (!r->verified && !r->mismatch && r->alloc.path[0]) {
		char d[160];
		snprintf(d, sizeof(d), "the command exited before its memory maps showed %.100s", r->alloc.name);
		soak_db_event(r->db, r->id, t, "allocator_unverified", d);
		soak_db_run_set_observed(r->db, r->id, "unverified: exited before it could be checked");
	}
	run_store_selfreport(r);

	int code = 0, sig = 0;
	bool has_code, has_sig;
	const char *status = run_classify(r, &code, &sig, &has_code, &has_sig);
	if (!strcmp(status, "oom-killed"))
		soak_db_event(r->db, r->id, t, "oom_kill", "the cgroup's oom_kill counter rose");
	if (has_sig) {
		char d[64];
		snprintf(d, sizeof(d), "worker killed by %s", strsignal(sig));
		soak_db_event(r->db, r->id, t, "signal", d);
	}
	if (!r->message[0] && r->shm && r->shm->message[0])
		snprintf(r->message, sizeof(r->message), "%.255s", r->shm->message);
	if (!r->message[0] && !strcmp(status, "failed"))
		snprintf(r->message, sizeof(r->message), "worker exited with code %d", code);

	/* The worker's own peak: its cgroup's high-water mark, never our rusage. */
	double peak;
	if (run_last_value(r, "cg_mem_peak_bytes", &peak))
		soak_db_value(r->db, r->id, "peak_rss_bytes", peak, true, NULL);
	else
		soak_db_value(r->db, r->id, "peak_rss_bytes", 0, false,
			      "no memory cgroup: see the sampled rss_bytes maximum");
	if (r->nsamples) {
		soak_db_value(r->db, r->id, "runner.jitter_mean_s", r->jitter_sum / (double)r->nsamples, true, NULL);
		soak_db_value(r->db, r->id, "runner.jitter_max_s", r->jitter_max, true, NULL);
		struct rusage ru;
		getrusage(RUSAGE_SELF, &ru);
		double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
			     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
		soak_db_value(r->db, r->id, "runner.cpu_s", cpu, true, NULL);
		soak_db_value(r->db, r->id, "runner.samples", (double)r->nsamples, true, NULL);
	}
	soak_db_log(r->db, r->id, "stdout", r->out.buf ? r->out.buf : "", r->out.len, r->out.dropped > 0);
	soak_db_log(r->db, r->id, "stderr", r->err.buf ? r->err.buf : "", r->err.len, r->err.dropped > 0);
	soak_db_commit(r->db);
	soak_db_run_end(r->db, r->id, status, has_code ? &code : NULL, has_sig ? &sig : NULL,
			r->message[0] ? r->message : NULL);
	if (r->o->verbose >= 0)
		fprintf(stderr, "soakctl: run %" PRId64 " %s%s%s\n", r->id, status,
			r->message[0] ? ": " : "", r->message);
}
