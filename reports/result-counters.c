/*
 * result-counters.c - the counter figures of a run's result: syscall counts,
 * self-reported counters, page faults, exec --repeat steps and CPU time
 * (split from result.c; pure computation, no I/O).
 */
#include "result.h"
#include "result-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steady-state delta of a counter series into f, from the warm-up end to the
 * stop request (the worker's exit, e.g. its final munmap, is not steady
 * state); returns the window or NULL. */
static bool counter_delta(const soak_input_series_t *s, const char *metric, double t_from,
			  double t_to, soak_fig_t *f, soak_window_t *w)
{
	if (soak_rs_series_unusable(s, metric, f))
		return false;
	if (soak_stats_counter_window(s->t, s->v, soak_rs_n_upto(s, t_to), t_from, w) < 0) {
		soak_rs_fig_none(f, "no %s sample after the warm-up (%.1f s)", metric, t_from);
		return false;
	}
	soak_rs_fig_set(f, w->delta);
	return true;
}

/* The operations over exactly a counter's window: ops_total at the window's
 * two sample times. A counter read less often than every sample (perf: at
 * most every second; CPU time: every 100 ms) has a window that can start and end up to that much
 * away from the operation counter's own; dividing by the steady state's
 * operations would then be off by that share. Falls back to the steady
 * state's operations (the same window when the counter is read every sample).
 * An exec --repeat driver counts steps in ops_total: a step is no operation,
 * so such a run keeps the steady state's figure (unavailable, with why). */
static void ops_over(const soak_result_input_t *in, const soak_window_t *w, const soak_fig_t *steady,
		     soak_fig_t *out)
{
	*out = *steady;
	const soak_input_series_t *s = soak_rs_find_series(in, "ops_total");
	if (!s || !s->n || soak_rs_is_repeat(in))
		return;
	double o0 = w->t0 == 0 && w->c0 == 0 ? 0 : NAN, o1 = NAN;
	for (size_t i = 0; i < s->n; i++) {
		if (isnan(s->v[i]))
			continue;
		if (s->t[i] == w->t0)
			o0 = s->v[i];
		if (s->t[i] == w->t1)
			o1 = s->v[i];
	}
	if (!isnan(o0) && !isnan(o1) && o1 >= o0)
		soak_rs_fig_set(out, o1 - o0);
}

static void per(soak_fig_t *out, const soak_fig_t *num, const soak_fig_t *den, const char *what)
{
	if (!num->valid)
		soak_rs_fig_copy_why(out, num);
	else if (!den->valid)
		soak_rs_fig_none(out, "no %s: %s", what, den->why);
	else if (!(den->v > 0))
		soak_rs_fig_none(out, "no %s in the window", what);
	else
		soak_rs_fig_set(out, num->v / den->v);
}

void soak_rs_compute_sc(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_fig_t secs, steps;
	soak_rs_fig_none(&secs, "no syscall samples");
	if (r->steps.n)
		soak_rs_fig_set(&steps, (double)r->steps.n);
	else
		soak_rs_fig_none(&steps, "not an exec --repeat run");
	double total = 0, tsec = NAN;
	const soak_sc_result_t *missing = NULL;
	soak_fig_t ops = r->tp.ops;   /* over the syscall counters' own window */
	for (int i = 0; i < SOAK_SC_N; i++) {
		soak_sc_result_t *c = &r->sc[i];
		c->metric = soak_sc_metrics[i];
		c->name = soak_sc_metrics[i] + 3;
		const soak_input_series_t *s = soak_rs_find_series(in, c->metric);
		soak_window_t w;
		soak_fig_t c_ops = r->tp.ops;
		if (counter_delta(s, c->metric, r->warmup_s, r->steady_end_s, &c->count, &w)) {
			soak_rs_fig_set(&secs, w.seconds);
			if (isnan(tsec) || w.seconds > tsec)
				tsec = w.seconds;
			ops_over(in, &w, &r->tp.ops, &c_ops);
			ops = c_ops;
		}
		per(&c->per_op, &c->count, &c_ops, "operation count");
		per(&c->per_s, &c->count, &secs, "elapsed time");
		per(&c->per_step, &c->count, &steps, "steps");
		const soak_value_t *fv = soak_rs_find_value(in, c->metric);
		if (fv && fv->valid && !isnan(fv->value))
			soak_rs_fig_set(&c->run_count, fv->value);
		else if (!soak_rs_series_unusable(s, c->metric, &c->run_count))
			soak_rs_fig_set(&c->run_count, soak_rs_series_last(s));
		if (i < SOAK_SC_BASE) {
			if (c->count.valid)
				total += c->count.v;
			else if (!missing)
				missing = c;
		}
	}
	if (!isnan(tsec))
		soak_rs_fig_set(&r->sc_window_s, tsec);
	else
		soak_rs_fig_none(&r->sc_window_s, "no syscall samples");
	/* A budget missing one syscall would look better than it is. */
	if (missing)
		soak_rs_fig_none(&r->sc_total, "%s: %s", missing->name, missing->count.why);
	else
		soak_rs_fig_set(&r->sc_total, total);
	per(&r->sc_total_per_op, &r->sc_total, &ops, "operation count");
	per(&r->sc_total_per_s, &r->sc_total, &r->sc_window_s, "elapsed time");
	per(&r->sc_total_per_step, &r->sc_total, &steps, "steps");
	r->grade = r->sc_total_per_op.valid ? soak_grade_of(r->sc_total_per_op.v) : SOAK_GRADE_NONE;
}

