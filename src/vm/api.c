/* The Ruby API: the Hijack module and the `call` object a hook receives.
 * Arguments reach Ruby lazily: a reader builds its value only when the
 * block asks for it. One `call` object is reused for every hook. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timeb.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/array.h>
#include <mruby/class.h>
#include <mruby/data.h>
#include <mruby/irep.h>
#include <mruby/debug.h>
#include <mruby/hash.h>
#include <mruby/proc.h>
#include <mruby/range.h>
#include <mruby/string.h>
#include <mruby/variable.h>

#include "vm/vm.h"

static const struct mrb_data_type call_type = { "Hijack::Call", NULL };
static mrb_value call_obj;
static mrb_sym call_syms[HJ_NCALLS];
static struct RClass *call_cls;
static int prog_argc;
static char **prog_argv;

static struct hj_call *cur(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = DATA_PTR(self);
	if (!c)
		mrb_raise(mrb, E_RUNTIME_ERROR, "this call has returned; use `call` only inside its hook");
	return c;
}

mrb_value hj_api_call_begin(mrb_state *mrb, struct hj_call *c)
{
	(void)mrb;
	DATA_PTR(call_obj) = c;
	return call_obj;
}

void hj_api_call_end(mrb_state *mrb)
{
	(void)mrb;
	DATA_PTR(call_obj) = NULL;
}

/* ---- errno names ---- */

static int errno_arg(mrb_state *mrb, mrb_value v)
{
	if (mrb_integer_p(v))
		return (int)mrb_integer(v);
	const char *name = mrb_symbol_p(v) ? mrb_sym_name(mrb, mrb_symbol(v))
			 : mrb_string_p(v) ? mrb_str_to_cstr(mrb, v) : NULL;
	int e = name ? hj_errno_lookup(name) : -1;
	if (e <= 0)
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "unknown errno: %v", v);
	return e;
}

static mrb_value errno_value(mrb_state *mrb, int e)
{
	const char *name = hj_errno_name(e);
	return name ? mrb_symbol_value(mrb_intern_cstr(mrb, name)) : mrb_int_value(mrb, e);
}

/* ---- argument conversion ---- */

static long buf_len(struct hj_call *c, int i)
{
	return i + 1 < hj_calls[c->id].nargs ? c->a[i + 1] : 0;
}

/* The program's memory reaches Ruby through peek.c: what cannot be read
 * (a bad pointer, a string with no NUL within its limit) reads as nil, as
 * NULL does, and the call goes on to the kernel's own EFAULT. */
#define STR_MAX (1 << 20)	/* a string argument longer than this reads as nil */

static mrb_value str_value(mrb_state *mrb, struct hj_call *c, int i, size_t max)
{
	const char *p = (const char *)c->a[i];
	char chunk[256];
	bool nul;
	if (!p)
		return mrb_nil_value();
	if (hj_calls[c->id].args[i].kind == K_PATH)
		return hj_path_ok(c, i) ? mrb_str_new_cstr(mrb, p) : mrb_nil_value();
	if (hj_proven(c))	/* the kernel read it whole */
		return mrb_str_new_cstr(mrb, p);
	long n = hj_peek_str(chunk, sizeof chunk, p, &nul);
	if (n >= 0 && nul)
		return mrb_str_new(mrb, chunk, (size_t)n);
	if (n < 0 || (n = hj_strlen_safe(p, max, &nul)) < 0 || !nul)
		return mrb_nil_value();
	return mrb_str_new(mrb, p, (size_t)n);	/* every byte of it was read just now */
}

static mrb_value mem_value(mrb_state *mrb, const void *p, size_t n)
{
	if (!p)
		return mrb_nil_value();
	mrb_value s = mrb_str_new(mrb, NULL, n);
	return hj_peek(RSTRING_PTR(s), p, n) ? s : mrb_nil_value();
}

static mrb_value str_array(mrb_state *mrb, char *const *v)
{
	size_t n;
	if (!hj_strvec_ok(v, &n))
		return mrb_nil_value();
	mrb_value ary = mrb_ary_new_capa(mrb, (mrb_int)n);
	for (size_t k = 0; k < n; k++)
		mrb_ary_push(mrb, ary, mrb_str_new_cstr(mrb, v[k]));
	return ary;
}

static mrb_value iov_bytes(mrb_state *mrb, const struct iovec *iov, int n, long limit)
{
	mrb_value s = mrb_str_new(mrb, NULL, 0);
	for (int k = 0; k < n && limit > 0; k++) {
		struct iovec one;
		if (!hj_peek(&one, iov + k, sizeof one))
			return mrb_nil_value();
		long take = (long)one.iov_len < limit ? (long)one.iov_len : limit;
		mrb_int at = RSTRING_LEN(s);
		mrb_str_resize(mrb, s, at + take);
		if (!hj_peek(RSTRING_PTR(s) + at, one.iov_base, (size_t)take))
			return mrb_nil_value();
		limit -= take;
	}
	return s;
}

