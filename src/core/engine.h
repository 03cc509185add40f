/* The engine: what a wrapper hands a call to, and the state behind it. */
#ifndef HIJACK_ENGINE_H
#define HIJACK_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "calls.h"

#define HJ_TLS __thread __attribute__((tls_model("initial-exec")))
#define hj_likely(x) __builtin_expect(!!(x), 1)
#define hj_unlikely(x) __builtin_expect(!!(x), 0)

/* Calls the real function with (possibly rewritten) arguments. */
typedef long (*hj_invoke_fn)(const long *a);

/* Nonzero for calls that something (a hook, the trace, an injection)
 * wants; the others go straight to libc (or the kernel). hj_wrap_wanted
 * is what libc's wrappers look at: with the system-call layer on, a
 * wrapper of a system call passes it through, and the layer sees it. */
extern unsigned char hj_wanted[HJ_NCALLS];
extern unsigned char hj_wrap_wanted[HJ_NCALLS];
void hj_want(int id);
void hj_want_none(void);
void hj_want_syscall(int id);
/* Nonzero while this thread runs engine code: calls made then (by mruby,
 * by our own output) go straight to libc. */
extern HJ_TLS int hj_busy;
/* hj_sud_on: the system-call layer (src/syscall) is on in this process.
 * hj_sud_selector: Syscall User Dispatch's per-thread selector, BLOCK (1)
 * while the program's code runs, ALLOW (0) while ours does. */
extern bool hj_sud_on;
extern HJ_TLS volatile char hj_sud_selector;
/* The library-level call (id + 1) whose real call is under way: the
 * system call it makes of the same name is not seen twice. */
extern HJ_TLS int hj_lib_call;
/* Inside libc's allocator (wrappers.c), which holds its lock. */
extern HJ_TLS int hj_in_alloc;
/* Between fork's handlers (start.c): the fork's own clone is the program's. */
extern HJ_TLS char hj_in_atfork;
/* This call's Ruby hooks are not run (fork()'s clone: the VM is held). */
extern HJ_TLS char hj_no_ruby;
/* The selector as hj_busy says, after our work outside dispatch. */
static inline void hj_sel_sync(void) { hj_sud_selector = hj_sud_on && hj_busy == 0; }
/* Around our own work on the program's thread, outside dispatch. */
static inline void hj_enter(void) { hj_busy++; hj_sud_selector = 0; }
static inline void hj_leave(void) { hj_busy--; hj_sel_sync(); }
/* Calls that stay at the library level with the system-call layer on:
 * not system calls (fopen, malloc, getaddrinfo...), or answered by the
 * vDSO without one (clock_gettime, gettimeofday, time). */
bool hj_row_library_level(int id);
/* The system-call layer's own stack of this thread (its lowest byte),
 * where its work runs: dispatch knows it has room there. */
extern HJ_TLS char *hj_own_stack;
#define HJ_OWN_STACK (256 * 1024)
/* The trace line and counts of a call the layer made without dispatch. */
struct hj_call;
void hj_report_call(struct hj_call *c);

/* A call in flight, as the engine and the Ruby `call` object see it. */
struct hj_call {
	int id;
	long *a;			/* the wrapper's argument array */
	long ret;
	int err;			/* errno after the call */
	bool after;			/* in the after phase */
	bool decided;			/* fail or return: the real call is skipped */
	bool injected;
	bool end;			/* readdir's NULL at the end: not an error */
	bool pretraced;			/* an exec's line went out before the call */
	bool retry;			/* an after block asked for the real call again */
	bool chance;			/* a hook asked Hijack.rand: in replay, its fault is dropped */
	bool ran_ok;			/* the real call ran and succeeded: it read its input paths */
	uint8_t paths_ok;		/* bit i: path argument i was found readable (peek.c) */
	const char *clean_path;		/* a path argument found absolute and folded (rules.c) */
	long asked;			/* count the program gave, before buf= (or -1) */
	uint64_t delay_ns;
	uint64_t dur_ns;
	bool owns;			/* owned[] holds something */
	void *follow;			/* an exec's environment with ours: hj_follow_exec_done */
	char *owned[HJ_MAXARGS];	/* copies of arguments rewritten by Ruby */
};

