/* Per-call cost of the Chaos hooks, measured inside the program.
 * usage: bench malloc N | write FILE N
 * prints "<what> calls=N ns_per_call=C" */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "malloc")) {
		long n = atol(argv[2]);
		double t0 = now();
		for (long i = 0; i < n; i++) {
			void *volatile p = malloc(64);
			free(p);
		}
		printf("malloc calls=%ld ns_per_call=%.0f\n", n, (now() - t0) / n);
	} else if (!strcmp(argv[1], "write") && argc > 3) {
		long n = atol(argv[3]);
		int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		char c = 'x';
		double t0 = now();
		for (long i = 0; i < n; i++)
			if (pwrite(fd, &c, 1, 0) != 1)
				return 1;
		printf("write calls=%ld ns_per_call=%.0f\n", n, (now() - t0) / n);
		close(fd);
	}
	return 0;
}
