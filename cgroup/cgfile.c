/*
 * cgfile.c - one small cgroup control file read or written (see cgfile.h).
 */
#include "cgfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Opens DIR/FILE with FLAGS, never through a symlink. The descriptor, or a
 * negative errno (-ENAMETOOLONG when the path does not fit PATH_MAX). */
static int cg_open(const char *dir, const char *file, int flags)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int soak_cgfile_write(const char *dir, const char *file, const char *text)
{
	int fd = cg_open(dir, file, O_WRONLY);
	if (fd < 0)
		return fd;
	ssize_t n = write(fd, text, strlen(text));
	int r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

int soak_cgfile_read(const char *dir, const char *file, char *buf, size_t len)
{
	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	int fd = cg_open(dir, file, O_RDONLY);
	if (fd < 0)
		return fd;
	ssize_t n = read(fd, buf, len - 1);
	int r = n < 0 ? -errno : 0;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return r;
}
