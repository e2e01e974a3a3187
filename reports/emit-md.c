/* emit-md.c - Markdown report: tables shaped like the seed report 003
 * ("| Allocator | Mean TP (M ops/s) | First 5 avg | Last 5 avg | TP Drift | ..."),
 * one row per run, "unavailable (reason)" where a figure could not be measured. */
#include "emit.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "soak/parse.h"

#define MIB (1024.0 * 1024.0)

/* A reason repeated across one row is written once: the cells after the
 * first say "unavailable (same reason as the column to its left)". Reset at every row start (emitters run
 * on one thread). */
static char row_why[SOAK_WHY_MAX];

static void row_begin(FILE *f)
{
	row_why[0] = '\0';
	fputs("|", f);
}

__attribute__((format(printf, 2, 3)))
static void cellf(FILE *f, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	soak_md_cell(f, buf);
}

static void why_cell(FILE *f, const char *why)
{
	if (row_why[0] && !strcmp(row_why, why)) {
		soak_md_cell(f, "unavailable (same reason as the column to its left)");
		return;
	}
	snprintf(row_why, sizeof(row_why), "%s", why);
	cellf(f, "unavailable (%s)", why);
}

static void fig_cell(FILE *f, const soak_fig_t *x, const char *fmt, double scale)
{
	if (!x->valid) {
		why_cell(f, x->why);
		return;
	}
	cellf(f, fmt, x->v / scale);
}

/* Millions of ops/s with two decimals like the seed; below 1 M ops/s three
 * significant digits, so a slow workload does not print 0.00. */
static void mops_cell(FILE *f, const soak_fig_t *x)
{
	if (x->valid && fabs(x->v) < 1e6 && x->v != 0)
		fig_cell(f, x, "%.3g", 1e6);
	else
		fig_cell(f, x, "%.2f", 1e6);
}

static void ns_cell(FILE *f, const soak_fig_t *x)
{
	char b[32];
	if (!x->valid)
		why_cell(f, x->why);
	else
		soak_md_cell(f, soak_fmt_ns(x->v, b, sizeof(b)));
}

static void ci_cell(FILE *f, const soak_fig_t *lo, const soak_fig_t *hi)
{
	if (!lo->valid)
		why_cell(f, lo->why);
	else
		cellf(f, "[%+.2f, %+.2f]", lo->v, hi->v);
}

static void row_start(FILE *f, const soak_run_result_t *r)
{
	char b[160];
	row_begin(f);
	soak_md_cell(f, soak_result_name(r, b, sizeof(b)));
}

static void header(FILE *f, const char *const *cols, size_t n)
{
	fputs("|", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s |", cols[i]);
	fputs("\n|", f);
	for (size_t i = 0; i < n; i++) {
		size_t w = strlen(cols[i]);
		fputc('-', f);
		for (size_t j = 0; j < (w < 3 ? 3 : w); j++)
			fputc('-', f);
		fputs("-|", f);
	}
	fputc('\n', f);
}

#define HEADER(f, ...) do { \
	static const char *const cols_[] = { __VA_ARGS__ }; \
	header(f, cols_, sizeof(cols_) / sizeof(cols_[0])); \
} while (0)

static void status_cell(FILE *f, const soak_run_result_t *r)
{
	char b[128];
	soak_md_cell(f, soak_fmt_status(&r->run, b, sizeof(b)));
}

static void limits_text(const soak_run_t *run, char *buf, size_t len)
{
	char a[32], b[32];
	if (run->cgroup_mode && !strcmp(run->cgroup_mode, "none")) {
		snprintf(buf, len, "none (no cgroup)");
		return;
	}
	snprintf(buf, len, "mem %s, swap %s, cpu %s",
		 run->has_memory_max && run->memory_max != UINT64_MAX
			 ? soak_fmt_bytes((double)run->memory_max, a, sizeof(a)) : "unlimited",
		 run->has_swap_max && run->swap_max != UINT64_MAX
			 ? soak_fmt_bytes((double)run->swap_max, b, sizeof(b)) : "unlimited",
		 run->has_cpu_max ? "" : "unlimited");
	if (run->has_cpu_max) {
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%.0f%%", run->cpu_max_pct);
	}
	/* Where the cgroups came from (docs/cgroups.md); runs recorded before
	 * schema 2 have no placement. */
	size_t l = strlen(buf);
	if (run->cgroup_mode)
		snprintf(buf + l, len - l, " (%s%s%s)", run->cgroup_mode, run->cgroup_placement ? ", " : "",
			 run->cgroup_placement ? run->cgroup_placement : "");
}

