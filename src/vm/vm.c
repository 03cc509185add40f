/* The process's one mruby VM: starting it, loading scripts, running
 * hooks under the VM lock, and reporting Ruby errors as file:line. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/compile.h>
#include <mruby/dump.h>
#include <mruby/error.h>
#include <mruby/irep.h>
#include <mruby/proc.h>
#include <mruby/string.h>
#include <mruby/throw.h>
#include <mruby/variable.h>

#include "core/engine.h"
#include "core/lock.h"
#include "core/ownfd.h"
#include "core/runaway.h"
#include "vm/vm.h"

void hj_tz_init(void);

mrb_state *hj_mrb;
static hj_lock_t vm_lock;
static HJ_TLS int vm_owner;	/* this thread holds vm_lock */
static bool vm_torn;		/* forked while a hook was running: the child's VM is mid-call */
static bool vm_off;		/* a hook was stopped mid-instruction: never entered again */
static void vm_lock_take(void) { hj_lock(&vm_lock); vm_owner = 1; }
static void vm_lock_drop(void) { vm_owner = 0; hj_unlock(&vm_lock); }
static mrb_value blocks;	/* Array: every hook block, indexed by rule->proc */
static mrb_value at_exits;	/* Array of Hijack.at_exit blocks */

/* "file:line: message (Class)" for an exception, into out. A message
 * may hold NULs, and an exception's own `message` may raise: neither may
 * reach mruby's abort(), so the work runs protected and reads lengths. */
struct describe { mrb_value exc; char *out; size_t n; };

static mrb_value describe_body(mrb_state *mrb, void *p)
{
	struct describe *d = p;
	mrb_value msg = mrb_funcall(mrb, d->exc, "message", 0);
	const char *cls = mrb_obj_classname(mrb, d->exc);
	int mlen = mrb_string_p(msg) ? (int)RSTRING_LEN(msg) : 0;
	const char *m = mrb_string_p(msg) ? RSTRING_PTR(msg) : "";
	mrb_value bt = mrb_exc_backtrace(mrb, d->exc);
	if (mrb_array_p(bt) && RARRAY_LEN(bt) > 0 && mrb_string_p(RARRAY_PTR(bt)[0])) {
		/* "x.rb:2:in f" -> "x.rb:2" */
		mrb_value w = RARRAY_PTR(bt)[0];
		const char *where = RSTRING_PTR(w), *in = memmem(where, (size_t)RSTRING_LEN(w), ":in ", 4);
		int len = in ? (int)(in - where) : (int)RSTRING_LEN(w);
		snprintf(d->out, d->n, "%.*s: %.*s (%s)", len, where, mlen, m, cls);
	} else {
		snprintf(d->out, d->n, "%.*s (%s)", mlen, m, cls);
	}
	return mrb_nil_value();
}

void hj_vm_describe(mrb_state *mrb, mrb_value exc, char *out, size_t n)
{
	struct describe d = { exc, out, n };
	mrb_bool failed = FALSE;
	mrb->exc = NULL;
	mrb_protect_error(mrb, describe_body, &d, &failed);
	if (failed)
		snprintf(out, n, "%s (its message could not be read)", mrb_obj_classname(mrb, exc));
	mrb->exc = NULL;
}

/* Loads one script (.rb source or .mrb bytecode) or inline code; an
 * error goes to err if given, else to stderr. */
static bool load_one_to(const char *name, const char *code, size_t len, bool bytecode, char *err, size_t errlen)
{
	mrb_state *mrb = hj_mrb;
	int ai = mrb_gc_arena_save(mrb);
	mrbc_context *cx = mrbc_context_new(mrb);
	mrbc_filename(mrb, cx, name);
	cx->capture_errors = TRUE;
	cx->no_optimize = len > HJ_PEEPHOLE_MAX;
	if (bytecode)
		mrb_load_irep_buf_cxt(mrb, code, len, cx);
	else
		mrb_load_nstring_cxt(mrb, code, len, cx);
	mrbc_context_free(mrb, cx);
	bool ok = true;
	if (mrb->exc) {
		char msg[1024];
		mrb_value exc = mrb_obj_value(mrb->exc);
		if (mrb_obj_is_kind_of(mrb, exc, mrb_exc_get(mrb, "SyntaxError"))) {
			/* the parser says "line 3: ..."; say which file */
			mrb_value m = mrb_funcall(mrb, exc, "message", 0);
			char s[512];
			snprintf(s, sizeof s, "%.*s", mrb_string_p(m) ? (int)strnlen(RSTRING_PTR(m), (size_t)RSTRING_LEN(m)) : 0,
				 mrb_string_p(m) ? RSTRING_PTR(m) : "");
			int line = 0, skip = 0;
			if (sscanf(s, "line %d: %n", &line, &skip) == 1 && skip)
				snprintf(msg, sizeof msg, "%s:%d: %s", name, line, s + skip);
			else
				snprintf(msg, sizeof msg, "%s: %s", name, s);
			mrb->exc = NULL;
		} else if (bytecode && mrb_obj_class(mrb, exc) == mrb_exc_get(mrb, "ScriptError")) {
			snprintf(msg, sizeof msg, "%s: not valid mruby bytecode (truncated, damaged, or from another mruby)", name);
			mrb->exc = NULL;
		} else {
			hj_vm_describe(mrb, exc, msg, sizeof msg);
		}
		if (err)
			snprintf(err, errlen, "%s", msg);
		else
			fprintf(stderr, "hijack: %s\n", msg);
		ok = false;
	}
	mrb_gc_arena_restore(mrb, ai);
	return ok;
}

