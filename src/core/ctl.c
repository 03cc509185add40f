/* The control channel (issue 12): every hijacked process listens on a
 * unix socket, DIR/PID, where `hijack ctl` and `hijack top` reach it.
 *
 * DIR is HIJACK_CTL_DIR, else $XDG_RUNTIME_DIR/hijack, else
 * /tmp/hijack-UID: made 0700, and used only if it is a directory (not a
 * link) of ours that nobody else can enter; the socket is made 0600, and
 * a peer is served only if it runs as our user or as root
 * (SO_PEERCRED). When the directory cannot be had, the process has no
 * channel, said once under HIJACK_DEBUG=1, never on the program's output.
 *
 * The channel is served by a thread of ours: made while this thread's
 * calls are ours (the system-call layer lets its clone through, so the
 * new thread never arms the layer), busy for its whole life (the libc
 * wrappers pass its calls straight on), every signal blocked: the
 * program's hooks, trace and counts never see it. The constructor pays
 * for the thread's creation only; the socket is made on the thread. It
 * takes the VM lock only to load or run Ruby, never across a read or a
 * write of the socket.
 *
 * The socket goes at exit and before an exec (the new image makes its
 * own, under the same pid), comes back when the exec fails, and a forked
 * child makes its own. A process killed leaves its socket behind: `hijack
 * top` and `hijack ctl --all` remove those whose process is gone.
 *
 * A request is the client's whole message, ended by its shutdown:
 *   COMMAND \n OPTIONS \n NAME \n BODY
 * and the answer "ok\n" or "no\n", then its text. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/lock.h"
#include "core/ownfd.h"

#define REQUEST_MAX (HJ_SCRIPT_MAX_CTL)
#define HJ_SCRIPT_MAX_CTL (16 << 20)	/* a .mrb may be larger than a source */
#define MAX_SETS 256
#define CTL_STACK (1024 * 1024)

uintptr_t hj_ctl_stacks[4][2];

long hj_gate_syscall(long nr, long a0, long a1, long a2, long a3, long a4, long a5) __attribute__((weak));

static long own_pid(void)
{
	return hj_gate_syscall ? hj_gate_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0) : syscall(SYS_getpid);
}

struct channel {
	int fd;			/* the listening socket as made (see channel_fd) */
	pid_t pid;		/* the process it serves */
	bool stopping;		/* its thread is to end */
	bool bound;		/* the socket is at path */
	bool no_bind;		/* removed (exit, exec) before its thread made it */
	bool debug;
	pid_t tid;		/* its thread, once running */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char dir_env[256];	/* HIJACK_CTL_DIR or $XDG_RUNTIME_DIR/hijack, read on the program's thread */
};

static struct channel *current;
static hj_lock_t channel_lock;	/* current, slot_owner, and a channel's bound/stopping */
/* The channel whose socket is in the own-descriptor slot HJ_OWN_CTL,
 * which moves it out of the way of a program's dup2 or close onto its
 * number (ownfd.c). */
static struct channel *slot_owner;

static int channel_fd(const struct channel *ch)
{
	return __atomic_load_n(&slot_owner, __ATOMIC_ACQUIRE) == ch ? __atomic_load_n(&hj_own_fd[HJ_OWN_CTL], __ATOMIC_ACQUIRE)
								      : ch->fd;
}
static bool stopped_for_exec;
static uint64_t started_ns;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void debug_say(const struct channel *ch, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void debug_say(const struct channel *ch, const char *fmt, ...)
{
	if (!ch->debug)
		return;
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(line, sizeof line, "hijack: pid %d: no control channel: ", (int)ch->pid);
	n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof line - 1)
		n = (int)sizeof line - 2;
	line[n++] = '\n';
	hj_raw_write(2, line, (size_t)n);
}

/* Makes and checks the directory; false (said under HIJACK_DEBUG) when
 * it is not a private directory of ours. */
