/* Prints getpid() (4242 when libother.so is loaded), then does the same in
 * a child: fork + exec of itself with the inherited environment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("%s getpid=%d\n", argc > 1 ? "child" : "parent", (int)getpid());
	fflush(stdout);
	if (argc > 1)
		return 0;
	pid_t p = fork();
	if (p == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(95);
	}
	int ws;
	waitpid(p, &ws, 0);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 99;
}