static bool load_one(const char *name, const char *code, size_t len, bool bytecode)
{
	return load_one_to(name, code, len, bytecode, NULL, 0);
}

/* A script's text. Not a regular file (a directory, /dev/zero, a FIFO
 * that would block), or one past HJ_FILE_MAX, is refused: NULL, with
 * the reason in slurp_why, or errno. */
static const char *slurp_why;

static char *slurp(const char *path, size_t *len)
{
	slurp_why = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	char *buf = NULL;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		slurp_why = S_ISDIR(st.st_mode) ? "is a directory, not a script" : "not a regular file";
		goto out;
	}
	size_t n = 0, cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
	if (st.st_size > HJ_FILE_MAX)
		goto too_big;
	buf = hj_malloc(cap + 1);
	for (ssize_t r; buf && (r = read(fd, buf + n, cap - n)) != 0; n += (size_t)r) {
		if (r < 0) {
			if (errno == EINTR)
				r = 0;
			else
				goto fail;
		}
		if (n + (size_t)r > HJ_FILE_MAX)
			goto too_big;	/* it grew */
		if (n + (size_t)r == cap) {
			char *nb = hj_realloc(buf, (cap *= 2) + 1);
			if (!nb)
				goto fail;
			buf = nb;
		}
	}
	if (!buf)
		goto out;
	buf[n] = 0;
	*len = n;
	close(fd);
	return buf;
too_big:
	slurp_why = "larger than " HJ_FILE_MAX_TEXT ", too large for a script";
fail:
	hj_free(buf);
	buf = NULL;
out:
	{
		int e = errno;
		close(fd);
		errno = e;
	}
	return buf;
}

/* Why slurp returned NULL. */
const char *hj_vm_slurp_error(void) { return slurp_why ? slurp_why : hj_strerror(errno); }

static bool load_file(const char *path)
{
	size_t len;
	char *code = slurp(path, &len);
	if (!code) {
		fprintf(stderr, "hijack: %s: %s\n", path, hj_vm_slurp_error());
		return false;
	}
	bool bytecode = len >= 4 && !memcmp(code, "RITE", 4);
	if (!bytecode && len > HJ_SCRIPT_MAX) {
		fprintf(stderr, "hijack: %s: %s\n", path, HJ_SCRIPT_TOO_BIG);
		hj_free(code);
		return false;
	}
	bool ok = load_one(path, code, len, bytecode);
	hj_free(code);
	return ok;
}

bool hj_vm_active(void) { return hj_mrb != NULL; }
bool hj_vm_has_at_exit(void) { return hj_mrb && RARRAY_LEN(at_exits) > 0; }

/* ---- the launcher's compiled scripts: a sealed memfd ----
 * HIJACK_BYTECODE is "sealed:FD:SIZE:HASH". The descriptor is taken
 * only if it is sealed against every change (write, grow, shrink, and
 * the seals themselves) and holds exactly those bytes; looked for under
 * another number if the program moved it; else the process refuses to
 * run, rather than run without its rules. A copy is kept to hand it on
 * again to an exec after the program closed it (hj_scripts_before_exec). */
static struct { size_t size; uint64_t hash; char *bytes; const char *why; } sealed;

