/* The program side of tests/syscall/layer.sh: signal state and the other
 * things the system-call layer takes over, each mode printing what it saw
 * (the same bare and under hijack). */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t count, depth, max_depth, last_code, last_nr, onstack;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	count++;
	last_code = si->si_code;
	last_nr = si->si_syscall;
	if (si->si_code == 1 /* SYS_SECCOMP */)
		((ucontext_t *)ucv)->uc_mcontext.gregs[REG_RAX] = 0;	/* the trapped call "succeeds" */
	(void)!write(2, "", 0);		/* a call from the handler */
}

/* SIGSYS is the program's to handle: from seccomp's SECCOMP_RET_TRAP and
 * from kill, and sigaction tells it its own handler. */
static int mode_sigsys(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO }, old;
	sigaction(SIGSYS, &sa, NULL);
	sigaction(SIGSYS, NULL, &old);
	printf("handler kept: %d\n", old.sa_sigaction == on_sigsys);
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpriority, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof filter / sizeof filter[0], filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("seccomp");
		return 1;
	}
	struct utsname u;
	int r = uname(&u);
	printf("uname trapped: r=%d count=%d code=%d nr=%d\n", r, (int)count, (int)last_code, (int)last_nr);
	errno = 0;
	r = getpriority(PRIO_PROCESS, 0);
	printf("getpriority: r=%d errno=%s\n", r, strerrorname_np(errno));
	kill(getpid(), SIGSYS);
	printf("kill: count=%d code=%d\n", (int)count, (int)last_code);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
	count++;
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	if (depth < 3)
		raise(SIGUSR1);		/* with SA_NODEFER: delivered at once, nested */
	(void)!write(2, "", 0);
	depth--;
}

/* The mask: a full block does not stop the program, blocking and
 * unblocking SIGUSR1 works, sigprocmask reports what was set. */
static void on_usr1_once(int sig)
{
	(void)sig;
	count++;
	(void)!write(2, "", 0);
}

static int mode_mask(void)
{
	signal(SIGUSR1, on_usr1_once);
	sigset_t all, old, now;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	(void)!write(1, "", 0);
	printf("blocked all, calls go on: %d\n", getppid() > 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigemptyset(&now);
	sigaddset(&now, SIGUSR1);
	sigprocmask(SIG_BLOCK, &now, NULL);
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("pending while blocked: %d, ran: %d\n", sigismember(&pend, SIGUSR1), (int)count);
	sigprocmask(SIG_UNBLOCK, &now, NULL);
	printf("after unblock ran: %d\n", (int)count);
	sigprocmask(SIG_SETMASK, NULL, &now);
	printf("usr1 blocked now: %d\n", sigismember(&now, SIGUSR1));
	return 0;
}

static int mode_nodefer(void)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_NODEFER };
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("nested: ran %d, depth %d\n", (int)count, (int)max_depth);
	return 0;
}

static void on_alt(int sig)
{
	(void)sig;
	stack_t ss;
	sigaltstack(NULL, &ss);
	onstack = (ss.ss_flags & SS_ONSTACK) != 0;
	count++;
	(void)!write(2, "", 0);
}

/* A handler on a signal stack: it makes calls, and sigaltstack tells it
 * it is on the stack, as it does bare. */
static int mode_altstack(void)
{
	size_t size = 64 * 1024;
	stack_t ss = { .ss_sp = malloc(size), .ss_size = size }, back;
	sigaltstack(&ss, NULL);
	sigaltstack(NULL, &back);
	printf("set: flags=%d size=%zu same=%d\n", back.ss_flags, back.ss_size, back.ss_sp == ss.ss_sp);
	struct sigaction sa = { .sa_handler = on_alt, .sa_flags = SA_ONSTACK };
	sigaction(SIGUSR2, &sa, NULL);
	for (int i = 0; i < 5; i++)
		raise(SIGUSR2);
	printf("handler ran %d, on its stack %d\n", (int)count, (int)onstack);
	return 0;
}

static void *worker(void *arg)
{
	for (int i = 0; i < 1000; i++)
		syscall(SYS_getppid);
	return arg;
}

static int mode_threads(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	printf("threads done\n");
	return 0;
}

static int child_fn(void *arg)
{
	(void)arg;
	(void)!write(1, "child of clone(CLONE_VM)\n", 25);
	return 7;
}

/* A child sharing our memory (no thread area of its own), a posix_spawn
 * (a vfork-style child that execs), a fork. */
static int mode_children(void)
{
	size_t size = 256 * 1024;
	char *stack = malloc(size);
	pid_t p = clone(child_fn, stack + size, CLONE_VM | SIGCHLD, NULL);
	int st;
	waitpid(p, &st, 0);
	printf("clone(CLONE_VM) child: %d\n", WEXITSTATUS(st));
	char *argv[] = { "/bin/echo", "spawned", NULL };
	if (posix_spawn(&p, "/bin/echo", NULL, NULL, argv, environ) == 0)
		waitpid(p, &st, 0);
	printf("spawn: %d\n", WEXITSTATUS(st));
	fflush(stdout);
	if ((p = fork()) == 0)
		_exit(5);
	waitpid(p, &st, 0);
	printf("fork: %d\n", WEXITSTATUS(st));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "sigsys"))
		return mode_sigsys();
	if (!strcmp(m, "mask"))
		return mode_mask();
	if (!strcmp(m, "nodefer"))
		return mode_nodefer();
	if (!strcmp(m, "altstack"))
		return mode_altstack();
	if (!strcmp(m, "threads"))
		return mode_threads();
	if (!strcmp(m, "children"))
		return mode_children();
	fprintf(stderr, "modes: sigsys mask nodefer altstack threads children\n");
	return 2;
}
