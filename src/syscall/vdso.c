/* The fake clock for programs that read the clock from the vDSO themselves.
 *
 * Go, and any program that looks up __vdso_clock_gettime, finds the
 * kernel's clock functions by parsing the vDSO image at
 * getauxval(AT_SYSINFO_EHDR): no libc function is called, so no wrapper
 * of ours sees the call. Such a look-up goes from the name (through
 * DT_HASH or DT_GNU_HASH, or a plain walk) to a .dynsym entry, and takes
 * load base + st_value. So we leave the vDSO's code alone and change
 * st_value in its .dynsym: every look-up made after our start lands on a
 * function of ours, which hands the call to the engine as libc's wrapper
 * does, and calls the original vDSO function (saved before the change).
 * The hash tables index symbols by name, not by value: they stay valid.
 *
 * glibc is not affected: the loader resolved its pointers into the vDSO
 * (clock_gettime's, and the time and gettimeofday IFUNCs of libc's own
 * relocations) before our constructor. Two look-ups can still come
 * later: a lazily bound IFUNC (time, gettimeofday) is resolved at its
 * first dlsym, our REAL() among them; we resolve ours before the change,
 * or libc's time would lead to our vDSO function and each call would be
 * seen, and faked, twice.
 *
 * The vDSO pages are read-only and shared; we first ask mprotect to make
 * them writable (a private copy), and where the kernel refuses (this
 * project's kernel answers EINVAL for any mprotect of [vdso]), write
 * through /proc/self/mem, which copies the page as a debugger's
 * breakpoint does. If both fail, we say so once for the run and leave
 * the vDSO as it was: the program runs, only its own vDSO readings stay
 * real. A missing vDSO (AT_SYSINFO_EHDR 0) or one of another layout is
 * left alone, silently. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <link.h>		/* ElfW */
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/ownfd.h"		/* HJ_RUN_PREFIX */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);

/* the vDSO's own functions, as they were before we changed the table */
static clock_gettime_fn vdso_clock_gettime;
static gettimeofday_fn vdso_gettimeofday;
static time_fn vdso_time;

/* The vDSO answers a failure as the kernel does (-errno, errno untouched);
 * the engine, the hooks and the trace see it as libc's (-1 and errno). */
static long as_libc(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static long invoke_clock_gettime(const long *a)
{
	return as_libc(vdso_clock_gettime((clockid_t)a[0], (struct timespec *)a[1]));
}

static long invoke_gettimeofday(const long *a)
{
	return as_libc(vdso_gettimeofday((struct timeval *)a[0], (void *)a[1]));
}

static long invoke_time(const long *a)
{
	return (long)vdso_time((time_t *)a[0]);
}

/* What the program gets back: the vDSO's convention again, errno as it was. */
static long as_vdso(long r, int saved_errno)
{
	if (r == -1)
		r = -(long)errno;
	errno = saved_errno;
	return r;
}

static int hooked_clock_gettime(clockid_t clock, struct timespec *tp)
{
	if (FAST(HJ_clock_gettime))
		return vdso_clock_gettime(clock, tp);
	int saved_errno = errno;
	long a[HJ_MAXARGS] = { (long)clock, (long)tp };
	return (int)as_vdso(hj_dispatch_clock(HJ_clock_gettime, a, invoke_clock_gettime), saved_errno);
}

static int hooked_gettimeofday(struct timeval *tv, void *tz)
{
	if (FAST(HJ_gettimeofday))
		return vdso_gettimeofday(tv, tz);
	int saved_errno = errno;
	long a[HJ_MAXARGS] = { (long)tv, (long)tz };
	return (int)as_vdso(hj_dispatch_clock(HJ_gettimeofday, a, invoke_gettimeofday), saved_errno);
}

/* time cannot fail (a bad pointer faults in the vDSO): its -1 is a time */
static time_t hooked_time(time_t *tloc)
{
	if (FAST(HJ_time))
		return vdso_time(tloc);
	int saved_errno = errno;
	long a[HJ_MAXARGS] = { (long)tloc };
	time_t r = (time_t)hj_dispatch_clock(HJ_time, a, invoke_time);
	errno = saved_errno;
	return r;
}

/* The names each row goes by in the vDSO: x86_64's, then arm64's. */
static const struct row {
	const char *names[3];
	void *ours;
	void **original;
} rows[] = {
	{ { "__vdso_clock_gettime", "clock_gettime", "__kernel_clock_gettime" },
	  (void *)hooked_clock_gettime, (void **)&vdso_clock_gettime },
	{ { "__vdso_gettimeofday", "gettimeofday", "__kernel_gettimeofday" },
	  (void *)hooked_gettimeofday, (void **)&vdso_gettimeofday },
	{ { "__vdso_time", "time", NULL }, (void *)hooked_time, (void **)&vdso_time },
};
#define NROWS (sizeof rows / sizeof rows[0])

/* The vDSO's image as a symbol look-up sees it. */
struct image {
	uintptr_t lo, hi;		/* the mapped image */
	uintptr_t load;			/* what st_value is added to */
	ElfW(Sym) *syms;
	size_t nsyms;
	const char *strs;
	size_t strsz;
};

static bool inside(const struct image *im, uintptr_t p, size_t n)
{
	return p >= im->lo && p <= im->hi && n <= im->hi - p;
}

/* The number of symbols a GNU hash table covers: one past the last
 * index its buckets and chains reach. */
static size_t gnu_hash_count(const struct image *im, uintptr_t table)
{
	if (!inside(im, table, 16))
		return 0;
	const uint32_t *h = (const uint32_t *)table;
	uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2];
	uintptr_t buckets = table + 16 + (uintptr_t)bloom * sizeof(ElfW(Addr));
	if (!inside(im, buckets, (size_t)nbuckets * 4))
		return 0;
	const uint32_t *bucket = (const uint32_t *)buckets, *chain = bucket + nbuckets;
	uint32_t last = 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (bucket[i] > last)
			last = bucket[i];
	if (last < symoffset)
		return symoffset;
	for (;; last++) {
		const uint32_t *c = chain + (last - symoffset);
		if (!inside(im, (uintptr_t)c, 4))
			return 0;
		if (*c & 1)
			return (size_t)last + 1;
	}
}

