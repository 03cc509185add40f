/* seccomp: the rules on calls. Every denied call fails with EACCES, as
 * the in-process rules fail it.
 *   --deny network  socket() of the internet and packet families (the
 *                   domain compared as the int the kernel takes: a raw
 *                   call with high bits set must not slip past); TCP on a
 *                   socket made before is Landlock's (landlock.c)
 *   --deny CALL     its system calls
 *   calls: [...]    everything else fails, but what a process needs to
 *                   run at all (its memory, signals, threads, exit)
 *   --deny exec     execve and execveat go to a supervisor in the
 *                   launcher, which lets the first through (the program
 *                   itself starting) and refuses every later one: a
 *                   filter alone cannot tell the first exec from the
 *                   next, and the program can make any argument
 *                   (pointer, descriptor number) the first one had
 * and always: io_uring (its requests are not system calls, no filter
 * sees them), open_by_handle_at (a handle names a file without its
 * path), and the mount calls (Landlock refuses them too). Other
 * architectures' calls (int $0x80) kill the process, as libseccomp's
 * default for a foreign architecture does. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "enforce/enforce.h"

/* What every process makes to run at all, kept under a calls: list. */
static const int baseline[] = {
	SYS_read, SYS_write, SYS_close, SYS_exit, SYS_exit_group, SYS_rt_sigreturn, SYS_restart_syscall,
	SYS_brk, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_sigaltstack, SYS_futex, SYS_set_robust_list,
	SYS_rseq, SYS_set_tid_address, SYS_arch_prctl, SYS_prctl, SYS_getpid, SYS_gettid, SYS_tgkill,
	SYS_clock_gettime, SYS_gettimeofday, SYS_sched_yield, SYS_getrandom, SYS_prlimit64,
	/* hijack's own, in the program: its scripts, output and run files */
	SYS_openat, SYS_newfstatat, SYS_fstat, SYS_lseek, SYS_fcntl, SYS_dup3, SYS_memfd_create,
	SYS_pread64, SYS_ftruncate, SYS_readlink, SYS_getppid, SYS_uname,
	SYS_process_vm_readv, SYS_process_vm_writev, SYS_nanosleep, SYS_clock_nanosleep, SYS_open,
	SYS_sched_getaffinity,
};

/* calls newer than Debian 12's headers */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_open_tree_attr
#define SYS_open_tree_attr 467
#endif

static const int always_denied[] = {
	SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_open_by_handle_at,
	SYS_mount, SYS_umount2, SYS_pivot_root, SYS_move_mount, SYS_open_tree, SYS_open_tree_attr, SYS_fsopen,
	SYS_fsmount, SYS_fspick, SYS_fsconfig, SYS_mount_setattr,
};

/* --deny network: every socket family but the local ones (AF_UNIX,
 * AF_NETLINK); AF_MAX is 46 on Linux 6.x, and a family above it (or an
 * int with high bits set) fails too */
#define FAMILY_MAX 45

static bool rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned nargs, const struct scmp_arg_cmp *cmp,
		 char *err, size_t n)
{
	int r = seccomp_rule_add_array(ctx, action, nr, nargs, cmp);
	/* the same rule twice, or one that is the default: nothing to add */
	if (r == 0 || r == -EEXIST || r == -EACCES)
		return true;
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	snprintf(err, n, "seccomp: a rule on %s: %s", name ? name : "a call", strerror(-r));
	free(name);
	return false;
}

static bool listed(const int *v, int n, int nr)
{
	for (int i = 0; i < n; i++)
		if (v[i] == nr)
			return true;
	return false;
}

bool hj_exec_supervised(const struct hj_policy *p)
{
	/* a calls: list without execve lets the program start, no more */
	return p->deny_exec || (p->allow_calls && !listed(p->allow_nrs, p->nallow, SYS_execve));
}

static bool load(scmp_filter_ctx ctx, bool ok, char *err, size_t n)
{
	int r = ok ? seccomp_load(ctx) : 0;
	if (r != 0) {
		snprintf(err, n, "seccomp: cannot load the filter: %s", strerror(-r));
		ok = false;
	}
	return ok;
}

/* One byte and one descriptor: how the child hands the supervisor's
 * descriptor to the launcher (SCM_RIGHTS). */
struct fd_message {
	char byte;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
};

static struct msghdr fd_message(struct fd_message *m)
{
	memset(m, 0, sizeof *m);
	m->iov = (struct iovec){ &m->byte, 1 };
	return (struct msghdr){ .msg_iov = &m->iov, .msg_iovlen = 1, .msg_control = m->u.buf,
				.msg_controllen = sizeof m->u.buf };
}

/* The first filter, alone: exec goes to the supervisor, whose descriptor
 * is sent to the launcher before the second filter (which may refuse
 * sendmsg) is there. Of two filters the kernel takes the stricter
 * answer, and a notification is stricter than the second's ALLOW. */
