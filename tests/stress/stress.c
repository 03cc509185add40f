/* The stress program: one mode per case, each a real process making its
 * calls through libc, so that a preloaded libhijack sees them.
 *
 *   stress MODE [ARGS...]
 *
 * Each mode prints what it measured on stdout, one "key=value" line, and
 * exits 0 when its own checks passed (the runner checks the script's side
 * through Hijack.log lines in the trace output). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static pid_t real_ppid;		/* the parent as the kernel says, without a getppid call
				 * (hijack now sees even raw ones): /proc/self/stat */
static atomic_long bad;		/* wrong results seen anywhere */
static int devnull = -1;

static void check_ppid(void)
{
	if (getppid() != real_ppid)
		atomic_fetch_add(&bad, 1);
}

static pthread_t start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, arg)) {
		perror("pthread_create");
		exit(99);
	}
	return t;
}

static void timer_us(long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };
	setitimer(ITIMER_REAL, &it, NULL);
}

static void on_signal(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* ---- 1. threads: N threads x M hooked calls ---- */

static long per_thread;

static void *spin_ppid(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++)
		check_ppid();
	return NULL;
}

static int mode_threads(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 16;
	per_thread = argc > 3 ? atol(argv[3]) : 100000;
	pthread_t t[256];
	double t0 = now();
	for (int i = 0; i < n; i++)
		t[i] = start(spin_ppid, NULL);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("threads=%d calls=%ld elapsed=%.3f bad=%ld\n", n, n * per_thread, now() - t0, bad);
	return bad != 0;
}

/* ---- 2. a delayed call on one thread, hooked calls on another ---- */

static double delayed_start, delayed_end, other_end;
static atomic_int delayed_entered;

static void *delayed(void *arg)
{
	(void)arg;
	delayed_start = now();
	atomic_store(&delayed_entered, 1);
	getpid();			/* the script delays this one */
	delayed_end = now();
	return NULL;
}

static void *others(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < n; i++)
		check_ppid();
	other_end = now();
	return NULL;
}

static int mode_delay(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 20000;
	pthread_t a = start(delayed, NULL);
	while (!atomic_load(&delayed_entered))
		sched_yield();
	sleep_ms(100);			/* let it get into its delay */
	pthread_t b = start(others, (void *)n);
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	printf("delayed=%.3f others_done_at=%.3f others_first=%d bad=%ld\n", delayed_end - delayed_start,
	       other_end - delayed_start, other_end < delayed_end, bad);
	return bad != 0;
}

/* ---- 3. a read blocked on an empty pipe, hooked calls elsewhere ---- */

static int pipefd[2];
static char got[16];
static ssize_t got_n;
static double read_done;

static void *blocked_reader(void *arg)
{
	(void)arg;
	got_n = read(pipefd[0], got, sizeof got - 1);
	read_done = now();
	return NULL;
}

static int mode_blockread(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 20000;
	if (pipe(pipefd))
		return 99;
	pthread_t a = start(blocked_reader, NULL);
	sleep_ms(200);			/* it is in read() by now */
	double t0 = now();
	pthread_t b = start(others, (void *)n);
	pthread_join(b, NULL);
	double others_done = now();
	if (write(pipefd[1], "go", 2) != 2)
		return 98;
	pthread_join(a, NULL);
	printf("read=%zd data=%s others=%ld others_took=%.3f released_after_others=%d bad=%ld\n", got_n,
	       got_n > 0 ? got : "", n, others_done - t0, read_done >= others_done, bad);
	return bad != 0 || got_n != 2;
}

/* ---- 4. signals ---- */

static atomic_long sigs;
static volatile sig_atomic_t stop;

/* a handler that makes hooked calls */
static void hooked_handler(int sig)
{
	(void)sig;
	int e = errno;
	atomic_fetch_add(&sigs, 1);
	if (write(devnull, "x", 1) != 1)
		atomic_fetch_add(&bad, 1);
	check_ppid();
	errno = e;
}

static void write_handler(int sig)
{
	(void)sig;
	int e = errno;
	atomic_fetch_add(&sigs, 1);
	if (write(devnull, "x", 1) != 1)
		atomic_fetch_add(&bad, 1);
	errno = e;
}

static void ppid_handler(int sig)
{
	(void)sig;
	int e = errno;
	atomic_fetch_add(&sigs, 1);
	check_ppid();
	errno = e;
}

static void after_calls(long n)
{
	for (long i = 0; i < n; i++)
		check_ppid();
}

