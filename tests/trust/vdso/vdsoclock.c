/* Reads the clock as Go does: finds the vDSO's functions by parsing its
 * image at getauxval(AT_SYSINFO_EHDR) (PT_DYNAMIC, DT_SYMTAB, DT_STRTAB,
 * and DT_GNU_HASH or DT_HASH for the symbol count), never through libc.
 *
 *   vdsoclock WAY [N]   WAY: clock_gettime, gettimeofday, time (the vDSO's),
 *                       libc, libc-gettimeofday, libc-time (libc's: lazily
 *                       bound IFUNCs, the last two), errors (a bad clock id
 *                       through the vDSO: its -errno, errno untouched);
 *                       prints the year N times (default 1);
 *                       dlsym (the vDSO's clock_gettime found by the
 *                       dynamic loader: dlopen("linux-vdso.so.1"), dlsym);
 *                       bench-vdso, bench-libc (N clock_gettime calls: the
 *                       ns a call, timed by the kernel's own clock);
 *                       where (where __vdso_clock_gettime leads: "image" or
 *                       a file's name, and the image's protection)
 *
 * Built with -rdynamic, its getauxval is the one the preloaded library
 * calls: VDSO_AUX in the environment gives it another vDSO to find:
 *   none    AT_SYSINFO_EHDR 0, as on a kernel booted with vdso=0
 *   junk    bytes that are no ELF image;  unmapped  an address with no page
 *   copy    a private read-only copy of the vDSO (mprotect may change it)
 *   shared  the same mapped shared from a read-only file (neither mprotect
 *           nor /proc/self/mem may write it)
 * The copies are for looking at only: their code finds no kernel data. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

static uintptr_t image_lo, image_hi;

static uintptr_t copy_of_vdso(uintptr_t real, int shared)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)real;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(real + eh->e_phoff);
	size_t size = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && !size)
			size = (ph[i].p_memsz + 4095) & ~(size_t)4095;
	void *p;
	if (shared) {
		char path[] = "/tmp/vdsoclock.XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || write(fd, (void *)real, size) != (ssize_t)size)
			return 0;
		close(fd);
		fd = open(path, O_RDONLY);
		unlink(path);
		p = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
		close(fd);
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			memcpy(p, (void *)real, size);
			mprotect(p, size, PROT_READ | PROT_EXEC);
		}
	}
	if (p == MAP_FAILED)
		return 0;
	image_lo = (uintptr_t)p;
	image_hi = image_lo + size;
	return image_lo;
}

unsigned long getauxval(unsigned long type)
{
	static unsigned long (*real)(unsigned long);
	static uintptr_t fake;
	static char junk[4096] = "no ELF here";
	if (!real)
		real = (unsigned long (*)(unsigned long))dlsym(RTLD_NEXT, "getauxval");
	const char *mode = getenv("VDSO_AUX");
	if (type != AT_SYSINFO_EHDR || !mode)
		return real(type);
	if (!strcmp(mode, "none"))
		return 0;
	if (!strcmp(mode, "junk"))
		return (uintptr_t)junk;
	if (!strcmp(mode, "unmapped"))
		return 4096;
	if (!fake)
		fake = copy_of_vdso(real(type), !strcmp(mode, "shared"));
	return fake;
}

static uintptr_t load;
static const Elf64_Sym *syms;
static const char *strs;
static size_t nsyms;

static int parse(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	if (!base)
		return 0;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int loaded = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !loaded) {
			loaded = 1;
			load = base + ph[i].p_offset - ph[i].p_vaddr;	/* as Go */
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(uintptr_t)ph[i].p_vaddr;
		}
	}
	if (!loaded || !dyn)
		return 0;
	dyn = (const Elf64_Dyn *)(load + (uintptr_t)dyn);
	const uint32_t *hash = NULL, *gnu = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = load + dyn->d_un.d_ptr;
		if (dyn->d_tag == DT_SYMTAB) syms = (const Elf64_Sym *)p;
		if (dyn->d_tag == DT_STRTAB) strs = (const char *)p;
		if (dyn->d_tag == DT_HASH) hash = (const uint32_t *)p;
		if (dyn->d_tag == DT_GNU_HASH) gnu = (const uint32_t *)p;
	}
	if (hash) {
		nsyms = hash[1];
	} else if (gnu) {
		uint32_t nb = gnu[0], off = gnu[1], bloom = gnu[2], last = 0;
		const uint32_t *bucket = (const uint32_t *)((const char *)(gnu + 4) + bloom * 8);
		const uint32_t *chain = bucket + nb;
		for (uint32_t i = 0; i < nb; i++)
			if (bucket[i] > last)
				last = bucket[i];
		while (last >= off && !(chain[last - off] & 1))
			last++;
		nsyms = last + 1;
	}
	return syms && strs && nsyms;
}

