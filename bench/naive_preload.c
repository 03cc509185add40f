/* The 2016 prototype's naive design, for comparison: an LD_PRELOAD library
 * that wraps open/read/write/close/unlink and, on every call, starts a
 * fresh mruby VM (mrb_open), loads a counting script from a string, calls
 * it, and closes the VM (mrb_close). The counts live in C between calls,
 * since each VM is gone after its call; with NAIVE_REPORT set they are
 * printed to stderr at exit so bench/run can check the hooks ran.
 * A per-thread guard lets mruby's own calls go straight to libc.
 * Build: gcc -shared -fPIC -O2 -DMRB_USE_RATIONAL -DMRB_USE_COMPLEX \
 *        naive_preload.c -o naive.so /usr/lib/libmruby.a -lm -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>

static __thread int busy __attribute__((tls_model("initial-exec")));

static const char script[] =
	"$c = Hash.new(0)\n"
	"def naive_count(name, before)\n"
	"  $c[name] = before\n"
	"  $c[name] += 1\n"
	"end\n";

enum { N_OPEN, N_READ, N_WRITE, N_CLOSE, N_UNLINK, N_CALLS };
static const char *const names[N_CALLS] = { "open", "read", "write", "close", "unlink" };
static long counts[N_CALLS];

static void *real(const char *sym)
{
	void *p = dlsym(RTLD_NEXT, sym);
	if (!p) {
		static const char msg[] = "naive_preload: dlsym failed\n";
		(void)!write(2, msg, sizeof msg - 1);
		_exit(127);
	}
	return p;
}

/* One VM for this call only. */
static void hook(int which)
{
	int saved = errno;
	busy++;
	mrb_state *mrb = mrb_open();
	if (mrb) {
		mrb_load_string(mrb, script);
		mrb_value v = mrb_funcall(mrb, mrb_top_self(mrb), "naive_count", 2,
					  mrb_symbol_value(mrb_intern_cstr(mrb, names[which])),
					  mrb_int_value(mrb, counts[which]));
		if (!mrb->exc && mrb_integer_p(v))
			counts[which] = (long)mrb_integer(v);
		mrb_close(mrb);
	}
	busy--;
	errno = saved;
}

int open(const char *path, int flags, ...)
{
	static int (*f)(const char *, int, ...);
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (!f)
		f = real("open");
	if (!busy)
		hook(N_OPEN);
	return f(path, flags, mode);
}
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

ssize_t read(int fd, void *buf, size_t n)
{
	static ssize_t (*f)(int, void *, size_t);
	if (!f)
		f = real("read");
	if (!busy)
		hook(N_READ);
	return f(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*f)(int, const void *, size_t);
	if (!f)
		f = real("write");
	if (!busy)
		hook(N_WRITE);
	return f(fd, buf, n);
}

int close(int fd)
{
	static int (*f)(int);
	if (!f)
		f = real("close");
	if (!busy)
		hook(N_CLOSE);
	return f(fd);
}

int unlink(const char *path)
{
	static int (*f)(const char *);
	if (!f)
		f = real("unlink");
	if (!busy)
		hook(N_UNLINK);
	return f(path);
}

__attribute__((destructor)) static void report(void)
{
	if (!getenv("NAIVE_REPORT"))
		return;
	busy++;
	fprintf(stderr, "naive:");
	for (int i = 0; i < N_CALLS; i++)
		fprintf(stderr, " %s=%ld", names[i], counts[i]);
	fprintf(stderr, "\n");
	busy--;
}
