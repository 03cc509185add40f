/* The system-call layer: every system call the program makes, however it
 * makes it (libc's exported functions, libc's internal calls, other
 * libraries, raw syscall()), comes here once and goes to hj_dispatch
 * under the call's own name (strace's).
 *
 * Why Syscall User Dispatch (SUD): it is the only in-process mechanism
 * that catches every syscall instruction of a dynamically linked program
 * without root and without rewriting code we cannot see (zpoline's
 * trampoline at address 0 needs vm.mmap_min_addr=0, i.e. root; seccomp's
 * SECCOMP_RET_TRAP cannot be lifted for our own calls, and would stay on
 * the program after exec). The kernel sends a SIGSYS for each syscall
 * made outside one address range while a per-thread byte, the
 * selector, says BLOCK. The range is our gate (gate.S), the selector is
 * BLOCK while the program's code runs and ALLOW while ours does
 * (dispatch.c keeps it so around the engine's work).
 *
 * A trapped syscall is not executed: the handler makes it (from the
 * gate) and puts the result in the saved rax. The calls that change the
 * thread's signal state or start a new context are made differently:
 *   rt_sigreturn        returns through the gate with the program's stack;
 *   rt_sigprocmask      changes the mask the handler will return to;
 *   rt_sigaction        SIGSYS is ours: the program's handler for it is
 *                       kept aside and called for SIGSYS that are not
 *                       SUD's; SIGSYS is kept out of every mask, since the
 *                       kernel kills a thread trapped with it blocked;
 *   clone/clone3/vfork  of a child sharing our memory: made in the gate
 *                       on the program's own registers (gate.S);
 *   fork-like clones    made here; the child arms itself again, since
 *                       SUD is not inherited;
 *   exit_group          runs the at_exit blocks first.
 *
 * Threads arm SUD themselves at their first instruction (gate.S), forked
 * children right after the fork. A vfork-style child (posix_spawn's)
 * runs unhooked until it execs: it shares our memory and a small stack. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <linux/sched.h>	/* CLONE_*, struct clone_args */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/execcheck.h"
#include "syscall/early.h"
#include "syscall/sud.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2	/* si_code of a SUD SIGSYS */
#endif
#define SEL_ALLOW 0
#define SEL_BLOCK 1
#define GATE_FRAME 392		/* gate.S: the parent's frame below its red zone */
#define SIGBIT(s) (1ull << ((s) - 1))
#ifndef SS_AUTODISARM
#define SS_AUTODISARM ((int)(1u << 31))	/* Linux 4.7 */
#endif

extern char hj_gate_start[], hj_gate_end[], hj_gate_sigreturn[];
extern char hj_gate_clone_newstack[], hj_gate_clone_samestack[];

static char why_off[160];

/* the kernel's struct sigaction (x86_64) */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
#define KSA_RESTORER 0x04000000

static struct ksigaction program_sigsys;	/* the program's view of SIGSYS */
static struct hj_early_log *early;		/* the start-up watcher's log, if it ran */
static HJ_TLS int own_depth;			/* work of ours under way on our own stack */
/* The program's signal stack, as its sigaltstack calls set it. */
static HJ_TLS uintptr_t alt_lo, alt_hi;

static long raw(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	return hj_gate_syscall(nr, a0, a1, a2, a3, a4, a5);
}

static int shared_tls_children;		/* clones made without a thread area of their own */
static HJ_TLS char in_vfork_child;	/* set by a vfork child, cleared by its parent */
static HJ_TLS long armed_tid;		/* the thread that armed on this thread-local memory */

static bool arm_thread(void)
{
	hj_sud_selector = SEL_ALLOW;
	if (!in_vfork_child)	/* a vfork child's thread-local memory is its parent's */
		armed_tid = raw(SYS_gettid, 0, 0, 0, 0, 0, 0);
	long r = raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (long)hj_gate_start,
		     hj_gate_end - hj_gate_start, (long)&hj_sud_selector, 0);
	if (r != 0)
		return false;
	hj_sel_sync();
	return true;
}

/* ---- a clone whose child shares our memory, made in the gate ---- */

/* What the parent's side needs once the call returned (gate.S calls
 * hj_sud_clone_returned): the call, to trace and count it. A child that
 * shares our thread-local memory (no CLONE_SETTLS) sees vfork_child set. */
static HJ_TLS struct { long a[6]; int row; bool on; } pending;
static HJ_TLS char vfork_child;

/* The first instructions of a new thread or of a child that shares our
 * memory (gate.S): arm the layer. A vfork-style child (posix_spawn's,
 * vfork's) shares this thread's thread-local memory too, and its parent
 * waits until it execs or exits: its calls are traced and counted, never
 * hooked (a hook would run Ruby in the parent's memory, on a small stack,
 * while the parent is stopped). */

void hj_sud_thread_start(void)
{
	if (vfork_child == 2)
		return;
	if (vfork_child == 1)
		in_vfork_child = 1;	/* the parent clears it when it resumes */
	arm_thread();
}

void hj_sud_clone_returned(long ret)
{
	hj_sud_selector = SEL_ALLOW;
	/* vfork_child stays: a child beside us on our thread-local memory
	 * (mode 2) may not have read it yet; the next clone sets it anew */
	in_vfork_child = 0;
	if (pending.on) {
		pending.on = false;
		hj_sys_report(pending.row, pending.a, ret);
	}
	hj_sud_selector = SEL_BLOCK;
}

