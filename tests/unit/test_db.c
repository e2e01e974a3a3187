/* test_db.c - db/: round trips of every table, filters, recovery, refusals of
 * bad files, and WAL visibility. Each test works on its own /tmp file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#define STR_(x) #x
#define XSTR(x) STR_(x)
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "soak/procstat.h"

#define STR_(x) #x
#define XSTR(x) STR_(x)

typedef struct {
	char path[64];
	soak_db_t *db;
} fx_t;

static const char *const sidecars[] = { "", "-wal", "-shm", "-journal" };

static void rm_db(const char *path)
{
	char p[128];
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sidecars[i]);
		unlink(p);
	}
}

static bool exists(const char *path, const char *suffix)
{
	char p[128];
	struct stat s;
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	return stat(p, &s) == 0;
}

static int setup(void **state)
{
	fx_t *f = calloc(1, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "/tmp/soak-test-db-XXXXXX");
	int fd = mkstemp(f->path);
	if (fd < 0)
		return -1;
	close(fd);
	unlink(f->path);   /* tests start from a name that does not exist */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx_t *f = *state;
	soak_db_close(f->db, NULL, 0);
	rm_db(f->path);
	free(f);
	return 0;
}

static soak_db_t *open_mode(const char *path, int mode)
{
	char err[512];
	soak_db_t *db = NULL;
	int r = soak_db_open(path, mode, &db, err, sizeof(err));
	if (r < 0)
		print_error("soak_db_open(%s): %s\n", path, err);
	assert_int_equal(r, 0);
	return db;
}

static soak_db_t *open_w(fx_t *f)
{
	f->db = open_mode(f->path, SOAK_DB_WRITE);
	return f->db;
}

/* An empty soak database that stays: the connection that creates a file
 * removes it at close when nothing was recorded, unless another connection
 * still has it open (test_created_empty_removed). */
static void create_kept(const char *path)
{
	soak_db_t *a = open_mode(path, SOAK_DB_WRITE);
	soak_db_t *b = open_mode(path, SOAK_DB_WRITE);
	soak_db_close(a, NULL, 0);
	soak_db_close(b, NULL, 0);
}

static void hostname(char *buf, size_t len)
{
	assert_int_equal(gethostname(buf, len), 0);
	buf[len - 1] = '\0';
}

static int64_t new_run(soak_db_t *db, const char *label, const char *cmp)
{
	soak_run_t r = { 0 };
	char host[256];
	hostname(host, sizeof(host));
	r.label = (char *)label;
	r.comparison_id = (char *)cmp;
	r.host = host;
	r.workload = (char *)"random_mixed";
	int64_t id = -1;
	assert_int_equal(soak_db_run_begin(db, &r, &id), 0);
	assert_true(id > 0);
	return id;
}

static int64_t metric(soak_db_t *db, const char *name)
{
	int64_t id = -1;
	assert_int_equal(soak_db_metric(db, name, "bytes", 0, "test metric", &id), 0);
	return id;
}

static void assert_one_line(const char *msg, const char *part)
{
	assert_non_null(msg);
	assert_true(msg[0] != '\0');
	assert_null(strchr(msg, '\n'));
	if (part && !strstr(msg, part))
		fail_msg("message \"%s\" does not contain \"%s\"", msg, part);
}

static void assert_str_eq_null(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* ---- runs ---- */

static bool is_uuid_v4(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash != (s[i] == '-'))
			return false;
		if (!dash && !strchr("0123456789abcdef", s[i]))
			return false;
	}
	return s[14] == '4' && strchr("89ab", s[19]);
}

static void assert_run_eq(const soak_run_t *a, const soak_run_t *b)
{
	assert_str_eq_null(a->label, b->label);
	assert_str_eq_null(a->comparison_id, b->comparison_id);
	assert_str_eq_null(a->host, b->host);
	assert_str_eq_null(a->kernel, b->kernel);
	assert_str_eq_null(a->suite_version, b->suite_version);
	assert_str_eq_null(a->git_rev, b->git_rev);
	assert_str_eq_null(a->cgroup_mode, b->cgroup_mode);
	assert_str_eq_null(a->cgroup_placement, b->cgroup_placement);
	assert_str_eq_null(a->cgroup_paths, b->cgroup_paths);
	assert_int_equal(a->has_memory_max, b->has_memory_max);
	assert_int_equal(a->has_swap_max, b->has_swap_max);
	assert_int_equal(a->has_cpu_max, b->has_cpu_max);
	assert_int_equal(a->memory_max, b->memory_max);
	assert_int_equal(a->swap_max, b->swap_max);
	assert_true(a->cpu_max_pct == b->cpu_max_pct);
	assert_str_eq_null(a->allocator_name, b->allocator_name);
	assert_str_eq_null(a->allocator_path, b->allocator_path);
	assert_str_eq_null(a->allocator_env, b->allocator_env);
	assert_int_equal(a->has_allocator_file, b->has_allocator_file);
	assert_int_equal(a->allocator_size, b->allocator_size);
	assert_int_equal(a->allocator_mtime, b->allocator_mtime);
	assert_str_eq_null(a->allocator_sha256, b->allocator_sha256);
	assert_str_eq_null(a->allocator_observed, b->allocator_observed);
	assert_str_eq_null(a->workload, b->workload);
	assert_str_eq_null(a->workload_args, b->workload_args);
	assert_true(a->duration_s == b->duration_s || (isnan(a->duration_s) && isnan(b->duration_s)));
	assert_true(a->interval_s == b->interval_s);
	assert_true(a->warmup_s == b->warmup_s);
	assert_str_eq_null(a->ended_at, b->ended_at);
	assert_int_equal(a->has_exit_code, b->has_exit_code);
	assert_int_equal(a->has_signal, b->has_signal);
	assert_int_equal(a->exit_code, b->exit_code);
	assert_int_equal(a->signal, b->signal);
	assert_str_eq_null(a->message, b->message);
	assert_int_equal(a->runner_pid, b->runner_pid);
	assert_int_equal(a->runner_starttime, b->runner_starttime);
	assert_int_equal(a->worker_pid, b->worker_pid);
}

