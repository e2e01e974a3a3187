/* fuzz_proc.c - the /proc and cgroup text parsers of the probes
 * (probes/proctree.c, probes/probe-util.c): stat, status, statm, children,
 * key-value files (memory.stat) and PSI lines, on arbitrary text. The first
 * byte picks the parser. */
#include "fuzz.h"

#include <sys/types.h>

#include "probe-util.h"
#include "proctree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	unsigned which = data[0] % 6;
	char *s = fuzz_cstr(data + 1, size - 1);
	uint64_t v;
	switch (which) {
	case 0: {
		soak_proc_stat_t st;
		soak_proc_parse_stat(s, &st);
		break;
	}
	case 1: {
		soak_proc_status_t st;
		soak_proc_parse_status(s, &st);
		break;
	}
	case 2: {
		soak_proc_statm_t st;
		soak_proc_parse_statm(s, &st);
		break;
	}
	case 3: {
		pid_t pids[16];
		int n = soak_proc_parse_children(s, pids, 16);
		for (int i = 0; i < n && i < 16; i++)
			FUZZ_ASSERT(pids[i] > 0);
		break;
	}
	case 4:
		soak_kv_u64(s, "anon", &v);
		soak_kv_u64(s, "oom_kill", &v);
		break;
	default:
		soak_psi_total(s, "some", &v);
		soak_psi_total(s, "full", &v);
		break;
	}
	free(s);
	return 0;
}
