/* Between the VM (vm.c) and the Ruby API (api.c). */
#ifndef HIJACK_VM_H
#define HIJACK_VM_H

#include <mruby.h>

#include "core/engine.h"

extern mrb_state *hj_mrb;
void hj_api_init(mrb_state *mrb, int argc, char **argv);
/* The reused `call` object, pointed at c until hj_api_call_end. */
mrb_value hj_api_call_begin(mrb_state *mrb, struct hj_call *c);
void hj_api_call_end(mrb_state *mrb);
int hj_vm_keep_block(mrb_value blk);
void hj_vm_keep_at_exit(mrb_value blk);
/* Hijack.const_missing: loads a recipe module (Hijack::Clock...) shipped
 * in the library, the first time a script names it. */
mrb_value hj_recipe_load(mrb_state *mrb, mrb_value self);
/* Sends the script's puts, print, p, $stdout... to the trace output. */
bool hj_prelude_load(mrb_state *mrb);
void hj_vm_describe(mrb_state *mrb, mrb_value exc, char *out, size_t n);

#endif
