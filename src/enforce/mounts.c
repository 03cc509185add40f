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

bool hj_mounts_needed(const struct hj_policy *p) { return p->readonly.n || p->hide.n; }

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

static bool inside(const char *path, const char *under)
{
	size_t n = strlen(under);
	return !strncmp(path, under, n) && (path[n] == '/' || path[n] == 0 || (n == 1 && under[0] == '/'));
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
		if (inside(path, p->readonly.v[i])) {
			if (mount(path, path, NULL, MS_BIND, NULL) != 0 || !set_attr(path, 0, 0, MOUNT_ATTR_RDONLY))
				return fail(err, n, "--readonly: cannot keep hijack's own file writable:", path);
			return true;
		}
	return true;
}

bool hj_mounts_install(const struct hj_policy *p, const struct hj_enforce_own *own, char *err, size_t n)
{
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
	struct stat st;
	return keep_writable(p, own->run_dir, err, n) &&
	       keep_writable(p, own->output && stat(own->output, &st) == 0 ? own->output : NULL, err, n) &&
	       keep_writable(p, dir[0] ? dir : NULL, err, n) && keep_writable(p, own->record, err, n);
}