static void test_run_roundtrip(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	const soak_run_t full = {
		.uuid = (char *)"0f8fad5b-d9cb-469f-a165-70867728950e",
		.label = (char *)"nightly",
		.comparison_id = (char *)"cmp-1",
		.host = (char *)"ci-box",
		.kernel = (char *)"6.1.0-18-amd64",
		.suite_version = (char *)"0.1.0",
		.git_rev = (char *)"abcdef123456",
		.cgroup_mode = (char *)"hybrid",
		.cgroup_placement = (char *)"own",
		.cgroup_paths = (char *)"{\"memory\":\"/sys/fs/cgroup/memory/soak/run-1\"}",
		.has_memory_max = true, .memory_max = 64ull << 20,
		.has_swap_max = true, .swap_max = 0,
		.has_cpu_max = true, .cpu_max_pct = 150.5,
		.allocator_name = (char *)"mimalloc",
		.allocator_path = (char *)"/usr/lib/libmimalloc.so",
		.allocator_env = (char *)"MIMALLOC_SHOW_STATS=1 X=2",
		.has_allocator_file = true, .allocator_size = 123456, .allocator_mtime = 1700000000,
		.allocator_sha256 = (char *)"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		.allocator_observed = (char *)"mimalloc",
		.workload = (char *)"random_mixed",
		.workload_args = (char *)"[\"--ws\",\"8192\"]",
		.duration_s = 300, .interval_s = 0.01, .warmup_s = 10,
		.started_at = (char *)"2026-11-21T21:08:32.123Z",
		.ended_at = (char *)"2026-11-21T21:13:32.456Z",
		.status = (char *)"ok",
		.has_exit_code = true, .exit_code = 0,
		.has_signal = true, .signal = 9,
		.message = (char *)"all good",
		.runner_pid = 4242, .runner_starttime = 987654, .worker_pid = 4243,
	};
	const soak_run_t minimal = { .duration_s = NAN };
	const soak_run_t *cases[] = { &full, &minimal };

	for (size_t i = 0; i < 2; i++) {
		const soak_run_t *in = cases[i];
		int64_t id = 0;
		assert_int_equal(soak_db_run_begin(db, in, &id), 0);
		/* run_begin commits: a second, read-only connection sees it now. */
		soak_db_t *rd = open_mode(f->path, SOAK_DB_READ);
		soak_run_filter_t flt = { .ids = &id, .n_ids = 1 };
		soak_run_t *out;
		size_t n;
		assert_int_equal(soak_db_runs(rd, &flt, &out, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(out[0].id, id);
		assert_run_eq(in, &out[0]);
		if (in->uuid)
			assert_string_equal(out[0].uuid, in->uuid);
		else
			assert_true(is_uuid_v4(out[0].uuid));
		if (in->started_at) {
			assert_string_equal(out[0].started_at, in->started_at);
		} else {
			double t;
			assert_int_equal(soak_db_time_parse(out[0].started_at, &t), 0);
			assert_true(fabs(t - (double)time(NULL)) < 60);
			assert_int_equal(strlen(out[0].started_at), 24);
		}
		assert_string_equal(out[0].status, in->status ? in->status : "running");
		soak_runs_free(out, n);
		soak_db_close(rd, NULL, 0);
	}
	/* The same uuid twice is refused. */
	assert_int_equal(soak_db_run_begin(db, &full, NULL), -EEXIST);
	assert_one_line(soak_db_errmsg(db), "uuid");
}

static void test_run_end(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t id = new_run(db, "x", NULL);
	assert_int_equal(soak_db_run_set_observed(db, id, "glibc"), 0);
	int sig = 11;
	assert_int_equal(soak_db_run_end(db, id, "crashed", NULL, &sig, "worker got SIGSEGV"), 0);

	soak_db_t *rd = open_mode(f->path, SOAK_DB_READ);
	soak_run_filter_t flt = { .latest = true };
	soak_run_t *out;
	size_t n;
	assert_int_equal(soak_db_runs(rd, &flt, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].status, "crashed");
	assert_false(out[0].has_exit_code);
	assert_true(out[0].has_signal);
	assert_int_equal(out[0].signal, 11);
	assert_string_equal(out[0].message, "worker got SIGSEGV");
	assert_string_equal(out[0].allocator_observed, "glibc");
	assert_non_null(out[0].ended_at);
	soak_runs_free(out, n);
	soak_db_close(rd, NULL, 0);

	assert_int_equal(soak_db_run_end(db, 9999, "ok", NULL, NULL, NULL), -ENOENT);
	assert_one_line(soak_db_errmsg(db), "run 9999");
	assert_int_equal(soak_db_run_set_observed(db, 9999, "x"), -ENOENT);
}

/* ---- samples ---- */

static void test_samples_null_is_nan(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	int64_t m = metric(db, "rss_bytes"), m2 = -1;
	assert_int_equal(soak_db_metric(db, "rss_bytes", "bytes", 0, "again", &m2), 0);
	assert_int_equal(m, m2);   /* idempotent */

	static const struct {
		double t, v;
		bool valid;
		bool nan;
	} in[] = {
		{ 0.0, 100, true, false },
		{ 1.0, 555, false, true },     /* not measured */
		{ 2.0, NAN, true, true },      /* NaN is stored as NULL too */
		{ 3.0, 0, true, false },       /* zero stays zero */
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(soak_db_sample(db, run, m, in[i].t, in[i].v, in[i].valid), 0);
	assert_int_equal(soak_db_commit(db), 0);
	assert_int_equal(soak_db_commit(db), 0);   /* nothing open: fine */

	soak_series_t s;
	assert_int_equal(soak_db_series(db, run, "rss_bytes", 0, &s), 0);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_true(s.t[i] == in[i].t);
		if (in[i].nan)
			assert_true(isnan(s.v[i]));
		else
			assert_true(s.v[i] == in[i].v);
	}
	soak_series_free(&s);

	/* A metric never sampled is empty, not an error; a missing run is. */
	metric(db, "anon_bytes");
	assert_int_equal(soak_db_series(db, run, "anon_bytes", 0, &s), 0);
	assert_int_equal(s.n, 0);
	soak_series_free(&s);
	assert_int_equal(soak_db_series(db, run, "no_such_metric", 0, &s), 0);
	assert_int_equal(s.n, 0);
	soak_series_free(&s);
	assert_int_equal(soak_db_series(db, run + 100, "rss_bytes", 0, &s), -ENOENT);

	/* Writes naming a missing run or metric say which. */
	assert_int_equal(soak_db_sample(db, 12345, m, 0, 1, true), -ENOENT);
	assert_one_line(soak_db_errmsg(db), "run 12345");
	assert_int_equal(soak_db_sample(db, run, 777, 0, 1, true), -ENOENT);
	assert_one_line(soak_db_errmsg(db), "metric id 777");
	/* ...and leave the transaction usable. */
	assert_int_equal(soak_db_sample(db, run, m, 4.0, 4, true), 0);
	assert_int_equal(soak_db_commit(db), 0);
}

static void test_series_t_from(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	int64_t m = metric(db, "ops_total"), other = metric(db, "rss_bytes");
	for (int i = 9; i >= 0; i--) {   /* out of order on purpose */
		assert_int_equal(soak_db_sample(db, run, m, i * 0.5, i * 10.0, true), 0);
		assert_int_equal(soak_db_sample(db, run, other, i * 0.5, -1, true), 0);
	}
	assert_int_equal(soak_db_commit(db), 0);

	static const struct {
		double from;
		size_t n;
		double first_t;
	} cases[] = {
		{ -1, 10, 0.0 }, { 0, 10, 0.0 }, { 2.5, 5, 2.5 }, { 2.6, 4, 3.0 }, { 4.5, 1, 4.5 }, { 100, 0, 0 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		soak_series_t s;
		assert_int_equal(soak_db_series(db, run, "ops_total", cases[c].from, &s), 0);
		assert_int_equal(s.n, cases[c].n);
		for (size_t i = 0; i < s.n; i++) {
			assert_true(s.t[i] >= cases[c].from);
			assert_true(s.v[i] == s.t[i] * 20.0);
			if (i)
				assert_true(s.t[i] > s.t[i - 1]);
		}
		if (s.n)
			assert_true(s.t[0] == cases[c].first_t);
		soak_series_free(&s);
	}
}

static void test_unavailable_reason(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	int64_t psi = metric(db, "psi_memory_some"), rss = metric(db, "rss_bytes");
	assert_int_equal(soak_db_unavailable(db, run, psi, "no PSI: kernel booted without psi=1"), 0);
	assert_int_equal(soak_db_commit(db), 0);

	char buf[128];
	assert_int_equal(soak_db_unavailable_reason(db, run, "psi_memory_some", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "no PSI: kernel booted without psi=1");
	(void)rss;
	assert_int_equal(soak_db_unavailable_reason(db, run, "rss_bytes", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(soak_db_unavailable_reason(db, run, "nope", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(soak_db_unavailable_reason(db, run + 1, "psi_memory_some", buf, sizeof(buf)), -ENOENT);
	assert_one_line(soak_db_errmsg(db), "does not exist");
}

static void test_values_upsert(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	assert_int_equal(soak_db_value(db, run, "syscalls_total", 1, true, NULL), 0);
	assert_int_equal(soak_db_value(db, run, "cgroup_peak_bytes", 0, false, "no memory.peak before 5.19"), 0);
	assert_int_equal(soak_db_value(db, run, "syscalls_total", 2, true, NULL), 0);   /* re-write */
	assert_int_equal(soak_db_commit(db), 0);

	soak_value_t *v;
	size_t n;
	assert_int_equal(soak_db_values(db, run, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "cgroup_peak_bytes");   /* by name */
	assert_false(v[0].valid);
	assert_true(isnan(v[0].value));
	assert_string_equal(v[0].reason, "no memory.peak before 5.19");
	assert_string_equal(v[1].name, "syscalls_total");
	assert_true(v[1].valid);
	assert_true(v[1].value == 2);
	assert_null(v[1].reason);
	soak_values_free(v, n);

	/* Upsert in the other direction: valid -> invalid. */
	assert_int_equal(soak_db_value(db, run, "syscalls_total", 0, false, "strace failed"), 0);
	assert_int_equal(soak_db_values(db, run, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_false(v[1].valid);
	assert_string_equal(v[1].reason, "strace failed");
	soak_values_free(v, n);
}

/* ---- histograms ---- */

static void test_hist_roundtrip(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	soak_hist_t *h1 = malloc(sizeof(*h1)), *h2 = malloc(sizeof(*h2)), *out = malloc(sizeof(*out));
	soak_hist_init(h1);
	for (uint64_t v = 0; v < 300; v++)
		soak_hist_record(h1, v);
	soak_hist_record(h1, 12345);
	soak_hist_record(h1, 1000000000ull);
	*h2 = *h1;
	soak_hist_record(h2, 77);
	soak_hist_record(h2, 1ull << 40);   /* clamped into the top bucket, max exact */

	assert_int_equal(soak_db_hist(db, run, "malloc_ns", 1.0, h1), 0);
	assert_int_equal(soak_db_hist(db, run, "malloc_ns", 2.0, h2), 0);
	assert_int_equal(soak_db_commit(db), 0);

	static const struct {
		double t;
		int ret;
		double at;
		int which;
	} cases[] = {
		{ -1, 0, 2.0, 2 }, { 2.0, 0, 2.0, 2 }, { 5.0, 0, 2.0, 2 }, { 1.5, 0, 1.0, 1 }, { 1.0, 0, 1.0, 1 },
		{ 0.5, -ENOENT, 0, 0 },
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double at = -7;
		soak_hist_init(out);
		assert_int_equal(soak_db_get_hist(db, run, "malloc_ns", cases[c].t, out, &at), cases[c].ret);
		if (cases[c].ret < 0) {
			assert_true(at == -7);   /* untouched on error */
			continue;
		}
		assert_true(at == cases[c].at);
		const soak_hist_t *want = cases[c].which == 1 ? h1 : h2;
		assert_int_equal(out->count, want->count);
		assert_int_equal(out->sum, want->sum);
		assert_int_equal(out->min, want->min);
		assert_int_equal(out->max, want->max);
		assert_memory_equal(out->b, want->b, sizeof(want->b));
	}
	assert_int_equal(soak_db_get_hist(db, run, "free_ns", -1, out, NULL), -ENOENT);
	assert_one_line(soak_db_errmsg(db), "free_ns");
	free(h1);
	free(h2);
	free(out);
}

/* ---- events and logs ---- */

static void test_events(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	static const struct {
		double t;
		const char *kind, *detail;
	} in[] = {
		{ 10.0, "warmup-end", NULL },
		{ 0.0, "start", "pid 123" },
		{ 42.5, "oom-kill", "oom_kill 0 -> 1" },
		{ 10.0, "signal", "SIGTERM to runner" },
	};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(soak_db_event(db, run, in[i].t, in[i].kind, in[i].detail), 0);
	assert_int_equal(soak_db_commit(db), 0);
	soak_event_t *e;
	size_t n;
	assert_int_equal(soak_db_events(db, run, &e, &n), 0);
	assert_int_equal(n, 4);
	static const int order[] = { 1, 0, 3, 2 };   /* by t, then write order */
	for (size_t i = 0; i < 4; i++) {
		assert_true(e[i].t == in[order[i]].t);
		assert_string_equal(e[i].kind, in[order[i]].kind);
		assert_str_eq_null(e[i].detail, in[order[i]].detail);
	}
	soak_events_free(e, n);
	assert_int_equal(soak_db_events(db, run + 1, &e, &n), -ENOENT);
}

static void test_logs(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t run = new_run(db, NULL, NULL);
	assert_int_equal(soak_db_log(db, run, "stderr", "hello ", 6, false), 0);
	assert_int_equal(soak_db_log(db, run, "stdout", "out", 3, false), 0);
	assert_int_equal(soak_db_log(db, run, "stderr", "wor\0ld", 6, true), 0);
	assert_int_equal(soak_db_commit(db), 0);
	char *s;
	size_t len;
	bool trunc;
	assert_int_equal(soak_db_log_read(db, run, "stderr", &s, &len, &trunc), 0);
	assert_int_equal(len, 12);
	assert_memory_equal(s, "hello wor\0ld", 12);
	assert_true(trunc);
	free(s);
	assert_int_equal(soak_db_log_read(db, run, "stdout", &s, &len, &trunc), 0);
	assert_string_equal(s, "out");
	assert_false(trunc);
	free(s);
	assert_int_equal(soak_db_log_read(db, run, "none", &s, &len, &trunc), 0);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	free(s);
}

/* ---- filters ---- */

static void test_filters(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	int64_t a = new_run(db, "x", NULL), b = new_run(db, "y", NULL), c = new_run(db, "x", "cmp1"),
		d = new_run(db, "x", NULL);
	int64_t ids_ba[] = { b, a }, ids_missing[] = { a, 999 };
	static const size_t none = SIZE_MAX;
	const struct {
		soak_run_filter_t f;
		bool null_filter;
		int ret;
		size_t n;
		int64_t want[4];
	} cases[] = {
		{ { 0 }, true, 0, 4, { a, b, c, d } },
		{ { 0 }, false, 0, 4, { a, b, c, d } },
		{ { .label = "x" }, false, 0, 3, { a, c, d } },
		{ { .label = "x", .latest = true }, false, 0, 1, { d } },
		{ { .latest = true }, false, 0, 1, { d } },
		{ { .label = "y" }, false, 0, 1, { b } },
		{ { .label = "none" }, false, 0, 0, { 0 } },
		{ { .comparison_id = "cmp1" }, false, 0, 1, { c } },
		{ { .label = "y", .comparison_id = "cmp1" }, false, 0, 0, { 0 } },
		{ { .ids = ids_ba, .n_ids = 2 }, false, 0, 2, { a, b } },   /* oldest first */
		{ { .ids = ids_ba, .n_ids = 2, .latest = true }, false, 0, 1, { b } },
		{ { .ids = ids_ba, .n_ids = 2, .label = "x" }, false, 0, 1, { a } },
		{ { .ids = ids_missing, .n_ids = 2 }, false, -ENOENT, none, { 0 } },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		soak_run_t *out = (soak_run_t *)0x1;
		size_t n = none;
		int r = soak_db_runs(db, cases[k].null_filter ? NULL : &cases[k].f, &out, &n);
		assert_int_equal(r, cases[k].ret);
		assert_int_equal(n, cases[k].n);
		if (r < 0) {
			assert_ptr_equal(out, (soak_run_t *)0x1);   /* untouched */
			assert_one_line(soak_db_errmsg(db), "run 999 does not exist");
			continue;
		}
		for (size_t i = 0; i < n; i++)
			assert_int_equal(out[i].id, cases[k].want[i]);
		soak_runs_free(out, n);
	}
}

/* ---- recovery ---- */

typedef struct {
	int calls;
	int64_t ids[8];
} cleanup_log_t;

static void cleanup_cb(const soak_run_t *r, void *arg)
{
	cleanup_log_t *log = arg;
	assert_string_equal(r->status, "incomplete");
	assert_non_null(r->cgroup_paths);
	if (log->calls < 8)
		log->ids[log->calls] = r->id;
	log->calls++;
}

static int64_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return pid;
}

static int64_t recover_run(soak_db_t *db, const char *host, int64_t pid, int64_t starttime)
{
	soak_run_t r = {
		.host = (char *)host,
		.started_at = (char *)"2026-01-02T03:04:05.000Z",
		.cgroup_paths = (char *)"{\"memory\":\"/sys/fs/cgroup/memory/soak/x\"}",
		.runner_pid = pid,
		.runner_starttime = starttime,
	};
	int64_t id;
	assert_int_equal(soak_db_run_begin(db, &r, &id), 0);
	return id;
}

static void test_recover(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	char host[256];
	hostname(host, sizeof(host));
	int64_t me = getpid(), my_start;
	assert_int_equal(soak_proc_starttime(me, &my_start), 0);
	int64_t dead = dead_pid();

	int64_t r_dead = recover_run(db, host, dead, 12345);
	int64_t r_alive = recover_run(db, host, me, my_start);
	int64_t r_reused = recover_run(db, host, me, my_start + 1);   /* pid reused */
	int64_t r_elsewhere = recover_run(db, "elsewhere.invalid", dead, 12345);
	int64_t r_done = recover_run(db, host, dead, 12345);
	assert_int_equal(soak_db_run_end(db, r_done, "ok", NULL, NULL, NULL), 0);
	int64_t m = metric(db, "rss_bytes"), m2 = metric(db, "ops_total");
	assert_int_equal(soak_db_sample(db, r_dead, m, 1.0, 1, true), 0);
	assert_int_equal(soak_db_sample(db, r_dead, m2, 2.5, 1, true), 0);
	assert_int_equal(soak_db_sample(db, r_dead, m, 2.0, 1, true), 0);
	assert_int_equal(soak_db_commit(db), 0);

	/* Recovery writes: a read-only handle is refused. */
	soak_db_t *rd = open_mode(f->path, SOAK_DB_READ);
	assert_int_equal(soak_db_recover(rd, cleanup_cb, NULL), -EROFS);
	assert_one_line(soak_db_errmsg(rd), "read-only");
	soak_db_close(rd, NULL, 0);

	cleanup_log_t log = { 0 };
	assert_int_equal(soak_db_recover(db, cleanup_cb, &log), 2);
	assert_int_equal(log.calls, 2);
	assert_int_equal(log.ids[0], r_dead);
	assert_int_equal(log.ids[1], r_reused);

	const struct {
		int64_t *id;
		const char *status;
		const char *ended;
	} want[] = {
		{ &r_dead, "incomplete", "2026-01-02T03:04:07.500Z" },   /* last sample t=2.5 */
		{ &r_alive, "running", NULL },
		{ &r_reused, "incomplete", "2026-01-02T03:04:05.000Z" }, /* no samples: started_at */
		{ &r_elsewhere, "running", NULL },
		{ &r_done, "ok", "" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		soak_run_filter_t flt = { .ids = want[i].id, .n_ids = 1 };
		soak_run_t *out;
		size_t n;
		assert_int_equal(soak_db_runs(db, &flt, &out, &n), 0);
		assert_int_equal(n, 1);
		assert_string_equal(out[0].status, want[i].status);
		if (!want[i].ended)
			assert_null(out[0].ended_at);
		else if (want[i].ended[0])
			assert_string_equal(out[0].ended_at, want[i].ended);
		soak_runs_free(out, n);
	}

	soak_event_t *e;
	size_t n;
	char detail[128];
	snprintf(detail, sizeof(detail), "runner (pid %lld) died; run marked by a later soakctl", (long long)dead);
	assert_int_equal(soak_db_events(db, r_dead, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].kind, "incomplete");
	assert_string_equal(e[0].detail, detail);
	assert_true(e[0].t == 2.5);
	soak_events_free(e, n);

	/* Done once: a second pass finds nothing and calls nobody. */
	assert_int_equal(soak_db_recover(db, cleanup_cb, &log), 0);
	assert_int_equal(log.calls, 2);
}

/* ---- bad files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	do {
		buf = realloc(buf, cap += 4096);
		k = fread(buf + n, 1, cap - n, fp);
		n += k;
	} while (k);
	fclose(fp);
	*len = n;
	return buf;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *s;
	assert_int_equal(sqlite3_open(path, &s), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(s, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(s);
}

static void prep_text(const char *path)
{
	size_t len = 0; /* cmocka's assert_non_null is not noreturn: GCC -O2 would warn */
	char *src = slurp(SOAK_FIXTURES "/db/not-a-database.txt", &len);
	assert_non_null(src);
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(src, 1, len, fp), len);
	fclose(fp);
	free(src);
}

static void prep_nothing(const char *path)
{
	(void)path;
}

static void prep_newer(const char *path)
{
	create_kept(path);
	raw_exec(path, "PRAGMA user_version = 99");
}

static void prep_foreign(const char *path)
{
	raw_exec(path, "CREATE TABLE songs(title TEXT, year INT); INSERT INTO songs VALUES('x', 1999);");
}

static void prep_foreign_uv(const char *path)
{
	/* Another application's file with a user_version of its own. */
	raw_exec(path, "CREATE TABLE runs(x); CREATE TABLE meta(y); PRAGMA user_version = 7;");
}

static void test_bad_files(void **state)
{
	fx_t *f = *state;
	static const struct {
		const char *name;
		void (*prep)(const char *path);
		int mode;
		int ret;
		const char *msg;
		bool created;        /* whether the file exists before the open */
		bool no_sidecars;    /* no -wal/-shm/-journal may appear */
	} cases[] = {
		{ "text, write", prep_text, SOAK_DB_WRITE, -EINVAL, "file is not a database", true, true },
		{ "text, read", prep_text, SOAK_DB_READ, -EINVAL, "file is not a database", true, true },
		{ "missing, read", prep_nothing, SOAK_DB_READ, -ENOENT,
		  "does not exist: run `soakctl run` first or pass --db FILE", false, true },
		{ "newer, read", prep_newer, SOAK_DB_READ, -EPROTO, "newer soak (schema 99 > " XSTR(SOAK_DB_SCHEMA_VERSION) "): upgrade soakctl",
		  true, false },
		{ "newer, write", prep_newer, SOAK_DB_WRITE, -EPROTO, "schema 99 > " XSTR(SOAK_DB_SCHEMA_VERSION), true, false },
		{ "foreign, write", prep_foreign, SOAK_DB_WRITE, -EINVAL, "not a soak database", true, true },
		{ "foreign, read", prep_foreign, SOAK_DB_READ, -EINVAL, "not a soak database", true, true },
		{ "foreign user_version, write", prep_foreign_uv, SOAK_DB_WRITE, -EINVAL, "not a soak database", true,
		  true },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		rm_db(f->path);
		cases[k].prep(f->path);
		size_t before_len = 0, after_len = 0;
		char *before = slurp(f->path, &before_len);
		assert_int_equal(before != NULL, cases[k].created);

		char err[512] = "unset";
		soak_db_t *db = (soak_db_t *)0x1;
		int r = soak_db_open(f->path, cases[k].mode, &db, err, sizeof(err));
		if (r != cases[k].ret)
			fail_msg("%s: got %d (%s), want %d", cases[k].name, r, err, cases[k].ret);
		assert_ptr_equal(db, (soak_db_t *)0x1);
		assert_one_line(err, cases[k].msg);
		assert_non_null(strstr(err, f->path));

		char *after = slurp(f->path, &after_len);
		assert_int_equal(after != NULL, cases[k].created);
		if (before) {
			assert_int_equal(after_len, before_len);
			assert_memory_equal(after, before, before_len);
		}
		if (cases[k].no_sidecars)
			for (size_t i = 1; i < sizeof(sidecars) / sizeof(sidecars[0]); i++)
				assert_false(exists(f->path, sidecars[i]));
		free(before);
		free(after);
	}
	/* The foreign file got no soak table either. */
	rm_db(f->path);
	prep_foreign(f->path);
	soak_db_t *db;
	char err[512];
	assert_int_equal(soak_db_open(f->path, SOAK_DB_WRITE, &db, err, sizeof(err)), -EINVAL);
	sqlite3 *s;
	assert_int_equal(sqlite3_open_v2(f->path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(s, "SELECT group_concat(name) FROM sqlite_master", -1, &st, NULL), 0);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "songs");
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_locked(void **state)
{
	fx_t *f = *state;
	static const struct {
		const char *name;
		bool soak;    /* a soak (WAL) db, else a plain rollback-journal one */
		int mode;
	} cases[] = {
		{ "soak db, write", true, SOAK_DB_WRITE },
		{ "plain db, read", false, SOAK_DB_READ },
		{ "plain db, write", false, SOAK_DB_WRITE },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		rm_db(f->path);
		if (cases[k].soak)
			create_kept(f->path);
		else
			raw_exec(f->path, "CREATE TABLE t(x)");
		sqlite3 *holder;
		assert_int_equal(sqlite3_open(f->path, &holder), SQLITE_OK);
		assert_int_equal(sqlite3_exec(holder, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

		char err[512];
		soak_db_t *db = NULL;
		double t0 = now_s();
		int r = soak_db_open(f->path, cases[k].mode, &db, err, sizeof(err));
		double took = now_s() - t0;
		if (r != -EBUSY)
			fail_msg("%s: got %d (%s)", cases[k].name, r, r ? err : "opened");
		assert_true(took >= 1.0 && took < 5.0);   /* waited for the busy timeout, not forever */
		assert_one_line(err, "is locked by another process (another soakctl?): wait or use another --db");
		assert_non_null(strstr(err, f->path));
		sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(holder);

		/* Once released, it opens. */
		if (cases[k].soak) {
			assert_int_equal(soak_db_open(f->path, cases[k].mode, &db, err, sizeof(err)), 0);
			soak_db_close(db, NULL, 0);
		}
	}
}

/* ---- files, modes, WAL ---- */

/* A database copied without its -wal/-shm: a READ open and close (a report)
 * leaves neither behind and the file unchanged; while another connection
 * still uses them they stay and that connection keeps reading. */
static void test_read_leaves_no_sidecars(void **state)
{
	fx_t *f = *state;
	soak_db_t *db = open_w(f);
	new_run(db, "copied", NULL);
	soak_db_close(db, NULL, 0);
	f->db = NULL;
	for (size_t i = 1; i < sizeof(sidecars) / sizeof(sidecars[0]); i++)
		assert_false(exists(f->path, sidecars[i]));
	size_t before_len = 0, after_len = 0;
	char *before = slurp(f->path, &before_len);
	assert_non_null(before);

	soak_db_close(open_mode(f->path, SOAK_DB_READ), NULL, 0);
	for (size_t i = 1; i < sizeof(sidecars) / sizeof(sidecars[0]); i++)
		assert_false(exists(f->path, sidecars[i]));
	char *after = slurp(f->path, &after_len);
	assert_non_null(after);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	free(after);
	free(before);

	db = open_mode(f->path, SOAK_DB_READ);
	sqlite3 *other;
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_open_v2(f->path, &other, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(other, "SELECT count(*) FROM runs", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_reset(st);
	soak_db_close(db, NULL, 0);
	assert_true(exists(f->path, "-wal") && exists(f->path, "-shm"));   /* still in use */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_finalize(st);
	sqlite3_close(other);
}

/* A database file created by an open that then recorded nothing (a command
 * refused after opening it) is removed at close with its sidecars; one with a
 * run stays; one another connection still has open stays; an existing empty
 * one is never removed by a later open. */
static void test_created_empty_removed(void **state)
{
	fx_t *f = *state;
	rm_db(f->path);
	soak_db_close(open_mode(f->path, SOAK_DB_WRITE), NULL, 0);
	for (size_t i = 0; i < sizeof(sidecars) / sizeof(sidecars[0]); i++)
		assert_false(exists(f->path, sidecars[i]));

	soak_db_t *db = open_mode(f->path, SOAK_DB_WRITE);
	new_run(db, "kept", NULL);
	soak_db_close(db, NULL, 0);
	assert_true(exists(f->path, ""));
	soak_db_close(open_mode(f->path, SOAK_DB_READ), NULL, 0);

	rm_db(f->path);
	soak_db_t *a = open_mode(f->path, SOAK_DB_WRITE);
	soak_db_t *b = open_mode(f->path, SOAK_DB_WRITE);
	soak_db_close(a, NULL, 0);          /* b still has it open: kept */
	assert_true(exists(f->path, ""));
	new_run(b, "through b", NULL);
	soak_db_close(b, NULL, 0);
	db = open_mode(f->path, SOAK_DB_READ);
	soak_run_t *runs = NULL;
	size_t n = 0;
	soak_run_filter_t all = { 0 };
	assert_int_equal(soak_db_runs(db, &all, &runs, &n), 0);
	assert_int_equal(n, 1);
	soak_runs_free(runs, n);
	soak_db_close(db, NULL, 0);

	rm_db(f->path);
	create_kept(f->path);
	soak_db_close(open_mode(f->path, SOAK_DB_WRITE), NULL, 0);   /* did not create it: kept */
	assert_true(exists(f->path, ""));
}

static void test_created_schema(void **state)
{
	fx_t *f = *state;
	create_kept(f->path);
	soak_db_close(open_mode(f->path, SOAK_DB_WRITE), NULL, 0);   /* reopening changes nothing */
	sqlite3 *s;
	assert_int_equal(sqlite3_open_v2(f->path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	static const struct {
		const char *sql, *want;
	} checks[] = {
		{ "PRAGMA user_version", XSTR(SOAK_DB_SCHEMA_VERSION) },
		{ "PRAGMA application_id", "1397702987" },
		{ "PRAGMA journal_mode", "wal" },
		{ "SELECT value FROM meta WHERE key = 'application'", "soak" },
		{ "SELECT value FROM meta WHERE key = 'schema_version'", XSTR(SOAK_DB_SCHEMA_VERSION) },
		{ "SELECT count(*) FROM meta WHERE key = 'created_by' AND value LIKE 'soakctl %'", "1" },
		{ "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('meta', 'runs', 'metrics',"
		  " 'sample_rows', 'sample_columns', 'sample_values', 'run_metrics', 'events', 'run_values',"
		  " 'histograms', 'logs')", "11" },
		{ "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name IN ('samples', 'samples_named')", "2" },
	};
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(s, checks[i].sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), checks[i].want);
		sqlite3_finalize(st);
	}
	sqlite3_close(s);
}

/* Schema 2 (i8-place): a version-1 file (no runs.cgroup_placement) is refused
 * by a reader and migrated by a writer, its runs kept with a NULL placement. */
static void test_migrate_placement(void **state)
{
	fx_t *f = *state;
	/* A real schema-v1 file written by soakctl (6c97e4e): its run 1 ended ok.
	 * (Faking one from a current file would need every later step undone.) */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "cp %s/db/schema-v1.db %s", SOAK_FIXTURES, f->path);
	assert_int_equal(system(cmd), 0);
	int64_t id = 1;
	char err[512] = "";
	soak_db_t *db = NULL;
	assert_int_equal(soak_db_open(f->path, SOAK_DB_READ, &db, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "older schema (1 < " XSTR(SOAK_DB_SCHEMA_VERSION) ")"));
	f->db = open_mode(f->path, SOAK_DB_WRITE);
	soak_run_t *runs = NULL;
	size_t n = 0;
	soak_run_filter_t flt = { .ids = &id, .n_ids = 1 };
	assert_int_equal(soak_db_runs(f->db, &flt, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].status, "ok");
	assert_null(runs[0].cgroup_placement);
	assert_null(runs[0].host_class);       /* unknown, not a made-up class */
	assert_false(runs[0].has_cpu_cores);
	soak_runs_free(runs, n);
	soak_run_t r = { 0 };
	r.workload = (char *)"tiny_hot";
	r.cgroup_mode = (char *)"v2";
	r.cgroup_placement = (char *)"systemd-scope";
	int64_t id2;
	assert_int_equal(soak_db_run_begin(f->db, &r, &id2), 0);
	flt.ids = &id2;
	assert_int_equal(soak_db_runs(f->db, &flt, &runs, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(runs[0].cgroup_placement, "systemd-scope");
	soak_runs_free(runs, n);
	soak_db_close(f->db, NULL, 0);
	f->db = NULL;
	sqlite3 *s;
	assert_int_equal(sqlite3_open_v2(f->path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(s, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), SOAK_DB_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void test_read_only_refuses_writes(void **state)
{
	fx_t *f = *state;
	soak_db_t *w = open_w(f);
	int64_t run = new_run(w, NULL, NULL);
	soak_db_t *rd = open_mode(f->path, SOAK_DB_READ);
	soak_run_t r = { 0 };
	int64_t id;
	assert_int_equal(soak_db_run_begin(rd, &r, &id), -EROFS);
	assert_one_line(soak_db_errmsg(rd), "read-only");
	assert_int_equal(soak_db_metric(rd, "x", "bytes", 0, NULL, &id), -EROFS);
	assert_int_equal(soak_db_sample(rd, run, 1, 0, 1, true), -EROFS);
	assert_int_equal(soak_db_event(rd, run, 0, "x", NULL), -EROFS);
	assert_int_equal(soak_db_run_end(rd, run, "ok", NULL, NULL, NULL), -EROFS);
	assert_int_equal(soak_db_commit(rd), 0);
	soak_db_close(rd, NULL, 0);
}

typedef struct {
	int64_t ids[8];
	size_t n, stop_at;
} walk_t;

static int walk_one(const soak_run_t *run, void *arg)
{
	walk_t *w = arg;
	w->ids[w->n++] = run->id;
	return w->n == w->stop_at ? -EINTR : 0;
}

/* soak_db_runs_each: every run once, in start order (then id), one record
 * at a time; a negative return of the callback stops the walk. */
static void test_runs_each(void **state)
{
	fx_t *f = *state;
	soak_db_t *w = open_w(f);
	int64_t a = new_run(w, "x", NULL), b = new_run(w, "y", NULL), c = new_run(w, "z", NULL);
	assert_int_equal(soak_db_commit(w), 0);
	char sql[256];
	snprintf(sql, sizeof(sql), "UPDATE runs SET started_at = CASE id WHEN %lld THEN '2026-01-03T00:00:00.000Z' "
		 "ELSE '2026-01-01T00:00:00.000Z' END", (long long)a);
	raw_exec(f->path, sql);
	walk_t k = { .stop_at = 99 };
	assert_int_equal(soak_db_runs_each(w, walk_one, &k), 0);
	assert_int_equal(k.n, 3);
	assert_true(k.ids[0] == b && k.ids[1] == c && k.ids[2] == a);
	k = (walk_t){ .stop_at = 2 };
	assert_int_equal(soak_db_runs_each(w, walk_one, &k), -EINTR);
	assert_int_equal(k.n, 2);
}

/* One floor row: host, class ("" none), interval, time, limits, pattern. */
static int64_t add_floor(soak_db_t *w, const char *host, const char *cls, double iv, const char *at, double cpu,
			 const char *pattern, double cv)
{
	soak_noise_t a = { .interval_s = iv, .duration_s = 30, .intervals = 29, .cv_pct = cv, .drift_pct = NAN };
	snprintf(a.host, sizeof(a.host), "%s", host);
	snprintf(a.host_class, sizeof(a.host_class), "%s", cls);
	snprintf(a.workload, sizeof(a.workload), "spin");
	snprintf(a.measured_at, sizeof(a.measured_at), "%s", at);
	snprintf(a.pattern, sizeof(a.pattern), "%s", pattern);
	a.has_cpu_max = cpu > 0;
	a.cpu_max_pct = cpu;
	int64_t id = 0;
	assert_int_equal(soak_db_noise_add(w, &a, &id), 0);
	return id;
}

/* The floor chosen for a run of host/class at iv, started at `at`. */
static int64_t floor_for(soak_db_t *w, const char *host, const char *cls, double iv, const char *at,
			 double cpu, const char *workload, const char *args)
{
	soak_run_t r = { .host = (char *)host, .host_class = (char *)cls, .interval_s = iv,
			 .started_at = (char *)at, .has_cpu_max = cpu > 0, .cpu_max_pct = cpu,
			 .workload = (char *)(workload ? workload : "random_mixed"), .workload_args = (char *)args };
	soak_noise_t n;
	int rc = soak_db_noise_for_run(w, &r, &n);
	return rc == 0 ? n.id : rc;
}

/* The noise floor that applies to a run: the same host name and class, the
 * interval within 1%, the same limits and control pattern; of those the
 * one measured closest in time to the run, not the newest. A row without a
 * class or limits (older than schema 6) holds for runs without limits only. */
static void test_noise(void **state)
{
	fx_t *f = *state;
	soak_db_t *w = open_w(f);
	const char *X = "xeon/2c/4G/v2", *Y = "epyc/64c/256G/v2";
	int64_t old = add_floor(w, "hostA", "", 1.0, "2026-11-29T09:00:00.000Z", 0, "", 7);
	int64_t x10 = add_floor(w, "hostA", X, 1.0, "2026-11-29T10:00:00.000Z", 0, "slots", 12.9);
	int64_t y1030 = add_floor(w, "hostA", Y, 1.0, "2026-11-29T10:30:00.000Z", 0, "slots", 1);
	int64_t cpu5 = add_floor(w, "hostA", X, 1.0, "2026-11-29T10:45:00.000Z", 5, "slots", 80);
	int64_t alu = add_floor(w, "hostA", X, 1.0, "2026-11-29T10:50:00.000Z", 0, "alu", 0.9);
	int64_t x11 = add_floor(w, "hostA", X, 1.0, "2026-11-29T11:00:00.000Z", 0, "slots", 4);
	int64_t q = add_floor(w, "hostA", X, 0.25, "2026-11-29T12:00:00.000Z", 0, "slots", 30);
	int64_t dec = add_floor(w, "hostA", X, 1.0, "2026-12-05T10:00:00.000Z", 0, "slots", 5);
	assert_int_equal(soak_db_commit(w), 0);
	/* Closest in time, not the newest: 10:05 -> 10:00, 10:40 -> 11:00. */
	assert_true(floor_for(w, "hostA", X, 1.005, "2026-11-29T10:05:00.000Z", 0, NULL, NULL) == x10);
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:40:00.000Z", 0, NULL, NULL) == x11);
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-12-06T10:00:00.000Z", 0, NULL, NULL) == dec);
	/* Another machine with the same name: its own floor, never X's. */
	assert_true(floor_for(w, "hostA", Y, 1.0, "2026-11-29T10:40:00.000Z", 0, NULL, NULL) == y1030);
	assert_true(floor_for(w, "hostA", Y, 1.0, "2026-12-06T10:00:00.000Z", 0, NULL, NULL) == y1030);
	/* A class without floors of its own: only the classless old row. */
	assert_true(floor_for(w, "hostA", "other", 1.0, "2026-12-06T10:00:00.000Z", 0, NULL, NULL) == old);
	/* Limits: the floor under the same CPU limit; none under another; an
	 * unlimited run never gets the limited floor (the case). */
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:00:00.000Z", 5, NULL, NULL) == cpu5);
	assert_int_equal(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:45:00.000Z", 10, NULL, NULL), -ENOENT);
	assert_int_equal(floor_for(w, "hostA", "other", 1.0, "2026-11-29T10:45:00.000Z", 5, NULL, NULL), -ENOENT);
	/* Pattern: a spin run's own; other workloads the default (slots). */
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:00:00.000Z", 0, "spin", "[\"--pattern\",\"alu\"]") == alu);
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:00:00.000Z", 0, "spin", "[\"--pattern=alu\"]") == alu);
	assert_true(floor_for(w, "hostA", X, 1.0, "2026-11-29T10:51:00.000Z", 0, "spin", "[]") == x11);
	/* Interval and host name. */
	assert_true(floor_for(w, "hostA", X, 0.25, "2026-11-29T10:00:00.000Z", 0, NULL, NULL) == q);
	assert_int_equal(floor_for(w, "hostA", X, 2.0, "2026-11-29T10:00:00.000Z", 0, NULL, NULL), -ENOENT);
	assert_int_equal(floor_for(w, "hostB", X, 1.0, "2026-11-29T10:00:00.000Z", 0, NULL, NULL), -ENOENT);
	/* Values round-trip: NAN as NULL, the conditions as stored. */
	soak_run_t r = { .host = "hostA", .host_class = (char *)X, .interval_s = 1, .has_cpu_max = true,
			 .cpu_max_pct = 5, .started_at = "2026-11-29T10:45:00.000Z", .workload = "spin" };
	soak_noise_t n;
	assert_int_equal(soak_db_noise_for_run(w, &r, &n), 0);
	assert_float_equal(n.cv_pct, 80, 0);
	assert_true(isnan(n.drift_pct));
	assert_true(n.has_cpu_max && n.cpu_max_pct == 5 && !n.has_memory_max && !n.has_swap_max);
	assert_string_equal(n.host_class, X);
	assert_string_equal(n.pattern, "slots");
	assert_string_equal(n.workload, "spin");
	/* A floor's identity from its control run's record. */
	soak_run_t c = { .host = "h", .host_class = "k", .started_at = "2026-11-29T10:45:00.000Z", .workload = "spin",
			 .workload_args = "[\"--pattern\", \"alu\"]", .has_memory_max = true, .memory_max = 1 << 26 };
	soak_noise_identity(&c, &n);
	assert_string_equal(n.pattern, "alu");
	assert_true(n.has_memory_max && n.memory_max == 1 << 26 && !n.has_cpu_max);
	c.workload_args = NULL;
	soak_noise_identity(&c, &n);
	assert_string_equal(n.pattern, "slots");
	n.interval_s = 0;
	assert_true(soak_db_noise_add(w, &n, NULL) < 0);
}

static void test_wal_visibility(void **state)
{
	fx_t *f = *state;
	soak_db_t *w = open_w(f);
	int64_t run = new_run(w, NULL, NULL);
	int64_t m = metric(w, "rss_bytes");
	assert_int_equal(soak_db_sample(w, run, m, 0.0, 42, true), 0);
	assert_int_equal(soak_db_commit(w), 0);

	soak_db_t *rd = open_mode(f->path, SOAK_DB_READ);
	soak_series_t s;
	assert_int_equal(soak_db_series(rd, run, "rss_bytes", 0, &s), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.v[0] == 42);
	soak_series_free(&s);

	/* Uncommitted: invisible to the reader, and the reader does not block it. */
	assert_int_equal(soak_db_sample(w, run, m, 1.0, 43, true), 0);
	assert_int_equal(soak_db_series(rd, run, "rss_bytes", 0, &s), 0);
	assert_int_equal(s.n, 1);
	soak_series_free(&s);
	assert_int_equal(soak_db_commit(w), 0);
	assert_int_equal(soak_db_series(rd, run, "rss_bytes", 0, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.v[1] == 43);
	soak_series_free(&s);
	soak_db_close(rd, NULL, 0);
}

static void test_time(void **state)
{
	(void)state;
	static const struct {
		double t;
		const char *s;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1795295312.123, "2026-11-21T21:08:32.123Z" },
		{ 1795295312.9996, "2026-11-21T21:08:33.000Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[SOAK_DB_TIME_LEN];
		soak_db_time_format(cases[i].t, buf);
		assert_string_equal(buf, cases[i].s);
		double back;
		assert_int_equal(soak_db_time_parse(buf, &back), 0);
		assert_true(fabs(back - cases[i].t) < 0.001);
	}
	double t;
	assert_int_equal(soak_db_time_parse("2026-11-21T21:08:32Z", &t), 0);
	assert_true(t == 1795295312.0);
	static const char *const bad[] = { "", "2026-11-21", "2026-11-21T21:08:32.123", "2026-13-01T00:00:00Z",
					   "2026-11-21T21:08:32.Z", "2026-11-21T21:08:32.1Zx" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(soak_db_time_parse(bad[i], &t), -EINVAL);
	int64_t start;
	assert_int_equal(soak_proc_starttime(dead_pid(), &start), -ENOENT);
	assert_int_equal(soak_proc_starttime(getpid(), &start), 0);
	assert_true(start > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_null_is_nan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_series_t_from, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unavailable_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_upsert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hist_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_created_empty_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_leaves_no_sidecars, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_visibility, setup, teardown),
		cmocka_unit_test_setup_teardown(test_noise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_runs_each, setup, teardown),
		cmocka_unit_test(test_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
