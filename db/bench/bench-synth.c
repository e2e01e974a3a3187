/*
 * bench-synth.c - a long run synthesised through the real write path, for
 * what a real soak of that length would take hours to measure
 * (scripts/bench-runner.sh, docs/performance.md).
 *
 *   soak-bench-synth SOURCE.db RUN TARGET.db SAMPLES
 *
 * Reads every probe metric of RUN in SOURCE.db (a real run, e.g. 20 s at
 * 10 ms) and writes SAMPLES ticks of a new run into TARGET.db with the
 * runner's calls: soak_db_sample_columns once, soak_db_sample_row per tick,
 * a commit every 10 ticks (the runner commits every 100 ms), a latency
 * histogram at the warm-up end and at the end, run values and run_end. The
 * source's ticks are replayed in a loop, its time stretched to the source's
 * mean interval and counters continued so they keep rising as in a real run.
 * Prints the CPU time of the writes per tick and the file's bytes per tick.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "db.h"
#include "probe.h"
#include "soak/hist.h"

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec * 1e-6;
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s SOURCE.db RUN TARGET.db SAMPLES\n", argv[0]);
		return 2;
	}
	char err[512];
	char *end;
	long long src_run = strtoll(argv[2], &end, 10);
	long long nticks = strtoll(argv[4], &end, 10);
	if (src_run <= 0 || nticks <= 0 || *end) {
		fprintf(stderr, "%s: RUN and SAMPLES must be positive integers\n", argv[0]);
		return 2;
	}
	soak_db_t *src, *dst;
	if (soak_db_open(argv[1], SOAK_DB_READ, &src, err, sizeof(err)) < 0 ||
	    soak_db_open(argv[3], SOAK_DB_WRITE, &dst, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	const char *names[SOAK_DB_SAMPLE_COLS];
	bool counter[SOAK_DB_SAMPLE_COLS];
	int64_t ids[SOAK_DB_SAMPLE_COLS];
	size_t n = 0;
	for (size_t i = 0; i < soak_n_probes; i++)
		for (size_t m = 0; m < soak_probes[i]->n_metrics && n < SOAK_DB_SAMPLE_COLS; m++) {
			const soak_metric_def_t *d = &soak_probes[i]->metrics[m];
			names[n] = d->name;
			counter[n] = d->kind == SOAK_COUNTER;
			if (soak_db_metric(dst, d->name, d->unit, (int)d->kind, d->desc, &ids[n]) < 0) {
				fprintf(stderr, "%s\n", soak_db_errmsg(dst));
				return 2;
			}
			n++;
		}
	soak_series_t *s = calloc(n, sizeof(*s));
	if (!s || soak_db_series_many(src, src_run, names, n, 0, s) < 0) {
		fprintf(stderr, "%s\n", soak_db_errmsg(src));
		return 2;
	}
	/* Only the metrics the source measured get a column, as in the runner. */
	size_t k = 0, len = 0;
	size_t map[SOAK_DB_SAMPLE_COLS];
	for (size_t i = 0; i < n; i++) {
		size_t valid = 0;
		for (size_t j = 0; j < s[i].n; j++)
			valid += !isnan(s[i].v[j]);
		if (valid) {
			map[k] = i;
			ids[k++] = ids[i];
			len = len ? (s[i].n < len ? s[i].n : len) : s[i].n;
		}
	}
	if (len < 2) {
		fprintf(stderr, "run %lld of %s has fewer than 2 samples\n", src_run, argv[1]);
		return 2;
	}
	const soak_series_t *t = &s[map[0]];
	double span = t->t[len - 1] - t->t[0], step = span / (double)(len - 1);

	soak_run_t rec = { .workload = "random_mixed", .interval_s = step, .duration_s = step * (double)nticks,
			   .label = "synthetic" };
	int64_t run;
	if (soak_db_run_begin(dst, &rec, &run) < 0 || soak_db_sample_columns(dst, run, ids, k) < 0) {
		fprintf(stderr, "%s\n", soak_db_errmsg(dst));
		return 2;
	}
	soak_hist_t *h = calloc(1, sizeof(*h));
	soak_hist_init(h);
	for (int i = 0; i < 1000; i++)
		soak_hist_record(h, (uint64_t)(100 + i * 37 % 5000));
	soak_hist_settle(h);

	long long before = file_size(argv[3]);
	double c0 = cpu_s();
	double vals[SOAK_DB_SAMPLE_COLS], carry[SOAK_DB_SAMPLE_COLS] = { 0 };
	int e = 0;
	for (long long i = 0; i < nticks && e == 0; i++) {
		size_t j = (size_t)(i % (long long)len);
		if (j == 0 && i > 0)
			for (size_t c = 0; c < k; c++)
				if (counter[map[c]] && !isnan(s[map[c]].v[len - 1]))
					carry[c] += s[map[c]].v[len - 1] - (isnan(s[map[c]].v[0]) ? 0 : s[map[c]].v[0]);
		for (size_t c = 0; c < k; c++)
			vals[c] = s[map[c]].v[j] + carry[c];
		e = soak_db_sample_row(dst, run, (double)i * step, vals);
		if (e == 0 && i % 10 == 9)
			e = soak_db_commit(dst);
		if (e == 0 && i == nticks / 10)
			e = soak_db_event(dst, run, (double)i * step, "warmup_end", NULL) ||
			    soak_db_hist(dst, run, "latency", (double)i * step, h);
	}
	double t_end = (double)nticks * step;
	if (e == 0)
		e = soak_db_commit(dst);
	double c1 = cpu_s();
	if (e == 0)
		e = soak_db_event(dst, run, t_end, "stop_requested", "duration reached") ||
		    soak_db_hist(dst, run, "latency", t_end, h) ||
		    soak_db_value(dst, run, "runner.samples", (double)nticks, true, NULL) ||
		    soak_db_run_end(dst, run, "ok", &(int){ 0 }, NULL, NULL);
	if (e) {
		fprintf(stderr, "%s\n", soak_db_errmsg(dst));
		return 2;
	}
	char cerr[512];
	if (soak_db_close(dst, cerr, sizeof(cerr)) < 0) {
		fprintf(stderr, "%s\n", cerr);
		soak_db_close(src, NULL, 0);
		return 2;
	}
	soak_db_close(src, NULL, 0);
	long long after = file_size(argv[3]);
	printf("run %lld: %lld ticks of %zu metrics (source: %zu ticks, %.4f s apart), "
	       "%.1f us of CPU per tick for the writes, %.0f bytes per tick (before a checkpoint)\n",
	       (long long)run, nticks, k, len, step, (c1 - c0) / (double)nticks * 1e6,
	       (double)(after - (before < 0 ? 0 : before)) / (double)nticks);
	for (size_t i = 0; i < n; i++)
		soak_series_free(&s[i]);
	free(s);
	free(h);
	return 0;
}
