/* The exported wrappers, generated from calls.def, and the few written by
 * hand (variadic, allocator, vfork, execl). Each wrapper's fast path is a
 * byte load and a TLS load; everything else is in hj_dispatch. */
#define _GNU_SOURCE
#include <features.h>
/* glibc declares the sockaddr arguments of connect() and friends as a
 * transparent union under _GNU_SOURCE; our definitions take plain pointers,
 * so read <sys/socket.h> without it. */
#undef __USE_GNU
#include <sys/socket.h>
#define __USE_GNU 1

#include <dirent.h>		/* DIR, opendir, readdir */
#include <errno.h>
#include <fcntl.h>		/* open, openat, creat, fcntl, fallocate */
#include <netdb.h>		/* getaddrinfo */
#include <poll.h>
#include <pthread.h>		/* pthread_cond_timedwait */
#include <semaphore.h>
#include <signal.h>		/* kill, sigtimedwait */
#include <spawn.h>		/* posix_spawn */
#include <stdarg.h>
#include <stdio.h>		/* fopen, freopen */
#include <stdlib.h>		/* malloc family, system */
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/timeb.h>		/* ftime */
#include <sys/timerfd.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"

/* ftime is deprecated, yet programs still call it: wrap it all the same. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/* accept4 is declared under __USE_GNU only, which <sys/socket.h> lost. */
int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);


#define A(type, name, kind) (type, name, kind)
#define ID_(...) __VA_ARGS__
#define DECL(i, arg) DECL_(ID_ arg)
#define DECL_(...) DECL__(__VA_ARGS__)
#define DECL__(type, name, kind) type name
#define NAME(i, arg) NAME_(ID_ arg)
#define NAME_(...) NAME__(__VA_ARGS__)
#define NAME__(type, name, kind) name
#define TOLONG(i, arg) (long)NAME(i, arg)
#define FROMLONG(i, arg) FROMLONG_(i, ID_ arg)
#define FROMLONG_(...) FROMLONG__(__VA_ARGS__)
#define FROMLONG__(i, type, name, kind) (type)a[i]
#define PARAMS(...) HJ_CAT(PARAMS_, HJ_NARGS(__VA_ARGS__))(__VA_ARGS__)
#define PARAMS_0() void
#define PARAMS_1 PARAMS_N
#define PARAMS_2 PARAMS_N
#define PARAMS_3 PARAMS_N
#define PARAMS_4 PARAMS_N
#define PARAMS_5 PARAMS_N
#define PARAMS_6 PARAMS_N
#define PARAMS_N(...) HJ_MAP(DECL, __VA_ARGS__)

/* invoke_NAME calls libc's NAME with the arguments in a[] */
#define INVOKE(name, ...) \
	static long invoke_##name(const long *a) \
	{ (void)a; return (long)REAL(name)(HJ_MAP(FROMLONG, __VA_ARGS__)); }

