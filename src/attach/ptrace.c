/* Remote calls with ptrace: one thread of the target is seized and
 * stopped, made to call a function of ours (or libc's) on its own stack,
 * and put back as it was, every register included.
 *
 * A thread stopped in a blocking system call (read, nanosleep) stops with
 * the call interrupted: rax holds -ERESTARTSYS (or another restart code)
 * and orig_rax the call's number, and the kernel restarts the call when
 * the thread goes on, from the registers it then has. So while our call
 * runs, orig_rax is -1 (no system call to restart: our code starts
 * clean), and the saved registers go back before the thread goes on: the
 * kernel then restarts the program's call as after any stop (nanosleep
 * with the time it had left), and the program sees no EINTR and loses no
 * data. The call "returns" to address 0: the SIGSEGV that follows is
 * taken by us (signal-delivery-stop), never delivered. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/attach.h"

bool hj_mem_read(pid_t pid, uintptr_t addr, void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = pread(fd, buf, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len;
}

bool hj_mem_write(pid_t pid, uintptr_t addr, const void *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = pwrite(fd, buf, len, (off_t)addr);
	close(fd);
	return n == (ssize_t)len;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* waitpid for one tracee, with a deadline: 0 timed out, -1 error, else
 * 1 with *status. */
static int wait_tracee(pid_t tid, int *status, long deadline)
{
	long pause_us = 100;
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL | WNOHANG);
		if (r == tid)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now_ms() > deadline)
			return 0;
		usleep((useconds_t)pause_us);
		if (pause_us < 5000)
			pause_us *= 2;
	}
}

static bool save_state(struct hj_tracee *t)
{
	if (ptrace(PTRACE_GETREGS, t->tid, 0, &t->saved) != 0)
		return false;
	struct iovec iov = { t->xstate, sizeof t->xstate };
	if (ptrace(PTRACE_GETREGSET, t->tid, NT_X86_XSTATE, &iov) == 0) {
		t->xstate_len = iov.iov_len;
		t->fp_legacy = false;
		return true;
	}
	t->fp_legacy = true;
	t->xstate_len = sizeof(struct user_fpregs_struct);
	return ptrace(PTRACE_GETFPREGS, t->tid, 0, t->xstate) == 0;
}

static bool restore_state(struct hj_tracee *t)
{
	bool ok = ptrace(PTRACE_SETREGS, t->tid, 0, &t->saved) == 0;
	if (t->fp_legacy) {
		ok = ptrace(PTRACE_SETFPREGS, t->tid, 0, t->xstate) == 0 && ok;
	} else {
		struct iovec iov = { t->xstate, t->xstate_len };
		ok = ptrace(PTRACE_SETREGSET, t->tid, NT_X86_XSTATE, &iov) == 0 && ok;
	}
	return ok;
}

bool hj_tracee_stop(struct hj_tracee *t, pid_t pid, pid_t tid, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	t->pid = pid;
	t->tid = tid;
	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) != 0) {
		snprintf(err, errlen, "ptrace(PTRACE_SEIZE, %d): %s", tid, strerror(errno));
		return false;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
		snprintf(err, errlen, "ptrace(PTRACE_INTERRUPT, %d): %s", tid, strerror(errno));
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return false;
	}
	long deadline = now_ms() + 10000;
	for (;;) {
		int st, w = wait_tracee(tid, &st, deadline);
		if (w <= 0) {
			snprintf(err, errlen, "thread %d did not stop", tid);
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return false;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			snprintf(err, errlen, "thread %d ended", tid);
			return false;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (st >> 16 == PTRACE_EVENT_STOP)
			break;
		/* a signal on its way to the thread: it goes on to it, and the
		 * thread stops for us once its handler ran */
		ptrace(PTRACE_CONT, tid, 0, WSTOPSIG(st));
	}
	if (!save_state(t)) {
		snprintf(err, errlen, "cannot read thread %d's registers: %s", tid, strerror(errno));
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return false;
	}
	t->stopped = true;
	return true;
}

