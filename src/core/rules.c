/* Hooks registered by scripts, and their filters, matched in C so that a
 * call no rule wants never enters Ruby. Rules are only ever added, and a
 * list's length is published after its entry, so readers take no lock. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

#define MAX_RULES 1024
#define MAX_PER_CALL 64

static struct hj_rule *rules[MAX_RULES];
static int nrules;
/* Per-fd verdicts: the first 64 rules with path: globs each have a bit,
 * and an fd's cache entry keeps, beside its path, which of them match it
 * (computed once, when the path is stored): a read or a write tests a
 * bit instead of matching globs. Rules past 64 match as before. */
#define VERDICT_BITS 64
static struct hj_rule *glob_rules[VERDICT_BITS];
static int nglob_rules;
static signed char rule_bit[MAX_RULES];	/* -1: no bit */
static void call_tables_init(void);
static uint16_t lists[HJ_NCALLS][2][MAX_PER_CALL];
int hj_rule_counts[HJ_NCALLS][2];
#define counts hj_rule_counts

int hj_rule_loading_set;
bool hj_rules_paused;

int hj_rule_add(const struct hj_rule *r, const int *ids, int nids)
{
	if (nrules == MAX_RULES)
		return -1;
	for (int i = 0; i < nids; i++)	/* all or nothing */
		if (counts[ids[i]][r->phase] == MAX_PER_CALL)
			return -1;
	struct hj_rule *copy = hj_malloc(sizeof *copy);
	if (!copy)
		return -1;
	*copy = *r;
	copy->set = hj_rule_loading_set;
	copy->off = false;
	copy->hits = 0;
	int index = nrules;
	rules[index] = copy;
	rule_bit[index] = -1;
	if (r->nglobs && nglob_rules < VERDICT_BITS) {
		/* the rule is whole before its bit is counted: a verdict
		 * computed meanwhile covers the bits below the count it read */
		rule_bit[index] = (signed char)nglob_rules;
		glob_rules[nglob_rules] = copy;
		__atomic_store_n(&nglob_rules, nglob_rules + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&nrules, index + 1, __ATOMIC_RELEASE);
	for (int i = 0; i < nids; i++) {
		int id = ids[i], *count = &counts[id][r->phase];
		lists[id][r->phase][*count] = (uint16_t)index;
		__atomic_store_n(count, *count + 1, __ATOMIC_RELEASE);
		hj_want(id);
		if (r->clock_reading)
			hj_clock_rule(id, copy);
	}
	if (r->nglobs)
		hj_fd_cache_enable();
	call_tables_init();
	return index;
}

struct hj_rule *hj_rule_get(int index) { return rules[index]; }
int hj_rule_count(void) { return __atomic_load_n(&nrules, __ATOMIC_ACQUIRE); }

static int first_arg(int id, enum hj_kind kind)
{
	const struct hj_call_info *ci = &hj_calls[id];
	for (int i = 0; i < ci->nargs; i++)
		if (ci->args[i].kind == kind)
			return i;
	return -1;
}

/* Per call, what a path filter looks at, so that it is not searched for
 * on every call: whether the call names a path, and its fd argument. */
static bool call_has_path[HJ_NCALLS];
static signed char call_fd_arg[HJ_NCALLS];
static bool call_tables_ready;

static void call_tables_init(void)
{
	if (__atomic_load_n(&call_tables_ready, __ATOMIC_ACQUIRE))
		return;
	/* idempotent: two threads that meet here write the same bytes */
	for (int id = 0; id < HJ_NCALLS; id++) {
		call_has_path[id] = first_arg(id, K_PATH) >= 0;
		call_fd_arg[id] = (signed char)first_arg(id, K_FD);
	}
	__atomic_store_n(&call_tables_ready, true, __ATOMIC_RELEASE);
}

static int fd_verdict(int fd, int bit);
static bool fd_rule_match(const struct hj_rule *r, int bit, struct hj_call *c);

static bool fd_match(const struct hj_rule *r, struct hj_call *c)
{
	int i = first_arg(c->id, K_FD);
	if (i < 0)
		return false;
	long fd = (int)c->a[i];
	for (int k = 0; k < r->nfds; k++)
		if (fd >= r->fds[k][0] && fd <= r->fds[k][1])
			return true;
	return false;
}

/* Sandbox.allow's filters (see engine.h): true when the block is to run. */
static bool recipe_filters(const struct hj_rule *r, struct hj_call *c)
{
	if (r->flags_any | r->flags_none) {
		int i = first_arg(c->id, K_OFLAGS);
		if (i >= 0 && ((r->flags_any && !(c->a[i] & r->flags_any)) || (c->a[i] & r->flags_none)))
			return false;
	}
	return !r->nexcept || !hj_path_match_abs(r->except, r->nexcept, c);
}

int hj_rules_for(int id, int phase, struct hj_rule **out, int max, struct hj_call *c)
{
	if (hj_unlikely(__atomic_load_n(&hj_rules_paused, __ATOMIC_RELAXED)))
		return 0;
	int n = __atomic_load_n(&counts[id][phase], __ATOMIC_ACQUIRE), found = 0;
	for (int k = 0; k < n && found < max; k++) {
		struct hj_rule *r = rules[lists[id][phase][k]];
		if (hj_unlikely(__atomic_load_n(&r->off, __ATOMIC_RELAXED)))
			continue;
		hj_fired_note_seen(r->fired_slot, r->seen_here, id);
		if (r->nfds && !fd_match(r, c))
			continue;
		if (r->nglobs) {
			int bit = rule_bit[lists[id][phase][k]];
			if (bit >= 0 && !call_has_path[id] ? !fd_rule_match(r, bit, c) : !hj_path_match(r->globs, r->nglobs, c))
				continue;
		}
		if (hj_unlikely(r->nexcept | r->flags_any | r->flags_none) && !recipe_filters(r, c))
			continue;
		hj_fired_note_hit(r->fired_slot, &r->fired_here);
		__atomic_fetch_add(&r->hits, 1, __ATOMIC_RELAXED);
		out[found++] = r;
	}
	return found;
}

/* ---- paths ---- */

/* Folds "." and ".." out of an absolute path, in place. */
static void normalize(char *p)
{
	char *out = p, *in = p;
	if (*p != '/')
		return;		/* only an absolute path folds in place */
	while (*in) {
		while (*in == '/')
			in++;
		char *end = strchrnul(in, '/');
		size_t len = (size_t)(end - in);
		if (len == 1 && in[0] == '.') {
		} else if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > p && *--out != '/')
				;
		} else if (len) {
			*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in = end;
	}
	if (out == p)
		*out++ = '/';
	*out = 0;
}

