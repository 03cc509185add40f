/* hijack: the command line. `run` checks what it can before the program
 * starts (options, --inject specs, script syntax, the program itself),
 * then runs the program with the library preloaded and waits for it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>

#include "core/engine.h"
#include "core/ownfd.h"
#include "enforce/enforce.h"

#define VERSION "0.1.0"

int hj_cmd_learn(int argc, char **argv, int (*run)(int, char **));
int hj_cmd_ctl(int argc, char **argv);	/* ctl.c */
int hj_cmd_top(int argc, char **argv);
int hj_cmd_attach(int argc, char **argv);
int hj_cmd_detach(int argc, char **argv);

static const char usage[] =
	"usage: hijack run [OPTIONS] [--] COMMAND [ARG...]   run COMMAND under scripts\n"
	"       hijack learn -o POLICY.rb [OPTIONS] [--] COMMAND...  run COMMAND, write a policy of what it did\n"
	"       hijack attach PID [OPTIONS]                  hook a running process (the run options that apply)\n"
	"       hijack detach PID                            take every hook and rule out of it again\n"
	"       hijack ctl [--json] PID|--all COMMAND [ARG]  control a running hijacked process:\n"
	"                  load FILE    add the rules of FILE (.rb or .mrb), in force from the next call\n"
	"                  unload NAME  remove the rules loaded from NAME (the file's base name)\n"
	"                  eval CODE    run Ruby in the process; prints the value's inspect\n"
	"                  hooks        the rules in force, with how many calls each matched\n"
	"                  stats        the -c table so far (a process run without -c counts from then on)\n"
	"                  pause, resume  turn every rule, injection and recipe off, and on again\n"
	"                  (from a script: Hijack.control(PID, COMMAND, ARG) returns the answer)\n"
	"       hijack top [PID...] [--once] [--json] [-d SECONDS]  live view of hijacked processes:\n"
	"                  calls/s, errors, injected, mean latency, per process and per call; q quits\n"
	"       hijack check SCRIPT...                       load scripts, report errors, list their hooks\n"
	"       hijack compile SCRIPT -o OUT.mrb             precompile a script to mruby bytecode\n"
	"       hijack calls [--json]                        list every hookable call\n"
	"       hijack --help | --version\n"
	"\n"
	"run options:\n"
	"  -s, --script FILE   load a Ruby script (.rb or .mrb); repeatable\n"
	"  -e, --eval CODE     inline Ruby; repeatable; loaded after the scripts\n"
	"  -t, --trace[=SET]   print each call as strace does; SET as strace's -e trace=\n"
	"      --json          the trace as JSON lines\n"
	"  -c, --summary       a per-call table at exit, as strace -c\n"
	"  -o, --output FILE   where trace, summary and script logs go (default: stderr)\n"
	"      --inject SPEC   SET:error=E|retval=V[:signal=S][:delay_enter=D][:delay_exit=D]\n"
	"                      [:when=EXPR][:path=GLOB][:probability=P]; repeatable\n"
	"      --seed N        seed for every random decision\n"
	"      --no-follow     do not carry the hooks into child processes (its own exec keeps them)\n"
	"      --quiet         do not report rules that never fired\n"
	"      --hook-timeout SECONDS  a hook that runs longer is stopped and reported, and the\n"
	"                      VM is off in that process from then (default " HJ_HOOK_TIMEOUT_DEFAULT "; 500ms, 2s; 0: none)\n"
	"      --vm-memory BYTES  the most the VM may allocate; past it the hook is stopped and\n"
	"                      reported (default " HJ_VM_MEMORY_DEFAULT "; k, M, G suffixes; 0: none)\n"
	"\n"
	"recipes (before the scripts):\n"
	"      --time SPEC     fake clock: '2001-02-03 04:05:06' frozen, '@2001-02-03 04:05:06'\n"
	"                      running from there, '+2d' / '-3h' offset, 'x10' speed, combined\n"
	"      --redirect FROM=TO   serve the file or tree FROM from TO\n"
	"      --readonly PATH      writes under PATH fail with EROFS\n"
	"      --hide PATH          PATH appears not to exist\n"
	"      --deny WHAT          network, exec or call names (comma separated): EACCES\n"
	"      --record FILE        write every injected fault to FILE\n"
	"      --replay FILE        inject exactly the faults in FILE, and no others\n"
	"\n"
	"rules the kernel holds:\n"
	"      --enforce       --deny, --readonly, --hide and a script's Hijack::Sandbox rules\n"
	"                      are installed in the kernel before the program starts, for it\n"
	"                      and every child, however it makes its calls (static programs,\n"
	"                      raw system calls, io_uring): Landlock, seccomp, and a private\n"
	"                      mount namespace (a user namespace too, but for root). Without it\n"
	"                      the rules are in-process only: advisory, a program can get\n"
	"                      round them. A rule this kernel or user cannot hold stops the run.\n"
	"                      What the kernel gives where the in-process rule cannot answer\n"
	"                      first (static programs, raw calls):\n"
	"                        --deny network  socket() of every family but AF_UNIX and AF_NETLINK,\n"
	"                                        and TCP connect and bind: EACCES (UDP on a socket\n"
	"                                        made before the run, and unix sockets, are not held)\n"
	"                        --deny exec     the program starts; every later exec: EACCES\n"
	"                        --deny CALL     EACCES, and the calls that do the same (mkdirat,\n"
	"                                        statx, clone3...); library functions are refused:\n"
	"                                        name their system calls\n"
	"                        --readonly PATH EROFS; a rename or link into PATH: EXDEV\n"
	"                        --hide PATH     under PATH: ENOENT; PATH itself is there, an\n"
	"                                        empty read-only directory or file\n"
	"                        allow lists     EACCES (Landlock: a glob is held as its\n"
	"                                        directory, connect by its TCP port; exec names\n"
	"                                        programs, whose loader can then run others)\n"
	"                        always          io_uring, open_by_handle_at, the mount calls:\n"
	"                                        EACCES; ptrace of, or a signal to, a process\n"
	"                                        outside: EPERM. Root keeps a container's\n"
	"                                        capabilities only, /proc/sys and /sys read-only\n"
	"\n"
	"strace's spellings:\n"
	"  -f                  accepted: following children is the default\n"
	"  -ff                 with -o FILE, each process writes its trace to FILE.PID\n"
	"                      (no pid prefix); the -c summary still goes to FILE\n"
	"  -e trace=SET        as -t=SET      -e inject=SPEC   as --inject SPEC\n"
	"  -e fault=SPEC       as --inject SPEC, error=ENOSYS unless it says otherwise\n"
	"                      (another -e KEY= of strace's is refused; -e CODE is Ruby)\n"
	"  call names: strace's as well as libc's (newfstatat, pread64, faccessat2,\n"
	"                      pselect6, clone...); `hijack calls` lists hijack's own\n"
	"\n"
	"units:\n"
	"  --inject's delay_enter=D, delay_exit=D: microseconds, as in strace, unless\n"
	"      suffixed s, ms, us or ns (delay_enter=200000 and delay_enter=200ms agree)\n"
	"  Ruby's call.delay(SECONDS), Hijack::Chaos.delay(..., SECONDS, jitter: SECONDS):\n"
	"      seconds (0.2 is 200 ms)\n"
	"\n"
	"--record FILE: after a '#' header line, one line per injected fault,\n"
	"  PROCESS CALL SEQ FAULT, e.g. '1.2 write 3 error=EIO': PROCESS is the\n"
	"  process's place in the tree (1 the first, 1.2 its second child), SEQ the\n"
	"  call's number among that process's calls of that name, FAULT\n"
	"  error=ERRNO or retval=N. --replay takes the same file.\n"
	"\n"
	"living processes: each hijacked process listens on a unix socket, DIR/PID, where DIR is\n"
	"  HIJACK_CTL_DIR, else $XDG_RUNTIME_DIR/hijack, else /tmp/hijack-UID (made 0700; a\n"
	"  directory another user owns, or others may enter, is refused); only its user and\n"
	"  root are served. HIJACK_CTL=0: no channel; HIJACK_DEBUG=1 says why one is missing.\n"
	"  ctl and top exit 1 when a process is not there, not hijacked or not theirs.\n"
	"\n"
	"exit status: the program's own; 128+N when signal N killed it; 126 when\n"
	"  COMMAND is not executable, 127 when it is not found; 2 for a usage error\n"
	"  or a script that fails to load. Signals sent to hijack are passed to the\n"
	"  program; when the program stops, hijack stops, and SIGCONT resumes both.\n"
	"\n"
	"environment:\n"
	"  without the launcher: LD_PRELOAD=.../libhijack.so and\n"
	"  HIJACK_SCRIPT=FILE[:FILE...]   scripts to load (as -s)\n"
	"  HIJACK_TRACE=SET|all           as -t        HIJACK_JSON=1       as --json\n"
	"  HIJACK_OUTPUT=FILE             as -o        HIJACK_SUMMARY=1    as -c (each process)\n"
	"  HIJACK_INJECT=SPEC             as --inject  HIJACK_SEED=N       as --seed\n"
	"  HIJACK_FOLLOW=0                as --no-follow\n"
	"  HIJACK_RECORD=FILE, HIJACK_REPLAY=FILE      as --record, --replay\n"
	"  HIJACK_LIBRARY=PATH            the library the launcher preloads (default:\n"
	"                                 beside it, or PREFIX/lib once installed)\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hijack: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'hijack --help' for more information.\n", stderr);
	return 2;
}