static bool private_dir(struct channel *ch, char *dir, size_t n)
{
	uid_t uid = geteuid();
	if (ch->dir_env[0])
		snprintf(dir, n, "%s", ch->dir_env);
	else
		snprintf(dir, n, "/tmp/hijack-%u", (unsigned)uid);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		debug_say(ch, "%s: %s", dir, hj_strerror(errno));
		return false;
	}
	struct stat st;
	if (lstat(dir, &st) != 0) {
		debug_say(ch, "%s: %s", dir, hj_strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077)) {
		debug_say(ch, "%s is not a private directory of ours (%s, owner %u, mode %03o)", dir,
			  S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			  (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

static bool make_socket(struct channel *ch)
{
	char dir[sizeof ch->dir_env + 32];
	if (!private_dir(ch, dir, sizeof dir))
		return false;
	if (snprintf(ch->path, sizeof ch->path, "%s/%d", dir, (int)ch->pid) >= (int)sizeof ch->path) {
		debug_say(ch, "%s: too long a path for a unix socket", dir);
		return false;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	memcpy(sa.sun_path, ch->path, sizeof sa.sun_path);
	hj_lock(&channel_lock);
	bool ok = !ch->stopping && !ch->no_bind;
	if (ok) {
		/* a socket of this pid is an earlier process's (or of our image
		 * before an exec): pids are not shared by live processes */
		unlink(ch->path);
		ok = bind(channel_fd(ch), (struct sockaddr *)&sa, sizeof sa) == 0;
		if (!ok)
			debug_say(ch, "%s: %s", ch->path, hj_strerror(errno));
		ch->bound = ok;
		ok = ok && chmod(ch->path, 0600) == 0 && listen(channel_fd(ch), 16) == 0;
	}
	hj_unlock(&channel_lock);
	return ok;
}

/* ---- the answer ---- */
struct out { char *p; size_t len, cap; };

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(o->p ? o->p + o->len : NULL, o->p ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->p && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *p = hj_realloc(o->p, cap);
		if (!p)
			return;
		o->p = p;
		o->cap = cap;
	}
}

static void out_json_string(struct out *o, const char *s)
{
	out_printf(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			out_printf(o, "\\%c", c);
		else if (c < 0x20)
			out_printf(o, "\\u%04x", c);
		else
			out_printf(o, "%c", c);
	}
	out_printf(o, "\"");
}

/* ---- the sets of rules `load` adds, by name ---- */
static char *set_names[MAX_SETS];	/* [0]: the run's own scripts */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* NAME as loaded ("deny.rb"), or without its extension ("deny") */
static int set_find(const char *name)
{
	for (int s = 1; s < MAX_SETS; s++) {
		if (!set_names[s])
			continue;
		const char *dot = strrchr(set_names[s], '.');
		if (!strcmp(set_names[s], name) ||
		    (dot && strlen(name) == (size_t)(dot - set_names[s]) && !strncmp(set_names[s], name, strlen(name))))
			return s;
	}
	return 0;
}

static int set_new(const char *name)
{
	for (int s = 1; s < MAX_SETS; s++)
		if (!set_names[s]) {
			set_names[s] = hj_strdup(name);
			return set_names[s] ? s : -1;
		}
	return -1;
}

/* Turns the set's rules off; how many there were. */
static int set_off(int set)
{
	int n = 0;
	for (int i = 0; i < hj_rule_count(); i++) {
		struct hj_rule *r = hj_rule_get(i);
		if (r->set == set && !r->off) {
			__atomic_store_n(&r->off, true, __ATOMIC_RELEASE);
			n++;
		}
	}
	return n;
}

static void set_drop(int set)
{
	set_off(set);
	hj_free(set_names[set]);
	set_names[set] = NULL;
}

static int set_count(int set)
{
	int n = 0;
	for (int i = 0; i < hj_rule_count(); i++) {
		struct hj_rule *r = hj_rule_get(i);
		n += r->set == set && !r->off;
	}
	return n;
}

/* ---- the commands ---- */

static bool cmd_load(const char *name, const char *body, size_t len, struct out *o)
{
	const char *base = base_name(name);
	int old = set_find(base), set = set_new(base);
	if (set < 0) {
		out_printf(o, "too many scripts loaded (%d): unload one first", MAX_SETS - 1);
		return false;
	}
	char err[1024] = "";
	if (!hj_vm_ctl_load(name, body, len, set, err, sizeof err)) {
		set_drop(set);	/* what it added before the error goes with it */
		out_printf(o, "%s", err);
		return false;
	}
	if (old)	/* loaded again: the new rules replace the old */
		set_drop(old);
	out_printf(o, "loaded %s: %d rule%s\n", base, set_count(set), set_count(set) == 1 ? "" : "s");
	return true;
}

static bool cmd_unload(const char *name, struct out *o)
{
	int set = set_find(name);
	if (!set) {
		out_printf(o, "no script loaded as %s", name);
		bool any = false;
		for (int s = 1; s < MAX_SETS; s++)
			if (set_names[s]) {
				out_printf(o, "%s%s", any ? ", " : " (loaded: ", set_names[s]);
				any = true;
			}
		out_printf(o, "%s", any ? ")" : "");
		return false;
	}
	char *shown = hj_strdup(set_names[set]);
	int n = set_off(set);
	set_drop(set);
	out_printf(o, "unloaded %s: %d rule%s\n", shown ? shown : name, n, n == 1 ? "" : "s");
	hj_free(shown);
	return true;
}

static bool cmd_eval(const char *body, size_t len, struct out *o)
{
	/* the rules an eval adds are the set "-e" */
	int set = set_find("-e");
	if (!set && (set = set_new("-e")) < 0) {
		out_printf(o, "too many scripts loaded: unload one first");
		return false;
	}
	static char result[64 * 1024];
	bool ok = hj_vm_ctl_eval(body, len, set, result, sizeof result);
	if (!set_count(set))
		set_drop(set);
	out_printf(o, "%s%s", result, ok ? "\n" : "");
	return ok;
}

static void rule_calls(struct out *o, const struct hj_rule *r, bool json)
{
	const char *sep = "";
	for (int id = 0; id < HJ_NCALLS; id++)
		if (r->calls[id / 64] >> (id % 64) & 1) {
			if (json) {
				out_printf(o, "%s", sep);
				out_json_string(o, hj_calls[id].name);
			} else {
				out_printf(o, "%s%s", sep, hj_calls[id].name);
			}
			sep = ",";
		}
}

static bool cmd_hooks(bool json, struct out *o)
{
	bool paused = __atomic_load_n(&hj_rules_paused, __ATOMIC_RELAXED);
	if (json)
		out_printf(o, "{\"pid\":%d,\"paused\":%s,\"rules\":[", (int)own_pid(), paused ? "true" : "false");
	else if (paused)
		out_printf(o, "paused: no rule is in force until `resume`\n");
	int shown = 0;
	for (int i = 0; i < hj_rule_count(); i++) {
		struct hj_rule *r = hj_rule_get(i);
		if (__atomic_load_n(&r->off, __ATOMIC_ACQUIRE))
			continue;
		const char *set = r->set && set_names[r->set] ? set_names[r->set] : "-";
		unsigned long hits = __atomic_load_n(&r->hits, __ATOMIC_RELAXED);
		if (json) {
			out_printf(o, "%s{\"set\":", shown ? "," : "");
			out_json_string(o, set);
			out_printf(o, ",\"phase\":\"%s\",\"where\":", r->phase == HJ_BEFORE ? "on" : "after");
			out_json_string(o, r->where);
			out_printf(o, ",\"calls\":[");
			rule_calls(o, r, true);
			out_printf(o, "],\"path\":[");
			for (int k = 0; k < r->nglobs; k++) {
				out_printf(o, "%s", k ? "," : "");
				out_json_string(o, r->globs[k]);
			}
			out_printf(o, "],\"fd\":[");
			for (int k = 0; k < r->nfds; k++)
				out_printf(o, "%s[%ld,%ld]", k ? "," : "", r->fds[k][0], r->fds[k][1]);
			out_printf(o, "],\"matched\":%lu}", hits);
		} else {
			if (!shown)
				out_printf(o, "%9s  %-16s %s\n", "matched", "loaded as", "rule");
			out_printf(o, "%9lu  %-16s %s %s calls: ", hits, set, r->phase == HJ_BEFORE ? "on" : "after", r->where);
			rule_calls(o, r, false);
			for (int k = 0; k < r->nglobs; k++)
				out_printf(o, " path:%s", r->globs[k]);
			for (int k = 0; k < r->nfds; k++)
				out_printf(o, " fd:%ld..%ld", r->fds[k][0], r->fds[k][1]);
			out_printf(o, "\n");
		}
		shown++;
	}
	if (json)
		out_printf(o, "]}\n");
	else if (!shown)
		out_printf(o, "no rules in force\n");
	return true;
}

/* The counts so far, for the launcher to print as -c does (stats) or as
 * top does: a process run without -c counts from the first ask. */
static bool cmd_snapshot(struct out *o)
{
	bool counting = hj_cfg.summary;
	if (!counting)
		hj_config_count_all();
	static struct hj_stat counts[HJ_NCALLS];
	hj_summary_snapshot(counts);
	int nrules = 0;
	for (int i = 0; i < hj_rule_count(); i++)
		nrules += !hj_rule_get(i)->off;
	out_printf(o, "pid %d\nuptime_ns %llu\npaused %d\ncounting %d\nrules %d\n", (int)own_pid(),
		   (unsigned long long)(mono_ns() - started_ns), (int)__atomic_load_n(&hj_rules_paused, __ATOMIC_RELAXED),
		   (int)counting, nrules);
	for (int id = 0; id < HJ_NCALLS; id++)
		if (counts[id].calls)
			out_printf(o, "call %s %lu %lu %lu %lu\n", hj_calls[id].name, counts[id].calls, counts[id].errors,
				   counts[id].injected, counts[id].ns);
	return true;
}

/* One request: false for an error answer. */
static bool serve_request(char *req, size_t len, struct out *o)
{
	char *line[3];
	char *p = req, *end = req + len;
	for (int i = 0; i < 3; i++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			out_printf(o, "a request this hijack does not understand");
			return false;
		}
		*nl = 0;
		line[i] = p;
		p = nl + 1;
	}
	const char *cmd = line[0], *name = line[2];
	bool json = strstr(line[1], "json") != NULL;
	size_t body_len = (size_t)(end - p);
	p[body_len] = 0;	/* room was kept */
	if (!strcmp(cmd, "load"))
		return cmd_load(name, p, body_len, o);
	if (!strcmp(cmd, "unload"))
		return cmd_unload(name, o);
	if (!strcmp(cmd, "eval"))
		return cmd_eval(p, body_len, o);
	if (!strcmp(cmd, "hooks"))
		return cmd_hooks(json, o);
	if (!strcmp(cmd, "snapshot"))
		return cmd_snapshot(o);
	if (!strcmp(cmd, "stats")) {	/* the table itself (Hijack.control) */
		if (!hj_cfg.summary)
			hj_config_count_all();
		static struct hj_stat counts[HJ_NCALLS];
		static char table[1 << 16];
		hj_summary_snapshot(counts);
		size_t n = hj_summary_table(counts, table, sizeof table);
		out_printf(o, "%.*s", (int)n, table);
		return true;
	}
	if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		bool pause = cmd[0] == 'p';
		bool was = __atomic_exchange_n(&hj_rules_paused, pause, __ATOMIC_ACQ_REL);
		out_printf(o, "%s%s\n", pause ? "paused" : "resumed", was == pause ? " (already)" : "");
		return true;
	}
	out_printf(o, "unknown command '%s'", cmd);
	return false;
}

static void serve_client(int c)
{
	struct ucred cred;
	socklen_t clen = sizeof cred;
	struct out o = { 0 };
	/* a client that stops talking does not hold the channel */
	struct timeval tv = { 5, 0 };
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || (cred.uid != geteuid() && cred.uid != 0)) {
		static const char refused[] = "no\npermission denied: this process is another user's\n";
		hj_ctl_send_all(c, refused, sizeof refused - 1);
		return;
	}
	size_t len = 0, cap = 4096;
	char *req = hj_malloc(cap + 1);
	for (ssize_t r; req; len += (size_t)r) {
		if (len == cap) {
			char *more = cap < REQUEST_MAX ? hj_realloc(req, cap * 2 + 1) : NULL;
			if (!more) {
				hj_free(req);
				req = NULL;
				break;
			}
			req = more;
			cap *= 2;
		}
		r = recv(c, req + len, cap - len, 0);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			if (r < 0) {
				hj_free(req);
				req = NULL;
			}
			break;
		}
	}
	if (!req) {
		static const char bad[] = "no\nthe request was cut short, or too large\n";
		hj_ctl_send_all(c, bad, sizeof bad - 1);
		return;
	}
	out_printf(&o, "ok\n");
	bool ok = serve_request(req, len, &o);
	hj_free(req);
	if (o.p && !ok)
		memcpy(o.p, "no\n", 3);	/* "ok\n" and "no\n" are the same length */
	if (o.p)
		hj_ctl_send_all(c, o.p, o.len);
	hj_free(o.p);
}

