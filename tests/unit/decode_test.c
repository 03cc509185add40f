/* Unit test of src/output/decode.c: calls built by hand, rendered as the
 * trace does, compared with what strace 6.x prints for the same call.
 *   gcc -std=gnu11 -Wall -Wextra -Werror -Isrc tests/unit/decode_test.c \
 *       src/calls.c src/output/decode.c -o /tmp/decode_test && /tmp/decode_test */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/sched.h>
#include <time.h>

#include "core/engine.h"

#define SA_RESTORER_ 0x04000000ul	/* the kernel's; glibc hides it */

/* hj_errno_name comes from the engine (inject.c), linked whole */

static int passed, failed;

static void compare(int line, const char *got, const char *want)
{
	if (!strcmp(got, want)) {
		passed++;
		return;
	}
	failed++;
	printf("line %d:\n  want: %s\n  got:  %s\n", line, want, got);
}

/* One trace line as trace.c builds it: empty arguments are left out. */
static void render(char *out, size_t cap, struct hj_call *c, bool json, bool with_ret)
{
	struct hj_buf b = { out, 0, cap };
	const struct hj_call_info *ci = &hj_calls[c->id];
	hj_printf(&b, "%s(", ci->name);
	bool first = true;
	for (int i = 0; i < ci->nargs; i++) {
		size_t mark = b.len;
		if (!first)
			hj_puts(&b, ", ");
		size_t start = b.len;
		hj_decode_arg(&b, c, i, json);
		if (b.len == start)
			b.len = mark;
		else
			first = false;
	}
	hj_puts(&b, ")");
	if (with_ret) {
		hj_puts(&b, " = ");
		hj_decode_ret(&b, c, json);
	}
}

static void run(int line, const char *want, int id, long ret, int err, bool after, bool json, long *a)
{
	struct hj_call c = { .id = id, .a = a, .ret = ret, .err = err, .after = after };
	char out[8192];
	render(out, sizeof out, &c, json, after);
	compare(line, out, want);
}

#define ARGS(...) ((long[HJ_MAXARGS]){ __VA_ARGS__ })
/* T: after the call, as the trace shows it; B: before it (no result);
 * J: the JSON form. */
#define T(want, name, ret, err, ...) run(__LINE__, want, HJ_##name, ret, err, true, false, ARGS(__VA_ARGS__))
#define B(want, name, ...) run(__LINE__, want, HJ_##name, 0, 0, false, false, ARGS(__VA_ARGS__))
#define J(want, name, ret, err, ...) run(__LINE__, want, HJ_##name, ret, err, true, true, ARGS(__VA_ARGS__))
#define L(p) ((long)(p))

static void files(void)
{
	const char *x = "/tmp/st/x.txt";
	T("open(\"/tmp/st/x.txt\", O_RDONLY) = 3", open, 3, 0, L(x), O_RDONLY, 0777);
	T("openat(AT_FDCWD, \"/tmp/st/x.txt\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644) = 3",
	  openat, 3, 0, AT_FDCWD, L(x), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	T("openat(AT_FDCWD, \"/tmp/st/x.txt\", O_RDWR|O_EXCL|O_NOCTTY|O_APPEND|O_NONBLOCK|O_SYNC|O_NOFOLLOW|O_NOATIME|O_DIRECTORY|FASYNC) = -1 ENOTDIR (Not a directory)",
	  openat, -1, ENOTDIR, AT_FDCWD, L(x), O_RDWR | O_APPEND | O_NONBLOCK | O_SYNC | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_EXCL | O_NOCTTY | O_ASYNC | O_DSYNC, 0600);
	T("openat(AT_FDCWD, \"/tmp/st/x.txt\", O_WRONLY|O_DSYNC|O_DIRECT|O_PATH) = 4",
	  openat, 4, 0, AT_FDCWD, L(x), O_WRONLY | O_DSYNC | O_DIRECT | O_PATH, 0);
	T("openat(AT_FDCWD, \"/tmp/st\", O_RDWR|O_TMPFILE, 0600) = 5", openat, 5, 0, AT_FDCWD, L("/tmp/st"), O_TMPFILE | O_RDWR, 0600);
	T("openat(AT_FDCWD, \"/nonexist\", O_RDONLY|0x40000000) = -1 ENOENT (No such file or directory)",
	  openat, -1, ENOENT, AT_FDCWD, L("/nonexist"), O_RDONLY | 0x40000000, 0);
	T("creat(\"/tmp/st/\\377\\1name\\\"q\", 04644) = 5", creat, 5, 0, L("/tmp/st/\xff\x01name\"q"), 04644);
	T("mkdir(\"/tmp/st/d\", 01777) = 0", mkdir, 0, 0, L("/tmp/st/d"), 01777);
	T("chmod(\"/tmp/st/x.txt\", 000) = 0", chmod, 0, 0, L(x), 0);
	T("chown(\"/tmp/st/c\", -1, -1) = 0", chown, 0, 0, L("/tmp/st/c"), (long)(uid_t)-1, (long)(gid_t)-1);
	T("access(\"/tmp\", F_OK) = 0", access, 0, 0, L("/tmp"), F_OK);
	T("access(\"/tmp\", R_OK|W_OK|X_OK) = 0", access, 0, 0, L("/tmp"), R_OK | W_OK | X_OK);
	T("faccessat(AT_FDCWD, \"/tmp\", X_OK, AT_SYMLINK_NOFOLLOW|AT_EACCESS) = 0",
	  faccessat, 0, 0, AT_FDCWD, L("/tmp"), X_OK, AT_EACCESS | AT_SYMLINK_NOFOLLOW);
	T("unlinkat(AT_FDCWD, \"/nonexist\", AT_REMOVEDIR) = -1 ENOENT (No such file or directory)",
	  unlinkat, -1, ENOENT, AT_FDCWD, L("/nonexist"), AT_REMOVEDIR);
	T("unlinkat(3, \"/nonexist\", 0) = -1 ENOENT (No such file or directory)", unlinkat, -1, ENOENT, 3, L("/nonexist"), 0);
	T("symlink(\"/some/target/that/is/longer/than/thirty/two\", \"/tmp/st/lnk\") = 0",
	  symlink, 0, 0, L("/some/target/that/is/longer/than/thirty/two"), L("/tmp/st/lnk"));
	T("renameat2(AT_FDCWD, \"/tmp/st/y.txt\", AT_FDCWD, \"/tmp/st/z.txt\", RENAME_NOREPLACE) = 0",
	  renameat2, 0, 0, AT_FDCWD, L("/tmp/st/y.txt"), AT_FDCWD, L("/tmp/st/z.txt"), RENAME_NOREPLACE);

	struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 68 };
	T("stat(\"/tmp/st/x.txt\", {st_mode=S_IFREG|0644, st_size=68, ...}) = 0", stat, 0, 0, L(x), L(&st));
	st.st_mode = S_IFCHR | 0666;
	st.st_rdev = makedev(1, 3);
	T("stat(\"/dev/null\", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}) = 0", stat, 0, 0, L("/dev/null"), L(&st));
	st.st_mode = S_IFBLK | 0600;
	st.st_rdev = makedev(7, 0);
	T("stat(\"/dev/loop0\", {st_mode=S_IFBLK|0600, st_rdev=makedev(0x7, 0), ...}) = 0", stat, 0, 0, L("/dev/loop0"), L(&st));
	st = (struct stat){ .st_mode = S_IFDIR | S_ISVTX | 0777, .st_size = 4096 };
	T("fstatat(AT_FDCWD, \"/tmp\", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, 0) = 0",
	  fstatat, 0, 0, AT_FDCWD, L("/tmp"), L(&st), 0);
	st = (struct stat){ .st_mode = S_IFREG | S_ISUID | 0755, .st_size = 68 };
	T("lstat(\"/tmp/st/x.txt\", {st_mode=S_IFREG|S_ISUID|0755, st_size=68, ...}) = 0", lstat, 0, 0, L(x), L(&st));
	st = (struct stat){ .st_mode = S_IFREG, .st_size = 0 };
	T("fstat(8, {st_mode=S_IFREG|000, st_size=0, ...}) = 0", fstat, 0, 0, 8, L(&st));
	T("stat(\"/nonexist\", 0x7ffdc779d230) = -1 ENOENT (No such file or directory)", stat, -1, ENOENT, L("/nonexist"), 0x7ffdc779d230);
	B("stat(\"/tmp\", 0x7ffdc779d230)", stat, L("/tmp"), 0x7ffdc779d230);
	st = (struct stat){ .st_mode = S_IFDIR | 0755, .st_size = 4096 };
	T("fstatat(AT_FDCWD, \"\", {st_mode=S_IFDIR|0755, st_size=4096, ...}, AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH) = 0",
	  fstatat, 0, 0, AT_FDCWD, L(""), L(&st), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT);

	struct statx sx = { .stx_mask = 0x17ff, .stx_mode = S_IFDIR | S_ISVTX | 0777, .stx_size = 4096 };
	T("statx(AT_FDCWD, \"/tmp\", AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|S_ISVTX|0777, stx_size=4096, ...}) = 0",
	  statx, 0, 0, AT_FDCWD, L("/tmp"), 0, STATX_BASIC_STATS, L(&sx));
	sx.stx_mask = 0x1fff;
	T("statx(AT_FDCWD, \"/tmp\", AT_STATX_DONT_SYNC|AT_SYMLINK_NOFOLLOW, STATX_ALL, {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|S_ISVTX|0777, stx_size=4096, ...}) = 0",
	  statx, 0, 0, AT_FDCWD, L("/tmp"), AT_SYMLINK_NOFOLLOW | AT_STATX_DONT_SYNC, STATX_ALL, L(&sx));
	T("statx(AT_FDCWD, \"/tmp\", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, 0, 0x7ffd0000) = -1 EINVAL (Invalid argument)",
	  statx, -1, EINVAL, AT_FDCWD, L("/tmp"), AT_SYMLINK_NOFOLLOW, 0, 0x7ffd0000);

	struct timespec ts[2] = { { 1, 0 }, { 2, 500 } };
	T("utimensat(AT_FDCWD, \"/tmp/st/c\", [{tv_sec=1, tv_nsec=0} /* 1970-01-01T00:00:01+0000 */, {tv_sec=2, tv_nsec=500} /* 1970-01-01T00:00:02.000000500+0000 */], 0) = 0",
	  utimensat, 0, 0, AT_FDCWD, L("/tmp/st/c"), L(ts), 0);
	ts[0].tv_nsec = UTIME_NOW;
	ts[1].tv_nsec = UTIME_OMIT;
	T("utimensat(AT_FDCWD, \"/tmp/st/c\", [UTIME_NOW, UTIME_OMIT], AT_SYMLINK_NOFOLLOW) = 0",
	  utimensat, 0, 0, AT_FDCWD, L("/tmp/st/c"), L(ts), AT_SYMLINK_NOFOLLOW);
	T("utimensat(AT_FDCWD, \"/tmp/st/c\", NULL, 0) = 0", utimensat, 0, 0, AT_FDCWD, L("/tmp/st/c"), 0, 0);
	ts[0] = (struct timespec){ 1700000000, 123 };
	ts[1] = (struct timespec){ 2, 999999999 };
	T("utimensat(AT_FDCWD, \"/tmp/st/c\", [{tv_sec=1700000000, tv_nsec=123} /* 2023-11-14T22:13:20.000000123+0000 */, {tv_sec=2, tv_nsec=999999999} /* 1970-01-01T00:00:02.999999999+0000 */], 0) = 0",
	  utimensat, 0, 0, AT_FDCWD, L("/tmp/st/c"), L(ts), 0);
}

