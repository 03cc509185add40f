/* Scripts that run away: a memory ceiling for the VM (--vm-memory) and a
 * time limit for each hook (--hook-timeout).
 *
 * Memory: the VM allocates through counting_allocf, which keeps a count
 * of live bytes and refuses (NULL) past the ceiling; mruby then collects
 * and, still short, raises NoMemoryError, which hj_vm_run catches like
 * any other error. The VM stays usable.
 *
 * Time: Debian's libmruby.a is built without MRB_USE_DEBUG_HOOK (its
 * mrb_open_core allocates a 9616-byte mrb_state, the layout without
 * code_fetch_hook), so nothing in the interpreter loop can be asked to
 * stop, and `while true; end` calls nothing we could intercept. So:
 *
 * - A watchdog thread, started when the first hook runs (so a program
 *   that reaches no hook stays single-threaded: unshare(CLONE_NEWUSER) and
 *   setns refuse a multi-threaded caller), watches a generation
 *   counter that each hook bumps. Per hook this costs two stores; arming a
 *   POSIX timer around each hook instead costs two system calls (measured
 *   here: about three getppid()s a hook, more than the hook itself). With
 *   all signals blocked, the thread never takes a signal meant for the
 *   program; it sleeps on a futex while no hook runs.
 * - When one hook has run past the limit, the watchdog installs a handler
 *   for a real-time signal that the program leaves at SIG_DFL and that the
 *   hook's thread does not block, sends it to that thread, and puts the
 *   program's disposition back (through SIG_IGN, which drops a copy still
 *   pending) as soon as the handler has run.
 * - The handler leaves the hook only where that is safe: when the thread
 *   was interrupted inside mrb_vm_exec, the bytecode loop. Then no libc
 *   lock (malloc's, stdio's, the loader's) can be held by a frame we jump
 *   over: mruby reaches libc only through calls that return before the
 *   loop goes on, and nothing in libc calls back into the loop. Elsewhere
 *   (in malloc, in a system call) it declines and the watchdog tries again
 *   a little later; a system call it interrupted fails with EINTR (no
 *   SA_RESTART), so a hook blocked in one ends by an ordinary exception. The VM is left mid-instruction, so it is never entered
 *   again in this process: its hooks pass through from there, said once.
 *   The handler runs with SA_NODEFER and an empty mask, so jumping out of
 *   it leaves the thread's signal mask as the program set it.
 *
 * mrb_vm_exec's extent is read from our own .eh_frame_hdr (the table of
 * function starts the unwinder uses): memory only, no file, no symbols,
 * so a stripped library works too. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <linux/futex.h>
#include <mruby.h>

#include "core/engine.h"
#include "core/runaway.h"

/* ---- numbers with units ---- */

/* A whole number that fits 64 bits: decimal, or hex with 0x; no sign, no
 * spaces (strtoull takes "-1" and " 1", and gives ULLONG_MAX past the top). */
