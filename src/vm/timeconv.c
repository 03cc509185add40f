/* mruby's Time without glibc's time-zone lock.
 *
 * With the system-call layer, a hook can run inside glibc while it holds
 * that lock: tzset() reads /etc/localtime with it held, and a hook on that
 * newfstatat or read that makes a Time (Time.now) would take the lock
 * again, on the same thread: a deadlock (seen with --time on `date`).
 * mruby's time.c calls localtime_r, gmtime_r and mktime: the definitions
 * here are linked into the library in their place (they are not
 * exported, so the program's own calls still reach glibc's). Local time
 * is UTC plus the offset the zone had when the VM started; a run that
 * crosses a change of daylight saving time shows the old offset. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

static long zone_offset;	/* seconds east of UTC */
static int zone_dst;
static char zone_name[16] = "UTC";

/* The zone as glibc has it, asked once, before any hook can run. */
void hj_tz_init(void)
{
	struct tm *(*real)(const time_t *, struct tm *) = (struct tm *(*)(const time_t *, struct tm *))dlsym(RTLD_NEXT, "localtime_r");
	struct tm tm;
	time_t now = time(NULL);
	if (real && real(&now, &tm)) {
		zone_offset = tm.tm_gmtoff;
		zone_dst = tm.tm_isdst;
		if (tm.tm_zone)
			snprintf(zone_name, sizeof zone_name, "%s", tm.tm_zone);
	}
}

/* days since 1970-01-01 of a proleptic Gregorian date (Hinnant's) */
static long days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long)doe - 719468;
}

static struct tm *broken_down(long t, long offset, struct tm *out)
{
	long s = t + offset, days = s / 86400, rem = s % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	memset(out, 0, sizeof *out);
	out->tm_hour = (int)(rem / 3600);
	out->tm_min = (int)(rem % 3600 / 60);
	out->tm_sec = (int)(rem % 60);
	out->tm_wday = (int)((days % 7 + 11) % 7);	/* 1970-01-01 was a Thursday */
	long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	out->tm_year = (int)(y - 1900);
	out->tm_mon = (int)m - 1;
	out->tm_mday = (int)d;
	out->tm_yday = (int)(days - days_from_civil(y, 1, 1));
	out->tm_gmtoff = offset;
	return out;
}

struct tm *gmtime_r(const time_t *t, struct tm *out)
{
	broken_down((long)*t, 0, out);
	out->tm_zone = "GMT";
	return out;
}

struct tm *localtime_r(const time_t *t, struct tm *out)
{
	broken_down((long)*t, zone_offset, out);
	out->tm_isdst = zone_dst;
	out->tm_zone = zone_name;
	return out;
}

time_t mktime(struct tm *tm)
{
	/* normalises as glibc does: months and seconds out of range carry */
	long y = tm->tm_year + 1900L + tm->tm_mon / 12, mon = tm->tm_mon % 12;
	if (mon < 0) {
		mon += 12;
		y--;
	}
	long t = days_from_civil(y, (unsigned)mon + 1, 1) * 86400 + (tm->tm_mday - 1L) * 86400 + tm->tm_hour * 3600L +
		 tm->tm_min * 60L + tm->tm_sec - zone_offset;
	localtime_r(&(time_t){ (time_t)t }, tm);
	return (time_t)t;
}
