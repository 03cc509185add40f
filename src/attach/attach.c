/* hijack attach PID [OPTIONS] and hijack detach PID.
 *
 * attach: the checks first, each refusal with its own message and exit
 * status; then one thread, parked where the program holds no lock of
 * libc's (blocked in a read, a poll, a sleep...), calls libc's dlopen on
 * libhijack.so (whose constructor stays dormant: no HIJACK_* settings),
 * then hj_attach(settings), the start it would have made; then every
 * thread, one at a time, calls hj_attach_thread(1): Syscall User
 * Dispatch is per thread. Only the thread making a call is stopped: a
 * lock another thread holds is let go in time, so dlopen cannot
 * deadlock on it.
 *
 * detach: every thread calls hj_attach_thread(0), then one hj_detach():
 * the rules out of force, SIGSYS the program's again. The library stays
 * mapped (a thread may be returning through it); a second attach finds
 * it there and starts it again. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "attach/attach.h"
#include "core/engine.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

/* exit statuses (hijack --help) */
enum {
	ST_FAILED = 1,		/* the attach itself failed */
	ST_USAGE = 2,
	ST_NO_PROCESS = 3,
	ST_STATIC = 4,
	ST_TRACED = 5,
	ST_HIJACKED = 6,
	ST_PERMISSION = 7,
	ST_SECCOMP = 8,
	ST_NOT_HIJACKED = 9,	/* detach: nothing to take out */
};

#define CALL_TIMEOUT_MS 60000	/* dlopen and the scripts' load, on a loaded machine */
#define PARK_TIMEOUT_MS 10000

static int refuse(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hijack: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return status;
}

/* ---- what /proc says of the process ---- */

struct proc_info {
	pid_t pid;
	uid_t uid[4];		/* real, effective, saved, fs */
	pid_t tracer;
	int seccomp;		/* 0 none, 1 strict, 2 filter */
	char state;
	char comm[64];
};

static bool proc_status(pid_t pid, struct proc_info *pi)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	memset(pi, 0, sizeof *pi);
	pi->pid = pid;
	pid_t tgid = pid;
	while (fgets(line, sizeof line, f)) {
		unsigned a, b, c, d;
		if (sscanf(line, "Uid: %u %u %u %u", &a, &b, &c, &d) == 4) {
			pi->uid[0] = a, pi->uid[1] = b, pi->uid[2] = c, pi->uid[3] = d;
		} else if (!strncmp(line, "Name:", 5)) {
			sscanf(line + 5, " %63[^\n]", pi->comm);
		} else if (!strncmp(line, "State:", 6)) {
			sscanf(line + 6, " %c", &pi->state);
		} else if (!strncmp(line, "TracerPid:", 10)) {
			pi->tracer = atoi(line + 10);
		} else if (!strncmp(line, "Seccomp:", 8)) {
			pi->seccomp = atoi(line + 8);
		} else if (!strncmp(line, "Tgid:", 5)) {
			tgid = atoi(line + 5);
		}
	}
	fclose(f);
	pi->pid = tgid;	/* a thread's id names its process */
	return true;
}

