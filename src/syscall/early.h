/* The start-up log: the system calls a process makes before the library
 * starts (the loader mapping the program's libraries, libc's own start,
 * other libraries' constructors), seen by the audit library (audit.c,
 * loaded with LD_AUDIT before any of the program's libraries) and handed
 * to the library when it starts (sud.c), which traces and counts them.
 * Shared by both; neither links the other. */
#ifndef HIJACK_EARLY_H
#define HIJACK_EARLY_H

#define HJ_EARLY_MAGIC "hjearly1"
/* where the audit library maps the log (MAP_FIXED_NOREPLACE; the library
 * checks the magic): an address no loader or allocator picks by itself */
#define HJ_EARLY_ADDR 0x6a61636b0000ul
#define HJ_EARLY_MAX 4096
#define HJ_EARLY_STR 160

struct hj_early_call {
	long nr, ret, a[6];
	int str_arg;			/* the path argument copied, or -1 */
	char str[HJ_EARLY_STR];		/* ... up to its NUL, cut if longer */
};

struct hj_early_log {
	char magic[8];
	void *handler;			/* the audit library's SIGSYS handler */
	volatile int stop;		/* the library has started: record no more */
	int n, dropped;
	struct hj_early_call calls[HJ_EARLY_MAX];
};

#endif
