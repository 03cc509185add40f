/* callprog NAME: make the libc call NAME once, with valid and harmless
 * arguments, then print one line
 *
 *     NAME ret=<value> errno=<name or 0>
 *
 * <value> is the raw return as a long, or for pointers `ptr`, `null`,
 * `mapfailed`; for free `void`; for a successful exec `exec` (printed by
 * the parent once the child, now /bin/true, exited 0). errno is named only
 * when the call failed, as the call reports it: the errno variable, the
 * returned error number for posix_memalign, posix_spawn(p) and
 * clock_nanosleep, errno for getaddrinfo's EAI_SYSTEM only.
 *
 * `callprog --list` prints every name it knows. Files go in the current
 * directory. Build with -O0 -fno-builtin so that each call goes through
 * the libc symbol (the one LD_PRELOAD interposes). The report line itself
 * goes out with a raw write(2) system call, so that a hook on write,
 * malloc or the like cannot touch it.
 *
 * `callprog NAME MODE...` makes the call once per MODE (seen, fail,
 * return, inject), printing one line each. Each call under test is
 * framed by two marks, kill() of a process group that cannot exist
 * (ESRCH, nothing sent): the first says which MODE (pid MARK_BASE - n,
 * n = 1 to 4 in the order above), the second (MARK_BASE) that the call
 * is over. The run script's hooks act only between them: under the
 * system-call layer the setup's raw system calls and this report's write
 * are seen too, and must not be failed or counted. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *callname;

/* ---- the marks around the call under test ---- */

#define MARK_BASE (-0x7ffffff0)	/* kill(MARK_BASE - n, 0): no such group */
static int cur_mode = 1;

static void mark(int n)
{
	int e = errno;
	kill(MARK_BASE - n, 0);
	errno = e;
}

/* just before the call under test */
static void begin(void)
{
	mark(cur_mode);
	errno = 0;
}

/* ---- output, outside libc's hooked calls ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	mark(0);	/* the call is over: this write is not under test */
	if (n > (int)sizeof buf - 2)
		n = (int)sizeof buf - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		long w = syscall(SYS_write, 1, buf + off, (size_t)(n - off));
		if (w <= 0)
			break;
		off += (int)w;
	}
}

static const char *errname(int e, char *tmp, size_t n)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case ESRCH: return "ESRCH";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EROFS: return "EROFS";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ELOOP: return "ELOOP";
	case EOVERFLOW: return "EOVERFLOW";
	case ENOTSOCK: return "ENOTSOCK";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EINPROGRESS: return "EINPROGRESS";
	default:
		snprintf(tmp, n, "%d", e);
		return tmp;
	}
}

/* ---- reporting, one helper per kind of result ---- */

/* -1 and errno: int, descriptors, ssize_t, off_t, time_t, pid_t, system */
static void rep_int(long r, int e)
{
	char t[16];
	say("%s ret=%ld errno=%s", callname, r, r == -1 ? errname(e, t, sizeof t) : "0");
}

/* NULL and errno */
static void rep_ptr(const void *p, int e)
{
	char t[16];
	say("%s ret=%s errno=%s", callname, p ? "ptr" : "null", p ? "0" : errname(e, t, sizeof t));
}

/* MAP_FAILED and errno */
static void rep_mmap(const void *p, int e)
{
	char t[16];
	say("%s ret=%s errno=%s", callname, p == MAP_FAILED ? "mapfailed" : p ? "ptr" : "null",
	    p == MAP_FAILED ? errname(e, t, sizeof t) : "0");
}

/* returns the error number itself */
static void rep_errnum(long r)
{
	char t[16];
	say("%s ret=%ld errno=%s", callname, r, errname((int)r, t, sizeof t));
}

/* sleep: the seconds left; errno only if it came back early */
static void rep_unslept(long r, int e)
{
	char t[16];
	say("%s ret=%ld errno=%s", callname, r, r ? errname(e, t, sizeof t) : "0");
}

/* getaddrinfo: 0, an EAI_* code, errno with EAI_SYSTEM */
static void rep_eai(long r, int e)
{
	char t[16];
	say("%s ret=%ld errno=%s", callname, r, r == EAI_SYSTEM ? errname(e, t, sizeof t) : "0");
}

/* ---- helpers for the setup; none of them is the call under test ---- */

static int must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "callprog %s: setup failed: %s: %s\n", callname, what, strerror(errno));
		_exit(3);
	}
	return 1;
}

/* a file with some bytes in it, opened read-write */
static int file_with(const char *path, const char *text)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	must(fd >= 0, path);
	must(syscall(SYS_write, fd, text, strlen(text)) == (long)strlen(text), "write");
	syscall(SYS_lseek, fd, 0, SEEK_SET);
	return fd;
}

