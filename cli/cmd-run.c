/* cmd-run.c - `soakctl run`: options table, parser (shared with compare), command. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdhelp.h"
#include "options.h"
#include "run-like.h"
#include "run.h"
#include "soak/tpscan.h"
#include "soakctl.h"

#define SOAK_MEMORY_MAX_FLOOR (1024 * 1024)

#define O(...) SOAK_OPT(soak_run_opts_t, __VA_ARGS__)
#define FLAG SOAK_OT_FLAG
#define SET SOAK_OT_SET
#define STR SOAK_OT_STR

/* One table drives parsing, --help, the man page and the completion; each
 * entry names the field of soak_run_opts_t it sets. */
static const soak_opt_t run_opts[] = {
	O("workload", 'w', "NAME", "built-in workload (soakctl workloads) or exec (default random_mixed)", STR, workload),
	O("allocator", 'a', "NAME|PATH", "system, mimalloc, jemalloc, tcmalloc, a registered name, a .so path, or NAME=PATH", STR, allocator),
	O("config", 0, "FILE", "allocator registry INI (default ./soak.ini, $XDG_CONFIG_HOME/soak/soak.ini)", STR, config),
	O("duration", 'd', "TIME", "how long to run: 90s, 5m, 1h (default 60s)", SOAK_OT_DURATION, duration_s),
	O("interval", 'i', "TIME", "sampling period, 10ms or more (default 1s)", SOAK_OT_DURATION, interval_s),
	O("warmup", 0, "TIME", "leading time excluded from statistics (default: found from the run's throughput and RSS by MSER-5 at report time)", SOAK_OT_DURATION, warmup_s),
	O("grace", 0, "TIME", "time the worker gets to stop before SIGKILL (default 5s)", SOAK_OT_DURATION, grace_s),
	O("memory-max", 0, "SIZE", "memory limit, like systemd MemoryMax= (64M, 1G)", SOAK_OT_SIZE, memory_max,
	  .has = SOAK_OPT_HAS(soak_run_opts_t, has_memory_max)),
	O("swap-max", 0, "SIZE", "swap limit, like systemd MemorySwapMax= (0 = no swap)", SOAK_OT_SIZE, swap_max,
	  .has = SOAK_OPT_HAS(soak_run_opts_t, has_swap_max)),
	O("cpu-max", 0, "PCT", "CPU limit in percent of one CPU, like systemd CPUQuota= (50%, 200%)", SOAK_OT_PERCENT,
	  cpu_max_pct, .has = SOAK_OPT_HAS(soak_run_opts_t, has_cpu_max)),
	O("no-cgroup", 0, NULL, "run without a cgroup (no limits; recorded as such)", FLAG, no_cgroup),
	O("cgroup-parent", 0, "PATH", "create the run's cgroups below this cgroup2 directory (absolute, or relative to the cgroup2 mount), which must offer memory and cpu", STR, cgroup_parent),
	O("db", 0, "FILE", "database file (default ./soak.db)", STR, db_path),
	O("label", 'l', "TEXT", "label stored with the run (select it with report --label)", STR, label),
	O("host-class", 0, "NAME", "machines whose runs may be compared (default $SOAK_HOST_CLASS, else CPU model, cores, memory, cgroup mode)", STR, host_class),
	O("latency-sample", 0, "N", "time 1 in N operations (1 = every op, 0 = off; default 256)", SOAK_OT_UINT,
	  latency_every, .lo = 0, .hi = UINT32_MAX),
	O("usable-bytes", 0, NULL, "count bytes_usable, the usable size of the blocks the workload holds (costs throughput: docs/metrics.md)", FLAG, usable_bytes),
	O("repeat", 0, NULL, "exec: run the command back to back for the whole duration", FLAG, repeat),
	O("tp-pattern", 0, "REGEX", "exec: extended regex whose group 1 is the command's (each step's) ops/s (default: a line 'Throughput = N ops/s', as hakmem's bench_random_mixed prints)", STR, tp_pattern),
	O("driver", 0, "CMD", "exec: a shell command that drives the command (a load generator against a server): started once the command runs, outside its cgroup and without the allocator, stopped at the end; its [TAG] key=value lines are self-reports (docs/servers.md)", STR, driver),
	O("quiet", 'q', NULL, "print only errors", SET, verbose, .lo = -1),
	O("verbose", 'v', NULL, "print more about what the runner does", SET, verbose, .lo = 1),
	O("no-progress", 0, NULL, "no live progress line", SET, progress, .lo = 0),
	{ 0 }
};
#undef O
#undef FLAG
#undef SET
#undef STR

/* Only `run` has it (compare, calibrate and plan share the table above). */
static const soak_opt_t like_opts[] = {
	SOAK_OPT(soak_run_opts_t, "like", 0, "ID", "run again with the settings recorded in run ID (workload and its options, allocator, "
	  "duration, interval, warm-up, limits, label, host class, latency sampling, exec --repeat); "
	  "options given here override them", SOAK_OT_UINT, like_run, .lo = 1, .hi = 1e18),
	{ 0 }
};

