/* Rewriting of trapped syscall sites: after its first trap (about 2 µs
 * each), a site jumps to a stub of its own instead, which makes the call
 * for the cost of a few instructions when nothing wants it, and hands it
 * to hj_sys_enter (the trapped path, without a signal frame) when
 * something does. As lazypoline does, but without zpoline's trampoline at
 * page 0 (vm.mmap_min_addr is 4096 and we have no root): the site must be
 * replaced by a jump, and `syscall` (2 bytes) cannot hold one.
 *
 * Which sites: `mov $nr,%eax; syscall` (b8 imm32 0f 05) whose imm32 is the
 * number the kernel saw (436 of glibc's 528 sites). Only the 5-byte mov
 * becomes `jmp stub` (e9 rel32): the syscall instruction stays, so code
 * that jumps to it, or a thread that trapped there before the rewrite and
 * returns to the byte after it, still works (it traps). The byte before
 * the mov must not be a prefix (REX, 66, 67, f2, f3), which would make the
 * b8 part of another instruction. x86 cannot be decoded backwards: an
 * instruction that merely ends in b8 imm32, followed by a syscall with eax
 * already holding the same number, would be cut; no compiler emits that.
 * Never rewritten: the calls that start a new context or end one
 * (rt_sigreturn, clone, clone3, fork, vfork, execve, execveat, exit,
 * exit_group), which sud.c makes with the signal frame or in the gate.
 *
 * The stub (about 70 bytes; stub_write has them byte by byte):
 *     mov $nr,%eax
 *     movabs $&hj_sys_wanted[nr],%r11; movzbl (%r11),%ecx; jrcxz native
 *     movzbl %fs:SELECTOR,%ecx; jrcxz native    (ALLOW: our own code)
 *     lea after(%rip),%r11; jmp *hj_rewrite_slow   (rewrite_slow.S)
 *   native:
 *     lea -128(%rsp),%rsp; call *hj_gate_syscall_ret; lea 128(%rsp),%rsp
 *     jmp after
 * Why the native call goes through the gate (`syscall; ret` in gate.S)
 * rather than flipping the selector to ALLOW around a syscall in the
 * stub: the selector stays BLOCK during the call, so a signal handler of
 * the program that runs during a blocking call (futex, wait4, nanosleep)
 * is seen, and one that longjmps out of it (bash on SIGINT) cannot leave
 * the thread with the selector at ALLOW, i.e. unseen for good. The cost
 * is a call and a return, predicted; the 8 bytes the call pushes go below
 * the program's 128-byte red zone. The stub changes no flags (jrcxz
 * instead of cmp; the slow path saves them with pushf) although glibc's
 * syscall asm declares "cc" clobbered: other code may not. The numbers
 * whose calls sud.c changes (signal masks, SIGSYS's handler) take the
 * slow path whenever the selector says BLOCK, wanted or not.
 * SELECTOR is hj_sud_selector's offset from %fs: one constant for every
 * thread, since it is initial-exec TLS.
 *
 * Where the stubs are: a jmp rel32 reaches ±2 GB, so in chunks mapped
 * near the sites (hints stepping away from the site, MAP_FIXED_NOREPLACE).
 * A chunk is a memfd mapped twice: R+X near the sites, R+W anywhere, so
 * that a stub is written into a chunk while other threads run the chunk's
 * earlier stubs (an mprotect of that page would fault them), and no page
 * is ever writable and executable. The mappings are MAP_SHARED, so a
 * forked child shares them with its parent: only the process that made a
 * chunk writes into it (chunk.pid); a child makes its own.
 *
 * Patching the site: only in a file-backed r-xp mapping (/proc/self/maps,
 * read with raw calls into a stack buffer: the handler may have
 * interrupted malloc or stdio, which hold their locks), made writable for
 * the store and r-x again after. Other threads may be running that page,
 * so it is made rwx for the moment of the store, not rw. Other threads
 * may also be about to run the 5 bytes: they change in one atomic store,
 * an aligned 8-byte cmpxchg or, across an 8-byte boundary, an aligned
 * lock cmpxchg16b; a mov that straddles a 16-byte boundary stays trapping.
 * One thread rewrites at a time (a spin lock taken with trylock: a thread
 * that finds it taken leaves its site trapping this time; never blocks in
 * a signal handler). Sites rewritten or refused are remembered in a fixed
 * hash table, so a refused site is looked at once. Of glibc 2.36's 436
 * such sites, 352 fit one aligned 16-byte block (318 one 8-byte word).
 *
 * Not rewritten, so trapping still: `xor %eax,%eax; syscall` (read) and
 * `mov %rdi,%rax ... syscall` (syscall()), whose jump would have to cover
 * the syscall instruction and the `cmp $-4096,%rax` after it. A thread
 * that trapped there returns to the byte after the syscall, which would
 * then be the middle of the jump; the handler could send the threads it
 * returns after the rewrite elsewhere, but not one it returned before
 * that has not yet run the cmp (preempted right there): nothing short of
 * stopping every thread makes that safe. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "core/engine.h"
#include "syscall/sud.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#endif

bool hj_sud_rewrite;

/* rewrite_slow.S's view of the CPU: how to save the vector state */
uint64_t hj_rewrite_xsave_size __attribute__((visibility("hidden"))) = 1024;
uint64_t hj_rewrite_xmask __attribute__((visibility("hidden")));
unsigned char hj_rewrite_xkind __attribute__((visibility("hidden")));	/* 0 fxsave, 1 xsave, 2 xsavec */

