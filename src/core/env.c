/* The environment, read and written without getenv() and setenv(): a
 * program may define its own (bash does, over a table of its own that is
 * empty before its main runs), and a preloaded library must not call them.
 *
 * The program must not see us either: at start our entries (HIJACK_*, our
 * library in LD_PRELOAD) leave environ and are kept here, where hj_env
 * still finds them; config.c puts them back into each exec'd child's
 * environment. Memory comes from mmap, not from an allocator the program
 * may have replaced, and is never given back: environ may point into it. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

extern char **environ;

#define MAX_OURS 63
static char *ours[MAX_OURS + 1];	/* "HIJACK_NAME=value", NULL-terminated */
static int nours;
static char *preload_entry;		/* "LD_PRELOAD=/abs/libhijack.so" */
static bool hidden;

const char *hj_strerror(int err)
{
	const char *msg = strerrordesc_np(err);	/* libc's table: never translated nor allocated */
	return msg ? msg : "Unknown error";
}

/* ---- memory no program allocator owns ---- */

void *hj_env_map(size_t n)
{
	void *p = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void hj_env_unmap(void *p, size_t n) { syscall(SYS_munmap, p, n); }

static char *pool;
static size_t pool_left;
static int pool_lock;

static char *pool_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	while (__atomic_exchange_n(&pool_lock, 1, __ATOMIC_ACQUIRE))
		;
	if (n > pool_left) {
		size_t size = n > 65536 ? (n + 4095) & ~(size_t)4095 : 65536;
		char *p = hj_env_map(size);
		if (p) {
			pool = p;
			pool_left = size;
		}
	}
	char *r = NULL;
	if (n <= pool_left) {
		r = pool;
		pool += n;
		pool_left -= n;
	}
	__atomic_store_n(&pool_lock, 0, __ATOMIC_RELEASE);
	return r;
}

/* "name=value" (value of vlen bytes) in the pool */
static char *entry(const char *name, const char *value, size_t vlen)
{
	size_t nlen = strlen(name);
	char *e = pool_alloc(nlen + 1 + vlen + 1);
	if (e) {
		memcpy(e, name, nlen);
		e[nlen] = '=';
		memcpy(e + nlen + 1, value, vlen);
		e[nlen + 1 + vlen] = 0;
	}
	return e;
}