/* (a) the signal lands on the thread that is inside a (slow) Ruby hook */
static int mode_sig_self(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 20;
	on_signal(SIGALRM, hooked_handler, SA_RESTART);
	timer_us(300);
	for (int i = 0; i < n; i++)
		getpid();		/* a slow hook: a busy loop in Ruby */
	timer_us(0);
	long s = atomic_load(&sigs);
	after_calls(1000);
	printf("getpid=%d sigs=%ld bad=%ld\n", n, s, bad);
	return bad != 0 || s == 0;
}

/* (b) the signal lands on another thread while one is inside Ruby */
static atomic_int slow_done;
static atomic_long loops;

static void *slow_hooks(void *arg)
{
	int n = (int)(long)arg;
	for (int i = 0; i < n; i++)
		getpid();
	atomic_store(&slow_done, 1);
	return NULL;
}

static atomic_int busy_stop;

static void *busy_ppid(void *arg)
{
	(void)arg;
	while (!atomic_load(&busy_stop)) {
		check_ppid();
		atomic_fetch_add(&loops, 1);
	}
	return NULL;
}

static int mode_sig_other(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 20;
	on_signal(SIGUSR1, hooked_handler, SA_RESTART);
	pthread_t a = start(slow_hooks, (void *)(long)n);
	pthread_t b = start(busy_ppid, NULL);
	long sent = 0;
	/* on a loaded machine this thread may not run again before the slow
	 * hooks end: the busy thread goes on until a signal has reached it */
	while (!atomic_load(&slow_done) || (!atomic_load(&sigs) && sent < 5000)) {
		pthread_kill(b, SIGUSR1);
		sent++;
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
	pthread_join(a, NULL);
	atomic_store(&busy_stop, 1);
	pthread_join(b, NULL);
	long s = atomic_load(&sigs);
	after_calls(1000);
	printf("getpid=%d loops=%ld sent=%ld sigs=%ld bad=%ld\n", n, loops, sent, s, bad);
	return bad != 0 || s == 0;
}

/* (c) signals while a hooked read blocks */
static void *late_writer(void *arg)
{
	(void)arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* the reader gets them all */
	sleep_ms(500);
	if (write(pipefd[1], "go", 2) != 2)
		atomic_fetch_add(&bad, 1);
	return NULL;
}

static int mode_sig_read(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (pipe(pipefd))
		return 99;
	on_signal(SIGALRM, ppid_handler, SA_RESTART);
	pthread_t w = start(late_writer, NULL);
	timer_us(1000);
	char buf[8] = "";
	ssize_t r = read(pipefd[0], buf, sizeof buf - 1);
	timer_us(0);
	pthread_join(w, NULL);
	long s = atomic_load(&sigs);
	/* and without SA_RESTART: the read sees EINTR, the script still works */
	on_signal(SIGALRM, ppid_handler, 0);
	timer_us(20000);
	char b2[4];
	ssize_t r2 = read(pipefd[0], b2, sizeof b2);
	int e2 = errno;
	timer_us(0);
	after_calls(1000);
	printf("read=%zd data=%s sigs=%ld eintr=%d bad=%ld\n", r, buf, s, r2 < 0 && e2 == EINTR, bad);
	return bad != 0 || r != 2 || s == 0;
}

/* A storm: a timer at 100 us during 1 s of hooked calls on 3 threads. */
static atomic_long storm_calls;

static void *storm_worker(void *arg)
{
	double end = *(double *)arg;
	long n = 0;
	while (!stop) {
		for (int i = 0; i < 100; i++)
			check_ppid();
		n += 100;
		if (now() > end)
			break;
	}
	atomic_fetch_add(&storm_calls, n);
	return NULL;
}

static int mode_storm(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	on_signal(SIGALRM, write_handler, SA_RESTART);
	double end = now() + secs;
	timer_us(100);
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		t[i] = start(storm_worker, &end);
	storm_worker(&end);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	timer_us(0);
	long s = atomic_load(&sigs);
	printf("calls=%ld sigs=%ld bad=%ld\n", storm_calls, s, bad);
	return bad != 0 || s == 0;
}

/* A signal that lands while the program itself is inside malloc(): a
 * handler that makes an async-signal-safe call (getppid) must not hang. */
static int mode_sig_malloc(int argc, char **argv)
{
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	on_signal(SIGALRM, ppid_handler, SA_RESTART);
	double end = now() + secs;
	timer_us(100);
	long n = 0;
	unsigned r = 1;
	void *keep[64] = { 0 };
	while (now() < end) {
		for (int i = 0; i < 64; i++) {
			r = r * 1103515245u + 12345u;
			size_t size = 2000 + (r >> 8) % 60000;	/* past the tcache: the arena lock */
			free(keep[i]);
			keep[i] = malloc(size);
			memset(keep[i], 1, 64);
			n++;
		}
	}
	timer_us(0);
	for (int i = 0; i < 64; i++)
		free(keep[i]);
	printf("mallocs=%ld sigs=%ld bad=%ld\n", n, atomic_load(&sigs), bad);
	return bad != 0;
}

/* A thread with a small stack makes hooked calls. */
static void *small_stack_calls(void *arg)
{
	(void)arg;
	for (int i = 0; i < 100; i++)
		check_ppid();
	if (write(devnull, "x", 1) != 1)
		atomic_fetch_add(&bad, 1);
	return NULL;
}

static int mode_smallstack(int argc, char **argv)
{
	size_t kb = argc > 2 ? (size_t)atol(argv[2]) : 64;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	if (pthread_attr_setstacksize(&attr, kb * 1024)) {
		printf("stack=%zuKB refused\n", kb);
		return 97;
	}
	pthread_t t;
	if (pthread_create(&t, &attr, small_stack_calls, NULL))
		return 99;
	pthread_join(t, NULL);
	printf("stack=%zuKB bad=%ld\n", kb, bad);
	return bad != 0;
}

/* A handler on an alternate signal stack makes a hooked write: of
 * SIGSTKSZ (as most programs size it), of N KB, or "roomy": SIGSTKSZ for
 * the signal frame and 64 KB more, enough for the dispatch on any CPU
 * (the frame of an AVX-512 machine takes most of a SIGSTKSZ stack). */
static int mode_altstack(int argc, char **argv)
{
	size_t size = SIGSTKSZ;
	if (argc > 2)
		size = !strcmp(argv[2], "roomy") ? SIGSTKSZ + 64 * 1024 : (size_t)atol(argv[2]) * 1024;
	stack_t ss = { .ss_sp = malloc(size), .ss_size = size };
	if (sigaltstack(&ss, NULL))
		return 99;
	on_signal(SIGUSR1, hooked_handler, SA_ONSTACK);
	for (int i = 0; i < 10; i++)
		raise(SIGUSR1);
	printf("altstack=%zu sigs=%ld bad=%ld\n", size, atomic_load(&sigs), bad);
	return bad != 0;
}

/* Threads still making hooked calls while main() returns. */
static void *forever_ppid(void *arg)
{
	(void)arg;
	for (;;) {
		check_ppid();
		if (write(devnull, "x", 1) != 1)
			atomic_fetch_add(&bad, 1);
	}
	return NULL;
}

static int mode_exit_busy(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (int i = 0; i < 4; i++)
		start(forever_ppid, NULL);
	sleep_ms(100);
	printf("exiting bad=%ld\n", bad);
	fflush(stdout);
	exit(bad ? 1 : 7);
}

/* fork() from a signal handler that lands while its thread is inside a
 * (slow) Ruby hook: the child runs and the parent goes on. */
static atomic_long forked;

static void fork_handler(int sig)
{
	(void)sig;
	int e = errno;
	atomic_fetch_add(&sigs, 1);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	if (p > 0 && waitpid(p, NULL, 0) == p)
		atomic_fetch_add(&forked, 1);
	errno = e;
}

static int mode_sig_fork(int argc, char **argv)
{
	long want = argc > 2 ? atol(argv[2]) : 3;
	on_signal(SIGALRM, fork_handler, SA_RESTART);
	/* 20 ms, not 5: on a loaded 2-core machine fork + wait in the handler
	 * alone takes 5 ms at the median (measured without hijack), and a
	 * handler that outlasts the period leaves the interrupted code no
	 * instruction between signals: the slow hook starved, not hung */
	timer_us(20000);
	long n = 0;
	double end = now() + 10;
	while (atomic_load(&forked) < want && now() < end) {
		getpid();		/* a slow hook: a busy loop in Ruby */
		n++;
	}
	timer_us(0);
	after_calls(1000);
	printf("getpid=%ld sigs=%ld forked=%ld bad=%ld\n", n, atomic_load(&sigs), atomic_load(&forked), bad);
	return bad != 0 || forked < want;
}

/* exit() from a signal handler (a SIGTERM handler's usual way out) that
 * lands while its thread is inside a (slow) Ruby hook */
static void exit_handler(int sig)
{
	(void)sig;
	exit(3);
}

static int mode_sig_exit(int argc, char **argv)
{
	(void)argc, (void)argv;
	on_signal(SIGALRM, exit_handler, 0);
	timer_us(30000);
	for (;;)
		getpid();
	return 1;
}

/* fork() in a loop while a timer's handler makes hooked calls: a signal
 * may land in fork's own atfork handlers. */
static int mode_fork_storm(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 300;
	on_signal(SIGALRM, ppid_handler, SA_RESTART);
	timer_us(100);
	int fails = 0;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0)
			_exit(0);
		int ws;
		while (waitpid(p, &ws, 0) < 0 && errno == EINTR)
			;
		fails += !(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
		check_ppid();
	}
	timer_us(0);
	printf("forks=%d fails=%d sigs=%ld bad=%ld\n", n, fails, atomic_load(&sigs), bad);
	return bad != 0 || fails;
}

