/*
 * db-lock.c - who may replace a database file while others use it.
 *
 * SQLite's own locks order the writers of one file. `merge` does more: it
 * builds the merged database beside OUT and renames it over OUT, which SQLite
 * cannot see. A run still writing through a connection to the old file would
 * go on writing into an unlinked inode (its rows lost, or a malformed file
 * when both meet in the WAL), and two merges into one OUT would each rename
 * their own copy, the last one dropping the runs of the other.
 *
 * So every writer holds a shared flock(2) on the database file as long as it
 * has it open, and a merge holds an exclusive one from before it copies OUT
 * until after its rename: a merge waits for the writers, the writers and a
 * second merge wait for the merge. flock locks belong to an inode: after a
 * wait, the path may name a new file (the merge's), so the lock is checked
 * against the path's inode and taken again on the new file when they differ.
 * Raw flock(2) here because SQLite exposes no lock that spans a rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db-internal.h"

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int db_lock_file(const char *path, bool exclusive, double wait_s, int *ret_fd)
{
	double until = mono_s() + wait_s;
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) < 0) {
			int e = errno;
			if ((e != EWOULDBLOCK && e != EINTR) || mono_s() >= until) {
				close(fd);
				return e == EWOULDBLOCK ? -EBUSY : -e;
			}
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			*ret_fd = fd;
			return 0;
		}
		close(fd);   /* renamed over while we waited: lock the new file */
		if (mono_s() >= until)
			return -EBUSY;
	}
}
