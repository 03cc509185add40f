/* Safe reads of the program's memory.  A pointer a program hands a call
 * may be NULL, wild, into a PROT_NONE page, or a string with no NUL before
 * an unmapped page: the kernel answers EFAULT or ENAMETOOLONG, and hijack
 * must answer the same way instead of faulting in the program's place.
 * process_vm_readv on our own pid copies what is readable and says EFAULT
 * for the rest, without a signal; it costs one system call, so callers
 * read directly what the kernel has already read for a call that
 * succeeded (see hj_proven). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/engine.h"

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
		if (got < 0 && (errno == ENOSYS || errno == EPERM)) {
			/* a seccomp filter's refusal: no way to check, so read as
			 * before (a bad pointer faults, as it would bare in libc) */
			unavailable = true;
			errno = saved;
			return vm_copy(nr, local, remote, n);
		}
		if (got >= 0 || errno != ESRCH || tries) {
			errno = saved;
			return got;
		}
		self = 0;	/* ESRCH: a child made by a raw clone holds its parent's pid */
	}
}

/* The calling thread's stack from the current frame to its top is
 * mapped: a string found there (a local buffer, argv) needs no system
 * call. The bounds are dispatch.c's, when known. */
extern HJ_TLS uintptr_t stack_lo, stack_hi;

extern void *__libc_stack_end;

/* glibc ends the main thread's stack at the page above __libc_stack_end;
 * argv and the environment lie above it, up to the name the program was
 * run by (AT_EXECFN), at the top of the stack's mapping. */
static uintptr_t main_top(uintptr_t hi)
{
	static uintptr_t top;
	if (hi != (((uintptr_t)__libc_stack_end & ~(PAGE - 1)) + PAGE))
		return hi;	/* another thread's */
	if (!top) {
		const char *fn = (const char *)getauxval(AT_EXECFN);
		uintptr_t end = fn ? (uintptr_t)fn + strlen(fn) + 1 : 0;
		top = end > hi ? (end + PAGE - 1) & ~(PAGE - 1) : hi;
	}
	return top;
}

/* With the system-call layer our work runs on a stack of its own: the
 * program's stack, from its stack pointer at the call (less the red zone)
 * up, is mapped all the same. Known for the main thread (its top is
 * glibc's) and for a thread whose bounds dispatch.c has asked. */
HJ_TLS uintptr_t hj_prog_sp;

static uintptr_t program_stack_end(uintptr_t p)
{
	uintptr_t psp = hj_prog_sp, hi = stack_hi;
	if (!psp || p < psp - 128)
		return 0;
	if (hi && hi != UINTPTR_MAX && psp >= stack_lo && psp < hi)
		return p < hi ? hi : (p < (hi = main_top(hi)) ? hi : 0);
	uintptr_t main_hi = (((uintptr_t)__libc_stack_end & ~(PAGE - 1)) + PAGE);
	if (psp < main_hi && main_hi - psp < (64u << 20)) {	/* the main thread's */
		hi = main_top(main_hi);
		return p < hi ? hi : 0;
	}
	return 0;
}

static uintptr_t stack_end(uintptr_t p)
{
	uintptr_t end = program_stack_end(p);
	if (end)
		return end;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0), hi = stack_hi;
	if (hi == UINTPTR_MAX || sp < stack_lo || sp >= hi || p < sp)
		return 0;
	if (p >= hi && p >= (hi = main_top(hi)))
		return 0;
	return hi;
}

/* Two more places a path usually lives are mapped for the process's
 * whole life: the program's own image (literals) and glibc's brk heap,
 * from the kernel's start_brk to the current break. A string found in
 * one of them, NUL and all, needs no system call either. */
static struct { uintptr_t lo, hi; } image[8];
static int nimage = -1;		/* -1: not yet looked at */
static uintptr_t heap_lo;

