/* Clock readings for tests/recipes/clock_fast.sh, printed so that the
 * C way (the Clock's hooks alone) and the Ruby way (a user's hook on the
 * call too) can be compared.
 *   reads wall       the realtime family, one line: clock_gettime of
 *                    REALTIME, REALTIME_COARSE, REALTIME_ALARM and TAI,
 *                    gettimeofday, time (and *tloc), ftime, timespec_get
 *   reads raw        the clock_gettime, gettimeofday and time system calls
 *                    made directly (the system-call layer fakes them)
 *   reads mono       MONOTONIC, MONOTONIC_RAW, MONOTONIC_COARSE, BOOTTIME
 *   reads cpu        PROCESS_CPUTIME after a busy 0.2 s (monotonic)
 *   reads around     REALTIME, a write to stdout, REALTIME (a hook on the
 *                    write reads the Ruby side in between)
 *   reads getppid    REALTIME's seconds, getppid (a hook may stop the VM
 *                    there), REALTIME's seconds
 *   reads fork       REALTIME in the parent, a forked child, the parent
 *   reads exec ARG   execs itself with ARG
 *   reads threads N  N threads reading REALTIME while another calls
 *                    getppid 400 times (a hook may re-configure the clock
 *                    there): the readings, by kind
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static void ts(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	printf(" %lld.%09ld", (long long)t.tv_sec, t.tv_nsec);
}

static void wall(void)
{
	printf("realtime");
	ts(CLOCK_REALTIME);
	ts(CLOCK_REALTIME_COARSE);
	ts(CLOCK_REALTIME_ALARM);
	ts(CLOCK_TAI);
	struct timeval tv;
	gettimeofday(&tv, NULL);
	printf(" tv=%lld.%06ld", (long long)tv.tv_sec, (long)tv.tv_usec);
	time_t tl = 0, t = time(&tl);
	printf(" time=%lld,%lld", (long long)t, (long long)tl);
	struct timeb tb;
	ftime(&tb);
	printf(" ftime=%lld.%03u", (long long)tb.time, tb.millitm);
	struct timespec s;
	timespec_get(&s, TIME_UTC);
	printf(" timespec_get=%lld.%09ld\n", (long long)s.tv_sec, s.tv_nsec);
}

static double now(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static volatile int stop;
static long nthreads;
static long frozen_1e9, moving_2e9, other;
static pthread_mutex_t counts = PTHREAD_MUTEX_INITIALIZER;

static void *reader(void *arg)
{
	(void)arg;
	long a = 0, b = 0, c = 0;
	while (!stop) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		if (t.tv_sec == 1000000000 && t.tv_nsec == 0)
			a++;
		else if (t.tv_sec >= 2000000000 && t.tv_sec < 2000001000 && (t.tv_sec > 2000000000 || t.tv_nsec > 0))
			b++;
		else
			c++;
	}
	pthread_mutex_lock(&counts);
	frozen_1e9 += a, moving_2e9 += b, other += c;
	pthread_mutex_unlock(&counts);
	return NULL;
}

static void *flipper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 400; i++) {
		getppid();
		usleep(50);
	}
	stop = 1;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "wall";
	if (!strcmp(mode, "wall")) {
		wall();
	} else if (!strcmp(mode, "raw")) {
		struct timespec t;
		struct timeval tv;
		time_t tl = 0;
		syscall(SYS_clock_gettime, CLOCK_REALTIME, &t);
		syscall(SYS_gettimeofday, &tv, NULL);
		long r = syscall(SYS_time, &tl);
		printf("raw %lld.%09ld tv=%lld.%06ld time=%ld,%lld\n", (long long)t.tv_sec, t.tv_nsec, (long long)tv.tv_sec,
		       (long)tv.tv_usec, r, (long long)tl);
	} else if (!strcmp(mode, "mono")) {
		printf("mono");
		ts(CLOCK_MONOTONIC);
		ts(CLOCK_MONOTONIC_RAW);
		ts(CLOCK_MONOTONIC_COARSE);
		ts(CLOCK_BOOTTIME);
		printf("\n");
	} else if (!strcmp(mode, "cpu")) {
		double c0 = now(CLOCK_PROCESS_CPUTIME_ID), m0 = now(CLOCK_MONOTONIC);
		while (now(CLOCK_MONOTONIC) - m0 < 0.2)
			;
		printf("cpu %.3f mono %.3f\n", now(CLOCK_PROCESS_CPUTIME_ID) - c0, now(CLOCK_MONOTONIC) - m0);
	} else if (!strcmp(mode, "around")) {
		double a = now(CLOCK_REALTIME);
		printf("between\n");
		fflush(stdout);
		printf("before %.6f after %.6f\n", a, now(CLOCK_REALTIME));
	} else if (!strcmp(mode, "getppid")) {
		long a = (long)now(CLOCK_REALTIME);
		getppid();
		printf("%ld %ld\n", a, (long)now(CLOCK_REALTIME));
	} else if (!strcmp(mode, "fork")) {
		double p1 = now(CLOCK_REALTIME);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			printf("child %.9f\n", now(CLOCK_REALTIME));
			return 0;
		}
		waitpid(pid, NULL, 0);
		printf("parent %.9f %.9f\n", p1, now(CLOCK_REALTIME));
	} else if (!strcmp(mode, "exec") && argc > 2) {
		execl("/proc/self/exe", argv[0], argv[2], (char *)NULL);
		perror("exec");
		return 1;
	} else if (!strcmp(mode, "threads") && argc > 2) {
		nthreads = atol(argv[2]);
		pthread_t r[64], f;
		pthread_create(&f, NULL, flipper, NULL);
		for (long i = 0; i < nthreads && i < 64; i++)
			pthread_create(&r[i], NULL, reader, NULL);
		pthread_join(f, NULL);
		for (long i = 0; i < nthreads && i < 64; i++)
			pthread_join(r[i], NULL);
		printf("frozen %ld moving %ld other %ld\n", frozen_1e9, moving_2e9, other);
	} else {
		fprintf(stderr, "usage: reads wall|raw|mono|cpu|around|getppid|fork|exec ARG|threads N\n");
		return 2;
	}
	return 0;
}
