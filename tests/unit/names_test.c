/* The names of calls with the system-call layer on (hj_sud_on): strace's
 * names take the call, the libc names stay as aliases (SPEC, "Calls and
 * names"), library-level rows answer to their own name only. The same
 * names with the layer off are inject_test's. */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) passed++; \
	else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

static bool in(const uint64_t *set, int id) { return set[id / 64] >> (id % 64) & 1; }

/* the rows NAME stands for, as "a,b" */
static const char *expand(const char *name)
{
	static char out[256];
	int ids[HJ_MAXEXPAND], n = hj_call_expand(name, ids);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, hj_calls[ids[i]].name);
	}
	return out;
}

#define EXPANDS(name, want) CHECK(!strcmp(expand(name), want), "%s stands for '%s', not '%s'", name, expand(name), want)

static void test_aliases(void)
{
	/* a libc name: the system call strace names first, then its own row */
	EXPANDS("open", "openat,open");
	EXPANDS("open64", "openat,open");
	EXPANDS("stat", "newfstatat,stat");
	EXPANDS("fstat", "newfstatat,fstat");
	EXPANDS("pread", "pread64");
	EXPANDS("send", "sendto");
	EXPANDS("nanosleep", "clock_nanosleep,nanosleep");
	EXPANDS("sleep", "clock_nanosleep");
	/* strace's names stand for themselves */
	EXPANDS("openat", "openat");
	EXPANDS("newfstatat", "newfstatat");
	EXPANDS("pread64", "pread64");
	EXPANDS("clock_nanosleep", "clock_nanosleep");
	/* library-level rows: their own name */
	EXPANDS("fork", "fork");
	EXPANDS("fopen", "fopen");
	EXPANDS("malloc", "malloc");
	EXPANDS("nosuch", "");
	/* lookups name the call meant alone first */
	CHECK(hj_call_lookup("stat") == hj_call_lookup("newfstatat"), "stat looks up newfstatat");
	CHECK(hj_call_lookup("openat") == HJ_openat, "openat");
}

static void test_sets(void)
{
	char err[256];
	uint64_t s[(HJ_NCALLS + 63) / 64] = { 0 };
	int newfstatat = hj_call_lookup("newfstatat");
	CHECK(newfstatat >= 0, "newfstatat is a row");
	CHECK(hj_set_parse("stat,%net", s, err, sizeof err), "%s", err);
	CHECK(newfstatat >= 0 && in(s, newfstatat) && in(s, HJ_stat), "stat takes newfstatat");
	CHECK(in(s, HJ_connect) && in(s, HJ_sendto) && !in(s, HJ_read), "%%net");
	memset(s, 0, sizeof s);
	CHECK(hj_set_parse("!openat", s, err, sizeof err), "%s", err);
	CHECK(!in(s, HJ_openat) && in(s, HJ_read), "!openat");
}

int main(void)
{
	hj_sud_on = true;
	test_aliases();
	test_sets();
	printf("names: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
