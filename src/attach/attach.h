/* hijack attach and detach, the launcher's side: a running process is
 * stopped one thread at a time with ptrace, and calls made in it (remote
 * calls) load the library and hand it the run's settings. */
#ifndef HIJACK_ATTACH_H
#define HIJACK_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* A thread of the target, stopped by us, with what it had in its
 * registers when it stopped (put back, all of them, when it goes on). */
struct hj_tracee {
	pid_t pid, tid;
	struct user_regs_struct saved;
	unsigned char xstate[16384];	/* FPU/SSE/AVX state (NT_X86_XSTATE) */
	size_t xstate_len;
	bool fp_legacy;			/* the kernel gave NT_PRFPREG only */
	bool stopped;
	int pending_sig;		/* a signal that came while we held it: delivered when it goes on */
};

/* Seizes and stops thread tid of pid; false with the reason in err. */
bool hj_tracee_stop(struct hj_tracee *t, pid_t pid, pid_t tid, char *err, size_t errlen);
/* Stops t at its next entry into a system call for which ok() says yes
 * (the call's number, its first argument), within timeout_ms; the call is
 * made again when t goes on. */
bool hj_tracee_park(struct hj_tracee *t, bool (*ok)(pid_t pid, long nr, long arg0), int timeout_ms, char *err,
		    size_t errlen);
/* Calls fn(args...) in t, on its own stack below what it was using, with
 * data (len bytes) copied there first: its address in t is the first
 * argument (and *data_at).
 * Only t is stopped; the others run. *ret: the call's rax. */
bool hj_tracee_call(struct hj_tracee *t, uintptr_t fn, const long args[6], const void *data, size_t len,
		    uintptr_t *data_at, long *ret, int timeout_ms, char *err, size_t errlen);
/* Puts back every register and lets t go (an interrupted system call
 * starts again, as after any stop). */
bool hj_tracee_release(struct hj_tracee *t);

/* Memory of pid, through /proc/PID/mem. */
bool hj_mem_read(pid_t pid, uintptr_t addr, void *buf, size_t len);
bool hj_mem_write(pid_t pid, uintptr_t addr, const void *buf, size_t len);

/* The address of symbol name (default version, exported) of the ELF
 * file mapped in pid whose path ends with suffix; 0 if none. path gets
 * the mapped file's name. */
uintptr_t hj_remote_symbol(pid_t pid, const char *suffix, const char *name, char *path, size_t pathlen);

int hj_cmd_attach(int argc, char **argv);
int hj_cmd_detach(int argc, char **argv);

#endif
