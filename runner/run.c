/*
 * run.c - one soak run: resolve the allocator, create the cgroups, record the
 * run, fork the workload held before exec, attach it to its cgroups and probes,
 * release it, sample every interval until the duration ends (or the worker
 * exits, or we are interrupted), classify the end, and clean up whatever
 * happens. The run record is written before the worker starts and finished
 * after it is reaped; samples are committed at least once a second.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "cgroup.h"
#include "output.h"
#include "probe.h"
#include "runinfo.h"
#include "selfreport.h"
#include "soak/parse.h"
#include "soak/shm.h"
#include "soakctl.h"
#include "spawn.h"

volatile int soak_run_interrupted;

/* How long an external command may run without the injected allocator in its
 * memory maps before the run is stopped as allocator-mismatch. */
#define SOAK_EXEC_VERIFY_S 2.0

void soak_run_opts_init(soak_run_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = "random_mixed";
	o->allocator = "system";
	o->duration_s = 60;
	o->interval_s = 1;
	o->grace_s = 5;
	o->db_path = "soak.db";
	o->latency_every = SOAK_DEFAULT_LATENCY_EVERY;
	o->progress = true;
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- probes ---- */

typedef struct {
	const soak_probe_ops_t *ops;
	void *state;
	bool usable;          /* supported and opened */
	int64_t *ids;         /* db metric ids */
	double *vals;
	bool *valid;
	char (*reasons)[SOAK_REASON_MAX];
} probe_slot_t;

typedef struct {
	const soak_run_opts_t *o;
	soak_db_t *db;
	int64_t id;
	soak_alloc_t alloc;
	soak_cg_t cg;
	soak_shm_t *shm;
	int shm_fd;
	soak_child_t child;
	soak_probe_ctx_t ctx;
	probe_slot_t *probes;
	size_t nprobes;
	soak_output_t out, err;
	soak_selfreport_t sr_out, sr_err;   /* [TAG] key=value lines, per stream */
	soak_sr_store_t sr;                 /* last value of each TAG.key */
	double t0;              /* monotonic time of release */
	uint64_t oom_before;
	bool have_oom_before;
	/* end state */
	bool stop_sent, killed_after_grace, mismatch, warmup_done, verified;
	double stop_at;
	int wstatus;
	bool reaped;
	char message[1024];
	/* exec --repeat: step metrics and the last step read */
	int64_t step_ids[4];
	uint64_t steps_seen;
	/* measurements of the runner itself */
	size_t nsamples;
	double jitter_sum, jitter_max;
	int last_progress_len;
	double last_progress;
} run_t;

static void probes_register(run_t *r)
{
	r->nprobes = soak_n_probes;
	r->probes = calloc(r->nprobes, sizeof(*r->probes));
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		p->ops = soak_probes[i];
		size_t n = p->ops->n_metrics;
		p->ids = calloc(n, sizeof(*p->ids));
		p->vals = calloc(n, sizeof(*p->vals));
		p->valid = calloc(n, sizeof(*p->valid));
		p->reasons = calloc(n, sizeof(*p->reasons));
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
static void probes_record_unavailable(run_t *r)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		for (size_t m = 0; m < p->ops->n_metrics; m++)
			if (p->reasons[m][0])
				soak_db_unavailable(r->db, r->id, p->ids[m], p->reasons[m]);
	}
}

static void probes_attach(run_t *r)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		if (!p->usable || !p->ops->attach)
			continue;
		int e = p->ops->attach(&p->state, &r->ctx, p->reasons);
		if (e < 0) {
			p->usable = false;
			for (size_t m = 0; m < p->ops->n_metrics; m++)
				if (!p->reasons[m][0])
					snprintf(p->reasons[m], SOAK_REASON_MAX, "%s: attach failed: %s",
						 p->ops->name, strerror(-e));
		}
	}
}

static void probes_open(run_t *r)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		if (!p->usable || !p->ops->open)
			continue;
		int e = p->ops->open(&p->state, &r->ctx, p->reasons);
		if (e < 0) {
			p->usable = false;
			for (size_t m = 0; m < p->ops->n_metrics; m++)
				if (!p->reasons[m][0])
					snprintf(p->reasons[m], SOAK_REASON_MAX, "%s: open failed: %s",
						 p->ops->name, strerror(-e));
		}
	}
}

