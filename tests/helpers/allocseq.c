/* allocseq - a program with a known allocation sequence, the ground truth of
 * the record/replay tests (tests/integration/test_record.sh):
 *   main:  malloc 100 (A); calloc 10x30 (B); a realloc chain 16 -> 64 -> 256
 *          -> 1024 (C); posix_memalign 64/200 (D); aligned_alloc 256/512 (E);
 *          memalign 128/100 (F)
 *   t1:    malloc 10 x 1000, handed to main; exits early (joined)
 *   t2:    frees B and C (2 cross-thread frees), malloc 5000 and frees it
 *   main:  frees t1's 10 blocks (10 cross-thread frees), then A, D, E, F
 *   then _exit(0) (no atexit, no destructors).
 * Ops: 13 malloc, 1 calloc, 3 realloc, 1 posix_memalign, 1 aligned_alloc,
 * 1 memalign, 17 free. Peak live bytes: when t2 holds its 5000 bytes, after
 * B and C are freed: 100+200+512+100+10000+5000 = 15912, in 15 objects.
 * argv[1]:
 *   "empty"  the same threads, no sequence: what the C library allocates for
 *            them (the tests subtract it);
 *   "hold"   the sequence, then 20000 malloc(32)/free pairs (enough for the
 *            recorder to write a chunk), then waits to be killed (kill -9 test);
 *   "abort", "segv"  the sequence, then abort() or a write through a null
 *            pointer instead of _exit (the recorder's flush on a fatal signal);
 *   "fork"   the sequence, then malloc 50 x 64 and fork: the child frees
 *            those 50 (its parent's blocks), mallocs 5 x 48 and frees them,
 *            _exit(0); the parent waits, frees its 50 and _exit(0)s.
 * Threads are created before the sequence starts and wait on a barrier. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *blocks[10];
static void *b_blk, *c_blk;
static pthread_barrier_t go, t1_done, t2_go;
static int seq = 1;

static void *t1(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	for (int i = 0; i < 10 && seq; i++) {
		blocks[i] = malloc(1000);
		memset(blocks[i], 1, 1000);
	}
	pthread_barrier_wait(&t1_done);
	return NULL;
}

static void *t2(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&go);
	pthread_barrier_wait(&t2_go);
	if (!seq)
		return NULL;
	free(b_blk);
	free(c_blk);
	void *g = malloc(5000);
	memset(g, 2, 5000);
	free(g);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	const char *mode = argc > 1 ? argv[1] : "";
	seq = strcmp(mode, "empty") != 0;
	pthread_barrier_init(&go, NULL, 3);
	pthread_barrier_init(&t1_done, NULL, 2);
	pthread_barrier_init(&t2_go, NULL, 2);
	pthread_create(&a, NULL, t1, NULL);
	pthread_create(&b, NULL, t2, NULL);
	pthread_barrier_wait(&go);
	if (!seq) {
		pthread_barrier_wait(&t1_done);
		pthread_join(a, NULL);
		pthread_barrier_wait(&t2_go);
		pthread_join(b, NULL);
		_exit(0);
	}
	void *A = malloc(100);
	b_blk = calloc(10, 30);
	void *c = malloc(16);
	c = realloc(c, 64);
	c = realloc(c, 256);
	c_blk = realloc(c, 1024);
	void *D, *E, *F;
	if (posix_memalign(&D, 64, 200) != 0)
		return 1;
	E = aligned_alloc(256, 512);
	F = memalign(128, 100);
	pthread_barrier_wait(&t1_done);
	pthread_join(a, NULL);   /* t1 has exited: its blocks are freed here */
	pthread_barrier_wait(&t2_go);
	pthread_join(b, NULL);
	for (int i = 0; i < 10; i++)
		free(blocks[i]);
	free(A);
	free(D);
	free(E);
	free(F);
	if (!strcmp(mode, "fork")) {
		void *y[50], *z[5];
		for (int i = 0; i < 50; i++)
			y[i] = malloc(64);
		pid_t pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 50; i++)
				free(y[i]);
			for (int i = 0; i < 5; i++)
				z[i] = malloc(48);
			for (int i = 0; i < 5; i++)
				free(z[i]);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		for (int i = 0; i < 50; i++)
			free(y[i]);
	}
	if (!strcmp(mode, "abort"))
		abort();
	if (!strcmp(mode, "segv"))
		*(volatile int *)(uintptr_t)argc = 0; /* argc (2) is no valid address */
	if (!strcmp(mode, "hold")) {
		for (int i = 0; i < 20000; i++) {
			void *x = malloc(32);
			__asm__ volatile("" : : "r"(x) : "memory");
			free(x);
		}
		for (;;)
			pause();
	}
	_exit(0);
}