long hj_dispatch(int id, long *a, hj_invoke_fn invoke);
/* The end of the process (init.c): at_exit blocks, once per process;
 * then the summary of a process without the launcher. */
void hj_exit_begin(void);
void hj_exit_end(void);
void hj_note_self(void);
/* A call passed through for want of stack (said at the next chance). */
void hj_note_small_stack(void);
/* Says (once) that calls passed through for want of stack, if any did. */
void hj_report_small_stack(void);
/* Makes c fail with err: the result the call returns on that failure. */
void hj_fail(struct hj_call *c, int err);
/* Finds file as execvp would (PATH unless it has a '/'): true when out
 * names a regular file we may execute. */
bool hj_which(const char *file, char *out, size_t n);
const char *hj_unhookable(const char *path);

/* ---- alloc.c: our memory, never the program's heap ---- */
void *hj_malloc(size_t n);
void *hj_calloc(size_t n, size_t each);
void *hj_realloc(void *p, size_t n);
void hj_free(void *p);
char *hj_strdup(const char *s);
char *hj_strndup(const char *s, size_t max);
void hj_alloc_forked(void);

/* ---- env.c: the environment, never through getenv (a program's own) ---- */
const char *hj_env(const char *name);
/* Takes HIJACK_* and our library in LD_PRELOAD out of environ, kept for
 * hj_env and for children. */
void hj_env_hide(const char *library);
/* Sets one of our hidden entries, carried into exec'd children. */
void hj_env_set(const char *name, const char *value);
/* hijack attach's settings (a NUL-separated block), in place of environ's */
void hj_env_adopt(const char *config);
/* hijack attach (core/attach.c, start.c): 0 not started, 1 started (at
 * load or by attach), 2 detached. Exported: attach reads it from outside. */
extern int hj_attach_state;
const char *hj_start_attached(void);
const char *hj_attach(const char *config);	/* attach.c: the remote calls */
int hj_attach_thread(int on);
void hj_detach(void);
void hj_rules_clear(void);	/* rules.c: every rule out of force (detach) */
void hj_inject_clear(void);
/* libc/got.c: the objects' GOT slots of wrapped functions lead to our
 * wrappers (attach), and back (detach); hj_by_attach: we were dlopen'ed */
extern bool hj_by_attach;
int hj_got_redirect(void);
int hj_got_restore(void);
void *hj_got_definition(const char *name);	/* where the program's calls to name go */	/* inject.c: every --inject spec out of force */
char *const *hj_env_ours(void);		/* "HIJACK_...=...", NULL-terminated */
const char *hj_env_preload(void);	/* "LD_PRELOAD=/abs/libhijack.so", or NULL */
/* errno's text: strerror may be a program's own */
const char *hj_strerror(int err);
void *hj_env_map(size_t n);		/* memory no program's allocator owns */
void hj_env_unmap(void *p, size_t n);

/* ---- config.c: settings read from the environment ---- */
struct hj_config {
	bool trace, json, follow, summary;
	uint64_t trace_set[(HJ_NCALLS + 63) / 64];
	const char *output;		/* NULL: stderr */
	const char *summary_dir;
	uint64_t seed;
	int root_pid;
	uint64_t epoch_real, epoch_mono;	/* the run's start, ns, the same tree-wide */
	const char *record;		/* --record FILE */
	uint64_t hook_timeout_ns;	/* --hook-timeout; 0: none */
	uint64_t vm_memory;		/* --vm-memory, bytes; 0: none */
	bool output_separately;		/* -ff: output is FILE.PID, no pid prefix */
};
extern struct hj_config hj_cfg;
/* outname.c: the trace file of this process (NULL: none named), in buf
 * when it is made per process. */
const char *hj_output_path(char *buf, size_t n);
/* trace.c: a forked child writing a file of its own opens it afresh. */
void hj_output_forked(void);
/* Reads HIJACK_* into hj_cfg, the trace set and injections. */
bool hj_config_load(char *err, size_t errlen);
/* Keeps our library and settings in the environment of exec'd children. */
void hj_follow_init(void);
/* Returns what to run the call with (execv as execve with ours...). */
hj_invoke_fn hj_follow_exec(struct hj_call *c, hj_invoke_fn invoke);
/* After the call: environ as the program had it, the block given back. */
void hj_follow_exec_done(struct hj_call *c);