static mrb_value arg_value(mrb_state *mrb, struct hj_call *c, int i)
{
	const struct hj_arg_info *ai = &hj_calls[c->id].args[i];
	long v = c->a[i];
	bool done = c->after && !hj_is_failure(c);
	switch (ai->kind) {
	case K_PATH: case K_STR:
		return str_value(mrb, c, i, STR_MAX);
	case K_BUF_IN:
		return mem_value(mrb, (const void *)v, (size_t)buf_len(c, i));
	case K_BUF_OUT:
		return done && c->ret > 0 ? mem_value(mrb, (const void *)v, (size_t)c->ret) : mrb_nil_value();
	case K_IOV_IN:
		return v ? iov_bytes(mrb, (const struct iovec *)v, (int)buf_len(c, i), LONG_MAX) : mrb_nil_value();
	case K_IOV_OUT:
		return done && v ? iov_bytes(mrb, (const struct iovec *)v, (int)buf_len(c, i), c->ret) : mrb_nil_value();
	case K_SOCKADDR: case K_SOCKADDR_OUT: {
		if (!v || (ai->kind == K_SOCKADDR_OUT && !done))
			return mrb_nil_value();
		socklen_t len = 0;
		if (ai->kind == K_SOCKADDR)
			len = (socklen_t)buf_len(c, i);
		else if (!hj_peek(&len, (const void *)c->a[i + 1], sizeof len))
			return mrb_nil_value();
		struct sockaddr_storage sa;
		if (len > sizeof sa)
			len = sizeof sa;
		if (!hj_peek(&sa, (const void *)v, len))
			return mrb_nil_value();
		char tmp[256];
		struct hj_buf b = { tmp, 0, sizeof tmp };
		hj_sockaddr_str(&b, &sa, len);
		return mrb_str_new(mrb, tmp, b.len);
	}
	case K_ARGV: case K_ENVP:
		return v ? str_array(mrb, (char *const *)v) : mrb_nil_value();
	case K_FDPAIR: {
		int fds[2];
		if (!done || !hj_peek(fds, (const void *)v, sizeof fds))
			return mrb_nil_value();
		return mrb_assoc_new(mrb, mrb_int_value(mrb, fds[0]), mrb_int_value(mrb, fds[1]));
	}
	case K_TIMESPEC: case K_TIMESPEC_OUT: {
		struct timespec ts;
		if ((ai->kind == K_TIMESPEC_OUT && !done) || !hj_peek(&ts, (const void *)v, sizeof ts))
			return mrb_nil_value();
		return mrb_float_value(mrb, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	}
	case K_TIMEVAL: case K_TIMEVAL_OUT: {
		struct timeval tv;
		if ((ai->kind == K_TIMEVAL_OUT && !done) || !hj_peek(&tv, (const void *)v, sizeof tv))
			return mrb_nil_value();
		return mrb_float_value(mrb, (double)tv.tv_sec + tv.tv_usec / 1e6);
	}
	case K_TIMES: {
		/* [atime, mtime]: Float seconds, :now or :omit; nil means both now */
		struct timespec ts[2];
		if (!hj_peek(ts, (const void *)v, sizeof ts))
			return mrb_nil_value();
		mrb_value pair[2];
		for (int k = 0; k < 2; k++)
			pair[k] = ts[k].tv_nsec == UTIME_NOW ? mrb_symbol_value(mrb_intern_lit(mrb, "now"))
				: ts[k].tv_nsec == UTIME_OMIT ? mrb_symbol_value(mrb_intern_lit(mrb, "omit"))
				: mrb_float_value(mrb, (double)ts[k].tv_sec + ts[k].tv_nsec / 1e9);
		return mrb_ary_new_from_values(mrb, 2, pair);
	}
	case K_ITIMERSPEC: case K_ITIMERSPEC_OUT: {
		if (!v || (ai->kind == K_ITIMERSPEC_OUT && !done))
			return mrb_nil_value();
		struct itimerspec its;
		if (!hj_peek(&its, (const void *)v, sizeof its))
			return mrb_nil_value();
		mrb_value pair[2] = {
			mrb_float_value(mrb, (double)its.it_interval.tv_sec + its.it_interval.tv_nsec / 1e9),
			mrb_float_value(mrb, (double)its.it_value.tv_sec + its.it_value.tv_nsec / 1e9),
		};
		return mrb_ary_new_from_values(mrb, 2, pair);
	}
	case K_TIMEB_OUT: {
		if (!v || !done)
			return mrb_nil_value();
		const struct timeb *tb = (const void *)v;
		return mrb_float_value(mrb, (double)tb->time + tb->millitm / 1e3);
	}
	case K_COND:
		/* the clock its deadlines are on (pthread_condattr_setclock),
		 * as glibc keeps it: a flag in __wrefs */
		if (!v)
			return mrb_nil_value();
		return mrb_int_value(mrb, __atomic_load_n(&((pthread_cond_t *)v)->__data.__wrefs, __ATOMIC_RELAXED) & 2
				     ? CLOCK_MONOTONIC : CLOCK_REALTIME);
	case K_TIMERP:
		if (!v || !done)
			return mrb_nil_value();
		return mrb_int_value(mrb, (long)*(timer_t *)v);	/* as timer_settime's timerid reads */
	case K_UINT: case K_HEX: case K_PTR: case K_STAT: case K_POLLFD:
	case K_OFFP: case K_PIDP: case K_MSGHDR_IN: case K_MSGHDR_OUT:
		if ((unsigned long)v > (unsigned long)MRB_INT_MAX)
			return mrb_float_value(mrb, (double)(unsigned long)v);
		return mrb_int_value(mrb, v);
	default:
		return mrb_int_value(mrb, v);
	}
}

/* A copy of a Ruby string that lives until the call returns. */
static char *own(struct hj_call *c, int i, const void *p, size_t n)
{
	char *copy = hj_malloc(n + 1);
	if (!copy)
		return NULL;
	memcpy(copy, p, n);
	copy[n] = 0;
	hj_free(c->owned[i]);
	c->owned[i] = copy;
	c->owns = true;
	return copy;
}

static void set_sockaddr(mrb_state *mrb, struct hj_call *c, int i, mrb_value v)
{
	const char *s = mrb_str_to_cstr(mrb, v);
	union { struct sockaddr_in in; struct sockaddr_in6 in6; struct sockaddr_un un; } sa;
	socklen_t len;
	memset(&sa, 0, sizeof sa);
	const char *colon = strrchr(s, ':');
	char host[128];
	if (s[0] == '/' || !colon) {
		sa.un.sun_family = AF_UNIX;
		snprintf(sa.un.sun_path, sizeof sa.un.sun_path, "%s", s);
		len = sizeof sa.un;
	} else {
		snprintf(host, sizeof host, "%.*s", (int)(colon - s), s);
		int port = atoi(colon + 1);
		char *h = host;
		if (h[0] == '[') {
			h++;
			h[strlen(h) - 1] = 0;
		}
		if (inet_pton(AF_INET, h, &sa.in.sin_addr) == 1) {
			sa.in.sin_family = AF_INET;
			sa.in.sin_port = htons((uint16_t)port);
			len = sizeof sa.in;
		} else if (inet_pton(AF_INET6, h, &sa.in6.sin6_addr) == 1) {
			sa.in6.sin6_family = AF_INET6;
			sa.in6.sin6_port = htons((uint16_t)port);
			len = sizeof sa.in6;
		} else {
			mrb_raisef(mrb, E_ARGUMENT_ERROR, "not an address: %v (want \"host:port\" or a unix path)", v);
		}
	}
	c->a[i] = (long)own(c, i, &sa, len);
	c->a[i + 1] = len;
}

static struct timespec float_timespec(double d)
{
	struct timespec ts = { (time_t)floor(d), 0 };
	ts.tv_nsec = (long)((d - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	if (ts.tv_nsec < 0)
		ts.tv_nsec = 0;
	return ts;
}

static void set_arg(mrb_state *mrb, struct hj_call *c, int i, mrb_value v)
{
	const struct hj_arg_info *ai = &hj_calls[c->id].args[i];
	switch (ai->kind) {
	case K_PATH: case K_STR:
		if (mrb_nil_p(v)) {
			c->a[i] = 0;
			return;
		}
		v = mrb_str_to_str(mrb, v);
		c->a[i] = (long)own(c, i, RSTRING_PTR(v), (size_t)RSTRING_LEN(v));
		return;
	case K_BUF_IN:
		v = mrb_str_to_str(mrb, v);
		if (c->asked < 0)
			c->asked = c->a[i + 1];
		c->a[i] = (long)own(c, i, RSTRING_PTR(v), (size_t)RSTRING_LEN(v));
		c->a[i + 1] = RSTRING_LEN(v);
		return;
	case K_BUF_OUT: {
		/* what the program reads: the new bytes, cut to its buffer */
		if (!c->after)
			mrb_raise(mrb, E_RUNTIME_ERROR, "buf= on a call that reads works in after blocks");
		v = mrb_str_to_str(mrb, v);
		long room = hj_calls[c->id].nargs > i + 1 ? c->a[i + 1] : 0;
		long n = RSTRING_LEN(v) < room ? RSTRING_LEN(v) : room;
		if (n > 0 && !hj_poke((void *)c->a[i], RSTRING_PTR(v), (size_t)n)) {
			char at[24];
			snprintf(at, sizeof at, "%#lx", (unsigned long)c->a[i]);
			mrb_raisef(mrb, E_RUNTIME_ERROR, "buf= cannot write the program's buffer at %s", at);
		}
		c->ret = n;
		c->err = 0;
		return;
	}
	case K_SOCKADDR:
		set_sockaddr(mrb, c, i, v);
		return;
	case K_TIMESPEC: {
		struct timespec ts = float_timespec(mrb_as_float(mrb, v));
		c->a[i] = (long)own(c, i, &ts, sizeof ts);
		return;
	}
	case K_TIMEVAL: {
		/* select's timeout: the kernel writes what is left into the
		 * program's own struct, so a new value goes there too */
		if (mrb_nil_p(v)) {
			c->a[i] = 0;
			return;
		}
		struct timespec ts = float_timespec(mrb_as_float(mrb, v));
		struct timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
		if (c->a[i]) {
			if (!hj_poke((void *)c->a[i], &tv, sizeof tv))
				mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= cannot write the program's memory", ai->name);
		} else
			c->a[i] = (long)own(c, i, &tv, sizeof tv);
		return;
	}
	case K_ITIMERSPEC: case K_ITIMERSPEC_OUT: {
		mrb_value ary = mrb_ensure_array_type(mrb, v);
		if (RARRAY_LEN(ary) != 2)
			mrb_raisef(mrb, E_ARGUMENT_ERROR, "%s= takes [interval, value]", ai->name);
		struct itimerspec its = {
			float_timespec(mrb_as_float(mrb, RARRAY_PTR(ary)[0])),
			float_timespec(mrb_as_float(mrb, RARRAY_PTR(ary)[1])),
		};
		if (ai->kind == K_ITIMERSPEC) {
			c->a[i] = (long)own(c, i, &its, sizeof its);
			return;
		}
		if (!c->after)
			mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= on %s works in after blocks", ai->name, hj_calls[c->id].name);
		if (c->a[i] && !hj_poke((void *)c->a[i], &its, sizeof its))
			mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= cannot write the program's memory", ai->name);
		return;
	}
	case K_TIMEB_OUT:
		if (!c->after)
			mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= on %s works in after blocks", ai->name, hj_calls[c->id].name);
		if (c->a[i]) {
			struct timespec ts = float_timespec(mrb_as_float(mrb, v));
			struct timeb tb;
			if (!hj_peek(&tb, (const void *)c->a[i], sizeof tb))
				mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= cannot write the program's memory", ai->name);
			tb.time = ts.tv_sec;
			tb.millitm = (unsigned short)(ts.tv_nsec / 1000000);
			if (!hj_poke((void *)c->a[i], &tb, sizeof tb))
				mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= cannot write the program's memory", ai->name);
		}
		return;
	case K_COND: case K_TIMERP:
		mrb_raisef(mrb, E_RUNTIME_ERROR, "%s of %s cannot be set", ai->name, hj_calls[c->id].name);
		return;
	case K_TIMESPEC_OUT: case K_TIMEVAL_OUT:
		/* what the program reads back: written into its own struct */
		if (!c->after)
			mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= on %s works in after blocks", ai->name, hj_calls[c->id].name);
		if (c->a[i]) {
			struct timespec ts = float_timespec(mrb_as_float(mrb, v));
			struct timeval tv = { ts.tv_sec, ts.tv_nsec / 1000 };
			bool ok = ai->kind == K_TIMESPEC_OUT ? hj_poke((void *)c->a[i], &ts, sizeof ts)
							     : hj_poke((void *)c->a[i], &tv, sizeof tv);
			if (!ok)
				mrb_raisef(mrb, E_RUNTIME_ERROR, "%s= cannot write the program's memory", ai->name);
		}
		return;
	case K_TIMES: {
		if (mrb_nil_p(v)) {
			c->a[i] = 0;
			return;
		}
		mrb_value ary = mrb_ensure_array_type(mrb, v);
		if (RARRAY_LEN(ary) != 2)
			mrb_raise(mrb, E_ARGUMENT_ERROR, "times= takes [atime, mtime]");
		struct timespec ts[2];
		for (int k = 0; k < 2; k++) {
			mrb_value t = RARRAY_PTR(ary)[k];
			const char *sym = mrb_symbol_p(t) ? mrb_sym_name(mrb, mrb_symbol(t)) : "";
			if (!strcmp(sym, "now"))
				ts[k] = (struct timespec){ 0, UTIME_NOW };
			else if (!strcmp(sym, "omit"))
				ts[k] = (struct timespec){ 0, UTIME_OMIT };
			else
				ts[k] = float_timespec(mrb_as_float(mrb, t));
		}
		c->a[i] = (long)own(c, i, ts, sizeof ts);
		return;
	}
	case K_ARGV: case K_ENVP: {
		mrb_value ary = mrb_ensure_array_type(mrb, v);
		mrb_int n = RARRAY_LEN(ary);
		size_t size = sizeof(char *) * (size_t)(n + 1);
		for (mrb_int k = 0; k < n; k++)
			size += (size_t)RSTRING_LEN(mrb_str_to_str(mrb, RARRAY_PTR(ary)[k])) + 1;
		char **vec = (char **)own(c, i, "", size);
		char *strs = (char *)(vec + n + 1);
		for (mrb_int k = 0; k < n; k++) {
			mrb_value s = mrb_str_to_str(mrb, RARRAY_PTR(ary)[k]);
			vec[k] = strs;
			memcpy(strs, RSTRING_PTR(s), (size_t)RSTRING_LEN(s));
			strs += RSTRING_LEN(s);
			*strs++ = 0;
		}
		vec[n] = NULL;
		c->a[i] = (long)vec;
		return;
	}
	default:
		c->a[i] = mrb_integer_p(v) ? (long)mrb_integer(v) : (long)mrb_as_float(mrb, v);
	}
}

/* Argument names as symbols, per call, interned on first use: a reader
 * compares integers, not strings. */
static mrb_sym arg_syms[HJ_NCALLS][HJ_MAXARGS];
static bool arg_syms_done[HJ_NCALLS];

static int arg_index(struct hj_call *c, mrb_sym name)
{
	const struct hj_call_info *ci = &hj_calls[c->id];
	if (hj_unlikely(!arg_syms_done[c->id])) {
		for (int i = 0; i < ci->nargs; i++)
			arg_syms[c->id][i] = mrb_intern_static(hj_mrb, ci->args[i].name, strlen(ci->args[i].name));
		arg_syms_done[c->id] = true;
	}
	for (int i = 0; i < ci->nargs; i++)
		if (arg_syms[c->id][i] == name)
			return i;
	return -1;
}

/* One reader and one writer serve every argument name: the name rides in
 * the method's environment. A call without that argument reads nil. */
static mrb_value call_arg_get(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	int i = arg_index(c, mrb_symbol(mrb_proc_cfunc_env_get(mrb, 0)));
	return i < 0 ? mrb_nil_value() : arg_value(mrb, c, i);
}

static mrb_value call_arg_set(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value v;
	mrb_get_args(mrb, "o", &v);
	mrb_sym name = mrb_symbol(mrb_proc_cfunc_env_get(mrb, 0));
	int i = arg_index(c, name);
	if (i < 0)
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "%s has no argument %n", hj_calls[c->id].name, name);
	set_arg(mrb, c, i, v);
	return v;
}

static mrb_value call_name(mrb_state *mrb, mrb_value self)
{
	return mrb_symbol_value(call_syms[cur(mrb, self)->id]);
}

static mrb_value call_args(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value ary = mrb_ary_new(mrb);
	for (int i = 0; i < hj_calls[c->id].nargs; i++)
		mrb_ary_push(mrb, ary, arg_value(mrb, c, i));
	return ary;
}

static mrb_value call_fail(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value e;
	mrb_get_args(mrb, "o", &e);
	hj_fail(c, errno_arg(mrb, e));
	c->decided = c->injected = true;
	return mrb_nil_value();
}

static mrb_value call_return(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value v = mrb_nil_value();
	mrb_get_args(mrb, "|o", &v);
	c->ret = mrb_nil_p(v) || mrb_false_p(v) ? 0 : mrb_true_p(v) ? 1
	       : mrb_float_p(v) ? (long)mrb_float(v) : (long)mrb_as_int(mrb, v);
	c->err = 0;
	c->decided = c->injected = true;
	return mrb_nil_value();
}

static mrb_value call_delay(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_float s = 0;
	mrb_get_args(mrb, "f", &s);
	if (s > 0)
		c->delay_ns += (uint64_t)(s * 1e9);
	return mrb_nil_value();
}

static mrb_value call_result(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	if (!c->after && !c->decided)
		return mrb_nil_value();
	return mrb_int_value(mrb, c->ret);
}

static mrb_value call_set_result(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_int v;
	mrb_get_args(mrb, "i", &v);
	c->ret = (long)v;
	if (c->id == HJ_time && c->a[0] && c->after) {	/* time() stores what it returns */
		time_t t = (time_t)v;
		hj_poke((void *)c->a[0], &t, sizeof t);
	}
	return mrb_int_value(mrb, v);
}

static mrb_value call_errno(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	if (!(c->after || c->decided) || !hj_is_failure(c))
		return mrb_nil_value();
	enum hj_ret r = hj_calls[c->id].ret;
	return errno_value(mrb, r == R_ERRNUM ? (int)c->ret : c->err);
}

/* Setting errno makes the call a failure: a result with an errno that the
 * program never looks at would change nothing. */
static mrb_value call_set_errno(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value e;
	mrb_get_args(mrb, "o", &e);
	if (mrb_nil_p(e)) {
		c->err = 0;
		return e;
	}
	hj_fail(c, errno_arg(mrb, e));
	return e;
}

static mrb_value call_pid(mrb_state *mrb, mrb_value self)
{
	(void)self;
	return mrb_int_value(mrb, getpid());
}

static mrb_value call_tid(mrb_state *mrb, mrb_value self)
{
	(void)self;
	return mrb_int_value(mrb, gettid());
}

static mrb_value call_fd_path(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	const struct hj_call_info *ci = &hj_calls[c->id];
	char buf[4096];
	int fd;
	if (c->id == HJ_readdir)	/* the directory a DIR * reads (glibc's begins with its fd) */
		return hj_peek(&fd, (const void *)c->a[0], sizeof fd) && hj_fd_path(dirfd((DIR *)c->a[0]), buf, sizeof buf)
		     ? mrb_str_new_cstr(mrb, buf) : mrb_nil_value();
	for (int i = 0; i < ci->nargs; i++)
		if (ci->args[i].kind == K_FD || (ci->args[i].kind == K_DIRFD && (int)c->a[i] >= 0))
			return hj_fd_path((int)c->a[i], buf, sizeof buf) ? mrb_str_new_cstr(mrb, buf) : mrb_nil_value();
	return mrb_nil_value();
}

/* The struct a stat-like call fills, as an array of its timestamps
 * (atime, mtime, ctime; statx: and btime when present); NULL if none. */
static int stat_stamps(struct hj_call *c, struct timespec **ts, struct statx_timestamp **sx)
{
	if (!c->after || hj_is_failure(c))
		return 0;
	if (c->id == HJ_statx) {
		struct statx *st = (struct statx *)c->a[4];
		if (!st)
			return 0;
		sx[0] = &st->stx_atime, sx[1] = &st->stx_mtime, sx[2] = &st->stx_ctime, sx[3] = &st->stx_btime;
		return st->stx_mask & STATX_BTIME ? 4 : 3;
	}
	const struct hj_call_info *ci = &hj_calls[c->id];
	for (int i = 0; i < ci->nargs; i++) {
		if (ci->args[i].kind != K_STAT || !c->a[i])
			continue;
		struct stat *st = (struct stat *)c->a[i];
		ts[0] = &st->st_atim, ts[1] = &st->st_mtim, ts[2] = &st->st_ctim;
		return 3;
	}
	return 0;
}

/* call.stat_times: [atime, mtime, ctime(, btime)] of what a stat-like call
 * returned, Float seconds; nil before it returned, or if it failed. */
static mrb_value call_stat_times(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	struct timespec *ts[4] = { 0 };
	struct statx_timestamp *sx[4] = { 0 };
	int n = stat_stamps(c, ts, sx);
	if (!n)
		return mrb_nil_value();
	mrb_value v[4];
	for (int k = 0; k < n; k++)
		v[k] = mrb_float_value(mrb, ts[k] ? (double)ts[k]->tv_sec + ts[k]->tv_nsec / 1e9
					       : (double)sx[k]->tv_sec + sx[k]->tv_nsec / 1e9);
	return mrb_ary_new_from_values(mrb, n, v);
}

/* call.stat_times = [atime, mtime, ...]: what the program reads; a nil
 * entry (or a missing one) leaves that stamp as it is. */
static mrb_value call_set_stat_times(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	mrb_value ary;
	mrb_get_args(mrb, "A", &ary);
	struct timespec *ts[4] = { 0 };
	struct statx_timestamp *sx[4] = { 0 };
	int n = stat_stamps(c, ts, sx);
	if (!n)
		mrb_raise(mrb, E_RUNTIME_ERROR, "stat_times= works in after blocks of stat-like calls that succeeded");
	for (int k = 0; k < n && k < RARRAY_LEN(ary); k++) {
		mrb_value t = RARRAY_PTR(ary)[k];
		if (mrb_nil_p(t))
			continue;
		struct timespec x = float_timespec(mrb_as_float(mrb, t));
		if (ts[k])
			*ts[k] = x;
		else
			sx[k]->tv_sec = x.tv_sec, sx[k]->tv_nsec = (uint32_t)x.tv_nsec;
	}
	return ary;
}

/* call.abspath(arg = first path argument): that path made absolute
 * against the cwd or its dirfd, "." and ".." folded; nil if none. */
static mrb_value call_abspath(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	const struct hj_call_info *ci = &hj_calls[c->id];
	mrb_sym name = 0;
	mrb_get_args(mrb, "|n", &name);
	char buf[4096];
	for (int i = 0; i < ci->nargs; i++) {
		if (ci->args[i].kind != K_PATH || (name && strcmp(ci->args[i].name, mrb_sym_name(mrb, name))))
			continue;
		return hj_abspath(c, i, buf, sizeof buf) ? mrb_str_new_cstr(mrb, buf) : mrb_nil_value();
	}
	return mrb_nil_value();
}

/* call.entry: the name readdir returned (nil at the end or before it). */
static mrb_value call_entry(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	char name[256];
	bool nul;
	if (c->id != HJ_readdir || !c->after || !c->ret)
		return mrb_nil_value();
	if (hj_proven(c))	/* libc's own dirent (a hook that makes one up is read safely) */
		return mrb_str_new_cstr(mrb, ((struct dirent *)c->ret)->d_name);
	long n = hj_peek_str(name, sizeof name, ((struct dirent *)c->ret)->d_name, &nul);
	return n >= 0 && nul ? mrb_str_new(mrb, name, (size_t)n) : mrb_nil_value();
}

/* call.retry: in an after block, make the real call again (and run the
 * after blocks on its result): skips a directory entry, say. */
static mrb_value call_retry(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = cur(mrb, self);
	if (!c->after)
		mrb_raise(mrb, E_RUNTIME_ERROR, "retry works in after blocks");
	c->retry = true;
	return mrb_nil_value();
}

static mrb_value call_inspect(mrb_state *mrb, mrb_value self)
{
	struct hj_call *c = DATA_PTR(self);
	if (!c)
		return mrb_str_new_cstr(mrb, "#<Hijack::Call (returned)>");
	char tmp[1024];
	struct hj_buf b = { tmp, 0, sizeof tmp };
	hj_printf(&b, "#<Hijack::Call %s(", hj_calls[c->id].name);
	for (int i = 0; i < hj_calls[c->id].nargs; i++) {
		if (i)
			hj_puts(&b, ", ");
		hj_decode_arg(&b, c, i, false);
	}
	hj_puts(&b, ")>");
	return mrb_str_new(mrb, tmp, b.len);
}

/* ---- Hijack.on / Hijack.after ---- */

static void add_calls(mrb_state *mrb, mrb_value v, uint64_t *set)
{
	const char *s = mrb_symbol_p(v) ? mrb_sym_name(mrb, mrb_symbol(v))
		      : mrb_string_p(v) ? mrb_str_to_cstr(mrb, v) : NULL;
	if (!s)
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "a call name (Symbol) or group (\"%%file\") expected, got %v", v);
	char err[256];
	if (!hj_set_parse(s, set, err, sizeof err))
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "%s (see `hijack calls`)", err);
}

