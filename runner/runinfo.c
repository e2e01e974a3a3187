/* runinfo.c - see runinfo.h. */
#include "runinfo.h"
#include "elfread.h"

#include <openssl/evp.h>
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

void soak_runinfo_host(soak_host_t *h)
{
	memset(h, 0, sizeof(*h));
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10))
			continue;
		const char *v = strchr(line, ':');
		if (!v)
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		snprintf(h->cpu_model, sizeof(h->cpu_model), "%.*s", (int)strcspn(v, "\n"), v);
		h->has_cpu_model = h->cpu_model[0] != '\0';
		break;
	}
	if (f)
		fclose(f);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	h->cpu_cores = n > 0 ? n : 0;
	if ((f = fopen("/proc/meminfo", "re"))) {
		unsigned long long kb;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "MemTotal: %llu kB", &kb) == 1) {
				h->mem_total = (int64_t)kb * 1024;
				break;
			}
		fclose(f);
	}
}

void soak_host_class_default(const soak_host_t *h, const char *cgroup_mode, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%lldc/%lldG/%s", h->has_cpu_model ? h->cpu_model : "unknown-cpu",
		 (long long)h->cpu_cores, (long long)((h->mem_total + (1LL << 29)) >> 30),
		 cgroup_mode ? cgroup_mode : "none");
}

int soak_runinfo_sha256(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int r = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) ? 0 : -ENOMEM;
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	ssize_t n;
	while (r == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0)
			r = errno == EINTR ? 0 : -errno;
		else if (!EVP_DigestUpdate(c, buf, (size_t)n))
			r = -EIO;
	}
	unsigned int len = 0;
	if (r == 0 && (!EVP_DigestFinal_ex(c, md, &len) || len != 32))
		r = -EIO;
	for (unsigned int i = 0; r == 0 && i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(c);
	close(fd);
	return r;
}
