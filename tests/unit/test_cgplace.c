/* test_cgplace.c - the cgroup placement chooser (cgroup/cgplace.c): the plan
 * from the facts of a cgroup, the facts read from a fake cgroup tree, the
 * strict --cgroup-parent check, and the guard of the leaf recovery. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgplace.h"
#include "cgroup-kill.h"

#define OWN SOAK_PLACE_OWN
#define LEAF SOAK_PLACE_LEAF_MOVE
#define SCOPE SOAK_PLACE_SYSTEMD_SCOPE

/* Where a runner can find itself (root cgroup, container, session scope,
 * services, missing controllers), each with the placement plan it must give. */
static void test_plan(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		soak_place_facts_t f;
		bool need_cpu;
		soak_place_how_t want[SOAK_PLACE_MAX_PLAN];
		size_t n;
	} cases[] = {
		{ "root cgroup, controllers offered (initramfs guest)",
		  { .is_root = true, .has_memory = true, .has_cpu = true }, true, { OWN }, 1 },
		{ "root cgroup of a systemd host, already enabled",
		  { .is_root = true, .has_memory = true, .has_cpu = true, .sub_memory = true, .sub_cpu = true,
		    .systemd = true }, true, { OWN, SCOPE }, 2 },
		{ "container: namespace root, alone (own fails with EBUSY, then leaf-move)",
		  { .is_root = true, .has_memory = true, .has_cpu = true, .alone = true }, true, { OWN, LEAF }, 2 },
		{ "alone in a non-root cgroup without systemd",
		  { .has_memory = true, .has_cpu = true, .alone = true }, true, { LEAF }, 1 },
		{ "login session scope: other processes, systemd",
		  { .has_memory = true, .has_cpu = true, .systemd = true }, true, { SCOPE }, 1 },
		{ "plain systemd service, alone, not delegated: systemd's cgroup, not ours",
		  { .has_memory = true, .has_cpu = true, .alone = true, .systemd = true }, true, { SCOPE }, 1 },
		{ "Delegate=yes service, alone, marked delegated",
		  { .has_memory = true, .has_cpu = true, .alone = true, .systemd = true, .delegated = true },
		  true, { LEAF, SCOPE }, 2 },
		{ "service with memory pids only, --cpu-max",
		  { .has_memory = true, .alone = true, .delegated = true, .systemd = true }, true, { SCOPE }, 1 },
		{ "memory only offered, no --cpu-max: enough",
		  { .has_memory = true, .alone = true }, false, { LEAF }, 1 },
		{ "memory only offered, --cpu-max: nothing without systemd",
		  { .has_memory = true, .alone = true }, true, { 0 }, 0 },
		{ "other processes, no systemd: nothing (--cgroup-parent or --no-cgroup)",
		  { .has_memory = true, .has_cpu = true }, true, { 0 }, 0 },
		{ "no controllers offered at all, no systemd",
		  { .alone = true, .is_root = true }, false, { 0 }, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		soak_place_how_t got[SOAK_PLACE_MAX_PLAN];
		size_t n = soak_place_plan(&cases[i].f, cases[i].need_cpu, got);
		if (n != cases[i].n)
			fail_msg("%s: %zu ways planned, expected %zu", cases[i].what, n, cases[i].n);
		for (size_t k = 0; k < n; k++)
			if (got[k] != cases[i].want[k])
				fail_msg("%s: step %zu is %s, expected %s", cases[i].what, k,
					 soak_place_how_name(got[k]), soak_place_how_name(cases[i].want[k]));
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(soak_place_how_name(SOAK_PLACE_OWN), "own");
	assert_string_equal(soak_place_how_name(SOAK_PLACE_LEAF_MOVE), "leaf-move");
	assert_string_equal(soak_place_how_name(SOAK_PLACE_SYSTEMD_SCOPE), "systemd-scope");
	assert_string_equal(soak_place_how_name(SOAK_PLACE_CGROUP_PARENT), "cgroup-parent");
	assert_string_equal(soak_place_how_name(SOAK_PLACE_NONE), "none");
}

static char tmp[PATH_MAX];

static int mk_tmp(void **state)
{
	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/test_cgplace.XXXXXX");
	return mkdtemp(tmp) ? 0 : -1;
}

static int rm_tmp(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *dir, const char *file, const char *text)
{
	char *p = NULL;
	assert_true(asprintf(&p, "%s/%s", dir, file) > 0);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

/* Facts from the files of a fake cgroup directory, as the kernel writes them. */
static void test_facts_fake_tree(void **state)
{
	(void)state;
	char me[32];
	snprintf(me, sizeof(me), "%d\n", (int)getpid());
	soak_place_facts_t f;

	put(tmp, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc\n");
	put(tmp, "cgroup.subtree_control", "\n");
	put(tmp, "cgroup.procs", me);
	assert_int_equal(soak_place_facts_read(tmp, getpid(), false, &f), 0);
	assert_true(f.has_memory && f.has_cpu && f.alone);
	assert_false(f.sub_memory || f.sub_cpu || f.systemd || f.delegated);

	/* "cpuset" must not count as "cpu", nor "memory_x" as "memory". */
	put(tmp, "cgroup.controllers", "cpuset io memory_x pids\n");
	put(tmp, "cgroup.subtree_control", "cpu memory\n");
	char two[64];
	snprintf(two, sizeof(two), "1\n%d\n", (int)getpid());
	put(tmp, "cgroup.procs", two);
	assert_int_equal(soak_place_facts_read(tmp, getpid(), true, &f), 0);
	assert_false(f.has_memory || f.has_cpu || f.alone);
	assert_true(f.sub_memory && f.sub_cpu && f.systemd);

	/* Another process alone in it is not us. */
	put(tmp, "cgroup.procs", "1\n");
	assert_int_equal(soak_place_facts_read(tmp, getpid(), false, &f), 0);
	assert_false(f.alone);
	/* An empty cgroup (not even us) is not "alone" either. */
	put(tmp, "cgroup.procs", "");
	assert_int_equal(soak_place_facts_read(tmp, getpid(), false, &f), 0);
	assert_false(f.alone);

	/* No cgroup.procs: not a cgroup at all. */
	char sub[PATH_MAX + 8];
	snprintf(sub, sizeof(sub), "%s/empty", tmp);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(soak_place_facts_read(sub, getpid(), false, &f), -ENOENT);
}

/* A cgroup below a delegated one is delegated too when no unit cgroup lies
 * between: systemd marks only the top of the subtree it hands out (a Slurm
 * job's task cgroup below the slurmstepd.scope systemd delegated); a scope
 * below it belongs to the manager it was delegated to. The walk stops above
 * the hierarchy (a directory without cgroup.procs). */
static void test_facts_delegated_above(void **state)
{
	(void)state;
	char me[32], d[PATH_MAX + 128];
	snprintf(me, sizeof(me), "%d\n", (int)getpid());
	const char *levels[] = { "slurmstepd.scope", "slurmstepd.scope/job_1", "slurmstepd.scope/job_1/step_batch",
				 "slurmstepd.scope/job_1/step_batch/task_0" };
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		snprintf(d, sizeof(d), "%s/%s", tmp, levels[i]);
		assert_int_equal(mkdir(d, 0755), 0);
		put(d, "cgroup.controllers", "cpu memory\n");
		put(d, "cgroup.procs", "");
	}
	put(d, "cgroup.procs", me);
	soak_place_facts_t f;
	assert_int_equal(soak_place_facts_read(d, getpid(), true, &f), 0);
	assert_false(f.delegated);
	char scope[PATH_MAX + 32];
	snprintf(scope, sizeof(scope), "%s/slurmstepd.scope", tmp);
	if (setxattr(scope, "user.delegate", "1", 1, 0) < 0)
		skip();   /* a file system without user xattrs */
	assert_int_equal(soak_place_facts_read(d, getpid(), true, &f), 0);
	assert_true(f.delegated && f.alone && f.systemd);
	soak_place_how_t plan[SOAK_PLACE_MAX_PLAN];
	assert_int_equal(soak_place_plan(&f, false, plan), 2);
	assert_int_equal(plan[0], SOAK_PLACE_LEAF_MOVE);
	/* A user manager's scope inside user@0.service (delegated to the user
	 * manager): the nearest unit is the scope, unmarked: systemd's. */
	const char *user[] = { "user@0.service", "user@0.service/app.slice", "user@0.service/app.slice/run-1.scope" };
	char ud[PATH_MAX + 128];
	for (size_t i = 0; i < 3; i++) {
		snprintf(ud, sizeof(ud), "%s/%s", tmp, user[i]);
		assert_int_equal(mkdir(ud, 0755), 0);
		put(ud, "cgroup.controllers", "cpu memory\n");
		put(ud, "cgroup.procs", i == 2 ? me : "");
		if (i == 0)
			assert_int_equal(setxattr(ud, "user.delegate", "1", 1, 0), 0);
	}
	assert_int_equal(soak_place_facts_read(ud, getpid(), true, &f), 0);
	assert_true(f.alone && !f.delegated);
	/* Above the hierarchy (no cgroup.procs between): not seen. */
	char mid[PATH_MAX + 128];
	snprintf(mid, sizeof(mid), "%s/slurmstepd.scope/job_1/cgroup.procs", tmp);
	assert_int_equal(unlink(mid), 0);
	assert_int_equal(soak_place_facts_read(d, getpid(), true, &f), 0);
	assert_false(f.delegated);
}

static void expect_refused(const char *mount, const char *path, const char *needle)
{
	char out[PATH_MAX], err[1024] = "";
	int r = soak_place_parent_path(mount, path, out, sizeof(out), err, sizeof(err));
	if (r >= 0)
		fail_msg("--cgroup-parent %s below %s accepted as %s", path, mount, out);
	if (!strstr(err, needle))
		fail_msg("--cgroup-parent %s: message '%s' lacks '%s'", path, err, needle);
}

/* Strict --cgroup-parent: a fake mount (a plain directory) refuses everything,
 * each for its own reason; a real cgroup2 mount accepts what exists. */
static void test_parent_path(void **state)
{
	(void)state;
	char d[PATH_MAX + 16], l[PATH_MAX + 16], f[PATH_MAX + 16], abs_ok[PATH_MAX + 32];
	snprintf(d, sizeof(d), "%s/a", tmp);
	assert_int_equal(mkdir(d, 0755), 0);
	snprintf(d, sizeof(d), "%s/a/b", tmp);
	assert_int_equal(mkdir(d, 0755), 0);
	snprintf(l, sizeof(l), "%s/link", tmp);
	assert_int_equal(symlink(d, l), 0);
	snprintf(f, sizeof(f), "%s/file", tmp);
	put(tmp, "file", "x");

	expect_refused(tmp, "", "empty");
	expect_refused(tmp, "a/../a", "'..'");
	expect_refused(tmp, "./a", "'.'");
	expect_refused(tmp, "/etc", "not below the cgroup2 mount");
	snprintf(abs_ok, sizeof(abs_ok), "%sX/a", tmp);   /* a prefix of the mount is not below it */
	expect_refused(tmp, abs_ok, "not below the cgroup2 mount");
	expect_refused(tmp, "link", "symbolic link");
	expect_refused(tmp, "link/b", "symbolic link");
	expect_refused(tmp, "file", "not a directory");
	expect_refused(tmp, "nosuch/x", "No such file");
	expect_refused(tmp, "a/b", "not a cgroup2 directory");
	snprintf(abs_ok, sizeof(abs_ok), "%s/a/b", tmp);
	expect_refused(tmp, abs_ok, "not a cgroup2 directory");

	/* The real thing, where this host has a cgroup2 mount. */
	static const char *const mounts[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	for (size_t i = 0; i < 2; i++) {
		struct statfs s;
		if (statfs(mounts[i], &s) != 0 || s.f_type != 0x63677270)
			continue;
		char out[PATH_MAX], err[1024] = "";
		assert_int_equal(soak_place_parent_path(mounts[i], mounts[i], out, sizeof(out), err,
							sizeof(err)), 0);
		assert_string_equal(out, mounts[i]);
		expect_refused(mounts[i], "/", "not below the cgroup2 mount");
		return;
	}
	print_message("no cgroup2 mount here: only the refusals were checked\n");
}

/* Recovery removes a leaf only when it is /sys/fs/cgroup/.../soak-runner-*. */
static void test_recover_guard(void **state)
{
	(void)state;
	char why[512];
	assert_int_equal(soak_place_recover_json(NULL, 1, why, sizeof(why)), -EINVAL);
	assert_int_equal(soak_place_recover_json("{", 1, why, sizeof(why)), -EINVAL);
	char leaf[PATH_MAX + 32], json[PATH_MAX + 64];
	snprintf(leaf, sizeof(leaf), "%s/soak-runner-1", tmp);
	assert_int_equal(mkdir(leaf, 0755), 0);
	snprintf(json, sizeof(json), "{\"leaf\":\"%s\"}", leaf);
	/* Refused (one line why), never removed: not below a cgroup root. */
	assert_int_equal(soak_place_recover_json(json, 1, why, sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "refused"));
	struct stat st;
	assert_int_equal(stat(leaf, &st), 0);
	assert_int_equal(soak_place_recover_json("{\"leaf\":\"/sys/fs/cgroup/../../tmp/soak-runner-1\"}", 1, why,
						 sizeof(why)), -EPERM);
	assert_int_equal(soak_place_recover_json("{\"leaf\":\"/sys/fs/cgroup/system.slice\"}", 1, why,
						 sizeof(why)), -EPERM);
	/* Another runner's leaf: the name must carry this run's runner pid. */
	assert_int_equal(soak_place_recover_json("{\"leaf\":\"/sys/fs/cgroup/unified/soak-runner-2\"}", 1, why,
						 sizeof(why)), -EPERM);
	assert_int_equal(stat("/sys/fs/cgroup", &st), 0);
	/* Gone already: nothing to do. */
	char roots[SOAK_CG_MAX_ROOTS][PATH_MAX];
	if (soak_cg_default_roots(roots, SOAK_CG_MAX_ROOTS) > 0) {
		snprintf(json, sizeof(json), "{\"leaf\":\"%s/soak-runner-999999999\"}", roots[0]);
		assert_int_equal(soak_place_recover_json(json, 999999999, why, sizeof(why)), 0);
	}
	assert_int_equal(soak_place_recover_json("{\"leaf\":7}", 1, why, sizeof(why)), -EPERM);
	assert_int_equal(soak_place_recover_json("{}", 1, why, sizeof(why)), 0);
}

/* soak_cg_fs_version against the kernel's own list of mounts: every mount of
 * type cgroup2 is 2, every cgroup (v1) mount is 1, /proc is 0, a missing path
 * is -ENOENT. */
static void test_fs_version(void **state)
{
	(void)state;
	FILE *f = fopen("/proc/self/mounts", "re");
	assert_non_null(f);
	char dev[256], dir[PATH_MAX], type[64];
	int seen = 0;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		int want = !strcmp(type, "cgroup2") ? 2 : !strcmp(type, "cgroup") ? 1 : -1;
		if (want < 0)
			continue;
		if (soak_cg_fs_version(dir) != want)
			fail_msg("%s (%s): soak_cg_fs_version %d, want %d", dir, type, soak_cg_fs_version(dir), want);
		seen++;
	}
	fclose(f);
	assert_true(seen > 0);
	assert_int_equal(soak_cg_fs_version("/proc"), 0);
	assert_int_equal(soak_cg_fs_version("/nonexistent/soak"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_fs_version),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_facts_fake_tree, mk_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_facts_delegated_above, mk_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_parent_path, mk_tmp, rm_tmp),
		cmocka_unit_test_setup_teardown(test_recover_guard, mk_tmp, rm_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
