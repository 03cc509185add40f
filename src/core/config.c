/* Settings handed from the launcher (or the user) through the environment:
 *   HIJACK_SCRIPT   scripts, ':'-separated      HIJACK_EVAL    inline code, '\x1e'-separated
 *   HIJACK_TRACE    trace set ("" for all)       HIJACK_JSON    1: JSON lines
 *   HIJACK_SUMMARY  1, or a directory for the launcher to add up
 *   HIJACK_OUTPUT   file for trace, logs, summary   HIJACK_OUTPUT_FD  inherited fd for them
 *   HIJACK_OUTPUT_SEPARATELY  1: -ff, each process writes HIJACK_OUTPUT.PID
 *   HIJACK_INJECT   --inject specs, '\x1e'-separated   HIJACK_SEED   HIJACK_FOLLOW=0
 *   HIJACK_ROOT_PID the first traced process
 *   HIJACK_BYTECODE the launcher's compiled scripts and evals, used while they exist
 *   HIJACK_EPOCH    "REALTIME_NS MONOTONIC_NS" at the start of the run, set by its first process
 *   HIJACK_RECORD   --record file        HIJACK_REPLAY  --replay file
 *   HIJACK_PROC     this process's name in the tree, for record and replay
 *   HIJACK_HOOK_TIMEOUT  --hook-timeout   HIJACK_VM_MEMORY  --vm-memory */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "core/engine.h"
#include "core/ownfd.h"

/* "A B", two decimal numbers, read without sscanf: its code is pages
 * every process would fault in (issue 11) */
static bool two_numbers(const char *s, unsigned long long *a, unsigned long long *b)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	*a = strtoull(s, &end, 10);
	if (*end != ' ' || end[1] < '0' || end[1] > '9')
		return false;
	*b = strtoull(end + 1, NULL, 10);
	return true;
}

struct hj_config hj_cfg = { .follow = true };

/* The default trace set: every call but the allocator's, which are not
 * system calls and would drown the rest (name them to see them). */
static void default_set(uint64_t *set)
{
	for (int i = 0; i < HJ_NCALLS; i++)
		if (hj_sud_on ? hj_row_sysnr(i) >= 0 : !(hj_calls[i].groups & G_ALLOC))
			set[i / 64] |= 1ull << (i % 64);
}

/* hijack ctl stats, hijack top: a process run without -c counts from
 * now on, the calls -c would count, and prints no table at its end. */
extern bool hj_summary_unasked;
void hj_config_count_all(void)
{
	if (__atomic_load_n(&hj_cfg.summary, __ATOMIC_ACQUIRE))
		return;
	uint64_t set[(HJ_NCALLS + 63) / 64] = { 0 };
	default_set(set);
	hj_summary_unasked = true;
	for (int i = 0; i < HJ_NCALLS; i++)
		if (set[i / 64] >> (i % 64) & 1) {
			if (hj_sud_on && hj_row_library_level(i))
				hj_want_syscall(i);
			else
				hj_want(i);
		}
	__atomic_store_n(&hj_cfg.summary, true, __ATOMIC_RELEASE);
}

