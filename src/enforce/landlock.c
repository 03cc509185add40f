/* Landlock: the allow-lists of paths (read, write, exec) and TCP ports
 * (connect), and, in every enforced run, a domain of its own: a process
 * in a Landlock domain cannot ptrace, nor open /proc/PID/root or /mem
 * of, a process outside it, which is how a sandboxed program would
 * otherwise make another process do what it may not.
 *
 * What each part needs (landlock_create_ruleset's version): paths ABI 1,
 * rename and link across directories (REFER) ABI 2, truncate ABI 3, TCP
 * ports ABI 4, device ioctls ABI 5. Debian 12's headers stop at ABI 2,
 * so the later constants are written here, as the kernel's uapi has them. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "enforce/enforce.h"

#define FS_EXECUTE (1ULL << 0)
#define FS_WRITE_FILE (1ULL << 1)
#define FS_READ_FILE (1ULL << 2)
#define FS_READ_DIR (1ULL << 3)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_REFER (1ULL << 13)
#define FS_TRUNCATE (1ULL << 14)
#define FS_IOCTL_DEV (1ULL << 15)
#define NET_BIND_TCP (1ULL << 0)
#define NET_CONNECT_TCP (1ULL << 1)
#define RULE_PATH_BENEATH 1
#define RULE_NET_PORT 2

/* landlock_ruleset_attr as ABI 6 has it; its size tells the kernel which
 * fields we give (8 bytes: paths only; 16: and ports) */
struct ruleset_attr {
	uint64_t fs, net, scoped;
};
#define SCOPE_SIGNAL (1ULL << 1)	/* ABI 6: no signal to a process outside */

struct net_port_attr {
	uint64_t allowed_access, port;
};

int hj_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

/* Every file-system right this ABI knows. */
static uint64_t fs_rights(int abi)
{
	uint64_t all = (1ULL << 13) - 1;	/* ABI 1: EXECUTE .. MAKE_SYM */
	if (abi >= 2)
		all |= FS_REFER;
	if (abi >= 3)
		all |= FS_TRUNCATE;
	if (abi >= 5)
		all |= FS_IOCTL_DEV;
	return all;
}

/* The rights a file (not a directory) can be given at all. */
static uint64_t file_rights(int abi)
{
	return (FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV) & fs_rights(abi);
}

/* the rights the ruleset handles: a rule may give no other */
static uint64_t handled;

static bool add_path(int ruleset, const char *path, uint64_t rights, int abi, char *err, size_t n)
{
	rights &= handled;
	int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, n, "Landlock: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (!S_ISDIR(st.st_mode))
		rights &= file_rights(abi);
	struct landlock_path_beneath_attr attr = { .allowed_access = rights, .parent_fd = fd };
	bool ok = rights == 0 || syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &attr, 0) == 0;
	if (!ok)
		snprintf(err, n, "Landlock: a rule on %s: %s", path, strerror(errno));
	close(fd);
	return ok;
}

/* A glob's rule: on the path the kernel can hold (policy.c), or on the
 * nearest directory above it that exists. */
static bool add_glob(int ruleset, const char *glob, uint64_t rights, int abi, char *err, size_t n)
{
	char base[PATH_MAX];
	bool tree, wider, missing;
	if (!hj_glob_base(glob, base, sizeof base, &tree, &wider, &missing)) {
		snprintf(err, n, "Landlock: '%s' is not a path", glob);
		return false;
	}
	return add_path(ruleset, base, rights, abi, err, n);
}

/* The ELF interpreter a program names (PT_INTERP): the kernel opens it
 * for execution too, so an exec rule on the program needs one on it. */
static bool interpreter(const char *prog, char *out, size_t n)
{
	int fd = open(prog, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf64_Ehdr eh;
	bool found = false;
	if (pread(fd, &eh, sizeof eh, 0) == sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		for (int i = 0; i < eh.e_phnum && !found; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != sizeof ph)
				break;
			if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < n &&
			    pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz) {
				out[ph.p_filesz - 1] = 0;
				found = true;
			}
		}
	}
	close(fd);
	return found;
}

/* A program may be run: it and its interpreter ("#!" scripts' own are
 * the user's to list, as the kernel sees them as programs of their own). */
static bool add_program(int ruleset, const char *path, int abi, char *err, size_t n)
{
	char interp[PATH_MAX];
	if (!add_path(ruleset, path, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR, abi, err, n))
		return false;
	return !interpreter(path, interp, sizeof interp) ||
	       add_path(ruleset, interp, FS_EXECUTE | FS_READ_FILE, abi, err, n);
}