static void make_file(const char *path)
{
	syscall(SYS_close, file_with(path, "hello\n"));
}

static void make_dir(const char *path)
{
	must(syscall(SYS_mkdirat, AT_FDCWD, path, 0755) == 0 || errno == EEXIST, path);
}

static void fd_pair(int sv[2])
{
	must(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
}

static void raw_pipe(int p[2])
{
	must(syscall(SYS_pipe2, p, 0) == 0, "pipe2");
}

/* a TCP listener on 127.0.0.1, port chosen by the kernel */
static int listener(struct sockaddr_in *addr)
{
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(fd >= 0, "socket");
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	must(syscall(SYS_bind, fd, addr, sizeof *addr) == 0, "bind");
	must(syscall(SYS_listen, fd, 8) == 0, "listen");
	socklen_t len = sizeof *addr;
	must(syscall(SYS_getsockname, fd, addr, &len) == 0, "getsockname");
	return fd;
}

/* a listener with one connection waiting in its backlog */
static int pending_listener(void)
{
	struct sockaddr_in addr;
	int lfd = listener(&addr);
	int c = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(c >= 0, "socket");
	must(syscall(SYS_connect, c, &addr, sizeof addr) == 0, "connect");
	return lfd;
}

static void reap(pid_t pid)
{
	int st;
	if (pid > 0)
		while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
			;
}

static struct timespec ms1 = { 0, 1000000 };

/* ---- files ---- */

static void t_open(void) { begin(); int r = open("f", O_CREAT | O_WRONLY, 0644); rep_int(r, errno); }
static void t_openat(void) { begin(); int r = openat(AT_FDCWD, "f", O_CREAT | O_WRONLY, 0644); rep_int(r, errno); }
static void t_creat(void) { begin(); int r = creat("f", 0644); rep_int(r, errno); }
static void t_fopen(void) { begin(); FILE *r = fopen("f", "w"); rep_ptr(r, errno); }

static void t_freopen(void)
{
	FILE *fp = fopen("g", "w");
	must(fp != NULL, "fopen");
	begin();
	FILE *r = freopen("f", "w", fp);
	rep_ptr(r, errno);
}

static void t_close(void) { int fd = file_with("f", "x"); begin(); int r = close(fd); rep_int(r, errno); }

static void t_read(void)
{
	char buf[64];
	int fd = file_with("f", "hello\n");
	begin();
	ssize_t r = read(fd, buf, sizeof buf);
	rep_int(r, errno);
}

static void t_write(void)
{
	int fd = file_with("f", "");
	begin();
	ssize_t r = write(fd, "hello\n", 6);
	rep_int(r, errno);
}

static void t_pread(void)
{
	char buf[64];
	int fd = file_with("f", "hello\n");
	begin();
	ssize_t r = pread(fd, buf, sizeof buf, 1);
	rep_int(r, errno);
}

static void t_pwrite(void)
{
	int fd = file_with("f", "hello\n");
	begin();
	ssize_t r = pwrite(fd, "HE", 2, 0);
	rep_int(r, errno);
}

static void t_readv(void)
{
	char a[3], b[16];
	struct iovec iov[2] = { { a, sizeof a }, { b, sizeof b } };
	int fd = file_with("f", "hello\n");
	begin();
	ssize_t r = readv(fd, iov, 2);
	rep_int(r, errno);
}

static void t_writev(void)
{
	struct iovec iov[2] = { { "hel", 3 }, { "lo\n", 3 } };
	int fd = file_with("f", "");
	begin();
	ssize_t r = writev(fd, iov, 2);
	rep_int(r, errno);
}

static void t_lseek(void)
{
	int fd = file_with("f", "hello\n");
	begin();
	off_t r = lseek(fd, 2, SEEK_SET);
	rep_int((long)r, errno);
}

static void t_fsync(void) { int fd = file_with("f", "x"); begin(); int r = fsync(fd); rep_int(r, errno); }
static void t_fdatasync(void) { int fd = file_with("f", "x"); begin(); int r = fdatasync(fd); rep_int(r, errno); }
static void t_truncate(void) { make_file("f"); begin(); int r = truncate("f", 2); rep_int(r, errno); }
static void t_ftruncate(void) { int fd = file_with("f", "hello\n"); begin(); int r = ftruncate(fd, 2); rep_int(r, errno); }
static void t_stat(void) { struct stat st; make_file("f"); begin(); int r = stat("f", &st); rep_int(r, errno); }
static void t_lstat(void) { struct stat st; make_file("f"); begin(); int r = lstat("f", &st); rep_int(r, errno); }
static void t_fstat(void) { struct stat st; int fd = file_with("f", "x"); begin(); int r = fstat(fd, &st); rep_int(r, errno); }

static void t_fstatat(void)
{
	struct stat st;
	make_file("f");
	begin();
	int r = fstatat(AT_FDCWD, "f", &st, 0);
	rep_int(r, errno);
}

static void t_statx(void)
{
	struct statx stx;
	make_file("f");
	begin();
	int r = statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &stx);
	rep_int(r, errno);
}

