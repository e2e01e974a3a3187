/* elfread.c - ELF questions answered with libelf; see elfread.h. The
 * hand-written parser this replaces trusted e_shoff: 0xffffffffffffff60
 * wrapped its bounds check and crashed soakctl (tests/unit/test_elf.c
 * keeps that header among its damaged files). */
#include "elfread.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool elf_ready(void)
{
	static int ok = -1;
	if (ok < 0)
		ok = elf_version(EV_CURRENT) != EV_NONE;
	return ok;
}

/* Opens path for reading as ELF; *fd is set for the caller to close. */
static Elf *open_elf(const char *path, int *fd, int *err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (*fd < 0) {
		*err = -errno;
		return NULL;
	}
	/* Only regular files: a FIFO or device given as a library must not block
	 * or be read forever. ELF_C_READ (pread), not mmap: a file truncated
	 * while we read it gives an error, not SIGBUS. */
	struct stat st;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		*err = -EINVAL;
		return NULL;
	}
	Elf *e = elf_ready() ? elf_begin(*fd, ELF_C_READ, NULL) : NULL;
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		close(*fd);
		*fd = -1;
		*err = -EINVAL;
		return NULL;
	}
	return e;
}

static Elf *mem_elf(const void *image, size_t len)
{
	if (!elf_ready() || !image || !len)
		return NULL;
	/* elf_memory takes a non-const pointer but only reads in this mode. */
	Elf *e = elf_memory((char *)image, len);
	if (e && elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		return NULL;
	}
	return e;
}

static int exports(Elf *e, const char *sym)
{
	GElf_Ehdr eh;
	if (!gelf_getehdr(e, &eh))
		return -EINVAL;
	size_t shnum;
	if (elf_getshdrnum(e, &shnum) != 0)
		return -EINVAL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= shnum || !sh.sh_entsize)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			return -EINVAL;
		size_t n = d->d_size / sh.sh_entsize;
		for (size_t k = 0; k < n; k++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)k, &s))
				break;
			unsigned type = GELF_ST_TYPE(s.st_info), bind = GELF_ST_BIND(s.st_info);
			if (s.st_shndx == SHN_UNDEF || (type != STT_FUNC && type != STT_GNU_IFUNC) ||
			    (bind != STB_GLOBAL && bind != STB_WEAK))
				continue;
			/* elf_strptr checks the index against the string section. */
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && !strcmp(name, sym))
				return 1;
		}
	}
	return 0;
}

static int is_static(Elf *e)
{
	size_t n;
	if (elf_getphdrnum(e, &n) != 0)
		return 0; /* no readable program headers: not ours to judge */
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return 0;
		if (ph.p_type == PT_INTERP)
			return 0;
	}
	/* No interpreter: a static executable or a static PIE (ET_DYN). */
	GElf_Ehdr eh;
	return gelf_getehdr(e, &eh) && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN);
}

/* Every section header readable (libelf checks the table against the file). */
static bool sections_ok(Elf *e)
{
	size_t shnum;
	GElf_Ehdr eh;
	if (elf_getshdrnum(e, &shnum) != 0 || !gelf_getehdr(e, &eh))
		return false;
	/* libelf reads a table that lies outside the file as no sections at all. */
	if (shnum == 0 && (eh.e_shoff || eh.e_shnum))
		return false;
	Elf_Scn *scn = NULL;
	size_t seen = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			return false;
		seen++;
	}
	return shnum == 0 || seen == shnum - 1;
}

/* The ELF machine this soakctl was built for: a library of another one
 * (an aarch64 build on an x86-64 host) cannot be loaded by the worker. */
#if defined(__x86_64__)
#define SOAK_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define SOAK_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define SOAK_ELF_MACHINE EM_386
#endif

int soak_elf_is_shared(const char *path)
{
	int fd, r = 0;
	Elf *e = open_elf(path, &fd, &r);
	if (!e)
		return r;
	GElf_Ehdr eh;
	bool ok = gelf_getehdr(e, &eh) && eh.e_type == ET_DYN &&
		  gelf_getclass(e) == (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) && sections_ok(e);
	bool native = true;
#ifdef SOAK_ELF_MACHINE
	native = !ok || eh.e_machine == SOAK_ELF_MACHINE;
#endif
	elf_end(e);
	close(fd);
	return !ok ? -EINVAL : native ? 0 : -ENOEXEC;
}

int soak_elf_exports(const char *path, const char *sym)
{
	int fd, r = 0;
	Elf *e = open_elf(path, &fd, &r);
	if (!e)
		return r;
	r = exports(e, sym);
	elf_end(e);
	close(fd);
	return r;
}

int soak_elf_exports_mem(const void *image, size_t len, const char *sym)
{
	Elf *e = mem_elf(image, len);
	if (!e)
		return -EINVAL;
	int r = exports(e, sym);
	elf_end(e);
	return r;
}

int soak_elf_is_static(const char *path)
{
	int fd, r = 0;
	Elf *e = open_elf(path, &fd, &r);
	if (!e)
		return r == -EINVAL ? 0 : r;
	r = is_static(e);
	elf_end(e);
	close(fd);
	return r;
}

int soak_elf_is_static_mem(const void *image, size_t len)
{
	Elf *e = mem_elf(image, len);
	if (!e)
		return 0;
	int r = is_static(e);
	elf_end(e);
	return r;
}