/* The library beside us: build/ in the tree, PREFIX/lib once installed. */
static bool find_library(char *out, size_t n)
{
	const char *env = getenv("HIJACK_LIBRARY");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return access(out, R_OK) == 0;
	}
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
	return false;
}

/* Compiles one script (name, code) to bytecode, into f when given:
 * errors come before the program starts, and no process of the tree
 * parses Ruby again. False after printing "file:line: message". */
static bool compile_to(const char *name, const char *code, size_t len, FILE *f)
{
	char err[1024];
	bool ok = hj_vm_compile(name, code, len, f, err, sizeof err);
	if (!ok)
		fprintf(stderr, "hijack: %s\n", err);
	return ok;
}

static bool compile(const char *name, const char *code, size_t len, const char *out)
{
	FILE *f = out ? fopen(out, "wbe") : NULL;
	if (out && !f) {
		fprintf(stderr, "hijack: %s: %s\n", out, strerror(errno));
		return false;
	}
	bool ok = compile_to(name, code, len, f);
	if (f && fclose(f) != 0 && ok) {
		fprintf(stderr, "hijack: %s: %s\n", out, strerror(errno));
		ok = false;
	}
	return ok;
}

/* A script file: bytecode (kept as it is, *out set to NULL; appended to
 * f when given) or source compiled into out or f (neither: syntax check
 * only). */
static bool compile_file_to(const char *path, const char **out, FILE *f)
{
	size_t len;
	char *code = hj_vm_slurp(path, &len);
	if (!code) {
		fprintf(stderr, "hijack: %s: %s\n", path, hj_vm_slurp_error());
		return false;
	}
	bool ok = true;
	if (len >= 4 && !memcmp(code, "RITE", 4)) {
		if (out)
			*out = NULL;
		if (!(ok = hj_vm_bytecode_ok(code, len)))
			fprintf(stderr, "hijack: %s: not valid mruby bytecode (truncated, damaged, or from another mruby)\n", path);
		else if (f)
			ok = fwrite(code, 1, len, f) == len;
	} else {
		ok = f ? compile_to(path, code, len, f) : compile(path, code, len, out ? *out : NULL);
	}
	hj_free(code);	/* hj_vm_slurp's */
	return ok;
}

static bool compile_file(const char *path, const char **out) { return compile_file_to(path, out, NULL); }

/* The run's private directory, held by a descriptor opened when it was
 * made: the clean-up works through it, removes only the names hijack
 * makes there (HJ_RUN_PREFIX), follows no symlink, and removes the
 * directory only while its name still leads to the one we made. */
struct run_dir {
	char path[64];
	int fd, parent;
	dev_t dev;
	ino_t ino;
};

