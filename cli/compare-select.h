/* compare-select.h - the runs one argument of `soakctl compare --from-db`
 * names: a run id, a comma-separated list of run ids (one column, never
 * merged), a comparison id or a label. */
#ifndef SOAK_COMPARE_SELECT_H
#define SOAK_COMPARE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

/* 0 with the runs (free with soak_runs_free) and whether the argument was an
 * explicit id list; or a negative errno after one message (no such run). */
int soak_cmp_select_runs(soak_db_t *db, const char *arg, const char *db_path, soak_run_t **runs,
			 size_t *n, bool *explicit_ids);

/* --from-db runs nothing: of run's options only --db applies. 0, or -EINVAL
 * after one message naming the first option that does not apply. */
int soak_cmp_from_db_args_check(int argc, char **argv);

#endif