static const char *lookup(char *const *env, const char *name, size_t len)
{
	for (char *const *e = env; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}

/* The value of NAME, or NULL: ours once hidden, the program's otherwise. */
const char *hj_env(const char *name)
{
	size_t len = strlen(name);
	if (__atomic_load_n(&hidden, __ATOMIC_ACQUIRE) && !strncmp(name, "HIJACK_", 7))
		return lookup(ours, name, len);
	return lookup(environ, name, len);
}

/* Sets one of our entries (carried to children, never seen by the program). */
void hj_env_set(const char *name, const char *value)
{
	char *e = entry(name, value, strlen(value));
	if (!e)
		return;
	size_t len = strlen(name) + 1;
	for (int k = 0; k < nours; k++)
		if (!strncmp(ours[k], e, len)) {
			__atomic_store_n(&ours[k], e, __ATOMIC_RELEASE);
			return;
		}
	if (nours < MAX_OURS) {
		__atomic_store_n(&ours[nours], e, __ATOMIC_RELEASE);
		__atomic_store_n(&nours, nours + 1, __ATOMIC_RELEASE);
	}
}

char *const *hj_env_ours(void) { return ours; }
const char *hj_env_preload(void) { return preload_entry; }

/* Is element [p, p+n) of an LD_PRELOAD list our library? */
static bool is_us(const char *p, size_t n, const char *library, const struct stat *self)
{
	char path[4096];
	if (n >= sizeof path)
		return false;
	if (strlen(library) == n && !memcmp(p, library, n))
		return true;
	/* a bare name, which the loader looked for in its paths */
	const char *base = strrchr(library, '/');
	if (!memchr(p, '/', n) && base && strlen(base + 1) == n && !memcmp(p, base + 1, n))
		return true;
	memcpy(path, p, n);
	path[n] = 0;
	struct stat st;
	return self && syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0 && st.st_dev == self->st_dev &&
	       st.st_ino == self->st_ino;
}

/* LD_PRELOAD's value without our library (the pool's), "" when only ours */
static char *without_us(const char *list, const char *library, const struct stat *self)
{
	size_t len = strlen(list);
	char *out = pool_alloc(len + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = list; *p;) {
		size_t sep = strspn(p, ": "), n;
		p += sep;
		if (!*p)
			break;
		n = strcspn(p, ": ");
		if (!is_us(p, n, library, self)) {
			if (o > out)
				*o++ = ':';
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = 0;
	return out;
}

/* Takes our entries out of environ, in place: the program's entries move
 * to the end of the array, in their order, so that its NULL (and the
 * auxiliary vector that follows it on the stack) stay where they were;
 * environ then starts past ours. Anyone holding the old pointer still
 * sees a whole environment. library is our file as the loader named it. */
void hj_env_hide(const char *library)
{
	char cwd[4096];
	if (!library)	/* cannot happen: dladdr on ourselves */
		library = "";
	size_t llen = strlen(library);
	/* children may start elsewhere: carry an absolute path */
	if (*library && library[0] != '/' && syscall(SYS_getcwd, cwd, sizeof cwd) > 0) {
		size_t clen = strlen(cwd);
		char *abs = pool_alloc(clen + 1 + llen + 1);
		if (abs) {
			memcpy(abs, cwd, clen);
			abs[clen] = '/';
			memcpy(abs + clen + 1, library, llen + 1);
			library = abs;
		}
	}
	preload_entry = *library ? entry("LD_PRELOAD", library, strlen(library)) : NULL;
	struct stat self_st, *self = syscall(SYS_newfstatat, AT_FDCWD, library, &self_st, 0) == 0 ? &self_st : NULL;

	char **env = environ;
	size_t n = 0, gone = 0;
	while (env && env[n])
		n++;
	/* first ours leave their slots (NULL), kept in ours[] */
	for (size_t i = 0; i < n; i++) {
		/* ours: HIJACK_*, and the start-up watcher the launcher added */
		bool watcher = !strncmp(env[i], "LD_AUDIT=", 9) && strstr(env[i], "/libhijack-audit.so") &&
			       !strchr(env[i] + 9, ':');
		if (!strncmp(env[i], "HIJACK_", 7) || watcher) {
			size_t name = strcspn(env[i], "=");
			char nm[256];
			if (!env[i][name] || name >= sizeof nm || nours >= MAX_OURS)
				continue;
			memcpy(nm, env[i], name);
			nm[name] = 0;
			char *e = entry(nm, env[i] + name + 1, strlen(env[i] + name + 1));
			if (e) {
				ours[nours++] = e;
				env[i] = NULL;
				gone++;
			}
		} else if (!strncmp(env[i], "LD_PRELOAD=", 11)) {
			char *rest = without_us(env[i] + 11, library, self);
			if (rest && !*rest) {
				env[i] = NULL;
				gone++;
			} else if (rest && strcmp(rest, env[i] + 11)) {
				char *e = entry("LD_PRELOAD", rest, strlen(rest));
				if (e)
					env[i] = e;
			}
		}
	}
	if (gone) {
		/* then the program's move to the tail, in their order */
		size_t j = n;
		for (size_t i = n; i-- > 0;)
			if (env[i])
				env[--j] = env[i];
		/* the head keeps our entries, for whoever kept the old pointer */
		for (size_t i = 0; i < j; i++)
			env[i] = i < (size_t)nours ? ours[i] : preload_entry;
		environ = env + j;
	}
	__atomic_store_n(&hidden, true, __ATOMIC_RELEASE);
}

/* hijack attach: the settings come in one block ("NAME=value" entries,
 * each ended by a NUL, the block by an empty one), not in environ, which
 * stays the program's own. They replace those of an earlier attach. */
void hj_env_adopt(const char *config)
{
	for (int k = 0; k < MAX_OURS; k++)
		__atomic_store_n(&ours[k], NULL, __ATOMIC_RELEASE);
	nours = 0;
	for (const char *p = config; p && *p; p += strlen(p) + 1) {
		size_t name = strcspn(p, "=");
		char nm[256];
		if (!p[name] || name >= sizeof nm)
			continue;
		memcpy(nm, p, name);
		nm[name] = 0;
		hj_env_set(nm, p + name + 1);
	}
	__atomic_store_n(&hidden, true, __ATOMIC_RELEASE);
}