static const char *comm_of(pid_t pid, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	FILE *f = fopen(path, "re");
	*buf = 0;
	if (f) {
		if (fgets(buf, (int)n, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
	return *buf ? buf : "?";
}

static const char *user_name(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, n, "%s", pw->pw_name);
	else
		snprintf(buf, n, "%u", uid);
	return buf;
}

static bool is_descendant(pid_t pid)
{
	pid_t me = getpid();
	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		char path[64], line[512];
		snprintf(path, sizeof path, "/proc/%d/status", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			return false;
		pid_t parent = 0;
		while (fgets(line, sizeof line, f))
			if (!strncmp(line, "PPid:", 5))
				parent = atoi(line + 5);
		fclose(f);
		if (parent == me)
			return true;
		pid = parent;
	}
	return false;
}

/* The checks every command makes before ptrace: 0, or the refusal's status. */
static int permission_checks(const struct proc_info *pi, const char *verb)
{
	uid_t me = geteuid();
	char a[64], b[64];
	if (me != 0)
		for (int i = 0; i < 3; i++)
			if (pi->uid[i] != me)
				return refuse(ST_PERMISSION,
					      "%s: no permission: process %d (%s) runs as user %s, and you are %s "
					      "(only root may trace another user's process)",
					      verb, pi->pid, pi->comm, user_name(pi->uid[i], a, sizeof a), user_name(me, b, sizeof b));
	int scope = 0;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	if (scope == 3)
		return refuse(ST_PERMISSION, "%s: no permission: kernel.yama.ptrace_scope is 3: no process may be traced "
			      "on this system (until reboot)", verb);
	if (scope == 2 && me != 0)
		return refuse(ST_PERMISSION, "%s: no permission: kernel.yama.ptrace_scope is 2: only root may trace a "
			      "process (sudo hijack %s %d)", verb, verb, pi->pid);
	if (scope == 1 && me != 0 && !is_descendant(pi->pid))
		return refuse(ST_PERMISSION, "%s: no permission: kernel.yama.ptrace_scope is 1: only a process's "
			      "ancestors (or root) may trace it; %d is not a child of this shell's (run as root, or "
			      "sysctl kernel.yama.ptrace_scope=0)", verb, pi->pid);
	if (pi->tracer) {
		char c[64];
		return refuse(ST_TRACED, "%s: process %d (%s) is already traced by process %d (%s): a process has one "
			      "tracer at a time", verb, pi->pid, pi->comm, pi->tracer, comm_of(pi->tracer, c, sizeof c));
	}
	return 0;
}

/* libc and our library, as the process has them mapped */
struct maps_info {
	bool readable, libc, loader, hijack;
	char hijack_path[PATH_MAX];
};

static void read_maps(pid_t pid, struct maps_info *mi)
{
	char path[64], line[PATH_MAX + 128];
	memset(mi, 0, sizeof *mi);
	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	mi->readable = true;
	while (fgets(line, sizeof line, f)) {
		char *p = strchr(line, '/');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = 0;
		const char *base = strrchr(p, '/') + 1;
		if (!strncmp(base, "libc.so", 7) || (!strncmp(base, "libc-", 5) && strstr(base, ".so")))
			mi->libc = true;
		if (!strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-", 3))
			mi->loader = true;
		if (!strcmp(base, "libhijack.so") && !mi->hijack) {
			mi->hijack = true;
			snprintf(mi->hijack_path, sizeof mi->hijack_path, "%s", p);
		}
	}
	fclose(f);
}

/* hj_attach_state in the process: 0 dormant, 1 started, 2 detached; -1 unknown */
static int hijack_state(pid_t pid, const struct maps_info *mi)
{
	uintptr_t at = hj_remote_symbol(pid, mi->hijack_path, "hj_attach_state", NULL, 0);
	int state;
	return at && hj_mem_read(pid, at, &state, sizeof state) ? state : -1;
}

/* ---- the threads ---- */

static int list_threads(pid_t pid, pid_t *out, int max)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return 0;
	/* the main thread first: the program's own, most often the one asleep
	 * in its main loop */
	out[n++] = pid;
	for (struct dirent *e; (e = readdir(d)) && n < max;) {
		pid_t tid = atoi(e->d_name);
		if (tid > 0 && tid != pid)
			out[n++] = tid;
	}
	closedir(d);
	return n;
}

/* Is fd of pid a pipe, socket, terminal...: a read there is a wait, not a
 * loader's or allocator's work on a file. */
static bool fd_is_stream(pid_t pid, long fd)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%d/fd/%ld", pid, fd);
	if (stat(path, &st) != 0)	/* an epoll or event fd has no file to stat: a wait all the same */
		return errno == ENOENT ? false : true;
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode);
}

/* A system call where the thread holds none of libc's locks (the
 * allocator's, the loader's): waits of a program's main loop. 2: best,
 * 1: a futex wait (a lock's or a condition's: held locks are rare there),
 * 0: not a safe place. */
static int safe_rank(pid_t pid, long nr, long arg0)
{
	switch (nr) {
	case SYS_read: case SYS_readv: case SYS_write: case SYS_writev:
	case SYS_recvfrom: case SYS_recvmsg: case SYS_sendto: case SYS_sendmsg:
		return fd_is_stream(pid, arg0) ? 2 : 0;
	case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_epoll_pwait2:
	case SYS_nanosleep: case SYS_clock_nanosleep: case SYS_pause:
	case SYS_accept: case SYS_accept4: case SYS_wait4: case SYS_waitid:
	case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait: case SYS_connect:
		return 2;
	case SYS_futex:
		return 1;
	default:
		return 0;
	}
}

static bool safe_entry(pid_t pid, long nr, long arg0) { return safe_rank(pid, nr, arg0) == 2; }

/* The call a blocked thread is in (/proc/PID/task/TID/syscall), or -1. */
static long blocked_in(pid_t pid, pid_t tid, long *arg0)
{
	char path[96], buf[256];
	snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", pid, tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	long nr;
	unsigned long a0;
	if (sscanf(buf, "%ld %lx", &nr, &a0) != 2)
		return -1;
	*arg0 = (long)a0;
	return nr;
}

