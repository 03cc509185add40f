/* rewrite.sh's program: N getppid() and N writes to /dev/null, in T
 * threads (each makes N / T); or
 *   time N      CPU ns per getppid() after the first 1000 (the site rewritten
 *               by then, if it can be);
 *   ppid        the result of three getppid() calls;
 *   ppid-loop   how many of 100,000 getppid() calls answer 4242;
 *   fork        "ok" when parent and child, each rewriting sites of its
 *               own after the fork, get the right answers;
 *   signal      pause() until SIGALRM's handler has called getppid() 20 times;
 *   regs        "ok" when 2,000 `mov $39,%eax; syscall` (getpid) left
 *               every register but rax, rcx and r11 as it was, the carry
 *               flag and xmm registers included; the same for 2,000
 *               `xor %eax,%eax; syscall` (read of fd -1) and their flags;
 *   straddle    "e9 e9 e9": 1,000 getpid() each from three `mov $39,%eax;
 *               syscall` sites 13, 61 and 63 bytes into a cache line, all
 *               answered right, and each mov's first byte after (e9:
 *               rewritten; in one store, then in two steps across the line);
 *   straddle-threads  the same from 4 threads at once, 20,000 calls each
 *               (one rewrites while the others run the half-written mov):
 *               "ok" when every answer was right;
 *   reads N T   N reads of 7 bytes from /dev/zero in T threads: "ok=N eio=M
 *               xor=AAAA,BBBB": reads answered with 7 zeros, reads failed
 *               with EIO, and the bytes before each syscall of libc's read
 *               (31c0 as built; eb.. once rewritten). */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long per_thread;
static int devnull;

static void *loop(void *arg)
{
	(void)arg;
	for (long i = 0; i < per_thread; i++) {
		getppid();
		if (write(devnull, "x", 1) != 1)
			abort();
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);	/* CPU time: steadier on a loaded machine */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
	(void)sig;
	if (fired < 20) {
		getppid();
		fired++;
	}
}

/* One inline getpid: false if it changed what a syscall keeps. Its mov
 * is 16-byte aligned: one store can rewrite it, whatever the build. */
static int regs_once(unsigned long i)
{
	register unsigned long r8 __asm__("r8") = i * 3, r9 __asm__("r9") = i * 5, r10 __asm__("r10") = i * 7;
	register unsigned long r12 __asm__("r12") = i * 11, r15 __asm__("r15") = i * 13;
	unsigned long rdi = i, rsi = i + 1, rdx = i + 2, rbx = i + 3;
	double x0 = (double)i * 1.5, x7 = -(double)i, x15 = (double)i / 3, y0, y7, y15;
	unsigned char carry;
	__asm__ volatile("movsd %[a], %%xmm0\n\tmovsd %[b], %%xmm7\n\tmovsd %[c], %%xmm15\n\t"
			 "stc\n\t.p2align 4\n\tmov $39, %%eax\n\tsyscall\n\tsetc %[cf]\n\t"
			 "movsd %%xmm0, %[oa]\n\tmovsd %%xmm7, %[ob]\n\tmovsd %%xmm15, %[oc]"
			 : [cf] "=r"(carry), [oa] "=m"(y0), [ob] "=m"(y7), [oc] "=m"(y15), "+D"(rdi), "+S"(rsi),
			   "+d"(rdx), "+b"(rbx), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r15)
			 : [a] "m"(x0), [b] "m"(x7), [c] "m"(x15)
			 : "rax", "rcx", "r11", "xmm0", "xmm7", "xmm15", "memory");
	return carry == 1 && y0 == x0 && y7 == x7 && y15 == x15 && rdi == i && rsi == i + 1 && rdx == i + 2 &&
	       rbx == i + 3 && r8 == i * 3 && r9 == i * 5 && r10 == i * 7 && r12 == i * 11 && r15 == i * 13;
}

/* The same with read's `xor %eax,%eax; syscall` (fd -1: EBADF): its
 * rewrite needs padding after it for the hop, as a function has. */
