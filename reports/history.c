/* history.c - series of runs and their change points; see history.h. */
#include "history.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "verdict.h"

/* Minimum effects as compare's practical thresholds: throughput (and per
 * CPU-second) 2%; RSS 5% and 1 MiB; drifts 2 and CV 1 percent points;
 * syscalls 10% and 1e-8 per op; latency 10%; minor faults 10% and 1e-5 per op;
 * live bytes as RSS; overhead 5%, its drift 2 percent points. */
const soak_hmetric_t soak_hmetrics[SOAK_HM_N] = {
	[SOAK_HM_TP] = { "throughput", "Throughput", "M ops/s", 1e-6, +1, 2, 0 },
	[SOAK_HM_TP_CPU] = { "throughput_per_cpu_s", "Throughput per CPU-second", "M ops/CPU-s", 1e-6, +1, 2, 0 },
	[SOAK_HM_RSS_MEAN] = { "rss_mean", "Mean RSS", "MiB", 1.0 / 1048576, -1, 5, 1048576 },
	[SOAK_HM_RSS_PEAK] = { "rss_peak", "Peak RSS", "MiB", 1.0 / 1048576, -1, 5, 1048576 },
	[SOAK_HM_RSS_DRIFT] = { "rss_drift", "RSS drift", "%", 1, -1, 0, 2 },
	[SOAK_HM_TP_DRIFT] = { "throughput_drift", "Throughput drift", "%", 1, +1, 0, 2 },
	[SOAK_HM_TP_CV] = { "throughput_cv", "Throughput CV", "%", 1, -1, 0, 1 },
	[SOAK_HM_SC_PER_OP] = { "syscalls_per_op", "Syscalls per op", "/op", 1, -1, 10, 1e-8 },
	[SOAK_HM_P99] = { "latency_p99", "p99 latency", "ns", 1, -1, 10, 0 },
	[SOAK_HM_P999] = { "latency_p999", "p99.9 latency", "ns", 1, -1, 10, 0 },
	[SOAK_HM_PF_PER_OP] = { "page_faults_per_op", "Minor page faults per op", "/op", 1, -1, 10, 1e-5 },
	[SOAK_HM_LIVE_MEAN] = { "live_mean", "Mean live bytes", "MiB", 1.0 / 1048576, -1, 5, 1048576 },
	[SOAK_HM_OVERHEAD] = { "overhead", "Overhead (RSS / live)", "x", 1, -1, 5, 0 },
	[SOAK_HM_OVERHEAD_DRIFT] = { "overhead_drift", "Overhead drift", "%", 1, -1, 0, 2 },
	[SOAK_HM_OVERHEAD_END] = { "overhead_end", "Overhead at end (RSS / live)", "x", 1, -1, 5, 0 },
};

int soak_hmetric_find(const char *key)
{
	for (int i = 0; i < SOAK_HM_N; i++)
		if (!strcmp(soak_hmetrics[i].key, key))
			return i;
	return -1;
}

static double fig(const soak_fig_t *f, char *why, size_t len)
{
	if (f->valid)
		return f->v;
	snprintf(why, len, "%s", f->why[0] ? f->why : "not measured");
	return NAN;
}