/* Channels come from a pool of two (a process has one, and a second
 * only while the first's thread ends after a failed exec): the start
 * allocates nothing. */
static struct channel pool[2];
static bool pool_used[2];

static struct channel *channel_new(void)
{
	for (int i = 0; i < 2; i++)
		if (!__atomic_exchange_n(&pool_used[i], true, __ATOMIC_ACQ_REL)) {
			memset(&pool[i], 0, sizeof pool[i]);
			return &pool[i];
		}
	return hj_calloc(1, sizeof(struct channel));
}

static void channel_free(struct channel *ch)
{
	if (ch == &pool[0] || ch == &pool[1])
		__atomic_store_n(&pool_used[ch - pool], false, __ATOMIC_RELEASE);
	else
		hj_free(ch);
}

static void channel_end(struct channel *ch)
{
	hj_lock(&channel_lock);
	if (ch->bound)
		unlink(ch->path);
	if (current == ch)
		current = NULL;
	int fd = channel_fd(ch);
	if (slot_owner == ch) {
		__atomic_store_n(&hj_own_fd[HJ_OWN_CTL], -1, __ATOMIC_RELEASE);
		slot_owner = NULL;
	}
	hj_unlock(&channel_lock);
	if (fd >= 0)
		close(fd);
	channel_free(ch);
}

