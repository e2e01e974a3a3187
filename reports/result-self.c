/*
 * result-self.c - declared self-report classes beside the measured syscalls
 * (see result.h, soak_self_class_t). The runner stores one per-run value
 * selfreport_class.TAG.CLASS per declared class, its reason column holding
 * the declaration ("declared: a + b") or why it has no value.
 */
#include "result.h"
#include "result-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The measured whole-run (run_count) or steady-state (count) figure of a class. */
static void measured(const soak_run_result_t *r, const char *cls, bool steady, soak_fig_t *ret)
{
	if (!strcmp(cls, "total")) {
		if (steady) {
			*ret = r->sc_total;
			return;
		}
		double sum = 0;
		for (int i = 0; i < SOAK_SC_BASE; i++) {
			if (!r->sc[i].run_count.valid) {
				/* room for the name and the whole reason; soak_rs_fig_none() cuts it to SOAK_WHY_MAX */
				char why[SOAK_WHY_MAX + 64];
				snprintf(why, sizeof(why), "%s: %s", r->sc[i].name, r->sc[i].run_count.why);
				soak_rs_fig_none(ret, "%s", why);
				return;
			}
			sum += r->sc[i].run_count.v;
		}
		soak_rs_fig_set(ret, sum);
		return;
	}
	for (int i = 0; i < SOAK_SC_BASE; i++)
		if (r->sc[i].name && !strcmp(r->sc[i].name, cls)) {
			*ret = steady ? r->sc[i].count : r->sc[i].run_count;
			return;
		}
	soak_rs_fig_none(ret, "not a measured syscall class");
}

void soak_rs_from_first_op(const soak_result_input_t *in, const soak_run_result_t *r, const int *idx, int n,
			   soak_fig_t *ret)
{
	const soak_value_t *t = soak_rs_find_value(in, "first_op.t_s");
	if (!t || !t->valid) {
		soak_rs_fig_none(ret, "%s", !t ? "no first-operation mark recorded (a run of an older soak)"
				 : t->reason ? t->reason : "the first operation was not marked");
		return;
	}
	double sum = 0;
	for (int j = 0; j < n; j++) {
		const soak_sc_result_t *c = &r->sc[idx[j]];
		char nm[64];
		snprintf(nm, sizeof(nm), "first_op.%s", c->metric);
		const soak_value_t *v = soak_rs_find_value(in, nm);
		if (!c->run_count.valid) {
			soak_rs_fig_none(ret, "%s: %s", c->name, c->run_count.why);
			return;
		}
		if (!v || !v->valid || !(v->value <= c->run_count.v)) {
			soak_rs_fig_none(ret, "%s: not counted at the first operation", c->name);
			return;
		}
		sum += c->run_count.v - v->value;
	}
	soak_rs_fig_set(ret, sum);
}

static bool differ(const soak_fig_t *self, const soak_fig_t *m)
{
	return self->valid && m->valid && fabs(self->v - m->v) > 0.10 * m->v + 2;
}

bool soak_rs_self_disagree(const soak_fig_t *self, const soak_fig_t *whole, const soak_fig_t *from_op,
			   bool *whole_disagree, const char **basis)
{
	*whole_disagree = differ(self, whole);
	*basis = from_op->valid ? "from the first operation" : "whole run";
	return from_op->valid ? differ(self, from_op) : *whole_disagree;
}

int soak_result_self_classes(const soak_result_input_t *in, soak_run_result_t *r)
{
	static const char pre[] = "selfreport_class.";
	size_t n = 0;
	for (size_t i = 0; i < in->n_values; i++)
		n += in->values[i].name && !strncmp(in->values[i].name, pre, sizeof(pre) - 1);
	if (!n)
		return 0;
	if (!(r->classes = calloc(n, sizeof(*r->classes))))
		return -ENOMEM;
	for (size_t i = 0; i < in->n_values; i++) {
		const soak_value_t *v = &in->values[i];
		if (!v->name || strncmp(v->name, pre, sizeof(pre) - 1))
			continue;
		const char *tag = v->name + sizeof(pre) - 1, *dot = strrchr(tag, '.');
		if (!dot || dot == tag)
			continue;   /* not ours: a name we did not write */
		soak_self_class_t *c = &r->classes[r->n_classes++];
		snprintf(c->tag, sizeof(c->tag), "%.*s", (int)(dot - tag), tag);
		snprintf(c->cls, sizeof(c->cls), "%s", dot + 1);
		const char *reason = v->reason ? v->reason : "";
		const char *d = strstr(reason, "declared: ");
		snprintf(c->decl, sizeof(c->decl), "%.*s", d ? (int)strcspn(d + 10, ")") : 1,
			 d ? d + 10 : "?");
		if (v->valid && isfinite(v->value))
			soak_rs_fig_set(&c->self, v->value);
		else
			soak_rs_fig_none(&c->self, "%s", *reason ? reason : "not recorded");
		soak_rs_fig_none(&c->self_steady, "the allocator prints its totals once, at exit: there is no "
				      "steady-state figure of its own");
		measured(r, c->cls, false, &c->measured);
		measured(r, c->cls, true, &c->measured_steady);
		int idx[SOAK_SC_BASE], k = 0;
		for (int j = 0; j < SOAK_SC_BASE; j++)
			if (!strcmp(c->cls, "total") || (r->sc[j].name && !strcmp(r->sc[j].name, c->cls)))
				idx[k++] = j;
		if (k)
			soak_rs_from_first_op(in, r, idx, k, &c->measured_from_op);
		else
			soak_rs_fig_none(&c->measured_from_op, "not a measured syscall class");
		c->disagree = soak_rs_self_disagree(&c->self, &c->measured, &c->measured_from_op,
						    &c->disagree_whole, &c->basis);
	}
	return 0;
}

