/* Calls each hooked libc function that takes a pointer with pointers the
 * kernel refuses, in the manner of strace's own tests: NULL, (void *)1, a
 * PROT_NONE page, a string (or array) that ends exactly at the end of a
 * mapped page with no NUL (no NULL) before the unmapped page after it.
 * Every call must fail harmlessly and print the same line bare and under
 * hijack: "name: result errno".  usage: badptr [CASE...] (default: all);
 * "list" prints the case names. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
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
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static long page;
static char *none;		/* a PROT_NONE page */
static char *wild = (char *)1;

/* n bytes that end where a PROT_NONE page begins (strace's tail_alloc) */
static void *tail_alloc(size_t n)
{
	size_t len = (n + (size_t)page - 1) / (size_t)page * (size_t)page;
	char *p = mmap(NULL, len + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(99);
	}
	mprotect(p + len, (size_t)page, PROT_NONE);
	return p + len - n;
}

/* a string of n 'a's, no NUL, ending at the page end */
static char *tail_str(size_t n)
{
	char *s = tail_alloc(n);
	memset(s, 'a', n);
	return s;
}

/* an argv-like array of n pointers to "x", no NULL, ending at the page end */
static char **tail_vec(size_t n)
{
	char **v = tail_alloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = "x";
	return v;
}

static void show(const char *name, long r)
{
	int e = errno;
	if (r < 0)
		printf("%s: %ld %s\n", name, r, strerrorname_np(e) ? strerrorname_np(e) : "?");
	else
		printf("%s: %ld\n", name, r);
	fflush(stdout);
}
/* functions that return an error number instead of setting errno */
static void show_errnum(const char *name, int r)
{
	printf("%s: %d %s\n", name, r, r ? strerrorname_np(r) : "0");
	fflush(stdout);
}
static void show_ptr(const char *name, void *r)
{
	int e = errno;
	printf("%s: %s %s\n", name, r ? "ok" : "NULL", r ? "" : strerrorname_np(e));
	fflush(stdout);
}

#define T(name, call) do { if (want(name)) { errno = 0; show(name, (long)(call)); } } while (0)
#define TE(name, call) do { if (want(name)) show_errnum(name, (call)); } while (0)
#define TP(name, call) do { if (want(name)) { errno = 0; show_ptr(name, (void *)(call)); } } while (0)

