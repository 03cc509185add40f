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
 * the mov must not be a prefix that changes it (REX, 66, 67: is_prefix),
 * which would make the b8 part of another instruction. x86 cannot be decoded backwards: an
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
 * may also be about to run the 5 bytes: they change in one atomic store
 * (a locked 8-byte cmpxchg within their cache line). A mov that
 * crosses a cache line changes in two steps, each safe for a thread that
 * arrives meanwhile (store_in_steps).
 * One thread rewrites at a time (a spin lock taken with trylock: a thread
 * that finds it taken leaves its site trapping this time; never blocks in
 * a signal handler). Sites rewritten or refused are remembered in a fixed
 * hash table, so a refused site is looked at once.
 *
 * `xor %eax,%eax; syscall` (31 c0 0f 05: read, glibc's busiest call) has
 * no room for a jump of 5 bytes before its syscall, and covering the
 * syscall would strand a thread that trapped there before the rewrite
 * (it returns to the byte after it). So only the xor's 2 bytes change,
 * into a short jump (eb rel8) to a hop: 5 bytes of the function's own
 * alignment padding within 127 bytes after the site, which hold
 * `jmp stub`. The padding is found by decoding forward from the syscall
 * (insn.c; forward from a known boundary is exact): no-ops that follow
 * an instruction after which control never falls through (ret, jmp) and
 * run to a 16-byte boundary. Nothing jumps into such padding: labels are
 * aligned at its end. The hop is written first (nothing runs it yet),
 * then the xor in one atomic store. Its stub starts with the same xor,
 * so even the flags are as they were. (Padding is scarce: the hop serves
 * read's sites; most functions have none within reach.)
 *
 * A mov a few instructions up (`mov $257,%eax; mov %rdi,%rsi; mov
 * $-100,%edi; syscall`: glibc's open_nocancel, which loads locales) is
 * rewritten when what lies between is moves, lea and xor that leave eax
 * alone (movable): the stub runs the mov and a copy of them, the
 * originals stay where they were (code that jumps to one of them still
 * reaches the syscall, and traps).
 *
 * Not rewritten, so trapping still: `mov %rdi,%rax ... syscall`
 * (syscall()) and sites whose number comes from a register: their stub
 * would need the number at run time. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "core/engine.h"
#include "syscall/insn.h"
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

/* a mapping of a file's code, which a site may be rewritten in */
static bool file_code(const struct mapping *m)
{
	return strcmp(m->perms, "r-xp") == 0 && m->path[0] == '/' && strncmp(m->path, "/memfd:", 7) != 0;
}

/* ---- chunks of stubs ---- */

#define CHUNK (16 * 1024)
#define STUB_ROOM 96		/* a stub's bytes, rounded up to 16 */
#define MOVED_MAX 12		/* what a stub may run of the site's own code */
#define REACH ((intptr_t)1 << 31)
#define HOP_REACH 136		/* a xor site's hop is at most this far past it */
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
			if (near((uintptr_t)p, (uintptr_t)p + CHUNK, site - 8, site + HOP_REACH))
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
		    near((uintptr_t)c->rx, (uintptr_t)c->rx + CHUNK, site - 8, site + HOP_REACH))
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

/* xor: the site's xor %eax,%eax (nr 0) instead of its mov; moved: the
 * site's instructions between its mov and its syscall, run after it */
static void stub_write(struct chunk *c, long nr, uintptr_t after, bool xor, const unsigned char *moved,
		       size_t nmoved)
{
	uintptr_t gate_ptr = (uintptr_t)c->rx, slow_ptr = gate_ptr + 8;
	struct emit e = { (unsigned char *)c->rw + c->used, (uintptr_t)c->rx + c->used };
	unsigned char *jr_wanted = NULL, *jr_own;
	uintptr_t from_wanted = 0, from_own;

	if (xor) {
		put(&e, "\x31\xc0", 2);		/* xor %eax,%eax */
	} else {
		put8(&e, 0xb8);			/* mov $nr,%eax */
		put32(&e, (int32_t)nr);
	}
	if (nmoved)
		put(&e, moved, nmoved);
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

/* A prefix that would change what the b8 (or 31) after it is: REX (another
 * register, or imm64), 66 (imm16), 67. An f2 or f3 there changes nothing,
 * and before our jump it is ignored too; it is mostly the last byte of
 * the instruction before (`mov %esi,%edx` is 89 f2). */
static bool is_prefix(unsigned char b)
{
	return (b >= 0x40 && b <= 0x4f) || b == 0x66 || b == 0x67;
}

/* The n (at most 8) bytes at a become new[], in one atomic store: a
 * locked cmpxchg of the 8 bytes around them within their cache line.
 * Unaligned is atomic there (Intel SDM vol. 3A, 9.1.1: "unaligned ...
 * accesses to cached memory that fit within a cache line"); across two
 * lines it would not be: false. */
static bool one_store(uintptr_t a, size_t n)
{
	return (a & ~63ul) == ((a + n - 1) & ~63ul);
}

static bool store_atomic(unsigned char *p, const unsigned char *new, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	if (!one_store(a, n))
		return false;
	uintptr_t line = a & ~63ul, w = a < line + 56 ? a : line + 56;	/* 8 bytes in the line, over p */
	uint64_t old, val;
	memcpy(&old, (void *)w, 8);
	val = old;
	memcpy((unsigned char *)&val + (a - w), new, n);
	bool ok;
	__asm__ volatile("lock cmpxchgq %3, %1"
			 : "=@ccz"(ok), "+m"(*(uint64_t *)w), "+a"(old)
			 : "r"(val)
			 : "memory");
	return ok;
}

/* A mov whose 5 bytes cross a cache line cannot change in one store.
 * Its imm32 is written first, then its first byte (b8 -> e9). A thread
 * that runs the mov meanwhile gets a wrong number in eax and traps at
 * the site's syscall: the handler then takes the site's own number
 * (hj_rewrite_nr). A child forked meanwhile would keep the half-written
 * mov: `crossing` says what is under way, and the child finishes it
 * (hj_rewrite_forked). */
static struct { uintptr_t at, after; long nr; unsigned char bytes[5]; } crossing;

static bool store_in_steps(uintptr_t a, const unsigned char *jmp)
{
	crossing.at = a;
	int32_t nr;
	memcpy(&nr, (const void *)(a + 1), 4);	/* the mov's own number */
	crossing.nr = nr;
	memcpy(crossing.bytes, jmp, 5);
	__atomic_store_n(&crossing.after, a + 7, __ATOMIC_SEQ_CST);
	memcpy((unsigned char *)a + 1, jmp + 1, 4);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n((unsigned char *)a, jmp[0], __ATOMIC_SEQ_CST);
	__atomic_store_n(&crossing.after, 0, __ATOMIC_SEQ_CST);
	return true;
}

long hj_rewrite_nr(uintptr_t after, long nr)
{
	return after && after == __atomic_load_n(&crossing.after, __ATOMIC_SEQ_CST) ? crossing.nr : nr;
}

static bool second_trap;

void hj_rewrite_forked(void)
{
	second_trap = true;
	if (!crossing.after)
		return;
	uintptr_t a = crossing.at;
	uintptr_t page = a & ~(uintptr_t)0xfff;
	size_t len = ((a + 4) & ~(uintptr_t)0xfff) - page + 4096;
	raw(SYS_mprotect, (long)page, (long)len, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0);
	memcpy((void *)a, crossing.bytes, 5);	/* the child's only thread is here */
	raw(SYS_mprotect, (long)page, (long)len, PROT_READ | PROT_EXEC, 0, 0, 0);
	crossing.after = 0;
}

/* A hop for the xor site at `site` whose syscall ends at `after`: 5
 * bytes of alignment padding after the syscall, within a short jump of
 * the site, in the same mapping; 0 if none. */
static uintptr_t find_hop(uintptr_t site, uintptr_t after, const struct mapping *m)
{
	uintptr_t from = site + 2;	/* where the short jump's rel8 counts from */
	uintptr_t at = after;
	bool fell_off = false;	/* the last instruction never falls through */
	while (at + 16 <= m->end && at + 5 <= from + 127) {
		struct hj_insn in;
		if (!hj_insn_decode((const unsigned char *)at, &in))
			return 0;
		if (fell_off && in.nop) {
			uintptr_t pad = at;
			while (in.nop && at + in.len <= m->end - 16) {	/* to the boundary */
				at += in.len;
				if ((at & 15) == 0)
					break;
				if (!hj_insn_decode((const unsigned char *)at, &in))
					return 0;
			}
			if ((at & 15) == 0 && at - pad >= 5 && pad + 5 <= from + 127)
				return pad;
			fell_off = false;
			continue;
		}
		fell_off = in.ends;
		at += in.len;
	}
	return 0;
}

/* Makes a page rwx for a moment (other threads may be running it): the
 * store, then r-x again. */
enum store_kind { STORE_PLAIN, STORE_ATOMIC, STORE_IN_STEPS };
static bool page_store(uintptr_t at, const unsigned char *bytes, size_t n, enum store_kind kind)
{
	uintptr_t page = at & ~(uintptr_t)0xfff;
	size_t len = ((at + n - 1) & ~(uintptr_t)0xfff) - page + 4096;
	if (raw(SYS_mprotect, (long)page, (long)len, PROT_READ | PROT_WRITE | PROT_EXEC, 0, 0, 0) != 0)
		return false;
	bool ok = true;
	if (kind == STORE_ATOMIC)
		ok = store_atomic((unsigned char *)at, bytes, n);
	else if (kind == STORE_IN_STEPS)
		ok = store_in_steps(at, bytes);
	else
		memcpy((void *)at, bytes, n);
	raw(SYS_mprotect, (long)page, (long)len, PROT_READ | PROT_EXEC, 0, 0, 0);
	return ok;
}

/* An instruction between a site's mov and its syscall that its stub can
 * run in its place: a move, lea or xor of registers or memory that
 * writes no eax (the number), is not rip-relative and does not branch
 * (glibc's `mov $257,%eax; mov %rdi,%rsi; mov $-100,%edi; syscall`).
 * Its length, or 0. */
static unsigned movable(const unsigned char *p)
{
	unsigned i = 0, rex = 0;
	if ((p[0] & 0xf0) == 0x40)
		rex = p[i++];
	unsigned op = p[i++];
	if (op >= 0xb8 && op <= 0xbf)	/* mov $imm, reg: eax unless REX.B */
		return op == 0xb8 && !(rex & 1) ? 0 : i + ((rex & 8) ? 8 : 4);
	if (op != 0x89 && op != 0x8b && op != 0x8d && op != 0xc7 && op != 0x31 && op != 0x33)
		return 0;
	unsigned mod = p[i] >> 6, reg = (p[i] >> 3) & 7, rm = p[i] & 7;
	if ((mod == 0 && rm == 5) || (op == 0xc7 && reg != 0) || (op == 0x8d && mod == 3))
		return 0;	/* rip-relative; not mov; not lea */
	bool to_rm = op == 0x89 || op == 0xc7 || op == 0x31;
	if (to_rm ? mod == 3 && rm == 0 && !(rex & 1) : reg == 0 && !(rex & 4))
		return 0;	/* writes eax */
	struct hj_insn in;
	return hj_insn_decode(p, &in);
}

/* The mov of a site whose syscall starts at sys, with only movable
 * instructions between them (at most MOVED_MAX bytes); NULL if none. */
static const unsigned char *mov_before(const unsigned char *sys, long nr)
{
	for (size_t gap = 2; gap <= MOVED_MAX; gap++) {
		const unsigned char *m = sys - gap - 5, *q = m + 5;
		int32_t imm;
		memcpy(&imm, m + 1, 4);
		if (m[0] != 0xb8 || imm != nr || is_prefix(m[-1]))
			continue;
		unsigned n;
		while (q < sys && (n = movable(q)))
			q += n;
		if (q == sys)
			return m;
	}
	return NULL;
}

/* The site's mov (or xor), checked; true once it jumps to its stub. */
static bool rewrite(uintptr_t after, long nr, long pid)
{
	/* a file's code, and code too before the syscall for what is read
	 * below (a rewrite's mprotect may have split the mapping there) */
	struct mapping m, before;
	uintptr_t lo = after - 2 - MOVED_MAX - 6;
	if (!mapping_of(after - 1, &m) || !file_code(&m) ||
	    (lo < m.start && (!mapping_of(lo, &before) || !file_code(&before) || before.end != m.start)))
		return false;
	const unsigned char *p = (const unsigned char *)after - 7;	/* a mov's place */
	const unsigned char *x = (const unsigned char *)after - 4;	/* a xor's */
	int32_t imm;
	memcpy(&imm, p + 1, 4);
	bool mov = p[0] == 0xb8 && imm == nr && p[5] == 0x0f && p[6] == 0x05 && !is_prefix(p[-1]);
	bool xor = !mov && nr == 0 && x[0] == 0x31 && x[1] == 0xc0 && x[2] == 0x0f && x[3] == 0x05 &&
		   !is_prefix(x[-1]);
	const unsigned char *moved = NULL;	/* a mov further up: what lies between */
	if (!mov && !xor && (p = mov_before((const unsigned char *)after - 2, nr))) {
		mov = true;
		moved = p + 5;
	}
	uintptr_t site = mov ? (uintptr_t)p : (uintptr_t)x;
	if ((!mov && !xor) || (xor && !one_store(site, 2)))
		return false;	/* not a site we know, or a xor whose 2 bytes cannot change at once */
	uintptr_t hop = xor ? find_hop(site, after, &m) : 0;
	if (xor && !hop)
		return false;
	struct chunk *c = chunk_near(after, pid);
	if (!c)
		return false;
	uintptr_t stub = (uintptr_t)c->rx + c->used;
	stub_write(c, nr, after, xor, moved, moved ? (size_t)(after - 2 - (uintptr_t)moved) : 0);
	unsigned char jmp[5] = { 0xe9 };
	int32_t rel = (int32_t)(stub - ((xor ? hop : site) + 5));
	memcpy(jmp + 1, &rel, 4);
	bool ok;
	if (mov) {
		ok = page_store(site, jmp, 5, one_store(site, 5) ? STORE_ATOMIC : STORE_IN_STEPS);
	} else {
		unsigned char shortjmp[2] = { 0xeb, (unsigned char)(hop - (site + 2)) };
		ok = page_store(hop, jmp, 5, STORE_PLAIN) && page_store(site, shortjmp, 2, STORE_ATOMIC);
	}
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
static bool vector_known;

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
