/* gate.c - thresholds (INI) and the evaluation of each run against them; see
 * gate.h. The baseline checks: gate-baseline.c. Outputs: gate-emit.c and
 * emit-junit.c. */
#include "gate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emit.h"
#include "gate-internal.h"
#include "soak/ini.h"
#include "soak/parse.h"

#define MIB (1024.0 * 1024.0)

const char *const soak_gate_metric_names[SOAK_GM_N] = {
	[SOAK_GM_STATUS] = "status",
	[SOAK_GM_RSS_DRIFT] = "rss_drift",
	[SOAK_GM_TP_DRIFT] = "tp_drift",
	[SOAK_GM_CV] = "cv",
	[SOAK_GM_SYSCALLS] = "syscalls_per_op",
	[SOAK_GM_THROUGHPUT] = "throughput",
	[SOAK_GM_PEAK_RSS] = "peak_rss",
	[SOAK_GM_LATENCY_P99] = "latency_p99",
	[SOAK_GM_OVERHEAD_DRIFT] = "overhead_drift",
};

static const char *const known_status[] = {
	"ok", "crashed", "oom-killed", "timed-out", "interrupted", "incomplete", "failed",
	"allocator-mismatch", "verify-failed",
};

void soak_gate_limits_default(soak_gate_limits_t *l)
{
	memset(l, 0, sizeof(*l));
	/* The targets of the hakmem soak report this suite automates: RSS drift
	 * < +5%, throughput drift > -5%, syscall budget < 1e-7/op ("acceptable");
	 * CV ~1-2% was its observation on a quiet machine, so the gate allows 5%
	 * before calling a run unstable. */
	l->rss_drift_max_pct = 5;
	l->tp_drift_min_pct = -5;
	l->syscalls_per_op_max = SOAK_GRADE_ACCEPTABLE_PER_OP;
	l->cv_max_pct = 5;
	l->overhead_drift_max_pct = l->rss_drift_max_pct;
	snprintf(l->status, sizeof(l->status), "ok");
	l->baseline_tp_loss_max_pct = 2;
	l->baseline_peak_rss_growth_max_pct = 10;
	l->baseline_p99_growth_max_pct = 10;
	l->alpha = SOAK_VERDICT_ALPHA;
	l->require = 1u << SOAK_GM_RSS_DRIFT | 1u << SOAK_GM_TP_DRIFT | 1u << SOAK_GM_THROUGHPUT;
}

/* ---- the thresholds file ---- */

enum key {
	K_RSS_DRIFT, K_TP_DRIFT, K_SYSCALLS, K_CV, K_STATUS, K_BL_TP, K_BL_RSS, K_BL_P99,
	K_ALPHA, K_REQUIRE, K_OVERHEAD, K_N
};

static const char *const key_names[K_N] = {
	"rss_drift_max_pct", "tp_drift_min_pct", "syscalls_per_op_max", "cv_max_pct", "status",
	"baseline_tp_loss_max_pct", "baseline_peak_rss_growth_max_pct",
	"baseline_p99_growth_max_pct", "alpha", "require", "overhead_drift_max_pct",
};

typedef struct {
	char workload[64];           /* "" = [gate] */
	soak_gate_limits_t l;
	unsigned set;                /* bit per enum key */
} section_t;

struct soak_gate_thresholds {
	char source[PATH_MAX];
	section_t *s;
	size_t n;
};

typedef struct {
	soak_gate_thresholds_t *t;
	bool (*known)(const char *workload);   /* NULL: any [gate.NAME] */
	char err[512];
	int rc;
} parse_t;

__attribute__((format(printf, 2, 3)))
static int parse_fail(parse_t *p, const char *fmt, ...)
{
	if (!p->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, sizeof(p->err), fmt, ap);
		va_end(ap);
		p->rc = -EINVAL;
	}
	return -EINVAL;
}

