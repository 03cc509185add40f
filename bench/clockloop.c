/* Per-call cost of clock_gettime(CLOCK_REALTIME), measured inside the
 * program with CLOCK_MONOTONIC (bench/clock.sh runs it bare, under
 * `hijack run --time` and under libfaketime).
 * Prints "clockloop calls=N ns=T ns_per_call=C realtime=S": S is the
 * last reading's seconds, for the caller to see the clock was faked;
 * given a BATCH, also "fastest_batch_per_call=F": the ns a call of the
 * fastest BATCH calls in a row, which a preemption does not reach.
 * usage: clockloop [N [BATCH]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);	/* resolves the symbol outside the loop */
	long long fastest = -1, t0 = now_ns(), b0 = t0;
	long i = 0;
	while (i + batch <= n) {
		for (long end = i + batch; i < end; i++)
			clock_gettime(CLOCK_REALTIME, &ts);
		long long b1 = now_ns();
		if (fastest < 0 || b1 - b0 < fastest)
			fastest = b1 - b0;
		b0 = b1;
	}
	for (; i < n; i++)	/* what is left of the last batch */
		clock_gettime(CLOCK_REALTIME, &ts);
	long long t = now_ns() - t0;
	printf("clockloop calls=%ld ns=%lld ns_per_call=%.1f realtime=%lld", n, t, n ? (double)t / n : 0.0,
	       (long long)ts.tv_sec);
	if (argc > 2)
		printf(" fastest_batch_per_call=%.1f", fastest < 0 ? 0.0 : (double)fastest / batch);
	printf("\n");
	return 0;
}
