/* Which file a process writes its trace to: HIJACK_OUTPUT, or with
 * strace's -ff (HIJACK_OUTPUT_SEPARATELY=1) one file per process,
 * FILE.PID, as strace names them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

const char *hj_output_path(char *buf, size_t n)
{
	if (!hj_cfg.output || !hj_cfg.output_separately)
		return hj_cfg.output;
	snprintf(buf, n, "%s.%ld", hj_cfg.output, (long)syscall(SYS_getpid));
	return buf;
}
