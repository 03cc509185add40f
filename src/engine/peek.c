/* Safe reads of the program's memory.  A pointer a program hands a call
 * may be NULL, wild, into a PROT_NONE page, or a string with no NUL before
 * an unmapped page: the kernel answers EFAULT or ENAMETOOLONG, and hijack
 * must answer the same way instead of faulting in the program's place.
 * process_vm_readv on our own pid copies what is readable and says EFAULT
 * for the rest, without a signal; it costs one system call, so callers
 * read directly what the kernel has already read for a call that
 * succeeded (see hj_proven). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "engine.h"

#define PAGE 4096ul	/* chunks never cross a 4 KiB boundary: a fault ends one */

static pid_t self;	/* 0: ask again (after a fork) */
static bool unavailable;	/* a seccomp filter refused the call: read directly */

void hj_peek_forked(void)
{
	self = 0;
}

/* process_vm_readv or _writev of our own memory: bytes moved, -1 on a fault. */
static long vm_copy(long nr, void *local, const void *remote, size_t n)
{
	if (hj_unlikely(unavailable)) {
		if (nr == SYS_process_vm_readv)
			memcpy(local, remote, n);
		else
			memcpy((void *)remote, local, n);
		return (long)n;
	}
	int saved = errno;
	for (int tries = 0;; tries++) {
		pid_t pid = __atomic_load_n(&self, __ATOMIC_RELAXED);
		if (!pid) {
			pid = (pid_t)syscall(SYS_getpid);
			__atomic_store_n(&self, pid, __ATOMIC_RELAXED);
		}
		struct iovec l = { local, n }, r = { (void *)remote, n };
		long got = syscall(nr, pid, &l, 1ul, &r, 1ul, 0ul);
		if (got >= 0 || errno == EFAULT || tries) {
			if (got < 0 && errno != EFAULT) {	/* ENOSYS, EPERM: no way to check */
				unavailable = true;
				errno = saved;
				return vm_copy(nr, local, remote, n);
			}
			errno = saved;
			return got;
		}
		self = 0;	/* ESRCH: a child made by a raw clone holds its parent's pid */
	}
}

bool hj_peek(void *dst, const void *src, size_t n)
{
	if (!n)
		return true;
	if (!src)
		return false;
	return vm_copy(SYS_process_vm_readv, dst, src, n) == (long)n;
}

bool hj_poke(void *dst, const void *src, size_t n)
{
	if (!n)
		return true;
	if (!dst)
		return false;
	return vm_copy(SYS_process_vm_writev, (void *)src, dst, n) == (long)n;
}

bool hj_readable(const void *src, size_t n)
{
	char scratch[512];
	const char *p = src;
	if (!n)
		return true;
	if (!p)
		return false;
	while (n) {
		size_t take = n < sizeof scratch ? n : sizeof scratch;
		if (!hj_peek(scratch, p, take))
			return false;
		p += take;
		n -= take;
	}
	return true;
}

long hj_peek_str(char *dst, size_t cap, const char *src, bool *nul)
{
	size_t got = 0;
	*nul = false;
	if (!src)
		return -1;
	while (got < cap) {
		uintptr_t at = (uintptr_t)(src + got);
		size_t take = PAGE - (at & (PAGE - 1));
		if (take > cap - got)
			take = cap - got;
		long n = vm_copy(SYS_process_vm_readv, dst + got, src + got, take);
		if (n <= 0)
			return -1;
		char *end = memchr(dst + got, 0, (size_t)n);
		if (end) {
			*nul = true;
			return end - dst;
		}
		got += (size_t)n;
		if ((size_t)n < take)
			return -1;	/* stopped by a fault before any NUL */
	}
	return (long)got;
}

long hj_strlen_safe(const char *src, size_t max, bool *nul)
{
	char scratch[256];
	size_t len = 0;
	*nul = false;
	if (!src)
		return -1;
	while (len < max) {
		size_t want = max - len < sizeof scratch ? max - len : sizeof scratch;
		bool found;
		long n = hj_peek_str(scratch, want, src + len, &found);
		if (n < 0)
			return -1;
		len += (size_t)n;
		if (found) {
			*nul = true;
			return (long)len;
		}
	}
	return (long)len;
}

bool hj_proven(const struct hj_call *c)
{
	return c->after && c->ran_ok;
}

/* Whether the string at s ends within the kernel's limit for one exec
 * argument. The strings of an argv or envp usually lie one after another
 * (on the stack a program started with): one read of up to a page, kept
 * in win, answers for all those that end inside it. */
#define ARG_MAX_LEN (128 * 1024)	/* MAX_ARG_STRLEN */
struct window { char buf[1024]; uintptr_t lo, hi; };

static bool exec_string_ok(const char *s, struct window *w)
{
	uintptr_t p = (uintptr_t)s;
	if (p >= w->lo && p < w->hi && memchr(w->buf + (p - w->lo), 0, w->hi - p))
		return true;
	size_t take = PAGE - (p & (PAGE - 1));
	if (take > sizeof w->buf)
		take = sizeof w->buf;
	long got = s ? vm_copy(SYS_process_vm_readv, w->buf, s, take) : -1;
	if (got <= 0) {
		w->lo = w->hi = 0;
		return false;
	}
	w->lo = p;
	w->hi = p + (size_t)got;
	if (memchr(w->buf, 0, (size_t)got))
		return true;
	bool nul;
	return hj_strlen_safe(s, ARG_MAX_LEN, &nul) >= 0 && nul;
}

bool hj_strvec_ok(char *const *v, size_t *count)
{
	char *slot[64];
	struct window w = { .lo = 0, .hi = 0 };
	size_t n = 0;
	if (!v)
		return false;
	for (;;) {
		/* never across a page end, so that a short read means a fault */
		uintptr_t at = (uintptr_t)(v + n);
		size_t want = (PAGE - (at & (PAGE - 1))) / sizeof *slot;
		if (want > 64)
			want = 64;
		if (!want)
			want = 1;
		if (!hj_peek(slot, v + n, want * sizeof *slot))
			return false;
		for (size_t k = 0; k < want; k++) {
			if (!slot[k]) {
				if (count)
					*count = n + k;
				return true;
			}
			if (!exec_string_ok(slot[k], &w))
				return false;
		}
		n += want;
		if (n > ARG_MAX_LEN)	/* more than any exec takes */
			return false;
	}
}