static void io(void)
{
	static const char data[] = "hello\n\t\r\v\f\"\\\001\0012\377\177abcdefghijklmnopqrstuvwxyz0123456789\0\0\0\0\0\0";
	T("write(3, \"hello\\n\\t\\r\\v\\f\\\"\\\\\\1\\0012\\377\\177abcdefghijklmno\"..., 60) = 60", write, 60, 0, 3, L(data), 60);
	T("write(3, \"\\0001\\0a\", 4) = 4", write, 4, 0, 3, L("\0" "1\0a"), 4);
	T("write(3, \"\\33[0m\", 4) = 4", write, 4, 0, 3, L("\x1b[0m"), 4);
	T("write(1, \"\\18\\19\\1a\\0\", 7) = 7", write, 7, 0, 1, L("\1" "8\1" "9\1" "a\0" "7"), 7);
	T("write(1, NULL, 0) = 0", write, 0, 0, 1, 0, 0);
	T("write(1, \"0123456789012345678901234567890\\1\"..., 38) = 38", write, 38, 0, 1, L("0123456789012345678901234567890\0012345"), 38);
	T("write(1, \"01234567890123456789012345678901\", 32) = 32", write, 32, 0, 1, L("01234567890123456789012345678901"), 32);
	/* bad memory is not read: EFAULT shows the pointer */
	T("write(1, 0x1, 10) = -1 EFAULT (Bad address)", write, -1, EFAULT, 1, 1, 10);
	T("open(0x10, O_RDONLY) = -1 EFAULT (Bad address)", open, -1, EFAULT, 0x10, O_RDONLY, 0);
	T("fcntl(3, F_SETLK, 0x8) = -1 EFAULT (Bad address)", fcntl, -1, EFAULT, 3, F_SETLK, 8);
	/* an injected result longer than the buffer */
	T("read(3, \"hello\", 5) = 100", read, 100, 0, 3, L(data), 5);
	T("read(3, \"hello\\n\\t\\r\\v\\f\\\"\\\\\\1\\0012\\377\\177abcdefghijklmno\"..., 200) = 68", read, 68, 0, 3, L(data), 200);
	T("read(3, \"hello\", 5) = 5", read, 5, 0, 3, L(data), 5);
	T("read(3, \"\", 4096) = 0", read, 0, 0, 3, L(data), 4096);
	T("read(3, 0x7ffd1234, 10) = -1 EBADF (Bad file descriptor)", read, -1, EBADF, 3, 0x7ffd1234, 10);
	T("readlink(\"/proc/self/exe\", \"/tmp/st/p2\", 64) = 10", readlink, 10, 0, L("/proc/self/exe"), L("/tmp/st/p2"), 64);
	T("pread(6, \"\\6\\0\\0\\0\\4\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0\"..., 784, 64) = 784",
	  pread, 784, 0, 6, L("\6\0\0\0\4\0\0\0@\0\0\0\0\0\0\0@\0\0\0\0\0\0\0@\0\0\0\0\0\0\0\0\0\0\0"), 784, 64);
	T("pwrite(21, \"x\", 1, 100) = 1", pwrite, 1, 0, 21, L("x"), 1, 100);

	char buf[128];
	memcpy(buf, data, sizeof data);
	struct iovec iov[3] = { { buf, 3 }, { buf + 3, 4 }, { buf + 7, 100 } };
	T("readv(3, [{iov_base=\"hel\", iov_len=3}, {iov_base=\"lo\\n\\t\", iov_len=4}, {iov_base=\"\\r\\v\\f\\\"\\\\\\1\\0012\\377\\177abcdefghijklmnopqrstuv\"..., iov_len=100}], 3) = 68",
	  readv, 68, 0, 3, L(iov), 3);
	T("readv(3, 0x7ffd0010, 3) = -1 EBADF (Bad file descriptor)", readv, -1, EBADF, 3, 0x7ffd0010, 3);
	char a4[4] = { 0, '1', 0, 'a' }, b10[10] = "\33[0m", c10[10];
	struct iovec short_read[3] = { { a4, 4 }, { b10, 10 }, { c10, 10 } };
	T("readv(3, [{iov_base=\"\\0001\\0a\", iov_len=4}, {iov_base=\"\\33[0m\", iov_len=10}, {iov_base=\"\", iov_len=10}], 3) = 8",
	  readv, 8, 0, 3, L(short_read), 3);
	struct iovec many[40];
	char want[2048] = "writev(1, [";
	for (int k = 0; k < 40; k++) {
		many[k] = (struct iovec){ "x", 1 };
		if (k < 32)
			strcat(want, k ? ", {iov_base=\"x\", iov_len=1}" : "{iov_base=\"x\", iov_len=1}");
	}
	strcat(want, ", ...], 40) = 40");
	run(__LINE__, want, HJ_writev, 40, 0, true, false, ARGS(1, L(many), 40));
	struct iovec wi[2] = { { "abc", 3 }, { "de", 2 } };
	T("writev(1, [{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\", iov_len=2}], 2) = 5", writev, 5, 0, 1, L(wi), 2);

	T("lseek(20, -5, SEEK_END) = 63", lseek, 63, 0, 20, -5, SEEK_END);
	T("lseek(20, 5, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)", lseek, -1, EINVAL, 20, 5, 7);
	T("close(3) = 0", close, 0, 0, 3);

	int fds[2] = { 7, 8 };
	T("pipe([7, 8]) = 0", pipe, 0, 0, L(fds));
	T("pipe2([7, 8], O_NONBLOCK|O_CLOEXEC) = 0", pipe2, 0, 0, L(fds), O_CLOEXEC | O_NONBLOCK);
	T("pipe2(0x7ffd0000, 0) = -1 EFAULT (Bad address)", pipe2, -1, EFAULT, 0x7ffd0000, 0);
	T("dup3(13, 20, O_CLOEXEC) = 20", dup3, 20, 0, 13, 20, O_CLOEXEC);
	T("dup3(1, 1, 0) = -1 EINVAL (Invalid argument)", dup3, -1, EINVAL, 1, 1, 0);

	T("fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)", fcntl, 0x8002, 0, 3, F_GETFL, 0x7fff);
	T("fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)", fcntl, 0x8000, 0, 3, F_GETFL, 0);
	T("fcntl(3, F_GETFD) = 0", fcntl, 0, 0, 3, F_GETFD, 0);
	T("fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)", fcntl, 1, 0, 3, F_GETFD, 0);
	T("fcntl(3, F_SETFD, FD_CLOEXEC) = 0", fcntl, 0, 0, 3, F_SETFD, FD_CLOEXEC);
	T("fcntl(3, F_SETFD, 0) = 0", fcntl, 0, 0, 3, F_SETFD, 0);
	T("fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0", fcntl, 0, 0, 3, F_SETFL, O_NONBLOCK);
	T("fcntl(3, F_SETFL, O_RDONLY|O_APPEND|0x40000000) = 0", fcntl, 0, 0, 3, F_SETFL, O_APPEND | 0x40000000);
	T("fcntl(3, F_DUPFD, 10) = 11", fcntl, 11, 0, 3, F_DUPFD, 10);
	T("fcntl(3, F_DUPFD_CLOEXEC, 0) = 6", fcntl, 6, 0, 3, F_DUPFD_CLOEXEC, 0);
	T("fcntl(3, F_GETPIPE_SZ) = -1 EBADF (Bad file descriptor)", fcntl, -1, EBADF, 3, F_GETPIPE_SZ, 0);
	T("fcntl(3, 0x4d2 /* F_??? */, 0x5) = -1 EINVAL (Invalid argument)", fcntl, -1, EINVAL, 3, 1234, 5);
	struct flock fl = { F_RDLCK, SEEK_SET, 0, 0, 0 };
	T("fcntl(3, F_SETLK, {l_type=F_RDLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = 0", fcntl, 0, 0, 3, F_SETLK, L(&fl));
	fl.l_type = F_UNLCK;
	T("fcntl(3, F_GETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=0, l_pid=0}) = 0", fcntl, 0, 0, 3, F_GETLK, L(&fl));
	T("fcntl(3, F_ADD_SEALS, F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE|F_SEAL_FUTURE_WRITE) = 0",
	  fcntl, 0, 0, 3, F_ADD_SEALS, 0x1f);
	T("fcntl(4, F_GET_SEALS) = 0", fcntl, 0, 0, 4, F_GET_SEALS, 0);
	T("fcntl(3, F_GET_SEALS) = 0x1f (seals F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE|F_SEAL_FUTURE_WRITE)",
	  fcntl, 0x1f, 0, 3, F_GET_SEALS, 0);

	int nb = 58;
	T("ioctl(20, FIONREAD, [58]) = 0", ioctl, 0, 0, 20, FIONREAD, L(&nb));
	T("ioctl(1, TCGETS, 0x7fff5196c290) = -1 ENOTTY (Inappropriate ioctl for device)", ioctl, -1, ENOTTY, 1, TCGETS, 0x7fff5196c290);
	T("ioctl(20, _IOC(_IOC_NONE, 0x56, 0x78, 0x1234), 0) = -1 ENOTTY (Inappropriate ioctl for device)",
	  ioctl, -1, ENOTTY, 20, 0x12345678, 0);

	T("fallocate(21, FALLOC_FL_KEEP_SIZE, 0, 10) = 0", fallocate, 0, 0, 21, FALLOC_FL_KEEP_SIZE, 0, 10);
	T("sendfile(21, 20, NULL, 10) = 10", sendfile, 10, 0, 21, 20, 0, 10);
	off_t off = 0;
	T("copy_file_range(20, [0], 21, NULL, 5, 0) = 5", copy_file_range, 5, 0, 20, L(&off), 21, 0, 5, 0);
}

