/* Script source as `hijack check`, `hijack compile` and the launcher's
 * load take it: hj_vm_compile parses and compiles the input (from
 * memory, never run: a script may loop forever), and the bytecode it
 * writes is loaded back, not run, as `-s x.mrb` loads it. Checks: a
 * failure says "fuzz.rb...", a success writes bytecode that loads. */
#define _GNU_SOURCE
#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/irep.h>
#include <mruby/proc.h>

#include "core/engine.h"
#include "fuzz.h"

#define ERRLEN 300

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERRLEN + 8];
	memset(err, 0, sizeof err);
	memset(err + ERRLEN, 0x5a, 8);
	char *bc = NULL;
	size_t bclen = 0;
	FILE *out = open_memstream(&bc, &bclen);
	/* the input as it is, not NUL-terminated: the length is the bound */
	bool ok = hj_vm_compile("fuzz.rb", (const char *)data, size, out, err, ERRLEN);
	fclose(out);
	for (int i = ERRLEN; i < ERRLEN + 8; i++)
		FUZZ_CHECK(err[i] == 0x5a, "wrote past the error buffer");
	if (!ok) {
		FUZZ_CHECK(!strncmp(err, "fuzz.rb", 7), "the message does not name the file: '%.*s'", ERRLEN, err);
	} else {
		FUZZ_CHECK(bclen > 4 && !memcmp(bc, "RITE", 4), "compiled, %zu bytes of no bytecode", bclen);
		mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);
		mrbc_context *cx = mrbc_context_new(mrb);
		cx->no_exec = TRUE;
		mrb_value proc = mrb_load_irep_buf_cxt(mrb, bc, bclen, cx);
		FUZZ_CHECK(!mrb->exc && mrb_proc_p(proc), "its own bytecode does not load back");
		mrbc_context_free(mrb, cx);
		mrb_close(mrb);
	}
	free(bc);
	return 0;
}
