/* gate-baseline.c - the gate's baseline checks: the gated runs of a series
 * against baseline runs of the same series, one value per run (its mean
 * throughput, its peak RSS, its own p99), decided by the t interval of
 * verdict-run.c with Holm-Bonferroni over every check of the gate; three
 * outcomes (pass, fail, undecided). See gate.h; the rules are in
 * docs/compare-gate.md ("The baseline: runs of the same series"). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gate-internal.h"

#define MIB (1024.0 * 1024.0)

bool soak_gate_same_series(const soak_run_t *a, const soak_run_t *b, char *why, size_t len)
{
#define S(x) ((x) ? (x) : "")
	const char *what = NULL, *va = NULL, *vb = NULL;
	if (strcmp(S(a->workload), S(b->workload)))
		what = "workload", va = S(a->workload), vb = S(b->workload);
	else if (strcmp(S(a->workload_args), S(b->workload_args)))
		what = "workload options", va = S(a->workload_args), vb = S(b->workload_args);
	else if (strcmp(S(a->allocator_name), S(b->allocator_name)))
		what = "allocator", va = S(a->allocator_name), vb = S(b->allocator_name);
	else if (a->has_memory_max != b->has_memory_max || a->memory_max != b->memory_max ||
		 a->has_swap_max != b->has_swap_max || a->swap_max != b->swap_max ||
		 a->has_cpu_max != b->has_cpu_max || a->cpu_max_pct != b->cpu_max_pct)
		what = "limits", va = "", vb = "";
	else if (strcmp(a->host_class ? a->host_class : "unknown", b->host_class ? b->host_class : "unknown"))
		what = "host class", va = S(a->host_class), vb = S(b->host_class);
#undef S
	/* Said of b: "allocator slow, not system" when b's allocator is slow. */
	if (what && why)
		snprintf(why, len, "%s %s%snot %s", what, vb, *vb ? ", " : "", *va ? va : "the same");
	return !what;
}

/* The three baseline checks. */
static const struct {
	const char *name, *what, *word;
	soak_gate_metric_t gm;
	soak_cmp_metric_t cm;
} defs[] = {
	{ "baseline_throughput", "throughput", "loss", SOAK_GM_THROUGHPUT, SOAK_CM_TP },
	{ "baseline_peak_rss", "peak RSS", "growth", SOAK_GM_PEAK_RSS, SOAK_CM_RSS_PEAK },
	{ "baseline_latency_p99", "latency p99", "growth", SOAK_GM_LATENCY_P99, SOAK_CM_LAT_P99 },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static double limit_pct(const soak_gate_limits_t *l, size_t d)
{
	return d == 0 ? l->baseline_tp_loss_max_pct
	       : d == 1 ? l->baseline_peak_rss_growth_max_pct : l->baseline_p99_growth_max_pct;
}

/* A check waiting for the family's p-values. */
typedef struct {
	size_t run, check;           /* rep->runs[run].checks[check] */
	size_t def;
	const soak_gate_series_t *s;
	double *a, *b;               /* one value per run */
	size_t na, nb;
	double res;                  /* resolution of the metric (0 = none) */
	soak_runtest_t t;
} pend_t;

/* The values of metric d of runs (all must have it), or why not. */
static bool values(size_t d, const soak_run_result_t *const *runs, size_t n, double *out,
		   char *why, size_t len)
{
	const soak_cmp_metric_def_t *m = &soak_cmp_metrics[defs[d].cm];
	for (size_t i = 0; i < n; i++) {
		const soak_fig_t *f = m->fig(runs[i]);
		if (!f->valid) {
			char nm[96];
			snprintf(why, len, "%s of %s: %s", defs[d].what,
				 soak_result_name(runs[i], nm, sizeof(nm)), f->why);
			return false;
		}
		out[i] = f->v;
	}
	return true;
}

static double mean(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i];
	return n ? s / (double)n : NAN;
}

/* Sets up check d of series s: everything that needs no test is decided here;
 * a check to test is returned in *p (p->a set). */
