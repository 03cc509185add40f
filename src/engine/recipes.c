/* The recipes (Hijack::Clock, ::FS, ::Sandbox, ::Chaos) are plain Ruby in
 * src/ruby/, built into the library as text and loaded the first time a
 * script names one: a process that uses none pays nothing for them. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/dump.h>
#include <mruby/irep.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/variable.h>

#include "vm.h"

#define EMBED(sym, file) \
	__asm__(".pushsection .rodata\n.global " #sym "\n.hidden " #sym "\n" #sym ":\n" \
		".incbin \"" file "\"\n.byte 0\n.popsection\n"); \
	extern const char sym[]

EMBED(hj_rb_clock, "src/ruby/clock.rb");
EMBED(hj_rb_fs, "src/ruby/fs.rb");
EMBED(hj_rb_sandbox, "src/ruby/sandbox.rb");
EMBED(hj_rb_chaos, "src/ruby/chaos.rb");

static const struct { const char *name, *file, *code; } recipes[] = {
	{ "Clock", "hijack/clock.rb", hj_rb_clock },
	{ "FS", "hijack/fs.rb", hj_rb_fs },
	{ "Sandbox", "hijack/sandbox.rb", hj_rb_sandbox },
	{ "Chaos", "hijack/chaos.rb", hj_rb_chaos },
};

/* A recipe's bytecode, kept in the run's directory: the first process of
 * the tree that names the recipe compiles it there (renamed into place
 * whole), the others load it, and a run that names none pays nothing. */
static char *compiled(int i, size_t *len)
{
	const char *dir = hj_env("HIJACK_RUN_DIR");
	char path[4096], tmp[4200], err[512];
	if (!dir || !*dir)
		return NULL;
	snprintf(path, sizeof path, "%s/recipe-%s.mrb", dir, recipes[i].name);
	char *code = hj_vm_slurp(path, len);
	if (!code) {
		snprintf(tmp, sizeof tmp, "%s.%d", path, getpid());
		FILE *f = fopen(tmp, "wbe");
		if (!f)
			return NULL;
		bool ok = hj_vm_compile(recipes[i].file, recipes[i].code, strlen(recipes[i].code), f, err, sizeof err);
		if (fclose(f) == 0 && ok)
			rename(tmp, path);
		else
			unlink(tmp);
		code = hj_vm_slurp(path, len);
	}
	if (code && (*len < 4 || memcmp(code, "RITE", 4))) {
		free(code);
		code = NULL;
	}
	return code;
}

/* Bytecode run at the top level. mrb_load_irep_buf would take the
 * target class from the caller, Hijack.const_missing, and `module Hijack`
 * would then make Hijack::Hijack. */
static void run_toplevel(mrb_state *mrb, const char *buf, size_t len)
{
	mrb_irep *irep = mrb_read_irep_buf(mrb, buf, len);
	if (!irep) {
		mrb_raise(mrb, E_SCRIPT_ERROR, "a recipe's bytecode does not load");
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
		mrbc_context *cx = mrbc_context_new(mrb);
		mrbc_filename(mrb, cx, recipes[i].file);
		size_t len;
		char *bytecode = compiled((int)i, &len);
		if (bytecode)
			run_toplevel(mrb, bytecode, len);
		else
			mrb_load_string_cxt(mrb, recipes[i].code, cx);
		free(bytecode);
		mrbc_context_free(mrb, cx);
		if (mrb->exc)	/* a bug of ours: let the script's report show it */
			mrb_exc_raise(mrb, mrb_obj_value(mrb->exc));
		if (mrb_const_defined_at(mrb, self, name))
			return mrb_const_get(mrb, self, name);
	}
	mrb_raisef(mrb, mrb_exc_get(mrb, "NameError"), "uninitialized constant Hijack::%n", name);
	return mrb_nil_value();
}