static bool current_dir(char *out, size_t n);
static bool fd_cache_on;

/* The absolute form of path, relative to dirfd (or the cwd). */
static bool absolute(int dirfd, const char *path, char *out, size_t n)
{
	size_t len;
	if (path[0] == '/') {
		if (strlen(path) >= n)
			return false;
		strcpy(out, path);
		normalize(out);
		return true;
	}
	if (dirfd == AT_FDCWD || dirfd < 0) {
		if (!current_dir(out, n))
			return false;
	} else if (!hj_fd_path(dirfd, out, n)) {
		return false;
	}
	/* a pipe or a socket ("pipe:[123]") has no path to be under */
	if (out[0] != '/')
		return false;
	len = strlen(out);
	/* "" with AT_EMPTY_PATH (fstat as newfstatat): the descriptor itself */
	if (*path && snprintf(out + len, n - len, "/%s", path) >= (int)(n - len))
		return false;
	normalize(out);
	return true;
}

/* Path argument i of c, or NULL when the kernel would refuse it
 * (unreadable, or no NUL within PATH_MAX): peek.c says whether it can be
 * read in place, and remembers it for the call's other readers. */
static const char *path_arg(const struct hj_call *c, int i)
{
	return hj_path_ok((struct hj_call *)c, i) ? (const char *)c->a[i] : NULL;
}

