/* hijack ctl and hijack top: the client side of each process's control
 * channel (src/core/ctl.c says what a channel is and where it lives). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"

static void command_name(int pid, char *out, size_t n)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	FILE *f = fopen(path, "r");
	out[0] = 0;
	if (f) {
		if (fgets(out, (int)n, f))
			out[strcspn(out, "\n")] = 0;
		fclose(f);
	}
	if (!out[0])
		snprintf(out, n, "?");
}

/* A socket left by a process that is gone: removed when it is ours and
 * its pid names no process (a live pid's is left: it may be starting). */
static void remove_if_stale(const char *path, int pid)
{
	struct stat st;
	if (kill(pid, 0) != 0 && errno == ESRCH && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == geteuid())
		unlink(path);
}

/* Every pid with a socket in our directories; stale ones removed. */
static int channel_pids(int *pids, int max)
{
	char dirs[2][300], why[600];
	int ndirs = hj_ctl_dirs(geteuid(), dirs), n = 0;
	for (int i = 0; i < ndirs; i++) {
		if (hj_ctl_dir_problem(dirs[i], geteuid(), why, sizeof why)) {
			fprintf(stderr, "hijack: %s\n", why);
			continue;
		}
		DIR *d = opendir(dirs[i]);
		if (!d)
			continue;
		for (struct dirent *e; (e = readdir(d));) {
			char *end;
			long pid = strtol(e->d_name, &end, 10);
			if (*end || pid <= 0 || pid == getpid())
				continue;
			char path[1024];
			snprintf(path, sizeof path, "%s/%s", dirs[i], e->d_name);
			remove_if_stale(path, (int)pid);
			if (access(path, F_OK) != 0)
				continue;
			bool seen = false;
			for (int k = 0; k < n; k++)
				seen |= pids[k] == pid;
			if (!seen && n < max)
				pids[n++] = (int)pid;
		}
		closedir(d);
	}
	for (int i = 1; i < n; i++)	/* in pid order */
		for (int j = i; j > 0 && pids[j] < pids[j - 1]; j--) {
			int t = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	return n;
}

/* ---- the counts ---- */

struct snapshot {
	int pid;
	char command[64];
	double uptime;
	bool paused, counting;
	int rules;
	struct hj_stat counts[HJ_NCALLS];
};

static int call_id(const char *name)
{
	for (int id = 0; id < HJ_NCALLS; id++)
		if (!strcmp(hj_calls[id].name, name))
			return id;
	return -1;
}

static bool take_snapshot(int pid, struct snapshot *s, char *err, size_t n)
{
	struct hj_ctl_answer a;
	if (!hj_ctl_ask(pid, "snapshot", "", "", NULL, 0, &a, err, n))
		return false;
	if (!a.ok) {
		snprintf(err, n, "%d: %s", pid, a.text);
		hj_free(a.text);
		return false;
	}
	memset(s, 0, sizeof *s);
	s->pid = pid;
	command_name(pid, s->command, sizeof s->command);
	char *save;
	for (char *line = strtok_r(a.text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long v;
		char name[64];
		unsigned long c, e, i, ns;
		if (sscanf(line, "uptime_ns %llu", &v) == 1)
			s->uptime = (double)v / 1e9;
		else if (sscanf(line, "paused %llu", &v) == 1)
			s->paused = v;
		else if (sscanf(line, "counting %llu", &v) == 1)
			s->counting = v;
		else if (sscanf(line, "rules %llu", &v) == 1)
			s->rules = (int)v;
		else if (sscanf(line, "call %63s %lu %lu %lu %lu", name, &c, &e, &i, &ns) == 5) {
			int id = call_id(name);
			if (id == HJ_open)	/* shown as the openat it makes, as -c shows it */
				id = HJ_openat;
			if (id >= 0) {
				s->counts[id].calls += c;
				s->counts[id].errors += e;
				s->counts[id].injected += i;
				s->counts[id].ns += ns;
			}
		}
	}
	hj_free(a.text);
	return true;
}

static struct hj_stat total_of(const struct hj_stat *counts)
{
	struct hj_stat t = { 0, 0, 0, 0 };
	for (int id = 0; id < HJ_NCALLS; id++) {
		t.calls += counts[id].calls;
		t.errors += counts[id].errors;
		t.injected += counts[id].injected;
		t.ns += counts[id].ns;
	}
	return t;
}

static void json_str(const char *str)
{
	size_t cap = strlen(str) * 6 + 3;
	struct hj_buf b = { malloc(cap), 0, cap };
	if (b.p) {
		hj_json_string(&b, str);
		fputs(b.p, stdout);
	}
	free(b.p);
}

static void json_stat(const struct hj_stat *s, double rate)
{
	printf("\"calls\":%lu,\"errors\":%lu,\"injected\":%lu,\"seconds\":%.6f,\"mean_us\":%.3f", s->calls, s->errors,
	       s->injected, (double)s->ns / 1e9, s->calls ? (double)s->ns / 1e3 / (double)s->calls : 0.0);
	if (rate >= 0)
		printf(",\"calls_per_s\":%.3f", rate);
}

static void print_stats(const struct snapshot *s, bool json)
{
	if (json) {
		printf("{\"pid\":%d,\"command\":", s->pid);
		json_str(s->command);
		printf(",\"counting\":%s,\"calls\":[", s->counting ? "true" : "false");
		const char *sep = "";
		for (int id = 0; id < HJ_NCALLS; id++)
			if (s->counts[id].calls) {
				printf("%s{\"call\":\"%s\",", sep, hj_calls[id].name);
				json_stat(&s->counts[id], -1);
				printf("}");
				sep = ",";
			}
		struct hj_stat t = total_of(s->counts);
		printf("],\"total\":{");
		json_stat(&t, -1);
		printf("}}\n");
		return;
	}
	if (!s->counting)
		printf("(process %d was not counting its calls: it counts them from now on)\n", s->pid);
	static char table[1 << 16];
	size_t n = hj_summary_table(s->counts, table, sizeof table);
	fwrite(table, 1, n, stdout);
}

/* ---- hijack ctl ---- */

static int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ctl_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("hijack: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nusage: hijack ctl [--json] PID|--all COMMAND [ARG]\n"
	      "  COMMAND: load FILE, unload NAME, eval CODE, hooks, stats, pause, resume\n"
	      "Try 'hijack --help' for more information.\n", stderr);
	return 2;
}

static bool parse_pid(const char *s, int *pid)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v <= 0 || v > 4194304)
		return false;
	*pid = (int)v;
	return true;
}

