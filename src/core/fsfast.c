/* Hijack::FS's path maps applied in C: the hooks src/ruby/fs.rb registers
 * for its groups of path calls (redirect, readonly, hide) do here what
 * FS.apply does, with the table the Ruby hands over (Hijack.__fs_set),
 * and the VM is not entered.
 *
 * Dispatch asks this in place of the VM when every before hook that
 * matched the call is one of FS's (a user's hook on it sends the whole
 * call the Ruby way, where FS's hooks run in their order as before). The
 * rest of dispatch is unchanged: the trace, -c, --inject, --record and
 * the after hooks see the call as they did after FS's Ruby hooks (the
 * rewritten path, or the failure).
 *
 * What needs Ruby's own decisions is left to it, whole: a path served by
 * FS.file (its copy is made by Ruby), a hook that may see copies' paths,
 * a result longer than a path buffer, a mode string too long to read
 * here. The work is planned on a copy of the arguments and written back
 * only when all of it was done here, so that falling back to Ruby starts
 * from the program's own arguments.
 *
 * The table is built whole and published with one pointer store; one
 * that is replaced is never freed (a script configures FS a few times at
 * its start), so a reader in another thread never sees it go. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

#define FS_PATH 4096
#define MAX_HOPS 16

struct fs_root {
	const char *path;	/* absolute, folded, no trailing '/' but "/" */
	size_t len;
	int type;
	const char *to;		/* a redirect's TO */
	size_t to_len;
	bool to_inside;		/* TO is inside FROM: TO's own paths are left alone */
	size_t cut;		/* bytes of a path that path stands for ("/": 0) */
};

struct fs_table {
	int n;
	bool copies_watched;
	int ncopy;
	const char *copy_roots[2];
	size_t copy_len[2];
	struct fs_root roots[];
};

static struct fs_table *table;
bool hj_fs_ready;

static const char *const kind_names[] = {
	[HJ_FS_OPEN] = "open", [HJ_FS_CREAT] = "creat", [HJ_FS_FOPEN] = "fopen", [HJ_FS_WRITE] = "write",
	[HJ_FS_CHANGE] = "change", [HJ_FS_CREATE] = "create", [HJ_FS_LINK] = "link", [HJ_FS_ACCESS] = "access",
	[HJ_FS_READ] = "read", [HJ_FS_SEARCH] = "search",
};
static const char *const arg_names[] = { "path", "oldpath", "newpath", "linkpath", "file" };

int hj_fs_kind(const char *name)
{
	for (int k = 1; k < (int)(sizeof kind_names / sizeof kind_names[0]); k++)
		if (!strcmp(kind_names[k], name))
			return k;
	return 0;
}

const char *hj_fs_argname(const char *name)
{
	for (size_t k = 0; k < sizeof arg_names / sizeof arg_names[0]; k++)
		if (!strcmp(arg_names[k], name))
			return arg_names[k];
	return NULL;
}

static struct fs_table *table_from(const struct hj_fs_root_in *in, int n, bool copies_watched,
				   const char *const *copy_roots, int ncopy)
{
	struct fs_table *t = n < 0 || ncopy > 2 ? NULL : hj_calloc(1, sizeof *t + (size_t)n * sizeof t->roots[0]);
	if (!t)
		return NULL;
	t->n = n;
	t->copies_watched = copies_watched;
	t->ncopy = ncopy;
	for (int i = 0; i < ncopy; i++) {
		if (!(t->copy_roots[i] = hj_strdup(copy_roots[i])))
			return NULL;
		t->copy_len[i] = strlen(copy_roots[i]);
	}
	for (int i = 0; i < n; i++) {
		struct fs_root *r = &t->roots[i];
		if (!(r->path = hj_strdup(in[i].path)) || (in[i].to && !(r->to = hj_strdup(in[i].to))))
			return NULL;
		r->len = strlen(r->path);
		r->type = in[i].type;
		r->to_len = r->to ? strlen(r->to) : 0;
		r->to_inside = in[i].to_inside;
		r->cut = in[i].cut;
		if (r->cut > r->len || r->len >= FS_PATH)
			return NULL;
	}
	return t;
}