/* ---- the host's noise floor, throughput per CPU second ---- */

/* The options that measure a floor under the run's conditions: its
 * interval, limits and (a spin run) pattern. */
static void calibrate_hint(const soak_run_t *run, char *buf, size_t len)
{
	int l = snprintf(buf, len, "soakctl calibrate -i %gs", run->interval_s);
	if (run->has_memory_max && l > 0 && (size_t)l < len)
		l += snprintf(buf + l, len - (size_t)l, " --memory-max %llu", (unsigned long long)run->memory_max);
	if (run->has_swap_max && l > 0 && (size_t)l < len)
		l += snprintf(buf + l, len - (size_t)l, " --swap-max %llu", (unsigned long long)run->swap_max);
	if (run->has_cpu_max && l > 0 && (size_t)l < len)
		l += snprintf(buf + l, len - (size_t)l, " --cpu-max %g%%", run->cpu_max_pct);
	soak_noise_t id = { 0 };
	if (run->workload && !strcmp(run->workload, "spin") && l > 0 && (size_t)l < len) {
		soak_noise_identity(run, &id);
		if (strcmp(id.pattern, SOAK_NOISE_PATTERN_DEFAULT))
			snprintf(buf + l, len - (size_t)l, " -- --pattern %s", id.pattern);
	}
}

static bool has_limits(const soak_run_t *run)
{
	return run->has_memory_max || run->has_swap_max || run->has_cpu_max;
}

/* "3 h before the run", "2 days after the run" for age_s = floor - run. */
static void age_text(double age_s, char *buf, size_t len)
{
	double a = fabs(age_s);
	const char *when = age_s < 0 ? "before" : "after";
	if (a < 60)
		snprintf(buf, len, "measured within a minute of the run's start");
	else if (a < 2 * 3600)
		snprintf(buf, len, "measured %.0f min %s the run", a / 60, when);
	else if (a < 2 * 86400)
		snprintf(buf, len, "measured %.0f h %s the run", a / 3600, when);
	else
		snprintf(buf, len, "measured %.0f days %s the run", a / 86400, when);
}

static void floor_none(soak_floor_t *f, const soak_run_t *run)
{
	char hint[200];
	calibrate_hint(run, hint, sizeof(hint));
	f->have = false;
	snprintf(f->desc, sizeof(f->desc), "no noise floor measured on host %.60s at %g s%s: run %s",
		 run->host ? run->host : "?", run->interval_s,
		 has_limits(run) ? " under the run's limits" : "", hint);
	soak_rs_fig_none(&f->cv_pct, "%s", f->desc);
	soak_rs_fig_none(&f->drift_pct, "%s", f->desc);
	soak_rs_fig_none(&f->excess_cv_pct, "%s", f->desc);
}

void soak_result_floor(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_floor_t *f = &r->floor;
	if (!in->noise) {
		floor_none(f, &r->run);
		return;
	}
	f->have = true;
	f->n = *in->noise;
	double tf, tr;
	f->has_age = r->run.started_at && soak_db_time_parse(f->n.measured_at, &tf) == 0 &&
		     soak_db_time_parse(r->run.started_at, &tr) == 0;
	char age[80] = "measured at an unknown time relative to the run";
	if (f->has_age) {
		f->age_s = tf - tr;
		f->stale = fabs(f->age_s) > SOAK_FLOOR_STALE_S;
		age_text(f->age_s, age, sizeof(age));
	}
	snprintf(f->desc, sizeof(f->desc), "%.31s on %.60s at %g s, %.19s (run %lld), %s%s", f->n.workload, f->n.host,
		 f->n.interval_s, f->n.measured_at, (long long)f->n.run_id, age,
		 f->stale ? "; stale (more than 7 days from the run): not applied by the gate" : "");
	if (isnan(f->n.cv_pct))
		soak_rs_fig_none(&f->cv_pct, "the control run gave no CV");
	else
		soak_rs_fig_set(&f->cv_pct, f->n.cv_pct);
	if (isnan(f->n.drift_pct))
		soak_rs_fig_none(&f->drift_pct, "the control run gave no drift");
	else
		soak_rs_fig_set(&f->drift_pct, f->n.drift_pct);
	if (!r->tp.cv_pct.valid)
		f->excess_cv_pct = r->tp.cv_pct;
	else if (!f->cv_pct.valid)
		f->excess_cv_pct = f->cv_pct;
	else {
		/* Independent noise adds in variance: CV^2 = floor^2 + excess^2. */
		double d = r->tp.cv_pct.v * r->tp.cv_pct.v - f->cv_pct.v * f->cv_pct.v;
		soak_rs_fig_set(&f->excess_cv_pct, d > 0 ? sqrt(d) : 0);
	}
}

void soak_result_tp_per_cpu(soak_run_result_t *r)
{
	if (!r->cpu_ops.valid) {
		soak_rs_fig_none(&r->tp_per_cpu_s, "%s", r->cpu_ops.why);
		return;
	}
	if (!r->cpu_user_s.valid || !r->cpu_sys_s.valid) {
		soak_rs_fig_none(&r->tp_per_cpu_s, "%s", r->cpu_user_s.valid ? r->cpu_sys_s.why : r->cpu_user_s.why);
		return;
	}
	double cpu = r->cpu_user_s.v + r->cpu_sys_s.v;
	if (!(cpu > 0)) {
		soak_rs_fig_none(&r->tp_per_cpu_s, "the run's cgroup used no measurable CPU time in the steady state");
		return;
	}
	soak_rs_fig_set(&r->tp_per_cpu_s, r->cpu_ops.v / cpu);
}