double soak_history_value(const soak_run_result_t *r, size_t m, char *why, size_t len)
{
	why[0] = '\0';
	/* A workload whose ops/s is no throughput (fragment's idle phases, a
	 * replay idle after its trace's end): no throughput figure to track. */
	bool tp = m == SOAK_HM_TP || m == SOAK_HM_TP_CPU || m == SOAK_HM_TP_DRIFT || m == SOAK_HM_TP_CV;
	if (tp && r->tp.not_rate[0]) {
		snprintf(why, len, "not a throughput: %s", r->tp.not_rate);
		return NAN;
	}
	switch (m) {
	case SOAK_HM_TP: return fig(&r->tp.mean, why, len);
	case SOAK_HM_TP_CPU: {
		/* Steady-state operations over the CPU time spent in the same window. */
		double ops = fig(&r->tp.ops, why, len);
		if (isnan(ops))
			return NAN;
		double u = fig(&r->cpu_user_s, why, len);
		double s = isnan(u) ? NAN : fig(&r->cpu_sys_s, why, len);
		if (isnan(s))
			return NAN;
		if (!(u + s > 0)) {
			snprintf(why, len, "no CPU time recorded in the steady state");
			return NAN;
		}
		return ops / (u + s);
	}
	case SOAK_HM_RSS_MEAN: return fig(&r->rss.mean, why, len);
	case SOAK_HM_RSS_PEAK: return fig(&r->rss.peak, why, len);
	case SOAK_HM_RSS_DRIFT: return fig(&r->rss.drift_pct, why, len);
	case SOAK_HM_TP_DRIFT: return fig(&r->tp.drift_pct, why, len);
	case SOAK_HM_TP_CV: return fig(&r->tp.cv_pct, why, len);
	case SOAK_HM_SC_PER_OP: return fig(&r->sc_total_per_op, why, len);
	case SOAK_HM_P99: return fig(&r->lat.p99_ns, why, len);
	case SOAK_HM_P999: return fig(&r->lat.p999_ns, why, len);
	case SOAK_HM_PF_PER_OP: return fig(&r->pf.minor_per_op, why, len);
	case SOAK_HM_LIVE_MEAN: return fig(&r->eff.live_mean, why, len);
	case SOAK_HM_OVERHEAD: return fig(&r->eff.overhead_mean, why, len);
	case SOAK_HM_OVERHEAD_DRIFT: return fig(&r->eff.overhead_drift_pct, why, len);
	case SOAK_HM_OVERHEAD_END: return fig(&r->eff.overhead_end, why, len);
	}
	snprintf(why, len, "unknown metric");
	return NAN;
}

void soak_history_night(const soak_run_t *run, char *buf, size_t len)
{
	if (run->label && *run->label)
		snprintf(buf, len, "%s", run->label);
	else if (run->started_at && strlen(run->started_at) >= 10)
		snprintf(buf, len, "%.10s", run->started_at);
	else
		snprintf(buf, len, "?");
}

static void limits_text(const soak_run_t *r, char *buf, size_t len)
{
	char m[32] = "unlimited", s[32] = "unlimited", c[32] = "unlimited";
	if (r->has_memory_max && r->memory_max != UINT64_MAX)
		snprintf(m, sizeof(m), "%.0fMiB", (double)r->memory_max / 1048576);
	if (r->has_swap_max && r->swap_max != UINT64_MAX)
		snprintf(s, sizeof(s), "%.0fMiB", (double)r->swap_max / 1048576);
	if (r->has_cpu_max)
		snprintf(c, sizeof(c), "%g%%", r->cpu_max_pct);
	snprintf(buf, len, "mem %s, swap %s, cpu %s", m, s, c);
}

static char *dup0(const char *s)
{
	return strdup(s ? s : "");
}

int soak_history_note_unfinished(soak_history_t *h, const soak_run_t *run, bool by_host_class)
{
	soak_hseries_t *s = soak_history_series(h, run, by_host_class);
	if (!s)
		return -ENOMEM;
	char night[256];
	soak_history_night(run, night, sizeof(night));
	const char *st = run->started_at ? run->started_at : "";
	if (!s->bad_night || strcmp(s->bad_night, night)) {
		if (s->bad_started && strcmp(st, s->bad_started) < 0)
			return 0;   /* an older night's: the newer one is kept */
		free(s->bad_night);
		s->bad_night = strdup(night);
		s->bad_text[0] = '\0';
		s->n_bad = 0;
		s->n_bad_interrupted = 0;
	}
	if (!s->bad_started || strcmp(st, s->bad_started) > 0) {
		free(s->bad_started);
		s->bad_started = strdup(st);
	}
	if (!s->bad_night || !s->bad_started)
		return -ENOMEM;
	size_t l = strlen(s->bad_text);
	if (l + 64 < sizeof(s->bad_text))
		snprintf(s->bad_text + l, sizeof(s->bad_text) - l, "%srun %lld %s", l ? ", " : "",
			 (long long)run->id, run->status && *run->status ? run->status : "(no status)");
	s->n_bad++;
	s->n_bad_interrupted += run->status && !strcmp(run->status, "interrupted");
	return 0;
}