static section_t *section_get(parse_t *p, const char *workload)
{
	soak_gate_thresholds_t *t = p->t;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].workload, workload))
			return &t->s[i];
	section_t *s = realloc(t->s, (t->n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	t->s = s;
	s = &t->s[t->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->workload, sizeof(s->workload), "%s", workload);
	return s;
}

/* A number, optionally with a trailing '%' for *_pct keys, or off/none. */
static int parse_number(const char *v, bool pct, double *ret)
{
	if (!strcasecmp(v, "off") || !strcasecmp(v, "none")) {
		*ret = NAN;
		return 0;
	}
	/* Decimal only: strtod would also read hexadecimal (0x10 = 16). */
	if (strpbrk(v, "xXpP"))
		return -EINVAL;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || errno)
		return -EINVAL;
	if (pct && *end == '%')
		end++;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end || !isfinite(d))
		return -EINVAL;
	*ret = d;
	return 0;
}

/* Splits a comma/space separated list; calls fn per token (0 = ok). */
static int each_token(const char *v, int (*fn)(const char *tok, void *arg), void *arg)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", v);
	char *save = NULL;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		int r = fn(t, arg);
		if (r)
			return r;
	}
	return 0;
}

struct tok_ctx {
	unsigned mask;
	char bad[64];
};

static int status_tok(const char *t, void *arg)
{
	struct tok_ctx *c = arg;
	for (size_t i = 0; i < sizeof(known_status) / sizeof(known_status[0]); i++)
		if (!strcmp(t, known_status[i]))
			return 0;
	snprintf(c->bad, sizeof(c->bad), "%s", t);
	return -1;
}

static int require_tok(const char *t, void *arg)
{
	struct tok_ctx *c = arg;
	for (int i = 0; i < SOAK_GM_N; i++)
		if (!strcmp(t, soak_gate_metric_names[i])) {
			c->mask |= 1u << i;
			return 0;
		}
	snprintf(c->bad, sizeof(c->bad), "%s", t);
	return -1;
}

static int ini_entry(parse_t *p, const char *section, const char *key, const char *value);

static int ini_cb(void *user, const char *section, const char *key, const char *value, int line,
		  char *err, size_t errlen)
{
	(void)line;
	parse_t *p = user;
	p->err[0] = '\0';
	int r = ini_entry(p, section, key, value);
	if (r < 0)
		snprintf(err, errlen, "%s", p->err);
	return r;
}

static int ini_entry(parse_t *p, const char *section, const char *key, const char *value)
{
	const char *wl;
	if (!strcmp(section, "gate"))
		wl = "";
	else if (!strncmp(section, "gate.", 5) && section[5])
		wl = section + 5;
	else if (!strncmp(section, "allocator.", 10) || !strncmp(section, "suite.", 6))
		return 0;   /* a soak.ini may hold the allocator registry and suites too */
	else if (!section[0])
		return parse_fail(p, "key '%s' is outside a section: put it under [gate]", key);
	else
		return parse_fail(p, "unknown section [%s] (known: [gate], [gate.WORKLOAD])", section);
	if (!key && wl[0] && p->known && !p->known(wl))
		return parse_fail(p, "[%s] names no workload (soakctl workloads lists them; exec is one too): "
				  "its thresholds would never apply", section);
	if (!key)
		return 0;   /* a section header: checked above */
	section_t *s = section_get(p, wl);
	if (!s) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return -ENOMEM;
	}
	int k = 0;
	while (k < K_N && strcmp(key, key_names[k]))
		k++;
	if (k == K_N)
		return parse_fail(p, "unknown key '%s' in [%s] (known: rss_drift_max_pct, "
				  "tp_drift_min_pct, syscalls_per_op_max, cv_max_pct, status, "
				  "baseline_tp_loss_max_pct, baseline_peak_rss_growth_max_pct, "
				  "baseline_p99_growth_max_pct, alpha, require, overhead_drift_max_pct)", key, section);
	soak_gate_limits_t *l = &s->l;
	struct tok_ctx tc = { 0 };
	double d;
	switch (k) {
	case K_STATUS:
		if (!strcasecmp(value, "off") || !strcasecmp(value, "none") || !*value) {
			l->status[0] = '\0';
			break;
		}
		if (each_token(value, status_tok, &tc))
			return parse_fail(p, "key 'status' in [%s]: unknown status '%s' (known: ok, "
					  "crashed, oom-killed, timed-out, interrupted, incomplete, "
					  "failed, allocator-mismatch, verify-failed, or off)", section, tc.bad);
		snprintf(l->status, sizeof(l->status), "%s", value);
		break;
	case K_REQUIRE:
		if (strcasecmp(value, "none") && each_token(value, require_tok, &tc))
			return parse_fail(p, "key 'require' in [%s]: unknown metric '%s' (known: "
					  "status, rss_drift, tp_drift, cv, syscalls_per_op, throughput, "
					  "peak_rss, latency_p99, overhead_drift, or none)", section, tc.bad);
		l->require = tc.mask;
		break;
	default: {
		bool pct = strstr(key, "_pct") != NULL;
		if (parse_number(value, pct, &d) < 0)
			return parse_fail(p, "key '%s' in [%s]: '%s' is not a number (or off)", key, section, value);
		bool neg_ok = k == K_TP_DRIFT || k == K_RSS_DRIFT || k == K_OVERHEAD;
		if (!isnan(d) && !neg_ok && d < 0)
			return parse_fail(p, "key '%s' in [%s]: %s must not be negative", key,
					  section, value);
		if (k == K_ALPHA && !(d > 0 && d <= 0.5))
			return parse_fail(p, "key 'alpha' in [%s]: %s is not in (0, 0.5]", section, value);
		double *dst[] = { [K_RSS_DRIFT] = &l->rss_drift_max_pct,
				  [K_TP_DRIFT] = &l->tp_drift_min_pct,
				  [K_SYSCALLS] = &l->syscalls_per_op_max, [K_CV] = &l->cv_max_pct,
				  [K_BL_TP] = &l->baseline_tp_loss_max_pct,
				  [K_BL_RSS] = &l->baseline_peak_rss_growth_max_pct,
				  [K_BL_P99] = &l->baseline_p99_growth_max_pct,
				  [K_ALPHA] = &l->alpha, [K_OVERHEAD] = &l->overhead_drift_max_pct };
		*dst[k] = d;
	}
	}
	s->set |= 1u << k;
	return 0;
}

