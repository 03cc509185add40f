/* Where trace lines, script logs and the summary go, and their format.
 * Every write is a raw syscall on our own descriptor: never hooked, never
 * through the program's stdio. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"

/* The output: HIJACK_OUTPUT_FD "N:DEV:INO" (the launcher's stderr,
 * inherited), else HIJACK_OUTPUT (a file, appended to, opened here above
 * the program's usual descriptors), else our stderr (preloaded by hand).
 * Before each write the descriptor is checked to be the same file still
 * (fstat): a program that put a file of its own on that number never
 * gets trace lines in it; ours is looked for under another number (the
 * wrappers move it when the program dup2s over it), else the trace of
 * this process is lost, which the launcher reports. */
static int out_state;		/* 0 not resolved, 1 ours, 2 fd 2 by hand, 3 none */
static bool stopped;		/* a write failed: no more output from here */
int hj_output_errno;		/* the first error writing it (the launcher reads its own) */
static struct { dev_t dev; ino_t ino; } out_want;
static bool out_lost;		/* the inherited descriptor is gone: said when a line is dropped */

static bool same_file(int fd, void *arg)
{
	(void)arg;
	struct stat st;
	return syscall(SYS_fstat, fd, &st) == 0 && st.st_dev == out_want.dev && st.st_ino == out_want.ino;
}

static int resolve_output(void)
{
	const char *fd_env = hj_env("HIJACK_OUTPUT_FD");
	if (fd_env && *fd_env) {
		unsigned long long dev = 0, ino = 0;
		char *e;
		/* "FD:DEV:INO", read without sscanf (its code is pages every
		 * process would fault in) */
		int n = (int)strtol(fd_env, &e, 10);
		bool three = e != fd_env && *e == ':' && (dev = strtoull(e + 1, &e, 10), *e == ':') &&
			     (ino = strtoull(e + 1, &e, 10), true);
		if (!three) {
			/* a bare number, from an older launcher or by hand */
			n = atoi(fd_env);
			return syscall(SYS_fcntl, n, F_GETFD) >= 0 ? (hj_own_set(HJ_OWN_OUTPUT, n), 1) : 3;
		}
		out_want.dev = (dev_t)dev;
		out_want.ino = (ino_t)ino;
		if (!same_file(n, NULL)) {
			/* found under another number: maybe one of the program's
			 * own (its stderr on the same terminal), so we take a copy */
			n = hj_fd_find(same_file, NULL);
			if (n >= 0)
				n = hj_dup_high(n, 700, !hj_cfg.follow);
		}
		if (n < 0) {
			out_lost = true;
			return 3;
		}
		if (!hj_cfg.follow)	/* children start without us: not theirs to see */
			syscall(SYS_fcntl, n, F_SETFD, FD_CLOEXEC);
		hj_own_set(HJ_OWN_OUTPUT, n);
		return 1;
	}
	if (hj_cfg.output) {
		char name[4096];	/* -ff: FILE.PID */
		long fd = syscall(SYS_openat, AT_FDCWD, hj_output_path(name, sizeof name),
				  O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			hj_output_errno = errno;
			return 3;
		}
		long high = hj_dup_high((int)fd, 600, true);
		if (high >= 0) {
			syscall(SYS_close, fd);
			fd = high;
		}
		hj_own_set(HJ_OWN_OUTPUT, (int)fd);
		return 1;
	}
	return 2;
}

/* Our descriptor, checked; -1 for none. st: its fstat. */
static int output(struct stat *st)
{
	for (int tries = 0; tries < 2; tries++) {
		int state = __atomic_load_n(&out_state, __ATOMIC_ACQUIRE);
		if (state == 0) {
			/* threads may race here: the loser's descriptor stays open */
			state = resolve_output();
			__atomic_store_n(&out_state, state, __ATOMIC_RELEASE);
		}
		if (state == 3)
			return -1;
		if (state == 2)
			return syscall(SYS_fstat, 2, st) == 0 ? 2 : -1;
		if (hj_own_check(HJ_OWN_OUTPUT, st))
			return hj_own_fd[HJ_OWN_OUTPUT];
		/* not the file it was (the number is the program's now, not
		 * ours to close): look again, once */
		hj_own_set(HJ_OWN_OUTPUT, -1);
		__atomic_store_n(&out_state, 0, __ATOMIC_RELEASE);
	}
	return -1;
}