int soak_history_newest_unfinished(const soak_hseries_t *s, char *buf, size_t len)
{
	if (!s->n_bad)
		return SOAK_HNIGHT_OK;
	if (s->n) {
		const soak_hpoint_t *last = &s->p[s->n - 1];
		bool later = strcmp(last->started_at, s->bad_started) > 0;
		/* The night of the last finished run is newer: the failures were
		 * an older night's, and that night's gate already said so. */
		if (strcmp(last->night, s->bad_night) && later)
			return SOAK_HNIGHT_OK;
		/* Stopped from outside (a scheduler's cancel or preemption, a
		 * signal) and run again to the end in the same night: the night is
		 * whole. A crash, an OOM kill or a timeout is never excused. */
		if (later && s->n_bad_interrupted == s->n_bad) {
			snprintf(buf, len, "newest night %s: %zu run%s interrupted and run again after (%s)",
				 s->bad_night, s->n_bad, s->n_bad == 1 ? "" : "s", s->bad_text);
			return SOAK_HNIGHT_RERUN;
		}
	}
	snprintf(buf, len, "newest night %s: %zu run%s did not end ok (%s)", s->bad_night, s->n_bad,
		 s->n_bad == 1 ? "" : "s", s->bad_text);
	return SOAK_HNIGHT_FAILED;
}

/* An open-addressing set of strings: each distinct text is held once. At
 * 10,000 runs the points' nights, labels, builds and the reasons of their
 * unmeasured metrics were about 1 KB per run as copies of a few hundred
 * distinct strings. */
struct soak_hpool {
	char **slot;
	size_t cap, n;         /* cap: a power of two, at most half full */
};

static size_t str_hash(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int pool_grow(soak_hpool_t *p)
{
	size_t cap = p->cap ? 2 * p->cap : 256;
	char **slot = calloc(cap, sizeof(*slot));
	if (!slot)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++)
		if (p->slot[i]) {
			size_t k = str_hash(p->slot[i]) & (cap - 1);
			while (slot[k])
				k = (k + 1) & (cap - 1);
			slot[k] = p->slot[i];
		}
	free(p->slot);
	p->slot = slot;
	p->cap = cap;
	return 0;
}

/* The pool's copy of s (NULL for NULL); *ok false when out of memory. */
static const char *pool_str(soak_hpool_t *p, const char *s, bool *ok)
{
	if (!s)
		return NULL;
	if (!p || (2 * (p->n + 1) > p->cap && pool_grow(p) < 0)) {
		*ok = false;
		return NULL;
	}
	size_t k = str_hash(s) & (p->cap - 1);
	for (; p->slot[k]; k = (k + 1) & (p->cap - 1))
		if (!strcmp(p->slot[k], s))
			return p->slot[k];
	if (!(p->slot[k] = strdup(s))) {
		*ok = false;
		return NULL;
	}
	p->n++;
	return p->slot[k];
}

static void pool_free(soak_hpool_t *p)
{
	for (size_t i = 0; p && i < p->cap; i++)
		free(p->slot[i]);
	if (p)
		free(p->slot);
	free(p);
}