/* Filters are checked whole (raising on a bad one) before anything is
 * allocated, so that a raise leaks nothing. */
static mrb_value filter_list(mrb_state *mrb, mrb_value v)
{
	return mrb_array_p(v) ? v : mrb_ary_new_from_values(mrb, 1, &v);
}

static void check_globs(mrb_state *mrb, mrb_value ary)
{
	for (mrb_int k = 0; k < RARRAY_LEN(ary); k++) {
		mrb_value s = RARRAY_PTR(ary)[k];
		if (!mrb_string_p(s) || memchr(RSTRING_PTR(s), 0, (size_t)RSTRING_LEN(s)))
			mrb_raisef(mrb, E_TYPE_ERROR, "path: takes a path or glob String, or an Array of them, got %v", s);
		if (!RSTRING_LEN(s))
			mrb_raise(mrb, E_ARGUMENT_ERROR, "path: an empty String matches nothing");
	}
}

static void check_fds(mrb_state *mrb, mrb_value ary)
{
	for (mrb_int k = 0; k < RARRAY_LEN(ary); k++) {
		mrb_value e = RARRAY_PTR(ary)[k];
		if (!mrb_integer_p(e) && !mrb_range_p(e))
			mrb_raisef(mrb, E_TYPE_ERROR, "fd: takes an Integer, a Range or an Array of them, got %v", e);
		if (mrb_range_p(e)) {
			struct RRange *r = mrb_range_ptr(mrb, e);
			if ((!mrb_nil_p(RANGE_BEG(r)) && !mrb_integer_p(RANGE_BEG(r))) ||
			    (!mrb_nil_p(RANGE_END(r)) && !mrb_integer_p(RANGE_END(r))))
				mrb_raisef(mrb, E_TYPE_ERROR, "fd: a Range of Integers, got %v", e);
		}
	}
}

