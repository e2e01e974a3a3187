/* ini.c - INI files of any line length through libinih; see
 * include/soak/ini.h for why and what is checked on top of inih. */
#include "soak/ini.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	const char *name;          /* file name for messages */
	const char *p, *end;       /* unread text */
	int line;                  /* number of the line last handed to inih */
	char section[SOAK_INI_MAX_NAME + 1];
	char key[SOAK_INI_MAX_NAME + 1];
	char *value;               /* the current line's whole value */
	char *buf;                 /* the current line */
	size_t cap;
	/* names seen, for duplicates: "section\0" and "section\0key\0" */
	struct seen { char *id; size_t len; int line; } *seen;
	size_t n_seen, cap_seen;
	soak_ini_fn fn;
	void *user;
	int rc;                    /* first error: set once */
	bool syntax;               /* the last line is one inih will refuse */
	char *err;
	size_t errlen;
} ini_ctx_t;

static int fail(ini_ctx_t *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ini_ctx_t *c, int rc, const char *fmt, ...)
{
	if (c->rc)
		return c->rc;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->name, c->line, msg);
	c->rc = rc;
	return rc;
}

/* Records id (len bytes); returns the line of an earlier equal id, 0 if new. */
static int seen_add(ini_ctx_t *c, const char *id, size_t len)
{
	for (size_t i = 0; i < c->n_seen; i++)
		if (c->seen[i].len == len && !memcmp(c->seen[i].id, id, len))
			return c->seen[i].line;
	if (c->n_seen == c->cap_seen) {
		size_t cap = c->cap_seen ? 2 * c->cap_seen : 16;
		struct seen *s = realloc(c->seen, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		c->seen = s;
		c->cap_seen = cap;
	}
	char *d = malloc(len);
	if (!d)
		return -ENOMEM;
	memcpy(d, id, len);
	c->seen[c->n_seen++] = (struct seen){ d, len, c->line };
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* Cuts an inline comment: ';' after a blank, outside quotes. */
static void cut_comment(char *s)
{
	char q = 0;
	for (char *p = s; *p; p++) {
		if (q) {
			if (*p == '\\' && q == '"' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == ';' && p > s && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			return;
		}
	}
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > SOAK_INI_MAX_NAME)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f || strchr("[]=:;#\"'", *s))
			return false;
	return true;
}

/* Takes the next line of the file into c->buf; false at the end. */
static bool take_line(ini_ctx_t *c)
{
	if (c->p >= c->end)
		return false;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	size_t n = nl ? (size_t)(nl - c->p) : (size_t)(c->end - c->p);
	c->line++;
	if (memchr(c->p, '\0', n)) {
		fail(c, -EINVAL, "a NUL byte: this is not a text file");
		return false;
	}
	if (n + 1 > c->cap) {
		char *b = realloc(c->buf, n + 1);
		if (!b) {
			fail(c, -ENOMEM, "out of memory");
			return false;
		}
		c->buf = b;
		c->cap = n + 1;
	}
	memcpy(c->buf, c->p, n);
	c->buf[n] = '\0';
	c->p += n + (nl ? 1 : 0);
	if (n && c->buf[n - 1] == '\r')
		c->buf[--n] = '\0';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->buf[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			fail(c, -EINVAL, "control character 0x%02x in the line", ch);
			return false;
		}
	}
	return true;
}

/* libinih's reader: one real line per call, shortened to what inih needs to
 * judge it. NULL ends the parse (end of file or an error found here). */
