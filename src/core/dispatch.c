/* hj_dispatch: one hooked call, from the wrapper to the program again.
 *
 *   before hooks (Ruby, under the VM lock) -> --inject -> delay (no lock)
 *   -> the real call (no lock) -> after hooks -> trace and summary
 *
 * Filters are matched in C first, so calls no rule wants never enter Ruby.
 * errno is the program's again when we return. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>		/* EAI_SYSTEM */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>		/* MAP_FAILED */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/execcheck.h"

/* every call until the library has started: it starts on the first */
unsigned char hj_wanted[HJ_NCALLS] = { [0 ... HJ_NCALLS - 1] = 1 };
unsigned char hj_wrap_wanted[HJ_NCALLS] = { [0 ... HJ_NCALLS - 1] = 1 };
unsigned char hj_started;
HJ_TLS int hj_busy;
bool hj_sud_on;
HJ_TLS volatile char hj_sud_selector;
HJ_TLS int hj_lib_call;
HJ_TLS char hj_in_atfork;
HJ_TLS char hj_no_ruby;
HJ_TLS int hj_in_alloc;
HJ_TLS char *hj_own_stack;

/* The engine's work is ours: the system-call layer lets our calls through
 * (ALLOW) while it runs, and traps the program's (BLOCK) around it. */
#define BUSY_ENTER() (hj_busy++, hj_sud_selector = 0)
#define BUSY_LEAVE() (hj_sud_selector = --hj_busy == 0 && hj_sud_on)

/* Looked at on every dispatched call: a table, not a search. */
#define L(name) [HJ_##name] = 1
static const unsigned char library_level[HJ_NCALLS] = {
	L(fopen), L(freopen), L(opendir), L(readdir), L(closedir), L(getaddrinfo),
	L(time), L(gettimeofday), L(clock_gettime), L(ftime), L(timespec_get),
	L(execv), L(execvp), L(execvpe), L(execl), L(execlp), L(execle),
	L(posix_spawn), L(posix_spawnp), L(system), L(popen), L(vfork), L(fork),
	L(pthread_cond_timedwait), L(pthread_cond_clockwait), L(pthread_mutex_timedlock),
	L(pthread_mutex_clocklock), L(pthread_rwlock_timedrdlock), L(pthread_rwlock_timedwrlock),
	L(pthread_rwlock_clockrdlock), L(pthread_rwlock_clockwrlock), L(pthread_timedjoin_np),
	L(pthread_clockjoin_np), L(sem_timedwait), L(sem_clockwait),
};
#undef L

bool hj_row_library_level(int id)
{
	return library_level[id] || (hj_calls[id].groups & G_ALLOC);	/* the allocator too */
}

/* per system call number, for the rewritten sites' stubs */
unsigned char hj_sys_wanted[HJ_NSYSNR];

void hj_want(int id)
{
	hj_wanted[id] = 1;
	if (!hj_sud_on || hj_row_library_level(id))
		hj_wrap_wanted[id] = 1;
	int nr = hj_row_sysnr(id);
	if (nr >= 0)
		hj_sys_wanted[nr] = 1;
}

/* Wanted where it is a system call only, not at its library wrapper. */
void hj_want_syscall(int id)
{
	hj_wanted[id] = 1;
	int nr = hj_row_sysnr(id);
	if (nr >= 0)
		hj_sys_wanted[nr] = 1;
}

void hj_want_none(void)
{
	memset(hj_wanted, 0, sizeof hj_wanted);
	memset(hj_wrap_wanted, 0, sizeof hj_wrap_wanted);
	memset(hj_sys_wanted, 0, sizeof hj_sys_wanted);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	hj_busy++;	/* around the real call we are not busy: stay unhooked */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hj_busy--;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Our own calls around the program's, made while the program's calls are
 * being watched (not busy): through the system-call layer's gate, which
 * never traps, where there is one (the launcher, which shares this code,
 * has none). */
long hj_gate_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) __attribute__((weak));