const soak_opt_t *soak_run_opts_doc(void)
{
	return run_opts;
}

/* A host class is a name that runs are grouped and compared by: printable,
 * at most 255 bytes (the runner keeps 511). Prints the line. */
static bool host_class_bad(const char *hc, const char *from)
{
	if (!hc)
		return false;
	size_t n = strlen(hc);
	if (n > 255) {
		soak_err("%s: a host class of %zu characters is too long: give at most 255", from, n);
		return true;
	}
	for (const unsigned char *c = (const unsigned char *)hc; *c; c++)
		if (*c < 0x20 || *c == 0x7f) {
			soak_err("%s: the host class holds a control character (byte %u at %zu): give a printable "
				 "name", from, *c, (size_t)(c - (const unsigned char *)hc));
			return true;
		}
	return false;
}

static int validate(const soak_run_opts_t *o)
{
	if (o->duration_s <= 0)
		return soak_err("--duration must be more than 0"), -EINVAL;
	if (o->interval_s < 0.01)
		return soak_err("--interval must be at least 10ms"), -EINVAL;
	if (o->interval_s > o->duration_s)
		return soak_err("--interval (%gs) is longer than --duration (%gs)", o->interval_s, o->duration_s), -EINVAL;
	if (o->warmup_s >= o->duration_s)
		return soak_err("--warmup (%gs) must be shorter than --duration (%gs)", o->warmup_s, o->duration_s), -EINVAL;
	/* Measured: --memory-max 1 (the kernel rounds it to one page) OOM-kills
	 * the worker before its first sample; 1M runs tiny_hot. */
	if (o->has_memory_max && o->memory_max < SOAK_MEMORY_MAX_FLOOR)
		return soak_err("--memory-max %llu bytes is below the floor of 1M: nothing starts in that "
				"little memory (the worker is OOM-killed before its first sample); give 1M or "
				"more", (unsigned long long)o->memory_max), -EINVAL;
	/* The kernel refuses a CFS quota under 1 ms per period (EINVAL), and the
	 * period is 100 ms: 1% of one CPU is the least a cgroup can get. */
	if (o->has_cpu_max && o->cpu_max_pct < 1.0)
		return soak_err("--cpu-max %g%% is below 1%%, the smallest CPU quota the kernel accepts "
				"(1 ms per 100 ms period): give 1%% or more", o->cpu_max_pct), -EINVAL;
	if (o->no_cgroup && (o->has_memory_max || o->has_swap_max || o->has_cpu_max))
		return soak_err("--no-cgroup cannot enforce --memory-max/--swap-max/--cpu-max: drop one"), -EINVAL;
	if (o->no_cgroup && o->cgroup_parent)
		return soak_err("--no-cgroup and --cgroup-parent contradict each other: drop one"), -EINVAL;
	if (o->tp_pattern && strcmp(o->workload, "exec"))
		return soak_err("--tp-pattern applies to --workload exec only"), -EINVAL;
	if (o->tp_pattern) {
		char err[512];
		if (soak_tp_pattern_check(o->tp_pattern, err, sizeof(err)) < 0)
			return soak_err("%s", err), -EINVAL;
	}
	if (o->repeat && strcmp(o->workload, "exec"))
		return soak_err("--repeat applies to --workload exec only"), -EINVAL;
	if (o->driver && strcmp(o->workload, "exec"))
		return soak_err("--driver applies to --workload exec only: soakctl run -w exec --driver 'LOAD CMD' "
				"-- SERVER ARGS"), -EINVAL;
	if (o->driver && (o->repeat || !*o->driver))
		return soak_err("--driver needs a command and drives a single exec, not --repeat: give "
				"--driver 'LOAD CMD' without --repeat"), -EINVAL;
	const char *env = getenv("SOAK_HOST_CLASS");
	if (host_class_bad(o->host_class, "--host-class") || (!o->host_class && host_class_bad(env, "SOAK_HOST_CLASS")))
		return -EINVAL;
	return 0;
}

/* Parses without the checks across options (validate), which come after --like. */
static int parse_only(int argc, char **argv, soak_run_opts_t *o, const char *const *extra, const soak_opt_t *more)
{
	if (!o->say)
		o->say = soak_cli_say;
	soak_optparse_t p = { .opts = run_opts, .opts2 = more, .skip = extra, .dashdash = 1, .no_help = 1 };
	soak_optres_t res;
	int r = soak_opts_parse(&p, argc, argv, o, &res);
	if (!r && res.n_operands) {
		soak_err("unexpected argument '%s': workload options go after -- (soakctl run -w %s -- --ws 400)",
			 res.operands[0], o->workload);
		r = -EINVAL;
	}
	if (!r && res.rest) {
		o->wl_argv = res.rest;
		o->wl_argc = res.n_rest;
	}
	soak_optres_free(&res);
	return r < 0 ? -EINVAL : 0;
}

int soak_run_parse_opts(int argc, char **argv, soak_run_opts_t *o, const char *const *extra)
{
	return parse_only(argc, argv, o, extra, NULL) < 0 ? -EINVAL : validate(o);
}