/* ---- init.c: start-up ---- */
/* 0 until the library has started; calls before then go to
 * hj_dispatch_early (weak: the launcher, which shares this code, has none) */
extern unsigned char hj_started;
long hj_dispatch_early(int id, long *a, hj_invoke_fn invoke) __attribute__((weak));
/* syscall/vdso.c: programs that look up the vDSO's clocks themselves
 * find ours, when a clock call is wanted */
void hj_vdso_hook(void);
/* runaway.c: "64M", "1G" (k, M, G, T: powers of 1024); "2", "2s", "500ms" */
bool hj_parse_bytes(const char *s, uint64_t *out);
/* Whole numbers, refused (false) when they do not fit: no sign for u64 */
bool hj_parse_u64(const char *s, uint64_t *out);
bool hj_parse_long(const char *s, long *out);
bool hj_parse_seconds(const char *s, uint64_t *ns);
#define HJ_HOOK_TIMEOUT_DEFAULT "5s"
#define HJ_VM_MEMORY_DEFAULT "256M"

/* ---- shortcuts.c: --time, --redirect... checked, and made Ruby ---- */
bool hj_time_spec(const char *spec, char *ruby, size_t n, char *err, size_t errlen);
bool hj_redirect_spec(const char *spec, const char *from_abs, const char *to_abs, char *ruby, size_t n,
		      char *err, size_t errlen);
bool hj_path_spec(const char *option, const char *method, const char *abs, char *ruby, size_t n,
		  char *err, size_t errlen);
bool hj_deny_spec(const char *spec, char *ruby, size_t n, char *err, size_t errlen);

/* ---- replay.c: --record and --replay ---- */
extern bool hj_replaying;
const char *hj_proc_name(void);
void hj_proc_init(void);
void hj_proc_before_fork(void);
void hj_proc_forked(void);
unsigned long hj_call_seq(int id);
bool hj_replay_load(const char *path, const char *mine, char *err, size_t errlen);
bool hj_replay_apply(struct hj_call *c, unsigned long seq);
void hj_record(const struct hj_call *c, unsigned long seq);

/* ---- rules.c: hooks registered by scripts, matched in C ---- */
enum { HJ_BEFORE, HJ_AFTER };
struct hj_rule {
	int phase;
	int proc;			/* index in the VM's array of blocks */
	uint64_t calls[(HJ_NCALLS + 63) / 64];	/* the calls it hooks */
	char **globs;
	int nglobs;
	long (*fds)[2];			/* inclusive ranges */
	int nfds;
	/* a recipe's filters (Sandbox.allow): the block does not see a call
	 * whose path, made absolute, matches one of except; nor an open
	 * whose flags have none of flags_any, or one of flags_none */
	char **except;
	int nexcept;
	long flags_any, flags_none;
	char where[96];			/* script file:line of the block */
	bool reported;
	int fired_slot;			/* its rule's slot in fired.c's table, or -1 */
	bool fired_here;		/* this process has marked it fired */
	uint64_t seen_here[(HJ_NCALLS + 63) / 64];	/* ... and seen, per call */
	bool clock_reading;		/* Hijack::Clock's reading hook: clockfast.c may stand in */
	signed char fs_kind;		/* Hijack::FS's hook of a group of path calls (HJ_FS_*): fsfast.c may stand in */
	const char *fs_args[2];		/* its path arguments' names */
	bool off;			/* unloaded (hijack ctl unload): never matched again */
	int set;			/* 0: the run's scripts; else a `hijack ctl load`'s (ctl.c) */
	unsigned long hits;		/* calls that got through its filters (hijack ctl hooks) */
};
int hj_rule_add(const struct hj_rule *r, const int *ids, int nids);
/* The set rules added from here on belong to (ctl.c, under the VM lock) */
extern int hj_rule_loading_set;
/* hijack ctl pause: no rule, injection or Clock reading in force */
extern bool hj_rules_paused;
int hj_rules_for(int id, int phase, struct hj_rule **out, int max, struct hj_call *c);
extern int hj_rule_counts[HJ_NCALLS][2];
static inline bool hj_has_rules(int id, int phase)
{
	return __atomic_load_n(&hj_rule_counts[id][phase], __ATOMIC_ACQUIRE) != 0;
}
struct hj_rule *hj_rule_get(int index);
int hj_rule_count(void);
bool hj_path_match(char *const *globs, int n, struct hj_call *c);
/* Whether every path the call names, made absolute ("." and ".."
 * folded), matches: what a negated filter needs, which must never skip a
 * path it does not name ("/allowed/../secret" is not under /allowed; a
 * rename from an allowed place to another). */
