/*
 * run.c - one soak run: resolve the allocator, create the cgroups, record the
 * run, fork the workload held before exec, attach it to its cgroups and probes,
 * release it, sample (run-live.c) until the duration ends, the worker exits or
 * we are interrupted, record how it ended (run-end.c), and clean up whatever
 * happens. The run record is written before the worker starts and finished
 * after it is reaped; samples are committed at least every 100 ms.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cgroup-kill.h"
#include "run-internal.h"
#include "soak/uuid.h"
#include "runinfo.h"
#include "soak/ini.h"
#include "soak/procstat.h"

/* Throughput cost of counting bytes_usable on random_mixed, measured by
 * scripts/bench-live-bytes.sh (docs/metrics.md); said where it is NULL. */
#define SOAK_USABLE_COST "6-17%"


volatile int soak_run_interrupted;
volatile int soak_run_interrupt_signal;

int soak_run_interrupt_signal_get(void)
{
	return soak_run_interrupt_signal;
}


void soak_run_opts_init(soak_run_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->workload = "random_mixed";
	o->allocator = "system";
	o->duration_s = 60;
	o->interval_s = 1;
	o->grace_s = 5;
	o->warmup_s = SOAK_WARMUP_AUTO;
	o->db_path = "soak.db";
	o->latency_every = SOAK_DEFAULT_LATENCY_EVERY;
	o->progress = true;
}

