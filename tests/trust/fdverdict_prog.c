/* Reads through fds whose path: verdicts were made at different times:
 * fdverdict_prog FIRST SECOND OTHER. Opens FIRST, reads, opens SECOND
 * (whose hook adds a rule on FIRST's reads), then reads FIRST again, a
 * dup of it, an F_DUPFD of it, the fd with OTHER dup2'd over it, and
 * FIRST reopened after a close_range. Prints one word per read. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *try(int fd)
{
	char c;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return "lseek";
	return read(fd, &c, 1) == 1 ? "ok" : errno == EIO ? "EIO" : "other";
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 1;
	printf("before=%s ", try(fd));
	int second = open(argv[2], O_RDONLY);	/* its hook adds the rule */
	close(second);
	printf("after=%s ", try(fd));
	int copy = dup(fd);
	printf("dup=%s ", try(copy));
	int high = fcntl(fd, F_DUPFD, 50);
	printf("dupfd=%s ", try(high));
	int other = open(argv[3], O_RDONLY);
	dup2(other, copy);
	printf("dup2over=%s ", try(copy));
	/* closed behind a call the cache may not see, then the number reused */
	syscall(SYS_close_range, (unsigned)high, (unsigned)high, 0);
	int again = fcntl(other, F_DUPFD, high);
	printf("reused=%s\n", again == high ? try(high) : "notreused");
	return 0;
}