/* Stops, in t, the thread where a remote dlopen is safe. */
static bool stop_in_safe_place(pid_t pid, struct hj_tracee *t, char *err, size_t errlen)
{
	pid_t tids[4096];
	int n = list_threads(pid, tids, 4096), best = -1, best_rank = 0;
	for (int i = 0; i < n; i++) {
		long a0, nr = blocked_in(pid, tids[i], &a0);
		int rank = nr >= 0 ? safe_rank(pid, nr, a0) : 0;
		if (rank > best_rank)
			best = i, best_rank = rank;
	}
	pid_t tid = best >= 0 ? tids[best] : pid;
	if (!hj_tracee_stop(t, pid, tid, err, errlen))
		return false;
	/* where it stopped (it may have moved since /proc said) */
	long nr = (long)t->saved.orig_rax;
	long ret = (long)t->saved.rax;
	bool in_call = nr >= 0 && ret >= -516 && ret <= -512;	/* -ERESTART*: interrupted, to restart */
	if (in_call && safe_rank(pid, nr, (long)t->saved.rdi) > 0)
		return true;
	/* not blocked in a safe call: let it run to the next one */
	return hj_tracee_park(t, safe_entry, PARK_TIMEOUT_MS, err, errlen);
}

/* ---- seccomp: does a filter of the process forbid what we need? ---- */

struct bpf_data {
	int nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

/* A classic BPF program over seccomp_data, as the kernel runs it. */
static uint32_t bpf_run(const struct sock_filter *prog, int len, const struct bpf_data *d)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };
	unsigned char data[64];
	memcpy(data, &d->nr, 4);
	memcpy(data + 4, &d->arch, 4);
	memcpy(data + 8, &d->ip, 8);
	memcpy(data + 16, d->args, 48);
	for (int pc = 0; pc >= 0 && pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? X : k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && k + 4 <= sizeof data)
				memcpy(&A, data + k, 4);
			else if (BPF_MODE(f->code) == BPF_IMM)
				A = k;
			else if (BPF_MODE(f->code) == BPF_MEM && k < BPF_MEMWORDS)
				A = M[k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				A = sizeof data;
			break;
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_IMM)
				X = k;
			else if (BPF_MODE(f->code) == BPF_MEM && k < BPF_MEMWORDS)
				X = M[k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				X = sizeof data;
			break;
		case BPF_ST: if (k < BPF_MEMWORDS) M[k] = A; break;
		case BPF_STX: if (k < BPF_MEMWORDS) M[k] = X; break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_MUL: A *= src; break;
			case BPF_DIV: A = src ? A / src : 0; break;
			case BPF_MOD: A = src ? A % src : 0; break;
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_XOR: A ^= src; break;
			case BPF_LSH: A = src < 32 ? A << src : 0; break;
			case BPF_RSH: A = src < 32 ? A >> src : 0; break;
			case BPF_NEG: A = -A; break;
			}
			break;
		case BPF_JMP: {
			bool taken;
			switch (BPF_OP(f->code)) {
			case BPF_JA: pc += (int)k; continue;
			case BPF_JEQ: taken = A == src; break;
			case BPF_JGT: taken = A > src; break;
			case BPF_JGE: taken = A >= src; break;
			case BPF_JSET: taken = (A & src) != 0; break;
			default: taken = false;
			}
			pc += taken ? f->jt : f->jf;
			break;
		}
		case BPF_RET: return BPF_RVAL(f->code) == BPF_A ? A : k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;
}

static const char *action_name(uint32_t action)
{
	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS: return "kill the process";
	case SECCOMP_RET_KILL_THREAD: return "kill the thread";
	case SECCOMP_RET_TRAP: return "send SIGSYS";
	case SECCOMP_RET_ERRNO: return "fail it";
	case SECCOMP_RET_USER_NOTIF: return "hand it to a supervisor";
	case SECCOMP_RET_TRACE: return "hand it to a tracer";
	default: return "refuse it";
	}
}

