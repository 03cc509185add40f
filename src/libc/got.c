/* hijack attach: the library-level hooks of a process we were not
 * preloaded into. Its objects' calls to libc's functions were bound to
 * libc's before we came (dlopen'ed, our library is not in the global
 * scope, so nothing binds to our wrappers); here each GOT slot of each
 * loaded object that holds a function we wrap (calls.def, twins.def) is
 * made to hold our wrapper instead, and put back at detach. Objects
 * loaded later get the same: the program's dlopen slots lead to
 * got_dlopen, which scans again once the real dlopen returned.
 *
 * With the system-call layer on, only the calls it cannot see are
 * redirected (the library-level rows: fopen, the allocator, getaddrinfo,
 * the exec family...); without it, every wrapped call.
 *
 * A slot is one aligned 8-byte store: a thread calling through it
 * meanwhile takes the old target or the new one, both whole. The slots
 * under RELRO (read-only after relocation) are made writable for the
 * store and read-only again. Our wrappers find libc's functions with
 * dlsym(RTLD_DEFAULT) (real.c, hj_by_attach): the definitions the
 * program's own slots were bound to, which the objects' lazy slots will
 * be bound to still (a malloc of the program's own, or of a preloaded
 * allocator, stays the one its frees go to). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/engine.h"

bool hj_by_attach;

static bool skipped_object(const char *name)
{
	/* ourselves, the loader, the vDSO */
	return strstr(name, "libhijack") || strstr(name, "/ld-linux") || strstr(name, "linux-vdso") ||
	       strstr(name, "/ld-");
}

/* Where the program's calls to name go: dlsym(RTLD_DEFAULT), unless
 * that is the executable's PLT entry standing for the function (a
 * program that is not position-independent and takes its address):
 * that entry jumps through the very slot we redirect. Then the first
 * object after the executable, in the loader's order, that defines it. */
static bool defines(void *p)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	return dladdr1(p, &info, (void **)&sym, RTLD_DL_SYMENT) && sym && sym->st_shndx != SHN_UNDEF &&
	       info.dli_saddr == p;
}

void *hj_got_definition(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);
	if (!p || defines(p))
		return p;
	struct link_map *l = NULL;
	void *self = dlopen(NULL, RTLD_LAZY | RTLD_NOLOAD);
	if (!self || dlinfo(self, RTLD_DI_LINKMAP, &l) != 0 || !l)
		return NULL;
	for (l = l->l_next; l; l = l->l_next) {
		if (l->l_name && skipped_object(l->l_name))
			continue;
		/* a handle of dlopen's: a link map the loader mapped at start has
		 * no search list of its own */
		void *h = l->l_name && *l->l_name ? dlopen(l->l_name, RTLD_LAZY | RTLD_NOLOAD) : NULL;
		void *q = h ? dlsym(h, name) : NULL;
		if (h)
			dlclose(h);
		if (q && defines(q))
			return q;
	}
	return NULL;
}

/* ---- the names we wrap, with their rows ---- */
struct wrapped {
	const char *name;
	int id;
	void *wrapper;		/* ours, in this library */
};

static struct wrapped table[] = {
#define CALL(name, ...) { #name, HJ_##name, NULL },
#define HAND(name, ...) { #name, HJ_##name, NULL },
#define VARIANT(sym, name) { #sym, HJ_##name, NULL },
#include "calls.def"
#undef CALL
#undef HAND
#undef VARIANT
#define TWIN(sym, name) { #sym, HJ_##name, NULL },
#include "libc/twins.def"
#undef TWIN
};
#define NTABLE (sizeof table / sizeof table[0])

static void *got_dlopen(const char *file, int mode);
static void *(*real_dlopen)(const char *, int);

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct wrapped *)a)->name, ((const struct wrapped *)b)->name);
}

static const struct wrapped *lookup(const char *name)
{
	struct wrapped key = { name, 0, NULL };
	return bsearch(&key, table, NTABLE, sizeof table[0], by_name);
}

/* Our wrapper for a slot of this name, or NULL: not one we redirect. */
static void *replacement(const char *name)
{
	if (!strcmp(name, "dlopen"))
		return real_dlopen ? (void *)got_dlopen : NULL;
	const struct wrapped *w = lookup(name);
	if (!w || !w->wrapper)
		return NULL;
	return w->wrapper;
}

static bool table_ready;

/* Once: the table sorted, our wrappers found (through our own handle: a
 * plain reference would bind to libc's), libc's functions resolved now,
 * before any slot leads to a wrapper (a wrapper resolving on its first
 * call would serve dlsym's own allocations from its start-up arena, which
 * libc's internal free does not know). */
