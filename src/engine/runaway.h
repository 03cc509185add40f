/* Between vm.c and runaway.c: the VM's memory ceiling and hook timer. */
#ifndef HIJACK_RUNAWAY_H
#define HIJACK_RUNAWAY_H

#include <setjmp.h>
#include <mruby.h>

/* realloc-like, counting the VM's live bytes; NULL past --vm-memory */
void *hj_counting_allocf(mrb_state *mrb, void *p, size_t size, void *ud);
extern bool hj_vm_refused;		/* an allocation was refused */
/* Where a stopped hook lands: set in hj_vm_run before each hook, by the
 * thread holding the VM lock. */
extern sigjmp_buf hj_stop_point;
void hj_watch_init(void);		/* at VM start */
void hj_watch_forked(void);		/* in a forked child */
void hj_watch_begin(const char *where);	/* a hook starts */
void hj_watch_end(void);		/* and ends */

#endif
