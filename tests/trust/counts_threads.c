/* 16 threads, each opens its own file, reads, writes, closes, for N seconds;
 * prints how many reads it made. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
static const char *dir;
static double secs;
static long total[16];
static void *run(void *arg)
{
	long i = (long)arg, n = 0;
	char path[256], buf[64];
	snprintf(path, sizeof path, "%s/f%ld", dir, i);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long k = 0;; k++) {
		if ((k & 63) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
				break;
		}
		int fd = open(path, O_RDWR | O_CREAT, 0600);
		if (fd < 0) { perror("open"); exit(1); }
		if (read(fd, buf, sizeof buf) >= 0) n++;
		if (write(fd, "x", 1) != 1) { perror("write"); exit(1); }
		close(fd);
	}
	total[i] = n;
	return NULL;
}
int main(int argc, char **argv)
{
	dir = argv[1];
	secs = atof(argv[2]);
	pthread_t th[16];
	for (long i = 0; i < 16; i++) pthread_create(&th[i], NULL, run, (void *)i);
	long sum = 0;
	for (int i = 0; i < 16; i++) { pthread_join(th[i], NULL); sum += total[i]; }
	printf("reads=%ld\n", sum);
	return 0;
}
