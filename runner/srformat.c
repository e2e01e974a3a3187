/* srformat.c - declared self-report formats; see srformat.h. */
#include "srformat.h"

#include <errno.h>
#include <soak/ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

const char *const soak_srfmt_classes[SOAK_SRFMT_CLASSES] = {
	"mmap", "munmap", "mremap", "madvise", "brk", "mprotect", "mlock", "munlock", "total",
};

static int class_index(const char *name)
{
	for (int c = 0; c < SOAK_SRFMT_CLASSES; c++)
		if (!strcmp(soak_srfmt_classes[c], name))
			return c;
	return -1;
}

static int is_keych(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

int soak_srfmt_parse_sum(const char *expr, char keys[SOAK_SRFMT_KEYS][SOAK_SR_NAME_MAX], char *err,
			 size_t errlen)
{
	memset(keys, 0, SOAK_SRFMT_KEYS * SOAK_SR_NAME_MAX);
	int n = 0;
	const char *p = expr;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *k = p;
		while (is_keych(*p))
			p++;
		size_t len = (size_t)(p - k);
		if (!len || len >= SOAK_SR_NAME_MAX || n == SOAK_SRFMT_KEYS) {
			snprintf(err, errlen, "'%s' is not a sum of up to %d counter names (key + key ...)", expr,
				 SOAK_SRFMT_KEYS);
			return -EINVAL;
		}
		memcpy(keys[n++], k, len);
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		if (*p++ != '+') {
			snprintf(err, errlen, "'%s' is not a sum of counter names (key + key ...)", expr);
			return -EINVAL;
		}
	}
}

void soak_srfmt_describe(const soak_srfmt_t *f, int c, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int k = 0; k < SOAK_SRFMT_KEYS && f->keys[c][k][0] && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? " + " : "", f->keys[c][k]);
}

void soak_srfmt_describe_live(const soak_srfmt_t *f, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int k = 0; k < SOAK_SRFMT_KEYS && f->live[k][0] && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s.%s", k ? " + " : "", f->tag, f->live[k]);
}

struct load {
	soak_srfmt_set_t *set;
	const char *file;
	size_t first_of_file;   /* tags declared by earlier files are kept */
};

static soak_srfmt_t *find(soak_srfmt_set_t *s, const char *tag)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->f[i].tag, tag))
			return &s->f[i];
	return NULL;
}

/* soak_ini_fn: the reader prefixes every error with FILE:LINE. */
static int ini_cb(void *user, const char *section, const char *key, const char *value, int line, char *err,
		  size_t errlen)
{
	(void)line;
	struct load *l = user;
	if (!key || strncmp(section, "selfreport.", 11))
		return 0;
	const char *tag = section + 11;
	if (!*tag || strlen(tag) >= SOAK_SR_NAME_MAX) {
		snprintf(err, errlen, "[%s]: the tag must be 1 to %d characters", section, SOAK_SR_NAME_MAX - 1);
		return -EINVAL;
	}
	soak_srfmt_t *f = find(l->set, tag);
	if (f && (size_t)(f - l->set->f) < l->first_of_file)
		return 0;   /* an earlier file declared it */
	if (!f) {
		if (l->set->n == SOAK_SRFMT_MAX) {
			snprintf(err, errlen, "[%s]: more than %d self-report formats declared", section, SOAK_SRFMT_MAX);
			return -EINVAL;
		}
		f = &l->set->f[l->set->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->tag, sizeof(f->tag), "%s", tag);
		snprintf(f->source, sizeof(f->source), "%.63s", l->file);
	}
	int c = class_index(key);
	bool live = !strcmp(key, "live_bytes");
	if (c < 0 && !live) {
		snprintf(err, errlen,
			 "[%s]: '%s' is not a syscall class or live_bytes (use mmap, munmap, mremap, madvise, "
			 "brk, mprotect, mlock, munlock, total or live_bytes)", section, key);
		return -EINVAL;
	}
	char why[256];
	if (soak_srfmt_parse_sum(value, live ? f->live : f->keys[c], why, sizeof(why)) < 0) {
		snprintf(err, errlen, "[%s] %s = %s", section, key, why);
		return -EINVAL;
	}
	return 0;
}

int soak_srfmt_load(const char *config, soak_srfmt_set_t *ret, char *err, size_t errlen)
{
	char files[3][PATH_MAX];
	memset(ret, 0, sizeof(*ret));
	if (config && access(config, R_OK) != 0) {
		snprintf(err, errlen, "cannot read config %s: %s", config, strerror(errno));
		return -ENOENT;
	}
	int n = soak_alloc_config_files(config, files);
	for (int i = 0; i < n; i++) {
		struct load l = { .set = ret, .file = files[i], .first_of_file = ret->n };
		int r = soak_ini_parse_file(files[i], ini_cb, &l, err, errlen);
		if (r < 0)
			return r == -ENOENT ? -ENOENT : -EINVAL;
	}
	/* Built in: hakmem's [SS_OS_STATS], whose self-reported syscall total
	 * is mmap_total + madvise. */
	if (!find(ret, "SS_OS_STATS") && ret->n < SOAK_SRFMT_MAX) {
		soak_srfmt_t *f = &ret->f[ret->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->tag, sizeof(f->tag), "SS_OS_STATS");
		snprintf(f->source, sizeof(f->source), "built-in");
		snprintf(f->keys[class_index("mmap")][0], SOAK_SR_NAME_MAX, "mmap_total");
		snprintf(f->keys[class_index("madvise")][0], SOAK_SR_NAME_MAX, "madvise");
	}
	return 0;
}
