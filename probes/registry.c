/*
 * registry.c - the list of probes. A new probe is one probe-<name>.c exporting
 * `const soak_probe_ops_t soak_probe_<name>` and one line in SOAK_PROBES.
 * The runner calls them in this order; perf comes first so its counters are
 * attached before any other probe touches the child.
 */
#include "probe.h"

#include <string.h>

#define SOAK_PROBES(X) X(perf) X(proc) X(cgroup) X(cpu) X(ops) X(alloc)

#define DECLARE(n) extern const soak_probe_ops_t soak_probe_##n;
SOAK_PROBES(DECLARE)
#undef DECLARE

#define ENTRY(n) &soak_probe_##n,
const soak_probe_ops_t *const soak_probes[] = { SOAK_PROBES(ENTRY) };
#undef ENTRY

const size_t soak_n_probes = sizeof(soak_probes) / sizeof(soak_probes[0]);

int soak_probe_sample_all(const soak_probe_ops_t *p, void *state, double *values, bool *valid)
{
	memset(valid, 0, p->n_metrics * sizeof(*valid));
	int r = p->sample ? p->sample(state, values, valid) : 0;
	int r2 = p->sample_slow ? p->sample_slow(state, values, valid) : 0;
	return r < 0 ? r : r2;
}

const soak_probe_ops_t *soak_probe_find(const char *name)
{
	for (size_t i = 0; i < soak_n_probes; i++)
		if (!strcmp(soak_probes[i]->name, name))
			return soak_probes[i];
	return NULL;
}
