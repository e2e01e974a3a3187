/* emit-csv.c - CSV report: a header line, then one row per run; an unmeasured
 * figure is an empty cell (the reason is in the JSON and Markdown reports).
 * Columns come from one table so the header and the rows cannot disagree. */
#include "emit.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum col_kind { C_FIG, C_RUNSTR, C_STR, C_SIZE, C_SPECIAL };
enum special { S_ID, S_ALLOC, S_EXIT, S_SIGNAL, S_WARMUP, S_GRADE, S_SELF_TAG, S_SELF_TOTAL,
	       S_SELF_PER_OP, S_SELF_MEASURED, S_SELF_MEASURED_PER_OP, S_SELF_DISAGREE,
	       S_PEAK_SOURCE, S_COUNTERS, S_CLASSES, S_WARMUP_SOURCE, S_WARMUP_FOUND };

typedef struct {
	const char *name;
	enum col_kind kind;
	size_t off;   /* offset in soak_run_result_t, or an enum special */
} col_t;

#define FIG(n, m) { n, C_FIG, offsetof(soak_run_result_t, m) }
#define RSTR(n, m) { n, C_RUNSTR, offsetof(soak_run_result_t, run.m) }
#define STR(n, m) { n, C_STR, offsetof(soak_run_result_t, m) }
#define SIZE(n, m) { n, C_SIZE, offsetof(soak_run_result_t, m) }
#define SPEC(n, s) { n, C_SPECIAL, s }
#define SC(i, nm) FIG("sc_" nm "_count", sc[i].count), FIG("sc_" nm "_per_op", sc[i].per_op), \
	FIG("sc_" nm "_per_s", sc[i].per_s), FIG("sc_" nm "_per_step", sc[i].per_step)