bool hj_config_load(char *err, size_t errlen)
{
	const char *v;
	hj_cfg.output = hj_env("HIJACK_OUTPUT");
	hj_cfg.output_separately = (v = hj_env("HIJACK_OUTPUT_SEPARATELY")) && *v == '1';
	hj_cfg.json = (v = hj_env("HIJACK_JSON")) && *v == '1';
	hj_cfg.follow = !((v = hj_env("HIJACK_FOLLOW")) && *v == '0');
	hj_cfg.root_pid = (v = hj_env("HIJACK_ROOT_PID")) ? atoi(v) : 0;
	if ((v = hj_env("HIJACK_SEED")) && *v) {
		if (!hj_parse_u64(v, &hj_cfg.seed)) {
			snprintf(err, errlen, "HIJACK_SEED=%s: not a number from 0 to 18446744073709551615", v);
			return false;
		}
	} else
		hj_cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((v = hj_env("HIJACK_SUMMARY"))) {
		hj_cfg.summary = true;
		if (*v && strcmp(v, "1"))
			hj_cfg.summary_dir = v;
	}
	if ((v = hj_env("HIJACK_TRACE"))) {
		hj_cfg.trace = true;
		if (*v && strcmp(v, "all")) {
			if (!hj_set_parse(v, hj_cfg.trace_set, err, errlen))
				return false;
		} else {
			default_set(hj_cfg.trace_set);
		}
	} else if (hj_cfg.summary) {
		default_set(hj_cfg.trace_set);
	}
	/* a call of the default set that is also a library function (the
	 * vDSO's clocks) is traced where it is a system call, as strace does */
	bool named = hj_cfg.trace && (v = hj_env("HIJACK_TRACE")) && *v && strcmp(v, "all");
	if (hj_cfg.trace || hj_cfg.summary)
		for (int i = 0; i < HJ_NCALLS; i++)
			if (hj_cfg.trace_set[i / 64] >> (i % 64) & 1) {
				if (!named && hj_sud_on && hj_row_library_level(i))
					hj_want_syscall(i);
				else
					hj_want(i);
			}
	/* the run's start: from the launcher, or taken here by the first
	 * process (and handed down) when the library is preloaded by hand */
	unsigned long long er, em;
	if ((v = hj_env("HIJACK_EPOCH")) && two_numbers(v, &er, &em)) {
		hj_cfg.epoch_real = er;
		hj_cfg.epoch_mono = em;
	} else {
		struct timespec r, m;
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m);
		hj_cfg.epoch_real = (uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec;
		hj_cfg.epoch_mono = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
		char val[64];
		snprintf(val, sizeof val, "%llu %llu", (unsigned long long)hj_cfg.epoch_real, (unsigned long long)hj_cfg.epoch_mono);
		hj_env_set("HIJACK_EPOCH", val);
	}
	v = hj_env("HIJACK_HOOK_TIMEOUT");
	if (!hj_parse_seconds(v && *v ? v : HJ_HOOK_TIMEOUT_DEFAULT, &hj_cfg.hook_timeout_ns)) {
		snprintf(err, errlen, "HIJACK_HOOK_TIMEOUT=%s: not a duration (2, 2s, 500ms; 0: none)", v);
		return false;
	}
	v = hj_env("HIJACK_VM_MEMORY");
	if (!hj_parse_bytes(v && *v ? v : HJ_VM_MEMORY_DEFAULT, &hj_cfg.vm_memory)) {
		snprintf(err, errlen, "HIJACK_VM_MEMORY=%s: not a size (64M, 1G; 0: none)", v);
		return false;
	}
	hj_proc_init();
	if ((v = hj_env("HIJACK_RECORD")) && *v)
		hj_cfg.record = v;
	if ((v = hj_env("HIJACK_REPLAY")) && *v && !hj_replay_load(v, hj_proc_name(), err, errlen))
		return false;
	if ((v = hj_env("HIJACK_INJECT")) && *v) {
		char *copy = hj_strdup(v);
		for (char *save, *spec = strtok_r(copy, "\x1e", &save); spec; spec = strtok_r(NULL, "\x1e", &save)) {
			struct hj_inject *inj = hj_inject_parse(spec, err, errlen);
			if (!inj) {
				hj_free(copy);
				return false;
			}
			hj_inject_add(inj);
		}
		hj_free(copy);
	}
	return true;
}

/* ---- following exec ----
 * Our entries are not in the program's environment (env.c hid them): they
 * go into each exec'd child's, whether it inherits environ (execv, system)
 * or gets an environment of the program's making (execve, env -i,
 * subprocess with env=). With --no-follow only the process's own exec
 * gets them (strace without -f); what it forks or spawns starts bare. */