static void known_init(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM);
	uintptr_t bias = 0;
	bool phdr = false;
	int k = 0;
	for (size_t i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_PHDR) {
			bias = (uintptr_t)ph - ph[i].p_vaddr;
			phdr = true;
		}
	/* without PT_PHDR the load bias is not known here: no image ranges */
	for (size_t i = 0; phdr && i < n && k < 8; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_R) && bias + ph[i].p_vaddr >= PAGE) {
			/* the kernel maps a segment in whole pages */
			image[k].lo = bias + ph[i].p_vaddr;
			image[k++].hi = (bias + ph[i].p_vaddr + ph[i].p_memsz + PAGE - 1) & ~(PAGE - 1);
		}
	/* libc's own read-only literals too: its functions pass "" to
	 * newfstatat for an fstat (AT_EMPTY_PATH); its image is mapped for
	 * the process's whole life (never unloaded) */
	int kprog = k;
	Dl_info libc;
	if (dladdr((void *)getauxval, &libc) && libc.dli_fbase) {
		const Elf64_Ehdr *eh = libc.dli_fbase;
		const Elf64_Phdr *lph = (const Elf64_Phdr *)((const char *)eh + eh->e_phoff);
		for (int i = 0; i < eh->e_phnum && k < 8; i++)
			if (lph[i].p_type == PT_LOAD && (lph[i].p_flags & PF_R) && !(lph[i].p_flags & PF_W)) {
				image[k].lo = (uintptr_t)libc.dli_fbase + lph[i].p_vaddr;
				image[k++].hi = ((uintptr_t)libc.dli_fbase + lph[i].p_vaddr + lph[i].p_memsz + PAGE - 1) &
						~(PAGE - 1);
			}
	}
	/* start_brk is the 47th field of /proc/self/stat (after the name in
	 * parentheses, which may hold anything) */
	char buf[1024];
	int fd = (int)syscall(SYS_open, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
	long len = fd >= 0 ? syscall(SYS_read, fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		syscall(SYS_close, fd);
	if (len > 0) {
		buf[len] = 0;
		char *f = strrchr(buf, ')');
		for (int field = 2; f && field < 47; field++)
			f = strchr(f + 1, ' ');
		uintptr_t lo = f ? strtoul(f + 1, NULL, 10) : 0;
		/* the brk heap lies above the program's image, or is not used */
		for (int i = 0; i < kprog; i++)
			if (lo < image[i].hi)
				lo = 0;
		heap_lo = lo;
	}
	__atomic_store_n(&nimage, k, __ATOMIC_RELEASE);
}

/* Before a fork: what known_init learns holds in the child too, which
 * would otherwise learn it anew at its first read (its exec's path):
 * dladdr and /proc/self/stat, in every child of a shell (issue 11). */
void hj_peek_before_fork(void)
{
	if (__atomic_load_n(&nimage, __ATOMIC_ACQUIRE) < 0)
		known_init();
}

/* A window outside which nothing is read (a start-up call's report:
 * only the copies made at the time are its arguments now) */
HJ_TLS uintptr_t hj_peek_window_lo, hj_peek_window_hi;

static bool outside(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	return hj_unlikely(hj_peek_window_hi) && (a < hj_peek_window_lo || a + n > hj_peek_window_hi || a + n < a);
}

/* The end of the mapped region known to hold p (the thread's stack above
 * this frame, the program's image, the brk heap), or 0: [p, end) can be
 * read in place. */
static uintptr_t known_end(const void *at)
{
	if (outside(at, 1))
		return 0;
	uintptr_t p = (uintptr_t)at, hi = stack_end(p);
	if (hi)
		return hi;
	int n = __atomic_load_n(&nimage, __ATOMIC_ACQUIRE);
	if (hj_unlikely(n < 0)) {
		known_init();
		n = nimage;
	}
	for (int k = 0; k < n && !hi; k++)
		if (p >= image[k].lo && p < image[k].hi)
			hi = image[k].hi;
	if (!hi && heap_lo && p >= heap_lo) {
		uintptr_t brk = (uintptr_t)sbrk(0);	/* glibc's own record: no system call */
		if (brk != (uintptr_t)-1 && p < (brk & ~(PAGE - 1)))
			hi = brk & ~(PAGE - 1);
	}
	return hi;
}

/* A string found whole in a known region: true, and *nul when its NUL
 * is within max; false when it must be read the slow way. */
static bool known_str(const char *s, size_t max, bool *nul)
{
	uintptr_t p = (uintptr_t)s, hi = known_end(s);
	if (!hi)
		return false;
	*nul = memchr(s, 0, hi - p < max ? hi - p : max) != NULL;
	return *nul || hi - p >= max;
}

bool hj_peek(void *dst, const void *src, size_t n)
{
	if (!n)
		return true;
	if (!src || outside(src, n))
		return false;
	uintptr_t end = known_end(src);
	if (end && end - (uintptr_t)src >= n) {
		memcpy(dst, src, n);
		return true;
	}
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
	if (!src || outside(src, 1))
		return -1;
	if (known_str(src, cap, nul)) {
		size_t n = *nul ? strlen(src) : cap;
		memcpy(dst, src, *nul ? n + 1 : n);	/* the NUL too, as the copy below gives it */
		return (long)n;
	}
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
	char scratch[1024];
	size_t len = 0;
	*nul = false;
	if (!src || outside(src, 1))
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

bool hj_path_ok(struct hj_call *c, int i)
{
	const char *s = (const char *)c->a[i];
	bool nul;
	if (!s)
		return false;
	if (hj_proven(c) || (c->paths_ok >> i & 1))
		return true;
	if (!known_str(s, PATH_MAX, &nul) && hj_strlen_safe(s, PATH_MAX, &nul) < 0)
		return false;
	if (nul)
		c->paths_ok |= (uint8_t)(1u << i);
	return nul;
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
	bool nul;
	if (known_str(s, ARG_MAX_LEN, &nul))
		return nul;
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
