/* The parsers of user input: --inject specs and call sets. */
#include <stdio.h>
#include <string.h>

#include "core/engine.h"

static int passed, failed;

#define CHECK(cond, ...) do { \
	if (cond) passed++; \
	else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
} while (0)

static bool in(const uint64_t *set, int id) { return set[id / 64] >> (id % 64) & 1; }

static void test_sets(void)
{
	char err[256];
	uint64_t s[(HJ_NCALLS + 63) / 64] = { 0 };
	CHECK(hj_set_parse("openat,%net", s, err, sizeof err), "%s", err);
	CHECK(in(s, HJ_openat) && in(s, HJ_open) && in(s, HJ_connect) && !in(s, HJ_read), "openat,%%net");
	memset(s, 0, sizeof s);
	CHECK(hj_set_parse("!write", s, err, sizeof err), "%s", err);
	CHECK(!in(s, HJ_write) && in(s, HJ_read), "!write");
	memset(s, 0, sizeof s);
	CHECK(hj_set_parse("open64,__xstat", s, err, sizeof err), "twins answer to plain names: %s", err);
	CHECK(in(s, HJ_open) && in(s, HJ_stat), "twins");
	CHECK(!hj_set_parse("nosuch", s, err, sizeof err) && strstr(err, "unknown call: nosuch"), "%s", err);
	CHECK(!hj_set_parse("%nosuch", s, err, sizeof err) && strstr(err, "unknown group"), "%s", err);
	CHECK(hj_set_parse("?nosuch,read", s, err, sizeof err), "? ignores unknown names");
}

static void test_inject(void)
{
	static const char *good[] = {
		"write:error=ENOSPC", "write:error=28", "openat,%net:error=EACCES:when=3",
		"read:retval=0:when=2+", "read:retval=-1:when=2+3", "close:error=EIO:when=1..5",
		"close:error=EIO:when=1..5+2", "write:delay_enter=10ms", "write:delay_exit=1s",
		"write:delay_enter=100", "write:signal=SIGUSR1", "write:signal=10",
		"openat:error=ENOENT:path=/tmp/*:probability=0.5", "write:error=EIO:when=65535",
	};
	static const char *bad[] = {
		"write", "write:", "write:error=", "write:error=ENOPE", "write:retval=x",
		"write:error=EIO:retval=1", "write:when=0:error=EIO", "write:when=65536:error=EIO",
		"write:when=3..2:error=EIO", "write:when=1+x:error=EIO", "write:error=EIO:probability=2",
		"write:delay_enter=5min", "write:signal=SIGNOPE", "write:bogus=1", "nosuch:error=EIO",
		"write:when=1", "write:error=EIO:oops",
	};
	char err[512];
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct hj_inject *inj = hj_inject_parse(good[i], err, sizeof err);
		CHECK(inj, "rejected %s: %s", good[i], err);
		hj_inject_free(inj);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		CHECK(!hj_inject_parse(bad[i], err, sizeof err) && err[0], "accepted %s", bad[i]);
	}
}

/* when=2+3 fires on the 2nd, 5th, 8th... call */
static void test_when(void)
{
	char err[256];
	struct hj_inject *inj = hj_inject_parse("getppid:retval=7:when=2+3", err, sizeof err);
	hj_inject_add(inj);
	char got[64] = "";
	for (int n = 1; n <= 9; n++) {
		long a[HJ_MAXARGS] = { 0 };
		struct hj_call c = { .id = HJ_getppid, .a = a };
		uint64_t d = 0;
		int sig = 0;
		strcat(got, hj_inject_apply(&c, &d, &sig) && c.ret == 7 ? "x" : ".");
	}
	CHECK(!strcmp(got, ".x..x..x."), "when=2+3 gave %s", got);
}

int main(void)
{
	test_sets();
	test_inject();
	test_when();
	printf("inject: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