static int prepare(soak_check_t *c, const soak_gate_series_t *s, size_t d,
		   const soak_run_result_t *const *ok, size_t k, pend_t *p)
{
	const soak_gate_limits_t *l = &s->limits;
	const soak_run_result_t *newest = s->cand[s->k - 1];
	double thr = limit_pct(l, d);
	snprintf(c->threshold, sizeof(c->threshold), "%s <= %g%%%s", defs[d].word, thr,
		 d == 1 ? " and 1 MiB" : "");
	snprintf(c->value, sizeof(c->value), "unavailable");
	if (s->error) {
		snprintf(c->type, sizeof(c->type), "baseline");
		soak_gate_set_state(c, SOAK_CHECK_ERROR, "cannot evaluate %s against the baseline: %s",
				    defs[d].what, s->error);
		return 0;
	}
	if (!k) {
		soak_gate_set_state(c, SOAK_CHECK_SKIP, "%s not compared with the baseline: no gated run "
				    "of this series ended ok (%s ended %s)", defs[d].what, newest->run.allocator_name,
				    newest->run.status ? newest->run.status : "unknown");
		return 0;
	}
	if (defs[d].gm == SOAK_GM_THROUGHPUT)
		for (size_t i = 0; i < k; i++)
			if (ok[i]->tp.not_rate[0]) {
				snprintf(c->value, sizeof(c->value), "not applicable");
				snprintf(c->type, sizeof(c->type), "not_applicable");
				soak_gate_set_state(c, SOAK_CHECK_SKIP, "throughput not applicable: %s",
						    ok[i]->tp.not_rate);
				return 0;
			}
	if (s->nb < SOAK_GATE_MIN_BASELINE) {
		snprintf(c->type, sizeof(c->type), "baseline");
		soak_gate_set_state(c, SOAK_CHECK_ERROR, "cannot evaluate: the baseline has %zu run%s of this "
				    "series, need %d (%s)", s->nb, s->nb == 1 ? "" : "s",
				    SOAK_GATE_MIN_BASELINE, s->base_desc ? s->base_desc : "");
		return 0;
	}
	double *a = malloc(k * sizeof(double)), *b = malloc(s->nb * sizeof(double));
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	char why[SOAK_VERDICT_WHY_MAX];
	if (!values(d, ok, k, a, why, sizeof(why)) || !values(d, s->base, s->nb, b, why, sizeof(why))) {
		soak_gate_unavailable(c, newest, l, defs[d].gm, c->metric, why);
		free(a);
		free(b);
		return 0;
	}
	soak_gate_fmt_metric(defs[d].gm, mean(a, k), c->value, sizeof(c->value));
	if (k > 1) {
		size_t n = strlen(c->value);
		snprintf(c->value + n, sizeof(c->value) - n, " (mean of %zu runs)", k);
	}
	char bt[64];
	soak_gate_fmt_metric(defs[d].gm, mean(b, s->nb), bt, sizeof(bt));
	snprintf(c->baseline, sizeof(c->baseline), "%s (mean of %zu runs)", bt, s->nb);
	*p = (pend_t){ .def = d, .s = s, .a = a, .b = b, .na = k, .nb = s->nb };
	if (defs[d].gm == SOAK_GM_LATENCY_P99)
		p->res = soak_cmp_lat_resolution(ok, k, s->base, s->nb, &soak_cmp_metrics[defs[d].cm]);
	return 0;
}

/* "-3.10% [-6.00%, +0.20%]" of the baseline mean. */
static void fmt_change(const soak_check_t *c, char *buf, size_t len)
{
	snprintf(buf, len, "%+.2f%% [%+.2f%%, %+.2f%%]", c->change_pct, c->ci_lo_pct, c->ci_hi_pct);
}