bool hj_abspath(const struct hj_call *c, int i, char *out, size_t n)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	const char *path = path_arg(c, i);
	if (!path)
		return false;
	if (!fd_cache_on)	/* the cwd is cached from here on: watch chdir */
		hj_fd_cache_enable();
	return absolute(i > 0 && ci->args[i - 1].kind == K_DIRFD ? (int)c->a[i - 1] : AT_FDCWD, path, out, n);
}

/* Whether pattern has a glob character that no backslash escapes. */
static bool has_wildcard(const char *pattern)
{
	for (const char *p = pattern; *p; p++) {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '*' || *p == '?' || *p == '[')
			return true;
	}
	return false;
}

/* A pattern without wildcards names a file or a directory: it matches
 * that path and everything under it ("/tmp/x" matches /tmp/x and
 * /tmp/x/a/b, not /tmp/xy); a trailing '/' changes nothing. The caller
 * has seen that the pattern has no wildcard. */
static bool literal_match(const char *pattern, const char *path)
{
	const char *p = pattern, *s = path;
	while (*p) {
		if (*p == '\\' && p[1])
			p++;
		if (*p != *s)	/* (a trailing '/' was folded by hj_path_pattern) */
			return false;
		p++, s++;
	}
	return !*s || *s == '/' || (p > pattern && p[-1] == '/');
}

/* fnmatch(glob, s, 0), byte by byte: glibc's fnmatch takes the locale's
 * lock under a multibyte locale, which the program may hold while it
 * makes the very call a filter looks at (setlocale opens files). '*' and
 * '?' match any byte, '/' too; [set], [!set], [^set] with ranges; '\'
 * quotes. */
static bool bytes_match(const char *g, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*g == '*') {
			star = ++g;
			resume = s;
			continue;
		}
		bool ok = false;
		const char *next = g + 1;
		if (*g == '?') {
			ok = true;
		} else if (*g == '[') {
			const char *p = g + 1;
			bool neg = *p == '!' || *p == '^';
			p += neg;
			bool in = false, closed = false;
			for (bool first = true; *p; first = false) {
				if (*p == ']' && !first) {
					closed = true;
					break;
				}
				unsigned char lo = (unsigned char)*p, hi = lo;
				if (p[1] == '-' && p[2] && p[2] != ']') {
					hi = (unsigned char)p[2];
					p += 3;
				} else {
					p++;
				}
				if ((unsigned char)*s >= lo && (unsigned char)*s <= hi)
					in = true;
			}
			if (closed) {
				ok = in != neg;
				next = p + 1;
			} else {
				ok = *s == '[';	/* no closing ']': a plain '[' */
			}
		} else if (*g == '\\' && g[1]) {
			ok = g[1] == *s;
			next = g + 2;
		} else {
			ok = *g && *g == *s;
		}
		if (ok) {
			g = next;
			s++;
		} else if (star) {
			g = star;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*g == '*')
		g++;
	return !*g;
}

/* The match, after a cheap look at the glob's literal head: most paths a
 * filter sees differ from it in the first bytes. */
static bool glob_match(const char *glob, const char *path)
{
	/* the head compared as it is measured: most paths part from it
	 * within a few bytes */
	size_t head = 0;
	for (char g; (g = glob[head]) && g != '*' && g != '?' && g != '[' && g != '\\'; head++)
		if (g != path[head])
			return false;
	if (!glob[head])
		return !path[head] || path[head] == '/' || (head && glob[head - 1] == '/');
	if (glob[head] == '\\' && !has_wildcard(glob + head))
		return literal_match(glob, path);
	return bytes_match(glob, path);
}

bool hj_path_pattern_match(const char *pattern, const char *path) { return glob_match(pattern, path); }