bool hj_tracee_park(struct hj_tracee *t, bool (*ok)(pid_t pid, long nr, long arg0), int timeout_ms, char *err,
		    size_t errlen)
{
	long deadline = now_ms() + timeout_ms;
	int sig = 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, sig) != 0) {
			snprintf(err, errlen, "ptrace(PTRACE_SYSCALL): %s", strerror(errno));
			return false;
		}
		sig = 0;
		int st, w = wait_tracee(t->tid, &st, deadline);
		if (w == 0) {
			/* stopped again where it is, unparked */
			ptrace(PTRACE_INTERRUPT, t->tid, 0, 0);
			wait_tracee(t->tid, &st, now_ms() + 5000);
			save_state(t);
			snprintf(err, errlen, "thread %d made no system call where it is safe to stop it within %d ms",
				 t->tid, timeout_ms);
			return false;
		}
		if (w < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			t->stopped = false;
			snprintf(err, errlen, "thread %d ended", t->tid);
			return false;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			if (st >> 16 == 0)
				sig = WSTOPSIG(st);	/* the program's signal: delivered */
			continue;
		}
		struct __ptrace_syscall_info info;
		if (ptrace(PTRACE_GET_SYSCALL_INFO, t->tid, sizeof info, &info) <= 0 ||
		    info.op != PTRACE_SYSCALL_INFO_ENTRY || !ok(t->pid, (long)info.entry.nr, (long)info.entry.args[0]))
			continue;
		if (!save_state(t))
			return false;
		/* at the call's entry: when the thread goes on, it makes the
		 * call again from its syscall instruction */
		t->saved.rip -= 2;
		t->saved.rax = t->saved.orig_rax;
		t->saved.orig_rax = (unsigned long long)-1;
		return true;
	}
}

