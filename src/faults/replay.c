/* --record and --replay: a fault found by chance, reproduced at will.
 *
 * Every process of the tree has a name that does not depend on pids: the
 * first is "1", the third child it forks "1.3", and so on; exec keeps the
 * name. Each process numbers the calls of each kind it makes (the 17th
 * write), so "1.3 write 17 error=ENOSPC" names one call of one run, and
 * the same call of the next run of the same program. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/engine.h"

struct fault { int id; unsigned long seq; bool error; long value; };
static struct fault *faults;	/* this process's, from --replay */
static int nfaults;
static unsigned long seqs[HJ_NCALLS];
static unsigned forks;
bool hj_replaying;

/* ---- the process's name ---- */

static char proc[128] = "1";

const char *hj_proc_name(void) { return proc; }

void hj_proc_init(void)
{
	const char *v = hj_env("HIJACK_PROC");
	if (v && *v && strlen(v) < sizeof proc)
		strcpy(proc, v);
}

void hj_proc_before_fork(void) { __atomic_add_fetch(&forks, 1, __ATOMIC_RELAXED); }

/* In the child: "parent.N"; its own children and calls count from zero. */
void hj_proc_forked(void)
{
	/* by hand: snprintf's code is pages this child would fault in */
	char digits[12];
	int n = 0;
	for (unsigned v = forks; n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	size_t len = strlen(proc);
	if (len + 1 + (size_t)n < sizeof proc) {
		proc[len++] = '.';
		while (n)
			proc[len++] = digits[--n];
		proc[len] = 0;
	}
	forks = 0;
	memset(seqs, 0, sizeof seqs);
	hj_env_set("HIJACK_PROC", proc);	/* for its exec'd children */
}

unsigned long hj_call_seq(int id) { return __atomic_add_fetch(&seqs[id], 1, __ATOMIC_RELAXED); }

/* ---- the file ----
 * One fault a line: PROCESS CALL SEQ error=ERRNO | retval=N; '#' starts
 * a comment line. */

static bool parse_line(char *line, struct fault *f, char *who, size_t wholen, char *err, size_t errlen)
{
	char name[64], what[80], seqs[32], extra[2];
	uint64_t seq = 0;
	if (sscanf(line, "%127s %63s %31s %79s %1s", who, name, seqs, what, extra) != 4 || !isdigit((unsigned char)seqs[0])) {
		snprintf(err, errlen, "expected 'PROCESS CALL SEQ error=ERRNO' or '... retval=N', got '%.80s'", line);
		return false;
	}
	(void)wholen;
	if (strspn(who, "0123456789.") != strlen(who) || who[0] == '.') {
		snprintf(err, errlen, "'%s' is not a process name (1, 1.2, ...)", who);
		return false;
	}
	if ((f->id = hj_call_lookup(name)) < 0) {
		snprintf(err, errlen, "unknown call '%s'", name);
		return false;
	}
	if (!hj_parse_u64(seqs, &seq) || seq == 0 || seq > ULONG_MAX) {
		snprintf(err, errlen, "'%s' is not a call's sequence number (1 to %lu)", seqs, ULONG_MAX);
		return false;
	}
	f->seq = (unsigned long)seq;
	if (!strncmp(what, "error=", 6)) {
		f->error = true;
		f->value = hj_errno_lookup(what + 6);	/* a name, or a number from 1 to 4095 */
		if (f->value <= 0) {
			snprintf(err, errlen, "unknown errno '%s'", what + 6);
			return false;
		}
	} else if (!strncmp(what, "retval=", 7)) {
		f->error = false;
		if (!hj_parse_long(what + 7, &f->value)) {
			snprintf(err, errlen, "retval '%s' is not a number that fits 64 bits", what + 7);
			return false;
		}
	} else {
		snprintf(err, errlen, "'%s': expected error=ERRNO or retval=N", what);
		return false;
	}
	return true;
}

/* Reads a --replay file; keeps the faults of process `mine` (NULL: only
 * checks the file). On error, err says "FILE:LINE: what". */
bool hj_replay_load(const char *path, const char *mine, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, hj_strerror(errno));
		return false;
	}
	char line[512], who[128], why[256];
	bool ok = true;
	for (int lineno = 1; ok && fgets(line, sizeof line, f); lineno++) {
		line[strcspn(line, "\n")] = 0;
		char *p = line + strspn(line, " \t");
		if (!*p || *p == '#')
			continue;
		struct fault flt;
		if (!parse_line(p, &flt, who, sizeof who, why, sizeof why)) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			ok = false;
		} else if (mine && !strcmp(who, mine)) {
			struct fault *more = hj_realloc(faults, sizeof *faults * (size_t)(nfaults + 1));
			if (!more) {
				snprintf(err, errlen, "%s: out of memory", path);
				ok = false;
				break;
			}
			faults = more;
			faults[nfaults++] = flt;
			hj_want(flt.id);	/* its calls must be counted */
		}
	}
	fclose(f);
	if (mine)
		hj_replaying = ok;
	return ok;
}

/* In replay, the fault the file holds for this call, if any. */
bool hj_replay_apply(struct hj_call *c, unsigned long seq)
{
	for (int k = 0; k < nfaults; k++) {
		if (faults[k].id != c->id || faults[k].seq != seq)
			continue;
		if (faults[k].error) {
			hj_fail(c, (int)faults[k].value);
		} else {
			c->ret = faults[k].value;
			c->err = 0;
		}
		c->decided = c->injected = true;
		return true;
	}
	return false;
}

/* Appends the fault c got to the --record file: one write, O_APPEND, so
 * the lines of concurrent processes do not mix. */
void hj_record(const struct hj_call *c, unsigned long seq)
{
	char line[256];
	const char *e = hj_errno_name(c->err);
	int n;
	if (hj_is_failure(c))
		n = e ? snprintf(line, sizeof line, "%s %s %lu error=%s\n", proc, hj_calls[c->id].name, seq, e)
		      : snprintf(line, sizeof line, "%s %s %lu error=%d\n", proc, hj_calls[c->id].name, seq, c->err);
	else
		n = snprintf(line, sizeof line, "%s %s %lu retval=%ld\n", proc, hj_calls[c->id].name, seq, c->ret);
	int fd = open(hj_cfg.record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	hj_raw_write(fd, line, (size_t)n);
	close(fd);
}
