/* fuzz_hist.c - histogram text codec (common/hist.c): whatever decodes
 * re-encodes to text that decodes to the same histogram, and its quantiles
 * are ordered and within [min, max]. */
#include "fuzz.h"

#include "soak/hist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static soak_hist_t h, g;
	static char buf[SOAK_HIST_BUCKETS * 48 + 128];
	char *s = fuzz_cstr(data, size);
	if (soak_hist_decode(&h, s) == 0) {
		int n = soak_hist_encode(&h, buf, sizeof(buf));
		FUZZ_ASSERT(n > 0);
		FUZZ_ASSERT(soak_hist_decode(&g, buf) == 0);
		FUZZ_ASSERT(!memcmp(&h, &g, sizeof(h)));
		if (h.count) {
			FUZZ_ASSERT(h.min <= h.max);
			double prev = -1;
			static const double qs[] = { 0, 0.01, 0.5, 0.9, 0.99, 0.999, 1 };
			for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
				int ok;
				double v = soak_hist_quantile(&h, qs[i], &ok);
				FUZZ_ASSERT(ok && v >= prev && v >= (double)h.min && v <= (double)h.max);
				prev = v;
			}
		}
	}
	free(s);
	return 0;
}
