/* The library's life in a process: start at load, follow fork, finish at
 * exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../engine/engine.h"

static void hj_start(int argc, char **argv, char **envp);

static void before_fork(void)
{
	hj_proc_before_fork();
	hj_vm_before_fork();
}

static void after_fork_parent(void)
{
	hj_vm_after_fork_parent();
	hj_note_fork();
}

static void after_fork_child(void)
{
	hj_vm_after_fork();
	hj_note_fork();
	hj_proc_forked();
	hj_peek_forked();
	if (!hj_cfg.follow)
		memset(hj_wanted, 0, sizeof hj_wanted);
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

__attribute__((destructor)) static void hj_finish(void)
{
	hj_vm_at_exit();
	hj_busy++;
	hj_report_small_stack();
	hj_summary_flush();
	hj_busy--;
}