/* A thread cancelled while blocked in a hooked read; the others go on. */
static void *cancel_reader(void *arg)
{
	(void)arg;
	char b[4];
	for (;;)
		if (read(pipefd[0], b, sizeof b) < 0)
			atomic_fetch_add(&bad, 1);
	return NULL;
}

static int mode_cancel(int argc, char **argv)
{
	(void)argc, (void)argv;
	if (pipe(pipefd))
		return 99;
	int cancelled = 0;
	for (int i = 0; i < 20; i++) {
		pthread_t t = start(cancel_reader, NULL);
		sleep_ms(5);
		pthread_cancel(t);
		void *res;
		pthread_join(t, &res);
		cancelled += res == PTHREAD_CANCELED;
	}
	after_calls(1000);
	printf("cancelled=%d bad=%ld\n", cancelled, bad);
	return bad != 0 || cancelled != 20;
}

/* alarm-and-siglongjmp timeouts around a hooked blocking read, as old C
 * code does them */
#include <setjmp.h>
static sigjmp_buf jump;

static void jump_handler(int sig)
{
	(void)sig;
	atomic_fetch_add(&sigs, 1);
	siglongjmp(jump, 1);
}

static int mode_longjmp(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 50;
	if (pipe(pipefd))
		return 99;
	on_signal(SIGALRM, jump_handler, 0);
	int timeouts = 0;
	for (int i = 0; i < n; i++) {
		if (sigsetjmp(jump, 1)) {
			timeouts++;
			continue;
		}
		struct itimerval it = { { 0, 0 }, { 0, 2000 } };	/* once, in 2 ms */
		setitimer(ITIMER_REAL, &it, NULL);
		char b[4];
		read(pipefd[0], b, sizeof b);
		atomic_fetch_add(&bad, 1);	/* never: the pipe stays empty */
	}
	on_signal(SIGALRM, SIG_IGN, 0);
	after_calls(1000);
	printf("timeouts=%d bad=%ld\n", timeouts, bad);
	return bad != 0 || timeouts != n;
}

