/* probe-util.c - shared probe helpers; see probe-util.h. */
#include "probe-util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ssize_t soak_read_fd(int fd, char *buf, size_t len)
{
	if (fd < 0 || len < 2)
		return -EBADF;
	ssize_t n = pread(fd, buf, len - 1, 0);
	if (n < 0)
		return -errno;
	if ((size_t)n == len - 1)
		return -EFBIG;
	buf[n] = '\0';
	return n;
}

int soak_open_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int soak_parse_u64_dec(const char *s, uint64_t *ret, const char **end)
{
	if (*s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	if (end)
		*end = s;
	return 0;
}

int soak_kv_u64(const char *buf, const char *key, uint64_t *ret)
{
	size_t kl = strlen(key);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != ' ')
			continue;
		const char *end;
		uint64_t v;
		if (soak_parse_u64_dec(p + kl + 1, &v, &end) < 0 || (*end != '\n' && *end != '\0'))
			return -EINVAL;
		*ret = v;
		return 0;
	}
	return -ENOENT;
}

int soak_psi_total(const char *buf, const char *line, uint64_t *ret)
{
	size_t ll = strlen(line);
	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, line, ll) || p[ll] != ' ')
			continue;
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		for (const char *t = p + ll; t < p + len; t++) {
			if (t[-1] != ' ' || strncmp(t, "total=", 6))
				continue;
			const char *end;
			uint64_t v;
			if (soak_parse_u64_dec(t + 6, &v, &end) < 0 || (end != p + len && *end != ' '))
				return -EINVAL;
			*ret = v;
			return 0;
		}
		return -EINVAL;
	}
	return -ENOENT;
}

static void vreason(char *dst, const char *fmt, va_list ap)
{
	vsnprintf(dst, SOAK_REASON_MAX, fmt, ap);
}

void soak_reason_all(char (*reasons)[SOAK_REASON_MAX], size_t n, const char *fmt, ...)
{
	for (size_t i = 0; i < n; i++) {
		if (reasons[i][0])
			continue;
		va_list ap;
		va_start(ap, fmt);
		vreason(reasons[i], fmt, ap);
		va_end(ap);
	}
}

void soak_reason_set(char (*reasons)[SOAK_REASON_MAX], size_t i, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreason(reasons[i], fmt, ap);
	va_end(ap);
}

const char *soak_errname(int err, char *buf, size_t len)
{
	if (err < 0)
		err = -err;
	const char *n = strerrorname_np(err);
	if (n)
		return n;
	snprintf(buf, len, "errno %d", err);
	return buf;
}
