/* outfile.c - atomic, private output files; see include/soak/outfile.h. */
#include "soak/outfile.h"
#include "soak/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkostemp's O_EXCL (with O_CREAT) never follows a symlink at the final
 * component and never opens an existing file; O_NOFOLLOW is added for the
 * record. The name is random, so a symlink planted at a guessable name
 * (the old "FILE.tmp") is never touched. */
static int make_temp(const char *path, char **ret_tmp)
{
	size_t len = strlen(path) + 16;
	char *tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	const char *slash = strrchr(path, '/');
	size_t dir = slash ? (size_t)(slash - path) + 1 : 0;
	snprintf(tmp, len, "%.*s.%s.XXXXXX", (int)dir, path, path + dir);
	int fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return -e;
	}
	/* mkostemp creates 0600 already; fchmod makes it independent of how a
	 * libc implements it. */
	if (fchmod(fd, SOAK_FILE_MODE) != 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		free(tmp);
		return -e;
	}
	*ret_tmp = tmp;
	return fd;
}

int soak_write_atomic(const char *path, int (*emit)(FILE *f, const void *arg), const void *arg,
		      char *err, size_t errlen)
{
	struct stat st;
	if (!path || !*path) {
		snprintf(err, errlen, "an output file name is empty");
		return -EINVAL;
	}
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "cannot write %s: it is %s, not a regular file", path,
			 S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
		return -EINVAL;
	}
	char *tmp = NULL;
	int fd = make_temp(path, &tmp);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-fd));
		return fd;
	}
	/* Through the control-character filter (soak/text.h): a file that is
	 * later cat'ed to a terminal carries no escape sequence either. The
	 * formats escape what they must themselves (JSON, XML, CSV quoting). */
	FILE *f = soak_text_filter_fd(fd);
	if (!f) {
		int e = errno ? errno : ENOMEM;
		close(fd);
		unlink(tmp);
		free(tmp);
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	setvbuf(f, NULL, _IOFBF, 65536);
	int r = emit(f, arg);
	if (r == 0 && fflush(f) != 0)
		r = errno ? -errno : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	if (r == 0 && fsync(fd) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	/* rename replaces a symlink at path itself, never the file it points to. */
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		snprintf(err, errlen, "writing %s failed: %s", path, strerror(-r));
	}
	free(tmp);
	return r;
}
