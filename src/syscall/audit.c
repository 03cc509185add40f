/* libhijack-audit.so: the start-up watcher. Loaded with LD_AUDIT, the
 * dynamic loader maps it and calls la_version before it maps any of the
 * program's libraries (ours among them), so the system calls of start-up
 * (the loader's own, libc's start, constructors that run before ours) can
 * be seen: it arms Syscall User Dispatch with itself as the allowed range,
 * makes each trapped call and writes it to a log (early.h), which the
 * library takes over when it starts (sud.c).
 *
 * It is freestanding: no libc (an audit library gets a namespace of its
 * own, and a libc there would cost every process a second one), no
 * relocations beyond its own, nothing but raw system calls. It only sees
 * and counts: no hook of a script runs this early. */
#define _GNU_SOURCE	/* REG_RAX... */
#include <stddef.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include "syscall/early.h"

#define SUD_PRCTL 59		/* PR_SET_SYSCALL_USER_DISPATCH */
#define SUD_ON 1
#define SUD_OFF 0
#define SUD_SIGNAL 2		/* si_code SYS_USER_DISPATCH */
#define KSA_RESTORER 0x04000000

static struct hj_early_log *early_log;

extern char __ehdr_start[], etext[];

static long sys6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a3, r8 __asm__("r8") = a4, r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* rt_sigreturn, in these bytes (as glibc's __restore_rt has them, which
 * unwinders know a signal frame by), from our own range */
__asm__(".text\n"
	"nop\n"
	".type hj_audit_restorer, @function\n"
	"hj_audit_restorer:\n"
	"movq $15, %rax\n"
	"syscall\n"
	"ud2\n");
void hj_audit_restorer(void) __attribute__((visibility("hidden")));

/* The argument of a call that is a path, copied while it is there. */
static int path_arg(long nr)
{
	switch (nr) {
	case SYS_open: case SYS_stat: case SYS_lstat: case SYS_access: case SYS_readlink:
	case SYS_statfs: case SYS_execve: case SYS_chdir: case SYS_mkdir: case SYS_unlink:
		return 0;
	case SYS_openat: case SYS_newfstatat: case SYS_faccessat: case SYS_faccessat2:
	case SYS_readlinkat: case SYS_statx: case SYS_openat2:
		return 1;
	}
	return -1;
}

static void copy_str(char *dst, const char *src)
{
	/* the kernel reads it right after: a bad pointer faults there too,
	 * but we must not; a read of our own through process_vm_readv would
	 * cost a call, so only a page the call itself is about to read */
	struct iovec { const void *base; size_t len; } local = { dst, HJ_EARLY_STR - 1 }, remote = { src, HJ_EARLY_STR - 1 };
	long pid = sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long n = sys6(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	if (n < 0) {	/* it ends before HJ_EARLY_STR, at a page the next does not follow */
		size_t room = 4096 - ((unsigned long)src & 4095);
		local.len = remote.len = room < HJ_EARLY_STR - 1 ? room : HJ_EARLY_STR - 1;
		n = sys6(SYS_process_vm_readv, pid, (long)&local, 1, (long)&remote, 1, 0);
	}
	dst[n > 0 ? n : 0] = 0;
}

/* The log's next entry, or NULL when it is full or the library took over. */
static struct hj_early_call *slot(void)
{
	if (early_log->stop)
		return NULL;
	if (early_log->n < HJ_EARLY_MAX)
		return &early_log->calls[early_log->n];
	early_log->dropped++;
	return NULL;
}

/* A call made here without a path argument to copy, logged whole. */
static void record(long nr, const long *a, long ret)
{
	struct hj_early_call *c = slot();
	if (!c)
		return;
	c->nr = nr;
	for (int i = 0; i < 6; i++)
		c->a[i] = a[i];
	c->str_arg = -1;
	c->ret = ret;
	early_log->n++;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	if (si->si_code != SUD_SIGNAL)
		return;
	long nr = g[REG_RAX];
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	if (nr == SYS_rt_sigreturn) {	/* a signal of start-up returns */
		g[REG_RIP] = (greg_t)hj_audit_restorer;
		return;
	}
	if (nr == SYS_rt_sigprocmask && a[3] == 8 && (a[0] == SIG_BLOCK || a[0] == SIG_UNBLOCK || a[0] == SIG_SETMASK)) {
		/* the mask the handler returns to is the thread's: changed
		 * there, SIGSYS kept out (the kernel kills a thread trapped
		 * with it blocked) */
		unsigned long *cur = (unsigned long *)&uc->uc_sigmask, old = *cur, set = 0, mask = old;
		if (a[1]) {
			set = *(const unsigned long *)a[1];	/* libc's own, during start-up */
			mask = a[0] == SIG_BLOCK ? old | set : a[0] == SIG_UNBLOCK ? old & ~set : set;
			mask &= ~(1ul << (SIGSYS - 1) | 1ul << (SIGKILL - 1) | 1ul << (SIGSTOP - 1));
		}
		if (a[2])
			*(unsigned long *)a[2] = old;
		*cur = mask;
		g[REG_RAX] = 0;
		record(nr, a, 0);
		return;
	}
	if (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork || nr == SYS_rt_sigprocmask ||
	    (nr == SYS_rt_sigaction && a[0] == SIGSYS)) {
		/* a thread, or signal state, this early: we step aside (the
		 * library arms itself again when it starts) and the call is
		 * made again, untrapped, when the handler returns */
		sys6(SYS_prctl, SUD_PRCTL, SUD_OFF, 0, 0, 0, 0);
		g[REG_RIP] -= 2;
		return;
	}
	struct hj_early_call *c = slot();
	if (c) {
		c->nr = nr;
		for (int i = 0; i < 6; i++)
			c->a[i] = a[i];
		c->str_arg = path_arg(nr);
		if (c->str_arg >= 0 && a[c->str_arg])
			copy_str(c->str, (const char *)a[c->str_arg]);
		else
			c->str_arg = -1;
	}
	long r = sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	g[REG_RAX] = r;
	if (c) {
		c->ret = r;
		early_log->n++;
	}
}

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

unsigned int la_version(unsigned int version)
{
	long p = sys6(SYS_mmap, HJ_EARLY_ADDR, sizeof *early_log, 3 /* PROT_READ|PROT_WRITE */,
		      0x22 | 0x100000 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE */, -1, 0);
	if (p != (long)HJ_EARLY_ADDR)
		return version;		/* no log, no watching: the library sees what it sees */
	early_log = (struct hj_early_log *)p;
	for (int i = 0; i < 8; i++)
		early_log->magic[i] = HJ_EARLY_MAGIC[i];
	early_log->handler = (void *)on_sigsys;
	struct ksigaction act = { (void *)on_sigsys, SA_SIGINFO | SA_NODEFER | KSA_RESTORER, (void *)hj_audit_restorer, 0 };
	if (sys6(SYS_rt_sigaction, SIGSYS, (long)&act, 0, 8, 0, 0) == 0)
		sys6(SYS_prctl, SUD_PRCTL, SUD_ON, (long)__ehdr_start, etext - __ehdr_start, 0, 0);
	return version;		/* LAV_CURRENT, whatever ld.so's is */
}
