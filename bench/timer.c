/* Startup timer for bench/run: fork/execs each of several commands RUNS
 * times, round robin (so drift on a noisy machine hits them alike), and
 * prints for each command, in order, one line:
 *   "median_us=M min_us=m runs=R faults=F"
 * (F: the median of the process tree's minor page faults, from wait4's
 * rusage: a figure that load moves little)
 * A command is [VAR=VALUE...] PROG [ARGS...]; the assignments are made in
 * the child only, as env(1) would. Commands are separated by "--".
 * The children's stdout and stderr go to /dev/null. Exits 1 if any run
 * fails or dies on a signal.
 * usage: timer RUNS -- CMD1... [-- CMD2... ...] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXCMD 16

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: timer RUNS -- CMD... [-- CMD...]\n");
		return 2;
	}
	int runs = atoi(argv[1]);
	if (runs < 1)
		runs = 1;
	char **cmd[MAXCMD];
	int ncmd = 0;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;	/* ends the previous command's argv */
			if (i + 1 < argc && ncmd < MAXCMD)
				cmd[ncmd++] = argv + i + 1;
		}
	long long *t = calloc((size_t)ncmd * (size_t)runs, sizeof *t);
	long long *flt = calloc((size_t)ncmd * (size_t)runs, sizeof *flt);
	int devnull = open("/dev/null", O_WRONLY);
	if (!t || !flt || devnull < 0) {
		perror("timer");
		return 1;
	}
	for (int r = 0; r < runs; r++)
		for (int c = 0; c < ncmd; c++) {
			long long t0 = now_ns();
			pid_t pid = fork();
			if (pid < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				char **a = cmd[c];
				for (; *a && strchr(*a, '=') && **a != '='; a++)
					putenv(*a);
				dup2(devnull, 1);
				dup2(devnull, 2);
				if (*a)
					execvp(*a, a);
				_exit(127);
			}
			int st;
			struct rusage ru;
			if (wait4(pid, &st, 0, &ru) < 0) {
				perror("wait4");
				return 1;
			}
			t[c * runs + r] = now_ns() - t0;
			flt[c * runs + r] = ru.ru_minflt;
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "timer: command %d (%s) failed (status %#x)\n", c + 1, cmd[c][0], st);
				return 1;
			}
		}
	for (int c = 0; c < ncmd; c++) {
		long long *s = t + c * runs;
		qsort(s, (size_t)runs, sizeof *s, cmp);
		long long med = runs % 2 ? s[runs / 2] : (s[runs / 2 - 1] + s[runs / 2]) / 2;
		long long *f = flt + c * runs;
		qsort(f, (size_t)runs, sizeof *f, cmp);
		printf("median_us=%.1f min_us=%.1f runs=%d faults=%lld\n", med / 1e3, s[0] / 1e3, runs, f[runs / 2]);
	}
	return 0;
}