static void t_access(void) { make_file("f"); begin(); int r = access("f", R_OK); rep_int(r, errno); }
static void t_faccessat(void) { make_file("f"); begin(); int r = faccessat(AT_FDCWD, "f", R_OK, 0); rep_int(r, errno); }
static void t_unlink(void) { make_file("f"); begin(); int r = unlink("f"); rep_int(r, errno); }
static void t_unlinkat(void) { make_file("f"); begin(); int r = unlinkat(AT_FDCWD, "f", 0); rep_int(r, errno); }
static void t_rename(void) { make_file("f"); begin(); int r = rename("f", "g"); rep_int(r, errno); }
static void t_renameat(void) { make_file("f"); begin(); int r = renameat(AT_FDCWD, "f", AT_FDCWD, "g"); rep_int(r, errno); }
static void t_renameat2(void) { make_file("f"); begin(); int r = renameat2(AT_FDCWD, "f", AT_FDCWD, "g", 0); rep_int(r, errno); }
static void t_mkdir(void) { begin(); int r = mkdir("d", 0755); rep_int(r, errno); }
static void t_mkdirat(void) { begin(); int r = mkdirat(AT_FDCWD, "d", 0755); rep_int(r, errno); }
static void t_rmdir(void) { make_dir("d"); begin(); int r = rmdir("d"); rep_int(r, errno); }
static void t_chdir(void) { make_dir("d"); begin(); int r = chdir("d"); rep_int(r, errno); }
static void t_fchdir(void) { make_dir("d"); int fd = (int)syscall(SYS_open, "d", O_RDONLY | O_DIRECTORY); begin(); int r = fchdir(fd); rep_int(r, errno); }
static void t_link(void) { make_file("f"); begin(); int r = link("f", "g"); rep_int(r, errno); }
static void t_linkat(void) { make_file("f"); begin(); int r = linkat(AT_FDCWD, "f", AT_FDCWD, "g", 0); rep_int(r, errno); }
static void t_symlink(void) { make_file("f"); begin(); int r = symlink("f", "s"); rep_int(r, errno); }
static void t_symlinkat(void) { make_file("f"); begin(); int r = symlinkat("f", AT_FDCWD, "s"); rep_int(r, errno); }

static void t_readlink(void)
{
	char buf[64];
	must(syscall(SYS_symlinkat, "target", AT_FDCWD, "s") == 0 || errno == EEXIST, "symlink");
	begin();
	ssize_t r = readlink("s", buf, sizeof buf);
	rep_int(r, errno);
}

static void t_readlinkat(void)
{
	char buf[64];
	must(syscall(SYS_symlinkat, "target", AT_FDCWD, "s") == 0 || errno == EEXIST, "symlink");
	begin();
	ssize_t r = readlinkat(AT_FDCWD, "s", buf, sizeof buf);
	rep_int(r, errno);
}

static void t_chmod(void) { make_file("f"); begin(); int r = chmod("f", 0600); rep_int(r, errno); }
static void t_fchmod(void) { int fd = file_with("f", "x"); begin(); int r = fchmod(fd, 0600); rep_int(r, errno); }
static void t_fchmodat(void) { make_file("f"); begin(); int r = fchmodat(AT_FDCWD, "f", 0600, 0); rep_int(r, errno); }
/* owner and group -1: change nothing, allowed to anyone */
static void t_chown(void) { make_file("f"); begin(); int r = chown("f", (uid_t)-1, (gid_t)-1); rep_int(r, errno); }
static void t_fchown(void) { int fd = file_with("f", "x"); begin(); int r = fchown(fd, (uid_t)-1, (gid_t)-1); rep_int(r, errno); }
static void t_lchown(void) { make_file("f"); begin(); int r = lchown("f", (uid_t)-1, (gid_t)-1); rep_int(r, errno); }

static void t_fchownat(void)
{
	make_file("f");
	begin();
	int r = fchownat(AT_FDCWD, "f", (uid_t)-1, (gid_t)-1, 0);
	rep_int(r, errno);
}