static bool table_init(void)
{
	if (table_ready)
		return true;
	Dl_info self;
	if (!dladdr((void *)table_init, &self) || !self.dli_fname)
		return false;
	void *handle = dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD);
	if (!handle)
		return false;
	qsort(table, NTABLE, sizeof table[0], by_name);
	for (size_t i = 0; i < NTABLE; i++) {
		int id = table[i].id;
		if (hj_sud_on && !hj_row_library_level(id))
			continue;	/* the layer sees it as a system call */
		void *ours = dlsym(handle, table[i].name), *libc = hj_got_definition(table[i].name);
		if (!ours || !libc)
			continue;
		if (!hj_reals[id]) {
			void *main_real = hj_got_definition(hj_calls[id].name);
			if (!main_real)
				continue;	/* the wrapper would have nothing to call */
			__atomic_store_n(&hj_reals[id], main_real, __ATOMIC_RELEASE);
		}
		table[i].wrapper = ours;
	}
	real_dlopen = (void *(*)(const char *, int))hj_got_definition("dlopen");
	table_ready = true;
	return true;
}

/* ---- the slots ---- */

struct saved_slot {
	void **at;
	void *was;
};
static struct saved_slot *saved;
static size_t nsaved, capsaved;
static int slots_lock;		/* one scan at a time */
static bool redirecting;	/* between attach and detach */

static void lock(void)
{
	while (__atomic_exchange_n(&slots_lock, 1, __ATOMIC_ACQUIRE))
		syscall(SYS_sched_yield);
}
static void unlock(void) { __atomic_store_n(&slots_lock, 0, __ATOMIC_RELEASE); }

static void *saved_value(void **at)
{
	for (size_t i = nsaved; i-- > 0;)
		if (saved[i].at == at)
			return saved[i].was;
	return NULL;
}

static void save(void **at, void *was)
{
	if (saved_value(at))
		return;
	if (nsaved == capsaved) {
		size_t cap = capsaved ? capsaved * 2 : 256;
		struct saved_slot *more = hj_realloc(saved, cap * sizeof *more);
		if (!more)
			return;
		saved = more;
		capsaved = cap;
	}
	saved[nsaved++] = (struct saved_slot){ at, was };
}

/* a pointer of the dynamic section: relocated in place by the loader,
 * or not (then relative to the object's base) */
static uintptr_t dyn_ptr(uintptr_t v, uintptr_t base) { return v < base ? v + base : v; }

struct scan {
	bool restore;
	int changed;
};

static void one_slot(void **at, const char *name, uintptr_t relro_lo, uintptr_t relro_hi, struct scan *s,
		     bool *opened)
{
	void *ours = replacement(name);
	if (!ours)
		return;
	void *now = __atomic_load_n(at, __ATOMIC_ACQUIRE), *target;
	if (s->restore) {
		if (now != ours || !(target = saved_value(at)))
			return;
	} else {
		if (now == ours || !now)
			return;	/* ours already, or a weak function that is absent: left absent */
		target = ours;
	}
	bool ro = (uintptr_t)at >= relro_lo && (uintptr_t)at < relro_hi;
	if (ro && !*opened) {
		if (syscall(SYS_mprotect, relro_lo & ~(uintptr_t)4095,
			    ((relro_hi + 4095) & ~(uintptr_t)4095) - (relro_lo & ~(uintptr_t)4095), PROT_READ | PROT_WRITE) != 0)
			return;
		*opened = true;
	}
	if (!s->restore)
		save(at, now);
	__atomic_store_n(at, target, __ATOMIC_RELEASE);
	s->changed++;
}

