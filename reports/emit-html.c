/* emit-html.c - self-contained HTML pages with gnuplot SVG; see emit-html.h. */
#include "emit-html.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "plot.h"

static soak_html_series_fn series_fn;
static void *series_arg;

void soak_html_set_series_source(soak_html_series_fn fn, void *arg)
{
	series_fn = fn;
	series_arg = arg;
}

void soak_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n<title>", f);
	soak_html_escape(f, title);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:1.5em;max-width:1400px;color:#222}"
	      "table{border-collapse:collapse;margin:.5em 0 1em;font-size:13px}"
	      "th,td{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}"
	      "th{background:#eee}h1{font-size:22px}h2{font-size:18px;margin-top:1.5em}"
	      "p{font-size:14px}.plot{margin:.5em 0}.note{color:#a00}</style></head><body>\n", f);
}

static void end(FILE *f)
{
	fputs("</body></html>\n", f);
}

/* One Markdown cell's text: "\|" -> "|", "**x**" -> bold; escaped. */
static void md_inline(FILE *f, const char *s, size_t len)
{
	bool bold = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && s[i + 1] == '|') {
			fputc('|', f);
			i++;
		} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '*') {
			fputs(bold ? "</b>" : "<b>", f);
			bold = !bold;
			i++;
		} else {
			char c[2] = { s[i], 0 };
			soak_html_escape(f, c);
		}
	}
	if (bold)
		fputs("</b>", f);
}

static void md_row(FILE *f, const char *line, bool head)
{
	fputs("<tr>", f);
	const char *p = line + 1;     /* after the leading '|' */
	while (*p && *p != '\n') {
		const char *q = p;
		while (*q && *q != '\n' && !(*q == '|' && q[-1] != '\\'))
			q++;
		if (*q != '|')
			break;
		const char *a = p, *b = q;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		fputs(head ? "<th>" : "<td>", f);
		md_inline(f, a, (size_t)(b - a));
		fputs(head ? "</th>" : "</td>", f);
		p = q + 1;
	}
	fputs("</tr>\n", f);
}

/* The subset of Markdown our emitters write: headings, tables, paragraphs. */
static void md_to_html(FILE *f, const char *md)
{
	bool in_table = false, in_p = false;
	int row = 0;
	for (const char *line = md; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		bool is_row = len && line[0] == '|';
		if (in_table && !is_row) {
			fputs("</table>\n", f);
			in_table = false;
		}
		if (in_p && (!len || is_row || line[0] == '#')) {
			fputs("</p>\n", f);
			in_p = false;
		}
		if (is_row) {
			if (!in_table) {
				fputs("<table>\n", f);
				in_table = true;
				row = 0;
			}
			if (!(row == 1 && strspn(line, "|-: ") >= len))
				md_row(f, line, row == 0);
			row++;
		} else if (len && line[0] == '#') {
			int lv = (int)strspn(line, "#");
			fprintf(f, "<h%d>", lv > 4 ? 4 : lv);
			md_inline(f, line + lv + 1, len > (size_t)lv + 1 ? len - (size_t)lv - 1 : 0);
			fprintf(f, "</h%d>\n", lv > 4 ? 4 : lv);
		} else if (len) {
			fputs(in_p ? "<br>" : "<p>", f);
			in_p = true;
			md_inline(f, line, len);
		}
		line = nl ? nl + 1 : NULL;
	}
	if (in_table)
		fputs("</table>\n", f);
	if (in_p)
		fputs("</p>\n", f);
}

/* Markdown of emit(f, arg) captured, then converted. */
static int md_section(FILE *f, int (*emit)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	int r = emit(m, arg);
	fclose(m);
	if (r == 0)
		md_to_html(f, buf);
	free(buf);
	return r;
}

static void plot(FILE *f, const char *title, const char *script)
{
	char *svg = NULL, err[256];
	fputs("<div class=\"plot\"><h3>", f);
	soak_html_escape(f, title);
	fputs("</h3>\n", f);
	if (soak_plot_svg(script, &svg, err, sizeof(err)) == 0)
		fputs(svg, f);
	else {
		fputs("<p class=\"note\">plot unavailable: ", f);
		soak_html_escape(f, err);
		fputs("</p>", f);
	}
	fputs("</div>\n", f);
	free(svg);
}

/* A growing gnuplot script. */
typedef struct {
	char *buf;
	size_t len;
	FILE *f;
} script_t;