soak_hseries_t *soak_history_series(soak_history_t *h, const soak_run_t *run, bool by_host_class)
{
	if (!h->pool && !(h->pool = calloc(1, sizeof(*h->pool))))
		return NULL;
	char lim[128], *key = NULL;
	limits_text(run, lim, sizeof(lim));
	const char *hc = run->host_class ? run->host_class : "unknown";
	if (asprintf(&key, "%s\x1f%s\x1f%s\x1f%s\x1f%s", run->workload ? run->workload : "",
		     run->workload_args ? run->workload_args : "", run->allocator_name ? run->allocator_name : "",
		     lim, by_host_class ? hc : "*") < 0)
		return NULL;
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->s[i].key, key)) {
			free(key);
			return &h->s[i];
		}
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 8;
		soak_hseries_t *ns = realloc(h->s, cap * sizeof(*ns));
		if (!ns) {
			free(key);
			return NULL;
		}
		h->s = ns;
		h->cap = cap;
	}
	soak_hseries_t *s = &h->s[h->n];
	memset(s, 0, sizeof(*s));
	s->pool = h->pool;
	s->key = key;
	s->workload = dup0(run->workload);
	s->workload_args = dup0(run->workload_args);
	s->allocator = dup0(run->allocator_name);
	s->limits = strdup(lim);
	s->host_class = strdup(by_host_class ? hc : "any (--all-hosts)");
	if (!s->workload || !s->workload_args || !s->allocator || !s->limits || !s->host_class)
		return NULL;   /* the caller fails; soak_history_free frees what is there */
	h->n++;
	return s;
}

static int add_point(soak_hseries_t *s, const soak_run_t *run);

char *soak_history_summary_encode(const soak_hpoint_t *p)
{
	cJSON *j = cJSON_CreateObject();
	bool ok = j && cJSON_AddStringToObject(j, "computed_by", SOAK_VERSION " " SOAK_GIT_REV);
	for (size_t m = 0; ok && m < SOAK_HM_N; m++) {
		char k[96];
		snprintf(k, sizeof(k), "%s_why", soak_hmetrics[m].key);
		/* %.17g: exact round trip (cJSON's own printing keeps 15 digits). */
		char num[40];
		snprintf(num, sizeof(num), "%.17g", p->v[m]);
		ok = isfinite(p->v[m]) ? cJSON_AddRawToObject(j, soak_hmetrics[m].key, num) != NULL
				       : cJSON_AddStringToObject(j, k, p->why[m] ? p->why[m] : "not measured") != NULL;
		snprintf(k, sizeof(k), "%s_res", soak_hmetrics[m].key);
		if (ok && p->res[m] > 0)
			ok = cJSON_AddNumberToObject(j, k, p->res[m]) != NULL;
	}
	char *out = ok ? cJSON_PrintUnformatted(j) : NULL;
	cJSON_Delete(j);
	return out;
}

int soak_history_add_summary(soak_hseries_t *s, const soak_run_t *run, const char *json)
{
	cJSON *j = cJSON_Parse(json);
	const cJSON *by = cJSON_GetObjectItemCaseSensitive(j, "computed_by");
	if (!cJSON_IsString(by) || strcmp(by->valuestring, SOAK_VERSION " " SOAK_GIT_REV)) {
		cJSON_Delete(j);
		return -EINVAL;
	}
	double v[SOAK_HM_N], res[SOAK_HM_N];
	const char *why[SOAK_HM_N];
	for (size_t m = 0; m < SOAK_HM_N; m++) {
		char k[96];
		snprintf(k, sizeof(k), "%s_res", soak_hmetrics[m].key);
		const cJSON *rj = cJSON_GetObjectItemCaseSensitive(j, k);
		res[m] = cJSON_IsNumber(rj) && rj->valuedouble > 0 ? rj->valuedouble : 0;
		snprintf(k, sizeof(k), "%s_why", soak_hmetrics[m].key);
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, soak_hmetrics[m].key);
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, k);
		v[m] = cJSON_IsNumber(x) ? x->valuedouble : NAN;
		why[m] = cJSON_IsString(w) ? w->valuestring : NULL;
		if (isnan(v[m]) && !why[m]) {
			cJSON_Delete(j);
			return -EINVAL;
		}
	}
	int r = add_point(s, run);
	bool ok = true;
	for (size_t m = 0; r == 0 && m < SOAK_HM_N; m++) {
		soak_hpoint_t *p = &s->p[s->n - 1];
		p->v[m] = v[m];
		p->res[m] = res[m];
		if (isnan(v[m]) && !(p->why[m] = pool_str(s->pool, why[m], &ok)))
			r = -ENOMEM;
	}
	cJSON_Delete(j);
	return r;
}