/* Sends the call to the gate with the program's registers: the site's
 * return address where each side finds it (gate.S). false: make it here. */
static bool clone_in_gate(long nr, long *a, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t flags;
	uintptr_t newsp = 0;
	struct clone_args ca;
	size_t casize = 0;
	if (nr == SYS_vfork) {
		flags = CLONE_VM | CLONE_VFORK;
	} else if (nr == SYS_clone) {
		flags = (uint64_t)a[0];
		newsp = (uintptr_t)a[1];
	} else {
		casize = (size_t)a[1];
		if (casize < offsetof(struct clone_args, tls) + 8 || casize > sizeof ca || !hj_peek(&ca, (void *)a[0], casize))
			return false;	/* the kernel's answer (E2BIG, EFAULT...) comes from a plain call */
		flags = ca.flags;
		newsp = ca.stack ? (uintptr_t)(ca.stack + ca.stack_size) : 0;
	}
	if (!(flags & CLONE_VM))
		return false;
	uintptr_t sp = (uintptr_t)g[REG_RSP] - GATE_FRAME;
	uintptr_t site = (uintptr_t)g[REG_RIP];
	if (!hj_poke((void *)sp, &site, sizeof site))
		return false;
	if (newsp) {
		if (!hj_poke((void *)(newsp - 8), &site, sizeof site))
			return false;
		if (nr == SYS_clone) {
			g[REG_RSI] = (greg_t)(newsp - 8);
		} else {
			ca.stack_size -= 8;
			if (!hj_poke((void *)(sp + 8), &ca, casize))
				return false;
			g[REG_RDI] = (greg_t)(sp + 8);
		}
	}
	/* a child on our thread-local memory: a vfork's (its parent waits)
	 * is armed to be traced; one that runs beside its parent on the
	 * same thread-local memory (a raw clone) cannot have a selector of
	 * its own, and runs unseen */
	vfork_child = flags & CLONE_SETTLS ? 0 : flags & CLONE_VFORK ? 1 : 2;
	if (vfork_child)
		__atomic_store_n(&shared_tls_children, 1, __ATOMIC_RELAXED);
	int row = nr >= 0 && nr < HJ_NSYSNR ? hj_sys_row[nr] : -1;
	pending.on = row >= 0 && hj_wanted[row];
	if (pending.on) {
		memcpy(pending.a, a, sizeof pending.a);
		pending.row = row;
	}
	g[REG_RSP] = (greg_t)sp;
	g[REG_RIP] = (greg_t)(newsp ? hj_gate_clone_newstack : hj_gate_clone_samestack);
	g[REG_RAX] = nr;
	return true;
}

/* ---- signal state ---- */

static long sigaction_call(const long *a)
{
	int sig = (int)a[0];
	if (a[3] != 8)
		return -EINVAL;
	if (sig == SIGSYS) {
		struct ksigaction old = program_sigsys, act;
		if (a[1] && !hj_peek(&act, (void *)a[1], sizeof act))
			return -EFAULT;
		if (a[2] && !hj_poke((void *)a[2], &old, sizeof old))
			return -EFAULT;
		if (a[1])
			program_sigsys = act;
		return 0;
	}
	if (a[1]) {
		struct ksigaction act;
		if (!hj_peek(&act, (void *)a[1], sizeof act))
			return -EFAULT;
		act.mask &= ~SIGBIT(SIGSYS);
		return raw(SYS_rt_sigaction, sig, (long)&act, a[2], a[3], 0, 0);
	}
	return raw(SYS_rt_sigaction, a[0], a[1], a[2], a[3], 0, 0);
}

/* In the handler: the mask is the one the handler returns to. */
static long sigprocmask_call(const long *a, ucontext_t *uc)
{
	if (a[3] != 8)
		return -EINVAL;
	uint64_t *cur = (uint64_t *)&uc->uc_sigmask, old = *cur, set = 0, mask = old;
	if (a[1]) {
		if (!hj_peek(&set, (void *)a[1], 8))
			return -EFAULT;
		switch (a[0]) {
		case SIG_BLOCK: mask = old | set; break;
		case SIG_UNBLOCK: mask = old & ~set; break;
		case SIG_SETMASK: mask = set; break;
		default: return -EINVAL;
		}
		mask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP) | SIGBIT(SIGSYS));
	}
	if (a[2] && !hj_poke((void *)a[2], &old, 8))
		return -EFAULT;
	*cur = mask;
	return 0;
}

/* What hj_dispatch's invoke gets: the arguments first (a[]), then what
 * says which call they are for. */
struct sys_call {
	long a[HJ_MAXARGS];
	long nr;
	ucontext_t *uc;		/* in the handler: the context it returns to */
	uintptr_t sp;		/* the program's stack pointer at the call */
};

/* The program's signal stacks are registered with SS_AUTODISARM: while a
 * handler runs on one, the kernel takes it away (and gives it back at
 * sigreturn), so that a signal arriving while our work runs on our own
 * stack lands on our stack, not on top of the frame we return through.
 * The program is told the flags it gave. */