static const probe_slot_t *find_metric(const run_t *r, const char *name, size_t *ret_m)
{
	for (size_t i = 0; i < r->nprobes; i++)
		for (size_t m = 0; m < r->probes[i].ops->n_metrics; m++)
			if (!strcmp(r->probes[i].ops->metrics[m].name, name)) {
				*ret_m = m;
				return &r->probes[i];
			}
	return NULL;
}

/* The last sampled value of a metric, if valid. */
static bool last_value(const run_t *r, const char *name, double *ret)
{
	size_t m;
	const probe_slot_t *p = find_metric(r, name, &m);
	if (!p || !p->usable || !p->valid[m])
		return false;
	*ret = p->vals[m];
	return true;
}

static void probes_sample(run_t *r, double t)
{
	for (size_t i = 0; i < r->nprobes; i++) {
		probe_slot_t *p = &r->probes[i];
		if (!p->usable)
			continue;
		memset(p->valid, 0, p->ops->n_metrics * sizeof(bool));
		if (p->ops->sample(p->state, p->vals, p->valid) < 0)
			memset(p->valid, 0, p->ops->n_metrics * sizeof(bool));
		for (size_t m = 0; m < p->ops->n_metrics; m++)
			soak_db_sample(r->db, r->id, p->ids[m], t, p->vals[m], p->valid[m]);
	}
	r->nsamples++;
}

static void probes_close(run_t *r)
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

/* ---- latency snapshots ---- */

static void store_latency(run_t *r, double t)
{
	if (!r->shm || !r->shm->latency_every)
		return;
	soak_hist_t *h = malloc(sizeof(*h));
	if (!h)
		return;
	soak_hist_init(h);
	uint32_t n = __atomic_load_n(&r->shm->nthreads, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n && i < SOAK_MAX_THREADS; i++)
		soak_hist_merge(h, &r->shm->thr[i].lat);
	soak_hist_settle(h);
	soak_db_hist(r->db, r->id, "latency", t, h);
	free(h);
}

/* ---- progress ---- */

static void progress(run_t *r, double t, bool final)
{
	if (!r->o->progress || r->o->verbose < 0 || !isatty(2))
		return;
	if (!final && t - r->last_progress < 0.25)
		return;
	r->last_progress = t;
	char line[200], a[32], b[32], c[32];
	double rss = NAN, ops = NAN;
	last_value(r, "rss_bytes", &rss);
	int n = snprintf(line, sizeof(line), "\r[%s / %s] rss %s", soak_fmt_duration(t, a, sizeof(a)),
			 soak_fmt_duration(r->o->duration_s, b, sizeof(b)),
			 isnan(rss) ? "?" : soak_fmt_bytes(rss, c, sizeof(c)));
	if (last_value(r, "ops_total", &ops) && t > 0)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "  ops/s %.3gM", ops / t / 1e6);
	int pad = r->last_progress_len > n ? r->last_progress_len - n : 0;
	fprintf(stderr, "%s%*s%s", line, pad, "", final ? "\n" : "");
	r->last_progress_len = n;
}

/* ---- allocator verification ---- */

/* Built-in worker: it reports the object providing malloc in the shm header.
 * External command: look for the library in its memory maps. */
