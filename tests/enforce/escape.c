/* escape: an attacker's ways round hijack's rules, one per attempt.
 *
 *   escape ATTEMPT ARGS...     try it; print one line and exit 0:
 *       ESCAPED <attempt>                  the forbidden thing happened
 *       blocked <attempt>: <step>: <why>   it did not
 *       n/a <attempt>: <why>               this machine lacks the mechanism
 *   escape list [RULE]         the attempts (of one rule): "name rule"
 *   escape listen              a TCP listener on 127.0.0.1: prints its
 *                              port, accepts and closes until killed
 *   escape mkhandle PATH FILE  save PATH's file handle into FILE (run
 *                              outside hijack; hide-handle-saved uses it)
 *   escape --as NAME ATTEMPT…  report under NAME (the *-clearenv children)
 *
 * Arguments by rule: network PORT; exec MARKER (a file the started
 * program creates); readonly DIR OUTSIDE (DIR holds file, victim, sub/,
 * emptydir/; OUTSIDE is writable, same file system); hide HIDDEN OUTSIDE
 * (HIDDEN a file holding SECRET; OUTSIDE/hardlink a hard link to it and
 * OUTSIDE/handle its saved handle, both made by the test); call DIR;
 * any HELPER (a setuid-root copy of escape).
 * Exit 3 on a usage error. Never hangs: alarm(10). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <wordexp.h>
#include <grp.h>

#define SECRET "HIJACK-SECRET-7f3a9c"
#define TOUCH "/usr/bin/touch"

extern char **environ;
static const char *attempt_name;
static char self_exe[4096];

/* ---- reporting ------------------------------------------------------ */

static int escaped(void)
{
	printf("ESCAPED %s\n", attempt_name);
	return 0;
}

/* blocked: STEP failed with errno ERR (0: no errno, WHY says it) */
static int blocked_errno(const char *step, int err)
{
	if (err)
		printf("blocked %s: %s: %s (%s)\n", attempt_name, step, strerror(err),
		       strerrorname_np(err) ? strerrorname_np(err) : "?");
	else
		printf("blocked %s: %s\n", attempt_name, step);
	return 0;
}
static int blocked(const char *step) { return blocked_errno(step, errno); }

static int not_here(const char *why)
{
	printf("n/a %s: %s\n", attempt_name, why);
	return 0;
}

static char *path_join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		exit(3);
	return p;
}

/* ---- helpers: sockets ----------------------------------------------- */

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ---- helpers: the i386 entry (int $0x80) ---------------------------- */
/* A 64-bit process may still enter the kernel through the 32-bit gate,
 * with i386 call numbers: a filter that does not check the architecture
 * (or a dispatcher that assumes x86_64 numbers) is walked past. Pointers
 * must fit in 32 bits, so strings are copied below 4 GiB. */
static sigjmp_buf int80_jump;
static void int80_fault(int sig) { siglongjmp(int80_jump, sig); }

