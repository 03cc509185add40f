/* The library's own descriptors in the program, and the run's shared
 * page (ownfd.c); the launcher includes this too. */
#ifndef HIJACK_OWNFD_H
#define HIJACK_OWNFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/stat.h>

/* Everything the launcher and the library create in the run's directory
 * starts with this: the launcher removes those names, and nothing else. */
#define HJ_RUN_PREFIX "hj-"
#define HJ_SHARED_NAME HJ_RUN_PREFIX "shared"
#define HJ_COUNTS_DIR HJ_RUN_PREFIX "counts"	/* -c: a file per process (summary.c) */
#define HJ_SHARED_MAGIC 0x484a5331u	/* "HJS1" */
#define HJ_LIVE_SLOTS 1000

struct hj_shared {
	uint32_t magic;
	int nlive;			/* traced processes alive */
	int out_errno;			/* the first error writing the trace (not EPIPE) */
	int out_gone;			/* its reader went away: tracing stopped */
	int out_lost_pid;		/* a process whose output descriptor was taken */
	int pad[3];
	int live[HJ_LIVE_SLOTS];	/* their pids; 0 free */
	char fill[4096 - 8 * 4 - HJ_LIVE_SLOTS * 4];
};
_Static_assert(sizeof(struct hj_shared) == 4096, "one page");

enum { HJ_OWN_OUTPUT, HJ_OWN_SCRIPTS, HJ_OWN_CTL, HJ_NOWN };	/* HJ_OWN_CTL: core/ctl.c's socket */
extern int hj_own_fd[HJ_NOWN];
static inline bool hj_is_own_fd(int fd)
{
	return fd >= 0 && (fd == hj_own_fd[HJ_OWN_OUTPUT] || fd == hj_own_fd[HJ_OWN_SCRIPTS] || fd == hj_own_fd[HJ_OWN_CTL]);
}
/* fd copied to `want` or above, or high under a low descriptor limit. */
int hj_dup_high(int fd, int want, bool cloexec);
void hj_own_set(int slot, int fd);
/* The slot's descriptor is still the file it was (st: its fstat). */
bool hj_own_check(int slot, struct stat *st);
void hj_fd_vacate(int fd);
/* fcntl(F_DUPFD, arg) gave r: were ours not there, it would have given
 * ours' number; the program gets that, ours moves. */
int hj_dupfd_exact(int r, long arg, bool cloexec);
static inline int hj_dupfd_fix(int cmd, long arg, int r)
{
	if (__builtin_expect(cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC, 1) || r < 0)
		return r;
	return hj_dupfd_exact(r, arg, cmd == F_DUPFD_CLOEXEC);
}
long hj_close_range_sparing(unsigned lo, unsigned hi, unsigned flags);
int hj_fd_find(bool (*is_it)(int fd, void *arg), void *arg);

struct hj_shared *hj_shared_page(void);
void hj_live_register(void);
void hj_live_unregister(void);
int hj_live_count(void);

uint64_t hj_fnv1a(const void *p, size_t n);

#endif
