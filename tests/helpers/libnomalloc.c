/*
 * libnomalloc.c - a shared library that does NOT define malloc or free. Given
 * to the runner as an "allocator", it loads fine under LD_PRELOAD, but the
 * worker reports glibc as the provider of malloc: the allocator-mismatch test
 * expects the run to stop with status allocator-mismatch.
 */
int soak_nomalloc_marker(void);

int soak_nomalloc_marker(void)
{
	return 42;
}