static long int80(long nr, long a, long b, long c)
{
	long ret = nr;
	__asm__ volatile("int $0x80" : "+a"(ret) : "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* run int80(nr, a, b, c); returns 1 if the gate exists (result in *ret) */
static int try_int80(long nr, long a, long b, long c, long *ret)
{
	struct sigaction sa = { .sa_handler = int80_fault }, old;
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(int80_jump, 1)) {
		sigaction(SIGSEGV, &old, NULL);
		return 0;
	}
	*ret = int80(nr, a, b, c);
	sigaction(SIGSEGV, &old, NULL);
	return 1;
}

static char *low_copy(const char *s)
{
	static char *low;
	static size_t used;
	if (!low) {
		low = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
		if (low == MAP_FAILED)
			exit(3);
	}
	char *p = low + used;
	used += strlen(s) + 1;
	strcpy(p, s);
	return p;
}
#define I386_EXIT 1
#define I386_FORK 2
#define I386_OPEN 5
#define I386_EXECVE 11
#define I386_GETPID 20
#define I386_MKDIR 39
#define I386_SOCKET 359

/* ---- helpers: io_uring without liburing ----------------------------- */
/* io_uring runs calls from kernel workers, not through the system-call
 * entry: in-process hooks and seccomp never see them. */
struct ring {
	int fd;
	unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

/* 0, or -errno of io_uring_setup/mmap */
static int ring_open(struct ring *r)
{
	struct io_uring_params p = { 0 };
	r->fd = syscall(SYS_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -errno;
	size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	char *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -errno;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* submit one prepared SQE and wait: the CQE's res, or -errno of enter */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, i = tail & *r->sq_mask;
	r->sqes[i] = *sqe;
	r->sq_array[i] = i;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (syscall(SYS_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return -errno;
	unsigned head = *r->cq_head;
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	int res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* open a ring, or report why not (ENOSYS: n/a; else blocked) */
static int ring_or_report(struct ring *r)
{
	int err = ring_open(r);
	if (err == 0)
		return 1;
	if (err == -ENOSYS)
		not_here("no io_uring_setup on this kernel");
	else
		blocked_errno("io_uring_setup", -err);
	return 0;
}

static int uring_openat(struct ring *r, const char *path, int flags)
{
	struct io_uring_sqe sqe = { .opcode = IORING_OP_OPENAT, .fd = AT_FDCWD,
				    .addr = (uintptr_t)path, .len = 0644, .open_flags = flags };
	return ring_run(r, &sqe);
}

/* ---- helpers: reading a hidden file --------------------------------- */

/* read what fd holds; ESCAPED if it is the secret */
static int read_secret(int fd, const char *step)
{
	if (fd < 0)
		return blocked(step);
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int err = errno;
	close(fd);
	if (n < 0)
		return blocked_errno("read", err);
	buf[n] = 0;
	if (strstr(buf, SECRET))
		return escaped();
	printf("blocked %s: %s: no secret in the %zd bytes read\n", attempt_name, step, n);
	return 0;
}

static char *dir_of(const char *path)
{
	char *d = strdup(path), *slash = strrchr(d, '/');
	if (!slash)
		return strdup(".");
	*slash = 0;
	return *d ? d : strdup("/");
}
static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* a child that runs ATTEMPT with an empty environment: no LD_PRELOAD, no
 * HIJACK_*; the in-process layer is not loaded in it, only the kernel's
 * rules (if any) still hold */
static int clearenv_child(const char *inner, char **args, int nargs)
{
	char *argv[16] = { "escape", "--as", (char *)attempt_name, (char *)inner };
	int n = 4;
	for (int i = 0; i < nargs && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	char *envp[] = { NULL };
	fflush(stdout);
	execve(self_exe, argv, envp);
	return blocked("execve of itself");
}

/* ---- network (ARGS: PORT) ------------------------------------------- */

static int net_socket(char **a)
{
	(void)a; /* libc's socket(): what the advisory rule hooks */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	return s < 0 ? blocked("socket") : escaped();
}

static int net_connect(char **a)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in to = loopback(atoi(a[0]));
	return connect(s, (void *)&to, sizeof to) < 0 ? blocked("connect") : escaped();
}

static int net_raw_socket(char **a)
{
	(void)a; /* syscall(2): no libc function to hook */
	long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return s < 0 ? blocked("socket") : escaped();
}

static int net_raw_connect(char **a)
{
	long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in to = loopback(atoi(a[0]));
	return syscall(SYS_connect, s, &to, sizeof to) < 0 ? blocked("connect") : escaped();
}

static int net_inet6(char **a)
{
	/* IPv6 to the v4-mapped loopback: another family for the same peer */
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(atoi(a[0])) };
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &to.sin6_addr);
	return connect(s, (void *)&to, sizeof to) < 0 ? blocked("connect") : escaped();
}

static int net_packet(char **a)
{
	(void)a; /* a link-layer socket: below TCP, where Landlock's port rules look */
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	return s < 0 ? blocked("socket") : escaped();
}

static int net_udp(char **a)
{
	/* UDP: no connect at all, and Landlock's network rules are TCP only */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in to = loopback(atoi(a[0]));
	return sendto(s, "x", 1, 0, (void *)&to, sizeof to) != 1 ? blocked("sendto") : escaped();
}

static int net_fastopen(char **a)
{
	/* TCP Fast Open: sendto() on an unconnected TCP socket connects */
	long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in to = loopback(atoi(a[0]));
	if (syscall(SYS_sendto, s, "x", 1, MSG_FASTOPEN, &to, sizeof to) < 0)
		return blocked("sendto MSG_FASTOPEN");
	return escaped();
}

static int net_bind(char **a)
{
	(void)a; /* a listening server is network too */
	long s = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in at = loopback(0);
	if (syscall(SYS_bind, s, &at, sizeof at) < 0)
		return blocked("bind");
	return syscall(SYS_listen, s, 1) < 0 ? blocked("listen") : escaped();
}

#ifndef ESCAPE_STATIC
typedef int (*socket_fn)(int, int, int);
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

static int connect_with(void *handle, int port)
{
	socket_fn real_socket = (socket_fn)dlsym(handle, "socket");
	connect_fn real_connect = (connect_fn)dlsym(handle, "connect");
	if (!real_socket || !real_connect)
		return blocked_errno("dlsym", 0);
	int s = real_socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		return blocked("socket");
	struct sockaddr_in to = loopback(port);
	return real_connect(s, (void *)&to, sizeof to) < 0 ? blocked("connect") : escaped();
}

static int net_dlsym_next(char **a)
{
	/* the next definition after this program's: a preloaded wrapper, or libc */
	return connect_with(RTLD_NEXT, atoi(a[0]));
}

static int net_dlsym_libc(char **a)
{
	/* libc's own socket(), not whatever LD_PRELOAD put first */
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!libc)
		return blocked_errno("dlopen libc.so.6", 0);
	return connect_with(libc, atoi(a[0]));
}
#endif

static int net_uring_socket(char **a)
{
	(void)a;
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	struct io_uring_sqe sqe = { .opcode = IORING_OP_SOCKET, .fd = AF_INET, .off = SOCK_STREAM };
	int s = ring_run(&r, &sqe);
	if (s == -EINVAL)
		return not_here("no IORING_OP_SOCKET on this kernel");
	return s < 0 ? blocked_errno("IORING_OP_SOCKET", -s) : escaped();
}

static int net_uring_connect(char **a)
{
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	struct io_uring_sqe sqe = { .opcode = IORING_OP_SOCKET, .fd = AF_INET, .off = SOCK_STREAM };
	int s = ring_run(&r, &sqe);
	if (s == -EINVAL)
		return not_here("no IORING_OP_SOCKET on this kernel");
	if (s < 0)
		return blocked_errno("IORING_OP_SOCKET", -s);
	struct sockaddr_in to = loopback(atoi(a[0]));
	struct io_uring_sqe c = { .opcode = IORING_OP_CONNECT, .fd = s, .addr = (uintptr_t)&to, .off = sizeof to };
	int res = ring_run(&r, &c);
	return res < 0 ? blocked_errno("IORING_OP_CONNECT", -res) : escaped();
}

static int net_int80(char **a)
{
	(void)a;
	long s;
	if (!try_int80(I386_SOCKET, AF_INET, SOCK_STREAM, 0, &s))
		return not_here("no 32-bit system-call gate");
	return s < 0 ? blocked_errno("i386 socket", -s) : escaped();
}

static int net_inherited(char **a)
{
	/* fd 3: an unconnected socket made before the rules, passed down */
	struct sockaddr_in to = loopback(atoi(a[0]));
	if (fcntl(3, F_GETFD) < 0)
		return blocked_errno("no fd 3 was passed", 0);
	return connect(3, (void *)&to, sizeof to) < 0 ? blocked("connect fd 3") : escaped();
}

static int net_clearenv(char **a) { return clearenv_child("net-connect", a, 1); }

/* ---- exec (ARGS: MARKER) -------------------------------------------- */
/* Each starts `touch MARKER`; ESCAPED only if MARKER then exists. */

static int marker_made(const char *marker)
{
	struct stat st;
	return stat(marker, &st) == 0;
}

/* run FN(marker) in a child; the exec's errno comes back over a pipe */
static int in_child(const char *marker, void (*fn)(const char *), int use_vfork)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return blocked("pipe");
	fflush(stdout);
	pid_t pid = use_vfork ? vfork() : fork();
	if (pid < 0)
		return blocked(use_vfork ? "vfork" : "fork");
	if (pid == 0) {
		fn(marker);
		int err = errno;
		if (write(p[1], &err, sizeof err) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	int err = 0, status;
	if (read(p[0], &err, sizeof err) != sizeof err)
		err = 0;
	waitpid(pid, &status, 0);
	if (marker_made(marker))
		return escaped();
	return blocked_errno(err ? "exec" : "the program did not run", err);
}

static void do_execve(const char *m)
{
	char *argv[] = { "touch", (char *)m, NULL };
	execve(TOUCH, argv, environ);
}
static void do_raw_execve(const char *m)
{
	char *argv[] = { "touch", (char *)m, NULL };
	syscall(SYS_execve, TOUCH, argv, environ);
}
static void do_execveat(const char *m)
{
	/* exec an O_PATH fd with an empty path: no path for a hook to match */
	char *argv[] = { "touch", (char *)m, NULL };
	int fd = open(TOUCH, O_PATH);
	if (fd >= 0)
		syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}
static void do_fexecve(const char *m)
{
	char *argv[] = { "touch", (char *)m, NULL };
	int fd = open(TOUCH, O_RDONLY);
	if (fd >= 0)
		fexecve(fd, argv, environ);
}
static void do_memfd(const char *m)
{
	/* an anonymous copy of the program: no path on any file system */
	char *argv[] = { "touch", (char *)m, NULL };
	int in = open(TOUCH, O_RDONLY), out = memfd_create("x", MFD_CLOEXEC);
	if (in < 0 || out < 0)
		return;
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			return;
	fexecve(out, argv, environ);
}
static void do_proc_fd(const char *m)
{
	char *argv[] = { "touch", (char *)m, NULL }, path[64];
	int fd = open(TOUCH, O_PATH);
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	execve(path, argv, environ);
}
static void do_ldso(const char *m)
{
	/* the dynamic loader maps the program itself: only ld.so is exec'd */
	char *argv[] = { "ld.so", TOUCH, (char *)m, NULL };
	execve("/lib64/ld-linux-x86-64.so.2", argv, environ);
}
static void do_clearenv(const char *m)
{
	char *argv[] = { "touch", (char *)m, NULL }, *envp[] = { NULL };
	clearenv();
	execve(TOUCH, argv, envp);
}
static void do_int80(const char *m)
{
	/* argv as 32-bit pointers, below 4 GiB */
	uint32_t *argv = (uint32_t *)low_copy("0123456789ab");
	argv[0] = (uint32_t)(uintptr_t)low_copy("touch");
	argv[1] = (uint32_t)(uintptr_t)low_copy(m);
	argv[2] = 0;
	long ret;
	if (!try_int80(I386_EXECVE, (long)(uintptr_t)low_copy(TOUCH), (long)(uintptr_t)argv, 0, &ret))
		ret = -ENOSYS;
	errno = -ret;
}

static int exec_execve(char **a) { return in_child(a[0], do_execve, 0); }
static int exec_raw_execve(char **a) { return in_child(a[0], do_raw_execve, 0); }
static int exec_execveat(char **a) { return in_child(a[0], do_execveat, 0); }
static int exec_fexecve(char **a) { return in_child(a[0], do_fexecve, 0); }
static int exec_memfd(char **a) { return in_child(a[0], do_memfd, 0); }
static int exec_proc_fd(char **a) { return in_child(a[0], do_proc_fd, 0); }
static int exec_vfork(char **a) { return in_child(a[0], do_execve, 1); }
static int exec_ldso(char **a) { return in_child(a[0], do_ldso, 0); }
static int exec_clearenv(char **a) { return in_child(a[0], do_clearenv, 0); }
static int exec_int80(char **a)
{
	long r;
	if (!try_int80(I386_GETPID, 0, 0, 0, &r))
		return not_here("no 32-bit system-call gate");
	return in_child(a[0], do_int80, 0);
}

static int exec_posix_spawn(char **a)
{
	char *argv[] = { "touch", a[0], NULL };
	pid_t pid;
	int err = posix_spawn(&pid, TOUCH, NULL, NULL, argv, environ);
	if (err == 0)
		waitpid(pid, NULL, 0);
	return marker_made(a[0]) ? escaped() : blocked_errno("posix_spawn", err);
}

static int shell_result(const char *what, const char *marker, int status)
{
	if (marker_made(marker))
		return escaped();
	char why[128];
	snprintf(why, sizeof why, "%s: the program did not run (status %d)", what, status);
	return blocked_errno(why, 0);
}

static int exec_system(char **a)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, TOUCH " '%s' 2>/dev/null", a[0]);
	fflush(stdout);
	return shell_result("system", a[0], system(cmd));
}

static int exec_popen(char **a)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, TOUCH " '%s' 2>/dev/null", a[0]);
	fflush(stdout);
	FILE *f = popen(cmd, "r");
	if (!f)
		return blocked("popen");
	return shell_result("popen", a[0], pclose(f));
}

