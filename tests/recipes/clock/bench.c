/* ns per clock_gettime call: bench CLOCKID [N]; the loop is timed with
 * this thread's CPU clock, which the clock recipe leaves alone (the
 * system-call layer sees a raw clock_gettime of CLOCK_MONOTONIC_RAW now,
 * and the recipe fakes it): the loop only computes, so its CPU time is
 * what it costs, whatever else the machine runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double raw_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	clockid_t id = argc > 1 ? atoi(argv[1]) : CLOCK_REALTIME;
	long n = argc > 2 ? atol(argv[2]) : 1000000;
	struct timespec ts;
	double t0 = raw_now();
	for (long i = 0; i < n; i++)
		clock_gettime(id, &ts);
	double t1 = raw_now();
	printf("%.1f\n", (t1 - t0) * 1e9 / n);
	return 0;
}
