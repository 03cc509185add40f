/* The VM started at a process's first call that a Ruby rule takes, not
 * at its start: most processes of a build or a shell script make no such
 * call and never pay for mrb_open and the scripts' load (issue 11).
 *
 * The launcher loads the compiled scripts once, in a child of its own
 * (as --enforce reads its plan), and reads back which calls have Ruby
 * rules: HIJACK_RUBY_CALLS, "g;ID,ID,..." ("g": a rule has a path filter,
 * so descriptors are followed from the start), or "eager" when the load
 * did what only a load in the process itself can do: an at_exit block,
 * output or a write, a look at the process (Hijack.pid, argv, rand,
 * monotonic, run_dir, enforcing?) that may decide which rules there
 * are. A process given the table wants those calls and starts the VM at
 * the first of them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/ucontext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/engine.h"

unsigned char hj_vm_ruby_calls[HJ_NCALLS];
int hj_vm_deferred;		/* 1: the VM waits for a call of hj_vm_ruby_calls */
bool hj_vm_peeked;		/* the load looked at the process (api.c) */

bool hj_vm_sealed_check(const char *spec);
bool hj_vm_has_at_exit(void);
void hj_tz_init(void);

static struct { const char *scripts, *evals, *bytecode; int argc; char **argv; bool any; } later;
static int state;		/* 0 waiting, 1 starting, 2 started */

bool hj_vm_defer(const char *table, const char *scripts, const char *evals, const char *bytecode, int argc, char **argv)
{
	/* two tables, "WITH_LAYER|WITHOUT": a name means other calls when
	 * the system-call layer is on (hj_call_expand) */
	const char *bar = table ? strchr(table, '|') : NULL;
	if (bar && !hj_sud_on)
		table = bar + 1;
	if (!bar || (strncmp(table, "g;", 2) && strncmp(table, "-;", 2)))
		return false;
	static unsigned char ids[HJ_NCALLS];
	for (const char *p = table + 2; *p && *p != '|';) {
		char *end;
		long id = strtol(p, &end, 10);
		if (end == p || id < 0 || id >= HJ_NCALLS || (*end && *end != ',' && *end != '|'))
			return false;
		ids[id] = 1;
		p = *end == ',' ? end + 1 : end;
	}
	if (bytecode && *bytecode && !hj_vm_sealed_check(bytecode))
		_exit(2);	/* it said why */
	hj_tz_init();	/* as hj_vm_start would: never from inside a call */
	later.scripts = scripts;
	later.evals = evals;
	later.bytecode = bytecode;
	later.argc = argc;
	later.argv = argv;
	memcpy(hj_vm_ruby_calls, ids, sizeof ids);
	for (int id = 0; id < HJ_NCALLS; id++)
		if (ids[id]) {
			hj_want(id);
			later.any = true;
		}
	if (table[0] == 'g')
		hj_fd_cache_enable();
	__atomic_store_n(&hj_vm_deferred, 1, __ATOMIC_RELEASE);
	return true;
}

/* the preload library's (syscall/gate.S); the launcher has none */
long hj_call_on_stack(long (*fn)(void *), void *arg, void *top) __attribute__((weak));
#define START_STACK (1024 * 1024)

static long start_now(void *arg)
{
	(void)arg;
	return hj_vm_start(later.scripts, later.evals, later.bytecode, later.argc, later.argv);
}

/* From dispatch (busy): the first call a Ruby rule takes. Another thread
 * that comes meanwhile waits for the rules. The VM starts on a stack of
 * its own: the call may come on a thread's small stack, with only the
 * room a hook needs (dispatch.c's STACK_NEEDED). */
