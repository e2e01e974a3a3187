/* db-util.c - timestamps, read snapshots and growing result arrays. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db-internal.h"

char *db_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int db_grow(void **v, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? 2 * *cap : 16;
	void *nv = realloc(*v, nc * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = nc;
	return 0;
}

int db_read_rows(soak_db_t *db, sqlite3_stmt *st, size_t size, db_row_fn read_row, db_rows_free_fn free_rows,
		 const char *what, void **ret, size_t *n)
{
	void *v = NULL;
	size_t cnt = 0, cap = 0;
	int r = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (db_grow(&v, &cap, cnt, size) < 0 || read_row(st, (char *)v + cnt * size) < 0) {
			r = db_fail(db, -ENOMEM, "%s: out of memory", what);
			break;
		}
		cnt++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = db_sqlfail(db, rc, what);
	if (r < 0) {
		free_rows(v, cnt);
		return r;
	}
	*ret = v;
	*n = cnt;
	return 0;
}

void soak_db_time_format(double epoch_s, char buf[SOAK_DB_TIME_LEN])
{
	/* Round to the millisecond first so that .9996 gives the next second. */
	long long ms = llround(epoch_s * 1000.0);
	time_t sec = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	struct tm tm;
	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, SOAK_DB_TIME_LEN, "1970-01-01T00:00:00.000Z");
		return;
	}
	size_t n = strftime(buf, SOAK_DB_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, SOAK_DB_TIME_LEN - n, ".%03dZ", frac);
}

int soak_db_time_parse(const char *s, double *ret)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -EINVAL;
	const char *p = s + n;
	double frac = 0, scale = 0.1;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (strcmp(p, "Z") != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	*ret = (double)t + frac;
	return 0;
}

void db_now(char buf[SOAK_DB_TIME_LEN])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	soak_db_time_format((double)ts.tv_sec + (double)ts.tv_nsec / 1e9, buf);
}

int soak_db_snapshot_begin(soak_db_t *db)
{
	if (!db || db->mode != SOAK_DB_READ)
		return -EINVAL;
	return db_exec(db, "BEGIN", "starting a read snapshot");
}

void soak_db_snapshot_end(soak_db_t *db)
{
	if (db && db->mode == SOAK_DB_READ && !sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "COMMIT", NULL, NULL, NULL);
}