/* 0, or the refusal (said) when a filter forbids a call the library needs */
static int seccomp_check(const struct hj_tracee *t)
{
	static const struct { long nr; long arg0; const char *name; } needed[] = {
		{ SYS_openat, 0, "openat" }, { SYS_read, 0, "read" }, { SYS_pread64, 0, "pread64" },
		{ SYS_mmap, 0, "mmap" }, { SYS_mprotect, 0, "mprotect" }, { SYS_munmap, 0, "munmap" },
		{ SYS_close, 0, "close" }, { SYS_newfstatat, 0, "newfstatat" }, { SYS_fstat, 0, "fstat" },
		{ SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, "prctl(PR_SET_SYSCALL_USER_DISPATCH)" },
		{ SYS_rt_sigaction, SIGSYS, "rt_sigaction" }, { SYS_rt_sigprocmask, 0, "rt_sigprocmask" },
		{ SYS_rt_sigreturn, 0, "rt_sigreturn" }, { SYS_getpid, 0, "getpid" }, { SYS_gettid, 0, "gettid" },
		{ SYS_futex, 0, "futex" }, { SYS_write, 2, "write" }, { SYS_getcwd, 0, "getcwd" },
	};
	uint32_t worst[sizeof needed / sizeof needed[0]];
	for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++)
		worst[i] = SECCOMP_RET_ALLOW;
	int filters = 0;
	for (unsigned long index = 0;; index++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, index, NULL);
		if (n < 0 && errno == ENOENT)
			break;
		if (n <= 0)
			return refuse(ST_SECCOMP, "attach: process %d has a seccomp filter, which only root can read "
				      "(%s): attaching could kill it, so hijack does not", t->pid, strerror(errno));
		struct sock_filter *prog = calloc((size_t)n, sizeof *prog);
		if (!prog || ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, index, prog) != n) {
			free(prog);
			return refuse(ST_SECCOMP, "attach: cannot read process %d's seccomp filter: %s", t->pid,
				      strerror(errno));
		}
		filters++;
		for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
			struct bpf_data d = { .nr = (int)needed[i].nr, .arch = AUDIT_ARCH_X86_64 };
			d.args[0] = (uint64_t)needed[i].arg0;
			uint32_t r = bpf_run(prog, (int)n, &d);
			/* the kernel takes the most severe: the lowest action, signed */
			if ((int32_t)(r & SECCOMP_RET_ACTION_FULL) < (int32_t)(worst[i] & SECCOMP_RET_ACTION_FULL))
				worst[i] = r;
		}
		free(prog);
	}
	for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
		uint32_t action = worst[i] & SECCOMP_RET_ACTION_FULL;
		if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)
			continue;
		return refuse(ST_SECCOMP, "attach: process %d's seccomp filter forbids %s, which hijack needs (the "
			      "filter would %s%s): not attached", t->pid, needed[i].name, action_name(worst[i]),
			      action == SECCOMP_RET_ERRNO ? " with an error" : "");
	}
	(void)filters;
	return 0;
}

/* ---- the settings, as the launcher puts them in the environment ---- */

struct settings {
	char *block;	/* "NAME=value\0"..., "\0" */
	size_t len;
};

static void set(struct settings *s, const char *name, const char *value)
{
	size_t n = strlen(name) + 1 + strlen(value) + 1;
	s->block = realloc(s->block, s->len + n + 1);
	if (!s->block)
		exit(ST_FAILED);
	sprintf(s->block + s->len, "%s=%s", name, value);
	s->len += n;
	s->block[s->len] = 0;
}

static void append(char **list, const char *item, char sep)
{
	size_t old = *list ? strlen(*list) : 0, n = strlen(item);
	char *p = realloc(*list, old + 1 + n + 1);
	if (!p)
		exit(ST_FAILED);
	if (old)
		p[old++] = sep;
	memcpy(p + old, item, n + 1);
	*list = p;
}

static char *absolute(const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	char cwd[PATH_MAX], *out = NULL;
	if (!getcwd(cwd, sizeof cwd) || asprintf(&out, "%s/%s", cwd, path) < 0)
		return strdup(path);
	return out;
}

static bool find_library(char *out, size_t n)
{
	const char *env = getenv("HIJACK_LIBRARY");
	if (env && *env)
		return realpath(env, out) && access(out, R_OK) == 0;
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (len <= 0)
		return false;
	exe[len] = 0;
	*strrchr(exe, '/') = 0;
	static const char *places[] = { "%s/libhijack.so", "%s/../lib/libhijack.so", "%s/../lib/hijack/libhijack.so" };
	for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof path, places[i], exe);
		if (realpath(path, out) && access(out, R_OK) == 0)
			return true;
	}
	(void)n;
	return false;
}

/* A script that does not compile is said here, with its file and line,
 * before the process is touched. */
static bool compiles(const char *name, const char *code, size_t len)
{
	char err[1024];
	if (hj_vm_compile(name, code, len, NULL, err, sizeof err))
		return true;
	fprintf(stderr, "%s\n", err);
	return false;
}

