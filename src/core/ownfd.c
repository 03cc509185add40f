/* What the library keeps in a program's process and must not lose to it:
 *  - its own descriptors there (the trace output, the sealed scripts),
 *    moved out of the way when the program aims a dup2, dup3 or close at
 *    their numbers, and recognised by identity, never by number alone;
 *  - the run's shared page (hj-shared in the run's directory): the live
 *    traced processes, and what went wrong with the trace output, which
 *    the launcher reports at exit. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>	/* RLIMIT_NOFILE */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"

int hj_own_fd[HJ_NOWN] = { -1, -1, -1 };
static struct { dev_t dev; ino_t ino; } own_id[HJ_NOWN];

void hj_own_set(int slot, int fd)
{
	struct stat st;
	if (fd >= 0 && syscall(SYS_fstat, fd, &st) == 0) {
		own_id[slot].dev = st.st_dev;
		own_id[slot].ino = st.st_ino;
	}
	__atomic_store_n(&hj_own_fd[slot], fd, __ATOMIC_RELEASE);
}

bool hj_own_check(int slot, struct stat *st)
{
	struct stat tmp;
	if (!st)
		st = &tmp;
	int fd = __atomic_load_n(&hj_own_fd[slot], __ATOMIC_ACQUIRE);
	return fd >= 0 && syscall(SYS_fstat, fd, st) == 0 && st->st_dev == own_id[slot].dev &&
	       st->st_ino == own_id[slot].ino;
}

/* The program is about to dup2 onto, or close, fd, which is ours: ours
 * moves to the next free number first (keeping its close-on-exec flag),
 * so that the program's call does exactly what it would without us. */
