/* runinfo.c - see runinfo.h. */
#include "runinfo.h"
#include "elfread.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int soak_runinfo_maps_has(pid_t pid, const char *path)
{
	char p[64], line[4608];
	snprintf(p, sizeof(p), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	int found = 0;
	size_t plen = strlen(path);
	while (!found && fgets(line, sizeof(line), f)) {
		size_t l = strcspn(line, "\n");
		line[l] = '\0';
		found = l >= plen && !strcmp(line + l - plen, path);
	}
	fclose(f);
	return found;
}

int soak_runinfo_is_static(const char *path)
{
	return soak_elf_is_static(path);
}