static bool file_compiles(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "hijack: %s: %s\n", path, strerror(errno));
		return false;
	}
	char *code = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&code, &len);
	char buf[65536];
	for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;)
		fwrite(buf, 1, n, m);
	fclose(f);
	fclose(m);
	size_t plen = strlen(path);
	/* precompiled bytecode is checked by the VM that loads it */
	bool ok = (plen > 4 && !strcmp(path + plen - 4, ".mrb")) || compiles(path, code, len);
	free(code);
	return ok;
}

static const char attach_usage[] =
	"usage: hijack attach PID [-s FILE] [-e CODE] [-t[=SET]] [--json] [-c] [-o FILE] [--inject SPEC]\n"
	"                         [--seed N] [--no-follow] [--quiet] [--hook-timeout S] [--vm-memory BYTES]\n"
	"                         [--time SPEC] [--redirect FROM=TO] [--readonly PATH] [--hide PATH] [--deny WHAT]\n"
	"       hijack detach PID\n"
	"Without -o, the trace and the scripts' logs go to the process's own stderr.\n"
	"Exit status: 0 attached; 1 the attach failed; 2 usage; 3 no such process; 4 a static program;\n"
	"5 already traced; 6 already hijacked; 7 no permission; 8 a seccomp filter forbids it;\n"
	"9 (detach) not hijacked.\n";

static int usage(const char *fmt, const char *arg)
{
	fputs("hijack: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n", stderr);
	fputs(attach_usage, stderr);
	return ST_USAGE;
}

static bool parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > INT_MAX)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* The checks shared by attach and detach: the process's facts, or a
 * refusal's status. */
static int look(pid_t pid, const char *verb, struct proc_info *pi, struct maps_info *mi)
{
	if (!proc_status(pid, pi) || pi->state == 'Z' || pi->state == 'X')
		return refuse(ST_NO_PROCESS, "%s: no such process: %d", verb, pid);
	int r = permission_checks(pi, verb);
	if (r)
		return r;
	read_maps(pi->pid, mi);
	if (!mi->readable)
		return refuse(ST_PERMISSION, "%s: no permission to read process %d's memory map (/proc/%d/maps: %s)", verb,
			      pi->pid, pi->pid, strerror(errno));
	return 0;
}

/* Every thread, one at a time, calls hj_attach_thread(on); threads born
 * meanwhile are found on the next pass. */
static bool each_thread(pid_t pid, uintptr_t fn, int on, pid_t done_already, char *err, size_t errlen)
{
	static pid_t done[65536];
	int ndone = 0;
	if (done_already)
		done[ndone++] = done_already;
	for (int pass = 0; pass < 100; pass++) {
		pid_t tids[4096];
		int n = list_threads(pid, tids, 4096), fresh = 0;
		for (int i = 0; i < n; i++) {
			bool seen = false;
			for (int k = 0; k < ndone && !seen; k++)
				seen = done[k] == tids[i];
			if (seen)
				continue;
			fresh++;
			struct hj_tracee t;
			char why[256];
			if (!hj_tracee_stop(&t, pid, tids[i], why, sizeof why)) {
				/* a thread that ended meanwhile is no matter */
				char path[96];
				snprintf(path, sizeof path, "/proc/%d/task/%d", pid, tids[i]);
				if (access(path, F_OK) != 0)
					continue;
				snprintf(err, errlen, "%s", why);
				return false;
			}
			long args[6] = { on }, ret = 0;
			bool ok = hj_tracee_call(&t, fn, args, NULL, 0, NULL, &ret, CALL_TIMEOUT_MS, why, sizeof why);
			hj_tracee_release(&t);
			if (!ok) {
				snprintf(err, errlen, "%s", why);
				return false;
			}
			if (ndone < (int)(sizeof done / sizeof done[0]))
				done[ndone++] = tids[i];
		}
		if (!fresh)
			return true;
	}
	return true;
}

/* A tracer that dies while a thread runs a call of ours leaves it to
 * return to address 0: ^C and friends wait until every thread is back. */