static HJ_TLS bool alt_own_disarm;	/* the program asked for SS_AUTODISARM itself */

static long sigaltstack_call(const long *a, uintptr_t sp, ucontext_t *uc)
{
	stack_t ss, old;
	long r = 0;
	/* in our handler the kernel has disarmed the stack our own frame is
	 * on, and puts back, at its return, the setting it saved in uc:
	 * that setting is the program's, read and changed there */
	if (uc)
		old = uc->uc_stack;
	else
		r = raw(SYS_sigaltstack, 0, (long)&old, 0, 0, 0, 0);
	if (r)
		return r;
	/* on the stack, which the kernel disarmed meanwhile: as it is bare,
	 * the stack and SS_ONSTACK */
	bool on = alt_hi && sp >= alt_lo && sp < alt_hi;
	if (on && (old.ss_flags & SS_DISABLE))
		old = (stack_t){ (void *)alt_lo, SS_ONSTACK | SS_AUTODISARM, alt_hi - alt_lo };
	if (a[0]) {
		if (!hj_peek(&ss, (void *)a[0], sizeof ss))
			return -EFAULT;
		if (on || (old.ss_flags & SS_ONSTACK))
			return -EPERM;	/* the kernel's answer on the stack itself */
		bool own = ss.ss_flags & SS_AUTODISARM;
		if (!(ss.ss_flags & SS_DISABLE))
			ss.ss_flags |= SS_AUTODISARM;
		r = raw(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);	/* checked by the kernel */
		if (r)
			return r;
		if (uc) {
			if (ss.ss_flags & SS_DISABLE)
				ss = (stack_t){ NULL, SS_DISABLE, 0 };
			uc->uc_stack = ss;
		}
		alt_lo = ss.ss_flags & SS_DISABLE ? 0 : (uintptr_t)ss.ss_sp;
		alt_hi = ss.ss_flags & SS_DISABLE ? 0 : (uintptr_t)ss.ss_sp + ss.ss_size;
		bool before = alt_own_disarm;
		alt_own_disarm = own;
		if (!before)
			old.ss_flags &= ~SS_AUTODISARM;
	} else if (!alt_own_disarm) {
		old.ss_flags &= ~SS_AUTODISARM;
	}
	if (a[1] && !hj_poke((void *)a[1], &old, sizeof old))
		return -EFAULT;
	return 0;
}

/* A mask the call installs while it waits, without SIGSYS: a handler run
 * meanwhile must be able to trap. */
static bool strip_mask(long *slot, uint64_t *copy)
{
	if (!*slot)
		return true;
	if (!hj_peek(copy, (void *)*slot, 8))
		return false;
	*copy &= ~SIGBIT(SIGSYS);
	*slot = (long)copy;
	return true;
}

/* ---- making the call ---- */


/* The kernel's result as the row's convention has it: -1 (or the
 * error number, for R_ERRNUM rows) and errno on failure. */
static long from_kernel(int row, long r)
{
	enum hj_ret kind = row >= 0 ? hj_calls[row].ret : R_INT;
	if (r < 0 && r >= -4095) {
		errno = (int)-r;
		return kind == R_ERRNUM ? -r : -1;
	}
	return kind == R_ERRNUM ? 0 : r;
}

static long to_kernel(int row, long ret, int err)
{
	enum hj_ret kind = row >= 0 ? hj_calls[row].ret : R_INT;
	if (kind == R_ERRNUM)
		return ret ? -ret : 0;
	if (ret == -1 && err > 0)
		return -err;
	return ret;
}

