/* The corpus of tests/recipes/fs_fast.sh: path calls of every kind that
 * Hijack::FS maps, each printed as "label: result" (a size, a content,
 * 0, or the errno's name), with no absolute path in the output, so that
 * two runs in two trees of the same shape compare line by line.
 * Run in a directory that fs_fast.sh's make_trees filled. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *label, long r)
{
	if (r < 0)
		printf("%s: %s\n", label, strerrorname_np(errno) ? strerrorname_np(errno) : "?");
	else
		printf("%s: %ld\n", label, r);
}

static void st(const char *label, int r, const struct stat *s)
{
	say(label, r < 0 ? -1 : (long)s->st_size);
}

static void content(const char *label, int fd)
{
	char buf[64];
	if (fd < 0) {
		say(label, -1);
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: '%s'\n", label, buf);
}

static void *thread_stat(void *arg)
{
	struct stat s;
	long same = 0;
	for (int i = 0; i < 2000; i++)
		same += stat("from/sub/g", &s) == 0 && s.st_size == (long)arg;
	return (void *)same;
}

int main(int argc, char **argv)
{
	struct stat s, want;
	char buf[2048];
	int d = open(".", O_RDONLY | O_DIRECTORY);

	/* reads: relative, folded, trailing slash, a sibling with the same prefix */
	st("stat from/f", stat("from/f", &s), &s);
	st("stat ./from/../from/./f", stat("./from/../from/./f", &s), &s);
	st("stat from//sub///g", stat("from//sub///g", &s), &s);
	st("stat from/sub/", stat("from/sub/", &s), &s);
	say("stat from/sub/ is a dir", stat("from/sub/", &s) < 0 ? -1 : S_ISDIR(s.st_mode));
	st("stat from/f/", stat("from/f/", &s), &s);
	st("stat from", stat("from", &s), &s);
	st("stat fromx/f", stat("fromx/f", &s), &s);
	st("stat fro", stat("fro", &s), &s);
	getcwd(buf, sizeof buf - 16);
	strcat(buf, "/from/f");
	st("stat absolute", stat(buf, &s), &s);
	st("lstat from/f", lstat("from/f", &s), &s);
	content("open from/f", open("from/f", O_RDONLY));
	content("open from/only-real", open("from/only-real", O_RDONLY));
	content("open from/only-from", open("from/only-from", O_RDONLY));
	content("open from/../real/f", open("from/../real/f", O_RDONLY));
	/* a path longer than dispatch's room for a rewritten one (argv[1]) */
	if (argc > 1) {
		snprintf(buf, sizeof buf, "from/%s", argv[1]);
		content("open from/<long path>", open(buf, O_RDONLY));
		snprintf(buf, sizeof buf, "from/%s/", argv[1]);
		st("stat from/<long path>/", stat(buf, &s), &s);
	}
	/* paths the kernel refuses: never read, by either way */
	say("stat <bad pointer>", stat((const char *)8, &s));
	say("rename from/f <bad pointer>", rename("from/f", (const char *)8));
	say("rename <bad pointer> from/f", rename((const char *)8, "from/f"));
	/* *at calls with a dirfd */
	st("fstatat d from/sub/g", fstatat(d, "from/sub/g", &s, 0), &s);
	content("openat d from/f", openat(d, "from/f", O_RDONLY));
	int fromfd = open("from", O_RDONLY | O_DIRECTORY);	/* redirected: real's */
	content("openat from-fd f", openat(fromfd, "f", O_RDONLY));
	content("openat from-fd ../fromx/f", openat(fromfd, "../fromx/f", O_RDONLY));
	st("fstatat from-fd \"\" AT_EMPTY_PATH", fstatat(fromfd, "", &s, AT_EMPTY_PATH), &s);
	int subfd = open("fromx", O_RDONLY | O_DIRECTORY);
	content("openat fromx-fd ../from/f", openat(subfd, "../from/f", O_RDONLY));
	say("faccessat d from/f R_OK", faccessat(d, "from/f", R_OK, 0));
	say("access from/only-from", access("from/only-from", F_OK));
	/* symlinks: read through, and matched by name, not through a link */
	ssize_t n = readlink("from/ln", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("readlink from/ln: %s\n", n < 0 ? strerrorname_np(errno) : buf);
	st("stat from/ln", stat("from/ln", &s), &s);
	say("lstat from/ln is a link", lstat("from/ln", &s) < 0 ? -1 : S_ISLNK(s.st_mode));
	content("open alias/f (a link to from)", open("alias/f", O_RDONLY));
	content("open from/up/f (a link to ..)", open("from/up/f", O_RDONLY));
	/* chains and a TO inside its FROM */
	content("open chain/f", open("chain/f", O_RDONLY));
	content("open home/x", open("home/x", O_RDONLY));
	content("open home/box/x", open("home/box/x", O_RDONLY));
	/* hidden */
	st("stat hid", stat("hid", &s), &s);
	st("stat hid/h", stat("hid/h", &s), &s);
	st("stat hid/../fromx/f", stat("hid/../fromx/f", &s), &s);
	st("stat hidx/h", stat("hidx/h", &s), &s);
	say("mkdir hid/new", mkdir("hid/new", 0755));
	say("open from/secret (hidden in TO)", open("from/secret", O_RDONLY) < 0 ? -1 : 1);
	/* read-only */
	content("open ro/w O_RDONLY", open("ro/w", O_RDONLY));
	say("open ro/w O_WRONLY", open("ro/w", O_WRONLY));
	say("open ro/new O_CREAT", open("ro/new", O_WRONLY | O_CREAT, 0644));
	say("open ro/w O_CREAT|O_EXCL", open("ro/w", O_WRONLY | O_CREAT | O_EXCL, 0644));
	say("open ro/none O_RDONLY", open("ro/none", O_RDONLY));
	say("creat ro/c", creat("ro/c", 0644));
	say("mkdir ro/d", mkdir("ro/d", 0755));
	say("mkdir ro (exists)", mkdir("ro", 0755));
	say("unlink ro/w", unlink("ro/w"));
	say("rename ro/w ro/w2", rename("ro/w", "ro/w2"));
	say("rename fromx/f ro/f", rename("fromx/f", "ro/f"));
	say("access ro/w W_OK", access("ro/w", W_OK));
	say("access ro/w R_OK", access("ro/w", R_OK));
	say("chmod ro/w", chmod("ro/w", 0600));
	say("chmod ro/none", chmod("ro/none", 0600));
	say("truncate ro/w", truncate("ro/w", 0));
	say("utimensat ro/w", utimensat(AT_FDCWD, "ro/w", NULL, 0));
	say("link fromx/f ro/l", link("fromx/f", "ro/l"));
	say("symlink x ro/s", symlink("x", "ro/s"));
	say("symlink x ro/w (exists)", symlink("x", "ro/w"));
	FILE *f = fopen("ro/w", "r");
	say("fopen ro/w r", f ? 0 : -1);
	if (f)
		fclose(f);
	f = fopen("ro/w", "a");
	say("fopen ro/w a", f ? 0 : -1);
	if (f)
		fclose(f);
	say("open ro/null O_WRONLY (a link to a device)", open("ro/null", O_WRONLY) < 0 ? -1 : 1);
	/* writes through a redirect land in TO */
	say("mkdir from/newdir", mkdir("from/newdir", 0755));
	say("stat real/newdir", stat("real/newdir", &s));
	say("open from/n O_CREAT", open("from/n", O_WRONLY | O_CREAT, 0644) < 0 ? -1 : 1);
	say("rename from/n from/m", rename("from/n", "from/m"));
	say("stat real/m", stat("real/m", &s));
	say("symlink target from/sl", symlink("target", "from/sl"));
	n = readlink("real/sl", buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("readlink real/sl: %s\n", n < 0 ? strerrorname_np(errno) : buf);
	say("unlink from/m", unlink("from/m"));
	say("rmdir from/newdir", rmdir("from/newdir"));
	/* chdir into a redirected tree */
	say("chdir from/sub", chdir("from/sub"));
	st("stat g (after chdir)", stat("g", &s), &s);
	st("stat ../f (after chdir)", stat("../f", &s), &s);
	say("fchdir back", fchdir(d));
	/* fork, and exec: the child's calls see the same */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		st("child stat from/f", stat("from/f", &s), &s);
		fflush(stdout);
		execl("/bin/cat", "cat", "from/sub/g", "from/f", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(pid, &status, 0);
	say("child status", WEXITSTATUS(status));
	/* threads */
	stat("real/sub/g", &want);
	pthread_t t[3];
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, thread_stat, (void *)(long)want.st_size);
	for (int i = 0; i < 3; i++) {
		void *same;
		pthread_join(t[i], &same);
		say("thread: redirected stats", (long)same);
	}
	return 0;
}