int soak_gate_thresholds_load(const char *path, soak_gate_thresholds_t **ret, char *err,
			      size_t errlen)
{
	return soak_gate_thresholds_load_known(path, NULL, ret, err, errlen);
}

int soak_gate_thresholds_load_known(const char *path, bool (*known)(const char *workload),
				    soak_gate_thresholds_t **ret, char *err, size_t errlen)
{
	soak_gate_thresholds_t *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (!path) {
		snprintf(t->source, sizeof(t->source), "%s",
			 "built-in defaults (RSS drift <= +5%, throughput drift >= -5%, CV <= 5%, "
			 "syscalls <= 1e-7/op, status ok)");
		*ret = t;
		return 0;
	}
	snprintf(t->source, sizeof(t->source), "%s", path);
	parse_t p = { .t = t, .known = known };
	int rc = soak_ini_parse_file(path, ini_cb, &p, err, errlen);
	if (rc == 0) {
		*ret = t;
		return 0;
	}
	soak_gate_thresholds_free(t);
	return rc;
}

void soak_gate_thresholds_free(soak_gate_thresholds_t *t)
{
	if (!t)
		return;
	free(t->s);
	free(t);
}

const char *soak_gate_thresholds_source(const soak_gate_thresholds_t *t)
{
	return t->source;
}

static void overlay(soak_gate_limits_t *l, const section_t *s)
{
	const soak_gate_limits_t *o = &s->l;
	if (s->set & 1u << K_RSS_DRIFT) l->rss_drift_max_pct = o->rss_drift_max_pct;
	if (s->set & 1u << K_TP_DRIFT) l->tp_drift_min_pct = o->tp_drift_min_pct;
	if (s->set & 1u << K_SYSCALLS) l->syscalls_per_op_max = o->syscalls_per_op_max;
	if (s->set & 1u << K_CV) l->cv_max_pct = o->cv_max_pct;
	if (s->set & 1u << K_STATUS) memcpy(l->status, o->status, sizeof(l->status));
	if (s->set & 1u << K_BL_TP) l->baseline_tp_loss_max_pct = o->baseline_tp_loss_max_pct;
	if (s->set & 1u << K_BL_RSS)
		l->baseline_peak_rss_growth_max_pct = o->baseline_peak_rss_growth_max_pct;
	if (s->set & 1u << K_BL_P99) l->baseline_p99_growth_max_pct = o->baseline_p99_growth_max_pct;
	if (s->set & 1u << K_ALPHA) l->alpha = o->alpha;
	if (s->set & 1u << K_REQUIRE) l->require = o->require;
	if (s->set & 1u << K_OVERHEAD) {
		l->overhead_drift_max_pct = o->overhead_drift_max_pct;
		l->overhead_drift_set = true;
	}
	/* Unless given, overhead drift follows the RSS drift target. */
	if (!l->overhead_drift_set)
		l->overhead_drift_max_pct = l->rss_drift_max_pct;
}

