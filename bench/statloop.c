/* Per-call cost of stat(PATH), measured inside the program with
 * CLOCK_MONOTONIC (bench/fsmap.sh runs it bare, under
 * `hijack run --redirect FROM=TO` and the same with a Ruby hook).
 * Prints "statloop calls=N ns=T ns_per_call=C size=S": S is the last
 * stat's st_size (-1 when it failed), for the caller to see which file it
 * reached; given a BATCH, also "fastest_batch_per_call=F": the ns a call
 * of the fastest BATCH calls in a row, which a preemption does not reach.
 * usage: statloop PATH [N [BATCH]] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: statloop PATH [N [BATCH]]\n");
		return 2;
	}
	const char *path = argv[1];
	long n = argc > 2 ? atol(argv[2]) : 100000;
	long batch = argc > 3 ? atol(argv[3]) : 0;
	if (batch <= 0 || batch > n)
		batch = n > 0 ? n : 1;
	struct stat st;
	int r = stat(path, &st);	/* resolves the symbol outside the loop */
	long long fastest = -1, t0 = now_ns(), b0 = t0;
	long i = 0;
	while (i + batch <= n) {
		for (long end = i + batch; i < end; i++)
			r = stat(path, &st);
		long long b1 = now_ns();
		if (fastest < 0 || b1 - b0 < fastest)
			fastest = b1 - b0;
		b0 = b1;
	}
	for (; i < n; i++)	/* what is left of the last batch */
		r = stat(path, &st);
	long long t = now_ns() - t0;
	printf("statloop calls=%ld ns=%lld ns_per_call=%.1f size=%lld", n, t, n ? (double)t / n : 0.0,
	       r == 0 ? (long long)st.st_size : -1LL);
	if (argc > 3)
		printf(" fastest_batch_per_call=%.1f", fastest < 0 ? 0.0 : (double)fastest / batch);
	printf("\n");
	return 0;
}