static void sc_open(script_t *s, const char *ylabel, bool logx, bool logy)
{
	s->buf = NULL;
	s->len = 0;
	s->f = open_memstream(&s->buf, &s->len);
	fprintf(s->f, "set terminal svg size 1000,320 dynamic noenhanced font 'sans,11' background '#ffffff'\n"
		      "set output\nset grid\nset key outside right top\nset ylabel '%s'\n%s%s", ylabel,
		logx ? "set logscale x\n" : "", logy ? "set logscale y\n" : "");
}

static char *sc_close(script_t *s)
{
	fclose(s->f);
	return s->buf;
}

/* Whole-run samples of metric (the series source), else the steady state:
 * also when the statistics use another series (exec --repeat: the steps'
 * own throughput and peaks; the driver's ops_total counts steps). */
static void run_series(const soak_run_result_t *r, const char *metric, const soak_xy_t *fallback, soak_xy_t *out,
		       bool *owned)
{
	*owned = false;
	*out = fallback ? *fallback : (soak_xy_t){ 0 };
	const char *used = !strcmp(metric, "ops_total") ? r->tp.source : r->rss.series_source;
	if (strcmp(used, metric))
		return;
	soak_xy_t x = { 0 };
	if (series_fn && series_fn(r, metric, &x, series_arg) == 0 && x.n) {
		*out = x;
		*owned = true;
	}
}

/* What the statistics use ends at the stop request: the interval after it is
 * the worker winding down (a rate near 0 that is no throughput, the exit's
 * munmaps), so the plot ends there too. */
size_t soak_html_time_points(FILE *f, const soak_run_result_t *r, const soak_xy_t *xy, bool rate, double scale)
{
	size_t n = 0;
	for (size_t j = rate ? 1 : 0; j < xy->n && xy->t[j] <= r->steady_end_s; j++) {
		double v = rate ? (xy->v[j] - xy->v[j - 1]) / (xy->t[j] - xy->t[j - 1]) : xy->v[j];
		if (isfinite(v) && isfinite(xy->t[j])) {
			fprintf(f, "%.6g %.6g\n", xy->t[j], v * scale);
			n++;
		}
	}
	return n;
}

static void runs_time_plots(FILE *f, const soak_run_result_t *const *r, size_t n)
{
	static const struct {
		const char *title, *metric, *ylabel;
		bool rate;
		double scale;
	} kinds[] = {
		{ "RSS over time", "rss_bytes", "RSS (MiB)", false, 1.0 / 1048576 },
		{ "Throughput over time", "ops_total", "throughput (M ops/s)", true, 1e-6 },
	};
	for (size_t k = 0; k < 2; k++) {
		script_t s;
		sc_open(&s, kinds[k].ylabel, false, false);
		fprintf(s.f, "set xlabel 'seconds since the run started (grey: warm-up, dashed: stop)'\n");
		double warm = 0;
		for (size_t i = 0; i < n; i++) {
			if (r[i]->warmup_s > warm)
				warm = r[i]->warmup_s;
			if (isfinite(r[i]->steady_end_s))
				fprintf(s.f, "set arrow from %g, graph 0 to %g, graph 1 nohead lc rgb '#cc0000' dt 2\n",
					r[i]->steady_end_s, r[i]->steady_end_s);
		}
		if (warm > 0)
			fprintf(s.f, "set object 1 rect from 0, graph 0 to %g, graph 1 fc rgb '#cccccc' fs solid 0.5 noborder behind\n",
				warm);
		size_t plotted = 0;
		for (size_t i = 0; i < n; i++) {
			soak_xy_t xy;
			bool owned;
			run_series(r[i], kinds[k].metric, kinds[k].rate ? &r[i]->tp.series : &r[i]->rss.series, &xy,
				   &owned);
			bool rate = kinds[k].rate && owned;   /* the fallback is ops/s already */
			fprintf(s.f, "$D%zu << EOD\n", i);
			soak_html_time_points(s.f, r[i], &xy, rate, kinds[k].scale);
			fprintf(s.f, "EOD\n");
			plotted += xy.n > 1;
			if (owned) {
				free(xy.t);
				free(xy.v);
			}
		}
		fprintf(s.f, "plot ");
		for (size_t i = 0; i < n; i++) {
			char name[96], safe[96];
			soak_result_name(r[i], name, sizeof(name));
			soak_plot_safe(name, safe, sizeof(safe));
			fprintf(s.f, "%s$D%zu using 1:2 with lines lw 1.5 title '%s'", i ? ", " : "", i, safe);
		}
		fputc('\n', s.f);
		char *sc = sc_close(&s);
		if (plotted)
			plot(f, kinds[k].title, sc);
		free(sc);
	}
}

