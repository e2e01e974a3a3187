/* outfile.c - atomic, private output files; see include/soak/outfile.h. */
#include "soak/outfile.h"
#include "soak/text.h"

#include <errno.h>
#include <stdbool.h>
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

/* Whether path holds an SQLite database or its write-ahead log: an output
 * written over it would destroy a database (`report --db x.db -o x.db`). No
 * format the suite writes starts with either header. */
static bool is_database(const char *path)
{
	unsigned char h[16];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, h, sizeof(h));
	close(fd);
	if (n == 16 && !memcmp(h, "SQLite format 3", 16))
		return true;
	return n >= 4 && h[0] == 0x37 && h[1] == 0x7f && h[2] == 0x06 && (h[3] == 0x82 || h[3] == 0x83);
}

int soak_write_atomic(const char *path, int (*emit)(FILE *f, const void *arg), const void *arg,
		      char *err, size_t errlen)
{
	struct stat st;
	if (!path || !*path) {
		snprintf(err, errlen, "an output file name is empty");
		return -EINVAL;
	}
	bool exists = lstat(path, &st) == 0;
	if (exists && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "cannot write %s: it is %s, not a regular file", path,
			 S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
		return -EINVAL;
	}
	if (exists && S_ISREG(st.st_mode) && is_database(path)) {
		snprintf(err, errlen, "cannot write %s: it is an SQLite database (the one read, or an input): "
			 "choose another output file", path);
		return -EEXIST;
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