static void t_utimensat(void) { make_file("f"); begin(); int r = utimensat(AT_FDCWD, "f", NULL, 0); rep_int(r, errno); }
static void t_futimens(void) { int fd = file_with("f", "x"); begin(); int r = futimens(fd, NULL); rep_int(r, errno); }
static void t_opendir(void) { begin(); DIR *r = opendir("."); rep_ptr(r, errno); }

static void t_readdir(void)
{
	DIR *d = opendir(".");
	must(d != NULL, "opendir");
	begin();
	struct dirent *r = readdir(d);
	rep_ptr(r, errno);
}

static void t_closedir(void)
{
	DIR *d = opendir(".");
	must(d != NULL, "opendir");
	begin();
	int r = closedir(d);
	rep_int(r, errno);
}

static void t_dup(void) { int fd = file_with("f", "x"); begin(); int r = dup(fd); rep_int(r, errno); }
static void t_dup2(void) { int fd = file_with("f", "x"); begin(); int r = dup2(fd, 100); rep_int(r, errno); }
static void t_dup3(void) { int fd = file_with("f", "x"); begin(); int r = dup3(fd, 101, O_CLOEXEC); rep_int(r, errno); }
static void t_pipe(void) { int p[2]; begin(); int r = pipe(p); rep_int(r, errno); }
static void t_pipe2(void) { int p[2]; begin(); int r = pipe2(p, O_CLOEXEC); rep_int(r, errno); }
static void t_fcntl(void) { int fd = file_with("f", "x"); begin(); int r = fcntl(fd, F_GETFL); rep_int(r, errno); }

static void t_ioctl(void)
{
	int p[2], n = -1;
	raw_pipe(p);
	must(syscall(SYS_write, p[1], "abc", 3) == 3, "write");
	begin();
	int r = ioctl(p[0], FIONREAD, &n);
	rep_int(r, errno);
}

static void t_mmap(void)
{
	begin();
	void *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rep_mmap(r, errno);
}

static void t_munmap(void)
{
	void *p = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must(p != MAP_FAILED, "mmap");
	begin();
	int r = munmap(p, 4096);
	rep_int(r, errno);
}

static void t_sendfile(void)
{
	int in = file_with("f", "hello\n"), out = file_with("g", "");
	begin();
	ssize_t r = sendfile(out, in, NULL, 6);
	rep_int(r, errno);
}

static void t_copy_file_range(void)
{
	int in = file_with("f", "hello\n"), out = file_with("g", "");
	begin();
	ssize_t r = copy_file_range(in, NULL, out, NULL, 6, 0);
	rep_int(r, errno);
}

static void t_fallocate(void)
{
	int fd = file_with("f", "");
	begin();
	int r = fallocate(fd, 0, 0, 4096);
	rep_int(r, errno);
}

/* ---- network ---- */

static void t_socket(void) { begin(); int r = socket(AF_INET, SOCK_STREAM, 0); rep_int(r, errno); }
static void t_socketpair(void) { int sv[2]; begin(); int r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv); rep_int(r, errno); }

static void t_connect(void)
{
	struct sockaddr_in addr;
	listener(&addr);
	int c = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(c >= 0, "socket");
	begin();
	int r = connect(c, (struct sockaddr *)&addr, sizeof addr);
	rep_int(r, errno);
}

static void t_bind(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(fd >= 0, "socket");
	begin();
	int r = bind(fd, (struct sockaddr *)&addr, sizeof addr);
	rep_int(r, errno);
}

static void t_listen(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(fd >= 0, "socket");
	must(syscall(SYS_bind, fd, &addr, sizeof addr) == 0, "bind");
	begin();
	int r = listen(fd, 8);
	rep_int(r, errno);
}

static void t_accept(void)
{
	int lfd = pending_listener();
	struct sockaddr_in peer;
	socklen_t len = sizeof peer;
	begin();
	int r = accept(lfd, (struct sockaddr *)&peer, &len);
	rep_int(r, errno);
}

static void t_accept4(void)
{
	int lfd = pending_listener();
	struct sockaddr_in peer;
	socklen_t len = sizeof peer;
	begin();
	int r = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	rep_int(r, errno);
}

static void t_send(void)
{
	int sv[2];
	fd_pair(sv);
	begin();
	ssize_t r = send(sv[0], "hello", 5, 0);
	rep_int(r, errno);
}

static void t_sendto(void)
{
	int sv[2];
	fd_pair(sv);
	begin();
	ssize_t r = sendto(sv[0], "hello", 5, 0, NULL, 0);
	rep_int(r, errno);
}

