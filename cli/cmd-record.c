/* cmd-record.c - `soakctl record`: runs a command with soak-record.so
 * preloaded (in front of the allocator recorded under) and leaves its
 * allocation trace in a file (soak/trace.h). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "cmdhelp.h"
#include "options.h"
#include "run.h"
#include "soak/ini.h"
#include "soakctl.h"

typedef struct {
	const char *out, *alloc, *config;
	bool follow;
} record_opts_t;

static const soak_opt_t record_opts[] = {
	SOAK_OPT(record_opts_t, "output", 'o', "FILE", "the trace file (default soak.trace; replaced)", SOAK_OT_STR, out),
	SOAK_OPT(record_opts_t, "allocator", 'a', "NAME", "record under this allocator (default system; names as in soakctl allocators)",
		 SOAK_OT_STR, alloc),
	SOAK_OPT(record_opts_t, "config", 0, "FILE", "allocator registry INI (as soakctl allocators --config)", SOAK_OT_STR, config),
	SOAK_OPT(record_opts_t, "follow-forks", 0, NULL, "record fork children too, each into FILE.PID", SOAK_OT_FLAG, follow),
	{ 0 }
};

const soak_cmd_doc_t soak_doc_record = {
	.synopsis = "soakctl record [-o FILE] [-a ALLOCATOR] [--follow-forks] -- CMD [ARGS...]",
	.description = "Runs CMD with the recording library (soak-record.so, installed beside soak-worker) "
		       "preloaded and writes every malloc, calloc, realloc, reallocarray, free, "
		       "posix_memalign, aligned_alloc, memalign, valloc and pvalloc of it, with its thread, "
		       "time, size and alignment, to a trace file: object ids, never addresses. Threads "
		       "buffer their own events; a program killed by a signal leaves a trace readable up to "
		       "its last written chunk, which soakctl trace info reports as cut. Fork children and "
		       "the programs CMD runs are recorded only with --follow-forks, each into FILE.PID. Replay the trace under any "
		       "allocator with soakctl run -w replay -- --trace FILE (docs/replay.md).",
	.sections = { { .title = "Options", .opts = record_opts } },
	.examples = "soakctl record -o ls.trace -- ls /\n"
		    "soakctl record -a mimalloc -o py.trace -- python3 -c 'print(sum(range(99)))'",
	.exit_status = "CMD's exit status (128+N when a signal N ended it); 2 usage error, soak-record.so or "
		       "the allocator not found, or CMD could not be started.",
};

static int record_env(const record_opts_t *o, const soak_alloc_t *a, const char *lib, const char *out)
{
	char pre[PATH_MAX + 16 + sizeof(a->path) + 2];
	int len = snprintf(pre, sizeof(pre), "%s%s%s", lib, a->path[0] ? ":" : "", a->path);
	if (len < 0 || (size_t)len >= sizeof(pre))
		return -ENAMETOOLONG;
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (setenv("LD_PRELOAD", pre, 1) || setenv("SOAK_RECORD_PID", pid, 1) || setenv("SOAK_RECORD_FILE", out, 1) ||
	    setenv("SOAK_RECORD_ALLOCATOR", a->name, 1) ||
	    (o->follow ? setenv("SOAK_RECORD_FOLLOW_FORKS", "1", 1) : unsetenv("SOAK_RECORD_FOLLOW_FORKS")))
		return -errno;
	char **env;
	size_t n;
	char err[256];
	if (!a->env[0])
		return 0;
	if (soak_env_split(a->env, &env, &n, err, sizeof(err)) < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		putenv(env[i]);   /* kept for the exec */
	return 0;
}

int soak_cmd_record(int argc, char **argv)
{
	record_opts_t o = { .out = "soak.trace", .alloc = "system" };
	soak_optparse_t p = { .cmd = "record", .doc = &soak_doc_record, .opts = record_opts, .dashdash = 1 };
	soak_optres_t res = { 0 };
	int r = soak_opts_parse(&p, argc - 1, argv + 1, &o, &res);
	if (r)
		return soak_optres_free(&res), r > 0 ? SOAK_EXIT_OK : SOAK_EXIT_USAGE;
	int status = SOAK_EXIT_USAGE;
	char worker[PATH_MAX], lib[PATH_MAX + 16], out[PATH_MAX], err[512];
	soak_alloc_t *a = calloc(1, sizeof(*a));
	if (res.n_operands || res.n_rest == 0) {
		soak_err("record: give the command after --: soakctl record -o FILE -- CMD ARGS");
		goto out;
	}
	int wr = soak_worker_path(worker, sizeof(worker));
	if (wr < 0) {
		soak_err("%s", soak_worker_path_why(wr));
		goto out;
	}
	char *slash = strrchr(worker, '/');
	snprintf(lib, sizeof(lib), "%.*s/soak-record.so", slash ? (int)(slash - worker) : 1, slash ? worker : ".");
	if (access(lib, R_OK) != 0) {
		soak_err("record: %s: %s (it is built and installed beside soak-worker)", lib, strerror(errno));
		goto out;
	}
	if (!a || soak_alloc_resolve(o.alloc, o.config, a, err, sizeof(err)) < 0) {
		soak_err("record: %s", a ? err : "out of memory");
		goto out;
	}
	if (o.out[0] == '/')
		snprintf(out, sizeof(out), "%s", o.out);
	else if (!getcwd(out, sizeof(out)) || strlen(out) + strlen(o.out) + 2 > sizeof(out)) {
		soak_err("record: %s: path too long", o.out);
		goto out;
	} else {
		strcat(out, "/");
		strcat(out, o.out);
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		soak_err("record: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (record_env(&o, a, lib, out) < 0)
			_exit(127);
		execvp(res.rest[0], res.rest);
		fprintf(stderr, "soakctl: record: %s: %s\n", res.rest[0], strerror(errno));
		_exit(127);
	}
	signal(SIGINT, SIG_IGN);   /* the command gets Ctrl-C; the recorder flushes what it can */
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	signal(SIGINT, SIG_DFL);
	status = WIFEXITED(ws) ? WEXITSTATUS(ws) : SOAK_EXIT_SIGNAL_BASE + WTERMSIG(ws);
	if (access(out, R_OK) != 0)
		soak_err("record: %s made no allocation the recorder saw; no trace written", res.rest[0]);
	else
		fprintf(stderr, "soakctl: record: trace in %s (soakctl trace info %s)\n", o.out, o.out);
out:
	free(a);
	soak_optres_free(&res);
	return status;
}
