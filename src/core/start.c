/* The library's life in a process: start at load, follow fork, finish at
 * exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"
#include "syscall/sud.h"
#include "vmlib/vmlib.h"

/* The fork handlers are busy from the first to the last line: fork()
 * runs them after our wrapper has stopped being busy, and the calls
 * they make (getpid in hj_note_fork, munmap...) are ours, not
 * the program's. Reaching its hooks from there ran a getpid block in
 * both parent and child of every fork a signal handler made, which made
 * the handler outlast the program's timer: a livelock. */
static void before_fork(void)
{
	hj_enter();
	/* once here, not in every child (vm/defer.c); not from inside our
	 * own work (a handler's fork), whose locks this thread may hold */
	if (hj_busy == 1) {
		hj_vm_start_before_fork();
		hj_peek_before_fork();	/* once here, not in every child */
	}
	hj_in_atfork = 1;
	hj_proc_before_fork();
	hj_vm_before_fork();
	/* the fork's own clone comes next: the layer must see it */
	hj_sud_selector = hj_sud_on;
}

static void after_fork_parent(void)
{
	hj_sud_selector = 0;	/* ours again */
	hj_vm_after_fork_parent();
	hj_note_fork();
	hj_in_atfork = 0;
	hj_leave();
}

static void after_fork_child(void)
{
	hj_alloc_forked();
	hj_sud_forked();
	hj_vm_after_fork();
	hj_vm_defer_forked();
	hj_note_fork();
	hj_output_forked();
	hj_proc_forked();
	hj_summary_forked();
	/* under --no-follow a child is not ours: it runs no at_exit blocks */
	if (hj_cfg.follow)
		hj_note_self();
	hj_ctl_forked();
	hj_peek_forked();
	if (!hj_cfg.follow)
		hj_want_none();
	hj_in_atfork = 0;
	hj_leave();
}

/* ---- start-up ----
 * At our constructor, or earlier: a call made before it (from another
 * library's constructor, which the loader may run first) starts the
 * library itself, so that such a call is hooked too. Until then every
 * call is "wanted" and comes to hj_dispatch_early. */

extern char **environ;

static int start_state;		/* 0 not started, 1 starting, 2 started */
/* Loaded by hijack attach (dlopen, no HIJACK_* settings): nothing starts
 * until its remote call to hj_attach (core/attach.c), whose errors are
 * returned to it, not ended on (the program is not ours to end). */
static bool dormant, attaching;
static char attach_err[512];

/* The layer could not start (valgrind, an old kernel): the run sees the
 * calls made through libc's functions only, and says so once, in the
 * run's first process (every process without the launcher). */
