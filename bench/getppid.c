/* Per-call cost of getppid(), measured inside the program with
 * CLOCK_MONOTONIC so process startup does not count.
 * Prints "getppid calls=N ns=T ns_per_call=C".
 * usage: getppid [N] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	volatile pid_t sink = 0;
	pid_t first = getppid();	/* resolves the symbol outside the loop */
	long long t0 = now_ns();
	for (long i = 0; i < n; i++)
		sink = getppid();
	long long t = now_ns() - t0;
	if (sink != first) {
		fprintf(stderr, "getppid: parent changed under us\n");
		return 1;
	}
	printf("getppid calls=%ld ns=%lld ns_per_call=%.1f\n", n, t, n ? (double)t / n : 0.0);
	return 0;
}
