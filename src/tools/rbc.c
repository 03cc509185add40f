/* rbc NAME IN OUT: compiles the Ruby built into the library (src/ruby/)
 * to mruby bytecode at build time, with NAME as its file in backtraces.
 * Debian ships no mrbc; this is the few lines of it we need. */
#include <stdio.h>
#include <stdlib.h>

#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/dump.h>
#include <mruby/proc.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: rbc NAME IN.rb OUT.mrb\n");
		return 2;
	}
	FILE *in = fopen(argv[2], "rb");
	if (!in) {
		perror(argv[2]);
		return 1;
	}
	mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);
	mrbc_context *cx = mrbc_context_new(mrb);
	mrbc_filename(mrb, cx, argv[1]);
	cx->capture_errors = TRUE;
	struct mrb_parser_state *p = mrb_parse_file(mrb, in, cx);
	fclose(in);
	if (!p || p->nerr) {
		fprintf(stderr, "%s:%d: %s\n", argv[2], p ? p->error_buffer[0].lineno : 0,
			p ? p->error_buffer[0].message : "cannot parse");
		return 1;
	}
	struct RProc *proc = mrb_generate_code(mrb, p);
	FILE *out = fopen(argv[3], "wb");
	if (!proc || !out || mrb_dump_irep_binary(mrb, proc->body.irep, MRB_DUMP_DEBUG_INFO, out) != MRB_DUMP_OK ||
	    fclose(out) != 0) {
		fprintf(stderr, "rbc: cannot write %s\n", argv[3]);
		remove(argv[3]);
		return 1;
	}
	mrb_parser_free(p);
	mrbc_context_free(mrb, cx);
	mrb_close(mrb);
	return 0;
}