static void layer_off_note(void)
{
	const char *why = hj_sud_why_off(), *quiet = hj_env("HIJACK_QUIET");
	if (hj_sud_on || !*why || !strcmp(why, "HIJACK_SYSCALLS=0") || (quiet && *quiet == '1') ||
	    (hj_cfg.root_pid && hj_cfg.root_pid != (int)syscall(SYS_getpid)))
		return;
	char line[320];
	int n = snprintf(line, sizeof line, "hijack: the system-call layer is off (%s): only the calls made "
			 "through libc's functions are seen\n", why);
	hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static void start(int argc, char **argv)
{
	hj_enter();
	Dl_info self;
	const char *self_path = dladdr((void *)start, &self) && self.dli_fname ? self.dli_fname : NULL;
	const char *scripts = hj_env("HIJACK_SCRIPT"), *evals = hj_env("HIJACK_EVAL");
	/* the launcher's table with no call in it ("-;|-;", vm/defer.c): the
	 * scripts made no rule, and no process of the run starts a VM */
	const char *table = hj_env("HIJACK_RUBY_CALLS");
	bool ruby = ((scripts && *scripts) || (evals && *evals)) && !(table && !strcmp(table, "-;|-;"));
	char err[512];
	/* Ruby's library only where scripts may need it (vmlib/vmlib.h), and
	 * here, before the layer starts: the loader's calls are ours */
	if (ruby && !hj_ruby_load(self_path, err, sizeof err)) {
		if (attaching) {	/* never end a process we attached to */
			snprintf(attach_err, sizeof attach_err, "%s", err);
			hj_leave();
			return;
		}
		fprintf(stderr, "hijack: %s\n", err);
		_exit(2);
	}
	/* the layer first: the calls that follow are ours, not the program's,
	 * and the names in the run's sets and rules mean the system calls it
	 * sees */
	hj_sud_start();
	hj_note_self();
	hj_want_none();	/* from here, what the run wants */
	/* the program sees none of ours; children get them back */
	hj_env_hide(self_path);
	if (!hj_config_load(err, sizeof err)) {
		if (attaching) {
			snprintf(attach_err, sizeof attach_err, "%s", err);
			hj_leave();
			return;
		}
		fprintf(stderr, "hijack: %s\n", err);
		_exit(2);
	}
	hj_output_start();
	hj_sud_early_report();
	scripts = hj_env("HIJACK_SCRIPT");	/* from our copy: environ has lost them */
	evals = hj_env("HIJACK_EVAL");
	/* with the launcher's table of the calls Ruby rules take, the VM
	 * waits for the first of them (vm/defer.c) */
	if (ruby &&
	    !hj_vm_defer(hj_env("HIJACK_RUBY_CALLS"), scripts, evals, hj_env("HIJACK_BYTECODE"), argc, argv) &&
	    !hj_vm_start(scripts, evals, hj_env("HIJACK_BYTECODE"), argc, argv)) {
		if (attaching) {
			snprintf(attach_err, sizeof attach_err, "the scripts do not load (see the trace output)");
			hj_leave();
			return;
		}
		_exit(2);
	}
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	layer_off_note();
	hj_follow_init();
	hj_vdso_hook();		/* after the scripts: their hooks say which clocks are wanted */
	hj_ctl_start();
	__atomic_store_n(&hj_started, 1, __ATOMIC_RELEASE);
	hj_attach_state = 1;
	hj_leave();
}

/* Starts once; false while another thread is starting. */
static bool start_once(int argc, char **argv)
{
	int state = 0;
	if (__atomic_compare_exchange_n(&start_state, &state, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		start(argc, argv);
		__atomic_store_n(&start_state, 2, __ATOMIC_RELEASE);
		return true;
	}
	return state == 2;
}

/* argv before main: the loader passes it to constructors only, so read
 * it again from the kernel (into memory of our own, never given back) */
static char **early_argv(int *argc)
{
	static char *none[] = { NULL };
	*argc = 0;
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return none;
	size_t cap = 1 << 16, len = 0;
	char *buf = hj_env_map(cap);
	for (long got = 1; buf && got > 0; len += (size_t)got) {
		if (len + 1 >= cap) {
			char *more = hj_env_map(cap * 2);
			if (more)
				memcpy(more, buf, len);
			hj_env_unmap(buf, cap);
			buf = more;
			cap *= 2;
			if (!buf)
				break;
		}
		got = syscall(SYS_read, fd, buf + len, cap - len - 1);
		if (got < 0)
			got = 0;
	}
	syscall(SYS_close, fd);
	if (!buf)
		return none;
	buf[len] = 0;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += !buf[i];
	char **argv = hj_env_map(sizeof *argv * ((size_t)n + 1));
	if (!argv)
		return none;
	for (size_t i = 0; i < len && *argc < n; i += strlen(buf + i) + 1)
		argv[(*argc)++] = buf + i;
	argv[*argc] = NULL;
	return argv;
}

/* A call before our constructor. The allocator's pass (the loader calls
 * it before libc is ready); so do other threads' (one thread starts, and
 * the loader runs constructors on the main thread). */
long hj_dispatch_early(int id, long *a, hj_invoke_fn invoke)
{
	if (dormant)
		return invoke(a);
	int state = __atomic_load_n(&start_state, __ATOMIC_ACQUIRE);
	if (state == 0 && !(hj_calls[id].groups & G_ALLOC) && environ) {
		/* the layer first: the calls that follow are ours, not the
		 * program's (hj_busy is 0 here: a wrapper sent the call) */
		hj_enter();
		hj_sud_start();
		bool main_thread = hj_gate_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0) ==
				   hj_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
		int argc = 0;
		char **argv = main_thread ? early_argv(&argc) : NULL;
		hj_leave();
		if (main_thread && start_once(argc, argv))
			state = 2;
	}
	return state == 2 ? hj_dispatch(id, a, invoke) : invoke(a);
}

/* glibc passes argc, argv and envp to the constructors of loaded objects. */
__attribute__((constructor)) static void hj_start(int argc, char **argv, char **envp)
{
	/* dlopen'ed by hijack attach: no settings of ours, not preloaded */
	bool ours = false;
	for (char **e = envp; e && *e && !ours; e++)
		ours = !strncmp(*e, "HIJACK_", 7) || (!strncmp(*e, "LD_PRELOAD=", 11) && strstr(*e, "libhijack"));
	if (!ours) {
		dormant = true;
		return;
	}
	start_once(argc, argv);
}

/* hijack attach's first remote call (core/attach.c), with the settings
 * adopted: the start the constructor would have made. NULL, or why not. */
const char *hj_start_attached(void)
{
	attaching = true;
	dormant = false;
	*attach_err = 0;
	hj_enter();
	int argc = 0;
	char **argv = early_argv(&argc);
	hj_leave();
	start_once(argc, argv);
	if (!*attach_err)
		return NULL;
	/* undone: the layer off in this thread, nothing wanted */
	hj_want_none();
	hj_sud_attach_thread(false);
	hj_sud_detach();
	dormant = true;
	__atomic_store_n(&start_state, 0, __ATOMIC_RELEASE);
	return attach_err;
}

/* ---- the end of a process: exit() (the destructor) or _exit/_Exit (the
 * exit_group wrapper); signals and raw exit_group end it with neither,
 * and then only the counts, already on disk, reach the summary. ----
 *
 * Hijack.at_exit blocks run in whichever process ends, once per process:
 * a forked child inherits its parent's blocks (and its Ruby state) and
 * runs them when it ends, by exit or by _exit, as libfaketime's and
 * strace's users expect every process to be seen to the end. (Ruby's own
 * at_exit differs: it skips them on exit!.) An exec'd image starts with
 * the blocks its own scripts register. */
static pid_t self_pid;
static int ending;

/* asked of the kernel directly: never a call of the program's */
void hj_note_self(void) { self_pid = (pid_t)hj_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0); }

/* False in a child made without our fork handlers (a raw clone or fork
 * syscall, a real vfork): one that shares our memory must not run the
 * parent's blocks nor touch its state, and one that does not is not
 * known to be in a state to run them. Its counts, under the launcher,
 * go on adding to its parent's file. */
static bool our_process(void)
{
	return (pid_t)hj_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) == self_pid;
}

void hj_exit_begin(void)
{
	if (!our_process() || __atomic_exchange_n(&ending, 1, __ATOMIC_ACQ_REL))
		return;
	hj_vm_at_exit();
}

void hj_exit_end(void)
{
	static int ended;	/* exit(): the destructor, then exit_group's trap */
	if (!our_process() || __atomic_exchange_n(&ended, 1, __ATOMIC_ACQ_REL))
		return;
	hj_enter();
	hj_ctl_stop();
	hj_report_small_stack();
	hj_summary_flush();
	hj_output_finish();
	hj_leave();
}

__attribute__((destructor)) static void hj_finish(void)
{
	hj_enter();	/* our calls, not the program's */
	hj_exit_begin();
	hj_exit_end();
	hj_leave();
}