/* The patterns as rules keep them (relative ones made absolute); raises,
 * having freed them, when one cannot be. */
static char **globs_from(mrb_state *mrb, mrb_value ary, int *n)
{
	*n = (int)RARRAY_LEN(ary);
	char **globs = hj_calloc((size_t)*n + 1, sizeof *globs);
	for (int k = 0; globs && k < *n; k++) {
		char *raw = hj_strndup(RSTRING_PTR(RARRAY_PTR(ary)[k]), (size_t)RSTRING_LEN(RARRAY_PTR(ary)[k]));
		globs[k] = raw ? hj_path_pattern(raw) : NULL;
		hj_free(raw);
	}
	for (int k = 0; globs && k < *n; k++)
		if (!globs[k]) {
			for (int j = 0; j < *n; j++)
				hj_free(globs[j]);
			hj_free(globs);
			mrb_raisef(mrb, E_ARGUMENT_ERROR, "path: %v cannot be made absolute (too long, or no working directory)",
				   RARRAY_PTR(ary)[k]);
		}
	return globs;
}

static long (*fds_from(mrb_state *mrb, mrb_value ary, int *n))[2]
{
	*n = (int)RARRAY_LEN(ary);
	long (*fds)[2] = hj_calloc((size_t)*n + 1, sizeof *fds);
	for (int k = 0; fds && k < *n; k++) {
		mrb_value e = RARRAY_PTR(ary)[k];
		if (mrb_integer_p(e)) {
			fds[k][0] = fds[k][1] = (long)mrb_integer(e);
			continue;
		}
		struct RRange *r = mrb_range_ptr(mrb, e);
		long end = mrb_integer_p(RANGE_END(r)) ? (long)mrb_integer(RANGE_END(r)) : LONG_MAX;
		fds[k][0] = mrb_integer_p(RANGE_BEG(r)) ? (long)mrb_integer(RANGE_BEG(r)) : 0;
		fds[k][1] = RANGE_EXCL(r) && mrb_integer_p(RANGE_END(r)) ? (end == LONG_MIN ? LONG_MIN : end - 1) : end;
		if (fds[k][1] < fds[k][0])	/* empty: matches nothing */
			fds[k][0] = 1, fds[k][1] = 0;
	}
	return fds;
}