extern char **environ;

/* libc's own, behind our wrappers (resolved at start: a vfork child is no
 * place for dlsym) */
#pragma weak hj_reals	/* the preload library's; the launcher links no wrappers */
#pragma weak hj_resolve

static pid_t self_pid;		/* under --no-follow: the process whose own exec keeps us */

void hj_follow_init(void)
{
	/* --no-follow is strace's "no -f": the process keeps us across its
	 * own exec (same pid); what it forks or spawns starts without us */
	static const int execs[] = { HJ_execve, HJ_execv, HJ_execvp, HJ_execvpe, HJ_execl, HJ_execlp,
				     HJ_execle, HJ_posix_spawn, HJ_posix_spawnp, HJ_system, HJ_popen };
	if (!hj_env_preload())
		return;
	self_pid = (pid_t)syscall(SYS_getpid);
	for (size_t i = 0; i < sizeof execs / sizeof execs[0]; i++)
		if (hj_cfg.follow || hj_calls[execs[i]].ret == R_EXEC)
			hj_want(execs[i]);
	(void)REAL(execve), (void)REAL(execvpe), (void)REAL(posix_spawn), (void)REAL(popen), (void)REAL(system);
}

/* The memory an exec's environment takes (from mmap: a vfork child or a
 * program with its own malloc is no place for malloc): a header, the
 * pointers, then the merged LD_PRELOAD entry. */
struct block {
	size_t size;
	bool keep;		/* environ holds copies of its pointers: never unmapped */
	int kept[2];		/* --no-follow: our descriptors kept open across the exec */
	pid_t pid;		/* the process that made it (a vfork child's is not ours) */
	struct block *prev;	/* the thread's exec in flight before it */
	long given;		/* the envp argument the program gave */
	int slot;		/* its index in the call's arguments, or -1 */
	char *env[];
};

static bool is_ours(const char *s, char *const *mine, const struct block *b)
{
	for (char *const *m = mine; *m; m++)
		if (s == *m)
			return true;
	return s >= (const char *)b && s < (const char *)b + b->size;
}

/* envp with our entries added, in a block of its own; NULL to leave envp
 * as it is: it names hijack's settings itself (a launcher of ours, or a
 * copy of the environment taken before we hid it), or no memory */
static struct block *with_ours(char *const *envp)
{
	const char *lib = hj_env_preload() + 11, *theirs = NULL;
	size_t n = 0;
	for (; envp && envp[n]; n++) {
		if (!strncmp(envp[n], "HIJACK_", 7))
			return NULL;
		if (!strncmp(envp[n], "LD_PRELOAD=", 11))
			theirs = envp[n] + 11;
	}
	char *const *mine = hj_env_ours();
	size_t nours = 0;
	while (mine[nours])
		nours++;
	size_t llen = strlen(lib), tlen = theirs ? strlen(theirs) : 0;
	size_t size = sizeof(struct block) + sizeof(char *) * (n + nours + 2) + 11 + llen + 1 + tlen + 1;
	struct block *b = hj_env_map(size);
	if (!b)
		return NULL;
	b->size = size;
	char *preload = (char *)(b->env + n + nours + 2);
	memcpy(preload, "LD_PRELOAD=", 11);
	memcpy(preload + 11, lib, llen);
	size_t at = 11 + llen;
	/* theirs already naming us (a copy of ours): as it is */
	if (theirs && strstr(theirs, lib))
		at = 11;
	else if (theirs && *theirs)
		preload[at++] = ':';
	memcpy(preload + at, theirs ? theirs : "", tlen + 1);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "LD_PRELOAD=", 11))
			b->env[m++] = envp[i];
	for (size_t k = 0; k < nours; k++)
		b->env[m++] = mine[k];
	b->env[m++] = preload;
	b->env[m] = NULL;
	return b;
}

