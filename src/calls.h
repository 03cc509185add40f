/* Call ids, argument kinds and the metadata table built from calls.def. */
#ifndef HIJACK_CALLS_H
#define HIJACK_CALLS_H

#include <stdbool.h>
#include <stdint.h>

enum hj_group {
	G_FILE = 1 << 0, G_DESC = 1 << 1, G_NET = 1 << 2,
	G_MEMORY = 1 << 3, G_CLOCK = 1 << 4, G_PROCESS = 1 << 5,
	/* not a system call: traced only when named, or by %memory */
	G_ALLOC = 1 << 6,
	G_SIGNAL = 1 << 7, G_IPC = 1 << 8, G_CREDS = 1 << 9,
};

/* How one argument is shown to Ruby, matched by filters and traced. */
enum hj_kind {
	K_INT, K_UINT, K_HEX, K_PTR, K_FD, K_DIRFD, K_PATH, K_STR,
	K_BUF_IN,	/* bytes the call reads; length is the next argument */
	K_BUF_OUT,	/* bytes the call fills; length is the result */
	K_IOV_IN, K_IOV_OUT, K_MSGHDR_IN, K_MSGHDR_OUT,
	K_OFLAGS, K_MODE, K_ATFLAGS, K_AMODE, K_WHENCE, K_FCNTL, K_PROT,
	K_MAPFLAGS, K_AF, K_SOCKTYPE, K_SOCKLEVEL, K_SHUT, K_MSGFLAGS,
	K_SIGNAL, K_CLOCK, K_SOCKADDR, K_SOCKADDR_OUT, K_STAT, K_TIMES,
	K_TIMESPEC, K_TIMESPEC_OUT, K_TIMEVAL, K_TIMEVAL_OUT, K_FDPAIR,
	K_POLLFD, K_OFFP, K_PIDP, K_ARGV, K_ENVP,
	K_ITIMERSPEC,		/* [interval, value], Float seconds */
	K_ITIMERSPEC_OUT,	/* the same, filled by the call */
	K_TIMEB_OUT,		/* ftime's struct timeb: Float seconds */
	K_COND,			/* a pthread_cond_t: Ruby reads the clock it waits on */
	K_TIMERP,		/* timer_create's timer_t *: Ruby reads the new timer */
	/* system calls (SYS rows, mostly); shown as strace shows them */
	K_STR_OUT,		/* a string the call fills (getcwd) */
	K_SIGSET, K_SIGSET_OUT,	/* the kernel's 64-bit signal set: [INT TERM] */
	K_SIGACTION, K_SIGACTION_OUT,	/* the kernel's struct sigaction */
	K_SIGHOW,		/* SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK */
	K_STACK, K_STACK_OUT,	/* sigaltstack's stack_t */
	K_MADVICE, K_MREMAP,	/* madvise's advice, mremap's flags */
	K_ARCHPRCTL,		/* arch_prctl's code */
	K_RLIMIT_RES, K_RLIMIT, K_RLIMIT_OUT,	/* RLIMIT_*, struct rlimit */
	K_GRND,			/* getrandom's flags */
	K_FUTEXOP,		/* futex's operation */
	K_FUTEXARG,		/* futex's val, timeout, uaddr2, val3: the op says which */
	K_WAITOPT,		/* WNOHANG|__WALL... */
	K_WSTATUS,		/* a wait status, filled by the call */
	K_CLONEFLAGS,		/* clone's flags (and exit signal) */
	K_CLONEARG,		/* clone's stack, tids and tls: the flags say which */
	K_CLONEARGS,		/* clone3's struct clone_args */
	K_UTSNAME, K_SYSINFO, K_STATFS,	/* structs the call fills */
	K_DIRENTS,		/* getdents' buffer: the entries it got */
	K_CPUSET,		/* a CPU mask: [0 1] */
	K_FADVICE,		/* POSIX_FADV_* */
	K_XATTRFLAGS,		/* XATTR_CREATE, XATTR_REPLACE */
	K_PRCTL, K_PRCTLARG,	/* prctl's option; its arguments: the option says which */
	K_SIGMASK6,		/* pselect6's { const sigset_t *, size_t } */
	K_SIGEVENT,		/* struct sigevent */
	K_RUSAGE_OUT,		/* struct rusage, filled by the call */
};

