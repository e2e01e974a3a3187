/*
 * elfread.h - what the runner asks of an ELF file it did not build (an
 * allocator's library, an exec command), answered by libelf (elfutils), which
 * bounds-checks every header, table and string it hands out. The runner never
 * dlopen()s such a file: that would run its constructors as root.
 */
#ifndef SOAK_ELFREAD_H
#define SOAK_ELFREAD_H

#include <stddef.h>

/* 0 when path is an ELF shared object (ET_DYN) of this machine's class,
 * -ENOEXEC when it is one built for another machine (e_machine), -EINVAL when
 * not (or unreadable as ELF), -errno when it cannot be opened. */
int soak_elf_is_shared(const char *path);

/* 1 when the ELF file defines (exports) the function sym in a dynamic symbol
 * table (global or weak, FUNC or IFUNC, not undefined), 0 when not, -EINVAL
 * when it is not a readable ELF file, -errno when it cannot be opened. */
int soak_elf_exports(const char *path, const char *sym);
/* The same on an image in memory (tests and the fuzzer). */
int soak_elf_exports_mem(const void *image, size_t len, const char *sym);

/* 1 when the ELF executable has no PT_INTERP (statically linked: LD_PRELOAD
 * cannot inject anything), 0 when it has one or is not ELF (a script),
 * -errno when it cannot be opened. */
int soak_elf_is_static(const char *path);
int soak_elf_is_static_mem(const void *image, size_t len);

#endif
