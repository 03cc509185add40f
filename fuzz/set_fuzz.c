/* Call sets, as -t SET, --inject and Hijack.on take them (hj_set_parse).
 * Checks: an answer of either kind, no bit set beyond the last call and
 * no write past the set, and "!SET" is exactly the complement of SET. */
#include "core/engine.h"
#include "fuzz.h"

#define WORDS ((HJ_NCALLS + 63) / 64)
#define ERRLEN 200

static bool parse(const char *spec, uint64_t *set, char *err)
{
	memset(set, 0, (WORDS + 1) * sizeof *set);
	set[WORDS] = 0x5a5a5a5a5a5a5a5aull;	/* past the set */
	memset(err, 0, ERRLEN);
	bool ok = hj_set_parse(spec, set, err, ERRLEN);
	FUZZ_CHECK(set[WORDS] == 0x5a5a5a5a5a5a5a5aull, "wrote past the set");
	FUZZ_CHECK(ok ? !err[0] : err[0] != 0, "ok %d, message '%s'", ok, err);
	FUZZ_CHECK(ok || !memcmp(set, (uint64_t[WORDS]){ 0 }, WORDS * sizeof *set), "a rejected set has members");
	for (int i = HJ_NCALLS; i < WORDS * 64; i++)
		FUZZ_CHECK(!(set[i / 64] >> (i % 64) & 1), "bit %d set, beyond the %d calls", i, HJ_NCALLS);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 2);	/* "!" + input; spec + 1: the input */
	if (!spec)
		abort();
	spec[0] = '!';
	memcpy(spec + 1, data, size);
	spec[size + 1] = 0;
	uint64_t set[WORDS + 1], neg[WORDS + 1];
	char err[ERRLEN];
	bool ok = parse(spec + 1, set, err);
	if (spec[1] != '!') {
		bool nok = parse(spec, neg, err);
		FUZZ_CHECK(nok == ok, "'%s' %s, its negation %s", spec + 1, ok ? "parses" : "does not", nok ? "does" : "does not");
		for (int i = 0; ok && i < HJ_NCALLS; i++)
			FUZZ_CHECK((set[i / 64] >> (i % 64) & 1) != (neg[i / 64] >> (i % 64) & 1),
				   "call %s in both or neither of '%s' and its negation", hj_calls[i].name, spec + 1);
	}
	free(spec);
	return 0;
}
