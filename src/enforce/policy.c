/* The sandbox's rules as the launcher reads them from the scripts, and
 * the check, before anything starts, that the kernel can hold each: a
 * rule it cannot hold stops the run with the rule and the reason, never
 * a run with less protection than was asked for. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "calls.h"
#include "enforce/enforce.h"

static void push(struct hj_list *l, const char *s)
{
	l->v = realloc(l->v, sizeof *l->v * (size_t)(l->n + 1));
	l->v[l->n++] = strdup(s);
}

static bool listed(const struct hj_list *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	return false;
}

static void push_nr(int **v, int *n, int nr)
{
	for (int i = 0; i < *n; i++)
		if ((*v)[i] == nr)
			return;
	*v = realloc(*v, sizeof **v * (size_t)(*n + 1));
	(*v)[(*n)++] = nr;
}

/* Calls that do what another does, under other names, where the *at
 * twins (calls.c) do not find them: denied at the kernel, a name must
 * leave no way round it. Numbers for what Debian 12's headers lack. */
static const struct { const char *name; int nrs[4]; } equivalents[] = {
	{ "clone", { SYS_clone3, SYS_fork, SYS_vfork } },
	{ "stat", { SYS_statx, SYS_lstat, SYS_newfstatat } }, { "lstat", { SYS_statx, SYS_stat, SYS_newfstatat } },
	{ "newfstatat", { SYS_statx, SYS_stat, SYS_lstat } }, { "statx", { SYS_newfstatat, SYS_stat, SYS_lstat } },
	{ "chmod", { SYS_fchmodat, 452 /* fchmodat2 */ } }, { "fchmodat", { SYS_chmod, 452 } },
	{ "chown", { SYS_lchown, SYS_fchownat } }, { "lchown", { SYS_chown, SYS_fchownat } },
	{ "accept", { SYS_accept4 } }, { "dup2", { SYS_dup3 } }, { "pipe", { SYS_pipe2 } },
	{ "wait4", { SYS_waitid } }, { "waitid", { SYS_wait4 } }, { "poll", { SYS_ppoll } },
	{ "select", { SYS_pselect6 } }, { "epoll_wait", { SYS_epoll_pwait, 441 /* epoll_pwait2 */ } },
	{ "epoll_create", { SYS_epoll_create1 } }, { "eventfd", { SYS_eventfd2 } },
	{ "signalfd", { SYS_signalfd4 } }, { "inotify_init", { SYS_inotify_init1 } },
	{ "utime", { SYS_utimes, SYS_utimensat, SYS_futimesat } }, { "utimes", { SYS_utime, SYS_utimensat, SYS_futimesat } },
	{ "getdents", { SYS_getdents64 } }, { "getdents64", { SYS_getdents } },
	{ "sendfile", { SYS_copy_file_range, SYS_splice } }, { "creat", { SYS_open, SYS_openat, 437 /* openat2 */ } },
	{ "readlink", { SYS_readlinkat } }, { "access", { SYS_faccessat, 439 /* faccessat2 */ } },
	{ "kill", { SYS_tkill, SYS_tgkill, 424 /* pidfd_send_signal */ } },
	{ "send", { SYS_sendto, SYS_sendmsg, SYS_sendmmsg } }, { "sendto", { SYS_sendmsg, SYS_sendmmsg } },
	{ "recv", { SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg } }, { "recvfrom", { SYS_recvmsg, SYS_recvmmsg } },
};

/* The system calls of a name, or a message saying why it has none. */
static int syscalls_of(const char *what, const char *name, int nrs[HJ_MAXEXPAND], char *err, size_t n)
{
	int k = hj_call_sysnrs(name, nrs);
	if (k == 0)
		snprintf(err, n, "%s %s: %s", what, name,
			 hj_call_lookup(name) >= 0 ? "a library function, not a system call: the kernel sees the "
						     "calls it makes (`hijack run -c` names them); name those"
						   : "not a call (see `hijack calls`)");
	return k;
}