#define CALL(name, groups, rtype, rkind, ...) \
	INVOKE(name, ##__VA_ARGS__) \
	rtype name(PARAMS(__VA_ARGS__)) \
	{ \
		if (FAST(HJ_##name)) \
			return REAL(name)(HJ_MAP(NAME, ##__VA_ARGS__)); \
		long a[HJ_MAXARGS] = { HJ_MAP(TOLONG, ##__VA_ARGS__) }; \
		return (rtype)((groups) & G_CLOCK ? hj_dispatch_clock : hj_dispatch)(HJ_##name, a, invoke_##name); \
	}
#define HAND(...)
#define VARIANT(sym, name)
#include "calls.def"
#undef CALL
#undef HAND
#undef VARIANT

/* Same-signature twins (open64 ...) are the same function on x86_64:
 * export each as an alias of its plain wrapper. */
#define CALL(...)
#define HAND(...)
#define VARIANT(sym, name) __asm__(".globl " #sym "\n.set " #sym ", " #name);
#include "calls.def"
#undef CALL
#undef HAND
#undef VARIANT

/* ---- variadic ---- */

/* The mode argument exists only with O_CREAT or O_TMPFILE, as in glibc. */
#define OPEN_MODE(flags, last) ({ \
	mode_t m_ = 0; \
	if ((flags) & (O_CREAT | __O_TMPFILE)) { \
		va_list ap; va_start(ap, last); m_ = va_arg(ap, mode_t); va_end(ap); \
	} \
	m_; })

INVOKE(open, A(const char *, path, K_PATH), A(int, flags, K_OFLAGS), A(mode_t, mode, K_MODE))
int open(const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);
	if (FAST(HJ_open))
		return REAL(open)(path, flags, mode);
	long a[HJ_MAXARGS] = { (long)path, flags, mode };
	return (int)hj_dispatch(HJ_open, a, invoke_open);
}

INVOKE(openat, A(int, dirfd, K_DIRFD), A(const char *, path, K_PATH), A(int, flags, K_OFLAGS), A(mode_t, mode, K_MODE))
int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = OPEN_MODE(flags, flags);
	if (FAST(HJ_openat))
		return REAL(openat)(dirfd, path, flags, mode);
	long a[HJ_MAXARGS] = { dirfd, (long)path, flags, mode };
	return (int)hj_dispatch(HJ_openat, a, invoke_openat);
}

/* Every fcntl and ioctl argument fits a long: the kernel reads one word. */
INVOKE(fcntl, A(int, fd, K_FD), A(int, cmd, K_FCNTL), A(long, arg, K_INT))
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	/* hj_dupfd_fix: the number a program asks for is never ours */
	if (FAST(HJ_fcntl))
		return hj_dupfd_fix(cmd, arg, REAL(fcntl)(fd, cmd, arg));
	long a[HJ_MAXARGS] = { fd, cmd, arg };
	return hj_dupfd_fix(cmd, arg, (int)hj_dispatch(HJ_fcntl, a, invoke_fcntl));
}

INVOKE(ioctl, A(int, fd, K_FD), A(unsigned long, request, K_HEX), A(void *, argp, K_PTR))
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *argp = va_arg(ap, void *);
	va_end(ap);
	if (FAST(HJ_ioctl))
		return REAL(ioctl)(fd, request, argp);
	long a[HJ_MAXARGS] = { fd, (long)request, (long)argp };
	return (int)hj_dispatch(HJ_ioctl, a, invoke_ioctl);
}

/* ---- process ---- */

/* A wrapper cannot return twice from vfork: the child would clobber the
 * frame the parent returns through (glibc's own vfork is assembly for
 * that reason). fork is a correct vfork, so that is what runs. */
static long invoke_vfork(const long *a)
{
	(void)a;
	return REAL(fork)();
}
pid_t vfork(void)
{
	long a[HJ_MAXARGS] = { 0 };
	if (FAST(HJ_vfork))
		return (pid_t)invoke_vfork(a);
	return (pid_t)hj_dispatch(HJ_vfork, a, invoke_vfork);
}

/* _exit and _Exit (aliases, calls.def) end the process without running
 * destructors: the at_exit blocks, the hooks on the call, its trace line
 * (strace's `exit_group(0) = ?`) and the counts are seen to here, then
 * libc's _exit. An exit cannot fail: call.fail changes nothing, while
 * call.status = N changes the status. */
void exit_group(int status) __attribute__((noreturn));
static long invoke_exit_group(const long *a)
{
	(void)a;	/* the real call comes last, below */
	return 0;
}
void exit_group(int status)
{
	void (*real)(int) = hj_reals[HJ_exit_group] ? hj_reals[HJ_exit_group] : hj_resolve(HJ_exit_group, "_exit");
	long a[HJ_MAXARGS] = { status };
	/* with the system-call layer on, it sees the exit_group itself */
	if (!hj_busy && !hj_sud_on) {
		hj_exit_begin();
		if (hj_wanted[HJ_exit_group])
			hj_dispatch(HJ_exit_group, a, invoke_exit_group);
		hj_exit_end();
	}
	real((int)a[0]);
	__builtin_unreachable();
}

/* execl and friends: gather the list into an argv, then run as execv,
 * execvp or execve would, through the same dispatch. */
#define COLLECT_ARGV(argv, arg0, after) \
	size_t n_ = 1; \
	va_list ap; \
	va_start(ap, arg0); \
	while (va_arg(ap, const char *)) \
		n_++; \
	va_end(ap); \
	const char *argv[n_ + 1]; \
	argv[0] = arg0; \
	va_start(ap, arg0); \
	for (size_t i_ = 1; i_ <= n_; i_++) \
		argv[i_] = va_arg(ap, const char *); \
	after; \
	va_end(ap)

static long invoke_execl(const long *a)
{
	return REAL(execv)((const char *)a[0], (char *const *)a[1]);
}
int execl(const char *path, const char *arg, ...)
{
	COLLECT_ARGV(argv, arg, (void)0);
	long a[HJ_MAXARGS] = { (long)path, (long)argv };
	if (FAST(HJ_execl))
		return (int)invoke_execl(a);
	return (int)hj_dispatch(HJ_execl, a, invoke_execl);
}

static long invoke_execlp(const long *a)
{
	return REAL(execvp)((const char *)a[0], (char *const *)a[1]);
}
int execlp(const char *file, const char *arg, ...)
{
	COLLECT_ARGV(argv, arg, (void)0);
	long a[HJ_MAXARGS] = { (long)file, (long)argv };
	if (FAST(HJ_execlp))
		return (int)invoke_execlp(a);
	return (int)hj_dispatch(HJ_execlp, a, invoke_execlp);
}

static long invoke_execle(const long *a)
{
	return REAL(execve)((const char *)a[0], (char *const *)a[1], (char *const *)a[2]);
}
int execle(const char *path, const char *arg, ...)
{
	char *const *envp;
	COLLECT_ARGV(argv, arg, envp = va_arg(ap, char *const *));
	long a[HJ_MAXARGS] = { (long)path, (long)argv, (long)envp };
	if (FAST(HJ_execle))
		return (int)invoke_execle(a);
	return (int)hj_dispatch(HJ_execle, a, invoke_execle);
}

/* ---- allocator ----
 * dlsym() may allocate before we know where libc's malloc is: those few
 * early blocks come from a static arena and are never given back. */
static _Alignas(16) char arena[1 << 16];
static size_t arena_used;
static HJ_TLS int resolving;

static void *arena_alloc(size_t n)
{
	size_t need = (n + 16 + 15) & ~(size_t)15;
	size_t at = __atomic_fetch_add(&arena_used, need, __ATOMIC_RELAXED);
	if (at + need > sizeof arena)
		return NULL;
	*(size_t *)(arena + at) = n;	/* the size, for realloc */
	return arena + at + 16;
}

static bool in_arena(const void *p)
{
	return (const char *)p >= arena && (const char *)p < arena + sizeof arena;
}

/* REAL() for the allocator, with the arena for calls made while resolving */
#define REAL_ALLOC(name, early) ({ \
	void *f_ = hj_reals[HJ_##name]; \
	if (hj_unlikely(!f_)) { \
		if (resolving) { early; } \
		resolving = 1; \
		f_ = hj_resolve(HJ_##name, #name); \
		resolving = 0; \
	} \
	(__typeof__(&name))f_; })

/* Inside libc's allocator its lock is held: a signal handler that makes
 * a hooked call there must not run Ruby, which allocates and would wait
 * on that lock forever. So the real allocator runs marked busy. */
/* The system-call layer still traces and counts the allocator's own calls
 * (brk, mmap...): hj_in_alloc says whose they are. */
#define UNHOOKED(f, ...) ({ __auto_type f_ = (f); hj_busy++; hj_in_alloc++; void *r_ = f_(__VA_ARGS__); \
			    hj_in_alloc--; hj_busy--; r_; })