bool hj_tracee_call(struct hj_tracee *t, uintptr_t fn, const long args[6], const void *data, size_t len,
		    uintptr_t *data_at, long *ret, int timeout_ms, char *err, size_t errlen)
{
	struct user_regs_struct regs = t->saved;
	/* below the red zone, and well clear of what the thread was using */
	uintptr_t sp = (uintptr_t)t->saved.rsp - 1024;
	if (len) {
		sp = (sp - len) & ~(uintptr_t)15;
		if (!hj_mem_write(t->pid, sp, data, len)) {
			snprintf(err, errlen, "cannot write to thread %d's stack: %s", t->tid, strerror(errno));
			return false;
		}
		if (data_at)
			*data_at = sp;
	}
	long a0 = len ? (long)sp : args[0];
	sp = (sp & ~(uintptr_t)15) - 8;	/* as after a call: rsp+8 aligned */
	uint64_t zero = 0;
	if (!hj_mem_write(t->pid, sp, &zero, sizeof zero)) {
		snprintf(err, errlen, "cannot write to thread %d's stack: %s", t->tid, strerror(errno));
		return false;
	}
	regs.rsp = sp;
	regs.rip = fn;
	regs.rdi = (unsigned long long)a0;
	regs.rsi = (unsigned long long)args[1];
	regs.rdx = (unsigned long long)args[2];
	regs.rcx = (unsigned long long)args[3];
	regs.r8 = (unsigned long long)args[4];
	regs.r9 = (unsigned long long)args[5];
	regs.rax = 0;
	regs.orig_rax = (unsigned long long)-1;	/* no system call of the program's to restart under ours */
	regs.eflags &= ~0x400ull;		/* the direction flag clear, as the ABI wants */
	if (ptrace(PTRACE_SETREGS, t->tid, 0, &regs) != 0 || ptrace(PTRACE_CONT, t->tid, 0, 0) != 0) {
		snprintf(err, errlen, "cannot start the call in thread %d: %s", t->tid, strerror(errno));
		return false;
	}
	long deadline = now_ms() + timeout_ms;
	for (;;) {
		int st, w = wait_tracee(t->tid, &st, deadline);
		if (w == 0) {
			snprintf(err, errlen, "the call in thread %d did not return within %d s", t->tid, timeout_ms / 1000);
			return false;
		}
		if (w < 0 || WIFEXITED(st) || WIFSIGNALED(st)) {
			t->stopped = false;
			snprintf(err, errlen, "the process ended during the call (%s)",
				 w > 0 && WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exit");
			return false;
		}
		if (!WIFSTOPPED(st))
			continue;
		int sig = WSTOPSIG(st), event = st >> 16;
		if (event == 0 && sig == SIGSEGV) {
			struct user_regs_struct now;
			if (ptrace(PTRACE_GETREGS, t->tid, 0, &now) != 0) {
				snprintf(err, errlen, "cannot read thread %d's registers: %s", t->tid, strerror(errno));
				return false;
			}
			if (now.rip == 0 && now.rsp == sp + 8) {
				*ret = (long)now.rax;
				return true;
			}
			snprintf(err, errlen, "the call crashed in thread %d (SIGSEGV at %#llx)", t->tid, now.rip);
			return false;
		}
		/* the program's signals go on to it; stops of ours are passed */
		ptrace(PTRACE_CONT, t->tid, 0, event == 0 ? sig : 0);
	}
}

bool hj_tracee_release(struct hj_tracee *t)
{
	if (!t->stopped)
		return false;
	bool ok = restore_state(t);
	ok = ptrace(PTRACE_DETACH, t->tid, 0, t->pending_sig) == 0 && ok;
	t->stopped = false;
	return ok;
}

/* ---- symbols of the target's libraries, from their ELF files ---- */

static bool read_at(int fd, off_t off, void *buf, size_t len) { return pread(fd, buf, len, off) == (ssize_t)len; }

/* The offset of name's default exported definition in the ELF file fd. */
static uintptr_t elf_symbol(int fd, const char *name)
{
	Elf64_Ehdr eh;
	if (!read_at(fd, 0, &eh, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
		return 0;
	Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
	if (!sh || !read_at(fd, (off_t)eh.e_shoff, sh, eh.e_shnum * sizeof *sh)) {
		free(sh);
		return 0;
	}
	uintptr_t found = 0;
	int dynsym = -1, versym = -1;
	for (int i = 0; i < eh.e_shnum; i++) {
		if (sh[i].sh_type == SHT_DYNSYM)
			dynsym = i;
		if (sh[i].sh_type == SHT_GNU_versym)
			versym = i;
	}
	if (dynsym >= 0 && sh[dynsym].sh_link < eh.e_shnum) {
		Elf64_Shdr *ss = &sh[dynsym], *st = &sh[ss->sh_link];
		size_t n = ss->sh_size / sizeof(Elf64_Sym);
		Elf64_Sym *syms = malloc(ss->sh_size);
		char *strs = malloc(st->sh_size + 1);
		uint16_t *vers = versym >= 0 ? malloc(sh[versym].sh_size) : NULL;
		if (syms && strs && read_at(fd, (off_t)ss->sh_offset, syms, ss->sh_size) &&
		    read_at(fd, (off_t)st->sh_offset, strs, st->sh_size) &&
		    (!vers || read_at(fd, (off_t)sh[versym].sh_offset, vers, sh[versym].sh_size))) {
			strs[st->sh_size] = 0;
			for (size_t i = 0; i < n && !found; i++) {
				if (syms[i].st_shndx == SHN_UNDEF || syms[i].st_name >= st->sh_size ||
				    strcmp(strs + syms[i].st_name, name))
					continue;
				if (vers && i < sh[versym].sh_size / 2 && (vers[i] & 0x8000))
					continue;	/* a hidden (non-default) version */
				found = syms[i].st_value;
			}
		}
		free(syms);
		free(strs);
		free(vers);
	}
	free(sh);
	return found;
}

static bool path_matches(const char *path, const char *want)
{
	if (want[0] == '/')
		return !strcmp(path, want);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, want, strlen(want));
}

uintptr_t hj_remote_symbol(pid_t pid, const char *want, const char *name, char *path, size_t pathlen)
{
	char maps[64], line[4096 + 128];
	snprintf(maps, sizeof maps, "/proc/%d/maps", pid);
	FILE *f = fopen(maps, "re");
	if (!f)
		return 0;
	uintptr_t base = 0;
	char file[4096] = "";
	while (fgets(line, sizeof line, f)) {
		unsigned long start, off;
		int pos = 0;
		if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %n", &start, &off, &pos) < 2 || !pos)
			continue;
		char *p = line + pos;
		p[strcspn(p, "\n")] = 0;
		if (*p != '/' || !path_matches(p, want) || off != 0)
			continue;
		base = start;
		snprintf(file, sizeof file, "%s", p);
		break;
	}
	fclose(f);
	if (!base)
		return 0;
	if (path)
		snprintf(path, pathlen, "%s", file);
	/* the process may see another filesystem (a container): its root */
	char in_root[4096 + 64];
	snprintf(in_root, sizeof in_root, "/proc/%d/root%s", pid, file);
	int fd = open(in_root, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	uintptr_t off = elf_symbol(fd, name);
	close(fd);
	return off ? base + off : 0;
}
