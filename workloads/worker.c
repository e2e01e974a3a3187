/*
 * worker.c - main() of soak-worker: the process that runs one workload with
 * the allocator under test injected (LD_PRELOAD by the runner).
 *
 *   soak-worker WORKLOAD [--opt VALUE ...] [--latency-sample N] [--duration D]
 *   soak-worker --list | --list-json
 *
 * Life cycle, mirrored into the shared memory of include/soak/shm.h:
 * INIT (parse) -> READY (allocator identified) -> setup -> RUNNING -> DONE,
 * or ERROR / VERIFY_FAILED with a message and a SOAK_WORKER_EXIT_* code.
 */
#include "allocstats.h"
#include "exec-repeat.h"
#include "livecheck.h"
#include "workload.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "soak/parse.h"

static soak_shm_t *shm;
static bool standalone;

/* Copy with truncation into a fixed shm field (always NUL-terminated). */
static void copy_field(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void set_state(int st)
{
	__atomic_store_n(&shm->state, st, __ATOMIC_RELEASE);
}

/* One line on stderr (and into shm->message), state ERROR, exit `code`. */
static void __attribute__((noreturn, format(printf, 2, 3))) die(int code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "soak-worker: %s\n", buf);
	if (shm) {
		copy_field(shm->message, sizeof(shm->message), buf);
		set_state(SOAK_WS_ERROR);
	}
	exit(code);
}

/* SIGTERM and SIGINT are also noted in the shared memory with their sender:
 * a worker stopped by a signal the runner did not send (someone else's kill,
 * a job-wide signal whose copy never reached the runner) was cut short, and
 * the runner must not record that run as whole. */