bool hj_landlock_install(const struct hj_policy *p, const struct hj_enforce_own *own, char *err, size_t n)
{
	int abi = hj_landlock_abi();
	uint64_t all = fs_rights(abi) & ~FS_IOCTL_DEV, read = FS_READ_FILE | FS_READ_DIR;
	uint64_t write = all & ~(FS_EXECUTE | read);
	/* the rights of the kinds allow named; a kind not named stays free.
	 * (Device ioctls are no kind of ours: a terminal's stay free.)
	 * With none, a right nobody uses (making block devices) gives the
	 * domain that scopes ptrace and /proc. */
	struct ruleset_attr attr = { 0 };
	attr.fs = (p->allow_read ? read : 0) | (p->allow_write ? write : 0) | (p->allow_exec ? FS_EXECUTE : 0);
	bool paths = attr.fs != 0;
	if (!paths)
		attr.fs = FS_MAKE_BLOCK;
	bool any_port = false;
	for (int i = 0; i < p->connect.n; i++)
		if (p->connect.v[i][0] != '/' && p->connect.v[i][0] != '@') {
			const char *colon = strrchr(p->connect.v[i], ':');
			any_port |= !colon || !strcmp(colon + 1, "*");
		}
	if (abi >= 4) {
		if (p->deny_network)
			attr.net = NET_BIND_TCP | NET_CONNECT_TCP;
		else if (p->allow_connect && !any_port)	/* "host:*" leaves TCP to the in-process layer */
			attr.net = NET_CONNECT_TCP;
	}
	handled = attr.fs;
	if (abi >= 6)
		attr.scoped = SCOPE_SIGNAL;
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
				   abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof attr.fs : sizeof attr.fs, 0);
	if (ruleset < 0) {
		snprintf(err, n, "Landlock: cannot make a ruleset: %s", strerror(errno));
		return false;
	}
	bool ok = true;
	if (paths) {
		for (int i = 0; ok && i < p->read.n; i++) {
			/* an exact directory is its listing, as in-process: a
			 * rule on it gives READ_DIR alone (to all under it:
			 * Landlock holds no finer), not its files */
			char base[PATH_MAX];
			bool tree, wider, missing;
			struct stat st;
			bool exact_dir = hj_glob_base(p->read.v[i], base, sizeof base, &tree, &wider, &missing) && !tree &&
					 !missing && stat(base, &st) == 0 && S_ISDIR(st.st_mode);
			ok = add_glob(ruleset, p->read.v[i], exact_dir ? FS_READ_DIR : read, abi, err, n);
		}
		/* writing under a tree: every right but running programs */
		for (int i = 0; ok && i < p->write.n; i++)
			ok = add_glob(ruleset, p->write.v[i], read | write, abi, err, n);
		for (int i = 0; ok && i < p->exec.n; i++) {
			char base[PATH_MAX];
			bool tree, wider, missing;
			ok = hj_glob_base(p->exec.v[i], base, sizeof base, &tree, &wider, &missing);
			struct stat st;
			if (ok && !tree && !missing && stat(base, &st) == 0 && !S_ISDIR(st.st_mode))
				ok = add_program(ruleset, base, abi, err, n);
			else if (ok)
				ok = add_glob(ruleset, p->exec.v[i], FS_EXECUTE | read, abi, err, n);
		}
		/* hijack's own: the program it starts, its library (read, as
		 * the loader maps it), /proc (the library reads its process's
		 * maps; the domain keeps other processes' private files
		 * closed), the run's directory, its output and records */
		if (ok)
			ok = add_program(ruleset, own->prog, abi, err, n) &&
			     add_path(ruleset, own->library_dir, read, abi, err, n) &&
			     add_path(ruleset, "/proc", read, abi, err, n) &&
			     add_path(ruleset, own->run_dir, read | write, abi, err, n);
		if (ok && own->output) {
			char dir[PATH_MAX];
			snprintf(dir, sizeof dir, "%s", own->output);
			*strrchr(dir, '/') = 0;
			ok = own->output_separately ? add_path(ruleset, dir[0] ? dir : "/", read | write, abi, err, n)
						    : add_path(ruleset, own->output, FS_WRITE_FILE | FS_TRUNCATE, abi, err, n);
		}
		if (ok && own->record)
			ok = add_path(ruleset, own->record, FS_WRITE_FILE, abi, err, n);
		if (ok && own->replay)
			ok = add_path(ruleset, own->replay, FS_READ_FILE, abi, err, n);
	}
	for (int i = 0; ok && attr.net & NET_CONNECT_TCP && !p->deny_network && i < p->connect.n; i++) {
		const char *colon = strrchr(p->connect.v[i], ':');
		if (p->connect.v[i][0] == '/' || p->connect.v[i][0] == '@' || !colon)
			continue;
		struct net_port_attr pa = { .allowed_access = NET_CONNECT_TCP, .port = strtoull(colon + 1, NULL, 10) };
		if (syscall(SYS_landlock_add_rule, ruleset, RULE_NET_PORT, &pa, 0) != 0) {
			snprintf(err, n, "Landlock: connect %s: %s", p->connect.v[i], strerror(errno));
			ok = false;
		}
	}
	if (ok && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
		snprintf(err, n, "Landlock: cannot restrict the program: %s", strerror(errno));
		ok = false;
	}
	close(ruleset);
	return ok;
}
