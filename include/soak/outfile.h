/*
 * outfile.h - the one way the suite writes an output file (report, compare,
 * gate JUnit/Markdown/JSON, ...): a temporary file created with O_EXCL and
 * O_NOFOLLOW in the target's directory (so nothing a symlink points at is
 * ever written), mode 0600 whatever the umask, flushed and fsync'ed, then
 * renamed over the target. On any error the target is untouched and the
 * temporary file is removed. Control characters other than newline and tab
 * are written as '?' (soak/text.h).
 */
#ifndef SOAK_OUTFILE_H
#define SOAK_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

/* Mode of every file the suite creates (outputs and the database): they hold
 * environments, logs and command lines, so no group or world access. */
#define SOAK_FILE_MODE 0600

/* Writes path atomically with emit(f, arg). err gets one line naming the
 * file. 0 or a negative errno (emit's, or the file system's). A target that
 * exists and is not a regular file (directory, device, FIFO, socket) is
 * refused with -EINVAL. */
int soak_write_atomic(const char *path, int (*emit)(FILE *f, const void *arg), const void *arg,
		      char *err, size_t errlen);

#endif