void hj_vm_start_deferred(void)
{
	int expected = 0;
	if (__atomic_compare_exchange_n(&state, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		int saved = errno;
		char *stack = hj_call_on_stack ? mmap(NULL, START_STACK, PROT_READ | PROT_WRITE,
						      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0)
					       : MAP_FAILED;
		long ok = stack != MAP_FAILED ? hj_call_on_stack(start_now, NULL, stack + START_STACK) : start_now(NULL);
		if (stack != MAP_FAILED)
			munmap(stack, START_STACK);
		if (!ok)
			_exit(2);	/* it said why */
		errno = saved;
		__atomic_store_n(&state, 2, __ATOMIC_RELEASE);
		__atomic_store_n(&hj_vm_deferred, 0, __ATOMIC_RELEASE);
		return;
	}
	while (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 1)
		sched_yield();	/* ours: we are busy */
}

/* Before a fork or a spawn (from dispatch, or the fork's handler; busy):
 * a child would start a VM of its own at its first hooked call, each
 * child again (a shell's loop, make), and a vfork-style child shares our
 * memory: the VM starts here, once, and the children inherit it. A
 * table with no call (an empty script) leaves it waiting. */
void hj_vm_start_before_fork(void)
{
	if (__atomic_load_n(&hj_vm_deferred, __ATOMIC_ACQUIRE) && later.any && hj_cfg.follow && !hj_no_ruby)
		hj_vm_start_deferred();
}

/* After fork: a start another thread had under way is not the child's
 * (that thread is gone); the child starts afresh at its first call. */
void hj_vm_defer_forked(void)
{
	if (__atomic_load_n(&state, __ATOMIC_ACQUIRE) == 1 && !hj_vm_active())
		state = 0;
}

/* ---- the launcher's side ----
 * The child reads the scripts without acting on the world: every system
 * call but reading, memory and the answer's write is refused (EPERM)
 * and noted, and a load that tried one is left to the processes. */

static volatile sig_atomic_t refused;

static void on_refused(int sig, siginfo_t *si, void *ucv)
{
	(void)sig, (void)si;
	refused = 1;
	((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX] = -EPERM;
}

static bool read_only(int answer_fd)
{
	static const int allowed[] = {
		SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_close, SYS_fstat, SYS_newfstatat, SYS_statx,
		SYS_lstat, SYS_stat, SYS_lseek, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_brk, SYS_mremap,
		SYS_madvise, SYS_getpid, SYS_gettid, SYS_clock_gettime, SYS_gettimeofday, SYS_time,
		SYS_getrandom, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
		SYS_futex, SYS_exit, SYS_exit_group, SYS_fcntl, SYS_getdents64, SYS_readlink, SYS_readlinkat,
		SYS_access, SYS_faccessat, SYS_faccessat2, SYS_uname, SYS_getcwd, SYS_sched_yield,
		SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_prlimit64, SYS_sysinfo,
	};
	enum { N = sizeof allowed / sizeof allowed[0] };
	const int writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	struct sock_filter f[2 * N + 16];
	int n = 0;
#define OP(code, k) (f[n++] = (struct sock_filter)BPF_STMT(code, k))
#define JEQ(k, yes, no) (f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, yes, no))
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	JEQ(AUDIT_ARCH_X86_64, 1, 0);
	OP(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < N; i++) {
		JEQ((unsigned)allowed[i], 0, 1);
		OP(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	/* write: the answer's pipe only */
	JEQ(SYS_write, 0, 2);			/* 0 */
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	JEQ((unsigned)answer_fd, 6, 7);		/* 2: -> 9 allow, 10 trap */
	/* open and openat: for reading */
	JEQ(SYS_open, 0, 2);			/* 3: -> 4, 6 */
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1]));
	OP(BPF_JMP | BPF_JA, 2);		/* 5: -> 8 */
	JEQ(SYS_openat, 0, 3);			/* 6: -> 7, 10 trap */
	OP(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2]));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (unsigned)writes, 1, 0);	/* 8 */
	OP(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);	/* 9 */
	OP(BPF_RET | BPF_K, SECCOMP_RET_TRAP);	/* 10 */
#undef OP
#undef JEQ
	struct sigaction sa = { .sa_sigaction = on_refused, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	return sigaction(SIGSYS, &sa, NULL) == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0;
}

/* One table, as a process with the layer on (or off) reads the rules:
 * a child started (its pid, and the pipe its answer comes on), or pid -1. */
struct plan { pid_t pid; int fd; };

static struct plan plan_start(bool layer, const char *bytecode, int argc, char **argv)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return (struct plan){ -1, -1 };
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return (struct plan){ -1, -1 };
	}
	if (pid == 0) {
		close(fds[0]);
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)	/* the process says it again */
			_exit(2);
		hj_sud_on = layer;	/* the names as such a process reads them */
		/* the rules go into the run's table of rules that never fired,
		 * for the processes that never load them; once, as the layer
		 * names their calls (fired.c) */
		if (layer)
			hj_fired_planning();
		else
			hj_fired_off();
		hj_tz_init();	/* before the filter: it may open what it likes */
		if (!read_only(fds[1]) || !hj_vm_start(NULL, NULL, bytecode, argc, argv))
			_exit(2);
		bool eager = hj_vm_peeked || hj_vm_has_at_exit() || refused;
		static char out[HJ_NCALLS * 5 + 8];
		size_t len = (size_t)snprintf(out, sizeof out, "%s", eager ? "eager" : "-;");
		bool globs = false;
		for (int i = 0; !eager && i < hj_rule_count(); i++)
			globs |= hj_rule_get(i)->nglobs || hj_rule_get(i)->nexcept;
		if (globs)
			out[0] = 'g';
		for (int id = 0; !eager && id < HJ_NCALLS; id++)
			if (hj_has_rules(id, HJ_BEFORE) || hj_has_rules(id, HJ_AFTER))
				len += (size_t)snprintf(out + len, sizeof out - len, "%s%d", out[len - 1] == ';' ? "" : ",", id);
		_exit(write(fds[1], out, len) == (ssize_t)len ? 0 : 2);
	}
	close(fds[1]);
	return (struct plan){ pid, fds[0] };
}

/* Its answer; NULL when the scripts could not be read so. */
static char *plan_finish(struct plan p)
{
	if (p.pid < 0)
		return NULL;
	char *text = malloc(HJ_NCALLS * 5 + 8);
	size_t size = 0;
	for (ssize_t r; text && size < HJ_NCALLS * 5 + 7 && (r = read(p.fd, text + size, HJ_NCALLS * 5 + 7 - size)) != 0;) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		size += (size_t)r;
	}
	close(p.fd);
	if (text)
		text[size] = 0;
	int ws;
	while (waitpid(p.pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!text || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || !size) {
		free(text);
		return NULL;
	}
	return text;
}

/* The launcher's: HIJACK_RUBY_CALLS for the run, or NULL (every process
 * starts its VM at start, as without it). The caller frees it. */
char *hj_vm_defer_plan(const char *bytecode, int argc, char **argv)
{
	/* the two readings side by side: the run waits for the slower */
	struct plan on = plan_start(true, bytecode, argc, argv), off = plan_start(false, bytecode, argc, argv);
	char *with = plan_finish(on), *without = plan_finish(off);
	if (with && !strcmp(with, "eager")) {
		free(without);
		without = NULL;
	}
	char *both = without && strcmp(without, "eager") ? malloc(strlen(with) + strlen(without) + 2) : NULL;
	if (both)
		sprintf(both, "%s|%s", with, without);
	free(with);
	free(without);
	return both;
}
