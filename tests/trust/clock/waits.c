/* waits MODE SECONDS: waits SECONDS by the program's own clock, in one of
 * the ways below, and prints "REAL RESULT": the real seconds it took
 * (times(2)'s tick count, which the clock recipe leaves alone: the
 * system-call layer sees a raw clock_gettime now, and the recipe fakes
 * CLOCK_MONOTONIC_RAW there) and "ok"
 * when the wait ended as it should (timed out, the timer fired), else
 * what went wrong.
 *
 * Deadlines (absolute): cond (pthread_cond_timedwait, a default condition
 * variable: CLOCK_REALTIME), condmono (one made with CLOCK_MONOTONIC),
 * clockwait (pthread_cond_clockwait, CLOCK_REALTIME), sem (sem_timedwait),
 * semclock (sem_clockwait, CLOCK_REALTIME), tfdabs (a CLOCK_REALTIME
 * timerfd, TFD_TIMER_ABSTIME), tfdmono (the same on CLOCK_MONOTONIC),
 * timer (timer_create CLOCK_REALTIME, timer_settime TIMER_ABSTIME),
 * mutex, rwlock, join (pthread_mutex_timedlock, pthread_rwlock_timedwrlock,
 * pthread_timedjoin_np: CLOCK_REALTIME), mutexmono (pthread_mutex_clocklock
 * on CLOCK_MONOTONIC).
 * Timeouts (relative): tfdrel (a CLOCK_MONOTONIC timerfd), tfdint (a timerfd firing every SECONDS/2,
 * read until it fired twice), timerrel, select, pselect, ppoll,
 * epoll_pwait, epoll_pwait2, sigtimedwait, alarm (whole seconds).
 * Readings: ftime, timespec_get print the seconds they read; tfdget arms
 * a timerfd for SECONDS and prints what timerfd_gettime says is left. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timeb.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static double raw(void)
{
	struct tms unused;
	return (double)times(&unused) / sysconf(_SC_CLK_TCK);	/* 10 ms ticks */
}

static struct timespec rel(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
	return ts;
}

/* the clock id's reading now, plus s */
static struct timespec ahead(clockid_t id, double s)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return rel(ts.tv_sec + ts.tv_nsec / 1e9 + s);
}

static const char *timed_out(int r) { return r == ETIMEDOUT ? "ok" : strerror(r); }

static const char *cond(const char *mode, double s)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	clockid_t id = CLOCK_REALTIME;
	if (!strcmp(mode, "condmono")) {
		pthread_condattr_t a;
		pthread_condattr_init(&a);
		pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		pthread_cond_init(&cv, &a);
		id = CLOCK_MONOTONIC;
	}
	struct timespec d = ahead(id, s);
	pthread_mutex_lock(&mu);
	int r = !strcmp(mode, "clockwait") ? pthread_cond_clockwait(&cv, &mu, CLOCK_REALTIME, &d)
		: pthread_cond_timedwait(&cv, &mu, &d);
	pthread_mutex_unlock(&mu);
	return timed_out(r);
}

static const char *sem(const char *mode, double s)
{
	sem_t sem;
	sem_init(&sem, 0, 0);
	struct timespec d = ahead(CLOCK_REALTIME, s);
	int r = !strcmp(mode, "semclock") ? sem_clockwait(&sem, CLOCK_REALTIME, &d) : sem_timedwait(&sem, &d);
	return timed_out(r ? errno : 0);
}

static const char *tfd(const char *mode, double s)
{
	clockid_t id = !strcmp(mode, "tfdmono") || !strcmp(mode, "tfdrel") ? CLOCK_MONOTONIC : CLOCK_REALTIME;
	int fd = timerfd_create(id, 0), flags = 0, want = 1;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	if (!strcmp(mode, "tfdrel") || !strcmp(mode, "tfdget")) {
		its.it_value = rel(s);
	} else if (!strcmp(mode, "tfdint")) {
		its.it_value = its.it_interval = rel(s / 2);
		want = 2;
	} else {
		its.it_value = ahead(id, s);
		flags = TFD_TIMER_ABSTIME;
	}
	if (timerfd_settime(fd, flags, &its, NULL))
		return strerror(errno);
	if (!strcmp(mode, "tfdget")) {
		timerfd_gettime(fd, &its);
		static char left[32];
		snprintf(left, sizeof left, "%.1f", its.it_value.tv_sec + its.it_value.tv_nsec / 1e9);
		return left;
	}
	for (unsigned long long n, fired = 0; fired < (unsigned long long)want; fired += n)
		if (read(fd, &n, sizeof n) != sizeof n)
			return strerror(errno);
	return "ok";
}