/* n < 0: no table, every call the Ruby way (so too when it cannot be made) */
bool hj_fs_set(const struct hj_fs_root_in *in, int n, bool copies_watched, const char *const *copy_roots, int ncopy)
{
	struct fs_table *t = table_from(in, n, copies_watched, copy_roots, ncopy);
	__atomic_store_n(&hj_fs_ready, false, __ATOMIC_RELEASE);
	__atomic_store_n(&table, t, __ATOMIC_RELEASE);
	__atomic_store_n(&hj_fs_ready, t != NULL, __ATOMIC_RELEASE);
	return t != NULL;
}

/* fs.rb's `q.start_with?(e[1]) || q == e[0]`: q is the path or under it */
static bool inside(const char *q, size_t qlen, const char *path, size_t len)
{
	if (len == 1 && path[0] == '/')
		return true;	/* every absolute path */
	return qlen >= len && (q[len] == 0 || q[len] == '/') && !memcmp(q, path, len);
}

/* ---- the file's state, as fs.rb's File.exist?, file?, directory?, symlink? read it ---- */

static bool stat_of(const char *q, struct stat *st, bool follow)
{
	int saved = errno;
	bool ok = syscall(SYS_newfstatat, AT_FDCWD, q, st, follow ? 0 : AT_SYMLINK_NOFOLLOW) == 0;
	errno = saved;
	return ok;
}

static bool file_exist(const char *q)	/* File.exist? */
{
	struct stat st;
	return stat_of(q, &st, true);
}

static bool exists(const char *q)	/* File.exist?(q) || File.symlink?(q) */
{
	struct stat st;
	return stat_of(q, &st, true) || (stat_of(q, &st, false) && S_ISLNK(st.st_mode));
}