void run_say(const soak_run_opts_t *o, soak_say_t kind, const char *fmt, ...)
{
	if (!o || !o->say)
		return;
	char line[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->say(o->say_arg, kind, line);
}

double run_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double run_cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- setup ---- */

const char *soak_worker_path_why(int r)
{
	const char *env = getenv("SOAK_WORKER");
	if (env && *env)
		return r == -ENOENT ? "SOAK_WORKER names no file: set it to the soak-worker binary, or unset it"
				    : "SOAK_WORKER is not an executable file (a directory?): set it to the soak-worker "
				      "binary, or unset it";
	return "cannot find soak-worker relative to soakctl (" SOAK_WORKER_REL ", ../workloads/, or beside it): "
	       "reinstall, or set SOAK_WORKER=PATH";
}

int soak_worker_path(char *buf, size_t len)
{
	const char *env = getenv("SOAK_WORKER");
	if (env && *env) {
		struct stat st;
		snprintf(buf, len, "%s", env);
		if (stat(buf, &st) != 0)
			return -ENOENT;
		return S_ISREG(st.st_mode) && access(buf, X_OK) == 0 ? 0 : -EACCES;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -errno;
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	/* Installed: bin/soakctl and libexec/soak/soak-worker (SOAK_WORKER_REL,
	 * from CMake's install dirs, so a relocated prefix still works); build
	 * tree: cli/soakctl and workloads/soak-worker; or side by side. */
	static const char *const rel[] = { SOAK_WORKER_REL, "../workloads/soak-worker", "soak-worker" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%s/%s", self, rel[i]);
		if (access(buf, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static char *args_json(char **argv, int argc)
{
	size_t len = 3;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) * 2 + 4;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p++ = '[';
	for (int i = 0; i < argc; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*p++ = '\\';
			*p++ = (unsigned char)*c < 0x20 ? ' ' : *c;
		}
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

/* What the worker counts and queries beyond ops (docs/metrics.md): the
 * allocator's statistics interface and its period (the sampling interval,
 * kept within 100 ms .. 1 s: never faster than the slow cadence), and whether
 * bytes_usable is counted. */
static void setup_shm_memory(run_t *r)
{
	soak_shm_astats_t *a = &r->shm->astats;
	a->kind = (uint32_t)soak_alloc_stats_kind(&r->alloc, a->why, sizeof(a->why));
	double ms = r->o->interval_s * 1000.0;
	a->period_ms = (uint32_t)(ms < 100 ? 100 : ms > 1000 ? 1000 : ms);
	if (!r->o->usable_bytes) {
		snprintf(r->shm->usable_why, sizeof(r->shm->usable_why),
			 "not measured: costs %s throughput; turn on with --usable-bytes", SOAK_USABLE_COST);
	} else if (r->alloc.path[0] && soak_alloc_exports(r->alloc.path, "malloc_usable_size") != 1) {
		snprintf(r->shm->usable_why, sizeof(r->shm->usable_why),
			 "allocator %.100s offers no malloc_usable_size", r->alloc.path);
	} else {
		r->shm->usable_on = 1;
	}
}

static int setup_shm(run_t *r)
{
	r->shm_fd = memfd_create("soak-shm", MFD_CLOEXEC);
	if (r->shm_fd < 0)
		return -errno;
	if (ftruncate(r->shm_fd, sizeof(soak_shm_t)) < 0)
		return -errno;
	void *m = mmap(NULL, sizeof(soak_shm_t), PROT_READ | PROT_WRITE, MAP_SHARED, r->shm_fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	r->shm = m;
	r->shm->magic = SOAK_SHM_MAGIC;
	r->shm->version = SOAK_SHM_VERSION;
	r->shm->latency_every = r->o->latency_every;
	for (int i = 0; i < SOAK_MAX_THREADS; i++)
		soak_hist_init(&r->shm->thr[i].lat);
	setup_shm_memory(r);
	return 0;
}

/* Checks the workload and its options with the worker itself before anything
 * is recorded, so a typo costs no run record. */
static int check_workload(const char *worker, const soak_run_opts_t *o)
{
	char **argv = calloc((size_t)o->wl_argc + 4, sizeof(char *));
	if (!argv)
		return -ENOMEM;
	argv[0] = (char *)worker;
	argv[1] = "--check";
	argv[2] = (char *)o->workload;
	for (int i = 0; i < o->wl_argc; i++)
		argv[3 + i] = o->wl_argv[i];
	/* The run's cgroup does not exist yet: tell the check the planned limits
	 * (the paging workload sizes itself from them). */
	char mem[48], swap[48];
	snprintf(mem, sizeof(mem), "SOAK_CHECK_MEMORY_MAX=%llu", (unsigned long long)o->memory_max);
	snprintf(swap, sizeof(swap), "SOAK_CHECK_SWAP_MAX=%llu", (unsigned long long)o->swap_max);
	if (!o->has_memory_max)
		snprintf(mem, sizeof(mem), "SOAK_CHECK_MEMORY_MAX=max");
	if (!o->has_swap_max)
		snprintf(swap, sizeof(swap), "SOAK_CHECK_SWAP_MAX=max");
	char *env[] = { mem, swap, NULL };
	soak_spawn_t s = { .argv = argv, .env_add = env, .clear_ld_preload = true, .keep_fd = -1 };
	soak_child_t c;
	int r = soak_spawn(&s, &c);
	if (r == 0) {
		soak_spawn_release(&c);
		int st;
		waitpid(c.pid, &st, 0);
		r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EINVAL;
	}
	free(argv);
	return r;
}

/* The host identity of the run; the class is what history and comparisons
 * group by: --host-class, else $SOAK_HOST_CLASS, else derived. */
static void fill_host(const soak_run_opts_t *o, soak_run_t *rec, soak_host_t *hw, char *hclass, size_t len)
{
	soak_runinfo_host(hw);
	rec->cpu_model = hw->has_cpu_model ? hw->cpu_model : NULL;
	rec->has_cpu_cores = hw->cpu_cores > 0;
	rec->cpu_cores = hw->cpu_cores;
	rec->has_mem_total = hw->mem_total > 0;
	rec->mem_total = hw->mem_total;
	const char *env = getenv("SOAK_HOST_CLASS");
	if (o->host_class)
		snprintf(hclass, len, "%s", o->host_class);
	else if (env && *env)
		snprintf(hclass, len, "%s", env);
	else
		soak_host_class_default(hw, rec->cgroup_mode, hclass, len);
	rec->host_class = hclass;
}

static void fill_record(run_t *r, soak_run_t *rec, char *cgjson, char *host, char *kernel)
{
	const soak_run_opts_t *o = r->o;
	memset(rec, 0, sizeof(*rec));
	struct utsname u;
	uname(&u);
	snprintf(host, 256, "%s", u.nodename);
	snprintf(kernel, 256, "%s %s", u.release, u.machine);
	rec->host = host;
	rec->kernel = kernel;
	rec->label = (char *)o->label;
	rec->comparison_id = (char *)o->comparison_id;
	rec->suite_version = SOAK_VERSION;
	rec->git_rev = SOAK_GIT_REV;
	rec->cgroup_mode = (char *)soak_cg_mode_name(r->cg.paths.mode);
	rec->cgroup_placement = (char *)soak_place_how_name(r->cg.paths.mode == SOAK_CG_NONE ?
							  SOAK_PLACE_NONE : r->cg.place->how);
	rec->cgroup_paths = cgjson;
	rec->has_memory_max = o->has_memory_max;
	rec->memory_max = o->memory_max;
	rec->has_swap_max = o->has_swap_max;
	rec->swap_max = o->swap_max;
	rec->has_cpu_max = o->has_cpu_max;
	rec->cpu_max_pct = o->cpu_max_pct;
	rec->allocator_name = r->alloc.name;
	rec->allocator_path = r->alloc.path[0] ? r->alloc.path : NULL;
	rec->allocator_env = r->alloc.env[0] ? r->alloc.env : NULL;
	rec->has_allocator_file = r->alloc.has_file;
	rec->allocator_size = r->alloc.size;
	rec->allocator_mtime = r->alloc.mtime;
	rec->workload = (char *)o->workload;
	rec->workload_args = args_json(o->wl_argv, o->wl_argc);
	rec->duration_s = o->duration_s;
	rec->interval_s = o->interval_s;
	rec->warmup_s = o->warmup_s;
	rec->status = "running";
	rec->uuid = r->uuid[0] ? r->uuid : NULL;
	rec->runner_pid = getpid();
	soak_proc_starttime(getpid(), &rec->runner_starttime);
}

/* Builds the environment additions: LD_PRELOAD and the allocator's own
 * variables (split like a shell would, without one: A="x y" is one variable)
 * when alloc_part, and for the built-in worker the shm fd and runner pid when
 * own_part. exec --repeat: the driver gets own_part only, the allocator part
 * goes to it as --step-env arguments for each step. NULL when out of memory or
 * when env does not split (soak.ini was checked when it was read). Free with
 * soak_env_free. */
static char **child_env(run_t *r, bool alloc_part, bool own_part)
{
	char **alloc_env = NULL, err[256];
	size_t na = 0;
	if (soak_env_split(r->alloc.env, &alloc_env, &na, err, sizeof(err)) < 0) {
		run_say(r->o, SOAK_SAY_ERROR, "allocator %s: %s", r->alloc.name, err);
		return NULL;
	}
	char **env = calloc(na + 4, sizeof(char *));
	if (!env) {
		soak_env_free(alloc_env);
		return NULL;
	}
	size_t n = 0;
	bool ok = true;
	if (alloc_part && r->alloc.path[0])
		ok &= asprintf(&env[n++], "LD_PRELOAD=%s", r->preload) > 0;
	for (size_t i = 0; alloc_part && i < na; i++) {
		env[n++] = alloc_env[i];
		alloc_env[i] = NULL;
	}
	soak_env_free(alloc_env);
	if (own_part && r->shm) {
		ok &= asprintf(&env[n++], "%s=%d", SOAK_SHM_FD_ENV, r->shm_fd) > 0;
		ok &= asprintf(&env[n++], "%s=%d", SOAK_RUNNER_PID_ENV, (int)getpid()) > 0;
	}
	if (!ok) {
		soak_env_free(env);
		return NULL;
	}
	return env;
}

static int signals_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, old);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int soak_run_place(soak_run_opts_t *o, soak_place_t *place)
{
	o->place = NULL;
	if (o->no_cgroup)
		return 0;
	char err[3072] = "";
	int r = soak_place_acquire(place, o->cgroup_parent, o->has_cpu_max, err, sizeof(err));
	if (r < 0) {
		run_say(o, SOAK_SAY_ERROR, "%s", err);
		return r;
	}
	o->place = place;
	if (o->verbose > 0)
		run_say(o, SOAK_SAY_INFO, "cgroups: %s, %s%s%s%s", soak_cg_mode_name(place->mode),
			soak_place_how_name(place->how), place->parent[0] ? " below " : "", place->parent,
			place->scope[0] ? " (systemd scope)" : "");
	return 0;
}

void soak_run_unplace(soak_run_opts_t *o)
{
	if (o->place)
		soak_place_release(o->place);
	o->place = NULL;
}

static void cleanup(run_t *r)
{
	if (r->cg.paths.mode != SOAK_CG_NONE && soak_cg_destroy(&r->cg) < 0)
		run_say(r->o, SOAK_SAY_ERROR, "could not remove cgroup %s; remove it by hand",
			 r->cg.paths.unified_dir[0] ? r->cg.paths.unified_dir : r->cg.paths.mem_dir);
	soak_guard_stop(&r->guard);
	if (r->shm)
		munmap(r->shm, sizeof(soak_shm_t));
	if (r->shm_fd >= 0)
		close(r->shm_fd);
	soak_output_free(&r->out);
	soak_output_free(&r->err);
	run_driver_free(r);
	soak_alloc_preload_remove(r->preload_dir);
	if (r->tp_on)
		soak_tpscan_free(&r->tp);
}

/* A run with nothing created yet: every clean-up in cleanup() is safe on it. */
static run_t *run_new(soak_db_t *db, const soak_run_opts_t *o)
{
	run_t *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->o = o;
	r->db = db;
	r->shm_fd = -1;
	r->out.fd = r->err.fd = -1;
	r->guard = (soak_guard_t){ .pid = -1, .fd = -1 };
	run_driver_init(r);
	/* Asked once: isatty() is an ioctl, a system call on every tick otherwise. */
	r->progress_on = o->progress && o->verbose >= 0 && isatty(STDERR_FILENO);
	return r;
}

/* -w exec: the command must be an executable file the allocator can be
 * injected into. */
static int check_exec(run_t *r)
{
	const soak_run_opts_t *o = r->o;
	if (o->driver && (o->repeat || !*o->driver)) {
		run_say(o, SOAK_SAY_ERROR, "--driver needs a command and drives a single exec, not --repeat: "
			"soakctl run -w exec --driver 'LOAD CMD' -- SERVER ARGS");
		return -EINVAL;
	}
	if (o->wl_argc < 1) {
		run_say(o, SOAK_SAY_ERROR, "--workload exec needs a command after --: soakctl run --workload exec -- CMD ARGS");
		return -EINVAL;
	}
	char cmd[PATH_MAX];
	if (soak_spawn_resolve(o->wl_argv[0], cmd, sizeof(cmd)) < 0) {
		run_say(o, SOAK_SAY_ERROR, "--workload exec: command '%s' is not an executable file (not found, a "
			 "directory or not executable): give a program", o->wl_argv[0]);
		return -ENOENT;
	}
	/* An external command cannot report which library serves malloc, so
	 * the maps check (loaded) needs this one (exports malloc and free):
	 * a preloaded library that defines them is first in symbol lookup. */
	if (r->alloc.path[0] && (soak_alloc_exports(r->alloc.path, "malloc") != 1 ||
				 soak_alloc_exports(r->alloc.path, "free") != 1)) {
		run_say(o, SOAK_SAY_ERROR, "allocator %s: %s does not export malloc and free, so it cannot serve "
			 "%s's allocations", r->alloc.name, r->alloc.path, o->wl_argv[0]);
		return -EINVAL;
	}
	if (r->alloc.path[0] && soak_runinfo_is_static(cmd) == 1) {
		run_say(o, SOAK_SAY_ERROR, "--workload exec: %s is statically linked, so LD_PRELOAD cannot inject %s: "
			 "use a dynamically linked build", cmd, r->alloc.name);
		return -EINVAL;
	}
	return 0;
}

/* Checks of the request before anything is created or recorded: the
 * allocator, the self-report formats, the worker binary (into worker), the
 * workload or command, and that a cgroup run has its placement. */
static int check_request(run_t *r, bool builtin, bool use_worker, char *worker, size_t wlen, bool placed)
{
	const soak_run_opts_t *o = r->o;
	char err[1024] = "";
	int rc;
	if ((rc = soak_alloc_resolve(o->allocator, o->config, &r->alloc, err, sizeof(err))) < 0) {
		run_say(o, SOAK_SAY_ERROR, "%s", err);
		return rc;
	}
	if (o->allocator_env)
		snprintf(r->alloc.env, sizeof(r->alloc.env), "%s", o->allocator_env);
	if ((rc = soak_srfmt_load(o->config, &r->srfmt, err, sizeof(err))) < 0) {
		run_say(o, SOAK_SAY_ERROR, "%s", err);
		return rc;
	}
	if (use_worker && (rc = soak_worker_path(worker, wlen)) < 0) {
		run_say(o, SOAK_SAY_ERROR, "%s", soak_worker_path_why(rc));
		return rc;
	}
	if (builtin) {
		if ((rc = check_workload(worker, o)) < 0)
			return rc; /* the worker printed what is wrong */
	} else if ((rc = check_exec(r)) < 0) {
		return rc;
	}
	if (placed && !o->no_cgroup && !o->place) {
		run_say(o, SOAK_SAY_ERROR, "internal error: run without a cgroup placement");
		return -EINVAL;
	}
	return 0;
}

/* The run's uuid and its cgroups, named after it (unless --no-cgroup), and
 * the cgroup's OOM-kill count before the run. */
static int make_cgroups(run_t *r)
{
	const soak_run_opts_t *o = r->o;
	if (o->no_cgroup)
		return 0;
	char err[1024] = "";
	int rc;
	soak_cg_limits_t lim = { o->has_memory_max, o->has_swap_max, o->has_cpu_max,
				 o->memory_max, o->swap_max, o->cpu_max_pct };
	/* Named after the run's uuid: recovery removes a directory only if
	 * its name matches the run record that points at it. */
	char name[SOAK_CG_NAME_LEN];
	if ((rc = soak_uuid4(r->uuid)) < 0 || (rc = soak_cg_run_name(r->uuid, name, sizeof(name))) < 0) {
		run_say(o, SOAK_SAY_ERROR, "cannot generate a run uuid: %s", strerror(-rc));
		return rc;
	}
	if ((rc = soak_cg_create(&r->cg, o->place, name, &lim, err, sizeof(err))) < 0) {
		run_say(o, SOAK_SAY_ERROR, "%s (%spass --no-cgroup to run without limits)", err,
			 geteuid() ? "run as root, or " : "");
		return rc;
	}
	r->have_oom_before = soak_cg_oom_kills(&r->cg, &r->oom_before) == 0;
	return 0;
}

/* The settings the runs row has no column for, as JSON (SOAK_RUN_SETTINGS_STREAM). */
static char *settings_json(const soak_run_opts_t *o)
{
	cJSON *j = cJSON_CreateObject();
	char *s = NULL;
	if (j && cJSON_AddNumberToObject(j, "latency_every", o->latency_every) &&
	    cJSON_AddNumberToObject(j, "grace_s", o->grace_s) && cJSON_AddBoolToObject(j, "repeat", o->repeat) &&
	    (o->tp_pattern ? cJSON_AddStringToObject(j, "tp_pattern", o->tp_pattern) :
			     cJSON_AddNullToObject(j, "tp_pattern")) &&
	    (o->driver ? cJSON_AddStringToObject(j, "driver", o->driver) : cJSON_AddNullToObject(j, "driver")))
		s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* Writes the run record (status 'running'); sets r->id and *ret_run_id. */
static int record_run(run_t *r, int64_t *ret_run_id)
{
	char cgjson[16384] = "{}", host[256], kernel[256];
	if (r->cg.paths.mode != SOAK_CG_NONE)
		soak_cg_paths_json(&r->cg, cgjson, sizeof(cgjson));
	soak_run_t rec;
	soak_host_t hw;
	char hclass[512], sha[65];
	fill_record(r, &rec, cgjson, host, kernel);
	/* The build identity of the allocator (history names the build that
	 * brought a change); a library that cannot be read again is left NULL. */
	if (rec.allocator_path && soak_runinfo_sha256(rec.allocator_path, sha) == 0)
		rec.allocator_sha256 = sha;
	fill_host(r->o, &rec, &hw, hclass, sizeof(hclass));
	int rc = soak_db_run_begin(r->db, &rec, &r->id);
	free(rec.workload_args);
	char *set = rc < 0 ? NULL : settings_json(r->o);
	if (rc == 0)   /* joins the samples' first transaction */
		rc = set ? soak_db_log(r->db, r->id, SOAK_RUN_SETTINGS_STREAM, set, strlen(set), false) : -ENOMEM;
	free(set);
	if (rc < 0) {
		run_say(r->o, SOAK_SAY_ERROR, "cannot record the run: %s", soak_db_errmsg(r->db));
		return rc;
	}
	*ret_run_id = r->id;
	return 0;
}

/* What the child is started with: its environment additions, the allocator's
 * part for exec --repeat steps (inj), and its argv. */
typedef struct {
	char **env, **inj, **argv;
} run_cmd_t;

static void cmd_free(run_cmd_t *c)
{
	free(c->argv);
	soak_env_free(c->env);
	soak_env_free(c->inj);
}

/* Fills c: the built-in worker with its workload, the exec --repeat driver
 * with its options, or the command itself; then the workload's arguments.
 * Out of memory ends the run record as failed. */
static int cmd_build(run_t *r, bool builtin, char *worker, run_cmd_t *c)
{
	const soak_run_opts_t *o = r->o;
	c->env = child_env(r, !o->repeat, true);
	c->inj = o->repeat ? child_env(r, true, false) : NULL;
	size_t ninj = 0;
	while (c->inj && c->inj[ninj])
		ninj++;
	c->argv = calloc((size_t)o->wl_argc + 2 * ninj + 10, sizeof(char *));
	if (!c->env || (o->repeat && !c->inj) || !c->argv) {
		cmd_free(c);
		soak_db_run_end(r->db, r->id, "failed", NULL, NULL, "out of memory");
		run_say(o, SOAK_SAY_ERROR, "out of memory");
		return -ENOMEM;
	}
	char **argv = c->argv;
	int ac = 0;
	if (builtin) {
		argv[ac++] = worker;
		argv[ac++] = (char *)o->workload;
	} else if (o->repeat) {
		argv[ac++] = worker;
		argv[ac++] = "--exec-repeat";
		if (o->tp_pattern) {
			argv[ac++] = "--tp-pattern";
			argv[ac++] = (char *)o->tp_pattern;
		}
		/* The allocator goes to the command alone, never to the driver. */
		for (size_t k = 0; k < ninj; k++) {
			argv[ac++] = "--step-env";
			argv[ac++] = c->inj[k];
		}
		if (r->alloc.path[0]) {
			argv[ac++] = "--verify-lib";
			argv[ac++] = r->alloc.path;
		}
		argv[ac++] = "--";
	}
	for (int i = 0; i < o->wl_argc; i++)
		argv[ac++] = o->wl_argv[i];
	return 0;
}

/* The child's output: self-report lines on both streams, and for a single
 * exec (no driver) the throughput line on stdout, read without blocking. */
static void capture_output(run_t *r)
{
	soak_sr_store_init(&r->sr);
	soak_selfreport_init(&r->sr_out, soak_sr_store_put, &r->sr);
	soak_selfreport_init(&r->sr_err, soak_sr_store_put, &r->sr);
	/* A single exec (no driver): the runner reads its throughput line. */
	r->tp_on = !r->shm && soak_tpscan_init(&r->tp, r->o->tp_pattern) == 0;
	if (r->tp_on)
		soak_output_init(&r->out, "stdout", r->child.out_fd, run_feed_stdout, r);
	else
		soak_output_init(&r->out, "stdout", r->child.out_fd, run_feed_selfreport, &r->sr_out);
	soak_output_init(&r->err, "stderr", r->child.errout_fd, run_feed_selfreport, &r->sr_err);
	fcntl(r->out.fd, F_SETFL, O_NONBLOCK);
	fcntl(r->err.fd, F_SETFL, O_NONBLOCK);
}

/* Forks the child, held before its exec, with its sentinel; records its pid
 * and captures its output. A fork that fails ends the run record as failed
 * and its -errno is the run's result. */
static int spawn_child(run_t *r, const run_cmd_t *c)
{
	const soak_run_opts_t *o = r->o;
	soak_spawn_t sp = { .argv = c->argv, .env_add = c->env, .clear_ld_preload = true,
			    .keep_fd = r->shm_fd, .capture = true };
	int rc = c->env ? soak_spawn(&sp, &r->child) : -ENOMEM;
	if (rc < 0) {
		snprintf(r->message, sizeof(r->message), "%s: %s", c->env ? "fork failed" : "environment",
			 strerror(-rc));
		soak_db_run_end(r->db, r->id, "failed", NULL, NULL, r->message);
		run_say(o, SOAK_SAY_ERROR, "%s", r->message);
		return rc;
	}
	r->ctx.pid = r->child.pid;
	if (soak_guard_start(&r->guard, &r->cg.paths, r->child.pid) < 0 && o->verbose > 0)
		run_say(o, SOAK_SAY_ERROR, "no sentinel: the run's processes may outlive a runner killed with SIGKILL");
	soak_db_run_set_worker_pid(r->db, r->id, r->child.pid);
	soak_db_commit(r->db);
	capture_output(r);
	return 0;
}

/* Attaches the held child to its cgroups and probes, then lets it exec. On
 * failure the child is reaped, the run record ended as failed, and -1
 * returned (the run was recorded: the caller's result stays 0). */
static int attach_and_release(run_t *r, const run_cmd_t *c, bool builtin)
{
	const soak_run_opts_t *o = r->o;
	char err[1024] = "";
	if (r->cg.paths.mode != SOAK_CG_NONE &&
	    soak_cg_attach(&r->cg, r->child.pid, err, sizeof(err)) < 0) {
		kill(r->child.pid, SIGKILL);
		waitpid(r->child.pid, NULL, 0);
		snprintf(r->message, sizeof(r->message), "%s", err);
		soak_db_run_end(r->db, r->id, "failed", NULL, NULL, r->message);
		run_say(o, SOAK_SAY_ERROR, "%s", err);
		return -1;
	}
	run_probes_register(r);
	if (!builtin)   /* exec: one step per execution (a single exec is one step) */
		run_steps_register(r);
	run_probes_attach(r);
	r->t0 = run_now();
	int rc = soak_spawn_release(&r->child);
	if (rc < 0) {
		waitpid(r->child.pid, NULL, 0);
		snprintf(r->message, sizeof(r->message), "cannot execute %s: %s", c->argv[0], strerror(-rc));
		run_probes_record_unavailable(r);
		soak_db_run_end(r->db, r->id, "failed", NULL, NULL, r->message);
		run_say(o, SOAK_SAY_ERROR, "%s", r->message);
		run_probes_close(r);
		return -1;
	}
	return 0;
}

/* The released child: open the probes, sample until it is reaped, record
 * how it ended. 1 when samples or final records could not all be stored. */
static int run_released(run_t *r, int sfd)
{
	run_verify_exec_early(r);
	if (!r->mismatch)   /* the command runs with its allocator: drive it */
		run_driver_start(r);
	run_probes_open(r);
	run_mark_first_op(r);
	run_probes_record_unavailable(r);
	if (run_store_init(r) < 0 || soak_db_commit(r->db) < 0) {
		/* Samples could not be stored at all: say so now, not after the run. */
		run_say(r->o, SOAK_SAY_ERROR, "cannot record samples: %s", soak_db_errmsg(r->db));
		r->store_failed = true;
	}
	/* The loop never waits for another process's write lock (run-store.c). */
	soak_db_set_busy_timeout(r->db, 0);
	(void)run_loop(r, sfd);
	run_await_group_signal(r, sfd);
	run_finish(r);
	run_probes_close(r);
	run_store_free(r);
	/* Recorded, but not everything: the caller exits non-zero. */
	return r->store_failed ? 1 : 0;
}

/* From the recorded run to its end: build the command, spawn it with the
 * signals blocked (read from a signalfd by the loop), attach, release, loop. */
static int run_command(run_t *r, bool builtin, char *worker)
{
	const soak_run_opts_t *o = r->o;
	/* exec --repeat: the root is our driver; RSS, faults and CPU are its
	 * descendants' (the steps'), see probes/proctree.h. */
	r->ctx = (soak_probe_ctx_t){ .cg = &r->cg.paths, .shm = r->shm, .interval_s = o->interval_s,
				     .exclude_root = o->repeat };
	run_cmd_t c = { 0 };
	int rc = cmd_build(r, builtin, worker, &c);
	if (rc < 0)
		return rc;
	/* Without a cgroup nothing else can find the command's orphans: they
	 * become our children (reaped in run_try_reap, killed at the end). */
	if (o->no_cgroup)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t oldmask;
	int sfd = signals_block(&oldmask);
	rc = spawn_child(r, &c);
	if (rc == 0 && attach_and_release(r, &c, builtin) == 0)
		rc = run_released(r, sfd);
	cmd_free(&c);
	/* Signals that came after the loop: unblocking them would kill us
	 * before clean-up; they still make the command exit non-zero. */
	run_drain_signals(sfd);
	close(sfd);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return rc;
}

int soak_run_execute(soak_db_t *db, const soak_run_opts_t *o, int64_t *ret_run_id)
{
	run_t *r = run_new(db, o);
	if (!r)
		return -ENOMEM;
	bool builtin = strcmp(o->workload, "exec") != 0;
	bool use_worker = builtin || o->repeat;   /* exec --repeat runs under the worker's driver */
	char worker[PATH_MAX] = "";
	int rc = check_request(r, builtin, use_worker, worker, sizeof(worker), true);
	char err[512];
	if (rc == 0 && r->alloc.path[0] &&
	    (rc = soak_alloc_preload_path(&r->alloc, r->preload, sizeof(r->preload), r->preload_dir,
					  sizeof(r->preload_dir), err, sizeof(err))) < 0)
		run_say(o, SOAK_SAY_ERROR, "%s", err);
	if (rc == 0)
		rc = make_cgroups(r);
	if (rc == 0 && use_worker && (rc = setup_shm(r)) < 0)
		run_say(o, SOAK_SAY_ERROR, "cannot create shared memory for the worker: %s", strerror(-rc));
	if (rc == 0)
		rc = record_run(r, ret_run_id);
	if (rc == 0)
		rc = run_command(r, builtin, worker);
	cleanup(r);
	free(r);
	return rc;
}

int soak_run_check(const soak_run_opts_t *o)
{
	run_t *r = run_new(NULL, o);
	if (!r)
		return -ENOMEM;
	bool builtin = strcmp(o->workload, "exec") != 0;
	char worker[PATH_MAX] = "";
	int rc = check_request(r, builtin, builtin || o->repeat, worker, sizeof(worker), false);
	cleanup(r);
	free(r);
	return rc;
}