static void runs_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Runs\n\n", f);
	HEADER(f, "Allocator", "Workload", "Label", "Status", "Started (UTC)", "Duration",
	       "Warm-up", "Samples", "Limits");
	for (size_t i = 0; i < n; i++) {
		const soak_run_t *run = &r[i].run;
		char b[160];
		row_start(f, &r[i]);
		soak_md_cell(f, run->workload ? run->workload : "?");
		soak_md_cell(f, run->label ? run->label : "");
		status_cell(f, &r[i]);
		soak_md_cell(f, run->started_at ? run->started_at : "?");
		if (r[i].elapsed_s.valid)
			soak_md_cell(f, soak_fmt_duration(r[i].elapsed_s.v, b, sizeof(b)));
		else
			why_cell(f, r[i].elapsed_s.why);
		if (r[i].warmup.automatic && !r[i].warmup.found)
			soak_md_cell(f, "not found");
		else
			cellf(f, "%s%s", soak_fmt_duration(r[i].warmup_s, b, sizeof(b)),
			      r[i].warmup.automatic ? " (MSER-5)" : "");
		cellf(f, "%zu", r[i].samples);
		limits_text(run, b, sizeof(b));
		soak_md_cell(f, b);
		fputc('\n', f);
	}
	fputc('\n', f);
	/* Where each steady state starts and how that was decided. */
	for (size_t i = 0; i < n; i++) {
		char b[160], d[48];
		const soak_warmup_t *w = &r[i].warmup;
		if (w->automatic && !w->found)
			fprintf(f, "- %s: warm-up: %s; drift is not graded\n", soak_result_name(&r[i], b, sizeof(b)),
				w->why);
		else
			fprintf(f, "- %s: warm-up: %s, %s\n", soak_result_name(&r[i], b, sizeof(b)),
				soak_fmt_duration(r[i].warmup_s, d, sizeof(d)), w->method);
	}
	fputc('\n', f);
	bool notes = false;
	for (size_t i = 0; i < n; i++) {
		const soak_run_t *run = &r[i].run;
		char b[160], s[128];
		notes |= r[i].partial || (run->message && *run->message) ||
			 (run->allocator_path && *run->allocator_path);
		if (r[i].partial && run->samples_lost > 0)
			/* A gap, not an early end: the events say where (samples_lost). */
			fprintf(f, "> **%s is partial**: %s; the figures cover the samples that were stored, "
				"around the gap.%s%s\n", soak_result_name(&r[i], b, sizeof(b)),
				soak_fmt_status(run, s, sizeof(s)), run->message ? " " : "",
				run->message ? run->message : "");
		else if (r[i].partial)
			fprintf(f, "> **%s is partial**: %s; the figures cover the samples recorded "
				"before it ended.%s%s\n", soak_result_name(&r[i], b, sizeof(b)),
				soak_fmt_status(run, s, sizeof(s)), run->message ? " " : "",
				run->message ? run->message : "");
		else if (run->message && *run->message)
			fprintf(f, "> %s: %s\n", soak_result_name(&r[i], b, sizeof(b)), run->message);
		if (run->allocator_path && *run->allocator_path)
			fprintf(f, "- %s: allocator `%s`%s%s%s\n", soak_result_name(&r[i], b, sizeof(b)),
				run->allocator_path,
				run->allocator_observed ? " (observed: `" : "",
				run->allocator_observed ? run->allocator_observed : "",
				run->allocator_observed ? "`)" : "");
	}
	if (notes)
		fputc('\n', f);
}

