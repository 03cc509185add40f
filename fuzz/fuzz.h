/* What the fuzz targets share: the input as a C string, and a check that
 * aborts (a crash libFuzzer keeps) with what was wrong. */
#ifndef HIJACK_FUZZ_H
#define HIJACK_FUZZ_H

#include <stdint.h>
#include <stdio.h>	/* dprintf */
#include <stdlib.h>	/* malloc, abort */
#include <string.h>
#include <unistd.h>	/* dup */

/* stderr as it was before libFuzzer's -close_fd_mask=2 (fuzz/run passes
 * it: mruby prints some errors itself), for the checks' messages */
static int fuzz_stderr = 2;
__attribute__((constructor)) static void fuzz_keep_stderr(void)
{
	int fd = dup(2);
	if (fd >= 0)
		fuzz_stderr = fd;
}

/* The parsers take NUL-terminated strings: a malloc'd copy, so that ASan
 * sees a read past its end. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}

#define FUZZ_CHECK(cond, ...) do { \
	if (!(cond)) { \
		dprintf(fuzz_stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
		dprintf(fuzz_stderr, __VA_ARGS__); \
		dprintf(fuzz_stderr, "\n"); \
		abort(); \
	} \
} while (0)

#endif