static int xor_regs_once(unsigned long i)
{
	register unsigned long r8 __asm__("r8") = i * 3, r9 __asm__("r9") = i * 5, r10 __asm__("r10") = i * 7;
	register unsigned long r12 __asm__("r12") = i * 11, r15 __asm__("r15") = i * 13;
	unsigned long rdi = (unsigned long)-1, rsi = i + 1, rdx = i + 2, rbx = i + 3, zf, res;
	double x0 = (double)i * 1.5, x7 = -(double)i, x15 = (double)i / 3, y0, y7, y15;
	__asm__ volatile("movsd %[a], %%xmm0\n\tmovsd %[b], %%xmm7\n\tmovsd %[c], %%xmm15\n\t"
			 "jmp 1f\n\t.p2align 4\n1:\n\txor %%eax, %%eax\n\tsyscall\n\tsetz %b[zf]\n\t"
			 "jmp 2f\n\t.p2align 4\n2:\n\tmovzbl %b[zf], %k[zf]\n\tmov %%rax, %[res]\n\t"
			 "movsd %%xmm0, %[oa]\n\tmovsd %%xmm7, %[ob]\n\tmovsd %%xmm15, %[oc]"
			 : [zf] "=&q"(zf), [res] "=&r"(res), [oa] "=m"(y0), [ob] "=m"(y7), [oc] "=m"(y15), "+D"(rdi),
			   "+S"(rsi), "+d"(rdx), "+b"(rbx), "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r15)
			 : [a] "m"(x0), [b] "m"(x7), [c] "m"(x15)
			 : "rax", "rcx", "r11", "xmm0", "xmm7", "xmm15", "memory", "cc");
	return zf == 1 && (long)res == -EBADF && y0 == x0 && y7 == x7 && y15 == x15 && rdi == (unsigned long)-1 &&
	       rsi == i + 1 && rdx == i + 2 && rbx == i + 3 && r8 == i * 3 && r9 == i * 5 && r10 == i * 7 &&
	       r12 == i * 11 && r15 == i * 13;
}

/* getpid from a site `skip` bytes into a cache line: each function's
 * mov is there, and its label says where */
#define STRADDLE(name, skip)                                                                  \
	extern unsigned char name##_mov[];                                                  \
	static __attribute__((noinline, noclone)) long name(void)                          \
	{                                                                                   \
		long r;                                                                     \
		__asm__ volatile("jmp " #name "_mov\n\t.p2align 6\n\t.skip " #skip ", 0x90\n" \
				 #name "_mov:\n\tmov $39, %%eax\n\tsyscall"               \
				 : "=a"(r) : : "rcx", "r11", "memory");                       \
		return r;                                                                   \
	}
STRADDLE(in_line, 13)
STRADDLE(across_line, 61)
STRADDLE(last_byte, 63)

/* The two bytes before each of the first two syscall instructions of
 * libc's own read (not a wrapper of ours: its handle, not the default
 * scope). */
static void read_sites(char *out, size_t size)
{
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	const unsigned char *f = libc ? dlsym(libc, "read") : NULL;
	size_t len = 0;
	out[0] = 0;
	for (int i = 2; f && i < 160 && len + 6 < size; i++)
		if (f[i] == 0x0f && f[i + 1] == 0x05)
			len += (size_t)snprintf(out + len, size - len, "%s%02x%02x", len ? "," : "", f[i - 2], f[i - 1]);
}

static long straddle_pid;
static void *straddle_loop(void *arg)
{
	long wrong = 0;
	for (int i = 0; i < 20000; i++)
		wrong += (across_line() != straddle_pid) + (last_byte() != straddle_pid);
	*(long *)arg = wrong;
	return NULL;
}

static int zero_fd;
static long reads_each, reads_ok, reads_eio;

static void *read_loop(void *arg)
{
	(void)arg;
	long ok = 0, eio = 0;
	for (long i = 0; i < reads_each; i++) {
		char b[7] = "xxxxxxx";
		ssize_t r = read(zero_fd, b, 7);
		if (r == 7 && memcmp(b, "\0\0\0\0\0\0\0", 7) == 0)
			ok++;
		else if (r == -1 && errno == EIO)
			eio++;
	}
	__atomic_add_fetch(&reads_ok, ok, __ATOMIC_RELAXED);
	__atomic_add_fetch(&reads_eio, eio, __ATOMIC_RELAXED);
	return NULL;
}