static void rss_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Memory (RSS, steady state)\n\n", f);
	HEADER(f, "Allocator", "First RSS (MiB)", "Last RSS (MiB)", "Mean RSS (MiB)",
	       "Peak RSS (MiB)", "RSS Drift", "Status");
	for (size_t i = 0; i < n; i++) {
		const soak_rss_result_t *m = &r[i].rss;
		row_start(f, &r[i]);
		fig_cell(f, &m->first, "%.2f", MIB);
		fig_cell(f, &m->last, "%.2f", MIB);
		fig_cell(f, &m->mean, "%.2f", MIB);
		fig_cell(f, &m->peak, "%.2f", MIB);
		fig_cell(f, &m->drift_pct, "%+.2f%%", 1);
		status_cell(f, &r[i]);
		fputc('\n', f);
	}
	fprintf(f, "\nDrift: mean of the first %zu vs the last %zu steady-state samples. "
		"Peak RSS source per run: ", r[0].drift_k, r[0].drift_k);
	for (size_t i = 0; i < n; i++) {
		char b[160];
		fprintf(f, "%s%s: %s", i ? "; " : "", soak_result_name(&r[i], b, sizeof(b)),
			r[i].rss.peak.valid ? r[i].rss.peak_source : "none");
	}
	fputs(".", f);
	bool steps = false;
	for (size_t i = 0; i < n; i++)
		steps = steps || !strcmp(r[i].rss.series_source, "step_peak_rss_bytes");
	if (steps)
		fputs(" exec --repeat runs: the RSS series is each step's own peak (step_peak_rss_bytes, one "
		      "value per step), not instant samples, which fall anywhere inside a step.", f);
	fputs("\n\n", f);
}

/* What the program holds beside what it costs (result-eff.c). */
static void eff_tables(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Memory efficiency (steady state)\n\n", f);
	HEADER(f, "Allocator", "Live mean (MiB)", "Live peak (MiB)", "Live drift", "RSS - live (MiB)",
	       "Overhead (RSS/live)", "Overhead at peak", "Overhead drift", "Overhead slope (%/h)",
	       "Live at end (MiB)", "Overhead at end");
	for (size_t i = 0; i < n; i++) {
		const soak_eff_result_t *e = &r[i].eff;
		row_start(f, &r[i]);
		fig_cell(f, &e->live_mean, "%.2f", MIB);
		fig_cell(f, &e->live_peak, "%.2f", MIB);
		fig_cell(f, &e->live_drift_pct, "%+.2f%%", 1);
		fig_cell(f, &e->overhead_bytes, "%.2f", MIB);
		fig_cell(f, &e->overhead_mean, "%.3fx", 1);
		fig_cell(f, &e->overhead_peak, "%.3fx", 1);
		fig_cell(f, &e->overhead_drift_pct, "%+.2f%%", 1);
		fig_cell(f, &e->overhead_slope_pct_per_hour, "%+.2f", 1);
		fig_cell(f, &e->live_end, "%.2f", MIB);
		fig_cell(f, &e->overhead_end, "%.3fx", 1);
		fputc('\n', f);
	}
	fputs("\nLive = bytes the workload requested and has not freed (its own exact count). Overhead = mean "
	      "RSS / mean live bytes; at peak = peak RSS / peak live bytes. RSS - live includes the program's "
	      "own code and libraries, so a small working set has a large ratio. At end = "
	      "the last tick with both, or for an exec command the value it self-reported last. RSS growth:\n\n", f);
	for (size_t i = 0; i < n; i++) {
		char b[160];
		fprintf(f, "- %s: %s\n", soak_result_name(&r[i], b, sizeof(b)), r[i].eff.explain);
	}
	for (size_t i = 0; i < n; i++) {
		char b[160];
		const soak_eff_result_t *e = &r[i].eff;
		if (e->live_source[0] && strcmp(e->live_source, "workload"))
			fprintf(f, "\n- %s: live bytes at the end self-reported by the command (%s, %s); overhead "
				"at the end over %s\n", soak_result_name(&r[i], b, sizeof(b)), e->live_source + 12,
				strcmp(r[i].rss.series_source, "step_peak_rss_bytes") ? "the value it printed last"
				: "the last step's value", e->rss_end_source);
	}
	fputs("\n## Memory layers (steady-state mean, MiB)\n\n", f);
	const char *cols[SOAK_EFF_N + 1] = { "Allocator" };
	for (int j = 0; j < SOAK_EFF_N; j++)
		cols[j + 1] = soak_eff_labels[j];
	header(f, cols, SOAK_EFF_N + 1);
	for (size_t i = 0; i < n; i++) {
		row_start(f, &r[i]);
		const soak_eff_result_t *e = &r[i].eff;
		bool self = e->live_source[0] && strcmp(e->live_source, "workload") && e->live_end.valid;
		for (int j = 0; j < SOAK_EFF_N; j++)
			if (j == SOAK_EFF_LIVE && self)
				cellf(f, "%.2f (self-reported at the end, %s)", e->live_end.v / MIB, e->live_source + 12);
			else
				fig_cell(f, &e->level_mean[j], "%.2f", MIB);
		fputc('\n', f);
	}
	fputs("\nFrom what the program asked for to what the kernel charges: requested (bytes_live), usable "
	      "(malloc_usable_size), then the allocator's own figures where it offers them (allocated, "
	      "active, resident, mapped), then RSS.\n\n", f);
}

