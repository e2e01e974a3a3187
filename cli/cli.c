/* cli.c - helpers shared by the subcommands. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-kill.h"
#include "db.h"
#include "run.h"
#include "soakctl.h"

void soak_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("soakctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void soak_cli_say(void *arg, soak_say_t kind, const char *line)
{
	(void)arg;
	if (kind == SOAK_SAY_PROGRESS)
		/* Straight to fd 2: the line's own \r must pass the control-character
		 * filter on stderr (it holds only numbers the engine formatted). */
		dprintf(STDERR_FILENO, "%s", line);
	else
		fprintf(stderr, "soakctl: %s\n", line);
}

int soak_exit_interrupted(void)
{
	int sig = soak_run_interrupt_signal_get();
	return SOAK_EXIT_SIGNAL_BASE + (sig > 0 && sig < 64 ? sig : SIGINT);
}

int soak_cli_parse_id(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v <= 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int soak_cli_parse_ids(const char *cmd, char *const *ops, size_t n, int64_t **ret)
{
	int64_t *ids = NULL;
	if (n && !(ids = calloc(n, sizeof(*ids))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (soak_cli_parse_id(ops[i], &ids[i]) < 0) {
			soak_err("%s: '%s' is not a run id (a positive number; see soakctl runs)", cmd, ops[i]);
			free(ids);
			return -EINVAL;
		}
	*ret = ids;
	return 0;
}

int soak_cli_parse_id_list(const char *s, int64_t **ret, size_t *n)
{
	size_t cap = 1, k = 0;
	for (const char *p = s; *p; p++)
		cap += *p == ',';
	int64_t *ids = calloc(cap, sizeof(*ids));
	char *buf = strdup(s), *save = NULL;
	int r = ids && buf ? 0 : -ENOMEM;
	for (char *t = r ? NULL : strtok_r(buf, ",", &save); !r && t; t = strtok_r(NULL, ",", &save))
		r = soak_cli_parse_id(t, &ids[k++]);
	free(buf);
	if (!r && !k)
		r = -EINVAL;
	if (r < 0) {
		free(ids);
		return r;
	}
	*ret = ids;
	*n = k;
	return 0;
}

/* A runner that died left its cgroups (and maybe processes its sentinel
 * did not get to) behind: kill and remove them. The paths come from the
 * database, which may have been copied from anywhere: only directories that
 * pass soak_cg_recover_json's checks for this run are touched. */
static void remove_left_cgroups(const soak_run_t *r, void *arg)
{
	(void)arg;
	char why[2048] = "";
	if (!r->cgroup_paths || !strcmp(r->cgroup_paths, "{}"))
		return;
	int e = soak_cg_recover_json(r->cgroup_paths, r->uuid, NULL, 0, why, sizeof(why));
	if (e < 0 && !why[0])
		snprintf(why, sizeof(why), "cannot remove its cgroups: %s", strerror(-e));
	/* Then the runner's own leaf (leaf-move, systemd-scope), now empty. A
	 * systemd scope goes away by itself once nothing runs in it. */
	if (e == 0 && (e = soak_place_recover_json(r->cgroup_paths, r->runner_pid, why, sizeof(why))) < 0 &&
	    !why[0])
		snprintf(why, sizeof(why), "cannot remove the runner's leaf cgroup: %s", strerror(-e));
	for (char *l = why, *nl; e < 0 && l; l = nl) {
		if ((nl = strchr(l, '\n')))
			*nl++ = '\0';
		soak_err("run %lld: %s", (long long)r->id, l);
	}
}

/* Marks runs of dead runners before any command looks at the database, so a
 * report right after a `kill -9` already shows the run as incomplete. Needs a
 * writable file; a read-only one is reported as it is. */
static void recover(const char *path)
{
	char err[1024] = "";
	soak_db_t *db = NULL;
	if (access(path, W_OK) != 0 || soak_db_open(path, SOAK_DB_WRITE, &db, err, sizeof(err)) < 0)
		return;
	int n = soak_db_recover(db, remove_left_cgroups, NULL);
	if (n > 0)
		fprintf(stderr, "soakctl: marked %d run(s) of a runner that died as incomplete\n", n);
	soak_cli_close_db(db);
}

int soak_cli_close_db(struct soak_db *db)
{
	char err[1024] = "";
	int r = soak_db_close(db, err, sizeof(err));
	if (r < 0)
		soak_err("%s", err[0] ? err : strerror(-r));
	return r;
}

struct soak_db *soak_cli_open_db(const char *path, int mode)
{
	char err[1024] = "";
	soak_db_t *db = NULL;
	int r = soak_db_open(path, mode, &db, err, sizeof(err));
	if (r < 0) {
		soak_err("%s", err[0] ? err : strerror(-r));
		return NULL;
	}
	if (mode == SOAK_DB_WRITE) {
		int n = soak_db_recover(db, remove_left_cgroups, NULL);
		if (n > 0)
			fprintf(stderr, "soakctl: marked %d run(s) of a runner that died as incomplete\n", n);
	} else {
		soak_cli_close_db(db);
		recover(path);
		r = soak_db_open(path, mode, &db, err, sizeof(err));
		if (r < 0) {
			soak_err("%s", err[0] ? err : strerror(-r));
			return NULL;
		}
	}
	return db;
}

int soak_cli_result(soak_db_t *db, const soak_run_t *run, const soak_result_opts_t *o, soak_run_result_t *res,
		    const char *cmd)
{
	char why[512];
	int r = soak_db_run_impossible(db, run->id, why, sizeof(why));
	if (r > 0) {
		soak_err("%s: run %lld has an impossible value: %s: the database was edited or damaged; leave "
			 "the run out", cmd, (long long)run->id, why);
		return -EINVAL;
	}
	if (r == 0)
		r = soak_result_from_db(db, run, o, res);
	if (r < 0)
		soak_err("%s: run %lld: %s", cmd, (long long)run->id,
			 r == -ENOMEM ? "out of memory" : soak_db_errmsg(db));
	return r;
}

int soak_cli_html_series(const soak_run_result_t *r, const char *metric, soak_xy_t *out, void *arg)
{
	soak_series_t s;
	int rc = soak_db_series(arg, r->run.id, metric, -1e300, &s);
	if (rc < 0)
		return rc;
	out->n = s.n;
	out->t = s.t;
	out->v = s.v;
	return 0;
}
