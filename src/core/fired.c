/* Rules that never fired. A rule, as the user wrote it (an --inject
 * spec, a recipe call or shortcut, a Hijack.on block), has one slot in a
 * table that the launcher makes in the run's private directory and that
 * every process of the run maps shared: a slot is claimed by the rule's
 * text, so the same rule in another process (forked, exec'd, a
 * grandchild) finds the same slot. A process marks there, as it
 * happens, which calls reached the rule and that a call got through its
 * filters: one that dies by a signal or _exit has told already. When the
 * program ends, the launcher names the rules no call got through. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"	/* HJ_RUN_PREFIX */

#define FIRED_FILE HJ_RUN_PREFIX "fired"
#define SLOTS 512
#define KEY 232
#define WORDS ((HJ_NCALLS + 63) / 64)

enum { FREE, CLAIMED, READY };

struct slot {
	uint32_t state;
	uint8_t fired;
	uint8_t filters;		/* HJ_FILTER_*, of any of its hooks */
	uint8_t layer_on;		/* a process had the system-call layer on */
	uint8_t planned;		/* claimed by the launcher's reading of the scripts (vm/defer.c) */
	uint64_t calls[WORDS];		/* the calls its hooks take */
	uint64_t launcher_calls[WORDS];	/* as the launcher read the rule (no layer) */
	uint64_t seen[WORDS];		/* of those, the ones some process made */
	char key[KEY];
};

static struct slot *table;
static bool tried, in_launcher, planning;

static struct slot *map(int fd)
{
	void *p = mmap(NULL, SLOTS * sizeof(struct slot), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	return p == MAP_FAILED ? NULL : p;
}

bool hj_fired_create(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/" FIRED_FILE, dir);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	bool ok = ftruncate(fd, SLOTS * sizeof(struct slot)) == 0 && (table = map(fd));
	close(fd);
	tried = true;
	in_launcher = true;
	return ok;
}

/* The launcher's child that reads which calls the scripts' rules take
 * (vm/defer.c): its rules are claimed as the layer's, for the processes
 * that never load them */
void hj_fired_planning(void) { planning = true; }

void hj_fired_off(void)
{
	tried = true;
	table = NULL;
}

/* The run's table, mapped on first use; NULL without the launcher (or
 * under --quiet, where it makes none). */
static struct slot *shared(void)
{
	if (tried)
		return table;
	tried = true;
	const char *dir = hj_env("HIJACK_RUN_DIR");
	char path[4096];
	if (!dir || !*dir || snprintf(path, sizeof path, "%s/" FIRED_FILE, dir) >= (int)sizeof path)
		return NULL;
	hj_busy++;	/* our own open and mmap are not the program's */
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		table = map(fd);
		close(fd);
	}
	hj_busy--;
	return table;
}

int hj_fired_slot(const char *key, const uint64_t *calls, unsigned filters)
{
	struct slot *t = shared();
	if (!t || !*key)
		return -1;
	size_t len = strnlen(key, KEY - 1);
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &t[i];
		uint32_t state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		if (state == FREE) {
			uint32_t expected = FREE;
			if (__atomic_compare_exchange_n(&s->state, &expected, CLAIMED, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE)) {
				memcpy(s->key, key, len);
				s->key[len] = 0;
				__atomic_store_n(&s->state, READY, __ATOMIC_RELEASE);
				state = READY;
			} else {
				state = expected;
			}
		}
		/* another process is writing this slot's key: a few
		 * microseconds, unless it died there (then the slot is lost) */
		for (int spin = 0; state == CLAIMED && spin < 10000; spin++) {
			sched_yield();
			state = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
		}
		if (state != READY || strncmp(s->key, key, len) || s->key[len])
			continue;
		/* the launcher reads an --inject spec with the libc names (it
		 * has no layer): its calls are the program's only if no
		 * process of the program ever read the rule */
		uint64_t *into = in_launcher ? s->launcher_calls : s->calls;
		for (int w = 0; w < WORDS; w++)
			if (calls[w])
				__atomic_fetch_or(&into[w], calls[w], __ATOMIC_RELAXED);
		if (filters)
			__atomic_fetch_or(&s->filters, (uint8_t)filters, __ATOMIC_RELAXED);
		if (planning)
			__atomic_store_n(&s->planned, 1, __ATOMIC_RELAXED);
		/* the launcher writes the report, but only the program's
		 * processes know whether they saw system calls or libc's */
		if (hj_sud_on && !__atomic_load_n(&s->layer_on, __ATOMIC_RELAXED))
			__atomic_store_n(&s->layer_on, 1, __ATOMIC_RELAXED);
		return i;
	}
	return -1;
}

void hj_fired_seen(int slot, int id)
{
	uint64_t bit = 1ull << (id % 64), *w = &table[slot].seen[id / 64];
	if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
		__atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
}

void hj_fired_hit(int slot)
{
	if (!__atomic_load_n(&table[slot].fired, __ATOMIC_RELAXED))
		__atomic_store_n(&table[slot].fired, 1, __ATOMIC_RELAXED);
}

/* "read", "read or write", "read, write or pread", "read, write, pread
 * or 4 others" (with "and" for what was called) */
