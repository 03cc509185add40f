/* Per-call cost of getppid(), measured inside the program with
 * CLOCK_MONOTONIC so process startup does not count.
 * Prints "getppid calls=N ns=T ns_per_call=C"; given a BATCH, also
 * "fastest_batch_per_call=F": the ns a call of the fastest BATCH calls in
 * a row, which a preemption on a loaded machine does not reach.
 * usage: getppid [N [BATCH]] */
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
	long batch = argc > 2 ? atol(argv[2]) : 0;
	if (batch <= 0 || batch > n)
		batch = n > 0 ? n : 1;
	volatile pid_t sink = 0;
	pid_t first = getppid();	/* resolves the symbol outside the loop */
	long long fastest = -1, t0 = now_ns(), b0 = t0;
	long i = 0;
	while (i + batch <= n) {
		for (long end = i + batch; i < end; i++)
			sink = getppid();
		long long b1 = now_ns();
		if (fastest < 0 || b1 - b0 < fastest)
			fastest = b1 - b0;
		b0 = b1;
	}
	for (; i < n; i++)	/* what is left of the last batch */
		sink = getppid();
	long long t = now_ns() - t0;
	if (sink != first) {
		fprintf(stderr, "getppid: parent changed under us\n");
		return 1;
	}
	printf("getppid calls=%ld ns=%lld ns_per_call=%.1f", n, t, n ? (double)t / n : 0.0);
	if (argc > 2)
		printf(" fastest_batch_per_call=%.1f", fastest < 0 ? 0.0 : (double)fastest / batch);
	printf("\n");
	return 0;
}