static int exec_wordexp(char **a)
{
	/* command substitution: glibc's wordexp starts /bin/sh -c */
	char words[4200];
	snprintf(words, sizeof words, "$(" TOUCH " '%s' 2>/dev/null)", a[0]);
	wordexp_t w;
	fflush(stdout);
	int r = wordexp(words, &w, 0);
	return shell_result("wordexp", a[0], r);
}

/* ---- readonly (ARGS: DIR OUTSIDE) ----------------------------------- */
/* ESCAPED when the call reports success; the test also compares DIR's
 * listing, modes, times, xattrs and contents before and after. */

static int wrote(int fd, const char *step)
{
	if (fd < 0)
		return blocked(step);
	if (write(fd, "x", 1) != 1)
		return blocked("write");
	return escaped();
}
static int done(long r, const char *step) { return r < 0 ? blocked(step) : escaped(); }

static int ro_open_write(char **a) { return wrote(open(path_join(a[0], "file"), O_WRONLY), "open O_WRONLY"); }
static int ro_open_append(char **a) { return wrote(open(path_join(a[0], "file"), O_WRONLY | O_APPEND), "open O_APPEND"); }
static int ro_open_creat(char **a) { return wrote(open(path_join(a[0], "new"), O_WRONLY | O_CREAT, 0644), "open O_CREAT"); }
static int ro_open_trunc(char **a) { return done(open(path_join(a[0], "file"), O_WRONLY | O_TRUNC), "open O_TRUNC"); }
static int ro_raw_openat(char **a)
{
	return wrote(syscall(SYS_openat, AT_FDCWD, path_join(a[0], "new"), O_WRONLY | O_CREAT, 0644), "openat");
}
static int ro_openat2(char **a)
{
	/* openat2: a newer entry point with its own argument block */
	struct open_how how = { .flags = O_WRONLY | O_CREAT, .mode = 0644 };
	long fd = syscall(SYS_openat2, AT_FDCWD, path_join(a[0], "new"), &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		return not_here("no openat2 on this kernel");
	return wrote(fd, "openat2");
}
static int ro_openat_dirfd(char **a)
{
	/* relative to a directory fd: the path alone never names DIR */
	int dir = open(a[0], O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return blocked("open DIR");
	return wrote(openat(dir, "new", O_WRONLY | O_CREAT, 0644), "openat(dirfd)");
}
static int ro_relative(char **a)
{
	if (chdir(a[0]) < 0)
		return blocked("chdir");
	return wrote(open("new", O_WRONLY | O_CREAT, 0644), "open relative");
}
static int ro_dotdot(char **a)
{
	/* a path that reaches DIR only after .. is resolved */
	return wrote(open(path_join(a[0], "sub/..//./new"), O_WRONLY | O_CREAT, 0644), "open sub/../new");
}
static int ro_uring_openat(char **a)
{
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	int fd = uring_openat(&r, path_join(a[0], "new"), O_WRONLY | O_CREAT);
	return fd < 0 ? blocked_errno("IORING_OP_OPENAT", -fd) : wrote(fd, "");
}
static int ro_uring_mkdir(char **a)
{
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	struct io_uring_sqe sqe = { .opcode = IORING_OP_MKDIRAT, .fd = AT_FDCWD,
				    .addr = (uintptr_t)path_join(a[0], "newdir"), .len = 0755 };
	int res = ring_run(&r, &sqe);
	return res < 0 ? blocked_errno("IORING_OP_MKDIRAT", -res) : escaped();
}
static int ro_uring_unlink(char **a)
{
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	struct io_uring_sqe sqe = { .opcode = IORING_OP_UNLINKAT, .fd = AT_FDCWD,
				    .addr = (uintptr_t)path_join(a[0], "victim") };
	int res = ring_run(&r, &sqe);
	return res < 0 ? blocked_errno("IORING_OP_UNLINKAT", -res) : escaped();
}
static int ro_mkstemp(char **a)
{
	char *t = path_join(a[0], "tmpXXXXXX");
	return wrote(mkstemp(t), "mkstemp");
}
static int ro_symlink_from_outside(char **a)
{
	/* a link made where writing is allowed, pointing into DIR */
	char *link = path_join(a[1], "link-to-file");
	unlink(link);
	if (symlink(path_join(a[0], "file"), link) < 0)
		return blocked("symlink outside");
	return wrote(open(link, O_WRONLY | O_APPEND), "open through the symlink");
}
static int ro_proc_fd(char **a)
{
	/* /proc/self/fd/N/x: DIR reached through a magic link */
	char path[64];
	int dir = open(a[0], O_PATH | O_DIRECTORY);
	if (dir < 0)
		return blocked("open DIR O_PATH");
	snprintf(path, sizeof path, "/proc/self/fd/%d/new", dir);
	return wrote(open(path, O_WRONLY | O_CREAT, 0644), "open /proc/self/fd/N/new");
}
static int ro_proc_cwd(char **a)
{
	if (chdir(a[0]) < 0)
		return blocked("chdir");
	return wrote(open("/proc/self/cwd/new", O_WRONLY | O_CREAT, 0644), "open /proc/self/cwd/new");
}
static int ro_proc_reopen(char **a)
{
	/* reopen a read-only fd for writing through /proc/self/fd/N */
	char path[64];
	int fd = open(path_join(a[0], "file"), O_RDONLY);
	if (fd < 0)
		return blocked("open O_RDONLY");
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	return wrote(open(path, O_WRONLY | O_APPEND), "reopen O_WRONLY");
}
static char *outside_file(const char *outside)
{
	char *src = path_join(outside, "made-outside");
	int fd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	return src;
}
static int ro_rename_into(char **a) { return done(rename(outside_file(a[1]), path_join(a[0], "moved-in")), "rename into DIR"); }
static int ro_link_into(char **a) { return done(link(outside_file(a[1]), path_join(a[0], "linked-in")), "link into DIR"); }
static int ro_rename_out(char **a) { return done(rename(path_join(a[0], "victim"), path_join(a[1], "stolen")), "rename out of DIR"); }
static int ro_rename_inside(char **a) { return done(rename(path_join(a[0], "victim"), path_join(a[0], "renamed")), "rename"); }
static int ro_renameat2_exchange(char **a)
{
	/* swap a file outside with one inside: neither is "created" */
	return done(syscall(SYS_renameat2, AT_FDCWD, outside_file(a[1]), AT_FDCWD, path_join(a[0], "victim"),
			    RENAME_EXCHANGE), "renameat2 RENAME_EXCHANGE");
}
static int ro_unlink(char **a) { return done(unlink(path_join(a[0], "victim")), "unlink"); }
static int ro_raw_unlinkat(char **a) { return done(syscall(SYS_unlinkat, AT_FDCWD, path_join(a[0], "victim"), 0), "unlinkat"); }
static int ro_rmdir(char **a) { return done(rmdir(path_join(a[0], "emptydir")), "rmdir"); }
static int ro_mkdir(char **a) { return done(mkdir(path_join(a[0], "newdir"), 0755), "mkdir"); }
static int ro_mkfifo(char **a) { return done(mkfifo(path_join(a[0], "fifo"), 0644), "mkfifo"); }
static int ro_mknod(char **a) { return done(mknod(path_join(a[0], "nod"), S_IFREG | 0644, 0), "mknod S_IFREG"); }
static int ro_symlink_in(char **a) { return done(symlink("file", path_join(a[0], "sl")), "symlink in DIR"); }
static int ro_truncate(char **a) { return done(truncate(path_join(a[0], "file"), 0), "truncate"); }
static int ro_utimes(char **a)
{
	struct timeval tv[2] = { { 1, 0 }, { 1, 0 } };
	return done(utimes(path_join(a[0], "file"), tv), "utimes");
}
static int ro_utimensat(char **a)
{
	struct timespec ts[2] = { { 2, 0 }, { 2, 0 } };
	return done(utimensat(AT_FDCWD, path_join(a[0], "file"), ts, 0), "utimensat");
}
static int ro_futimens(char **a)
{
	/* metadata through a read-only fd: the open was allowed */
	struct timespec ts[2] = { { 3, 0 }, { 3, 0 } };
	int fd = open(path_join(a[0], "file"), O_RDONLY);
	if (fd < 0)
		return blocked("open O_RDONLY");
	return done(futimens(fd, ts), "futimens");
}
static int ro_chmod(char **a) { return done(chmod(path_join(a[0], "file"), 0600), "chmod"); }
static int ro_fchmod(char **a)
{
	int fd = open(path_join(a[0], "file"), O_RDONLY);
	if (fd < 0)
		return blocked("open O_RDONLY");
	return done(fchmod(fd, 0600), "fchmod");
}
static int ro_chown(char **a) { return done(chown(path_join(a[0], "file"), 1, 1), "chown"); }
static int ro_setxattr(char **a) { return done(setxattr(path_join(a[0], "file"), "user.x", "1", 1, 0), "setxattr"); }
static int ro_fsetxattr(char **a)
{
	int fd = open(path_join(a[0], "file"), O_RDONLY);
	if (fd < 0)
		return blocked("open O_RDONLY");
	return done(fsetxattr(fd, "user.x", "1", 1, 0), "fsetxattr");
}
static int ro_handle(char **a)
{
	/* a file handle names the inode, not a path (needs CAP_DAC_READ_SEARCH) */
	struct { struct file_handle h; unsigned char room[128]; } fh = { .h.handle_bytes = 128 };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path_join(a[0], "file"), &fh.h, &mount_id, 0) < 0)
		return blocked("name_to_handle_at");
	int mount_fd = open(a[1], O_RDONLY | O_DIRECTORY);
	return wrote(open_by_handle_at(mount_fd, &fh.h, O_WRONLY | O_APPEND), "open_by_handle_at");
}
static int ro_int80(char **a)
{
	long fd;
	if (!try_int80(I386_OPEN, (long)(uintptr_t)low_copy(path_join(a[0], "new")), O_WRONLY | O_CREAT, 0644, &fd))
		return not_here("no 32-bit system-call gate");
	return fd < 0 ? blocked_errno("i386 open", -fd) : wrote(fd, "");
}
static int ro_umount(char **a)
{
	/* as root: take away whatever mount makes DIR read-only, then write */
	umount2(a[0], MNT_DETACH);
	return wrote(open(path_join(a[0], "new"), O_WRONLY | O_CREAT, 0644), "open O_CREAT after umount");
}
static int ro_remount(char **a)
{
	/* as root: remount a read-only bind mount read-write, then write */
	mount(NULL, a[0], NULL, MS_REMOUNT | MS_BIND, NULL);
	return wrote(open(path_join(a[0], "new"), O_WRONLY | O_CREAT, 0644), "open O_CREAT after remount");
}
static int ro_open_tree(char **a)
{
	/* as root: a detached copy of the parent mount, without DIR's mount on it */
	char *parent = dir_of(a[0]);
	long tree = syscall(SYS_open_tree, AT_FDCWD, parent, 1 /* OPEN_TREE_CLONE */);
	if (tree < 0)
		return errno == ENOSYS ? not_here("no open_tree") : blocked("open_tree");
	return wrote(openat(tree, path_join(base_of(a[0]), "new"), O_WRONLY | O_CREAT, 0644), "openat in the clone");
}
static int ro_clearenv(char **a) { return clearenv_child("ro-open-creat", a, 2); }

