/* The environment, read without getenv(): a program may define its own
 * getenv/setenv (bash does, over a table of its own that is empty before
 * its main runs), and a preloaded library must not call them. */
#define _GNU_SOURCE
#include <string.h>

#include "engine.h"

extern char **environ;

/* The value of NAME in environ, or NULL. */
const char *hj_env(const char *name)
{
	size_t len = strlen(name);
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, name, len) && (*e)[len] == '=')
			return *e + len + 1;
	return NULL;
}
