/* test_elf.c - runner/elfread.c: the allocator check reads untrusted ELF
 * files with libelf. Ground truth: the test allocators built next to this
 * test (libsizelog exports malloc and free, libnomalloc exports neither), and
 * damaged copies of them: a wrapped e_shoff (the hand-written parser that
 * libelf replaced died of SIGSEGV on it), a misaligned one, a huge e_shnum, a
 * truncated file, and thousands of seeded byte mutations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "elfread.h"

#define GOOD SOAK_HELPERS "/libsizelog.so"
#define NONE SOAK_HELPERS "/libnomalloc.so"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	assert_true(n > (long)sizeof(Elf64_Ehdr));
	rewind(f);
	unsigned char *b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
}

static void test_real_libraries(void **state)
{
	(void)state;
	assert_int_equal(soak_elf_is_shared(GOOD), 0);
	assert_int_equal(soak_elf_exports(GOOD, "malloc"), 1);
	assert_int_equal(soak_elf_exports(GOOD, "free"), 1);
	assert_int_equal(soak_elf_exports(GOOD, "soak_no_such_function"), 0);
	assert_int_equal(soak_elf_exports(GOOD, "__libc_malloc"), 0);   /* undefined there */
	assert_int_equal(soak_elf_exports(NONE, "malloc"), 0);
	assert_int_equal(soak_elf_exports(NONE, "soak_nomalloc_marker"), 1);
	assert_int_equal(soak_alloc_exports(GOOD, "malloc"), 1);
	assert_int_equal(soak_elf_exports("/nonexistent/lib.so", "malloc"), -ENOENT);
	assert_int_equal(soak_elf_is_shared("/dev/null"), -EINVAL);
	assert_int_equal(soak_elf_exports("/dev/null", "malloc"), -EINVAL);
	/* A dynamically linked command has PT_INTERP; a script is no ELF. */
	assert_int_equal(soak_elf_is_static("/bin/sh"), 0);
	char script[] = "/tmp/soak-test-elf-XXXXXX";
	int fd = mkstemp(script);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	assert_int_equal(soak_elf_is_static(script), 0);
	unlink(script);
}

/* A damaged header: e_shoff = 0xffffffffffffff60 made e_shoff + size wrap
 * below the file size; the old reader then dereferenced it (rc 139). */
static void test_damaged_headers(void **state)
{
	(void)state;
	size_t len;
	unsigned char *orig = slurp(GOOD, &len);
	unsigned char *b = malloc(len);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	char path[] = "/tmp/soak-test-elf-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	static const uint64_t shoffs[] = { 0xffffffffffffff60ull, 0xffffffffffffffffull, 1, 3 };
	for (size_t i = 0; i < sizeof(shoffs) / sizeof(shoffs[0]); i++) {
		memcpy(b, orig, len);
		eh->e_shoff = i < 2 ? shoffs[i] : ((Elf64_Ehdr *)orig)->e_shoff + shoffs[i];
		spit(path, b, len);
		int r = soak_elf_exports(path, "malloc");
		assert_true(r == -EINVAL || r == 0);
		assert_int_equal(soak_elf_exports_mem(b, len, "malloc"), r);
		if (i < 2)
			assert_int_equal(soak_elf_is_shared(path), -EINVAL);
		assert_int_equal(soak_alloc_exports(path, "malloc"), r);
	}
	/* A library of another machine (an aarch64 build on an x86-64 host, or
	 * the other way round): refused as such, not listed as usable. */
	memcpy(b, orig, len);
	eh->e_machine = eh->e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
	spit(path, b, len);
	assert_int_equal(soak_elf_is_shared(path), -ENOEXEC);
	memcpy(b, orig, len);
	eh->e_shnum = 0xffff;
	spit(path, b, len);
	assert_true(soak_elf_exports(path, "malloc") <= 0);
	assert_int_equal(soak_elf_is_shared(path), -EINVAL);
	/* Truncated at every 1/16th of the file. */
	for (size_t k = 1; k < 16; k++) {
		size_t n = len * k / 16;
		int r = soak_elf_exports_mem(orig, n, "malloc");
		assert_true(r >= -EINVAL && r <= 1);
		spit(path, orig, n);
		assert_true(soak_elf_exports(path, "malloc") <= 1);
		soak_elf_is_static(path);
	}
	unlink(path);
	free(b);
	free(orig);
}

/* Seeded mutations of 1-8 bytes, biased to the headers: no crash (ASan in
 * the sanitized build), every answer one of the documented ones. */
static void test_mutations(void **state)
{
	(void)state;
	size_t len;
	unsigned char *orig = slurp(GOOD, &len);
	unsigned char *b = malloc(len);
	srand(9);
	int seen[3] = { 0 };
	for (int it = 0; it < 3000; it++) {
		memcpy(b, orig, len);
		int nb = 1 + rand() % 8;
		for (int j = 0; j < nb; j++) {
			size_t at = rand() % 2 ? (size_t)rand() % 64 : (size_t)rand() % len;
			if (rand() % 3 == 0 && at < len - 8) {
				uint64_t v = ((uint64_t)rand() << 33) ^ (uint64_t)rand();
				memcpy(b + at, &v, 8);
			} else {
				b[at] = (unsigned char)rand();
			}
		}
		int r = soak_elf_exports_mem(b, len, "malloc");
		assert_true(r == -EINVAL || r == 0 || r == 1);
		seen[r < 0 ? 0 : r + 1]++;
		int s = soak_elf_is_static_mem(b, len);
		assert_true(s == 0 || s == 1);
	}
	/* Most mutations leave the symbol table readable. */
	assert_true(seen[2] > 1000);
	free(b);
	free(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_libraries),
		cmocka_unit_test(test_damaged_headers),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
