/* --inject specs (hj_inject_parse, hj_inject_free), and the errno and
 * signal names they take (hj_errno_lookup, hj_signal_lookup) on the
 * whole input. Checks: an answer of either kind (a spec, or NULL with a
 * message, never both), no write past the error buffer, no leak on any
 * path, names that read back. */
#define _GNU_SOURCE
#include <signal.h>	/* NSIG */

#include "core/engine.h"
#include "fuzz.h"

#define ERRLEN 200

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_cstr(data, size);
	char err[ERRLEN + 8];
	memset(err, 0, sizeof err);
	memset(err + ERRLEN, 0x5a, 8);
	struct hj_inject *inj = hj_inject_parse(spec, err, ERRLEN);
	FUZZ_CHECK(inj || err[0], "rejected without a message");
	FUZZ_CHECK(!inj || !err[0], "accepted, with the message '%s'", err);
	FUZZ_CHECK(memchr(err, 0, ERRLEN) != NULL, "message not terminated");
	for (int i = ERRLEN; i < ERRLEN + 8; i++)
		FUZZ_CHECK(err[i] == 0x5a, "wrote past the error buffer");
	hj_inject_free(inj);

	int e = hj_errno_lookup(spec);
	FUZZ_CHECK(e == -1 || (e > 0 && e < 4096), "errno %d", e);
	if (e > 0) {
		const char *name = hj_errno_name(e);
		FUZZ_CHECK(!name || hj_errno_lookup(name) == e, "%s reads back as %d, not %d", name, hj_errno_lookup(name), e);
	}
	int s = hj_signal_lookup(spec);
	FUZZ_CHECK(s == -1 || (s > 0 && s < NSIG), "signal %d", s);
	if (s > 0 && sigabbrev_np(s)) {
		char name[32];
		snprintf(name, sizeof name, "SIG%s", sigabbrev_np(s));
		FUZZ_CHECK(hj_signal_lookup(name) == s && hj_signal_lookup(name + 3) == s, "%s does not read back", name);
	}
	free(spec);
	return 0;
}
