/* The recipes' shortcut specs (--time, --redirect, --readonly, --hide,
 * --deny) and --replay files. Checks: an answer of either kind (Ruby, or
 * a message), never past the buffers, and Ruby that compiles: a spec
 * must never become code other than the one call it stands for. The
 * first byte picks the parser; the rest is the spec. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "core/engine.h"
#include "fuzz.h"

#define LEN 300

static void check_answer(bool ok, const char *ruby, const char *err)
{
	FUZZ_CHECK(ok ? ruby[0] != 0 : err[0] != 0, "an answer without %s", ok ? "Ruby" : "a message");
	FUZZ_CHECK(memchr(ruby, 0, LEN) && memchr(err, 0, LEN), "unterminated");
	for (int i = LEN; i < LEN + 8; i++)
		FUZZ_CHECK(ruby[i] == 0x5a && err[i] == 0x5a, "wrote past a buffer");
	if (!ok)
		return;
	char why[512];
	FUZZ_CHECK(hj_vm_compile("spec", ruby, strlen(ruby), NULL, why, sizeof why), "'%s' does not compile: %s", ruby, why);
	/* one statement or two (--time's date then speed), each a recipe call */
	FUZZ_CHECK(!strncmp(ruby, "Hijack::", 8), "'%s'", ruby);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *spec = fuzz_cstr(data + 1, size - 1);
	char ruby[LEN + 8], err[LEN + 8];
	memset(ruby, 0, sizeof ruby);
	memset(err, 0, sizeof err);
	memset(ruby + LEN, 0x5a, 8);
	memset(err + LEN, 0x5a, 8);
	bool ok;
	switch (data[0] % 5) {
	case 0:
		ok = hj_time_spec(spec, ruby, LEN, err, LEN);
		check_answer(ok, ruby, err);
		break;
	case 1: {
		char *eq = strchr(spec, '=');
		ok = hj_redirect_spec(spec, spec, eq ? eq + 1 : "", ruby, LEN, err, LEN);
		check_answer(ok, ruby, err);
		break;
	}
	case 2:
		ok = hj_path_spec("--hide", "hide", spec, ruby, LEN, err, LEN);
		check_answer(ok, ruby, err);
		break;
	case 3:
		ok = hj_deny_spec(spec, ruby, LEN, err, LEN);
		check_answer(ok, ruby, err);
		break;
	case 4: {
		/* a --replay file with these bytes (NULs and all) */
		int fd = memfd_create("replay", 0);
		if (fd < 0)
			break;
		if (write(fd, data + 1, size - 1) == (ssize_t)(size - 1)) {
			char path[64];
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			ok = hj_replay_load(path, NULL, err, LEN);
			FUZZ_CHECK(ok || err[0], "rejected without a message");
			for (int i = LEN; i < LEN + 8; i++)
				FUZZ_CHECK(err[i] == 0x5a, "wrote past the error buffer");
		}
		close(fd);
		break;
	}
	}
	free(spec);
	return 0;
}
