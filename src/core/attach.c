/* hijack attach's side in the process. The launcher (src/attach/) has
 * dlopen'ed us into a running program (our constructor found no settings
 * and left us dormant, start.c) and calls these by ptrace, one thread at
 * a time, the others running:
 *   hj_attach(config)     once, on one thread: the start our constructor
 *                         would have made, with config (a NUL-separated
 *                         block of HIJACK_*=value) in place of environ;
 *   hj_attach_thread(on)  on every thread: the system-call layer on or
 *                         off there (SUD is per thread);
 *   hj_detach()           once, after every thread's layer is off: every
 *                         rule out of force, our output closed.
 * Our code stays mapped after detach: a thread may still be returning
 * through it, and a rewritten call site still jumps to its stub, which
 * makes the call unseen when nothing wants it. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "core/engine.h"
#include "syscall/sud.h"

int hj_attach_state;

static void rules_off(void)
{
	hj_inject_clear();
	hj_rules_clear();
}

/* A second attach, after a detach: the same start, on what is there. */
static const char *reattach(void)
{
	static char err[512];
	hj_enter();
	rules_off();
	hj_sud_reattach();
	struct hj_config fresh = { .follow = true };
	hj_cfg = fresh;
	*err = 0;
	if (!hj_config_load(err, sizeof err)) {
		rules_off();
		hj_sud_attach_thread(false);
		hj_sud_detach();
		hj_leave();
		return err;
	}
	hj_output_start();
	const char *scripts = hj_env("HIJACK_SCRIPT"), *evals = hj_env("HIJACK_EVAL");
	if (((scripts && *scripts) || (evals && *evals)) && !hj_vm_start(scripts, evals, NULL, 0, NULL)) {
		snprintf(err, sizeof err, "the scripts do not load (see the trace output)");
		rules_off();
		hj_sud_attach_thread(false);
		hj_sud_detach();
		hj_leave();
		return err;
	}
	hj_attach_state = 1;
	hj_leave();
	return NULL;
}

const char *hj_attach(const char *config)
{
	if (hj_attach_state == 1)
		return "already hijacked";
	hj_by_attach = true;	/* before anything resolves libc's functions */
	hj_env_adopt(config);
	const char *err = hj_attach_state == 0 ? hj_start_attached() : reattach();
	if (!err)
		hj_got_redirect();	/* the library-level hooks */
	return err;
}

int hj_attach_thread(int on)
{
	return hj_sud_attach_thread(on != 0);
}

void hj_detach(void)
{
	if (hj_attach_state != 1)
		return;
	hj_got_restore();
	hj_enter();
	rules_off();
	hj_sud_detach();
	hj_summary_flush();	/* -c: the table of the calls seen while attached */
	hj_output_reset();
	hj_attach_state = 2;
	hj_leave();
}