/* The blocks of the execs in flight on this thread (more than one when a
 * signal handler execs during system's wait). A vfork child shares its
 * parent's memory and thread: when its exec succeeds nothing comes back
 * to give its block back, so the parent does at its next exec. */
static __thread struct block *inflight __attribute__((tls_model("initial-exec")));

/* execv, execl, execvp, execlp read environ: they are made as execve and
 * execvpe with ours added, environ untouched (a vfork child's successful
 * exec never comes back to put it back) */
static long execve_ours(const long *a)
{
	return REAL(execve)((const char *)a[0], (char *const *)a[1], inflight->env);
}

static long execvpe_ours(const long *a)
{
	return REAL(execvpe)((const char *)a[0], (char *const *)a[1], inflight->env);
}

/* system() as glibc makes it (posix_spawn of /bin/sh -c; SIGINT and SIGQUIT
 * ignored and SIGCHLD blocked in the caller while it waits; 127 when no
 * shell ran) but with an explicit environment, so that the program's
 * environ never holds ours, not even for the wait */
static pthread_mutex_t system_lock = PTHREAD_MUTEX_INITIALIZER;
static int system_users;
static struct sigaction system_int, system_quit;

static long system_ours(const long *a)
{
	const char *line = (const char *)a[0];
	if (!line)	/* "is there a shell": no child of consequence */
		return REAL(system)(line);
	struct sigaction ign = { .sa_handler = SIG_IGN }, intr, quit;
	sigemptyset(&ign.sa_mask);
	pthread_mutex_lock(&system_lock);
	if (system_users++ == 0) {
		sigaction(SIGINT, &ign, &system_int);
		sigaction(SIGQUIT, &ign, &system_quit);
	}
	intr = system_int;
	quit = system_quit;
	pthread_mutex_unlock(&system_lock);
	sigset_t chld, omask, reset;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &chld, &omask);
	sigemptyset(&reset);
	if (intr.sa_handler != SIG_IGN)
		sigaddset(&reset, SIGINT);
	if (quit.sa_handler != SIG_IGN)
		sigaddset(&reset, SIGQUIT);
	posix_spawnattr_t attr;
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &omask);
	posix_spawnattr_setsigdefault(&attr, &reset);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	int status, err = 0;
	int r = REAL(posix_spawn)(&pid, "/bin/sh", NULL, &attr,
				  (char *const[]){ "sh", "-c", "--", (char *)line, NULL }, inflight->env);
	posix_spawnattr_destroy(&attr);
	if (r == 0) {
		pid_t w;
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			;
		if (w != pid) {
			status = -1;
			err = errno;
		}
	} else {
		status = 127 << 8;	/* as a shell that could not run the line */
	}
	pthread_mutex_lock(&system_lock);
	if (--system_users == 0) {
		sigaction(SIGINT, &system_int, NULL);
		sigaction(SIGQUIT, &system_quit, NULL);
	}
	pthread_mutex_unlock(&system_lock);
	pthread_sigmask(SIG_SETMASK, &omask, NULL);
	if (err)
		errno = err;
	return status;
}

/* popen has to stay glibc's (pclose waits on the pid it recorded), and it
 * spawns with environ: environ holds ours for the real popen alone, under
 * a lock (two at once would each put back the other's). Until popen
 * returns, another thread's getenv or environ walk can see ours; that
 * window is the spawn's length, not the child's. */
static pthread_mutex_t popen_lock = PTHREAD_MUTEX_INITIALIZER;

static long popen_ours(const long *a)
{
	struct block *b = inflight;
	pthread_mutex_lock(&popen_lock);
	char **saved = environ;
	environ = b->env;
	long r = (long)REAL(popen)((const char *)a[0], (const char *)a[1]);
	int err = errno;
	if (environ == b->env) {
		environ = saved;
	} else {
		/* the program set a variable meanwhile (another thread): its
		 * new environ holds copies of our pointers; take them out,
		 * and leave the block mapped */
		char *const *mine = hj_env_ours();
		size_t j = 0;
		for (size_t i = 0; environ && environ[i]; i++)
			if (!is_ours(environ[i], mine, b))
				environ[j++] = environ[i];
		if (environ)
			environ[j] = NULL;
		b->keep = true;
	}
	pthread_mutex_unlock(&popen_lock);
	errno = err;
	return r;
}

