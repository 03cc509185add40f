/* --readonly and --hide, held by the kernel: a private mount namespace
 * in which each read-only path is bound onto itself read-only (writes,
 * creates, renames and deletes under it fail with EROFS, by every call
 * path; a rename or link into it from outside fails with EXDEV), and
 * each hidden path is covered by an empty read-only file system (a
 * directory: empty, and everything under it ENOENT) or an empty
 * read-only file (a file). The kernel cannot make the hidden path itself
 * vanish: the in-process layer says ENOENT for it to a dynamically
 * linked program; a static one sees it empty.
 *
 * Root makes the namespace directly; another user in a user namespace of
 * its own (uid and gid mapped to themselves), where the kernel lets it.
 * Nothing here can be undone from inside: seccomp refuses the mount calls
 * (seccomp.c) and Landlock refuses them to any process in its domain,
 * and the domain keeps /proc/PID/root of processes outside closed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "enforce/enforce.h"

/* root's own too: see protect_kernel_files */
bool hj_mounts_needed(const struct hj_policy *p) { return p->readonly.n || p->hide.n || geteuid() == 0; }

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	int e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
	return ok;
}

static bool set_attr(const char *path, unsigned recursive, uint64_t set, uint64_t clr)
{
	struct mount_attr a = { .attr_set = set, .attr_clr = clr };
	return syscall(SYS_mount_setattr, AT_FDCWD, path, recursive, &a, sizeof a) == 0;
}

static bool fail(char *err, size_t n, const char *what, const char *path)
{
	snprintf(err, n, "%s %s: %s", what, path, strerror(errno));
	return false;
}

/* A private namespace, for root or, in a user namespace, for anyone. */
static bool private_namespace(char *err, size_t n)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWNS | (uid ? CLONE_NEWUSER : 0)) != 0) {
		snprintf(err, n, "--readonly and --hide need a private mount namespace, and unshare(%s) says: %s%s",
			 uid ? "CLONE_NEWUSER|CLONE_NEWNS" : "CLONE_NEWNS", strerror(errno),
			 uid && errno == EPERM ? " (user namespaces are off for this user: see the sysctls "
						 "user.max_user_namespaces, kernel.unprivileged_userns_clone, "
						 "kernel.apparmor_restrict_unprivileged_userns)" : "");
		return false;
	}
	if (uid) {
		char map[64];
		snprintf(map, sizeof map, "%u %u 1\n", (unsigned)uid, (unsigned)uid);
		bool ok = write_file("/proc/self/setgroups", "deny") && write_file("/proc/self/uid_map", map);
		snprintf(map, sizeof map, "%u %u 1\n", (unsigned)gid, (unsigned)gid);
		if (!ok || !write_file("/proc/self/gid_map", map)) {
			snprintf(err, n, "cannot map this user into its user namespace: %s", strerror(errno));
			return false;
		}
	}
	/* nothing done here reaches the namespace we came from */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		snprintf(err, n, "cannot make the mounts private: %s", strerror(errno));
		return false;
	}
	return true;
}

/* Hidden files get an empty file of a small file system's, made on the
 * run's directory for the moment (in this namespace only), then taken
 * away again: the binds keep it alive. */
