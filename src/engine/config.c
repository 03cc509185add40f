/* Settings handed from the launcher (or the user) through the environment:
 *   HIJACK_SCRIPT   scripts, ':'-separated      HIJACK_EVAL    inline code, '\x1e'-separated
 *   HIJACK_TRACE    trace set ("" for all)       HIJACK_JSON    1: JSON lines
 *   HIJACK_SUMMARY  1, or a directory for the launcher to add up
 *   HIJACK_OUTPUT   file for trace, logs, summary   HIJACK_OUTPUT_FD  inherited fd for them
 *   HIJACK_INJECT   --inject specs, '\x1e'-separated   HIJACK_SEED   HIJACK_FOLLOW=0
 *   HIJACK_ROOT_PID the first traced process
 *   HIJACK_BYTECODE the launcher's compiled scripts and evals, used while they exist
 *   HIJACK_EPOCH    "REALTIME_NS MONOTONIC_NS" at the start of the run, set by its first process
 *   HIJACK_RECORD   --record file        HIJACK_REPLAY  --replay file
 *   HIJACK_PROC     this process's name in the tree, for record and replay */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"

struct hj_config hj_cfg = { .follow = true };

/* The default trace set: every call but the allocator's, which are not
 * system calls and would drown the rest (name them to see them). */
static void default_set(uint64_t *set)
{
	for (int i = 0; i < HJ_NCALLS; i++)
		if (!(hj_calls[i].groups & G_ALLOC))
			set[i / 64] |= 1ull << (i % 64);
}

bool hj_config_load(char *err, size_t errlen)
{
	const char *v;
	hj_cfg.output = hj_env("HIJACK_OUTPUT");
	hj_cfg.json = (v = hj_env("HIJACK_JSON")) && *v == '1';
	hj_cfg.follow = !((v = hj_env("HIJACK_FOLLOW")) && *v == '0');
	hj_cfg.root_pid = (v = hj_env("HIJACK_ROOT_PID")) ? atoi(v) : 0;
	if ((v = hj_env("HIJACK_SEED")) && *v)
		hj_cfg.seed = strtoull(v, NULL, 0);
	else
		hj_cfg.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if ((v = hj_env("HIJACK_SUMMARY"))) {
		hj_cfg.summary = true;
		if (*v && strcmp(v, "1"))
			hj_cfg.summary_dir = v;
	}
	if ((v = hj_env("HIJACK_TRACE"))) {
		hj_cfg.trace = true;
		if (*v && strcmp(v, "all")) {
			if (!hj_set_parse(v, hj_cfg.trace_set, err, errlen))
				return false;
		} else {
			default_set(hj_cfg.trace_set);
		}
	} else if (hj_cfg.summary) {
		default_set(hj_cfg.trace_set);
	}
	if (hj_cfg.trace || hj_cfg.summary)
		for (int i = 0; i < HJ_NCALLS; i++)
			if (hj_cfg.trace_set[i / 64] >> (i % 64) & 1)
				hj_wanted[i] = 1;
	/* the run's start: from the launcher, or taken here by the first
	 * process (and handed down) when the library is preloaded by hand */
	unsigned long long er, em;
	if ((v = hj_env("HIJACK_EPOCH")) && sscanf(v, "%llu %llu", &er, &em) == 2) {
		hj_cfg.epoch_real = er;
		hj_cfg.epoch_mono = em;
	} else {
		struct timespec r, m;
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m);
		hj_cfg.epoch_real = (uint64_t)r.tv_sec * 1000000000u + (uint64_t)r.tv_nsec;
		hj_cfg.epoch_mono = (uint64_t)m.tv_sec * 1000000000u + (uint64_t)m.tv_nsec;
		char val[64];
		snprintf(val, sizeof val, "%llu %llu", (unsigned long long)hj_cfg.epoch_real, (unsigned long long)hj_cfg.epoch_mono);
		setenv("HIJACK_EPOCH", val, 1);
	}
	hj_proc_init();
	if ((v = hj_env("HIJACK_RECORD")) && *v)
		hj_cfg.record = v;
	if ((v = hj_env("HIJACK_REPLAY")) && *v && !hj_replay_load(v, hj_proc_name(), err, errlen))
		return false;
	if ((v = hj_env("HIJACK_INJECT")) && *v) {
		char *copy = strdup(v);
		for (char *save, *spec = strtok_r(copy, "\x1e", &save); spec; spec = strtok_r(NULL, "\x1e", &save)) {
			struct hj_inject *inj = hj_inject_parse(spec, err, errlen);
			if (!inj) {
				free(copy);
				return false;
			}
			hj_inject_add(inj);
		}
		free(copy);
	}
	return true;
}

/* ---- following exec ----
 * A program may exec with an environment of its own making (env -i,
 * subprocess with env=): our entries go back in while following is on. */
