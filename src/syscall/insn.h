/* x86-64 instruction lengths (insn.c): enough to walk forward from a
 * syscall site to its function's alignment padding. */
#ifndef HIJACK_INSN_H
#define HIJACK_INSN_H

#include <stdbool.h>

struct hj_insn {
	unsigned len;
	bool ends;	/* control never falls through: ret, jmp, ud2, hlt, int3 */
	bool nop;	/* a no-op (90, 0f 1f), whatever its prefixes */
};

/* The instruction at p: its length, or 0 when it is not one insn.c knows
 * (then nothing is to be assumed about what follows). p must have 15
 * readable bytes. */
unsigned hj_insn_decode(const unsigned char *p, struct hj_insn *in);

#endif