/* A write on a pipe or socket raises SIGPIPE when the reader is gone; the
 * program must never die of our output. Sockets take MSG_NOSIGNAL; for a
 * pipe, SIGPIPE is blocked around the write and the one it raised taken
 * back (not one the program already had pending). */
static long write_guarded(int fd, const char *s, size_t n, const struct stat *st)
{
	if (S_ISSOCK(st->st_mode))
		return syscall(SYS_sendto, fd, s, n, MSG_NOSIGNAL, NULL, 0);
	if (!S_ISFIFO(st->st_mode))
		return syscall(SYS_write, fd, s, n);
	uint64_t pipe_sig = 1ull << (SIGPIPE - 1), old = 0, pending = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &pipe_sig, &old, sizeof pipe_sig);
	if (old & pipe_sig)	/* only a SIGPIPE already blocked can be pending */
		syscall(SYS_rt_sigpending, &pending, sizeof pending);
	long w = syscall(SYS_write, fd, s, n);
	int e = errno;
	if (w < 0 && e == EPIPE && !(pending & pipe_sig)) {
		struct timespec now = { 0, 0 };
		syscall(SYS_rt_sigtimedwait, &pipe_sig, NULL, &now, sizeof pipe_sig);
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof old);
	errno = e;
	return w;
}

/* Stops the output for good: the reader went away, or the file cannot
 * be written. The launcher says which at exit. */
static void stop_output(int err)
{
	stopped = true;
	if (!hj_output_errno)
		hj_output_errno = err;
	struct hj_shared *sh = hj_shared_page();
	int zero = 0;
	if (sh && err == EPIPE)
		__atomic_store_n(&sh->out_gone, 1, __ATOMIC_RELEASE);
	else if (sh)
		__atomic_compare_exchange_n(&sh->out_errno, &zero, err, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static bool output_stopped(void)
{
	if (stopped)
		return true;
	struct hj_shared *sh = hj_shared_page();
	return sh && (__atomic_load_n(&sh->out_gone, __ATOMIC_ACQUIRE) || __atomic_load_n(&sh->out_errno, __ATOMIC_ACQUIRE));
}

static bool write_all(int fd, const char *s, size_t n, const struct stat *st)
{
	while (n > 0) {
		long w = write_guarded(fd, s, n, st);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			/* the program made the file description we share with its
			 * stderr non-blocking (node, libuv): wait until it drains */
			struct pollfd p = { fd, POLLOUT, 0 };
			syscall(SYS_poll, &p, 1ul, -1);
			continue;
		}
		if (w <= 0) {
			if (w == 0 || errno != EBADF)
				stop_output(w == 0 ? EIO : errno);
			return false;
		}
		s += w;
		n -= (size_t)w;
	}
	return true;
}

/* The launcher's own writes (the summary table): false, with
 * hj_output_errno set, when they fail. */
bool hj_raw_write(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		long w = syscall(SYS_write, fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!hj_output_errno)
				hj_output_errno = w == 0 ? EIO : errno;
			return false;
		}
		s += w;
		n -= (size_t)w;
	}
	return true;
}