static long own_call(long nr, long a0, long a1, long a2)
{
	if (hj_gate_syscall) {
		long r = hj_gate_syscall(nr, a0, a1, a2, 0, 0, 0);
		if (r < 0 && r >= -4095) {
			errno = (int)-r;
			return -1;
		}
		return r;
	}
	return syscall(nr, a0, a1, a2);
}

/* Sleeps the whole delay even if signals interrupt it. */
static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (own_call(SYS_nanosleep, (long)&ts, (long)&ts, 0) != 0 && errno == EINTR)
		;
}

void hj_fail(struct hj_call *c, int err)
{
	c->err = err;
	switch (hj_calls[c->id].ret) {
	case R_PTR: case R_VOID: c->ret = 0; break;
	case R_MMAP: c->ret = (long)MAP_FAILED; break;
	case R_ERRNUM: c->ret = err; break;		/* the error is the result */
	case R_EAI: c->ret = EAI_SYSTEM; break;		/* and errno says which */
	case R_UNSLEPT: c->ret = c->a[0]; break;	/* none of the sleep done */
	default: c->ret = -1;
	}
}

static bool traced(int id)
{
	return hj_cfg.trace && (hj_cfg.trace_set[id / 64] >> (id % 64) & 1);
}

/* The length argument of a call's input buffer (as buf= left it). */
static long buf_count(const struct hj_call *c)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	for (int i = 0; i + 1 < ci->nargs; i++)
		if (ci->args[i].kind == K_BUF_IN)
			return c->a[i + 1];
	return 0;
}

static bool runnable(const char *path)
{
	return hj_exec_runnable(path);	/* its #! interpreter and ELF loader too */
}

bool hj_which(const char *file, char *out, size_t n)
{
	if (!file || !*file)
		return false;
	if (strchr(file, '/')) {
		snprintf(out, n, "%s", file);
		return runnable(file);
	}
	const char *path = hj_env("PATH");
	for (const char *p = path && *path ? path : "/usr/local/bin:/usr/bin:/bin"; ; p++) {
		const char *end = strchrnul(p, ':');
		int len = snprintf(out, n, "%.*s/%s", (int)(end - p), end == p ? "." : p, file);
		if (len < (int)n && runnable(out))
			return true;
		if (!*end)
			return false;
		p = end;
	}
}

/* Why a program's calls cannot be hooked, or NULL: a static binary has
 * no dynamic loader to preload us (no PT_INTERP), and the kernel runs a
 * set-id program in secure mode, where the loader ignores LD_PRELOAD. */
const char *hj_unhookable(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	if ((st.st_mode & S_ISUID && st.st_uid != getuid()) || (st.st_mode & S_ISGID && st.st_gid != getgid()))
		return "is setuid or setgid: the kernel makes the loader ignore LD_PRELOAD";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	Elf64_Ehdr eh;
	bool elf = pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
		   eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr);
	bool interp = false;
	for (int i = 0; elf && !interp && i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph)
			break;
		interp = ph.p_type == PT_INTERP;
	}
	close(fd);
	return elf && !interp ? "is statically linked: no dynamic loader to preload us" : NULL;
}

/* The program's path argument, copied: false when the kernel would
 * refuse it (unreadable, or no NUL within PATH_MAX). */
static bool path_copy(const long *a, int i, char *out, size_t n)
{
	bool nul;
	return hj_peek_str(out, n, (const char *)a[i], &nul) >= 0 && nul;
}

/* Whether an exec will replace the image, so that its line can go out
 * with "= 0" first; when in doubt the line waits for the failure. Its
 * arguments are read safely: one the kernel refuses makes it fail. */