static bool sealed_match(int fd, void *arg)
{
	(void)arg;
	struct stat st;
	long seals = syscall(SYS_fcntl, fd, F_GET_SEALS);
	const long all = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
	if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != sealed.size) {
		sealed.why = "not the launcher's memfd";
		return false;
	}
	if (seals < 0 || (seals & all) != all) {
		sealed.why = "not sealed against writing, growing, shrinking and resealing";
		return false;
	}
	char *buf = hj_malloc(sealed.size ? sealed.size : 1);
	bool ok = buf && syscall(SYS_pread64, fd, buf, sealed.size, 0) == (long)sealed.size &&
		  hj_fnv1a(buf, sealed.size) == sealed.hash;
	if (ok) {
		hj_free(sealed.bytes);
		sealed.bytes = buf;
	} else {
		hj_free(buf);
		sealed.why = "not the bytes the launcher compiled";
	}
	return ok;
}

/* Finds and checks the memfd and keeps its bytes (sealed.bytes). */
static bool find_sealed(const char *spec)
{
	int fd;
	unsigned long long size, hash;
	if (sscanf(spec, "sealed:%d:%llu:%llx", &fd, &size, &hash) != 3) {
		fprintf(stderr, "hijack: HIJACK_BYTECODE=%s: not a sealed script set\n", spec);
		return false;
	}
	sealed.size = (size_t)size;
	sealed.hash = hash;
	sealed.why = "not open";
	if (!sealed_match(fd, NULL)) {
		const char *why = sealed.why;
		int other = hj_fd_find(sealed_match, NULL);
		if (other < 0) {
			fprintf(stderr, "hijack: the compiled scripts handed down on fd %d are %s: "
				"refusing to run without their rules\n", fd, why);
			return false;
		}
		fd = other;
	}
	if (!hj_cfg.follow)	/* children start without us: they need not see it */
		syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
	hj_own_set(HJ_OWN_SCRIPTS, fd);
	return true;
}

/* Checked at start even when the VM waits (hj_vm_defer): the process
 * refuses to run without its rules, and hands the bytes on at exec. */
bool hj_vm_sealed_check(const char *spec) { return sealed.bytes || find_sealed(spec); }

static bool load_sealed(const char *spec)
{
	if (!hj_vm_sealed_check(spec))
		return false;
	bool ok = true;
	for (size_t at = 0; ok && at < sealed.size;) {
		const unsigned char *h = (const unsigned char *)sealed.bytes + at;
		size_t left = sealed.size - at, len = 0;
		if (left >= 12 && !memcmp(h, "RITE", 4))
			len = (size_t)h[8] << 24 | (size_t)h[9] << 16 | (size_t)h[10] << 8 | h[11];
		if (len < 12 || len > left) {
			fprintf(stderr, "hijack: the compiled scripts are damaged at byte %zu\n", at);
			return false;
		}
		ok = load_one("the compiled scripts", (const char *)h, len, true);
		at += len;
	}
	return ok;
}

/* Before an exec: if the program closed or replaced our memfd (closefrom
 * and exec, as daemons do), a new one with the same bytes goes to the
 * child, found there by its content. */