/* One process: its answer printed; false when it failed. */
static bool ctl_one(int pid, const char *cmd, const char *arg, const char *body, size_t body_len, bool json, bool header)
{
	char err[1200];
	char comm[64];
	if (!strcmp(cmd, "stats")) {
		struct snapshot *s = malloc(sizeof *s);
		bool ok = s && take_snapshot(pid, s, err, sizeof err);
		if (ok) {
			if (header && !json)
				printf("== %d (%s) ==\n", pid, s->command);
			print_stats(s, json);
		} else {
			fprintf(stderr, "hijack: %s\n", err);
		}
		free(s);
		return ok;
	}
	struct hj_ctl_answer a;
	const char *name = arg && (!strcmp(cmd, "load") || !strcmp(cmd, "unload")) ? arg : "";
	if (!hj_ctl_ask(pid, cmd, json ? "json" : "", name, body, body_len, &a, err, sizeof err)) {
		fprintf(stderr, "hijack: %s\n", err);
		return false;
	}
	if (header && !json && a.ok) {
		command_name(pid, comm, sizeof comm);
		printf("== %d (%s) ==\n", pid, comm);
	}
	if (!a.ok) {
		fprintf(stderr, "hijack: %d: %s%s", pid, a.text, a.len && a.text[a.len - 1] == '\n' ? "" : "\n");
	} else if (json && strcmp(cmd, "hooks")) {
		size_t l = a.len;
		while (l && a.text[l - 1] == '\n')
			a.text[--l] = 0;
		struct hj_buf b = { malloc(a.len * 6 + 16), 0, a.len * 6 + 16 };
		if (b.p) {
			hj_json_string(&b, a.text);
			printf("{\"pid\":%d,\"command\":\"%s\",\"result\":%s}\n", pid, cmd, b.p);
		}
		free(b.p);
	} else {
		fwrite(a.text, 1, a.len, stdout);
	}
	bool ok = a.ok;
	hj_free(a.text);
	fflush(stdout);
	return ok;
}