bool hj_policy_parse(const char *plan, struct hj_policy *p, char *err, size_t n)
{
	memset(p, 0, sizeof *p);
	char *copy = strdup(plan), *save = NULL;
	bool ok = true;
	for (char *line = strtok_r(copy, "\n", &save); ok && line; line = strtok_r(NULL, "\n", &save)) {
		char *arg = strchr(line, ' ');
		if (arg)
			*arg++ = 0;
		int nrs[HJ_MAXEXPAND], k;
		if (!strcmp(line, "enforce")) {
			p->from_script = true;
		} else if (!strcmp(line, "allow") && arg) {
			bool *named[] = { &p->allow_read, &p->allow_write, &p->allow_exec, &p->allow_connect, &p->allow_calls };
			const char *kinds[] = { "read", "write", "exec", "connect", "calls" };
			for (int i = 0; i < 5; i++)
				if (!strcmp(arg, kinds[i]))
					*named[i] = true;
		} else if (!arg) {
			snprintf(err, n, "a sandbox rule without its argument: '%s'", line);
			ok = false;
		} else if (!strcmp(line, "deny")) {
			if (!strcmp(arg, "network")) {
				p->deny_network = true;
			} else if (!strcmp(arg, "exec") || !strcmp(arg, "execve") || !strcmp(arg, "execveat")) {
				/* the program's own start is an execve: denied at
				 * the kernel, it could not start (see seccomp.c) */
				p->deny_exec = true;
			} else if ((ok = (k = syscalls_of("--deny", arg, nrs, err, n)) > 0)) {
				for (int i = 0; i < k; i++)
					push_nr(&p->deny_nrs, &p->ndeny, nrs[i]);
				for (size_t e = 0; e < sizeof equivalents / sizeof equivalents[0]; e++)
					if (!strcmp(equivalents[e].name, arg) ||
					    (k && hj_sys_row[nrs[0]] >= 0 && !strcmp(equivalents[e].name, hj_calls[hj_sys_row[nrs[0]]].name)))
						for (int i = 0; i < 4 && equivalents[e].nrs[i]; i++)
							push_nr(&p->deny_nrs, &p->ndeny, equivalents[e].nrs[i]);
			}
		} else if (!strcmp(line, "readonly") || !strcmp(line, "hide")) {
			struct hj_list *l = line[0] == 'r' ? &p->readonly : &p->hide;
			if (!listed(l, arg))
				push(l, arg);
		} else if (!strcmp(line, "calls")) {
			p->allow_calls = true;
			if ((ok = (k = syscalls_of("calls:", arg, nrs, err, n)) > 0)) {
				for (int i = 0; i < k; i++)
					push_nr(&p->allow_nrs, &p->nallow, nrs[i]);
			}
		} else if (!strcmp(line, "read") || !strcmp(line, "write") || !strcmp(line, "exec") ||
			   !strcmp(line, "connect")) {
			struct hj_list *l = line[0] == 'r' ? &p->read : line[0] == 'w' ? &p->write
					  : line[0] == 'e' ? &p->exec : &p->connect;
			*(line[0] == 'r' ? &p->allow_read : line[0] == 'w' ? &p->allow_write
			  : line[0] == 'e' ? &p->allow_exec : &p->allow_connect) = true;
			const char *colon = strrchr(arg, ':');
			char *end = NULL;
			if (colon && colon[1] != '*')
				strtoul(colon + 1, &end, 10);
			if (line[0] != 'c' && arg[0] != '/') {
				snprintf(err, n, "allow %s: '%s' is not an absolute path", line, arg);
				ok = false;
			} else if (line[0] == 'c' && arg[0] != '/' && arg[0] != '@' &&
				   (!colon || colon == arg || (colon[1] == '*' ? colon[2] != 0 : !end || end == colon + 1 || *end ||
							       strtoul(colon + 1, NULL, 10) > 65535))) {
				snprintf(err, n, "allow connect: '%s' is not \"host:port\", \"host:*\" or a unix socket's path", arg);
				ok = false;
			} else if (!listed(l, arg)) {
				push(l, arg);
			}
		} else {
			snprintf(err, n, "an unknown sandbox rule '%s'", line);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

bool hj_policy_any(const struct hj_policy *p)
{
	return p->deny_network || p->deny_exec || p->ndeny || p->readonly.n || p->hide.n || p->allow_read ||
	       p->allow_write || p->allow_exec || p->allow_connect || p->allow_calls;
}

bool hj_glob_base(const char *glob, char *base, size_t n, bool *tree, bool *wider, bool *missing)
{
	size_t len = strcspn(glob, "*?[");
	*wider = false;
	*tree = glob[len] != 0;
	if (*tree) {
		/* DIR then two stars, or one, name the tree DIR (the kernel holds a rule on
		 * a directory for all under it); a wildcard anywhere else
		 * leaves its directory, wider than the glob */
		const char *rest = glob + len;
		*wider = !(len && glob[len - 1] == '/' && (!strcmp(rest, "**") || !strcmp(rest, "*")));
		while (len && glob[len - 1] != '/')
			len--;
		while (len > 1 && glob[len - 1] == '/')
			len--;
	}
	if (!len || len >= n)
		return false;
	memcpy(base, glob, len);
	base[len] = 0;
	/* the nearest directory that exists holds a path not there yet (a
	 * tree the program makes, a build directory say) */
	struct stat st;
	*missing = stat(base, &st) != 0;
	while (strlen(base) > 1 && stat(base, &st) != 0)
		*strrchr(base, '/') = 0;
	if (!base[0])
		strcpy(base, "/");
	return true;
}

bool hj_path_inside(const char *path, const char *under)
{
	size_t n = strlen(under);
	return !strncmp(path, under, n) && (path[n] == '/' || path[n] == 0 || (n == 1 && under[0] == '/'));
}

static bool check_paths(const struct hj_list *l, const char *what, bool quiet, char *err, size_t n)
{
	for (int i = 0; i < l->n; i++) {
		char base[PATH_MAX];
		bool tree, wider, missing;
		if (!hj_glob_base(l->v[i], base, sizeof base, &tree, &wider, &missing)) {
			snprintf(err, n, "allow %s: '%s' is not a path the kernel can hold", what, l->v[i]);
			return false;
		}
		if (missing) {
			if (!quiet)
				fprintf(stderr, "hijack: --enforce: %s %s: does not exist yet; the kernel holds it as %s "
					"(all under it)\n", what, l->v[i], base);
		} else if (wider && !quiet) {
			fprintf(stderr, "hijack: --enforce: %s %s: the kernel holds %s (all under it); the glob "
				"itself is held in-process\n", what, l->v[i], base);
		}
	}
	return true;
}

bool hj_enforce_check(const struct hj_policy *p, const struct hj_enforce_own *own, bool quiet, char *err, size_t n)
{
	int abi = hj_landlock_abi();
	if (abi < 1) {
		snprintf(err, n, "this kernel has no Landlock (%s): every enforced rule needs it, to keep the "
			 "program from reaching processes outside the sandbox", strerror(errno));
		return false;
	}
	if (p->allow_write && abi < 3) {
		snprintf(err, n, "allow write: Landlock ABI %d cannot keep files outside the write paths from "
			 "being truncated (ABI 3 can)", abi);
		return false;
	}
	if (own->output_separately) {
		/* each process makes FILE.PID beside FILE: the rules would
		 * have to leave that whole directory open to every process */
		snprintf(err, n, "-ff writes a file per process beside %s, which the rules would have to leave "
			 "writable: give -o FILE without -ff", own->output);
		return false;
	}
	for (int i = 0; i < p->connect.n && !quiet; i++) {
		const char *colon = strrchr(p->connect.v[i], ':');
		if (colon && !strcmp(colon + 1, "*"))
			fprintf(stderr, "hijack: --enforce: connect %s: any port, so the kernel holds no TCP rule "
				"(Landlock holds ports, not hosts); the in-process rule holds it\n", p->connect.v[i]);
	}
	if (p->allow_connect && abi < 4) {
		snprintf(err, n, "allow connect: Landlock ABI %d holds no TCP rule (ABI 4 does)", abi);
		return false;
	}
	const struct hj_list *lists[] = { &p->readonly, &p->hide };
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < lists[k]->n; i++) {
			const char *path = lists[k]->v[i], *what = k ? "--hide" : "--readonly";
			struct stat st;
			if (lstat(path, &st) != 0) {
				snprintf(err, n, "%s %s: %s; the kernel holds a %s rule on a path that exists", what,
					 path, strerror(errno), k ? "hide" : "read-only");
				return false;
			}
			char cwd[PATH_MAX];
			if (k && getcwd(cwd, sizeof cwd) && hj_path_inside(cwd, path) && strcmp(cwd, path)) {
				snprintf(err, n, "--hide %s: it holds the working directory (%s)", path, cwd);
				return false;
			}
			if (k && (hj_path_inside(own->run_dir, path) || (own->output && hj_path_inside(own->output, path)))) {
				snprintf(err, n, "--hide %s: it would hide hijack's own %s (%s)", path,
					 hj_path_inside(own->run_dir, path) ? "run directory" : "output",
					 hj_path_inside(own->run_dir, path) ? own->run_dir : own->output);
				return false;
			}
		}
	return check_paths(&p->read, "read", quiet, err, n) && check_paths(&p->write, "write", quiet, err, n) &&
	       check_paths(&p->exec, "exec", quiet, err, n);
}

/* Root keeps what a container's root keeps (Docker's default set, less
 * MKNOD and NET_RAW): owning and changing files, its own ids, signals,
 * the ports below 1024. Gone: mounting, tracing, loading modules, raw
 * devices and I/O ports, opening files by handle (DAC_READ_SEARCH),
 * administering the network and the system; never to be had again
 * (no_new_privs, and out of the bounding set). */
static bool drop_capabilities(char *err, size_t n)
{
	static const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL, CAP_SETGID,
				    CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_AUDIT_WRITE,
				    CAP_SETFCAP };
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		mask |= 1ULL << keep[i];
	for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (!(mask >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
			snprintf(err, n, "cannot drop capability %d: %s", cap, strerror(errno));
			return false;
		}
	struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &head, data) != 0) {
		snprintf(err, n, "capget: %s", strerror(errno));
		return false;
	}
	for (int k = 0; k < 2; k++) {
		uint32_t m = (uint32_t)(mask >> (32 * k));
		data[k].effective &= m, data[k].permitted &= m, data[k].inheritable &= m;
	}
	if (syscall(SYS_capset, &head, data) != 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
		snprintf(err, n, "cannot drop capabilities: %s", strerror(errno));
		return false;
	}
	return true;
}

bool hj_enforce_install(const struct hj_policy *p, const struct hj_enforce_own *own, int sock, char *err, size_t n)
{
	/* the mounts first (they need the privilege that no_new_privs and
	 * the Landlock domain then take away), the filter last (it may
	 * refuse what the others need) */
	if (hj_mounts_needed(p) && !hj_mounts_install(p, own, err, n))
		return false;
	if (geteuid() == 0 && !drop_capabilities(err, n))
		return false;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, n, "no_new_privs: %s", strerror(errno));
		return false;
	}
	return hj_landlock_install(p, own, err, n) && hj_seccomp_install(p, sock, err, n);
}
