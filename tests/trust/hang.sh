#!/bin/bash
# hang: the library's own calls in its fork handlers are not the
# program's; they never reach its hooks (a getpid block once ran in the
# parent and the child of every fork, and a signal handler that forked
# outlasted its timer for ever).
source "$(dirname "$0")/../lib.sh"

t_fork_runs_no_hook() {
	cat > f.c <<'C'
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return 0;
}
C
	cc -o f f.c || { fail "cc"; return; }
	timeout 20 "$HIJACK" run -o log.txt -e '$n = 0; Hijack.on(:getpid) { $n += 1 }
		Hijack.at_exit { Hijack.log "getpid=#{$n}" }' -- ./f
	check_eq "exit status" 0 "$?"
	check_eq "no getpid hook in parent nor child (the program calls none)" \
		"getpid=0 getpid=0" "$(grep -o 'getpid=[0-9]*' log.txt | sort | tr '\n' ' ' | sed 's/ $//')"
}

run_tests t_fork_runs_no_hook
summary hang
