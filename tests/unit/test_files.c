/* test_files.c - files the suite creates: outputs through soak_write_atomic
 * (no symlink followed, a file a symlink points at stays byte for byte the
 * same, 0600 whatever the umask, special files refused) and the database
 * (created 0600, devices/FIFOs/directories refused, no PATH-journal made next
 * to /dev/null). The cases are rows 6 and 13 of docs/faults.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "soak/outfile.h"

static const char victim_text[] = "precious: must not change\n";

static int emit_hello(FILE *f, const void *arg)
{
	(void)arg;
	return fputs("hello\n", f) < 0 ? -EIO : 0;
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdir_tmp(char *dir)
{
	assert_non_null(mkdtemp(dir));
}

static void rm_rf(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The old code wrote "<FILE>.tmp" with fopen: a symlink there redirected the
 * report into any file. Now neither OUT.tmp nor OUT itself being a symlink
 * lets anything write through it. */
static void test_symlinks_not_followed(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-files-XXXXXX", victim[128], out[128], tmp[128], buf[256];
	mkdir_tmp(dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(out, sizeof(out), "%s/out.md", dir);
	snprintf(tmp, sizeof(tmp), "%s/out.md.tmp", dir);
	write_text(victim, victim_text);
	assert_int_equal(symlink(victim, tmp), 0);
	char err[256];
	assert_int_equal(soak_write_atomic(out, emit_hello, NULL, err, sizeof(err)), 0);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, victim_text);
	slurp(out, buf, sizeof(buf));
	assert_string_equal(buf, "hello\n");

	/* OUT a symlink to the victim: the link is replaced, the victim kept. */
	unlink(out);
	assert_int_equal(symlink(victim, out), 0);
	assert_int_equal(soak_write_atomic(out, emit_hello, NULL, err, sizeof(err)), 0);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, victim_text);
	struct stat st;
	assert_int_equal(lstat(out, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	rm_rf(dir);
}

static void test_private_mode(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-files-XXXXXX", out[128], err[256];
	mkdir_tmp(dir);
	snprintf(out, sizeof(out), "%s/gate.xml", dir);
	mode_t old = umask(0);
	int r = soak_write_atomic(out, emit_hello, NULL, err, sizeof(err));
	umask(old);
	assert_int_equal(r, 0);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rm_rf(dir);
}

static int emit_escape(FILE *f, const void *arg)
{
	(void)arg;
	return fputs("label \x1b]0;pwned\x07 ok\tcol\nnext \xc2\x9b \xc3\xa9\n", f) < 0 ? -EIO : 0;
}

/* Files are later cat'ed to terminals: no control character but newline and
 * tab reaches them either. */
static void test_controls_replaced(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-files-XXXXXX", out[128], buf[256], err[256];
	mkdir_tmp(dir);
	snprintf(out, sizeof(out), "%s/r.md", dir);
	assert_int_equal(soak_write_atomic(out, emit_escape, NULL, err, sizeof(err)), 0);
	slurp(out, buf, sizeof(buf));
	assert_string_equal(buf, "label ?]0;pwned? ok\tcol\nnext ? \xc3\xa9\n");
	rm_rf(dir);
}

static void test_special_targets_refused(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-files-XXXXXX", fifo[128], err[256];
	mkdir_tmp(dir);
	assert_int_equal(soak_write_atomic(dir, emit_hello, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a directory"));
	assert_int_equal(soak_write_atomic("/dev/null", emit_hello, NULL, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/null"));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(soak_write_atomic(fifo, emit_hello, NULL, err, sizeof(err)), -EINVAL);
	struct stat st;
	assert_int_equal(stat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	rm_rf(dir);
}

static void test_db_private(void **state)
{
	(void)state;
	char dir[] = "/tmp/soak-test-files-XXXXXX", path[128], side[160];
	mkdir_tmp(dir);
	snprintf(path, sizeof(path), "%s/soak.db", dir);
	mode_t old = umask(0);
	soak_db_t *db = NULL;
	char err[512];
	int r = soak_db_open(path, SOAK_DB_WRITE, &db, err, sizeof(err));
	umask(old);
	assert_int_equal(r, 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(side, sizeof(side), "%s-wal", path);
	if (stat(side, &st) == 0)
		assert_int_equal(st.st_mode & 0777, 0600);
	soak_db_close(db, NULL, 0);
	rm_rf(dir);
}

static void test_db_special_refused(void **state)
{
	(void)state;
	struct stat before, st;
	int had_journal = stat("/dev/null-journal", &before) == 0;
	soak_db_t *db = NULL;
	char err[512];
	assert_int_equal(soak_db_open("/dev/null", SOAK_DB_WRITE, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/dev/null is a device"));
	assert_int_equal(soak_db_open("/dev/null", SOAK_DB_READ, &db, err, sizeof(err)), -EINVAL);
	if (!had_journal)
		assert_int_not_equal(stat("/dev/null-journal", &st), 0);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	char dir[] = "/tmp/soak-test-files-XXXXXX", fifo[128], j[160];
	mkdir_tmp(dir);
	snprintf(fifo, sizeof(fifo), "%s/db.fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(soak_db_open(fifo, SOAK_DB_WRITE, &db, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a FIFO"));
	snprintf(j, sizeof(j), "%s-journal", fifo);
	assert_int_not_equal(stat(j, &st), 0);
	assert_int_equal(soak_db_open(dir, SOAK_DB_WRITE, &db, err, sizeof(err)), -EISDIR);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlinks_not_followed),
		cmocka_unit_test(test_private_mode),
		cmocka_unit_test(test_special_targets_refused),
		cmocka_unit_test(test_controls_replaced),
		cmocka_unit_test(test_db_private),
		cmocka_unit_test(test_db_special_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