static void t_sendmsg(void)
{
	int sv[2];
	fd_pair(sv);
	struct iovec iov = { "hello", 5 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	begin();
	ssize_t r = sendmsg(sv[0], &msg, 0);
	rep_int(r, errno);
}

static void t_recv(void)
{
	int sv[2];
	char buf[16];
	fd_pair(sv);
	must(syscall(SYS_write, sv[1], "hello", 5) == 5, "write");
	begin();
	ssize_t r = recv(sv[0], buf, sizeof buf, 0);
	rep_int(r, errno);
}

static void t_recvfrom(void)
{
	int sv[2];
	char buf[16];
	struct sockaddr_storage from;
	socklen_t len = sizeof from;
	fd_pair(sv);
	must(syscall(SYS_write, sv[1], "hello", 5) == 5, "write");
	begin();
	ssize_t r = recvfrom(sv[0], buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
	rep_int(r, errno);
}

static void t_recvmsg(void)
{
	int sv[2];
	char buf[16];
	fd_pair(sv);
	must(syscall(SYS_write, sv[1], "hello", 5) == 5, "write");
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	begin();
	ssize_t r = recvmsg(sv[0], &msg, 0);
	rep_int(r, errno);
}

static void t_shutdown(void)
{
	int sv[2];
	fd_pair(sv);
	begin();
	int r = shutdown(sv[0], SHUT_WR);
	rep_int(r, errno);
}

static void t_setsockopt(void)
{
	int one = 1;
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(fd >= 0, "socket");
	begin();
	int r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	rep_int(r, errno);
}

static void t_getsockopt(void)
{
	int type = 0;
	socklen_t len = sizeof type;
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	must(fd >= 0, "socket");
	begin();
	int r = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	rep_int(r, errno);
}

static void t_getaddrinfo(void)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res = NULL;
	begin();
	int r = getaddrinfo("localhost", NULL, &hints, &res);
	rep_eai(r, errno);
}

static void t_poll(void)
{
	int p[2];
	raw_pipe(p);
	must(syscall(SYS_write, p[1], "x", 1) == 1, "write");
	struct pollfd pfd = { .fd = p[0], .events = POLLIN };
	begin();
	int r = poll(&pfd, 1, 0);
	rep_int(r, errno);
}

static void t_select(void)
{
	int p[2];
	raw_pipe(p);
	must(syscall(SYS_write, p[1], "x", 1) == 1, "write");
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = { 0, 0 };
	begin();
	int r = select(p[0] + 1, &rd, NULL, NULL, &tv);
	rep_int(r, errno);
}

static void t_epoll_wait(void)
{
	int p[2];
	raw_pipe(p);
	must(syscall(SYS_write, p[1], "x", 1) == 1, "write");
	int ep = (int)syscall(SYS_epoll_create1, 0);
	must(ep >= 0, "epoll_create1");
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = p[0] }, out[4];
	must(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "epoll_ctl");
	begin();
	int r = epoll_wait(ep, out, 4, 0);
	rep_int(r, errno);
}

/* ---- memory ---- */

static void t_malloc(void) { begin(); void *r = malloc(64); rep_ptr(r, errno); }
static void t_calloc(void) { begin(); void *r = calloc(4, 16); rep_ptr(r, errno); }

static void t_realloc(void)
{
	void *p = malloc(16);
	must(p != NULL, "malloc");
	begin();
	void *r = realloc(p, 4096);
	rep_ptr(r, errno);
}

static void t_free(void)
{
	void *p = malloc(64);
	must(p != NULL, "malloc");
	begin();
	free(p);
	say("%s ret=void errno=0", callname);
}

static void t_posix_memalign(void)
{
	void *p = NULL;
	begin();
	int r = posix_memalign(&p, 64, 128);
	rep_errnum(r);
}

static void t_aligned_alloc(void) { begin(); void *r = aligned_alloc(64, 128); rep_ptr(r, errno); }

/* ---- clock ---- */

static void t_time(void) { begin(); time_t r = time(NULL); rep_int((long)r, errno); }
static void t_gettimeofday(void) { struct timeval tv; begin(); int r = gettimeofday(&tv, NULL); rep_int(r, errno); }
static void t_clock_gettime(void) { struct timespec ts; begin(); int r = clock_gettime(CLOCK_MONOTONIC, &ts); rep_int(r, errno); }
static void t_nanosleep(void) { begin(); int r = nanosleep(&ms1, NULL); rep_int(r, errno); }
static void t_clock_nanosleep(void) { begin(); int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ms1, NULL); rep_errnum(r); }
/* one second: with 0, a failure (all seconds left) would look like success */
static void t_sleep(void) { begin(); unsigned r = sleep(1); rep_unslept((long)r, errno); }
static void t_usleep(void) { begin(); int r = usleep(1000); rep_int(r, errno); }

