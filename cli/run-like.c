/* run-like.c - the settings recorded in a run as a new run's options (run --like). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "run-like.h"
#include "runinfo.h"

void soak_like_free(soak_like_t *like)
{
	if (!like)
		return;
	soak_run_free(&like->rec);
	for (int i = 0; like->argv && i < like->argc; i++)
		free(like->argv[i]);
	free(like->argv);
	free(like->alloc_spec);
	free(like->tp_pattern);
	free(like->driver);
	memset(like, 0, sizeof(*like));
}

/* The workload's argv from runs.workload_args (a JSON array of strings). */
static int load_args(soak_like_t *like, char *err, size_t len)
{
	const char *js = like->rec.workload_args ? like->rec.workload_args : "[]";
	cJSON *j = cJSON_Parse(js);
	int n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : -1;
	if (n < 0) {
		cJSON_Delete(j);
		snprintf(err, len, "run %" PRId64 ": its workload arguments are not a JSON array of strings: %s",
			 like->id, js);
		return -EINVAL;
	}
	like->argv = calloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; like->argv && i < n; i++) {
		const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(j, i));
		if (!s || !(like->argv[like->argc++] = strdup(s))) {
			cJSON_Delete(j);
			snprintf(err, len, "run %" PRId64 ": argument %d of its workload is not a string", like->id, i + 1);
			return -EINVAL;
		}
	}
	cJSON_Delete(j);
	return like->argv ? 0 : -ENOMEM;
}

/* Latency sampling, grace, exec --repeat, --tp-pattern and --driver (SOAK_RUN_SETTINGS_STREAM):
 * 1 when read, 0 when the run has none (recorded by an older soak). */
static int load_settings(soak_db_t *db, soak_like_t *like, soak_run_opts_t *o)
{
	char *s = NULL;
	size_t n = 0;
	bool trunc = false;
	if (soak_db_log_read(db, like->id, SOAK_RUN_SETTINGS_STREAM, &s, &n, &trunc) < 0 || !n) {
		free(s);
		return 0;
	}
	cJSON *j = cJSON_Parse(s);
	free(s);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return 0;
	}
	const cJSON *le = cJSON_GetObjectItem(j, "latency_every"), *g = cJSON_GetObjectItem(j, "grace_s");
	const char *tp = cJSON_GetStringValue(cJSON_GetObjectItem(j, "tp_pattern"));
	const char *drv = cJSON_GetStringValue(cJSON_GetObjectItem(j, "driver"));
	if (cJSON_IsNumber(le) && le->valuedouble >= 0 && le->valuedouble <= UINT32_MAX)
		o->latency_every = (uint32_t)le->valuedouble;
	if (cJSON_IsNumber(g) && g->valuedouble >= 0)
		o->grace_s = g->valuedouble;
	o->repeat = cJSON_IsTrue(cJSON_GetObjectItem(j, "repeat"));
	if (tp && (like->tp_pattern = strdup(tp)))
		o->tp_pattern = like->tp_pattern;
	if (drv && (like->driver = strdup(drv)))
		o->driver = like->driver;
	cJSON_Delete(j);
	return 1;
}

/* The recorded class is given again only when it is not the one derived from
 * the recording machine (--host-class or $SOAK_HOST_CLASS set it): a derived
 * class is derived again, for the machine this run is on. */
static const char *given_host_class(const soak_run_t *rec)
{
	if (!rec->host_class)
		return NULL;
	soak_host_t h = { .has_cpu_model = rec->cpu_model != NULL,
			  .cpu_cores = rec->has_cpu_cores ? rec->cpu_cores : 0,
			  .mem_total = rec->has_mem_total ? rec->mem_total : 0 };
	if (rec->cpu_model)
		snprintf(h.cpu_model, sizeof(h.cpu_model), "%s", rec->cpu_model);
	char derived[512];
	soak_host_class_default(&h, rec->cgroup_mode ? rec->cgroup_mode : "none", derived, sizeof(derived));
	return strcmp(derived, rec->host_class) ? rec->host_class : NULL;
}

static int load_allocator(soak_like_t *like, soak_run_opts_t *o)
{
	const soak_run_t *rec = &like->rec;
	const char *name = rec->allocator_name ? rec->allocator_name : "system";
	if (!rec->allocator_path)
		like->alloc_spec = strdup("system");
	else if (asprintf(&like->alloc_spec, "%s=%s", name, rec->allocator_path) < 0)
		like->alloc_spec = NULL;
	if (!like->alloc_spec)
		return -ENOMEM;
	o->allocator = like->alloc_spec;
	o->allocator_env = rec->allocator_env ? rec->allocator_env : "";
	return 0;
}

