/* --inject, strace's tampering syntax plus path= and probability=;
 * call sets as strace's -e trace= takes them; errno and signal names;
 * the seeded random source. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"

/* ---- names ---- */
#define ERRNOS(X) X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) \
	X(ENOEXEC) X(EBADF) X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) \
	X(ENOTBLK) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) X(ENOTDIR) X(EISDIR) \
	X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(ETXTBSY) X(EFBIG) X(ENOSPC) \
	X(ESPIPE) X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK) \
	X(ENAMETOOLONG) X(ENOLCK) X(ENOSYS) X(ENOTEMPTY) X(ELOOP) X(ENOMSG) \
	X(EIDRM) X(ENOSTR) X(ENODATA) X(ETIME) X(ENOSR) X(ENOLINK) X(EPROTO) \
	X(EBADMSG) X(EOVERFLOW) X(EILSEQ) X(EUSERS) X(ENOTSOCK) X(EDESTADDRREQ) \
	X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) X(EPROTONOSUPPORT) \
	X(ESOCKTNOSUPPORT) X(EOPNOTSUPP) X(EPFNOSUPPORT) X(EAFNOSUPPORT) \
	X(EADDRINUSE) X(EADDRNOTAVAIL) X(ENETDOWN) X(ENETUNREACH) X(ENETRESET) \
	X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN) X(ENOTCONN) \
	X(ESHUTDOWN) X(ETOOMANYREFS) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN) \
	X(EHOSTUNREACH) X(EALREADY) X(EINPROGRESS) X(ESTALE) X(EDQUOT) \
	X(ECANCELED) X(EOWNERDEAD) X(ENOTRECOVERABLE) X(ERFKILL) X(EHWPOISON) \
	X(ENOMEDIUM) X(EMEDIUMTYPE) X(ENOKEY) X(EKEYEXPIRED) X(EKEYREVOKED) \
	X(EKEYREJECTED) X(ECHRNG) X(EL2NSYNC) X(EL3HLT) X(EL3RST) X(ELNRNG) \
	X(EUNATCH) X(ENOCSI) X(EL2HLT) X(EBADE) X(EBADR) X(EXFULL) X(ENOANO) \
	X(EBADRQC) X(EBADSLT) X(EBFONT) X(ENONET) X(ENOPKG) X(EREMOTE) X(EADV) \
	X(ESRMNT) X(ECOMM) X(EMULTIHOP) X(EDOTDOT) X(ENOTUNIQ) X(EBADFD) \
	X(EREMCHG) X(ELIBACC) X(ELIBBAD) X(ELIBSCN) X(ELIBMAX) X(ELIBEXEC) \
	X(ERESTART) X(ESTRPIPE) X(EUCLEAN) X(ENOTNAM) X(ENAVAIL) X(EISNAM) \
	X(EREMOTEIO)

static const struct { int value; const char *name; } errnos[] = {
#define X(e) { e, #e },
	ERRNOS(X)
#undef X
	{ EWOULDBLOCK, "EWOULDBLOCK" }, { ENOTSUP, "ENOTSUP" }, { EDEADLOCK, "EDEADLOCK" },
};

const char *hj_errno_name(int err)
{
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].value == err)
			return errnos[i].name;
	return NULL;
}

/* An errno by name (ENOSPC) or number; -1 if neither. */
int hj_errno_lookup(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);
	if (isdigit((unsigned char)*name) && !*end)
		return n > 0 && n < 4096 ? (int)n : -1;
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (!strcmp(errnos[i].name, name))
			return errnos[i].value;
	return -1;
}