static long invoke_malloc(const long *a)
{
	return (long)UNHOOKED(REAL_ALLOC(malloc, return (long)arena_alloc((size_t)a[0])), (size_t)a[0]);
}
void *malloc(size_t size)
{
	long a[HJ_MAXARGS] = { (long)size };
	if (FAST(HJ_malloc))
		return (void *)invoke_malloc(a);
	return (void *)hj_dispatch(HJ_malloc, a, invoke_malloc);
}

static long invoke_calloc(const long *a)
{
	size_t n = (size_t)a[0], size = (size_t)a[1];
	/* the arena is zeroed static memory, as calloc must return */
	return (long)UNHOOKED(REAL_ALLOC(calloc, return (long)(n && size > ~(size_t)0 / n ? NULL : arena_alloc(n * size))), n, size);
}
void *calloc(size_t nmemb, size_t size)
{
	long a[HJ_MAXARGS] = { (long)nmemb, (long)size };
	if (FAST(HJ_calloc))
		return (void *)invoke_calloc(a);
	return (void *)hj_dispatch(HJ_calloc, a, invoke_calloc);
}

static long invoke_realloc(const long *a)
{
	void *p = (void *)a[0];
	size_t size = (size_t)a[1];
	if (hj_unlikely(p && in_arena(p))) {
		size_t old = *(size_t *)((char *)p - 16);
		void *q = (void *)invoke_malloc(&a[1]);
		if (q)
			memcpy(q, p, old < size ? old : size);
		return (long)q;
	}
	return (long)UNHOOKED(REAL_ALLOC(realloc, return (long)arena_alloc(size)), p, size);
}
void *realloc(void *ptr, size_t size)
{
	long a[HJ_MAXARGS] = { (long)ptr, (long)size };
	if (FAST(HJ_realloc))
		return (void *)invoke_realloc(a);
	return (void *)hj_dispatch(HJ_realloc, a, invoke_realloc);
}

static long invoke_free(const long *a)
{
	void *p = (void *)a[0];
	if (hj_likely(!in_arena(p))) {
		void (*real)(void *) = REAL_ALLOC(free, return 0);
		hj_busy++;
		real(p);
		hj_busy--;
	}
	return 0;
}
void free(void *ptr)
{
	long a[HJ_MAXARGS] = { (long)ptr };
	if (FAST(HJ_free))
		invoke_free(a);
	else
		hj_dispatch(HJ_free, a, invoke_free);
}