static bool make_run_dir(struct run_dir *r)
{
	snprintf(r->path, sizeof r->path, "/tmp/hijack-XXXXXX");
	r->fd = r->parent = -1;
	if (!mkdtemp(r->path))
		return false;
	struct stat st;
	r->fd = open(r->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r->parent = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0 || r->parent < 0 || fstat(r->fd, &st) != 0) {
		int e = errno;
		rmdir(r->path);
		errno = e;
		return false;
	}
	r->dev = st.st_dev;
	r->ino = st.st_ino;
	return true;
}

static void remove_dir(struct run_dir *r)
{
	if (r->fd < 0)
		return;
	char left[256] = "";
	int dup_fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		bool ours = !strncmp(e->d_name, HJ_RUN_PREFIX, strlen(HJ_RUN_PREFIX));
		if ((!ours || unlinkat(r->fd, e->d_name, 0) != 0) && !*left)
			snprintf(left, sizeof left, "%s", e->d_name);
	}
	if (d)
		closedir(d);
	else if (dup_fd >= 0)
		close(dup_fd);
	const char *base = r->path + strlen("/tmp/");
	struct stat st;
	if (fstatat(r->parent, base, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_dev != r->dev || st.st_ino != r->ino)
		fprintf(stderr, "hijack: %s is no longer the run's directory: left as it is\n", r->path);
	else if (unlinkat(r->parent, base, AT_REMOVEDIR) != 0)
		fprintf(stderr, "hijack: %s left in place: it holds %s, which hijack did not make\n", r->path,
			*left ? left : "files");
	close(r->fd);
	close(r->parent);
	r->fd = r->parent = -1;
}

/* The page the tree shares (ownfd.h), made in the run's directory. */
static struct hj_shared *make_shared(struct run_dir *r)
{
	int fd = openat(r->fd, HJ_SHARED_NAME, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	struct hj_shared *s = NULL;
	if (ftruncate(fd, sizeof *s) == 0) {
		s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (s == MAP_FAILED)
			s = NULL;
		else
			s->magic = HJ_SHARED_MAGIC;
	}
	close(fd);
	return s;
}

/* The compiled scripts, sealed in a memfd: the tree inherits it and
 * nothing can change it (the library checks the seals and the content's
 * hash). The hash is in *hash, the size in *size. */
static bool seal_scripts(int fd, size_t *size, uint64_t *hash)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
		return false;
	off_t end = lseek(fd, 0, SEEK_END);
	char *buf = end > 0 ? malloc((size_t)end) : NULL;
	if (!buf || pread(fd, buf, (size_t)end, 0) != end) {
		free(buf);
		return false;
	}
	*size = (size_t)end;
	*hash = hj_fnv1a(buf, *size);
	free(buf);
	return true;
}

/* Where COMMAND is, as the shell finds it: 0, or 126 / 127 after a message. */
static int resolve(const char *cmd, char *out, size_t n)
{
	if (hj_which(cmd, out, n))
		return 0;
	if (!strchr(cmd, '/')) {
		fprintf(stderr, "hijack: %s: command not found\n", cmd);
		return 127;
	}
	/* a path that will not run: say why */
	struct stat st;
	if (stat(out, &st) != 0) {
		fprintf(stderr, "hijack: %s: %s\n", cmd, strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	if (S_ISDIR(st.st_mode) || access(out, X_OK) != 0) {
		fprintf(stderr, "hijack: %s: %s\n", cmd, S_ISDIR(st.st_mode) ? "Is a directory" : "Permission denied");
		return 126;
	}
	return 0;
}

static void append(char **list, const char *item, char sep)
{
	size_t old = *list ? strlen(*list) : 0;
	char *s = realloc(*list, old + strlen(item) + 2);
	if (old)
		s[old++] = sep;
	strcpy(s + old, item);
	*list = s;
}

/* "--readonly /x": a shortcut's code is compiled under this name, so
 * that its errors and its report name the option (no '\x1e' in it). */
static void shortcut_name(char **names, const char *option, const char *arg)
{
	char name[512];
	snprintf(name, sizeof name, "%s %s", option, arg);
	for (char *p = name; *p; p++)
		if (*p == '\x1e')
			*p = ' ';
	append(names, name, '\x1e');
}

static char *absolute(const char *path)
{
	char buf[PATH_MAX];
	if (path[0] == '/' || !getcwd(buf, sizeof buf))
		return strdup(path);
	char *out;
	if (asprintf(&out, "%s/%s", buf, path) < 0)
		return strdup(path);
	return out;
}

/* ---- signals: the launcher stands for the program ----
 * Every signal that would kill or stop the launcher is passed on to the
 * program, so that `kill -SIG launcher` is `kill -SIG program`; the
 * launcher itself dies of none of them, and stops when the program stops. */
static volatile pid_t child;

static bool forwardable(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP:	/* cannot be caught */
	case SIGCHLD: case SIGURG:	/* ignored by default, and about us */
		return false;
	}
	return true;
}

static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	int saved = errno;
	pid_t pid = child;
	if (pid <= 0)
		goto out;
	/* the terminal sends ^C, ^\, ^Z, SIGWINCH to its foreground group:
	 * the program, in ours, has its own already */
	if (si->si_code == SI_KERNEL && getpgid(pid) == getpgrp())
		goto out;
	/* our own SIGPIPE or SIGXFSZ (a write of ours failed), or the
	 * program signalling its parent: nothing to pass on */
	if (si->si_code <= 0 && (si->si_pid == getpid() || si->si_pid == pid))
		goto out;
	/* a real fault of the launcher (not sent with kill): die of it */
	if (si->si_code > 0 && si->si_code != SI_KERNEL &&
	    (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS)) {
		signal(sig, SIG_DFL);
		goto out;
	}
	kill(pid, sig);
out:
	errno = saved;
}

/* Installs forward() for every signal we can pass on, also those we were
 * started ignoring (a background job ignores SIGINT): the program, which
 * keeps them ignored, may catch them itself. caught and ignored say what
 * the child sets back before its exec. */