static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (shm && sig != SIGALRM) {
		int32_t none = 0;
		if (__atomic_compare_exchange_n(&shm->stop_signal, &none, sig, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			__atomic_store_n(&shm->stop_sender, si ? (int32_t)si->si_pid : 0, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&soak_wl_stop_flag, 1, __ATOMIC_RELAXED);
}

static void map_shm(uint32_t latency_every)
{
	const char *env = getenv(SOAK_SHM_FD_ENV);
	if (!env) {
		standalone = true;
		void *p = mmap(NULL, sizeof(soak_shm_t), PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die(SOAK_WORKER_EXIT_SETUP, "cannot map private shm: %s", strerror(errno));
		shm = p;
		shm->magic = SOAK_SHM_MAGIC;
		shm->version = SOAK_SHM_VERSION;
		shm->latency_every = latency_every;
		return;
	}
	char *end;
	long fd = strtol(env, &end, 10);
	if (end == env || *end || fd < 0 || fd > INT_MAX)
		die(SOAK_WORKER_EXIT_SETUP, "%s=%s is not a file descriptor", SOAK_SHM_FD_ENV, env);
	struct stat st;
	if (fstat((int)fd, &st) < 0)
		die(SOAK_WORKER_EXIT_SETUP, "%s=%ld: %s", SOAK_SHM_FD_ENV, fd, strerror(errno));
	if ((size_t)st.st_size < sizeof(soak_shm_t))
		die(SOAK_WORKER_EXIT_SETUP, "%s=%ld: %lld bytes, need %zu (runner and worker built from different versions?)",
		    SOAK_SHM_FD_ENV, fd, (long long)st.st_size, sizeof(soak_shm_t));
	void *p = mmap(NULL, sizeof(soak_shm_t), PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (p == MAP_FAILED)
		die(SOAK_WORKER_EXIT_SETUP, "mmap %s=%ld: %s", SOAK_SHM_FD_ENV, fd, strerror(errno));
	soak_shm_t *s = p;
	if (s->magic != SOAK_SHM_MAGIC || s->version != SOAK_SHM_VERSION)
		die(SOAK_WORKER_EXIT_SETUP, "shared memory has magic %#llx version %u, want %#llx version %u",
		    (unsigned long long)s->magic, s->version, (unsigned long long)SOAK_SHM_MAGIC,
		    SOAK_SHM_VERSION);
	shm = s;
	close((int)fd); /* the mapping stays; nothing of ours needs the fd again */
}

/* The runner sets PR_SET_PDEATHSIG before exec; if it died before we got here,
 * the signal was never sent, so compare the parent with the runner's pid. */
static void check_runner_alive(void)
{
	const char *env = getenv(SOAK_RUNNER_PID_ENV);
	if (!env)
		return;
	char *end;
	long want = strtol(env, &end, 10);
	if (end == env || *end || want <= 0)
		die(SOAK_WORKER_EXIT_SETUP, "%s=%s is not a pid", SOAK_RUNNER_PID_ENV, env);
	int sig = 0;
	if (prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig == 0) {
		/* Not inherited (e.g. a set-uid exec cleared it): set it ourselves,
		 * before the getppid() check so there is no window. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
	}
	if ((long)getppid() != want)
		die(SOAK_WORKER_EXIT_SETUP, "runner pid %ld is gone (parent is %ld): exiting", want,
		    (long)getppid());
}

static void so_path(const char *sym, char *out, size_t len)
{
	void *addr = dlsym(RTLD_DEFAULT, sym);
	Dl_info di;
	if (!addr || !dladdr(addr, &di) || !di.dli_fname)
		die(SOAK_WORKER_EXIT_SETUP, "cannot identify the object providing %s: %s", sym,
		    addr ? "dladdr failed" : dlerror());
	char real[PATH_MAX];
	const char *name = di.dli_fname;
	if (!*name) /* the main program itself */
		name = "/proc/self/exe";
	if (realpath(name, real))
		name = real;
	if (strlen(name) >= len)
		die(SOAK_WORKER_EXIT_SETUP, "path of the object providing %s is longer than %zu bytes: %s",
		    sym, len - 1, name);
	copy_field(out, len, name);
}

typedef struct {
	soak_wl_ctx_t *ctx;
	unsigned tid;
	int rc;
	pthread_t th;
} thread_arg_t;

static void *thread_main(void *arg)
{
	thread_arg_t *a = arg;
	soak_wl_thread_t t;
	soak_wl_thread_init(&t, a->ctx, a->tid);
	__atomic_store_n(&t.thr->active, 1, __ATOMIC_RELAXED);
	soak_wl_live_thread(true);
	a->rc = a->ctx->wl->run(a->ctx, &t);
	soak_wl_live_thread(false);
	soak_wl_publish(&t);
	__atomic_store_n(&t.thr->active, 0, __ATOMIC_RELEASE);
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: soak-worker WORKLOAD [--OPTION VALUE ...] [--latency-sample N] [--duration D]\n"
		   "                  [--usable-bytes] [--alloc-stats MS]\n"
		   "       soak-worker --list | --list-json\n"
		   "Runs one allocator workload until stopped (SIGTERM/SIGINT, the runner's stop flag,\n"
		   "or --duration). Without %s it runs standalone and prints a summary.\n",
		SOAK_SHM_FD_ENV);
}

typedef struct {
	uint32_t latency_every;
	double duration_s;
	bool force_monotonic;
	bool usable_bytes;   /* standalone: count bytes_usable (the runner says so in the shm) */
	uint32_t stats_ms;   /* standalone: query the allocator's statistics every N ms */
} worker_opts_t;

/* Take the worker's own options out of argv; the rest goes to the workload. */
static int split_args(int argc, char **argv, worker_opts_t *w, char **rest)
{
	int n = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--usable-bytes")) {
			w->usable_bytes = true;
			continue;
		}
		if (!strcmp(a, "--latency-sample") || !strcmp(a, "--duration") || !strcmp(a, "--clock") ||
		    !strcmp(a, "--alloc-stats")) {
			if (i + 1 >= argc)
				die(SOAK_WORKER_EXIT_USAGE, "option %s needs a value", a);
			const char *v = argv[++i];
			if (!strcmp(a, "--latency-sample")) {
				uint64_t u;
				if (soak_parse_u64(v, &u) < 0 || u > UINT32_MAX)
					die(SOAK_WORKER_EXIT_USAGE, "--latency-sample %s: want 0..%u", v, UINT32_MAX);
				w->latency_every = (uint32_t)u;
			} else if (!strcmp(a, "--alloc-stats")) {
				uint64_t u;
				if (soak_parse_u64(v, &u) < 0 || u < 1 || u > 60000)
					die(SOAK_WORKER_EXIT_USAGE, "--alloc-stats %s: want a period of 1..60000 ms", v);
				w->stats_ms = (uint32_t)u;
			} else if (!strcmp(a, "--duration")) {
				if (soak_parse_duration(v, &w->duration_s) < 0 || w->duration_s <= 0)
					die(SOAK_WORKER_EXIT_USAGE, "--duration %s: not a duration (e.g. 2s, 500ms)", v);
			} else {
				if (strcmp(v, "tsc") && strcmp(v, "monotonic"))
					die(SOAK_WORKER_EXIT_USAGE, "--clock %s: want tsc or monotonic", v);
				w->force_monotonic = !strcmp(v, "monotonic");
			}
			continue;
		}
		rest[n++] = argv[i];
	}
	rest[n] = NULL;
	return n;
}

static void arm_duration(double s)
{
	if (s <= 0)
		return;
	struct itimerval it = { { 0, 0 }, { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) } };
	if (!it.it_value.tv_sec && !it.it_value.tv_usec)
		it.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &it, NULL);
}