bool hj_path_match_abs(char *const *globs, int n, struct hj_call *c);
/* path: patterns, the same for Hijack.on, --inject and the recipes: one
 * without wildcards names a file or directory and all under it; one with
 * them is a glob (fnmatch, '*' crossing '/'). hj_path_pattern makes a
 * relative one absolute (malloc'd, NULL if it cannot). */
char *hj_path_pattern(const char *pattern);
bool hj_path_pattern_match(const char *pattern, const char *path);
/* Copies the path behind fd (cached) into out; false when unknown. */
bool hj_fd_path(int fd, char *out, size_t n);
/* Whether an absolute path is folded already: no "//", "/./", "/../", nor a trailing '/' */
bool hj_path_clean(const char *abs);
/* Path argument i of c made absolute (against the cwd or its dirfd). */
bool hj_abspath(const struct hj_call *c, int i, char *out, size_t n);
/* Keeps the fd cache true for calls that open, close or move an fd. */
void hj_fd_track(struct hj_call *c);
/* Marks the calls the fd cache must watch as wanted. */
void hj_fd_cache_enable(void);

/* ---- fsfast.c: Hijack::FS's path maps applied in C ---- */
/* what a group of FS's calls does with its paths (fs.rb's GROUPS) */
enum { HJ_FS_NONE, HJ_FS_OPEN, HJ_FS_CREAT, HJ_FS_FOPEN, HJ_FS_WRITE, HJ_FS_CHANGE, HJ_FS_CREATE,
       HJ_FS_LINK, HJ_FS_ACCESS, HJ_FS_READ, HJ_FS_SEARCH };
/* the types of fs.rb's configured paths */
enum { HJ_FS_HIDE = 1, HJ_FS_RO, HJ_FS_FILE, HJ_FS_REDIRECT };
struct hj_fs_root_in {
	const char *path;
	int type;
	const char *to;		/* HJ_FS_REDIRECT: where it is served from */
	bool to_inside;		/* TO is inside the path: TO's own paths stay */
	size_t cut;
};
int hj_fs_kind(const char *name);		/* 0: not a kind */
const char *hj_fs_argname(const char *name);	/* the name kept, or NULL */
/* From Hijack.__fs_set: fs.rb's paths, the longest first */
bool hj_fs_set(const struct hj_fs_root_in *roots, int n, bool copies_watched, const char *const *copy_roots, int ncopy);
extern bool hj_fs_ready;
/* FS.apply of the rules (all FS's, or false) on c, in C: true when done
 * (c's paths rewritten or c failed); false: run them the Ruby way. A
 * rewritten path goes to room (the caller's, alive until the call
 * returns) when it fits, else to a copy c owns. */
#define HJ_FS_ROOM 512
bool hj_fs_apply(struct hj_call *c, struct hj_rule **rules, int n, char (*room)[HJ_FS_ROOM]);
/* vm.c: whether hj_vm_run would run hooks now */
bool hj_vm_would_run(void);

/* ---- clockfast.c: Hijack::Clock's readings made in C ---- */
/* Nonzero for the calls the Clock reads the time on (its hook registered) */
extern unsigned char hj_clock_fast[HJ_NCALLS];
void hj_clock_rule(int id, struct hj_rule *r);
/* The VM's hooks will not run again in this process: nor the Clock's in C */
void hj_clock_stop(void);
/* From Hijack.__clock_set: the parameters clock.rb's hooks read */
void hj_clock_set(bool wall, double base, double wf, double f);
/* Makes the call and fakes its reading, when the Clock's hook is all that
 * wants it (true, *result set); false: dispatch it the Ruby way. */
