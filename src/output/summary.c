/* The -c summary: counts per call, per process.
 *
 * Under the launcher (HIJACK_SUMMARY names a directory in the run's
 * private directory) each process counts straight into a file of its own,
 * mapped MAP_SHARED: the counts are in the page cache as they happen, so
 * they reach the launcher however the process ends (exit, _exit, a raw
 * exit_group, SIGPIPE, SIGKILL). The launcher adds the files up when the
 * program has ended. A forked child starts a file of its own with zeroed
 * counters (it must not count its parent's calls again), and so does
 * each exec'd image.
 *
 * Without the launcher (HIJACK_SUMMARY=1) the counts are private and the
 * process prints its own table when it ends (or execs). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

static const char magic[8] = "hjcount1";

/* The layout of a process's file: the launcher is built from the same
 * calls.def, and checks that the table has the same length. */
struct counts_file {
	char magic[8];
	uint32_t ncalls, pad;
	struct hj_stat stat[HJ_NCALLS];
};

static struct hj_stat private_stats[HJ_NCALLS];
/* This process's counters: the mapped file's, or private_stats. NULL
 * until the first count (a process that counts nothing leaves no file). */
static struct hj_stat *stats;

/* Maps a new zeroed file of ours in the summary directory; NULL if it
 * cannot (the counts then stay private, and are lost to the launcher). */