/* Per run, the memory layers over time from the largest (RSS) to the
 * smallest (live bytes), each filled from 0, so the bands between them are
 * what each layer adds: the allocator's overhead over what the program holds. */
static void layers_plots(FILE *f, const soak_run_result_t *const *r, size_t n)
{
	for (size_t i = 0; i < n && i < 12; i++) {
		const soak_eff_result_t *e = &r[i]->eff;
		if (e->level[SOAK_EFF_LIVE].n < 2)
			continue;
		int order[SOAK_EFF_N], k = 0;
		for (int j = SOAK_EFF_N - 1; j >= 0; j--)
			if (e->level[j].n > 1)
				order[k++] = j;
		/* largest mean first, so a smaller layer is drawn over a larger one */
		for (int a = 1; a < k; a++)
			for (int b = a; b > 0 && e->level_mean[order[b]].v > e->level_mean[order[b - 1]].v; b--) {
				int t = order[b];
				order[b] = order[b - 1];
				order[b - 1] = t;
			}
		script_t s;
		sc_open(&s, "MiB", false, false);
		fprintf(s.f, "set xlabel 'seconds since the run started (steady state)'\nset yrange [0:*]\n"
			     "set style fill solid 0.6 noborder\n");
		for (int j = 0; j < k; j++) {
			fprintf(s.f, "$L%d << EOD\n", j);
			soak_html_time_points(s.f, r[i], &e->level[order[j]], false, 1.0 / 1048576);
			fprintf(s.f, "EOD\n");
		}
		fprintf(s.f, "plot ");
		for (int j = 0; j < k; j++)
			fprintf(s.f, "%s$L%d using 1:2 with filledcurves x1 title '%s (%s)'", j ? ", " : "", j,
				soak_eff_labels[order[j]], soak_eff_metrics[order[j]]);
		fputc('\n', s.f);
		char *sc = sc_close(&s);
		char name[96], safe[96], title[160];
		soak_result_name(r[i], name, sizeof(name));
		soak_plot_safe(name, safe, sizeof(safe));
		snprintf(title, sizeof(title), "Memory layers over time: %s", safe);
		plot(f, title, sc);
		free(sc);
	}
}

static void ccdf_plot(FILE *f, const soak_run_result_t *const *r, const char *const *names, size_t n)
{
	script_t s;
	sc_open(&s, "fraction of timed ops slower", true, true);
	fprintf(s.f, "set xlabel 'latency (ns)'\nset format y '10^{%%L}'\n");
	size_t any = 0;
	for (size_t i = 0; i < n; i++) {
		soak_ccdf_point_t pts[128];
		size_t k = r[i]->lat.hist ? soak_result_ccdf(r[i]->lat.hist, pts, 128) : 0;
		fprintf(s.f, "$C%zu << EOD\n", i);
		for (size_t j = 0; j < k; j++)
			if (pts[j].fraction > 0)
				fprintf(s.f, "%.6g %.6g\n", pts[j].value_ns, pts[j].fraction);
		fprintf(s.f, "EOD\n");
		any += k > 1;
	}
	fprintf(s.f, "plot ");
	for (size_t i = 0; i < n; i++) {
		char safe[96];
		soak_plot_safe(names[i], safe, sizeof(safe));
		fprintf(s.f, "%s$C%zu using 1:2 with linespoints pt 7 ps 0.5 title '%s'", i ? ", " : "", i, safe);
	}
	fputc('\n', s.f);
	char *sc = sc_close(&s);
	if (any)
		plot(f, "Latency CCDF (steady state, log-log)", sc);
	free(sc);
}

