/* cghost.c - the host's cgroup hierarchy and the placement names; see cghost.h. */
#include "cghost.h"

#include <errno.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>

int soak_cg_fs_version(const char *path)
{
	struct statfs s;
	if (statfs(path, &s) < 0)
		return -errno;
	if (s.f_type == CGROUP2_SUPER_MAGIC)
		return 2;
	return s.f_type == CGROUP_SUPER_MAGIC ? 1 : 0;
}

int soak_cg_libcgroup_ready(char *why, size_t whylen)
{
	static int done, rc;
	if (!done) {
		rc = cgroup_init();
		done = 1;
	}
	if (rc) {
		if (why && whylen)
			snprintf(why, whylen, "libcgroup cannot initialise: %s", cgroup_strerror(rc));
		return -ENODEV;
	}
	return 0;
}

int soak_cg_detect(soak_cg_mode_t *ret, char *why, size_t whylen)
{
	if (soak_cg_fs_version(SOAK_CG_V2_ROOT) == 2) {
		*ret = SOAK_CG_V2;
		return 0;
	}
	char *mnt = NULL;
	int r = soak_cg_libcgroup_ready(why, whylen);
	if (r < 0)
		return r;
	if (cgroup_get_subsys_mount_point("memory", &mnt) != 0) {
		snprintf(why, whylen, "no memory cgroup controller is mounted");
		return -ENODEV;
	}
	free(mnt);
	*ret = soak_cg_fs_version(SOAK_CG_UNIFIED_HYBRID) == 2 ? SOAK_CG_HYBRID : SOAK_CG_V1;
	return 0;
}

const char *soak_place_how_name(soak_place_how_t how)
{
	switch (how) {
	case SOAK_PLACE_OWN: return "own";
	case SOAK_PLACE_LEAF_MOVE: return "leaf-move";
	case SOAK_PLACE_SYSTEMD_SCOPE: return "systemd-scope";
	case SOAK_PLACE_CGROUP_PARENT: return "cgroup-parent";
	default: return "none";
	}
}
