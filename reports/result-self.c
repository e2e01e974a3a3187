/*
 * result-self.c - declared self-report classes beside the measured syscalls
 * (see result.h, soak_self_class_t). The runner stores one per-run value
 * selfreport_class.TAG.CLASS per declared class, its reason column holding
 * the declaration ("declared: a + b") or why it has no value.
 */
#include "result.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set(soak_fig_t *f, double v)
{
	f->valid = true;
	f->v = v;
	f->why[0] = '\0';
}

static void none(soak_fig_t *f, const char *why)
{
	f->valid = false;
	f->v = NAN;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

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
				char why[SOAK_WHY_MAX];
				snprintf(why, sizeof(why), "%s: %s", r->sc[i].name, r->sc[i].run_count.why);
				none(ret, why);
				return;
			}
			sum += r->sc[i].run_count.v;
		}
		set(ret, sum);
		return;
	}
	for (int i = 0; i < SOAK_SC_BASE; i++)
		if (r->sc[i].name && !strcmp(r->sc[i].name, cls)) {
			*ret = steady ? r->sc[i].count : r->sc[i].run_count;
			return;
		}
	none(ret, "not a measured syscall class");
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
			set(&c->self, v->value);
		else
			none(&c->self, *reason ? reason : "not recorded");
		none(&c->self_steady, "the allocator prints its totals once, at exit: there is no "
				      "steady-state figure of its own");
		measured(r, c->cls, false, &c->measured);
		measured(r, c->cls, true, &c->measured_steady);
		c->disagree = c->self.valid && c->measured.valid &&
			      fabs(c->self.v - c->measured.v) > 0.10 * c->measured.v + 2;
	}
	return 0;
}