static void forward_signals(sigset_t *caught, sigset_t *ignored)
{
	struct sigaction fwd = { .sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART }, old;
	sigfillset(&fwd.sa_mask);
	sigemptyset(caught);
	sigemptyset(ignored);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!forwardable(sig) || (sig > SIGSYS && sig < SIGRTMIN))	/* glibc's own */
			continue;
		if (sigaction(sig, &fwd, &old) != 0)
			continue;
		sigaddset(caught, sig);
		if (old.sa_handler == SIG_IGN)
			sigaddset(ignored, sig);
	}
}

/* The program stopped (^Z, SIGSTOP, SIGTTIN...): stop as it did, so the
 * shell sees the job stopped; SIGCONT to us resumes it (forward). */
static void stop_like(int sig)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old;
	sigset_t one, prev;
	sigemptyset(&one);
	sigaddset(&one, sig);
	if (sig == SIGSTOP) {
		raise(SIGSTOP);
		return;
	}
	sigaction(sig, &dfl, &old);
	sigprocmask(SIG_UNBLOCK, &one, &prev);
	raise(sig);	/* an orphaned group ignores it: then we wait on */
	sigprocmask(SIG_SETMASK, &prev, NULL);
	sigaction(sig, &old, NULL);
}

/* Adds up the counts each process left in the run directory's
 * HJ_COUNTS_DIR (a file each, see src/engine/summary.c), removes them
 * through the held descriptor, prints the table. */
static void summarize(const struct run_dir *r, int out)
{
	static struct hj_stat sum[HJ_NCALLS];
	int dfd = openat(r->fd, HJ_COUNTS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[PATH_MAX + 256];
		snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dfd, e->d_name);
		hj_summary_read(path, sum);
		unlinkat(dfd, e->d_name, 0);
	}
	if (d)
		closedir(d);
	unlinkat(r->fd, HJ_COUNTS_DIR, AT_REMOVEDIR);
	static char table[1 << 16];
	size_t n = hj_summary_table(sum, table, sizeof table);
	hj_raw_write(out, table, n);
}

/* What went wrong with the trace output, said at exit on our stderr. */
static void report_output(const struct hj_shared *s, const char *output)
{
	int err = s && s->out_errno ? s->out_errno : hj_output_errno;
	if (err && err != EPIPE)
		fprintf(stderr, "hijack: %s: the trace could not be written: %s\n", output ? output : "standard error",
			strerror(err));
	if ((s && s->out_gone) || err == EPIPE)
		fprintf(stderr, "hijack: the trace's reader went away: tracing stopped there, and the program ran on\n");
	if (s && s->out_lost_pid)
		fprintf(stderr, "hijack: process %d had lost the trace's descriptor (the program closed it, or put a "
			"file of its own there, behind our back): its trace lines were dropped\n", s->out_lost_pid);
}

/* The run's table of rules that must fire (fired.c), in its private
 * directory; the --inject specs are in it from the start, so that one
 * no process ever took (a static program) is named too. */
static void unfired_table(const char *dir, const char *injects)
{
	if (!hj_fired_create(dir))
		return;
	char *copy = injects ? strdup(injects) : NULL, err[512];
	for (char *save, *p = copy ? strtok_r(copy, "\x1e", &save) : NULL; p; p = strtok_r(NULL, "\x1e", &save)) {
		struct hj_inject *inj = hj_inject_parse(p, err, sizeof err);
		if (inj)
			hj_inject_register(inj);
		hj_inject_free(inj);
	}
	free(copy);
}

/* strace's -e QUALIFIER=VALUE. 0: taken (trace or inject set), 1: not
 * strace's (Ruby code, for -e), 2: strace's but not ours (said why). */
