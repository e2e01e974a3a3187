/* cmd-run.c - `soakctl run`: options table, parser (shared with compare), command. */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdhelp.h"
#include "run.h"
#include "soak/parse.h"
#include "soak/tpscan.h"
#include "soakctl.h"

#define SOAK_MEMORY_MAX_FLOOR (1024 * 1024)

enum opt_type { O_STR, O_DURATION, O_SIZE, O_PCT, O_U32, O_FLAG };

/* One table drives parsing and --help. */
static const struct run_opt {
	const char *name;
	char shrt;
	enum opt_type type;
	const char *arg;
	const char *help;
} run_opts[] = {
	{ "workload", 'w', O_STR, "NAME", "built-in workload (soakctl workloads) or exec (default random_mixed)" },
	{ "allocator", 'a', O_STR, "NAME|PATH", "system, mimalloc, jemalloc, tcmalloc, a registered name, a .so path, or NAME=PATH" },
	{ "config", 0, O_STR, "FILE", "allocator registry INI (default ./soak.ini, $XDG_CONFIG_HOME/soak/soak.ini)" },
	{ "duration", 'd', O_DURATION, "TIME", "how long to run: 90s, 5m, 1h (default 60s)" },
	{ "interval", 'i', O_DURATION, "TIME", "sampling period, 10ms or more (default 1s)" },
	{ "warmup", 0, O_DURATION, "TIME", "leading time excluded from statistics (default: found from the run's throughput and RSS by MSER-5 at report time)" },
	{ "grace", 0, O_DURATION, "TIME", "time the worker gets to stop before SIGKILL (default 5s)" },
	{ "memory-max", 0, O_SIZE, "SIZE", "memory limit, like systemd MemoryMax= (64M, 1G)" },
	{ "swap-max", 0, O_SIZE, "SIZE", "swap limit, like systemd MemorySwapMax= (0 = no swap)" },
	{ "cpu-max", 0, O_PCT, "PCT", "CPU limit in percent of one CPU, like systemd CPUQuota= (50%, 200%)" },
	{ "no-cgroup", 0, O_FLAG, NULL, "run without a cgroup (no limits; recorded as such)" },
	{ "cgroup-parent", 0, O_STR, "PATH", "create the run's cgroups below this cgroup2 directory (absolute, or relative to the cgroup2 mount), which must offer memory and cpu" },
	{ "db", 0, O_STR, "FILE", "database file (default ./soak.db)" },
	{ "label", 'l', O_STR, "TEXT", "label stored with the run (select it with report --label)" },
	{ "host-class", 0, O_STR, "NAME", "machines whose runs may be compared (default $SOAK_HOST_CLASS, else CPU model, cores, memory, cgroup mode)" },
	{ "latency-sample", 0, O_U32, "N", "time 1 in N operations (1 = every op, 0 = off; default 256)" },
	{ "repeat", 0, O_FLAG, NULL, "exec: run the command back to back for the whole duration" },
	{ "tp-pattern", 0, O_STR, "REGEX", "exec: extended regex whose group 1 is the command's (each step's) ops/s (default: the seeds' 'Throughput = N ops/s')" },
	{ "quiet", 'q', O_FLAG, NULL, "print only errors" },
	{ "verbose", 'v', O_FLAG, NULL, "print more about what the runner does" },
	{ "no-progress", 0, O_FLAG, NULL, "no live progress line" },
};
#define N_OPTS (sizeof(run_opts) / sizeof(run_opts[0]))

/* run_opts as the generic documentation table (cmdhelp.h), built once. */
const soak_opt_t *soak_run_opts_doc(void)
{
	static soak_opt_t doc[N_OPTS + 1];
	if (!doc[0].name)
		for (size_t i = 0; i < N_OPTS; i++)
			doc[i] = (soak_opt_t){ run_opts[i].name, run_opts[i].shrt, run_opts[i].arg, run_opts[i].help, 0 };
	return doc;
}

void soak_run_opts_help(FILE *f)
{
	soak_help_print_opts(f, soak_run_opts_doc());
}

