/* Hijack::Clock's readings made in C: clock_gettime, gettimeofday, time,
 * ftime and timespec_get answered with the parameters the Ruby set
 * (src/ruby/clock.rb, Hijack.__clock_set), without entering the VM.
 *
 * A call takes this way only when the Clock's own after hook is the one
 * rule on it and nothing else watches it (trace, -c, --inject, --record,
 * --replay): a user's hook on the call sends it the Ruby way, where the
 * Clock's hook runs first as before. The arithmetic is clock.rb's, in the
 * same doubles and rounded as api.c rounds a Float into a timespec, so
 * both ways give the same answers, to the nanosecond:
 *   realtime  = base + (real - er) * wf      (frozen: wf = 0)
 *   monotonic = em + (real - em) * f         (only when f != 1)
 *
 * The parameters are published with a seqlock: the writer (Ruby, under
 * the VM lock) makes the count odd while it writes, readers in any thread
 * retry a read the count moved under. A reader that keeps finding it odd
 * (the writer preempted) takes the Ruby way, which waits on the VM lock. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <time.h>

#include "core/engine.h"

unsigned char hj_clock_fast[HJ_NCALLS];
static struct hj_rule *clock_rule[HJ_NCALLS];	/* the Clock's hook on each */
/* Hijack.epoch's two Floats: the run's start, the same in every process */
static double epoch_real, epoch_mono;

static struct {
	unsigned seq;
	/* doubles kept as their bits, so that every access is atomic */
	uint64_t wall, base, wf, f;
} params = { 0, 0, 0, 0x3ff0000000000000ull, 0x3ff0000000000000ull };	/* wf = f = 1.0 */

struct clock_now {
	bool wall, scaled;
	double base, wf, f;
};

static uint64_t bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double dbl(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* The Clock's hook on id registered. What else may watch a call (the
 * trace, -c, --inject, --record, --replay) is settled before any script
 * runs: looked at once, here; other hooks are counted on each call. */
void hj_clock_rule(int id, struct hj_rule *r)
{
	epoch_real = hj_cfg.epoch_real / 1e9;
	epoch_mono = hj_cfg.epoch_mono / 1e9;
	clock_rule[id] = r;
	bool watched = hj_cfg.summary || hj_cfg.record || hj_replaying || hj_inject_wants(id) ||
		       (hj_cfg.trace && (hj_cfg.trace_set[id / 64] >> (id % 64) & 1));
	__atomic_store_n(&hj_clock_fast[id], !watched, __ATOMIC_RELEASE);
}

void hj_clock_stop(void)
{
	for (int id = 0; id < HJ_NCALLS; id++)
		__atomic_store_n(&hj_clock_fast[id], 0, __ATOMIC_RELAXED);
}

void hj_clock_set(bool wall, double base, double wf, double f)
{
	unsigned s = params.seq & ~1u;	/* even, whatever a fork left */
	__atomic_store_n(&params.seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&params.wall, wall, __ATOMIC_RELAXED);
	__atomic_store_n(&params.base, bits(base), __ATOMIC_RELAXED);
	__atomic_store_n(&params.wf, bits(wf), __ATOMIC_RELAXED);
	__atomic_store_n(&params.f, bits(f), __ATOMIC_RELAXED);
	__atomic_store_n(&params.seq, s + 2, __ATOMIC_RELEASE);
}

static bool params_read(struct clock_now *p)
{
	for (int tries = 0; tries < 1000; tries++) {
		unsigned s = __atomic_load_n(&params.seq, __ATOMIC_ACQUIRE);
		if (s & 1)
			continue;
		p->wall = __atomic_load_n(&params.wall, __ATOMIC_RELAXED);
		p->base = dbl(__atomic_load_n(&params.base, __ATOMIC_RELAXED));
		p->wf = dbl(__atomic_load_n(&params.wf, __ATOMIC_RELAXED));
		p->f = dbl(__atomic_load_n(&params.f, __ATOMIC_RELAXED));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&params.seq, __ATOMIC_RELAXED) == s) {
			p->scaled = p->f != 1.0;
			return true;
		}
	}
	return false;
}

/* api.c's float_timespec: what `c.tp = seconds` writes. floor by hand:
 * libm's is a call, and any time a timespec holds fits a long. */
static struct timespec to_timespec(double d)
{
	time_t sec = (time_t)d;
	sec -= (double)sec > d;
	struct timespec ts = { sec, (long)((d - (double)sec) * 1e9) };
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	if (ts.tv_nsec < 0)
		ts.tv_nsec = 0;
	return ts;
}

