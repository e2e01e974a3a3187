/* changepoint.c - E-divisive means with a permutation test; see changepoint.h. */
#include "changepoint.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"   /* soak_rng_t */

size_t soak_cp_qhat(const double *x, size_t a, size_t b, size_t min_size, double *q)
{
	if (min_size < 1)
		min_size = 1;
	if (b < a + 2 * min_size)
		return 0;
	size_t len = b - a;
	/* For the first split tau0 = a+min_size: within sums of both sides and
	 * the cross sum, then moved one point at a time (O(len) per step):
	 * moving x_t from Y to X adds its distances to X to the X sum, removes
	 * its distances to the rest of Y from the Y sum, and swaps those in the
	 * cross sum. */
	size_t t0 = a + min_size;
	double wx = 0, wy = 0, cr = 0;
	for (size_t i = a; i < t0; i++)
		for (size_t j = i + 1; j < t0; j++)
			wx += fabs(x[i] - x[j]);
	for (size_t i = t0; i < b; i++)
		for (size_t j = i + 1; j < b; j++)
			wy += fabs(x[i] - x[j]);
	for (size_t i = a; i < t0; i++)
		for (size_t j = t0; j < b; j++)
			cr += fabs(x[i] - x[j]);
	size_t best = 0;
	double bestq = -INFINITY;
	for (size_t t = t0; t + min_size <= b; t++) {
		if (t > t0) {
			/* x[t-1] moved from Y to X */
			size_t k = t - 1;
			double to_x = 0, to_y = 0;
			for (size_t i = a; i < k; i++)
				to_x += fabs(x[i] - x[k]);
			for (size_t j = t; j < b; j++)
				to_y += fabs(x[k] - x[j]);
			wx += to_x;
			wy -= to_y;
			cr += to_y - to_x;
		}
		double n = (double)(t - a), m = (double)(b - t);
		double e = 2.0 * cr / (n * m);
		if (n > 1)
			e -= wx / (n * (n - 1) / 2);
		if (m > 1)
			e -= wy / (m * (m - 1) / 2);
		double qt = n * m / (double)len * e;
		if (q)
			q[t] = qt;
		if (qt > bestq) {
			bestq = qt;
			best = t;
		}
	}
	return best;
}

typedef struct {
	size_t a, b;
} seg_t;

/* The largest Q over all segments (x may be a permuted copy). */
static double best_over(const double *x, const seg_t *s, size_t ns, size_t min_size, double *q,
			size_t *ret_tau, size_t *ret_seg)
{
	double best = -INFINITY;
	for (size_t k = 0; k < ns; k++) {
		size_t t = soak_cp_qhat(x, s[k].a, s[k].b, min_size, q);
		if (t && q[t] > best) {
			best = q[t];
			if (ret_tau)
				*ret_tau = t;
			if (ret_seg)
				*ret_seg = k;
		}
	}
	return best;
}

static double mean_of(const double *x, size_t a, size_t b)
{
	double s = 0;
	for (size_t i = a; i < b; i++)
		s += x[i];
	return b > a ? s / (double)(b - a) : NAN;
}

static int cmp_cp(const void *pa, const void *pb)
{
	const soak_cp_t *a = pa, *b = pb;
	return a->index < b->index ? -1 : a->index > b->index;
}

int soak_cp_find(const double *x, size_t n, const soak_cp_opts_t *o, soak_cp_t **ret, size_t *n_ret)
{
	static const soak_cp_opts_t defaults;
	if (!o)
		o = &defaults;
	if (!ret || !n_ret || (n && !x))
		return -EINVAL;
	double alpha = o->alpha > 0 ? o->alpha : SOAK_CP_ALPHA;
	size_t perms = o->permutations ? o->permutations : SOAK_CP_PERMUTATIONS;
	size_t min_size = o->min_size ? o->min_size : SOAK_CP_MIN_SIZE;
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return -EINVAL;
	*ret = NULL;
	*n_ret = 0;
	seg_t *seg = calloc(n + 1, sizeof(*seg));
	soak_cp_t *cp = calloc(n + 1, sizeof(*cp));
	double *q = calloc(n + 1, sizeof(*q)), *perm = calloc(n + 1, sizeof(*perm));
	if (!seg || !cp || !q || !perm) {
		free(seg);
		free(cp);
		free(q);
		free(perm);
		return -ENOMEM;
	}
	soak_rng_t rng;
	soak_rng_seed(&rng, o->seed);
	size_t ns = 1, ncp = 0;
	seg[0] = (seg_t){ 0, n };
	while (!o->max_points || ncp < o->max_points) {
		size_t tau = 0, k = 0;
		double qbest = best_over(x, seg, ns, min_size, q, &tau, &k);
		if (!tau)
			break;
		size_t higher = 0;
		for (size_t p = 0; p < perms; p++) {
			memcpy(perm, x, n * sizeof(*x));
			for (size_t s = 0; s < ns; s++)       /* shuffle each segment alone */
				for (size_t i = seg[s].b - 1; i > seg[s].a; i--) {
					size_t j = seg[s].a + soak_rng_below(&rng, i - seg[s].a + 1);
					double t = perm[i];
					perm[i] = perm[j];
					perm[j] = t;
				}
			if (best_over(perm, seg, ns, min_size, q, NULL, NULL) >= qbest)
				higher++;
		}
		double pv = (double)(higher + 1) / (double)(perms + 1);
		if (pv > alpha)
			break;
		/* Split segment k at tau. */
		seg_t old = seg[k];
		seg[k] = (seg_t){ old.a, tau };
		seg[ns++] = (seg_t){ tau, old.b };
		cp[ncp++] = (soak_cp_t){ .index = tau, .q = qbest, .p = pv };
	}
	qsort(cp, ncp, sizeof(*cp), cmp_cp);
	/* Sizes against the neighbouring segments of the final segmentation. */
	for (size_t i = 0; i < ncp; i++) {
		size_t a = i ? cp[i - 1].index : 0, b = i + 1 < ncp ? cp[i + 1].index : n;
		cp[i].mean_before = mean_of(x, a, cp[i].index);
		cp[i].mean_after = mean_of(x, cp[i].index, b);
		cp[i].change_pct = cp[i].mean_before != 0
					   ? 100.0 * (cp[i].mean_after - cp[i].mean_before) / fabs(cp[i].mean_before)
					   : NAN;
	}
	free(seg);
	free(q);
	free(perm);
	if (!ncp) {
		free(cp);
		cp = NULL;
	}
	*ret = cp;
	*n_ret = ncp;
	return 0;
}
