/*
 * ini.h - the suite's INI reader (soak.ini, gate thresholds) on top of
 * libinih. Debian's libinih is built with INI_MAX_LINE 200 on the stack: a
 * longer line is cut and its rest parsed as a new line (measured: a 35-entry
 * env = line reached the worker as V34=1; ini_use_stack/ini_allow_realloc
 * change nothing at run time). So this reader reads whole lines itself, of
 * any length, checks section lines and splits key = value, and hands inih one
 * short line per real line (the value replaced by a placeholder): inih still
 * judges the syntax, line numbers are the file's. On top:
 *   - a duplicate section or a key given twice in one section is an error;
 *   - every error is "FILE:LINE: what is wrong";
 *   - values are trimmed; ';' after whitespace outside quotes starts a
 *     comment; no continuation lines (an indented line is not a value);
 *   - NUL bytes and non-UTF-8-safe control characters are refused.
 */
#ifndef SOAK_INI_H
#define SOAK_INI_H

#include <stddef.h>

#define SOAK_INI_MAX_FILE (1024 * 1024)   /* bigger config files are refused */
#define SOAK_INI_MAX_NAME 63               /* longest section or key name */

/* Called once per section header (key and value NULL) and once per key. value
 * is the whole value, any length. Returns 0 to go on, or a negative errno
 * with err set (without file and line: the reader adds them). */
typedef int (*soak_ini_fn)(void *user, const char *section, const char *key, const char *value,
			   int line, char *err, size_t errlen);

/* 0, -ENOENT (cannot read: err says why), -EINVAL (err = "FILE:LINE: ..."),
 * -ENOMEM, or fn's error. */
int soak_ini_parse_file(const char *path, soak_ini_fn fn, void *user, char *err, size_t errlen);
/* The same on text in memory; name is used in messages. */
int soak_ini_parse_mem(const char *name, const char *text, size_t len, soak_ini_fn fn, void *user,
		       char *err, size_t errlen);

/* Splits an env value with shell-like quoting, without a shell:
 * A="x y" B=2 C='$HOME' D=a\ b  ->  A=x y, B=2, C=$HOME, D=a b.
 * Words are separated by blanks; '...' is literal; "..." honours \" \\ \$ \`;
 * a backslash outside quotes escapes the next character; nothing is
 * expanded. Every word must be NAME=VALUE with NAME [A-Za-z_][A-Za-z0-9_]*.
 * *ret is a NULL-terminated array (free with soak_env_free), *n its length.
 * 0 or -EINVAL (err says which word) / -ENOMEM. */
int soak_env_split(const char *s, char ***ret, size_t *n, char *err, size_t errlen);
void soak_env_free(char **env);

#endif