extern char hj_gate_syscall_ret[], hj_rewrite_slow[];

static long sel_offset;		/* hj_sud_selector - %fs */
static bool have_cx16;
static bool ready;

static long raw(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	return hj_gate_syscall(nr, a0, a1, a2, a3, a4, a5);
}

/* ---- the calls ---- */

static bool never_rewritten(long nr)
{
	switch (nr) {
	case SYS_rt_sigreturn: case SYS_clone: case SYS_clone3: case SYS_fork: case SYS_vfork:
	case SYS_execve: case SYS_execveat: case SYS_exit: case SYS_exit_group:
		return true;
	}
	return false;
}

/* sud.c's make_call changes these whatever the hooks want */
static bool always_slow(long nr)
{
	switch (nr) {
	case SYS_rt_sigaction: case SYS_rt_sigprocmask: case SYS_rt_sigsuspend:
	case SYS_ppoll: case SYS_epoll_pwait: case SYS_epoll_pwait2: case SYS_pselect6:
	case SYS_sigaltstack:
		return true;
	}
	return false;
}

/* ---- sites seen ---- */

#define SITES 4096		/* a power of 2 */
enum { SITE_FREE, SITE_REWRITTEN, SITE_REFUSED, SITE_SEEN };
static struct { uintptr_t after; unsigned char state; } sites[SITES];
static unsigned nsites;

/* Read without the lock too: an entry's state is stored after its address. */
static unsigned site_slot(uintptr_t after)
{
	unsigned i = (unsigned)((after * 0x9E3779B97F4A7C15ull) >> 52) & (SITES - 1);
	while (__atomic_load_n(&sites[i].state, __ATOMIC_ACQUIRE) != SITE_FREE && sites[i].after != after)
		i = (i + 1) & (SITES - 1);
	return i;
}

/* false: the table is full (three quarters): rewrite no more */
static bool site_remember(uintptr_t after, int state)
{
	if (nsites >= SITES / 4 * 3)
		return false;
	unsigned i = site_slot(after);
	if (sites[i].state == SITE_FREE)
		nsites++;
	sites[i].after = after;
	__atomic_store_n(&sites[i].state, (unsigned char)state, __ATOMIC_RELEASE);
	return true;
}

