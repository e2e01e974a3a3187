/* compare-until.c - what compare --until-decided says at each look and at
 * the end, and its exit code (compare-until.h). */
#include <stdio.h>

#include "compare-until.h"
#include "soakctl.h"

typedef struct {
	size_t decided, worse, undecided, undecidable;
} tally_t;

static soak_cmp_decision_t decision(const soak_comparison_t *c, size_t g, soak_cmp_metric_t m, bool *worse)
{
	soak_cmp_decision_t d = soak_cmp_decision(c, g, m);
	*worse = d == SOAK_CMP_DECIDED && c->g[g].v[m].kind == SOAK_VERDICT_WORSE;
	return d;
}

static tally_t tally(const soak_comparison_t *c)
{
	tally_t t = { 0 };
	for (size_t g = 0; g < c->n; g++)
		for (size_t i = 0; g != c->baseline && i < SOAK_CMP_DECIDE_N; i++) {
			bool worse;
			switch (decision(c, g, soak_cmp_decide_metrics[i], &worse)) {
			case SOAK_CMP_DECIDED:
				t.decided++;
				t.worse += worse;
				break;
			case SOAK_CMP_UNDECIDED:
				t.undecided++;
				break;
			case SOAK_CMP_UNDECIDABLE:
				t.undecidable++;
				break;
			}
		}
	return t;
}

static const char *state_name(const soak_comparison_t *c, size_t g, soak_cmp_metric_t m)
{
	bool worse;
	switch (decision(c, g, m, &worse)) {
	case SOAK_CMP_DECIDED:
		return soak_verdict_token(c->g[g].v[m].kind);   /* better, worse, same */
	case SOAK_CMP_UNDECIDED:
		return "undecided";
	default:
		return "cannot be decided";
	}
}

void soak_cmp_until_look(FILE *f, const soak_comparison_t *c, double alpha, soak_until_t *u)
{
	tally_t t = tally(c);
	fprintf(f, "look %u of at most %u: %zu metric%s, %zu worse, %zu undecided, %zu cannot be decided "
		"(alpha %g split over at most %u looks: %.3g at look %u)\n", u->look, u->looks_max,
		t.decided + t.undecided + t.undecidable, t.decided + t.undecided + t.undecidable == 1 ? "" : "s",
		t.worse, t.undecided, t.undecidable, alpha, u->looks_max, c->alpha, u->look);
	for (size_t g = 0; g < c->n; g++)
		for (size_t i = 0; g != c->baseline && i < SOAK_CMP_DECIDE_N; i++) {
			soak_cmp_metric_t m = soak_cmp_decide_metrics[i];
			fprintf(f, "  %s %s %s: %s\n", c->g[g].name, soak_cmp_metrics[m].key, state_name(c, g, m),
				c->g[g].v[m].why);
		}
	if (t.worse || !t.undecided)
		u->next = SOAK_LOOK_DONE;
	else
		u->next = u->spent < u->max_runs ? SOAK_LOOK_MORE : SOAK_LOOK_SPENT;
}

void soak_cmp_until_print_end(FILE *f, const soak_comparison_t *c, const soak_until_t *u)
{
	char tm[64];
	soak_until_fmt_time(u->run_s, tm, sizeof(tm));
	tally_t t = tally(c);
	const char *s = u->spent == 1 ? "" : "s";
	if (soak_run_interrupted)
		fprintf(f, "interrupted after %zu more run%s (the last one interrupted, if one was running); "
			"reported: look %u; %s of runs\n", u->spent, s, u->look, tm);
	else if (t.worse)
		fprintf(f, "stopped at look %u: a metric is worse, which more runs cannot undo; %zu more run%s, "
			"%s of runs\n", u->look, u->spent, s, tm);
	else if (!t.undecided && !t.decided)
		fprintf(f, "nothing to decide: every metric lacks data that more runs cannot give (see the "
			"table)\n");
	else if (!t.undecided && !u->spent)
		fprintf(f, "decided at the first look: no more runs\n");
	else if (!t.undecided)
		fprintf(f, "decided after %zu more run%s, %s of runs\n", u->spent, s, tm);
	if (soak_run_interrupted || t.worse || !t.undecided)
		return;
	fprintf(f, "still undecided after %zu more run%s (--max-runs %zu per allocator), %s of runs:\n",
		u->spent, s, u->max_runs / (c->n ? c->n : 1), tm);
	for (size_t g = 0; g < c->n; g++)
		for (size_t i = 0; g != c->baseline && i < SOAK_CMP_DECIDE_N; i++) {
			soak_cmp_metric_t m = soak_cmp_decide_metrics[i];
			if (soak_cmp_decision(c, g, m) == SOAK_CMP_UNDECIDED)
				fprintf(f, "  %s %s: %s (vs a %g%% threshold)\n", c->g[g].name,
					soak_cmp_metrics[m].key, c->g[g].v[m].why, soak_cmp_metrics[m].practical_pct);
		}
}

int soak_cmp_until_exit(const soak_comparison_t *c, const soak_until_t *u)
{
	(void)u;
	tally_t t = tally(c);
	if (t.worse)
		return SOAK_EXIT_FAIL;
	return t.undecided || !t.decided ? SOAK_EXIT_USAGE : SOAK_EXIT_OK;
}