static void t_alarm(void)
{
	begin();
	unsigned r = alarm(1);
	int e = errno;
	mark(0);
	syscall(SYS_alarm, 0);	/* cancelled outside the hook */
	rep_unslept((long)r, e);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static void t_ftime(void) { struct timeb tb; begin(); int r = ftime(&tb); rep_int(r, errno); }
#pragma GCC diagnostic pop
static void t_timespec_get(void) { struct timespec ts; begin(); int r = timespec_get(&ts, TIME_UTC); rep_int(r, errno); }

/* A condition variable signalled by a thread once the waiter waits (it
 * holds the mutex until then), so that the wait returns 0. */
static pthread_mutex_t cv_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void *cv_signal(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cv_mutex);
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&cv_mutex);
	return NULL;
}

static void cond_wait(int clockwait)
{
	struct timespec d;
	syscall(SYS_clock_gettime, CLOCK_REALTIME, &d);
	d.tv_sec += 20;
	pthread_t th;
	pthread_mutex_lock(&cv_mutex);
	must(pthread_create(&th, NULL, cv_signal, NULL) == 0, "pthread_create");
	begin();
	int r = clockwait ? pthread_cond_clockwait(&cv, &cv_mutex, CLOCK_REALTIME, &d)
			  : pthread_cond_timedwait(&cv, &cv_mutex, &d);
	pthread_mutex_unlock(&cv_mutex);
	pthread_join(th, NULL);
	rep_errnum(r);
}
static void t_pthread_cond_timedwait(void) { cond_wait(0); }
static void t_pthread_cond_clockwait(void) { cond_wait(1); }

static void t_sem_timedwait(void)
{
	sem_t sem;
	sem_init(&sem, 0, 1);
	struct timespec d = { 0, 0 };	/* a token is there: no wait */
	begin();
	int r = sem_timedwait(&sem, &d);
	rep_int(r, errno);
}

static void t_sem_clockwait(void)
{
	sem_t sem;
	sem_init(&sem, 0, 1);
	struct timespec d = { 0, 0 };
	begin();
	int r = sem_clockwait(&sem, CLOCK_MONOTONIC, &d);
	rep_int(r, errno);
}

/* locks that are free and a thread that has ended: no wait */
static const struct timespec far = { 1L << 40, 0 };
static void t_pthread_mutex_timedlock(void) { pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; begin(); rep_errnum(pthread_mutex_timedlock(&m, &far)); }
static void t_pthread_mutex_clocklock(void) { pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER; begin(); rep_errnum(pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &far)); }
static void t_pthread_rwlock_timedrdlock(void) { pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER; begin(); rep_errnum(pthread_rwlock_timedrdlock(&l, &far)); }
static void t_pthread_rwlock_timedwrlock(void) { pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER; begin(); rep_errnum(pthread_rwlock_timedwrlock(&l, &far)); }
static void t_pthread_rwlock_clockrdlock(void) { pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER; begin(); rep_errnum(pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, &far)); }
static void t_pthread_rwlock_clockwrlock(void) { pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER; begin(); rep_errnum(pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &far)); }

static void *nothing(void *arg) { return arg; }
static void join(int clock)
{
	pthread_t th;
	must(pthread_create(&th, NULL, nothing, NULL) == 0, "pthread_create");
	begin();
	int r = clock ? pthread_clockjoin_np(th, NULL, CLOCK_MONOTONIC, &far) : pthread_timedjoin_np(th, NULL, &far);
	rep_errnum(r);
}
static void t_pthread_timedjoin_np(void) { join(0); }
static void t_pthread_clockjoin_np(void) { join(1); }

static void t_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	syscall(SYS_kill, getpid(), SIGUSR1);	/* pending: no wait */
	struct timespec ts = { 1, 0 };
	begin();
	int r = sigtimedwait(&set, NULL, &ts);
	rep_int(r, errno);
}

static const struct itimerspec in_1s = { { 0, 0 }, { 1, 0 } };

static void t_timerfd_settime(void)
{
	int fd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
	must(fd >= 0, "timerfd_create");
	begin();
	int r = timerfd_settime(fd, 0, &in_1s, NULL);
	rep_int(r, errno);
}

static void t_timerfd_gettime(void)
{
	int fd = (int)syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0);
	must(fd >= 0, "timerfd_create");
	struct itimerspec its;
	begin();
	int r = timerfd_gettime(fd, &its);
	rep_int(r, errno);
}

static struct sigevent no_signal = { .sigev_notify = SIGEV_NONE };

static void t_timer_create(void) { timer_t t; begin(); int r = timer_create(CLOCK_MONOTONIC, &no_signal, &t); rep_int(r, errno); }

