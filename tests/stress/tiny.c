/* A tiny program for the static and setuid cases: prints, exits 5. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	printf("tiny %s euid=%d getppid>0=%d\n", argc > 1 ? argv[1] : "", (int)geteuid(), getppid() > 0);
	return 5;
}
