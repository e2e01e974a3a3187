/*
 * soakctl.h - the command table. Each subcommand lives in cmd-<name>.c and
 * returns the process exit code: 0 ok / gate passed, 1 gate failed or
 * regression found, 2 usage or environment error, 128+N interrupted by
 * signal N (run, compare, plan run).
 */
#ifndef SOAKCTL_H
#define SOAKCTL_H

#define SOAK_EXIT_OK 0
#define SOAK_EXIT_FAIL 1
#define SOAK_EXIT_USAGE 2
/* An interrupted run, compare or plan run exits 128 + the signal, like a shell reports
 * a command killed by it: 130 for SIGINT (Ctrl-C), 143 for SIGTERM, 129 for
 * SIGHUP. What was recorded is kept (runs end 'interrupted'). */
#define SOAK_EXIT_SIGNAL_BASE 128
int soak_exit_interrupted(void);

typedef struct {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);   /* argv[0] is the subcommand name */
} soak_cmd_t;

int soak_cmd_run(int argc, char **argv);
int soak_cmd_report(int argc, char **argv);
int soak_cmd_runs(int argc, char **argv);
int soak_cmd_compare(int argc, char **argv);
int soak_cmd_gate(int argc, char **argv);
int soak_cmd_allocators(int argc, char **argv);
int soak_cmd_calibrate(int argc, char **argv);
int soak_cmd_workloads(int argc, char **argv);
int soak_cmd_help(int argc, char **argv);
int soak_cmd_merge(int argc, char **argv);
int soak_cmd_history(int argc, char **argv);
int soak_cmd_plan(int argc, char **argv);
int soak_cmd_record(int argc, char **argv);
int soak_cmd_trace(int argc, char **argv);
/* `gate --history` (cmd-history.c). */
int soak_cmd_gate_history(int argc, char **argv);

/* Prints "soakctl: <message>" to stderr (one line). */
void soak_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A run id as typed by a user: a positive decimal integer. 0 or -EINVAL. */
#include <stdint.h>
int soak_cli_parse_id(const char *s, int64_t *ret);
/* The run ids a command's operands OPS[0..N) name, each as soak_cli_parse_id
 * reads it, into a new array *RET (NULL when N is 0; the caller frees it).
 * 0, -ENOMEM, or -EINVAL with the line "CMD: 'X' is not a run id ..." printed. */
#include <stddef.h>
int soak_cli_parse_ids(const char *cmd, char *const *ops, size_t n, int64_t **ret);
/* A comma-separated list of run ids ("3,4,9"; empty items are skipped) into a
 * new array *RET of *N ids. 0, -ENOMEM, or -EINVAL (an item is not a run id,
 * or there is none); prints nothing: the caller decides whether the text was
 * meant as a label instead. */
int soak_cli_parse_id_list(const char *s, int64_t **ret, size_t *n);
/* Opens the database for a command, printing the error line on failure, and
 * marking runs left 'running' by a dead runner as 'incomplete' (removing their
 * cgroups). Returns NULL on error (exit 2). */
struct soak_db;
struct soak_db *soak_cli_open_db(const char *path, int mode);
/* A run's result for command cmd (soak_result_from_db), refusing a run with a
 * value no run can have (a database edited by hand or damaged: it is never
 * averaged in) and printing the error line: 0 or a negative errno. */
#include "result.h"
int soak_cli_result(struct soak_db *db, const soak_run_t *run, const soak_result_opts_t *o,
		    soak_run_result_t *res, const char *cmd);
/* Closes a command's database (soak_db_close: what is pending is committed),
 * printing the line that names the problem when the final commit fails.
 * 0 or the negative errno. */
int soak_cli_close_db(struct soak_db *db);

/* Run options (cmd-run.c): the table of `soakctl run`, shared by compare,
 * calibrate and plan. */
#include <stdbool.h>
#include <stdio.h>
#include "run.h"

/* Parses run options from argv[0..argc) (argv[0] is the first option, not the
 * program name) with run's table and cli/options.c. Options not known are an error unless they are known to
 * `extra` (a NULL-terminated list of long option names taking a value, which
 * are skipped and left for the caller). Everything after "--" becomes the
 * workload's argv, and o->say is set to soakctl's
 * printer. Prints one line naming the problem and returns -EINVAL. */
int soak_run_parse_opts(int argc, char **argv, soak_run_opts_t *o, const char *const *extra);

/* The start `run` and `calibrate` share. Prints NAME's help from DOC when
 * argv asks for it (returns 1); else parses the run options over the defaults
 * the caller set in *o (with LIKE, `run`'s own parse: --like ID's recorded
 * settings first), applies CHECK (may be NULL; it prints its own line),
 * places the run (o->place = place) and opens the database for writing, in
 * that order so that a host where the run cannot get cgroups is not left a
 * database file. 0 with *db open and the run placed (undo: soak_run_unplace),
 * or -EINVAL with one line printed. */
#include "cmdhelp.h"
struct soak_like;
int soak_cli_run_start(int argc, char **argv, const char *name, const soak_cmd_doc_t *doc,
		       int (*check)(const soak_run_opts_t *), struct soak_like *like, soak_run_opts_t *o,
		       soak_place_t *place, struct soak_db **db);

/* The engine's say callback: "soakctl: LINE" on stderr, progress as it is. */
void soak_cli_say(void *arg, soak_say_t kind, const char *line);

/* The whole-run samples of a run's metric for HTML plots (arg: the soak_db_t). */
#include "result.h"
int soak_cli_html_series(const soak_run_result_t *r, const char *metric, soak_xy_t *out, void *arg);

#endif
