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

void soak_result_floor(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_floor_t *f = &r->floor;
	if (!in->noise) {
		f->have = false;
		snprintf(f->desc, sizeof(f->desc), "no noise floor measured on host %.60s at %g s: run soakctl calibrate -i %gs",
			 r->run.host ? r->run.host : "?", r->run.interval_s, r->run.interval_s);
		soak_rs_fig_none(&f->cv_pct, "%s", f->desc);
		soak_rs_fig_none(&f->drift_pct, "%s", f->desc);
		soak_rs_fig_none(&f->excess_cv_pct, "%s", f->desc);
		return;
	}
	f->have = true;
	f->n = *in->noise;
	snprintf(f->desc, sizeof(f->desc), "%.31s on %.100s at %g s, %.19s (run %lld)", f->n.workload, f->n.host,
		 f->n.interval_s, f->n.measured_at, (long long)f->n.run_id);
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
