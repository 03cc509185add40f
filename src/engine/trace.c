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
		char name[4096];
		long opened = syscall(SYS_openat, AT_FDCWD, hj_output_path(name, sizeof name),
				      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
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

void hj_output_forked(void)
{
	if (!hj_cfg.output_separately)
		return;
	int fd = __atomic_exchange_n(&out_fd, -1, __ATOMIC_ACQ_REL);
	if (fd > 2)
		syscall(SYS_close, fd);	/* the parent's FILE.PID */
}

static void prefix(struct hj_buf *b)
{
	if (hj_cfg.output_separately)
		return;	/* -ff: the file says whose it is */
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
	if (with_ret) {
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

/* ---- summary: counts per call, per process; the launcher adds up the
 * files each process leaves, or the process prints its own table ---- */
static struct hj_stat { unsigned long calls, errors, injected, ns; } stats[HJ_NCALLS];

void hj_summary_add(struct hj_call *c)
{
	struct hj_stat *s = &stats[c->id];
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (hj_is_failure(c))
		__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	if (c->injected)
		__atomic_add_fetch(&s->injected, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->ns, c->dur_ns, __ATOMIC_RELAXED);
}

void hj_summary_flush(void)
{
	if (!hj_cfg.summary)
		return;
	char tmp[16384];
	struct hj_buf b = { tmp, 0, sizeof tmp };
	for (int id = 0; id < HJ_NCALLS; id++) {
		struct hj_stat *s = &stats[id];
		/* open() counts as the openat it is, as in the trace */
		if (s->calls)
			hj_printf(&b, "%s %lu %lu %lu %lu\n", id == HJ_open ? "openat" : hj_calls[id].name,
				  s->calls, s->errors, s->injected, s->ns);
	}
	memset(stats, 0, sizeof stats);
	if (!b.len)
		return;
	if (hj_cfg.summary_dir) {
		static unsigned seq;
		char path[4096];
		snprintf(path, sizeof path, "%s/%d.%u.%lx", hj_cfg.summary_dir, getpid(), seq++, (unsigned long)hj_rand64());
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			hj_raw_write((int)fd, tmp, b.len);
			syscall(SYS_close, fd);
		}
	} else {
		char table[16384];
		size_t n = hj_summary_render(tmp, table, sizeof table);
		hj_output_write(table, n);
	}
}

/* Renders lines "name calls errors injected ns" (summed over duplicates)
 * as strace -c's table, with an injected column. */
size_t hj_summary_render(const char *lines, char *out, size_t cap)
{
	static struct hj_stat sum[HJ_NCALLS];
	memset(sum, 0, sizeof sum);
	for (const char *p = lines; p && *p;) {
		char name[64];
		unsigned long calls, errors, injected, ns;
		if (sscanf(p, "%63s %lu %lu %lu %lu", name, &calls, &errors, &injected, &ns) == 5) {
			int id = hj_call_lookup(name);
			if (id >= 0) {
				sum[id].calls += calls;
				sum[id].errors += errors;
				sum[id].injected += injected;
				sum[id].ns += ns;
			}
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	struct hj_stat total = { 0, 0, 0, 0 };
	int order[HJ_NCALLS], n = 0;
	for (int id = 0; id < HJ_NCALLS; id++)
		if (sum[id].calls) {
			order[n++] = id;
			total.calls += sum[id].calls;
			total.errors += sum[id].errors;
			total.injected += sum[id].injected;
			total.ns += sum[id].ns;
		}
	/* most time first, as strace sorts */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && sum[order[j]].ns > sum[order[j - 1]].ns; j--) {
			int t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	struct hj_buf b = { out, 0, cap };
	static const char rule[] = "------ ----------- ----------- --------- --------- --------- ----------------\n";
	hj_printf(&b, "%6s %11s %11s %9s %9s %9s %s\n", "% time", "seconds", "usecs/call", "calls", "errors", "injected", "call");
	hj_puts(&b, rule);
	for (int i = 0; i < n; i++) {
		struct hj_stat *s = &sum[order[i]];
		double pct = total.ns ? 100.0 * (double)s->ns / (double)total.ns : 0;
		hj_printf(&b, "%6.2f %11.6f %11lu %9lu ", pct, (double)s->ns / 1e9,
			  (unsigned long)(s->ns / 1000 / s->calls), s->calls);
		if (s->errors)
			hj_printf(&b, "%9lu ", s->errors);
		else
			hj_printf(&b, "%9s ", "");
		if (s->injected)
			hj_printf(&b, "%9lu ", s->injected);
		else
			hj_printf(&b, "%9s ", "");
		hj_printf(&b, "%s\n", hj_calls[order[i]].name);
	}
	hj_puts(&b, rule);
	hj_printf(&b, "%6.2f %11.6f %11lu %9lu ", 100.0, (double)total.ns / 1e9,
		  total.calls ? (unsigned long)(total.ns / 1000 / total.calls) : 0ul, total.calls);
	if (total.errors)
		hj_printf(&b, "%9lu ", total.errors);
	else
		hj_printf(&b, "%9s ", "");
	if (total.injected)
		hj_printf(&b, "%9lu ", total.injected);
	else
		hj_printf(&b, "%9s ", "");
	hj_puts(&b, "total\n");
	return b.len;
}