int soak_history_add(soak_hseries_t *s, const soak_run_t *run, const soak_run_result_t *res)
{
	int r = add_point(s, run);
	if (r < 0)
		return r;
	soak_hpoint_t *p = &s->p[s->n - 1];
	for (size_t m = 0; m < SOAK_HM_N; m++) {
		char why[SOAK_WHY_MAX];
		p->v[m] = soak_history_value(res, m, why, sizeof(why));
		bool ok = true;
		if (isnan(p->v[m]) && !(p->why[m] = pool_str(s->pool, why, &ok)))
			return -ENOMEM;
		/* A latency quantile is read from a histogram: no finer than its
		 * bucket at that value, or the clock's tick. */
		if ((m == SOAK_HM_P99 || m == SOAK_HM_P999) && isfinite(p->v[m]))
			p->res[m] = soak_lat_resolution_ns(res->lat.hist, p->v[m]);
	}
	return 0;
}

static int add_point(soak_hseries_t *s, const soak_run_t *run)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		soak_hpoint_t *np = realloc(s->p, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		s->p = np;
		s->cap = cap;
	}
	soak_hpoint_t *p = &s->p[s->n];
	memset(p, 0, sizeof(*p));
	char night[256];
	soak_history_night(run, night, sizeof(night));
	bool ok = true;
	p->run_id = run->id;
	p->uuid = dup0(run->uuid);
	p->label = pool_str(s->pool, run->label, &ok);
	p->night = pool_str(s->pool, night, &ok);
	p->started_at = dup0(run->started_at);
	p->build_path = pool_str(s->pool, run->allocator_path, &ok);
	p->build_sha256 = pool_str(s->pool, run->allocator_sha256, &ok);
	p->has_build_file = run->has_allocator_file;
	p->build_size = run->allocator_size;
	p->build_mtime = run->allocator_mtime;
	s->n++;
	for (size_t m = 0; m < SOAK_HM_N; m++)
		p->v[m] = NAN;
	if (!ok || !p->uuid || !p->night || !p->started_at)
		return -ENOMEM;
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median of metric m over the points of night in s (NAN when none). */
static double night_median(const soak_hseries_t *s, const char *night, size_t m, double *tmp)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->p[i].night, night) && isfinite(s->p[i].v[m]))
			tmp[k++] = s->p[i].v[m];
	if (!k)
		return NAN;
	qsort(tmp, k, sizeof(*tmp), cmp_d);
	return k % 2 ? tmp[k / 2] : (tmp[k / 2 - 1] + tmp[k / 2]) / 2;
}

static bool same_cell(const soak_hseries_t *a, const soak_hseries_t *b)
{
	return !strcmp(a->workload, b->workload) && !strcmp(a->workload_args, b->workload_args) &&
	       !strcmp(a->limits, b->limits) && !strcmp(a->host_class, b->host_class);
}