static void t_timer_settime(void)
{
	timer_t t;
	must(timer_create(CLOCK_MONOTONIC, &no_signal, &t) == 0, "timer_create");
	begin();
	int r = timer_settime(t, 0, &in_1s, NULL);
	rep_int(r, errno);
}

static void t_timer_gettime(void)
{
	timer_t t;
	must(timer_create(CLOCK_MONOTONIC, &no_signal, &t) == 0, "timer_create");
	struct itimerspec its;
	begin();
	int r = timer_gettime(t, &its);
	rep_int(r, errno);
}

/* a pipe with a byte in it: each wait returns at once, ready */
static int ready_pipe(void)
{
	int p[2];
	raw_pipe(p);
	must(syscall(SYS_write, p[1], "x", 1) == 1, "write");
	return p[0];
}

static void t_pselect(void)
{
	int fd = ready_pipe();
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	struct timespec ts = { 0, 0 };
	begin();
	int r = pselect(fd + 1, &rd, NULL, NULL, &ts, NULL);
	rep_int(r, errno);
}

static void t_ppoll(void)
{
	struct pollfd pfd = { .fd = ready_pipe(), .events = POLLIN };
	struct timespec ts = { 0, 0 };
	begin();
	int r = ppoll(&pfd, 1, &ts, NULL);
	rep_int(r, errno);
}

static int ready_epoll(void)
{
	int fd = ready_pipe();
	int ep = (int)syscall(SYS_epoll_create1, 0);
	must(ep >= 0, "epoll_create1");
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	must(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	return ep;
}

static void t_epoll_pwait(void)
{
	int ep = ready_epoll();
	struct epoll_event out[4];
	begin();
	int r = epoll_pwait(ep, out, 4, 0, NULL);
	rep_int(r, errno);
}

static void t_epoll_pwait2(void)
{
	int ep = ready_epoll();
	struct epoll_event out[4];
	struct timespec ts = { 0, 0 };
	begin();
	int r = epoll_pwait2(ep, out, 4, &ts, NULL);
	rep_int(r, errno);
}

/* ---- process ---- */

static void t_fork(void)
{
	begin();
	pid_t r = fork();
	if (r == 0)
		_exit(0);
	int e = errno;
	reap(r);
	rep_int(r, e);
}

static void t_vfork(void)
{
	begin();
	pid_t r = vfork();
	if (r == 0)
		_exit(0);
	int e = errno;
	reap(r);
	rep_int(r, e);
}

/* _exit never returns: a child makes it, and the parent reports `void`
 * once the child left with the status it gave (whatever a hook did). */
static void t_exit_group(void)
{
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		begin();
		_exit(0);
	}
	int st;
	while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		say("%s ret=void errno=0", callname);
	else
		say("%s ret=status-%d errno=0", callname, st);
}

/* The exec runs in a child. If it returns, the child reports what it
 * returned and leaves with 42; if it works, /bin/true exits 0 and the
 * parent reports `ret=exec`. Anything else is reported as it is. */
static char *true_argv[] = { "true", NULL };

static long x_execve(void) { return execve("/bin/true", true_argv, environ); }
static long x_execv(void) { return execv("/bin/true", true_argv); }
static long x_execvp(void) { return execvp("true", true_argv); }
static long x_execvpe(void) { return execvpe("true", true_argv, environ); }
static long x_execl(void) { return execl("/bin/true", "true", (char *)NULL); }
static long x_execlp(void) { return execlp("true", "true", (char *)NULL); }
static long x_execle(void) { return execle("/bin/true", "true", (char *)NULL, environ); }

static void exec_test(long (*doit)(void))
{
	pid_t pid = fork();
	must(pid >= 0, "fork");
	if (pid == 0) {
		begin();
		long r = doit();
		rep_int(r, errno);
		_exit(42);
	}
	int st = 0;
	while (syscall(SYS_wait4, pid, &st, 0, NULL) < 0)
		must(errno == EINTR, "wait4");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		say("%s ret=exec errno=0", callname);
	else if (!(WIFEXITED(st) && WEXITSTATUS(st) == 42))
		say("%s ret=child-status-0x%x errno=0", callname, st);
}

static void t_execve(void) { exec_test(x_execve); }
static void t_execv(void) { exec_test(x_execv); }
static void t_execvp(void) { exec_test(x_execvp); }
static void t_execvpe(void) { exec_test(x_execvpe); }
static void t_execl(void) { exec_test(x_execl); }
static void t_execlp(void) { exec_test(x_execlp); }
static void t_execle(void) { exec_test(x_execle); }