/* A path: pattern as every rule keeps it: a relative one (but one that
 * starts with '*', which matches anywhere) is taken against the working
 * directory now, and a plain path's "." and ".." are folded. NULL when
 * it cannot be (no cwd, too long); malloc'd. */
char *hj_path_pattern(const char *pattern)
{
	char out[4096];
	if (pattern[0] == '*')
		return hj_strdup(pattern);
	if (pattern[0] != '/') {
		char dir[4096];
		if (syscall(SYS_getcwd, dir, sizeof dir) < 0)
			return NULL;
		if (snprintf(out, sizeof out, "%s/%s", strcmp(dir, "/") ? dir : "", pattern) >= (int)sizeof out)
			return NULL;
	} else if (snprintf(out, sizeof out, "%s", pattern) >= (int)sizeof out) {
		return NULL;
	}
	if (!has_wildcard(out))
		normalize(out);
	return hj_strdup(out);
}

/* An absolute path with "//", "/./", "/../" or a trailing "/" in it: not
 * the form a glob names, so it is matched folded too. */
static bool unclean(const char *p)
{
	/* one pass: every '/' is looked at with what follows it; letters and
	 * digits sort above '/' and '.', and cost one comparison */
	for (const unsigned char *s = (const unsigned char *)p;; s++) {
		while (*s > '/')
			s++;
		if (!*s)
			return false;
		if (*s != '/')
			continue;
		if (s[1] == '/')
			return true;
		if (s[1] == '.' && (s[2] == '/' || !s[2] || (s[2] == '.' && (s[3] == '/' || !s[3]))))
			return true;
		if (!s[1])
			return s != (const unsigned char *)p;	/* a trailing '/' (but "/" itself) */
	}
}

bool hj_path_clean(const char *abs) { return !unclean(abs); }

/* An fd's path, as the cache keeps it (fd_opened folds what an open was
 * given) or the kernel tells it, is absolute and folded already; a pipe's
 * or a socket's ("pipe:[123]") has no place in the tree, and is matched
 * as it reads. */
static bool fd_globs_match(char *const *globs, int n, const char *path)
{
	for (int k = 0; k < n; k++)
		if (glob_match(globs[k], path))
			return true;
	return false;
}

/* Whether path, one of c's (c may be NULL), needs folding before an
 * absolute glob sees it; asked once per call: an open's path is looked at
 * before the call by its filters and after it by the fd cache. Kept by
 * address: a path a hook rewrites is a copy elsewhere, asked again. */
static bool needs_folding(struct hj_call *c, const char *path)
{
	if (c && c->clean_path == path)
		return false;
	if (path[0] != '/' || unclean(path))
		return true;
	if (c)
		c->clean_path = path;
	return false;
}

static bool globs_match(char *const *globs, int n, const char *path, int dirfd, struct hj_call *c)
{
	char abs[4096];
	bool have_abs = false;
	int folded = -1;	/* whether path needs folding: asked once, when first needed */
	for (int k = 0; k < n; k++) {
		if (glob_match(globs[k], path))
			return true;
		if (globs[k][0] == '/' && folded < 0)
			folded = needs_folding(c, path);
		if (globs[k][0] == '/' && folded) {
			if (!have_abs && !absolute(dirfd, path, abs, sizeof abs))
				continue;
			have_abs = true;
			if (glob_match(globs[k], abs))
				return true;
		}
	}
	return false;
}

bool hj_path_match_abs(char *const *globs, int n, struct hj_call *c)
{
	/* every path the call names must match: a rename from an allowed
	 * place to another is not allowed for its first path */
	const struct hj_call_info *ci = &hj_calls[c->id];
	char abs[4096];
	int named = 0;
	for (int i = 0; i < ci->nargs; i++) {
		if (ci->args[i].kind != K_PATH)
			continue;
		const char *path = path_arg(c, i);
		/* "" (AT_EMPTY_PATH) is the descriptor itself: not a path named */
		if (!path || !*path)
			continue;
		if (!hj_abspath(c, i, abs, sizeof abs))
			return false;
		bool matched = false;
		for (int k = 0; k < n && !matched; k++)
			matched = glob_match(globs[k], abs);
		if (!matched)
			return false;
		named++;
	}
	return named > 0;
}

