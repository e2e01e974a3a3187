/* fuzz_selfreport.c - the "[TAG] key=value" parser (probes/selfreport.c) fed
 * in chunks the input itself chooses: no crash, the same pairs as one feed,
 * and a syscall total only from finite, non-negative counters. */
#include "fuzz.h"

#include <errno.h>
#include <math.h>

#include "selfreport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static soak_sr_store_t a, b;
	static soak_selfreport_t p;
	if (!size)
		return 0;
	unsigned chunk = 1 + data[0] % 64;
	data++, size--;
	soak_sr_store_init(&a);
	soak_selfreport_init(&p, soak_sr_store_put, &a);
	soak_selfreport_feed(&p, data, size);
	soak_selfreport_flush(&p);
	soak_sr_store_init(&b);
	soak_selfreport_init(&p, soak_sr_store_put, &b);
	for (size_t o = 0; o < size; o += chunk)
		soak_selfreport_feed(&p, data + o, size - o < chunk ? size - o : chunk);
	soak_selfreport_flush(&p);
	FUZZ_ASSERT(a.n == b.n);
	for (size_t i = 0; i < a.n; i++) {
		FUZZ_ASSERT(!strcmp(a.e[i].tag, b.e[i].tag) && !strcmp(a.e[i].key, b.e[i].key));
		FUZZ_ASSERT(a.e[i].value == b.e[i].value || (isnan(a.e[i].value) && isnan(b.e[i].value)));
	}
	double total;
	const char *tag;
	if (soak_selfreport_syscalls_any(soak_sr_store_get, &a, &tag, &total) == 0)
		FUZZ_ASSERT(isfinite(total) && total >= 0);
	return 0;
}