static int strace_expr(const char *arg, char **trace, char **injects)
{
	static const char *refused[] = { "abbrev", "verbose", "raw", "signal", "signals", "read", "reads",
		"write", "writes", "status", "quiet", "silent", "silence", "decode-fds", "decode-fd",
		"decode-pids", "decode-pid", "kvm", "trace-fds", "trace-fd", "fd", "fds", "secontext" };
	size_t key = strspn(arg, "abcdefghijklmnopqrstuvwxyz-");
	if (!key || arg[key] != '=')
		return 1;
	const char *val = arg + key + 1;
	char err[512];
	if ((key == 5 && !strncmp(arg, "trace", 5)) || (key == 1 && arg[0] == 't')) {
		if (*val && strcmp(val, "all") &&
		    !hj_set_parse(val, (uint64_t[(HJ_NCALLS + 63) / 64]){ 0 }, err, sizeof err))
			return usage_error("-e %s: %s", arg, err);
		*trace = (char *)(!strcmp(val, "all") ? "" : val);
		return 0;
	}
	if ((key == 6 && !strncmp(arg, "inject", 6)) || (key == 5 && !strncmp(arg, "fault", 5))) {
		char spec[4096];
		/* strace's fault= is inject= whose error defaults to ENOSYS */
		bool bare = arg[0] == 'f' && !strstr(val, "error=") && !strstr(val, "retval=");
		snprintf(spec, sizeof spec, "%s%s", val, bare ? ":error=ENOSYS" : "");
		struct hj_inject *inj = hj_inject_parse(spec, err, sizeof err);
		if (!inj)
			return usage_error("-e %s: %s", arg, err);
		hj_inject_free(inj);
		append(injects, spec, '\x1e');
		return 0;
	}
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		if (strlen(refused[i]) == key && !strncmp(arg, refused[i], key))
			return usage_error("-e %.*s=: strace's, not supported by hijack "
					   "(-e takes trace=SET, inject=SPEC, fault=SPEC, or Ruby code)", (int)key, arg);
	return 1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "script", required_argument, 0, 's' }, { "eval", required_argument, 0, 'e' },
		{ "trace", optional_argument, 0, 't' }, { "json", no_argument, 0, 'J' },
		{ "summary", no_argument, 0, 'c' }, { "output", required_argument, 0, 'o' },
		{ "inject", required_argument, 0, 'I' }, { "seed", required_argument, 0, 'S' },
		{ "no-follow", no_argument, 0, 'F' }, { "help", no_argument, 0, 'h' },
		{ "time", required_argument, 0, 'T' }, { "redirect", required_argument, 0, 'R' },
		{ "readonly", required_argument, 0, 'W' }, { "hide", required_argument, 0, 'H' },
		{ "deny", required_argument, 0, 'D' }, { "record", required_argument, 0, 'r' },
		{ "replay", required_argument, 0, 'p' }, { "quiet", no_argument, 0, 'Q' },
		{ "hook-timeout", required_argument, 0, 'K' }, { "vm-memory", required_argument, 0, 'M' },
		{ "enforce", no_argument, 0, 'X' },
		/* strace's long spellings of -f and -ff */
		{ "follow-forks", no_argument, 0, 'f' }, { "output-separately", no_argument, 0, 'P' },
		{ 0, 0, 0, 0 },
	};
	char *shortcuts = NULL, *record = NULL, *replay = NULL, ruby[8192];
	char *scripts = NULL, *evals = NULL, *injects = NULL, *trace = NULL, *output = NULL, *seed = NULL;
	char *hook_timeout = NULL, *vm_memory = NULL;
	bool json = false, summary = false, follow = true, quiet = false, enforce = false;
	char *shortcut_names = NULL;	/* each shortcut's option text: its code's file name */
	int forks = 0;	/* -f: accepted (following is the default); -ff: FILE.PID */
	char err[512];
	int c;
	opterr = 0;
	optind = 1;
	/* '+': options end at COMMAND, whose own options are its business */
	while ((c = getopt_long(argc, argv, "+:s:e:t::co:f", opts, NULL)) != -1) {
		if (c == 'e') {	/* strace's -e trace=SET, -e inject=SPEC; else Ruby */
			int r = strace_expr(optarg, &trace, &injects);
			if (r == 2)
				return 2;
			if (r == 0)
				continue;
		}
		switch (c) {
		case 's': {
			char *abs = absolute(optarg);
			append(&scripts, abs, ':');
			free(abs);
			break;
		}
		case 'e': append(&evals, optarg, '\x1e'); break;
		case 't': /* -t=SET as well as --trace=SET */
			trace = !optarg ? "" : optarg + (optarg[0] == '=');
			break;
		case 'J': json = true; break;
		case 'c': summary = true; break;
		case 'o': output = optarg; break;
		case 'I': {
			struct hj_inject *inj = hj_inject_parse(optarg, err, sizeof err);
			if (!inj)
				return usage_error("%s", err);
			hj_inject_free(inj);	/* checked here, parsed again in each process */
			append(&injects, optarg, '\x1e');
			break;
		}
		case 'S': {
			uint64_t v;
			if (!hj_parse_u64(optarg, &v))
				return usage_error("--seed %s: not a number from 0 to 18446744073709551615", optarg);
			seed = optarg;
			break;
		}
		case 'F': follow = false; break;
		case 'f': forks++; break;
		case 'P': forks = 2; break;
		case 'T':
			if (!hj_time_spec(optarg, ruby, sizeof ruby, err, sizeof err))
				return usage_error("%s", err);
			append(&shortcuts, ruby, '\x1e');
			shortcut_name(&shortcut_names, "--time", optarg);
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
				return usage_error("%s", err);
			append(&shortcuts, ruby, '\x1e');
			shortcut_name(&shortcut_names, "--redirect", optarg);
			break;
		}
		case 'W': case 'H': {
			char *abs = *optarg ? absolute(optarg) : strdup("");
			bool ok = hj_path_spec(c == 'W' ? "--readonly" : "--hide", c == 'W' ? "readonly" : "hide", abs,
					       ruby, sizeof ruby, err, sizeof err);
			free(abs);
			if (!ok)
				return usage_error("%s", err);
			append(&shortcuts, ruby, '\x1e');
			shortcut_name(&shortcut_names, c == 'W' ? "--readonly" : "--hide", optarg);
			break;
		}
		case 'D':
			if (!hj_deny_spec(optarg, ruby, sizeof ruby, err, sizeof err))
				return usage_error("%s", err);
			append(&shortcuts, ruby, '\x1e');
			shortcut_name(&shortcut_names, "--deny", optarg);
			break;
		case 'r': free(record); record = absolute(optarg); break;
		case 'p':
			free(replay);
			replay = absolute(optarg);
			if (!hj_replay_load(replay, NULL, err, sizeof err)) {
				fprintf(stderr, "hijack: --replay: %s\n", err);
				return 2;
			}
			break;
		case 'Q': quiet = true; break;
		case 'X': enforce = true; break;
		case 'K': {
			uint64_t ns;
			if (!hj_parse_seconds(optarg, &ns))
				return usage_error("--hook-timeout %s: not a duration (2, 2s, 500ms; 0: none)", optarg);
			hook_timeout = optarg;
			break;
		}
		case 'M': {
			uint64_t bytes;
			if (!hj_parse_bytes(optarg, &bytes))
				return usage_error("--vm-memory %s: not a size (64M, 1G; 0: none)", optarg);
			if (bytes && bytes < 4 << 20)
				return usage_error("--vm-memory %s: the VM needs 4M at least", optarg);
			vm_memory = optarg;
			break;
		}
		case 'h': fputs(usage, stdout); return 0;
		case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("run: no command given");
	if (trace && *trace && !hj_set_parse(trace, (uint64_t[(HJ_NCALLS + 63) / 64]){ 0 }, err, sizeof err))
		return usage_error("--trace=%s: %s", trace, err);
	if (json && !trace)
		trace = "";
	if (record && replay && !strcmp(record, replay))
		return usage_error("--record and --replay name the same file");
	if (record) {	/* a fresh file, each process appends its faults */
		int fd = open(record, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		static const char head[] = "# hijack record: PROCESS CALL SEQ FAULT (see hijack --help)\n";
		if (fd < 0 || write(fd, head, sizeof head - 1) < 0) {
			fprintf(stderr, "hijack: --record %s: %s\n", record, strerror(errno));
			return 2;
		}
		close(fd);
	}
	if (shortcuts) {	/* the recipes' shortcuts run before the scripts */
		if (evals)
			append(&shortcuts, evals, '\x1e');
		free(evals);
		evals = shortcuts;
	}
	/* every script and -e compiled once, here, into one sealed memfd;
	 * the tree loads that bytecode */
	/* ^C or a kill while the run's directory exists and the program has
	 * not started: held until the directory is gone (see below) */
	sigset_t setup_sigs, setup_mask;
	sigemptyset(&setup_sigs);
	for (size_t i = 0; i < 4; i++)
		sigaddset(&setup_sigs, (int[]){ SIGINT, SIGTERM, SIGHUP, SIGQUIT }[i]);
	sigprocmask(SIG_BLOCK, &setup_sigs, &setup_mask);
	struct run_dir rd;
	if (!make_run_dir(&rd)) {
		fprintf(stderr, "hijack: cannot make a directory for the run: %s\n", strerror(errno));
		return 2;
	}
	struct hj_shared *shared = make_shared(&rd);
	int scripts_fd = -1;
	size_t scripts_size = 0;
	uint64_t scripts_hash = 0;
	bool ok = true;
	FILE *bc = NULL;
	if (scripts || evals) {
		scripts_fd = memfd_create("hijack-scripts", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		int w = scripts_fd >= 0 ? dup(scripts_fd) : -1;
		bc = w >= 0 ? fdopen(w, "wb") : NULL;
		if (!bc) {
			fprintf(stderr, "hijack: cannot make a memfd for the compiled scripts: %s\n", strerror(errno));
			return remove_dir(&rd), 2;
		}
	}
	char *copy = scripts ? strdup(scripts) : NULL;
	for (char *save, *p = copy ? strtok_r(copy, ":", &save) : NULL; p; p = strtok_r(NULL, ":", &save))
		ok = compile_file_to(p, NULL, bc) && ok;
	free(copy);
	copy = evals ? strdup(evals) : NULL;
	char *names = shortcut_names, *name_save = NULL;
	bool more_names = shortcut_names != NULL;
	for (char *save, *p = copy ? strtok_r(copy, "\x1e", &save) : NULL; p; p = strtok_r(NULL, "\x1e", &save)) {
		/* the shortcuts come first, each named by its option */
		const char *name = more_names ? strtok_r(names, "\x1e", &name_save) : NULL;
		more_names = name != NULL;
		names = NULL;
		ok = compile_to(name ? name : "-e", p, strlen(p), bc) && ok;
	}
	free(copy);
	free(shortcut_names);
	if (bc && (fclose(bc) != 0 || !seal_scripts(scripts_fd, &scripts_size, &scripts_hash)) && ok) {
		fprintf(stderr, "hijack: cannot seal the compiled scripts: %s\n", strerror(errno));
		ok = false;
	}
	if (ok && !quiet)
		unfired_table(rd.path, replay ? NULL : injects);
	if (!ok) {
		remove_dir(&rd);
		return 2;
	}

	char lib[PATH_MAX], prog[PATH_MAX];
	if (!find_library(lib, sizeof lib)) {
		fprintf(stderr, "hijack: cannot find libhijack.so beside %s (set HIJACK_LIBRARY)\n", argv[0]);
		return remove_dir(&rd), 2;
	}
	int status = resolve(argv[optind], prog, sizeof prog);
	if (status)
		return remove_dir(&rd), status;

	bool separately = forks > 1 && output;	/* -ff without -o is -f, as in strace */
	/* --enforce: the rules the scripts make, read before anything is
	 * made for the run, and checked against what this kernel can hold */
	struct hj_policy policy;
	bool enforcing = false;
	char *output_abs = output ? absolute(output) : NULL, libdir[PATH_MAX];
	snprintf(libdir, sizeof libdir, "%.*s", (int)(strrchr(lib, '/') - lib), lib);
	struct hj_enforce_own own = { .prog = prog, .library_dir = libdir, .run_dir = rd.path, .output = output_abs,
				      .output_separately = separately, .record = record, .replay = replay };
	if (enforce || hj_enforce_mentioned(scripts, evals)) {
		char *plan = hj_enforce_read_plan(scripts, evals, argc - optind, argv + optind);
		if (!plan)
			return remove_dir(&rd), 2;
		bool parsed = hj_policy_parse(plan, &policy, err, sizeof err);
		free(plan);
		enforcing = parsed && (enforce || policy.from_script);
		if (!parsed || (enforcing && !hj_policy_any(&policy) &&
				snprintf(err, sizeof err, "no rule for the kernel to hold: name --deny, --readonly or "
					 "--hide, or a script with Hijack::Sandbox or Hijack::FS.readonly/hide rules")) ||
		    (enforcing && !hj_enforce_check(&policy, &own, quiet, err, sizeof err))) {
			fprintf(stderr, "hijack: --enforce: %s\n", err);
			return remove_dir(&rd), 2;
		}
	}
	/* which calls the scripts' Ruby rules take, read once here: a
	 * process starts its VM at the first of them (vm/defer.c); under
	 * --enforce every process loads its rules at start */
	char *ruby_calls = NULL;
	if (scripts_fd >= 0 && !enforcing) {
		char spec[96];
		snprintf(spec, sizeof spec, "sealed:%d:%zu:%016llx", scripts_fd, scripts_size, (unsigned long long)scripts_hash);
		ruby_calls = hj_vm_defer_plan(spec, argc - optind, argv + optind);
	}
	const char *why = hj_unhookable(prog);
	if (why)
		fprintf(stderr, "hijack: warning: %s %s; its calls cannot be hooked (%s)\n", argv[optind], why,
			enforcing ? "the kernel's rules hold all the same" : "it runs all the same");

	int out = 2;
	if (output && (!separately || summary)) {	/* -ff: FILE only holds the summary */
		out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);	/* after what the processes appended */
		if (out < 0) {
			fprintf(stderr, "hijack: %s: %s\n", output, strerror(errno));
			return remove_dir(&rd), 2;
		}
	}
	/* each process's counts, in the run's private directory */
	char sumdir[PATH_MAX];
	snprintf(sumdir, sizeof sumdir, "%s/" HJ_COUNTS_DIR, rd.path);
	if (summary && mkdirat(rd.fd, HJ_COUNTS_DIR, 0700) != 0) {
		fprintf(stderr, "hijack: cannot make a directory for the summary: %s\n", strerror(errno));
		return remove_dir(&rd), 2;
	}

	sigset_t pending;
	sigpending(&pending);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&setup_sigs, sig) == 1 && sigismember(&pending, sig) == 1) {
			/* told to stop before the program started: clean up, then
			 * die of the signal as we would have */
			remove_dir(&rd);
			sigprocmask(SIG_SETMASK, &setup_mask, NULL);
			return 128 + sig;
		}
	sigprocmask(SIG_SETMASK, &setup_mask, NULL);

	/* signals wait (blocked) until the child's pid is known */
	sigset_t caught, ignored, all, mask;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &mask);
	forward_signals(&caught, &ignored);
	/* under --enforce: the child's reason when it cannot install a rule
	 * (closed, with nothing said, by its exec), and the exec supervisor's
	 * descriptor */
	int refusal[2] = { -1, -1 }, supervisor[2] = { -1, -1 };
	if (enforcing && (pipe2(refusal, O_CLOEXEC) != 0 ||
			  (hj_exec_supervised(&policy) &&
			   socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, supervisor) != 0))) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		fprintf(stderr, "hijack: --enforce: %s\n", strerror(errno));
		return remove_dir(&rd), 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		fprintf(stderr, "hijack: fork: %s\n", strerror(errno));
		if (summary)
			unlinkat(rd.fd, HJ_COUNTS_DIR, AT_REMOVEDIR);
		return remove_dir(&rd), 2;
	}
	if (pid == 0) {
		/* the program starts with the dispositions and mask we had */
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&caught, sig) == 1)
				signal(sig, sigismember(&ignored, sig) == 1 ? SIG_IGN : SIG_DFL);
		sigprocmask(SIG_SETMASK, &mask, NULL);
		const char *pre = getenv("LD_PRELOAD");
		char *preload = strdup(lib);
		if (pre && *pre)
			append(&preload, pre, ':');
		setenv("LD_PRELOAD", preload, 1);
		/* tracing or counting: the start-up watcher beside the library
		 * sees the loader's calls, before the library is there */
		char audit[PATH_MAX + 32];
		snprintf(audit, sizeof audit, "%.*s/libhijack-audit.so", (int)(strrchr(lib, '/') - lib), lib);
		if ((trace || summary) && !getenv("LD_AUDIT") && access(audit, R_OK) == 0)
			setenv("LD_AUDIT", audit, 1);
		char num[32];
		snprintf(num, sizeof num, "%d", getpid());
		setenv("HIJACK_ROOT_PID", num, 1);
		if (quiet)	/* the library's own advisories too */
			setenv("HIJACK_QUIET", "1", 1);
		if (scripts)
			setenv("HIJACK_SCRIPT", scripts, 1);
		if (evals)
			setenv("HIJACK_EVAL", evals, 1);
		if (scripts_fd >= 0) {
			/* inherited (not close-on-exec), above the program's usual fds */
			char spec[96];
			int fd = hj_dup_high(scripts_fd, 710, false);
			if (fd < 0) {
				fprintf(stderr, "hijack: cannot hand the compiled scripts down: %s\n", strerror(errno));
				_exit(2);
			}
			snprintf(spec, sizeof spec, "sealed:%d:%zu:%016llx", fd, scripts_size, (unsigned long long)scripts_hash);
			setenv("HIJACK_BYTECODE", spec, 1);
		} else {
			unsetenv("HIJACK_BYTECODE");
		}
		if (ruby_calls)
			setenv("HIJACK_RUBY_CALLS", ruby_calls, 1);
		else
			unsetenv("HIJACK_RUBY_CALLS");
		setenv("HIJACK_RUN_DIR", rd.path, 1);
		if (record)
			setenv("HIJACK_RECORD", record, 1);
		if (replay)
			setenv("HIJACK_REPLAY", replay, 1);
		/* a run of our own inside another's: the first process takes
		 * the run's start and its name afresh (hj_config_load) */
		unsetenv("HIJACK_EPOCH");
		unsetenv("HIJACK_PROC");
		if (injects)
			setenv("HIJACK_INJECT", injects, 1);
		if (trace)
			setenv("HIJACK_TRACE", *trace ? trace : "all", 1);
		if (json)
			setenv("HIJACK_JSON", "1", 1);
		if (summary)
			setenv("HIJACK_SUMMARY", sumdir, 1);
		if (seed)
			setenv("HIJACK_SEED", seed, 1);
		if (hook_timeout)
			setenv("HIJACK_HOOK_TIMEOUT", hook_timeout, 1);
		if (vm_memory)
			setenv("HIJACK_VM_MEMORY", vm_memory, 1);
		if (!follow)
			setenv("HIJACK_FOLLOW", "0", 1);
		if (output) {
			char *abs = absolute(output);
			setenv("HIJACK_OUTPUT", abs, 1);
			free(abs);
			if (separately)
				setenv("HIJACK_OUTPUT_SEPARATELY", "1", 1);
		} else {
			/* our stderr, kept for the trace even if the program moves
			 * its own; known by its identity, never by number alone */
			int fd = hj_dup_high(2, 700, false);
			struct stat st;
			if (fd >= 0 && fstat(fd, &st) == 0) {
				char spec[96];
				snprintf(spec, sizeof spec, "%d:%llu:%llu", fd, (unsigned long long)st.st_dev,
					 (unsigned long long)st.st_ino);
				setenv("HIJACK_OUTPUT_FD", spec, 1);
			}
		}
		if (enforcing) {
			setenv("HIJACK_ENFORCE", "1", 1);
			char why[1024];
			if (!hj_enforce_install(&policy, &own, supervisor[1], why, sizeof why)) {
				ssize_t w = write(refusal[1], why, strlen(why));
				_exit(w > 0 ? 2 : 2);
			}
		}
		execv(prog, argv + optind);
		int e = errno;
		fprintf(stderr, "hijack: %s: %s\n", argv[optind], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &mask, NULL);
	if (enforcing) {
		close(refusal[1]);
		if (supervisor[1] >= 0)
			close(supervisor[1]);
		/* the supervisor first: the child's exec waits for it (and is
		 * killed when there is none: its exec would wait for ever) */
		bool unsupervised = supervisor[0] >= 0 && !hj_enforce_supervise(supervisor[0], pid);
		if (unsupervised)
			kill(pid, SIGKILL);
		char why[1024] = "cannot start the exec supervisor";
		ssize_t r;
		while ((r = read(refusal[0], why, sizeof why - 1)) < 0 && errno == EINTR)
			;
		close(refusal[0]);
		if (r > 0 || unsupervised) {
			why[r > 0 ? r : (ssize_t)strlen(why)] = 0;
			fprintf(stderr, "hijack: --enforce: %s\n", why);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
			child = 0;
			if (summary)
				unlinkat(rd.fd, HJ_COUNTS_DIR, AT_REMOVEDIR);
			return remove_dir(&rd), 2;
		}
	}
	/* the end is seen without reaping (WNOWAIT): forward() stops before
	 * the pid is free to be another process's */
	for (;;) {
		siginfo_t si = { 0 };
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WSTOPPED | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (si.si_code != CLD_STOPPED)
			break;
		int sig = si.si_status;
		waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG);	/* taken */
		stop_like(sig);
	}
	child = 0;
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	/* the summary, written from a background job to a terminal with
	 * tostop, stops us as it would any program (caught, SIGTTOU would
	 * make the write try again for ever) */
	static const int job_control[] = { SIGTSTP, SIGTTIN, SIGTTOU };
	for (size_t i = 0; i < sizeof job_control / sizeof job_control[0]; i++)
		signal(job_control[i], sigismember(&ignored, job_control[i]) == 1 ? SIG_IGN : SIG_DFL);
	/* our stderr may be the pipe whose reader went away: the reports
	 * below must not kill us (the program's own SIGPIPE is untouched) */
	signal(SIGPIPE, SIG_IGN);
	lseek(out, 0, SEEK_END);	/* -o: after what the processes appended */
	if (!quiet)
		hj_fired_report(out, json);
	if (summary)
		summarize(&rd, out);
	report_output(shared, output);
	remove_dir(&rd);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return WEXITSTATUS(ws);
}