static void budget_plot(FILE *f, const char *const *names, const double *v, size_t n)
{
	script_t s;
	sc_open(&s, "syscalls per op", false, false);
	fprintf(s.f, "set style fill solid 0.7\nset boxwidth 0.6\nset yrange [0:*]\nset xtics rotate by -20\n"
		     "unset key\n$B << EOD\n");
	size_t any = 0;
	for (size_t i = 0; i < n; i++) {
		char safe[96];
		soak_plot_safe(names[i], safe, sizeof(safe));
		if (isfinite(v[i])) {
			fprintf(s.f, "%zu \"%s\" %.6g\n", i, safe, v[i]);
			any++;
		}
	}
	/* The value is written on each bar: an ideal budget is 0, an invisible bar. */
	fprintf(s.f, "EOD\nset offsets 0.5, 0.5, 0, 0\nset yrange [0:*]\nset title 'mmap munmap mremap madvise brk "
		     "mprotect mlock munlock per operation' font 'sans,10'\n"
		     "plot $B using 1:3:xtic(2) with boxes lc rgb '#4a7ab0', "
		     "$B using 1:3:(sprintf('%%.3g', $3)) with labels offset 0,0.8 notitle\n");
	char *sc = sc_close(&s);
	if (any)
		plot(f, "Syscall budget per allocator (steady state)", sc);
	free(sc);
}

static int report_md(FILE *f, const void *arg)
{
	const void *const *a = arg;
	return soak_emitter_md.report(f, a[0], *(const size_t *)a[1], a[2]);
}

int soak_html_report(FILE *f, const soak_run_result_t *r, size_t n)
{
	begin(f, "Soak report");
	soak_emit_opts_t eo = { 0 };
	const void *arg[3] = { r, &n, &eo };
	int rc = md_section(f, report_md, arg);
	const soak_run_result_t **rp = calloc(n + 1, sizeof(*rp));
	const char **names = calloc(n + 1, sizeof(*names));
	double *b = calloc(n + 1, sizeof(*b));
	char (*nm)[96] = calloc(n + 1, sizeof(*nm));
	if (!rp || !names || !b || !nm)
		rc = -ENOMEM;
	if (rc == 0) {
		fputs("<h2>Plots</h2>\n", f);
		for (size_t i = 0; i < n; i++) {
			rp[i] = &r[i];
			names[i] = soak_result_name(&r[i], nm[i], sizeof(nm[i]));
			b[i] = r[i].sc_total_per_op.valid ? r[i].sc_total_per_op.v : NAN;
		}
		runs_time_plots(f, rp, n);
		layers_plots(f, rp, n);
		ccdf_plot(f, rp, names, n);
		budget_plot(f, names, b, n);
	}
	free(rp);
	free(names);
	free(b);
	free(nm);
	end(f);
	return rc < 0 ? rc : ferror(f) ? -EIO : 0;
}

static int compare_md(FILE *f, const void *arg)
{
	return soak_compare_emit(f, arg, "md");
}

int soak_html_compare(FILE *f, const soak_comparison_t *c)
{
	begin(f, "Soak comparison");
	int rc = md_section(f, compare_md, c);
	size_t total = 0;
	for (size_t i = 0; i < c->n; i++)
		total += c->g[i].n_runs;
	const soak_run_result_t **rp = calloc(total + 1, sizeof(*rp));
	const soak_run_result_t **first = calloc(c->n + 1, sizeof(*first));
	const char **names = calloc(c->n + 1, sizeof(*names));
	double *b = calloc(c->n + 1, sizeof(*b));
	if (!rp || !first || !names || !b)
		rc = -ENOMEM;
	if (rc == 0) {
		size_t k = 0;
		for (size_t i = 0; i < c->n; i++) {
			for (size_t j = 0; j < c->g[i].n_runs; j++)
				rp[k++] = c->g[i].runs[j];
			first[i] = c->g[i].n_ok ? c->g[i].ok[0] : c->g[i].n_runs ? c->g[i].runs[0] : NULL;
			names[i] = c->g[i].name;
			b[i] = c->g[i].fig[SOAK_CM_SC_PER_OP].valid ? c->g[i].fig[SOAK_CM_SC_PER_OP].v : NAN;
		}
		fputs("<h2>Plots</h2>\n", f);
		runs_time_plots(f, rp, k);
		size_t m = 0;
		for (size_t i = 0; i < c->n; i++)
			if (first[i]) {
				first[m] = first[i];
				names[m++] = c->g[i].name;
			}
		ccdf_plot(f, first, names, m);
		layers_plots(f, first, m);
		for (size_t i = 0; i < c->n; i++)
			names[i] = c->g[i].name;
		budget_plot(f, names, b, c->n);
	}
	free(rp);
	free(first);
	free(names);
	free(b);
	end(f);
	return rc < 0 ? rc : ferror(f) ? -EIO : 0;
}