static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void print_summary(const soak_wl_ctx_t *ctx, double secs, double cpu)
{
	static soak_hist_t all;
	soak_hist_init(&all);
	uint64_t ops = 0, live = 0, usable = 0;
	for (unsigned i = 0; i < ctx->nthreads; i++) {
		ops += shm->thr[i].ops;
		live += shm->thr[i].bytes_live;
		usable += shm->thr[i].bytes_usable;
		soak_hist_merge(&all, &shm->thr[i].lat);
	}
	printf("workload     %s (threads %u)\n", ctx->wl->name, ctx->nthreads);
	printf("malloc       %s\nfree         %s\n", shm->malloc_so, shm->free_so);
	uint32_t every = ctx->latency_every;
	if (every && ctx->wl->lat_every_max && every > ctx->wl->lat_every_max)
		every = ctx->wl->lat_every_max; /* as soak_wl_thread_init does */
	if (soak_clock.tsc)
		printf("clock        tsc (%.3f GHz, %.1f ns a read), latency 1 in %u ops\n", soak_clock.ghz,
		       soak_clock.read_ns, every);
	else
		printf("clock        clock_gettime (%.1f ns a read), latency 1 in %u ops\n", soak_clock.read_ns,
		       every);
	printf("elapsed      %.3f s (cpu %.3f s)\n", secs, cpu);
	/* Per CPU-second too: on a shared machine it is the steadier number. */
	printf("ops          %llu (%.2f M ops/s, %.2f M ops/cpu-s)\n", (unsigned long long)ops,
	       secs > 0 ? (double)ops / secs / 1e6 : 0.0, cpu > 0 ? (double)ops / cpu / 1e6 : 0.0);
	printf("bytes_live   %llu\n", (unsigned long long)live);
	if (shm->usable_on)
		printf("bytes_usable %llu\n", (unsigned long long)usable);
	const soak_shm_astats_t *a = &shm->astats;
	if (a->reads) {
		printf("alloc stats  %s: %llu queries, the last %.1f us;", soak_astats_kind_names[a->kind],
		       (unsigned long long)a->reads, a->read_ns / 1e3);
		static const char *const nm[SOAK_ASTAT__N] = { "allocated", "active", "resident", "mapped",
							      "retained", "free" };
		for (int i = 0; i < SOAK_ASTAT__N; i++)
			if ((a->have >> i) & 1)
				printf(" %s %llu", nm[i], (unsigned long long)a->val[i]);
		printf("\n");
	}
	int ok;
	double p50 = soak_hist_quantile(&all, 0.50, &ok);
	if (!ok) {
		printf("latency      no samples\n");
		return;
	}
	printf("latency ns   p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %llu  mean %.1f  (%llu samples)\n",
	       p50, soak_hist_quantile(&all, 0.90, NULL), soak_hist_quantile(&all, 0.99, NULL),
	       soak_hist_quantile(&all, 0.999, NULL), (unsigned long long)all.max, soak_hist_mean(&all),
	       (unsigned long long)all.count);
}

/* The commands that only print: --help, --list, --list-json, --version.
 * Their exit code, or -1 when arg is none of them. */
static int info_command(const char *arg)
{
	if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(arg, "--list")) {
		soak_wl_list_text(stdout);
		return 0;
	}
	if (!strcmp(arg, "--list-json")) {
		soak_wl_list_json(stdout);
		return 0;
	}
	if (!strcmp(arg, "--version")) {
		printf("soak-worker %s (%s)\n", SOAK_VERSION, SOAK_GIT_REV);
		return 0;
	}
	return -1;
}

/* The driver of `soakctl run -w exec --repeat`: it runs on the C library's
 * allocator (the runner injects the one under test into each step only, see
 * exec-repeat.c), so malloc_so names the driver's and is not used to verify
 * the run; no per-op latency. */
static int exec_repeat_main(int argc, char **argv)
{
	map_shm(0);
	check_runner_alive();
	so_path("malloc", shm->malloc_so, sizeof(shm->malloc_so));
	so_path("free", shm->free_so, sizeof(shm->free_so));
	shm->nthreads = 1;
	set_state(SOAK_WS_READY);
	return soak_exec_repeat(shm, argc - 2, argv + 2);
}

/* Maps the shm, parses the worker's and the workload's options into w and
 * ctx, checks the runner is alive, installs the stop signals and asks the
 * workload whether it can run here; any failure dies with its exit code. */