int hj_cmd_ctl(int argc, char **argv)
{
	bool json = false, all = false;
	const char *target = NULL, *cmd = NULL, *arg = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--all") && !target && !cmd)
			all = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return ctl_usage("ctl: help");
		else if (!all && !target)
			target = argv[i];
		else if (!cmd)
			cmd = argv[i];
		else if (!arg)
			arg = argv[i];
		else
			return ctl_usage("ctl: one argument at most after %s", cmd);
	}
	int pid = 0;
	if (!all && !target)
		return ctl_usage("ctl: name a PID or --all");
	if (!all && !parse_pid(target, &pid))
		return ctl_usage("ctl: %s: not a process id", target);
	if (!cmd)
		return ctl_usage("ctl: no command given");
	static const char *const with_arg[] = { "load", "unload", "eval" };
	static const char *const without[] = { "hooks", "stats", "pause", "resume" };
	bool needs = false, known = false;
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(cmd, with_arg[i]))
			needs = known = true;
	for (size_t i = 0; i < 4; i++)
		known |= !strcmp(cmd, without[i]);
	if (!known)
		return ctl_usage("ctl: unknown command '%s'", cmd);
	if (needs && !arg)
		return ctl_usage("ctl: %s needs %s", cmd, !strcmp(cmd, "load") ? "a FILE" : !strcmp(cmd, "eval") ? "CODE" : "a NAME");
	if (!needs && arg)
		return ctl_usage("ctl: %s takes no argument", cmd);
	char *body = NULL;
	size_t body_len = 0;
	if (!strcmp(cmd, "load")) {
		body = hj_vm_slurp(arg, &body_len);
		if (!body) {
			fprintf(stderr, "hijack: %s: %s\n", arg, hj_vm_slurp_error());
			return 1;
		}
	} else if (!strcmp(cmd, "eval")) {
		body = (char *)arg;
		body_len = strlen(arg);
	}
	int status = 0;
	if (all) {
		int pids[4096], n = channel_pids(pids, 4096);
		if (!n) {
			fprintf(stderr, "hijack: no hijacked process of yours is running\n");
			status = 1;
		}
		for (int i = 0; i < n; i++)
			if (!ctl_one(pids[i], cmd, arg, body, body_len, json, true))
				status = 1;
	} else if (!ctl_one(pid, cmd, arg, body, body_len, json, false)) {
		status = 1;
	}
	if (!strcmp(cmd, "load"))
		hj_free(body);
	return status;
}

/* ---- hijack top ---- */

static struct termios saved_tty;
static bool tty_raw;
static volatile sig_atomic_t stop_asked;