static int history_md(FILE *f, const void *arg)
{
	const void *const *a = arg;
	return soak_history_emit_md(f, a[0], a[1]);
}

static void history_plot(FILE *f, const soak_history_t *h, size_t m)
{
	char u[96], ylabel[160];
	snprintf(ylabel, sizeof(ylabel), "%s (%s)", soak_hmetrics[m].title, soak_history_unit(h, m, u, sizeof(u)));
	char safe_y[160];
	soak_plot_safe(ylabel, safe_y, sizeof(safe_y));
	script_t s;
	sc_open(&s, safe_y, false, false);
	double scale = h->relative_to[0] ? 1 : soak_hmetrics[m].scale;
	fprintf(s.f, "set xdata time\nset timefmt '%%s'\nset format x '%%m-%%d %%H:%%M'\nset xtics rotate by -20\n"
		     "set xlabel 'run start (UTC); circles: first run after a change point'\n");
	size_t any = 0;
	bool skip_ref = h->relative_to[0] != '\0';   /* its values are absolute */
	for (size_t i = 0; i < h->n; i++) {
		const soak_hseries_t *se = &h->s[i];
		fprintf(s.f, "$H%zu << EOD\n", i);
		if (skip_ref && se->is_reference) {
			fprintf(s.f, "EOD\n$P%zu << EOD\nEOD\n", i);
			continue;
		}
		for (size_t j = 0; j < se->n; j++) {
			double t;
			if (isfinite(se->p[j].v[m]) && soak_db_time_parse(se->p[j].started_at, &t) == 0)
				fprintf(s.f, "%.0f %.6g\n", t, se->p[j].v[m] * scale);
		}
		fprintf(s.f, "EOD\n$P%zu << EOD\n", i);
		for (size_t j = 0; j < se->n_cps; j++) {
			double t;
			const soak_hpoint_t *p = &se->p[se->cps[j].point];
			if (se->cps[j].metric == m && soak_db_time_parse(p->started_at, &t) == 0)
				fprintf(s.f, "%.0f %.6g\n", t, p->v[m] * scale);
		}
		fprintf(s.f, "EOD\n");
		any += se->valid[m] > 1 || (!se->is_reference && se->n > 1);
	}
	fprintf(s.f, "plot ");
	bool first = true;
	for (size_t i = 0; i < h->n; i++) {
		if (skip_ref && h->s[i].is_reference)
			continue;
		char name[160], safe[160];
		snprintf(name, sizeof(name), "S%zu %s%s", i + 1, h->s[i].allocator, h->s[i].is_reference ? " (ref)" : "");
		soak_plot_safe(name, safe, sizeof(safe));
		fprintf(s.f, "%s$H%zu using 1:2 with linespoints lt %zu pt 7 ps 0.4 title '%s', "
			     "$P%zu using 1:2 with points lt %zu pt 6 ps 2.5 lw 2 notitle",
			first ? "" : ", ", i, i + 1, safe, i, i + 1);
		first = false;
	}
	fputc('\n', s.f);
	char *sc = sc_close(&s);
	if (any && h->n)
		plot(f, soak_hmetrics[m].title, sc);
	free(sc);
}

int soak_history_emit_html(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o)
{
	begin(f, "Soak history");
	const void *arg[2] = { h, o };
	/* Series and change points, then the plots, then the tables per metric. */
	char *md = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&md, &len);
	if (!m)
		return -ENOMEM;
	int rc = history_md(m, arg);
	fclose(m);
	char *cut = md ? strstr(md, "\n## Change points") : NULL;
	cut = cut ? strstr(cut + 1, "\n## ") : NULL;
	if (cut)
		*cut = '\0';
	if (rc == 0)
		md_to_html(f, md);
	if (rc == 0) {
		fputs("<h2>Plots</h2>\n", f);
		for (size_t m = 0; m < SOAK_HM_N; m++) {
			size_t valid = 0;
			for (size_t i = 0; i < h->n; i++)
				valid += h->s[i].valid[m];
			if ((!o->metrics || (o->metrics >> m & 1u)) && valid > 1)
				history_plot(f, h, m);
		}
		if (cut)
			md_to_html(f, cut + 1);
	}
	free(md);
	end(f);
	return rc < 0 ? rc : ferror(f) ? -EIO : 0;
}