static void tp_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	char k1[32], k2[32];
	snprintf(k1, sizeof(k1), "First %zu avg", r[0].drift_k);
	snprintf(k2, sizeof(k2), "Last %zu avg", r[0].drift_k);
	fputs("## Throughput (steady state)\n\n", f);
	const char *const cols[] = { "Allocator", "Mean TP (M ops/s)", k1, k2, "TP Drift",
				     "Stddev", "CV", "Status" };
	header(f, cols, sizeof(cols) / sizeof(cols[0]));
	for (size_t i = 0; i < n; i++) {
		const soak_tp_result_t *m = &r[i].tp;
		row_start(f, &r[i]);
		mops_cell(f, &m->mean);
		mops_cell(f, &m->first_k_mean);
		mops_cell(f, &m->last_k_mean);
		fig_cell(f, &m->drift_pct, "%+.2f%%", 1);
		mops_cell(f, &m->stddev);
		fig_cell(f, &m->cv_pct, "%.2f%%", 1);
		status_cell(f, &r[i]);
		fputc('\n', f);
	}
	fputs("\nThroughput per interval = Δops_total / Δt between consecutive samples "
	      "(exec runs: each step's own throughput); averages, stddev in M ops/s.\n\n", f);
}

/* The host's noise floor beside CV and drift, and throughput per CPU
 * second beside throughput per wall second. */
static void noise_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Host noise and CPU efficiency (steady state)\n\n", f);
	HEADER(f, "Allocator", "TP per wall s (M ops/s)", "TP per CPU s (M ops/CPU-s)", "CV", "Host floor CV",
	       "Excess CV", "TP Drift", "Host floor drift", "Floor");
	for (size_t i = 0; i < n; i++) {
		const soak_floor_t *fl = &r[i].floor;
		row_start(f, &r[i]);
		mops_cell(f, &r[i].tp.mean);
		mops_cell(f, &r[i].tp_per_cpu_s);
		fig_cell(f, &r[i].tp.cv_pct, "%.2f%%", 1);
		fig_cell(f, &fl->cv_pct, "%.2f%%", 1);
		fig_cell(f, &fl->excess_cv_pct, "%.2f%%", 1);
		fig_cell(f, &r[i].tp.drift_pct, "%+.2f%%", 1);
		fig_cell(f, &fl->drift_pct, "%+.2f%%", 1);
		soak_md_cell(f, fl->have ? fl->desc : "none");
		fputc('\n', f);
	}
	fputs("\nHost floor: the spin control workload (fixed CPU work, no allocation) measured by `soakctl "
	      "calibrate` on the same host at the same interval; its CV and drift are the host's, not an "
	      "allocator's. Excess CV = sqrt(CV^2 - floor^2). TP per CPU s = steady-state operations / CPU "
	      "seconds of the run's cgroup (user + system).\n\n", f);
}

static void trend_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Trends (least-squares slope, steady state)\n\n", f);
	HEADER(f, "Allocator", "RSS slope (%/h)", "RSS 95% CI (%/h)", "TP slope (%/h)",
	       "TP 95% CI (%/h)", "Status");
	for (size_t i = 0; i < n; i++) {
		row_start(f, &r[i]);
		fig_cell(f, &r[i].rss.slope_pct_per_hour, "%+.2f", 1);
		ci_cell(f, &r[i].rss.slope_ci_lo, &r[i].rss.slope_ci_hi);
		fig_cell(f, &r[i].tp.slope_pct_per_hour, "%+.2f", 1);
		ci_cell(f, &r[i].tp.slope_ci_lo, &r[i].tp.slope_ci_hi);
		status_cell(f, &r[i]);
		fputc('\n', f);
	}
	fputs("\nSlope in percent of the steady-state mean per hour; the 95% interval widens "
	      "for autocorrelated samples (effective sample size). An interval that excludes "
	      "0 is a trend; drift compares only the ends.\n\n", f);
}

