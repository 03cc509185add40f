/* The metadata half of calls.def: names, groups, prototypes, kinds. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "calls.h"

extern bool hj_sud_on;	/* core/dispatch.c: the system-call layer is on */

#define A(type, name, kind) (type, name, kind)
#define INFO(i, arg) INFO_ arg
#define INFO_(type, name, kind) { #type, #name, kind }
#define CALL(name, groups, rtype, rkind, ...) \
	[HJ_##name] = { #name, groups, #rtype, rkind, HJ_NARGS(__VA_ARGS__), { HJ_MAP(INFO, ##__VA_ARGS__) }, false },
#define HAND CALL
#define SYS(name, groups, rtype, rkind, ...) \
	[HJ_##name] = { #name, groups, #rtype, rkind, HJ_NARGS(__VA_ARGS__), { HJ_MAP(INFO, ##__VA_ARGS__) }, true },
#define VARIANT(sym, name)
const struct hj_call_info hj_calls[HJ_NCALLS] = {
#include "calls.def"
};
#undef CALL
#undef HAND
#undef SYS
#undef VARIANT

/* Every slot -1 first, then the numbers the kernel has: the later
 * initializer wins, as intended. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
const short hj_sys_row[HJ_NSYSNR] = {
	[0 ... HJ_NSYSNR - 1] = -1,
#define NR(nr, name) [nr] = HJ_##name,
#include "syscall/sysnr.def"
#undef NR
};

static const short row_sysnr[HJ_NCALLS] = {
	[0 ... HJ_NCALLS - 1] = -1,
#define NR(nr, name) [HJ_##name] = nr,
#include "syscall/sysnr.def"
#undef NR
};
#pragma GCC diagnostic pop

int hj_row_sysnr(int id)
{
	return id >= 0 && id < HJ_NCALLS ? row_sysnr[id] : -1;
}

/* ABI twins and their plain names; those with another signature
 * (src/preload/variants.c) are listed beside the table's VARIANT rows. */
static const struct { const char *sym; int id; } twins[] = {
#define CALL(...)
#define HAND(...)
#define SYS(...)
#define VARIANT(sym, name) { #sym, HJ_##name },
#include "calls.def"
#undef CALL
#undef HAND
#undef SYS
#undef VARIANT
#define TWIN(sym, name) { #sym, HJ_##name },
#include "libc/twins.def"
#undef TWIN
};

/* Names strace prints (x86_64, and the 32-bit names users know) for
 * system calls that hijack sees as the libc functions making them: the
 * first is the call the name means alone (a --replay line, a summary),
 * all of them are what it takes in a set. Checked against strace on
 * glibc 2.36: stat, lstat, fstat and fstatat all show as newfstatat,
 * faccessat as faccessat2, select as pselect6, fork as clone.
 * Where strace's name is also a SYS row of its own (newfstatat, pread64,
 * clone3...: what the syscall layer sees), that row comes last, so that
 * the name still means the libc call alone while only libc is hooked. */
#define ALIAS(strace_name, ...) { #strace_name, { __VA_ARGS__ }, sizeof((int[]){ __VA_ARGS__ }) / sizeof(int) },
static const struct { const char *name; int ids[HJ_MAXEXPAND]; int n; } aliases[] = {
	ALIAS(newfstatat, HJ_fstatat, HJ_stat, HJ_lstat, HJ_fstat, HJ_newfstatat)
	ALIAS(faccessat2, HJ_faccessat, HJ_faccessat2)
	ALIAS(_llseek, HJ_lseek)
	ALIAS(llseek, HJ_lseek)
	ALIAS(mmap2, HJ_mmap)
	ALIAS(pselect6, HJ_select, HJ_pselect6)
	ALIAS(clone, HJ_fork, HJ_clone)
	ALIAS(clone3, HJ_posix_spawn, HJ_posix_spawnp, HJ_system, HJ_popen, HJ_clone3)
	/* pread64 and pwrite64 are also glibc's symbols for pread, pwrite */
	ALIAS(pread64, HJ_pread, HJ_pread64)
	ALIAS(pwrite64, HJ_pwrite, HJ_pwrite64)
	ALIAS(oldfstat, HJ_fstat)
	ALIAS(oldstat, HJ_stat)
	ALIAS(oldlstat, HJ_lstat)
	/* glibc's open() is the openat system call: strace users' openat
	 * takes it too */
	ALIAS(openat, HJ_openat, HJ_open)
};
#undef ALIAS

/* With the system-call layer on, the libc names of system calls stand
 * for the system calls glibc 2.36 makes for them (x86_64), which is what
 * the layer sees: open() is the openat system call, stat() newfstatat,
 * sleep() clock_nanosleep. */
static const struct { const char *name; const char *sys[2]; } libc_names[] = {
	{ "open", { "openat", "open" } }, { "creat", { "openat", "creat" } },
	{ "stat", { "newfstatat", "stat" } }, { "lstat", { "newfstatat", "lstat" } },
	{ "fstat", { "newfstatat", "fstat" } }, { "fstatat", { "newfstatat" } },
	{ "pread", { "pread64" } }, { "pwrite", { "pwrite64" } },
	{ "send", { "sendto" } }, { "recv", { "recvfrom" } },
	{ "select", { "pselect6", "select" } }, { "pselect", { "pselect6" } },
	{ "sleep", { "clock_nanosleep" } }, { "usleep", { "clock_nanosleep" } },
	{ "nanosleep", { "clock_nanosleep", "nanosleep" } },
	{ "sigtimedwait", { "rt_sigtimedwait" } }, { "faccessat", { "faccessat2", "faccessat" } },
	{ "pipe", { "pipe2", "pipe" } }, { "futimens", { "utimensat" } },
	{ "renameat2", { "renameat2", "renameat" } },	/* flags 0: renameat */
};

static int row_named(const char *name)
{
	for (int i = 0; i < HJ_NCALLS; i++)
		if (!strcmp(hj_calls[i].name, name))
			return i;
	for (size_t i = 0; i < sizeof twins / sizeof twins[0]; i++)
		if (!strcmp(twins[i].sym, name))
			return twins[i].id;
	return -1;
}

static int expand_syscall_names(const char *name, int ids[HJ_MAXEXPAND])
{
	int row = row_named(name);
	const char *plain = row >= 0 ? hj_calls[row].name : name;	/* open64: open */
	for (size_t i = 0; i < sizeof libc_names / sizeof libc_names[0]; i++)
		if (!strcmp(libc_names[i].name, plain)) {
			int n = 0;
			for (int k = 0; k < 2 && libc_names[i].sys[k]; k++)
				if ((ids[n] = row_named(libc_names[i].sys[k])) >= 0)
					n++;
			return n;
		}
	ids[0] = row;
	return row >= 0;
}

int hj_call_expand(const char *name, int ids[HJ_MAXEXPAND])
{
	if (hj_sud_on)
		return expand_syscall_names(name, ids);
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (!strcmp(aliases[i].name, name)) {
			memcpy(ids, aliases[i].ids, sizeof aliases[i].ids);
			return aliases[i].n;
		}
	ids[0] = -1;
	for (int i = 0; i < HJ_NCALLS && ids[0] < 0; i++)
		if (!strcmp(hj_calls[i].name, name))
			ids[0] = i;
	for (size_t i = 0; i < sizeof twins / sizeof twins[0] && ids[0] < 0; i++)
		if (!strcmp(twins[i].sym, name))
			ids[0] = twins[i].id;
	return ids[0] >= 0;
}

bool hj_row_library_level(int id);	/* core/dispatch.c */

int hj_call_sysnrs(const char *name, int nrs[HJ_MAXEXPAND])
{
	int ids[HJ_MAXEXPAND], n = 0, m = expand_syscall_names(name, ids);
	for (int k = 0; k < m; k++)
		if (!hj_row_library_level(ids[k]) && (nrs[n] = hj_row_sysnr(ids[k])) >= 0)
			n++;
	/* and the calls that do the same from a directory descriptor
	 * (mkdir: mkdirat; chmod: fchmodat; rename: renameat, renameat2):
	 * denied at the kernel, a name must not leave its twin open */
	for (int k = 0, found = n; k < found; k++) {
		const char *sys = hj_calls[hj_sys_row[nrs[k]]].name;
		static const char *const forms[][2] = { { "", "at" }, { "f", "at" }, { "", "at2" }, { "f", "at2" }, { "", "2" } };
		for (size_t f = 0; f < sizeof forms / sizeof forms[0] && n < HJ_MAXEXPAND; f++) {
			char twin[64];
			snprintf(twin, sizeof twin, "%s%s%s", forms[f][0], sys, forms[f][1]);
			int row = row_named(twin), nr = row >= 0 ? hj_row_sysnr(row) : -1;
			bool seen = false;
			for (int j = 0; j < n; j++)
				seen |= nrs[j] == nr;
			if (nr >= 0 && !seen && !hj_row_library_level(row))
				nrs[n++] = nr;
		}
	}
	return n;
}

/* An alias names the call it means alone first. */
int hj_call_lookup(const char *name)
{
	int ids[HJ_MAXEXPAND];
	return hj_call_expand(name, ids) ? ids[0] : -1;
}

static const struct { const char *name; unsigned mask; } groups[] = {
	{ "file", G_FILE }, { "desc", G_DESC }, { "net", G_NET },
	{ "network", G_NET }, { "memory", G_MEMORY }, { "clock", G_CLOCK },
	{ "process", G_PROCESS }, { "signal", G_SIGNAL }, { "ipc", G_IPC },
	{ "creds", G_CREDS },
};

unsigned hj_group_lookup(const char *name)
{
	if (*name == '%')
		name++;
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (!strcmp(groups[i].name, name))
			return groups[i].mask;
	return 0;
}

/* The first group of a call, as `hijack calls` prints it. */
const char *hj_group_name(unsigned mask)
{
	static const char *order[] = { "signal", "process", "ipc", "clock", "memory",
				       "net", "file", "desc", "creds" };
	static const unsigned bits[] = { G_SIGNAL, G_PROCESS, G_IPC, G_CLOCK, G_MEMORY,
					 G_NET, G_FILE, G_DESC, G_CREDS };
	for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
		if (mask & bits[i])
			return order[i];
	return "-";	/* strace has no class for it (uname, futex...) */
}