void hj_output_write(const char *s, size_t n)
{
	if (output_stopped())
		return;
	struct stat st;
	int fd = output(&st);
	if (fd >= 0) {
		write_all(fd, s, n, &st);
	} else if (out_lost) {
		struct hj_shared *sh = hj_shared_page();
		int zero = 0;
		if (sh)
			__atomic_compare_exchange_n(&sh->out_lost_pid, &zero, getpid(), false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

/* Prefix lines with the pid while more than one traced process is alive,
 * as strace does (it counts the processes it follows): never under
 * --no-follow. Preloaded by hand there is no count: after a fork. */
static bool forked;
static int start_pid;

void hj_output_start(void)
{
	start_pid = getpid();
	hj_live_register();
	/* an inherited descriptor is taken now, not at the first line: a
	 * program that closes every descriptor before its first hooked call
	 * (a subprocess's child) must find it guarded */
	if (hj_env("HIJACK_OUTPUT_FD")) {
		struct stat st;
		output(&st);
	}
}

void hj_output_finish(void) { hj_live_unregister(); }

void hj_note_fork(void)
{
	if (getpid() != start_pid) {
		start_pid = getpid();
		hj_live_register();
	}
	forked = true;
}

void hj_output_forked(void)
{
	if (!hj_cfg.output_separately || __atomic_load_n(&out_state, __ATOMIC_ACQUIRE) != 1)
		return;
	int fd = hj_own_fd[HJ_OWN_OUTPUT];
	hj_own_set(HJ_OWN_OUTPUT, -1);
	if (fd > 2)
		syscall(SYS_close, fd);	/* the parent's FILE.PID */
	__atomic_store_n(&out_state, 0, __ATOMIC_RELEASE);	/* ours is opened at the first line */
}

static void prefix(struct hj_buf *b)
{
	if (!hj_cfg.follow || hj_cfg.output_separately)
		return;	/* -ff: the file says whose it is */
	int live = hj_live_count();
	pid_t pid = getpid();
	/* a vfork-style child is not among the live ones, yet is another pid */
	if (live > 1 || (start_pid && pid != start_pid) ||
	    (live < 0 && (forked || (hj_cfg.root_pid && hj_cfg.root_pid != pid))))
		hj_printf(b, "[pid %5d] ", pid);
}

/* One write for prefix and message: another process's line cannot come
 * between them. */
void hj_log(const char *msg, size_t len)
{
	char tmp[4096];
	struct hj_buf b = { tmp, 0, sizeof tmp };
	prefix(&b);
	if (b.len + len <= sizeof tmp) {
		memcpy(tmp + b.len, msg, len);
		hj_output_write(tmp, b.len + len);
	} else {
		hj_output_write(tmp, b.len);
		hj_output_write(msg, len);
	}
}

static bool text_midline;	/* the script's last text did not end a line */

void hj_log_text(const char *s, size_t n)
{
	while (n > 0) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) + 1 : n;
		if (text_midline) {
			hj_output_write(s, len);
		} else {
			hj_log(s, len);
		}
		text_midline = !nl;
		s += len;
		n -= len;
	}
}

/* The arguments a call has: with the system-call layer, the kernel's
 * fchmodat and faccessat take three (libc's row has a flags fourth). */
static int shown_args(const struct hj_call *c)
{
	if (hj_sud_on && (c->id == HJ_fchmodat || c->id == HJ_faccessat))
		return 3;
	return hj_calls[c->id].nargs;
}

static void text_line(struct hj_buf *b, struct hj_call *c, bool with_ret)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	prefix(b);
	bool first = true;
	if (c->id == HJ_open) {
		/* shown as the system call it makes, as strace shows it */
		hj_puts(b, "openat(AT_FDCWD");
		first = false;
	} else {
		hj_printf(b, "%s(", ci->name);
	}
	for (int i = 0; i < shown_args(c); i++) {
		size_t mark = b->len;
		if (!first)
			hj_puts(b, ", ");
		size_t start = b->len;
		hj_decode_arg(b, c, i, false);
		if (b->len == start)
			b->len = mark;	/* an argument strace leaves out */
		else
			first = false;
	}
	hj_puts(b, ")");
	if (with_ret && (c->id == HJ_exit_group || c->id == HJ_exit) && c->decided && c->err) {
		/* failed by a hook or --inject: it returned, as strace shows it */
		const char *name = hj_errno_name(c->err);
		hj_printf(b, " = -1 %s (%s)%s", name ? name : "E???", hj_strerror(c->err), c->injected ? " (INJECTED)" : "");
	} else if (with_ret && (c->id == HJ_exit_group || c->id == HJ_exit)) {
		hj_puts(b, " = ?");	/* it never returns: strace's form */
	} else if (with_ret) {
		hj_puts(b, " = ");
		hj_decode_ret(b, c, false);
		if (c->injected)
			hj_puts(b, " (INJECTED)");
	}
}