static void memory(void)
{
	T("mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f137a303000",
	  mmap, 0x7f137a303000, 0, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T("mmap(0x7fcb5b8a7000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 6, 0x26000) = 0x7fcb5b8a7000",
	  mmap, 0x7fcb5b8a7000, 0, 0x7fcb5b8a7000, 1400832, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, 6, 0x26000);
	T("mmap(NULL, 4096, PROT_NONE, MAP_SHARED|MAP_32BIT|MAP_NORESERVE|MAP_POPULATE|MAP_NONBLOCK|MAP_GROWSDOWN|MAP_LOCKED|MAP_STACK|MAP_FIXED_NOREPLACE, 3, 0x1000) = -1 EINVAL (Invalid argument)",
	  mmap, -1, EINVAL, 0, 4096, PROT_NONE, MAP_SHARED | MAP_FIXED_NOREPLACE | MAP_POPULATE | MAP_NORESERVE | MAP_STACK | MAP_GROWSDOWN | MAP_LOCKED | MAP_NONBLOCK | MAP_32BIT, 3, 0x1000);
	T("mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM, MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|21<<MAP_HUGE_SHIFT, -1, 0) = -1 ENOMEM (Cannot allocate memory)",
	  mmap, -1, ENOMEM, 0, 4096, PROT_READ | PROT_EXEC | PROT_WRITE | 0x8, MAP_PRIVATE | MAP_HUGETLB | MAP_ANONYMOUS | (21 << MAP_HUGE_SHIFT), -1, 0);
	T("mmap(NULL, 4096, 0x80 /* PROT_??? */, MAP_SHARED_VALIDATE|MAP_DENYWRITE|MAP_EXECUTABLE|MAP_SYNC, -1, 0) = -1 EBADF (Bad file descriptor)",
	  mmap, -1, EBADF, 0, 4096, 0x80, MAP_SHARED_VALIDATE | MAP_SYNC | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_FILE, -1, 0);
	T("mmap(NULL, 4096, PROT_READ, MAP_FILE, -1, 0) = -1 EBADF (Bad file descriptor)", mmap, -1, EBADF, 0, 4096, PROT_READ, 0, -1, 0);
	T("munmap(0x7f137a303000, 4096) = 0", munmap, 0, 0, 0x7f137a303000, 4096);
	T("malloc(100) = 0x55d0c0de0010", malloc, 0x55d0c0de0010, 0, 100);
	T("malloc(100) = NULL ENOMEM (Cannot allocate memory)", malloc, 0, ENOMEM, 100);
	T("free(0x55d0c0de0010) = <void>", free, 0, 0, 0x55d0c0de0010);
	T("posix_memalign(0x7ffd0000, 16, 100) = 12 ENOMEM (Cannot allocate memory)", posix_memalign, ENOMEM, 0, 0x7ffd0000, 16, 100);
	T("posix_memalign(0x7ffd0000, 16, 100) = 0", posix_memalign, 0, 0, 0x7ffd0000, 16, 100);
}

static void net(void)
{
	T("socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3", socket, 3, 0, AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	T("socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP) = 4", socket, 4, 0, AF_INET, SOCK_DGRAM, IPPROTO_UDP);
	T("socket(AF_UNIX, SOCK_SEQPACKET, 0) = 6", socket, 6, 0, AF_UNIX, SOCK_SEQPACKET, 0);
	T("socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) = 7", socket, 7, 0, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	T("socket(0x63 /* AF_??? */, 0x4d /* SOCK_??? */, 5) = -1 EINVAL (Invalid argument)", socket, -1, EINVAL, 99, 77, 5);

	struct sockaddr_in in = { AF_INET, htons(80), { htonl(0x7f000001) }, { 0 } };
	T("connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS (Operation now in progress)",
	  connect, -1, EINPROGRESS, 3, L(&in), sizeof in);
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443), .sin6_flowinfo = htonl(5), .sin6_scope_id = 2 };
	in6.sin6_addr.s6_addr[15] = 1;
	T("connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(5), inet_pton(AF_INET6, \"::1\", &sin6_addr), sin6_scope_id=2}, 28) = -1 ECONNREFUSED (Connection refused)",
	  connect, -1, ECONNREFUSED, 8, L(&in6), sizeof in6);
	inet_pton(AF_INET6, "2001:db8::ff00:42:8329", &in6.sin6_addr);
	in6.sin6_flowinfo = 0;
	in6.sin6_scope_id = 0;
	T("connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"2001:db8::ff00:42:8329\", &sin6_addr), sin6_scope_id=0}, 28) = 0",
	  connect, 0, 0, 8, L(&in6), sizeof in6);
	struct sockaddr_un un = { AF_UNIX, "/tmp/st/sock" };
	T("connect(9, {sa_family=AF_UNIX, sun_path=\"/tmp/st/sock\"}, 110) = -1 ENOENT (No such file or directory)",
	  connect, -1, ENOENT, 9, L(&un), sizeof un);
	T("connect(9, {sa_family=AF_UNIX, sun_path=\"/tmp/st/sock\"}, 15) = -1 ENOENT (No such file or directory)",
	  connect, -1, ENOENT, 9, L(&un), offsetof(struct sockaddr_un, sun_path) + 13);
	struct sockaddr_un ab = { AF_UNIX, "\0abstract" };
	T("connect(9, {sa_family=AF_UNIX, sun_path=@\"abstract\"}, 11) = -1 ECONNREFUSED (Connection refused)",
	  connect, -1, ECONNREFUSED, 9, L(&ab), offsetof(struct sockaddr_un, sun_path) + 9);
	T("connect(9, {sa_family=AF_UNIX}, 2) = -1 EINVAL (Invalid argument)", connect, -1, EINVAL, 9, L(&ab), 2);
	T("connect(9, NULL, 0) = -1 EINVAL (Invalid argument)", connect, -1, EINVAL, 9, 0, 0);
	struct sockaddr gen = { 77, "abc" };
	T("connect(9, {sa_family=0x4d /* AF_??? */, sa_data=\"abc\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\\0\"}, 16) = -1 EINVAL (Invalid argument)",
	  connect, -1, EINVAL, 9, L(&gen), sizeof gen);
	struct sockaddr_nl nl = { AF_NETLINK, 0, 123, 5 };
	T("bind(11, {sa_family=AF_NETLINK, nl_pid=123, nl_groups=0x000005}, 12) = 0", bind, 0, 0, 11, L(&nl), sizeof nl);

	int one = 1;
	T("setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0", setsockopt, 0, 0, 3, SOL_SOCKET, SO_REUSEADDR, L(&one), 4);
	T("setsockopt(3, SOL_TCP, TCP_NODELAY, [1], 4) = 0", setsockopt, 0, 0, 3, IPPROTO_TCP, TCP_NODELAY, L(&one), 4);
	T("setsockopt(8, SOL_IPV6, IPV6_V6ONLY, [1], 4) = -1 EINVAL (Invalid argument)", setsockopt, -1, EINVAL, 8, SOL_IPV6, IPV6_V6ONLY, L(&one), 4);
	T("setsockopt(5, SOL_SOCKET, 0x3e7 /* SO_??? */, [1], 4) = -1 ENOPROTOOPT (Protocol not available)",
	  setsockopt, -1, ENOPROTOOPT, 5, SOL_SOCKET, 999, L(&one), 4);
	T("setsockopt(5, 0x3e7 /* SOL_?? */, 5, [1], 4) = -1 ENOPROTOOPT (Protocol not available)",
	  setsockopt, -1, ENOPROTOOPT, 5, 999, 5, L(&one), 4);
	T("setsockopt(5, SOL_SOCKET, SO_RCVBUF, 0x7ffc74299a6c, 2) = -1 EINVAL (Invalid argument)",
	  setsockopt, -1, EINVAL, 5, SOL_SOCKET, SO_RCVBUF, 0x7ffc74299a6c, 2);
	struct linger lg = { 1, 5 };
	T("setsockopt(5, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=5}, 8) = 0", setsockopt, 0, 0, 5, SOL_SOCKET, SO_LINGER, L(&lg), 8);
	T("setsockopt(5, SOL_SOCKET, SO_BINDTODEVICE, \"lo\\0\", 3) = 0", setsockopt, 0, 0, 5, SOL_SOCKET, SO_BINDTODEVICE, L("lo"), 3);
	int err = ECONNREFUSED;
	socklen_t ol = 4;
	T("getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0", getsockopt, 0, 0, 3, SOL_SOCKET, SO_ERROR, L(&err), L(&ol));
	short two = 0;
	socklen_t ol2 = 2;
	T("getsockopt(7, SOL_SOCKET, SO_RCVBUF, \"\\x00\\x00\", [2]) = 0", getsockopt, 0, 0, 7, SOL_SOCKET, SO_RCVBUF, L(&two), L(&ol2));

	struct sockaddr_in peer = { AF_INET, htons(54774), { htonl(0x7f000001) }, { 0 } };
	socklen_t pl = 16;
	/* strace shows [128 => 16]: the length before the call is gone */
	T("accept4(12, {sa_family=AF_INET, sin_port=htons(54774), sin_addr=inet_addr(\"127.0.0.1\")}, [16], SOCK_CLOEXEC|SOCK_NONBLOCK) = 14",
	  accept4, 14, 0, 12, L(&peer), L(&pl), SOCK_CLOEXEC | SOCK_NONBLOCK);
	T("accept(12, NULL, NULL) = 16", accept, 16, 0, 12, 0, 0);
	T("accept4(5, NULL, NULL, 0) = -1 EOPNOTSUPP (Operation not supported)", accept4, -1, EOPNOTSUPP, 5, 0, 0, 0);
	T("sendto(13, \"hi\", 2, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = 2", sendto, 2, 0, 13, L("hi"), 2, MSG_NOSIGNAL | MSG_DONTWAIT, 0, 0);
	T("recvfrom(14, \"hey\", 64, MSG_PEEK, NULL, NULL) = 3", recvfrom, 3, 0, 14, L("hey"), 64, MSG_PEEK, 0, 0);
	T("recv(14, \"hi\", 64, 0) = 2", recv, 2, 0, 14, L("hi"), 64, 0);
	T("shutdown(13, SHUT_WR) = 0", shutdown, 0, 0, 13, SHUT_WR);
	int sv[2] = { 17, 18 };
	T("socketpair(AF_UNIX, SOCK_STREAM, 0, [17, 18]) = 0", socketpair, 0, 0, AF_UNIX, SOCK_STREAM, 0, L(sv));

	struct iovec iv[2] = { { "ab", 2 }, { "cde", 3 } };
	struct msghdr mh = { .msg_iov = iv, .msg_iovlen = 2 };
	T("sendmsg(13, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"ab\", iov_len=2}, {iov_base=\"cde\", iov_len=3}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 5",
	  sendmsg, 5, 0, 13, L(&mh), 0);
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } cb;
	memset(&cb, 0, sizeof cb);
	mh.msg_control = cb.buf;
	mh.msg_controllen = sizeof cb.buf;
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	int three = 3;
	memcpy(CMSG_DATA(cm), &three, sizeof three);
	T("sendmsg(17, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"ab\", iov_len=2}, {iov_base=\"cde\", iov_len=3}], msg_iovlen=2, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}], msg_controllen=24, msg_flags=0}, MSG_NOSIGNAL) = 5",
	  sendmsg, 5, 0, 17, L(&mh), MSG_NOSIGNAL);
	char r1[3] = "abc", r2[10] = "de";
	struct iovec ri[2] = { { r1, 3 }, { r2, 10 } };
	struct msghdr rm = { .msg_iov = ri, .msg_iovlen = 2 };
	T("recvmsg(18, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"abc\", iov_len=3}, {iov_base=\"de\", iov_len=10}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 5",
	  recvmsg, 5, 0, 18, L(&rm), 0);
	T("recvmsg(3, {msg_namelen=0}, MSG_DONTWAIT) = -1 EAGAIN (Resource temporarily unavailable)", recvmsg, -1, EAGAIN, 3, L(&rm), MSG_DONTWAIT);
	union { char buf[CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } cr;
	memset(&cr, 0, sizeof cr);
	char x8[8] = "x";
	struct iovec xi = { x8, 8 };
	struct msghdr cm2 = { .msg_iov = &xi, .msg_iovlen = 1, .msg_control = cr.buf, .msg_controllen = sizeof cr.buf };
	cm = CMSG_FIRSTHDR(&cm2);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(struct ucred));
	memcpy(CMSG_DATA(cm), &(struct ucred){ 409, 0, 0 }, sizeof(struct ucred));
	T("recvmsg(6, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base=\"x\", iov_len=8}], msg_iovlen=1, msg_control=[{cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={pid=409, uid=0, gid=0}}], msg_controllen=32, msg_flags=0}, 0) = 1",
	  recvmsg, 1, 0, 6, L(&cm2), 0);
	struct sockaddr_in to = { AF_INET, htons(9), { htonl(0x7f000001) }, { 0 } };
	struct iovec one_iov = { "abcd", 4 };
	struct msghdr nm = { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &one_iov, .msg_iovlen = 1 };
	T("sendmsg(5, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr(\"127.0.0.1\")}, msg_namelen=16, msg_iov=[{iov_base=\"abcd\", iov_len=4}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4",
	  sendmsg, 4, 0, 5, L(&nm), 0);

	struct pollfd pf[2] = { { 14, POLLIN | POLLPRI, POLLIN }, { 13, POLLOUT, POLLOUT | POLLHUP } };
	T("poll([{fd=14, events=POLLIN|POLLPRI}, {fd=13, events=POLLOUT}], 2, 100) = 2 ([{fd=14, revents=POLLIN}, {fd=13, revents=POLLOUT|POLLHUP}])",
	  poll, 2, 0, L(pf), 2, 100);
	pf[0] = (struct pollfd){ 14, 0, 0 };
	pf[1] = (struct pollfd){ 13, POLLIN, POLLIN | POLLHUP };
	T("poll([{fd=14, events=0}, {fd=13, events=POLLIN}], 2, 0) = 1 ([{fd=13, revents=POLLIN|POLLHUP}])", poll, 1, 0, L(pf), 2, 0);
	T("poll(NULL, 0, 0) = 0 (Timeout)", poll, 0, 0, 0, 0, 0);
	struct timeval tv = { 0, 0 };
	T("select(0, NULL, NULL, NULL, {tv_sec=0, tv_usec=0}) = 0 (Timeout)", select, 0, 0, 0, 0, 0, 0, L(&tv));

	struct epoll_event ev[1] = { { EPOLLIN, { .u64 = 0x100000003 } } };
	T("epoll_wait(6, [{events=EPOLLIN, data={u32=3, u64=4294967299}}], 4, 0) = 1", epoll_wait, 1, 0, 6, L(ev), 4, 0);
	T("epoll_wait(6, [], 4, 0) = 0", epoll_wait, 0, 0, 6, L(ev), 4, 0);

	T("getaddrinfo(\"example.com\", \"http\", NULL, 0x7ffd0000) = -11 EAI_SYSTEM (System error)",
	  getaddrinfo, EAI_SYSTEM, EIO, L("example.com"), L("http"), 0, 0x7ffd0000);
	T("getaddrinfo(\"nonexistent.invalid\", NULL, 0x7ffd0100, 0x7ffd0000) = -2 EAI_NONAME (Name or service not known)",
	  getaddrinfo, EAI_NONAME, 0, L("nonexistent.invalid"), 0, 0x7ffd0100, 0x7ffd0000);
}

