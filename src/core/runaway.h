/* Between vm.c and runaway.c: the VM's memory ceiling and hook timer. */
#ifndef HIJACK_RUNAWAY_H
#define HIJACK_RUNAWAY_H

#include <setjmp.h>
#include <mruby.h>

/* realloc-like, counting the VM's live bytes; NULL past --vm-memory */
void *hj_counting_allocf(mrb_state *mrb, void *p, size_t size, void *ud);
extern bool hj_vm_refused;		/* an allocation was refused */
extern bool hj_hook_interrupted;	/* the watchdog interrupted the hook running now */
/* Where a stopped hook lands: set in hj_vm_run before each hook, by the
 * thread holding the VM lock. */
extern sigjmp_buf hj_stop_point;
/* How a jump reaches hj_stop_point: hj_vm_run hands the same buffer to
 * mruby as its error jump (mruby jumps with 1), so one setjmp a hook
 * serves both. */
#define HJ_JUMP_RAISED 1
#define HJ_JUMP_STOPPED 2
void hj_watch_init(void);		/* at VM start */
void hj_watch_forked(void);		/* in a forked child */
void hj_watch_begin(const char *where);	/* a hook starts */
void hj_watch_end(void);		/* and ends */

/* mruby 3.1's peephole optimizer looks back from the start of the code
 * at each instruction (mrb_prev_pc): quadratic, 88% of the compile time
 * of a 5,000-line script. Bigger scripts compile without it. */
#define HJ_PEEPHOLE_MAX (32 * 1024)
/* The largest script: 256 KB of dense code (21,000 statements) took 2.4 s
 * to parse on a loaded 2-core machine, and parsing is quadratic too. */
#define HJ_SCRIPT_MAX (256 * 1024)
#define HJ_SCRIPT_TOO_BIG "the script is larger than 256 KB, the most hijack compiles " \
	"(mruby's parser takes seconds for each 20,000 lines, and four times as long for twice as many)"
/* Anything read as a script or bytecode: a bound for /dev/zero's kind. */
#define HJ_FILE_MAX (64 << 20)
#define HJ_FILE_MAX_TEXT "64 MB"

#endif
