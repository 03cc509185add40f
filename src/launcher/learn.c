/* hijack learn -o POLICY.rb [RUN OPTIONS] [--] COMMAND...: runs COMMAND
 * as `hijack run` does (children followed, execs included), with
 * Hijack::Learn noting in each process what it reads, writes, runs and
 * connects to, and the run's -c counts naming the calls it made; then
 * writes that as a Ruby policy for Hijack::Sandbox.allow (grouped by
 * Hijack::Learn.write, in this process's own VM). The policy is written
 * whole or not at all: to a file beside it, renamed into place. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "vm/vm.h"

int hj_cmd_learn(int argc, char **argv, int (*run)(int, char **));

static const char learn_usage[] =
	"usage: hijack learn -o POLICY.rb [RUN OPTIONS] [--] COMMAND [ARG...]\n"
	"  runs COMMAND as `hijack run` would (RUN OPTIONS as there, but -o, which names\n"
	"  the policy; the trace and logs go to stderr at the end) and writes POLICY.rb,\n"
	"  a Hijack::Sandbox.allow of what it did: paths read and written (trees where a\n"
	"  tree is used; a file made, removed or renamed gives its directory's tree),\n"
	"  programs run, peers connected, system calls made.\n"
	"  `hijack run -s POLICY.rb -- COMMAND` then logs what the policy would refuse;\n"
	"  `hijack run --enforce -s POLICY.rb -- COMMAND` refuses it.\n"
	"  exit status: COMMAND's; 2 for a usage error or a policy that cannot be written\n";

static int learn_error(const char *fmt, const char *arg)
{
	fputs("hijack: learn: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nTry 'hijack learn --help' for more information.\n", stderr);
	return 2;
}

/* `hijack run`'s options that take their value as the next word. */
static bool takes_value(const char *opt)
{
	static const char *const with[] = { "-s", "--script", "-e", "--eval", "--inject", "--seed", "--time",
		"--redirect", "--readonly", "--hide", "--deny", "--record", "--replay", "--hook-timeout",
		"--vm-memory" };
	for (size_t i = 0; i < sizeof with / sizeof with[0]; i++)
		if (!strcmp(opt, with[i]))
			return true;
	return false;
}

/* s as a Ruby single-quoted literal, appended to *buf. */
static void ruby_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t need = *len + 2 * strlen(s) + 3;
	if (need >= *cap) {
		*cap = need * 2;
		*buf = realloc(*buf, *cap);
	}
	char *p = *buf + *len;
	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '\'';
	*p = 0;
	*len = (size_t)(p - *buf);
}