static void verify_allocator(run_t *r)
{
	if (r->verified || r->mismatch)
		return;
	char observed[PATH_MAX] = "";
	if (r->shm) {
		int32_t st = __atomic_load_n(&r->shm->state, __ATOMIC_ACQUIRE);
		if (st < SOAK_WS_READY || st == SOAK_WS_ERROR)
			return;
		snprintf(observed, sizeof(observed), "%.255s", r->shm->malloc_so);
		if (r->shm->free_so[0] && strcmp(r->shm->free_so, r->shm->malloc_so) &&
		    !soak_alloc_matches(&r->alloc, r->shm->free_so)) {
			r->mismatch = true;
			snprintf(r->message, sizeof(r->message),
				 "allocator mismatch: free() comes from %.255s, not %.200s", r->shm->free_so,
				 r->alloc.path[0] ? r->alloc.path : "the C library");
		}
	} else {
		if (!r->alloc.path[0]) {
			snprintf(observed, sizeof(observed), "system (no injection)");
			r->verified = true;
			soak_db_run_set_observed(r->db, r->id, observed);
			return;
		}
		int m = soak_runinfo_maps_has(r->child.pid, r->alloc.path);
		if (m < 0 || (m == 0 && r->reaped))
			return; /* gone before it could be checked: see finish() */
		if (m == 0) {
			/* The loader maps preloads before main(); a live process without
			 * the library after a while did not get it (setuid, a loader error). */
			if (now_mono() - r->t0 < SOAK_EXEC_VERIFY_S)
				return;
			r->mismatch = true;
			snprintf(r->message, sizeof(r->message),
				 "allocator mismatch: %.200s is not mapped into %.200s after %.0f s (the "
				 "loader refused LD_PRELOAD? see the run's stderr log)",
				 r->alloc.path, r->o->wl_argv[0], SOAK_EXEC_VERIFY_S);
			soak_err("%s", r->message);
			kill(r->child.pid, SIGKILL);
			soak_db_event(r->db, r->id, now_mono() - r->t0, "allocator_mismatch", r->message);
			r->verified = true;
			return;
		}
		snprintf(observed, sizeof(observed), "%s", r->alloc.path);
	}
	soak_db_run_set_observed(r->db, r->id, observed);
	if (!r->mismatch && r->shm && !soak_alloc_matches(&r->alloc, observed)) {
		r->mismatch = true;
		snprintf(r->message, sizeof(r->message),
			 "allocator mismatch: asked for %.60s (%.200s) but malloc() comes from %.200s", r->alloc.name,
			 r->alloc.path[0] ? r->alloc.path : "the C library", observed);
	}
	if (r->mismatch) {
		soak_err("%s", r->message);
		kill(r->child.pid, SIGKILL);
		soak_db_event(r->db, r->id, now_mono() - r->t0, "allocator_mismatch", r->message);
	}
	r->verified = true;
}

/* ---- exec --repeat steps ---- */

static const char *const step_metrics[4][3] = {
	{ "step_wall_s", "s", "wall time of one step of exec --repeat" },
	{ "step_exit_code", "code", "exit code of the step (-1 when killed by a signal)" },
	{ "step_peak_rss_bytes", "bytes", "the step's own peak RSS (ru_maxrss)" },
	{ "step_throughput_ops_s", "ops/s", "throughput the step printed (--tp-pattern)" },
};

static void steps_register(run_t *r)
{
	for (int i = 0; i < 4; i++)
		soak_db_metric(r->db, step_metrics[i][0], step_metrics[i][1], SOAK_GAUGE,
			       step_metrics[i][2], &r->step_ids[i]);
}

/* One sample per completed step, at the step's end time. */
static void steps_read(run_t *r)
{
	if (!r->o->repeat || !r->shm)
		return;
	uint64_t n = __atomic_load_n(&r->shm->nsteps, __ATOMIC_ACQUIRE);
	if (n > r->steps_seen + SOAK_MAX_STEPS) {
		char d[96];
		snprintf(d, sizeof(d), "%llu steps ended between two samples; only the last %d are kept",
			 (unsigned long long)(n - r->steps_seen), SOAK_MAX_STEPS);
		soak_db_event(r->db, r->id, now_mono() - r->t0, "steps_dropped", d);
		r->steps_seen = n - SOAK_MAX_STEPS;
	}
	for (uint64_t k = r->steps_seen + 1; k <= n; k++) {
		const soak_shm_step_t *st = &r->shm->steps[(k - 1) % SOAK_MAX_STEPS];
		if (__atomic_load_n(&st->seq, __ATOMIC_ACQUIRE) != k)
			continue;
		double t = st->end_mono_s - r->t0;
		double v[4] = { st->wall_s, st->exit_code, (double)st->maxrss_bytes, st->throughput };
		for (int i = 0; i < 4; i++)
			soak_db_sample(r->db, r->id, r->step_ids[i], t, v[i], !isnan(v[i]));
		if (st->exit_code != 0) {
			char d[96];
			snprintf(d, sizeof(d), "step %llu exited %d%s%s", (unsigned long long)k, st->exit_code,
				 st->signal ? " by " : "", st->signal ? strsignal(st->signal) : "");
			soak_db_event(r->db, r->id, t, "step_failed", d);
		}
	}
	r->steps_seen = n;
}

