/* The recipes (Hijack::Clock, ::FS, ::Sandbox, ::Chaos) are plain Ruby in
 * src/ruby/, built into the library as text and loaded the first time a
 * script names one: a process that uses none pays nothing for them. */
#define _GNU_SOURCE
#include <string.h>

#include <mruby.h>
#include <mruby/compile.h>
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
		mrb_load_string_cxt(mrb, recipes[i].code, cx);
		mrbc_context_free(mrb, cx);
		if (mrb->exc)	/* a bug of ours: let the script's report show it */
			mrb_exc_raise(mrb, mrb_obj_value(mrb->exc));
		if (mrb_const_defined_at(mrb, self, name))
			return mrb_const_get(mrb, self, name);
	}
	mrb_raisef(mrb, mrb_exc_get(mrb, "NameError"), "uninitialized constant Hijack::%n", name);
	return mrb_nil_value();
}
