/* Unit test of src/syscall/insn.c, the instruction lengths rewrite.c
 * walks by to find a xor site's hop: hand-picked encodings, then every
 * instruction of a few system libraries against objdump's boundaries.
 * A length insn.c gives must be objdump's; 0 (unknown) is allowed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

#include "syscall/insn.c"

static int passed, failed;

static void check(int ok, const char *what)
{
	if (ok)
		passed++;
	else {
		failed++;
		printf("FAIL %s\n", what);
	}
}

static void one(const char *hex, unsigned want, bool ends, bool nop, const char *what)
{
	unsigned char b[32] = { 0 };
	for (unsigned i = 0; hex[2 * i] && i < 16; i++)
		sscanf(hex + 2 * i, "%2hhx", &b[i]);
	struct hj_insn in;
	unsigned n = hj_insn_decode(b, &in);
	char msg[160];
	snprintf(msg, sizeof msg, "%s (%s): length %u, ends %d, nop %d; want %u, %d, %d", what, hex, n, in.ends,
		 in.nop, want, ends, nop);
	check(n == want && (!n || (in.ends == ends && in.nop == nop)), msg);
}

/* Every instruction of the library at path, by objdump's addresses. */
static void library(const char *path)
{
	struct link_map *lm = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lm) {
		printf("SKIP %s: %s\n", path, dlerror());
		return;
	}
	char cmd[600];
	snprintf(cmd, sizeof cmd, "objdump -d --no-show-raw-insn '%s' 2>/dev/null", lm->l_name);
	FILE *f = popen(cmd, "r");
	char line[512], prev_text[512] = "";
	unsigned long prev = 0, at;
	long same = 0, unknown = 0, wrong = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (line[0] != ' ' || sscanf(line, " %lx:", &at) != 1) {
			prev = 0;	/* a function's label: boundaries start again */
			continue;
		}
		if (prev && at > prev && at - prev <= 15 && !strstr(prev_text, "(bad)") &&
		    !strstr(prev_text, ".byte")) {
			struct hj_insn in;
			unsigned n = hj_insn_decode((const unsigned char *)lm->l_addr + prev, &in);
			if (!n)
				unknown++;
			else if (n == at - prev)
				same++;
			else if (++wrong <= 5)
				printf("  %s at %lx: %u bytes, objdump says %lu:%s", path, prev, n, at - prev, prev_text);
		}
		prev = at;
		snprintf(prev_text, sizeof prev_text, "%s", line);
	}
	if (f)
		pclose(f);
	char msg[200];
	snprintf(msg, sizeof msg, "%s: %ld lengths as objdump's, %ld wrong (%ld unknown)", path, same, wrong, unknown);
	check(same > 1000 && wrong == 0, msg);
	printf("PASS %s\n", msg);
}

int main(void)
{
	one("31c0", 2, false, false, "xor %eax,%eax");
	one("0f05", 2, false, false, "syscall");
	one("483d01f0ffff", 6, false, false, "cmp $-4095,%rax");
	one("c3", 1, true, false, "ret");
	one("e9000000", 5, true, false, "jmp rel32");
	one("eb10", 2, true, false, "jmp rel8");
	one("ffe0", 2, true, false, "jmp *%rax");
	one("ff2500000000", 6, true, false, "jmp *rip");
	one("0f0b", 2, true, false, "ud2");
	one("662e0f1f840000000000", 10, false, true, "cs nopw");
	one("0f1f440000", 5, false, true, "nopl 0(%rax,%rax)");
	one("0f1f00", 3, false, true, "nopl (%rax)");
	one("6690", 2, false, true, "xchg %ax,%ax");
	one("f30f1efa", 4, false, false, "endbr64: not a no-op");
	one("48b80102030405060708", 10, false, false, "movabs");
	one("b801000000", 5, false, false, "mov $1,%eax");
	one("66b80100", 4, false, false, "mov $1,%ax");
	one("f7c100010000", 6, false, false, "test $0x100,%ecx");
	one("f7d8", 2, false, false, "neg %eax");
	one("64488b042528000000", 9, false, false, "mov %fs:0x28,%rax");
	one("8fe878c2c001", 0, false, false, "XOP (vprotd), not pop");
	one("8f4008", 3, false, false, "pop 8(%rax)");
	one("66e90000", 0, false, false, "jmpw: rel16 or rel32 by vendor");
	one("c5f877", 0, false, false, "VEX: unknown");
	one("0f77", 2, false, false, "emms");
	one("f348ab", 3, false, false, "rep stos");
	library("libc.so.6");
	library("libm.so.6");
	library("libstdc++.so.6");
	library("libsqlite3.so.0");
	printf("insn: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
