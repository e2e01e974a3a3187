/* registry.c - the list of built-in workloads. A new workload is one
 * wl-<name>.c exporting `const soak_workload_t soak_wl_<name>` plus one line
 * here; tests/unit/test_wl_registry.c checks every entry. */
#include "workload.h"

#include <string.h>

#define SOAK_WORKLOADS(X) \
	X(random_mixed)   \
	X(leak)           \
	X(tiny_hot)       \
	X(scenario)       \
	X(remote_free)    \
	X(larson)         \
	X(xmalloc)        \
	X(rptest)         \
	X(mstress)        \
	X(cache_thrash)   \
	X(cache_scratch)  \
	X(lifo)           \
	X(large)          \
	X(pareto)         \
	X(fragment)       \
	X(paging)         \
	X(replay)         \
	X(spin)

#define SOAK_WL_DECLARE(n) extern const soak_workload_t soak_wl_##n;
SOAK_WORKLOADS(SOAK_WL_DECLARE)

#define SOAK_WL_ENTRY(n) &soak_wl_##n,
const soak_workload_t *const soak_workloads[] = { SOAK_WORKLOADS(SOAK_WL_ENTRY) };
const size_t soak_n_workloads = sizeof(soak_workloads) / sizeof(soak_workloads[0]);

const soak_workload_t *soak_workload_find(const char *name)
{
	for (size_t i = 0; i < soak_n_workloads; i++)
		if (!strcmp(soak_workloads[i]->name, name))
			return soak_workloads[i];
	return NULL;
}
