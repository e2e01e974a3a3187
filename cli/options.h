/*
 * options.h - the one option parser of soakctl's commands. Each option's
 * entry in the command's table (soak_opt_t, cmdhelp.h) says where its value
 * goes (offsetof into the command's options struct) and how it is read
 * (flag, string, whole number or number with bounds, size, duration,
 * percentage, one of a list, or a function of the command's own). The same
 * table prints --help, the man page and the completion, so what is
 * documented is what is parsed.
 *
 * Error lines are the same for every command, one line each, and the command
 * exits 2:
 *   CMD: unknown option '--x' (see soakctl CMD --help)
 *   CMD: --x needs a value: ARG (see soakctl CMD --help)
 *   CMD: --x takes no value
 *   CMD: --x V: not a valid ARG; give FORM     (FORM: what the type accepts)
 *   CMD: --x V: out of range; give FORM
 */
#ifndef SOAK_OPTIONS_H
#define SOAK_OPTIONS_H

#include <stddef.h>

#include "cmdhelp.h"

/* An entry of a command's table whose value goes to field F of struct T. */
#define SOAK_OPT(T, NAME, SHRT, ARG, HELP, TYPE, F, ...)                                                  \
	{ .name = (NAME), .shrt = (SHRT), .arg = (ARG), .help = (HELP), .type = (TYPE),                      \
	  .off = offsetof(T, F), .size = sizeof(((T *)0)->F), __VA_ARGS__ }
/* .has = SOAK_OPT_HAS(T, F): the bool T.F is set when the option is given. */
#define SOAK_OPT_HAS(T, F) (offsetof(T, F) + 1)

/* What a command's parse asks for beyond its own table. */
typedef struct {
	const char *cmd;          /* names the command in error lines and "see soakctl CMD --help";
				     NULL: run's options (no prefix, "see soakctl run --help") */
	const soak_opt_t *opts;   /* parsed into dest (NULL-name-terminated) */
	const soak_opt_t *opts2;  /* a second table parsed into dest (or NULL) */
	const soak_opt_t *pass;   /* known options copied with their value to res->pass, not
				     parsed (compare hands run's options on), or NULL */
	const char *operand_err;  /* non-NULL: operands are refused with this line ("%s" is the
				     operand); NULL: operands are collected into res->operands, or
				     refused as "CMD: unexpected argument" when res is NULL */
	const char *const *skip;  /* long names taking a value that are skipped (left for the
				     caller), NULL-terminated, or NULL */
	int dashdash;             /* 1: "--" ends the options, what follows goes to res->rest;
				     0: what follows "--" are operands (as getopt reads it) */
	int no_help;              /* 1: --help and -h are not options here */
	const soak_cmd_doc_t *doc;   /* non-NULL: --help prints this page to stdout */
	const char *help_name;    /* the page's command name when it is not cmd ("gate") */
} soak_optparse_t;

typedef struct {
	char **operands, **rest, **pass;
	int n_operands, n_rest, n_pass;
} soak_optres_t;

/* Parses argv[0..argc) (argv[0] is the first argument, not the command name).
 * Returns 0; 1 when --help or -h was given (nothing else is checked after
 * it; p->doc's page is printed); -EINVAL after printing one line; or
 * -ENOMEM. res (may be NULL when no operand, rest or pass is possible) is
 * filled on success and on error; free it with soak_optres_free. */
int soak_opts_parse(const soak_optparse_t *p, int argc, char **argv, void *dest, soak_optres_t *res);
void soak_optres_free(soak_optres_t *res);

#endif