static long make_call(struct sys_call *s)
{
	long *a = s->a, nr = s->nr;
	uint64_t m1, m2;
	hj_sud_selector = SEL_ALLOW;	/* what we do around the call is ours */
	switch (nr) {
	case SYS_rt_sigaction:
		return sigaction_call(a);
	case SYS_rt_sigprocmask:
		if (s->uc)
			return sigprocmask_call(a, s->uc);
		if (a[1] && a[0] != SIG_UNBLOCK) {
			if (!hj_peek(&m1, (void *)a[1], 8))
				return -EFAULT;
			m1 &= ~SIGBIT(SIGSYS);
			return raw(nr, a[0], (long)&m1, a[2], a[3], 0, 0);
		}
		break;
	case SYS_rt_sigsuspend:
		if (!strip_mask(&a[0], &m1))
			return -EFAULT;
		break;
	case SYS_ppoll:
		if (!strip_mask(&a[3], &m1))
			return -EFAULT;
		break;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		if (!strip_mask(&a[4], &m1))
			return -EFAULT;
		break;
	case SYS_pselect6:
		if (a[5]) {
			long d[2];	/* { const sigset_t *ss; size_t ss_len; } */
			if (!hj_peek(d, (void *)a[5], sizeof d) || !strip_mask(&d[0], &m2))
				return -EFAULT;
			long r = raw(nr, a[0], a[1], a[2], a[3], a[4], (long)d);
			return r;
		}
		break;
	case SYS_exit_group:
	case SYS_exit:
		return 0;	/* made after the dispatch: hj_sys_trap */
	case SYS_sigaltstack:
		return sigaltstack_call(a, s->sp, s->uc);
	}
	/* the real call: the selector says BLOCK meanwhile, so that a signal
	 * handler of the program that runs during a blocking call is seen */
	hj_sud_selector = SEL_BLOCK;
	long r = raw(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	hj_sud_selector = SEL_ALLOW;
	if (r == 0 && (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_vfork)) {
		hj_rewrite_forked();
		if (hj_cfg.follow)
			arm_thread();	/* a forked child: SUD is not inherited */
		else
			hj_sud_on = false;	/* --no-follow: not ours */
	}
	return r;
}

static long invoke(const long *a)
{
	struct sys_call *s = (struct sys_call *)((char *)a - offsetof(struct sys_call, a));
	int row = s->nr < HJ_NSYSNR ? hj_sys_row[s->nr] : -1;
	return from_kernel(row, make_call(s));
}

/* A call of a vfork-style child: made, traced and counted. An exec that
 * will run is reported first (it does not come back). */
static long vfork_child_call(struct sys_call *s, int row)
{
	bool wanted = row >= 0 && hj_wanted[row];
	long args[HJ_MAXARGS];
	memcpy(args, s->a, sizeof args);
	if (wanted && (s->nr == SYS_execve || s->nr == SYS_exit_group || s->nr == SYS_exit)) {
		char path[4096];
		bool nul;
		bool runs = s->nr != SYS_execve ||
			    (hj_peek_str(path, sizeof path, (const char *)s->a[0], &nul) >= 0 && nul && hj_exec_runnable(path));
		if (runs) {
			hj_sys_report(row, args, 0);
			wanted = false;
		}
	}
	/* its exec carries our environment, as any exec of the run does;
	 * posix_spawn, system and popen put it there already (their wrapper,
	 * still in its call on the parent's side, is hj_lib_call): the block
	 * it is in flight with is the parent's, and must stay */
	struct hj_call c = { .id = row, .a = s->a, .asked = -1 };
	int lib = hj_lib_call - 1;
	bool spawned = lib == HJ_posix_spawn || lib == HJ_posix_spawnp || lib == HJ_system || lib == HJ_popen;
	if (s->nr == SYS_execve && row >= 0 && !spawned) {
		hj_enter();
		hj_follow_exec(&c, NULL);
		hj_leave();
	}
	long r = s->nr == SYS_exit_group || s->nr == SYS_exit ? raw(s->nr, s->a[0], 0, 0, 0, 0, 0) : make_call(s);
	if (c.follow)
		hj_follow_exec_done(&c);
	if (wanted)
		hj_sys_report(row, args, r);
	return r;
}

/* One trapped call: its result for rax. */
static HJ_TLS uintptr_t stub_sp;	/* a stub's call: the program's stack there */

/* The kernel reads an int argument from the low half of its register and
 * the upper half may hold anything: the engine and Ruby get it as the C
 * function would have it (AT_FDCWD is -100, not 4294967196). Per row, the
 * arguments that are 32-bit signed, and 32-bit unsigned. */
static uint8_t int_args[HJ_NCALLS], uint_args[HJ_NCALLS], widths_known[HJ_NCALLS];

/* A row's, at its first trap: all rows at start-up read every page of
 * hj_calls and cost each process 3 page faults (issue 11). Racing
 * threads compute the same bits. */
static void arg_widths(int id)
{
	uint8_t ints = 0, uints = 0;
	for (int i = 0; i < hj_calls[id].nargs; i++) {
		const char *t = hj_calls[id].args[i].type;
		if (!strcmp(t, "int") || !strcmp(t, "pid_t") || !strcmp(t, "clockid_t") || !strcmp(t, "key_t"))
			ints |= (uint8_t)(1u << i);
		else if (!strcmp(t, "unsigned int") || !strcmp(t, "mode_t") || !strcmp(t, "uid_t") ||
			 !strcmp(t, "gid_t") || !strcmp(t, "socklen_t") || !strcmp(t, "useconds_t"))
			uints |= (uint8_t)(1u << i);
	}
	__atomic_store_n(&int_args[id], ints, __ATOMIC_RELAXED);
	__atomic_store_n(&uint_args[id], uints, __ATOMIC_RELAXED);
	__atomic_store_n(&widths_known[id], 1, __ATOMIC_RELEASE);
}

static void widen(int row, long *a)
{
	if (hj_unlikely(!__atomic_load_n(&widths_known[row], __ATOMIC_ACQUIRE)))
		arg_widths(row);
	for (int i = 0; i < HJ_MAXARGS; i++) {
		if (int_args[row] >> i & 1)
			a[i] = (int)a[i];
		else if (uint_args[row] >> i & 1)
			a[i] = (unsigned int)a[i];
	}
}

static long trap(long nr, const long *args, ucontext_t *uc)
{
	uintptr_t sp = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : stub_sp;
	struct sys_call s = { .nr = nr, .uc = uc, .sp = sp };
	memcpy(s.a, args, sizeof s.a);
	if (nr == SYS_rt_sigreturn && uc) {
		int row = hj_sys_row[SYS_rt_sigreturn];
		if (row >= 0 && hj_wanted[row] && !hj_busy)
			hj_sys_report(row, args, 0);	/* traced and counted; made below */
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)hj_gate_sigreturn;
		return nr;
	}
	if ((nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork) && uc && clone_in_gate(nr, s.a, uc))
		return nr;
	int row = nr >= 0 && nr < HJ_NSYSNR ? hj_sys_row[nr] : -1;
	if (in_vfork_child)
		return vfork_child_call(&s, row);
	bool ending = nr == SYS_exit_group;
	if (ending)
		hj_exit_begin();
	long r;
	/* fork()'s clone, and its child's set_robust_list made before the
	 * fork's handlers end: glibc's, the program's */
	bool fork_own = hj_in_atfork && (nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork || nr == SYS_set_robust_list);
	/* the program's allocator, holding its lock: seen, not hooked */
	bool alloc_own = hj_in_alloc && hj_in_alloc == hj_busy;
	if ((fork_own || alloc_own) && row >= 0 && hj_wanted[row]) {
		/* fork()'s clone, between its handlers (which hold the VM):
		 * seen, traced and counted, not hooked (hook :fork for that) */
		bool cloning = nr == SYS_clone || nr == SYS_clone3 || nr == SYS_fork;
		if (fork_own && cloning) {
			/* dispatched for --inject and the trace, with no Ruby: the
			 * fork's handlers hold the VM */
			hj_no_ruby = 1;
			long ret = hj_dispatch(row, s.a, invoke);
			hj_no_ruby = 0;
			hj_sud_selector = SEL_ALLOW;
			r = to_kernel(row, ret, errno);
		} else {
			r = make_call(&s);
			bool child = r == 0 && cloning;
			if (!child)	/* the child's side of a fork is not a line of its own */
				hj_sys_report(row, args, r);
		}
	} else if (row < 0 || !hj_wanted[row] || hj_busy || row == hj_lib_call - 1) {
		r = make_call(&s);
	} else {
		widen(row, s.a);
		long ret = hj_dispatch(row, s.a, invoke);
		hj_sud_selector = SEL_ALLOW;	/* dispatch left it for the program */
		r = to_kernel(row, ret, errno);
	}
	/* an exit a hook or --inject failed returns its failure, as strace
	 * shows it; the program's libc goes on to exit otherwise */
	if (ending && r == 0)
		hj_exit_end();
	if ((nr == SYS_exit_group || nr == SYS_exit) && r == 0)
		raw(nr, s.a[0], 0, 0, 0, 0, 0);
	return r;
}