static void lat_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Latency per operation (steady state)\n\n", f);
	HEADER(f, "Allocator", "p50", "p90", "p99", "p99.9", "Max", "Ops timed",
	       "Worst interval p99", "Window");
	for (size_t i = 0; i < n; i++) {
		const soak_lat_result_t *m = &r[i].lat;
		if (r[i].steps.n)
			continue;   /* exec --repeat: step times are in the Steps table */
		row_start(f, &r[i]);
		ns_cell(f, &m->p50_ns);
		ns_cell(f, &m->p90_ns);
		ns_cell(f, &m->p99_ns);
		ns_cell(f, &m->p999_ns);
		ns_cell(f, &m->max_ns);
		fig_cell(f, &m->count, "%.0f", 1);
		ns_cell(f, &m->worst_interval_p99_ns);
		soak_md_cell(f, m->window);
		fputc('\n', f);
	}
	fputs("\nPercentiles from the log-linear histogram (end snapshot minus the warm-up "
	      "snapshot): at most 0.4% relative error.\n\n", f);
}

static void grade_cell(FILE *f, const soak_fig_t *per_op)
{
	if (!per_op->valid)
		why_cell(f, per_op->why);
	else
		soak_md_cell(f, soak_grade_name(soak_grade_of(per_op->v)));
}

static void sc_tables(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Syscall budget (steady state)\n\n", f);
	/* exec --repeat: a step is not an operation, so its figures are a
	 * column of their own, never graded against the per-op thresholds. */
	bool any_steps = false;
	for (size_t i = 0; i < n; i++)
		any_steps |= r[i].steps.n > 0;
	if (any_steps)
		HEADER(f, "Allocator", "Ops", "Syscalls", "Per-op rate", "Per step", "Per second", "Grade", "Status");
	else
		HEADER(f, "Allocator", "Ops", "Syscalls", "Per-op rate", "Per second", "Grade", "Status");
	for (size_t i = 0; i < n; i++) {
		row_start(f, &r[i]);
		fig_cell(f, &r[i].tp.ops, "%.0f", 1);
		fig_cell(f, &r[i].sc_total, "%.0f", 1);
		fig_cell(f, &r[i].sc_total_per_op, "%.1e", 1);
		if (any_steps)
			fig_cell(f, &r[i].sc_total_per_step, "%.2f", 1);
		fig_cell(f, &r[i].sc_total_per_s, "%.2f", 1);
		grade_cell(f, &r[i].sc_total_per_op);
		status_cell(f, &r[i]);
		fputc('\n', f);
	}
	fprintf(f, "\nSyscalls = mmap + munmap + mremap + madvise + brk + mprotect + mlock + munlock "
		"of the worker's process tree, counted from outside between the warm-up end and "
		"the stop request. Grades: ideal < %.0e/op, acceptable < %.0e/op, else high.\n\n",
		SOAK_GRADE_IDEAL_PER_OP, SOAK_GRADE_ACCEPTABLE_PER_OP);
	for (size_t i = 0; i < n; i++) {
		char b[160];
		bool steps = r[i].steps.n > 0;
		fprintf(f, "### %s\n\n", soak_result_name(&r[i], b, sizeof(b)));
		if (steps)
			HEADER(f, "Metric", "Count", "Per-op rate", "Per second", "Per step", "Status");
		else
			HEADER(f, "Metric", "Count", "Per-op rate", "Per second", "Status");
		for (int j = 0; j < SOAK_SC_N; j++) {
			const soak_sc_result_t *c = &r[i].sc[j];
			row_begin(f);
			cellf(f, "%s%s", j >= SOAK_SC_BASE ? "↳ " : "", c->name);
			fig_cell(f, &c->count, "%.0f", 1);
			fig_cell(f, &c->per_op, "%.1e", 1);
			fig_cell(f, &c->per_s, "%.2f", 1);
			if (steps)
				fig_cell(f, &c->per_step, "%.2f", 1);
			grade_cell(f, &c->per_op);
			fputc('\n', f);
		}
		row_begin(f);
		cellf(f, "Total (%d base syscalls)", SOAK_SC_BASE);
		fig_cell(f, &r[i].sc_total, "%.0f", 1);
		fig_cell(f, &r[i].sc_total_per_op, "%.1e", 1);
		fig_cell(f, &r[i].sc_total_per_s, "%.2f", 1);
		if (steps)
			fig_cell(f, &r[i].sc_total_per_step, "%.2f", 1);
		grade_cell(f, &r[i].sc_total_per_op);
		fputs("\n\n", f);
	}
}

static int natural_cmp(const void *a, const void *b)
{
	const soak_counter_t *x = *(const soak_counter_t *const *)a, *y = *(const soak_counter_t *const *)b;
	return strverscmp(x->name, y->name);
}