bool hj_parse_u64(const char *s, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* A signed number that fits a long (64 bits): decimal or 0x hex. */
bool hj_parse_long(const char *s, long *out)
{
	const char *digits = s + (*s == '-' || *s == '+');
	if (!isdigit((unsigned char)*digits))
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* The number a size or a duration starts with (no sign, no "inf"):
 * false when there is none. */
static bool leading_number(const char *s, bool point, double *v, char **end)
{
	if (!isdigit((unsigned char)*s) && !(point && *s == '.'))
		return false;
	errno = 0;
	*v = strtod(s, end);
	return !errno && *end != s;
}

bool hj_parse_bytes(const char *s, uint64_t *out)
{
	char *end;
	double v;
	if (!leading_number(s, false, &v, &end))
		return false;
	double unit = 1;
	switch (*end) {
	case 'k': case 'K': unit = 1024.0; end++; break;
	case 'm': case 'M': unit = 1024.0 * 1024; end++; break;
	case 'g': case 'G': unit = 1024.0 * 1024 * 1024; end++; break;
	case 't': case 'T': unit = 1024.0 * 1024 * 1024 * 1024; end++; break;
	}
	if (unit > 1 && *end == 'i')	/* MiB */
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || !isfinite(v) || v * unit >= 18446744073709551616.0)
		return false;
	*out = (uint64_t)(v * unit);
	return true;
}

bool hj_parse_seconds(const char *s, uint64_t *ns)
{
	char *end;
	double v;
	if (!leading_number(s, true, &v, &end))
		return false;
	double unit = 1e9;
	if (!strcmp(end, "ms"))
		unit = 1e6;
	else if (!strcmp(end, "us"))
		unit = 1e3;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		unit = 60e9;
	else if (*end && strcmp(end, "s"))
		return false;
	if (!isfinite(v) || v < 0 || v * unit > 1e18)	/* a limit of centuries is no limit */
		return false;
	*ns = (uint64_t)(v * unit);
	return true;
}

/* ---- memory ---- */

static size_t vm_live;		/* bytes the VM holds */
bool hj_vm_refused;		/* an allocation was refused since this was cleared */

/* Each block carries its size in front (16 bytes, to keep malloc's
 * alignment): the count is exact whatever allocator the program uses. */
void *hj_counting_allocf(mrb_state *mrb, void *p, size_t size, void *ud)
{
	(void)mrb;
	(void)ud;
	char *base = p ? (char *)p - 16 : NULL;
	size_t old = base ? *(size_t *)base : 0;
	if (size == 0) {
		if (base) {
			__atomic_sub_fetch(&vm_live, old, __ATOMIC_RELAXED);
			hj_free(base);
		}
		return NULL;
	}
	uint64_t limit = hj_cfg.vm_memory;
	if (size > old && limit) {
		size_t live = __atomic_load_n(&vm_live, __ATOMIC_RELAXED);
		if (size > SIZE_MAX - 16 || live + (size - old) > limit || live + (size - old) < live) {
			hj_vm_refused = true;
			return NULL;
		}
	}
	char *nb = hj_realloc(base, size + 16);
	if (!nb)
		return NULL;
	*(size_t *)nb = size;
	if (size > old)
		__atomic_add_fetch(&vm_live, size - old, __ATOMIC_RELAXED);
	else
		__atomic_sub_fetch(&vm_live, old - size, __ATOMIC_RELAXED);
	return nb + 16;
}

/* ---- time ---- */

static atomic_uint hook_gen;		/* bumped by each hook's start */
static atomic_int hook_tid;		/* thread inside a hook, 0 if none */
static atomic_int watch_asleep;		/* the watchdog waits on hook_gen */
static bool watch_started;
static pid_t vm_pid;			/* the process the watchdog belongs to */
static HJ_TLS pid_t my_tid;
const char *hj_hook_where;		/* the running hook's file:line */
bool hj_hook_interrupted;		/* the running hook was sent a stop it declined */

sigjmp_buf hj_stop_point;		/* in hj_vm_run, for the hook running now */
static atomic_int stop_sig;		/* the signal in flight, 0 if none */
static atomic_int stop_tid;		/* whom it is for */
static atomic_int stop_acked;		/* the handler ran (and declined) */
static atomic_uint stop_gen;		/* the hook it is for */
static uintptr_t exec_lo, exec_hi;	/* mrb_vm_exec's code */

static void futex(atomic_int *addr, int op, int val, const struct timespec *ts)
{
	syscall(SYS_futex, addr, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, 0);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nap_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	syscall(SYS_nanosleep, &ts, NULL);
}

/* Finds the function after mrb_vm_exec in our .eh_frame_hdr's sorted
 * table: [exec_lo, exec_hi) is the bytecode loop. */
static int find_exec(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	const ElfW(Phdr) *hdr = NULL;
	bool ours = false;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_EH_FRAME)
			hdr = ph;
		if (ph->p_type == PT_LOAD && exec_lo >= info->dlpi_addr + ph->p_vaddr &&
		    exec_lo < info->dlpi_addr + ph->p_vaddr + ph->p_memsz)
			ours = true;
	}
	if (!ours)
		return 0;
	if (!hdr)
		return 1;
	const unsigned char *h = (const unsigned char *)(info->dlpi_addr + hdr->p_vaddr);
	/* version 1; eh_frame_ptr pcrel sdata4; count udata4; table datarel
	 * sdata4 pairs, as GNU ld writes it */
	if (h[0] != 1 || h[1] != 0x1b || h[2] != 0x03 || h[3] != 0x3b)
		return 1;
	uint32_t count;
	memcpy(&count, h + 8, 4);
	const int32_t *table = (const int32_t *)(h + 12);
	for (uint32_t i = 0; i + 1 < count; i++)
		if ((uintptr_t)(h + table[2 * i]) == exec_lo) {
			exec_hi = (uintptr_t)(h + table[2 * i + 2]);
			break;
		}
	return 1;
}

