/* The preloaded library's side of the Ruby library (vmlib.h): each
 * hj_vm_* name the engine calls, sent to the Ruby library once loaded;
 * before that (or in a process with no scripts, which never loads it)
 * there is no VM, and each says so. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "vmlib/vmlib.h"

static const struct hj_ruby_entry *ruby;

bool hj_ruby_loaded(void) { return ruby != NULL; }

bool hj_ruby_load(const char *self, char *err, size_t errlen)
{
	if (ruby)
		return true;
	if (!self || !*self) {
		snprintf(err, errlen, "cannot find %s: the library's own path is unknown", HJ_RUBY_LIBRARY);
		return false;
	}
	/* beside the preloaded library, under the path the loader opened it by */
	char path[4096];
	const char *slash = strrchr(self, '/');
	int dirlen = slash ? (int)(slash - self) + 1 : 0;
	if (snprintf(path, sizeof path, "%.*s%s", dirlen, self, HJ_RUBY_LIBRARY) >= (int)sizeof path) {
		snprintf(err, errlen, "cannot load %s: path too long", HJ_RUBY_LIBRARY);
		return false;
	}
	/* RTLD_LOCAL: its mruby never meets a program's own. libc's dlopen,
	 * not an interposer's: a call before our constructor comes from
	 * inside another library's start, whose dlopen wrapper may wait on a
	 * lock that start holds (ASan's symbolizer lock: a hang) */
	void *(*libc_dlopen)(const char *, int) = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (!libc_dlopen)
		libc_dlopen = dlopen;
	/* the Ruby library finds the engine's hj_* names in the global scope:
	 * where LD_PRELOAD put us, but not attach's dlopen: promote us then
	 * (only then: a preloaded library promoted again lost its trace
	 * lines in cp, whose libselinux starts before us) */
	if (hj_by_attach)
		libc_dlopen(self, RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL);
	void *h = libc_dlopen(path, RTLD_NOW | RTLD_LOCAL);
	const struct hj_ruby_entry *e = h ? dlsym(h, "hj_ruby_entry") : NULL;
	if (!e || e->version != HJ_RUBY_ENTRY_VERSION) {
		const char *why = h ? (e ? "built apart from this library" : "no entry table") : dlerror();
		snprintf(err, errlen, "cannot load %s: %s", path, why ? why : "unknown error");
		return false;
	}
	ruby = e;
	return true;
}

bool hj_vm_start(const char *scripts, const char *evals, const char *bytecode, int argc, char **argv)
{
	if (!ruby) {
		fprintf(stderr, "hijack: scripts given, but %s was not loaded\n", HJ_RUBY_LIBRARY);
		return false;
	}
	return ruby->vm_start(scripts, evals, bytecode, argc, argv);
}

bool hj_vm_active(void) { return ruby && ruby->vm_active(); }
bool hj_vm_has_at_exit(void) { return ruby && ruby->vm_has_at_exit(); }
bool hj_vm_sealed_check(const char *spec) { return ruby && ruby->vm_sealed_check(spec); }

void hj_scripts_before_exec(void)
{
	if (ruby)
		ruby->scripts_before_exec();
}

void hj_vm_run(struct hj_call *c, struct hj_rule **rules, int n)
{
	if (ruby)
		ruby->vm_run(c, rules, n);
}

void hj_vm_at_exit(void)
{
	if (ruby)
		ruby->vm_at_exit();
}

void hj_vm_before_fork(void)
{
	if (ruby)
		ruby->vm_before_fork();
}

void hj_vm_after_fork_parent(void)
{
	if (ruby)
		ruby->vm_after_fork_parent();
}

void hj_vm_after_fork(void)
{
	if (ruby)
		ruby->vm_after_fork();
}

bool hj_vm_would_run(void) { return ruby && ruby->vm_would_run(); }

/* `hijack ctl load` and `eval` in a process that had no script: the Ruby
 * library is loaded now, on the channel's thread (a thread of ours, in
 * no hooked call) */
static bool ruby_for_ctl(char *err, size_t errlen)
{
	Dl_info self;
	return ruby || hj_ruby_load(dladdr((void *)hj_ruby_loaded, &self) ? self.dli_fname : NULL, err, errlen);
}

bool hj_vm_ctl_load(const char *name, const char *code, size_t len, int set, char *err, size_t errlen)
{
	return ruby_for_ctl(err, errlen) && ruby->vm_ctl_load(name, code, len, set, err, errlen);
}

bool hj_vm_ctl_eval(const char *code, size_t len, int set, char *out, size_t outlen)
{
	return ruby_for_ctl(out, outlen) && ruby->vm_ctl_eval(code, len, set, out, outlen);
}