bool hj_clock_call(int id, long *a, hj_invoke_fn invoke, long *result);
/* hj_dispatch for the clock calls' wrappers: the readings go to
 * clockfast.c without dispatch's frame (hj_dispatch looks too, for the
 * vDSO's and the system-call layer's) */
static inline long hj_dispatch_clock(int id, long *a, hj_invoke_fn invoke)
{
	long result;
	if (hj_clock_fast[id] && hj_started && hj_clock_call(id, a, invoke, &result))
		return result;
	return hj_dispatch(id, a, invoke);
}

/* ---- fired.c: rules that never fired, told across the run ---- */
enum { HJ_FILTER_PATH = 1, HJ_FILTER_FD = 2 };
/* The launcher makes the run's table in dir (and maps it). */
bool hj_fired_create(const char *dir);
/* No table in this process (hijack check): its hooks are not a run's. */
void hj_fired_off(void);
void hj_fired_planning(void);
/* The slot of the rule named key, which hooks calls with filters; -1
 * when there is no table (no launcher, --quiet) or no room. */
int hj_fired_slot(const char *key, const uint64_t *calls, unsigned filters);
void hj_fired_seen(int slot, int id);
void hj_fired_hit(int slot);
/* Names, on out, every rule no call got through (json: as JSON lines). */
void hj_fired_report(int out, bool json);
/* A call of id reached a rule (seen), and got through its filters (hit):
 * the shared table is touched once per process, rule and call. */
static inline void hj_fired_note_seen(int slot, uint64_t *seen_here, int id)
{
	uint64_t bit = 1ull << (id % 64);
	if (hj_unlikely(slot >= 0) && !(__atomic_load_n(&seen_here[id / 64], __ATOMIC_RELAXED) & bit)) {
		__atomic_fetch_or(&seen_here[id / 64], bit, __ATOMIC_RELAXED);
		hj_fired_seen(slot, id);
	}
}
static inline void hj_fired_note_hit(int slot, bool *fired_here)
{
	if (hj_unlikely(slot >= 0) && !__atomic_load_n(fired_here, __ATOMIC_RELAXED)) {
		__atomic_store_n(fired_here, true, __ATOMIC_RELAXED);
		hj_fired_hit(slot);
	}
}

/* ---- inject.c: --inject specs ---- */
struct hj_inject;
/* Parses one spec; on error returns NULL and writes a message to err. */
struct hj_inject *hj_inject_parse(const char *spec, char *err, size_t errlen);
void hj_inject_add(struct hj_inject *inj);
/* Gives inj its slot among the rules that must fire (named as written). */
void hj_inject_register(struct hj_inject *inj);
void hj_inject_free(struct hj_inject *inj);
bool hj_inject_wants(int id);
/* Applies the first matching injection to c; returns true if it did. */
bool hj_inject_apply(struct hj_call *c, uint64_t *delay_exit_ns, int *signal);
/* Marks c seen by the specs that name its call (decided before them). */
void hj_inject_seen(const struct hj_call *c);
int hj_errno_lookup(const char *name);
const char *hj_errno_name(int err);
int hj_signal_lookup(const char *name);
/* Parses a call set as strace's -e trace= takes it into a bit set. */
bool hj_set_parse(const char *spec, uint64_t *set, char *err, size_t errlen);
uint64_t hj_rand64(void);
double hj_rand(void);

