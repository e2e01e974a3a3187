/* hold MB SECONDS - allocates and touches MB MiB, holds it SECONDS, exits 0.
 * Ground truth for peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hold MB SECONDS\n");
		return 2;
	}
	size_t n = (size_t)atol(argv[1]) << 20;
	char *p = malloc(n);
	if (!p)
		return 1;
	memset(p, 1, n);
	usleep((useconds_t)(atof(argv[2]) * 1e6));
	printf("held %zu bytes\n", n);
	return p[n / 2] == 1 ? 0 : 1;
}
