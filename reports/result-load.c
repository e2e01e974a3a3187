/* result-load.c - reads one run from the db into a soak_result_input_t. The
 * only file of reports/ that calls the db's read API. */
#include "result.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *const soak_result_metrics[] = {
	"ops_total", "bytes_live", "bytes_usable",
	"alloc_allocated_bytes", "alloc_active_bytes", "alloc_resident_bytes",
	"alloc_mapped_bytes", "alloc_retained_bytes", "alloc_free_bytes",
	"lat_p50_ns", "lat_p90_ns", "lat_p99_ns", "lat_p999_ns", "lat_max_ns",
	"rss_bytes", "rss_anon_bytes", "rss_file_bytes", "swap_bytes",
	"minflt", "majflt", "nprocs", "nthreads",
	"cg_mem_usage_bytes", "cg_mem_peak_bytes", "cg_swap_bytes", "cg_anon_bytes",
	"cg_file_bytes", "cg_oom_kill",
	"psi_mem_some_us", "psi_mem_full_us", "cpu_user_s", "cpu_sys_s",
	"sc_mmap", "sc_munmap", "sc_mremap", "sc_madvise", "sc_brk", "sc_mprotect",
	"sc_mlock", "sc_munlock", "sc_madvise_dontneed", "sc_madvise_free",
	"sc_madvise_hugepage", "sc_madvise_willneed", "sc_madvise_other",
	"pf_minor", "pf_major", "ctx_switches",
	"step_wall_s", "step_exit_code", "step_peak_rss_bytes", "step_throughput_ops_s",
	NULL,
};

#define N_METRICS (sizeof(soak_result_metrics) / sizeof(soak_result_metrics[0]) - 1)

struct soak_result_loaded {
	soak_result_input_t in;
	soak_series_t raw[N_METRICS];
	soak_input_series_t series[N_METRICS];
	char *why[N_METRICS];
	soak_value_t *values;
	size_t n_values;
	soak_event_t *events;
	size_t n_events;
	soak_hist_t lat_end, lat_warm;
	char *lat_why, *lat_warm_why;
	soak_noise_t noise;
};

static char *reason_of(soak_db_t *db, int64_t run, const char *metric)
{
	char buf[512];
	if (soak_db_unavailable_reason(db, run, metric, buf, sizeof(buf)) == 0)
		return strdup(buf[0] ? buf : "unavailable (no reason recorded)");
	return NULL;
}

static double warmup_end(const soak_result_loaded_t *l, const soak_run_t *run)
{
	for (size_t i = 0; i < l->n_events; i++)
		if (l->events[i].kind && !strcmp(l->events[i].kind, "warmup_end"))
			return l->events[i].t;
	return run->warmup_s > 0 ? run->warmup_s : 0;
}

int soak_result_load(soak_db_t *db, const soak_run_t *run, soak_result_loaded_t **ret)
{
	soak_result_loaded_t *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int rc;
	l->in.run = run;
	/* One scan of the run's sample rows for all metrics (db-samples.c). */
	if ((rc = soak_db_series_many(db, run->id, soak_result_metrics, N_METRICS, 0, l->raw)) < 0)
		goto fail;
	if ((rc = soak_db_unavailable_reasons(db, run->id, soak_result_metrics, N_METRICS, l->why)) < 0)
		goto fail;
	for (size_t i = 0; i < N_METRICS; i++) {
		const char *m = soak_result_metrics[i];
		if (l->why[i] && !l->why[i][0]) {
			free(l->why[i]);
			if (!(l->why[i] = strdup("unavailable (no reason recorded)"))) {
				rc = -ENOMEM;
				goto fail;
			}
		}
		l->series[i] = (soak_input_series_t){ .metric = m, .n = l->raw[i].n,
						      .t = l->raw[i].t, .v = l->raw[i].v,
						      .unavailable = l->why[i] };
	}
	l->in.series = l->series;
	l->in.n_series = N_METRICS;
	if ((rc = soak_db_values(db, run->id, &l->values, &l->n_values)) < 0)
		goto fail;
	if ((rc = soak_db_events(db, run->id, &l->events, &l->n_events)) < 0)
		goto fail;
	l->in.values = l->values;
	l->in.n_values = l->n_values;
	l->in.events = l->events;
	l->in.n_events = l->n_events;

	/* The runner stores the cumulative histogram at the warm-up end and at the
	 * end. None (-ENOENT) or an unreadable one (-EINVAL: a torn snapshot) makes
	 * latency unavailable with the db's reason, not the whole report fail. */
	l->lat_why = reason_of(db, run->id, "latency");
	double t;
	rc = soak_db_get_hist(db, run->id, "latency", -1, &l->lat_end, &t);
	if (rc == 0) {
		l->in.lat_end = &l->lat_end;
		l->in.lat_end_t = t;
		double w = warmup_end(l, run);
		if (w > 0) {
			rc = soak_db_get_hist(db, run->id, "latency", w, &l->lat_warm, &t);
			if (rc == 0) {
				l->in.lat_warm = &l->lat_warm;
				l->in.lat_warm_t = t;
			} else if (rc == -EINVAL) {
				l->lat_warm_why = strdup(soak_db_errmsg(db));
			} else if (rc != -ENOENT) {
				goto fail;
			}
		}
	} else if (rc == -EINVAL && !l->lat_why) {
		l->lat_why = strdup(soak_db_errmsg(db));
	} else if (rc != -ENOENT && rc != -EINVAL) {
		goto fail;
	}
	l->in.lat_unavailable = l->lat_why;
	l->in.lat_warm_unavailable = l->lat_warm_why;
	/* No floor (none measured, or an error reading it) is reported as such. */
	if (run->host && run->interval_s > 0 && soak_db_noise_for_run(db, run, &l->noise) == 0)
		l->in.noise = &l->noise;
	*ret = l;
	return 0;
fail:
	soak_result_loaded_free(l);
	return rc;
}

const soak_result_input_t *soak_result_loaded_input(const soak_result_loaded_t *l)
{
	return &l->in;
}

void soak_result_loaded_free(soak_result_loaded_t *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < N_METRICS; i++) {
		soak_series_free(&l->raw[i]);
		free(l->why[i]);
	}
	soak_values_free(l->values, l->n_values);
	soak_events_free(l->events, l->n_events);
	free(l->lat_why);
	free(l->lat_warm_why);
	free(l);
}

int soak_result_from_db(soak_db_t *db, const soak_run_t *run, const soak_result_opts_t *o,
			soak_run_result_t *ret)
{
	soak_result_loaded_t *l;
	int rc = soak_result_load(db, run, &l);
	if (rc < 0)
		return rc;
	rc = soak_result_compute(&l->in, o, ret);
	soak_result_loaded_free(l);
	return rc;
}
