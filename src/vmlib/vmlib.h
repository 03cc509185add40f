/* The Ruby side of the preloaded library lives in a library of its own,
 * libhijack-ruby.so (src/vm's vm.c, api.c and recipes.c with mruby and
 * libm), loaded by a process only when its scripts may need it (issue
 * 11): mapping and relocating mruby's tables cost every process about 30
 * page faults, and most processes of a build or a shell script run no
 * Ruby at all. The launcher links the same code in directly.
 *
 * The preloaded part reaches the Ruby side through this table, which the
 * Ruby library exports (its only exported name); it reaches the engine
 * through the hj_* names the preloaded part exports for it (Makefile's
 * libhijack.map). */
#ifndef HJ_VMLIB_H
#define HJ_VMLIB_H

#include "core/engine.h"

#define HJ_RUBY_LIBRARY "libhijack-ruby.so"
#define HJ_RUBY_ENTRY_VERSION 2

struct hj_ruby_entry {
	int version;		/* HJ_RUBY_ENTRY_VERSION: both built together */
	bool (*vm_start)(const char *scripts, const char *evals, const char *bytecode, int argc, char **argv);
	bool (*vm_active)(void);
	bool (*vm_has_at_exit)(void);
	bool (*vm_sealed_check)(const char *spec);
	void (*scripts_before_exec)(void);
	void (*vm_run)(struct hj_call *c, struct hj_rule **rules, int n);
	void (*vm_at_exit)(void);
	void (*vm_before_fork)(void);
	void (*vm_after_fork_parent)(void);
	void (*vm_after_fork)(void);
	bool (*vm_would_run)(void);
	bool (*vm_ctl_load)(const char *name, const char *code, size_t len, int set, char *err, size_t errlen);
	bool (*vm_ctl_eval)(const char *code, size_t len, int set, char *out, size_t outlen);
};

/* forward.c: loads the Ruby library (from the constructor, attach's
 * parked thread, or the control channel's thread: never from a signal
 * handler or a hooked call, where the program may hold malloc's or the
 * loader's lock). SELF is the preloaded library's path;
 * the Ruby library sits beside it. False after writing why in ERR. */
bool hj_ruby_load(const char *self, char *err, size_t errlen);
/* true once loaded */
bool hj_ruby_loaded(void);

#endif
