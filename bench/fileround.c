/* I/O-intensive workload: N rounds of create+write, close, open+read,
 * close, unlink on one file, through libc's open/write/read/close/unlink.
 * Prints the loop's own time (CLOCK_MONOTONIC), so process startup and
 * exit are not in it:  "fileround rounds=N ns=T ns_per_round=R"; given a
 * BATCH, also "fastest_batch_per_round=F": the ns a round of the fastest
 * BATCH rounds in a row, which a preemption on a loaded machine does not
 * reach.
 * usage: fileround DIR [N [BATCH]]   (DIR should be on a tmpfs) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fileround DIR [N]\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 20000;
	long batch = argc > 3 ? atol(argv[3]) : 0;
	if (batch <= 0 || batch > n)
		batch = n > 0 ? n : 1;
	char path[4096];
	snprintf(path, sizeof path, "%s/fileround.%ld", argv[1], (long)getpid());
	char out[64], in[64];
	memset(out, 'x', sizeof out);

	long long fastest = -1, t0 = now_ns(), b0 = t0;
	for (long i = 0; i < n; i++) {
		int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		if (fd < 0) { perror(path); return 1; }
		if (write(fd, out, sizeof out) != (ssize_t)sizeof out) { perror("write"); return 1; }
		if (close(fd) != 0) { perror("close"); return 1; }
		fd = open(path, O_RDONLY);
		if (fd < 0) { perror(path); return 1; }
		if (read(fd, in, sizeof in) != (ssize_t)sizeof in) { perror("read"); return 1; }
		if (close(fd) != 0) { perror("close"); return 1; }
		if (unlink(path) != 0) { perror("unlink"); return 1; }
		if ((i + 1) % batch == 0) {
			long long b1 = now_ns();
			if (fastest < 0 || b1 - b0 < fastest)
				fastest = b1 - b0;
			b0 = b1;
		}
	}
	long long t = now_ns() - t0;
	if (memcmp(in, out, sizeof in) != 0) {
		fprintf(stderr, "fileround: read back the wrong bytes\n");
		return 1;
	}
	printf("fileround rounds=%ld ns=%lld ns_per_round=%.1f", n, t, n ? (double)t / n : 0.0);
	if (argc > 3)
		printf(" fastest_batch_per_round=%.1f", fastest < 0 ? 0.0 : (double)fastest / batch);
	printf("\n");
	return 0;
}
