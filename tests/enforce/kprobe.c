/* What the kernel lets a program do, asked with raw system calls (no
 * libc wrapper, so no in-process rule answers first); built static by
 * kernel.sh. Each action prints "ok" or the errno's name.
 *   kprobe socket FAMILY | write PATH | read PATH | mkdir PATH | exec PATH
 *          | connect PORT | getpid | status | fork-write PATH | statx PATH
 *          | write-fd N (a reopen of /proc/self/fd/N for writing) | sysctl */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *name(long r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case ENOENT: return "ENOENT";
	case EXDEV: return "EXDEV";
	case ECONNREFUSED: return "ECONNREFUSED";
	default: return strerror(errno);
	}
}

static long write_file(const char *path)
{
	long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		syscall(SYS_write, fd, "written\n", 8);
		syscall(SYS_close, fd);
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 3;
	const char *a = argv[1], *arg = argc > 2 ? argv[2] : "";
	long r;
	if (!strcmp(a, "socket")) {
		r = syscall(SYS_socket, atol(arg), SOCK_STREAM, 0);
	} else if (!strcmp(a, "write")) {
		r = write_file(arg);
	} else if (!strcmp(a, "fork-write")) {	/* the rule binds a child too */
		pid_t pid = fork();
		if (pid == 0)
			_exit(write_file(arg) < 0 ? errno : 0);
		int ws;
		waitpid(pid, &ws, 0);
		errno = WEXITSTATUS(ws);
		r = errno ? -1 : 0;
	} else if (!strcmp(a, "read")) {
		char buf[256] = "";
		long fd = syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY);
		r = fd;
		if (fd >= 0) {
			long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
			printf("read %ld bytes: ", n);
		}
	} else if (!strcmp(a, "mkdir")) {
		r = syscall(SYS_mkdirat, AT_FDCWD, arg, 0755);
	} else if (!strcmp(a, "exec")) {
		char *args[] = { (char *)arg, NULL }, *env[] = { NULL };
		r = syscall(SYS_execve, arg, args, env);
	} else if (!strcmp(a, "connect")) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(arg)),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		r = fd < 0 ? fd : syscall(SYS_connect, fd, &sa, sizeof sa);
	} else if (!strcmp(a, "statx")) {
		char buf[256];
		r = syscall(SYS_statx, AT_FDCWD, arg, 0, 0x7ff, buf);
	} else if (!strcmp(a, "write-fd")) {	/* a descriptor handed down, made writable */
		char p[64];
		snprintf(p, sizeof p, "/proc/self/fd/%s", arg);
		r = syscall(SYS_openat, AT_FDCWD, p, O_WRONLY | O_APPEND);
		if (r >= 0)
			syscall(SYS_write, r, "written\n", 8);
	} else if (!strcmp(a, "sysctl")) {	/* root's way out: a kernel setting */
		r = syscall(SYS_openat, AT_FDCWD, "/proc/sys/kernel/core_pattern", O_WRONLY);
	} else if (!strcmp(a, "getpid")) {
		r = syscall(SYS_getpid);
	} else if (!strcmp(a, "status")) {	/* what /proc says of the process */
		char buf[4096];
		long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY);
		long n = fd < 0 ? 0 : syscall(SYS_read, fd, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = 0;
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			if (!strncmp(l, "NoNewPrivs", 10) || !strncmp(l, "Seccomp:", 8))
				puts(l);
		return 0;
	} else {
		return 3;
	}
	printf("%s %s\n", a, name(r));
	return 0;
}