/* What the result means, and what failing the call returns. */
enum hj_ret {
	R_INT,		/* -1 and errno */
	R_FD,		/* like R_INT; the result is a new descriptor */
	R_SSIZE, R_OFF, R_TIME, R_PID,
	R_PTR,		/* NULL and errno */
	R_MMAP,		/* MAP_FAILED and errno */
	R_VOID,
	R_ERRNUM,	/* returns the error number itself, 0 on success */
	R_EAI,		/* getaddrinfo: EAI_SYSTEM with errno */
	R_UNSLEPT,	/* sleep: seconds left; a failure returns them all */
	R_EXEC,		/* does not return on success */
	R_SYSTEM,	/* system: -1 and errno, else a wait status */
};

enum hj_call_id {
#define CALL(name, ...) HJ_##name,
#define HAND CALL
#define SYS CALL
#define VARIANT(sym, name)
#include "calls.def"
#undef CALL
#undef HAND
#undef SYS
#undef VARIANT
	HJ_NCALLS
};

#define HJ_MAXARGS 6

/* Names held in the rows, not pointed to: a table of pointers is one
 * relocation each, written at every process's start (some 20 pages of
 * copies for the loader to make); this one stays the file's, read-only. */
struct hj_arg_info {
	char type[40], name[16];
	enum hj_kind kind;
};

struct hj_call_info {
	char name[32];
	unsigned groups;
	char ret_type[20];
	enum hj_ret ret;
	int nargs;
	struct hj_arg_info args[HJ_MAXARGS];
	bool sys_only;		/* a SYS row: no libc wrapper of ours */
};

extern const struct hj_call_info hj_calls[HJ_NCALLS];

/* System call numbers (src/syscall/sysnr.def). HJ_NSYSNR is the highest
 * number + 1: the size of a union of one char[nr + 1] per call. */
union hj_sysnr_span {
#define NR(nr, name) char name[nr + 1];
#include "syscall/sysnr.def"
#undef NR
};
#define HJ_NSYSNR ((int)sizeof(union hj_sysnr_span))
/* Row id of each system call number, -1 where the kernel has none. */
extern const short hj_sys_row[HJ_NSYSNR];
/* The system call number a row is, or -1 (libc functions that are not
 * one system call: fopen, malloc, getaddrinfo...). */
int hj_row_sysnr(int id);

/* Id of a call by its plain name, one of its twins or the name strace
 * prints for it (newfstatat, faccessat2, pselect6...), or -1. */
int hj_call_lookup(const char *name);
/* Every call a name stands for in a set (-t=, --inject, Hijack.on): its
 * own, and the libc functions that make the system call strace names
 * (newfstatat: stat, lstat, fstat, fstatat). Returns how many (0: none). */
#define HJ_MAXEXPAND 6
int hj_call_expand(const char *name, int ids[HJ_MAXEXPAND]);
/* The system call numbers a name stands for at the kernel (open: openat
 * and open), whatever layer is on; 0 for a library function (fopen,
 * malloc, fork) or an unknown name. */
int hj_call_sysnrs(const char *name, int nrs[HJ_MAXEXPAND]);
/* Bit mask of G_* for a group name ("%file", "file", "%net"), or 0. */
unsigned hj_group_lookup(const char *name);
const char *hj_group_name(unsigned groups);

/* ---- macro plumbing for the consumers of calls.def ---- */
#define HJ_CAT_(a, b) a##b
#define HJ_CAT(a, b) HJ_CAT_(a, b)
#define HJ_NARGS(...) HJ_NARGS_(0, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define HJ_NARGS_(z, a, b, c, d, e, f, n, ...) n
/* HJ_MAP(f, x...) expands to f(0, x0), f(1, x1), ... */
#define HJ_MAP(f, ...) HJ_CAT(HJ_MAP_, HJ_NARGS(__VA_ARGS__))(f, ##__VA_ARGS__)
#define HJ_MAP_0(f, ...)
#define HJ_MAP_1(f, a) f(0, a)
#define HJ_MAP_2(f, a, b) f(0, a), f(1, b)
#define HJ_MAP_3(f, a, b, c) f(0, a), f(1, b), f(2, c)
#define HJ_MAP_4(f, a, b, c, d) f(0, a), f(1, b), f(2, c), f(3, d)
#define HJ_MAP_5(f, a, b, c, d, e) f(0, a), f(1, b), f(2, c), f(3, d), f(4, e)
#define HJ_MAP_6(f, a, b, c, d, e, g) f(0, a), f(1, b), f(2, c), f(3, d), f(4, e), f(5, g)

#endif