/* Every self-reported counter that is not zero, in natural order (B6 before
 * B10); the zeros are counted under the table and are all in the JSON. exec
 * --repeat runs add the per-step range and how many steps printed it. */
static void counter_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	bool steps = false;
	size_t zeros = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < r[i].n_counters; j++)
			steps = steps || r[i].counters[j].steps.valid;
	if (steps)
		HEADER(f, "Allocator", "Counter", "Whole run", "Per step (min–max)", "Steps that printed it");
	else
		HEADER(f, "Allocator", "Counter", "Value");
	for (size_t i = 0; i < n; i++) {
		const soak_counter_t **ord = malloc((r[i].n_counters ? r[i].n_counters : 1) * sizeof(*ord));
		if (!ord)
			return;
		size_t k = 0;
		for (size_t j = 0; j < r[i].n_counters; j++) {
			const soak_counter_t *c = &r[i].counters[j];
			bool zero = c->value.valid && c->value.v == 0 &&
				    (!c->step_max.valid || (c->step_max.v == 0 && c->step_min.v == 0));
			if (zero)
				zeros++;
			else
				ord[k++] = c;
		}
		qsort(ord, k, sizeof(*ord), natural_cmp);
		for (size_t j = 0; j < k; j++) {
			const soak_counter_t *c = ord[j];
			row_start(f, &r[i]);
			soak_md_cell(f, c->name);
			if (c->steps.valid && c->value.valid)
				cellf(f, "%.15g (%s over steps)", c->value.v,
				      c->kind == SOAK_SR_MAX ? "max" : c->kind == SOAK_SR_MIN ? "min" : "sum");
			else
				fig_cell(f, &c->value, "%.15g", 1);
			if (steps) {
				if (c->step_min.valid && c->step_max.valid)
					cellf(f, c->step_min.v == c->step_max.v ? "%.15g" : "%.15g–%.15g",
					      c->step_min.v, c->step_max.v);
				else
					why_cell(f, c->step_min.why);
				fig_cell(f, &c->steps, "%.0f", 1);
			}
			fputc('\n', f);
			shown++;
		}
		free(ord);
	}
	fputc('\n', f);
	if (steps)
		fputs("exec --repeat: each step is one process that prints its own counters at exit; the whole "
		      "run of a counter is their sum over the steps, of a maximum (a key named max, peak, "
		      "hwm, max_kb...) the largest step's, of a minimum the smallest's (docs/metrics.md).\n", f);
	if (zeros)
		fprintf(f, "%zu counter%s equal to 0 %s not listed; every counter is in the JSON and CSV "
			"reports.\n", zeros, zeros == 1 ? "" : "s", zeros == 1 ? "is" : "are");
	if (steps || zeros)
		fputc('\n', f);
}

/* Self-report against the measured count, like for like: from the first
 * operation where the run marked it, else the whole run (said in the cell). */
static void agree_cell(FILE *f, const soak_fig_t *self, const soak_fig_t *from_op, const soak_fig_t *whole,
		       bool disagree, const char *basis)
{
	if (!self->valid || !(from_op->valid ? from_op : whole)->valid)
		soak_md_cell(f, "n/a");
	else
		cellf(f, "%s (%s)", disagree ? "**disagree**: differ by more than 10% + 2" : "agree", basis);
}

/* Declared formats: each declared class beside the measured count of the
 * same class, whole run and steady state. */
static void class_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	size_t any = 0;
	for (size_t i = 0; i < n; i++)
		any += r[i].n_classes;
	if (!any)
		return;
	HEADER(f, "Allocator", "Source", "Class", "Self-reported (whole run)", "Measured (whole run, from exec)",
	       "Measured (from the first operation)", "Agreement", "Self-reported (steady state)",
	       "Measured (steady state)");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < r[i].n_classes; j++) {
			const soak_self_class_t *c = &r[i].classes[j];
			row_start(f, &r[i]);
			cellf(f, "[%s] %s", c->tag, c->decl);
			soak_md_cell(f, c->cls);
			fig_cell(f, &c->self, "%.0f", 1);
			fig_cell(f, &c->measured, "%.0f", 1);
			fig_cell(f, &c->measured_from_op, "%.0f", 1);
			agree_cell(f, &c->self, &c->measured_from_op, &c->measured, c->disagree, c->basis);
			fig_cell(f, &c->self_steady, "%.0f", 1);
			fig_cell(f, &c->measured_steady, "%.0f", 1);
			fputc('\n', f);
		}
	fputs("\nDeclared formats ([selfreport.TAG] in soak.ini: class = key + key; docs/metrics.md). The "
	      "measured whole run includes start-up (the dynamic loader's mmaps, libc's, the suite's own "
	      "mapping; for exec --repeat also the driver's own start-up); from the first operation leaves "
	      "them out, and the agreement compares like with like: from the first operation where the "
	      "worker marked it, else the whole run.\n\n", f);
}