/* ---- vm.c / api.c: the mruby side ---- */
/* Loads scripts and inline code; returns false after printing an error. */
bool hj_vm_start(const char *scripts, const char *evals, const char *bytecode, int argc, char **argv);
bool hj_vm_active(void);
/* defer.c: the VM started at the first call a Ruby rule takes */
extern unsigned char hj_vm_ruby_calls[HJ_NCALLS];
extern int hj_vm_deferred;
extern bool hj_vm_peeked;
bool hj_vm_defer(const char *table, const char *scripts, const char *evals, const char *bytecode, int argc, char **argv);
void hj_vm_start_deferred(void);
void hj_vm_start_before_fork(void);
void hj_vm_defer_forked(void);
char *hj_vm_defer_plan(const char *bytecode, int argc, char **argv);
/* An exec is coming: the sealed scripts must be there for the child. */
void hj_scripts_before_exec(void);
void hj_vm_run(struct hj_call *c, struct hj_rule **rules, int n);
void hj_vm_at_exit(void);
/* Around fork: the child must not inherit a lock another thread held. */
void hj_vm_before_fork(void);
void hj_vm_after_fork_parent(void);
void hj_vm_after_fork(void);
/* Prints each registered hook (for `hijack check`). */
void hj_vm_list_hooks(FILE *out);
char *hj_vm_sandbox_plan(char *err, size_t errlen);
bool hj_vm_compile(const char *name, const char *code, size_t len, FILE *out, char *err, size_t errlen);
char *hj_vm_slurp(const char *path, size_t *len);
const char *hj_vm_slurp_error(void);	/* why hj_vm_slurp returned NULL */
bool hj_vm_bytecode_ok(const char *code, size_t len);

/* ---- trace.c: output ---- */
void hj_trace_call(struct hj_call *c);
void hj_trace_exec(struct hj_call *c);
void hj_log(const char *msg, size_t len);
/* A script's printed text: the pid prefix wherever a line starts. */
void hj_log_text(const char *s, size_t n);
void hj_output_write(const char *s, size_t n);
/* A raw syscall write, never hooked; false (hj_output_errno set) if it failed. */
bool hj_raw_write(int fd, const void *p, size_t n);
extern int hj_output_errno;
/* This process among the run's live ones (the pid prefix), at start and exit. */
void hj_output_start(void);
void hj_output_finish(void);
void hj_output_reset(void);	/* hijack detach: our output closed */
void hj_note_fork(void);

/* ---- summary.c: the -c counts ---- */
struct hj_stat { unsigned long calls, errors, injected, ns; };
void hj_summary_add(struct hj_call *c);
void hj_summary_exec_failed(struct hj_call *c);
/* In a forked child: its counters start at zero, in a file of its own. */
void hj_summary_forked(void);
/* Without the launcher: prints this process's table (at exit, before exec). */
void hj_summary_flush(void);
/* The launcher's side: adds one process's counts file to sum. */
bool hj_summary_read(const char *path, struct hj_stat *sum);
size_t hj_summary_table(const struct hj_stat *counts, char *out, size_t cap);

/* ---- ctl.c: the control channel (hijack ctl, hijack top) ---- */
/* Starts this process's channel: a thread of ours serving a unix socket
 * (from the constructor, a forked child, an attach); nothing when it
 * cannot. */
void hj_ctl_start(void);
void hj_ctl_forked(void);
/* The channel threads' stacks: a call made on one (before the thread has
 * made itself busy: a pthread_create interposer's code, ASan's) is ours */
extern uintptr_t hj_ctl_stacks[4][2];
static inline bool hj_ctl_on_stack(uintptr_t sp)
{
	for (int i = 0; i < 4; i++) {
		uintptr_t hi = __atomic_load_n(&hj_ctl_stacks[i][1], __ATOMIC_ACQUIRE);
		if (sp < hi && sp >= __atomic_load_n(&hj_ctl_stacks[i][0], __ATOMIC_ACQUIRE))
			return true;
	}
	return false;
}
/* The socket goes before an exec (the new image makes its own), comes
 * back if the exec failed, and goes at exit. */
void hj_ctl_before_exec(void);
void hj_ctl_exec_failed(void);
void hj_ctl_stop(void);
/* unshare or setns into a user namespace: one thread only, ours ends first */
void hj_ctl_before_unshare(int id, const long *a);
void hj_ctl_after_unshare(void);
/* ctlclient.c: the other side, for hijack ctl/top and Hijack.control */
int hj_ctl_dirs(uid_t uid, char dirs[2][300]);
const char *hj_ctl_dir_problem(const char *dir, uid_t uid, char *why, size_t n);
int hj_ctl_connect(int pid, char *err, size_t n);
/* all n bytes on the socket, EINTR retried, no SIGPIPE; both sides use it */
bool hj_ctl_send_all(int fd, const char *p, size_t n);
struct hj_ctl_answer { bool ok; char *text; size_t len; };
bool hj_ctl_ask(int pid, const char *cmd, const char *options, const char *name, const char *body, size_t body_len,
		struct hj_ctl_answer *a, char *err, size_t n);