static void free_filters(struct hj_rule *r)
{
	for (int k = 0; r->globs && k < r->nglobs; k++)
		hj_free(r->globs[k]);
	hj_free(r->globs);
	for (int k = 0; r->except && k < r->nexcept; k++)
		hj_free(r->except[k]);
	hj_free(r->except);
	hj_free(r->fds);
}

static void define_arg_accessors(mrb_state *mrb, int id);

/* The rule a new hook belongs to, for the report of rules that never
 * fired, named as the user wrote it: a shortcut by its option ("--readonly
 * /x", the name its code is compiled under), a recipe call by its method
 * and the script line that called it (a recipe makes many hooks), a plain
 * hook by its script line, calls and filters. The frames are walked out
 * to the first that is not a recipe's own code ("hijack/NAME.rb"). */
static void rule_key(mrb_state *mrb, const struct hj_rule *r, char *key, size_t n)
{
	const char *file = NULL, *recipe = NULL;
	int32_t line = 0;
	mrb_sym method = 0;
	for (const mrb_callinfo *ci = mrb->c->ci; ci >= mrb->c->cibase; ci--) {
		if (!ci->proc || MRB_PROC_CFUNC_P(ci->proc) || !ci->pc)
			continue;
		const mrb_irep *irep = ci->proc->body.irep;
		uint32_t pc = (uint32_t)(ci->pc - irep->iseq);
		pc -= pc > 0;	/* the call, not the instruction after it */
		const char *f = mrb_debug_get_filename(mrb, irep, pc);
		if (!f)		/* mruby's own Ruby (Array#each): look further out */
			continue;
		if (!strncmp(f, "hijack/", 7)) {
			recipe = f;
			method = ci->mid;
			continue;
		}
		file = f;
		line = mrb_debug_get_line(mrb, irep, pc);
		break;
	}
	if (file && !strncmp(file, "--", 2)) {
		snprintf(key, n, "%s", file);
		return;
	}
	if (file && recipe && method) {
		/* "hijack/fs.rb" -> "FS", "hijack/chaos.rb" -> "Chaos" */
		char mod[32];
		const char *base = recipe + 7;
		size_t len = strcspn(base, ".");
		snprintf(mod, sizeof mod, "%.*s", (int)len, base);
		for (size_t i = 0; mod[i]; i++)
			if (i == 0 || len <= 2)
				mod[i] = (char)(mod[i] - 'a' + 'A');
		const char *name = mrb_sym_name(mrb, method);
		snprintf(key, n, "Hijack::%s.%s at %s:%d", mod, name + (strncmp(name, "__", 2) ? 0 : 2), file, line);
		return;
	}
	size_t len = (size_t)snprintf(key, n, "rule at ");
	if (file)
		len += (size_t)snprintf(key + len, n - len, "%s:%d", file, line);
	else
		len += (size_t)snprintf(key + len, n - len, "%s", r->where);
	len += (size_t)snprintf(key + len, n - len, " (%s", r->phase == HJ_BEFORE ? "on" : "after");
	int shown = 0;
	for (int id = 0; id < HJ_NCALLS && len < n; id++)
		if (r->calls[id / 64] >> (id % 64) & 1 && ++shown <= 3)
			len += (size_t)snprintf(key + len, n - len, "%s%s", shown > 1 ? ", " : " ", hj_calls[id].name);
	if (shown > 3 && len < n)
		len += (size_t)snprintf(key + len, n - len, " and %d more", shown - 3);
	for (int k = 0; k < r->nglobs && len < n; k++)
		len += (size_t)snprintf(key + len, n - len, "%s%s", k ? ", " : ", path: ", r->globs[k]);
	for (int k = 0; k < r->nfds && len < n; k++)
		len += r->fds[k][0] == r->fds[k][1] ? (size_t)snprintf(key + len, n - len, "%s%ld", k ? ", " : ", fd: ", r->fds[k][0])
			: (size_t)snprintf(key + len, n - len, "%s%ld..%ld", k ? ", " : ", fd: ", r->fds[k][0], r->fds[k][1]);
	if (len < n)
		snprintf(key + len, n - len, ")");
}

