/* cmd-trace.c - `soakctl trace info FILE`: what a recorded allocation trace
 * holds (the summary is computed in common/tracesum.c; this prints it). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmdhelp.h"
#include "options.h"
#include "soak/text.h"
#include "soak/trace.h"
#include "soakctl.h"

typedef struct {
	const char *format;
} trace_opts_t;

static const soak_opt_t trace_opts[] = {
	SOAK_OPT(trace_opts_t, "format", 0, "FMT", "text (default) or json", SOAK_OT_CHOICE, format,
		 .choices = "text|json"),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_trace = {
	.synopsis = "soakctl trace info FILE [--format text|json]",
	.description = "Reads an allocation trace written by soakctl record and prints what it holds: the "
		       "command, host and allocator it was recorded under; operations by kind; threads and "
		       "processes; sizes (log2 classes); the peak of live bytes (requested sizes) with the "
		       "objects live then and when; lifetimes of freed objects (log2 classes); frees by "
		       "another thread than the allocating one; duration and bytes per event. A trace whose "
		       "program was killed before the recorder's last flush is read up to its last whole "
		       "chunk and said to be cut; a corrupt trace is refused with one line naming the offset.",
	.sections = { { .title = "Options", .opts = trace_opts } },
	.examples = "soakctl trace info soak.trace\n"
		    "soakctl trace info soak.trace --format json",
	.exit_status = "0 ok, 2 usage error or a trace that cannot be read (corrupt, truncated header).",
};

/* "SIGABRT" for 6; "signal N" for a number the C library does not name. */
static const char *sig_name(uint32_t sig, char *buf, size_t len)
{
	const char *n = sigabbrev_np((int)sig);
	if (n)
		snprintf(buf, len, "SIG%s", n);
	else
		snprintf(buf, len, "signal %" PRIu32, sig);
	return buf;
}

static void print_text(const soak_trace_info_t *in, const soak_trace_stats_t *st)
{
	char clean[4096];
	soak_text_clean(clean, sizeof(clean), in->hdr.cmdline, false);
	printf("command      %s\n", clean);
	soak_text_clean(clean, sizeof(clean), in->hdr.host, false);
	printf("host         %s\n", clean);
	soak_text_clean(clean, sizeof(clean), in->hdr.allocator, false);
	printf("allocator    %s\n", clean);
	if (in->cut)
		printf("complete     no: cut (the program ended before the recorder's last flush)\n");
	else if (in->end_signal)
		printf("complete     yes, up to %s, which ended the program\n",
		       sig_name(in->end_signal, clean, sizeof(clean)));
	else
		printf("complete     yes\n");
	printf("events       %" PRIu64 " (%.2f bytes per event, %" PRIu64 " bytes)\n", in->events,
	       in->events ? (double)in->bytes / (double)in->events : 0.0, in->bytes);
	printf("duration     %.6f s\n", (double)(st->last_ts_ns - st->first_ts_ns) / 1e9);
	printf("threads      %" PRIu64 " (processes %" PRIu64 ")\n", st->threads, st->processes);
	printf("operations  ");
	for (unsigned k = 1; k < SOAK_EV_KINDS; k++)
		if (st->ops[k])
			printf(" %s %" PRIu64, soak_trace_kind_name(k), st->ops[k]);
	printf("\npeak live    %" PRIu64 " bytes in %" PRIu64 " objects, at %.6f s\n", st->peak_live_bytes,
	       st->peak_live_objects, (double)st->peak_ts_ns / 1e9);
	printf("end live     %" PRIu64 " bytes in %" PRIu64 " objects\n", st->end_live_bytes, st->end_live_objects);
	printf("cross-thread frees %" PRIu64 "; frees of objects no event allocated before them %" PRIu64
	       " (0 in a trace soakctl record writes; replay refuses others)\n", st->cross_thread_frees,
	       st->unknown_frees);
	printf("sizes (log2 class: count):");
	for (unsigned c = 0; c < SOAK_TRACE_SIZE_CLASSES; c++)
		if (st->size_log2[c])
			printf(" <%.0f: %" PRIu64, c ? (double)(1ULL << (c - 1)) * 2 : 1.0, st->size_log2[c]);
	printf("\nlifetimes (log2 ns class: count):");
	for (unsigned c = 0; c < SOAK_TRACE_LIFE_CLASSES; c++)
		if (st->life_log2[c])
			printf(" <2^%u: %" PRIu64, c, st->life_log2[c]);
	printf("\n");
}

