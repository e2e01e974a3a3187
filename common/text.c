/* text.c - control characters out of terminal text; see include/soak/text.h. */
#include "soak/text.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

bool soak_text_is_control(const char *s, size_t *len)
{
	unsigned char c = (unsigned char)s[0];
	*len = 1;
	if (c < 0x20 || c == 0x7f)
		return true;
	if (c == 0xc2 && (unsigned char)s[1] >= 0x80 && (unsigned char)s[1] <= 0x9f) {
		*len = 2;
		return true;
	}
	return false;
}

char *soak_text_clean(char *dst, size_t len, const char *src, bool keep_newline)
{
	size_t o = 0;
	if (!len)
		return dst;
	for (const char *s = src ? src : ""; *s && o + 1 < len;) {
		size_t n;
		if (soak_text_is_control(s, &n) && !(keep_newline && *s == '\n')) {
			dst[o++] = '?';
			s += n;
		} else {
			dst[o++] = *s++;
		}
	}
	dst[o] = '\0';
	return dst;
}

int soak_fputs_clean(const char *s, FILE *f)
{
	for (; s && *s;) {
		size_t n;
		if (soak_text_is_control(s, &n) && *s != '\n') {
			if (fputc('?', f) == EOF)
				return EOF;
			s += n;
		} else if (fputc(*s++, f) == EOF) {
			return EOF;
		}
	}
	return 0;
}

typedef struct {
	int fd;
	bool c2;   /* the last byte written was 0xC2: a C1 control may follow */
} filter_t;

static int write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static ssize_t filter_write(void *cookie, const char *buf, size_t size)
{
	filter_t *f = cookie;
	char out[4096];
	size_t o = 0;
	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (o + 2 > sizeof(out)) {
			if (write_all(f->fd, out, o) < 0)
				return -1;
			o = 0;
		}
		if (f->c2) {
			f->c2 = false;
			if (c >= 0x80 && c <= 0x9f) {
				out[o++] = '?';
				continue;
			}
			out[o++] = (char)0xc2;
		}
		if (c == 0xc2) {
			f->c2 = true;
			continue;
		}
		out[o++] = (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	if (o && write_all(f->fd, out, o) < 0)
		return -1;
	return (ssize_t)size;
}

static int filter_close(void *cookie)
{
	filter_t *f = cookie;
	int r = 0;
	if (f->c2)
		r = write_all(f->fd, "\xc2", 1);
	free(f);
	return r;
}

FILE *soak_text_filter_fd(int fd)
{
	filter_t *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->fd = fd;
	cookie_io_functions_t io = { .write = filter_write, .close = filter_close };
	FILE *s = fopencookie(f, "w", io);
	if (!s)
		free(f);
	return s;
}
