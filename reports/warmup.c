/*
 * warmup.c - where a run's steady state starts (docs/metrics.md "Steady
 * state"). A run given --warmup uses it (the runner's warmup_end event: the
 * first sample at or after it). A run without one (runs.warmup_s =
 * SOAK_WARMUP_AUTO) gets the MSER-5 truncation point of its own series, found
 * here at report time from the stored samples: the later of the points of the
 * throughput series and the RSS series, each up to the stop request. Pure.
 */
#include "result.h"
#include "result-internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One series for MSER-5: its values and, for each, the time from which it
 * lies entirely in the steady state (a sample's time; an interval's start). */
typedef struct {
	const char *name;            /* "throughput", "RSS" */
	size_t n;
	double *from, *v;
	int rc;                      /* soak_stats_mser5's: 0, -EINVAL, -ERANGE; 1 = no series */
	double t;                    /* rc == 0: the truncation time */
} wu_series_t;

static int wu_alloc(wu_series_t *w, size_t n)
{
	w->from = malloc((n ? n : 1) * sizeof(double));
	w->v = malloc((n ? n : 1) * sizeof(double));
	return w->from && w->v ? 0 : -ENOMEM;
}

/* Levels (RSS, a step's own value): each valid sample up to t_end. */
static int wu_levels(wu_series_t *w, const soak_input_series_t *s, double t_end)
{
	if (!s || !s->n || s->unavailable)
		return 0;
	if (wu_alloc(w, s->n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->n && s->t[i] <= t_end; i++)
		if (!isnan(s->t[i]) && !isnan(s->v[i])) {
			w->from[w->n] = s->t[i];
			w->v[w->n++] = s->v[i];
		}
	return 0;
}

/* A cumulative counter (ops_total): the rate of each pair of consecutive valid
 * samples up to t_end, which lies in the steady state from its start. */
static int wu_rates(wu_series_t *w, const soak_input_series_t *s, double t_end)
{
	if (!s || !s->n || s->unavailable)
		return 0;
	if (wu_alloc(w, s->n) < 0)
		return -ENOMEM;
	double pt = NAN, pc = NAN;
	for (size_t i = 0; i < s->n && s->t[i] <= t_end; i++) {
		if (isnan(s->t[i]) || isnan(s->v[i]))
			continue;
		if (!isnan(pt) && s->t[i] > pt && s->v[i] >= pc) {
			w->from[w->n] = pt;
			w->v[w->n++] = (s->v[i] - pc) / (s->t[i] - pt);
		}
		pt = s->t[i];
		pc = s->v[i];
	}
	return 0;
}

static int wu_find(wu_series_t *w)
{
	if (!w->v) {
		w->rc = 1;
		return 0;
	}
	soak_mser_t m;
	w->rc = soak_stats_mser5(w->v, w->n, &m);
	if (w->rc == -ENOMEM)
		return -ENOMEM;
	if (w->rc == 0)
		w->t = w->from[m.truncate];
	return 0;
}

static void wu_describe(soak_run_result_t *r, const wu_series_t *tp, const wu_series_t *rss)
{
	soak_warmup_t *m = &r->warmup;
	const wu_series_t *both[] = { tp, rss };
	size_t longest = 0;
	bool any_found = false, any_short = false;
	for (int i = 0; i < 2; i++) {
		if (both[i]->rc != 1 && both[i]->n > longest)
			longest = both[i]->n;
		any_found |= both[i]->rc == 0;
		any_short |= both[i]->rc == -EINVAL;
	}
	soak_fig_t *fig[] = { &m->tp_s, &m->rss_s };
	for (int i = 0; i < 2; i++) {
		const wu_series_t *w = both[i];
		if (w->rc == 0)
			soak_rs_fig_set(fig[i], w->t);
		else if (w->rc == 1)
			soak_rs_fig_none(fig[i], "no %s series", w->name);
		else if (w->rc == -EINVAL)
			soak_rs_fig_none(fig[i], "run too short (%zu %s values, MSER-5 needs %d)", w->n,
					 w->name, SOAK_MSER_BATCH * SOAK_MSER_MIN_BATCHES);
		else
			soak_rs_fig_none(fig[i], "%s did not settle within the first half of the run", w->name);
	}
	if (!any_found) {
		m->found = false;
		r->warmup_s = 0;
		if (tp->rc == 1 && rss->rc == 1)
			snprintf(m->why, sizeof(m->why), "not found, no throughput or RSS series");
		else if (any_short)
			snprintf(m->why, sizeof(m->why), "not found, run too short (%zu samples; MSER-5 needs %d)",
				 longest, SOAK_MSER_BATCH * SOAK_MSER_MIN_BATCHES);
		else
			snprintf(m->why, sizeof(m->why), "not found, no series settled within the first half of "
				 "the run (%zu samples): run longer", longest);
		snprintf(m->method, sizeof(m->method), "MSER-5: %s", m->why);
		return;
	}
	m->found = true;
	r->warmup_s = 0;
	for (int i = 0; i < 2; i++)
		if (both[i]->rc == 0 && both[i]->t > r->warmup_s)
			r->warmup_s = both[i]->t;
	if (tp->rc == 0 && rss->rc == 0) {
		snprintf(m->method, sizeof(m->method), "found by MSER-5 on throughput and RSS");
		return;
	}
	/* A series that does not settle within its first half trends (a leak's
	 * RSS) or is noise without a transient: that is what drift and slope
	 * judge, so the warm-up is the other series'. */
	const wu_series_t *ok = tp->rc == 0 ? tp : rss, *other = tp->rc == 0 ? rss : tp;
	snprintf(m->method, sizeof(m->method), "found by MSER-5 on %s (%s %s)", ok->name, other->name,
		 other->rc == 1 ? "has no series" : other->rc == -EINVAL ? "has too few values"
		 : "did not settle within the first half of the run: a trend or noise, see drift and slope");
}

static int wu_auto(const soak_result_input_t *in, soak_run_result_t *r)
{
	bool repeat = soak_rs_is_repeat(in);
	const soak_input_series_t *rss = soak_rs_find_series(in, "rss_bytes");
	const soak_input_series_t *sp = soak_rs_find_series(in, "step_peak_rss_bytes");
	/* The series the statistics use (result.c): an exec --repeat run's RSS is
	 * each step's peak, its throughput each step's printed one. */
	if (repeat && sp && sp->n && !sp->unavailable && soak_rs_count_valid(sp, -INFINITY))
		rss = sp;
	wu_series_t tp = { .name = "throughput" }, rs = { .name = "RSS" };
	int rc = wu_levels(&rs, rss, r->steady_end_s);
	if (rc == 0)
		rc = repeat ? wu_levels(&tp, soak_rs_find_series(in, "step_throughput_ops_s"), r->steady_end_s)
			    : wu_rates(&tp, soak_rs_find_series(in, "ops_total"), r->steady_end_s);
	if (rc == 0 && tp.v && !tp.n) {       /* a series with no value is none */
		free(tp.v), free(tp.from);
		tp.v = tp.from = NULL;
	}
	if (rc == 0 && rs.v && !rs.n) {
		free(rs.v), free(rs.from);
		rs.v = rs.from = NULL;
	}
	if (rc == 0 && (rc = wu_find(&tp)) == 0 && (rc = wu_find(&rs)) == 0)
		wu_describe(r, &tp, &rs);
	free(tp.from), free(tp.v), free(rs.from), free(rs.v);
	return rc;
}

int soak_result_warmup(const soak_result_input_t *in, soak_run_result_t *r)
{
	soak_warmup_t *m = &r->warmup;
	memset(m, 0, sizeof(*m));
	soak_rs_fig_none(&m->rss_s, "the warm-up was given");
	soak_rs_fig_copy_why(&m->tp_s, &m->rss_s);
	for (size_t i = 0; i < in->n_events; i++)
		if (in->events[i].kind && !strcmp(in->events[i].kind, "warmup_end")) {
			snprintf(r->warmup_source, sizeof(r->warmup_source), "warmup_end event");
			r->warmup_s = in->events[i].t;
			snprintf(m->method, sizeof(m->method), "--warmup %g s, given", in->run->warmup_s);
			return 0;
		}
	double given = in->run->warmup_s;
	if (given < 0) {            /* SOAK_WARMUP_AUTO */
		m->automatic = true;
		snprintf(r->warmup_source, sizeof(r->warmup_source), "MSER-5");
		return wu_auto(in, r);
	}
	snprintf(r->warmup_source, sizeof(r->warmup_source), "run record");
	r->warmup_s = given > 0 ? given : 0;
	snprintf(m->method, sizeof(m->method), "--warmup %g s, given", r->warmup_s);
	return 0;
}

void soak_result_warmup_drift(soak_run_result_t *r)
{
	if (!r->warmup.automatic || r->warmup.found)
		return;
	soak_fig_t why;
	soak_rs_fig_none(&why, "insufficient data: warm-up %s, so there is no steady state to grade drift on",
			 r->warmup.why);
	soak_fig_t *all[] = { &r->rss.drift_pct, &r->rss.first_k_mean, &r->rss.last_k_mean,
			      &r->tp.drift_pct, &r->tp.first_k_mean, &r->tp.last_k_mean };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		soak_rs_fig_copy_why(all[i], &why);
}