void soak_gate_thresholds_for(const soak_gate_thresholds_t *t, const char *workload,
			      soak_gate_limits_t *ret)
{
	soak_gate_limits_default(ret);
	for (size_t i = 0; i < t->n; i++)
		if (!t->s[i].workload[0])
			overlay(ret, &t->s[i]);
	for (size_t i = 0; workload && i < t->n; i++)
		if (t->s[i].workload[0] && !strcmp(t->s[i].workload, workload))
			overlay(ret, &t->s[i]);
}

/* ---- evaluation ---- */

const char *soak_check_state_name(soak_check_state_t s)
{
	switch (s) {
	case SOAK_CHECK_PASS: return "PASS";
	case SOAK_CHECK_FAIL: return "FAIL";
	case SOAK_CHECK_SKIP: return "SKIP";
	case SOAK_CHECK_UNDECIDED: return "UNDECIDED";
	default: return "ERROR";
	}
}

soak_check_t *soak_gate_add_check(soak_gate_run_t *gr, const char *name, soak_gate_metric_t m)
{
	soak_check_t *c = realloc(gr->checks, (gr->n + 1) * sizeof(*c));
	if (!c)
		return NULL;
	gr->checks = c;
	c = &gr->checks[gr->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->metric, sizeof(c->metric), "%s", soak_gate_metric_names[m]);
	return c;
}

void soak_gate_set_state(soak_check_t *c, soak_check_state_t st, const char *fmt, ...)
{
	va_list ap;
	c->state = st;
	va_start(ap, fmt);
	vsnprintf(c->message, sizeof(c->message), fmt, ap);
	va_end(ap);
}

/* A run that lost samples is not a complete result, whatever its status. */
bool soak_gate_run_ok(const soak_run_result_t *r)
{
	return r->run.status && !strcmp(r->run.status, "ok") && r->run.samples_lost <= 0;
}

static bool status_accepted(const char *list, const char *status)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", list);
	char *save = NULL;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
		if (status && !strcmp(t, status))
			return true;
	return false;
}

static void status_check(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l)
{
	char st[128];
	const char *status = r->run.status ? r->run.status : "unknown";
	soak_fmt_status(&r->run, st, sizeof(st));
	snprintf(c->value, sizeof(c->value), "%s", st);
	snprintf(c->threshold, sizeof(c->threshold), "%s", l->status);
	/* An accepted status with lost samples still fails: the run's
	 * figures have a gap. A status that fails anyway names itself first. */
	if (status_accepted(l->status, status) && r->run.samples_lost > 0) {
		snprintf(c->type, sizeof(c->type), "samples-lost");
		soak_gate_set_state(c, SOAK_CHECK_FAIL, "SAMPLES LOST: %lld samples the run took could not be stored in the "
			  "database, so its figures have a gap%s%s", (long long)r->run.samples_lost,
			  r->run.message ? ": " : "", r->run.message ? r->run.message : "");
		return;
	}
	if (status_accepted(l->status, status)) {
		soak_gate_set_state(c, SOAK_CHECK_PASS, "status %s (accepted: %s)", st, l->status);
		return;
	}
	/* Each way a run can end badly is its own verdict, named in the type. */
	snprintf(c->type, sizeof(c->type), "%s", status);
	const char *why = "";
	if (!strcmp(status, "oom-killed"))
		why = "OOM-KILLED: the kernel's OOM killer ended the worker at its cgroup memory limit";
	else if (!strcmp(status, "crashed"))
		why = "CRASHED: the worker died of a signal";
	else if (!strcmp(status, "timed-out"))
		why = "TIMED OUT: the worker ignored the stop request and was killed";
	else if (!strcmp(status, "interrupted"))
		why = "INTERRUPTED: the runner was stopped before the run ended";
	else if (!strcmp(status, "incomplete"))
		why = "INCOMPLETE: the runner died during the run";
	char lim[48] = "";
	if (!strcmp(status, "oom-killed") && r->run.has_memory_max && r->run.memory_max != UINT64_MAX) {
		char b[32];
		snprintf(lim, sizeof(lim), " (memory.max %s)",
			 soak_fmt_bytes((double)r->run.memory_max, b, sizeof(b)));
	}
	soak_gate_set_state(c, SOAK_CHECK_FAIL, "status %s is not accepted (accepted: %s)%s%s%s%s%s", st,
		  l->status, why[0] ? ": " : "", why, lim, r->run.message ? "; " : "",
		  r->run.message ? r->run.message : "");
}