/* ---- hide (ARGS: HIDDEN OUTSIDE) ------------------------------------ */

static int hide_open(char **a) { return read_secret(open(a[0], O_RDONLY), "open"); }
static int hide_fopen(char **a)
{
	FILE *f = fopen(a[0], "r");
	return read_secret(f ? dup(fileno(f)) : -1, "fopen");
}
static int hide_raw_openat(char **a) { return read_secret(syscall(SYS_openat, AT_FDCWD, a[0], O_RDONLY), "openat"); }
static int hide_openat2(char **a)
{
	struct open_how how = { .flags = O_RDONLY };
	long fd = syscall(SYS_openat2, AT_FDCWD, a[0], &how, sizeof how);
	if (fd < 0 && errno == ENOSYS)
		return not_here("no openat2 on this kernel");
	return read_secret(fd, "openat2");
}
static int hide_uring_openat(char **a)
{
	struct ring r;
	if (!ring_or_report(&r))
		return 0;
	int fd = uring_openat(&r, a[0], O_RDONLY);
	return fd < 0 ? blocked_errno("IORING_OP_OPENAT", -fd) : read_secret(fd, "IORING_OP_OPENAT");
}
static int hide_openat_dirfd(char **a)
{
	int dir = open(dir_of(a[0]), O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return blocked("open parent");
	return read_secret(openat(dir, base_of(a[0]), O_RDONLY), "openat(parent fd)");
}
static int hide_relative(char **a)
{
	if (chdir(dir_of(a[0])) < 0)
		return blocked("chdir");
	return read_secret(open(base_of(a[0]), O_RDONLY), "open relative");
}
static int hide_dotdot(char **a)
{
	/* PARENT/../PARENT//./NAME: the same file, spelt differently */
	char *parent = dir_of(a[0]), *p;
	if (asprintf(&p, "%s/../%s//./%s", parent, base_of(parent), base_of(a[0])) < 0)
		return 3;
	return read_secret(open(p, O_RDONLY), "open PARENT/../PARENT//./NAME");
}
static int hide_symlink(char **a)
{
	char *link = path_join(a[1], "link-to-hidden");
	unlink(link);
	if (symlink(a[0], link) < 0)
		return blocked("symlink");
	return read_secret(open(link, O_RDONLY), "open through the symlink");
}
static int hide_hardlink(char **a)
{
	/* OUTSIDE/hardlink: the same inode, linked before the run */
	return read_secret(open(path_join(a[1], "hardlink"), O_RDONLY), "open the hard link");
}
static int hide_link_new(char **a)
{
	/* a new name for the hidden file, made during the run */
	char *p = path_join(a[1], "newlink");
	unlink(p);
	if (link(a[0], p) < 0)
		return blocked("link");
	return read_secret(open(p, O_RDONLY), "open the new link");
}
static int hide_proc_cwd(char **a)
{
	char *p;
	if (chdir(dir_of(a[0])) < 0)
		return blocked("chdir");
	if (asprintf(&p, "/proc/self/cwd/%s", base_of(a[0])) < 0)
		return 3;
	return read_secret(open(p, O_RDONLY), "open /proc/self/cwd/NAME");
}
static int hide_proc_fd(char **a)
{
	char p[4200];
	int dir = open(dir_of(a[0]), O_PATH | O_DIRECTORY);
	if (dir < 0)
		return blocked("open parent O_PATH");
	snprintf(p, sizeof p, "/proc/self/fd/%d/%s", dir, base_of(a[0]));
	return read_secret(open(p, O_RDONLY), "open /proc/self/fd/N/NAME");
}
static int hide_proc_root(char **a)
{
	char p[4200];
	snprintf(p, sizeof p, "/proc/self/root%s", a[0]);
	return read_secret(open(p, O_RDONLY), "open /proc/self/root/PATH");
}
static int hide_proc1_root(char **a)
{
	/* as root: the file as init sees it, outside any private mount namespace */
	char p[4200];
	snprintf(p, sizeof p, "/proc/1/root%s", a[0]);
	return read_secret(open(p, O_RDONLY), "open /proc/1/root/PATH");
}
static int hide_proc_ppid_root(char **a)
{
	/* the parent (the launcher, or the shell) may live outside the
	 * sandbox's mount namespace: its root shows the file uncovered */
	char p[4200];
	snprintf(p, sizeof p, "/proc/%d/root%s", (int)getppid(), a[0]);
	return read_secret(open(p, O_RDONLY), "open /proc/PPID/root/PATH");
}
static int hide_handle(char **a)
{
	struct { struct file_handle h; unsigned char room[128]; } fh = { .h.handle_bytes = 128 };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, a[0], &fh.h, &mount_id, 0) < 0)
		return blocked("name_to_handle_at");
	int mount_fd = open(a[1], O_RDONLY | O_DIRECTORY);
	return read_secret(open_by_handle_at(mount_fd, &fh.h, O_RDONLY), "open_by_handle_at");
}
static int hide_handle_saved(char **a)
{
	/* a handle taken before the run (escape mkhandle): no path at all */
	struct { struct file_handle h; unsigned char room[128]; } fh;
	int in = open(path_join(a[1], "handle"), O_RDONLY);
	if (in < 0)
		return blocked_errno("no saved handle (OUTSIDE/handle)", 0);
	ssize_t n = read(in, &fh, sizeof fh);
	close(in);
	if (n < (ssize_t)sizeof fh.h)
		return blocked_errno("short saved handle", 0);
	int mount_fd = open(a[1], O_RDONLY | O_DIRECTORY);
	return read_secret(open_by_handle_at(mount_fd, &fh.h, O_RDONLY), "open_by_handle_at");
}
static int hide_int80(char **a)
{
	long fd;
	if (!try_int80(I386_OPEN, (long)(uintptr_t)low_copy(a[0]), O_RDONLY, 0, &fd))
		return not_here("no 32-bit system-call gate");
	return fd < 0 ? blocked_errno("i386 open", -fd) : read_secret(fd, "i386 open");
}
static int hide_umount(char **a)
{
	/* as root: take away a mount that covers the file, then read it */
	umount2(a[0], MNT_DETACH);
	umount2(dir_of(a[0]), MNT_DETACH);
	return read_secret(open(a[0], O_RDONLY), "open after umount");
}
static int hide_open_tree(char **a)
{
	/* as root: a detached copy of the parent's mount, without what covers the file */
	char *parent = dir_of(a[0]);
	long tree = syscall(SYS_open_tree, AT_FDCWD, parent, 1 /* OPEN_TREE_CLONE */);
	if (tree < 0)
		return errno == ENOSYS ? not_here("no open_tree") : blocked("open_tree");
	return read_secret(openat(tree, base_of(a[0]), O_RDONLY), "openat in the clone");
}
static int hide_clearenv(char **a) { return clearenv_child("hide-open", a, 2); }