static void *serve(void *arg)
{
	struct channel *ch = arg;
	hj_busy = 1;	/* all ours: never hooked, traced or counted */
	hj_sud_selector = 0;
	__atomic_store_n(&ch->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	pthread_setname_np(pthread_self(), "hijack-ctl");
	started_ns = mono_ns();
	if (make_socket(ch))
		for (;;) {
			/* waiting in accept would hold the lowest free descriptor
			 * number (the kernel reserves it before it blocks): the
			 * program's next open would get another; poll holds none */
			struct pollfd pf = { channel_fd(ch), POLLIN, 0 };
			if (poll(&pf, 1, -1) < 0 && errno != EINTR)
				break;
			if (__atomic_load_n(&ch->stopping, __ATOMIC_ACQUIRE))
				break;
			if (!(pf.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
				continue;
			int c = accept4(channel_fd(ch), NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {	/* out of the numbers the program's next open would get */
				int high = hj_dup_high(c, 730, true);
				if (high >= 0) {
					close(c);
					c = high;
				}
			}
			if (c < 0) {
				if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
					continue;
				if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
					usleep(100000);
					continue;
				}
				break;	/* shut down: the process execs or ends */
			}
			serve_client(c);
			close(c);
		}
	channel_end(ch);
	return NULL;
}

void hj_ctl_start(void)
{
	const char *v = hj_env("HIJACK_CTL");
	if (v && *v == '0')
		return;
	struct channel *ch = channel_new();
	if (!ch)
		return;
	hj_want_syscall(HJ_unshare);	/* see hj_ctl_before_unshare */
	hj_want_syscall(HJ_setns);
	ch->fd = -1;
	ch->pid = (pid_t)own_pid();
	ch->debug = (v = hj_env("HIJACK_DEBUG")) && *v && *v != '0';
	if ((v = hj_env("HIJACK_CTL_DIR")) && *v)
		snprintf(ch->dir_env, sizeof ch->dir_env, "%s", v);
	else if ((v = hj_env("XDG_RUNTIME_DIR")) && *v == '/')
		snprintf(ch->dir_env, sizeof ch->dir_env, "%s/hijack", v);
	/* made while our calls pass the system-call layer: its clone is not
	 * trapped, so the new thread never arms the layer */
	char selector = hj_sud_selector;
	hj_busy++;
	hj_sud_selector = 0;
	/* the socket is made here, at a number of ours: on the thread it
	 * would race the program's first open for the lowest free one */
	int low = (int)syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ch->fd = low >= 0 ? hj_dup_high(low, 720, true) : -1;
	if (low >= 0)
		syscall(SYS_close, low);
	if (ch->fd < 0) {
		debug_say(ch, "socket: %s", hj_strerror(errno));
		channel_free(ch);
		hj_busy--;
		hj_sud_selector = selector;
		return;
	}
	hj_lock(&channel_lock);
	current = ch;
	if (slot_owner && slot_owner->stopping)	/* a stopped one's thread closes its own */
		slot_owner->fd = hj_own_fd[HJ_OWN_CTL];
	slot_owner = ch;
	__atomic_store_n(&hj_own_fd[HJ_OWN_CTL], ch->fd, __ATOMIC_RELEASE);
	hj_unlock(&channel_lock);
	/* every signal blocked in the new thread: it inherits this mask, set
	 * by the raw call (sigprocmask may be the program's own). Its stack
	 * is ours, known to dispatch: what runs on the thread before it is
	 * busy (a pthread_create interposer's code: ASan's) is ours too. It
	 * has room for the Ruby of a load or an eval, touched only as used;
	 * never unmapped (a thread may still be ending on it). */
	int err = ENOMEM;
	char *stack = mmap(NULL, CTL_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
			   -1, 0);
	if (stack != MAP_FAILED) {
		mprotect(stack, 4096, PROT_NONE);	/* a guard page */
		static int next_range;
		int r = next_range++ % 4;
		__atomic_store_n(&hj_ctl_stacks[r][1], 0, __ATOMIC_RELEASE);
		__atomic_store_n(&hj_ctl_stacks[r][0], (uintptr_t)stack, __ATOMIC_RELEASE);
		__atomic_store_n(&hj_ctl_stacks[r][1], (uintptr_t)stack + CTL_STACK, __ATOMIC_RELEASE);
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setstack(&at, stack + 4096, CTL_STACK - 4096);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		sigset_t all, old;
		sigfillset(&all);
		syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, _NSIG / 8);
		pthread_t t;
		err = pthread_create(&t, &at, serve, ch);
		syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, _NSIG / 8);
		pthread_attr_destroy(&at);
	}
	hj_busy--;
	hj_sud_selector = selector;
	if (err) {
		debug_say(ch, "pthread_create: %s", hj_strerror(err));
		channel_end(ch);
	}
}

/* The socket's name is removed (at exit, before an exec): nothing else
 * on the way out (the process's end ends the thread). Only the process
 * that made it touches it: a vfork child shares our memory and a socket
 * with its parent. */
static bool unname(void)
{
	bool done = false;
	pid_t pid = (pid_t)own_pid();
	/* exit() from a signal handler may come while this thread holds the
	 * lock (hj_ctl_start): after a while, the socket is left (top and
	 * ctl --all remove it once the process is gone) */
	for (int tries = 0;; tries++) {
		int free_state = 0;
		if (atomic_compare_exchange_strong(&channel_lock.state, &free_state, 1))
			break;
		if (tries == 1000)
			return false;
		sched_yield();
	}
	struct channel *ch = current;
	if (ch && ch->pid == pid && !ch->no_bind) {
		ch->no_bind = true;
		if (ch->bound)
			unlink(ch->path);
		ch->bound = false;
		done = true;
	}
	hj_unlock(&channel_lock);
	return done;
}

void hj_ctl_stop(void) { unname(); }

void hj_ctl_before_exec(void)
{
	if (unname())
		stopped_for_exec = true;
}

/* The exec failed: the nameless socket's thread is stopped, and a new
 * channel made. */
void hj_ctl_exec_failed(void)
{
	if (!stopped_for_exec || hj_lib_call)	/* an exec function's attempts: at its end */
		return;
	stopped_for_exec = false;
	hj_lock(&channel_lock);
	struct channel *ch = current;
	if (ch && ch->pid == (pid_t)own_pid()) {
		__atomic_store_n(&ch->stopping, true, __ATOMIC_RELEASE);
		shutdown(channel_fd(ch), SHUT_RDWR);	/* wakes its poll */
		current = NULL;
	}
	hj_unlock(&channel_lock);
	hj_ctl_start();
}

/* unshare(CLONE_NEWUSER) and setns into a user namespace refuse a
 * process with more than one thread (EINVAL): our thread ends before
 * the call, fully (the kernel has let it go), and a new one starts
 * after it. */
static bool restart_after_ns;

void hj_ctl_before_unshare(int id, const long *a)
{
	long flags = id == HJ_unshare ? a[0] : a[1];
	if (id == HJ_setns ? (flags && !(flags & CLONE_NEWUSER)) : !(flags & CLONE_NEWUSER))
		return;
	hj_lock(&channel_lock);
	struct channel *ch = current;
	pid_t tid = 0, pid = (pid_t)own_pid();
	if (ch && ch->pid == pid) {
		tid = __atomic_load_n(&ch->tid, __ATOMIC_ACQUIRE);
		ch->no_bind = ch->stopping = true;
		if (ch->bound)
			unlink(ch->path);
		ch->bound = false;
		shutdown(channel_fd(ch), SHUT_RDWR);
		current = NULL;
		restart_after_ns = true;
	}
	hj_unlock(&channel_lock);
	/* not yet running: it sees stopping at its first look, and ends */
	for (int i = 0; restart_after_ns && i < 5000; i++) {
		bool gone = tid ? syscall(SYS_tgkill, pid, tid, 0) != 0 && errno == ESRCH
				: !__atomic_load_n(&pool_used[0], __ATOMIC_ACQUIRE) && !__atomic_load_n(&pool_used[1], __ATOMIC_ACQUIRE);
		if (gone)
			break;
		if (!tid)
			tid = ch ? __atomic_load_n(&ch->tid, __ATOMIC_ACQUIRE) : 0;
		struct timespec ts = { 0, 200000 };
		nanosleep(&ts, NULL);
	}
}

void hj_ctl_after_unshare(void)
{
	if (restart_after_ns) {
		restart_after_ns = false;
		hj_ctl_start();
	}
}

/* In a forked child (our fork handler, busy): the parent's socket is
 * the parent's (closed here, not shut down: that would shut it for the
 * parent too); the child serves its own. */
void hj_ctl_forked(void)
{
	atomic_store(&channel_lock.state, 0);
	int fd = __atomic_load_n(&hj_own_fd[HJ_OWN_CTL], __ATOMIC_ACQUIRE);
	__atomic_store_n(&hj_own_fd[HJ_OWN_CTL], -1, __ATOMIC_RELEASE);
	if (fd >= 0)
		close(fd);
	/* the parent's channels are the parent's threads' */
	current = slot_owner = NULL;
	pool_used[0] = pool_used[1] = false;
	stopped_for_exec = false;
	if (hj_cfg.follow)
		hj_ctl_start();
}
