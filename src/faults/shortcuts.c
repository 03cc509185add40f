/* The recipes' shortcuts on `hijack run` (--time, --redirect, --readonly,
 * --hide, --deny): each is checked here, in C, before anything runs, and
 * becomes one line of Ruby calling the recipe, run before the scripts. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/engine.h"

/* Appends to out (size n) as snprintf would; false once it is full. */
static bool add(char *out, size_t n, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(out + len, n - len, fmt, ap);
	va_end(ap);
	return r >= 0 && (size_t)r < n - len;
}

/* A Ruby double-quoted literal of s: nothing in s can end it or run code. */
static bool add_string(char *out, size_t n, const char *s)
{
	if (!add(out, n, "\""))
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool ok = *p == '"' || *p == '\\' || *p == '#' ? add(out, n, "\\%c", *p)
			: isprint(*p) ? add(out, n, "%c", *p) : add(out, n, "\\x%02x", *p);
		if (!ok)
			return false;
	}
	return add(out, n, "\"");
}

/* "YYYY-MM-DD[ HH:MM[:SS]]" (or a 'T' between), local time, to seconds
 * since the epoch; the rest of the text in *end. */
static bool parse_date(const char *s, double *t, const char **end)
{
	struct tm tm = { .tm_isdst = -1 };
	int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
		return false;
	s += used;
	if ((*s == ' ' || *s == 'T') && isdigit((unsigned char)s[1])) {
		used = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &used) != 2 || !used)
			return false;
		s += 1 + used;
		if (*s == ':') {
			used = 0;
			if (sscanf(s + 1, "%2d%n", &sec, &used) != 1 || !used)
				return false;
			s += 1 + used;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1900 || h < 0 || mi < 0 || sec < 0)
		return false;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	time_t v = mktime(&tm);
	if (v == (time_t)-1 || tm.tm_mday != d)	/* mktime moved Feb 30 to March */
		return false;
	*t = (double)v;
	*end = s;
	return true;
}

/* A number at s (no sign), into *v; the rest in *end. */
static bool parse_number(const char *s, double *v, const char **end)
{
	if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
		return false;
	char *e;
	errno = 0;
	*v = strtod(s, &e);
	if (errno || !isfinite(*v))
		return false;
	*end = e;
	return true;
}

bool hj_time_spec(const char *spec, char *ruby, size_t n, char *err, size_t errlen)
{
	static const char forms[] = "'2001-02-03 04:05:06' (frozen), '@2001-02-03 04:05:06' (starts there), "
				    "'+2d' or '-3h' (s, m, h, d, y), 'x10' (speed), or a date or offset then ' x10'";
	const char *s = spec;
	double t, v;
	ruby[0] = 0;
	while (*s == ' ')
		s++;
	bool ok = true;
	if (*s == '@' || isdigit((unsigned char)*s)) {
		bool frozen = *s != '@';
		ok = parse_date(s + !frozen, &t, &s) &&
		     add(ruby, n, "Hijack::Clock.%s(%.0f)", frozen ? "freeze" : "travel", t);
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;
		ok = parse_number(s + 1, &v, &s);
		if (ok) {
			static const struct { char unit; double seconds; } units[] = {
				{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'y', 365 * 86400.0 },
			};
			for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
				if (*s == units[k].unit) {
					v *= units[k].seconds;
					s++;
					break;
				}
			/* the fake clock stays between 1900 and 9999, as dates do */
			double now = (double)time(NULL);
			if (now + sign * v < -2208988800.0 || now + sign * v > 253402300799.0) {
				snprintf(err, errlen, "--time '%s': out of range (the fake clock must stay between "
					 "the years 1900 and 9999)", spec);
				return false;
			}
			ok = add(ruby, n, "Hijack::Clock.offset(%.17g)", sign * v);
		}
	}
	if (ok) {
		while (*s == ' ')
			s++;
		if (*s == 'x') {
			ok = parse_number(s + 1, &v, &s) && v >= 1e-6 && v <= 1e6 &&
			     add(ruby, n, "%sHijack::Clock.scale(%.9g)", ruby[0] ? "; " : "", v);
			while (ok && *s == ' ')
				s++;
		}
	}
	if (!ok || *s || !ruby[0]) {
		snprintf(err, errlen, "--time '%s': not a time; use %s", spec, forms);
		return false;
	}
	return true;
}

bool hj_redirect_spec(const char *spec, const char *from_abs, const char *to_abs, char *ruby, size_t n,
		      char *err, size_t errlen)
{
	ruby[0] = 0;
	if (!strchr(spec, '=') || spec[0] == '=' || !strchr(spec, '=')[1]) {
		snprintf(err, errlen, "--redirect '%s': expected FROM=TO", spec);
		return false;
	}
	if (!add(ruby, n, "Hijack::FS.redirect(") || !add_string(ruby, n, from_abs) || !add(ruby, n, " => ") ||
	    !add_string(ruby, n, to_abs) || !add(ruby, n, ")")) {
		snprintf(err, errlen, "--redirect '%s': too long", spec);
		return false;
	}
	return true;
}

bool hj_path_spec(const char *option, const char *method, const char *abs, char *ruby, size_t n,
		  char *err, size_t errlen)
{
	ruby[0] = 0;
	if (!*abs) {
		snprintf(err, errlen, "%s: expected a path", option);
		return false;
	}
	if (!add(ruby, n, "Hijack::FS.%s(", method) || !add_string(ruby, n, abs) || !add(ruby, n, ")")) {
		snprintf(err, errlen, "%s '%s': too long", option, abs);
		return false;
	}
	return true;
}

bool hj_deny_spec(const char *spec, char *ruby, size_t n, char *err, size_t errlen)
{
	ruby[0] = 0;
	char *copy = hj_strdup(spec), *save = NULL;
	bool ok = copy && add(ruby, n, "Hijack::Sandbox.deny(");
	int count = 0;
	for (char *w = copy ? strtok_r(copy, ",", &save) : NULL; ok && w; w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "network") && strcmp(w, "exec") && hj_call_lookup(w) < 0) {
			snprintf(err, errlen, "--deny '%s': '%s' is not network, exec or a call (see `hijack calls`)", spec, w);
			hj_free(copy);
			return false;
		}
		ok = add(ruby, n, "%s:%s", count++ ? ", " : "", w);
	}
	hj_free(copy);
	if (ok && !count) {
		snprintf(err, errlen, "--deny: expected network, exec or call names");
		return false;
	}
	if (!ok || !add(ruby, n, ")")) {
		snprintf(err, errlen, "--deny '%s': too long", spec);
		return false;
	}
	return true;
}