/* An unavailable metric: an error when required (and the run ended ok, else
 * the status check already says what went wrong), otherwise skipped. */
void soak_gate_unavailable(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l,
			   soak_gate_metric_t m, const char *what, const char *why)
{
	snprintf(c->value, sizeof(c->value), "unavailable");
	snprintf(c->type, sizeof(c->type), "unavailable");
	if (!soak_gate_run_ok(r)) {
		soak_gate_set_state(c, SOAK_CHECK_SKIP, "%s unavailable (%s); the run ended %s", what, why,
			  r->run.status ? r->run.status : "unknown");
		return;
	}
	if (l->require & 1u << m)
		soak_gate_set_state(c, SOAK_CHECK_ERROR, "cannot evaluate: required metric %s unavailable (%s)",
			  what, why);
	else
		soak_gate_set_state(c, SOAK_CHECK_SKIP, "%s unavailable (%s); not required", what, why);
}

static void limit_check(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l,
			soak_gate_metric_t m, const char *what, const soak_fig_t *f, double thr,
			bool is_max, const char *fmt)
{
	if (!f->valid) {
		soak_gate_unavailable(c, r, l, m, c->metric, f->why);
		return;
	}
	char v[48], t[48];
	snprintf(v, sizeof(v), fmt, f->v);
	snprintf(t, sizeof(t), fmt, thr);
	snprintf(c->value, sizeof(c->value), "%s", v);
	snprintf(c->threshold, sizeof(c->threshold), "%s %s", is_max ? "<=" : ">=", t);
	bool pass = is_max ? f->v <= thr : f->v >= thr;
	if (pass) {
		soak_gate_set_state(c, SOAK_CHECK_PASS, "%s %s %s %s %s", what, v, is_max ? "<=" : ">=",
			  is_max ? "max" : "min", t);
		return;
	}
	snprintf(c->type, sizeof(c->type), "threshold");
	soak_gate_set_state(c, SOAK_CHECK_FAIL, "%s %s %s %s %s (metric %s)", what, v, is_max ? ">" : "<",
		  is_max ? "max" : "min", t, c->metric);
}

/* Throughput CV (is_cv) or throughput drift judged against the host's noise
 * floor (soakctl calibrate at the run's interval; docs/compare-gate.md):
 * - the floor alone at or beyond the threshold: "cannot evaluate: host too
 *   noisy" (error, exit 2), never a FAIL that blames the allocator;
 * - CV: the excess CV, sqrt(CV^2 - floor^2) (independent noise adds in
 *   variance), against the maximum;
 * - drift (a minimum, e.g. >= -5%): the drift may fall short of it by the
 *   floor's own |drift|;
 * - no floor measured: the plain threshold, and the message says so. */
