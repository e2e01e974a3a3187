/*
 * cgfile.h - reading and writing one small cgroup control file.
 *
 * Shared by creation (cgroup.c), placement (cgplace.c) and recovery
 * (cgroup-kill.c). Contract: both return 0 or a negative errno and never
 * print. Control files are never symlinks, so neither follows one
 * (O_NOFOLLOW): a path that names a symlink is not a cgroup file and is
 * refused with -ELOOP.
 */
#ifndef SOAK_CGROUP_CGFILE_H
#define SOAK_CGROUP_CGFILE_H

#include <stddef.h>

/* Writes TEXT to DIR/FILE in one write(2), as the kernel expects. */
int soak_cgfile_write(const char *dir, const char *file, const char *text);

/* Reads at most LEN-1 bytes of DIR/FILE into BUF, NUL-terminated. BUF is the
 * empty string when the read fails, so a caller that ignores the error sees
 * "nothing listed". */
int soak_cgfile_read(const char *dir, const char *file, char *buf, size_t len);

#endif
