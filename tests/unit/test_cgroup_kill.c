/* test_cgroup_kill.c - what recovery accepts from a run record it did not
 * write: cgroup.procs text, cgroup paths, directories on disk
 * (docs/faults.md, row 1: a record pointing at
 * /sys/fs/cgroup/../../../tmp/x/soak-x with "not-a-pid" and "-1" lines in its
 * cgroup.procs killed a bystander and could have killed every process on the
 * host). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup-kill.h"

#define UUID "0f1e2d3c-4b5a-4968-8776-655443322110"
#define NAME "soak-" UUID

static void test_parse_procs(void **state)
{
	(void)state;
	pid_t p[8];
	assert_int_equal(soak_cg_parse_procs("", p, 8), 0);
	assert_int_equal(soak_cg_parse_procs("12\n345\n", p, 8), 2);
	assert_int_equal(p[0], 12);
	assert_int_equal(p[1], 345);
	assert_int_equal(soak_cg_parse_procs("7", p, 8), 1);
	/* Each of these once became kill(N, SIGKILL) with N = 0, -1 or garbage. */
	static const char *const bad[] = { "not-a-pid\n", "-1\n", "0\n", "12\nnot-a-pid\n", "1 2\n",
					   "+5\n", " 5\n", "5 \n", "\n", "5\n\n", "05\n", "99999999\n",
					   "4194305\n", "18446744073709551615\n", "0x10\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("%s", bad[i]);
		assert_int_equal(soak_cg_parse_procs(bad[i], p, 8), -EINVAL);
	}
	assert_int_equal(soak_cg_parse_procs("4194304\n", p, 8), 1);
	assert_int_equal(soak_cg_parse_procs("1\n2\n3\n", p, 2), -E2BIG);
}

static void test_path_allowed(void **state)
{
	(void)state;
	const char *roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup/memory" };
	char why[256];
	static const char *const good[] = {
		"/sys/fs/cgroup/unified/" NAME,
		"/sys/fs/cgroup/memory/process_api/abc/" NAME,
	};
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(soak_cg_path_allowed(good[i], roots, 2, NAME, why, sizeof(why)), 0);
	static const char *const bad[] = {
		"/sys/fs/cgroup/../../../tmp/x/" NAME,          /* the hostile record above */
		"/sys/fs/cgroup/unified/../../../tmp/x/" NAME,  /* .. below a root */
		"/sys/fs/cgroup/unified/./" NAME,
		"/sys/fs/cgroup/unified//" NAME,
		"/sys/fs/cgroup/unified/" NAME "/",
		"/sys/fs/cgroup/unified/soak-x",                 /* another name */
		"/sys/fs/cgroup/unified/soak-" UUID "x",
		"/sys/fs/cgroup/unified",                        /* a root itself */
		"/sys/fs/cgroup/" NAME,                          /* not below a root */
		"/sys/fs/cgroup/unifiedX/" NAME,                 /* a sibling of a root */
		"/tmp/x/" NAME,
		"sys/fs/cgroup/unified/" NAME,                   /* relative */
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(soak_cg_path_allowed(bad[i], roots, 2, NAME, why, sizeof(why)), -EPERM);
		assert_true(why[0] != '\0');
	}
	/* No roots: nothing is allowed. */
	assert_int_equal(soak_cg_path_allowed(good[0], roots, 0, NAME, why, sizeof(why)), -EPERM);
}

static void test_run_name(void **state)
{
	(void)state;
	char b[SOAK_CG_NAME_LEN];
	assert_int_equal(soak_cg_run_name(UUID, b, sizeof(b)), 0);
	assert_string_equal(b, NAME);
	assert_int_equal(soak_cg_run_name("../x", b, sizeof(b)), -EINVAL);
	assert_int_equal(soak_cg_run_name("", b, sizeof(b)), -EINVAL);
	assert_int_equal(soak_cg_run_name(NULL, b, sizeof(b)), -EINVAL);
}

/* A directory in /tmp that looks like the suite's (right name, a cgroup.procs
 * listing a live bystander, "not-a-pid" and "-1"), reached directly and
 * through a symlink: refused, left as it was, and the bystander lives. */