static const col_t cols[] = {
	SPEC("id", S_ID), RSTR("uuid", uuid), RSTR("label", label),
	RSTR("comparison_id", comparison_id), SPEC("allocator", S_ALLOC),
	RSTR("allocator_path", allocator_path), RSTR("workload", workload),
	RSTR("status", status), SPEC("exit_code", S_EXIT), SPEC("signal", S_SIGNAL),
	RSTR("started_at", started_at), RSTR("ended_at", ended_at),
	SPEC("warmup_s", S_WARMUP), SPEC("warmup_source", S_WARMUP_SOURCE),
	SPEC("warmup_found", S_WARMUP_FOUND), FIG("duration_s", elapsed_s), FIG("steady_s", steady_s),
	SIZE("samples", samples), SIZE("drift_k", drift_k),
	FIG("rss_mean_bytes", rss.mean), FIG("rss_first_bytes", rss.first),
	FIG("rss_last_bytes", rss.last), FIG("rss_peak_bytes", rss.peak),
	SPEC("rss_peak_source", S_PEAK_SOURCE),
	FIG("rss_first_k_mean_bytes", rss.first_k_mean), FIG("rss_last_k_mean_bytes", rss.last_k_mean),
	FIG("rss_drift_pct", rss.drift_pct), FIG("rss_slope_pct_per_hour", rss.slope_pct_per_hour),
	FIG("rss_slope_ci95_lo", rss.slope_ci_lo), FIG("rss_slope_ci95_hi", rss.slope_ci_hi),
	FIG("swap_peak_bytes", rss.swap_peak),
	STR("tp_source", tp.source), FIG("ops", tp.ops), FIG("ops_run", tp.ops_run),
	FIG("tp_mean_ops_s", tp.mean), FIG("tp_stddev_ops_s", tp.stddev), FIG("tp_cv_pct", tp.cv_pct),
	FIG("tp_first_k_mean_ops_s", tp.first_k_mean), FIG("tp_last_k_mean_ops_s", tp.last_k_mean),
	FIG("tp_drift_pct", tp.drift_pct), FIG("tp_slope_pct_per_hour", tp.slope_pct_per_hour),
	FIG("tp_slope_ci95_lo", tp.slope_ci_lo), FIG("tp_slope_ci95_hi", tp.slope_ci_hi),
	FIG("lat_count", lat.count), FIG("lat_mean_ns", lat.mean_ns), FIG("lat_p50_ns", lat.p50_ns),
	FIG("lat_p90_ns", lat.p90_ns), FIG("lat_p99_ns", lat.p99_ns), FIG("lat_p999_ns", lat.p999_ns),
	FIG("lat_max_ns", lat.max_ns),
	FIG("sc_total", sc_total), FIG("sc_total_per_op", sc_total_per_op),
	FIG("sc_total_per_s", sc_total_per_s), FIG("sc_total_per_step", sc_total_per_step),
	SPEC("sc_grade", S_GRADE),
	SC(0, "mmap"), SC(1, "munmap"), SC(2, "mremap"), SC(3, "madvise"), SC(4, "brk"),
	SC(5, "mprotect"), SC(6, "mlock"), SC(7, "munlock"), SC(8, "madvise_dontneed"),
	SC(9, "madvise_free"), SC(10, "madvise_hugepage"), SC(11, "madvise_willneed"),
	SC(12, "madvise_other"),
	SPEC("self_tag", S_SELF_TAG), SPEC("self_syscalls", S_SELF_TOTAL),
	SPEC("self_syscalls_per_op", S_SELF_PER_OP), SPEC("self_measured", S_SELF_MEASURED),
	SPEC("self_measured_per_op", S_SELF_MEASURED_PER_OP), SPEC("self_disagree", S_SELF_DISAGREE),
	STR("pf_source", pf.source), FIG("pf_minor_per_op", pf.minor_per_op),
	FIG("pf_major_per_op", pf.major_per_op), FIG("pf_minor_per_step", pf.minor_per_step),
	FIG("pf_major_per_step", pf.major_per_step), FIG("pf_minor_per_s", pf.minor_per_s),
	FIG("pf_major_per_s", pf.major_per_s), FIG("ctx_switches_per_s", pf.ctx_per_s),
	FIG("cpu_pct", cpu_pct), FIG("oom_kills", oom_kills),
	SIZE("steps", steps.n), SIZE("steps_failed", steps.failed),
	RSTR("cgroup_mode", cgroup_mode), RSTR("cgroup_placement", cgroup_placement),
	/* Every self-reported counter, "TAG.key=value;..." (whole run), and every
	 * declared class, "TAG.class=self/measured/agree;...": one cell each, so
	 * the header stays the same whatever an allocator prints. */
	SPEC("selfreport", S_COUNTERS), SPEC("selfreport_classes", S_CLASSES),
	FIG("tp_per_cpu_s", tp_per_cpu_s), FIG("host_floor_cv_pct", floor.cv_pct),
	FIG("host_floor_drift_pct", floor.drift_pct), FIG("excess_cv_pct", floor.excess_cv_pct),
	FIG("live_mean_bytes", eff.live_mean), FIG("live_peak_bytes", eff.live_peak),
	FIG("live_drift_pct", eff.live_drift_pct), FIG("overhead_mean", eff.overhead_mean),
	FIG("overhead_peak", eff.overhead_peak), FIG("overhead_bytes", eff.overhead_bytes), FIG("overhead_drift_pct", eff.overhead_drift_pct),
	FIG("overhead_slope_pct_per_hour", eff.overhead_slope_pct_per_hour),
	FIG("live_share_of_rss_growth_pct", eff.live_share_pct),
	FIG("usable_mean_bytes", eff.level_mean[SOAK_EFF_USABLE]),
	FIG("alloc_allocated_mean_bytes", eff.level_mean[SOAK_EFF_ALLOCATED]),
	FIG("alloc_active_mean_bytes", eff.level_mean[SOAK_EFF_ACTIVE]),
	FIG("alloc_resident_mean_bytes", eff.level_mean[SOAK_EFF_RESIDENT]),
	FIG("alloc_mapped_mean_bytes", eff.level_mean[SOAK_EFF_MAPPED]),
	STR("live_source", eff.live_source), FIG("live_at_end_bytes", eff.live_end),
	FIG("rss_at_end_bytes", eff.rss_end), FIG("overhead_at_end", eff.overhead_end),
};

#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/* RFC 4180: quote a field holding a comma, quote or line break. */
static void put_fig(FILE *f, const soak_fig_t *x)
{
	if (x->valid)
		soak_csv_num(f, x->v);
}