static void process_clock(void)
{
	char *big[40], nb[40][16];
	for (int i = 0; i < 39; i++) {
		snprintf(nb[i], sizeof nb[i], "a%d", i);
		big[i] = nb[i];
	}
	big[39] = NULL;
	char *env[] = { "A=1", "B=2", NULL }, want[1024];
	snprintf(want, sizeof want, "execve(\"/nonexist\", [\"a0\", \"a1\", \"a2\", \"a3\", \"a4\", \"a5\", \"a6\", \"a7\", \"a8\", \"a9\", \"a10\", \"a11\", \"a12\", \"a13\", \"a14\", \"a15\", \"a16\", \"a17\", \"a18\", \"a19\", \"a20\", \"a21\", \"a22\", \"a23\", \"a24\", \"a25\", \"a26\", \"a27\", \"a28\", \"a29\", \"a30\", \"a31\", ...], %p /* 2 vars */) = -1 ENOENT (No such file or directory)", (void *)env);
	run(__LINE__, want, HJ_execve, -1, ENOENT, true, false, ARGS(L("/nonexist"), L(big), L(env)));
	char *a2[] = { "ls", "-la", "a very long argument that exceeds thirty two bytes", "tab\there", NULL };
	T("execve(\"/nonexist\", [\"ls\", \"-la\", \"a very long argument that exceed\"..., \"tab\\there\"], NULL) = -1 ENOENT (No such file or directory)",
	  execve, -1, ENOENT, L("/nonexist"), L(a2), 0);
	char *a3[] = { NULL };
	snprintf(want, sizeof want, "execve(\"/nonexist\", [], %p /* 0 vars */) = -1 ENOENT (No such file or directory)", (void *)a3);
	run(__LINE__, want, HJ_execve, -1, ENOENT, true, false, ARGS(L("/nonexist"), L(a3), L(a3)));
	T("execve(\"/nonexist\", NULL, NULL) = -1 ENOENT (No such file or directory)", execve, -1, ENOENT, L("/nonexist"), 0, 0);
	/* hj_trace_exec: written before the exec, with 0 */
	snprintf(want, sizeof want, "execve(\"/tmp/st/p3\", [\"p3\", \"x\"], %p /* 2 vars */) = 0", (void *)env);
	run(__LINE__, want, HJ_execve, 0, 0, true, false, ARGS(L("/tmp/st/p3"), L(((char *[]){ "p3", "x", NULL })), L(env)));

	T("kill(19945, 0) = 0", kill, 0, 0, 19945, 0);
	T("kill(-1234567, SIGTERM) = -1 ESRCH (No such process)", kill, -1, ESRCH, -1234567, SIGTERM);
	T("kill(999999, SIGRT_32) = -1 ESRCH (No such process)", kill, -1, ESRCH, 999999, 64);
	T("kill(99999, SIGRTMIN) = -1 ESRCH (No such process)", kill, -1, ESRCH, 99999, 32);
	T("kill(999999, 100) = -1 ESRCH (No such process)", kill, -1, ESRCH, 999999, 100);
	T("kill(1, SIGIO) = 0", kill, 0, 0, 1, SIGIO);
	T("getpid() = 19945", getpid, 19945, 0, 0);

	struct timespec ts = { 1500, 906169940 };
	T("clock_gettime(CLOCK_MONOTONIC, {tv_sec=1500, tv_nsec=906169940}) = 0", clock_gettime, 0, 0, CLOCK_MONOTONIC, L(&ts));
	T("clock_gettime(0x4d /* CLOCK_??? */, 0x7fff5196c130) = -1 EINVAL (Invalid argument)", clock_gettime, -1, EINVAL, 77, 0x7fff5196c130);
	T("clock_gettime(CLOCK_BOOTTIME, NULL) = -1 EFAULT (Bad address)", clock_gettime, -1, EFAULT, CLOCK_BOOTTIME, 0);
	T("clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=1500, tv_nsec=906169940}, NULL) = 0",
	  clock_nanosleep, 0, 0, CLOCK_MONOTONIC, TIMER_ABSTIME, L(&ts), 0);
	struct timespec ns = { 0, 1000 };
	T("nanosleep({tv_sec=0, tv_nsec=1000}, 0x7fff5196c130) = 0", nanosleep, 0, 0, L(&ns), 0x7fff5196c130);
	struct timeval tv = { 1795321570, 946752 };
	T("gettimeofday({tv_sec=1795321570, tv_usec=946752}, NULL) = 0", gettimeofday, 0, 0, L(&tv), 0);
	B("gettimeofday(0x7ffd0000, NULL)", gettimeofday, 0x7ffd0000, 0);
	T("sleep(5) = 2", sleep, 2, 0, 5);
	struct itimerspec its = { { 0, 500000000 }, { 1795321570, 0 } };
	T("timerfd_settime(3, TFD_TIMER_ABSTIME, {it_interval={tv_sec=0, tv_nsec=500000000}, it_value={tv_sec=1795321570, tv_nsec=0}}, NULL) = 0",
	  timerfd_settime, 0, 0, 3, 1, L(&its), 0);
	T("timerfd_gettime(3, {it_interval={tv_sec=0, tv_nsec=500000000}, it_value={tv_sec=1795321570, tv_nsec=0}}) = 0",
	  timerfd_gettime, 0, 0, 3, L(&its));
	B("timerfd_gettime(3, 0x7ffd0000)", timerfd_gettime, 3, 0x7ffd0000);
	long timer = 0;
	T("timer_create(CLOCK_REALTIME, NULL, [0]) = 0", timer_create, 0, 0, CLOCK_REALTIME, 0, L(&timer));
	T("timer_settime(0, TIMER_ABSTIME, {it_interval={tv_sec=0, tv_nsec=500000000}, it_value={tv_sec=1795321570, tv_nsec=0}}, NULL) = 0",
	  timer_settime, 0, 0, 0, TIMER_ABSTIME, L(&its), 0);
	T("pthread_cond_timedwait(0x7fff5196c130, 0x7fff5196c170, {tv_sec=1500, tv_nsec=906169940}) = 110 ETIMEDOUT (Connection timed out)",
	  pthread_cond_timedwait, ETIMEDOUT, 0, 0x7fff5196c130, 0x7fff5196c170, L(&ts));
	T("sem_timedwait(0x7fff5196c130, {tv_sec=1500, tv_nsec=906169940}) = -1 ETIMEDOUT (Connection timed out)",
	  sem_timedwait, -1, ETIMEDOUT, 0x7fff5196c130, L(&ts));
	struct timeb tb = { 1795321570, 946, 0, 0 };
	T("ftime({time=1795321570, millitm=946}) = 0", ftime, 0, 0, L(&tb));
	T("ppoll(NULL, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0 (Timeout)", ppoll, 0, 0, 0, 0, L(&ns), 0);
	struct pollfd ready = { .fd = 3, .events = POLLIN, .revents = POLLIN };
	T("ppoll([{fd=3, events=POLLIN}], 1, NULL, NULL) = 1 ([{fd=3, revents=POLLIN}])", ppoll, 1, 0, L(&ready), 1, 0, 0);
	pid_t pid = 1234;
	T("posix_spawn([1234], \"/bin/true\", NULL, NULL, [\"true\"], NULL) = 0",
	  posix_spawn, 0, 0, L(&pid), L("/bin/true"), 0, 0, L(((char *[]){ "true", NULL })), 0);
}

