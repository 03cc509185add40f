/* ABI twins with a signature of their own (twins.def): each forwards to
 * our wrapper of the plain call, so it answers to the plain name. The
 * fortified _chk forms keep their bounds check. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

extern void __chk_fail(void) __attribute__((noreturn));

#define CHECK(n, room) do { if ((n) > (room)) __chk_fail(); } while (0)

int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open(path, flags); }
int __openat_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }
int __openat64_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }

ssize_t __read_chk(int fd, void *buf, size_t n, size_t room)
{ CHECK(n, room); return read(fd, buf, n); }
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t room)
{ CHECK(n, room); return pread(fd, buf, n, off); }
ssize_t __pread64_chk(int fd, void *buf, size_t n, off_t off, size_t room)
{ CHECK(n, room); return pread(fd, buf, n, off); }
ssize_t __readlink_chk(const char *path, char *buf, size_t n, size_t room)
{ CHECK(n, room); return readlink(path, buf, n); }
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t n, size_t room)
{ CHECK(n, room); return readlinkat(dirfd, path, buf, n); }
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t room, int flags)
{ CHECK(n, room); return recv(fd, buf, n, flags); }
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t room, int flags, struct sockaddr *addr, socklen_t *alen)
{ CHECK(n, room); return recvfrom(fd, buf, n, flags, addr, alen); }
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t room)
{ CHECK(n, room / sizeof *fds); return poll(fds, n, timeout); }
int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask, size_t room)
{ CHECK(n, room / sizeof *fds); return ppoll(fds, n, timeout, mask); }

/* glibc before 2.33 exported stat() as these, with a version argument
 * that is 1 (the kernel's struct stat) on x86_64. */
int __xstat(int ver, const char *path, struct stat *buf) { (void)ver; return stat(path, buf); }
int __xstat64(int ver, const char *path, struct stat *buf) { (void)ver; return stat(path, buf); }
int __lxstat(int ver, const char *path, struct stat *buf) { (void)ver; return lstat(path, buf); }
int __lxstat64(int ver, const char *path, struct stat *buf) { (void)ver; return lstat(path, buf); }
int __fxstat(int ver, int fd, struct stat *buf) { (void)ver; return fstat(fd, buf); }
int __fxstat64(int ver, int fd, struct stat *buf) { (void)ver; return fstat(fd, buf); }
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags)
{ (void)ver; return fstatat(dirfd, path, buf, flags); }
int __fxstatat64(int ver, int dirfd, const char *path, struct stat *buf, int flags)
{ (void)ver; return fstatat(dirfd, path, buf, flags); }