static const soak_workload_t *prepare_workload(int argc, char **argv, worker_opts_t *w, char **rest,
						soak_wl_ctx_t *ctx)
{
	/* Map first so even a usage error reaches the runner's shm. */
	map_shm(SOAK_WL_LATENCY_EVERY_DEFAULT);
	int nrest = split_args(argc - 2, argv + 2, w, rest);
	if (standalone) {
		shm->latency_every = w->latency_every;
		shm->usable_on = w->usable_bytes;
	}

	const soak_workload_t *wl = soak_workload_find(argv[1]);
	if (!wl)
		die(SOAK_WORKER_EXIT_USAGE, "unknown workload '%s' (see soak-worker --list)", argv[1]);

	ctx->wl = wl;
	ctx->shm = shm;
	ctx->latency_every = __atomic_load_n(&shm->latency_every, __ATOMIC_RELAXED);
	char why[256];
	if (soak_wl_opts_parse(wl, ctx, nrest, rest, why, sizeof(why)) < 0)
		die(SOAK_WORKER_EXIT_USAGE, "%s", why);
	int ti = soak_wl_opt_index(wl, "threads");
	ctx->nthreads = ti >= 0 ? (unsigned)ctx->opt[ti].u : 1;
	if (ti >= 0 && ctx->nthreads == 0) {
		/* --threads 0 (the default of the multi-thread workloads): the
		 * CPUs the run's cgroup allows, said in the run's record. */
		char how[sizeof(shm->threads_how) - 40];
		ctx->nthreads = soak_wl_default_threads("/proc/self/cgroup", "/sys/fs/cgroup", how, sizeof(how));
		ctx->threads_auto = true;
		snprintf(shm->threads_how, sizeof(shm->threads_how), "default (--threads 0): %s", how);
	} else if (ti >= 0) {
		snprintf(shm->threads_how, sizeof(shm->threads_how), "--threads %u", ctx->nthreads);
	}

	check_runner_alive();
	struct sigaction sa = { .sa_sigaction = on_stop_signal, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	if (wl->supported) {
		int rc = wl->supported(ctx, why, sizeof(why));
		if (rc)
			die(rc, "%s", why);
	}
	return wl;
}

/* Identifies the allocator before the first measured operation, clears the
 * per-thread counters and tells the runner the worker is READY. */
static void publish_ready(soak_wl_ctx_t *ctx)
{
	so_path("malloc", shm->malloc_so, sizeof(shm->malloc_so));
	so_path("free", shm->free_so, sizeof(shm->free_so));
	/* bytes_usable: the allocator's own malloc_usable_size only (another
	 * object's would read foreign block headers); decided before READY, so
	 * the runner never samples a count that is not kept. */
	if (__atomic_load_n(&shm->usable_on, __ATOMIC_RELAXED)) {
		ctx->usable_size = (size_t (*)(void *))soak_astats_resolve(shm->malloc_so, "malloc_usable_size");
		if (!ctx->usable_size) {
			snprintf(shm->usable_why, sizeof(shm->usable_why),
				 "allocator %.100s offers no malloc_usable_size of its own", shm->malloc_so);
			__atomic_store_n(&shm->usable_on, 0, __ATOMIC_RELAXED);
		}
	}
	for (unsigned i = 0; i < SOAK_MAX_THREADS; i++) {
		soak_shm_thread_t *t = &shm->thr[i];
		__atomic_store_n(&t->ops, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->bytes_live, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->bytes_usable, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&t->active, 0, __ATOMIC_RELAXED);
		soak_hist_init(&t->lat);
	}
	shm->nthreads = ctx->nthreads;
	if (ctx->wl->not_rate)
		snprintf(shm->not_rate, sizeof(shm->not_rate), "%s", ctx->wl->not_rate);
	set_state(SOAK_WS_READY);
}

/* Tells the runner the first measured operation is next and waits until it
 * has read the syscall counters (shm.h, first_op); standalone: nothing. */
static void mark_first_op(void)
{
	int32_t none = SOAK_FIRST_OP_NONE;
	if (standalone || !__atomic_compare_exchange_n(&shm->first_op, &none, SOAK_FIRST_OP_WAITING, false,
						       __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;   /* the runner stopped waiting (SKIPPED) */
	uint64_t end = soak_clock_mono_ns() + (uint64_t)SOAK_FIRST_OP_WAIT_S * 1000000000u;
	const struct timespec ts = { 0, 20 * 1000 };
	while (__atomic_load_n(&shm->first_op, __ATOMIC_ACQUIRE) == SOAK_FIRST_OP_WAITING &&
	       !__atomic_load_n(&shm->stop, __ATOMIC_ACQUIRE) && soak_clock_mono_ns() < end)
		nanosleep(&ts, NULL);
}

/* RUNNING: the workload on ctx->nthreads threads (this one is thread 0)
 * until stopped; *secs and *cpu are its wall and CPU time. Returns the
 * threads' result: a verify failure wins, else the first error, else 0. */
static int run_threads(soak_wl_ctx_t *ctx, double duration_s, double *secs, double *cpu)
{
	mark_first_op();
	uint64_t t_start = soak_clock_mono_ns();
	double cpu_start = cpu_seconds();
	set_state(SOAK_WS_RUNNING);
	arm_duration(duration_s);

	thread_arg_t args[SOAK_MAX_THREADS];
	unsigned started = 1;
	for (unsigned i = 0; i < ctx->nthreads; i++)
		args[i] = (thread_arg_t){ .ctx = ctx, .tid = i };
	for (unsigned i = 1; i < ctx->nthreads; i++, started++) {
		int e = pthread_create(&args[i].th, NULL, thread_main, &args[i]);
		if (e) {
			args[i].rc = soak_wl_error(ctx, "%s: cannot start thread %u: %s", ctx->wl->name, i, strerror(e));
			break;
		}
	}
	thread_main(&args[0]);
	for (unsigned i = 1; i < started; i++)
		pthread_join(args[i].th, NULL);
	*secs = (double)(soak_clock_mono_ns() - t_start) / 1e9;
	*cpu = cpu_seconds() - cpu_start;

	int rc = 0;
	for (unsigned i = 0; i < ctx->nthreads; i++)
		if (args[i].rc == SOAK_WORKER_EXIT_VERIFY || (args[i].rc && !rc))
			rc = args[i].rc;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SOAK_WORKER_EXIT_USAGE;
	}
	int info = info_command(argv[1]);
	if (info >= 0)
		return info;
	if (!strcmp(argv[1], "--exec-repeat"))
		return exec_repeat_main(argc, argv);
	/* --check WORKLOAD [options]: validate only (the runner asks before it
	 * records a run, so a typo costs no run record). */
	bool check_only = !strcmp(argv[1], "--check");
	if (check_only) {
		if (argc < 3)
			die(SOAK_WORKER_EXIT_USAGE, "--check needs a workload name");
		argc--;
		argv++;
	}

	worker_opts_t w = { .latency_every = SOAK_WL_LATENCY_EVERY_DEFAULT };
	char **rest = calloc((size_t)argc, sizeof(char *));
	if (!rest)
		die(SOAK_WORKER_EXIT_SETUP, "out of memory");
	static soak_wl_ctx_t ctx;
	const soak_workload_t *wl = prepare_workload(argc, argv, &w, rest, &ctx);
	if (check_only)
		return 0;
	soak_clock_init(w.force_monotonic);
	publish_ready(&ctx);

	/* Before setup: a workload may count blocks it allocates there
	 * (cache_scratch hands them to its threads). */
	int rc = soak_wl_live_check_init(&ctx);
	if (rc)
		die(rc, "%s", soak_wl_message());
	if (wl->setup) {
		rc = wl->setup(&ctx);
		if (rc)
			die(rc, "%s", soak_wl_message());
	}
	if (standalone && w.stats_ms)
		soak_astats_standalone(shm, w.stats_ms);
	soak_astats_t *as = soak_astats_start(shm);
	double secs, cpu;
	rc = run_threads(&ctx, w.duration_s, &secs, &cpu);
	if (!rc && wl->quiesce)
		rc = wl->quiesce(&ctx);
	if (!rc)
		rc = soak_wl_live_check_total(&ctx, "at stop");
	if (!rc && wl->teardown)
		rc = wl->teardown(&ctx);
	if (!rc)
		rc = soak_wl_live_check_total(&ctx, "after teardown");
	soak_astats_stop(as);
	if (rc == SOAK_WORKER_EXIT_VERIFY) {
		copy_field(shm->message, sizeof(shm->message), soak_wl_message());
		set_state(SOAK_WS_VERIFY_FAILED);
		fprintf(stderr, "soak-worker: %s\n", soak_wl_message());
		/* The heap may be corrupt: leave without running anything else in it. */
		_exit(SOAK_WORKER_EXIT_VERIFY);
	}
	if (rc)
		die(rc, "%s", soak_wl_message());
	set_state(SOAK_WS_DONE);
	if (standalone)
		print_summary(&ctx, secs, cpu);
	free(rest);
	return 0;
}
