/*
 * ssstats.c - fixture for the self-report test (tests/integration/
 * test_selfreport.sh): makes a known number of real mmap and madvise calls,
 * then, at exit, prints hakmem's [SS_OS_STATS] line (the seed's format) on
 * stderr in the middle of other output and without a trailing newline, plus
 * another tag line on stdout.
 *
 *   ssstats [-m N] [-a N] [-r seed|honest|M,A] [-s BYTES] [-t MS]
 *     -m N     N real mmap calls (one page each, touched, unmapped at the end)
 *     -a N     N real madvise(MADV_DONTNEED) calls on a mapped page
 *              (needs -m >= 1; the page is mapped by the first -m mmap)
 *     -r seed  print the seed's literal line: "[SS_OS_STATS] alloc=9 free=10
 *              madvise=9 madvise_enomem=0 madvise_other=0 madvise_disabled=0
 *              mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0"
 *     -r honest  the same keys with mmap_total=N (of -m) and madvise=N (of -a)
 *     -r M,A   the same keys with mmap_total=M and madvise=A (a false report)
 *     -s BYTES write BYTES of filler lines to stderr before the tag line
 *              (the runner keeps a bounded log; the counters must still parse)
 *     -t MS    stay alive MS milliseconds after the calls (default 300), so the
 *              runner takes a few samples
 *
 * Only write(2), mmap, madvise, munmap and nanosleep: no malloc, no stdio
 * buffers, so the calls it makes beyond the dynamic loader's start-up are
 * exactly the ones asked for. The other line is "[SS_EXTRA] phase=2
 * ratio=0.5 note=text" on stdout (note= is not a number: ignored).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static long n_mmap, n_madvise, rep_mmap = -1, rep_madvise = -1, spam, stay_ms = 300;
static int seed_line;

static void say(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0)
			_exit(3);
		s += w;
		n -= (size_t)w;
	}
}

static void says(int fd, const char *s)
{
	say(fd, s, strlen(s));
}

static void at_exit(void)
{
	char line[512];
	if (spam > 0) {
		char fill[128];
		memset(fill, 'x', sizeof(fill) - 1);
		fill[sizeof(fill) - 1] = '\n';
		for (long left = spam; left > 0; left -= (long)sizeof(fill))
			say(2, fill, left < (long)sizeof(fill) ? (size_t)left : sizeof(fill));
	}
	/* Interleaved: a partial stderr line, a stdout line, then the tag line
	 * completes the stderr line - and has no newline of its own. */
	says(2, "ssstats: done, stats follow: ");
	says(1, "ssstats: exiting\n[SS_EXTRA] phase=2 ratio=0.5 note=text\n");
	int n;
	if (seed_line)
		n = snprintf(line, sizeof(line),
			     "[SS_OS_STATS] alloc=9 free=10 madvise=9 madvise_enomem=0 madvise_other=0 "
			     "madvise_disabled=0 mmap_total=9 fallback_mmap=0 huge_alloc=0 huge_fail=0");
	else
		n = snprintf(line, sizeof(line),
			     "[SS_OS_STATS] alloc=9 free=10 madvise=%ld madvise_enomem=0 madvise_other=0 "
			     "madvise_disabled=0 mmap_total=%ld fallback_mmap=0 huge_alloc=0 huge_fail=0",
			     rep_madvise, rep_mmap);
	if (n <= 0 || (size_t)n >= sizeof(line))
		_exit(3);
	say(2, line, (size_t)n);
}

static void usage(void)
{
	says(2, "usage: ssstats [-m N] [-a N] [-r seed|honest|M,A] [-s BYTES] [-t MS]\n");
	_exit(2);
}

int main(int argc, char **argv)
{
	const char *rep = "honest";
	int o;
	while ((o = getopt(argc, argv, "m:a:r:s:t:")) != -1) {
		switch (o) {
		case 'm': n_mmap = atol(optarg); break;
		case 'a': n_madvise = atol(optarg); break;
		case 'r': rep = optarg; break;
		case 's': spam = atol(optarg); break;
		case 't': stay_ms = atol(optarg); break;
		default: usage();
		}
	}
	if (n_mmap < 0 || n_madvise < 0 || (n_madvise && !n_mmap) || n_mmap > 100000)
		usage();
	if (!strcmp(rep, "seed"))
		seed_line = 1;
	else if (!strcmp(rep, "honest"))
		rep_mmap = n_mmap, rep_madvise = n_madvise;
	else if (sscanf(rep, "%ld,%ld", &rep_mmap, &rep_madvise) != 2)
		usage();

	long page = sysconf(_SC_PAGESIZE);
	says(1, "ssstats: starting\n");
	says(2, "ssstats: working... ");
	/* The mappings are kept in a mapping of our own (no malloc). */
	char **maps = NULL;
	if (n_mmap) {
		size_t len = (((size_t)n_mmap * sizeof(char *)) / (size_t)page + 1) * (size_t)page;
		maps = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps == MAP_FAILED)
			return 3;
		maps[0] = (char *)maps;   /* the table is the first of the n_mmap mappings */
		for (long i = 1; i < n_mmap; i++) {
			maps[i] = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);
			if (maps[i] == MAP_FAILED)
				return 3;
			maps[i][0] = 1;
		}
		for (long i = 0; i < n_madvise; i++)
			madvise(maps[n_mmap > 1 ? 1 : 0] + 0, (size_t)page, MADV_DONTNEED);
	}
	says(1, "ssstats: calls made\n");
	struct timespec ts = { stay_ms / 1000, (stay_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	if (n_mmap) {
		for (long i = n_mmap - 1; i >= 1; i--)
			munmap(maps[i], (size_t)page);
		/* the table itself stays: a munmap of it would be one more call */
	}
	says(2, "\n");   /* ends the "working..." line */
	atexit(at_exit);
	return 0;
}
