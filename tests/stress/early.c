/* libearly.so: a library linked into earlyprog whose constructor runs
 * before libhijack's (it is initialized first), and whose destructor and
 * atexit handler run after libhijack's destructor. Each makes real calls
 * through libc and checks their results.
 * EARLY_FILE names a file whose content starts with "early-data".
 * EARLY_THREAD=1: the constructor also starts a thread that makes hooked
 * calls while libhijack's constructor loads the script. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* open, read, close, getppid, malloc/calloc/realloc/free, then "ok WHERE"
 * on stdout with write(); "WRONG WHERE: ..." when a result is not right */
void early_check(const char *where)
{
	char line[256], buf[64] = "";
	const char *file = getenv("EARLY_FILE");
	const char *why = NULL;
	int fd = file ? open(file, O_RDONLY) : -1;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	int cr = fd >= 0 ? close(fd) : -1;
	char *p = malloc(1000), *q = calloc(10, 100);
	if (p)
		strcpy(p, "abc");
	p = p ? realloc(p, 100000) : NULL;
	if (!file)
		why = "no EARLY_FILE";
	else if (fd < 0)
		why = "open failed";
	else if (n < 10 || strncmp(buf, "early-data", 10))
		why = "read wrong";
	else if (cr != 0)
		why = "close failed";
	else if (getppid() != (pid_t)syscall(SYS_getppid))
		why = "getppid wrong";
	else if (!p || strcmp(p, "abc") || !q || q[999] != 0)
		why = "allocator wrong";
	free(p);
	free(q);
	int len = why ? snprintf(line, sizeof line, "WRONG %s: %s\n", where, why)
		      : snprintf(line, sizeof line, "ok %s\n", where);
	if (write(1, line, (size_t)len) != len)
		_exit(93);
}

static pthread_t spinner;
static atomic_int spin_stop, spinning;
static atomic_long spin_bad, spin_calls;

static void *spin(void *arg)
{
	(void)arg;
	pid_t want = (pid_t)syscall(SYS_getppid);
	atomic_store(&spinning, 1);
	while (!atomic_load(&spin_stop)) {
		if (getppid() != want)
			atomic_fetch_add(&spin_bad, 1);
		atomic_fetch_add(&spin_calls, 1);
	}
	return NULL;
}

/* called by the program's main: stops the thread, says how it went */
void early_stop(void)
{
	if (!atomic_load(&spinning))
		return;
	atomic_store(&spin_stop, 1);
	pthread_join(spinner, NULL);
	char line[128];
	int len = snprintf(line, sizeof line, "spinner calls>0=%d bad=%ld\n", spin_calls > 0, (long)spin_bad);
	if (write(1, line, (size_t)len) != len)
		_exit(93);
}

static void early_atexit(void) { early_check("early-atexit"); }

__attribute__((constructor)) static void early_ctor(void)
{
	early_check("early-ctor");
	atexit(early_atexit);	/* registered before libc's own: runs after every destructor */
	const char *t = getenv("EARLY_THREAD");
	if (t && *t == '1') {
		pthread_create(&spinner, NULL, spin, NULL);
		while (!atomic_load(&spinning))
			;
	}
}

__attribute__((destructor)) static void early_dtor(void) { early_check("early-dtor"); }
