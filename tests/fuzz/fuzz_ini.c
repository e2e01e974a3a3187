/* fuzz_ini.c - the INI reader (common/ini.c over libinih) and the env
 * splitter (common/env.c): no crash; lines reported in order and within the
 * file; every error names "fuzz.ini:LINE:"; env words are NAME=VALUE. */
#include "fuzz.h"

#include <errno.h>

#include "soak/ini.h"

typedef struct {
	int last_line, max_line;
} ctx_t;

static int cb(void *user, const char *section, const char *key, const char *value, int line,
	      char *err, size_t errlen)
{
	ctx_t *c = user;
	FUZZ_ASSERT(section && line > c->last_line && line <= c->max_line);
	FUZZ_ASSERT((key == NULL) == (value == NULL));
	c->last_line = line;
	if (!key)
		return 0;
	char **env;
	size_t n;
	if (soak_env_split(value, &env, &n, err, errlen) == 0) {
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(strchr(env[i], '=') && env[i][0] != '=');
		FUZZ_ASSERT(env[n] == NULL);
		soak_env_free(env);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ctx_t c = { 0, 1 };
	for (size_t i = 0; i < size; i++)
		c.max_line += data[i] == '\n';
	char err[1024];
	int r = soak_ini_parse_mem("fuzz.ini", (const char *)data, size, cb, &c, err, sizeof(err));
	if (r < 0 && r != -ENOMEM)
		FUZZ_ASSERT(!strncmp(err, "fuzz.ini:", 9));
	return 0;
}