__attribute__((noinline)) static bool exec_will_run(int id, const long *a)
{
	char file[4096], buf[4096];
	const struct hj_call_info *ci = &hj_calls[id];
	if (!path_copy(a, 0, file, sizeof file))
		return false;
	for (int i = 1; i < ci->nargs; i++)
		if ((ci->args[i].kind == K_ARGV || ci->args[i].kind == K_ENVP) && !hj_strvec_ok((char *const *)a[i], NULL))
			return false;
	bool search = id == HJ_execvp || id == HJ_execvpe || id == HJ_execlp;
	return search ? hj_which(file, buf, sizeof buf) : runnable(file);
}

/* Following an exec into a program we cannot enter: say so, in the
 * trace output (the program's own stderr is not ours to write on). */
__attribute__((noinline)) static void warn_unhookable(int id, const long *a)
{
	bool spawn = id == HJ_posix_spawn || id == HJ_posix_spawnp;
	const char *why;
	char file[4096], path[4096], line[4400];
	bool search = id == HJ_execvp || id == HJ_execvpe || id == HJ_execlp || id == HJ_posix_spawnp;
	/* a copy, not snprintf: its code is pages a forked child faults in */
	if (!path_copy(a, spawn ? 1 : 0, file, sizeof file) ||
	    !(search ? hj_which(file, path, sizeof path) : (memcpy(path, file, strlen(file) + 1), *path)))
		return;
	if ((why = hj_unhookable(path))) {
		int n = snprintf(line, sizeof line, "hijack: warning: %s %s; its calls cannot be hooked\n", path, why);
		hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	}
}

/* Ruby and the trace take up to about 14 KB of the caller's stack: a call
 * made on a smaller thread stack, or on a small alternate signal stack,
 * passes through unhooked rather than overflow it. The thread's bounds
 * are asked once; only a call off them (a signal stack) asks again. */
#define STACK_NEEDED (24 * 1024)
HJ_TLS uintptr_t stack_lo, stack_hi;	/* peek.c reads [sp, stack_hi) in place */

static bool altstack_room(uintptr_t sp, bool *on)
{
	stack_t ss;
	hj_enter();	/* our question, not the program's call */
	*on = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK);
	hj_leave();
	return !*on || sp - (uintptr_t)ss.ss_sp >= STACK_NEEDED;
}

/* The slow half of the look, out of line: the bounds not yet known, or a
 * call off them or near their end. */
__attribute__((noinline)) static bool stack_room(int id, uintptr_t sp)
{
	bool on;
	if (hj_unlikely(!stack_hi)) {
		/* glibc allocates inside pthread_getattr_np holding the thread's
		 * lock (Ruby calls it in each new thread): asking from there
		 * would wait on that lock forever; the next other call asks */
		if (hj_calls[id].groups & G_ALLOC)
			return true;
		/* pthread_getattr_np reads /proc/self/maps for the main thread:
		 * not from a signal stack, which it could overflow */
		bool room = altstack_room(sp, &on);
		if (on)
			return room;
		pthread_attr_t at;
		void *addr;
		size_t size;
		stack_hi = UINTPTR_MAX;		/* unknown: assume room */
		hj_enter();	/* its own allocations pass through */
		int got = pthread_getattr_np(pthread_self(), &at);
		hj_leave();
		if (got == 0) {
			if (pthread_attr_getstack(&at, &addr, &size) == 0) {
				stack_lo = (uintptr_t)addr;
				stack_hi = (uintptr_t)addr + size;
			}
			pthread_attr_destroy(&at);
		}
	}
	if (hj_likely(sp >= stack_lo && sp < stack_hi))
		return sp - stack_lo >= STACK_NEEDED;
	return altstack_room(sp, &on);
}

/* Said once, from the next call that has room: on the small stack itself
 * even a printf could overflow it. */
static int small_stack;		/* 0 never, 1 seen, 2 said */

