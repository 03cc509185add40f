/* Whether an exec will replace the image: the traced exec's line goes out
 * with "= 0" before the call (a working exec never returns), so a wrong
 * yes gives a line that says success and then a failure. Beyond the file
 * itself (a regular file we may execute), the kernel fails with ENOENT or
 * EACCES when a "#!" script's interpreter is missing or not runnable, and
 * when an ELF's PT_INTERP (its dynamic loader) is missing: both are read
 * here. A no must be sure (a wrong no loses the line of an exec that
 * worked), so anything else the kernel might refuse or take in some other
 * way (binfmt_misc, another machine's ELF) counts as runnable.
 *
 * Files are read with raw system calls: this runs inside a hooked exec,
 * and stat, open or read may be the program's own or hooked. */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/execcheck.h"

static bool regular_executable(const char *path)
{
	struct stat st;
	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0 && S_ISREG(st.st_mode) &&
	       syscall(SYS_faccessat, AT_FDCWD, path, X_OK) == 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0) == 0;
}

static long read_at(int fd, void *buf, size_t n, unsigned long off)
{
	return syscall(SYS_pread64, fd, buf, n, off);
}

/* The PT_INTERP path of a 64- or 32-bit ELF, in out; false for none. */
static bool elf_interp(int fd, const unsigned char *head, long len, char *out, size_t n)
{
	if (len < EI_NIDENT || memcmp(head, ELFMAG, SELFMAG))
		return false;
	bool is64 = head[EI_CLASS] == ELFCLASS64;
	unsigned long phoff, phnum, phentsize;
	if (is64 && len >= (long)sizeof(Elf64_Ehdr)) {
		const Elf64_Ehdr *eh = (const void *)head;
		phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
		if (phentsize != sizeof(Elf64_Phdr))
			return false;
	} else if (head[EI_CLASS] == ELFCLASS32 && len >= (long)sizeof(Elf32_Ehdr)) {
		const Elf32_Ehdr *eh = (const void *)head;
		phoff = eh->e_phoff, phnum = eh->e_phnum, phentsize = eh->e_phentsize;
		if (phentsize != sizeof(Elf32_Phdr))
			return false;
	} else {
		return false;
	}
	for (unsigned long i = 0; i < phnum && i < 256; i++) {
		unsigned long type, off, size;
		if (is64) {
			Elf64_Phdr ph;
			if (read_at(fd, &ph, sizeof ph, phoff + i * phentsize) != (long)sizeof ph)
				return false;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		} else {
			Elf32_Phdr ph;
			if (read_at(fd, &ph, sizeof ph, phoff + i * phentsize) != (long)sizeof ph)
				return false;
			type = ph.p_type, off = ph.p_offset, size = ph.p_filesz;
		}
		if (type != PT_INTERP)
			continue;
		/* the kernel wants a NUL-ended path of 2 to 4096 bytes */
		if (size < 2 || size > n || read_at(fd, out, size, off) != (long)size || out[size - 1])
			return false;
		return true;
	}
	return false;
}

/* Whether an ELF names a loader that is not there. Out of line: the
 * path's buffer is on the stack only here, not at each script level. */
__attribute__((noinline)) static bool loader_missing(int fd, const unsigned char *head, long len)
{
	char interp[4096];
	return elf_interp(fd, head, len, interp, sizeof interp) && !exists(interp);
}

/* The kernel follows "#!" through a few interpreters (a script run by a
 * script); past this many levels it is left to the kernel. */
#define SCRIPT_LEVELS 4

static bool runnable_at(const char *path, int depth)
{
	if (!regular_executable(path))
		return false;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;	/* executable but not readable: the kernel may still run it */
	unsigned char head[256];	/* the kernel reads this much of a "#!" line */
	long len = read_at(fd, head, sizeof head - 1, 0);
	bool ok = true;
	if (len >= 2 && head[0] == '#' && head[1] == '!') {
		syscall(SYS_close, fd);
		head[len] = 0;
		char *p = (char *)head + 2;
		p += strspn(p, " \t");
		size_t n = strcspn(p, " \t\n");
		/* a line longer than the buffer, or no interpreter: left to the kernel */
		if (n && (p[n] || len < (long)sizeof head - 1) && depth < SCRIPT_LEVELS) {
			p[n] = 0;
			ok = runnable_at(p, depth + 1);
		}
		return ok;
	}
	ok = !loader_missing(fd, head, len);
	syscall(SYS_close, fd);
	return ok;
}

bool hj_exec_runnable(const char *path)
{
	return runnable_at(path, 0);
}