/* Reads the headers and dynamic table of the image at base; false for
 * anything but the layout look-ups expect. */
static bool read_image(uintptr_t base, struct image *im)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	if (!hj_readable(eh, sizeof *eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != (sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    eh->e_phentsize != sizeof(ElfW(Phdr)) || eh->e_phnum == 0 || eh->e_phnum > 64)
		return false;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);
	if (!hj_readable(ph, (size_t)eh->e_phnum * sizeof *ph))
		return false;
	const ElfW(Phdr) *load = NULL, *dynamic = NULL;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !load)
			load = &ph[i];
		else if (ph[i].p_type == PT_DYNAMIC)
			dynamic = &ph[i];
	}
	/* glibc takes base - p_vaddr for the load base, Go base + p_offset -
	 * p_vaddr: one st_value serves both only when the image starts at
	 * offset 0, as every vDSO does */
	if (!load || !dynamic || load->p_offset != 0 || load->p_memsz < sizeof *eh || load->p_memsz > (1u << 24))
		return false;
	im->lo = base;
	im->hi = base + load->p_memsz;
	im->load = base - load->p_vaddr;
	if (!hj_readable((void *)im->lo, im->hi - im->lo))
		return false;
	uintptr_t dyn = im->load + dynamic->p_vaddr;
	if (!inside(im, dyn, dynamic->p_memsz))
		return false;
	uintptr_t symtab = 0, strtab = 0, hash = 0, gnu_hash = 0;
	size_t syment = sizeof(ElfW(Sym));
	im->strsz = 0;
	for (const ElfW(Dyn) *d = (const ElfW(Dyn) *)dyn;
	     (uintptr_t)(d + 1) <= dyn + dynamic->p_memsz && d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: symtab = im->load + d->d_un.d_ptr; break;
		case DT_STRTAB: strtab = im->load + d->d_un.d_ptr; break;
		case DT_STRSZ: im->strsz = d->d_un.d_val; break;
		case DT_SYMENT: syment = d->d_un.d_val; break;
		case DT_HASH: hash = im->load + d->d_un.d_ptr; break;
		case DT_GNU_HASH: gnu_hash = im->load + d->d_un.d_ptr; break;
		}
	}
	if (!symtab || !strtab || syment != sizeof(ElfW(Sym)) || !inside(im, strtab, im->strsz))
		return false;
	im->nsyms = 0;
	if (hash && inside(im, hash, 8))
		im->nsyms = ((const uint32_t *)hash)[1];	/* nchain: one per symbol */
	else if (gnu_hash)
		im->nsyms = gnu_hash_count(im, gnu_hash);
	if (!im->nsyms || im->nsyms > 4096 || !inside(im, symtab, im->nsyms * sizeof(ElfW(Sym))))
		return false;
	im->syms = (ElfW(Sym) *)symtab;
	im->strs = (const char *)strtab;
	return true;
}

/* The row a symbol of the image belongs to, or -1. */
static int row_of(const struct image *im, const ElfW(Sym) *s)
{
	/* the same bits in ELF32 */
	if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF || s->st_name >= im->strsz)
		return -1;
	const char *name = im->strs + s->st_name;
	size_t room = im->strsz - s->st_name;
	for (size_t r = 0; r < NROWS; r++)
		for (int k = 0; k < 3 && rows[r].names[k]; k++)
			if (strnlen(name, room) == strlen(rows[r].names[k]) && !strcmp(name, rows[r].names[k]))
				return (int)r;
	return -1;
}

