/* cli.c - helpers shared by the subcommands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "db.h"
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

/* A runner that died left its cgroups (and maybe a worker, which PDEATHSIG
 * normally killed) behind: kill and remove them. */
static void remove_left_cgroups(const soak_run_t *r, void *arg)
{
	(void)arg;
	if (r->cgroup_paths && soak_cg_destroy_json(r->cgroup_paths) < 0)
		soak_err("run %lld: could not remove its cgroups %s", (long long)r->id, r->cgroup_paths);
	/* Then the runner's own leaf (leaf-move, systemd-scope), now empty. A
	 * systemd scope goes away by itself once nothing runs in it. */
	else if (r->cgroup_paths && soak_place_recover_json(r->cgroup_paths) < 0)
		soak_err("run %lld: could not remove the runner's leaf cgroup named in %s", (long long)r->id,
			 r->cgroup_paths);
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
	soak_db_close(db);
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
		soak_db_close(db);
		recover(path);
		r = soak_db_open(path, mode, &db, err, sizeof(err));
		if (r < 0) {
			soak_err("%s", err[0] ? err : strerror(-r));
			return NULL;
		}
	}
	return db;
}