/* The fd behind a DIR * the program gave, or -1 when it is not one we can
 * read (glibc's DIR begins with its fd). */
static int dir_fd(DIR *d)
{
	int fd;
	return d && hj_peek(&fd, d, sizeof fd) ? dirfd(d) : -1;
}

/* True when a path argument of c (or, for a call without one, the path
 * behind its fd) matches one of the globs. A path is matched as written
 * and, for an absolute glob, as an absolute path. */
bool hj_path_match(char *const *globs, int n, struct hj_call *c)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	bool has_path = false;
	for (int i = 0; i < ci->nargs; i++) {
		if (ci->args[i].kind != K_PATH)
			continue;
		has_path = true;
		const char *path = path_arg(c, i);
		int dirfd = i > 0 && ci->args[i - 1].kind == K_DIRFD ? (int)c->a[i - 1] : AT_FDCWD;
		if (path && globs_match(globs, n, path, dirfd, c))
			return true;
	}
	if (has_path)
		return false;
	int i = first_arg(c->id, K_FD);
	int fd = i >= 0 ? (int)c->a[i] : c->id == HJ_readdir ? dir_fd((DIR *)c->a[0]) : -1;
	char buf[4096];
	return fd >= 0 && hj_fd_path(fd, buf, sizeof buf) && fd_globs_match(globs, n, buf);
}

/* ---- the path behind each fd ----
 * readlink of /proc/self/fd costs a microsecond, too much for every read
 * a path filter looks at; so the answer is kept per fd until a watched
 * call closes, replaces or reopens that fd. An fd closed by a call we do
 * not wrap (fclose) and reused by another we do not wrap (eventfd) can
 * show a stale path. */
#define FD_CACHE 1024
#define FD_PATH 256
/* Each entry is a seqlock: seq is even when the entry is stable, odd while
 * one writer fills it. A reader keeps its copy only when seq was even and
 * the same before and after it, and the path not empty. Writers never
 * wait on each other (a signal handler's close may interrupt a store of
 * the same fd): where two meet, the entry ends up empty, and the next
 * reader asks the kernel. Empty is always right; a stale path never is. */
static struct {
	unsigned seq;
	unsigned upto;		/* the verdict covers the rules of bits below this */
	uint64_t verdict;	/* bit b: glob_rules[b] matches path */
	char path[FD_PATH];
} fd_cache[FD_CACHE];

static bool fd_globs_match(char *const *globs, int n, const char *path);

/* Which rules with a bit match path, as an fd's path: the rules counted
 * before the matching began (a rule counted after asks again). */
static uint64_t verdict_of(const char *path, unsigned *upto)
{
	unsigned n = __atomic_load_n(&nglob_rules, __ATOMIC_ACQUIRE);
	uint64_t v = 0;
	for (unsigned b = 0; b < n; b++)
		if (fd_globs_match(glob_rules[b]->globs, glob_rules[b]->nglobs, path))
			v |= 1ull << b;
	*upto = n;
	return v;
}

/* Empties the entry. A close's forget may come late, after another thread
 * opened the same number and stored its path: that costs the new owner a
 * readlink, never a wrong path. path[0] goes first, then seq: a reader
 * that copied before sees the old seq and the old (then true) path, one
 * that copied after sees an empty path or a new seq. A store under way
 * sees seq move and empties the entry itself when it ends. */
static void fd_forget(int fd)
{
	if (fd < 0 || fd >= FD_CACHE)
		return;
	__atomic_store_n(&fd_cache[fd].path[0], 0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&fd_cache[fd].seq, 2, __ATOMIC_ACQ_REL);
}

/* Stores path for fd if the entry's seq is still `seen` (even): a
 * readlink's answer is not stored over a close or an open that came
 * after it was asked. */
