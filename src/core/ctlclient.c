/* The client's side of the control channel (core/ctl.c), for `hijack
 * ctl`, `hijack top` and Hijack.control: finding a process's socket,
 * asking it one thing. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/engine.h"

/* ---- where the channels are ---- */

/* The directories a process of uid may have its socket in: the library's
 * choice depends on its environment (HIJACK_CTL_DIR, XDG_RUNTIME_DIR),
 * which may not be ours: both of the usual places are looked in. */
int hj_ctl_dirs(uid_t uid, char dirs[2][300])
{
	const char *v = hj_env("HIJACK_CTL_DIR");
	if (v && *v) {
		snprintf(dirs[0], sizeof dirs[0], "%s", v);
		return 1;
	}
	int n = 0;
	if (uid == geteuid() && (v = hj_env("XDG_RUNTIME_DIR")) && *v == '/')
		snprintf(dirs[n++], sizeof dirs[0], "%s/hijack", v);
	snprintf(dirs[n++], sizeof dirs[0], "/tmp/hijack-%u", (unsigned)uid);
	return n;
}

/* NULL when dir is missing or a private directory of uid; else why not. */
const char *hj_ctl_dir_problem(const char *dir, uid_t uid, char *why, size_t n)
{
	struct stat st;
	if (lstat(dir, &st) != 0)
		return NULL;
	if (S_ISDIR(st.st_mode) && st.st_uid == uid && !(st.st_mode & 077))
		return NULL;
	snprintf(why, n, "%s is not a private directory of uid %u (%s, owner %u, mode %03o): refusing to use it", dir,
		 (unsigned)uid, S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
		 (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return why;
}

/* Connects to pid's channel: the socket, or -1 with the message in err. */
int hj_ctl_connect(int pid, char *err, size_t n)
{
	char proc[64];
	struct stat st;
	snprintf(proc, sizeof proc, "/proc/%d", pid);
	if (stat(proc, &st) != 0) {
		snprintf(err, n, "no such process: %d", pid);
		return -1;
	}
	if (st.st_uid != geteuid() && geteuid() != 0) {
		snprintf(err, n, "process %d is another user's (uid %u): permission denied", pid, (unsigned)st.st_uid);
		return -1;
	}
	char dirs[2][300], why[600];
	int ndirs = hj_ctl_dirs(st.st_uid, dirs);
	const char *problem = NULL;
	for (int i = 0; i < ndirs; i++) {
		const char *p = hj_ctl_dir_problem(dirs[i], st.st_uid, why, sizeof why);
		if (p) {
			problem = p;
			continue;
		}
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%d", dirs[i], pid) >= (int)sizeof sa.sun_path)
			continue;
		struct stat ss;
		if (lstat(sa.sun_path, &ss) != 0 || !S_ISSOCK(ss.st_mode))
			continue;
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			snprintf(err, n, "socket: %s", hj_strerror(errno));
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e == EACCES || e == EPERM) {
			snprintf(err, n, "process %d: %s: permission denied", pid, sa.sun_path);
			return -1;
		}
		if (e == ECONNREFUSED) {
			snprintf(err, n, "process %d is not hijacked (%s is a stale control channel)", pid, sa.sun_path);
			return -1;
		}
	}
	if (problem)
		snprintf(err, n, "%s", problem);
	else
		snprintf(err, n, "process %d is not hijacked (no control channel in %s%s%s)", pid, dirs[0],
			 ndirs > 1 ? " or " : "", ndirs > 1 ? dirs[1] : "");
	return -1;
}

/* ---- one request ---- */

bool hj_ctl_send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Sends the request; false with err set when it could not be asked. The
 * answer's text is the caller's to hj_free. */
bool hj_ctl_ask(int pid, const char *cmd, const char *options, const char *name, const char *body, size_t body_len,
		struct hj_ctl_answer *a, char *err, size_t n)
{
	int fd = hj_ctl_connect(pid, err, n);
	if (fd < 0)
		return false;
	struct timeval tv = { 30, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char head[600];
	int hn = snprintf(head, sizeof head, "%s\n%s\n%.512s\n", cmd, options, name);
	bool sent = hj_ctl_send_all(fd, head, (size_t)hn) && (!body_len || hj_ctl_send_all(fd, body, body_len));
	shutdown(fd, SHUT_WR);
	size_t cap = 4096, len = 0;
	char *buf = hj_malloc(cap + 1);
	for (ssize_t r; buf && (r = read(fd, buf + len, cap - len)) != 0;) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)r;
		if (len == cap) {
			char *more = hj_realloc(buf, (cap *= 2) + 1);
			if (!more) {
				hj_free(buf);
				buf = NULL;
			}
			buf = more;
		}
	}
	close(fd);
	if (!buf || len < 3 || (memcmp(buf, "ok\n", 3) && memcmp(buf, "no\n", 3))) {
		snprintf(err, n, "process %d did not answer%s", pid, sent ? "" : " (the request could not be sent)");
		hj_free(buf);
		return false;
	}
	buf[len] = 0;
	a->ok = buf[0] == 'o';
	a->len = len - 3;
	a->text = memmove(buf, buf + 3, len - 3 + 1);
	return true;
}