int soak_history_relative(soak_history_t *h, const char *ref)
{
	snprintf(h->relative_to, sizeof(h->relative_to), "%s", ref);
	for (size_t i = 0; i < h->n; i++)
		h->s[i].is_reference = !strcmp(h->s[i].allocator, ref);
	for (size_t i = 0; i < h->n; i++) {
		soak_hseries_t *s = &h->s[i];
		if (s->is_reference)
			continue;
		const soak_hseries_t *r = NULL;
		for (size_t j = 0; j < h->n && !r; j++)
			if (h->s[j].is_reference && same_cell(&h->s[j], s))
				r = &h->s[j];
		double *tmp = malloc((r ? r->n : 0) * sizeof(*tmp) + sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		for (size_t k = 0; k < s->n; k++)
			for (size_t m = 0; m < SOAK_HM_N; m++) {
				soak_hpoint_t *p = &s->p[k];
				if (!isfinite(p->v[m]))
					continue;
				double b = r && m != SOAK_HM_RSS_DRIFT && m != SOAK_HM_TP_DRIFT
						   ? night_median(r, p->night, m, tmp) : NAN;
				char why[SOAK_WHY_MAX] = "";
				if (m == SOAK_HM_RSS_DRIFT || m == SOAK_HM_TP_DRIFT)
					snprintf(why, sizeof(why), "a drift (%%, around 0) has no ratio: see the absolute history");
				else if (!r)
					snprintf(why, sizeof(why), "no %s series with this workload, limits and host class", ref);
				else if (isnan(b))
					snprintf(why, sizeof(why), "no %s value in night %s", ref, p->night);
				else if (b == 0)
					snprintf(why, sizeof(why), "%s is 0 in night %s", ref, p->night);
				if (why[0]) {
					p->v[m] = NAN;
					bool ok = true;
					if (!(p->why[m] = pool_str(s->pool, why, &ok))) {
						free(tmp);
						return -ENOMEM;
					}
				} else {
					p->v[m] /= b;
				}
			}
		free(tmp);
	}
	return 0;
}

static int analyse_one(soak_hseries_t *s, const soak_cp_opts_t *o, bool rel)
{
	if (s->is_reference)
		return 0;
	double *x = malloc((s->n + 1) * sizeof(*x));
	size_t *at = malloc((s->n + 1) * sizeof(*at));
	if (!x || !at) {
		free(x);
		free(at);
		return -ENOMEM;
	}
	const char *newest = s->n ? s->p[s->n - 1].night : "";
	int r = 0;
	for (size_t m = 0; m < SOAK_HM_N && r == 0; m++) {
		size_t k = 0;
		s->resolution[m] = 0;
		for (size_t i = 0; i < s->n; i++)
			if (isfinite(s->p[i].v[m])) {
				x[k] = s->p[i].v[m];
				at[k++] = i;
				s->resolution[m] = fmax(s->resolution[m], s->p[i].res[m]);
			}
		s->valid[m] = k;
		soak_cp_t *cp = NULL;
		size_t ncp = 0;
		soak_cp_opts_t mo = *o;
		mo.min_rel = soak_hmetrics[m].min_pct / 100;
		mo.min_abs = soak_hmetrics[m].min_abs;
		/* A ratio to the reference (--relative-to) has no unit: only the
		 * relative minimum applies. */
		if (rel)
			mo.min_abs = 0;
		/* Nor is a change the instrument cannot see (compare and gate:
		 * "below resolution"). */
		else
			mo.min_abs = fmax(mo.min_abs, s->resolution[m]);
		if ((r = soak_cp_find_window(x, k, &mo, &cp, &ncp)) < 0)
			break;
		if (ncp) {
			soak_hchange_t *nc = realloc(s->cps, (s->n_cps + ncp) * sizeof(*nc));
			if (!nc) {
				free(cp);
				r = -ENOMEM;
				break;
			}
			s->cps = nc;
			for (size_t j = 0; j < ncp; j++) {
				soak_hchange_t *c = &s->cps[s->n_cps++];
				c->metric = m;
				c->cp = cp[j];
				c->point = at[cp[j].index];
				double d = cp[j].mean_after - cp[j].mean_before;
				c->regression = soak_hmetrics[m].better > 0 ? d < 0 : d > 0;
				c->newest_night = !strcmp(s->p[c->point].night, newest);
			}
		}
		free(cp);
	}
	free(x);
	free(at);
	return r;
}

int soak_history_analyse(soak_history_t *h, const soak_cp_opts_t *o)
{
	if (o)
		h->cp = *o;
	for (size_t i = 0; i < h->n; i++) {
		int r = analyse_one(&h->s[i], &h->cp, h->relative_to[0] != '\0');
		if (r < 0)
			return r;
	}
	return 0;
}

void soak_history_free(soak_history_t *h)
{
	for (size_t i = 0; i < h->n; i++) {
		soak_hseries_t *s = &h->s[i];
		for (size_t j = 0; j < s->n; j++) {
			soak_hpoint_t *p = &s->p[j];
			free(p->uuid);
			free(p->started_at);
		}
		free(s->p);
		free(s->cps);
		free(s->key);
		free(s->workload);
		free(s->workload_args);
		free(s->allocator);
		free(s->limits);
		free(s->host_class);
		free(s->bad_night);
		free(s->bad_started);
	}
	free(h->s);
	pool_free(h->pool);
	memset(h, 0, sizeof(*h));
}
