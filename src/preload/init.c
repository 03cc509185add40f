/* The library's life in a process: start at load, follow fork, finish at
 * exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../engine/engine.h"

static void hj_start(int argc, char **argv, char **envp);

/* The fork handlers are busy from the first to the last line: fork()
 * runs them after our wrapper has stopped being busy, and the calls
 * they make (getpid in hj_note_fork, setenv, munmap...) are ours, not
 * the program's. Reaching its hooks from there ran a getpid block in
 * both parent and child of every fork a signal handler made, which made
 * the handler outlast the program's timer: a livelock. */
static void before_fork(void)
{
	hj_busy++;
	hj_proc_before_fork();
	hj_vm_before_fork();
}

static void after_fork_parent(void)
{
	hj_vm_after_fork_parent();
	hj_note_fork();
	hj_busy--;
}

static void after_fork_child(void)
{
	hj_vm_after_fork();
	hj_note_fork();
	hj_proc_forked();
	hj_summary_forked();
	hj_note_self();
	if (!hj_cfg.follow)
		memset(hj_wanted, 0, sizeof hj_wanted);
	hj_busy--;
}

/* With --no-follow, children start without us: drop our library from
 * LD_PRELOAD and our settings from the environment they inherit. */
static void unfollow(void)
{
	Dl_info self;
	const char *pre = hj_env("LD_PRELOAD");
	if (pre && dladdr((void *)unfollow, &self) && self.dli_fname) {
		char kept[4096] = "";
		char *copy = strdup(pre);
		for (char *save, *p = strtok_r(copy, ": ", &save); p; p = strtok_r(NULL, ": ", &save))
			if (strcmp(p, self.dli_fname)) {
				if (*kept)
					strncat(kept, ":", sizeof kept - strlen(kept) - 1);
				strncat(kept, p, sizeof kept - strlen(kept) - 1);
			}
		free(copy);
		if (*kept)
			setenv("LD_PRELOAD", kept, 1);
		else
			unsetenv("LD_PRELOAD");
	}
	static const char *vars[] = { "HIJACK_SCRIPT", "HIJACK_EVAL", "HIJACK_BYTECODE", "HIJACK_TRACE", "HIJACK_JSON",
		"HIJACK_EPOCH", "HIJACK_RECORD", "HIJACK_REPLAY", "HIJACK_PROC",
		"HIJACK_SUMMARY", "HIJACK_INJECT", "HIJACK_FOLLOW", "HIJACK_OUTPUT_FD" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

/* glibc passes argc, argv and envp to the constructors of loaded objects. */
__attribute__((constructor)) static void hj_start(int argc, char **argv, char **envp)
{
	(void)envp;	/* environ instead: see hj_follow_init below */
	hj_busy++;
	char err[512];
	if (!hj_config_load(err, sizeof err)) {
		fprintf(stderr, "hijack: %s\n", err);
		_exit(2);
	}
	hj_output_start();
	const char *scripts = hj_env("HIJACK_SCRIPT"), *evals = hj_env("HIJACK_EVAL");
	if (((scripts && *scripts) || (evals && *evals)) &&
	    !hj_vm_start(scripts, evals, hj_env("HIJACK_BYTECODE"), argc, argv))
		_exit(2);
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	if (!hj_cfg.follow) {
		unfollow();
	} else {
		/* LD_PRELOAD may name us by a relative path; carry our own */
		Dl_info self;
		/* environ, not envp: hj_config_load may have added to it */
		hj_follow_init(dladdr((void *)hj_start, &self) ? self.dli_fname : NULL, environ);
	}
	hj_busy--;
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

void hj_note_self(void) { self_pid = (pid_t)syscall(SYS_getpid); }
__attribute__((constructor)) static void note_self_at_start(void) { hj_note_self(); }

/* False in a child made without our fork handlers (a raw clone or fork
 * syscall, a real vfork): one that shares our memory must not run the
 * parent's blocks nor touch its state, and one that does not is not
 * known to be in a state to run them. Its counts, under the launcher,
 * go on adding to its parent's file. */
static bool our_process(void)
{
	return (pid_t)syscall(SYS_getpid) == self_pid;
}

void hj_exit_begin(void)
{
	if (!our_process() || __atomic_exchange_n(&ending, 1, __ATOMIC_ACQ_REL))
		return;
	hj_vm_at_exit();
}

void hj_exit_end(void)
{
	if (!our_process())
		return;
	hj_busy++;
	hj_report_small_stack();
	hj_summary_flush();
	hj_output_finish();
	hj_busy--;
}

__attribute__((destructor)) static void hj_finish(void)
{
	hj_exit_begin();
	hj_exit_end();
}