static bool try_reap(run_t *r)
{
	if (r->reaped)
		return true;
	pid_t p = waitpid(r->child.pid, &r->wstatus, WNOHANG);
	if (p == r->child.pid)
		r->reaped = true;
	return r->reaped;
}

/* An external command is checked as soon as it runs: its memory maps are
 * polled every millisecond until the allocator appears, it exits, or
 * SOAK_EXEC_VERIFY_S passes (then the periodic checks take over). */
static void verify_exec_early(run_t *r)
{
	if (r->shm || !r->alloc.path[0])
		return;
	const struct timespec ms = { 0, 1000 * 1000 };
	for (int i = 0; i < 200 && !r->verified; i++) {
		if (soak_runinfo_maps_has(r->child.pid, r->alloc.path) != 0 || try_reap(r))
			break;
		nanosleep(&ms, NULL);
	}
	if (!r->reaped)
		verify_allocator(r);
}

/* ---- the loop ---- */

static void request_stop(run_t *r, double t, const char *why)
{
	if (r->stop_sent)
		return;
	r->stop_sent = true;
	r->stop_at = t;
	if (r->shm)
		__atomic_store_n(&r->shm->stop, 1, __ATOMIC_RELEASE);
	else
		kill(r->child.pid, SIGTERM);
	soak_db_event(r->db, r->id, t, "stop_requested", why);
	if (r->o->verbose > 0)
		fprintf(stderr, "soakctl: stop requested (%s) at %.2fs\n", why, t);
}

static void handle_signal(run_t *r, int sig, double t)
{
	if (sig == SIGCHLD)
		return;
	char d[64];
	snprintf(d, sizeof(d), "runner got %s", strsignal(sig));
	if (!soak_run_interrupted) {
		soak_run_interrupted = 1;
		soak_db_event(r->db, r->id, t, "interrupted", d);
		request_stop(r, t, d);
	} else {
		kill(r->child.pid, SIGKILL); /* second signal: no more grace */
	}
}


static int loop(run_t *r, int sfd)
{
	const soak_run_opts_t *o = r->o;
	double next = 0, last_commit = 0;
	size_t committed = 0;
	struct pollfd pf[3];
	while (!try_reap(r)) {
		double t = now_mono() - r->t0;
		if (t >= next) {
			double jitter = t - next;
			r->jitter_sum += jitter;
			if (jitter > r->jitter_max)
				r->jitter_max = jitter;
			verify_allocator(r);
			probes_sample(r, t);
			steps_read(r);
			progress(r, t, false);
			if (!r->warmup_done && t >= o->warmup_s && o->warmup_s > 0) {
				r->warmup_done = true;
				soak_db_event(r->db, r->id, t, "warmup_end", NULL);
				store_latency(r, t);
			}
			/* Skip missed ticks rather than bursting to catch up. */
			next += o->interval_s * (1.0 + floor((t - next) / o->interval_s));
		}
		if (!r->stop_sent && t >= o->duration_s)
			request_stop(r, t, "duration reached");
		if (r->stop_sent && !r->killed_after_grace && t >= r->stop_at + o->grace_s) {
			r->killed_after_grace = true;
			kill(r->child.pid, SIGKILL);
			soak_db_event(r->db, r->id, t, "killed", "worker ignored the stop request");
		}
		/* Commit at least every 100 ms: a killed runner loses at most that,
		 * and the write lock is released often enough for other soakctl
		 * commands (busy timeout 2 s). Committing every 10 ms tick instead
		 * costs about twice the runner CPU (docs/performance.md). */
		if (r->nsamples != committed && now_mono() - last_commit >= 0.1) {
			soak_db_commit(r->db);
			committed = r->nsamples;
			last_commit = now_mono();
		}
		double wake = next;
		if (!r->stop_sent && o->duration_s < wake)
			wake = o->duration_s;
		if (r->stop_sent && !r->killed_after_grace && r->stop_at + o->grace_s < wake)
			wake = r->stop_at + o->grace_s;
		t = now_mono() - r->t0;
		double dt = wake > t ? wake - t : 0;
		struct timespec timeout = { (time_t)dt, (long)((dt - floor(dt)) * 1e9) };
		int n = 0;
		pf[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = r->out.fd, .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = r->err.fd, .events = POLLIN };
		if (ppoll(pf, (nfds_t)n, &timeout, NULL) < 0 && errno != EINTR)
			return -errno;
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				handle_signal(r, (int)si.ssi_signo, now_mono() - r->t0);
		}
		if (pf[1].revents)
			soak_output_pump(&r->out);
		if (pf[2].revents)
			soak_output_pump(&r->err);
	}
	return 0;
}