/* Pass, fail or undecided from the test, Holm's verdict and the limit. */
static void decide(soak_check_t *c, const pend_t *p, bool reject, double adj, double conf,
		   const char *family)
{
	const soak_runtest_t *t = &p->t;
	const soak_gate_limits_t *l = &p->s->limits;
	const soak_cmp_metric_def_t *m = &soak_cmp_metrics[defs[p->def].cm];
	double mb = t->mean_b;
	c->has_stats = true;
	c->k = t->k;
	c->n = t->n;
	c->p = t->p;
	c->p_holm = adj;
	c->change_pct = mb != 0 ? 100 * t->diff / mb : NAN;
	c->ci_lo_pct = mb != 0 ? 100 * t->lo / mb : NAN;
	c->ci_hi_pct = mb != 0 ? 100 * t->hi / mb : NAN;
	/* The harm: a loss of throughput, a growth of RSS or latency. */
	bool up = m->dir == SOAK_HIGHER_IS_BETTER;
	double harm = up ? -t->diff : t->diff, harm_lo = up ? -t->hi : t->lo,
	       harm_hi = up ? -t->lo : t->hi;
	double thr_pct = limit_pct(l, p->def);
	double thr = fmax(thr_pct / 100 * fabs(mb), m->practical_abs);
	if (p->res > thr)   /* a limit finer than the instrument is its resolution */
		thr = p->res;
	char ch[96], how[400];
	fmt_change(c, ch, sizeof(ch));
	snprintf(how, sizeof(how), "%s of %zu run%s vs %zu baseline runs, %.4g%% interval, p = %.3g "
		 "(Holm-adjusted %.3g; %s)", t->k == 1 ? "prediction interval" : "pooled t", t->k,
		 t->k == 1 ? "" : "s", t->n, 100 * conf, t->p, adj, family);
	const char *what = defs[p->def].what;
	/* Below resolution is a pass only when the whole interval is: a point
	 * change below it with an interval reaching far beyond (noisy runs) is
	 * decided as any other, and never fails (thr >= res below). */
	if (p->res > 0 && fabs(t->diff) <= p->res && fabs(t->lo) <= p->res && fabs(t->hi) <= p->res) {
		soak_gate_set_state(c, SOAK_CHECK_PASS, "%s %s vs baseline %s: %s is below resolution "
				    "(%g ns): the timer cannot tell them apart", what, c->value,
				    c->baseline, ch, p->res);
		return;
	}
	if (harm_hi <= thr) {
		soak_gate_set_state(c, SOAK_CHECK_PASS, "%s %s vs baseline %s: %s, wholly within the "
				    "allowed %s (%s)", what, c->value, c->baseline, ch, c->threshold, how);
		return;
	}
	if (reject && harm > thr && harm_lo > 0) {
		snprintf(c->type, sizeof(c->type), "regression");
		soak_gate_set_state(c, SOAK_CHECK_FAIL, "%s %s vs baseline %s: %s, a significant %s "
				    "beyond the allowed %g%% (%s; metric %s)", what, c->value, c->baseline,
				    ch, defs[p->def].word, thr_pct, how, c->metric);
		return;
	}
	snprintf(c->type, sizeof(c->type), "undecided");
	soak_gate_set_state(c, SOAK_CHECK_UNDECIDED, "undecided after %zu run%s: %s vs a %g%% limit: "
			    "run more (--label with repeats); %s %s vs baseline %s (%s)", t->k,
			    t->k == 1 ? "" : "s", ch, thr_pct, what, c->value, c->baseline, how);
}

/* Which runs the baseline is, and what was left out of it (base_desc). */
static void append_desc(soak_check_t *c, const soak_gate_series_t *s)
{
	size_t n = strlen(c->message);
	if (s->base_desc && s->base_desc[0])
		snprintf(c->message + n, sizeof(c->message) - n, "; baseline: %s", s->base_desc);
}

static soak_gate_run_t *run_of(soak_gate_report_t *rep, const soak_gate_series_t *s, size_t *idx)
{
	int64_t id = 0;
	for (size_t i = 0; i < s->k; i++)
		if (s->cand[i]->run.id > id)
			id = s->cand[i]->run.id;
	for (size_t i = 0; i < rep->n; i++)
		if (rep->runs[i].run_id == id) {
			*idx = i;
			return &rep->runs[i];
		}
	return NULL;
}

/* Adds the checks of series s; the ones to test go to pend[*np]. */
static int add_series(soak_gate_report_t *rep, const soak_gate_series_t *s, pend_t *pend, size_t *np)
{
	size_t ri;
	soak_gate_run_t *gr = run_of(rep, s, &ri);
	if (!gr || !s->k)
		return -EINVAL;
	const soak_run_result_t **ok = calloc(s->k, sizeof(*ok));
	if (!ok)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < s->k; i++)
		if (soak_gate_run_ok(s->cand[i]))
			ok[k++] = s->cand[i];
	int rc = 0;
	for (size_t d = 0; d < NDEFS && rc == 0; d++) {
		if (isnan(limit_pct(&s->limits, d)))
			continue;
		soak_check_t *c = soak_gate_add_check(gr, defs[d].name, defs[d].gm);
		if (!c) {
			rc = -ENOMEM;
			break;
		}
		pend_t p = { 0 };
		rc = prepare(c, s, d, (const soak_run_result_t *const *)ok, k, &p);
		if (rc == 0 && p.a) {
			p.run = ri;
			p.check = gr->n - 1;
			pend[(*np)++] = p;
		}
	}
	free(ok);
	return rc;
}

