/* Where trace lines, script logs and the summary go, and their format.
 * Every write is a raw syscall on our own descriptor: never hooked, never
 * through the program's stdio. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

static int out_fd = -1;

/* Returns false if fd turned out not to be open. */
static bool write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n > 0) {
		long w = syscall(SYS_write, fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return !(w < 0 && errno == EBADF);
		s += w;
		n -= (size_t)w;
	}
	return true;
}

void hj_raw_write(int fd, const void *p, size_t n) { write_all(fd, p, n); }
static bool multi;	/* more than one process traced: prefix the pid */

/* The output, opened on first use: HIJACK_OUTPUT_FD (the launcher's
 * stderr, inherited), else HIJACK_OUTPUT (a file, appended to), else our
 * stderr. Kept above the program's usual descriptors. */
static int output(void)
{
	int fd = __atomic_load_n(&out_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;
	/* worked out in a local and published whole: another thread must
	 * never see a placeholder and write the trace on the program's fd 2 */
	fd = 2;
	const char *fd_env = hj_env("HIJACK_OUTPUT_FD");
	if (fd_env && syscall(SYS_fcntl, atoi(fd_env), F_GETFD) >= 0) {
		fd = atoi(fd_env);
	} else if (hj_cfg.output) {
		long opened = syscall(SYS_openat, AT_FDCWD, hj_cfg.output, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (opened >= 0) {
			long high = syscall(SYS_fcntl, opened, F_DUPFD_CLOEXEC, 600);
			if (high >= 0) {
				syscall(SYS_close, opened);
				opened = high;
			}
			int expected = -1;
			if (!__atomic_compare_exchange_n(&out_fd, &expected, (int)opened, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				syscall(SYS_close, opened);	/* another thread won */
				return expected;
			}
			return (int)opened;
		}
	}
	__atomic_store_n(&out_fd, fd, __ATOMIC_RELEASE);
	return fd;
}

/* The program may have closed our descriptor (closefrom, close_range):
 * then it is opened again, once. */
void hj_output_write(const char *s, size_t n)
{
	int fd = output();
	if (!write_all(fd, s, n)) {
		__atomic_compare_exchange_n(&out_fd, &fd, -1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		write_all(output(), s, n);
	}
}

void hj_note_fork(void) { multi = true; }

static void prefix(struct hj_buf *b)
{
	if (multi || (hj_cfg.root_pid && hj_cfg.root_pid != getpid()))
		hj_printf(b, "[pid %5d] ", getpid());
}

void hj_log(const char *msg, size_t len)
{
	char tmp[512];
	struct hj_buf b = { tmp, 0, sizeof tmp };
	prefix(&b);
	hj_output_write(tmp, b.len);
	hj_output_write(msg, len);
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
	for (int i = 0; i < ci->nargs; i++) {
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
	if (with_ret && c->id == HJ_exit_group) {
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
	for (int i = 0; i < ci->nargs; i++) {
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
	hj_printf(b, ", \"dur_ns\": %lu, \"injected\": %s}", (unsigned long)c->dur_ns, c->injected ? "true" : "false");
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