/* ---- self-reported counters ---- */

static void feed_selfreport(const char *data, size_t len, void *arg)
{
	soak_selfreport_feed(arg, data, len);
}

static void store_selfreport(run_t *r)
{
	soak_selfreport_flush(&r->sr_out);
	soak_selfreport_flush(&r->sr_err);
	char name[3 * SOAK_SR_NAME_MAX];
	for (size_t i = 0; i < r->sr.n; i++) {
		snprintf(name, sizeof(name), "selfreport.%s.%s", r->sr.e[i].tag, r->sr.e[i].key);
		soak_db_value(r->db, r->id, name, r->sr.e[i].value, true, NULL);
		double total;
		/* One syscall total per known format (e.g. SS_OS_STATS: mmap_total + madvise). */
		if ((i == 0 || strcmp(r->sr.e[i].tag, r->sr.e[i - 1].tag)) &&
		    soak_selfreport_syscalls(r->sr.e[i].tag, soak_sr_store_get, &r->sr, &total) == 0) {
			snprintf(name, sizeof(name), "selfreport.%s.syscalls_total", r->sr.e[i].tag);
			soak_db_value(r->db, r->id, name, total, true, NULL);
		}
	}
	if (r->sr.dropped)
		soak_db_event(r->db, r->id, now_mono() - r->t0, "selfreport_dropped",
			      "more than 256 distinct TAG.key counters: the rest were not stored");
}

/* ---- end of run ---- */

static const char *classify(run_t *r, int *exit_code, int *sig, bool *has_exit, bool *has_sig)
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