/* config.c: the -c counts taken from now on, not printed (ctl stats, top) */
void hj_config_count_all(void);
/* summary.c: this process's counts so far (zero when it counts none) */
void hj_summary_snapshot(struct hj_stat *out);
/* vm.c: a script loaded, or code run, into the running VM (started if it
 * was not); false with the error (file:line) in err */
bool hj_vm_ctl_load(const char *name, const char *code, size_t len, int set, char *err, size_t errlen);
bool hj_vm_ctl_eval(const char *code, size_t len, int set, char *out, size_t outlen);

/* ---- decode.c: strace-style rendering ---- */
struct hj_buf { char *p; size_t len, cap; };
void hj_put(struct hj_buf *b, const char *s, size_t n);
void hj_puts(struct hj_buf *b, const char *s);
/* s as a JSON string, quotes included. */
void hj_json_string(struct hj_buf *b, const char *s);
void hj_printf(struct hj_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Renders argument i of c as strace would (json: as a JSON value). */
void hj_decode_arg(struct hj_buf *b, struct hj_call *c, int i, bool json);
void hj_decode_ret(struct hj_buf *b, struct hj_call *c, bool json);
/* "host:port" or a unix path for a socket address. */
void hj_sockaddr_str(struct hj_buf *b, const void *sa, unsigned len);
bool hj_is_failure(const struct hj_call *c);

/* ---- peek.c: reads of the program's memory that never fault ---- */
/* Copies n bytes at src (program memory) to dst: false if any is unreadable. */
bool hj_peek(void *dst, const void *src, size_t n);
/* Writes n bytes into the program's memory at dst: false if it cannot. */
bool hj_poke(void *dst, const void *src, size_t n);
bool hj_readable(const void *src, size_t n);
/* Copies the string at src into dst up to its NUL or cap bytes (dst is not
 * terminated): its length, *nul when the NUL was seen; -1 when a byte
 * before the NUL (within cap) cannot be read. */
long hj_peek_str(char *dst, size_t cap, const char *src, bool *nul);
/* The same without a copy: the length of the string at src, up to max. */
long hj_strlen_safe(const char *src, size_t max, bool *nul);
/* In the after phase of a call that succeeded: its input paths and
 * strings were read by the kernel (or libc), so they may be read directly. */
bool hj_proven(const struct hj_call *c);
/* Whether path argument i of c may be read in place: the kernel read it,
 * or it was found readable with its NUL within PATH_MAX (remembered for
 * the call's other readers). NULL, wild or unterminated: false. */
bool hj_path_ok(struct hj_call *c, int i);
void hj_peek_forked(void);
void hj_peek_before_fork(void);
/* While hi is nonzero, nothing outside [lo, hi) is read. */
extern HJ_TLS uintptr_t hj_peek_window_lo, hj_peek_window_hi;
/* The program's stack pointer at the call the layer is making (0: none):
 * its stack above it may be read in place. */
extern HJ_TLS uintptr_t hj_prog_sp;
/* Whether v is a NULL-terminated array of readable strings, as an exec's
 * argv and envp must be (else the kernel answers EFAULT); *count its length. */
bool hj_strvec_ok(char *const *v, size_t *count);

/* ---- real.c ---- */
extern void *hj_reals[HJ_NCALLS];
void *hj_resolve(int id, const char *sym);
/* libc's own NAME, found on first use */
#define REAL(name) ((__typeof__(&name))(hj_reals[HJ_##name] ? hj_reals[HJ_##name] : hj_resolve(HJ_##name, #name)))
/* A call that goes straight to libc: nobody wants it, or we made it */
#define FAST(id) hj_likely(!hj_wrap_wanted[id] || hj_busy)

#endif