static void json_line(struct hj_buf *b, struct hj_call *c)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	bool open = c->id == HJ_open;	/* shown as openat, as in text */
	hj_printf(b, "{\"ts\": %ld.%06ld, \"pid\": %d, \"tid\": %d, \"call\": \"%s\", \"args\": {%s",
		  (long)ts.tv_sec, ts.tv_nsec / 1000, getpid(), gettid(), open ? "openat" : ci->name,
		  open ? "\"dirfd\": \"AT_FDCWD\"" : "");
	for (int i = 0; i < shown_args(c); i++) {
		hj_printf(b, "%s\"%s\": ", i || open ? ", " : "", ci->args[i].name);
		size_t start = b->len;
		hj_decode_arg(b, c, i, true);
		if (b->len == start)
			hj_puts(b, "null");
	}
	hj_puts(b, "}, \"ret\": ");
	hj_decode_ret(b, c, true);
	const char *e = NULL;
	if (hj_is_failure(c))
		e = hj_errno_name(hj_calls[c->id].ret == R_ERRNUM ? (int)c->ret : c->err);
	if (e)
		hj_printf(b, ", \"errno\": \"%s\"", e);
	else
		hj_puts(b, ", \"errno\": null");
	hj_printf(b, ", \"dur_ns\": %lu, \"injected\": %s", (unsigned long)c->dur_ns, c->injected ? "true" : "false");
	/* an exec whose object went out before the call, as if it worked */
	hj_puts(b, c->pretraced ? ", \"resumed\": true}" : "}");
}

void hj_trace_call(struct hj_call *c)
{
	char tmp[8192];
	struct hj_buf b = { tmp, 0, sizeof tmp };
	if (hj_cfg.json) {
		json_line(&b, c);
	} else if (c->pretraced) {
		/* an exec that came back: strace's form for the rest of a line */
		prefix(&b);
		hj_printf(&b, "<... %s resumed>) = ", c->id == HJ_open ? "openat" : hj_calls[c->id].name);
		hj_decode_ret(&b, c, false);
		if (c->injected)
			hj_puts(&b, " (INJECTED)");
	} else {
		text_line(&b, c, true);
	}
	if (b.len >= sizeof tmp - 2)
		b.len = sizeof tmp - 2;
	tmp[b.len++] = '\n';
	hj_output_write(tmp, b.len);
}

/* An exec that works never returns: its line is written before, as
 * strace shows it, with the result it will have. */
void hj_trace_exec(struct hj_call *c)
{
	if (hj_cfg.json) {
		c->ret = 0;
		hj_trace_call(c);
	} else {
		char tmp[8192];
		struct hj_buf b = { tmp, 0, sizeof tmp };
		text_line(&b, c, false);
		hj_puts(&b, " = 0\n");
		hj_output_write(tmp, b.len);
	}
	c->pretraced = true;
}

/* hijack detach: our descriptor closed (the file is whole when detach
 * returns); a later attach resolves its own output afresh */
void hj_output_reset(void)
{
	if (__atomic_exchange_n(&out_state, 0, __ATOMIC_ACQ_REL) == 1) {
		int fd = hj_own_fd[HJ_OWN_OUTPUT];
		hj_own_set(HJ_OWN_OUTPUT, -1);
		if (fd > 2)
			syscall(SYS_close, fd);
	}
	stopped = false;
}
