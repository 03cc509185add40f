/* waits MODE SECONDS: waits that long by the program's own clock, in one
 * of the ways a program can, and prints "REAL FAKE_MONO FAKE_WALL": the
 * real seconds it took (times(2)'s tick count, which the clock recipe
 * leaves alone: the system-call layer sees a raw clock_gettime now, and
 * the recipe fakes CLOCK_MONOTONIC_RAW there) and what the program's
 * monotonic and wall clocks say.
 * MODE: sleep usleep nanosleep rel (clock_nanosleep, relative)
 * absmono absreal (clock_nanosleep, TIMER_ABSTIME on that clock) poll */
#define _GNU_SOURCE
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static double raw(void)
{
	struct tms unused;
	return (double)times(&unused) / sysconf(_SC_CLK_TCK);	/* 10 ms ticks */
}

static double get(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec ts_of(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
	return ts;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *mode = argv[1];
	double s = atof(argv[2]);
	/* the clock an absolute wait is not on is read first: its delta then
	 * bounds the other's from above, however long a preemption between
	 * the two readings (x10 turns 5 ms of it into 50) */
	bool mono_last = !strcmp(mode, "absmono");
	double r0 = raw(), w0 = mono_last ? get(CLOCK_REALTIME) : 0, m0 = get(CLOCK_MONOTONIC);
	if (!mono_last)
		w0 = get(CLOCK_REALTIME);
	int rc = 0;
	if (!strcmp(mode, "sleep")) {
		rc = (int)sleep((unsigned)s);
	} else if (!strcmp(mode, "usleep")) {
		rc = usleep((useconds_t)(s * 1e6));
	} else if (!strcmp(mode, "nanosleep")) {
		struct timespec ts = ts_of(s);
		rc = nanosleep(&ts, NULL);
	} else if (!strcmp(mode, "rel")) {
		struct timespec ts = ts_of(s);
		rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	} else if (!strcmp(mode, "absmono")) {
		struct timespec ts = ts_of(m0 + s);
		rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	} else if (!strcmp(mode, "absreal")) {
		struct timespec ts = ts_of(w0 + s);
		rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
	} else if (!strcmp(mode, "poll")) {
		rc = poll(NULL, 0, (int)(s * 1000));
	} else {
		return 2;
	}
	printf("%.3f %.3f %.3f\n", raw() - r0, get(CLOCK_MONOTONIC) - m0, get(CLOCK_REALTIME) - w0);
	return rc != 0;
}
