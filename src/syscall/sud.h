/* The system-call layer (sud.c), as the rest of the library sees it. */
#ifndef HIJACK_SUD_H
#define HIJACK_SUD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/engine.h"

/* Arms the layer in this process (its main thread): false, with the
 * reason in hj_sud_why_off(), when the kernel or HIJACK_SYSCALLS=0 says no. */
bool hj_sud_start(void);
const char *hj_sud_why_off(void);
/* Traces and counts the calls of start-up (audit.c's log), once the run's
 * settings and output are there. */
void hj_sud_early_report(void);
void hj_sud_forked(void);
/* hijack attach/detach (core/attach.c): this thread's layer on or off;
 * the process's off once every thread is; on again for a second attach */
bool hj_sud_attach_thread(bool on);
void hj_sud_detach(void);
bool hj_sud_reattach(void);
/* gate.S calls these */
void hj_sud_thread_start(void);
void hj_sud_clone_returned(long ret);
void hj_sys_report(int row, const long *args, long kret);
/* The slow path of a rewritten site's stub: the call made as a trapped
 * one is; returns rax. */
long hj_sys_enter(long nr, const long *args);
/* rewrite.c: makes the site whose syscall instruction ends at `after`
 * (and makes nr) call a stub from now on, when it can; sites it cannot
 * rewrite go on trapping. hj_sud_rewrite: rewriting is on. */
void hj_rewrite_site(uintptr_t after, long nr);
void hj_rewrite_init(void);
/* A forked child: it finishes a rewrite its parent had under way, and
 * rewrites sites at their second trap from now on. */
void hj_rewrite_forked(void);
/* The number of a call trapped at `after`: nr, or the site's own while
 * its mov is half rewritten. */
long hj_rewrite_nr(uintptr_t after, long nr);
extern bool hj_sud_rewrite;
/* Per system call number: something wants it (the stubs' fast test). */
extern unsigned char hj_sys_wanted[HJ_NSYSNR];
/* A system call made from the gate: never trapped, never seen. */
long hj_gate_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5);

#endif