/* Not asserted under --enforce (the kernel may show an empty stand-in);
 * ESCAPED here means the name or the real size showed, not the content. */
static int hide_list_getdents(char **a)
{
	char buf[8192];
	int dir = open(dir_of(a[0]), O_RDONLY | O_DIRECTORY);
	if (dir < 0)
		return blocked("open parent");
	long n;
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0)
		for (long off = 0; off < n;) {
			struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d =
				(void *)(buf + off);
			if (strcmp(d->name, base_of(a[0])) == 0)
				return escaped();
			off += d->reclen;
		}
	return n < 0 ? blocked("getdents64") : blocked_errno("the name is not listed", 0);
}
static int hide_list_stat(char **a)
{
	struct stat st;
	if (stat(a[0], &st) < 0)
		return blocked("stat");
	if (st.st_size >= (off_t)strlen(SECRET))
		return escaped();
	return blocked_errno("stat shows an empty stand-in", 0);
}

/* ---- deny CALL (ARGS: DIR) ------------------------------------------ */

static int call_mkdir_libc(char **a) { return done(mkdir(path_join(a[0], "made"), 0755), "mkdir"); }
static int call_mkdir_raw(char **a) { return done(syscall(SYS_mkdir, path_join(a[0], "made"), 0755), "mkdir"); }
static int call_mkdir_int80(char **a)
{
	long r;
	if (!try_int80(I386_MKDIR, (long)(uintptr_t)low_copy(path_join(a[0], "made")), 0755, 0, &r))
		return not_here("no 32-bit system-call gate");
	return r < 0 ? blocked_errno("i386 mkdir", -r) : escaped();
}
static int call_mkdir_clearenv(char **a) { return clearenv_child("call-mkdir-libc", a, 1); }
static int call_getpid_libc(char **a)
{
	/* glibc's getpid() cannot fail, so it sets no errno: a refusal
	 * comes back as the kernel's -errno in the result itself */
	(void)a;
	errno = 0;
	pid_t pid = getpid();
	if (pid < 0 && errno == 0)
		errno = -pid;
	return done(pid > 0 ? 0 : -1, "getpid");
}
static int call_getpid_raw(char **a) { (void)a; return done(syscall(SYS_getpid) > 0 ? 0 : -1, "getpid"); }
static int call_getpid_int80(char **a)
{
	(void)a;
	long r;
	if (!try_int80(I386_GETPID, 0, 0, 0, &r))
		return not_here("no 32-bit system-call gate");
	return r > 0 ? escaped() : blocked_errno("i386 getpid", -r);
}