static void noise_check(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l,
			soak_gate_metric_t m, bool is_cv, double thr)
{
	const char *what = is_cv ? "throughput CV" : "throughput drift";
	if (r->tp.not_rate[0]) {
		snprintf(c->value, sizeof(c->value), "not applicable");
		snprintf(c->type, sizeof(c->type), "not_applicable");
		soak_gate_set_state(c, SOAK_CHECK_SKIP, "%s not applicable: %s", what, r->tp.not_rate);
		return;
	}
	const soak_fig_t *f = is_cv ? &r->tp.cv_pct : &r->tp.drift_pct;
	const soak_floor_t *fl = &r->floor;
	const soak_fig_t *ff = is_cv ? &fl->cv_pct : &fl->drift_pct;
	if (!f->valid || !fl->have || fl->stale || !ff->valid) {
		limit_check(c, r, l, m, what, f, thr, is_cv, is_cv ? "%.2f%%" : "%+.2f%%");
		if (c->state == SOAK_CHECK_FAIL || c->state == SOAK_CHECK_PASS) {
			size_t n = strlen(c->message);
			snprintf(c->message + n, sizeof(c->message) - n, "; %s",
				 fl->have && !fl->stale && f->valid ? ff->why : fl->desc);
		}
		return;
	}
	char v[48], t[48], fv[48];
	snprintf(v, sizeof(v), is_cv ? "%.2f%%" : "%+.2f%%", f->v);
	snprintf(t, sizeof(t), is_cv ? "%.2f%%" : "%+.2f%%", thr);
	snprintf(fv, sizeof(fv), is_cv ? "%.2f%%" : "%+.2f%%", ff->v);
	snprintf(c->value, sizeof(c->value), "%s (host floor %s)", v, fv);
	double floor_mag = fabs(ff->v);
	if (floor_mag >= fabs(thr)) {
		snprintf(c->threshold, sizeof(c->threshold), "%s %s", is_cv ? "<=" : ">=", t);
		snprintf(c->type, sizeof(c->type), "host_noise");
		soak_gate_set_state(c, SOAK_CHECK_ERROR, "cannot evaluate: host too noisy (control %s %s at %g s, "
			  "threshold %s; %s): %s %s says nothing about the allocator",
			  is_cv ? "CV" : "drift", fv, fl->n.interval_s, t, fl->desc, what, v);
		return;
	}
	/* A value that fails the plain limit and passes only because of the
	 * floor is trusted only when what is left for the allocator is at least
	 * the host's own share: a floor just under the limit must not turn a
	 * clear failure into a pass. */
	double own = is_cv ? fl->excess_cv_pct.v : fabs(f->v) - floor_mag;
	bool rescued = is_cv ? f->v > thr && own <= thr : f->v < thr && f->v >= thr - floor_mag;
	if (rescued && floor_mag > own) {
		snprintf(c->threshold, sizeof(c->threshold), "%s %s", is_cv ? "<=" : ">=", t);
		snprintf(c->type, sizeof(c->type), "host_noise");
		soak_gate_set_state(c, SOAK_CHECK_ERROR, "cannot evaluate: %s %s is beyond %s and passes only "
			  "through the host's floor %s (%s), which is larger than the %.2f%% left for the "
			  "allocator; calibrate on a quieter host or at a longer interval", what, v, t, fv,
			  fl->desc, own);
		return;
	}
	if (is_cv) {
		const soak_fig_t *x = &fl->excess_cv_pct;
		snprintf(c->threshold, sizeof(c->threshold), "excess <= %s", t);
		if (x->v <= thr) {
			soak_gate_set_state(c, SOAK_CHECK_PASS, "throughput CV %s, host floor %s (%s): excess CV %.2f%% <= max %s",
				  v, fv, fl->desc, x->v, t);
			return;
		}
		snprintf(c->type, sizeof(c->type), "threshold");
		soak_gate_set_state(c, SOAK_CHECK_FAIL, "throughput CV %s, host floor %s (%s): excess CV %.2f%% = "
			  "sqrt(CV^2 - floor^2) > max %s (metric %s)", v, fv, fl->desc, x->v, t, c->metric);
		return;
	}
	double allowed = thr - floor_mag;
	snprintf(c->threshold, sizeof(c->threshold), ">= %s - |floor| = %+.2f%%", t, allowed);
	if (f->v >= allowed) {
		soak_gate_set_state(c, SOAK_CHECK_PASS, "throughput drift %s >= min %s less the host's drift %s (%s)", v, t, fv,
			  fl->desc);
		return;
	}
	snprintf(c->type, sizeof(c->type), "threshold");
	soak_gate_set_state(c, SOAK_CHECK_FAIL, "throughput drift %s < min %s less the host's own drift %s = %+.2f%% "
		  "(%s; metric %s)", v, t, fv, allowed, fl->desc, c->metric);
}