static char *carried[32];	/* "LD_PRELOAD=...", "HIJACK_...=..." */
static int ncarried;

void hj_follow_init(const char *library, char **envp)
{
	for (char **e = envp; e && *e && ncarried < 31; e++)
		if (!strncmp(*e, "HIJACK_", 7))
			carried[ncarried++] = strdup(*e);
	if (!library)	/* cannot happen: dladdr on ourselves */
		return;
	/* LD_PRELOAD comes last: hj_follow_exec merges it with the program's */
	size_t n = strlen(library) + 12;
	carried[ncarried] = malloc(n);
	snprintf(carried[ncarried++], n, "LD_PRELOAD=%s", library);
	static const int execs[] = { HJ_execve, HJ_execv, HJ_execvp, HJ_execvpe, HJ_execl, HJ_execlp,
				     HJ_execle, HJ_posix_spawn, HJ_posix_spawnp, HJ_system };
	if (ncarried > 1)
		for (size_t i = 0; i < sizeof execs / sizeof execs[0]; i++)
			hj_wanted[execs[i]] = 1;
}

void hj_follow_carry(const char *entry)
{
	size_t name = strcspn(entry, "=") + 1;
	char *copy = strdup(entry);
	if (!copy)
		return;
	for (int k = 0; k < ncarried; k++)
		if (!strncmp(carried[k], entry, name)) {
			carried[k] = copy;	/* the old one may sit in environ: kept */
			return;
		}
	if (ncarried > 0 && ncarried < 32) {	/* before LD_PRELOAD, which stays last */
		carried[ncarried] = carried[ncarried - 1];
		carried[ncarried++ - 1] = copy;
	} else {
		free(copy);
	}
}

/* Does envp hold entry (name=value), or for LD_PRELOAD, our library? */
static bool has(char *const *envp, const char *entry)
{
	size_t name = strcspn(entry, "=") + 1;
	for (char *const *e = envp; e && *e; e++) {
		if (strncmp(*e, entry, name))
			continue;
		if (strncmp(entry, "LD_PRELOAD=", 11))
			return true;
		return strstr(*e + name, entry + name) != NULL;
	}
	return false;
}

void hj_follow_exec(struct hj_call *c)
{
	if (!hj_cfg.follow || ncarried < 2)
		return;
	const struct hj_call_info *ci = &hj_calls[c->id];
	int e = -1;
	for (int i = 0; i < ci->nargs; i++)
		if (ci->args[i].kind == K_ENVP)
			e = i;
	extern char **environ;
	char *const *envp = e >= 0 ? (char *const *)c->a[e] : environ;
	size_t n = 0;
	/* an envp the kernel refuses (unreadable, no NULL at its end) is
	 * left as it is: the call fails with EFAULT, as it does bare */
	if (e >= 0 && envp && !hj_strvec_ok(envp, &n))
		return;
	int missing = 0;
	for (int k = 0; k < ncarried; k++)
		missing += !has(envp, carried[k]);
	if (!missing)
		return;
	/* a program's own LD_PRELOAD stays, after ours */
	const char *ours = carried[ncarried - 1] + 11, *theirs = NULL;
	for (char *const *v = envp; v && *v; v++)
		if (!strncmp(*v, "LD_PRELOAD=", 11) && (*v)[11])
			theirs = *v + 11;
	size_t extra = 11 + strlen(ours) + 1 + (theirs ? strlen(theirs) : 0) + 1;
	if (e < 0) {
		/* the program edited its own environ: mend it in place */
		for (int k = 0; k < ncarried - 1; k++)
			if (!has(environ, carried[k]))
				putenv(carried[k]);
		if (!has(environ, carried[ncarried - 1])) {
			char *v = malloc(extra);	/* environ keeps it */
			if (v) {
				snprintf(v, extra, "LD_PRELOAD=%s%s%s", ours, theirs ? ":" : "", theirs ? theirs : "");
				putenv(v);
			}
		}
		return;
	}
	/* one block: the pointers, then the merged LD_PRELOAD entry */
	char **fresh = malloc(sizeof *fresh * (n + (size_t)ncarried + 1) + extra);
	if (!fresh)
		return;
	char *preload = (char *)(fresh + n + ncarried + 1);
	snprintf(preload, extra, "LD_PRELOAD=%s%s%s", ours, theirs ? ":" : "", theirs ? theirs : "");
	bool keep_preload = has(envp, carried[ncarried - 1]);
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], "LD_PRELOAD=", 11) || keep_preload)
			fresh[m++] = envp[i];
	for (int k = 0; k < ncarried - 1; k++)
		if (!has(envp, carried[k]))
			fresh[m++] = carried[k];
	if (!keep_preload)
		fresh[m++] = preload;
	fresh[m] = NULL;
	c->a[e] = (long)fresh;
	free(c->owned[e]);
	c->owned[e] = (char *)fresh;
	c->owns = true;
}