static struct timespec tenth = { 0, 100000000 };

/* Each side's calls are first made after the fork: both rewrite them. */
static int fork_check(void)
{
	pid_t me = getpid();
	umask(077);
	pid_t child = fork();
	if (child == 0) {
		getppid();
		nanosleep(&tenth, NULL);
		for (int i = 0; i < 1000; i++)
			if (getppid() != me)
				_exit(1);
		_exit(0);
	}
	mode_t want = 077;
	for (int i = 0; i < 1000; i++) {
		mode_t next = i % 2 ? 077 : 022;
		if (umask(next) != want)
			return 1;
		want = next;
		if (i == 0)
			nanosleep(&tenth, NULL);
	}
	int status;
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 2;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "ppid-loop") == 0) {
		int n = 0;
		for (int i = 0; i < 100000; i++)
			n += getppid() == 4242;
		printf("%d\n", n);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "regs") == 0) {
		for (unsigned long i = 1; i <= 2000; i++)
			if (!regs_once(i)) {
				printf("changed at call %lu\n", i);
				return 1;
			}
		for (unsigned long i = 1; i <= 2000; i++)
			if (!xor_regs_once(i)) {
				printf("xor site: changed at call %lu\n", i);
				return 1;
			}
		printf("ok\n");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "fork") == 0) {
		int r = fork_check();
		printf(r ? "failed (%d)\n" : "ok\n", r);
		return r;
	}
	if (argc >= 2 && strcmp(argv[1], "signal") == 0) {
		struct sigaction sa = { .sa_handler = on_alarm };
		sigaction(SIGALRM, &sa, NULL);
		/* it goes on firing: one that comes before pause() cannot leave it waiting */
		struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		while (fired < 20)
			pause();
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "ppid") == 0) {
		for (int i = 0; i < 3; i++)
			printf("%d\n", (int)getppid());
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "straddle") == 0) {
		long me = getpid(), wrong = 0;
		for (int i = 0; i < 1000; i++)
			wrong += (in_line() != me) + (across_line() != me) + (last_byte() != me);
		if (wrong)
			printf("%ld wrong answers\n", wrong);
		printf("%02x %02x %02x\n", in_line_mov[0], across_line_mov[0], last_byte_mov[0]);
		return wrong != 0;
	}
	if (argc >= 2 && strcmp(argv[1], "straddle-threads") == 0) {
		straddle_pid = getpid();
		pthread_t t[4];
		long wrong[4], all = 0;
		for (int i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, straddle_loop, &wrong[i]);
		for (int i = 0; i < 4; i++) {
			pthread_join(t[i], NULL);
			all += wrong[i];
		}
		printf(all ? "%ld wrong\n" : "ok\n", all);
		return all != 0;
	}
	if (argc >= 4 && strcmp(argv[1], "reads") == 0) {
		int threads = atoi(argv[3]);
		zero_fd = open("/dev/zero", O_RDONLY);
		reads_each = atol(argv[2]) / threads;
		pthread_t t[64];
		if (threads == 1)
			read_loop(NULL);	/* single-threaded: read's first site */
		else {
			for (int i = 0; i < threads; i++)
				pthread_create(&t[i], NULL, read_loop, NULL);
			for (int i = 0; i < threads; i++)
				pthread_join(t[i], NULL);
		}
		char sites[64];
		read_sites(sites, sizeof sites);
		printf("ok=%ld eio=%ld xor=%s\n", reads_ok, reads_eio, sites);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "time") == 0) {
		long n = atol(argv[2]);
		for (int i = 0; i < 1000; i++)
			getppid();
		double t0 = now();
		for (long i = 0; i < n; i++)
			getppid();
		printf("%.0f\n", (now() - t0) / n);
		return 0;
	}
	long n = argc > 1 ? atol(argv[1]) : 200000;
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	devnull = open("/dev/null", O_WRONLY);
	per_thread = n / threads;
	pthread_t t[64];
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, loop, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
