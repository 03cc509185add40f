/* Rules the kernel holds (`hijack run --enforce`): the launcher reads the
 * sandbox's rules from the scripts (Hijack::Sandbox.plan), checks that
 * this kernel and this user can hold each, and installs them in the
 * child before it executes the program, so that they bind the program's
 * first instruction, every child and every way of making a call:
 *   namespaces (mounts.c)  --readonly, --hide: a private mount namespace
 *   Landlock (landlock.c)  allow-lists of paths and TCP ports; and a
 *                          domain always, which keeps the program from
 *                          tracing (or reaching through /proc) any
 *                          process outside it
 *   seccomp (seccomp.c)    --deny network, --deny CALL, calls: lists, and
 *                          what would get round the rest (io_uring, file
 *                          handles, mounts); --deny exec through a
 *                          supervisor in the launcher, which lets the
 *                          program itself start and nothing after it.
 * The in-process rules stay on top: a dynamically linked program sees
 * the errno they give (EROFS, ENOENT, EACCES). */
#ifndef HJ_ENFORCE_H
#define HJ_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hj_list {
	char **v;
	int n;
};

struct hj_policy {
	bool from_script;		/* Hijack::Sandbox.enforce! */
	bool deny_network, deny_exec;
	int *deny_nrs, ndeny;		/* system calls that fail with EACCES */
	struct hj_list readonly, hide;	/* real paths */
	/* Sandbox.allow: globs as written, and what the kernel holds of
	 * each (a file or a tree: see policy.c) */
	struct hj_list read, write, exec, connect;
	/* the kinds allow named (even with no entry): the rest are free */
	bool allow_read, allow_write, allow_exec, allow_connect;
	bool allow_calls;		/* calls: given, the rest fail */
	int *allow_nrs, nallow;
};

/* What hijack itself needs in an enforced run, beside the program's rules. */
struct hj_enforce_own {
	const char *prog;		/* the program's resolved path */
	const char *library_dir;	/* libhijack.so's directory */
	const char *run_dir;		/* the run's private directory (writes) */
	const char *output;		/* -o FILE, or NULL */
	bool output_separately;		/* -ff: FILE.PID files beside it */
	const char *record, *replay;	/* --record, --replay */
};

/* Whether a script or -e asks for the kernel's rules itself
 * (Sandbox.enforce!), and the rules the scripts make, read in a child
 * (NULL when a script fails to load: it said why on stderr). */
bool hj_enforce_mentioned(const char *scripts, const char *evals);
char *hj_enforce_read_plan(const char *scripts, const char *evals, int argc, char **argv);

/* The rules of a plan (one a line, see src/ruby/sandbox.rb); false with
 * the reason in err. */
bool hj_policy_parse(const char *plan, struct hj_policy *p, char *err, size_t n);
/* True when the policy holds a rule for the kernel at all. */
bool hj_policy_any(const struct hj_policy *p);
/* Checks, before anything starts, that the kernel can hold every rule;
 * false with the rule and the reason in err. Notes (a glob the kernel
 * holds wider, say) go to stderr unless quiet. */
bool hj_enforce_check(const struct hj_policy *p, const struct hj_enforce_own *own, bool quiet,
		      char *err, size_t n);

/* In the forked child, just before it executes the program: installs
 * every rule. sock: where the --deny exec supervisor's descriptor goes
 * (-1 without one). False with the reason in err; the child must not
 * then run the program. */
bool hj_enforce_install(const struct hj_policy *p, const struct hj_enforce_own *own, int sock,
			char *err, size_t n);
/* In the launcher: receives the supervisor's descriptor from the child
 * and answers its exec requests from a thread of its own: the first
 * (the program's own start) goes ahead, every later one fails with
 * EACCES. False when the child sent none (its install failed). */
bool hj_enforce_supervise(int sock, pid_t child);
/* Whether exec goes through that supervisor (--deny exec, or a calls:
 * list without execve). */
bool hj_exec_supervised(const struct hj_policy *p);

/* The Landlock ABI this kernel has (0: none), and each part's. */
int hj_landlock_abi(void);
bool hj_landlock_install(const struct hj_policy *p, const struct hj_enforce_own *own, char *err, size_t n);
bool hj_seccomp_install(const struct hj_policy *p, int sock, char *err, size_t n);
bool hj_mounts_install(const struct hj_policy *p, const struct hj_enforce_own *own, char *err, size_t n);
bool hj_mounts_needed(const struct hj_policy *p);

/* Whether path is under (or is) the directory under. */
bool hj_path_inside(const char *path, const char *under);
/* The part of a glob the kernel holds (policy.c): the path, and whether
 * it is a whole tree; wider than the glob when it has wildcards inside;
 * the nearest directory that exists when the path does not (missing). */
bool hj_glob_base(const char *glob, char *base, size_t n, bool *tree, bool *wider, bool *missing);

#endif
