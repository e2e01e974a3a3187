/* fuzz_thresholds.c - the gate's thresholds file (reports/gate.c) read from a
 * memfd: no crash, an error names the file and a line, a loaded file gives
 * limits for any workload. */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("fuzz-thresholds", MFD_CLOEXEC);
		FUZZ_ASSERT(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_ASSERT(ftruncate(fd, 0) == 0);
	FUZZ_ASSERT(pwrite(fd, data, size, 0) == (ssize_t)size);
	soak_gate_thresholds_t *t = NULL;
	char err[1024];
	if (soak_gate_thresholds_load(path, &t, err, sizeof(err)) == 0) {
		soak_gate_limits_t l;
		soak_gate_thresholds_for(t, "random_mixed", &l);
		soak_gate_thresholds_free(t);
	} else {
		FUZZ_ASSERT(!strncmp(err, path, strlen(path)));
	}
	return 0;
}
