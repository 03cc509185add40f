/* x86-64 instruction lengths, for the little that rewrite.c reads: the
 * code that follows a syscall site, up to its function's alignment
 * padding. Decoding forward from a known instruction boundary (the byte
 * after a syscall) is exact; this knows the general-purpose and SSE
 * encodings compilers emit there and answers 0 for anything else (VEX,
 * EVEX, x87, far forms), which leaves the site trapping: a wrong length
 * would patch the middle of an instruction, an unknown one costs a trap.
 * The tables follow the Intel SDM's opcode maps (volume 2, appendix A). */
#include "syscall/insn.h"

/* ModRM, then SIB and displacement: their bytes, from the ModRM on */
static unsigned modrm_bytes(const unsigned char *p)
{
	unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
	if (mod == 3)
		return 1;
	if (rm == 4) {
		n++;		/* SIB */
		if (mod == 0 && (p[1] & 7) == 5)
			n += 4;	/* no base: disp32 */
	} else if (mod == 0 && rm == 5) {
		n += 4;		/* rip-relative */
	}
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

static bool legacy_prefix(unsigned char b)
{
	switch (b) {
	case 0x66: case 0x67: case 0xf2: case 0xf3: case 0xf0:
	case 0x2e: case 0x3e: case 0x26: case 0x36: case 0x64: case 0x65:
		return true;
	}
	return false;
}

/* the two-byte map (0f xx): the length from xx on; 0 unknown */
static unsigned two_byte(const unsigned char *p, struct hj_insn *in)
{
	unsigned op = p[0];
	const unsigned char *m = p + 1;
	if (op == 0x05)				/* syscall */
		return 1;
	if (op == 0x0b) {			/* ud2 */
		in->ends = true;
		return 1;
	}
	if (op >= 0x18 && op <= 0x1f) {		/* hint nops, prefetch, endbr64 */
		in->nop = op == 0x1f;
		return 1 + modrm_bytes(m);
	}
	if (op >= 0x80 && op <= 0x8f)		/* jcc rel32 (the caller refuses 66 before it) */
		return 5;
	if ((op >= 0xc8 && op <= 0xcf) || op == 0xa2 || op == 0x31 || op == 0x77)	/* bswap, cpuid, rdtsc, emms */
		return 1;
	if (op == 0x38)				/* 0f 38 xx: ModRM */
		return 2 + modrm_bytes(p + 2);
	if (op == 0x3a)				/* 0f 3a xx: ModRM, imm8 */
		return 2 + modrm_bytes(p + 2) + 1;
	if (op == 0x70 || op == 0x71 || op == 0x72 || op == 0x73 || op == 0xa4 || op == 0xac ||
	    op == 0xba || op == 0xc2 || op == 0xc4 || op == 0xc5 || op == 0xc6)
		return 1 + modrm_bytes(m) + 1;	/* ModRM, imm8 */
	if ((op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) || (op >= 0x40 && op <= 0x7f) ||
	    (op >= 0x90 && op <= 0x9f) || op == 0xa3 || op == 0xa5 || op == 0xab || op == 0xad ||
	    op == 0xae || op == 0xaf || op == 0xb0 || op == 0xb1 || op == 0xb3 ||
	    (op >= 0xb6 && op <= 0xbf && op != 0xba) || op == 0x0d || op == 0xc7 || op == 0xc0 ||
	    op == 0xc1 || op == 0xc3 || (op >= 0xd0 && op <= 0xfe))
		return 1 + modrm_bytes(m);
	return 0;
}

unsigned hj_insn_decode(const unsigned char *p, struct hj_insn *in)
{
	in->len = 0;
	in->ends = in->nop = false;
	unsigned i = 0;
	bool opsize = false, rexw = false;
	while (legacy_prefix(p[i])) {
		opsize |= p[i] == 0x66;
		if (++i > 8)
			return 0;
	}
	if ((p[i] & 0xf0) == 0x40)
		rexw = p[i++] & 8;
	unsigned op = p[i++];
	const unsigned char *m = p + i;	/* ModRM, when there is one */
	unsigned imm = opsize ? 2 : 4;	/* an Iz operand */
	unsigned n = 0;
	if (op == 0x0f) {
		n = two_byte(m, in);
		if (!n || (opsize && m[0] >= 0x80 && m[0] <= 0x8f))
			return 0;	/* 66 jcc: rel16 on AMD */
		return in->len = i + n;
	}
	if (op < 0x40) {
		switch (op & 7) {
		case 0: case 1: case 2: case 3:
			n = modrm_bytes(m);
			break;
		case 4:
			n = 1;
			break;
		case 5:
			n = imm;
			break;
		default:
			return 0;	/* segment pushes, BCD: not in 64-bit code */
		}
	} else if (op >= 0x50 && op <= 0x5f) {
		n = 0;
	} else if (op >= 0x70 && op <= 0x7f) {
		n = 1;			/* jcc rel8 */
	} else if (op >= 0x90 && op <= 0x99) {
		in->nop = op == 0x90;
	} else if (op >= 0xb0 && op <= 0xb7) {
		n = 1;
	} else if (op >= 0xb8 && op <= 0xbf) {
		n = rexw ? 8 : imm;
	} else {
		switch (op) {
		case 0x8f:
			if ((m[0] >> 3) & 7)
				return 0;	/* AMD's XOP, not pop */
			n = modrm_bytes(m);
			break;
		case 0x63: case 0x84: case 0x85: case 0x86: case 0x87: case 0x88: case 0x89: case 0x8a:
		case 0x8b: case 0x8c: case 0x8d: case 0x8e: case 0xd0: case 0xd1: case 0xd2:
		case 0xd3: case 0xfe:
			n = modrm_bytes(m);
			break;
		case 0x68:
			n = imm;
			break;
		case 0x6a: case 0xa8: case 0xcd:
			n = 1;
			break;
		case 0x69: case 0x81: case 0xc7:
			n = modrm_bytes(m) + imm;
			break;
		case 0x6b: case 0x80: case 0x83: case 0xc0: case 0xc1: case 0xc6:
			n = modrm_bytes(m) + 1;
			break;
		case 0xa9:
			n = imm;
			break;
		case 0x9c: case 0x9d: case 0xc9: case 0xcc: case 0xf5: case 0xf8: case 0xf9: case 0xfc:
		case 0xfd: case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab: case 0xac:
		case 0xad: case 0xae: case 0xaf:	/* (the string ops, rep or not) */
			n = 0;
			in->ends = op == 0xcc;
			break;
		case 0xc2:
			n = 2;
			in->ends = true;
			break;
		case 0xc3: case 0xf4:
			in->ends = true;
			break;
		case 0xe8:
			if (opsize)
				return 0;	/* rel16 on AMD, rel32 on Intel */
			n = 4;
			break;
		case 0xe9:
			if (opsize)
				return 0;
			n = 4;
			in->ends = true;
			break;
		case 0xeb:
			n = 1;
			in->ends = true;
			break;
		case 0xf6: case 0xf7: {
			unsigned reg = (m[0] >> 3) & 7;	/* test takes an immediate */
			n = modrm_bytes(m) + (reg < 2 ? (op == 0xf6 ? 1 : imm) : 0);
			break;
		}
		case 0xff: {
			unsigned reg = (m[0] >> 3) & 7;
			if (reg == 7)
				return 0;
			n = modrm_bytes(m);
			in->ends = reg == 4 || reg == 5;	/* jmp, indirect */
			break;
		}
		default:
			return 0;
		}
	}
	return in->len = i + n;
}