static void test_dir_on_disk(void **state)
{
	(void)state;
	char tmp[] = "/tmp/soak-cgkill.XXXXXX", dir[PATH_MAX], link[PATH_MAX], file[PATH_MAX + 16], why[256];
	assert_non_null(mkdtemp(tmp));
	snprintf(dir, sizeof(dir), "%s/" NAME, tmp);
	assert_int_equal(mkdir(dir, 0755), 0);
	pid_t by = fork();
	if (by == 0) {
		pause();
		_exit(0);
	}
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fprintf(f, "%d\nnot-a-pid\n-1\n", (int)by);
	fclose(f);

	assert_int_equal(soak_cg_dir_verify(dir, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "not on a cgroup file system"));
	snprintf(link, sizeof(link), "%s/l", tmp);
	assert_int_equal(symlink(tmp, link), 0);
	char vial[PATH_MAX + 64];
	snprintf(vial, sizeof(vial), "%s/" NAME, link);
	assert_int_equal(soak_cg_dir_verify(vial, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "resolves elsewhere"));
	snprintf(vial, sizeof(vial), "%s/nope", tmp);
	assert_int_equal(soak_cg_dir_verify(vial, why, sizeof(why)), -ENOENT);
	assert_int_equal(soak_cg_dir_verify(file, why, sizeof(why)), -EPERM);

	/* Even called directly, the killer refuses an ordinary directory. */
	assert_int_equal(soak_cg_kill_dir(dir), -EPERM);
	/* Recovery with this directory as a root (so the lexical check passes):
	 * refused on disk. */
	const char *roots[] = { tmp };
	char json[3 * PATH_MAX];
	snprintf(json, sizeof(json), "{\"mode\":\"hybrid\",\"memory\":\"%s\",\"cpu\":\"%s\",\"unified\":\"\"}",
		 dir, vial);
	assert_int_equal(soak_cg_recover_json(json, UUID, roots, 1, why, sizeof(why)), -EPERM);
	/* The default roots refuse the hostile record's path lexically. */
	snprintf(json, sizeof(json), "{\"memory\":\"/sys/fs/cgroup/../../..%s\"}", dir);
	assert_int_equal(soak_cg_recover_json(json, UUID, NULL, 0, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "'..'"));
	assert_int_equal(soak_cg_recover_json("not json", UUID, NULL, 0, why, sizeof(why)), -EPERM);
	assert_int_equal(soak_cg_recover_json("{}", "bad/uuid", NULL, 0, why, sizeof(why)), -EPERM);

	assert_int_equal(kill(by, 0), 0); /* the bystander lives */
	int st;
	assert_int_equal(waitpid(by, &st, WNOHANG), 0);
	struct stat s;
	assert_int_equal(stat(dir, &s), 0); /* the directory is still there */
	assert_int_equal(stat(file, &s), 0);
	kill(by, SIGKILL);
	waitpid(by, &st, 0);
	unlink(file);
	unlink(link);
	rmdir(dir);
	rmdir(tmp);
}

/* The path without cgroup.kill (v1): a child in a v1 memory cgroup below our
 * own is killed through a pidfd, and the directory removed. Skipped where
 * there is no v1 memory controller (pure v2) or we are not root. */
static void test_kill_v1(void **state)
{
	(void)state;
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096], own[4096] = "";
	bool found = false;
	while (f && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');
		if (c && !strncmp(c, ":memory:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(own, sizeof(own), "%s", c + 8);
			found = true;
		}
	}
	if (f)
		fclose(f);
	char dir[PATH_MAX + 64];
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/memory%s/soak-unit-%d", strcmp(own, "/") ? own : "",
		 (int)getpid());
	if (!found || geteuid() != 0 || mkdir(dir, 0755) < 0) {
		print_message("no v1 memory cgroup to test in: skipped\n");
		skip();
	}
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	if (child == 0) {
		char b;
		close(go[1]);
		if (read(go[0], &b, 1) == 1 && fork() == 0)
			pause(); /* a grandchild too */
		pause();
		_exit(0);
	}
	char procs[PATH_MAX + 128];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	f = fopen(procs, "w");
	assert_non_null(f);
	fprintf(f, "%d\n", (int)child);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	usleep(100 * 1000);
	assert_int_equal(soak_cg_kill_dir(dir), 2);
	int st;
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_int_equal(soak_cg_remove_dir(dir), 0);
	struct stat s;
	assert_int_equal(stat(dir, &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_procs),
		cmocka_unit_test(test_path_allowed),
		cmocka_unit_test(test_run_name),
		cmocka_unit_test(test_dir_on_disk),
		cmocka_unit_test(test_kill_v1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