static void json(void)
{
	J("open(\"/tmp/x\", \"O_WRONLY|O_CREAT\", \"0644\") = 3", open, 3, 0, L("/tmp/x"), O_WRONLY | O_CREAT, 0644);
	J("openat(-100, \"/tmp/x\", \"O_RDONLY\") = -1", openat, -1, ENOENT, AT_FDCWD, L("/tmp/x"), O_RDONLY, 0);
	J("write(1, \"a\\\"b\\\\c\\n\\u0001\\u00ff012345678901234567890123\", 40) = 40", write, 40, 0, 1,
	  L("a\"b\\c\n\x01\xff" "0123456789012345678901234567890123456789"), 40);
	J("read(3, null, 10) = 0", read, 0, 0, 3, 0, 10);
	J("read(3, 140723090358272, 10) = -1", read, -1, EBADF, 3, 0x7ffca5d00000, 10);
	J("mmap(null, 4096, \"PROT_READ\", \"MAP_PRIVATE|MAP_ANONYMOUS\", -1, 4096) = 140718915977216", mmap, 0x7ffbad000000, 0, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 4096);
	struct sockaddr_in in = { AF_INET, htons(80), { htonl(0x7f000001) }, { 0 } };
	J("connect(3, \"{sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr(\\\"127.0.0.1\\\")}\", 16) = 0", connect, 0, 0, 3, L(&in), 16);
	J("execv(\"/bin/ls\", [\"ls\", \"-l\\tx\"]) = 0", execv, 0, 0, L("/bin/ls"), L(((char *[]){ "ls", "-l\tx", NULL })));
	int fds[2] = { 3, 4 };
	J("pipe([3, 4]) = 0", pipe, 0, 0, L(fds));
	J("free(null) = null", free, 0, 0, 0);
	J("fcntl(3, \"F_GETFL\") = 32770", fcntl, 0x8002, 0, 3, F_GETFL, 0);
	J("kill(5, \"SIGKILL\") = 0", kill, 0, 0, 5, SIGKILL);
}


/* System calls (SYS rows), against strace 6.1's lines for the same calls
 * (Debian 12: ls, bash, python3 and a probe program). */
struct ksigaction { unsigned long handler, flags, restorer; uint64_t mask; };
#define SIGBIT(s) (1ull << ((s) - 1))

