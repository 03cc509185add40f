/* Threads that open, read and close files under a rule and files out of
 * it, so that fd numbers pass from one to another all the time: a read
 * of a file out of the rule must never take the verdict of one under it,
 * nor the other way round. usage: fdverdict_race GOOD BAD ROUNDS;
 * prints "wrong=N". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *good, *bad;
static long rounds;
static long wrong;

static void *worker(void *arg)
{
	long id = (long)arg;
	for (long i = 0; i < rounds; i++) {
		int under = (i + id) % 2;
		int fd = open(under ? bad : good, O_RDONLY);
		if (fd < 0)
			continue;
		char c;
		ssize_t r = read(fd, &c, 1);
		int failed = r < 0 && errno == EIO;
		if (failed != under)
			__atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	good = argv[1], bad = argv[2], rounds = atol(argv[3]);
	pthread_t t[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("wrong=%ld\n", wrong);
	return 0;
}