static uintptr_t interrupted_pc(void *uc)
{
	const ucontext_t *u = uc;
#if defined(__x86_64__)
	return (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)u->uc_mcontext.pc;
#else
	(void)u;
	return 0;	/* never safe: hooks are reported, not stopped */
#endif
}

static void on_stop_signal(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	int saved = errno;
	pid_t self = (pid_t)syscall(SYS_gettid);
	if (sig != atomic_load(&stop_sig) || self != atomic_load(&stop_tid)) {
		errno = saved;
		return;		/* late, or not ours: nothing to do */
	}
	if (atomic_load(&hook_tid) != self || atomic_load(&hook_gen) != atomic_load(&stop_gen)) {
		atomic_store(&stop_acked, 1);	/* that hook has ended meanwhile */
		errno = saved;
		return;
	}
	uintptr_t pc = interrupted_pc(uc);
	if (pc >= exec_lo && pc < exec_hi) {
		atomic_store(&stop_tid, 0);
		atomic_store(&stop_acked, 1);
		siglongjmp(hj_stop_point, HJ_JUMP_STOPPED);
	}
	hj_hook_interrupted = true;
	atomic_store(&stop_acked, 1);
	errno = saved;
}

/* A real-time signal the program leaves alone and tid does not block. */
static int pick_signal(pid_t tid, struct sigaction *old)
{
	char path[64], buf[2048];
	unsigned long long blocked = 0;
	snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = 0;
		char *b = strstr(buf, "SigBlk:");
		if (b)
			blocked = strtoull(b + 7, NULL, 16);
	}
	for (int s = SIGRTMAX - 2; s >= SIGRTMIN + 4; s--) {
		if (blocked >> (s - 1) & 1)
			continue;
		if (sigaction(s, NULL, old) == 0 && !(old->sa_flags & SA_SIGINFO) && old->sa_handler == SIG_DFL)
			return s;
	}
	return 0;
}