static const char *timer(const char *mode, double s)
{
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
	timer_t t;
	if (timer_create(CLOCK_REALTIME, &ev, &t))
		return strerror(errno);
	bool abs = !strcmp(mode, "timer");
	struct itimerspec its = { { 0, 0 }, abs ? ahead(CLOCK_REALTIME, s) : rel(s) };
	if (timer_settime(t, abs ? TIMER_ABSTIME : 0, &its, NULL))
		return strerror(errno);
	int sig;
	sigwait(&ss, &sig);
	return "ok";
}

/* locks held and a thread that never ends: each wait times out */
static void *forever(void *arg) { for (;;) pause(); return arg; }
static const char *lock(const char *mode, double s)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
	bool mono = !strcmp(mode, "mutexmono");
	struct timespec d = ahead(mono ? CLOCK_MONOTONIC : CLOCK_REALTIME, s);
	if (!strcmp(mode, "rwlock")) {
		pthread_rwlock_rdlock(&rw);
		return timed_out(pthread_rwlock_timedwrlock(&rw, &d));
	}
	if (!strcmp(mode, "join")) {
		pthread_t th;
		pthread_create(&th, NULL, forever, NULL);
		return timed_out(pthread_timedjoin_np(th, NULL, &d));
	}
	pthread_mutex_lock(&mu);
	return timed_out(mono ? pthread_mutex_clocklock(&mu, CLOCK_MONOTONIC, &d) : pthread_mutex_timedlock(&mu, &d));
}

static void ring(int sig) { (void)sig; }

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	const char *m = argv[1], *res = "ok";
	double s = atof(argv[2]), r0 = raw();
	if (!strcmp(m, "ftime")) {
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
		struct timeb tb;
		ftime(&tb);
		printf("%ld\n", (long)tb.time);
		return 0;
	} else if (!strcmp(m, "timespec_get")) {
		struct timespec ts;
		timespec_get(&ts, TIME_UTC);
		printf("%ld\n", (long)ts.tv_sec);
		return 0;
	} else if (!strncmp(m, "cond", 4) || !strcmp(m, "clockwait")) {
		res = cond(m, s);
	} else if (!strncmp(m, "sem", 3)) {
		res = sem(m, s);
	} else if (!strncmp(m, "tfd", 3)) {
		res = tfd(m, s);
	} else if (!strncmp(m, "timer", 5)) {
		res = timer(m, s);
	} else if (!strncmp(m, "mutex", 5) || !strcmp(m, "rwlock") || !strcmp(m, "join")) {
		res = lock(m, s);
	} else if (!strcmp(m, "sigtimedwait")) {
		sigset_t ss;
		sigemptyset(&ss);
		sigaddset(&ss, SIGUSR2);
		sigprocmask(SIG_BLOCK, &ss, NULL);
		struct timespec ts = rel(s);
		res = sigtimedwait(&ss, NULL, &ts) == -1 && errno == EAGAIN ? "ok" : "a signal came";
	} else if (!strcmp(m, "select")) {
		struct timeval tv = { (time_t)s, (long)((s - (time_t)s) * 1e6) };
		res = select(0, NULL, NULL, NULL, &tv) == 0 ? "ok" : strerror(errno);
	} else if (!strcmp(m, "pselect")) {
		struct timespec ts = rel(s);
		res = pselect(0, NULL, NULL, NULL, &ts, NULL) == 0 ? "ok" : strerror(errno);
	} else if (!strcmp(m, "ppoll")) {
		struct timespec ts = rel(s);
		res = ppoll(NULL, 0, &ts, NULL) == 0 ? "ok" : strerror(errno);
	} else if (!strcmp(m, "epoll_pwait") || !strcmp(m, "epoll_pwait2")) {
		int ep = epoll_create1(0);
		struct epoll_event ev;
		struct timespec ts = rel(s);
		int r = m[11] ? epoll_pwait2(ep, &ev, 1, &ts, NULL) : epoll_pwait(ep, &ev, 1, (int)(s * 1000), NULL);
		res = r == 0 ? "ok" : strerror(errno);
	} else if (!strcmp(m, "alarm")) {
		signal(SIGALRM, ring);
		alarm((unsigned)s);
		pause();
	} else {
		return 2;
	}
	printf("%.3f %s\n", raw() - r0, res);
	return 0;
}
