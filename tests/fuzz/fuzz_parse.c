/* fuzz_parse.c - size, duration, percent and count parsers (common/parse.c):
 * no crash, results within the documented ranges, out-parameters untouched on
 * failure. */
#include "fuzz.h"

#include <math.h>

#include "soak/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	double d = -7;
	if (soak_parse_duration(s, &d) == 0)
		FUZZ_ASSERT(isfinite(d) && d >= 0 && d <= 365.0 * 86400);
	else
		FUZZ_ASSERT(d == -7);
	uint64_t u = 7;
	if (soak_parse_size(s, &u) == 0)
		FUZZ_ASSERT(u <= (uint64_t)INT64_MAX || u == UINT64_MAX);
	else
		FUZZ_ASSERT(u == 7);
	double p = -7;
	if (soak_parse_percent(s, &p) == 0)
		FUZZ_ASSERT(isfinite(p) && p > 0 && p <= 100000);
	else
		FUZZ_ASSERT(p == -7);
	u = 7;
	if (soak_parse_u64(s, &u) != 0)
		FUZZ_ASSERT(u == 7);
	free(s);
	return 0;
}
