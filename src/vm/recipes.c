/* The Ruby built into the library: the recipes (Hijack::Clock, ::FS,
 * ::Sandbox, ::Chaos), loaded the first time a script names one, so a
 * process that uses none pays nothing for them; and the prelude that
 * sends a script's puts and print to the trace output. All of it is
 * compiled to bytecode at build time (src/tools/rbc.c) and built in
 * here: nothing is parsed at run time, and no file of it exists that a
 * program could change. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/dump.h>
#include <mruby/irep.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

#include "core/engine.h"
#include "vm/vm.h"

#ifndef HJ_RUBY_DIR
#define HJ_RUBY_DIR "build/ruby"
#endif

#define EMBED(sym, file) \
	__asm__(".pushsection .rodata\n.balign 16\n.global " #sym "\n.hidden " #sym "\n" #sym ":\n" \
		".incbin \"" HJ_RUBY_DIR "/" file "\"\n.global " #sym "_end\n.hidden " #sym "_end\n" \
		#sym "_end:\n.popsection\n"); \
	extern const char sym[], sym##_end[]

EMBED(hj_mrb_clock, "clock.mrb");
EMBED(hj_mrb_fs, "fs.mrb");
EMBED(hj_mrb_sandbox, "sandbox.mrb");
EMBED(hj_mrb_chaos, "chaos.mrb");
EMBED(hj_mrb_learn, "learn.mrb");
EMBED(hj_mrb_output, "output.mrb");

static const struct { const char *name, *code, *end; } recipes[] = {
	{ "Clock", hj_mrb_clock, hj_mrb_clock_end },
	{ "FS", hj_mrb_fs, hj_mrb_fs_end },
	{ "Sandbox", hj_mrb_sandbox, hj_mrb_sandbox_end },
	{ "Chaos", hj_mrb_chaos, hj_mrb_chaos_end },
	{ "Learn", hj_mrb_learn, hj_mrb_learn_end },
};

/* Bytecode run at the top level. mrb_load_irep_buf would take the
 * target class from the caller, Hijack.const_missing, and `module Hijack`
 * would then make Hijack::Hijack. */
static void run_toplevel(mrb_state *mrb, const char *buf, const char *end)
{
	mrb_irep *irep = mrb_read_irep_buf(mrb, buf, (size_t)(end - buf));
	if (!irep) {
		mrb_raise(mrb, E_SCRIPT_ERROR, "built-in bytecode does not load");
		return;
	}
	struct RProc *proc = mrb_proc_new(mrb, irep);
	mrb_irep_decref(mrb, irep);
	MRB_PROC_SET_TARGET_CLASS(proc, mrb->object_class);
	mrb_top_run(mrb, proc, mrb_top_self(mrb), 0);
}

mrb_value hj_recipe_load(mrb_state *mrb, mrb_value self)
{
	mrb_sym name;
	mrb_get_args(mrb, "n", &name);
	const char *s = mrb_sym_name(mrb, name);
	for (size_t i = 0; i < sizeof recipes / sizeof recipes[0]; i++) {
		if (strcmp(s, recipes[i].name))
			continue;
		run_toplevel(mrb, recipes[i].code, recipes[i].end);
		if (mrb->exc)	/* a bug of ours: let the script's report show it */
			mrb_exc_raise(mrb, mrb_obj_value(mrb->exc));
		if (mrb_const_defined_at(mrb, self, name))
			return mrb_const_get(mrb, self, name);
	}
	mrb_raisef(mrb, mrb_exc_get(mrb, "NameError"), "uninitialized constant Hijack::%n", name);
	return mrb_nil_value();
}

/* Hijack.__out(str): text a script printed, to the trace output. */
static mrb_value hijack_out(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value s;
	mrb_get_args(mrb, "S", &s);
	hj_log_text(RSTRING_PTR(s), (size_t)RSTRING_LEN(s));
	return mrb_nil_value();
}

/* Kernel#p and #pp: each argument's inspect, a line each, to $stdout. */
static mrb_value kernel_p(mrb_state *mrb, mrb_value self)
{
	(void)self;
	const mrb_value *argv;
	mrb_int argc;
	mrb_get_args(mrb, "*", &argv, &argc);
	mrb_value out = mrb_gv_get(mrb, mrb_intern_lit(mrb, "$stdout"));
	for (mrb_int i = 0; i < argc; i++) {
		mrb_value line = mrb_str_dup(mrb, mrb_inspect(mrb, argv[i]));
		mrb_str_cat_lit(mrb, line, "\n");
		mrb_funcall(mrb, out, "write", 1, line);
	}
	return argc == 0 ? mrb_nil_value() : argc == 1 ? argv[0] : mrb_ary_new_from_values(mrb, argc, argv);
}

/* Run once in each VM, before any script. */
bool hj_prelude_load(mrb_state *mrb)
{
	struct RClass *mod = mrb_module_get(mrb, "Hijack");
	mrb_define_module_function(mrb, mod, "__out", hijack_out, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, mrb->kernel_module, "p", kernel_p, MRB_ARGS_ANY());
	mrb_define_method(mrb, mrb->kernel_module, "pp", kernel_p, MRB_ARGS_ANY());
	int ai = mrb_gc_arena_save(mrb);
	run_toplevel(mrb, hj_mrb_output, hj_mrb_output_end);
	mrb_gc_arena_restore(mrb, ai);
	bool ok = !mrb->exc;
	mrb->exc = NULL;
	return ok;
}
