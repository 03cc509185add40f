/* libother.so: the program's own preload library. getpid() answers 4242;
 * the real one is reached through dlsym(RTLD_NEXT). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <unistd.h>

pid_t getpid(void)
{
	pid_t (*next)(void) = (pid_t (*)(void))dlsym(RTLD_NEXT, "getpid");
	return next() > 0 ? 4242 : -1;
}
