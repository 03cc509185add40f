/* Finding libc's own functions behind our wrappers. */
#define _GNU_SOURCE
#include <dlfcn.h>		/* dlsym, RTLD_NEXT */
#include <unistd.h>		/* syscall */

#include "core/engine.h"

void *hj_reals[HJ_NCALLS];

/* Resolved lazily, on first use, so a call made before our constructor
 * (from another library's constructor) still finds its target, and a
 * process that calls few of them pays for few look-ups. Two threads may
 * race here; both store the same pointer. */
void *hj_resolve(int id, const char *sym)
{
	hj_busy++;		/* dlsym may allocate: serve that from libc */
	/* dlopen'ed by hijack attach: the definitions the program is bound
	 * to (libc/got.c); preloaded: the next after ours */
	void *p = hj_by_attach ? hj_got_definition(sym) : dlsym(RTLD_NEXT, sym);
	hj_busy--;
	if (!p) {
		static const char msg[] = "hijack: cannot find libc's ";
		hj_raw_write(2, msg, sizeof msg - 1);
		for (const char *s = sym; *s; s++)
			hj_raw_write(2, s, 1);
		hj_raw_write(2, "\n", 1);
		_exit(127);
	}
	__atomic_store_n(&hj_reals[id], p, __ATOMIC_RELEASE);
	return p;
}
