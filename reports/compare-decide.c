/* compare-decide.c - whether a comparison has decided a metric, for
 * `compare --until-decided` (compare.h). Pure: reads a soak_comparison_t. */
#include <math.h>

#include "compare.h"

const soak_cmp_metric_t soak_cmp_decide_metrics[SOAK_CMP_DECIDE_N] = {
	SOAK_CM_TP, SOAK_CM_RSS_PEAK, SOAK_CM_LAT_P99,
};

/* Whether a bound of the change's interval lies within the metric's
 * practical threshold: within the percentage, or (a metric with an
 * absolute floor, latency's resolution) worth less than the floor. */
static bool within(const soak_cmp_metric_def_t *d, const soak_verdict_t *v, double bound, double res)
{
	if (d->scale == SOAK_SCALE_DIFF)
		return fabs(bound) <= d->practical_abs;
	if (fabs(bound) <= d->practical_pct)
		return true;
	double abs_ = fabs(bound) / 100 * fabs(v->mean_b);
	return (d->practical_abs > 0 && abs_ <= d->practical_abs) || (res > 0 && abs_ <= res);
}

soak_cmp_decision_t soak_cmp_decision(const soak_comparison_t *c, size_t g, soak_cmp_metric_t m)
{
	const soak_verdict_t *v = &c->g[g].v[m];
	const soak_cmp_metric_def_t *d = &soak_cmp_metrics[m];
	const soak_cmp_group_t *b = &c->g[c->baseline];
	switch (v->kind) {
	case SOAK_VERDICT_BETTER:
	case SOAK_VERDICT_WORSE:
		return SOAK_CMP_DECIDED;
	case SOAK_VERDICT_NOT_APPLICABLE:
		return SOAK_CMP_UNDECIDABLE;
	case SOAK_VERDICT_INSUFFICIENT:
		/* Too few runs is what more runs fix; a metric that is unavailable,
		 * or a side without an ok run, they do not. */
		return (v->n_a || v->n_b) && (v->n_a < c->units.min_units || v->n_b < c->units.min_units)
		       ? SOAK_CMP_UNDECIDED : SOAK_CMP_UNDECIDABLE;
	case SOAK_VERDICT_SAME:
		break;
	}
	/* A point change below the resolution is no verdict on its own: with a
	 * wide interval the runs may still hide a change the timer resolves,
	 * so it is decided only as any other: by the whole interval (within()
	 * counts the resolution as no change). */
	if (!v->has_ci || isnan(v->ci_lo) || isnan(v->ci_hi))
		return fabs(v->mean_b) > 0 ? SOAK_CMP_UNDECIDED : SOAK_CMP_UNDECIDABLE;
	double res = soak_cmp_lat_resolution((const soak_run_result_t *const *)c->g[g].ok, c->g[g].n_ok,
					     (const soak_run_result_t *const *)b->ok, b->n_ok, d);
	return within(d, v, v->ci_lo, res) && within(d, v, v->ci_hi, res) ? SOAK_CMP_DECIDED
									: SOAK_CMP_UNDECIDED;
}
