/* compare-select.c - which runs an argument of `compare --from-db` names; see
 * compare-select.h. */
#include "compare-select.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "soakctl.h"

static bool all_ids(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s >= '0' && *s <= '9') && *s != ',')
			return false;
	return true;
}

int soak_cmp_select_runs(soak_db_t *db, const char *arg, const char *db_path, soak_run_t **runs,
			 size_t *n, bool *explicit_ids)
{
	*explicit_ids = false;
	if (all_ids(arg)) {
		int64_t *ids;
		size_t k;
		if (soak_cli_parse_id_list(arg, &ids, &k) < 0) {
			soak_err("compare: '%s' is not a run id or a comma-separated list of run ids", arg);
			return -EINVAL;
		}
		soak_run_filter_t f = { .ids = ids, .n_ids = k };
		int r = soak_db_runs(db, &f, runs, n);
		free(ids);
		if (r < 0) {
			soak_err("compare: %s", soak_db_errmsg(db));
			return r;
		}
		*explicit_ids = strchr(arg, ',') != NULL;
		return 0;
	}
	soak_run_filter_t f = { .comparison_id = arg };
	int r = soak_db_runs(db, &f, runs, n);
	if (r == 0 && *n == 0) {
		soak_runs_free(*runs, *n);
		f = (soak_run_filter_t){ .label = arg };
		r = soak_db_runs(db, &f, runs, n);
	}
	if (r < 0) {
		soak_err("compare: %s", soak_db_errmsg(db));
		return r;
	}
	if (*n == 0) {
		soak_runs_free(*runs, *n);
		soak_err("compare: no run id, comparison id or label '%s' in %s (see soakctl runs)", arg,
			 db_path);
		return -ENOENT;
	}
	return 0;
}

int soak_cmp_from_db_args_check(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			soak_err("compare: --from-db runs nothing: workload options do not apply");
			return -EINVAL;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "--db") && strncmp(argv[i], "--db=", 5)) {
			soak_err("compare: --from-db runs nothing: %s does not apply (only --db)", argv[i]);
			return -EINVAL;
		} else if (!strcmp(argv[i], "--db")) {
			i++;
		}
	return 0;
}