void soak_gate_fmt_metric(soak_gate_metric_t m, double v, char *buf, size_t len)
{
	char b[32];
	if (m == SOAK_GM_THROUGHPUT)
		snprintf(buf, len, "%.3f M ops/s", v / 1e6);
	else if (m == SOAK_GM_PEAK_RSS)
		snprintf(buf, len, "%.2f MiB", v / MIB);
	else
		snprintf(buf, len, "%s", soak_fmt_ns(v, b, sizeof(b)));
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			*s = '_';
}

/* The overhead drift, with compare's floor for memory: a change of RSS per
 * live byte worth less than 1 MiB at the live bytes of the end (a working
 * set of a few hundred KiB moves its ratio by percents) is no failure. */
static void overhead_check(soak_check_t *c, const soak_run_result_t *r, const soak_gate_limits_t *l)
{
	const soak_eff_result_t *e = &r->eff;
	limit_check(c, r, l, SOAK_GM_OVERHEAD_DRIFT, "overhead (RSS per live byte) drift", &e->overhead_drift_pct,
		    l->overhead_drift_max_pct, true, "%+.2f%%");
	if (c->state != SOAK_CHECK_FAIL || !e->overhead_first_k_mean.valid || !e->overhead_last_k_mean.valid ||
	    !e->live_last_k_mean.valid)
		return;
	double bytes = (e->overhead_last_k_mean.v - e->overhead_first_k_mean.v) * e->live_last_k_mean.v;
	if (bytes >= SOAK_GATE_OVERHEAD_MIN_BYTES)
		return;
	c->type[0] = '\0';
	soak_gate_set_state(c, SOAK_CHECK_PASS, "overhead (RSS per live byte) drift %s > max %+.2f%%, but worth "
			    "%.2f MiB at the %.2f MiB the workload holds: below the 1 MiB that counts", c->value,
			    l->overhead_drift_max_pct, bytes / MIB, e->live_last_k_mean.v / MIB);
}

/* rss_drift says whether live bytes explain the growth (result-eff.c). */
static void explain_rss(soak_check_t *c, const soak_run_result_t *r)
{
	if (!r->rss.drift_pct.valid || !r->eff.live_drift_pct.valid)
		return;
	size_t len = strlen(c->message);
	snprintf(c->message + len, sizeof(c->message) - len, "; %s", r->eff.explain);
}

static int eval_checks(soak_gate_run_t *gr, const soak_run_result_t *r, const soak_gate_limits_t *l)
{
	soak_check_t *c;
#define ADD(name, m) do { if (!(c = soak_gate_add_check(gr, name, m))) return -ENOMEM; } while (0)
	if (l->status[0]) {
		ADD("status", SOAK_GM_STATUS);
		status_check(c, r, l);
	}
	if (!isnan(l->rss_drift_max_pct)) {
		ADD("rss_drift", SOAK_GM_RSS_DRIFT);
		limit_check(c, r, l, SOAK_GM_RSS_DRIFT, "RSS drift", &r->rss.drift_pct,
			    l->rss_drift_max_pct, true, "%+.2f%%");
		explain_rss(c, r);
	}
	if (!isnan(l->overhead_drift_max_pct)) {
		ADD("overhead_drift", SOAK_GM_OVERHEAD_DRIFT);
		overhead_check(c, r, l);
	}
	if (!isnan(l->tp_drift_min_pct)) {
		ADD("tp_drift", SOAK_GM_TP_DRIFT);
		noise_check(c, r, l, SOAK_GM_TP_DRIFT, false, l->tp_drift_min_pct);
	}
	if (!isnan(l->cv_max_pct)) {
		ADD("cv", SOAK_GM_CV);
		noise_check(c, r, l, SOAK_GM_CV, true, l->cv_max_pct);
	}
	if (!isnan(l->syscalls_per_op_max)) {
		ADD("syscalls_per_op", SOAK_GM_SYSCALLS);
		limit_check(c, r, l, SOAK_GM_SYSCALLS, "syscalls per op", &r->sc_total_per_op,
			    l->syscalls_per_op_max, true, "%.2e");
	}
#undef ADD
	return 0;
}