static bool exec_filter(int sock, char *err, size_t n)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, n, "seccomp: cannot make a filter");
		return false;
	}
	bool ok = load(ctx, rule(ctx, SCMP_ACT_NOTIFY, SYS_execve, 0, NULL, err, n) &&
			    rule(ctx, SCMP_ACT_NOTIFY, SYS_execveat, 0, NULL, err, n), err, n);
	if (ok) {
		int fd = seccomp_notify_fd(ctx);
		struct fd_message m;
		struct msghdr msg = fd_message(&m);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
		if (fd < 0 || sendmsg(sock, &msg, 0) != 1) {
			snprintf(err, n, "seccomp: cannot hand the exec supervisor its descriptor: %s", strerror(errno));
			ok = false;
		}
		if (fd >= 0)
			close(fd);
	}
	seccomp_release(ctx);
	return ok;
}

static bool deny_families(scmp_filter_ctx ctx, uint32_t deny, char *err, size_t n)
{
	bool ok = true;
	for (int family = 0; ok && family <= FAMILY_MAX; family++)
		if (family != AF_UNIX && family != AF_NETLINK) {
			struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)family);
			ok = rule(ctx, deny, SYS_socket, 1, &cmp, err, n);
		}
	struct scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)FAMILY_MAX);
	return ok && rule(ctx, deny, SYS_socket, 1, &above, err, n);
}

bool hj_seccomp_install(const struct hj_policy *p, int sock, char *err, size_t n)
{
	bool supervised = hj_exec_supervised(p);
	if (supervised && !exec_filter(sock, err, n))
		return false;
	uint32_t deny = SCMP_ACT_ERRNO(EACCES);
	scmp_filter_ctx ctx = seccomp_init(p->allow_calls ? deny : SCMP_ACT_ALLOW);
	if (!ctx) {
		snprintf(err, n, "seccomp: cannot make a filter");
		return false;
	}
	bool ok = true;
	for (size_t i = 0; ok && i < sizeof always_denied / sizeof always_denied[0]; i++)
		ok = rule(ctx, deny, always_denied[i], 0, NULL, err, n);
	for (int i = 0; ok && i < p->ndeny; i++)
		ok = rule(ctx, deny, p->deny_nrs[i], 0, NULL, err, n);
	if (ok && p->deny_network)
		ok = deny_families(ctx, deny, err, n);
	if (p->allow_calls) {
		for (size_t i = 0; ok && i < sizeof baseline / sizeof baseline[0]; i++)
			if (!listed(p->deny_nrs, p->ndeny, baseline[i]))
				ok = rule(ctx, SCMP_ACT_ALLOW, baseline[i], 0, NULL, err, n);
		for (int i = 0; ok && i < p->nallow; i++) {
			int nr = p->allow_nrs[i];
			if (listed(p->deny_nrs, p->ndeny, nr) ||
			    listed(always_denied, sizeof always_denied / sizeof always_denied[0], nr))
				continue;
			if (nr == SYS_socket && p->deny_network) {
				/* an allowed socket() under --deny network: the
				 * local families only (an unconditional rule would
				 * win over the family rules above) */
				for (size_t k = 0; ok && k < 2; k++) {
					int family = (int[]){ AF_UNIX, AF_NETLINK }[k];
					struct scmp_arg_cmp cmp = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)family);
					ok = rule(ctx, SCMP_ACT_ALLOW, SYS_socket, 1, &cmp, err, n);
				}
				continue;
			}
			ok = rule(ctx, SCMP_ACT_ALLOW, nr, 0, NULL, err, n);
		}
		/* exec: the supervisor's filter answers it */
		if (ok && supervised)
			ok = rule(ctx, SCMP_ACT_ALLOW, SYS_execve, 0, NULL, err, n) &&
			     rule(ctx, SCMP_ACT_ALLOW, SYS_execveat, 0, NULL, err, n);
	}
	ok = load(ctx, ok, err, n);
	seccomp_release(ctx);
	return ok;
}

struct supervisor {
	int fd;
	pid_t child;
};

static void *supervise(void *arg)
{
	struct supervisor *s = arg;
	bool started = false;
	for (;;) {
		/* the kernel takes a request buffer only when it is all zeros;
		 * the ioctl itself, not libseccomp's wrapper, which turns
		 * every failure into ECANCELED */
		struct seccomp_notif req = { 0 };
		if (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
			if (errno == EINTR || errno == ENOENT)	/* ENOENT: the caller was killed meanwhile */
				continue;
			break;
		}
		struct seccomp_notif_resp resp = { .id = req.id };
		if (!started && (pid_t)req.pid == s->child) {
			/* the launcher's child executing the program: the only
			 * exec there will be (the program's own pid is the same
			 * afterwards, hence the flag, not the pid, decides) */
			started = true;
			resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		} else {
			resp.error = -EACCES;
		}
		while (ioctl(s->fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0 && errno == EINTR)
			;	/* ENOENT: the caller was killed meanwhile */
	}
	/* never a request left waiting: without the listener, every exec
	 * the filter sends here fails (ENOSYS) */
	close(s->fd);
	return NULL;
}

bool hj_enforce_supervise(int sock, pid_t child)
{
	struct fd_message m;
	struct msghdr msg = fd_message(&m);
	ssize_t r;
	while ((r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	struct cmsghdr *c = r == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return false;
	static struct supervisor s;
	memcpy(&s.fd, CMSG_DATA(c), sizeof s.fd);
	s.child = child;
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	bool ok = pthread_create(&t, &attr, supervise, &s) == 0;
	if (!ok)
		close(s.fd);
	pthread_attr_destroy(&attr);
	return ok;
}
