/* env.c - shell-like splitting of env = values; see include/soak/ini.h. */
#include "soak/ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void soak_env_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

static bool valid_name(const char *w)
{
	if (!(isalpha((unsigned char)*w) || *w == '_'))
		return false;
	for (w++; *w != '='; w++)
		if (!(isalnum((unsigned char)*w) || *w == '_'))
			return false;
	return true;
}

/* One word from *p into out (at least strlen(*p)+1 bytes). 1 = word, 0 = end,
 * -EINVAL = unterminated quote or trailing backslash. */
static int next_word(const char **p, char *out, char *err, size_t errlen)
{
	const char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	size_t o = 0;
	while (*s && *s != ' ' && *s != '\t') {
		if (*s == '\'') {
			const char *e = strchr(s + 1, '\'');
			if (!e)
				goto unterminated;
			memcpy(out + o, s + 1, (size_t)(e - s - 1));
			o += (size_t)(e - s - 1);
			s = e + 1;
		} else if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (!*s)
					goto unterminated;
				if (*s == '\\' && strchr("\"\\$`", s[1]) && s[1])
					s++;
				out[o++] = *s;
			}
			s++;
		} else if (*s == '\\') {
			if (!s[1]) {
				snprintf(err, errlen, "env: a backslash ends the value");
				return -EINVAL;
			}
			out[o++] = s[1];
			s += 2;
		} else {
			out[o++] = *s++;
		}
	}
	out[o] = '\0';
	*p = s;
	return 1;
unterminated:
	snprintf(err, errlen, "env: a quote is not closed in '%s'", *p);
	return -EINVAL;
}

int soak_env_split(const char *s, char ***ret, size_t *n, char *err, size_t errlen)
{
	size_t cap = 8, k = 0;
	char **v = calloc(cap, sizeof(*v));
	char *w = malloc(strlen(s) + 1);
	int r = 0;
	if (!v || !w) {
		r = -ENOMEM;
		goto fail;
	}
	const char *p = s;
	while ((r = next_word(&p, w, err, errlen)) > 0) {
		if (!strchr(w, '=') || !valid_name(w)) {
			snprintf(err, errlen, "env: '%s' is not NAME=VALUE (NAME: letters, digits, _; "
				 "quote values with blanks: A=\"x y\")", w);
			r = -EINVAL;
			goto fail;
		}
		if (k + 2 > cap) {
			char **nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv) {
				r = -ENOMEM;
				goto fail;
			}
			memset(nv + cap, 0, cap * sizeof(*v));
			v = nv;
			cap *= 2;
		}
		if (!(v[k] = strdup(w))) {
			r = -ENOMEM;
			goto fail;
		}
		k++;
	}
	if (r < 0)
		goto fail;
	free(w);
	*ret = v;
	if (n)
		*n = k;
	return 0;
fail:
	if (r == -ENOMEM)
		snprintf(err, errlen, "env: out of memory");
	soak_env_free(v);
	free(w);
	return r;
}