/* ---- 5. calls through dlsym'd pointers ---- */

static int mode_dlsym(int argc, char **argv)
{
	const char *file = argc > 2 ? argv[2] : "/etc/hostname";
	int fails = 0;
	void *handles[] = { RTLD_NEXT, RTLD_DEFAULT };
	const char *names[] = { "RTLD_NEXT", "RTLD_DEFAULT" };
	for (int h = 0; h < 2; h++) {
		int (*o)(const char *, int, ...) = dlsym(handles[h], "open");
		ssize_t (*r)(int, void *, size_t) = dlsym(handles[h], "read");
		int (*c)(int) = dlsym(handles[h], "close");
		pid_t (*pp)(void) = dlsym(handles[h], "getppid");
		void *(*m)(size_t) = dlsym(handles[h], "malloc");
		void (*f)(void *) = dlsym(handles[h], "free");
		if (!o || !r || !c || !pp || !m || !f) {
			printf("%s: dlsym failed\n", names[h]);
			fails++;
			continue;
		}
		char buf[64] = "";
		int fd = o(file, O_RDONLY);
		ssize_t n = fd >= 0 ? r(fd, buf, sizeof buf - 1) : -1;
		int cr = fd >= 0 ? c(fd) : -1;
		char *p = m(100);
		if (p)
			strcpy(p, "mem");
		int ok = fd >= 0 && n > 0 && !strncmp(buf, "dlsym-data", 10) && cr == 0 && pp() == real_ppid && p && !strcmp(p, "mem");
		f(p);
		printf("%s %s\n", names[h], ok ? "ok" : "WRONG");
		fails += !ok;
	}
	return fails;
}