static const struct run_opt *find_opt(const char *arg, const char **val);

bool soak_run_opt_is_flag(const char *arg)
{
	const char *val;
	const struct run_opt *d = find_opt(arg, &val);
	return d && d->type == O_FLAG;
}

static int set_opt(soak_run_opts_t *o, const struct run_opt *d, const char *v)
{
	double dv;
	uint64_t u;
	int r = 0;
	const char *n = d->name;
	switch (d->type) {
	case O_DURATION:
		if ((r = soak_parse_duration(v, &dv)) < 0)
			break;
		if (!strcmp(n, "duration"))
			o->duration_s = dv;
		else if (!strcmp(n, "interval"))
			o->interval_s = dv;
		else if (!strcmp(n, "warmup"))
			o->warmup_s = dv;
		else
			o->grace_s = dv;
		break;
	case O_SIZE:
		if ((r = soak_parse_size(v, &u)) < 0)
			break;
		if (!strcmp(n, "memory-max")) {
			o->has_memory_max = u != UINT64_MAX;
			o->memory_max = u;
		} else {
			o->has_swap_max = u != UINT64_MAX;
			o->swap_max = u;
		}
		break;
	case O_PCT:
		if ((r = soak_parse_percent(v, &dv)) == 0) {
			o->has_cpu_max = true;
			o->cpu_max_pct = dv;
		}
		break;
	case O_U32:
		if ((r = soak_parse_u64(v, &u)) == 0 && u > UINT32_MAX)
			r = -ERANGE;
		if (!r)
			o->latency_every = (uint32_t)u;
		break;
	case O_STR:
		if (!*v) {
			r = -EINVAL;
			break;
		}
		if (!strcmp(n, "workload"))
			o->workload = v;
		else if (!strcmp(n, "allocator"))
			o->allocator = v;
		else if (!strcmp(n, "config"))
			o->config = v;
		else if (!strcmp(n, "tp-pattern"))
			o->tp_pattern = v;
		else if (!strcmp(n, "cgroup-parent"))
			o->cgroup_parent = v;
		else if (!strcmp(n, "db"))
			o->db_path = v;
		else if (!strcmp(n, "host-class"))
			o->host_class = v;
		else
			o->label = v;
		break;
	case O_FLAG:
		if (!strcmp(n, "no-cgroup"))
			o->no_cgroup = true;
		else if (!strcmp(n, "repeat"))
			o->repeat = true;
		else if (!strcmp(n, "quiet"))
			o->verbose = -1;
		else if (!strcmp(n, "verbose"))
			o->verbose = 1;
		else
			o->progress = false;
		break;
	}
	/* The hint names the accepted form of this option's type. */
	static const char *const forms[] = {
		[O_DURATION] = "a number with one unit each, largest first: 90s, 5m, 2h30m, 250ms (at most 365d)",
		[O_SIZE] = "a number with one unit: 64M, 1G, 512K, 1.5G, or max (less than 8388608T)",
		[O_PCT] = "a percentage of one CPU: 50%, 150%",
		[O_U32] = "a whole number below 2^32",
	};
	if (r < 0 && d->type < sizeof(forms) / sizeof(forms[0]) && forms[d->type])
		soak_err("--%s %s: %s%s; give %s", n, v, r == -ERANGE ? "out of range" : "not a valid ",
			 r == -ERANGE ? "" : d->arg, forms[d->type]);
	else if (r < 0)
		soak_err("--%s %s: not a valid %s", n, v, d->arg ? d->arg : "value");
	return r;
}

static const struct run_opt *find_opt(const char *arg, const char **val)
{
	*val = NULL;
	if (arg[0] == '-' && arg[1] && arg[1] != '-' && !arg[2]) {
		for (size_t i = 0; i < N_OPTS; i++)
			if (run_opts[i].shrt == arg[1])
				return &run_opts[i];
		return NULL;
	}
	if (strncmp(arg, "--", 2))
		return NULL;
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(run_opts[i].name) == len && !strncmp(run_opts[i].name, name, len)) {
			if (eq)
				*val = eq + 1;
			return &run_opts[i];
		}
	return NULL;
}

