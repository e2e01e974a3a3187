/* fuzz_elf.c - the allocator check's ELF reader (runner/elfread.c, libelf)
 * on arbitrary images: no crash, answers in {-EINVAL, 0, 1}. */
#include "fuzz.h"

#include <errno.h>

#include "elfread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int r = soak_elf_exports_mem(data, size, "malloc");
	FUZZ_ASSERT(r == -EINVAL || r == 0 || r == 1);
	r = soak_elf_exports_mem(data, size, "free");
	FUZZ_ASSERT(r == -EINVAL || r == 0 || r == 1);
	int s = soak_elf_is_static_mem(data, size);
	FUZZ_ASSERT(s == 0 || s == 1);
	return 0;
}