/* ---- 9. children: fork, vfork, posix_spawn, exec with a bare environment ---- */

static void role(const char *name)
{
	getppid();		/* the hooked call each process makes */
	char line[128];
	int n = snprintf(line, sizeof line, "role %s pid %d\n", name, getpid());
	if (write(1, line, (size_t)n) != n)
		_exit(96);
}

static int mode_child(int argc, char **argv)
{
	role(argc > 2 ? argv[2] : "?");
	return 0;
}

static int wait_ok(pid_t pid)
{
	int ws;
	if (waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws) || WEXITSTATUS(ws)) {
		fprintf(stderr, "child %d failed: %#x\n", pid, ws);
		return 1;
	}
	return 0;
}

static int mode_spawn(int argc, char **argv)
{
	(void)argc, (void)argv;
	char self[4096], cmd[4200];
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		return 99;
	self[len] = 0;
	char *const noenv[] = { NULL };
	char *const pathonly[] = { "PATH=/usr/bin:/bin", NULL };
	int fails = 0;
	role("parent");

	pid_t p = fork();
	if (p == 0) {
		role("fork");
		exit(0);	/* exit, not _exit: at_exit blocks run here too */
	}
	fails += wait_ok(p);

	p = vfork();
	if (p == 0) {
		execve("/proc/self/exe", (char *const[]){ "stress", "child", "vfork-execve-noenv", NULL }, noenv);
		_exit(95);
	}
	fails += wait_ok(p);

	p = fork();
	if (p == 0) {
		execle("/proc/self/exe", "stress", "child", "fork-execle-pathonly", (char *)NULL, pathonly);
		_exit(95);
	}
	fails += wait_ok(p);

	p = fork();
	if (p == 0) {
		/* the program empties its own environ, then execv */
		clearenv();
		execv("/proc/self/exe", (char *const[]){ "stress", "child", "fork-clearenv-execv", NULL });
		_exit(95);
	}
	fails += wait_ok(p);

	if (posix_spawn(&p, "/proc/self/exe", NULL, NULL,
			(char *const[]){ "stress", "child", "posix_spawn-pathonly", NULL }, pathonly) == 0)
		fails += wait_ok(p);
	else
		fails++;

	if (posix_spawnp(&p, "sh", NULL, NULL,
			 (char *const[]){ "sh", "-c", "exec \"$0\" child posix_spawnp-sh", self, NULL }, environ) == 0)
		fails += wait_ok(p);
	else
		fails++;

	snprintf(cmd, sizeof cmd, "exec '%s' child system", self);
	int st = system(cmd);
	fails += st != 0;

	fflush(stdout);
	if (fails)
		return fails;
	/* last: this process becomes another image, with no environment */
	execve("/proc/self/exe", (char *const[]){ "stress", "child", "execve-noenv", NULL }, noenv);
	return 94;
}

int main(int argc, char **argv)
{
	/* pread, not read: the cases count the reads and getppids they make */
	char stat[512] = "";
	int sfd = open("/proc/self/stat", O_RDONLY);
	if (sfd < 0 || pread(sfd, stat, sizeof stat - 1, 0) <= 0 || !strrchr(stat, ')') ||
	    sscanf(strrchr(stat, ')'), ") %*c %d", &real_ppid) != 1)
		return 99;
	close(sfd);
	devnull = open("/dev/null", O_WRONLY);
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mode = argc > 1 ? argv[1] : "";
	static const struct { const char *name; int (*fn)(int, char **); } modes[] = {
		{ "threads", mode_threads }, { "delay", mode_delay }, { "blockread", mode_blockread },
		{ "sig-self", mode_sig_self }, { "sig-other", mode_sig_other }, { "sig-read", mode_sig_read },
		{ "storm", mode_storm }, { "sig-malloc", mode_sig_malloc }, { "smallstack", mode_smallstack },
		{ "altstack", mode_altstack }, { "exit-busy", mode_exit_busy }, { "dlsym", mode_dlsym },
		{ "spawn", mode_spawn }, { "child", mode_child }, { "sig-fork", mode_sig_fork },
		{ "fork-storm", mode_fork_storm }, { "cancel", mode_cancel }, { "longjmp", mode_longjmp },
		{ "sig-exit", mode_sig_exit },
	};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(mode, modes[i].name))
			return modes[i].fn(argc, argv);
	fprintf(stderr, "usage: stress MODE [ARGS]\n");
	return 2;
}
