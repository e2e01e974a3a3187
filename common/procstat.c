/* procstat.c - process start times from /proc/PID/stat (include/soak/procstat.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "soak/procstat.h"

/* The kernel's upper bound for pid_max (PID_MAX_LIMIT on 64-bit). */
#define PROC_PID_MAX 4194304

int soak_proc_starttime(int64_t pid, int64_t *ret)
{
	char path[64], buf[1024];
	if (pid <= 0 || pid > PROC_PID_MAX)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%lld/stat", (long long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return e == ESRCH ? -ENOENT : -e;
	buf[n] = '\0';
	/* comm (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	char state;
	unsigned long long start;
	/* state is field 3; starttime is field 22, the 20th after comm. */
	if (sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &start) != 2)
		return -EINVAL;
	if (state == 'Z' || state == 'X')
		return -ENOENT;
	*ret = (int64_t)start;
	return 0;
}

bool soak_proc_alive(int64_t pid, int64_t starttime)
{
	if (pid <= 0 || pid > PROC_PID_MAX)
		return false;
	/* Signal 0 checks existence only; nothing is sent. */
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	int64_t start;
	int e = soak_proc_starttime(pid, &start);
	if (e == -ENOENT)
		return false;   /* exited since kill(), or a zombie */
	if (e < 0)
		return true;    /* cannot tell */
	return starttime == 0 || start == starttime;
}