void hj_report_small_stack(void)
{
	int seen = 1;
	if (!__atomic_compare_exchange_n(&small_stack, &seen, 2, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return;
	const char *quiet = hj_env("HIJACK_QUIET");	/* --quiet: our advisories too */
	if (quiet && *quiet == '1')
		return;
	static const char msg[] = "hijack: calls made with less than 24 KB of stack left (a small thread or "
				  "signal stack) passed through unhooked\n";
	hj_log(msg, sizeof msg - 1);
}

void hj_note_small_stack(void)
{
	small_stack |= 1;
}

static long dispatch(int id, long *a, hj_invoke_fn invoke);

/* The stack is looked at before dispatch's own frame (several KB) exists. */
long hj_dispatch(int id, long *a, hj_invoke_fn invoke)
{
	if (hj_unlikely(!hj_started))
		return hj_dispatch_early(id, a, invoke);
	long result;
	if (hj_clock_fast[id] && hj_clock_call(id, a, invoke, &result))
		return result;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (hj_likely(sp >= stack_lo + STACK_NEEDED && sp < stack_hi))
		return dispatch(id, a, invoke);
	if (sp - (uintptr_t)hj_own_stack - STACK_NEEDED < HJ_OWN_STACK - STACK_NEEDED)
		return dispatch(id, a, invoke);		/* the syscall layer's own stack */
	if (hj_unlikely(hj_ctl_on_stack(sp)))
		return invoke(a);	/* the channel's thread, starting (core/ctl.c) */
	if (hj_unlikely(!stack_room(id, sp))) {
		small_stack |= 1;
		return invoke(a);
	}
	return dispatch(id, a, invoke);
}

__attribute__((noinline)) static long dispatch(int id, long *a, hj_invoke_fn invoke)
{
	int saved_errno = errno;
	BUSY_ENTER();
	if (hj_unlikely(small_stack == 1))
		hj_report_small_stack();
	struct hj_call c = { .id = id, .a = a, .err = saved_errno, .asked = -1 };
	struct hj_rule *rules[64];
	bool numbered = hj_cfg.record || hj_replaying;
	unsigned long seq = numbered ? hj_call_seq(id) : 0;
	if (hj_unlikely(hj_vm_deferred)) {
		if (hj_vm_ruby_calls[id] && !hj_no_ruby)
			hj_vm_start_deferred();
		else if (id == HJ_posix_spawn || id == HJ_posix_spawnp || id == HJ_system || id == HJ_popen ||
			 id == HJ_vfork)
			hj_vm_start_before_fork();
	}
	int n = hj_has_rules(id, HJ_BEFORE) && !hj_no_ruby ? hj_rules_for(id, HJ_BEFORE, rules, 64, &c) : 0;
	/* Hijack::FS's path maps are applied in C when its hooks are all there
	 * is; the paths it makes live here until the call returns */
	char fs_room[2][HJ_FS_ROOM];
	if (n && !(hj_fs_ready && hj_fs_apply(&c, rules, n, fs_room)))
		hj_vm_run(&c, rules, n);

	uint64_t delay_exit = 0;
	int sig = 0;
	if (hj_unlikely(hj_replaying)) {
		/* the faults in the file, and no other that chance decided */
		if (c.decided && c.chance) {
			c.decided = c.injected = false;
			c.ret = 0;
			c.err = saved_errno;
		}
		hj_replay_apply(&c, seq);
	} else if (hj_inject_wants(id)) {
		if (!c.decided)
			hj_inject_apply(&c, &delay_exit, &sig);
		else
			hj_inject_seen(&c);
	}
	if (hj_unlikely(hj_cfg.record) && c.injected && c.decided)
		hj_record(&c, seq);
	bool trace = traced(id), timed = trace || hj_cfg.summary;
	enum hj_ret kind = hj_calls[id].ret;
	bool exec = kind == R_EXEC;
	bool precounted = false;
	if (exec && !c.decided) {
		/* the image is about to go: its trace line (with the envp the
		 * program gave, before ours go in) and counts go first, the exec
		 * itself among them (a successful one never returns to be
		 * counted after; strace counts it once) */
		bool will_run = (trace || hj_cfg.summary) && exec_will_run(id, a);
		if (trace && will_run)
			hj_trace_exec(&c);
		if (hj_cfg.summary && will_run) {
			hj_summary_add(&c);
			precounted = true;
		}
		hj_summary_flush();
		hj_ctl_before_exec();	/* the new image makes its own */
	}
	/* with the system-call layer on, the execve an exec function makes
	 * carries our environment (the layer follows it there) */
	bool own_follow = !(exec && hj_sud_on && hj_row_library_level(id));
	if (!c.decided && own_follow && (exec || id == HJ_posix_spawn || id == HJ_posix_spawnp || id == HJ_system || id == HJ_popen))
		invoke = hj_follow_exec(&c, invoke);
	if (!c.decided && hj_cfg.follow && (exec || id == HJ_posix_spawn || id == HJ_posix_spawnp))
		warn_unhookable(id, a);
	bool ns_change = hj_unlikely(id == HJ_unshare || id == HJ_setns) && !c.decided;
	if (ns_change)
		hj_ctl_before_unshare(id, a);
	BUSY_LEAVE();

	if (c.delay_ns)
		sleep_ns(c.delay_ns);
	if (sig)
		own_call(SYS_tgkill, own_call(SYS_getpid, 0, 0, 0), own_call(SYS_gettid, 0, 0, 0), sig);
again:
	if (!c.decided) {
		uint64_t t0 = timed ? now_ns() : 0;
		/* readdir says "no more" with NULL and errno untouched */
		errno = id == HJ_readdir ? 0 : saved_errno;
		int outer = hj_lib_call;
		if (hj_sud_on && hj_row_library_level(id))
			hj_lib_call = id + 1;
		c.ret = invoke(a);
		hj_lib_call = outer;
		c.err = errno;
		if (id == HJ_readdir && c.ret == 0 && c.err == 0) {
			c.end = true;
			c.err = saved_errno;
		}
		c.ran_ok = !hj_is_failure(&c);
		if (timed)
			c.dur_ns = now_ns() - t0;
		/* buf= gave other bytes: the program hears about its own, or it
		 * would count the difference as written (or still to write) */
		if (c.asked >= 0 && c.ret >= 0)
			c.ret = c.ret >= buf_count(&c) ? c.asked : c.ret < c.asked ? c.ret : c.asked;
	}
	if (delay_exit)
		sleep_ns(delay_exit);

	BUSY_ENTER();
	if (ns_change)
		hj_ctl_after_unshare();
	c.after = true;		/* results are there to read from here on */
	n = hj_has_rules(id, HJ_AFTER) && !hj_no_ruby ? hj_rules_for(id, HJ_AFTER, rules, 64, &c) : 0;
	if (n) {
		uint64_t before = c.delay_ns;
		hj_vm_run(&c, rules, n);
		if (c.delay_ns > before)	/* call.delay in an after block */
			sleep_ns(c.delay_ns - before);
	}
	if (hj_unlikely(c.retry) && !c.decided) {
		c.retry = false;
		BUSY_LEAVE();
		goto again;
	}
	if (hj_unlikely(c.follow != NULL))	/* the trace shows the program's own envp */
		hj_follow_exec_done(&c);
	if (hj_unlikely(exec) && !c.decided)
		hj_ctl_exec_failed();
	bool fork_child = (id == HJ_fork || id == HJ_vfork || id == HJ_clone || id == HJ_clone3) && c.ret == 0 &&
			  !c.decided;
	if (!fork_child) {
		if (trace)
			hj_trace_call(&c);
		if (hj_cfg.summary && !precounted)
			hj_summary_add(&c);
		else if (precounted)
			hj_summary_exec_failed(&c);
	}
	hj_fd_track(&c);
	if (hj_unlikely(c.owns))
		for (int i = 0; i < HJ_MAXARGS; i++)
			hj_free(c.owned[i]);
	BUSY_LEAVE();

	errno = c.err;
	return c.ret;
}

void hj_report_call(struct hj_call *c)
{
	if (traced(c->id))
		hj_trace_call(c);
	if (hj_cfg.summary)
		hj_summary_add(c);
}