/* ---- any rule (no ARGS) --------------------------------------------- */

static int any_no_new_privs(char **a)
{
	/* without no_new_privs a setuid helper would run with more rights
	 * than the rules assume (there is none to try as root: we report the bit) */
	(void)a;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? blocked_errno("no_new_privs is set", 0) : escaped();
}

static int any_setuid_helper(char **a)
{
	/* become nobody, then run a setuid-root helper (ARGS: HELPER, a
	 * setuid-root copy of escape): without no_new_privs it is root
	 * again, with every right the rules were meant to take away */
	if (geteuid() != 0)
		return not_here("not root: no one to drop to");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return blocked("fork");
	if (pid == 0) {
		char *argv[] = { "escape", "--as", (char *)attempt_name, "euid", NULL };
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
			blocked("setuid(nobody)");
			_exit(0);
		}
		execve(a[0], argv, environ);
		blocked("execve of the helper");
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	return 0;
}

/* ---- the table ------------------------------------------------------ */

struct attempt {
	const char *name, *rule;
	int nargs;
	int (*fn)(char **args);
};

static const struct attempt attempts[] = {
	{ "net-socket", "network", 1, net_socket },
	{ "net-connect", "network", 1, net_connect },
	{ "net-raw-socket", "network", 1, net_raw_socket },
	{ "net-raw-connect", "network", 1, net_raw_connect },
	{ "net-inet6", "network", 1, net_inet6 },
	{ "net-packet", "network", 1, net_packet },
	{ "net-udp", "network", 1, net_udp },
	{ "net-fastopen", "network", 1, net_fastopen },
	{ "net-bind", "network", 1, net_bind },
#ifndef ESCAPE_STATIC
	{ "net-dlsym-next", "network", 1, net_dlsym_next },
	{ "net-dlsym-libc", "network", 1, net_dlsym_libc },
#endif
	{ "net-uring-socket", "network", 1, net_uring_socket },
	{ "net-uring-connect", "network", 1, net_uring_connect },
	{ "net-int80", "network", 1, net_int80 },
	{ "net-inherited", "network", 1, net_inherited },
	{ "net-clearenv", "network", 1, net_clearenv },

	{ "exec-execve", "exec", 1, exec_execve },
	{ "exec-raw-execve", "exec", 1, exec_raw_execve },
	{ "exec-execveat", "exec", 1, exec_execveat },
	{ "exec-fexecve", "exec", 1, exec_fexecve },
	{ "exec-memfd", "exec", 1, exec_memfd },
	{ "exec-proc-fd", "exec", 1, exec_proc_fd },
	{ "exec-vfork", "exec", 1, exec_vfork },
	{ "exec-posix-spawn", "exec", 1, exec_posix_spawn },
	{ "exec-system", "exec", 1, exec_system },
	{ "exec-popen", "exec", 1, exec_popen },
	{ "exec-wordexp", "exec", 1, exec_wordexp },
	{ "exec-ldso", "exec", 1, exec_ldso },
	{ "exec-clearenv", "exec", 1, exec_clearenv },
	{ "exec-int80", "exec", 1, exec_int80 },

	{ "ro-open-write", "readonly", 2, ro_open_write },
	{ "ro-open-append", "readonly", 2, ro_open_append },
	{ "ro-open-creat", "readonly", 2, ro_open_creat },
	{ "ro-open-trunc", "readonly", 2, ro_open_trunc },
	{ "ro-raw-openat", "readonly", 2, ro_raw_openat },
	{ "ro-openat2", "readonly", 2, ro_openat2 },
	{ "ro-openat-dirfd", "readonly", 2, ro_openat_dirfd },
	{ "ro-relative", "readonly", 2, ro_relative },
	{ "ro-dotdot", "readonly", 2, ro_dotdot },
	{ "ro-uring-openat", "readonly", 2, ro_uring_openat },
	{ "ro-uring-mkdir", "readonly", 2, ro_uring_mkdir },
	{ "ro-uring-unlink", "readonly", 2, ro_uring_unlink },
	{ "ro-mkstemp", "readonly", 2, ro_mkstemp },
	{ "ro-symlink-from-outside", "readonly", 2, ro_symlink_from_outside },
	{ "ro-proc-fd", "readonly", 2, ro_proc_fd },
	{ "ro-proc-cwd", "readonly", 2, ro_proc_cwd },
	{ "ro-proc-reopen", "readonly", 2, ro_proc_reopen },
	{ "ro-rename-into", "readonly", 2, ro_rename_into },
	{ "ro-link-into", "readonly", 2, ro_link_into },
	{ "ro-rename-out", "readonly", 2, ro_rename_out },
	{ "ro-rename-inside", "readonly", 2, ro_rename_inside },
	{ "ro-renameat2-exchange", "readonly", 2, ro_renameat2_exchange },
	{ "ro-unlink", "readonly", 2, ro_unlink },
	{ "ro-raw-unlinkat", "readonly", 2, ro_raw_unlinkat },
	{ "ro-rmdir", "readonly", 2, ro_rmdir },
	{ "ro-mkdir", "readonly", 2, ro_mkdir },
	{ "ro-mkfifo", "readonly", 2, ro_mkfifo },
	{ "ro-mknod", "readonly", 2, ro_mknod },
	{ "ro-symlink-in", "readonly", 2, ro_symlink_in },
	{ "ro-truncate", "readonly", 2, ro_truncate },
	{ "ro-utimes", "readonly", 2, ro_utimes },
	{ "ro-utimensat", "readonly", 2, ro_utimensat },
	{ "ro-futimens", "readonly", 2, ro_futimens },
	{ "ro-chmod", "readonly", 2, ro_chmod },
	{ "ro-fchmod", "readonly", 2, ro_fchmod },
	{ "ro-chown", "readonly", 2, ro_chown },
	{ "ro-setxattr", "readonly", 2, ro_setxattr },
	{ "ro-fsetxattr", "readonly", 2, ro_fsetxattr },
	{ "ro-handle", "readonly", 2, ro_handle },
	{ "ro-int80", "readonly", 2, ro_int80 },
	{ "ro-umount", "readonly", 2, ro_umount },
	{ "ro-remount", "readonly", 2, ro_remount },
	{ "ro-open-tree", "readonly", 2, ro_open_tree },
	{ "ro-clearenv", "readonly", 2, ro_clearenv },

	{ "hide-open", "hide", 2, hide_open },
	{ "hide-fopen", "hide", 2, hide_fopen },
	{ "hide-raw-openat", "hide", 2, hide_raw_openat },
	{ "hide-openat2", "hide", 2, hide_openat2 },
	{ "hide-uring-openat", "hide", 2, hide_uring_openat },
	{ "hide-openat-dirfd", "hide", 2, hide_openat_dirfd },
	{ "hide-relative", "hide", 2, hide_relative },
	{ "hide-dotdot", "hide", 2, hide_dotdot },
	{ "hide-symlink", "hide", 2, hide_symlink },
	{ "hide-hardlink", "hide", 2, hide_hardlink },
	{ "hide-link-new", "hide", 2, hide_link_new },
	{ "hide-proc-cwd", "hide", 2, hide_proc_cwd },
	{ "hide-proc-fd", "hide", 2, hide_proc_fd },
	{ "hide-proc-root", "hide", 2, hide_proc_root },
	{ "hide-proc1-root", "hide", 2, hide_proc1_root },
	{ "hide-proc-ppid-root", "hide", 2, hide_proc_ppid_root },
	{ "hide-handle", "hide", 2, hide_handle },
	{ "hide-handle-saved", "hide", 2, hide_handle_saved },
	{ "hide-int80", "hide", 2, hide_int80 },
	{ "hide-umount", "hide", 2, hide_umount },
	{ "hide-open-tree", "hide", 2, hide_open_tree },
	{ "hide-clearenv", "hide", 2, hide_clearenv },
	{ "hide-list-getdents", "hide", 2, hide_list_getdents },
	{ "hide-list-stat", "hide", 2, hide_list_stat },

	{ "call-mkdir-libc", "call-mkdir", 1, call_mkdir_libc },
	{ "call-mkdir-raw", "call-mkdir", 1, call_mkdir_raw },
	{ "call-mkdir-int80", "call-mkdir", 1, call_mkdir_int80 },
	{ "call-mkdir-clearenv", "call-mkdir", 1, call_mkdir_clearenv },
	{ "call-getpid-libc", "call-getpid", 0, call_getpid_libc },
	{ "call-getpid-raw", "call-getpid", 0, call_getpid_raw },
	{ "call-getpid-int80", "call-getpid", 0, call_getpid_int80 },

	{ "any-no-new-privs", "any", 1, any_no_new_privs },
	{ "any-setuid-helper", "any", 1, any_setuid_helper },
};