int hj_signal_lookup(const char *name)
{
	char *end;
	long n = strtol(name, &end, 10);
	if (isdigit((unsigned char)*name) && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (int s = 1; s < NSIG; s++) {
		const char *abbrev = sigabbrev_np(s);
		if (abbrev && !strcmp(abbrev, name))
			return s;
	}
	return -1;
}

/* ---- call sets: "openat,%net", "!write", "all" ---- */
bool hj_set_parse(const char *spec, uint64_t *set, char *err, size_t errlen)
{
	uint64_t mine[(HJ_NCALLS + 63) / 64] = { 0 };
	bool negate = *spec == '!';
	char copy[8192];	/* a policy's calls: list is long */
	snprintf(copy, sizeof copy, "%s", spec + negate);
	if (!*copy) {
		snprintf(err, errlen, "empty call set");
		return false;
	}
	for (char *save, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool optional = *tok == '?';
		tok += optional;
		unsigned groups = 0;
		int ids[HJ_MAXEXPAND], nids = 0;
		if (!strcmp(tok, "all") || !strcmp(tok, "%all")) {
			groups = ~0u;
		} else if (!strcmp(tok, "none") || !strcmp(tok, "%none")) {
			continue;	/* strace's: nothing */
		} else if (*tok == '%' || (hj_call_lookup(tok) < 0 && hj_group_lookup(tok))) {
			/* strace also takes a group without its % (trace=file) */
			groups = hj_group_lookup(tok);
			if (!groups) {
				if (optional)
					continue;
				snprintf(err, errlen, "unknown group: %s (groups: %%file %%desc %%net %%memory %%clock %%process)", tok);
				return false;
			}
		} else if ((nids = hj_call_expand(tok, ids)) == 0) {
			if (optional)
				continue;
			snprintf(err, errlen, "unknown call: %s", tok);
			return false;
		}
		/* a name strace prints takes every call that makes it (calls.c) */
		for (int k = 0; k < nids; k++)
			mine[ids[k] / 64] |= 1ull << (ids[k] % 64);
		for (int i = 0; i < HJ_NCALLS; i++)
			if (hj_calls[i].groups & groups)
				mine[i / 64] |= 1ull << (i % 64);
	}
	for (int i = 0; i < HJ_NCALLS; i++) {
		bool in = (mine[i / 64] >> (i % 64) & 1) != negate;
		if (in)
			set[i / 64] |= 1ull << (i % 64);
	}
	return true;
}

/* ---- seeded randomness: splitmix64 over a shared counter, so threads
 * draw distinct numbers and one thread's sequence follows from the seed */
static uint64_t rand_counter;

uint64_t hj_rand64(void)
{
	uint64_t z = hj_cfg.seed + __atomic_add_fetch(&rand_counter, 1, __ATOMIC_RELAXED) * 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double hj_rand(void) { return (double)(hj_rand64() >> 11) / 9007199254740992.0; }

/* ---- --inject ---- */
struct hj_inject {
	uint64_t set[(HJ_NCALLS + 63) / 64];
	bool has_error, has_retval;
	int error, signal;
	long retval;
	uint64_t delay_enter, delay_exit;
	unsigned first, last, step;	/* when=; first 0: every call */
	char *glob;
	double probability;		/* < 0: always */
	unsigned long count[HJ_NCALLS];	/* calls seen so far, per call as strace counts */
	char *spec;			/* as the user wrote it, for the report of rules that never fired */
	int fired_slot;
	bool fired_here;
	uint64_t seen_here[(HJ_NCALLS + 63) / 64];
	struct hj_inject *next;
};

static struct hj_inject *injects;
static unsigned char wants[HJ_NCALLS];

static bool parse_uint(const char **s, unsigned *out)
{
	char *end;
	if (!isdigit((unsigned char)**s))	/* strtoul takes "-1" and " 1" */
		return false;
	errno = 0;
	unsigned long v = strtoul(*s, &end, 10);
	if (errno || v < 1 || v > 65535)
		return false;
	*out = (unsigned)v;
	*s = end;
	return true;
}

/* FIRST, FIRST+, FIRST+STEP, FIRST..LAST, FIRST..LAST+STEP */
static bool parse_when(const char *s, struct hj_inject *inj)
{
	inj->step = 0;
	inj->last = 0;
	if (!parse_uint(&s, &inj->first))
		return false;
	inj->last = inj->first;
	if (!strncmp(s, "..", 2)) {
		s += 2;
		if (!parse_uint(&s, &inj->last) || inj->last < inj->first)
			return false;
		inj->step = 1;	/* every call of the range */
	}
	if (*s == '+') {
		s++;
		if (inj->last == inj->first)
			inj->last = ~0u;
		inj->step = 1;
		if (*s && !parse_uint(&s, &inj->step))
			return false;
	}
	return *s == 0;
}

/* "10", "10ms", "1.5s": strace's DELAY, microseconds without a suffix */
static bool parse_delay(const char *s, uint64_t *ns)
{
	char *end;
	if (!isdigit((unsigned char)*s) && *s != '.')	/* no sign, space, "nan" or "inf" */
		return false;
	double v = strtod(s, &end);
	double unit = 1e3;
	if (end == s || v < 0)
		return false;
	if (!strcmp(end, "s"))
		unit = 1e9;
	else if (!strcmp(end, "ms"))
		unit = 1e6;
	else if (!strcmp(end, "us") || !*end)
		unit = 1e3;
	else if (!strcmp(end, "ns"))
		unit = 1;
	else
		return false;
	if (!(v * unit < 1e18))		/* NaN, infinity, centuries */
		return false;
	*ns = (uint64_t)(v * unit);
	return true;
}

struct hj_inject *hj_inject_parse(const char *spec, char *err, size_t errlen)
{
	struct hj_inject *inj = hj_calloc(1, sizeof *inj);
	if (!inj) {
		snprintf(err, errlen, "--inject: out of memory");
		return NULL;
	}
	char copy[2048];
	if (strlen(spec) >= sizeof copy) {
		snprintf(err, errlen, "--inject: the spec is longer than %zu characters", sizeof copy - 1);
		hj_free(inj);
		return NULL;
	}
	snprintf(copy, sizeof copy, "%s", spec);
	inj->probability = -1;
	inj->fired_slot = -1;
	inj->spec = hj_strdup(spec);
	char *colon = strchr(copy, ':');
	if (colon)
		*colon = 0;
	if (!hj_set_parse(copy, inj->set, err, errlen))
		goto bad;
	if (!colon) {
		snprintf(err, errlen, "--inject %s: nothing to inject (add :error=, :retval=, :signal= or :delay_enter=)", spec);
		goto bad;
	}
	for (char *save, *kv = strtok_r(colon + 1, ":", &save); kv; kv = strtok_r(NULL, ":", &save)) {
		char *val = strchr(kv, '=');
		if (!val) {
			snprintf(err, errlen, "--inject %s: '%s' is not key=value", spec, kv);
			goto bad;
		}
		*val++ = 0;
		if (!strcmp(kv, "error")) {
			inj->error = hj_errno_lookup(val);
			inj->has_error = inj->error > 0;
			if (!inj->has_error) {
				snprintf(err, errlen, "--inject %s: unknown errno '%s'", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "retval")) {
			inj->has_retval = true;
			if (!hj_parse_long(val, &inj->retval)) {
				snprintf(err, errlen, "--inject %s: retval '%s' is not a number that fits 64 bits", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "signal")) {
			if ((inj->signal = hj_signal_lookup(val)) < 0) {
				snprintf(err, errlen, "--inject %s: unknown signal '%s'", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "delay_enter") || !strcmp(kv, "delay_exit")) {
			if (!parse_delay(val, kv[6] == 'e' && kv[7] == 'n' ? &inj->delay_enter : &inj->delay_exit)) {
				snprintf(err, errlen, "--inject %s: bad delay '%s' (a number with s, ms, us or ns)", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "when")) {
			if (!parse_when(val, inj)) {
				snprintf(err, errlen, "--inject %s: bad when '%s' (FIRST, FIRST+, FIRST+STEP, FIRST..LAST, FIRST..LAST+STEP; 1 to 65535)", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "path")) {
			hj_free(inj->glob);	/* the last path= wins */
			inj->glob = NULL;
			if (!*val || !(inj->glob = hj_path_pattern(val))) {
				snprintf(err, errlen, "--inject %s: path '%s' is empty or too long", spec, val);
				goto bad;
			}
		} else if (!strcmp(kv, "probability")) {
			char *end;
			inj->probability = strtod(val, &end);
			if (!(isdigit((unsigned char)*val) || *val == '.') || *end ||
			    !(inj->probability >= 0 && inj->probability <= 1)) {
				snprintf(err, errlen, "--inject %s: probability '%s' is not between 0 and 1", spec, val);
				goto bad;
			}
		} else {
			snprintf(err, errlen, "--inject %s: unknown key '%s' (error, retval, signal, delay_enter, delay_exit, when, path, probability)", spec, kv);
			goto bad;
		}
	}
	if (inj->has_error && inj->has_retval) {
		snprintf(err, errlen, "--inject %s: error= and retval= cannot go together", spec);
		goto bad;
	}
	if (!inj->has_error && !inj->has_retval && !inj->signal && !inj->delay_enter && !inj->delay_exit) {
		snprintf(err, errlen, "--inject %s: nothing to inject (add :error=, :retval=, :signal= or :delay_enter=)", spec);
		goto bad;
	}
	return inj;
bad:
	hj_inject_free(inj);
	return NULL;
}

void hj_inject_free(struct hj_inject *inj)
{
	if (inj) {
		hj_free(inj->glob);
		hj_free(inj->spec);
	}
	hj_free(inj);
}

void hj_inject_register(struct hj_inject *inj)
{
	char key[2100];
	snprintf(key, sizeof key, "--inject %s", inj->spec ? inj->spec : "");
	/* under --replay the file's faults replace the specs: none can fire */
	inj->fired_slot = hj_replaying ? -1 : hj_fired_slot(key, inj->set, inj->glob ? HJ_FILTER_PATH : 0);
}

void hj_inject_add(struct hj_inject *inj)
{
	hj_inject_register(inj);
	struct hj_inject **tail = &injects;
	while (*tail)
		tail = &(*tail)->next;
	*tail = inj;
	for (int i = 0; i < HJ_NCALLS; i++)
		if (inj->set[i / 64] >> (i % 64) & 1)
			wants[i] = 1, hj_want(i);
	if (inj->glob)
		hj_fd_cache_enable();
}

bool hj_inject_wants(int id) { return wants[id] && !__atomic_load_n(&hj_rules_paused, __ATOMIC_RELAXED); }

static bool when_ok(const struct hj_inject *inj, unsigned long n)
{
	if (!inj->first)
		return true;
	if (n < inj->first || n > inj->last)
		return false;
	return inj->step ? (n - inj->first) % inj->step == 0 : n == inj->first;
}

/* Every spec that names c's call saw it, even one that an earlier rule
 * (a hook, another spec) left nothing to do: the report of rules that
 * never fired says so instead of "never called". */
void hj_inject_seen(const struct hj_call *c)
{
	for (struct hj_inject *inj = injects; inj; inj = inj->next)
		if (inj->set[c->id / 64] >> (c->id % 64) & 1)
			hj_fired_note_seen(inj->fired_slot, inj->seen_here, c->id);
}

bool hj_inject_apply(struct hj_call *c, uint64_t *delay_exit, int *signal)
{
	hj_inject_seen(c);
	for (struct hj_inject *inj = injects; inj; inj = inj->next) {
		if (!(inj->set[c->id / 64] >> (c->id % 64) & 1))
			continue;
		if (inj->glob && !hj_path_match(&inj->glob, 1, c))
			continue;
		hj_fired_note_hit(inj->fired_slot, &inj->fired_here);
		unsigned long n = __atomic_add_fetch(&inj->count[c->id], 1, __ATOMIC_RELAXED);
		if (!when_ok(inj, n))
			continue;
		if (inj->probability >= 0 && hj_rand() >= inj->probability)
			continue;
		c->delay_ns += inj->delay_enter;
		*delay_exit += inj->delay_exit;
		if (inj->signal)
			*signal = inj->signal;
		if (inj->has_error) {
			hj_fail(c, inj->error);
		} else if (inj->has_retval) {
			c->ret = inj->retval;
		}
		if (inj->has_error || inj->has_retval) {
			c->decided = true;
			c->injected = true;
			return true;
		}
		if (inj->signal)
			c->injected = true;
	}
	return c->injected;
}

/* hijack detach: every spec out of force. The list is let go, not freed:
 * a thread may be walking it. */
void hj_inject_clear(void)
{
	__atomic_store_n(&injects, NULL, __ATOMIC_RELEASE);
	memset(wants, 0, sizeof wants);
}