/* run's own parse: with --like ID the recorded settings come first and the
 * command line is parsed again over them, so what it gives wins. */
static int parse_run(int argc, char **argv, soak_run_opts_t *o, soak_like_t *like)
{
	soak_run_opts_init(o);
	if (parse_only(argc, argv, o, NULL, like_opts) < 0)
		return -EINVAL;
	if (!o->like_run)
		return validate(o);
	int64_t id = (int64_t)o->like_run;
	soak_db_t *db = soak_cli_open_db(o->db_path, SOAK_DB_READ);
	if (!db)
		return -EINVAL;
	char err[1024];
	soak_run_opts_init(o);
	int r = soak_like_load(db, id, o, like, err, sizeof(err));
	soak_cli_close_db(db);
	if (r == 0)
		r = parse_only(argc, argv, o, NULL, like_opts);
	else
		soak_err("%s", err);
	if (r == 0 && (r = soak_like_check(like, o, err, sizeof(err))) < 0)
		soak_err("%s", err);
	return r < 0 ? -EINVAL : validate(o);
}

const soak_cmd_doc_t soak_doc_run = {
	.synopsis = "soakctl run [OPTIONS] [-- WORKLOAD-OPTIONS | -- CMD ARGS]",
	.description = "Runs one soak: forks the workload under cgroup limits with the allocator "
		       "injected, samples it every interval into the database, and records how it ended.",
	.sections = { { .title = "Options", .opts_fn = soak_run_opts_doc },
		      { .title = "Repeating a run", .opts = like_opts } },
	.examples = "soakctl run -w random_mixed -a mimalloc -d 5m --warmup 30s -- --ws 400\n"
		    "soakctl run -w leak --memory-max 64M -d 30s\n"
		    "soakctl run -w exec -a jemalloc --repeat -d 10m -- ./bench_random_mixed 20000000 400\n"
		    "soakctl run --like 12 --label rc-2.1",
	.exit_status = "0 run recorded (see its status), 2 usage or environment error, or the run got "
		       "another allocator than it asked for (status allocator-mismatch) or the database could not "
		       "store every sample (the run's samples_lost; stderr says how many), 130/143/129 interrupted by "
		       "SIGINT/SIGTERM/SIGHUP (the run is kept, status interrupted).",
};

int soak_cli_run_start(int argc, char **argv, const char *name, const soak_cmd_doc_t *doc,
		       int (*check)(const soak_run_opts_t *), soak_like_t *like, soak_run_opts_t *o,
		       soak_place_t *place, soak_db_t **db)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			soak_help_print(stdout, name, doc);
			return 1;
		}
	if (like ? parse_run(argc - 1, argv + 1, o, like) < 0
		 : soak_run_parse_opts(argc - 1, argv + 1, o, NULL) < 0 || (check && check(o) < 0))
		return -EINVAL;
	/* Placement first: a host where the run cannot get cgroups must not
	 * leave a database file behind. */
	if (soak_run_place(o, place) < 0)
		return -EINVAL;
	if (!(*db = soak_cli_open_db(o->db_path, SOAK_DB_WRITE))) {
		soak_run_unplace(o);
		return -EINVAL;
	}
	return 0;
}

static int run_one(int argc, char **argv, soak_like_t *like);

/* The options point into like (the recorded run's strings): it lives until
 * the run is over. */
int soak_cmd_run(int argc, char **argv)
{
	soak_like_t like = { 0 };
	int rc = run_one(argc, argv, &like);
	soak_like_free(&like);
	return rc;
}

static int run_one(int argc, char **argv, soak_like_t *like)
{
	soak_run_opts_t o;
	soak_run_opts_init(&o);
	soak_place_t place;
	soak_db_t *db = NULL;
	int r = soak_cli_run_start(argc, argv, "run", &soak_doc_run, NULL, like, &o, &place, &db);
	if (r != 0)
		return r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	int64_t id = 0;
	r = soak_run_execute(db, &o, &id);
	bool lost = r > 0;   /* recorded, but samples or final records were lost (said on stderr) */
	soak_run_unplace(&o);
	if (r < 0) {
		soak_cli_close_db(db);
		return SOAK_EXIT_USAGE;
	}
	/* A soak that ran another allocator than it asked for is an error, not
	 * a result: the run is kept (status allocator-mismatch) but we exit 2. */
	soak_run_t *runs = NULL;
	size_t n = 0;
	soak_run_filter_t f = { .ids = &id, .n_ids = 1 };
	bool mismatch = soak_db_runs(db, &f, &runs, &n) == 0 && n == 1 && runs[0].status &&
			!strcmp(runs[0].status, "allocator-mismatch");
	soak_runs_free(runs, n);
	soak_cli_close_db(db);
	if (o.verbose >= 0)
		printf("run %" PRId64 " recorded in %s: soakctl report --db %s %" PRId64 "\n", id, o.db_path,
		       o.db_path, id);
	if (soak_run_interrupted)
		return soak_exit_interrupted();
	return mismatch || lost ? SOAK_EXIT_USAGE : SOAK_EXIT_OK;
}