static void self_tables(FILE *f, const soak_run_result_t *r, size_t n)
{
	size_t any = 0;
	for (size_t i = 0; i < n; i++)
		any += r[i].n_self + r[i].n_counters + r[i].n_classes;
	if (!any)
		return;
	size_t n_self = 0;
	for (size_t i = 0; i < n; i++)
		n_self += r[i].n_self;
	fputs("## Self-reported counters (whole run)\n\n", f);
	class_table(f, r, n);
	if (!n_self)
		goto counters; /* no known format (e.g. SS_OS_STATS): counters only */
	HEADER(f, "Allocator", "Source", "Self-reported syscalls", "Per-op rate",
	       "Measured (same syscalls, from exec)", "Per-op rate", "Measured (from the first operation)",
	       "Agreement");
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < r[i].n_self; j++) {
			const soak_self_budget_t *s = &r[i].self[j];
			row_start(f, &r[i]);
			cellf(f, "[%s]", s->tag);
			fig_cell(f, &s->total, "%.0f", 1);
			fig_cell(f, &s->per_op, "%.1e", 1);
			if (s->measured.valid)
				cellf(f, "%.0f (%s)", s->measured.v, s->measured_set);
			else
				why_cell(f, s->measured.why);
			fig_cell(f, &s->measured_per_op, "%.1e", 1);
			fig_cell(f, &s->measured_from_op, "%.0f", 1);
			agree_cell(f, &s->total, &s->measured_from_op, &s->measured, s->disagree, s->basis);
			fputc('\n', f);
		}
	fputs("\nThe allocator prints its totals at exit, so these are not steady-state figures. "
	      "Measured from exec includes start-up (the dynamic loader's mmaps, libc's, the suite's "
	      "mapping); from the first operation leaves it out, and the agreement compares like with "
	      "like: from the first operation where the worker marked it, else the whole run.\n\n", f);
counters:
	counter_table(f, r, n);
}

