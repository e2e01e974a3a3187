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

static int cg_path(char *path, size_t size, const char *dir, const char *file)
{
	int n = snprintf(path, size, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int soak_cgfile_write(const char *dir, const char *file, const char *text)
{
	char path[PATH_MAX];
	int r = cg_path(path, sizeof(path), dir, file);
	if (r < 0)
		return r;
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	r = n < 0 ? -errno : 0;
	close(fd);
	return r;
}

int soak_cgfile_read(const char *dir, const char *file, char *buf, size_t len)
{
	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	char path[PATH_MAX];
	int r = cg_path(path, sizeof(path), dir, file);
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return r;
}
