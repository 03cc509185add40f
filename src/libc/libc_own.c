/* libc functions the static mruby inside us calls that a program may
 * define for itself with other meanings (bash defines getenv over a
 * table of its own): ours, local to the library (the version script
 * exports only the wrappers), so mruby never reaches the program's. */
#define _GNU_SOURCE
#include <stdlib.h>

#include "core/engine.h"

/* File.expand_path("~") asks for HOME */
char *getenv(const char *name)
{
	return (char *)hj_env(name);
}
