/* synthdb.c - writes synthetic nightly runs through the real write path
 * (db/db.h: run_begin, metric, sample, run_end), for the history tests and
 * the scale benchmark (scripts/bench-history.sh).
 *
 * usage: synthdb DB ALLOCATOR NIGHTS RUNS-PER-NIGHT TP CV [STEP-NIGHT STEP-PCT] [SEED] [SAMPLES]
 * Night k (0-based) is labelled nightly-2026-01-(k+1) (days continue past the
 * month as nightly-N); each run's throughput is TP * (1 + CV * N(0,1)), times
 * (1 + STEP-PCT/100) from night STEP-NIGHT on (-1: no step). A run holds
 * SAMPLES samples (default 20) of ops_total, rss_bytes, cpu_user_s, cpu_sys_s,
 * one per second, and is ended ok. Ground truth for a test: the planted step. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "verdict.h"

static double unif(soak_rng_t *r)
{
	return ((double)(soak_rng_next(r) >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(soak_rng_t *r)
{
	return sqrt(-2 * log(unif(r))) * cos(2 * M_PI * unif(r));
}

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: synthdb DB ALLOCATOR NIGHTS RUNS-PER-NIGHT TP CV [STEP-NIGHT STEP-PCT] [SEED] [SAMPLES]\n");
		return 2;
	}
	const char *path = argv[1], *alloc = argv[2];
	int nights = atoi(argv[3]), per = atoi(argv[4]);
	double tp = atof(argv[5]), cv = atof(argv[6]);
	int step_night = argc > 7 ? atoi(argv[7]) : -1;
	double step_pct = argc > 8 ? atof(argv[8]) : 0;
	uint64_t seed = argc > 9 ? strtoull(argv[9], NULL, 10) : 1;
	int samples = argc > 10 ? atoi(argv[10]) : 20;
	char err[512];
	soak_db_t *db;
	if (soak_db_open(path, SOAK_DB_WRITE, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "synthdb: %s\n", err);
		return 2;
	}
	int64_t m_ops, m_rss, m_u, m_s;
	if (soak_db_metric(db, "ops_total", "ops", 1, "operations", &m_ops) < 0 ||
	    soak_db_metric(db, "rss_bytes", "bytes", 0, "rss", &m_rss) < 0 ||
	    soak_db_metric(db, "cpu_user_s", "s", 1, "user CPU", &m_u) < 0 ||
	    soak_db_metric(db, "cpu_sys_s", "s", 1, "system CPU", &m_s) < 0)
		goto fail;
	soak_rng_t rng;
	soak_rng_seed(&rng, seed);
	for (int k = 0; k < nights; k++) {
		char label[64], start[SOAK_DB_TIME_LEN];
		snprintf(label, sizeof(label), k < 31 ? "nightly-2026-01-%02d" : "nightly-%03d", k < 31 ? k + 1 : k + 1);
		for (int j = 0; j < per; j++) {
			/* 2026-01-01T02:00Z + k days + j minutes */
			soak_db_time_format(1767232800.0 + 86400.0 * k + 60.0 * j + (double)seed * 1e-3, start);
			soak_run_t rec = { .label = label, .host = "synth", .kernel = "synthetic", .suite_version = "synth",
					   .cgroup_mode = "none", .allocator_name = (char *)alloc,
					   .workload = "random_mixed", .workload_args = "[]", .duration_s = samples,
					   .interval_s = 1, .warmup_s = 0, .started_at = start, .status = "running",
					   .host_class = "synthetic" };
			int64_t id;
			if (soak_db_run_begin(db, &rec, &id) < 0)
				goto fail;
			double rate = tp * (1 + cv * gauss(&rng)) * (k >= step_night && step_night >= 0 ? 1 + step_pct / 100 : 1);
			double ops = 0;
			for (int t = 0; t <= samples; t++) {
				if (soak_db_sample(db, id, m_ops, t, ops, true) < 0 ||
				    soak_db_sample(db, id, m_rss, t, 64e6 + 1e5 * gauss(&rng), true) < 0 ||
				    soak_db_sample(db, id, m_u, t, 0.95 * t, true) < 0 ||
				    soak_db_sample(db, id, m_s, t, 0.05 * t, true) < 0)
					goto fail;
				ops += rate * (1 + 0.01 * gauss(&rng));
			}
			if (soak_db_run_end(db, id, "ok", NULL, NULL, NULL) < 0)
				goto fail;
		}
	}
	soak_db_close(db, NULL, 0);
	return 0;
fail:
	fprintf(stderr, "synthdb: %s\n", soak_db_errmsg(db));
	soak_db_close(db, NULL, 0);
	return 2;
}