int soak_like_load(soak_db_t *db, int64_t id, soak_run_opts_t *o, soak_like_t *like, char *err, size_t len)
{
	memset(like, 0, sizeof(*like));
	like->id = id;
	soak_run_t *runs = NULL;
	size_t n = 0;
	soak_run_filter_t f = { .ids = &id, .n_ids = 1 };
	int r = soak_db_runs(db, &f, &runs, &n);
	if (r < 0 || n != 1) {
		soak_runs_free(runs, n);
		if (r == -ENOENT || (r == 0 && n == 0))
			snprintf(err, len, "--like %" PRId64 ": no run %" PRId64 " in the database", id, id);
		else
			snprintf(err, len, "--like %" PRId64 ": %s", id, soak_db_errmsg(db));
		return r < 0 && r != -ENOENT ? r : -ENOENT;
	}
	like->rec = runs[0];
	free(runs);   /* the record's strings now belong to like->rec */
	const soak_run_t *rec = &like->rec;
	if ((r = load_args(like, err, len)) < 0 || (r = load_allocator(like, o)) < 0)
		return r;
	bool settings = load_settings(db, like, o) == 1;
	o->workload = rec->workload;
	if (!strcmp(rec->workload, "exec") && (!like->argc || !settings)) {
		snprintf(err, len, "--like %" PRId64 ": run %" PRId64 " is an exec run whose command cannot be "
			 "rebuilt (%s): run it again with -w exec and its command", id, id,
			 like->argc ? "it was recorded before soak kept --repeat and --tp-pattern" :
			 "no command was recorded");
		return -EINVAL;
	}
	o->wl_argv = like->argc ? like->argv : NULL;
	o->wl_argc = like->argc;
	o->duration_s = rec->duration_s;
	o->interval_s = rec->interval_s;
	o->warmup_s = rec->warmup_s < 0 ? SOAK_WARMUP_AUTO : rec->warmup_s;
	o->has_memory_max = rec->has_memory_max;
	o->memory_max = rec->memory_max;
	o->has_swap_max = rec->has_swap_max;
	o->swap_max = rec->swap_max;
	o->has_cpu_max = rec->has_cpu_max;
	o->cpu_max_pct = rec->cpu_max_pct;
	o->no_cgroup = rec->cgroup_mode && !strcmp(rec->cgroup_mode, "none");
	o->label = rec->label;
	o->host_class = given_host_class(rec);
	return 0;
}

/* Recorded settings that an override makes meaningless are dropped, not
 * refused as if the user had given both: another workload does not take the
 * recorded one's arguments (unless given after --), --repeat or
 * --tp-pattern; --no-cgroup does not take the recorded limits. */
static void drop_implied(const soak_like_t *like, soak_run_opts_t *o)
{
	const soak_run_t *rec = &like->rec;
	if (strcmp(o->workload, rec->workload)) {
		if (o->wl_argv == like->argv || (!like->argc && !o->wl_argv)) {
			o->wl_argv = NULL;
			o->wl_argc = 0;
		}
		if (strcmp(o->workload, "exec")) {
			if (o->tp_pattern == like->tp_pattern)
				o->tp_pattern = NULL;
			if (o->driver == like->driver)
				o->driver = NULL;
			o->repeat = false;
		}
	}
	bool was_none = rec->cgroup_mode && !strcmp(rec->cgroup_mode, "none");
	if (o->no_cgroup && !was_none) {
		if (o->has_memory_max && o->memory_max == rec->memory_max)
			o->has_memory_max = false;
		if (o->has_swap_max && o->swap_max == rec->swap_max)
			o->has_swap_max = false;
		if (o->has_cpu_max && o->cpu_max_pct == rec->cpu_max_pct)
			o->has_cpu_max = false;
	}
}

int soak_like_check(const soak_like_t *like, soak_run_opts_t *o, char *err, size_t len)
{
	const soak_run_t *rec = &like->rec;
	drop_implied(like, o);
	if (o->allocator != like->alloc_spec) {   /* --allocator given: its own registration */
		o->allocator_env = NULL;
		return 0;
	}
	if (!rec->allocator_path)
		return 0;
	struct stat st;
	if (stat(rec->allocator_path, &st) < 0) {
		snprintf(err, len, "--like %" PRId64 ": the allocator file %s of run %" PRId64 " no longer exists: "
			 "give --allocator", like->id, rec->allocator_path, like->id);
		return -EINVAL;
	}
	char sha[65];
	if (rec->allocator_sha256) {
		if (soak_runinfo_sha256(rec->allocator_path, sha) < 0) {
			snprintf(err, len, "--like %" PRId64 ": cannot read the allocator file %s to check it is the "
				 "one run %" PRId64 " used", like->id, rec->allocator_path, like->id);
			return -EINVAL;
		}
		if (strcmp(sha, rec->allocator_sha256)) {
			snprintf(err, len, "--like %" PRId64 ": the allocator file %s changed since run %" PRId64
				 ": expected sha256 %s, found %s (give --allocator to run it anyway)",
				 like->id, rec->allocator_path, like->id, rec->allocator_sha256, sha);
			return -EINVAL;
		}
	} else if (rec->has_allocator_file &&
		   ((int64_t)st.st_size != rec->allocator_size || (int64_t)st.st_mtime != rec->allocator_mtime)) {
		snprintf(err, len, "--like %" PRId64 ": the allocator file %s changed since run %" PRId64
			 ": expected %" PRId64 " bytes of mtime %" PRId64 ", found %lld bytes of mtime %lld "
			 "(give --allocator to run it anyway)", like->id, rec->allocator_path, like->id,
			 rec->allocator_size, rec->allocator_mtime, (long long)st.st_size, (long long)st.st_mtime);
		return -EINVAL;
	}
	return 0;
}