static mrb_value hook(mrb_state *mrb, int phase)
{
	mrb_value *argv, kw = mrb_nil_value(), blk;
	mrb_int argc;
	mrb_get_args(mrb, "*&", &argv, &argc, &blk);
	if (argc > 0 && mrb_hash_p(argv[argc - 1]))	/* the filters */
		kw = argv[--argc];
	if (mrb_nil_p(blk))
		mrb_raise(mrb, E_ARGUMENT_ERROR, "a block is needed: Hijack.on(:call) { |call| ... }");
	if (argc == 0)
		mrb_raise(mrb, E_ARGUMENT_ERROR, "name at least one call or group");
	struct hj_rule r;
	memset(&r, 0, sizeof r);
	r.phase = phase;
	for (mrb_int k = 0; k < argc; k++)
		add_calls(mrb, argv[k], r.calls);
	mrb_value globs = mrb_nil_value(), fds = mrb_nil_value(), except = mrb_nil_value();
	mrb_value fs_args = mrb_nil_value();
	bool reported = true;
	if (mrb_hash_p(kw)) {
		mrb_value keys = mrb_hash_keys(mrb, kw);
		for (mrb_int k = 0; k < RARRAY_LEN(keys); k++) {
			mrb_value key = RARRAY_PTR(keys)[k], val = mrb_hash_get(mrb, kw, key);
			const char *name = mrb_symbol_p(key) ? mrb_sym_name(mrb, mrb_symbol(key)) : "";
			if (!strcmp(name, "path"))
				check_globs(mrb, globs = filter_list(mrb, val));
			else if (!strcmp(name, "fd"))
				check_fds(mrb, fds = filter_list(mrb, val));
			else if (!strcmp(name, "report"))	/* false: never named as a rule that did not fire */
				reported = mrb_test(val);
			/* a recipe's (Sandbox.allow): calls it lets through unseen */
			else if (!strcmp(name, "except_path"))
				check_globs(mrb, except = filter_list(mrb, val));
			else if (!strcmp(name, "flags_any"))
				r.flags_any = (long)mrb_as_int(mrb, val);
			else if (!strcmp(name, "flags_none"))
				r.flags_none = (long)mrb_as_int(mrb, val);
			/* Hijack::Clock's readings: clockfast.c answers them in C
			 * while this hook is the only one on the call */
			else if (!strcmp(name, "clock_reading"))
				r.clock_reading = mrb_test(val);
			/* Hijack::FS's hooks of its groups of path calls: fsfast.c
			 * applies them while they are all the hooks a call matched */
			else if (!strcmp(name, "fs_map"))
				r.fs_kind = (signed char)(mrb_symbol_p(val) ? hj_fs_kind(mrb_sym_name(mrb, mrb_symbol(val))) : 0);
			else if (!strcmp(name, "fs_args"))
				fs_args = val;
			else
				mrb_raisef(mrb, E_ARGUMENT_ERROR, "unknown filter %v (filters: path:, fd:; and report: false)", key);
		}
	}
	/* every path argument named, or no C way for the hook */
	if (r.fs_kind && mrb_array_p(fs_args) && RARRAY_LEN(fs_args) >= 1 && RARRAY_LEN(fs_args) <= 2) {
		for (mrb_int k = 0; k < RARRAY_LEN(fs_args) && r.fs_kind; k++) {
			mrb_value a = RARRAY_PTR(fs_args)[k];
			if (!mrb_symbol_p(a) || !(r.fs_args[k] = hj_fs_argname(mrb_sym_name(mrb, mrb_symbol(a)))))
				r.fs_kind = 0;
		}
	} else {
		r.fs_kind = 0;
	}
	if (!mrb_nil_p(globs))
		r.globs = globs_from(mrb, globs, &r.nglobs);
	if (!mrb_nil_p(fds))
		r.fds = fds_from(mrb, fds, &r.nfds);
	if (!mrb_nil_p(except) && RARRAY_LEN(except) > 0)
		r.except = globs_from(mrb, except, &r.nexcept);
	/* where the block was written, for error reports */
	const struct RProc *p = mrb_proc_ptr(blk);
	if (!MRB_PROC_CFUNC_P(p)) {
		const char *file = mrb_debug_get_filename(mrb, p->body.irep, 0);
		int32_t line = mrb_debug_get_line(mrb, p->body.irep, 0);
		snprintf(r.where, sizeof r.where, "%s:%d", file ? file : "-e", line);
	}
	r.fired_slot = -1;
	if (reported && !hj_rule_loading_set) {	/* a ctl load's rules are not the run's */
		char key[512];
		rule_key(mrb, &r, key, sizeof key);
		r.fired_slot = hj_fired_slot(key, r.calls, (r.nglobs ? HJ_FILTER_PATH : 0) | (r.nfds ? HJ_FILTER_FD : 0));
	}
	r.proc = hj_vm_keep_block(blk);
	int ids[HJ_NCALLS], n = 0;
	for (int id = 0; id < HJ_NCALLS; id++)
		if (r.calls[id / 64] >> (id % 64) & 1)
			ids[n++] = id;
	if ((r.nglobs && !r.globs) || (r.nfds && !r.fds) || (r.nexcept && !r.except) || hj_rule_add(&r, ids, n) < 0) {
		free_filters(&r);
		mrb_raise(mrb, E_RUNTIME_ERROR, "too many hooks");
	}
	for (int k = 0; k < n; k++)
		define_arg_accessors(mrb, ids[k]);
	return mrb_nil_value();
}