static void cat(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 >= *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* The command as a shell would take it back: words quoted where needed. */
static void shell_words(char *out, size_t n, char **words)
{
	size_t len = 0;
	out[0] = 0;
	for (int i = 0; words[i] && len + 4 < n; i++) {
		const char *w = words[i];
		bool plain = *w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == strlen(w);
		if (i)
			out[len++] = ' ';
		bool control = false;
		for (const char *c = w; *c; c++)
			control |= (unsigned char)*c < 0x20 || *c == 0x7f;
		if (plain) {
			len += (size_t)snprintf(out + len, n - len, "%s", w);
		} else if (control) {
			/* bash's $'...', so that the command stays on its comment line */
			len += (size_t)snprintf(out + len, n - len, "$'");
			for (; *w && len + 8 < n; w++) {
				unsigned char c = (unsigned char)*w;
				len += c == '\n' ? (size_t)snprintf(out + len, n - len, "\\n")
				     : c == '\t' ? (size_t)snprintf(out + len, n - len, "\\t")
				     : c == '\\' || c == '\'' ? (size_t)snprintf(out + len, n - len, "\\%c", c)
				     : c < 0x20 || c == 0x7f ? (size_t)snprintf(out + len, n - len, "\\x%02x", c)
				     : (size_t)snprintf(out + len, n - len, "%c", c);
			}
			out[len++] = '\'';
		} else {
			out[len++] = '\'';
			for (; *w && len + 6 < n; w++)
				len += *w == '\'' ? (size_t)snprintf(out + len, n - len, "'\\''")
						  : (size_t)snprintf(out + len, n - len, "%c", *w);
			out[len++] = '\'';
		}
		if (len >= n)
			len = n - 1;
		out[len] = 0;
	}
}

/* The calls the run's -c table names, as Ruby [[name, group], ...]; the
 * rest of the log (what the run said) goes to stderr, and the table too
 * when the user asked for -c. Library functions that are not system
 * calls (fopen, malloc, clock_gettime...) are left out. */
static void read_log(const char *log, bool show_table, char **calls, size_t *len, size_t *cap)
{
	cat(calls, len, cap, "[");
	FILE *f = fopen(log, "re");
	if (!f) {
		cat(calls, len, cap, "]");
		return;
	}
	char line[4096];
	int state = 0, dashes = 0;	/* 0 before the table, 1 in it, 2 its total, 3 after */
	bool first = true;
	while (fgets(line, sizeof line, f)) {
		if (state == 0 && !strncmp(line, "% time", 6))
			state = 1;
		bool table = state == 1 || state == 2;
		if (state == 2) {
			state = 3;
		} else if (state == 1 && !strncmp(line, "------", 6)) {
			if (++dashes == 2)
				state = 2;
		} else if (state == 1 && dashes == 1) {
			char *end = line + strcspn(line, "\n");
			*end = 0;
			char *name = strrchr(line, ' ');
			name = name ? name + 1 : line;
			int id = -1;
			for (int i = 0; i < HJ_NCALLS && id < 0; i++)
				if (!strcmp(hj_calls[i].name, name))
					id = i;
			if (id >= 0 && !hj_row_library_level(id)) {
				if (!first)
					cat(calls, len, cap, ", ");
				first = false;
				cat(calls, len, cap, "[");
				ruby_str(calls, len, cap, name);
				cat(calls, len, cap, ", ");
				ruby_str(calls, len, cap, hj_group_name(hj_calls[id].groups));
				cat(calls, len, cap, "]");
			}
			*end = '\n';
		}
		if (!table || show_table)
			fputs(line, stderr);
	}
	fclose(f);
	cat(calls, len, cap, "]");
}

int hj_cmd_learn(int argc, char **argv, int (*run)(int, char **))
{
	const char *policy = NULL;
	int cmd = -1;
	bool summary = false;
	char **pass = calloc((size_t)argc + 8, sizeof *pass);
	int npass = 0;
	pass[npass++] = "run";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			cmd = i + 1;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(learn_usage, stdout);
			return free(pass), 0;
		}
		const char *out = NULL;
		if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (i + 1 >= argc)
				return free(pass), learn_error("%s needs the policy's file name", a);
			out = argv[++i];
		} else if (!strncmp(a, "--output=", 9)) {
			out = a + 9;
		} else if (!strncmp(a, "-o", 2) && a[2]) {
			out = a + 2;
		}
		if (out) {
			if (policy)
				return free(pass), learn_error("-o names the policy, once (the trace goes to stderr): %s", out);
			policy = out;
			continue;
		}
		if (a[0] != '-' || !a[1]) {
			cmd = i;
			break;
		}
		if (!strcmp(a, "-c") || !strcmp(a, "--summary"))
			summary = true;
		if (!strcmp(a, "-ff") || !strcmp(a, "--output-separately"))
			return free(pass), learn_error("%s: the run's log is one file, which the policy is learned from", a);
		/* a trace set limits the counts, which name the calls learned */
		const char *set = !strncmp(a, "--trace=", 8) ? a + 8 : !strncmp(a, "-t", 2) && a[2] ? a + 2 + (a[2] == '=')
				: !strcmp(a, "-e") && i + 1 < argc && !strncmp(argv[i + 1], "trace=", 6) ? argv[i + 1] + 6
				: !strcmp(a, "-e") && i + 1 < argc && !strncmp(argv[i + 1], "t=", 2) ? argv[i + 1] + 2 : NULL;
		if (set && *set && strcmp(set, "all"))
			return free(pass), learn_error("%s: a trace set would leave calls out of the policy; -t traces them all", a);
		pass[npass++] = argv[i];
		if (takes_value(a)) {
			if (i + 1 >= argc)
				return free(pass), learn_error("option '%s' needs an argument", a);
			pass[npass++] = argv[++i];
		}
	}
	if (!policy)
		return free(pass), learn_error("%s", "name the policy to write: -o POLICY.rb");
	if (cmd < 0 || cmd >= argc)
		return free(pass), learn_error("%s", "no command given");

	/* a place we cannot write is said before the command runs, not
	 * after; the file beside it is made after the run, so that the
	 * command (git add .) never sees it */
	char where[PATH_MAX], tmp[PATH_MAX], found[PATH_MAX];
	snprintf(where, sizeof where, "%s", policy);
	char *slash = strrchr(where, '/');
	if (slash)
		*(slash == where ? slash + 1 : slash) = 0;
	struct stat pst;
	if (access(slash ? where : ".", W_OK) != 0) {
		fprintf(stderr, "hijack: learn: %s: %s\n", policy, strerror(errno));
		return free(pass), 2;
	}
	if (stat(policy, &pst) == 0 && S_ISDIR(pst.st_mode)) {
		fprintf(stderr, "hijack: learn: %s: a directory\n", policy);
		return free(pass), 2;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp-%d", policy, (int)getpid());
	/* a static program makes no call hijack can see: its policy would
	 * be empty, and refuse the very command it was learned from */
	const char *unseen = hj_which(argv[cmd], found, sizeof found) ? hj_unhookable(found) : NULL;
	if (unseen) {
		fprintf(stderr, "hijack: learn: %s %s: hijack cannot see its calls, so no policy can be learned\n",
			argv[cmd], unseen);
		return free(pass), 2;
	}
	char dir[] = "/tmp/hijack-learn-XXXXXX";
	if (!mkdtemp(dir)) {
		fprintf(stderr, "hijack: learn: cannot make a directory for the notes: %s\n", strerror(errno));
		return free(pass), 2;
	}
	char notes[PATH_MAX], log[PATH_MAX], code[PATH_MAX + 64];
	snprintf(notes, sizeof notes, "%s/notes", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	snprintf(code, sizeof code, "Hijack::Learn.record('%s')", notes);
	pass[npass++] = "-c";
	pass[npass++] = "-o";
	pass[npass++] = log;
	pass[npass++] = "-e";
	pass[npass++] = code;
	pass[npass++] = "--";
	char **all = calloc((size_t)(npass + argc - cmd + 1), sizeof *all);
	memcpy(all, pass, sizeof *pass * (size_t)npass);
	memcpy(all + npass, argv + cmd, sizeof *argv * (size_t)(argc - cmd));
	int status = run(npass + argc - cmd, all);
	free(all);
	free(pass);

	char *calls = NULL;
	size_t len = 0, cap = 0;
	read_log(log, summary, &calls, &len, &cap);
	unlink(log);
	struct stat st;
	bool noted = stat(notes, &st) == 0;
	int result = status;
	int fd = -1;
	if (!noted && (status == 2 || status == 126 || status == 127)) {
		/* the command never ran under us: no policy of it */
	} else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "hijack: learn: %s: %s\n", tmp, strerror(errno));
		result = 2;
	} else {
		close(fd);
		char words[2048], header[2200], prog[PATH_MAX], abs[2 * PATH_MAX + 2] = "";
		shell_words(words, sizeof words, argv + cmd);
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		snprintf(header, sizeof header, "`%s`, %04d-%02d-%02d", words, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		if (hj_which(argv[cmd], prog, sizeof prog)) {
			char cwd[PATH_MAX];
			if (prog[0] == '/')
				snprintf(abs, sizeof abs, "%s", prog);
			else if (getcwd(cwd, sizeof cwd))
				snprintf(abs, sizeof abs, "%s/%s", cwd, prog);
		}
		char policy_abs[2 * PATH_MAX + 2], cwd[PATH_MAX];
		if (policy[0] != '/' && getcwd(cwd, sizeof cwd))
			snprintf(policy_abs, sizeof policy_abs, "%s/%s", cwd, policy);
		else
			snprintf(policy_abs, sizeof policy_abs, "%s", policy);
		char *ruby = NULL;
		size_t rlen = 0, rcap = 0;
		cat(&ruby, &rlen, &rcap, "Hijack::Learn.write(");
		ruby_str(&ruby, &rlen, &rcap, notes);
		cat(&ruby, &rlen, &rcap, ", ");
		ruby_str(&ruby, &rlen, &rcap, tmp);
		cat(&ruby, &rlen, &rcap, ", ");
		ruby_str(&ruby, &rlen, &rcap, header);
		cat(&ruby, &rlen, &rcap, ", ");
		ruby_str(&ruby, &rlen, &rcap, abs);
		cat(&ruby, &rlen, &rcap, ", ");
		cat(&ruby, &rlen, &rcap, calls);
		cat(&ruby, &rlen, &rcap, ", [");
		ruby_str(&ruby, &rlen, &rcap, dir);
		cat(&ruby, &rlen, &rcap, ", ");
		ruby_str(&ruby, &rlen, &rcap, policy_abs);
		cat(&ruby, &rlen, &rcap, "])");
		hj_fired_off();	/* this VM writes a file; it is no run's */
		bool ok = hj_vm_start(NULL, ruby, NULL, 0, NULL);
		free(ruby);
		if (ok && rename(tmp, policy) != 0) {
			fprintf(stderr, "hijack: learn: %s: %s\n", policy, strerror(errno));
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "hijack: learn: the policy was not written\n");
			unlink(tmp);
			result = 2;
		}
	}
	free(calls);
	unlink(notes);
	rmdir(dir);
	return result;
}
