/*
 * emit.h - report emitters, one per output format (emit-md.c, emit-json.c,
 * emit-csv.c), selected by name from one table. Every emitter writes the same
 * soak_run_result_t figures; an invalid figure is written as "unavailable
 * (reason)" (Markdown), null plus "<name>_unavailable": "reason" (JSON), or an
 * empty cell (CSV) - never as 0.
 */
#ifndef SOAK_EMIT_H
#define SOAK_EMIT_H

#include <stdbool.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "result.h"

#define SOAK_REPORT_SCHEMA_VERSION 1

typedef struct {
	bool latency_ccdf;           /* add the latency CCDF (csv: emit only the CCDF) */
} soak_emit_opts_t;

typedef struct {
	const char *name;            /* "md", "json", "csv" */
	/* A report of n runs. 0 or -EIO (write error) / -ENOMEM. */
	int (*report)(FILE *f, const soak_run_result_t *r, size_t n, const soak_emit_opts_t *o);
	/* A list of runs (`soakctl runs`). */
	int (*runs)(FILE *f, const soak_run_t *runs, size_t n);
} soak_emitter_t;

extern const soak_emitter_t soak_emitter_md, soak_emitter_json, soak_emitter_csv;
/* "md" (also "markdown"), "json", "csv"; NULL when unknown. */
const soak_emitter_t *soak_emitter_find(const char *name);

/* One run as a JSON object (the element of "runs"); compare/gate embed it. */
cJSON *soak_result_to_json(const soak_run_result_t *r, const soak_emit_opts_t *o);

/* ---- helpers shared by the emitters (emit.c) ---- */
/* Wall-clock length of a run from its ISO 8601 start/end, NAN if unknown. */
double soak_run_wall_s(const soak_run_t *r);
/* "181ns", "76.2µs", "3.70ms", "1.20s". */
char *soak_fmt_ns(double ns, char *buf, size_t len);
/* Status with its cause: "crashed (signal 11: SIGSEGV)", "failed (exit 3)". */
char *soak_fmt_status(const soak_run_t *r, char *buf, size_t len);
/* CSV cells (RFC 4180): a string quoted when it holds a comma, quote or line
 * break (NULL writes nothing); a number, nothing when it is not finite. */
void soak_csv_str(FILE *f, const char *s);
void soak_csv_num(FILE *f, double v);
/* One Markdown table cell " text |"; '|' is escaped and line breaks become
 * spaces so the table stays intact. */
void soak_md_cell(FILE *f, const char *s);
/* Prints doc (then deletes it) followed by a newline; ok = false (a failed
 * build of doc) gives -ENOMEM. -EIO on a write error. */
int soak_json_write(FILE *f, cJSON *doc, bool ok);

#endif
