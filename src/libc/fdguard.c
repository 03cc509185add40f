/* The calls through which a program can aim at a descriptor number that
 * happens to be the library's own (the trace output, the sealed
 * scripts): close, dup2, dup3, close_range, closefrom. Ours moves out of
 * the way first (dup2, dup3, close), or is spared (the ranges), so the
 * program's call does what it would do without us and our output never
 * lands in the program's file. The rest is the usual wrapper. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"

#define GUARD(fd) do { if (hj_unlikely(hj_is_own_fd(fd)) && !hj_busy) hj_fd_vacate(fd); } while (0)

static long invoke_close(const long *a) { return REAL(close)((int)a[0]); }
int close(int fd)
{
	GUARD(fd);
	if (FAST(HJ_close))
		return REAL(close)(fd);
	long a[HJ_MAXARGS] = { fd };
	return (int)hj_dispatch(HJ_close, a, invoke_close);
}

static long invoke_dup2(const long *a) { return REAL(dup2)((int)a[0], (int)a[1]); }
int dup2(int oldfd, int newfd)
{
	if (oldfd != newfd)
		GUARD(newfd);
	if (FAST(HJ_dup2))
		return REAL(dup2)(oldfd, newfd);
	long a[HJ_MAXARGS] = { oldfd, newfd };
	return (int)hj_dispatch(HJ_dup2, a, invoke_dup2);
}

static long invoke_dup3(const long *a) { return REAL(dup3)((int)a[0], (int)a[1], (int)a[2]); }
int dup3(int oldfd, int newfd, int flags)
{
	if (oldfd != newfd)
		GUARD(newfd);
	if (FAST(HJ_dup3))
		return REAL(dup3)(oldfd, newfd, flags);
	long a[HJ_MAXARGS] = { oldfd, newfd, flags };
	return (int)hj_dispatch(HJ_dup3, a, invoke_dup3);
}

/* Not in calls.def (not traced): only guarded. */
static bool ours_within(unsigned lo, unsigned hi)
{
	for (int slot = 0; slot < HJ_NOWN; slot++) {
		int fd = __atomic_load_n(&hj_own_fd[slot], __ATOMIC_ACQUIRE);
		if (fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi)
			return true;
	}
	return false;
}

int close_range(unsigned first, unsigned last, int flags)
{
	if (hj_unlikely(ours_within(first, last)) && !hj_busy && first <= last)
		return (int)hj_close_range_sparing(first, last, (unsigned)flags);
	return (int)syscall(SYS_close_range, first, last, flags);
}

void closefrom(int lowfd)
{
	unsigned lo = lowfd < 0 ? 0 : (unsigned)lowfd;
	long r = ours_within(lo, ~0u) && !hj_busy ? hj_close_range_sparing(lo, ~0u, 0)
						  : syscall(SYS_close_range, lo, ~0u, 0);
	if (r == 0)
		return;
	/* no close_range here (kernel before 5.9): one by one, sparing ours */
	for (long fd = lo, max = sysconf(_SC_OPEN_MAX); fd < max; fd++)
		if (!hj_is_own_fd((int)fd))
			syscall(SYS_close, fd);
}