/* The real wall clock as clock.rb's Time.now.to_f reads it (mruby keeps
 * microseconds). Our own call: not hooked; errno as it was. */
static double real_now(void)
{
	struct timespec ts;
	int saved_errno = errno;
	hj_busy++;
	clock_gettime(CLOCK_REALTIME, &ts);
	hj_busy--;
	errno = saved_errno;
	return (double)ts.tv_sec + (double)(ts.tv_nsec / 1000) / 1e6;
}

static double wall_at(const struct clock_now *p, double real)
{
	return p->base + (real - epoch_real) * p->wf;
}

/* clock.rb's after hook on clock_gettime; clock ids as it lists them */
static void fake_timespec(int id, struct timespec *tp, const struct clock_now *p)
{
	double t = (double)tp->tv_sec + tp->tv_nsec / 1e9;
	if (id == 0 || id == 5 || id == 8) {
		if (p->wall)
			*tp = to_timespec(wall_at(p, t));
	} else if (id == 1 || (id > 3 && id < 10)) {
		if (p->scaled)
			*tp = to_timespec(epoch_mono + (t - epoch_mono) * p->f);
	} else if (id == 11 && p->wall) {
		double tai = round(t - real_now());	/* how far TAI runs ahead of UTC */
		*tp = to_timespec(p->base + (t - tai - epoch_real) * p->wf + tai);
	}
}

/* The rest of what the Clock's hooks do, for the calls other than clock_gettime */
__attribute__((noinline)) static long fake_other(int id, const long *a, long ret, const struct clock_now *p)
{
	switch (id) {
	case HJ_gettimeofday:
		if (ret == 0 && a[0]) {
			struct timeval *tv = (struct timeval *)a[0];
			struct timespec ts = to_timespec(wall_at(p, (double)tv->tv_sec + tv->tv_usec / 1e6));
			tv->tv_sec = ts.tv_sec;
			tv->tv_usec = ts.tv_nsec / 1000;
		}
		break;
	case HJ_time:
		if (ret != -1) {
			double d = wall_at(p, real_now());
			ret = (long)d - ((double)(long)d > d);	/* floor */
			if (a[0])
				*(time_t *)a[0] = (time_t)ret;
		}
		break;
	case HJ_ftime:
		if (ret == 0 && a[0]) {
			struct timeb *tb = (struct timeb *)a[0];
			struct timespec ts = to_timespec(wall_at(p, real_now()));
			tb->time = ts.tv_sec;
			tb->millitm = (unsigned short)(ts.tv_nsec / 1000000);
		}
		break;
	case HJ_timespec_get:
		if (ret == 1 && a[1] == 1 && a[0])	/* TIME_UTC */
			*(struct timespec *)a[0] = to_timespec(wall_at(p, real_now()));
		break;
	}
	return ret;
}

bool hj_clock_call(int id, long *a, hj_invoke_fn invoke, long *result)
{
	/* the Clock's hook is the only one on the call */
	if (hj_rule_counts[id][HJ_BEFORE] != 0 || hj_rule_counts[id][HJ_AFTER] != 1)
		return false;
	struct clock_now p;
	if (hj_unlikely(!params_read(&p)))
		return false;
	/* the report of rules that never fired counts this as the hook's
	 * (it hooks this one call: hit means seen here too) */
	struct hj_rule *r = clock_rule[id];
	if (hj_unlikely(__atomic_load_n(&r->off, __ATOMIC_RELAXED) || __atomic_load_n(&hj_rules_paused, __ATOMIC_RELAXED)))
		return false;
	/* counted for hijack ctl hooks, not atomically: the fast path stays lock-free */
	__atomic_store_n(&r->hits, __atomic_load_n(&r->hits, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	if (hj_unlikely(!__atomic_load_n(&r->fired_here, __ATOMIC_RELAXED))) {
		hj_fired_note_seen(r->fired_slot, r->seen_here, id);
		hj_fired_note_hit(r->fired_slot, &r->fired_here);
	}

	/* as dispatch makes it: its own system call is not seen again */
	int outer = hj_lib_call;
	if (hj_sud_on)
		hj_lib_call = id + 1;
	long ret = invoke(a);
	hj_lib_call = outer;
	/* what the call wrote the kernel or libc could write: ours to rewrite */
	if (id == HJ_clock_gettime) {
		if (ret == 0 && a[1])
			fake_timespec((int)a[0], (struct timespec *)a[1], &p);
	} else if (p.wall) {
		ret = fake_other(id, a, ret, &p);
	}
	*result = ret;
	return true;
}