/* ---- the lock: trylock only ----
 * It holds the pid of its holder: a child forked while another thread
 * held it takes it over (the table and chunks stay consistent enough: an
 * entry is valid once its state is stored, and a child never writes into
 * its parent's chunks). */

static long rewriting;

static bool lock_try(long pid)
{
	long holder = 0;
	if (__atomic_compare_exchange_n(&rewriting, &holder, pid, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return true;
	return holder != pid &&
	       __atomic_compare_exchange_n(&rewriting, &holder, pid, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void lock_drop(void)
{
	__atomic_store_n(&rewriting, 0, __ATOMIC_RELEASE);
}

/* ---- /proc/self/maps ---- */

struct mapping {
	uintptr_t start, end;
	char perms[5];
	char path[8];		/* its first characters */
};

static uintptr_t hex(const char **p)
{
	uintptr_t v = 0;
	for (;; (*p)++) {
		char c = **p;
		if (c >= '0' && c <= '9')
			v = v * 16 + (uintptr_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (uintptr_t)(c - 'a' + 10);
		else
			return v;
	}
}

/* One line: "start-end perms offset dev inode    path" */
static void parse_line(const char *s, struct mapping *m)
{
	memset(m, 0, sizeof *m);
	m->start = hex(&s);
	if (*s++ != '-')
		return;
	m->end = hex(&s);
	if (*s++ != ' ')
		return;
	for (int i = 0; i < 4 && *s; i++)
		m->perms[i] = *s++;
	for (int field = 0; field < 3 && *s; field++) {	/* offset, dev, inode */
		while (*s == ' ')
			s++;
		while (*s && *s != ' ')
			s++;
	}
	while (*s == ' ')
		s++;
	for (size_t i = 0; i < sizeof m->path - 1 && s[i]; i++)
		m->path[i] = s[i];
}

/* The mapping that holds addr; false if none or unreadable. Raw calls,
 * a stack buffer, no allocation. */
static bool mapping_of(uintptr_t addr, struct mapping *out)
{
	long fd = raw(SYS_openat, AT_FDCWD, (long)"/proc/self/maps", O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	char buf[1024], line[160];
	size_t len = 0;
	bool found = false, done = false;
	while (!done) {
		long got = raw(SYS_read, fd, (long)buf, sizeof buf, 0, 0, 0);
		if (got == -EINTR)
			continue;
		if (got <= 0)
			break;
		for (long i = 0; i < got && !done; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof line - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = 0;
			len = 0;
			struct mapping m;
			parse_line(line, &m);
			if (m.start > addr)
				done = true;	/* sorted: it is not there */
			else if (addr < m.end) {
				*out = m;
				found = done = true;
			}
		}
	}
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	return found;
}

/* ---- chunks of stubs ---- */

#define CHUNK (16 * 1024)
#define STUB_ROOM 80		/* a stub's bytes, rounded up to 16 */
#define REACH ((intptr_t)1 << 31)
struct chunk {
	char *rx, *rw;		/* the same memory, twice */
	size_t used;
	long pid;		/* the process that made it: the only one to write */
};
static struct chunk chunks[64];
static unsigned nchunks;

/* Every byte of [lo, hi) is within a rel32 of every byte of [a, b). */
static bool near(uintptr_t lo, uintptr_t hi, uintptr_t a, uintptr_t b)
{
	uintptr_t first = lo < a ? lo : a, last = hi > b ? hi : b;
	return last - first < (uintptr_t)REACH - 64;
}

static char *map_near(long fd, uintptr_t site)
{
	uintptr_t base = site & ~(uintptr_t)0xfff;
	/* below the site first: above an executable comes its heap */
	for (int dir = 0; dir < 2; dir++) {
		for (uintptr_t step = 1 << 20; step < ((uintptr_t)1 << 31) - (1 << 24); step *= 2) {
			uintptr_t hint = dir == 0 ? base - step : base + step;
			if ((dir == 0 && hint > base) || hint < 0x10000)
				continue;
			long p = raw(SYS_mmap, (long)hint, CHUNK, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED_NOREPLACE,
				     fd, 0);
			if (p < 0 && p >= -4095)
				continue;
			if (near((uintptr_t)p, (uintptr_t)p + CHUNK, site - 8, site + 8))
				return (char *)p;
			raw(SYS_munmap, p, CHUNK, 0, 0, 0, 0);	/* an old kernel took it as a hint */
		}
	}
	return NULL;
}

static struct chunk *chunk_new(uintptr_t site, long pid)
{
	if (nchunks == sizeof chunks / sizeof chunks[0])
		return NULL;
	long fd = raw(SYS_memfd_create, (long)"hijack-stubs", MFD_CLOEXEC, 0, 0, 0, 0);
	if (fd < 0)
		return NULL;
	struct chunk *c = NULL;
	long rw = -1;
	if (raw(SYS_ftruncate, fd, CHUNK, 0, 0, 0, 0) == 0)
		rw = raw(SYS_mmap, 0, CHUNK, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (rw < 0 && rw >= -4095) {
		raw(SYS_close, fd, 0, 0, 0, 0, 0);
		return NULL;
	}
	char *rx = map_near(fd, site);
	raw(SYS_close, fd, 0, 0, 0, 0, 0);
	if (!rx) {
		raw(SYS_munmap, rw, CHUNK, 0, 0, 0, 0);
		return NULL;
	}
	c = &chunks[nchunks++];
	c->rx = rx;
	c->rw = (char *)rw;
	c->pid = pid;
	/* the two addresses the stubs reach through memory, rip-relative */
	uintptr_t ptrs[2] = { (uintptr_t)hj_gate_syscall_ret, (uintptr_t)hj_rewrite_slow };
	memcpy(c->rw, ptrs, sizeof ptrs);
	c->used = 16;
	return c;
}

/* A free stub's room near the site: its address in the chunk (rx). */
static struct chunk *chunk_near(uintptr_t site, long pid)
{
	for (unsigned i = 0; i < nchunks; i++) {
		struct chunk *c = &chunks[i];
		if (c->pid == pid && c->used + STUB_ROOM <= CHUNK &&
		    near((uintptr_t)c->rx, (uintptr_t)c->rx + CHUNK, site - 8, site + 8))
			return c;
	}
	return chunk_new(site, pid);
}

/* ---- the stub ---- */

struct emit {
	unsigned char *p;	/* where to write (rw) */
	uintptr_t at;		/* where it runs (rx) */
};

static void put(struct emit *e, const void *bytes, size_t n)
{
	memcpy(e->p, bytes, n);
	e->p += n;
	e->at += n;
}
static void put8(struct emit *e, unsigned v) { unsigned char b = (unsigned char)v; put(e, &b, 1); }
static void put32(struct emit *e, int32_t v) { put(e, &v, 4); }
static void put64(struct emit *e, uint64_t v) { put(e, &v, 8); }
/* the rel32 to target from the end of the 4 bytes about to be written */
static void rel32(struct emit *e, uintptr_t target) { put32(e, (int32_t)(target - (e->at + 4))); }

static void stub_write(struct chunk *c, long nr, uintptr_t after)
{
	uintptr_t gate_ptr = (uintptr_t)c->rx, slow_ptr = gate_ptr + 8;
	struct emit e = { (unsigned char *)c->rw + c->used, (uintptr_t)c->rx + c->used };
	unsigned char *jr_wanted = NULL, *jr_own;
	uintptr_t from_wanted = 0, from_own;

	put8(&e, 0xb8);				/* mov $nr,%eax */
	put32(&e, (int32_t)nr);
	if (!always_slow(nr)) {
		put(&e, "\x49\xbb", 2);		/* movabs $&hj_sys_wanted[nr],%r11 */
		put64(&e, (uintptr_t)&hj_sys_wanted[nr]);
		put(&e, "\x41\x0f\xb6\x0b", 4);	/* movzbl (%r11),%ecx */
		put8(&e, 0xe3);			/* jrcxz native */
		jr_wanted = e.p;
		put8(&e, 0);
		from_wanted = e.at;
	}
	put(&e, "\x64\x0f\xb6\x0c\x25", 5);	/* movzbl %fs:SELECTOR,%ecx */
	put32(&e, (int32_t)sel_offset);
	put8(&e, 0xe3);				/* jrcxz native */
	jr_own = e.p;
	put8(&e, 0);
	from_own = e.at;
	put(&e, "\x4c\x8d\x1d", 3);		/* lea after(%rip),%r11 */
	rel32(&e, after);
	put(&e, "\xff\x25", 2);			/* jmp *slow_ptr(%rip) */
	rel32(&e, slow_ptr);
	/* native: */
	if (jr_wanted)
		*jr_wanted = (unsigned char)(e.at - from_wanted);
	*jr_own = (unsigned char)(e.at - from_own);
	put(&e, "\x48\x8d\x64\x24\x80", 5);	/* lea -128(%rsp),%rsp */
	put(&e, "\xff\x15", 2);			/* call *gate_ptr(%rip) */
	rel32(&e, gate_ptr);
	put(&e, "\x48\x8d\xa4\x24\x80\x00\x00\x00", 8);	/* lea 128(%rsp),%rsp */
	put8(&e, 0xe9);				/* jmp after */
	rel32(&e, after);
}

/* ---- the site ---- */

static bool is_prefix(unsigned char b)
{
	return (b >= 0x40 && b <= 0x4f) || b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3;
}

/* The 5 bytes at p become new[], in one atomic store. */
static bool store5(unsigned char *p, const unsigned char *new)
{
	uintptr_t a = (uintptr_t)p;
	if ((a & ~7ul) == ((a + 4) & ~7ul)) {
		uint64_t *w = (uint64_t *)(a & ~7ul), old = __atomic_load_n(w, __ATOMIC_RELAXED), val = old;
		memcpy((unsigned char *)&val + (a & 7), new, 5);
		return __atomic_compare_exchange_n(w, &old, val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	if (!have_cx16 || (a & ~15ul) != ((a + 4) & ~15ul))
		return false;
	uint64_t *w = (uint64_t *)(a & ~15ul), lo = w[0], hi = w[1];
	unsigned char val[16];
	memcpy(val, &lo, 8);
	memcpy(val + 8, &hi, 8);
	memcpy(val + (a & 15), new, 5);
	uint64_t nlo, nhi;
	memcpy(&nlo, val, 8);
	memcpy(&nhi, val + 8, 8);
	bool ok;
	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(ok), "+m"(*(unsigned __int128 *)w), "+a"(lo), "+d"(hi)
			 : "b"(nlo), "c"(nhi)
			 : "memory");
	return ok;
}

/* The site's mov, checked; true once it jumps to its stub. */
static bool rewrite(uintptr_t after, long nr, long pid)
{
	uintptr_t mov = after - 7;
	uintptr_t a = mov;
	if ((a & ~7ul) != ((a + 4) & ~7ul) && (!have_cx16 || (a & ~15ul) != ((a + 4) & ~15ul)))
		return false;	/* no single store covers it */
	struct mapping m;
	if (!mapping_of(after - 1, &m) || mov - 1 < m.start || strcmp(m.perms, "r-xp") != 0 ||
	    m.path[0] != '/' || strncmp(m.path, "/memfd:", 7) == 0)
		return false;
	const unsigned char *p = (const unsigned char *)mov;
	int32_t imm;
	memcpy(&imm, p + 1, 4);
	if (p[0] != 0xb8 || imm != nr || p[5] != 0x0f || p[6] != 0x05 || is_prefix(p[-1]))
		return false;
	struct chunk *c = chunk_near(after, pid);
	if (!c)
		return false;
	uintptr_t stub = (uintptr_t)c->rx + c->used;
	stub_write(c, nr, after);
	unsigned char jmp[5] = { 0xe9 };
	int32_t rel = (int32_t)(stub - (mov + 5));
	memcpy(jmp + 1, &rel, 4);
	uintptr_t page = mov & ~(uintptr_t)0xfff;
	/* rwx, not rw: other threads may be running this page */
	if (raw(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0) != 0)
		return false;
	bool ok = store5((unsigned char *)mov, jmp);
	raw(SYS_mprotect, (long)page, 4096, PROT_READ | PROT_EXEC, 0, 0, 0);
	if (ok)
		c->used += STUB_ROOM;	/* a failed store leaves the room free */
	return ok;
}

static void vector_state(void);

/* Rewrite policy (issue 11): a forked child rewrites a site at its
 * second trap, not its first. Most children trap only at the few sites
 * between fork and exec that their parent never ran (set_robust_list,
 * a signal mask), once each: a rewrite there (/proc/self/maps read, a
 * chunk of the child's own, the code page copied) is lost at the exec. */
static bool second_trap;
static bool vector_known;

void hj_rewrite_forked(void) { second_trap = true; }

void hj_rewrite_site(uintptr_t after, long nr)
{
	if (!ready || nr < 0 || nr >= HJ_NSYSNR || never_rewritten(nr))
		return;
	int seen = __atomic_load_n(&sites[site_slot(after)].state, __ATOMIC_ACQUIRE);
	if (seen != SITE_FREE && seen != SITE_SEEN)
		return;	/* seen before: rewritten by another thread meanwhile, or refused */
	long pid = raw(SYS_getpid, 0, 0, 0, 0, 0, 0);
	if (!lock_try(pid))
		return;	/* another thread is rewriting: this site, next time */
	unsigned i = site_slot(after);
	int state = sites[i].state;
	if (state == SITE_FREE && second_trap) {
		if (!site_remember(after, SITE_SEEN))
			ready = false;	/* the table is full: no more */
	} else if (state == SITE_FREE || state == SITE_SEEN) {
		if (!vector_known) {	/* at the first rewrite: cpuid is a VM exit in a guest */
			vector_state();
			vector_known = true;
		}
		if (!site_remember(after, rewrite(after, nr, pid) ? SITE_REWRITTEN : SITE_REFUSED))
			ready = false;
	}
	lock_drop();
}

/* ---- start ---- */

static void vector_state(void)
{
	unsigned a, b, c, d;
	hj_rewrite_xkind = 0;	/* fxsave: 512 bytes, every x86-64 has it */
	hj_rewrite_xsave_size = 576;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return;
	have_cx16 = c & bit_CMPXCHG16B;
	if (!(c & bit_OSXSAVE) || __get_cpuid_max(0, NULL) < 0xd)
		return;
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* not PKRU (bit 9) nor AMX (17, 18): C code changes none of them */
	hj_rewrite_xmask = (((uint64_t)hi << 32) | lo) & ~((1ull << 9) | (3ull << 17));
	__cpuid_count(0xd, 0, a, b, c, d);
	hj_rewrite_xsave_size = b > 576 ? b : 576;
	hj_rewrite_xkind = 1;
	__cpuid_count(0xd, 1, a, b, c, d);
	if (a & 2)
		hj_rewrite_xkind = 2;	/* xsavec: only the parts in use */
}

void hj_rewrite_init(void)
{
	const char *v = hj_env("HIJACK_REWRITE");
	hj_sud_rewrite = !(v && *v == '0');
	if (!hj_sud_rewrite)
		return;
	sel_offset = (long)((char *)&hj_sud_selector - (char *)__builtin_thread_pointer());
	ready = true;
}