static struct hj_stat *map_own_file(void)
{
	char path[4096];
	long fd = -1;
	/* pid.N: an exec'd image has the same pid as the one before it */
	for (unsigned n = 0; n < 1000 && fd < 0; n++) {
		snprintf(path, sizeof path, "%s/%d.%u", hj_cfg.summary_dir, (int)syscall(SYS_getpid), n);
		fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return NULL;
	}
	if (fd < 0)
		return NULL;
	struct counts_file *f = MAP_FAILED;
	if (syscall(SYS_ftruncate, fd, sizeof *f) == 0)
		f = (struct counts_file *)syscall(SYS_mmap, NULL, sizeof *f, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	syscall(SYS_close, fd);
	if (f == MAP_FAILED) {
		syscall(SYS_unlinkat, AT_FDCWD, path, 0);
		return NULL;
	}
	f->ncalls = HJ_NCALLS;
	memcpy(f->magic, magic, sizeof magic);
	return f->stat;
}

static struct hj_stat *counters(void)
{
	struct hj_stat *s = __atomic_load_n(&stats, __ATOMIC_ACQUIRE);
	if (hj_likely(s))
		return s;
	struct hj_stat *mine = hj_cfg.summary_dir ? map_own_file() : NULL;
	if (!mine)
		mine = private_stats;
	/* two threads (or a signal handler) may get here at once: one wins */
	if (__atomic_compare_exchange_n(&stats, &s, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mine;
	if (mine != private_stats)
		syscall(SYS_munmap, (char *)mine - offsetof(struct counts_file, stat), sizeof(struct counts_file));
	/* the loser's empty file stays: it adds nothing to the sum */
	return s;
}

void hj_summary_add(struct hj_call *c)
{
	struct hj_stat *s = &counters()[c->id];
	__atomic_add_fetch(&s->calls, 1, __ATOMIC_RELAXED);
	if (hj_is_failure(c))
		__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	if (c->injected)
		__atomic_add_fetch(&s->injected, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->ns, c->dur_ns, __ATOMIC_RELAXED);
}

/* An exec counted before the call (hj_summary_add) that failed after all:
 * under the launcher its error and time are added, not a second call.
 * Without it the table with that call went out before the exec, and the
 * counts began again: this process's next table has the failed call. */
void hj_summary_exec_failed(struct hj_call *c)
{
	if (!hj_cfg.summary_dir)
		return hj_summary_add(c);
	if (!hj_is_failure(c))
		return;
	struct hj_stat *s = &counters()[c->id];
	__atomic_add_fetch(&s->errors, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->ns, c->dur_ns, __ATOMIC_RELAXED);
}

/* In a forked child: counters start at zero, in a file of the child's
 * own. The parent's mapping is let go, so that nothing here can add to
 * the parent's counts. */
void hj_summary_forked(void)
{
	struct hj_stat *s = stats;
	stats = NULL;
	if (s && s != private_stats)
		syscall(SYS_munmap, (char *)s - offsetof(struct counts_file, stat), sizeof(struct counts_file));
	/* only the private table can hold counts: clearing untouched pages
	 * would cost the child a page fault each */
	if (s == private_stats)
		memset(private_stats, 0, sizeof private_stats);
}

/* Without the launcher: prints this process's table and starts again at
 * zero (at exit, and before an exec replaces the image). Under the
 * launcher the counts are on disk already: nothing to do. */
/* Counting asked for by hijack ctl or top, not by -c: never printed */
bool hj_summary_unasked;

void hj_summary_flush(void)
{
	if (!hj_cfg.summary || hj_cfg.summary_dir || hj_summary_unasked)
		return;
	static struct hj_stat snapshot[HJ_NCALLS];
	bool any = false;
	for (int id = 0; id < HJ_NCALLS; id++) {
		struct hj_stat *s = &private_stats[id];
		snapshot[id].calls = __atomic_exchange_n(&s->calls, 0, __ATOMIC_RELAXED);
		snapshot[id].errors = __atomic_exchange_n(&s->errors, 0, __ATOMIC_RELAXED);
		snapshot[id].injected = __atomic_exchange_n(&s->injected, 0, __ATOMIC_RELAXED);
		snapshot[id].ns = __atomic_exchange_n(&s->ns, 0, __ATOMIC_RELAXED);
		any |= snapshot[id].calls != 0;
	}
	if (!any)
		return;
	static char table[1 << 16];	/* about 82 bytes a row, every row */
	size_t n = hj_summary_table(snapshot, table, sizeof table);
	hj_output_write(table, n);
}

void hj_summary_snapshot(struct hj_stat *out)
{
	struct hj_stat *s = __atomic_load_n(&stats, __ATOMIC_ACQUIRE);
	for (int id = 0; id < HJ_NCALLS; id++) {
		out[id].calls = s ? __atomic_load_n(&s[id].calls, __ATOMIC_RELAXED) : 0;
		out[id].errors = s ? __atomic_load_n(&s[id].errors, __ATOMIC_RELAXED) : 0;
		out[id].injected = s ? __atomic_load_n(&s[id].injected, __ATOMIC_RELAXED) : 0;
		out[id].ns = s ? __atomic_load_n(&s[id].ns, __ATOMIC_RELAXED) : 0;
	}
}

/* dst += src, field by field (not atomic: the launcher's and a table's sums) */
static void stat_add(struct hj_stat *dst, const struct hj_stat *src)
{
	dst->calls += src->calls;
	dst->errors += src->errors;
	dst->injected += src->injected;
	dst->ns += src->ns;
}

/* Adds the counts one process left in path to sum; false if the file is
 * not such a file. */
bool hj_summary_read(const char *path, struct hj_stat *sum)
{
	static struct counts_file f;
	/* never a link the program put there, nor a FIFO left to hang us */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t got = read(fd, &f, sizeof f);
	close(fd);
	if (got != (ssize_t)sizeof f || memcmp(f.magic, magic, sizeof magic) || f.ncalls != HJ_NCALLS)
		return false;
	for (int id = 0; id < HJ_NCALLS; id++)
		stat_add(&sum[id], &f.stat[id]);
	return true;
}

/* The name a row has in the table: the system call strace would count. */
static int shown_as(int id)
{
	return id == HJ_open ? HJ_openat : id;	/* open() is the openat it makes */
}

/* strace -c's table, with an injected column, most time first. */
size_t hj_summary_table(const struct hj_stat *counts, char *out, size_t cap)
{
	static struct hj_stat sum[HJ_NCALLS];
	memset(sum, 0, sizeof sum);
	for (int id = 0; id < HJ_NCALLS; id++)
		stat_add(&sum[shown_as(id)], &counts[id]);
	struct hj_stat total = { 0, 0, 0, 0 };
	int order[HJ_NCALLS], n = 0;
	for (int id = 0; id < HJ_NCALLS; id++)
		if (sum[id].calls) {
			order[n++] = id;
			stat_add(&total, &sum[id]);
		}
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