static int cmd_check(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("check: name at least one script");
	int status = 0;
	for (int i = 1; i < argc; i++) {
		const char *none = NULL;
		if (!compile_file(argv[i], &none))
			return 2;
	}
	char *scripts = NULL;
	hj_fired_off();	/* checked, not run: no rule of a run around us */
	for (int i = 1; i < argc; i++)
		append(&scripts, argv[i], ':');
	if (!hj_vm_start(scripts, NULL, NULL, argc, argv))
		status = 2;
	else
		hj_vm_list_hooks(stdout);
	free(scripts);
	return status;
}

static int cmd_compile(int argc, char **argv)
{
	const char *in = NULL, *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strncmp(argv[i], "-o", 2) && argv[i][2])
			out = argv[i] + 2;
		else if (argv[i][0] == '-' && argv[i][1])
			return usage_error("compile: unknown option '%s'", argv[i]);
		else if (!in)
			in = argv[i];
		else
			return usage_error("compile: one script at a time");
	}
	if (!in || !out)
		return usage_error("compile: usage: hijack compile SCRIPT -o OUT.mrb");
	const char *to = out;
	if (!compile_file(in, &to))
		return 2;
	if (!to) {
		fprintf(stderr, "hijack: %s: already bytecode\n", in);
		return 2;
	}
	return 0;
}