static void finish(run_t *r)
{
	double t = now_mono() - r->t0;
	/* Final sample after the reap: perf counts of exited tasks are folded in. */
	probes_sample(r, t);
	steps_read(r);
	progress(r, t, true);
	store_latency(r, t);
	soak_output_drain(&r->out, 200);
	soak_output_drain(&r->err, 200);
	if (!r->verified)
		verify_allocator(r);
	if (!r->verified && !r->mismatch && r->alloc.path[0]) {
		char d[160];
		snprintf(d, sizeof(d), "the command exited before its memory maps showed %.100s", r->alloc.name);
		soak_db_event(r->db, r->id, t, "allocator_unverified", d);
		soak_db_run_set_observed(r->db, r->id, "unverified: exited before it could be checked");
	}
	store_selfreport(r);

	int code = 0, sig = 0;
	bool has_code, has_sig;
	const char *status = classify(r, &code, &sig, &has_code, &has_sig);
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
	if (last_value(r, "cg_mem_peak_bytes", &peak))
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

/* ---- setup ---- */

int soak_worker_path(char *buf, size_t len)
{
	const char *env = getenv("SOAK_WORKER");
	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) == 0 ? 0 : -ENOENT;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	static const char *const rel[] = { "soak-worker", "../workloads/soak-worker",
					   "../libexec/soak/soak-worker" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%s/%s", self, rel[i]);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static char *args_json(char **argv, int argc)
{
	size_t len = 3;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 2 + 4;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p++ = '[';
	for (int i = 0; i < argc; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

static int setup_shm(run_t *r)
{
	r->shm_fd = memfd_create("soak-shm", MFD_CLOEXEC);
	if (r->shm_fd < 0)
		return -errno;
	if (ftruncate(r->shm_fd, sizeof(soak_shm_t)) < 0)
		return -errno;
	void *m = mmap(NULL, sizeof(soak_shm_t), PROT_READ | PROT_WRITE, MAP_SHARED, r->shm_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	r->shm = m;
	r->shm->magic = SOAK_SHM_MAGIC;
	r->shm->version = SOAK_SHM_VERSION;
	r->shm->latency_every = r->o->latency_every;
	for (int i = 0; i < SOAK_MAX_THREADS; i++)
		soak_hist_init(&r->shm->thr[i].lat);
	return 0;
}

/* Checks the workload and its options with the worker itself before anything
 * is recorded, so a typo costs no run record. */
static int check_workload(const char *worker, const soak_run_opts_t *o)
{
	char **argv = calloc((size_t)o->wl_argc + 4, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	argv[0] = (char *)worker;
	argv[1] = "--check";
	argv[2] = (char *)o->workload;
	for (int i = 0; i < o->wl_argc; i++)
		argv[3 + i] = o->wl_argv[i];
	soak_spawn_t s = { .argv = argv, .clear_ld_preload = true, .keep_fd = -1 };
	soak_child_t c;
	int r = soak_spawn(&s, &c);
	if (r == 0) {
		soak_spawn_release(&c);
		int st;
		waitpid(c.pid, &st, 0);
		r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EINVAL;
	}
	free(argv);
	return r;
}

static void fill_record(run_t *r, soak_run_t *rec, char *cgjson, char *host, char *kernel)
{
	const soak_run_opts_t *o = r->o;
	memset(rec, 0, sizeof(*rec));
	struct utsname u;
	uname(&u);
	snprintf(host, 256, "%s", u.nodename);
	snprintf(kernel, 256, "%s %s", u.release, u.machine);
	rec->host = host;
	rec->kernel = kernel;
	rec->label = (char *)o->label;
	rec->comparison_id = (char *)o->comparison_id;
	rec->suite_version = SOAK_VERSION;
	rec->git_rev = SOAK_GIT_REV;
	rec->cgroup_mode = (char *)soak_cg_mode_name(r->cg.paths.mode);
	rec->cgroup_paths = cgjson;
	rec->has_memory_max = o->has_memory_max;
	rec->memory_max = o->memory_max;
	rec->has_swap_max = o->has_swap_max;
	rec->swap_max = o->swap_max;
	rec->has_cpu_max = o->has_cpu_max;
	rec->cpu_max_pct = o->cpu_max_pct;
	rec->allocator_name = r->alloc.name;
	rec->allocator_path = r->alloc.path[0] ? r->alloc.path : NULL;
	rec->allocator_env = r->alloc.env[0] ? r->alloc.env : NULL;
	rec->has_allocator_file = r->alloc.has_file;
	rec->allocator_size = r->alloc.size;
	rec->allocator_mtime = r->alloc.mtime;
	rec->workload = (char *)o->workload;
	rec->workload_args = args_json(o->wl_argv, o->wl_argc);
	rec->duration_s = o->duration_s;
	rec->interval_s = o->interval_s;
	rec->warmup_s = o->warmup_s;
	rec->status = "running";
	rec->runner_pid = getpid();
	soak_db_proc_starttime(getpid(), &rec->runner_starttime);
}

/* Builds the environment additions: LD_PRELOAD, the allocator's own variables,
 * and for the built-in worker the shm fd and runner pid. */
static char **child_env(run_t *r, char *store, size_t storelen)
{
	char **env = calloc(64, sizeof(char *));
	size_t n = 0, off = 0;
#define ADD(...)                                                                      \
	do {                                                                          \
		int k = snprintf(store + off, storelen - off, __VA_ARGS__);           \
		if (k < 0 || (size_t)k >= storelen - off || n >= 62)                  \
			break;                                                        \
		env[n++] = store + off;                                               \
		off += (size_t)k + 1;                                                 \
	} while (0)
	if (r->alloc.path[0])
		ADD("LD_PRELOAD=%s", r->alloc.path);
	char envs[sizeof(r->alloc.env)];
	snprintf(envs, sizeof(envs), "%s", r->alloc.env);
	for (char *s = strtok(envs, " \t"); s; s = strtok(NULL, " \t"))
		if (strchr(s, '='))
			ADD("%s", s);
	if (r->shm) {
		ADD("%s=%d", SOAK_SHM_FD_ENV, r->shm_fd);
		ADD("%s=%d", SOAK_RUNNER_PID_ENV, (int)getpid());
	}
#undef ADD
	return env;
}

static int signals_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void cleanup(run_t *r)
{
	if (r->cg.paths.mode != SOAK_CG_NONE && soak_cg_destroy(&r->cg) < 0)
		soak_err("could not remove cgroup %s; remove it by hand",
			 r->cg.paths.unified_dir[0] ? r->cg.paths.unified_dir : r->cg.paths.mem_dir);
	if (r->shm)
		munmap(r->shm, sizeof(soak_shm_t));
	if (r->shm_fd >= 0)
		close(r->shm_fd);
	soak_output_free(&r->out);
	soak_output_free(&r->err);
}

int soak_run_execute(soak_db_t *db, const soak_run_opts_t *o, int64_t *ret_run_id)
{
	run_t *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->o = o;
	r->db = db;
	r->shm_fd = -1;
	r->out.fd = r->err.fd = -1;
	char err[1024] = "";
	int rc;
	bool builtin = strcmp(o->workload, "exec") != 0;
	bool use_worker = builtin || o->repeat;   /* exec --repeat runs under the worker's driver */
	char worker[PATH_MAX];

	if ((rc = soak_alloc_resolve(o->allocator, o->config, &r->alloc, err, sizeof(err))) < 0) {
		soak_err("%s", err);
		goto out;
	}
	if (use_worker && (rc = soak_worker_path(worker, sizeof(worker))) < 0) {
		soak_err("cannot find the soak-worker binary next to soakctl (set SOAK_WORKER)");
		goto out;
	}
	if (builtin) {
		if ((rc = check_workload(worker, o)) < 0)
			goto out; /* the worker printed what is wrong */
	} else if (o->wl_argc < 1) {
		soak_err("--workload exec needs a command after --: soakctl run --workload exec -- CMD ARGS");
		rc = -EINVAL;
		goto out;
	} else {
		char cmd[PATH_MAX];
		if (soak_spawn_resolve(o->wl_argv[0], cmd, sizeof(cmd)) < 0) {
			soak_err("--workload exec: command '%s' not found or not executable", o->wl_argv[0]);
			rc = -ENOENT;
			goto out;
		}
		/* An external command cannot report which library serves malloc, so
		 * the maps check (loaded) needs this one (exports malloc and free):
		 * a preloaded library that defines them is first in symbol lookup. */
		if (r->alloc.path[0] && (soak_alloc_exports(r->alloc.path, "malloc") != 1 ||
					 soak_alloc_exports(r->alloc.path, "free") != 1)) {
			soak_err("allocator %s: %s does not export malloc and free, so it cannot serve "
				 "%s's allocations", r->alloc.name, r->alloc.path, o->wl_argv[0]);
			rc = -EINVAL;
			goto out;
		}
		if (r->alloc.path[0] && soak_runinfo_is_static(cmd) == 1) {
			soak_err("--workload exec: %s is statically linked, so LD_PRELOAD cannot inject %s: "
				 "use a dynamically linked build", cmd, r->alloc.name);
			rc = -EINVAL;
			goto out;
		}
	}
	if (!o->no_cgroup) {
		soak_cg_limits_t lim = { o->has_memory_max, o->has_swap_max, o->has_cpu_max,
					 o->memory_max, o->swap_max, o->cpu_max_pct };
		char name[64];
		static unsigned seq;
		snprintf(name, sizeof(name), "soak-%d-%u", (int)getpid(), seq++);
		if ((rc = soak_cg_create(&r->cg, name, &lim, err, sizeof(err))) < 0) {
			soak_err("%s (run as root, or pass --no-cgroup to run without limits)", err);
			goto out;
		}
		r->have_oom_before = soak_cg_oom_kills(&r->cg, &r->oom_before) == 0;
	}
	if (use_worker && (rc = setup_shm(r)) < 0) {
		soak_err("cannot create shared memory for the worker: %s", strerror(-rc));
		goto out;
	}

	char cgjson[16384] = "{}", host[256], kernel[256];
	if (r->cg.paths.mode != SOAK_CG_NONE)
		soak_cg_paths_json(&r->cg, cgjson, sizeof(cgjson));
	soak_run_t rec;
	fill_record(r, &rec, cgjson, host, kernel);
	rc = soak_db_run_begin(db, &rec, &r->id);
	free(rec.workload_args);
	if (rc < 0) {
		soak_err("cannot record the run: %s", soak_db_errmsg(db));
		goto out;
	}
	*ret_run_id = r->id;

	r->ctx = (soak_probe_ctx_t){ .cg = &r->cg.paths, .shm = r->shm, .interval_s = o->interval_s };
	char **argv = calloc((size_t)o->wl_argc + 8, sizeof(char *));
	int ac = 0;
	if (builtin) {
		argv[ac++] = worker;
		argv[ac++] = (char *)o->workload;
	} else if (o->repeat) {
		argv[ac++] = worker;
		argv[ac++] = "--exec-repeat";
		if (o->tp_pattern) {
			argv[ac++] = "--tp-pattern";
			argv[ac++] = (char *)o->tp_pattern;
		}
		argv[ac++] = "--";
	}
	for (int i = 0; i < o->wl_argc; i++)
		argv[ac++] = o->wl_argv[i];
	char envstore[4096];
	char **env = child_env(r, envstore, sizeof(envstore));
	soak_spawn_t sp = { .argv = argv, .env_add = env, .clear_ld_preload = true,
			    .keep_fd = r->shm_fd, .capture = true };
	sigset_t oldmask;
	int sfd = signals_block(&oldmask);
	rc = soak_spawn(&sp, &r->child);
	if (rc < 0) {
		snprintf(r->message, sizeof(r->message), "fork failed: %s", strerror(-rc));
		soak_db_run_end(db, r->id, "failed", NULL, NULL, r->message);
		soak_err("%s", r->message);
		goto unblock;
	}
	r->ctx.pid = r->child.pid;
	soak_db_run_set_worker_pid(db, r->id, r->child.pid);
	soak_db_commit(db);
	soak_sr_store_init(&r->sr);
	soak_selfreport_init(&r->sr_out, soak_sr_store_put, &r->sr);
	soak_selfreport_init(&r->sr_err, soak_sr_store_put, &r->sr);
	soak_output_init(&r->out, "stdout", r->child.out_fd, feed_selfreport, &r->sr_out);
	soak_output_init(&r->err, "stderr", r->child.errout_fd, feed_selfreport, &r->sr_err);
	fcntl(r->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err.fd, F_SETFL, O_NONBLOCK);

	if (r->cg.paths.mode != SOAK_CG_NONE &&
	    soak_cg_attach(&r->cg, r->child.pid, err, sizeof(err)) < 0) {
		kill(r->child.pid, SIGKILL);
		waitpid(r->child.pid, NULL, 0);
		snprintf(r->message, sizeof(r->message), "%s", err);
		soak_db_run_end(db, r->id, "failed", NULL, NULL, r->message);
		soak_err("%s", err);
		rc = 0;
		goto unblock;
	}
	probes_register(r);
	if (o->repeat)
		steps_register(r);
	probes_attach(r);
	r->t0 = now_mono();
	rc = soak_spawn_release(&r->child);
	if (rc < 0) {
		waitpid(r->child.pid, NULL, 0);
		snprintf(r->message, sizeof(r->message), "cannot execute %s: %s", argv[0], strerror(-rc));
		probes_record_unavailable(r);
		soak_db_run_end(db, r->id, "failed", NULL, NULL, r->message);
		soak_err("%s", r->message);
		probes_close(r);
		rc = 0;
		goto unblock;
	}
	verify_exec_early(r);
	probes_open(r);
	probes_record_unavailable(r);
	soak_db_commit(db);
	rc = loop(r, sfd);
	finish(r);
	probes_close(r);
	rc = 0;
unblock:
	free(argv);
	free(env);
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
out:
	cleanup(r);
	free(r);
	return rc;
}