void hj_fd_vacate(int fd)
{
	for (int slot = 0; slot < HJ_NOWN; slot++) {
		if (__atomic_load_n(&hj_own_fd[slot], __ATOMIC_ACQUIRE) != fd)
			continue;
		long flags = syscall(SYS_fcntl, fd, F_GETFD);
		long moved = flags < 0 ? -1 : syscall(SYS_fcntl, fd, (flags & FD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, fd + 1);
		__atomic_store_n(&hj_own_fd[slot], (int)moved, __ATOMIC_RELEASE);
		syscall(SYS_close, fd);
	}
}

int hj_dupfd_exact(int r, long arg, bool cloexec)
{
	int lowest = -1;
	for (int slot = 0; slot < HJ_NOWN; slot++) {
		int fd = __atomic_load_n(&hj_own_fd[slot], __ATOMIC_ACQUIRE);
		if (fd >= 0 && fd >= arg && fd < r && (lowest < 0 || fd < lowest))
			lowest = fd;
	}
	if (lowest < 0 || hj_busy)
		return r;
	hj_fd_vacate(lowest);
	if (syscall(SYS_dup3, r, lowest, cloexec ? O_CLOEXEC : 0) != lowest)
		return r;
	syscall(SYS_close, r);
	return lowest;
}

/* close_range(lo, hi) without ours: the ranges either side of them. */
long hj_close_range_sparing(unsigned lo, unsigned hi, unsigned flags)
{
	int ours[HJ_NOWN], n = 0;
	for (int slot = 0; slot < HJ_NOWN; slot++) {
		int fd = __atomic_load_n(&hj_own_fd[slot], __ATOMIC_ACQUIRE);
		if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
			ours[n++] = fd;
	}
	for (int i = 1; i < n; i++)	/* in order */
		for (int j = i; j > 0 && ours[j] < ours[j - 1]; j--) {
			int t = ours[j];
			ours[j] = ours[j - 1];
			ours[j - 1] = t;
		}
	unsigned from = lo;
	for (int i = 0; i < n; i++) {
		if ((unsigned)ours[i] > from && syscall(SYS_close_range, from, (unsigned)ours[i] - 1, flags) != 0)
			return -1;
		from = (unsigned)ours[i] + 1;
	}
	if (n && (unsigned)ours[n - 1] == hi)
		return 0;
	return syscall(SYS_close_range, from, hi, flags);
}

/* The descriptor in this process that is_it() accepts, looked for in
 * /proc/self/fd (raw getdents64: no allocation, nothing hooked); -1. */
int hj_fd_find(bool (*is_it)(int fd, void *arg), void *arg)
{
	long dir = syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return -1;
	char buf[4096];
	int found = -1;
	for (long n; found < 0 && (n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0;) {
		for (long at = 0; at < n && found < 0;) {
			struct dirent64 *e = (struct dirent64 *)(buf + at);
			at += e->d_reclen;
			if (e->d_name[0] < '0' || e->d_name[0] > '9')
				continue;
			int fd = atoi(e->d_name);
			if (fd != dir && is_it(fd, arg))
				found = fd;
		}
	}
	syscall(SYS_close, dir);
	return found;
}

/* ---- the run's shared page ---- */
static struct hj_shared *shared;
static bool shared_tried;
static int registered_pid;

struct hj_shared *hj_shared_page(void)
{
	if (__atomic_load_n(&shared_tried, __ATOMIC_ACQUIRE))
		return shared;
	const char *dir = hj_env("HIJACK_RUN_DIR");
	if (dir && *dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/" HJ_SHARED_NAME, dir);
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd >= 0 && syscall(SYS_fstat, fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size == (off_t)sizeof(struct hj_shared) && st.st_uid == geteuid()) {
			void *p = (void *)syscall(SYS_mmap, NULL, sizeof(struct hj_shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (p != MAP_FAILED && ((struct hj_shared *)p)->magic == HJ_SHARED_MAGIC)
				shared = p;
		}
		if (fd >= 0)
			syscall(SYS_close, fd);
	}
	__atomic_store_n(&shared_tried, true, __ATOMIC_RELEASE);
	return shared;
}

static void live_drop(struct hj_shared *s, int i, int pid)
{
	if (__atomic_compare_exchange_n(&s->live[i], &pid, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		__atomic_sub_fetch(&s->nlive, 1, __ATOMIC_ACQ_REL);
}

/* Takes off the pids that no longer exist. */
static void live_sweep(struct hj_shared *s)
{
	for (int i = 0; i < HJ_LIVE_SLOTS; i++) {
		int pid = __atomic_load_n(&s->live[i], __ATOMIC_RELAXED);
		if (pid > 0 && syscall(SYS_kill, pid, 0) != 0 && errno == ESRCH)
			live_drop(s, i, pid);
	}
}

/* This process among the live traced ones (idempotent: an exec keeps
 * the pid, and the slot). */
void hj_live_register(void)
{
	struct hj_shared *s = hj_shared_page();
	int pid = getpid();
	if (!s || registered_pid == pid)
		return;
	registered_pid = pid;
	for (int i = 0; i < HJ_LIVE_SLOTS; i++)
		if (__atomic_load_n(&s->live[i], __ATOMIC_RELAXED) == pid)
			return;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < HJ_LIVE_SLOTS; i++) {
			int zero = 0;
			if (__atomic_compare_exchange_n(&s->live[i], &zero, pid, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
				__atomic_add_fetch(&s->nlive, 1, __ATOMIC_ACQ_REL);
				return;
			}
		}
		live_sweep(s);	/* full: of processes that died without a word? */
	}
	/* a thousand alive: left out, the count says "several" all the same */
}


void hj_live_unregister(void)
{
	struct hj_shared *s = shared;
	int pid = getpid();
	if (!s || registered_pid != pid)
		return;
	for (int i = 0; i < HJ_LIVE_SLOTS; i++)
		if (__atomic_load_n(&s->live[i], __ATOMIC_RELAXED) == pid)
			live_drop(s, i, pid);
	registered_pid = 0;
}

/* How many traced processes are alive. A process that died without
 * running our destructor (a signal, _exit) is found gone by kill(pid, 0)
 * when the count says more than one, at most every 50 ms; until its
 * parent reaps it, a zombie still counts, as strace counts it until it
 * sees the exit. -1 without the shared page. */
int hj_live_count(void)
{
	struct hj_shared *s = hj_shared_page();
	if (!s)
		return -1;
	int n = __atomic_load_n(&s->nlive, __ATOMIC_ACQUIRE);
	if (n <= 1)
		return n;
	static uint64_t next_check;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	if (now < __atomic_load_n(&next_check, __ATOMIC_RELAXED))
		return n;
	__atomic_store_n(&next_check, now + 50000000u, __ATOMIC_RELAXED);
	live_sweep(s);
	return __atomic_load_n(&s->nlive, __ATOMIC_ACQUIRE);
}

uint64_t hj_fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

/* A copy of fd at `want` or above, out of the program's usual range; with
 * a descriptor limit at or below `want` (ulimit -n 256), the highest
 * free number under the limit instead. -1 if there is none. */
int hj_dup_high(int fd, int want, bool cloexec)
{
	int cmd = cloexec ? F_DUPFD_CLOEXEC : F_DUPFD;
	long got = syscall(SYS_fcntl, fd, cmd, want);
	if (got >= 0 || errno != EINVAL)
		return (int)got;
	struct rlimit rl;
	if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < 8)
		return -1;
	/* the top quarter of what the program may use, then anything above 2 */
	got = syscall(SYS_fcntl, fd, cmd, (long)(rl.rlim_cur - rl.rlim_cur / 4));
	return got >= 0 ? (int)got : (int)syscall(SYS_fcntl, fd, cmd, 3l);
}