static long trap_on_own_stack(long nr, const long *a, ucontext_t *uc, uintptr_t alt);

/* A call from a rewritten site's stub (rewrite.c): as a trapped one,
 * without a signal frame. The stub has saved the program's registers. */
long hj_sys_enter(long nr, const long *args)
{
	/* a child on this thread's thread-local memory (a raw clone beside
	 * its parent) runs a stub's slow path as this thread would: such a
	 * child is known by its tid, asked only once the process made one */
	if (hj_unlikely(shared_tls_children) && !in_vfork_child &&
	    raw(SYS_gettid, 0, 0, 0, 0, 0, 0) != armed_tid)
		return raw(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
	hj_sud_selector = SEL_ALLOW;
	int saved_errno = errno;
	/* from a handler on the program's signal stack the work stays there
	 * (or passes through if the stack is small), as from a trap */
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	stub_sp = sp;
	bool on_alt = alt_hi && sp >= alt_lo && sp < alt_hi && (own_depth || alt_hi - alt_lo >= 32 * 1024);
	long r = trap_on_own_stack(nr, args, NULL, on_alt ? alt_lo : 0);
	errno = saved_errno;
	hj_sud_selector = SEL_BLOCK;
	return r;
}

/* A SIGSYS that SUD did not send (seccomp's SECCOMP_RET_TRAP, kill):
 * the program's, as it asked for it. */
static void program_signal(int sig, siginfo_t *si, void *uc)
{
	void *h = program_sigsys.handler;
	if (h == SIG_IGN)
		return;
	if (h == SIG_DFL) {
		struct ksigaction dfl = { SIG_DFL, KSA_RESTORER, hj_gate_sigreturn, 0 };
		raw(SYS_rt_sigaction, SIGSYS, (long)&dfl, 0, 8, 0, 0);
		raw(SYS_tgkill, raw(SYS_getpid, 0, 0, 0, 0, 0, 0), raw(SYS_gettid, 0, 0, 0, 0, 0, 0), SIGSYS, 0, 0, 0);
		return;
	}
	char sel = hj_sud_selector;
	hj_sud_selector = SEL_BLOCK;	/* the program's code: its calls are seen */
	if (program_sigsys.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, si, uc);
	else
		((void (*)(int))h)(sig);
	hj_sud_selector = sel;
}

/* ---- the layer's own stack ----
 * The handler's work (Ruby hooks, the trace) runs on a stack of ours, one
 * per thread, not on the program's: a Go goroutine's stack is a few KB, a
 * signal stack may be smaller still, and asking a thread for its bounds
 * (pthread_getattr_np) takes a lock the interrupted code may hold. Stacks
 * of threads that ended go back to a pool (the exit call is seen here). */
static char *stack_pool[64];
long hj_call_on_stack(long (*fn)(void *), void *arg, void *top);

static char *stack_get(void)
{
	for (size_t i = 0; i < sizeof stack_pool / sizeof stack_pool[0]; i++) {
		char *p = __atomic_exchange_n(&stack_pool[i], NULL, __ATOMIC_ACQ_REL);
		if (p)
			return p;
	}
	long p = raw(SYS_mmap, 0, HJ_OWN_STACK + 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (p < 0 && p >= -4095)
		return NULL;
	raw(SYS_mprotect, p, 4096, PROT_NONE, 0, 0, 0);	/* a guard below it */
	return (char *)p + 4096;
}

static void stack_put(char *p)
{
	for (size_t i = 0; i < sizeof stack_pool / sizeof stack_pool[0]; i++) {
		char *none = NULL;
		if (__atomic_compare_exchange_n(&stack_pool[i], &none, p, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return;
	}
	raw(SYS_munmap, (long)(p - 4096), HJ_OWN_STACK + 4096, 0, 0, 0, 0);
}

struct trap_args {
	long nr;
	const long *a;
	ucontext_t *uc;
};

static long trap_thunk(void *p)
{
	struct trap_args *t = p;
	/* the program's stack, above its pointer at the call, is read in
	 * place by peek.c while we work on ours */
	uintptr_t outer = hj_prog_sp;
	hj_prog_sp = t->uc ? (uintptr_t)t->uc->uc_mcontext.gregs[REG_RSP] : stub_sp;
	long r = trap(t->nr, t->a, t->uc);
	hj_prog_sp = outer;
	return r;
}

/* Our frame is at the top of the program's signal stack (SA_ONSTACK), and
 * the kernel disarmed that stack (SS_AUTODISARM) until our handler returns:
 * a signal of the program's arriving while we work would run on our stack,
 * where a handler that checks its stack (Go's) does not expect to be. So
 * the stack is armed again for that time, ending below our frame; our
 * handler's return puts back the program's own setting (uc_stack). */
static void rearm_below_frame(ucontext_t *uc, uintptr_t sp)
{
	if (!uc || !(uc->uc_stack.ss_flags & SS_AUTODISARM) || (uc->uc_stack.ss_flags & SS_DISABLE))
		return;
	uintptr_t lo = (uintptr_t)uc->uc_stack.ss_sp, hi = lo + uc->uc_stack.ss_size;
	/* what is left below our frame must hold a handler of the program's
	 * and its own calls' frames: on a small stack the program's handler
	 * runs on our stack instead, where it has room; a stack of 32 KB or
	 * more (Go's, whose handlers must run on it) keeps at least 8 KB */
	size_t need = uc->uc_stack.ss_size >= 32 * 1024 ? 8 * 1024 : 24 * 1024;
	if (sp < lo || sp >= hi || sp - lo < 256 + need)
		return;
	stack_t below = { (void *)lo, SS_AUTODISARM, ((sp - 256) & ~(uintptr_t)15) - lo };
	raw(SYS_sigaltstack, (long)&below, 0, 0, 0, 0, 0);
}

/* trap() on our stack, unless already on it (a handler of the program's
 * that ran during our real call, and trapped in turn), or unless the
 * program's signal stack (from alt, 0 for none) is in use: the kernel puts
 * a nested signal's frame at the top of that stack whenever the stack
 * pointer is off it, which would overwrite the frame we return through.
 * There, a call with too little room left passes through unhooked, as
 * hj_dispatch does for small stacks. */
#define ALT_NEEDED (32 * 1024)
static long trap_on_own_stack(long nr, const long *a, ucontext_t *uc, uintptr_t alt)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	char *base = hj_own_stack;
	bool on_it = base && sp - (uintptr_t)base < HJ_OWN_STACK;
	if (nr == SYS_exit) {	/* the thread ends: its stack is for another */
		if (base && !on_it) {
			hj_own_stack = NULL;
			stack_put(base);
		}
		return trap(nr, a, uc);
	}
	if (alt && !on_it && sp - alt < ALT_NEEDED) {
		hj_note_small_stack();
		struct sys_call s = { .nr = nr, .uc = uc };
		memcpy(s.a, a, sizeof s.a);
		if (nr == SYS_rt_sigreturn && uc) {	/* made, not reported: no room for a line */
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)hj_gate_sigreturn;
			return nr;
		}
		return nr == SYS_clone || nr == SYS_clone3 || nr == SYS_vfork || nr == SYS_exit_group ? trap(nr, a, uc)
														   : make_call(&s);
	}
	/* own_depth: nested in our own work (a signal arrived during the real
	 * call, and the kernel may have moved us to the program's signal
	 * stack): our stack is in use, the work stays where it is. A program
	 * that left a handler by siglongjmp left the count behind: a call made
	 * from neither our stack nor a signal stack says so. */
	uintptr_t psp = uc ? (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] : sp;
	if (own_depth && !(base && psp - (uintptr_t)base < HJ_OWN_STACK) && !(psp >= alt_lo && psp < alt_hi) &&
	    !(uc && uc->uc_stack.ss_flags != SS_DISABLE && psp - (uintptr_t)uc->uc_stack.ss_sp < uc->uc_stack.ss_size))
		own_depth = 0;
	if (on_it || alt || own_depth || (!base && !(base = hj_own_stack = stack_get())))
		return trap(nr, a, uc);
	struct trap_args t = { nr, a, uc };
	rearm_below_frame(uc, sp);
	own_depth++;
	long r = hj_call_on_stack(trap_thunk, &t, base + HJ_OWN_STACK);
	own_depth--;
	return r;
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	char sel = hj_sud_selector;
	hj_sud_selector = SEL_ALLOW;	/* before anything that makes a call */
	if (si->si_code != SYS_USER_DISPATCH) {
		program_signal(sig, si, ucv);
		hj_sud_selector = sel;
		return;
	}
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	int saved_errno = errno;
	long a[HJ_MAXARGS] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	long nr = hj_rewrite_nr((uintptr_t)si->si_call_addr, si->si_syscall);
	/* with a signal stack the frame is on it (SA_ONSTACK), and our work
	 * may leave it only if the kernel disarmed it meanwhile */
	int ssf = uc->uc_stack.ss_flags;
	uintptr_t alt = ssf == SS_DISABLE || (ssf & SS_AUTODISARM) ? 0 : (uintptr_t)uc->uc_stack.ss_sp;
	/* a handler of the program's, on its signal stack (which the kernel
	 * disarmed for it): a signal nested in our work must land there too,
	 * below, as it would bare (Go checks where its handlers run) */
	uintptr_t psp = (uintptr_t)g[REG_RSP];
	if (!alt && alt_hi && psp >= alt_lo && psp < alt_hi && (own_depth || alt_hi - alt_lo >= 32 * 1024))
		alt = alt_lo;	/* (a smaller one runs its hooks on our stack: room first) */
	g[REG_RAX] = trap_on_own_stack(nr, a, uc, alt);
	errno = saved_errno;
	/* the next call from this site goes through a stub, if it can */
	if (hj_sud_rewrite && !hj_busy && g[REG_RIP] == (greg_t)si->si_call_addr)
		hj_rewrite_site((uintptr_t)si->si_call_addr, nr);
	hj_sud_selector = SEL_BLOCK;
}

/* ---- start ---- */

/* Valgrind lets the prctl through to the kernel, then makes the
 * program's system calls from its own code, outside our gate, with
 * every signal blocked: the first one kills the process with SIGSYS.
 * Its client request says whether it runs us (no-op instructions
 * otherwise); without its header, its preload library in LD_PRELOAD. */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
static bool under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	const char *preload = hj_env("LD_PRELOAD");
	return preload && strstr(preload, "/vgpreload_");
}

/* A Go program (its build id note, "Go"): the layer is not armed for it.
 * Go's runtime crashes now and then under it (a preemption signal its
 * handler finds off its signal stack: an open bug), and a tool that
 * breaks the program is worse than one that sees less. */
static bool program_is_go(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM);
	uintptr_t bias = 0;	/* 0 for a program that is not position-independent (Go's) */
	bool known = false;
	for (size_t i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_PHDR) {
			bias = (uintptr_t)ph - ph[i].p_vaddr;
			known = true;
		}
	for (size_t i = 0; known && i < n; i++) {
		if (ph[i].p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(bias + ph[i].p_vaddr), *end = p + ph[i].p_memsz;
		while (p + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
			const char *name = p + sizeof *nh;
			if ((nh->n_namesz == 3 || nh->n_namesz == 4) && !memcmp(name, "Go", 3))	/* "Go\0", padded by Go's linker */
				return true;
			p = name + ((nh->n_namesz + 3) & ~3u) + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return false;
}

/* SIGSYS is ours from here; old: the program's */
static long take_sigsys(struct ksigaction *old)
{
	/* SA_ONSTACK: on a thread with a signal stack (Go's), the frame goes
	 * there, not on a goroutine's small stack */
	struct ksigaction act = { (void *)on_sigsys, SA_SIGINFO | SA_NODEFER | SA_RESTART | SA_ONSTACK | KSA_RESTORER,
				  hj_gate_sigreturn, 0 };
	return raw(SYS_rt_sigaction, SIGSYS, (long)&act, (long)old, 8, 0, 0);
}

bool hj_sud_start(void)
{
	static int once;	/* from the first call before our constructor, or the constructor */
	if (once++) {
		if (hj_sud_on)
			arm_thread();	/* the constructor's thread, if the first was another */
		return hj_sud_on;
	}
	const char *v = hj_env("HIJACK_SYSCALLS");
	if (v && *v == '0') {
		snprintf(why_off, sizeof why_off, "HIJACK_SYSCALLS=0");
		return false;
	}
	if (program_is_go()) {
		snprintf(why_off, sizeof why_off, "a Go program: Go's signal handling crashes under it now and then");
		return false;
	}
	if (under_valgrind()) {
		snprintf(why_off, sizeof why_off, "valgrind does not support Syscall User Dispatch");
		return false;
	}
	struct ksigaction old;
	long r = take_sigsys(&old);
	if (r != 0) {
		snprintf(why_off, sizeof why_off, "SIGSYS handler refused (%s)", hj_strerror((int)-r));
		return false;
	}
	if (!arm_thread()) {
		raw(SYS_rt_sigaction, SIGSYS, (long)&old, 0, 8, 0, 0);
		snprintf(why_off, sizeof why_off, "this kernel has no Syscall User Dispatch (Linux 5.11+)");
		return false;
	}
	/* the start-up watcher's handler (audit.c) is not the program's: the
	 * program started with SIGSYS's default */
	struct hj_early_log *log = (struct hj_early_log *)HJ_EARLY_ADDR;
	char magic[8];
	const char *audit = hj_env("LD_AUDIT");	/* the watcher ran only if it was loaded */
	if (audit && strstr(audit, "libhijack-audit.so") && hj_peek(magic, log, sizeof magic) &&
	    !memcmp(magic, HJ_EARLY_MAGIC, sizeof magic)) {
		early = log;
		if (old.handler == log->handler)
			old = (struct ksigaction){ SIG_DFL, 0, NULL, 0 };
	}
	program_sigsys = old;
	/* SIGSYS blocked when a syscall traps kills the thread */
	uint64_t unblock = SIGBIT(SIGSYS);
	raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&unblock, 0, 8, 0, 0);
	hj_sud_on = true;
	hj_rewrite_init();
	return true;
}

/* The calls of start-up, as the watcher logged them: traced and counted
 * as they were made, each path argument as it was then; nothing else of
 * the program's memory is read for them (it has changed since). */
void hj_sud_early_report(void)
{
	struct hj_early_log *log = early;
	if (!log)
		return;
	early = NULL;
	hj_enter();
	hj_peek_window_lo = (uintptr_t)log;
	hj_peek_window_hi = (uintptr_t)log + sizeof *log;
	int n = log->n < HJ_EARLY_MAX ? log->n : HJ_EARLY_MAX;
	for (int i = 0; i < n; i++) {
		struct hj_early_call *e = &log->calls[i];
		int row = e->nr >= 0 && e->nr < HJ_NSYSNR ? hj_sys_row[e->nr] : -1;
		if (row < 0 || !hj_wanted[row])
			continue;
		long a[HJ_MAXARGS];
		memcpy(a, e->a, sizeof a);
		if (e->str_arg >= 0)
			a[e->str_arg] = (long)e->str;
		struct hj_call c = { .id = row, .a = a, .asked = -1, .after = true };
		c.ret = from_kernel(row, e->ret);
		c.err = e->ret < 0 && e->ret >= -4095 ? (int)-e->ret : 0;
		hj_report_call(&c);
	}
	hj_peek_window_lo = hj_peek_window_hi = 0;
	if (log->dropped) {
		char msg[160];
		int len = snprintf(msg, sizeof msg, "hijack: %d calls of start-up were not logged (the log holds %d)\n",
				   log->dropped, HJ_EARLY_MAX);
		hj_log(msg, (size_t)len);
	}
	raw(SYS_munmap, (long)log, sizeof *log, 0, 0, 0, 0);
	hj_leave();
}

const char *hj_sud_why_off(void)
{
	return why_off;
}

/* In a forked child (fork's handlers): SUD is not inherited. */
void hj_sud_forked(void)
{
	if (!hj_sud_on)
		return;
	if (hj_cfg.follow) {
		arm_thread();
		return;
	}
	/* --no-follow: the child is not ours (strace without -f): nothing
	 * traps there */
	raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
	hj_sud_on = false;
}

/* The trace and counts of a call made without hj_dispatch (a clone made
 * in the gate): its line, once it returned. */
void hj_sys_report(int row, const long *args, long kret)
{
	long a[HJ_MAXARGS];
	memcpy(a, args, sizeof a);
	struct hj_call c = { .id = row, .a = a, .asked = -1, .after = true };
	c.ret = from_kernel(row, kret);
	c.err = kret < 0 && kret >= -4095 ? (int)-kret : 0;
	hj_busy++;
	hj_report_call(&c);
	hj_busy--;
}

/* ---- hijack attach and detach ----
 * SUD is per thread: hijack attach makes a remote call to this in each
 * thread of the process, to arm it (on) or disarm it (off). The thread
 * was stopped by ptrace anywhere, maybe inside our own work (hj_busy):
 * arm_thread's selector then stays ALLOW until that work ends. */
bool hj_sud_attach_thread(bool on)
{
	if (!on) {
		long r = raw(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0, 0);
		hj_sud_selector = SEL_ALLOW;
		return r == 0;
	}
	if (!hj_sud_on)
		return false;
	/* a thread trapped with SIGSYS blocked is killed */
	uint64_t unblock = SIGBIT(SIGSYS);
	raw(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&unblock, 0, 8, 0, 0);
	return arm_thread();
}

/* hijack detach, once every thread is disarmed: SIGSYS is the program's
 * again (as its rt_sigaction calls set it meanwhile), and a thread still
 * in our handler finds the layer off when it syncs its selector. */
void hj_sud_detach(void)
{
	if (!hj_sud_on)
		return;
	__atomic_store_n(&hj_sud_on, false, __ATOMIC_RELEASE);
	raw(SYS_rt_sigaction, SIGSYS, (long)&program_sigsys, 0, 8, 0, 0);
}

/* A second hijack attach: the layer as hj_sud_start left it, again. */
bool hj_sud_reattach(void)
{
	if (hj_sud_on)
		return true;
	if (*why_off)	/* it never started here */
		return false;
	struct ksigaction old;
	if (take_sigsys(&old) != 0)
		return false;
	program_sigsys = old;
	hj_sud_on = true;
	return hj_sud_attach_thread(true);
}