static void *find(const char *name)
{
	for (size_t i = 1; i < nsyms; i++)
		if (ELF64_ST_TYPE(syms[i].st_info) == STT_FUNC && syms[i].st_shndx != SHN_UNDEF &&
		    !strcmp(strs + syms[i].st_name, name))
			return (void *)(load + syms[i].st_value);
	return NULL;
}

static int year(time_t t)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

int main(int argc, char **argv)
{
	const char *way = argc > 1 ? argv[1] : "clock_gettime";
	long n = argc > 2 ? atol(argv[2]) : 1;
	if (!strcmp(way, "where")) {
		/* before parse: it would make the copy only now, after our start */
		getauxval(AT_SYSINFO_EHDR);
	}
	int libc = !strncmp(way, "libc", 4) || !strcmp(way, "bench-libc");
	if (!libc && !parse()) {
		puts("no vdso");
		return 1;
	}
	int (*cg)(clockid_t, struct timespec *) = (int (*)(clockid_t, struct timespec *))find("__vdso_clock_gettime");
	int (*gtod)(struct timeval *, void *) = (int (*)(struct timeval *, void *))find("__vdso_gettimeofday");
	time_t (*tm)(time_t *) = (time_t (*)(time_t *))find("__vdso_time");
	if (!libc && (!cg || !gtod || !tm)) {
		puts("symbols missing");
		return 1;
	}
	if (!strcmp(way, "where")) {
		Dl_info info;
		uintptr_t p = (uintptr_t)cg;
		char line[256], prot[8] = "?";
		FILE *maps = fopen("/proc/self/maps", "r");
		while (maps && fgets(line, sizeof line, maps)) {
			unsigned long lo, hi;
			if (sscanf(line, "%lx-%lx %4s", &lo, &hi, prot) == 3 && lo == image_lo)
				break;
			strcpy(prot, "?");
		}
		if (p >= image_lo && p < image_hi)
			printf("image %s\n", prot);
		else
			printf("%s %s\n", dladdr((void *)p, &info) && info.dli_fname ? info.dli_fname : "?", prot);
		return 0;
	}
	if (!strncmp(way, "bench-", 6)) {
		/* the kernel's clock: neither path of ours sees a raw syscall */
		struct timespec t0, t1, ts;
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t0);
		for (long i = 0; i < n; i++)
			if (libc)
				clock_gettime(CLOCK_REALTIME, &ts);
			else
				cg(CLOCK_REALTIME, &ts);
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1);
		double ns = (double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec);
		printf("%.1f ns a call, year %d\n", ns / (double)n, year(ts.tv_sec));
		return 0;
	}
	if (!strcmp(way, "errors")) {
		struct timespec ts;
		errno = 1234;
		int r = cg((clockid_t)12345, &ts);
		printf("%d %d\n", r, errno);
		return 0;
	}
	for (long i = 0; i < n; i++) {
		time_t t = 0;
		if (!strcmp(way, "clock_gettime")) {
			struct timespec ts;
			cg(CLOCK_REALTIME, &ts);
			t = ts.tv_sec;
		} else if (!strcmp(way, "gettimeofday")) {
			struct timeval tv;
			gtod(&tv, NULL);
			t = tv.tv_sec;
		} else if (!strcmp(way, "time")) {
			t = tm(NULL);
		} else if (!strcmp(way, "libc")) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			t = ts.tv_sec;
		} else if (!strcmp(way, "libc-gettimeofday")) {
			struct timeval tv;
			gettimeofday(&tv, NULL);
			t = tv.tv_sec;
		} else if (!strcmp(way, "dlsym")) {
			void *vdso = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
			int (*f)(clockid_t, struct timespec *) =
				vdso ? (int (*)(clockid_t, struct timespec *))dlsym(vdso, "__vdso_clock_gettime") : NULL;
			struct timespec ts = { 0, 0 };
			if (f)
				f(CLOCK_REALTIME, &ts);
			t = ts.tv_sec;
		} else if (!strcmp(way, "libc-time")) {
			t = time(NULL);
		}
		printf("%d\n", year(t));
	}
	return 0;
}
