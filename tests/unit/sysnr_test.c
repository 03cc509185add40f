/* Unit test of src/syscall/sysnr.def and its tables in src/calls.c: every
 * number is the kernel's (<sys/syscall.h>), names a row of calls.def, and
 * is there once; number -> row -> number goes round. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "calls.h"

static int passed, failed;

static void check(int ok, const char *what, const char *name, long a, long b)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s (%ld, %ld)\n", name, what, a, b);
}

int main(void)
{
	static int times[HJ_NSYSNR];
	int numbers = 0, highest = -1;
	/* HJ_##name does not compile unless the row exists; SYS_##name
	 * unless the kernel headers know the call */
#define NR(nr, call) \
	check(nr == SYS_##call, "number is <sys/syscall.h>'s SYS_" #call, #call, nr, SYS_##call); \
	check(!strcmp(hj_calls[HJ_##call].name, #call), "row has the name", #call, HJ_##call, 0); \
	check(hj_sys_row[nr] == HJ_##call, "hj_sys_row gives the row", #call, hj_sys_row[nr], HJ_##call); \
	check(hj_row_sysnr(HJ_##call) == nr, "hj_row_sysnr gives the number", #call, hj_row_sysnr(HJ_##call), nr); \
	times[nr]++; numbers++; highest = nr > highest ? nr : highest;
#include "syscall/sysnr.def"
#undef NR
	for (int nr = 0; nr < HJ_NSYSNR; nr++) {
		check(times[nr] <= 1, "number listed once", "sysnr.def", nr, times[nr]);
		if (!times[nr])
			check(hj_sys_row[nr] == -1, "a number the kernel lacks has no row", "hj_sys_row", nr, hj_sys_row[nr]);
	}
	check(HJ_NSYSNR == highest + 1, "HJ_NSYSNR is the highest number + 1", "HJ_NSYSNR", HJ_NSYSNR, highest + 1);
	/* a row is one system call at most, and a SYS row is one */
	int sys_rows = 0;
	for (int id = 0; id < HJ_NCALLS; id++) {
		int nr = hj_row_sysnr(id);
		if (nr >= 0)
			check(hj_sys_row[nr] == id, "row's number leads back to it", hj_calls[id].name, nr, hj_sys_row[nr]);
		if (hj_calls[id].sys_only) {
			sys_rows++;
			check(nr >= 0, "a SYS row is a system call", hj_calls[id].name, nr, 0);
		}
	}
	check(hj_row_sysnr(-1) == -1 && hj_row_sysnr(HJ_NCALLS) == -1, "out of range ids", "hj_row_sysnr", 0, 0);
	check(hj_row_sysnr(HJ_fopen) == -1 && hj_row_sysnr(HJ_malloc) == -1, "libc-only rows have no number", "hj_row_sysnr", 0, 0);
	/* strace's name finds the syscall's own row too */
	int ids[HJ_MAXEXPAND], n = hj_call_expand("newfstatat", ids);
	check(n == 5 && ids[4] == HJ_newfstatat && ids[0] == HJ_fstatat, "newfstatat expands to libc and SYS rows", "hj_call_expand", n, ids[0]);
	n = hj_call_expand("pread64", ids);
	check(n == 2 && ids[0] == HJ_pread && ids[1] == HJ_pread64, "pread64 expands to pread and the SYS row", "hj_call_expand", n, ids[0]);
	check(hj_call_lookup("rt_sigaction") == HJ_rt_sigaction, "a SYS row by name", "hj_call_lookup", hj_call_lookup("rt_sigaction"), HJ_rt_sigaction);
	check(hj_group_lookup("%signal") == G_SIGNAL && hj_group_lookup("ipc") == G_IPC && hj_group_lookup("%creds") == G_CREDS,
	      "new groups", "hj_group_lookup", 0, 0);
	check(!strcmp(hj_group_name(hj_calls[HJ_rt_sigaction].groups), "signal"), "rt_sigaction is %signal", "hj_group_name", 0, 0);
	printf("sysnr.def: %d numbers (highest %d), %d SYS rows, %d rows in all\n", numbers, highest, sys_rows, HJ_NCALLS);
	printf("sysnr: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
