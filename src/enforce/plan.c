/* Reading the sandbox's rules before the program starts: the scripts
 * (and the shortcuts' Ruby) are loaded in a child of the launcher, as
 * `hijack check` loads them, and Hijack::Sandbox.plan is read back
 * through a pipe. A child, so that the launcher keeps no VM, no rule and
 * nothing a script did at load. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "core/engine.h"
#include "enforce/enforce.h"

bool hj_enforce_mentioned(const char *scripts, const char *evals)
{
	/* a script asks with Sandbox.enforce!; bytecode keeps the name as
	 * text, so one look at the bytes finds it in .mrb files too */
	if (evals && strstr(evals, "enforce!"))
		return true;
	char *copy = scripts ? strdup(scripts) : NULL;
	bool found = false;
	for (char *save, *p = copy ? strtok_r(copy, ":", &save) : NULL; p && !found; p = strtok_r(NULL, ":", &save)) {
		size_t len;
		char *code = hj_vm_slurp(p, &len);
		found = code && memmem(code, len, "enforce!", 8);
		hj_free(code);
	}
	free(copy);
	return found;
}

char *hj_enforce_read_plan(const char *scripts, const char *evals, int argc, char **argv)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fds[0]);
		hj_fired_off();	/* read, not run: no rule of the run is counted here */
		setenv("HIJACK_ENFORCE", "plan", 1);	/* Sandbox.enforce! is at home here */
		char err[1024];
		if (!hj_vm_start(scripts, evals, NULL, argc, argv))
			_exit(2);	/* the load said why */
		char *plan = hj_vm_sandbox_plan(err, sizeof err);
		if (!plan) {
			fprintf(stderr, "hijack: %s\n", err);
			_exit(2);
		}
		size_t len = strlen(plan);
		_exit(write(fds[1], plan, len) == (ssize_t)len ? 0 : 2);
	}
	close(fds[1]);
	size_t size = 0, cap = 4096;
	char *text = malloc(cap);
	for (ssize_t r; text && (r = read(fds[0], text + size, cap - size - 1)) != 0;) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		size += (size_t)r;
		if (cap - size < 2)
			text = realloc(text, cap *= 2);
	}
	close(fds[0]);
	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	if (!text || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
		free(text);
		return NULL;
	}
	text[size] = 0;
	return text;
}