static void syscalls(void)
{
	char want[512];
	struct ksigaction sa = { 0x555d29b24369, SA_RESTORER_ | SA_ONSTACK | SA_RESTART | SA_NODEFER | SA_SIGINFO,
				 0x7face780f050, SIGBIT(SIGINT) | SIGBIT(SIGTERM) };
	T("rt_sigaction(SIGUSR1, {sa_handler=0x555d29b24369, sa_mask=[INT TERM], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER|SA_SIGINFO, sa_restorer=0x7face780f050}, NULL, 8) = 0",
	  rt_sigaction, 0, 0, SIGUSR1, L(&sa), 0, 8);
	struct ksigaction act = { 0, SA_RESTORER_ | SA_RESTART, 0x7f48aab77050, 0 }, old = { 0 };
	T("rt_sigaction(SIGCHLD, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x7f48aab77050}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0",
	  rt_sigaction, 0, 0, SIGCHLD, L(&act), L(&old), 8);
	act = (struct ksigaction){ 1, SA_RESTORER_, 0x7f48aab77050, 0 };
	B("rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f48aab77050}, 0x7ffc1000, 8)",
	  rt_sigaction, SIGPIPE, L(&act), 0x7ffc1000, 8);
	T("rt_sigaction(SIGRTMIN, 0x10, NULL, 8) = -1 EFAULT (Bad address)", rt_sigaction, -1, EFAULT, 32, 0x10, 0, 8);

	uint64_t set = ~(SIGBIT(32) | SIGBIT(33));
	T("rt_sigprocmask(SIG_SETMASK, ~[RTMIN RT_1], NULL, 8) = 0", rt_sigprocmask, 0, 0, SIG_SETMASK, L(&set), 0, 8);
	set = SIGBIT(37) | SIGBIT(40);
	T("rt_sigprocmask(SIG_UNBLOCK, [RT_5 RT_8], NULL, 8) = 0", rt_sigprocmask, 0, 0, SIG_UNBLOCK, L(&set), 0, 8);
	set = 0;
	T("rt_sigprocmask(SIG_BLOCK, NULL, [], 8) = 0", rt_sigprocmask, 0, 0, SIG_BLOCK, 0, L(&set), 8);
	set = SIGBIT(SIGCHLD);
	T("rt_sigprocmask(SIG_BLOCK, [CHLD], [], 8) = 0", rt_sigprocmask, 0, 0, SIG_BLOCK, L(&set), L(&(uint64_t){ 0 }), 8);
	B("rt_sigprocmask(SIG_BLOCK, [CHLD], 0x7ffc2000, 8)", rt_sigprocmask, SIG_BLOCK, L(&set), 0x7ffc2000, 8);
	set = SIGBIT(SIGSYS) | SIGBIT(64);
	T("rt_sigsuspend([SYS RT_32], 8) = -1 EINTR (Interrupted system call)", rt_sigsuspend, -1, EINTR, L(&set), 8);
	stack_t ss = { .ss_sp = (void *)0x555d37e592a0, .ss_flags = 0, .ss_size = 65536 }, oss = { .ss_flags = SS_DISABLE };
	T("sigaltstack({ss_sp=0x555d37e592a0, ss_flags=0, ss_size=65536}, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0",
	  sigaltstack, 0, 0, L(&ss), L(&oss));
	T("tgkill(12354, 12354, SIGSEGV) = 0", tgkill, 0, 0, 12354, 12354, SIGSEGV);

	/* getdents64: the entries the buffer holds */
	_Alignas(8) char ents[96] = { 0 };
	unsigned short reclen[3] = { 24, 24, 32 };
	for (int k = 0, at = 0; k < 3; at += reclen[k++])
		memcpy(ents + at + 16, &reclen[k], sizeof reclen[k]);
	snprintf(want, sizeof want, "getdents64(3, %p /* 3 entries */, 32768) = 80", (void *)ents);
	T(want, getdents64, 80, 0, 3, L(ents), 32768);
	snprintf(want, sizeof want, "getdents64(3, %p /* 0 entries */, 32768) = 0", (void *)ents);
	T(want, getdents64, 0, 0, 3, L(ents), 32768);
	T("getdents64(12345, 0x7ffd99200fb0, 16) = -1 EBADF (Bad file descriptor)", getdents64, -1, EBADF, 12345, 0x7ffd99200fb0, 16);

	T("brk(NULL) = 0x5563dd2f9000", brk, 0x5563dd2f9000, 0, 0);
	T("brk(0x5563dd31a000) = 0x5563dd31a000", brk, 0x5563dd31a000, 0, 0x5563dd31a000);
	T("mprotect(0x7f48aad0a000, 16384, PROT_READ) = 0", mprotect, 0, 0, 0x7f48aad0a000, 16384, PROT_READ);
	T("madvise(0x7face77c0000, 65536, MADV_DONTNEED) = 0", madvise, 0, 0, 0x7face77c0000, 65536, MADV_DONTNEED);
	T("madvise(0x7face77c0000, 65536, MADV_HUGEPAGE) = 0", madvise, 0, 0, 0x7face77c0000, 65536, MADV_HUGEPAGE);
	T("madvise(0x7face77c0000, 65536, 0x4d /* MADV_??? */) = -1 EINVAL (Invalid argument)", madvise, -1, EINVAL, 0x7face77c0000, 65536, 77);
	T("mremap(0x7face77c0000, 65536, 131072, MREMAP_MAYMOVE) = 0x7face77a0000", mremap, 0x7face77a0000, 0, 0x7face77c0000, 65536, 131072, 1, 0);
	T("mremap(0x7face77c0000, 65536, 131072, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f0000000000) = 0x7f0000000000",
	  mremap, 0x7f0000000000, 0, 0x7face77c0000, 65536, 131072, 3, 0x7f0000000000);
	T("arch_prctl(ARCH_SET_FS, 0x7f48aab38740) = 0", arch_prctl, 0, 0, 0x1002, 0x7f48aab38740);
	T("arch_prctl(0x3001 /* ARCH_??? */, 0x7ffd0000) = -1 EINVAL (Invalid argument)", arch_prctl, -1, EINVAL, 0x3001, 0x7ffd0000);
	T("set_tid_address(0x7f48aab38a10) = 11579", set_tid_address, 11579, 0, 0x7f48aab38a10);
	T("set_robust_list(0x7f48aab38a20, 24) = 0", set_robust_list, 0, 0, 0x7f48aab38a20, 24);
	T("rseq(0x7f48aab39060, 0x20, 0, 0x53053053) = 0", rseq, 0, 0, 0x7f48aab39060, 0x20, 0, 0x53053053);

	struct rlimit rl = { 8192 * 1024, RLIM_INFINITY };
	T("prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0", prlimit64, 0, 0, 0, RLIMIT_STACK, 0, L(&rl));
	rl = (struct rlimit){ 1024, 4096 };
	T("prlimit64(0, RLIMIT_NOFILE, {rlim_cur=1024, rlim_max=4*1024}, NULL) = 0", prlimit64, 0, 0, 0, RLIMIT_NOFILE, L(&rl), 0);
	rl = (struct rlimit){ 96364, 96364 };
	T("prlimit64(0, RLIMIT_NPROC, NULL, {rlim_cur=96364, rlim_max=96364}) = 0", prlimit64, 0, 0, 0, RLIMIT_NPROC, 0, L(&rl));
	B("prlimit64(0, RLIMIT_NPROC, NULL, 0x7ffd1000)", prlimit64, 0, RLIMIT_NPROC, 0, 0x7ffd1000);

	unsigned char rnd[8] = { 0x5b, 0x61, 0x90, 0xca, 0xfc, 0xf1, 0xf6, 0xa2 };
	T("getrandom(\"\\x5b\\x61\\x90\\xca\\xfc\\xf1\\xf6\\xa2\", 8, GRND_NONBLOCK) = 8", getrandom, 8, 0, L(rnd), 8, 1);
	T("getrandom(\"\\x5b\\x61\\x90\\xca\\xfc\\xf1\\xf6\\xa2\", 8, GRND_NONBLOCK|GRND_RANDOM) = 8", getrandom, 8, 0, L(rnd), 8, 3);
	T("getrandom(0x7ffd99200fb0, 16, 0x40 /* GRND_??? */) = -1 EINVAL (Invalid argument)", getrandom, -1, EINVAL, 0x7ffd99200fb0, 16, 0x40);

	T("futex(0x7f48aad0fa4c, FUTEX_WAKE_PRIVATE, 2147483647) = 0", futex, 0, 0, 0x7f48aad0fa4c, 129, 2147483647, 0, 0, 0);
	T("futex(0x7ffd99200e1c, FUTEX_WAIT_PRIVATE, 1, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
	  futex, -1, EAGAIN, 0x7ffd99200e1c, 128, 1, 0, 0, 0);
	T("futex(0x7ffd99200e1c, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, NULL, FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)",
	  futex, -1, EAGAIN, 0x7ffd99200e1c, 9 | 128 | 256, 1, 0, 0, 0xffffffff);
	struct timespec ts = { 1, 500 };
	T("futex(0x7ffd99200e1c, FUTEX_WAIT, 0, {tv_sec=1, tv_nsec=500}) = -1 ETIMEDOUT (Connection timed out)",
	  futex, -1, ETIMEDOUT, 0x7ffd99200e1c, 0, 0, L(&ts), 0, 0);
	T("futex(0x7f0000001000, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2147483647, 0x7f0000002000, 0) = 1",
	  futex, 1, 0, 0x7f0000001000, 4 | 128, 1, 2147483647, 0x7f0000002000, 0);
	T("futex(0x7fff6e4b631c, FUTEX_WAKE_OP_PRIVATE, 1, 1, 0x7fff6e4b6318, FUTEX_OP_SET<<28|0<<12|FUTEX_OP_CMP_GT<<24|0x1) = 0",
	  futex, 0, 0, 0x7fff6e4b631c, 5 | 128, 1, 1, 0x7fff6e4b6318, 0x04000001);
	T("futex(0x7fff6e4b631c, FUTEX_WAKE_BITSET, 1, FUTEX_BITSET_MATCH_ANY) = 0", futex, 0, 0, 0x7fff6e4b631c, 10, 1, 0, 0, 0xffffffff);
	T("futex(0x7fff6e4b631c, FUTEX_REQUEUE, 1, 5, 0x7fff6e4b6318) = 0", futex, 0, 0, 0x7fff6e4b631c, 3, 1, 5, 0x7fff6e4b6318, 0);
	T("futex(0x7fff6e4b631c, 0x63 /* FUTEX_??? */, 1, 0x5, 0x7fff6e4b6318, 0x7) = -1 ENOSYS (Function not implemented)",
	  futex, -1, ENOSYS, 0x7fff6e4b631c, 99, 1, 5, 0x7fff6e4b6318, 7);
	T("futex(0x7f0000001000, FUTEX_UNLOCK_PI_PRIVATE) = 0", futex, 0, 0, 0x7f0000001000, 7 | 128, 0, 0, 0, 0);

	int status = 3 << 8;
	T("wait4(12352, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 12352", wait4, 12352, 0, 12352, L(&status), 0, 0);
	status = SIGKILL;
	T("wait4(12353, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 12353", wait4, 12353, 0, 12353, L(&status), 0, 0);
	status = SIGSEGV | 0x80;
	T("wait4(12354, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}], __WALL, NULL) = 12354",
	  wait4, 12354, 0, 12354, L(&status), __WALL, 0);
	status = (SIGSTOP << 8) | 0x7f;
	T("wait4(3046, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = 3046", wait4, 3046, 0, 3046, L(&status), WUNTRACED, 0);
	T("wait4(-1, 0x7fff7e6d4490, WNOHANG, NULL) = -1 ECHILD (No child processes)", wait4, -1, ECHILD, -1, 0x7fff7e6d4490, WNOHANG, 0);
	T("wait4(-1, 0x7fff7e6d4490, WNOHANG, NULL) = 0", wait4, 0, 0, -1, 0x7fff7e6d4490, WNOHANG, 0);
	B("wait4(-1, 0x7fff7e6d4490, 0, NULL)", wait4, -1, 0x7fff7e6d4490, 0, 0);

	T("clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f48aab38a10) = 11581",
	  clone, 11581, 0, CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD, 0, 0, 0x7f48aab38a10, 0);
	T("clone(child_stack=0x7f1234560000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[11600], child_tidptr=0x7f1234567910, tls=0x7f1234567640) = 11600",
	  clone, 11600, 0, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
	  0x7f1234560000, L(&(int){ 11600 }), 0x7f1234567910, 0x7f1234567640);
	struct clone_args ca = { .flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD };
	T("clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=NULL, stack_size=0}, 88) = 12355", clone3, 12355, 0, L(&ca), 88);
	ca.stack = 0x7f0000010000;
	ca.stack_size = 0x9000;
	T("clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x7f0000010000, stack_size=0x9000}, 88) = 12356", clone3, 12356, 0, L(&ca), 88);
	int ptid = 3045;
	ca = (struct clone_args){ .flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
				  .child_tid = L(&ptid), .parent_tid = L(&ptid), .stack = 0x7f9d72785000, .stack_size = 0x7fff80, .tls = 0x7f9d72f856c0 };
	snprintf(want, sizeof want, "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, "
		 "child_tid=%p, parent_tid=%p, exit_signal=0, stack=0x7f9d72785000, stack_size=0x7fff80, tls=0x7f9d72f856c0} => {parent_tid=[3045]}, 88) = 3045",
		 (void *)&ptid, (void *)&ptid);
	T(want, clone3, 3045, 0, L(&ca), 88);
	struct ksigaction rh = { 0, SA_RESTORER_ | (unsigned long)(long)(int)(SA_NOCLDSTOP | SA_NOCLDWAIT | SA_RESETHAND | SA_SIGINFO), 0x7f9d72fc5050, 0 };
	T("rt_sigaction(SIGCHLD, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=SA_RESTORER|SA_RESETHAND|SA_SIGINFO|SA_NOCLDSTOP|SA_NOCLDWAIT|0xffffffff00000000, sa_restorer=0x7f9d72fc5050}, NULL, 8) = 0",
	  rt_sigaction, 0, 0, SIGCHLD, L(&rh), 0, 8);
	T("sigaltstack(NULL, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0", sigaltstack, 0, 0, 0, L(&oss));
	T("unshare(CLONE_NEWNS|CLONE_NEWUSER) = 0", unshare, 0, 0, CLONE_NEWNS | CLONE_NEWUSER);

	struct utsname un = { .sysname = "Linux", .nodename = "vm" };
	T("uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0", uname, 0, 0, L(&un));
	struct sysinfo si = { .uptime = 10836, .loads = { 276352, 161504, 135648 }, .totalram = 25276026880, .freeram = 24247586816,
			      .sharedram = 9191424, .bufferram = 17526784, .procs = 117, .mem_unit = 1 };
	T("sysinfo({uptime=10836, loads=[276352, 161504, 135648], totalram=25276026880, freeram=24247586816, sharedram=9191424, bufferram=17526784, totalswap=0, freeswap=0, procs=117, totalhigh=0, freehigh=0, mem_unit=1}) = 0",
	  sysinfo, 0, 0, L(&si));
	struct statfs sf = { .f_type = 0xef53, .f_bsize = 4096, .f_blocks = 66053021, .f_bfree = 61653942, .f_bavail = 20685218,
			     .f_files = 16777216, .f_ffree = 16339973, .f_namelen = 255, .f_frsize = 4096, .f_flags = 0x1020 };
	int fsid[2] = { (int)0xc3384989, (int)0xe71eb343 };
	memcpy(&sf.f_fsid, fsid, sizeof fsid);
	T("statfs(\"/\", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=61653942, f_bavail=20685218, f_files=16777216, f_ffree=16339973, f_fsid={val=[0xc3384989, 0xe71eb343]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0",
	  statfs, 0, 0, L("/"), L(&sf));
	T("statfs(\"/selinux\", 0x7ffcd1115730) = -1 ENOENT (No such file or directory)", statfs, -1, ENOENT, L("/selinux"), 0x7ffcd1115730);
	sf.f_type = 0x01021994;
	sf.f_flags = 0x26;
	T("fstatfs(1, {f_type=TMPFS_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=61653942, f_bavail=20685218, f_files=16777216, f_ffree=16339973, f_fsid={val=[0xc3384989, 0xe71eb343]}, f_namelen=255, f_frsize=4096, f_flags=ST_NOSUID|ST_NODEV|ST_VALID}) = 0",
	  fstatfs, 0, 0, 1, L(&sf));

	char cwd[64] = "/tmp/table";
	T("getcwd(\"/tmp/table\", 1024) = 11", getcwd, 11, 0, L(cwd), 1024);
	T("getcwd(0x7ffd99200d20, 2) = -1 ERANGE (Numerical result out of range)", getcwd, -1, ERANGE, 0x7ffd99200d20, 2);
	T("umask(077) = 022", umask, 022, 0, 077);
	T("getuid() = 0", getuid, 0, 0, 0);
	T("getegid() = 1000", getegid, 1000, 0, 0);
	unsigned char cpus[32] = { 3 };
	T("sched_getaffinity(0, 128, [0 1]) = 32", sched_getaffinity, 32, 0, 0, 128, L(cpus));
	cpus[1] = 0x81;
	T("sched_setaffinity(0, 8, [0 1 8 15]) = 0", sched_setaffinity, 0, 0, 0, 8, L(cpus));

	struct stat st = { .st_mode = S_IFREG | 0644, .st_size = 41439 };
	T("newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=41439, ...}, AT_EMPTY_PATH) = 0", newfstatat, 0, 0, 3, L(""), L(&st), AT_EMPTY_PATH);
	T("newfstatat(AT_FDCWD, \"/nonexist\", 0x7fff7e6d5060, 0) = -1 ENOENT (No such file or directory)",
	  newfstatat, -1, ENOENT, AT_FDCWD, L("/nonexist"), 0x7fff7e6d5060, 0);
	unsigned char elf[784] = { 6, 0, 0, 0, 4, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 64 };
	T("pread64(3, \"\\6\\0\\0\\0\\4\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0@\\0\\0\\0\\0\\0\\0\\0\"..., 784, 64) = 784",
	  pread64, 784, 0, 3, L(elf), 784, 64);
	T("fadvise64(3, 0, 100, POSIX_FADV_DONTNEED) = 0", fadvise64, 0, 0, 3, 0, 100, POSIX_FADV_DONTNEED);
	T("fadvise64(3, 0, 0, POSIX_FADV_SEQUENTIAL) = 0", fadvise64, 0, 0, 3, 0, 0, POSIX_FADV_SEQUENTIAL);
	T("fgetxattr(3, \"user.k\", \"value\", 16) = 5", fgetxattr, 5, 0, 3, L("user.k"), L("value"), 16);
	T("getxattr(\"/tmp/table\", \"system.posix_acl_access\", NULL, 0) = -1 ENODATA (No data available)",
	  getxattr, -1, ENODATA, L("/tmp/table"), L("system.posix_acl_access"), 0, 0);
	T("lgetxattr(\"/tmp/table\", \"security.selinux\", 0x5583619fa640, 255) = -1 ENODATA (No data available)",
	  lgetxattr, -1, ENODATA, L("/tmp/table"), L("security.selinux"), 0x5583619fa640, 255);
	T("listxattr(\"/tmp/table/x\", \"user.k\\0\", 16) = 7", listxattr, 7, 0, L("/tmp/table/x"), L("user.k"), 16);
	T("fsetxattr(3, \"user.k\", \"value\", 5, 0) = 0", fsetxattr, 0, 0, 3, L("user.k"), L("value"), 5, 0);
	T("setxattr(\"/tmp/x\", \"user.k\", \"v\", 1, XATTR_CREATE) = 0", setxattr, 0, 0, L("/tmp/x"), L("user.k"), L("v"), 1, 1);
	B("exit(0)", exit, 0);
	T("exit_group(0) = <void>", exit_group, 0, 0, 0);

	T("prctl(PR_SET_NAME, \"abc\") = 0", prctl, 0, 0, 15, L("abc"), 0, 0, 0);
	T("prctl(PR_SET_PDEATHSIG, SIGKILL) = 0", prctl, 0, 0, 1, SIGKILL, 0, 0, 0);
	T("prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0", prctl, 0, 0, 38, 1, 0, 0, 0);
	T("prctl(PR_GET_DUMPABLE) = 1", prctl, 1, 0, 3, 0, 0, 0, 0);
	T("prctl(0x4000 /* PR_??? */, 0x1, 0, 0, 0) = -1 EINVAL (Invalid argument)", prctl, -1, EINVAL, 0x4000, 1, 0, 0, 0);
	T("eventfd2(0, EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK) = 3", eventfd2, 3, 0, 0, 1 | O_CLOEXEC | O_NONBLOCK);
	T("epoll_create1(EPOLL_CLOEXEC) = 4", epoll_create1, 4, 0, O_CLOEXEC);
	T("inotify_init1(IN_NONBLOCK|IN_CLOEXEC) = 3", inotify_init1, 3, 0, O_CLOEXEC | O_NONBLOCK);
	T("timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC|TFD_NONBLOCK) = 4", timerfd_create, 4, 0, CLOCK_MONOTONIC, O_CLOEXEC | O_NONBLOCK);
	set = SIGBIT(SIGUSR1);
	T("signalfd4(-1, [USR1], 8, SFD_CLOEXEC|SFD_NONBLOCK) = 5", signalfd4, 5, 0, -1, L(&set), 8, O_CLOEXEC | O_NONBLOCK);
	T("close_range(3, 4294967295, CLOSE_RANGE_CLOEXEC) = 0", close_range, 0, 0, 3, 0xffffffff, 4);
	T("close_range(100, 199, 0) = 0", close_range, 0, 0, 100, 199, 0);

	set = SIGBIT(SIGINT);
	struct { const void *ss; size_t len; } mask6 = { &set, 8 };
	struct timespec zero = { 0, 0 };
	T("pselect6(1, 0x7ffd1000, NULL, NULL, {tv_sec=0, tv_nsec=0}, {sigmask=[INT], sigsetsize=8}) = 1",
	  pselect6, 1, 0, 1, 0x7ffd1000, 0, 0, L(&zero), L(&mask6));
	T("pselect6(1, 0x7ffd1000, NULL, NULL, NULL, NULL) = 1", pselect6, 1, 0, 1, 0x7ffd1000, 0, 0, 0, 0);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
	timer_t tid = 0;
	T("timer_create(CLOCK_MONOTONIC, {sigev_signo=SIGALRM, sigev_notify=SIGEV_SIGNAL}, [0]) = 0", timer_create, 0, 0, CLOCK_MONOTONIC, L(&ev), L(&tid));
	struct rusage ru = { .ru_utime = { 0, 1817 } };
	T("wait4(18311, NULL, 0, {ru_utime={tv_sec=0, tv_usec=1817}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 18311", wait4, 18311, 0, 18311, 0, 0, L(&ru));

	/* libc rows with a signal set */
	set = SIGBIT(SIGINT);
	T("ppoll(NULL, 0, {tv_sec=1, tv_nsec=500}, [INT]) = 0 (Timeout)", ppoll, 0, 0, 0, 0, L(&ts), L(&set));
}