/* Hijack.path_match?(pattern or [patterns], path): whether path matches
 * as a path: filter would match it (for a recipe that must look itself). */
static mrb_value hijack_path_match(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value pats, path;
	mrb_get_args(mrb, "oS", &pats, &path);
	pats = filter_list(mrb, pats);
	check_globs(mrb, pats);
	const char *p = mrb_str_to_cstr(mrb, path);
	for (mrb_int k = 0; k < RARRAY_LEN(pats); k++) {
		char *raw = hj_strndup(RSTRING_PTR(RARRAY_PTR(pats)[k]), (size_t)RSTRING_LEN(RARRAY_PTR(pats)[k]));
		char *pat = raw ? hj_path_pattern(raw) : NULL;
		bool hit = pat && hj_path_pattern_match(pat, p);
		hj_free(raw);
		hj_free(pat);
		if (hit)
			return mrb_true_value();
	}
	return mrb_false_value();
}

static mrb_value hijack_on(mrb_state *mrb, mrb_value self) { (void)self; return hook(mrb, HJ_BEFORE); }
static mrb_value hijack_after(mrb_state *mrb, mrb_value self) { (void)self; return hook(mrb, HJ_AFTER); }

static mrb_value hijack_rand(mrb_state *mrb, mrb_value self)
{
	(void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	mrb_value max = mrb_nil_value();
	mrb_get_args(mrb, "|o", &max);
	struct hj_call *c = DATA_PTR(call_obj);
	if (c)		/* what this call gets now depends on chance */
		c->chance = true;
	if (mrb_integer_p(max) && mrb_integer(max) > 0)
		return mrb_int_value(mrb, (mrb_int)(hj_rand64() % (uint64_t)mrb_integer(max)));
	return mrb_float_value(mrb, hj_rand());
}

static mrb_value hijack_log(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value msg;
	mrb_get_args(mrb, "o", &msg);
	msg = mrb_str_dup(mrb, mrb_obj_as_string(mrb, msg));	/* never the caller's string */
	mrb_str_cat_lit(mrb, msg, "\n");
	hj_log(RSTRING_PTR(msg), (size_t)RSTRING_LEN(msg));
	return mrb_nil_value();
}

static mrb_value hijack_at_exit(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value blk;
	mrb_get_args(mrb, "&!", &blk);
	hj_vm_keep_at_exit(blk);
	return blk;
}

static mrb_value hijack_pid(mrb_state *mrb, mrb_value self)
{
	(void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	return mrb_int_value(mrb, getpid());
}

/* Hijack.control(pid, command, arg = nil): `hijack ctl PID COMMAND ARG`
 * from a script: the answer's text, or a RuntimeError with the refusal.
 * Not this process: its channel would wait for the VM this script holds. */
static mrb_value hijack_control(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_int pid;
	char *cmd, *arg = NULL;
	mrb_get_args(mrb, "iz|z!", &pid, &cmd, &arg);
	if (pid == getpid())
		mrb_raise(mrb, E_ARGUMENT_ERROR, "Hijack.control: not this process (use Ruby here)");
	if (pid <= 0 || pid > 4194304)
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "Hijack.control: %d is not a process id", (int)pid);
	bool needs = !strcmp(cmd, "load") || !strcmp(cmd, "unload") || !strcmp(cmd, "eval");
	if (needs && !arg)
		mrb_raisef(mrb, E_ARGUMENT_ERROR, "Hijack.control: %s needs an argument", cmd);
	char err[1200];
	char *body = NULL;
	size_t len = 0;
	if (!strcmp(cmd, "load") && !(body = hj_vm_slurp(arg, &len)))
		mrb_raisef(mrb, E_RUNTIME_ERROR, "%s: %s", arg, hj_vm_slurp_error());
	struct hj_ctl_answer a;
	bool asked = hj_ctl_ask((int)pid, cmd, "", needs && strcmp(cmd, "eval") ? arg : "",
				body ? body : arg, body ? len : !strcmp(cmd, "eval") ? strlen(arg) : 0, &a, err, sizeof err);
	hj_free(body);
	if (!asked)
		mrb_raisef(mrb, E_RUNTIME_ERROR, "%s", err);
	mrb_value text = mrb_str_new(mrb, a.text, (mrb_int)a.len);
	bool ok = a.ok;
	hj_free(a.text);
	if (!ok)
		mrb_raisef(mrb, E_RUNTIME_ERROR, "%d: %v", (int)pid, text);
	return text;
}

/* Hijack.run_dir: the launcher's private directory for this run (0700,
 * removed when the run ends), or nil without the launcher. */
static mrb_value hijack_run_dir(mrb_state *mrb, mrb_value self)
{
	(void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	const char *d = hj_env("HIJACK_RUN_DIR");
	struct stat st;
	return d && *d && stat(d, &st) == 0 && S_ISDIR(st.st_mode) ? mrb_str_new_cstr(mrb, d) : mrb_nil_value();
}

/* Hijack.errno(:ENOSPC) -> 28, raising on an unknown name: a recipe
 * checks its arguments where the script calls it, not at the first call. */
static mrb_value hijack_errno(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value e;
	mrb_get_args(mrb, "o", &e);
	return mrb_int_value(mrb, errno_arg(mrb, e));
}

/* [realtime, monotonic] at the start of the run, in seconds: the same in
 * every process of the tree, so clocks built on it agree. */
static mrb_value hijack_epoch(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value pair[2] = { mrb_float_value(mrb, hj_cfg.epoch_real / 1e9), mrb_float_value(mrb, hj_cfg.epoch_mono / 1e9) };
	return mrb_ary_new_from_values(mrb, 2, pair);
}

/* The real monotonic clock, in seconds (a script's own clock calls are
 * never hooked, but this one needs no Time object). */
static mrb_value hijack_monotonic(mrb_state *mrb, mrb_value self)
{
	(void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mrb_float_value(mrb, (double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Hijack.__clock_set(wall, base, wf, f): Hijack::Clock's parameters, as
 * its hooks read them, for the readings clockfast.c makes in C. */
static mrb_value hijack_clock_set(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_bool wall;
	mrb_float base, wf, f;
	mrb_get_args(mrb, "bfff", &wall, &base, &wf, &f);
	hj_clock_set(wall, base, wf, f);
	return mrb_nil_value();
}

/* Hijack.__fs_set(roots, copies_watched, copy_roots): Hijack::FS's
 * configured paths as its hooks read them ([path, type, to, to_inside,
 * cut], the longest first), for the path maps fsfast.c applies in C. */
static mrb_value hijack_fs_set(mrb_state *mrb, mrb_value self)
{
	(void)self;
	mrb_value roots, copy_roots;
	mrb_bool copies_watched;
	mrb_get_args(mrb, "AbA", &roots, &copies_watched, &copy_roots);
	mrb_int n = RARRAY_LEN(roots), ncopy = RARRAY_LEN(copy_roots);
	if (ncopy > 2)
		mrb_raise(mrb, E_ARGUMENT_ERROR, "__fs_set: two copy roots at most");
	struct hj_fs_root_in *in = hj_calloc((size_t)n + 1, sizeof *in);
	const char *copies[2] = { NULL, NULL };
	if (!in)
		mrb_raise(mrb, E_RUNTIME_ERROR, "__fs_set: out of memory");
	static const char *const types[] = { [HJ_FS_HIDE] = "hide", [HJ_FS_RO] = "ro", [HJ_FS_FILE] = "file",
					     [HJ_FS_REDIRECT] = "redirect" };
	for (mrb_int i = 0; i < n; i++) {
		mrb_value e = RARRAY_PTR(roots)[i];
		if (!mrb_array_p(e) || RARRAY_LEN(e) != 5 || !mrb_string_p(RARRAY_PTR(e)[0]) ||
		    !mrb_symbol_p(RARRAY_PTR(e)[1]))
			break;
		const char *type = mrb_sym_name(mrb, mrb_symbol(RARRAY_PTR(e)[1]));
		for (int k = HJ_FS_HIDE; k <= HJ_FS_REDIRECT; k++)
			if (!strcmp(types[k], type))
				in[i].type = k;
		in[i].path = mrb_str_to_cstr(mrb, RARRAY_PTR(e)[0]);
		in[i].to = mrb_string_p(RARRAY_PTR(e)[2]) ? mrb_str_to_cstr(mrb, RARRAY_PTR(e)[2]) : NULL;
		in[i].to_inside = mrb_test(RARRAY_PTR(e)[3]);
		in[i].cut = (size_t)mrb_as_int(mrb, RARRAY_PTR(e)[4]);
		if (!in[i].type || (in[i].type == HJ_FS_REDIRECT && !in[i].to))
			break;
	}
	for (mrb_int i = 0; i < ncopy; i++)
		copies[i] = mrb_str_to_cstr(mrb, RARRAY_PTR(copy_roots)[i]);
	bool whole = true;
	for (mrb_int i = 0; i < n; i++)
		whole = whole && in[i].type;
	/* a table not understood whole: no C way, every call the Ruby way */
	bool ok = whole ? hj_fs_set(in, (int)n, copies_watched, copies, (int)ncopy) : hj_fs_set(NULL, -1, false, NULL, 0);
	hj_free(in);
	return mrb_bool_value(ok);
}

/* True where the kernel holds the sandbox's rules: a process of
 * `hijack run --enforce`, or the launcher reading the rules for it. */
static mrb_value hijack_enforcing(mrb_state *mrb, mrb_value self)
{
	(void)mrb, (void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	const char *e = hj_env("HIJACK_ENFORCE");
	return mrb_bool_value(e && *e);
}

static mrb_value hijack_argv(mrb_state *mrb, mrb_value self)
{
	(void)self;
	hj_vm_peeked = true;	/* the rules may depend on the process: vm/defer.c */
	mrb_value ary = mrb_ary_new(mrb);
	for (int i = 0; i < prog_argc && prog_argv && prog_argv[i]; i++)
		mrb_ary_push(mrb, ary, mrb_str_new_cstr(mrb, prog_argv[i]));
	return ary;
}

static void define_arg_accessor(mrb_state *mrb, struct RClass *cls, const char *name)
{
	mrb_sym sym = mrb_intern_static(mrb, name, strlen(name));
	if (mrb_obj_respond_to(mrb, cls, sym))	/* call.pid stays the process's */
		return;
	mrb_value env = mrb_symbol_value(sym);
	mrb_method_t m;
	MRB_METHOD_FROM_PROC(m, mrb_proc_new_cfunc_with_env(mrb, call_arg_get, 1, &env));
	mrb_define_method_raw(mrb, cls, sym, m);
	char setter[64];
	snprintf(setter, sizeof setter, "%s=", name);
	MRB_METHOD_FROM_PROC(m, mrb_proc_new_cfunc_with_env(mrb, call_arg_set, 1, &env));
	mrb_define_method_raw(mrb, cls, mrb_intern_cstr(mrb, setter), m);
}

/* call.<arg> readers and writers are defined when a hook names the call:
 * defining all of them (about 60 pairs) was a quarter of the VM's start,
 * paid again by every exec'd child. */
static void define_arg_accessors(mrb_state *mrb, int id)
{
	static bool done[HJ_NCALLS];
	if (done[id])
		return;
	done[id] = true;
	for (int i = 0; i < hj_calls[id].nargs; i++)
		define_arg_accessor(mrb, call_cls, hj_calls[id].args[i].name);
}

void hj_api_init(mrb_state *mrb, int argc, char **argv)
{
	prog_argc = argc;
	prog_argv = argv;
	struct RClass *mod = mrb_define_module(mrb, "Hijack");
	mrb_define_module_function(mrb, mod, "on", hijack_on, MRB_ARGS_ANY());
	mrb_define_module_function(mrb, mod, "after", hijack_after, MRB_ARGS_ANY());
	mrb_define_module_function(mrb, mod, "path_match?", hijack_path_match, MRB_ARGS_REQ(2));
	mrb_define_module_function(mrb, mod, "rand", hijack_rand, MRB_ARGS_OPT(1));
	mrb_define_module_function(mrb, mod, "log", hijack_log, MRB_ARGS_REQ(1));
	mrb_define_module_function(mrb, mod, "at_exit", hijack_at_exit, MRB_ARGS_BLOCK());
	mrb_define_module_function(mrb, mod, "pid", hijack_pid, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "control", hijack_control, MRB_ARGS_ARG(2, 1));
	mrb_define_module_function(mrb, mod, "argv", hijack_argv, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "epoch", hijack_epoch, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "errno", hijack_errno, MRB_ARGS_REQ(1));
	mrb_define_module_function(mrb, mod, "run_dir", hijack_run_dir, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "monotonic", hijack_monotonic, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "enforcing?", hijack_enforcing, MRB_ARGS_NONE());
	mrb_define_module_function(mrb, mod, "__clock_set", hijack_clock_set, MRB_ARGS_REQ(4));
	mrb_define_module_function(mrb, mod, "__fs_set", hijack_fs_set, MRB_ARGS_REQ(3));
	mrb_define_singleton_method(mrb, (struct RObject *)mod, "const_missing", hj_recipe_load, MRB_ARGS_REQ(1));

	struct RClass *cls = mrb_define_class_under(mrb, mod, "Call", mrb->object_class);
	MRB_SET_INSTANCE_TT(cls, MRB_TT_DATA);
	mrb_define_method(mrb, cls, "name", call_name, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "args", call_args, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "fail", call_fail, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, cls, "return", call_return, MRB_ARGS_OPT(1));
	mrb_define_method(mrb, cls, "delay", call_delay, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, cls, "result", call_result, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "result=", call_set_result, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, cls, "errno", call_errno, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "errno=", call_set_errno, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, cls, "pid", call_pid, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "tid", call_tid, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "fd_path", call_fd_path, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "stat_times", call_stat_times, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "stat_times=", call_set_stat_times, MRB_ARGS_REQ(1));
	mrb_define_method(mrb, cls, "abspath", call_abspath, MRB_ARGS_OPT(1));
	mrb_define_method(mrb, cls, "entry", call_entry, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "retry", call_retry, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "inspect", call_inspect, MRB_ARGS_NONE());
	mrb_define_method(mrb, cls, "to_s", call_inspect, MRB_ARGS_NONE());
	for (int id = 0; id < HJ_NCALLS; id++)
		call_syms[id] = mrb_intern_static(mrb, hj_calls[id].name, strlen(hj_calls[id].name));
	call_cls = cls;
	call_obj = mrb_obj_value(mrb_data_object_alloc(mrb, cls, NULL, &call_type));
	mrb_gc_register(mrb, call_obj);
}