static bool hide_files(const struct hj_policy *p, const char *scratch, char *err, size_t n)
{
	bool mounted = false, ok = true;
	char empty[4200];
	snprintf(empty, sizeof empty, "%s/empty", scratch);
	for (int i = 0; ok && i < p->hide.n; i++) {
		const char *path = p->hide.v[i];
		struct stat st;
		if (stat(path, &st) != 0)
			return fail(err, n, "--hide", path);
		unsigned long flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
		if (S_ISDIR(st.st_mode)) {
			if (mount("hijack-hidden", path, "tmpfs", flags, "mode=0555,size=4k") != 0)
				ok = fail(err, n, "--hide", path);
			continue;
		}
		if (!mounted) {
			int fd;
			if (mount("hijack-hidden", scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700,size=4k") != 0 ||
			    (fd = open(empty, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0)
				return fail(err, n, "--hide: a file system for", path);
			close(fd);
			mounted = true;
		}
		if (mount(empty, path, NULL, MS_BIND, NULL) != 0 ||
		    !set_attr(path, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0))
			ok = fail(err, n, "--hide", path);
	}
	if (mounted && umount2(scratch, MNT_DETACH) != 0 && ok)
		ok = fail(err, n, "--hide: cannot uncover", scratch);
	return ok;
}

/* hijack's own files under a read-only path stay writable for it. */
static bool keep_writable(const struct hj_policy *p, const char *path, char *err, size_t n)
{
	if (!path)
		return true;
	for (int i = 0; i < p->readonly.n; i++)
		if (hj_path_inside(path, p->readonly.v[i])) {
			if (mount(path, path, NULL, MS_BIND, NULL) != 0 || !set_attr(path, 0, 0, MOUNT_ATTR_RDONLY))
				return fail(err, n, "--readonly: cannot keep hijack's own file writable:", path);
			return true;
		}
	return true;
}

static bool under_rule(const struct hj_policy *p, const char *path)
{
	for (int i = 0; i < p->readonly.n; i++)
		if (hj_path_inside(path, p->readonly.v[i]))
			return true;
	for (int i = 0; i < p->hide.n; i++)
		if (hj_path_inside(path, p->hide.v[i]))
			return true;
	return false;
}

/* Descriptors the program inherits that name a file under a rule were
 * opened on the mounts as they were: through them (openat on a
 * directory, a reopen of /proc/self/fd/N for writing) the program would
 * reach the file as it was. Each is opened again here, by its path, in
 * the new mounts, with its flags and offset; what cannot be (a file
 * under a hidden directory) becomes /dev/null. A descriptor the caller
 * opened for writing stays as it is: that file was handed over. */
static void reopen_inherited(const struct hj_policy *p)
{
	for (int fd = 0; fd < 1024; fd++) {
		char link[64], path[4200];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t len = readlink(link, path, sizeof path - 1);
		if (len <= 0 || path[0] != '/')
			continue;	/* closed, or a pipe, socket, anonymous inode */
		path[len] = 0;
		/* a memfd (our scripts') or a deleted file has no path to
		 * open again, nor a mount to be reached through */
		if (!strncmp(path, "/memfd:", 7) || (len > 10 && !strcmp(path + len - 10, " (deleted)")))
			continue;
		int flags = fcntl(fd, F_GETFL), fdflags = fcntl(fd, F_GETFD);
		struct stat st;
		if (flags < 0 || fstat(fd, &st) != 0)
			continue;
		/* a directory reaches what is under it (and "/" every rule):
		 * each is opened again; a file only under a rule */
		bool reaches = S_ISDIR(st.st_mode) || flags & O_PATH ? true : under_rule(p, path);
		if (!reaches || (!(flags & O_PATH) && (flags & O_ACCMODE) != O_RDONLY))
			continue;
		off_t at = lseek(fd, 0, SEEK_CUR);
		int again = open(path, (flags & (O_PATH | O_DIRECTORY | O_NONBLOCK | O_NOFOLLOW)) | O_RDONLY | O_NOCTTY);
		if (again < 0)
			again = open("/dev/null", O_RDONLY);
		if (again < 0)
			continue;
		if (at > 0)
			lseek(again, at, SEEK_SET);
		dup3(again, fd, fdflags & FD_CLOEXEC ? O_CLOEXEC : 0);
		close(again);
	}
}

static bool mount_point(const char *path)
{
	char parent[4200];
	struct stat a, b;
	snprintf(parent, sizeof parent, "%s/..", path);
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* A read-only tree keeps the kernel's own file systems under it as they
 * were (the library writes /proc/self/mem; /dev/null takes writes):
 * --readonly / means the files, not the processes. */
static bool keep_kernel_mounts(const struct hj_policy *p, char *err, size_t n)
{
	static const char *const kernel[] = { "/proc", "/dev", "/dev/pts" };
	for (size_t k = 0; k < sizeof kernel / sizeof kernel[0]; k++)
		for (int i = 0; i < p->readonly.n; i++)
			if (hj_path_inside(kernel[k], p->readonly.v[i]) && strcmp(kernel[k], p->readonly.v[i]) &&
			    mount_point(kernel[k])) {
				if (!set_attr(kernel[k], 0, 0, MOUNT_ATTR_RDONLY))
					return fail(err, n, "--readonly: cannot leave writable", kernel[k]);
				break;
			}
	return true;
}

/* Root keeps the capabilities a container's root keeps (policy.c), and
 * with them write access, by owner, to the kernel's settings: a
 * core_pattern or a uevent helper runs a program as root outside every
 * rule. They are read-only here, as in a container. */
static bool protect_kernel_files(char *err, size_t n)
{
	static const char *const files[] = { "/proc/sys", "/proc/sysrq-trigger", "/sys" };
	for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
		struct stat st;
		if (stat(files[k], &st) != 0)
			continue;
		if (mount(files[k], files[k], NULL, MS_BIND | MS_REC, NULL) != 0 ||
		    !set_attr(files[k], AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0))
			return fail(err, n, "cannot make read-only", files[k]);
	}
	return true;
}

bool hj_mounts_install(const struct hj_policy *p, const struct hj_enforce_own *own, char *err, size_t n)
{
	/* the working directory too was on the mounts as they were */
	char cwd[4200];
	if (!getcwd(cwd, sizeof cwd)) {
		snprintf(err, n, "--readonly and --hide: cannot read the working directory: %s", strerror(errno));
		return false;
	}
	if (!private_namespace(err, n) || !hide_files(p, own->run_dir, err, n))
		return false;
	for (int i = 0; i < p->readonly.n; i++) {
		const char *path = p->readonly.v[i];
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) != 0 ||
		    !set_attr(path, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0))
			return fail(err, n, "--readonly", path);
	}
	char dir[4200] = "";
	if (own->output && own->output_separately) {	/* -ff: FILE.PID made beside FILE */
		snprintf(dir, sizeof dir, "%s", own->output);
		*strrchr(dir, '/') = 0;
	}
	if (!keep_kernel_mounts(p, err, n) || (geteuid() == 0 && !protect_kernel_files(err, n)))
		return false;
	if (chdir(cwd) != 0)
		return fail(err, n, "cannot go back to the working directory", cwd);
	reopen_inherited(p);
	struct stat st;
	return keep_writable(p, own->run_dir, err, n) &&
	       keep_writable(p, own->output && stat(own->output, &st) == 0 ? own->output : NULL, err, n) &&
	       keep_writable(p, dir[0] ? dir : NULL, err, n) && keep_writable(p, own->record, err, n);
}