/* Every argument of every row, as JSON, is one JSON value, whatever it
 * holds: zeros, ones, bad addresses, before and after. */
static const char *json_value(const char *s);

static const char *json_string(const char *s)
{
	for (s++; *s && *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int k = 1; k <= 4; k++)
					if (!strchr("0123456789abcdefABCDEF", s[k]) || !s[k])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_value(const char *s)
{
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "null", 4) || !strncmp(s, "true", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	if (*s == '[') {	/* arrays of values: execve's argv */
		s++;
		if (*s == ']')
			return s + 1;
		for (;;) {
			if (!(s = json_value(s)))
				return NULL;
			if (*s == ']')
				return s + 1;
			if (strncmp(s, ", ", 2))
				return NULL;
			s += 2;
		}
	}
	const char *start = s;
	if (*s == '-')
		s++;
	while (*s >= '0' && *s <= '9')
		s++;
	return s > start && s[-1] != '-' ? s : NULL;
}

static void json_every_kind(void)
{
	/* ones: high bytes, a NUL after 100 (a path of 4095 of them, escaped,
	 * would not fit a trace line at all) */
	static _Alignas(16) unsigned char zeros[8192], ones[8192];
	memset(ones, 0xff, sizeof ones);
	ones[100] = 0;
	memset(ones + sizeof ones - 16, 0, 16);	/* an envp walk ends inside it */
	const long values[] = { 0, 1, -1, 0x10, L(zeros), L(ones), 0x7ffffffff000 };
	const long rets[] = { -1, 0, 8 };
	int bad = 0, checked = 0;
	for (int id = 0; id < HJ_NCALLS; id++)
		for (int i = 0; i < hj_calls[id].nargs; i++)
			for (size_t k = 0; k < sizeof values / sizeof values[0]; k++)
				for (size_t r = 0; r < sizeof rets / sizeof rets[0]; r++)
					for (int after = 0; after < 2; after++) {
						long a[HJ_MAXARGS] = { 3, 8, 8, 8, 8, 8 };
						a[i] = values[k];
						struct hj_call c = { .id = id, .a = a, .ret = rets[r], .err = EINVAL, .after = after };
						char out[1 << 15] = "";
						struct hj_buf b = { out, 0, sizeof out };
						hj_decode_arg(&b, &c, i, true);
						const char *end = out[0] ? json_value(out) : out;
						checked++;
						if (!end || *end) {
							if (bad++ < 10)
								printf("line %d: %s arg %d (%s) = %#lx, ret %ld: not one JSON value: %.300s\n", __LINE__,
								       hj_calls[id].name, i, hj_calls[id].args[i].name, values[k], rets[r], out);
						}
					}
	if (bad)
		failed++;
	else
		passed++;
	(void)checked;
}

static void helpers(void)
{
	char s[64];
	struct hj_buf b = { s, 0, 8 };
	hj_puts(&b, "abcdefghij");
	compare(__LINE__, s, "abcdefg");
	hj_printf(&b, "%d", 42);
	compare(__LINE__, s, "abcdefg");
	b = (struct hj_buf){ s, 0, 8 };
	hj_printf(&b, "%s-%d", "xy", 12345678);
	compare(__LINE__, s, "xy-1234");

	struct sockaddr_in in = { AF_INET, htons(80), { htonl(0x7f000001) }, { 0 } };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(80) };
	in6.sin6_addr.s6_addr[15] = 1;
	struct sockaddr_un un = { AF_UNIX, "/tmp/s" }, ab = { AF_UNIX, "\0abstract" };
	const struct { const void *sa; unsigned len; const char *want; } sa[] = {
		{ &in, sizeof in, "127.0.0.1:80" },
		{ &in6, sizeof in6, "[::1]:80" },
		{ &un, sizeof un, "/tmp/s" },
		{ &ab, offsetof(struct sockaddr_un, sun_path) + 9, "@abstract" },
		{ &un, 2, "" },
	};
	for (size_t k = 0; k < sizeof sa / sizeof sa[0]; k++) {
		b = (struct hj_buf){ s, 0, sizeof s };
		s[0] = '\0';
		hj_sockaddr_str(&b, sa[k].sa, sa[k].len);
		compare(__LINE__, s, sa[k].want);
	}

	const struct { int id; long ret; bool fail; long fv; } f[] = {
		{ HJ_open, -1, true, -1 }, { HJ_open, 3, false, -1 }, { HJ_malloc, 0, true, 0 },
		{ HJ_mmap, (long)MAP_FAILED, true, (long)MAP_FAILED }, { HJ_mmap, 0, false, (long)MAP_FAILED },
		{ HJ_posix_memalign, ENOMEM, true, ENOMEM }, { HJ_getaddrinfo, EAI_NONAME, true, EAI_SYSTEM },
		{ HJ_sleep, 3, false, 3 }, { HJ_free, 0, false, 0 }, { HJ_execve, -1, true, -1 },
		{ HJ_system, 256, false, -1 }, { HJ_time, -1, true, -1 },
	};
	for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
		long args[HJ_MAXARGS] = { 3 };	/* sleep(3) fails with all 3 seconds left */
		struct hj_call c = { .id = f[k].id, .ret = f[k].ret }, failing = { .id = f[k].id, .a = args };
		hj_fail(&failing, ENOMEM);
		long fv = failing.ret;
		if (hj_is_failure(&c) == f[k].fail && fv == f[k].fv) {
			passed++;
		} else {
			failed++;
			printf("line %d: %s ret %ld: failure %d, failure value %ld\n", __LINE__,
			       hj_calls[f[k].id].name, f[k].ret, hj_is_failure(&c), fv);
		}
	}
}

int main(void)
{
	files();
	io();
	memory();
	net();
	process_clock();
	json();
	syscalls();
	json_every_kind();
	helpers();
	printf("decode: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