static int nwant;
static char **wanted;
static bool listing;
static bool want(const char *name)
{
	if (listing) {
		puts(name);
		return false;
	}
	if (!nwant)
		return true;
	for (int i = 0; i < nwant; i++)
		if (!strcmp(wanted[i], name) || (wanted[i][strlen(wanted[i]) - 1] == '*' &&
						  !strncmp(wanted[i], name, strlen(wanted[i]) - 1)))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	page = sysconf(_SC_PAGESIZE);
	signal(SIGPIPE, SIG_IGN);
	wanted = argv + 1;
	nwant = argc - 1;
	if (nwant == 1 && !strcmp(argv[1], "list")) {
		listing = true;
		nwant = 0;
	}
	none = mmap(NULL, (size_t)page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = tail_str((size_t)page);	/* a maximal path: a whole page, no NUL */
	char *tail = tail_str(10);
	char dir[] = "/tmp/hijack-badptr.XXXXXX";
	if (!mkdtemp(dir) || chdir(dir) != 0) {
		perror("mkdtemp");
		return 99;
	}
	int file = open("file", O_CREAT | O_RDWR, 0600);
	if (write(file, "0123456789", 10) != 10)
		return 99;
	lseek(file, 0, SEEK_SET);
	int devnull = open("/dev/null", O_RDWR);
	int pfd[2];
	if (pipe(pfd) != 0)
		return 99;
	int sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int lsock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in lo = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(lsock, (struct sockaddr *)&lo, sizeof lo);
	listen(lsock, 1);
	int usock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct stat st;
	char buf[64];
	char *argv_ok[] = { "true", NULL };
	char **vec = tail_vec(4);

	/* paths */
	if (want("chdir-heapend")) {
		/* 10 bytes, no NUL, up to the end of the brk heap's last page */
		static void *volatile keep;	/* a heap there is (the compiler drops a free(malloc())) */
		keep = malloc(100);
		char *end = (char *)(((unsigned long)sbrk(0) + (unsigned long)page - 1) & ~((unsigned long)page - 1));
		memset(end - 10, 'a', 10);
		T("chdir-heapend", chdir(end - 10));
	}
	T("chdir-null", chdir(NULL));
	T("chdir-wild", chdir(wild));
	T("chdir-none", chdir(none));
	T("chdir-tail", chdir(tail));
	T("chdir-big", chdir(big));
	T("open-tail", open(tail, O_RDONLY));
	T("open-none", open(none, O_RDONLY));
	T("open-big", open(big, O_RDONLY));
	T("openat-tail", openat(AT_FDCWD, tail, O_RDONLY));
	T("openat-big", openat(AT_FDCWD, big, O_RDONLY | O_CREAT, 0600));
	T("creat-none", creat(none, 0600));
	T("stat-tail", stat(tail, &st));
	T("stat-big", stat(big, &st));
	T("stat-badbuf", stat("/", (struct stat *)none));
	T("lstat-wild", lstat(wild, &st));
	T("fstat-badbuf", fstat(file, (struct stat *)none));
	T("fstatat-tail", fstatat(AT_FDCWD, tail, &st, 0));
	T("statx-badbuf", statx(AT_FDCWD, "/", 0, STATX_BASIC_STATS, (struct statx *)none));
	T("access-tail", access(tail, F_OK));
	T("faccessat-none", faccessat(AT_FDCWD, none, F_OK, 0));
	T("unlink-tail", unlink(tail));
	T("unlinkat-big", unlinkat(AT_FDCWD, big, 0));
	T("mkdir-tail", mkdir(tail, 0700));
	T("rmdir-none", rmdir(none));
	T("truncate-tail", truncate(tail, 0));
	T("chmod-tail", chmod(tail, 0600));
	T("chown-tail", chown(tail, 0, 0));
	T("lchown-none", lchown(none, 0, 0));
	T("link-newtail", link("file", tail));
	T("link-newbig", link("file", big));
	T("link-oldtail", link(tail, "other"));
	T("link-none", link(none, none));
	T("linkat-newtail", linkat(AT_FDCWD, "file", AT_FDCWD, tail, 0));
	T("rename-newtail", rename("nofile", tail));
	T("rename-oldtail", rename(tail, "other"));
	T("renameat-newbig", renameat(AT_FDCWD, "file", AT_FDCWD, big));
	T("symlink-target", symlink(tail, "other"));
	T("symlink-linkpath", symlink("file", tail));
	T("readlink-tail", readlink(tail, buf, sizeof buf));
	T("readlink-badbuf", readlink("/proc/self/exe", none, 64));
	T("utimensat-badtimes", utimensat(AT_FDCWD, "file", (struct timespec *)none, 0));
	T("utimensat-tail", utimensat(AT_FDCWD, tail, NULL, 0));
	T("futimens-badtimes", futimens(file, (struct timespec *)none));
	TP("opendir-tail", opendir(tail));
	TP("fopen-tail", fopen(tail, "r"));
	TP("fopen-big", fopen(big, "r"));

	/* buffers */
	T("write-none-pipe", write(pfd[1], none, 10));
	T("write-none-devnull", write(devnull, none, 10));
	T("write-tail-devnull", write(devnull, tail, 64));
	T("read-none-file", read(file, none, 10));
	T("pread-none-file", pread(file, none, 10, 0));
	T("pwrite-none-pipe", pwrite(file, none, 10, 0));
	{
		struct iovec *iov = tail_alloc(sizeof *iov);
		iov->iov_base = none;
		iov->iov_len = 10;
		T("readv-badiov", readv(file, (struct iovec *)none, 1));
		T("readv-badbase", readv(file, iov, 1));
		T("writev-badbase-devnull", writev(devnull, iov, 1));
		T("writev-badbase-pipe", writev(pfd[1], iov, 1));
		T("writev-tailiov-devnull", writev(devnull, iov, 2));
	}
	T("send-none", send(sock, none, 10, 0));
	T("sendto-badaddr", sendto(usock, "x", 1, 0, (struct sockaddr *)none, sizeof(struct sockaddr_un)));
	T("recv-none", recv(sock, none, 10, 0));
	T("recvfrom-badaddr", recvfrom(usock, buf, sizeof buf, 0, (struct sockaddr *)none, (socklen_t *)none));
	{
		struct msghdr *m = tail_alloc(sizeof *m);
		memset(m, 0, sizeof *m);
		m->msg_iov = (struct iovec *)none;
		m->msg_iovlen = 1;
		m->msg_name = none;
		m->msg_namelen = sizeof(struct sockaddr_un);
		m->msg_control = none;
		m->msg_controllen = 64;
		T("sendmsg-none", sendmsg(usock, (struct msghdr *)none, 0));
		T("sendmsg-badparts", sendmsg(usock, m, 0));
		T("recvmsg-none", recvmsg(usock, (struct msghdr *)none, 0));
		T("recvmsg-badparts", recvmsg(usock, m, 0));
	}
	/* sockets */
	{
		struct sockaddr_in *half = tail_alloc(4);	/* 4 of its 16 bytes mapped */
		half->sin_family = AF_INET;
		T("connect-none", connect(sock, (struct sockaddr *)none, sizeof(struct sockaddr_in)));
		T("connect-half", connect(sock, (struct sockaddr *)half, sizeof(struct sockaddr_in)));
		T("bind-wild", bind(sock, (struct sockaddr *)wild, sizeof(struct sockaddr_in)));
		T("accept-badlen", accept(lsock, (struct sockaddr *)buf, (socklen_t *)none));
		T("accept4-badaddr", accept4(lsock, (struct sockaddr *)none, (socklen_t *)none, SOCK_CLOEXEC));
		T("setsockopt-none", setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, none, sizeof(int)));
		socklen_t len = sizeof(int);
		T("getsockopt-none", getsockopt(sock, SOL_SOCKET, SO_TYPE, none, &len));
		T("getsockopt-badlen", getsockopt(sock, SOL_SOCKET, SO_TYPE, buf, (socklen_t *)none));
		T("socketpair-none", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)none));
	}
	/* descriptors */
	T("pipe-none", pipe((int *)none));
	T("pipe2-wild", pipe2((int *)wild, 0));
	T("poll-none", poll((struct pollfd *)none, 1, 0));
	{
		struct pollfd *pf = tail_alloc(sizeof *pf);
		pf->fd = devnull;
		pf->events = POLLIN;
		T("poll-tail", poll(pf, 2, 0));
	}
	{
		/* glibc converts select's timeout itself: a bad one faults bare */
		struct timeval zero = { 0, 0 };
		T("select-none", select(1, (fd_set *)none, NULL, NULL, &zero));
	}
	T("epoll_wait-none", epoll_wait(-1, (struct epoll_event *)none, 1, 0));
	T("fcntl-setlk-none", fcntl(file, F_SETLK, none));
	T("fcntl-getlk-none", fcntl(file, F_GETLK, none));
	T("ioctl-fionbio-none", ioctl(file, FIONBIO, none));
	T("ioctl-fionread-none", ioctl(pfd[0], FIONREAD, none));
	T("sendfile-badoff", sendfile(devnull, file, (off_t *)none, 10));
	T("copy_file_range-badoff", copy_file_range(file, (off64_t *)none, devnull, NULL, 10, 0));
	/* clocks (the vDSO ones fault bare, as they must: not tested) */
	T("nanosleep-none", nanosleep((struct timespec *)none, NULL));
	TE("clock_nanosleep-none", clock_nanosleep(CLOCK_MONOTONIC, 0, (struct timespec *)none, NULL));
	/* exec: each fails, and the program goes on */
	T("execve-tail", execve(tail, argv_ok, environ));
	T("execve-big", execve(big, argv_ok, environ));
	T("execve-argv-unterminated", execve("/bin/true", vec, environ));
	T("execve-envp-unterminated", execve("/bin/true", argv_ok, vec));
	T("execve-argv-none", execve("/bin/true", (char **)none, environ));
	T("execve-envp-wild", execve("/bin/true", argv_ok, (char **)wild));
	T("execv-argv-unterminated", execv("/bin/true", vec));
	T("execvp-argv-unterminated", execvp("true", vec));
	T("execvpe-envp-unterminated", execvpe("true", argv_ok, vec));
	T("execl-tail", execl(tail, "x", (char *)NULL));
	T("execle-envp-unterminated", execle("/bin/true", "true", (char *)NULL, vec));
	{
		pid_t pid;
		TE("posix_spawn-tail", posix_spawn(&pid, tail, NULL, NULL, argv_ok, environ));
		TE("posix_spawn-envp-unterminated", posix_spawn(&pid, "/bin/true", NULL, NULL, argv_ok, vec));
		TE("posix_spawnp-envp-unterminated", posix_spawnp(&pid, "true", NULL, NULL, argv_ok, vec));
	}
	if (!listing) {
		unlink("file");
		rmdir(dir);
		puts("done");
	}
	return 0;
}