static bool is_extra(const char *arg, const char *const *extra)
{
	if (!extra || strncmp(arg, "--", 2))
		return false;
	const char *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	for (; *extra; extra++)
		if (strlen(*extra) == len && !strncmp(*extra, arg + 2, len))
			return true;
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
	return 0;
}

int soak_run_parse_opts(int argc, char **argv, soak_run_opts_t *o, const char *const *extra)
{
	if (!o->say)
		o->say = soak_cli_say;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			o->wl_argv = argv + i + 1;
			o->wl_argc = argc - i - 1;
			break;
		}
		if (is_extra(a, extra)) {
			if (!strchr(a, '='))
				i++;
			continue;
		}
		const char *val;
		const struct run_opt *d = find_opt(a, &val);
		if (!d) {
			if (a[0] == '-')
				soak_err("unknown option %s (see --help)", a);
			else
				soak_err("unexpected argument '%s': workload options go after -- (soakctl run -w %s -- --ws 400)",
					 a, o->workload);
			return -EINVAL;
		}
		if (d->type == O_FLAG) {
			if (val)
				return soak_err("--%s takes no value", d->name), -EINVAL;
		} else if (!val) {
			if (i + 1 >= argc)
				return soak_err("--%s needs a value (%s)", d->name, d->arg), -EINVAL;
			val = argv[++i];
		}
		if (set_opt(o, d, val ? val : "") < 0)
			return -EINVAL;
	}
	return validate(o);
}

const soak_cmd_doc_t soak_doc_run = {
	.synopsis = "soakctl run [OPTIONS] [-- WORKLOAD-OPTIONS | -- CMD ARGS]",
	.description = "Runs one soak: forks the workload under cgroup limits with the allocator "
		       "injected, samples it every interval into the database, and records how it ended.",
	.sections = { { .title = "Options", .opts_fn = soak_run_opts_doc } },
	.examples = "soakctl run -w random_mixed -a mimalloc -d 5m --warmup 30s -- --ws 400\n"
		    "soakctl run -w leak --memory-max 64M -d 30s\n"
		    "soakctl run -w exec -a jemalloc --repeat -d 10m -- ./bench_random_mixed 20000000 400",
	.exit_status = "0 run recorded (see its status), 2 usage or environment error, or the run got "
		       "another allocator than it asked for (status allocator-mismatch) or the database could not "
		       "store every sample (the run's samples_lost; stderr says how many), 130/143/129 interrupted by "
		       "SIGINT/SIGTERM/SIGHUP (the run is kept, status interrupted).",
};

int soak_cmd_run(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			soak_help_print(stdout, "run", &soak_doc_run);
			return SOAK_EXIT_OK;
		}
	soak_run_opts_t o;
	soak_run_opts_init(&o);
	if (soak_run_parse_opts(argc - 1, argv + 1, &o, NULL) < 0)
		return SOAK_EXIT_USAGE;
	/* Placement first: a host where the run cannot get cgroups must not
	 * leave a database file behind. */
	soak_place_t place;
	if (soak_run_place(&o, &place) < 0)
		return SOAK_EXIT_USAGE;
	soak_db_t *db = soak_cli_open_db(o.db_path, SOAK_DB_WRITE);
	if (!db) {
		soak_run_unplace(&o);
		return SOAK_EXIT_USAGE;
	}
	int64_t id = 0;
	int r = soak_run_execute(db, &o, &id);
	bool lost = r > 0;   /* recorded, but samples or final records were lost (said on stderr) */
	soak_run_unplace(&o);
	if (r < 0) {
		soak_db_close(db);
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
	soak_db_close(db);
	if (o.verbose >= 0)
		printf("run %" PRId64 " recorded in %s: soakctl report --db %s %" PRId64 "\n", id, o.db_path,
		       o.db_path, id);
	if (soak_run_interrupted)
		return soak_exit_interrupted();
	return mismatch || lost ? SOAK_EXIT_USAGE : SOAK_EXIT_OK;
}