void hj_scripts_before_exec(void)
{
	if (!sealed.bytes || hj_own_check(HJ_OWN_SCRIPTS, NULL))
		return;
	long m = syscall(SYS_memfd_create, "hijack-scripts", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (m < 0)
		return;
	bool ok = true;
	for (size_t at = 0; ok && at < sealed.size;) {
		long w = syscall(SYS_write, m, sealed.bytes + at, sealed.size - at);
		ok = w > 0;
		at += w > 0 ? (size_t)w : 0;
	}
	long fd = ok && syscall(SYS_fcntl, m, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) == 0
		  ? hj_dup_high((int)m, 710, false) : -1;
	syscall(SYS_close, m);
	if (fd >= 0)
		hj_own_set(HJ_OWN_SCRIPTS, (int)fd);
}

bool hj_vm_start(const char *scripts, const char *evals, const char *bytecode, int argc, char **argv)
{
	hj_tz_init();	/* timeconv.c: the zone, asked before any hook runs */
	hj_busy++;
	vm_lock_take();	/* hooks that Hijack.on makes live wait for the load */
	bool ok = true;
	hj_watch_init();
	hj_mrb = mrb_open_allocf(hj_counting_allocf, NULL);
	if (!hj_mrb) {
		fprintf(stderr, "hijack: cannot start the Ruby VM\n");
		vm_lock_drop();
		hj_busy--;
		return false;
	}
	blocks = mrb_ary_new(hj_mrb);
	mrb_gc_register(hj_mrb, blocks);
	at_exits = mrb_ary_new(hj_mrb);
	mrb_gc_register(hj_mrb, at_exits);
	hj_api_init(hj_mrb, argc, argv);
	if (!hj_prelude_load(hj_mrb)) {
		fprintf(stderr, "hijack: the built-in prelude does not load\n");
		ok = false;
	}
	if (ok && bytecode && *bytecode) {
		ok = load_sealed(bytecode);
		scripts = evals = NULL;
	}
	char *copy = hj_strdup(scripts ? scripts : "");
	for (char *save, *p = strtok_r(copy, ":", &save); ok && p; p = strtok_r(NULL, ":", &save))
		ok = load_file(p);
	hj_free(copy);
	copy = hj_strdup(evals ? evals : "");
	for (char *save, *p = strtok_r(copy, "\x1e", &save); ok && p; p = strtok_r(NULL, "\x1e", &save))
		ok = load_one("-e", p, strlen(p), false);
	hj_free(copy);
	vm_lock_drop();
	hj_busy--;
	return ok;
}

int hj_vm_keep_block(mrb_value blk)
{
	mrb_ary_push(hj_mrb, blocks, blk);
	return (int)RARRAY_LEN(blocks) - 1;
}

void hj_vm_keep_at_exit(mrb_value blk) { mrb_ary_push(hj_mrb, at_exits, blk); }

struct yield_args { mrb_value blk, arg; };

static mrb_value yield_body(mrb_state *mrb, void *p)
{
	struct yield_args *y = p;
	return mrb_yield_argv(mrb, y->blk, 1, &y->arg);
}

/* Reports a handler's first error only: a hook on write that raises
 * would otherwise print once per write. */
static void report(struct hj_rule *r, mrb_value exc, bool refused, bool interrupted)
{
	char msg[1024], line[1200];
	hj_vm_describe(hj_mrb, exc, msg, sizeof msg);
	if (r->reported)
		return;
	r->reported = true;
	int n;
	if (refused && mrb_obj_ptr(exc) == hj_mrb->nomem_err)
		n = snprintf(line, sizeof line, "hijack: hook at %s allocated past the VM's limit of %llu MB (--vm-memory) "
			     "and was stopped; the call goes on as without it\n",
			     r->where, (unsigned long long)(hj_cfg.vm_memory >> 20));
	else if (interrupted)
		n = snprintf(line, sizeof line, "hijack: hook at %s ran past %g s and was interrupted (%s); the call goes on "
			     "as without it\n", r->where, (double)hj_cfg.hook_timeout_ns / 1e9, msg);
	else
		n = snprintf(line, sizeof line, "hijack: error in hook at %s: %s; the call goes on as without it\n", r->where, msg);
	hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* "As if the block were absent": undo what it did to c. */
static void undo(struct hj_call *c, const struct hj_call *saved, const long *saved_a)
{
	for (int k = 0; k < HJ_MAXARGS; k++)
		if (c->owned[k] != saved->owned[k]) {
			hj_free(c->owned[k]);
			c->owned[k] = saved->owned[k];
		}
	memcpy(c->a, saved_a, sizeof(long) * HJ_MAXARGS);
	*c = *saved;
}

/* A hook stopped by the watchdog (runaway.c) lands here, on its own
 * thread, with the VM mid-instruction: it is never entered again. */
static void stopped(struct hj_call *c, const struct hj_call *saved, const long *saved_a, struct hj_rule *r)
{
	vm_off = true;
	hj_clock_stop();	/* the Clock's readings made in C are its hooks too */
	undo(c, saved, saved_a);
	char line[400];
	int n = snprintf(line, sizeof line, "hijack: hook at %s ran past %g s and was stopped; the VM is off in "
			 "this process from here (its hooks pass through); the call goes on as without it\n",
			 r->where, (double)hj_cfg.hook_timeout_ns / 1e9);
	hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

/* After a raise: the call frames the hook left, popped back to where it
 * was called from, as mrb_protect_error does (mruby 3.1's cipop: a frame
 * whose variables a closure captured gets them copied off the stack). */
enum { CINFO_DIRECT_31 = 2 };
_Static_assert(sizeof(struct mrb_jmpbuf) == sizeof(sigjmp_buf), "mruby's error jump is a jmp_buf");	/* mruby 3.1's CINFO_DIRECT: a frame a C function pushed */

static void pop_frame(mrb_state *mrb, struct mrb_context *cx)
{
	struct REnv *env = mrb_vm_ci_env(cx->ci);
	cx->ci--;
	if (env)
		mrb_env_unshare(mrb, env);
}

static void unwind_frames(mrb_state *mrb, struct mrb_context *cx, ptrdiff_t ci_index)
{
	if (mrb->c == cx) {
		while (cx->ci - cx->cibase > ci_index)
			pop_frame(mrb, cx);
	} else {	/* a fiber switched contexts: drop the C-called frames it left */
		cx = mrb->c;
		while (cx->ci > cx->cibase && cx->ci->cci == CINFO_DIRECT_31)
			pop_frame(mrb, cx);
	}
}

/* Each hook runs under one setjmp (not mrb_protect_error's and the
 * watchdog's: a third of the per-call cost that is ours): hj_stop_point
 * is also mruby's error jump while the hook runs, so a raise lands here
 * (HJ_JUMP_RAISED) as a stop by the watchdog does (HJ_JUMP_STOPPED). */
bool hj_vm_would_run(void)
{
	return !(vm_owner || vm_torn || vm_off);
}

void hj_vm_run(struct hj_call *c, struct hj_rule **rules, int n)
{
	if (vm_owner || vm_torn || vm_off)	/* a signal handler inside a hook, or a torn child */
		return;
	vm_lock_take();
	if (vm_off) {		/* stopped while we waited */
		vm_lock_drop();
		return;
	}
	mrb_state *mrb = hj_mrb;
	int ai = mrb_gc_arena_save(mrb);
	int busy = hj_busy;
	mrb_value call = hj_api_call_begin(mrb, c);
	struct mrb_jmpbuf *prev_jmp = mrb->jmp;
	struct mrb_context *cx = mrb->c;
	ptrdiff_t ci_index = cx->ci - cx->cibase;
	for (int i = 0; i < n; i++) {
		mrb_value blk = RARRAY_PTR(blocks)[rules[i]->proc];
		struct hj_call saved = *c;
		long saved_a[HJ_MAXARGS];
		memcpy(saved_a, c->a, sizeof saved_a);
		hj_vm_refused = false;
		/* no mask saved (a system call a hook): the handler leaves the
		 * mask alone (SA_NODEFER, empty sa_mask) */
		int jumped = sigsetjmp(hj_stop_point, 0);
		if (!jumped) {
			hj_watch_begin(rules[i]->where);
			mrb->jmp = (struct mrb_jmpbuf *)(void *)hj_stop_point;
			mrb_yield_argv(mrb, blk, 1, &call);
			mrb->jmp = prev_jmp;
			hj_watch_end();
		} else if (jumped == HJ_JUMP_STOPPED) {
			mrb->jmp = prev_jmp;
			hj_busy = busy;
			hj_watch_end();
			stopped(c, &saved, saved_a, rules[i]);
			vm_lock_drop();
			return;
		} else {
			hj_watch_end();
			mrb->jmp = prev_jmp;
			mrb_value exc = mrb_obj_value(mrb->exc);
			mrb->exc = NULL;
			unwind_frames(mrb, cx, ci_index);
			mrb_gc_protect(mrb, exc);	/* through the report, until the arena is restored */
			undo(c, &saved, saved_a);
			report(rules[i], exc, hj_vm_refused, hj_hook_interrupted);
		}
		mrb_gc_arena_restore(mrb, ai);
	}
	hj_api_call_end(mrb);
	mrb_gc_arena_restore(mrb, ai);
	vm_lock_drop();
}

void hj_vm_at_exit(void)
{
	/* exit() from a signal handler that interrupted a hook: the VM is
	 * mid-call, its at_exit blocks cannot run */
	if (!hj_mrb || vm_owner || vm_torn || vm_off)
		return;
	hj_busy++;
	vm_lock_take();
	int busy = hj_busy;
	for (volatile mrb_int i = RARRAY_LEN(at_exits) - 1; i >= 0 && !vm_off; i--) {
		struct yield_args y = { mrb_ary_ref(hj_mrb, at_exits, i), mrb_nil_value() };
		mrb_bool failed = FALSE;
		if (sigsetjmp(hj_stop_point, 0)) {	/* it ran past --hook-timeout: see hj_vm_run */
			hj_busy = busy;
			hj_watch_end();
			vm_off = true;
			hj_clock_stop();
			char line[200];
			int n = snprintf(line, sizeof line, "hijack: an at_exit block ran past %g s and was stopped\n",
					 (double)hj_cfg.hook_timeout_ns / 1e9);
			hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
			break;
		}
		hj_watch_begin("at_exit");
		mrb_value exc = mrb_protect_error(hj_mrb, yield_body, &y, &failed);
		hj_watch_end();
		if (failed) {
			char msg[1024], line[1200];
			hj_vm_describe(hj_mrb, exc, msg, sizeof msg);
			int n = snprintf(line, sizeof line, "hijack: error in at_exit: %s\n", msg);
			hj_log(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
		}
	}
	vm_lock_drop();
	hj_busy--;
}

/* fork() between taking and dropping the lock: the fork handlers keep
 * hj_busy up (src/preload/init.c), so that a signal handler's hooked
 * calls in that window pass through; and fork() from a handler that
 * interrupted this thread's own hook must not wait on it. */
static HJ_TLS int fork_took;
void hj_vm_before_fork(void)
{
	fork_took = hj_mrb && !vm_owner;
	if (fork_took)
		vm_lock_take();
}
void hj_vm_after_fork_parent(void)
{
	if (fork_took)
		vm_lock_drop();
}
void hj_vm_after_fork(void)
{
	if (!fork_took && vm_owner) {
		vm_torn = true;
		hj_clock_stop();
	}
	vm_owner = 0;
	atomic_store(&vm_lock.state, 0);
	hj_watch_forked();
}

/* ---- hijack ctl (core/ctl.c): from the channel's thread, busy ---- */

/* The VM of a process whose scripts had none to start yet: started now
 * (deferred, or with no scripts at all). */
static bool vm_ready(char *err, size_t errlen)
{
	if (__atomic_load_n(&hj_vm_deferred, __ATOMIC_ACQUIRE))
		hj_vm_start_deferred();
	static int started_here;
	if (!__atomic_load_n(&hj_mrb, __ATOMIC_ACQUIRE) && !__atomic_exchange_n(&started_here, 1, __ATOMIC_ACQ_REL) &&
	    !hj_vm_start(NULL, NULL, NULL, 0, NULL)) {
		snprintf(err, errlen, "the Ruby VM could not start in this process");
		return false;
	}
	if (!hj_mrb || vm_torn || vm_off) {
		snprintf(err, errlen, "the Ruby VM is off in this process (a hook was stopped, or it forked mid-hook)");
		return false;
	}
	return true;
}

/* Ruby run for the channel, on its thread, under --hook-timeout as a
 * hook is: the watchdog's signals (real-time ones) are let through for
 * the while (the thread blocks every signal otherwise). Past the limit
 * it is stopped mid-instruction, and the VM is off in the process from
 * then, as after a hook stopped: false. The VM lock is held. */
static bool ctl_watched(void (*body)(void *), void *arg, char *err, size_t errlen)
{
	sigset_t rt, old;
	sigemptyset(&rt);
	for (int s = SIGRTMIN + 4; s <= SIGRTMAX - 2; s++)
		sigaddset(&rt, s);
	pthread_sigmask(SIG_UNBLOCK, &rt, &old);
	volatile int busy = hj_busy;
	struct mrb_jmpbuf *volatile prev = hj_mrb->jmp;
	volatile bool ok = true;
	if (!sigsetjmp(hj_stop_point, 0)) {
		hj_watch_begin("hijack ctl");
		body(arg);
		hj_watch_end();
	} else {
		hj_busy = busy;
		hj_watch_end();
		hj_mrb->jmp = prev;
		vm_off = true;
		hj_clock_stop();
		snprintf(err, errlen, "ran past %g s (--hook-timeout) and was stopped; the VM is off in this process "
			 "from here (its hooks pass through)", (double)hj_cfg.hook_timeout_ns / 1e9);
		ok = false;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

struct ctl_load { const char *name, *code; size_t len; bool bytecode, ok; char *err; size_t errlen; };

static void ctl_load_body(void *p)
{
	struct ctl_load *l = p;
	l->ok = load_one_to(l->name, l->code, l->len, l->bytecode, l->err, l->errlen);
}

bool hj_vm_ctl_load(const char *name, const char *code, size_t len, int set, char *err, size_t errlen)
{
	if (!vm_ready(err, errlen))
		return false;
	bool bytecode = len >= 4 && !memcmp(code, "RITE", 4);
	if (bytecode && !hj_vm_bytecode_ok(code, len)) {
		snprintf(err, errlen, "%s: not valid mruby bytecode (truncated, damaged, or from another mruby)", name);
		return false;
	}
	if (!bytecode && len > HJ_SCRIPT_MAX) {
		snprintf(err, errlen, "%s: %s", name, HJ_SCRIPT_TOO_BIG);
		return false;
	}
	vm_lock_take();
	if (vm_off) {
		vm_lock_drop();
		snprintf(err, errlen, "the Ruby VM is off in this process (a hook was stopped)");
		return false;
	}
	hj_rule_loading_set = set;
	struct ctl_load l = { name, code, len, bytecode, false, err, errlen };
	bool ran = ctl_watched(ctl_load_body, &l, err, errlen);
	hj_rule_loading_set = 0;
	vm_lock_drop();
	return ran && l.ok;
}

struct inspect_args { mrb_value v; };

static mrb_value inspect_body(mrb_state *mrb, void *p)
{
	return mrb_inspect(mrb, ((struct inspect_args *)p)->v);
}

struct ctl_eval { const char *code; size_t len; char *out; size_t outlen; bool ok; };

static void ctl_eval_body(void *p)
{
	struct ctl_eval *e = p;
	mrb_state *mrb = hj_mrb;
	int ai = mrb_gc_arena_save(mrb);
	mrbc_context *cx = mrbc_context_new(mrb);
	mrbc_filename(mrb, cx, "-e");
	cx->capture_errors = TRUE;
	mrb_value v = mrb_load_nstring_cxt(mrb, e->code, e->len, cx);
	mrbc_context_free(mrb, cx);
	e->ok = !mrb->exc;
	if (!e->ok) {
		mrb_value exc = mrb_obj_value(mrb->exc);
		mrb->exc = NULL;
		if (mrb_obj_is_kind_of(mrb, exc, mrb_exc_get(mrb, "SyntaxError"))) {
			mrb_value m = mrb_funcall(mrb, exc, "message", 0);
			const char *s = mrb_string_p(m) ? RSTRING_PTR(m) : "";
			int line = 0, skip = 0;
			int slen = mrb_string_p(m) ? (int)strnlen(s, (size_t)RSTRING_LEN(m)) : 0;
			if (sscanf(s, "line %d: %n", &line, &skip) == 1 && skip)
				snprintf(e->out, e->outlen, "-e:%d: %.*s (SyntaxError)", line, slen - skip, s + skip);
			else
				snprintf(e->out, e->outlen, "-e: %.*s (SyntaxError)", slen, s);
			mrb->exc = NULL;
		} else {
			hj_vm_describe(mrb, exc, e->out, e->outlen);
		}
	} else {
		struct inspect_args ia = { v };
		mrb_bool failed = FALSE;
		mrb_value s = mrb_protect_error(mrb, inspect_body, &ia, &failed);
		mrb->exc = NULL;
		if (failed || !mrb_string_p(s))
			snprintf(e->out, e->outlen, "(its inspect raised)");
		else
			snprintf(e->out, e->outlen, "%.*s", (int)RSTRING_LEN(s), RSTRING_PTR(s));
	}
	mrb_gc_arena_restore(mrb, ai);
}

/* The value's inspect, or the exception it raised (-e:LINE: message). */
bool hj_vm_ctl_eval(const char *code, size_t len, int set, char *out, size_t outlen)
{
	if (!vm_ready(out, outlen))
		return false;
	vm_lock_take();
	if (vm_off) {
		vm_lock_drop();
		snprintf(out, outlen, "the Ruby VM is off in this process (a hook was stopped)");
		return false;
	}
	hj_rule_loading_set = set;
	struct ctl_eval e = { code, len, out, outlen, false };
	bool ran = ctl_watched(ctl_eval_body, &e, out, outlen);
	hj_rule_loading_set = 0;
	vm_lock_drop();
	return ran && e.ok;
}

void hj_vm_list_hooks(FILE *out)
{
	for (int i = 0; i < hj_rule_count(); i++) {
		struct hj_rule *r = hj_rule_get(i);
		fprintf(out, "%s %s", r->phase == HJ_BEFORE ? "on" : "after", r->where);
		fputs(" calls:", out);
		const char *sep = " ";
		for (int id = 0; id < HJ_NCALLS; id++)
			if (r->calls[id / 64] >> (id % 64) & 1) {
				fprintf(out, "%s%s", sep, hj_calls[id].name);
				sep = ",";
			}
		for (int k = 0; k < r->nglobs; k++)
			fprintf(out, " path:%s", r->globs[k]);
		for (int k = 0; k < r->nfds; k++)
			fprintf(out, " fd:%ld..%ld", r->fds[k][0], r->fds[k][1]);
		fputc('\n', out);
	}
}

/* The sandbox's rules as the scripts left them (Hijack::Sandbox.plan),
 * for the launcher to hand the kernel; NULL, with the error in err, when
 * reading them raised. The caller frees the text (hj_free). */
char *hj_vm_sandbox_plan(char *err, size_t errlen)
{
	mrb_value v = mrb_load_string(hj_mrb, "Hijack::Sandbox.plan");
	if (hj_mrb->exc) {
		hj_vm_describe(hj_mrb, mrb_obj_value(hj_mrb->exc), err, errlen);
		hj_mrb->exc = NULL;
		return NULL;
	}
	if (!mrb_string_p(v)) {
		snprintf(err, errlen, "Hijack::Sandbox.plan gave no text");
		return NULL;
	}
	return hj_strdup(mrb_str_to_cstr(hj_mrb, v));
}

/* mruby 3.1 dumps a big integer literal's length into a signed char: one
 * of 128 digits or more overruns the dump's buffer. Such scripts are
 * refused (mrbc itself crashes on them). */
static bool has_bigint(const mrb_irep *irep)
{
	for (int i = 0; i < irep->plen; i++)
		if (irep->pool[i].tt == IREP_TT_BIGINT)
			return true;
	for (int i = 0; i < irep->rlen; i++)
		if (irep->reps[i] && has_bigint(irep->reps[i]))
			return true;
	return false;
}

/* Compiles Ruby source to bytecode with its file and line table kept, so
 * errors still name them; out NULL only checks the syntax. On failure,
 * err says "file:line: message". Needs no gems: the launcher runs it on
 * a bare core VM. */
bool hj_vm_compile(const char *name, const char *code, size_t len, FILE *out, char *err, size_t errlen)
{
	if (len > HJ_SCRIPT_MAX) {
		snprintf(err, errlen, "%s: %s", name, HJ_SCRIPT_TOO_BIG);
		return false;
	}
	mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);
	if (!mrb) {
		snprintf(err, errlen, "cannot start the Ruby VM");
		return false;
	}
	mrbc_context *cx = mrbc_context_new(mrb);
	mrbc_filename(mrb, cx, name);
	cx->capture_errors = TRUE;	/* we print the error, with the file */
	cx->no_optimize = len > HJ_PEEPHOLE_MAX;
	struct mrb_parser_state *p = mrb_parse_nstring(mrb, code, len, cx);
	bool ok = p && p->nerr == 0;
	if (!p)
		snprintf(err, errlen, "%s: cannot parse", name);
	else if (p->nerr)
		snprintf(err, errlen, "%s:%d: %s", name, p->error_buffer[0].lineno, p->error_buffer[0].message);
	if (ok && out) {
		struct RProc *proc = mrb_generate_code(mrb, p);
		if (proc && has_bigint(proc->body.irep)) {
			snprintf(err, errlen, "%s: an integer literal too large for 64 bits cannot be compiled", name);
			ok = false;
		} else if (!proc || mrb_dump_irep_binary(mrb, proc->body.irep, MRB_DUMP_DEBUG_INFO, out) != MRB_DUMP_OK) {
			snprintf(err, errlen, "%s: cannot compile", name);
			ok = false;
		}
	}
	if (p)
		mrb_parser_free(p);
	mrbc_context_free(mrb, cx);
	mrb_close(mrb);
	return ok;
}

/* A script file's text, for hj_vm_compile; NULL (errno set) if unreadable. */
char *hj_vm_slurp(const char *path, size_t *len) { return slurp(path, len); }

/* Whether code is bytecode this mruby reads: the header, the size it
 * gives (exactly the file's), the END section last, and what mruby's own
 * reader checks. mruby 3 dropped the checksum: bytes damaged inside a
 * file of the right size and shape can still pass (a .mrb is trusted code,
 * like a shared library). */
bool hj_vm_bytecode_ok(const char *code, size_t len)
{
	const unsigned char *u = (const unsigned char *)code;
	static const char end[8] = { 'E', 'N', 'D', 0, 0, 0, 0, 8 };
	if (len < 20 + 8 || memcmp(code, "RITE03", 6) ||
	    ((size_t)u[8] << 24 | (size_t)u[9] << 16 | (size_t)u[10] << 8 | u[11]) != len ||
	    memcmp(code + len - 8, end, 8))
		return false;
	mrb_state *mrb = mrb_open_core(mrb_default_allocf, NULL);
	if (!mrb)
		return false;
	mrb_irep *irep = mrb_read_irep_buf(mrb, code, len);
	if (!irep)	/* mruby 3.1 leaves a half-read irep to the GC, whose free crashes: the VM is left as it is */
		return false;
	mrb_irep_decref(mrb, irep);
	mrb_close(mrb);
	return true;
}