/* ---- the subcommands that are not attempts -------------------------- */

static int listen_forever(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in at = loopback(0);
	socklen_t len = sizeof at;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(s, IPPROTO_TCP, 23 /* TCP_FASTOPEN */, &(int){ 5 }, sizeof(int));
	if (bind(s, (void *)&at, sizeof at) < 0 || listen(s, 64) < 0 || getsockname(s, (void *)&at, &len) < 0) {
		perror("escape listen");
		return 1;
	}
	printf("%d\n", ntohs(at.sin_port));
	fflush(stdout);
	alarm(300); /* a forgotten listener goes away on its own */
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static int make_handle(const char *path, const char *file)
{
	struct { struct file_handle h; unsigned char room[128]; } fh = { .h.handle_bytes = 128 };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path, &fh.h, &mount_id, 0) < 0) {
		perror("name_to_handle_at");
		return 1;
	}
	int out = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0 || write(out, &fh, sizeof fh) != sizeof fh) {
		perror(file);
		return 1;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: escape ATTEMPT ARGS... | list [RULE] | listen | mkhandle PATH FILE\n");
	return 3;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	self_exe[n > 0 ? n : 0] = 0;
	const char *as = NULL;
	if (argc >= 3 && strcmp(argv[1], "--as") == 0) {
		as = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 2)
		return usage();
	if (strcmp(argv[1], "listen") == 0)
		return listen_forever();
	if (strcmp(argv[1], "euid") == 0) {
		/* the setuid helper's half: who is it running as? */
		attempt_name = as ? as : "euid";
		return geteuid() == 0 ? escaped() : blocked_errno("the helper runs as nobody", 0);
	}
	if (strcmp(argv[1], "mkhandle") == 0)
		return argc == 4 ? make_handle(argv[2], argv[3]) : usage();
	if (strcmp(argv[1], "list") == 0) {
		for (size_t i = 0; i < sizeof attempts / sizeof *attempts; i++)
			if (argc < 3 || strcmp(attempts[i].rule, argv[2]) == 0)
				printf("%s %s\n", attempts[i].name, attempts[i].rule);
		return 0;
	}
	alarm(10);
	for (size_t i = 0; i < sizeof attempts / sizeof *attempts; i++) {
		if (strcmp(attempts[i].name, argv[1]) != 0)
			continue;
		if (argc - 2 < attempts[i].nargs)
			return usage();
		attempt_name = as ? as : attempts[i].name;
		attempts[i].fn(argv + 2);
		return 0;
	}
	fprintf(stderr, "escape: no attempt '%s'\n", argv[1]);
	return 3;
}