static bool fd_store_if(int fd, const char *path, unsigned seen)
{
	size_t len = strlen(path);
	if (fd < 0 || fd >= FD_CACHE || len >= FD_PATH || (seen & 1))
		return false;
	unsigned *seq = &fd_cache[fd].seq;
	if (!__atomic_compare_exchange_n(seq, &seen, seen + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	memcpy(fd_cache[fd].path, path, len + 1);
	unsigned upto;
	uint64_t verdict = verdict_of(path, &upto);
	__atomic_store_n(&fd_cache[fd].verdict, verdict, __ATOMIC_RELAXED);
	__atomic_store_n(&fd_cache[fd].upto, upto, __ATOMIC_RELAXED);
	unsigned held = seen + 1;
	if (!__atomic_compare_exchange_n(seq, &held, seen + 2, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
		/* forgotten meanwhile: the forget stands */
		__atomic_store_n(&fd_cache[fd].path[0], 0, __ATOMIC_RELEASE);
		__atomic_add_fetch(seq, 1, __ATOMIC_ACQ_REL);
	}
	return true;
}

/* What an open gave: the entry holds path, or (another writer met) is
 * empty; never what it held before. */
static void fd_store(int fd, const char *path)
{
	if (fd < 0 || fd >= FD_CACHE)
		return;
	if (!fd_store_if(fd, path, __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_ACQUIRE)))
		fd_forget(fd);
}

/* The verdict kept with fd for the rule of bit: 1 it matches, 0 not,
 * -1 unknown (no path kept, a rule newer than the verdict, a writer
 * under way): then the path is matched. */
static int fd_verdict(int fd, int bit)
{
	if (fd < 0 || fd >= FD_CACHE)
		return -1;
	unsigned seen = __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_ACQUIRE);
	/* a forget empties path[0] before its seq moves: an entry read
	 * non-empty under an unmoved even seq was whole */
	char first = __atomic_load_n(&fd_cache[fd].path[0], __ATOMIC_RELAXED);
	unsigned upto = __atomic_load_n(&fd_cache[fd].upto, __ATOMIC_RELAXED);
	uint64_t verdict = __atomic_load_n(&fd_cache[fd].verdict, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if ((seen & 1) || !first || (unsigned)bit >= upto || seen != __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_RELAXED))
		return -1;
	return (int)(verdict >> bit & 1);
}

/* Out of line: its buffer is no cost to the fast path's frame. */
__attribute__((noinline)) static bool fd_rule_match_slow(const struct hj_rule *r, int fd)
{
	char buf[4096];
	unsigned seen = fd < FD_CACHE ? __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_ACQUIRE) : 1;
	if (!hj_fd_path(fd, buf, sizeof buf))
		return false;
	/* the path came from the entry under seen (or the kernel, and then
	 * the store moved the seq): a rule added since the fd was opened
	 * gets its bit here, once: the same path stored again under seen
	 * (a no-op if the entry has moved) makes the verdict anew */
	fd_store_if(fd, buf, seen);
	return fd_globs_match(r->globs, r->nglobs, buf);
}

/* The rule's path: filter for a call that names no path but an fd (or a
 * DIR): the fd's verdict when it has one, else its path matched. */
static bool fd_rule_match(const struct hj_rule *r, int bit, struct hj_call *c)
{
	int i = call_fd_arg[c->id];
	int fd = i >= 0 ? (int)c->a[i] : c->id == HJ_readdir ? dir_fd((DIR *)c->a[0]) : -1;
	if (fd < 0)
		return false;
	int known = fd_verdict(fd, bit);
	return known >= 0 ? known : fd_rule_match_slow(r, fd);
}

