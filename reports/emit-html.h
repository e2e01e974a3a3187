/*
 * emit-html.h - one self-contained HTML page per report kind (report, compare,
 * history): the Markdown tables turned into HTML tables, and plots as inline
 * SVG drawn by gnuplot (reports/plot.h). No script, no stylesheet or font
 * from anywhere: the file opens from a CI artifact offline. Every text is
 * HTML-escaped (labels and allocator names are hostile input).
 */
#ifndef SOAK_EMIT_HTML_H
#define SOAK_EMIT_HTML_H

#include <stdio.h>

#include "compare.h"
#include "emit-history.h"
#include "result.h"

/* Where the whole-run series of a run come from (the runner reads them from
 * the db); without one the plots show the steady-state series of the result.
 * fn fills t/v (heap, the caller frees both) with the samples of metric. */
typedef int (*soak_html_series_fn)(const soak_run_result_t *r, const char *metric, soak_xy_t *out, void *arg);
void soak_html_set_series_source(soak_html_series_fn fn, void *arg);

int soak_html_report(FILE *f, const soak_run_result_t *r, size_t n);
int soak_html_compare(FILE *f, const soak_comparison_t *c);
int soak_history_emit_html(FILE *f, const soak_history_t *h, const soak_history_emit_opts_t *o);

/* The "t value" lines a time plot draws of run r's series xy (values, or
 * with rate the rates between consecutive samples of a counter), times
 * scale, up to r's stop request. Returns how many. */
size_t soak_html_time_points(FILE *f, const soak_run_result_t *r, const soak_xy_t *xy, bool rate, double scale);

/* Escapes s for HTML text and attributes. */
void soak_html_escape(FILE *f, const char *s);

#endif