double soak_gate_look_alpha(double alpha, unsigned looks_max)
{
	return looks_max > 1 ? alpha / (double)looks_max : alpha;
}

soak_look_next_t soak_gate_look_next(const soak_gate_report_t *rep, size_t spent, size_t max_runs)
{
	if (rep->failed || rep->errors || !rep->undecided)
		return SOAK_LOOK_DONE;
	return spent < max_runs ? SOAK_LOOK_MORE : SOAK_LOOK_SPENT;
}

/* "Holm over 2 checks, family alpha 0.05", and with looks the split. */
static void family_desc(soak_gate_report_t *rep, size_t np, double alpha)
{
	int l = snprintf(rep->family, sizeof(rep->family), "Holm over %zu check%s, family alpha %g", np,
			 np == 1 ? "" : "s", alpha);
	if (rep->looks_max > 1 && l > 0 && (size_t)l < sizeof(rep->family))
		snprintf(rep->family + l, sizeof(rep->family) - (size_t)l, " split over at most %u looks "
			 "(%.3g at look %u)", rep->looks_max, soak_gate_look_alpha(alpha, rep->looks_max),
			 rep->look);
}

int soak_gate_eval_baseline(soak_gate_report_t *rep, const soak_gate_series_t *s, size_t n)
{
	pend_t *pend = calloc(n * NDEFS + 1, sizeof(*pend));
	size_t *from = calloc(rep->n + 1, sizeof(*from));
	double *pv = calloc(n * NDEFS + 1, sizeof(double)), *adj = calloc(n * NDEFS + 1, sizeof(double));
	bool *rej = calloc(n * NDEFS + 1, sizeof(bool));
	int rc = pend && from && pv && adj && rej ? 0 : -ENOMEM;
	size_t np = 0;
	double alpha = SOAK_VERDICT_ALPHA;
	for (size_t i = 0; rc == 0 && i < rep->n; i++)
		from[i] = rep->runs[i].n;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (i == 0 || s[i].limits.alpha < alpha)
			alpha = s[i].limits.alpha;
		rc = add_series(rep, &s[i], pend, &np);
	}
	double family_alpha = alpha;
	alpha = soak_gate_look_alpha(alpha, rep->looks_max);
	/* Every interval at 1 - alpha/m: Bonferroni-simultaneous, so the
	 * intervals shown hold together; Holm decides significance. */
	double conf = 1 - alpha / (double)(np ? np : 1);
	for (size_t i = 0; rc == 0 && i < np; i++) {
		rc = soak_run_ttest(pend[i].a, pend[i].na, pend[i].b, pend[i].nb, conf, &pend[i].t);
		pv[i] = pend[i].t.p;
		/* A change below the instrument's resolution is never significant. */
		if (rc == 0 && pend[i].res > 0 && fabs(pend[i].t.diff) <= pend[i].res)
			pv[i] = 1;
	}
	if (rc == 0 && np)
		rc = soak_holm(pv, np, alpha, adj, rej);
	if (rc == 0 && np)
		family_desc(rep, np, family_alpha);
	for (size_t i = 0; rc == 0 && i < np; i++) {
		soak_check_t *c = &rep->runs[pend[i].run].checks[pend[i].check];
		decide(c, &pend[i], rej[i], adj[i], conf, rep->family);
		append_desc(c, pend[i].s);
	}
	for (size_t i = 0; rc == 0 && i < rep->n; i++)
		soak_gate_count(rep, &rep->runs[i], from[i]);
	for (size_t i = 0; pend && i < np; i++) {
		free(pend[i].a);
		free(pend[i].b);
	}
	free(pend);
	free(from);
	free(pv);
	free(adj);
	free(rej);
	return rc;
}