/* --no-follow: our descriptors (trace output, compiled scripts) are
 * close-on-exec, as children start without us; the process's own exec
 * keeps them, as it keeps us. Given back if the exec fails. */
static void keep_ours_open(struct block *b)
{
	const char *bc = hj_env("HIJACK_BYTECODE");
	int fds[2] = { hj_env("HIJACK_OUTPUT_FD") ? hj_own_fd[HJ_OWN_OUTPUT] : -1,
		       bc && !strncmp(bc, "sealed:", 7) ? hj_own_fd[HJ_OWN_SCRIPTS] : -1 };
	for (int i = 0; i < 2; i++) {
		b->kept[i] = -1;
		if (fds[i] >= 0 && syscall(SYS_fcntl, fds[i], F_GETFD) == FD_CLOEXEC &&
		    syscall(SYS_fcntl, fds[i], F_SETFD, 0) == 0)
			b->kept[i] = fds[i];
	}
}

hj_invoke_fn hj_follow_exec(struct hj_call *c, hj_invoke_fn invoke)
{
	if (!hj_env_preload())
		return invoke;
	bool own_exec = hj_calls[c->id].ret == R_EXEC;
	/* under --no-follow only the process's own exec: a vfork child's
	 * (another pid, our memory) starts without us */
	pid_t pid = (pid_t)syscall(SYS_getpid);
	if (!hj_cfg.follow && (!own_exec || pid != self_pid))
		return invoke;
	struct block *stray;
	while ((stray = inflight) && stray->pid != pid) {	/* a vfork child's that exec'd */
		inflight = stray->prev;
		if (!stray->keep)
			hj_env_unmap(stray, stray->size);
	}
	hj_scripts_before_exec();
	const struct hj_call_info *ci = &hj_calls[c->id];
	int e = -1;
	for (int i = 0; i < ci->nargs; i++)
		if (ci->args[i].kind == K_ENVP)
			e = i;
	char *const *envp = e >= 0 ? (char *const *)c->a[e] : environ;
	size_t n = 0;
	/* an envp the kernel refuses (unreadable, no NULL at its end) is
	 * left as it is: the call fails with EFAULT, as it does bare */
	if (e >= 0 && envp && !hj_strvec_ok(envp, &n))
		return invoke;
	struct block *b = with_ours(envp);
	if (!b)
		return invoke;
	b->slot = e;
	b->keep = false;
	b->kept[0] = b->kept[1] = -1;
	if (!hj_cfg.follow)
		keep_ours_open(b);
	c->follow = b;
	b->pid = pid;
	b->prev = inflight;	/* a signal handler's exec during system's wait */
	inflight = b;
	if (e >= 0) {
		b->given = c->a[e];
		c->a[e] = (long)b->env;
		return invoke;
	}
	switch (c->id) {
	case HJ_execv: case HJ_execl: return execve_ours;
	case HJ_execvp: case HJ_execlp: return execvpe_ours;
	case HJ_system: return system_ours;
	case HJ_popen: return popen_ours;
	}
	return invoke;
}

void hj_follow_exec_done(struct hj_call *c)
{
	struct block *b = c->follow;
	c->follow = NULL;
	inflight = b->prev;
	if (b->slot >= 0)
		c->a[b->slot] = b->given;
	for (int i = 0; i < 2; i++)
		if (b->kept[i] >= 0)
			syscall(SYS_fcntl, b->kept[i], F_SETFD, FD_CLOEXEC);
	if (!b->keep)
		hj_env_unmap(b, b->size);
}