struct change {
	ElfW(Addr) *where;
	ElfW(Addr) value;
};

/* Why the table could not be changed: each way tried, and its errno. */
struct refusal {
	int mprotect_err;
	const char *step;		/* of the /proc/self/mem way */
	int step_err;
};

/* Writes the new values into the read-only image: through a private
 * writable copy if mprotect allows one, else through /proc/self/mem. */
static bool write_changes(const struct image *im, const struct change *ch, int n, struct refusal *no)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = im->hi, hi = im->lo;
	for (int i = 0; i < n; i++) {
		uintptr_t p = (uintptr_t)ch[i].where;
		lo = p < lo ? p : lo;
		hi = p + sizeof(ElfW(Addr)) > hi ? p + sizeof(ElfW(Addr)) : hi;
	}
	lo &= ~(page - 1);
	hi = (hi + page - 1) & ~(page - 1);
	/* PROT_EXEC stays: the code shares these pages, and another thread may run it */
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) {
		for (int i = 0; i < n; i++)
			__atomic_store_n(ch[i].where, ch[i].value, __ATOMIC_RELEASE);
		mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC);
		return true;
	}
	no->mprotect_err = errno;
	long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		no->step = "open /proc/self/mem";
		no->step_err = errno;
		return false;
	}
	bool ok = true;
	for (int i = 0; ok && i < n; i++) {
		long put = syscall(SYS_pwrite64, fd, &ch[i].value, sizeof ch[i].value, (off_t)(uintptr_t)ch[i].where);
		if (put != (long)sizeof ch[i].value || *ch[i].where != ch[i].value) {
			no->step = "writing /proc/self/mem";
			no->step_err = put < 0 ? errno : EIO;
			ok = false;
		}
	}
	syscall(SYS_close, fd);
	return ok;
}

/* Once for the run: every process would fail the same way. The first
 * to make the marker in the launcher's run directory says it; without
 * the launcher, the first of a line of exec'd processes. */
static bool first_to_say(void)
{
	const char *dir = hj_env("HIJACK_RUN_DIR");
	if (dir && *dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/" HJ_RUN_PREFIX "vdso-said", dir);	/* the launcher removes it */
		long fd = syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno != EEXIST;
		syscall(SYS_close, fd);
		return true;
	}
	if (hj_env("HIJACK_VDSO_SAID"))
		return false;
	hj_env_set("HIJACK_VDSO_SAID", "1");
	return true;
}

static void say_not_hooked(const struct refusal *no)
{
	if (!first_to_say())
		return;
	char msg[320];
	int len = snprintf(msg, sizeof msg,
			   "hijack: cannot change the vDSO's symbol table (mprotect: %s; %s: %s): programs "
			   "that read the clock from the vDSO themselves (Go) see the real clock\n",
			   hj_strerror(no->mprotect_err), no->step, hj_strerror(no->step_err));
	if (len > 0)
		hj_log(msg, (size_t)len < sizeof msg ? (size_t)len : sizeof msg - 1);
}

void hj_vdso_hook(void)
{
	if (!hj_wanted[HJ_clock_gettime] && !hj_wanted[HJ_gettimeofday] && !hj_wanted[HJ_time])
		return;
	uintptr_t base = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
	struct image im;
	if (!base || !read_image(base, &im))
		return;
	/* libc's own, found now: a lazy IFUNC resolved after the change
	 * would lead to our functions below (see the top) */
	(void)REAL(clock_gettime), (void)REAL(gettimeofday), (void)REAL(time);

	struct change ch[16];
	int n = 0;
	uintptr_t original[NROWS] = { 0 };
	for (size_t i = 1; i < im.nsyms && n < (int)(sizeof ch / sizeof ch[0]); i++) {
		ElfW(Sym) *s = &im.syms[i];
		int r = row_of(&im, s);
		if (r < 0)
			continue;
		uintptr_t fn = im.load + s->st_value;
		if (!inside(&im, fn, 1))
			return;		/* already ours (a second start?) or not code of the image */
		/* the aliases of a row are one function; another would need
		 * an invoke of its own */
		if (original[r] && original[r] != fn)
			continue;
		original[r] = fn;
		/* st_value is unsigned: base + value wraps around to our function */
		ch[n++] = (struct change){ &s->st_value, (ElfW(Addr))((uintptr_t)rows[r].ours - im.load) };
	}
	if (!n)
		return;
	for (size_t r = 0; r < NROWS; r++)
		if (original[r])
			*rows[r].original = (void *)original[r];
	struct refusal no = { 0, "", 0 };
	if (!write_changes(&im, ch, n, &no))
		say_not_hooked(&no);
}
