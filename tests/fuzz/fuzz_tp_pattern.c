/* fuzz_tp_pattern.c - the --tp-pattern matcher (common/tpscan.c): the
 * input's first line is the pattern (what soakctl run accepts:
 * soak_tp_pattern_check), the rest is command output fed in pieces. No crash; a throughput is
 * finite and non-negative. */
#include "fuzz.h"

#include <math.h>
#include <regex.h>

#include "soak/tpscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl || nl - data > 200)
		return 0;
	char *pat = fuzz_cstr(data, (size_t)(nl - data));
	static tp_scan_t s;
	char err[512];
	if (soak_tp_pattern_check(pat, err, sizeof(err)) < 0 || regcomp(&s.re, pat, REG_EXTENDED) != 0) {
		free(pat);
		return 0;
	}
	free(pat);
	s.len = 0;
	s.tp = NAN;
	const char *out = (const char *)nl + 1;
	size_t n = size - (size_t)(nl + 1 - data);
	for (size_t o = 0; o < n; o += 97)
		soak_tp_scan(&s, out + o, n - o < 97 ? n - o : 97);
	soak_tp_scan_line(&s);
	FUZZ_ASSERT(isnan(s.tp) || (isfinite(s.tp) && s.tp >= 0));
	regfree(&s.re);
	return 0;
}
