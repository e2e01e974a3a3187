/*
 * cmdhelp.h - the documentation of every soakctl command as data: synopsis,
 * description, option tables, examples, exit status. `--help`, the man pages
 * (`soakctl help --man`) and the bash completion (`soakctl help
 * --bash-completion`) are all printed from these tables, and the commands
 * parse their arguments with them (cli/options.h: each option names its type
 * and the field it sets), so the three cannot drift from each other or from
 * what the parser accepts.
 */
#ifndef SOAK_CMDHELP_H
#define SOAK_CMDHELP_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#define SOAK_STR_(x) #x
#define SOAK_STR(x) SOAK_STR_(x)

/* How cli/options.c reads an option's value into its destination. */
typedef enum {
	SOAK_OT_NONE = 0,   /* documentation only (operands; commands still parsed with getopt) */
	SOAK_OT_FLAG,       /* no value: the bool or int field becomes 1 */
	SOAK_OT_SET,        /* no value: the bool or int field becomes .lo (-q: verbose = -1) */
	SOAK_OT_STR,        /* const char *: the value, not empty */
	SOAK_OT_UINT,       /* an unsigned integer field (size_t, uint32_t, uint64_t) in [lo, hi] */
	SOAK_OT_DOUBLE,     /* double in [lo, hi] (lo_open: lo itself excluded) */
	SOAK_OT_SIZE,       /* uint64_t bytes: 64M, 1G, max (UINT64_MAX; .has is cleared) */
	SOAK_OT_DURATION,   /* double seconds: 90s, 5m, 2h30m */
	SOAK_OT_PERCENT,    /* double percent: 50%, 150% */
	SOAK_OT_CHOICE,     /* const char *: one of .choices ("md|json|csv"), any case */
	SOAK_OT_FN,         /* .fn reads the value (for forms of one command only) */
} soak_opt_type_t;

typedef struct {
	const char *name;   /* long option without "--", or an operand ("RUN_ID..."); NULL ends */
	char shrt;          /* short option letter, 0 when none */
	const char *arg;    /* value placeholder ("FILE", "md|json|csv"); NULL for a flag */
	const char *help;   /* one paragraph, wrapped when printed */
	int val;            /* getopt_long value (commands parsed with getopt: gate) */
	/* Where the value goes (cli/options.h; SOAK_OPT fills these). */
	soak_opt_type_t type;
	size_t off, size;   /* offsetof and sizeof the destination field */
	size_t has;         /* offsetof + 1 of a bool set when the option is given; 0 none */
	double lo, hi;      /* bounds of UINT and DOUBLE; SET: the value stored */
	int lo_open;        /* DOUBLE: lo is excluded */
	const char *choices;   /* CHOICE: "|"-separated */
	/* FN: 0, or -EINVAL/-ERANGE with the accepted form in why. */
	int (*fn)(const char *v, void *field, char *why, size_t len);
} soak_opt_t;

/* An entry of an operand section ("RUN_ID...", what it is). */
#define SOAK_OPERAND(NAME, HELP) { .name = (NAME), .help = (HELP) }

typedef struct {
	const char *title;              /* "Options", "Compare options"; NULL ends */
	const soak_opt_t *opts;         /* NULL-name-terminated; or: */
	const soak_opt_t *(*opts_fn)(void); /* a table built at run time (run's options) */
	bool operands;                  /* entries are operands, not --options */
} soak_opt_section_t;

typedef struct {
	const char *synopsis;     /* one line per form, "\n"-separated, without "usage: soakctl" */
	const char *description;  /* paragraphs separated by a blank line ("\n\n") */
	soak_opt_section_t sections[4];
	const char *notes;        /* paragraphs printed after the options, or NULL */
	const char *examples;     /* one command per line, or NULL */
	const char *exit_status;  /* one paragraph */
} soak_cmd_doc_t;

typedef struct {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);   /* argv[0] is the subcommand name */
	const soak_cmd_doc_t *doc;
} soak_cmd_entry_t;

/* The command table (cli/commands.c), and the top-level soakctl page. */
extern const soak_cmd_entry_t soak_commands[];
extern const size_t soak_n_commands;
extern const soak_cmd_doc_t soak_doc_soakctl;
const soak_cmd_entry_t *soak_command_find(const char *name);

/* Each command's documentation, next to its parser in cmd-<name>.c. */
extern const soak_cmd_doc_t soak_doc_run, soak_doc_report, soak_doc_runs, soak_doc_compare,
	soak_doc_gate, soak_doc_workloads, soak_doc_allocators, soak_doc_help, soak_doc_merge,
	soak_doc_history, soak_doc_gate_history, soak_doc_plan, soak_doc_calibrate,
	soak_doc_record, soak_doc_trace;
/* run's option table (cmd-run.c), as documentation: shared by run and compare. */
const soak_opt_t *soak_run_opts_doc(void);

/* The options of a section (static or built), or NULL. */
const soak_opt_t *soak_section_opts(const soak_opt_section_t *s);

/* `--help` text: "usage: ...", description, option sections, notes,
 * examples, exit codes. name is "run" etc., or NULL for soakctl itself. */
void soak_help_print(FILE *f, const char *name, const soak_cmd_doc_t *doc);
/* Only the option lines of one table (used by compare for run's options). */
void soak_help_print_opts(FILE *f, const soak_opt_t *opts);

/* Builds the getopt_long tables from the --option sections of doc: long
 * options (plus --help, val 'h') into out[SOAK_GETOPT_MAX], and the short
 * option string (":h" plus each option's letter, "x:" when it takes a value;
 * its val must be that letter) into shortopts[SOAK_GETOPT_MAX * 2]. 0 or -E2BIG. */
#define SOAK_GETOPT_MAX 64
int soak_getopt_table(const soak_cmd_doc_t *doc, struct option *out, char *shortopts);

/* roff man page of a command (name NULL: soakctl(1)). */
void soak_man_print(FILE *f, const char *name, const soak_cmd_doc_t *doc);
/* Writes soakctl.1 and soakctl-<cmd>.1 for every command into dir. 0 or -errno. */
int soak_man_write_dir(const char *dir);
/* A bash completion script for soakctl. */
void soak_completion_bash(FILE *f);

#endif