static void signature(char *out, size_t n, const struct hj_call_info *ci)
{
	const char *rt = ci->ret_type;
	int len = snprintf(out, n, "%s%s%s(", rt, rt[strlen(rt) - 1] == '*' ? "" : " ", ci->name);
	for (int i = 0; i < ci->nargs && len < (int)n; i++) {
		const char *t = ci->args[i].type;
		len += snprintf(out + len, n - (size_t)len, "%s%s%s%s", i ? ", " : "", t,
				t[strlen(t) - 1] == '*' ? "" : " ", ci->args[i].name);
	}
	if (len < (int)n)
		snprintf(out + len, n - (size_t)len, "%s)", ci->nargs ? "" : "void");
}

static int cmd_calls(int argc, char **argv)
{
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	if (argc > 1 && !json)
		return usage_error("calls: unknown option '%s'", argv[1]);
	if (json)
		fputs("[\n", stdout);
	for (int id = 0; id < HJ_NCALLS; id++) {
		const struct hj_call_info *ci = &hj_calls[id];
		char sig[512];
		signature(sig, sizeof sig, ci);
		if (!json) {
			printf("%-16s %-8s %s\n", ci->name, hj_group_name(ci->groups), sig);
			continue;
		}
		printf("  {\"name\": \"%s\", \"group\": \"%s\", \"signature\": \"%s\", \"args\": [",
		       ci->name, hj_group_name(ci->groups), sig);
		for (int i = 0; i < ci->nargs; i++)
			printf("%s{\"name\": \"%s\", \"type\": \"%s\"}", i ? ", " : "", ci->args[i].name, ci->args[i].type);
		printf("]}%s\n", id + 1 < HJ_NCALLS ? "," : "");
	}
	if (json)
		fputs("]\n", stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command given");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("hijack %s\n", VERSION);
		return 0;
	}
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "learn"))	/* learn.c */
		return hj_cmd_learn(argc - 1, argv + 1, cmd_run);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "ctl"))
		return hj_cmd_ctl(argc - 1, argv + 1);
	if (!strcmp(cmd, "top"))
		return hj_cmd_top(argc - 1, argv + 1);
	if (!strcmp(cmd, "attach"))	/* src/attach */
		return hj_cmd_attach(argc - 1, argv + 1);
	if (!strcmp(cmd, "detach"))
		return hj_cmd_detach(argc - 1, argv + 1);
	if (!strcmp(cmd, "compile"))
		return cmd_compile(argc - 1, argv + 1);
	if (!strcmp(cmd, "calls"))
		return cmd_calls(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