static void pf_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Page faults and CPU (steady state)\n\n", f);
	bool any_steps = false;
	for (size_t i = 0; i < n; i++)
		any_steps |= r[i].steps.n > 0;
	if (any_steps)
		HEADER(f, "Allocator", "Minor faults/op", "Major faults/op", "Minor faults/step",
		       "Major faults/step", "Minor faults/s", "Major faults/s", "Context switches/s",
		       "CPU (% of one CPU)", "OOM kills", "Source");
	else
		HEADER(f, "Allocator", "Minor faults/op", "Major faults/op", "Minor faults/s",
		       "Major faults/s", "Context switches/s", "CPU (% of one CPU)", "OOM kills", "Source");
	for (size_t i = 0; i < n; i++) {
		const soak_pf_result_t *m = &r[i].pf;
		row_start(f, &r[i]);
		fig_cell(f, &m->minor_per_op, "%.1e", 1);
		fig_cell(f, &m->major_per_op, "%.1e", 1);
		if (any_steps) {
			fig_cell(f, &m->minor_per_step, "%.1f", 1);
			fig_cell(f, &m->major_per_step, "%.2f", 1);
		}
		fig_cell(f, &m->minor_per_s, "%.1f", 1);
		fig_cell(f, &m->major_per_s, "%.2f", 1);
		fig_cell(f, &m->ctx_per_s, "%.1f", 1);
		fig_cell(f, &r[i].cpu_pct, "%.1f%%", 1);
		fig_cell(f, &r[i].oom_kills, "%.0f", 1);
		soak_md_cell(f, m->source);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void steps_table(FILE *f, const soak_run_result_t *r, size_t n)
{
	size_t any = 0;
	for (size_t i = 0; i < n; i++)
		any += r[i].steps.n;
	if (!any)
		return;
	fputs("## Steps (exec, steady state)\n\n", f);
	HEADER(f, "Allocator", "Steps", "Failed", "Exit codes", "Step wall p50 (s)", "p90 (s)", "p99 (s)",
	       "Max (s)", "Mean (s)", "Max step peak RSS (MiB)");
	for (size_t i = 0; i < n; i++) {
		const soak_steps_result_t *m = &r[i].steps;
		if (!m->n)
			continue;
		row_start(f, &r[i]);
		cellf(f, "%zu", m->n);
		cellf(f, "%zu", m->failed);
		soak_md_cell(f, m->exit_codes[0] ? m->exit_codes : "-");
		fig_cell(f, &m->wall_p50_s, "%.4f", 1);
		fig_cell(f, &m->wall_p90_s, "%.4f", 1);
		fig_cell(f, &m->wall_p99_s, "%.4f", 1);
		fig_cell(f, &m->wall_max_s, "%.4f", 1);
		fig_cell(f, &m->wall_mean_s, "%.4f", 1);
		fig_cell(f, &m->peak_rss_max, "%.2f", MIB);
		fputc('\n', f);
	}
	fputs("\nA step is one execution of the command, from its exec to its exit; its wall time is "
	      "the step's, not a per-operation latency (exec commands are not timed per operation). "
	      "Exit codes: code ×steps, -1 = killed by a signal.\n\n", f);
}

static void ccdf_tables(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("## Latency CCDF\n\n", f);
	for (size_t i = 0; i < n; i++) {
		char b[160];
		fprintf(f, "### %s\n\n", soak_result_name(&r[i], b, sizeof(b)));
		if (!r[i].lat.hist || !r[i].lat.count.valid || !r[i].lat.hist->count) {
			fprintf(f, "unavailable (%s)\n\n", r[i].lat.p50_ns.why);
			continue;
		}
		soak_ccdf_point_t pts[64];
		size_t np = soak_result_ccdf(r[i].lat.hist, pts, 64);
		fprintf(f, "%s, %" PRIu64 " operations timed.\n\n", r[i].lat.window,
			r[i].lat.hist->count);
		HEADER(f, "Latency", "Fraction of ops slower", "Ops slower");
		for (size_t j = 0; j < np; j++) {
			row_begin(f);
			soak_md_cell(f, soak_fmt_ns(pts[j].value_ns, b, sizeof(b)));
			cellf(f, "%.3g", pts[j].fraction);
			cellf(f, "%" PRIu64, pts[j].slower);
			fputc('\n', f);
		}
		fputc('\n', f);
	}
}

static int md_report(FILE *f, const soak_run_result_t *r, size_t n, const soak_emit_opts_t *o)
{
	fprintf(f, "# Soak report\n\n%zu run%s; soakctl %s (%s). Statistics cover the steady "
		"state (samples after the warm-up); definitions in docs/metrics.md.\n\n",
		n, n == 1 ? "" : "s", SOAK_VERSION, SOAK_GIT_REV);
	if (n) {
		runs_table(f, r, n);
		rss_table(f, r, n);
		eff_tables(f, r, n);
		tp_table(f, r, n);
		noise_table(f, r, n);
		trend_table(f, r, n);
		size_t nexec = 0;
		for (size_t i = 0; i < n; i++)
			nexec += r[i].steps.n > 0;
		if (nexec < n)
			lat_table(f, r, n);
		sc_tables(f, r, n);
		self_tables(f, r, n);
		pf_table(f, r, n);
		steps_table(f, r, n);
		if (o && o->latency_ccdf)
			ccdf_tables(f, r, n);
	}
	return ferror(f) ? -EIO : 0;
}

static int md_runs(FILE *f, const soak_run_t *runs, size_t n)
{
	HEADER(f, "ID", "Started (UTC)", "Workload", "Allocator", "Label", "Status", "Duration");
	for (size_t i = 0; i < n; i++) {
		const soak_run_t *r = &runs[i];
		char b[128];
		row_begin(f);
		cellf(f, "%lld", (long long)r->id);
		soak_md_cell(f, r->started_at ? r->started_at : "?");
		soak_md_cell(f, r->workload ? r->workload : "?");
		soak_md_cell(f, r->allocator_name ? r->allocator_name : "?");
		soak_md_cell(f, r->label ? r->label : "");
		soak_md_cell(f, soak_fmt_status(r, b, sizeof(b)));
		double w = soak_run_wall_s(r);
		soak_md_cell(f, isnan(w) ? "-" : soak_fmt_duration(w, b, sizeof(b)));
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

const soak_emitter_t soak_emitter_md = { .name = "md", .report = md_report, .runs = md_runs };