int soak_gate_eval(soak_gate_report_t *rep, const soak_run_result_t *r,
		   const soak_gate_limits_t *l)
{
	soak_gate_run_t *runs = realloc(rep->runs, (rep->n + 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	rep->runs = runs;
	soak_gate_run_t *gr = &rep->runs[rep->n];
	memset(gr, 0, sizeof(*gr));
	gr->run_id = r->run.id;
	soak_result_name(r, gr->title, sizeof(gr->title));
	snprintf(gr->run, sizeof(gr->run), "%s-%lld",
		 r->run.allocator_name ? r->run.allocator_name : "run", (long long)r->run.id);
	sanitize(gr->run);
	snprintf(gr->workload, sizeof(gr->workload), "%s", r->run.workload ? r->run.workload : "");
	snprintf(gr->started_at, sizeof(gr->started_at), "%s", r->run.started_at ? r->run.started_at : "");
	snprintf(gr->host, sizeof(gr->host), "%s", r->run.host ? r->run.host : "");
	gr->time_s = soak_run_wall_s(&r->run);

	int rc = eval_checks(gr, r, l);
	rep->n++;
	soak_gate_count(rep, gr, 0);
	return rc;
}

void soak_gate_count(soak_gate_report_t *rep, soak_gate_run_t *gr, size_t from)
{
	for (size_t i = from; i < gr->n; i++) {
		rep->checks++;
		switch (gr->checks[i].state) {
		case SOAK_CHECK_FAIL: gr->failed++; rep->failed++; break;
		case SOAK_CHECK_ERROR: gr->errors++; rep->errors++; break;
		case SOAK_CHECK_SKIP: gr->skipped++; rep->skipped++; break;
		case SOAK_CHECK_UNDECIDED: gr->undecided++; rep->undecided++; break;
		default: break;
		}
	}
}

void soak_gate_report_free(soak_gate_report_t *rep)
{
	for (size_t i = 0; rep && i < rep->n; i++)
		free(rep->runs[i].checks);
	if (rep) {
		free(rep->runs);
		rep->runs = NULL;
		rep->n = 0;
	}
}

int soak_gate_exit_code(const soak_gate_report_t *rep)
{
	if (rep->errors)
		return 2;
	if (rep->failed)
		return 1;
	return rep->undecided ? 2 : 0;
}

int soak_gate_emit_text(FILE *f, const soak_gate_report_t *rep)
{
	fprintf(f, "gate: %zu run%s, thresholds: %s%s%s%s%s\n", rep->n, rep->n == 1 ? "" : "s",
		rep->thresholds, rep->baseline[0] ? ", baseline: " : "", rep->baseline,
		rep->family[0] ? "; " : "", rep->family);
	for (size_t i = 0; i < rep->n; i++) {
		const soak_gate_run_t *gr = &rep->runs[i];
		for (size_t j = 0; j < gr->n; j++) {
			const soak_check_t *c = &gr->checks[j];
			fprintf(f, "%-5s %s %s: %s\n", soak_check_state_name(c->state), gr->run, c->name,
				c->message);
		}
	}
	size_t passed = rep->checks - rep->failed - rep->errors - rep->skipped - rep->undecided;
	char und[64] = "";
	if (rep->undecided)
		snprintf(und, sizeof(und), ", %zu undecided", rep->undecided);
	if (rep->errors)
		fprintf(f, "ERROR: the gate cannot be evaluated: %zu check%s could not be evaluated "
			"(%zu failed, %zu passed, %zu skipped%s)\n", rep->errors, rep->errors == 1 ? "" : "s",
			rep->failed, passed, rep->skipped, und);
	else if (rep->failed)
		fprintf(f, "FAIL: %zu of %zu checks failed (%zu passed, %zu skipped%s)\n", rep->failed,
			rep->checks, passed, rep->skipped, und);
	else if (rep->undecided)
		fprintf(f, "UNDECIDED: %zu check%s undecided, none failed (%zu passed, %zu skipped): run "
			"more (gate a label with repeats)\n", rep->undecided, rep->undecided == 1 ? "" : "s",
			passed, rep->skipped);
	else
		fprintf(f, "PASS: %zu check%s passed (%zu skipped)\n", passed, passed == 1 ? "" : "s",
			rep->skipped);
	return ferror(f) ? -EIO : 0;
}