static void add_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

static void print_json(const soak_trace_info_t *in, const soak_trace_stats_t *st)
{
	cJSON *o = cJSON_CreateObject();
	char name[32];
	cJSON_AddStringToObject(o, "command", in->hdr.cmdline);
	cJSON_AddStringToObject(o, "host", in->hdr.host);
	cJSON_AddStringToObject(o, "allocator", in->hdr.allocator);
	add_u64(o, "format_version", in->hdr.version);
	cJSON_AddBoolToObject(o, "cut", in->cut);
	/* How the program ended: "exit", the signal's name, or null for a cut
	 * trace (the recorder never learnt). */
	if (in->cut)
		cJSON_AddNullToObject(o, "ended_by");
	else if (in->end_signal)
		cJSON_AddStringToObject(o, "ended_by", sig_name(in->end_signal, name, sizeof(name)));
	else
		cJSON_AddStringToObject(o, "ended_by", "exit");
	add_u64(o, "events", in->events);
	add_u64(o, "bytes", in->bytes);
	cJSON_AddNumberToObject(o, "bytes_per_event", in->events ? (double)in->bytes / (double)in->events : 0);
	cJSON_AddNumberToObject(o, "duration_s", (double)(st->last_ts_ns - st->first_ts_ns) / 1e9);
	add_u64(o, "threads", st->threads);
	add_u64(o, "processes", st->processes);
	cJSON *ops = cJSON_AddObjectToObject(o, "ops");
	for (unsigned k = 1; k < SOAK_EV_KINDS; k++)
		add_u64(ops, soak_trace_kind_name(k), st->ops[k]);
	add_u64(o, "peak_live_bytes", st->peak_live_bytes);
	add_u64(o, "peak_live_objects", st->peak_live_objects);
	cJSON_AddNumberToObject(o, "peak_at_s", (double)st->peak_ts_ns / 1e9);
	add_u64(o, "end_live_bytes", st->end_live_bytes);
	add_u64(o, "end_live_objects", st->end_live_objects);
	add_u64(o, "cross_thread_frees", st->cross_thread_frees);
	add_u64(o, "unknown_frees", st->unknown_frees);
	add_u64(o, "reused_ids", st->reused_ids);
	cJSON *sz = cJSON_AddArrayToObject(o, "size_log2");
	for (unsigned c = 0; c < SOAK_TRACE_SIZE_CLASSES; c++)
		cJSON_AddItemToArray(sz, cJSON_CreateNumber((double)st->size_log2[c]));
	cJSON *lf = cJSON_AddArrayToObject(o, "lifetime_log2_ns");
	for (unsigned c = 0; c < SOAK_TRACE_LIFE_CLASSES; c++)
		cJSON_AddItemToArray(lf, cJSON_CreateNumber((double)st->life_log2[c]));
	char *s = cJSON_Print(o);
	if (s)
		printf("%s\n", s);
	cJSON_free(s);
	cJSON_Delete(o);
}

int soak_cmd_trace(int argc, char **argv)
{
	trace_opts_t o = { .format = "text" };
	soak_optparse_t p = { .cmd = "trace", .doc = &soak_doc_trace, .opts = trace_opts };
	soak_optres_t res = { 0 };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, &res);
	int status = SOAK_EXIT_USAGE;
	if (r) {
		status = r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
		goto out;
	}
	if (res.n_operands != 2 || strcmp(res.operands[0], "info") != 0) {
		soak_err("trace: give a subcommand and a file: soakctl trace info FILE");
		goto out;
	}
	static soak_trace_stats_t st;
	static soak_trace_info_t in;
	char err[512];
	if (soak_trace_summarize(res.operands[1], &st, &in, err, sizeof(err)) < 0) {
		char clean[512];
		soak_text_clean(clean, sizeof(clean), err, false);
		soak_err("trace: %s", clean);
		goto out;
	}
	if (!strcmp(o.format, "json"))
		print_json(&in, &st);
	else
		print_text(&in, &st);
	if (in.cut)
		soak_err("trace: %s was cut after %" PRIu64 " events (no end record): read up to its last whole chunk",
			 res.operands[1], in.events);
	status = SOAK_EXIT_OK;
out:
	soak_optres_free(&res);
	return status;
}