static bool solid(const char *q)	/* a regular file, a directory or a symlink */
{
	struct stat st;
	if (stat_of(q, &st, true) && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return true;
	return stat_of(q, &st, false) && S_ISLNK(st.st_mode);
}

static bool open_writes(bool write, bool create, bool excl, const char *q)
{
	if (!write && !create)
		return false;
	if (!file_exist(q))
		return create;
	if (create && excl)
		return false;
	return write && solid(q);
}

/* An argument of c by name, or -1 */
static int arg_index(int id, const char *name)
{
	const struct hj_call_info *ci = &hj_calls[id];
	for (int i = 0; i < ci->nargs; i++)
		if (!strcmp(ci->args[i].name, name))
			return i;
	return -1;
}

/* fs.rb's writes?: 1 the call changes something, 0 not, -1 Ruby must say */
static int writes(int kind, const struct hj_call *c, const char *argname, const char *q)
{
	int i;
	switch (kind) {
	case HJ_FS_WRITE:
		return 1;
	case HJ_FS_CHANGE:
		return exists(q);
	case HJ_FS_OPEN: case HJ_FS_CREAT: {
		long flags = O_CREAT | O_TRUNC | 1;
		if (kind == HJ_FS_OPEN) {
			if ((i = arg_index(c->id, "flags")) < 0)
				return -1;
			flags = (int)c->a[i];
		}
		if ((flags & O_TMPFILE) == O_TMPFILE)
			return 1;
		return open_writes((flags & O_ACCMODE) != 0 || (flags & O_TRUNC) != 0, flags & O_CREAT, flags & O_EXCL, q);
	}
	case HJ_FS_FOPEN: {
		char m[64] = "r";
		bool nul = true;
		if ((i = arg_index(c->id, "mode")) < 0)
			return -1;
		if (c->a[i] && (hj_peek_str(m, sizeof m, (const char *)c->a[i], &nul) < 0 || !nul))
			return -1;	/* unreadable or long: as Ruby reads it */
		bool w = strchr(m, 'w'), a = strchr(m, 'a');
		return open_writes(w || a || strchr(m, '+'), w || a, strchr(m, 'x'), q);
	}
	case HJ_FS_ACCESS:
		if ((i = arg_index(c->id, "mode")) < 0)
			return -1;
		return (c->a[i] & W_OK) && solid(q);
	case HJ_FS_CREATE:
		return !exists(q);
	case HJ_FS_LINK:
		return !strcmp(argname, "oldpath") || !exists(q);
	default:
		return 0;
	}
}

/* The index of a path argument of FS's (one of arg_names, by address) in
 * call id, or -1: looked up once per call and name */
static signed char path_index_cache[HJ_NCALLS][5];	/* index + 2; 0: not yet looked up */

static int path_index(int id, const char *name)
{
	int k = 0;
	while (k < 4 && arg_names[k] != name)
		k++;
	signed char *slot = &path_index_cache[id][k];
	int v = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (hj_unlikely(!v)) {
		int i = arg_index(id, name);
		v = i >= 0 && hj_calls[id].args[i].kind == K_PATH ? i + 2 : 1;
		__atomic_store_n(slot, (signed char)v, __ATOMIC_RELAXED);
	}
	return v - 2;
}

/* A path the program gave, if it can be read (fs.rb's `raw`): NULL if not */
static const char *raw_path(struct hj_call *w, int i)
{
	return hj_path_ok(w, i) ? (const char *)w->a[i] : NULL;
}

enum { DONE, FAILED, RUBY };

/* FS.apply of one hook (its kind, the path argument `name`, argument i
 * of w's call) on w, whose rewritten path goes to out (FS_PATH bytes);
 * sets *changed. */
static int apply_arg(const struct fs_table *t, struct hj_call *w, int kind, const char *name, int i, char *out,
		     size_t *out_len, bool *changed, int *err)
{
	*changed = false;
	if (i < 0)
		return DONE;	/* call.abspath(name) is nil */
	const char *raw = (const char *)w->a[i];
	size_t len;
	/* (read only once peek.c has found it readable) */
	if (hj_path_ok(w, i) && raw[0] == '/' && (len = strlen(raw)) < FS_PATH && hj_path_clean(raw)) {
		/* absolute and folded already: as abspath gives it */
		memcpy(out, raw, len + 1);
	} else {
		if (!hj_abspath(w, i, out, FS_PATH))
			return DONE;
		raw = raw_path(w, i);
		len = strlen(out);
	}
	if (!raw || !*raw) {
		/* the fd's own file: only a read-only tree's refusal of a change */
		if (kind != HJ_FS_CHANGE)
			return DONE;
		size_t plen = strlen(out);
		for (int k = 0; k < t->n; k++)
			if (t->roots[k].type == HJ_FS_RO && inside(out, plen, t->roots[k].path, t->roots[k].len)) {
				if (exists(out)) {
					*err = EROFS;
					return FAILED;
				}
				break;
			}
		return DONE;
	}
	if (kind == HJ_FS_SEARCH && !strchr(raw, '/'))
		return DONE;
	if (t->copies_watched)
		for (int k = 0; k < t->ncopy; k++)
			if (len >= t->copy_len[k] && !memcmp(out, t->copy_roots[k], t->copy_len[k]))
				return DONE;
	bool ro = false;
	int hops = 0;
	for (;;) {
		const struct fs_root *hit = NULL;
		for (int k = 0; k < t->n; k++) {
			const struct fs_root *e = &t->roots[k];
			if (!inside(out, len, e->path, e->len))
				continue;
			if (e->type == HJ_FS_HIDE) {
				*err = ENOENT;
				return FAILED;
			} else if (e->type == HJ_FS_RO) {
				ro = true;
			} else if (!hit && !(e->to_inside && inside(out, len, e->to, e->to_len))) {
				hit = e;	/* the longest */
			}
		}
		if (!hit)
			break;
		if (hit->type != HJ_FS_REDIRECT)
			return RUBY;	/* a virtual file: its copy is Ruby's */
		if (++hops > MAX_HOPS) {
			*err = ELOOP;
			return FAILED;
		}
		/* join: TO + what follows FROM in out */
		const char *rest = out + hit->cut;
		size_t rest_len = len - hit->cut;
		if (rest_len == 0 || (rest_len == 1 && rest[0] == '/')) {
			if (hit->to_len >= FS_PATH - 1)
				return RUBY;
			memcpy(out, hit->to, hit->to_len + 1);
			len = hit->to_len;
		} else if (!(hit->to_len == 1 && hit->to[0] == '/')) {
			if (hit->to_len + rest_len >= FS_PATH - 1)
				return RUBY;
			memmove(out + hit->to_len, rest, rest_len + 1);
			memcpy(out, hit->to, hit->to_len);
			len += hit->to_len;
			len -= hit->cut;
		} else {
			memmove(out, rest, rest_len + 1);
			len = rest_len;
		}
		*changed = true;
	}
	if (ro && kind != HJ_FS_READ && kind != HJ_FS_SEARCH) {
		int f = arg_index(w->id, "flags");
		/* the common case first: an open for reading */
		if (!(kind == HJ_FS_OPEN && f >= 0 && (w->a[f] & 020001103) == 0)) {
			int v = writes(kind, w, name, out);
			if (v < 0)
				return RUBY;
			if (v) {
				*err = EROFS;
				return FAILED;
			}
		}
	}
	if (*changed && raw[strlen(raw) - 1] == '/' && out[len - 1] != '/') {
		out[len++] = '/';
		out[len] = 0;
	}
	*out_len = len;
	return DONE;
}

bool hj_fs_apply(struct hj_call *c, struct hj_rule **rules, int n, char (*room)[HJ_FS_ROOM])
{
	for (int k = 0; k < n; k++)
		if (!rules[k]->fs_kind)
			return false;	/* a hook of the user's, or of another recipe */
	const struct fs_table *t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);
	if (!t || !hj_vm_would_run())
		return false;
	/* the plan: each hook in turn on the arguments as the last left them */
	struct hj_call w = *c;
	long a[HJ_MAXARGS];
	memcpy(a, c->a, sizeof a);
	w.a = a;
	char paths[2][FS_PATH + 1];
	size_t lens[2];
	int arg_of[2], used = 0, failed = 0;
	for (int k = 0; k < n; k++) {
		int kind = rules[k]->fs_kind;
		/* :creat stands for the openat system call too (glibc's creat makes it) */
		if (kind == HJ_FS_CREAT && c->id != HJ_creat)
			kind = HJ_FS_OPEN;
		for (int j = 0; j < 2 && rules[k]->fs_args[j]; j++) {
			const char *name = rules[k]->fs_args[j];
			char buf[FS_PATH + 1];
			size_t len;
			bool changed;
			int err = 0;
			int i = path_index(c->id, name);
			int r = apply_arg(t, &w, kind, name, i, buf, &len, &changed, &err);
			if (r == RUBY)
				return false;
			if (r == FAILED) {
				failed = err;	/* `return call.fail`: this hook ends; the next runs */
				break;
			}
			if (changed) {
				int s = 0;
				while (s < used && arg_of[s] != i)
					s++;
				if (s == 2)
					return false;
				if (s == used)
					arg_of[used++] = i;
				memcpy(paths[s], buf, len + 1);
				lens[s] = len;
				a[i] = (long)paths[s];
				w.paths_ok |= (uint8_t)(1u << i);
			}
		}
	}
	/* done here: the plan is the call's, as Ruby's setters would leave it;
	 * in the caller's room, or a copy of ours freed when the call ends */
	for (int s = 0; s < used; s++) {
		int i = arg_of[s];
		char *p = room[s];
		if (lens[s] < HJ_FS_ROOM) {
			memcpy(p, paths[s], lens[s] + 1);
		} else {
			if (!(p = hj_strdup(paths[s])))
				return false;
			hj_free(c->owned[i]);
			c->owned[i] = p;
			c->owns = true;
		}
		c->a[i] = (long)p;
	}
	c->paths_ok = w.paths_ok;
	if (failed) {
		hj_fail(c, failed);
		c->decided = c->injected = true;	/* as call.fail */
	}
	return true;
}