bool hj_fd_path(int fd, char *out, size_t n)
{
	if (fd < 0)
		return false;
	unsigned seen = 1;	/* odd: nothing to store against */
	if (fd < FD_CACHE) {
		seen = __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_ACQUIRE);
		/* a writer may change the bytes under us: the seq check after
		 * the copy says whether they were all one path; a forget, whose
		 * seq may move only after, empties path[0] first */
		size_t len = seen & 1 ? 0 : strnlen(fd_cache[fd].path, FD_PATH);
		if (len && len < FD_PATH && len < n) {
			memcpy(out, fd_cache[fd].path, len);
			out[len] = 0;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (out[0] && seen == __atomic_load_n(&fd_cache[fd].seq, __ATOMIC_RELAXED))
				return true;
		}
	}
	char link[32] = "/proc/self/fd/";
	char digits[12];
	int d = 0;
	for (unsigned v = (unsigned)fd; d == 0 || v; v /= 10)
		digits[d++] = (char)('0' + v % 10);
	size_t at = strlen(link);
	while (d)
		link[at++] = digits[--d];
	link[at] = 0;
	long len = syscall(SYS_readlink, link, out, n - 1);
	if (len <= 0)
		return false;
	out[len] = 0;
	if (fd_cache_on)	/* kept only while closes are watched */
		fd_store_if(fd, out, seen);
	return true;
}

/* The working directory, fetched once and kept until a chdir or fchdir.
 * Threads share it, so it is a seqlock like an fd_cache entry, plus the
 * generation of chdirs it was fetched in: a reader copies it out and
 * keeps the copy only if seq was even and unmoved and the generation is
 * the current one; otherwise it asks the kernel into its own buffer.
 * (A plain buffer and flag let one thread's getcwd write under another's
 * strcpy, and a getcwd begun before a chdir mark its old answer known
 * after the chdir had dropped it: stale until the next chdir.) Writers
 * never wait (a handler may interrupt one): the CAS loser stores nothing. */
static struct { unsigned seq, gen; char path[4096]; } cwd_cache;
static unsigned cwd_gen;	/* successful chdirs and fchdirs so far */

static bool current_dir(char *out, size_t n)
{
	unsigned gen = __atomic_load_n(&cwd_gen, __ATOMIC_ACQUIRE);
	unsigned seen = __atomic_load_n(&cwd_cache.seq, __ATOMIC_ACQUIRE);
	if (!(seen & 1) && cwd_cache.gen == gen) {
		size_t len = strnlen(cwd_cache.path, sizeof cwd_cache.path);
		if (len && len < n) {
			memcpy(out, cwd_cache.path, len);
			out[len] = 0;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (seen == __atomic_load_n(&cwd_cache.seq, __ATOMIC_RELAXED) && out[0] == '/')
				return true;
		}
	}
	char dir[4096];
	if (syscall(SYS_getcwd, dir, sizeof dir) < 0)
		return false;
	size_t len = strlen(dir);
	/* stored under the generation read before the getcwd: if a chdir came
	 * between, the next reader sees a newer one and asks again */
	if (!(seen & 1) && __atomic_compare_exchange_n(&cwd_cache.seq, &seen, seen + 1, false, __ATOMIC_ACQ_REL,
						       __ATOMIC_RELAXED)) {
		cwd_cache.gen = gen;
		memcpy(cwd_cache.path, dir, len + 1);
		__atomic_store_n(&cwd_cache.seq, seen + 2, __ATOMIC_RELEASE);
	}
	if (len >= n)
		return false;
	memcpy(out, dir, len + 1);
	return true;
}

/* Remembers what an open gave: the path it was given, made absolute,
 * so that the fd's first read costs no readlink. */
static void fd_opened(int fd, int dirfd, const char *path, struct hj_call *c)
{
	char abs[4096];
	const char *base = NULL;
	if (!path)
		return fd_forget(fd);
	if (!needs_folding(c, path))
		return fd_store(fd, path);	/* already absolute and clean */
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD)
			base = current_dir(abs, sizeof abs) ? abs : NULL;
		else if (hj_fd_path(dirfd, abs, sizeof abs))
			base = abs;
		if (!base)
			return fd_forget(fd);
	}
	char full[4096];
	int len = base ? snprintf(full, sizeof full, "%s/%s", base, path) : snprintf(full, sizeof full, "%s", path);
	if (len >= (int)sizeof full)
		return fd_forget(fd);
	normalize(full);
	fd_store(fd, full);
}

