/* Unit test of the path filters' glob (src/core/rules.c): the same
 * answers as glibc's fnmatch(glob, path, 0) under the C locale, which it
 * replaces (fnmatch takes the locale's lock). */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "core/engine.h"

int main(void)
{
	static const char *globs[] = { "/tmp/*", "*x.txt", "/a/?/c", "/a/[bc]/d", "/a/[!b]/d", "/a/[^b]/d", "/a/[a-c]*",
				       "*secret*", "/x/\\*y", "/a/[]]b", "/a/[b", "**/z", "/a/*/*.c", "/etc/ho?tname", "*" };
	static const char *paths[] = { "/tmp/f", "/tmp", "/tmp/a/b", "/w/x.txt", "/w/y.txt", "/a/b/c", "/a/bb/c", "/a/b/d",
				       "/a/c/d", "/a/x/d", "/a/]b", "/a/[b", "/x/*y", "/x/ay", "/q/z", "/a/b/s.c",
				       "/a/b/c/s.c", "/etc/hostname", "/top/secret/x", "", "/a/c" };
	int passed = 0, failed = 0;
	for (size_t g = 0; g < sizeof globs / sizeof *globs; g++)
		for (size_t p = 0; p < sizeof paths / sizeof *paths; p++) {
			bool want = fnmatch(globs[g], paths[p], 0) == 0;
			/* a glob without wildcards also names what is under it */
			if (!strpbrk(globs[g], "*?[\\"))
				continue;
			bool got = hj_path_pattern_match(globs[g], paths[p]);
			if (got == want) {
				passed++;
			} else {
				failed++;
				printf("FAIL glob %s path %s: want %d got %d\n", globs[g], paths[p], want, got);
			}
		}
	printf("glob: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