static void call_list(const uint64_t *set, const char *conj, char *out, size_t n, int *count)
{
	int total = 0, shown = 0;
	for (int id = 0; id < HJ_NCALLS; id++)
		total += (int)(set[id / 64] >> (id % 64) & 1);
	*count = total;
	size_t len = 0;
	out[0] = 0;
	for (int id = 0; id < HJ_NCALLS && len < n; id++) {
		if (!(set[id / 64] >> (id % 64) & 1))
			continue;
		shown++;
		const char *sep = shown == 1 ? "" : (shown == total && total <= 4) || shown == 4 ? conj : ", ";
		if (shown == 4 && total > 4) {
			snprintf(out + len, n - len, "%s%d others", conj, total - 3);
			return;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%s", sep, hj_calls[id].name);
	}
}

/* With the layer on, every system call is seen, however it is made:
 * "no process made the openat system call", "no process called fopen",
 * or both joined with "nor" when a rule takes calls of both kinds. */
static void never_made(const uint64_t *calls, char *out, size_t n)
{
	uint64_t sys[WORDS] = { 0 }, lib[WORDS] = { 0 };
	for (int id = 0; id < HJ_NCALLS; id++)
		if (calls[id / 64] >> (id % 64) & 1) {
			bool is_sys = hj_row_sysnr(id) >= 0 && !hj_row_library_level(id);
			(is_sys ? sys : lib)[id / 64] |= 1ull << (id % 64);
		}
	char sys_names[256], lib_names[256];
	int nsys, nlib;
	call_list(sys, " or ", sys_names, sizeof sys_names, &nsys);
	call_list(lib, " or ", lib_names, sizeof lib_names, &nlib);
	/* "the read or write system call"; past 4 names, "read, write,
	 * pread64 or 5 others" reads better after "any of the system calls" */
	char sys_part[320];
	snprintf(sys_part, sizeof sys_part, nsys > 4 ? "any of the system calls %s" : "the %s system call", sys_names);
	if (nsys && nlib)
		snprintf(out, n, "no process made %s nor called %s", sys_part, lib_names);
	else if (nsys)
		snprintf(out, n, "no process made %s", sys_part);
	else
		snprintf(out, n, "no process called %s", lib_names);
}

/* One line: text, or with --json a JSON object, as the trace's lines are. */
static void report_line(int out, bool json, const char *key, const char *reason)
{
	char line[4096];
	struct hj_buf b = { line, 0, sizeof line - 1 };
	if (json) {
		hj_puts(&b, "{\"never_fired\": ");
		hj_json_string(&b, key);
		hj_puts(&b, ", \"reason\": ");
		hj_json_string(&b, reason);
		hj_puts(&b, "}");
	} else {
		hj_printf(&b, "hijack: %s never fired: %s", key, reason);
	}
	line[b.len++] = '\n';
	hj_raw_write(out, line, b.len);
}

void hj_fired_report(int out, bool json)
{
	if (!table)
		return;
	/* a process without the layer names a rule's calls by libc's names,
	 * another key than the launcher's reading (with the layer's): then
	 * the launcher's slots that no process took are that reading only */
	bool layer_off_seen = false;
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &table[i];
		bool taken = false;
		for (int w = 0; w < WORDS; w++)
			taken |= s->calls[w] != 0;
		layer_off_seen |= __atomic_load_n(&s->state, __ATOMIC_ACQUIRE) == READY && taken && !s->layer_on;
	}
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &table[i];
		if (__atomic_load_n(&s->state, __ATOMIC_ACQUIRE) != READY || s->fired)
			continue;
		bool taken_here = false;
		for (int w = 0; w < WORDS; w++)
			taken_here |= s->calls[w] != 0;
		if (s->planned && !taken_here && layer_off_seen)
			continue;
		/* the table is the processes': one of them may have written
		 * anything there (a program under --enforce attacks us too) */
		s->key[KEY - 1] = 0;
		char reason[1024], names[256];
		int count, seen_any = 0, taken = 0;
		for (int w = 0; w < WORDS; w++)
			seen_any |= s->seen[w] != 0, taken |= s->calls[w] != 0;
		const uint64_t *calls = taken ? s->calls : s->launcher_calls;
		if (!seen_any && s->layer_on)
			never_made(calls, reason, sizeof reason);
		else if (!seen_any) {
			call_list(calls, " or ", names, sizeof names, &count);
			snprintf(reason, sizeof reason,
				 "no process called %s through libc (hijack sees the calls made through libc's "
				 "functions, not those stdio makes inside libc nor raw system calls)", names);
		} else {
			call_list(s->seen, " and ", names, sizeof names, &count);
			unsigned f = s->filters;
			if (f)
				snprintf(reason, sizeof reason, "%s %s called, but the %s never matched", names,
					 count == 1 ? "was" : "were",
					 f == (HJ_FILTER_PATH | HJ_FILTER_FD) ? "path or fd" : f == HJ_FILTER_FD ? "fd" : "path");
			else
				snprintf(reason, sizeof reason, "%s %s called, but an earlier rule (a hook or another "
					 "--inject) decided each such call first", names, count == 1 ? "was" : "were");
		}
		report_line(out, json, s->key, reason);
	}
}