static void tty_restore(void)
{
	if (tty_raw) {
		tcsetattr(0, TCSAFLUSH, &saved_tty);
		tty_raw = false;
		fputs("\033[?25h", stdout);	/* the cursor again */
		fflush(stdout);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_asked = 1;
}

struct seen { int pid; double uptime; struct hj_stat counts[HJ_NCALLS]; };

/* calls/s of one row: since the last frame, or over the process's life */
static double rate(unsigned long now, unsigned long before, double dt)
{
	return dt > 0 ? (double)(now - before) / dt : 0;
}

static void top_json(struct snapshot *snaps, int n)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("{\"time\":%.3f,\"processes\":[", (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	for (int k = 0; k < n; k++) {
		struct snapshot *s = &snaps[k];
		struct hj_stat t = total_of(s->counts);
		printf("%s{\"pid\":%d,\"command\":", k ? "," : "", s->pid);
		json_str(s->command);
		printf(",\"uptime\":%.3f,\"paused\":%s,\"counting\":%s,\"rules\":%d,", s->uptime,
		       s->paused ? "true" : "false", s->counting ? "true" : "false", s->rules);
		json_stat(&t, rate(t.calls, 0, s->uptime));
		printf(",\"per_call\":[");
		const char *sep = "";
		for (int id = 0; id < HJ_NCALLS; id++)
			if (s->counts[id].calls) {
				printf("%s{\"call\":\"%s\",", sep, hj_calls[id].name);
				json_stat(&s->counts[id], rate(s->counts[id].calls, 0, s->uptime));
				printf("}");
				sep = ",";
			}
		printf("]}");
	}
	printf("]}\n");
}

static void top_frame(struct snapshot *snaps, int n, struct seen *prev, int nprev, bool clear, int rows)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	if (clear)
		fputs("\033[H\033[2J", stdout);
	printf("hijack top - %02d:%02d:%02d  %d process%s%s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, n, n == 1 ? "" : "es",
	       clear ? "  (q quits)" : "");
	printf("%7s %-15s %10s %10s %8s %8s %10s  %s\n", "PID", "COMMAND", "CALLS/S", "CALLS", "ERRORS", "INJECTED",
	       "MEAN(us)", "RULES");
	int lines = 2;
	for (int k = 0; k < n; k++) {
		struct snapshot *s = &snaps[k];
		struct seen *p = NULL;
		for (int j = 0; j < nprev; j++)
			if (prev[j].pid == s->pid)
				p = &prev[j];
		double dt = p ? s->uptime - p->uptime : s->uptime;
		struct hj_stat t = total_of(s->counts), pt = p ? total_of(p->counts) : (struct hj_stat){ 0, 0, 0, 0 };
		printf("%7d %-15.15s %10.1f %10lu %8lu %8lu %10.2f  %d%s\n", s->pid, s->command, rate(t.calls, pt.calls, dt),
		       t.calls, t.errors, t.injected, t.calls ? (double)t.ns / 1e3 / (double)t.calls : 0.0, s->rules,
		       s->paused ? " paused" : "");
		lines++;
		/* its busiest calls, by rate, then by count */
		int order[HJ_NCALLS], m = 0;
		double r[HJ_NCALLS];
		for (int id = 0; id < HJ_NCALLS; id++)
			if (s->counts[id].calls) {
				r[id] = rate(s->counts[id].calls, p ? p->counts[id].calls : 0, dt);
				order[m++] = id;
			}
		for (int i = 1; i < m; i++)
			for (int j = i; j > 0 && (r[order[j]] > r[order[j - 1]] ||
					     (r[order[j]] == r[order[j - 1]] && s->counts[order[j]].calls > s->counts[order[j - 1]].calls)); j--) {
				int x = order[j];
				order[j] = order[j - 1];
				order[j - 1] = x;
			}
		int show = rows > 0 ? (rows - lines - (n - k - 1)) / (n - k) - 1 : 8;
		if (show > 8)
			show = 8;
		for (int i = 0; i < m && i < show; i++) {
			struct hj_stat *c = &s->counts[order[i]];
			printf("%7s   %-15.15s %8.1f %10lu %8lu %8lu %10.2f\n", "", hj_calls[order[i]].name, r[order[i]], c->calls,
			       c->errors, c->injected, (double)c->ns / 1e3 / (double)c->calls);
			lines++;
		}
	}
	if (!n)
		printf("(no hijacked process of yours is running)\n");
	fflush(stdout);
}

int hj_cmd_top(int argc, char **argv)
{
	bool once = false, json = false;
	double interval = 1.0;
	int want[256], nwant = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--once"))
			once = true;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if ((!strcmp(argv[i], "-d") || !strcmp(argv[i], "--delay")) && i + 1 < argc) {
			char *end;
			interval = strtod(argv[++i], &end);
			if (*end || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr, "hijack: top: -d %s: seconds between frames, 0.1 to 3600\n", argv[i]);
				return 2;
			}
		} else if (nwant < 256 && parse_pid(argv[i], &want[nwant])) {
			nwant++;
		} else {
			fprintf(stderr, "hijack: top: unknown argument '%s'\nusage: hijack top [PID...] [--once] [--json] [-d SECONDS]\n",
				argv[i]);
			return 2;
		}
	}
	if (json && !once) {
		fprintf(stderr, "hijack: top: --json prints one snapshot: give --once too\n");
		return 2;
	}
	bool live = !once;
	bool tty = live && isatty(0);
	if (tty && tcgetattr(0, &saved_tty) == 0) {
		struct termios raw = saved_tty;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		if (tcsetattr(0, TCSAFLUSH, &raw) == 0) {
			tty_raw = true;
			atexit(tty_restore);
			fputs("\033[?25l", stdout);	/* no cursor while it refreshes */
		}
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	struct snapshot *snaps = calloc(4096, sizeof *snaps);
	struct seen *prev = calloc(4096, sizeof *prev);
	int nprev = 0, status = 0;
	if (!snaps || !prev)
		return 1;
	while (!stop_asked) {
		int pids[4096], npids;
		if (nwant) {
			memcpy(pids, want, sizeof want[0] * (size_t)nwant);
			npids = nwant;
		} else {
			npids = channel_pids(pids, 4096);
		}
		int n = 0;
		for (int i = 0; i < npids; i++) {
			char err[1200];
			if (take_snapshot(pids[i], &snaps[n], err, sizeof err))
				n++;
			else if (nwant) {	/* a process named that is not there is said */
				if (!live)
					fprintf(stderr, "hijack: %s\n", err);
				status = 1;
			}
		}
		if (json) {
			top_json(snaps, n);
		} else {
			struct winsize ws = { 0 };
			int rows = tty && ioctl(1, TIOCGWINSZ, &ws) == 0 ? ws.ws_row : 0;
			top_frame(snaps, n, prev, nprev, live && isatty(1), rows);
		}
		if (!live)
			break;
		for (int k = 0; k < n; k++) {
			prev[k].pid = snaps[k].pid;
			prev[k].uptime = snaps[k].uptime;
			memcpy(prev[k].counts, snaps[k].counts, sizeof prev[k].counts);
		}
		nprev = n;
		struct pollfd pf = { 0, POLLIN, 0 };
		int waited = poll(&pf, tty ? 1 : 0, (int)(interval * 1000));
		if (waited > 0 && (pf.revents & POLLIN)) {
			char c = 0;
			if (read(0, &c, 1) == 1 && (c == 'q' || c == 'Q' || c == 3))
				break;
		}
	}
	tty_restore();
	free(snaps);
	free(prev);
	return live ? 0 : status;
}