static char *reader(char *str, int num, void *stream)
{
	ini_ctx_t *c = stream;
	if (c->rc || c->syntax || num < 80 || !take_line(c))
		return NULL;
	char *s = c->buf;
	if (c->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	s = trim(s);
	if (!*s || *s == ';' || *s == '#') {
		str[0] = '\0';
		return str;
	}
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (!close) {
			fail(c, -EINVAL, "a section header without ']'");
			return NULL;
		}
		*close = '\0';
		char *rest = trim(close + 1);
		if (*rest && *rest != ';' && *rest != '#') {
			fail(c, -EINVAL, "text after the section header [%s]: '%s'", s + 1, rest);
			return NULL;
		}
		char *name = trim(s + 1);
		if (!name_ok(name)) {
			fail(c, -EINVAL, "'[%.80s]' is not a section name (1-%d characters, no blanks "
			     "or []=:;#\"')", name, SOAK_INI_MAX_NAME);
			return NULL;
		}
		int first = seen_add(c, name, strlen(name) + 1);
		if (first) {
			fail(c, first < 0 ? first : -EINVAL, "duplicate section [%s] (first at line %d): "
			     "merge the two", name, first);
			return NULL;
		}
		snprintf(c->section, sizeof(c->section), "%s", name);
		c->key[0] = '\0';
		int r = c->fn(c->user, c->section, NULL, NULL, c->line, c->err, c->errlen);
		if (r < 0) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s", c->err);
			fail(c, r, "%s", msg);
			return NULL;
		}
		snprintf(str, (size_t)num, "[%s]", name);
		return str;
	}
	char *eq = strpbrk(s, "=:");
	if (!eq) {
		/* inih judges it (and will say which line): pass a bounded copy. */
		snprintf(str, (size_t)num, "%.*s", num - 8, s);
		c->syntax = true;
		return str;
	}
	*eq = '\0';
	char *key = trim(s), *value = eq + 1;
	cut_comment(value);
	value = trim(value);
	if (!name_ok(key)) {
		fail(c, -EINVAL, "'%.80s' is not a key name (1-%d characters, no blanks or []=:;#\"')",
		     key, SOAK_INI_MAX_NAME);
		return NULL;
	}
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->value = value;
	snprintf(str, (size_t)num, "%s=@", key);
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	(void)section, (void)name, (void)value;   /* ours are whole: c->section, c->key, c->value */
	ini_ctx_t *c = user;
	if (c->rc)
		return 0;
	size_t sl = strlen(c->section) + 1, kl = strlen(c->key) + 1;
	char *id = malloc(sl + kl + 1);
	if (!id)
		return fail(c, -ENOMEM, "out of memory"), 0;
	id[0] = '\x01';   /* keys apart from section names */
	memcpy(id + 1, c->section, sl);
	memcpy(id + 1 + sl, c->key, kl);
	int first = seen_add(c, id, 1 + sl + kl);
	free(id);
	if (first) {
		fail(c, first < 0 ? first : -EINVAL, "key '%s' given twice in [%s] (first at line %d): "
		     "keep one", c->key, c->section, first);
		return 0;
	}
	int r = c->fn(c->user, c->section, c->key, c->value, c->line, c->err, c->errlen);
	if (r < 0) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", c->err);
		fail(c, r, "%s", msg);
		return 0;
	}
	return 1;
}

int soak_ini_parse_mem(const char *name, const char *text, size_t len, soak_ini_fn fn, void *user,
		       char *err, size_t errlen)
{
	ini_ctx_t c = { .name = name, .p = text, .end = text + len, .fn = fn, .user = user,
			.err = err, .errlen = errlen };
	err[0] = '\0';
	int line = ini_parse_stream(reader, &c, handler, &c);
	if (!c.rc && line > 0) {
		c.line = line;
		fail(&c, -EINVAL, "not INI syntax: expected [section], key = value, or a ; comment");
	} else if (!c.rc && line < 0) {
		fail(&c, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < c.n_seen; i++)
		free(c.seen[i].id);
	free(c.seen);
	free(c.buf);
	return c.rc;
}

int soak_ini_parse_file(const char *path, soak_ini_fn fn, void *user, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -ENOENT;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SOAK_INI_MAX_FILE) {
		close(fd);
		snprintf(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ? "larger than 1 MiB: not a config file"
								   : "not a regular file");
		return -EINVAL;
	}
	size_t len = (size_t)st.st_size;
	char *text = malloc(len + 1);
	if (!text) {
		close(fd);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, text + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	int r = soak_ini_parse_mem(path, text, got, fn, user, err, errlen);
	free(text);
	return r;
}
