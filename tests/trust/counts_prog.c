/* The processes tests/trust/counts.sh counts, each making a known number
 * of write(2) calls through libc:
 *   forks N      N writes to /dev/null, then 3 forks; the children leave
 *                with exit, _exit and _Exit, and write nothing
 *   killed N     N writes, then SIGKILL to itself
 *   _exit N S    N writes, then _exit(S)
 *   _Exit N S    N writes, then _Exit(S)
 *   raw N S      N writes, then a raw exit_group(S) syscall, as Go makes it
 *   mixed N      N writes, then N of each of a dozen calls made after main
 *                through libc, through stdio and raw (counts.sh compares
 *                them all with strace's) */
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static void writes(int n)
{
	int fd = open("/dev/null", O_WRONLY);
	for (int i = 0; i < n; i++)
		if (write(fd, "x", 1) != 1)
			exit(9);
	close(fd);
}

static void mixed(int n)
{
	int fd = open("/dev/null", O_RDONLY), fds[2];
	char cwd[4096];
	struct utsname u;
	struct timespec tiny = { 0, 1 };
	for (int i = 0; i < n; i++) {
		syscall(SYS_getppid);
		printf("%d\n", i);
		fflush(stdout);		/* stdio's write */
		lseek(fd, 0, SEEK_SET);
		umask(022);
		sched_yield();
		close(dup(fd));
		uname(&u);
		if (!getcwd(cwd, sizeof cwd))
			exit(9);
		nanosleep(&tiny, NULL);
		kill(getpid(), 0);
	}
	if (pipe(fds) == 0)
		close(fds[0]), close(fds[1]);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	int n = atoi(argv[2]), status = argc > 3 ? atoi(argv[3]) : 0;
	writes(n);
	if (!strcmp(argv[1], "forks")) {
		for (int k = 0; k < 3; k++) {
			pid_t pid = fork();
			if (pid == 0) {
				if (k == 0)
					exit(0);
				if (k == 1)
					_exit(0);
				_Exit(0);
			}
			waitpid(pid, NULL, 0);
		}
		return 0;
	}
	if (!strcmp(argv[1], "killed"))
		kill(getpid(), SIGKILL);
	if (!strcmp(argv[1], "_exit"))
		_exit(status);
	if (!strcmp(argv[1], "_Exit"))
		_Exit(status);
	if (!strcmp(argv[1], "mixed")) {
		mixed(n);
		return 0;
	}
	if (!strcmp(argv[1], "raw"))
		syscall(SYS_exit_group, status);
	return 2;
}