/* Which measured syscalls a self-reported total counts. */
static void self_set(const char *tag, int *idx, int *n, char *desc, size_t len)
{
	/* hakmem's SS_OS_STATS: total = mmap_total + madvise (the hakmem soak report). */
	if (!strcmp(tag, "SS_OS_STATS")) {
		idx[0] = 0;   /* sc_mmap */
		idx[1] = 3;   /* sc_madvise */
		*n = 2;
		snprintf(desc, len, "mmap+madvise");
		return;
	}
	*n = SOAK_SC_BASE;
	for (int i = 0; i < SOAK_SC_BASE; i++)
		idx[i] = i;
	snprintf(desc, len, "the %d base syscalls", SOAK_SC_BASE);
}

/* What a self-reported key is, from its name (the part after "TAG."): a
 * maximum ("max", "maximum", "peak", "hwm", a word starting with "max" or
 * "peak": RSS.max_kb, maxrss, peak_bytes), a minimum ("min", "minimum": not
 * "minor" or "minflt", which count), else a counter. Words are split at '_',
 * '.', '-' and case is ignored. */
soak_sr_kind_t soak_result_sr_kind(const char *key)
{
	soak_sr_kind_t kind = SOAK_SR_COUNTER;
	char w[64];
	for (const char *p = key; *p;) {
		size_t n = 0;
		while (*p && !strchr("_.-", *p)) {
			if (n + 1 < sizeof(w))
				w[n++] = (char)((*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p);
			p++;
		}
		w[n] = '\0';
		if (!strncmp(w, "max", 3) || !strncmp(w, "peak", 4) || !strcmp(w, "hwm"))
			return SOAK_SR_MAX;
		if (!strcmp(w, "min") || !strcmp(w, "minimum"))
			kind = SOAK_SR_MIN;
		if (*p)
			p++;
	}
	return kind;
}

/* exec --repeat: the runner stores the sum over the steps as the whole-run
 * value; a maximum (minimum) is not summed: its whole run is the largest
 * (smallest) per-step value. */
static void self_whole_run(soak_counter_t *c)
{
	const char *dot = strchr(c->name, '.');
	c->kind = soak_result_sr_kind(dot ? dot + 1 : c->name);
	if (!c->steps.valid)
		return;
	if (c->kind == SOAK_SR_MAX)
		c->value = c->step_max;
	else if (c->kind == SOAK_SR_MIN)
		c->value = c->step_min;
}

int soak_rs_compute_self(const soak_result_input_t *in, soak_run_result_t *r)
{
	static const char pre[] = "selfreport.", suf[] = ".syscalls_total";
	size_t nc = 0, ns = 0;
	for (size_t i = 0; i < in->n_values; i++) {
		const char *nm = in->values[i].name;
		if (!nm || strncmp(nm, pre, sizeof(pre) - 1))
			continue;
		nc++;
		size_t l = strlen(nm);
		if (l > sizeof(pre) - 1 + sizeof(suf) - 1 && !strcmp(nm + l - (sizeof(suf) - 1), suf))
			ns++;
	}
	if (nc && !(r->counters = calloc(nc, sizeof(*r->counters))))
		return -ENOMEM;
	if (ns && !(r->self = calloc(ns, sizeof(*r->self))))
		return -ENOMEM;
	for (size_t i = 0; i < in->n_values; i++) {
		const soak_value_t *v = &in->values[i];
		if (!v->name || strncmp(v->name, pre, sizeof(pre) - 1))
			continue;
		soak_counter_t *c = &r->counters[r->n_counters];
		if (!(c->name = strdup(v->name + sizeof(pre) - 1)))
			return -ENOMEM;
		r->n_counters++;
		if (v->valid && !isnan(v->value))
			soak_rs_fig_set(&c->value, v->value);
		else
			soak_rs_fig_none(&c->value, "%s", v->reason ? v->reason : "not measured");
		/* exec --repeat: the runner stores the per-step figures beside it. */
		static const char *const pre_step[] = { "selfreport_step_min.", "selfreport_step_max.", "selfreport_steps." };
		soak_fig_t *pf[] = { &c->step_min, &c->step_max, &c->steps };
		for (size_t k = 0; k < 3; k++) {
			char nm[256];
			snprintf(nm, sizeof(nm), "%s%s", pre_step[k], c->name);
			const soak_value_t *pv = soak_rs_find_value(in, nm);
			if (pv && pv->valid && !isnan(pv->value))
				soak_rs_fig_set(pf[k], pv->value);
			else
				soak_rs_fig_none(pf[k], "not an exec --repeat run: one process printed it");
		}
		self_whole_run(c);

		size_t l = strlen(v->name);
		if (!(l > sizeof(pre) - 1 + sizeof(suf) - 1 && !strcmp(v->name + l - (sizeof(suf) - 1), suf)))
			continue;
		soak_self_budget_t *s = &r->self[r->n_self++];
		size_t tl = l - (sizeof(pre) - 1) - (sizeof(suf) - 1);
		if (tl >= sizeof(s->tag))
			tl = sizeof(s->tag) - 1;
		memcpy(s->tag, v->name + sizeof(pre) - 1, tl);
		s->tag[tl] = '\0';
		s->total = c->value;
		per(&s->per_op, &s->total, &r->tp.ops_run, "operation count");

		int idx[SOAK_SC_BASE], n;
		self_set(s->tag, idx, &n, s->measured_set, sizeof(s->measured_set));
		double m = 0;
		soak_rs_fig_none(&s->measured, "not computed");
		bool ok = true;
		for (int j = 0; j < n; j++) {
			const soak_fig_t *rc = &r->sc[idx[j]].run_count;
			if (!rc->valid) {
				soak_rs_fig_none(&s->measured, "%s: %s", r->sc[idx[j]].name, rc->why);
				ok = false;
				break;
			}
			m += rc->v;
		}
		if (ok)
			soak_rs_fig_set(&s->measured, m);
		per(&s->measured_per_op, &s->measured, &r->tp.ops_run, "operation count");
		soak_rs_from_first_op(in, r, idx, n, &s->measured_from_op);
		s->disagree = soak_rs_self_disagree(&s->total, &s->measured, &s->measured_from_op,
						    &s->disagree_whole, &s->basis);
	}
	return 0;
}

void soak_rs_compute_pf(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_pf_result_t *m = &r->pf;
	const char *mi = "pf_minor", *ma = "pf_major";
	const soak_input_series_t *smi = soak_rs_find_series(in, mi);
	soak_fig_t tmp;
	if (soak_rs_series_unusable(smi, mi, &tmp) && !soak_rs_series_unusable(soak_rs_find_series(in, "minflt"), "minflt", &tmp)) {
		/* No perf counters: the /proc counters of the process tree. */
		mi = "minflt";
		ma = "majflt";
		snprintf(m->source, sizeof(m->source), "proc");
	} else {
		snprintf(m->source, sizeof(m->source), "perf");
	}
	soak_window_t w1, w2, w3;
	soak_fig_t s1, s2, s3, o1 = r->tp.ops, o2 = r->tp.ops;
	soak_rs_fig_none(&s1, "no %s samples", mi);
	soak_rs_fig_none(&s2, "no %s samples", ma);
	soak_rs_fig_none(&s3, "no ctx_switches samples");
	if (counter_delta(soak_rs_find_series(in, mi), mi, r->warmup_s, r->steady_end_s, &m->minor, &w1)) {
		soak_rs_fig_set(&s1, w1.seconds);
		ops_over(in, &w1, &r->tp.ops, &o1);
	}
	if (counter_delta(soak_rs_find_series(in, ma), ma, r->warmup_s, r->steady_end_s, &m->major, &w2)) {
		soak_rs_fig_set(&s2, w2.seconds);
		ops_over(in, &w2, &r->tp.ops, &o2);
	}
	if (counter_delta(soak_rs_find_series(in, "ctx_switches"), "ctx_switches", r->warmup_s, r->steady_end_s,
			  &m->ctx_switches, &w3))
		soak_rs_fig_set(&s3, w3.seconds);
	per(&m->minor_per_op, &m->minor, &o1, "operation count");
	per(&m->major_per_op, &m->major, &o2, "operation count");
	soak_fig_t steps;
	if (r->steps.n)
		soak_rs_fig_set(&steps, (double)r->steps.n);
	else
		soak_rs_fig_none(&steps, "not an exec --repeat run");
	per(&m->minor_per_step, &m->minor, &steps, "steps");
	per(&m->major_per_step, &m->major, &steps, "steps");
	per(&m->minor_per_s, &m->minor, &s1, "elapsed time");
	per(&m->major_per_s, &m->major, &s2, "elapsed time");
	per(&m->ctx_per_s, &m->ctx_switches, &s3, "elapsed time");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* "0 ×120, 3 ×2": the steady-state steps' exit codes (-1: killed by a
 * signal), most frequent first, at most 4 listed. */
static void exit_codes(const soak_input_series_t *ex, const soak_run_result_t *r, char *out, size_t len)
{
	struct { double code; size_t n; } c[16];
	size_t nc = 0, other = 0;
	out[0] = '\0';
	for (size_t i = 0; ex && i < ex->n; i++) {
		if (isnan(ex->t[i]) || isnan(ex->v[i]) || ex->t[i] < r->warmup_s || ex->t[i] > r->steady_end_s)
			continue;
		size_t k = 0;
		while (k < nc && c[k].code != ex->v[i])
			k++;
		if (k == nc && nc == sizeof(c) / sizeof(c[0])) {
			other++;
			continue;
		}
		if (k == nc)
			c[nc++] = (typeof(c[0])){ ex->v[i], 0 };
		c[k].n++;
	}
	for (size_t i = 1; i < nc; i++)   /* insertion sort: most frequent first, then by code */
		for (size_t j = i; j > 0 && (c[j].n > c[j - 1].n || (c[j].n == c[j - 1].n && c[j].code < c[j - 1].code)); j--) {
			typeof(c[0]) t = c[j];
			c[j] = c[j - 1];
			c[j - 1] = t;
		}
	size_t off = 0;
	for (size_t i = 0; i < nc && i < 4 && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%s%.0f ×%zu", i ? ", " : "", c[i].code, c[i].n);
	for (size_t i = 4; i < nc; i++)
		other += c[i].n;
	if (other && off < len)
		snprintf(out + off, len - off, ", other codes ×%zu", other);
}

void soak_rs_compute_steps(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_steps_result_t *m = &r->steps;
	const soak_input_series_t *ex = soak_rs_find_series(in, "step_exit_code");
	const soak_input_series_t *wall = soak_rs_find_series(in, "step_wall_s");
	const soak_input_series_t *pk = soak_rs_find_series(in, "step_peak_rss_bytes");
	for (size_t i = 0; ex && i < ex->n; i++) {
		/* Steps that ended in the steady state: after the warm-up, up to the
		 * stop request (the counter windows end there too). */
		if (isnan(ex->t[i]) || ex->t[i] < r->warmup_s || ex->t[i] > r->steady_end_s)
			continue;
		m->n++;
		if (!isnan(ex->v[i]) && ex->v[i] != 0)
			m->failed++;
	}
	if (!m->n) {
		size_t c = soak_rs_count_valid(wall, r->warmup_s);
		m->n = c;
	}
	soak_fig_t *pct[] = { &m->wall_p50_s, &m->wall_p90_s, &m->wall_p99_s, &m->wall_max_s };
	static const double pq[] = { 0.5, 0.9, 0.99, 1.0 };
	if (!soak_rs_series_unusable(wall, "step_wall_s", &m->wall_mean_s)) {
		if (soak_rs_xy_steady(wall, r->warmup_s, &m->wall_series) == 0)
			soak_rs_xy_trim(&m->wall_series, r->steady_end_s);
		double sum = 0;
		size_t c = 0;
		double *w = malloc((wall->n ? wall->n : 1) * sizeof(double));
		for (size_t i = 0; i < wall->n; i++)
			if (!isnan(wall->v[i]) && wall->t[i] >= r->warmup_s && wall->t[i] <= r->steady_end_s) {
				sum += wall->v[i];
				if (w)
					w[c] = wall->v[i];
				c++;
			}
		if (c)
			soak_rs_fig_set(&m->wall_mean_s, sum / (double)c);
		else
			soak_rs_fig_none(&m->wall_mean_s, "no step ended after the warm-up");
		if (w && c) {
			qsort(w, c, sizeof(double), cmp_double);
			for (size_t k = 0; k < 4; k++)
				soak_rs_fig_set(pct[k], soak_stats_quantile_sorted(w, c, pq[k]));
		} else {
			for (size_t k = 0; k < 4; k++)
				soak_rs_fig_copy_why(pct[k], w ? &m->wall_mean_s : &(soak_fig_t){ .why = "out of memory" });
		}
		free(w);
	} else {
		/* Only exec runs steps: a built-in workload's step figures are
		 * not missing data but meaningless. */
		if (r->run.workload && strcmp(r->run.workload, "exec") && (!wall || !wall->n))
			soak_rs_fig_none(&m->wall_mean_s, "not applicable: %s is a built-in workload, it runs no "
					 "steps (only exec does)", r->run.workload);
		for (size_t k = 0; k < 4; k++)
			soak_rs_fig_copy_why(pct[k], &m->wall_mean_s);
	}
	exit_codes(ex, r, m->exit_codes, sizeof(m->exit_codes));
	if (!soak_rs_series_unusable(pk, "step_peak_rss_bytes", &m->peak_rss_max))
		soak_rs_fig_set(&m->peak_rss_max, soak_rs_series_max(pk));
}

void soak_rs_compute_misc(const soak_result_input_t *in, soak_run_result_t *r)
{
	const soak_input_series_t *oom = soak_rs_find_series(in, "cg_oom_kill");
	if (!soak_rs_series_unusable(oom, "cg_oom_kill", &r->oom_kills))
		soak_rs_fig_set(&r->oom_kills, soak_rs_series_last(oom));
	soak_window_t wu, ws;
	bool u = counter_delta(soak_rs_find_series(in, "cpu_user_s"), "cpu_user_s", r->warmup_s, r->steady_end_s,
			       &r->cpu_user_s, &wu);
	bool s = counter_delta(soak_rs_find_series(in, "cpu_sys_s"), "cpu_sys_s", r->warmup_s, r->steady_end_s,
			       &r->cpu_sys_s, &ws);
	/* user and system come from the same reads: one window */
	if (u)
		ops_over(in, &wu, &r->tp.ops, &r->cpu_ops);
	else
		r->cpu_ops = r->tp.ops;
	if (u && s && wu.seconds > 0)
		soak_rs_fig_set(&r->cpu_pct, 100.0 * (r->cpu_user_s.v + r->cpu_sys_s.v) / wu.seconds);
	else if (!u)
		soak_rs_fig_copy_why(&r->cpu_pct, &r->cpu_user_s);
	else if (!s)
		soak_rs_fig_copy_why(&r->cpu_pct, &r->cpu_sys_s);
	else
		soak_rs_fig_none(&r->cpu_pct, "the steady-state window is empty: the run ended during the warm-up");
}