void hj_fd_cache_enable(void)
{
	static const int watched[] = {
		HJ_close, HJ_dup, HJ_dup2, HJ_dup3, HJ_pipe, HJ_pipe2, HJ_socketpair,
		HJ_fopen, HJ_freopen, HJ_opendir, HJ_chdir, HJ_fchdir, HJ_close_range,
	};
	fd_cache_on = true;
	for (size_t i = 0; i < sizeof watched / sizeof watched[0]; i++)
		hj_want(watched[i]);
	for (int id = 0; id < HJ_NCALLS; id++)
		if (hj_calls[id].ret == R_FD)
			hj_want(id);
}

void hj_fd_track(struct hj_call *c)
{
	if (!fd_cache_on)
		return;
	enum hj_ret r = hj_calls[c->id].ret;
	if (r == R_FD && c->ret >= 0) {
		const struct hj_call_info *ci = &hj_calls[c->id];
		int p = -1;
		for (int i = 0; i < ci->nargs && p < 0; i++)
			if (ci->args[i].kind == K_PATH)
				p = i;
		const char *path = p >= 0 ? path_arg(c, p) : NULL;
		if (path)
			fd_opened((int)c->ret, p > 0 && ci->args[p - 1].kind == K_DIRFD ? (int)c->a[p - 1] : AT_FDCWD,
				  path, c);
		else
			fd_forget((int)c->ret);
	}
	switch (c->id) {
	case HJ_chdir: case HJ_fchdir:
		if (c->ret == 0)
			__atomic_add_fetch(&cwd_gen, 1, __ATOMIC_ACQ_REL);
		break;
	case HJ_close: fd_forget((int)c->a[0]); break;
	case HJ_dup2: case HJ_dup3: fd_forget((int)c->a[1]); break;
	case HJ_close_range:
		/* CLOSE_RANGE_CLOEXEC closes nothing now */
		if (c->ret == 0 && !(c->a[2] & 4))
			for (unsigned long fd = (unsigned)c->a[0]; fd <= (unsigned)c->a[1] && fd < FD_CACHE; fd++)
				fd_forget((int)fd);
		break;
	case HJ_fcntl:	/* when it is watched for another reason */
		if ((c->a[1] == F_DUPFD || c->a[1] == F_DUPFD_CLOEXEC) && c->ret >= 0)
			fd_forget((int)c->ret);
		break;
	case HJ_pipe: case HJ_pipe2: case HJ_socketpair: {
		int fds[2];
		if (c->ret == 0 && hj_peek(fds, (void *)c->a[c->id == HJ_socketpair ? 3 : 0], sizeof fds)) {
			fd_forget(fds[0]);
			fd_forget(fds[1]);
		}
		break;
	}
	/* what libc returned, unless a hook made it up */
	case HJ_fopen: case HJ_freopen:
		if (c->ret && c->ran_ok && hj_readable((void *)c->ret, sizeof(FILE)))
			fd_opened(fileno((FILE *)c->ret), AT_FDCWD, (const char *)c->a[0], NULL);
		break;
	case HJ_opendir:
		if (c->ret && c->ran_ok)
			fd_opened(dir_fd((DIR *)c->ret), AT_FDCWD, (const char *)c->a[0], NULL);
		break;
	}
}

/* hijack detach: every rule out of force (the table keeps them, unused:
 * a hook may be running one), nothing wanted, no clock reading in C */
void hj_rules_clear(void)
{
	for (int id = 0; id < HJ_NCALLS; id++) {
		__atomic_store_n(&hj_clock_fast[id], 0, __ATOMIC_RELEASE);
		for (int phase = 0; phase < 2; phase++)
			__atomic_store_n(&counts[id][phase], 0, __ATOMIC_RELEASE);
	}
	hj_want_none();
}
