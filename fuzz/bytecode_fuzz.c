/* A .mrb file as vm.c's load_file takes it: input that starts "RITE"
 * goes to mruby's own bytecode loader (mrb_load_irep_buf_cxt), not run.
 * That loader trusts its input (mruby 3.1's .mrb has no checksum, and
 * its VM runs whatever opcodes it is given), so a crash here is mruby's
 * and not in the default set (fuzz.mk): `make fuzz FUZZ_TARGETS=bytecode`. */
#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/irep.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4 || memcmp(data, "RITE", 4))
		return -1;	/* source: the script target's */
	mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);
	mrbc_context *cx = mrbc_context_new(mrb);
	cx->no_exec = TRUE;
	mrbc_filename(mrb, cx, "fuzz.mrb");
	mrb_load_irep_buf_cxt(mrb, data, size, cx);
	mrbc_context_free(mrb, cx);
	mrb_close(mrb);
	return 0;
}