static void t_posix_spawn(void)
{
	pid_t pid = 0;
	begin();
	int r = posix_spawn(&pid, "/bin/true", NULL, NULL, true_argv, environ);
	if (r == 0)
		reap(pid);
	rep_errnum(r);
}

static void t_posix_spawnp(void)
{
	pid_t pid = 0;
	begin();
	int r = posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ);
	if (r == 0)
		reap(pid);
	rep_errnum(r);
}

static void t_system(void) { begin(); int r = system("true"); rep_int(r, errno); }
static void t_popen(void)
{
	begin();
	FILE *r = popen("true", "r");
	rep_ptr(r, errno);
	if (r)
		pclose(r);
}
static void t_kill(void) { begin(); int r = kill(getpid(), 0); rep_int(r, errno); }
static void t_getpid(void) { begin(); pid_t r = getpid(); rep_int(r, errno); }
static void t_getppid(void) { begin(); pid_t r = getppid(); rep_int(r, errno); }

/* ---- the table ---- */

#define T(name) { #name, t_##name }
static const struct { const char *name; void (*run)(void); } tests[] = {
	T(open), T(openat), T(creat), T(fopen), T(freopen), T(close), T(read), T(write),
	T(pread), T(pwrite), T(readv), T(writev), T(lseek), T(fsync), T(fdatasync),
	T(truncate), T(ftruncate), T(stat), T(lstat), T(fstat), T(fstatat), T(statx),
	T(access), T(faccessat), T(unlink), T(unlinkat), T(rename), T(renameat),
	T(renameat2), T(mkdir), T(mkdirat), T(rmdir), T(chdir), T(fchdir), T(link), T(linkat), T(symlink),
	T(symlinkat), T(readlink), T(readlinkat), T(chmod), T(fchmod), T(fchmodat),
	T(chown), T(fchown), T(lchown), T(fchownat), T(utimensat), T(futimens),
	T(opendir), T(readdir), T(closedir), T(dup), T(dup2), T(dup3), T(pipe), T(pipe2),
	T(fcntl), T(ioctl), T(mmap), T(munmap), T(sendfile), T(copy_file_range),
	T(fallocate),
	T(socket), T(socketpair), T(connect), T(bind), T(listen), T(accept), T(accept4),
	T(send), T(sendto), T(sendmsg), T(recv), T(recvfrom), T(recvmsg), T(shutdown),
	T(setsockopt), T(getsockopt), T(getaddrinfo), T(poll), T(select), T(epoll_wait),
	T(malloc), T(calloc), T(realloc), T(free), T(posix_memalign), T(aligned_alloc),
	T(time), T(gettimeofday), T(clock_gettime), T(nanosleep), T(clock_nanosleep),
	T(sleep), T(usleep), T(alarm), T(ftime), T(timespec_get), T(pthread_cond_timedwait),
	T(pthread_cond_clockwait), T(sem_timedwait), T(sem_clockwait), T(timerfd_settime),
	T(timerfd_gettime), T(timer_create), T(timer_settime), T(timer_gettime), T(pselect),
	T(ppoll), T(epoll_pwait), T(epoll_pwait2), T(pthread_mutex_timedlock),
	T(pthread_mutex_clocklock), T(pthread_rwlock_timedrdlock), T(pthread_rwlock_timedwrlock),
	T(pthread_rwlock_clockrdlock), T(pthread_rwlock_clockwrlock), T(pthread_timedjoin_np),
	T(pthread_clockjoin_np), T(sigtimedwait),
	T(fork), T(vfork), T(execve), T(execv), T(execvp), T(execvpe), T(execl), T(execlp),
	T(execle), T(posix_spawn), T(posix_spawnp), T(system), T(popen), T(kill), T(getpid), T(getppid), T(exit_group),
};

int main(int argc, char **argv)
{
	static const char *modes[] = { "seen", "fail", "return", "inject" };
	if (argc < 2) {
		fprintf(stderr, "usage: callprog NAME [MODE...] | --list\n");
		return 2;
	}
	if (!strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
			say("%s", tests[i].name);
		return 0;
	}
	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		if (strcmp(argv[1], tests[i].name))
			continue;
		callname = tests[i].name;
		if (argc == 2)
			tests[i].run();
		for (int a = 2; a < argc; a++) {
			cur_mode = 0;
			for (int m = 0; m < 4; m++)
				if (!strcmp(argv[a], modes[m]))
					cur_mode = m + 1;
			if (!cur_mode) {
				fprintf(stderr, "callprog: unknown mode %s\n", argv[a]);
				return 2;
			}
			tests[i].run();
		}
		return 0;
	}
	fprintf(stderr, "callprog: unknown call %s\n", argv[1]);
	return 2;
}