static void put_special(FILE *f, const soak_run_result_t *r, enum special s)
{
	const soak_self_budget_t *self = r->n_self ? &r->self[0] : NULL;
	switch (s) {
	case S_ID: fprintf(f, "%lld", (long long)r->run.id); break;
	case S_ALLOC: soak_csv_str(f, r->run.allocator_name); break;
	case S_EXIT: if (r->run.has_exit_code) fprintf(f, "%d", r->run.exit_code); break;
	case S_SIGNAL: if (r->run.has_signal) fprintf(f, "%d", r->run.signal); break;
	case S_WARMUP: soak_csv_num(f, r->warmup_s); break;
	case S_WARMUP_SOURCE: fputs(r->warmup.automatic ? "mser5" : "given", f); break;
	case S_WARMUP_FOUND: fputs(!r->warmup.automatic || r->warmup.found ? "true" : "false", f); break;
	case S_GRADE: if (r->grade != SOAK_GRADE_NONE) fputs(soak_grade_name(r->grade), f); break;
	case S_PEAK_SOURCE: if (r->rss.peak.valid) soak_csv_str(f, r->rss.peak_source); break;
	case S_SELF_TAG: if (self) soak_csv_str(f, self->tag); break;
	case S_SELF_TOTAL: if (self) put_fig(f, &self->total); break;
	case S_SELF_PER_OP: if (self) put_fig(f, &self->per_op); break;
	case S_SELF_MEASURED: if (self) put_fig(f, &self->measured); break;
	case S_SELF_MEASURED_PER_OP: if (self) put_fig(f, &self->measured_per_op); break;
	case S_COUNTERS:
	case S_CLASSES: {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		if (!m)
			break;
		for (size_t i = 0; s == S_COUNTERS && i < r->n_counters; i++) {
			const soak_counter_t *c = &r->counters[i];
			fprintf(m, "%s%s=", i ? ";" : "", c->name);
			if (c->value.valid)
				fprintf(m, "%.15g", c->value.v);
		}
		for (size_t i = 0; s == S_CLASSES && i < r->n_classes; i++) {
			const soak_self_class_t *c = &r->classes[i];
			fprintf(m, "%s%s.%s=", i ? ";" : "", c->tag, c->cls);
			if (c->self.valid)
				fprintf(m, "%.15g", c->self.v);
			fputc('/', m);
			if (c->measured.valid)
				fprintf(m, "%.15g", c->measured.v);
			fprintf(m, "/%s", !c->self.valid || !c->measured.valid ? "n/a" : c->disagree ? "disagree" : "agree");
		}
		fclose(m);
		if (buf && len)
			soak_csv_str(f, buf);
		free(buf);
		break;
	}
	case S_SELF_DISAGREE:
		if (self && self->total.valid && self->measured.valid)
			fputs(self->disagree ? "1" : "0", f);
		break;
	}
}

static void put_cell(FILE *f, const soak_run_result_t *r, const col_t *c)
{
	const char *base = (const char *)r;
	switch (c->kind) {
	case C_FIG: put_fig(f, (const soak_fig_t *)(const void *)(base + c->off)); break;
	case C_RUNSTR: soak_csv_str(f, *(char *const *)(const void *)(base + c->off)); break;
	case C_STR: soak_csv_str(f, base + c->off); break;
	case C_SIZE: fprintf(f, "%zu", *(const size_t *)(const void *)(base + c->off)); break;
	case C_SPECIAL: put_special(f, r, (enum special)c->off); break;
	}
}

static int ccdf_rows(FILE *f, const soak_run_result_t *r, size_t n)
{
	fputs("id,allocator,latency_ns,fraction_slower,ops_slower,ops_timed\n", f);
	for (size_t i = 0; i < n; i++) {
		if (!r[i].lat.hist || !r[i].lat.hist->count)
			continue;
		soak_ccdf_point_t pts[64];
		size_t np = soak_result_ccdf(r[i].lat.hist, pts, 64);
		for (size_t j = 0; j < np; j++) {
			fprintf(f, "%lld,", (long long)r[i].run.id);
			soak_csv_str(f, r[i].run.allocator_name);
			fprintf(f, ",%.12g,%.12g,%" PRIu64 ",%" PRIu64 "\n", pts[j].value_ns,
				pts[j].fraction, pts[j].slower, r[i].lat.hist->count);
		}
	}
	return ferror(f) ? -EIO : 0;
}

static int csv_report(FILE *f, const soak_run_result_t *r, size_t n, const soak_emit_opts_t *o)
{
	if (o && o->latency_ccdf)
		return ccdf_rows(f, r, n);
	for (size_t c = 0; c < NCOLS; c++)
		fprintf(f, "%s%s", c ? "," : "", cols[c].name);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < NCOLS; c++) {
			if (c)
				fputc(',', f);
			put_cell(f, &r[i], &cols[c]);
		}
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

static int csv_runs(FILE *f, const soak_run_t *runs, size_t n)
{
	fputs("id,started_at,workload,allocator,label,status,duration_s\n", f);
	for (size_t i = 0; i < n; i++) {
		const soak_run_t *r = &runs[i];
		fprintf(f, "%lld,", (long long)r->id);
		soak_csv_str(f, r->started_at);
		fputc(',', f);
		soak_csv_str(f, r->workload);
		fputc(',', f);
		soak_csv_str(f, r->allocator_name);
		fputc(',', f);
		soak_csv_str(f, r->label);
		fputc(',', f);
		soak_csv_str(f, r->status);
		fputc(',', f);
		soak_csv_num(f, soak_run_wall_s(r));
		fputc('\n', f);
	}
	return ferror(f) ? -EIO : 0;
}

const soak_emitter_t soak_emitter_csv = { .name = "csv", .report = csv_report, .runs = csv_runs };