static void hold_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < 5; i++)
		sigaddset(&set, (int[]){ SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP }[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

int hj_cmd_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "script", required_argument, 0, 's' }, { "eval", required_argument, 0, 'e' },
		{ "trace", optional_argument, 0, 't' }, { "json", no_argument, 0, 'J' },
		{ "summary", no_argument, 0, 'c' }, { "output", required_argument, 0, 'o' },
		{ "inject", required_argument, 0, 'I' }, { "seed", required_argument, 0, 'S' },
		{ "no-follow", no_argument, 0, 'F' }, { "help", no_argument, 0, 'h' },
		{ "quiet", no_argument, 0, 'Q' }, { "hook-timeout", required_argument, 0, 'K' },
		{ "vm-memory", required_argument, 0, 'M' }, { "time", required_argument, 0, 'T' },
		{ "redirect", required_argument, 0, 'R' }, { "readonly", required_argument, 0, 'W' },
		{ "hide", required_argument, 0, 'H' }, { "deny", required_argument, 0, 'D' },
		{ 0, 0, 0, 0 },
	};
	char *scripts = NULL, *evals = NULL, *shortcuts = NULL, *injects = NULL, *output = NULL;
	const char *trace = NULL, *seed = NULL, *hook_timeout = NULL, *vm_memory = NULL;
	bool json = false, summary = false, follow = true, quiet = false;
	char err[1024], ruby[8192];
	pid_t pid = 0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":s:e:t::co:", opts, NULL)) != -1) {
		switch (c) {
		case 's': {
			char *abs = absolute(optarg);
			append(&scripts, abs, ':');
			free(abs);
			break;
		}
		case 'e': append(&evals, optarg, '\x1e'); break;
		case 't': trace = !optarg ? "" : optarg + (optarg[0] == '='); break;
		case 'J': json = true; break;
		case 'c': summary = true; break;
		case 'o': free(output); output = absolute(optarg); break;
		case 'I': {
			struct hj_inject *inj = hj_inject_parse(optarg, err, sizeof err);
			if (!inj)
				return usage("%s", err);
			hj_inject_free(inj);
			append(&injects, optarg, '\x1e');
			break;
		}
		case 'S': {
			uint64_t v;
			if (!hj_parse_u64(optarg, &v))
				return usage("--seed %s: not a number from 0 to 18446744073709551615", optarg);
			seed = optarg;
			break;
		}
		case 'F': follow = false; break;
		case 'Q': quiet = true; break;
		case 'K': {
			uint64_t ns;
			if (!hj_parse_seconds(optarg, &ns))
				return usage("--hook-timeout %s: not a duration (2, 2s, 500ms; 0: none)", optarg);
			hook_timeout = optarg;
			break;
		}
		case 'M': {
			uint64_t bytes;
			if (!hj_parse_bytes(optarg, &bytes))
				return usage("--vm-memory %s: not a size (64M, 1G; 0: none)", optarg);
			vm_memory = optarg;
			break;
		}
		case 'T':
			if (!hj_time_spec(optarg, ruby, sizeof ruby, err, sizeof err))
				return usage("%s", err);
			append(&shortcuts, ruby, '\x1e');
			break;
		case 'R': {
			char *eq = strchr(optarg, '='), *from = NULL, *to = NULL;
			if (eq) {
				*eq = 0;
				from = absolute(optarg);
				to = absolute(eq + 1);
				*eq = '=';
			}
			bool ok = hj_redirect_spec(optarg, from ? from : "", to ? to : "", ruby, sizeof ruby, err, sizeof err);
			free(from);
			free(to);
			if (!ok)
				return usage("%s", err);
			append(&shortcuts, ruby, '\x1e');
			break;
		}
		case 'W': case 'H': {
			char *abs = *optarg ? absolute(optarg) : strdup("");
			bool ok = hj_path_spec(c == 'W' ? "--readonly" : "--hide", c == 'W' ? "readonly" : "hide", abs, ruby,
					       sizeof ruby, err, sizeof err);
			free(abs);
			if (!ok)
				return usage("%s", err);
			append(&shortcuts, ruby, '\x1e');
			break;
		}
		case 'D':
			if (!hj_deny_spec(optarg, ruby, sizeof ruby, err, sizeof err))
				return usage("%s", err);
			append(&shortcuts, ruby, '\x1e');
			break;
		case 'h': fputs(attach_usage, stdout); return 0;
		case ':': return usage("option '%s' needs an argument", argv[optind - 1]);
		default: return usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage("attach: no process given%s", "");
	if (!parse_pid(argv[optind], &pid))
		return usage("attach: '%s' is not a process id", argv[optind]);
	if (optind + 1 < argc)
		return usage("attach: unexpected '%s' (options come before or after PID, no command)", argv[optind + 1]);
	if (trace && *trace && !hj_set_parse(trace, (uint64_t[(HJ_NCALLS + 63) / 64]){ 0 }, err, sizeof err))
		return usage("--trace: %s", err);
	if (json && !trace)
		trace = "";
	if (shortcuts) {	/* the recipes' shortcuts run before the scripts */
		if (evals)
			append(&shortcuts, evals, '\x1e');
		free(evals);
		evals = shortcuts;
	}
	bool compiled = true;
	char *copy = scripts ? strdup(scripts) : NULL;
	for (char *save, *p = copy ? strtok_r(copy, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save))
		compiled = file_compiles(p) && compiled;
	free(copy);
	copy = evals ? strdup(evals) : NULL;
	for (char *save, *p = copy ? strtok_r(copy, "\x1e", &save) : NULL; p; p = strtok_r(NULL, "\x1e", &save))
		compiled = compiles("-e", p, strlen(p)) && compiled;
	free(copy);
	if (!compiled)
		return ST_USAGE;
	char lib[PATH_MAX];
	if (!find_library(lib, sizeof lib))
		return refuse(ST_FAILED, "attach: cannot find libhijack.so beside this hijack (set HIJACK_LIBRARY)");

	struct proc_info pi;
	struct maps_info mi;
	int r = look(pid, "attach", &pi, &mi);
	if (r)
		return r;
	pid = pi.pid;
	if (!mi.libc)
		return refuse(ST_STATIC, "attach: process %d (%s) is a static program (no libc mapped%s): there is nothing "
			      "to load hijack with; run it under 'hijack run --enforce' instead",
			      pid, pi.comm, mi.loader ? "" : ", no dynamic loader");
	int state = mi.hijack ? hijack_state(pid, &mi) : 0;
	if (mi.hijack && state != 0 && state != 2)
		return refuse(ST_HIJACKED, "attach: process %d (%s) is already hijacked (%s is loaded and running): use "
			      "'hijack ctl %d', or 'hijack detach %d' first", pid, pi.comm, mi.hijack_path, pid, pid);
	if (pi.seccomp == 1)
		return refuse(ST_SECCOMP, "attach: process %d (%s) runs under seccomp's strict mode: it may only read, "
			      "write and exit, and hijack needs more", pid, pi.comm);

	/* the settings, as hijack run hands them down */
	struct settings s = { 0 };
	char num[32];
	snprintf(num, sizeof num, "%d", pid);
	set(&s, "HIJACK_ROOT_PID", num);
	if (scripts)
		set(&s, "HIJACK_SCRIPT", scripts);
	if (evals)
		set(&s, "HIJACK_EVAL", evals);
	if (injects)
		set(&s, "HIJACK_INJECT", injects);
	if (trace)
		set(&s, "HIJACK_TRACE", *trace ? trace : "all");
	if (json)
		set(&s, "HIJACK_JSON", "1");
	if (summary)
		set(&s, "HIJACK_SUMMARY", "1");
	if (output)
		set(&s, "HIJACK_OUTPUT", output);
	if (seed)
		set(&s, "HIJACK_SEED", seed);
	if (!follow)
		set(&s, "HIJACK_FOLLOW", "0");
	if (quiet)
		set(&s, "HIJACK_QUIET", "1");
	if (hook_timeout)
		set(&s, "HIJACK_HOOK_TIMEOUT", hook_timeout);
	if (vm_memory)
		set(&s, "HIJACK_VM_MEMORY", vm_memory);
	s.block = realloc(s.block, s.len + 1);
	s.block[s.len] = 0;

	hold_signals();
	struct hj_tracee t;
	if (!stop_in_safe_place(pid, &t, err, sizeof err)) {
		if (t.stopped)
			hj_tracee_release(&t);
		if (strstr(err, "Operation not permitted"))
			return refuse(ST_PERMISSION, "attach: no permission to trace process %d (%s): %s", pid, pi.comm, err);
		return refuse(ST_FAILED, "attach: %s", err);
	}
	if (pi.seccomp == 2 && (r = seccomp_check(&t))) {
		hj_tracee_release(&t);
		return r;
	}
	long ret = 0;
	uintptr_t at = 0;
	if (!mi.hijack) {
		char libc[PATH_MAX];
		uintptr_t dlopen_at = hj_remote_symbol(pid, "libc.so", "dlopen", libc, sizeof libc);
		long mode = RTLD_NOW;
		if (!dlopen_at) {	/* glibc before 2.34: dlopen is libdl's; libc has its own */
			dlopen_at = hj_remote_symbol(pid, "libc", "__libc_dlopen_mode", libc, sizeof libc);
			mode = RTLD_NOW | 0x80000000;	/* __RTLD_DLOPEN */
		}
		if (!dlopen_at) {
			hj_tracee_release(&t);
			return refuse(ST_FAILED, "attach: no dlopen found in process %d's libc", pid);
		}
		long args[6] = { 0, mode };
		if (!hj_tracee_call(&t, dlopen_at, args, lib, strlen(lib) + 1, &at, &ret, CALL_TIMEOUT_MS, err, sizeof err))
			goto failed;
		if (!ret) {
			uintptr_t dlerror_at = hj_remote_symbol(pid, "libc.so", "dlerror", NULL, 0);
			char why[512] = "dlopen failed";
			long msg = 0, none[6] = { 0 };
			if (dlerror_at && hj_tracee_call(&t, dlerror_at, none, NULL, 0, NULL, &msg, CALL_TIMEOUT_MS, err, sizeof err) &&
			    msg)
				for (size_t i = 0; i + 1 < sizeof why && hj_mem_read(pid, (uintptr_t)msg + i, why + i, 1) && why[i]; i++)
					why[i + 1] = 0;
			hj_tracee_release(&t);
			return refuse(ST_FAILED, "attach: process %d could not load %s: %s", pid, lib, why);
		}
		read_maps(pid, &mi);
	}
	uintptr_t attach_at = hj_remote_symbol(pid, mi.hijack_path, "hj_attach", NULL, 0);
	uintptr_t thread_at = hj_remote_symbol(pid, mi.hijack_path, "hj_attach_thread", NULL, 0);
	if (!attach_at || !thread_at) {
		hj_tracee_release(&t);
		return refuse(ST_FAILED, "attach: %s in process %d has no hj_attach (an older library?)",
			      mi.hijack ? mi.hijack_path : lib, pid);
	}
	long args[6] = { 0 };
	if (!hj_tracee_call(&t, attach_at, args, s.block, s.len + 1, &at, &ret, CALL_TIMEOUT_MS, err, sizeof err))
		goto failed;
	(void)at;
	if (ret) {
		char why[512] = "";
		for (size_t i = 0; i + 1 < sizeof why && hj_mem_read(pid, (uintptr_t)ret + i, why + i, 1) && why[i]; i++)
			why[i + 1] = 0;
		hj_tracee_release(&t);
		return refuse(ST_FAILED, "attach: process %d: %s", pid, why);
	}
	pid_t first = t.tid;
	hj_tracee_release(&t);
	/* the layer on in every other thread (the first armed itself) */
	if (!each_thread(pid, thread_at, 1, first, err, sizeof err))
		return refuse(ST_FAILED, "attach: process %d is hijacked, but not in every thread: %s", pid, err);
	free(s.block);
	return 0;
failed:
	/* a call that did not return cleanly: the thread is put back only if
	 * it stopped where we can tell (it may be inside the loader) */
	if (t.stopped)
		hj_tracee_release(&t);
	return refuse(ST_FAILED, "attach: process %d: %s", pid, err);
}

int hj_cmd_detach(int argc, char **argv)
{
	if (argc != 2)
		return usage("detach: name one process%s", "");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(attach_usage, stdout);
		return 0;
	}
	pid_t pid;
	if (!parse_pid(argv[1], &pid))
		return usage("detach: '%s' is not a process id", argv[1]);
	struct proc_info pi;
	struct maps_info mi;
	int r = look(pid, "detach", &pi, &mi);
	if (r)
		return r;
	pid = pi.pid;
	int state = mi.hijack ? hijack_state(pid, &mi) : 0;
	if (!mi.hijack || state != 1)
		return refuse(ST_NOT_HIJACKED, "detach: process %d (%s) is not hijacked%s", pid, pi.comm,
			      mi.hijack && state == 2 ? " (detached already)" : "");
	uintptr_t thread_at = hj_remote_symbol(pid, mi.hijack_path, "hj_attach_thread", NULL, 0);
	uintptr_t detach_at = hj_remote_symbol(pid, mi.hijack_path, "hj_detach", NULL, 0);
	if (!thread_at || !detach_at)
		return refuse(ST_FAILED, "detach: %s in process %d has no hj_detach (an older library?)", mi.hijack_path, pid);
	char err[512];
	hold_signals();
	if (!each_thread(pid, thread_at, 0, 0, err, sizeof err))
		return refuse(ST_FAILED, "detach: process %d: %s", pid, err);
	struct hj_tracee t;
	if (!hj_tracee_stop(&t, pid, pid, err, sizeof err))
		return refuse(ST_FAILED, "detach: process %d: %s", pid, err);
	long args[6] = { 0 }, ret;
	bool ok = hj_tracee_call(&t, detach_at, args, NULL, 0, NULL, &ret, CALL_TIMEOUT_MS, err, sizeof err);
	hj_tracee_release(&t);
	if (!ok)
		return refuse(ST_FAILED, "detach: process %d: %s", pid, err);
	return 0;
}