static int scan_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	struct scan *s = arg;
	const char *name = info->dlpi_name ? info->dlpi_name : "";
	if (*name && skipped_object(name))
		return 0;
	uintptr_t base = info->dlpi_addr, relro_lo = 0, relro_hi = 0;
	const ElfW(Dyn) *dyn = NULL;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + ph->p_vaddr);
		else if (ph->p_type == PT_GNU_RELRO)
			relro_lo = base + ph->p_vaddr, relro_hi = relro_lo + ph->p_memsz;
	}
	if (!dyn)
		return 0;
	uintptr_t symtab = 0, strtab = 0, jmprel = 0, rela = 0;
	size_t pltrelsz = 0, relasz = 0, strsz = 0;
	for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB: symtab = dyn_ptr(d->d_un.d_ptr, base); break;
		case DT_STRTAB: strtab = dyn_ptr(d->d_un.d_ptr, base); break;
		case DT_STRSZ: strsz = d->d_un.d_val; break;
		case DT_JMPREL: jmprel = dyn_ptr(d->d_un.d_ptr, base); break;
		case DT_PLTRELSZ: pltrelsz = d->d_un.d_val; break;
		case DT_RELA: rela = dyn_ptr(d->d_un.d_ptr, base); break;
		case DT_RELASZ: relasz = d->d_un.d_val; break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	const ElfW(Sym) *syms = (const ElfW(Sym) *)symtab;
	const char *strs = (const char *)strtab;
	bool opened = false;
	const struct { uintptr_t at; size_t size; } tables[2] = { { jmprel, pltrelsz }, { rela, relasz } };
	for (int t = 0; t < 2; t++) {
		const ElfW(Rela) *r = (const ElfW(Rela) *)tables[t].at;
		for (size_t i = 0; r && i < tables[t].size / sizeof *r; i++) {
			unsigned type = ELF64_R_TYPE(r[i].r_info);
			if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
				continue;
			const ElfW(Sym) *sym = &syms[ELF64_R_SYM(r[i].r_info)];
			if (sym->st_shndx != SHN_UNDEF || sym->st_name >= strsz)
				continue;	/* the object's own definition: not libc's */
			one_slot((void **)(base + r[i].r_offset), strs + sym->st_name, relro_lo, relro_hi, s, &opened);
		}
	}
	if (opened)
		syscall(SYS_mprotect, relro_lo & ~(uintptr_t)4095,
			((relro_hi + 4095) & ~(uintptr_t)4095) - (relro_lo & ~(uintptr_t)4095), PROT_READ);
	return 0;
}

/* The objects loaded now: their slots redirected. Number of slots changed. */
int hj_got_redirect(void)
{
	hj_enter();
	lock();
	int changed = 0;
	if (table_init()) {
		struct scan s = { false, 0 };
		dl_iterate_phdr(scan_object, &s);
		changed = s.changed;
		redirecting = true;
	}
	unlock();
	hj_leave();
	return changed;
}

/* Every slot we changed, as it was (in the objects still loaded). */
int hj_got_restore(void)
{
	hj_enter();
	lock();
	redirecting = false;
	struct scan s = { true, 0 };
	if (table_ready)
		dl_iterate_phdr(scan_object, &s);
	nsaved = 0;
	unlock();
	hj_leave();
	return s.changed;
}

/* The program's dlopen: the objects it brought get our wrappers too.
 * dlopen searches a bare name in its caller's RPATH and RUNPATH, and we
 * are its caller now: the name is looked for here in the search path
 * the program's calling object has (dlinfo's RTLD_DI_SERINFO), and
 * opened by its full path; a name already loaded, or found in none of
 * those (ld.so.cache, the default directories), is opened as given,
 * which our library (no RPATH of its own) searches the same way. */
static void *open_as(const char *file, int mode, void *caller)
{
	if (!file || strchr(file, '/'))
		return real_dlopen(file, mode);
	void *loaded = real_dlopen(file, RTLD_NOLOAD | (mode & ~(RTLD_LAZY | RTLD_NOW)) | RTLD_LAZY);
	if (loaded)
		return real_dlopen(file, mode);
	Dl_info info;
	struct link_map *who = NULL;
	Dl_serinfo size;
	if (!dladdr1(caller, &info, (void **)&who, RTLD_DL_LINKMAP) || !who ||
	    dlinfo(who, RTLD_DI_SERINFOSIZE, &size) != 0 || size.dls_size > (1 << 20))
		return real_dlopen(file, mode);
	Dl_serinfo *dirs = hj_malloc(size.dls_size);
	if (!dirs)
		return real_dlopen(file, mode);
	memcpy(dirs, &size, sizeof size);
	char path[4096];
	bool found = false;
	if (dlinfo(who, RTLD_DI_SERINFO, dirs) == 0)
		for (unsigned i = 0; i < dirs->dls_cnt && !found; i++) {
			size_t n = strlen(dirs->dls_serpath[i].dls_name);
			if (n + 1 + strlen(file) + 1 > sizeof path)
				continue;
			memcpy(path, dirs->dls_serpath[i].dls_name, n);
			path[n] = '/';
			strcpy(path + n + 1, file);
			found = syscall(SYS_faccessat, AT_FDCWD, path, R_OK) == 0;
		}
	hj_free(dirs);
	return real_dlopen(found ? path : file, mode);
}

static void *got_dlopen(const char *file, int mode)
{
	void *h = open_as(file, mode, __builtin_return_address(0));
	if (h && __atomic_load_n(&redirecting, __ATOMIC_ACQUIRE))
		hj_got_redirect();
	return h;
}