static void say(const char *fmt, const char *where, double seconds)
{
	char line[512];
	int n = snprintf(line, sizeof line, fmt, where, seconds);
	hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* One attempt to stop hook number gen, running on tid: true if the
 * handler ran (it may have declined). */
static bool try_stop(pid_t tid, unsigned gen, bool restart)
{
	/* Without SA_RESTART, a hook blocked in a system call (a read from a
	 * FIFO) gets EINTR, which mruby raises: it ends the ordinary way, and
	 * the VM stays on. The first tries restart: should the hook end just
	 * as the signal goes out, the program's own call is not disturbed. */
	struct sigaction old, ours = { .sa_sigaction = on_stop_signal,
				       .sa_flags = SA_SIGINFO | SA_NODEFER | (restart ? SA_RESTART : 0) };
	sigemptyset(&ours.sa_mask);
	int sig = pick_signal(tid, &old);
	if (!sig)
		return false;
	atomic_store(&stop_acked, 0);
	atomic_store(&stop_tid, tid);
	atomic_store(&stop_gen, gen);
	atomic_store(&stop_sig, sig);
	sigaction(sig, &ours, NULL);
	syscall(SYS_tgkill, vm_pid, tid, sig);
	for (int i = 0; i < 500 && !atomic_load(&stop_acked); i++)
		nap_ns(1000000);
	atomic_store(&stop_sig, 0);
	/* SIG_IGN first: a copy not yet delivered is dropped, not left to
	 * SIG_DFL, which would end the program */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(sig, &ign, NULL);
	sigaction(sig, &old, NULL);
	return atomic_load(&stop_acked);
}

static void *watchdog(void *arg)
{
	(void)arg;
	hj_busy = 1;	/* our own calls are never hooked */
	uint64_t limit = hj_cfg.hook_timeout_ns;
	uint64_t tick = limit / 8 < 1000000 ? 1000000 : limit / 8 > 250000000 ? 250000000 : limit / 8;
	unsigned seen = atomic_load(&hook_gen);
	uint64_t seen_at = mono_ns(), idle_since = seen_at;
	bool told = false;
	for (;;) {
		unsigned gen = atomic_load(&hook_gen);
		pid_t tid = atomic_load(&hook_tid);
		uint64_t now = mono_ns();
		if (gen != seen) {
			seen = gen;
			seen_at = idle_since = now;
			told = false;
		} else if (!tid) {
			if (now - idle_since > 4 * limit + 1000000000u) {
				/* no hook for a while: sleep until one starts */
				atomic_store(&watch_asleep, 1);
				if (atomic_load(&hook_gen) == gen && !atomic_load(&hook_tid))
					futex((atomic_int *)&hook_gen, FUTEX_WAIT, (int)gen, NULL);
				atomic_store(&watch_asleep, 0);
				idle_since = mono_ns();
				continue;
			}
		} else if (now - seen_at >= limit) {
			/* the same hook, still running */
			try_stop(tid, gen, now - seen_at < limit + 200000000u);
			if (!told && mono_ns() - seen_at >= limit + 1000000000u) {
				told = true;
				say("hijack: hook at %s ran past %g s and cannot be stopped where it is (inside a "
				    "library call that goes on, or its thread blocks signals); waiting for it\n",
				    hj_hook_where ? hj_hook_where : "?", (double)limit / 1e9);
			}
			nap_ns(20000000);
			continue;
		}
		nap_ns(tick);
	}
	return NULL;
}

/* Called inside a hook's first call, where a program's signal handler
 * could jump out (alarm and siglongjmp timeouts) and leave pthread_create
 * or the loader's lock half taken: every signal is blocked around the
 * start, through the raw system call (sigprocmask is the program's to
 * define), and the mask put back after, so no handler runs in between. */
static void watch_start(void)
{
	/* a vfork child shares our memory: no thread of its own, and the
	 * parent's first hook still starts the parent's */
	if (!vm_pid || getpid() != vm_pid)
		return;
	watch_started = true;
	sigset_t all, old;
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
	exec_lo = (uintptr_t)mrb_vm_exec;
	dl_iterate_phdr(find_exec, NULL);
	if (exec_hi) {
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setstacksize(&at, 64 * 1024);
		pthread_attr_setsigmask_np(&at, &all);
		pthread_t t;
		if (pthread_create(&t, &at, watchdog, NULL) == 0) {
			pthread_setname_np(t, "hijack-watch");
			pthread_detach(t);
		}
		pthread_attr_destroy(&at);
	}
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
}

void hj_watch_init(void)
{
	vm_pid = getpid();
	watch_started = false;
	my_tid = 0;
}

void hj_watch_forked(void)
{
	hj_watch_init();
	atomic_store(&hook_tid, 0);
	atomic_store(&watch_asleep, 0);
}

void hj_watch_begin(const char *where)
{
	if (!hj_cfg.hook_timeout_ns)
		return;
	if (hj_unlikely(!watch_started))
		watch_start();
	if (hj_unlikely(!my_tid))
		my_tid = (pid_t)syscall(SYS_gettid);
	hj_hook_where = where;
	hj_hook_interrupted = false;
	/* A sequentially consistent store is a locked xchg on x86: the
	 * tid's needs none of its own, the full barrier of the generation's
	 * bump (which the sleeping watchdog's wake-up needs) publishes it
	 * with the generation, which the watchdog reads first. */
	atomic_store_explicit(&hook_tid, my_tid, memory_order_relaxed);
	atomic_fetch_add(&hook_gen, 1);
	if (hj_unlikely(atomic_load(&watch_asleep))) {
		atomic_store(&watch_asleep, 0);
		futex((atomic_int *)&hook_gen, FUTEX_WAKE, 1, NULL);
	}
}

void hj_watch_end(void)
{
	/* no fence: a watchdog that still sees the tid a moment longer
	 * signals a hook that has ended, and the handler, on this thread,
	 * sees the 0 and declines */
	if (hj_cfg.hook_timeout_ns)
		atomic_store_explicit(&hook_tid, 0, memory_order_release);
}
