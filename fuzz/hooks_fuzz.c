/* Hijack.on / Hijack.after as a script calls them, with arguments built
 * from the input as Ruby values in C: no Ruby code of the input runs.
 * One item a line:
 *   :NAME  a Symbol      "TEXT  a String (the rest of the line, any bytes)
 *   iN     an Integer    fN     a Float       nil
 *   rA..B, rA...B        a Range (A or B empty: nil; else an Integer)
 *   [N     the last N values as an Array      {N  the last 2N as a Hash
 *   block  a Ruby block (default: a C one)    noblock  none
 *   on, after            call Hijack.on / Hijack.after with the values so
 *                        far (the filters are a last Hash: :path, "..., {1)
 * A last call is made with what remains. The rule table is emptied after
 * each input: this file includes rules.c to reach it. Checks: ASan's and
 * LSan's (raises must not leak what the filters took), UBSan's. */
#include "../src/core/rules.c"

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/compile.h>
#include <mruby/error.h>
#include <mruby/hash.h>
#include <mruby/proc.h>
#include <mruby/range.h>
#include <mruby/string.h>

#include "vm/vm.h"
#include "fuzz.h"

#define STACK 64

static mrb_value ruby_block;	/* proc { |call| } from source: it has a file and line */

/* Frees every rule as api.c allocated it (the rule, its globs, its fds). */
static void rules_reset(void)
{
	for (int i = 0; i < nrules; i++) {
		for (int k = 0; k < rules[i]->nglobs; k++)
			hj_free(rules[i]->globs[k]);
		hj_free(rules[i]->globs);
		hj_free(rules[i]->fds);
		hj_free(rules[i]);
		rules[i] = NULL;
	}
	nrules = 0;
	memset(hj_rule_counts, 0, sizeof hj_rule_counts);
}

static mrb_value noop(mrb_state *mrb, mrb_value self) { (void)mrb; return self; }

struct input { const char *p, *end; };

static mrb_value integer_or_nil(mrb_state *mrb, const char *s, size_t n)
{
	char tmp[64];
	if (!n || n >= sizeof tmp)
		return mrb_nil_value();
	memcpy(tmp, s, n);
	tmp[n] = 0;
	return mrb_int_value(mrb, (mrb_int)strtoll(tmp, NULL, 0));
}

static void call(mrb_state *mrb, bool after, mrb_value blk, mrb_value *stack, int sp)
{
	struct RClass *mod = mrb_module_get(mrb, "Hijack");
	mrb_funcall_with_block(mrb, mrb_obj_value(mod), mrb_intern_cstr(mrb, after ? "after" : "on"), sp, stack, blk);
}

/* Runs under mrb_protect_error: a raise ends the input. */
static mrb_value body(mrb_state *mrb, void *ud)
{
	struct input *in = ud;
	mrb_value stack[STACK], cblock = mrb_obj_value(mrb_proc_new_cfunc(mrb, noop));
	mrb_value blk = cblock;
	int sp = 0, calls = 0;
	bool pending = false;
	while (in->p < in->end) {
		const char *line = in->p, *nl = memchr(line, '\n', (size_t)(in->end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(in->end - line);
		in->p = line + n + 1;
		if (!n)
			continue;
		const char *arg = line + 1;
		size_t an = n - 1;
		mrb_value v;
		bool push = true;
		if (line[0] == ':') {
			v = mrb_symbol_value(mrb_intern(mrb, arg, an));
		} else if (line[0] == '"') {
			v = mrb_str_new(mrb, arg, an);
		} else if (line[0] == 'i') {
			v = integer_or_nil(mrb, arg, an);
		} else if (line[0] == 'f') {
			char tmp[64];
			snprintf(tmp, sizeof tmp, "%.*s", (int)an, arg);
			v = mrb_float_value(mrb, strtod(tmp, NULL));
		} else if (line[0] == 'r') {
			const char *dots = memmem(arg, an, "..", 2);
			if (!dots)
				continue;
			bool excl = dots + 2 < arg + an && dots[2] == '.';
			const char *b = dots + 2 + excl;
			v = mrb_range_new(mrb, integer_or_nil(mrb, arg, (size_t)(dots - arg)),
					  integer_or_nil(mrb, b, (size_t)(arg + an - b)), excl);
		} else if (line[0] == '[' || line[0] == '{') {
			char tmp[8];
			snprintf(tmp, sizeof tmp, "%.*s", (int)(an < 7 ? an : 7), arg);
			int k = atoi(tmp);
			if (line[0] == '{')
				k *= 2;
			if (k < 0 || k > sp)
				k = sp;
			sp -= k;
			if (line[0] == '[') {
				v = mrb_ary_new_from_values(mrb, k, stack + sp);
			} else {
				v = mrb_hash_new(mrb);
				for (int j = 0; j + 1 < k; j += 2)
					mrb_hash_set(mrb, v, stack[sp + j], stack[sp + j + 1]);
			}
		} else if (n == 3 && !memcmp(line, "nil", 3)) {
			v = mrb_nil_value();
		} else if (n == 5 && !memcmp(line, "block", 5)) {
			blk = ruby_block, push = false;
		} else if (n == 7 && !memcmp(line, "noblock", 7)) {
			blk = mrb_nil_value(), push = false;
		} else if ((n == 2 && !memcmp(line, "on", 2)) || (n == 5 && !memcmp(line, "after", 5))) {
			if (++calls > 200)
				return mrb_nil_value();
			call(mrb, n == 5, blk, stack, sp);
			sp = 0, blk = cblock, pending = false;
			continue;
		} else {
			continue;
		}
		if (push && sp < STACK)
			stack[sp++] = v, pending = true;
	}
	if (pending)
		call(mrb, false, blk, stack, sp);
	return mrb_nil_value();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!hj_mrb) {
		if (!hj_vm_start(NULL, NULL, NULL, 0, NULL))
			abort();
		ruby_block = mrb_load_string(hj_mrb, "proc { |call| }");
		mrb_gc_register(hj_mrb, ruby_block);
	}
	mrb_state *mrb = hj_mrb;
	int ai = mrb_gc_arena_save(mrb);
	struct input in = { (const char *)data, (const char *)data + size };
	mrb_bool failed = FALSE;
	mrb_value exc = mrb_protect_error(mrb, body, &in, &failed);
	if (failed) {
		char msg[1024];
		hj_vm_describe(mrb, exc, msg, sizeof msg);
	}
	mrb->exc = NULL;
	mrb_gc_arena_restore(mrb, ai);
	rules_reset();
	return 0;
}
