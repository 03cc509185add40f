#!/bin/bash
# What a process pays to start under hijack (issue 11): the Ruby side is
# a library of its own (libhijack-ruby.so), mapped only by a process whose
# scripts may need it; the preloaded part needs no libm; a forked child
# rewrites a syscall site at its second trap, not its first. Fork- and
# exec-heavy programs stay traced and counted exactly.
source "$(dirname "$0")/../lib.sh"

RUBYLIB=$(dirname "$LIB")/libhijack-ruby.so

maps_of() {	# maps_of [ENV...] -- what a cat under them maps
	env "$@" cat /proc/self/maps 2>&1
}

t_no_ruby_without_scripts() {
	local m
	m=$(maps_of "LD_PRELOAD=$LIB")
	check_has "preloaded: ours is mapped" 'libhijack\.so' "$m"
	check_lacks "preloaded, no script: no Ruby library" 'libhijack-ruby\.so' "$m"
	check_lacks "preloaded, no script: no libm" 'libm\.so' "$m"
	m=$("$HIJACK" run -- cat /proc/self/maps 2>&1)
	check_has "hijack run: ours is mapped" 'libhijack\.so' "$m"
	check_lacks "hijack run, no script: no Ruby library" 'libhijack-ruby\.so' "$m"
	m=$("$HIJACK" run -e nil -- cat /proc/self/maps 2>&1)
	check_lacks "hijack run -e nil (a table with no call): no Ruby library" 'libhijack-ruby\.so' "$m"
	m=$("$HIJACK" run -c -o counts -t -- cat /proc/self/maps 2>&1)
	check_lacks "hijack run -c -t: no Ruby library" 'libhijack-ruby\.so' "$m"
	check_has "and the counts were written" 'read' "$(cat counts)"
	check_lacks "the preloaded library needs no libm" 'libm\.so' "$(readelf -d "$LIB" | grep NEEDED)"
	check_eq "nor carries mruby" 0 "$(nm -D "$LIB" | grep -c ' mrb_')"
}

t_ruby_with_scripts() {
	local m
	m=$(maps_of "LD_PRELOAD=$LIB" "HIJACK_EVAL=nil")
	check_has "HIJACK_EVAL: the Ruby library is mapped" 'libhijack-ruby\.so' "$m"
	m=$("$HIJACK" run -e 'Hijack.on(:getppid) { }' -- cat /proc/self/maps 2>/dev/null)
	check_has "hijack run -e: the Ruby library is mapped" 'libhijack-ruby\.so' "$m"
	echo 'Hijack.on(:getppid) { |c| c.return(77) }' > s.rb
	check_eq "a script's hook runs" 77 "$("$HIJACK" run -s s.rb -- python3 -c 'import os; print(os.getppid())')"
	check_eq "and by hand" 77 "$(LD_PRELOAD=$LIB HIJACK_SCRIPT=$PWD/s.rb python3 -c 'import os; print(os.getppid())')"
	check_eq "--time (a recipe)" 981173106 "$("$HIJACK" run --time '2001-02-03 04:05:06' -- date +%s)"
}

# The Ruby library is looked for beside the preloaded one: missing, a
# process with scripts says so and stops; one without runs as ever.
t_ruby_library_missing() {
	cp "$LIB" ./libhijack.so
	local out rc
	out=$(LD_PRELOAD=$PWD/libhijack.so /bin/echo fine 2>&1)
	check_eq "no script: runs" fine "$out"
	out=$(LD_PRELOAD=$PWD/libhijack.so HIJACK_EVAL=nil /bin/echo fine 2>&1)
	rc=$?
	check_eq "a script: exit status" 2 "$rc"
	check_has "a script: says why" 'hijack: cannot load .*libhijack-ruby\.so' "$out"
	[ -f "$RUBYLIB" ] && pass || fail "$RUBYLIB is missing"
}

count_of() {	# count_of CALL FILE: the calls column of a -c table
	awk -v c="$1" '$NF == c { print $4; found = 1 } END { if (!found) print 0 }' "$2"
}

spawns_of() {	# spawns_of FILE: new processes, however made (hijack makes
	# a vfork a fork: the child runs hooked code on its own memory)
	awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { n += $4 } END { print n + 0 }' "$1"
}

# Counted exactly beside strace -f, which also sees its own first exec
# (the launcher's happens before the library is in). Not bash's or
# Python's wait4s: they reap with WNOHANG as timing falls, and vary.
compare_with_strace() {	# compare_with_strace WHAT CALLS... -- CMD...
	local what=$1 calls=() c
	shift
	while [ "$1" != -- ]; do calls+=("$1"); shift; done
	shift
	timeout 120 "$HIJACK" run -c -o hj.txt -- "$@" >/dev/null 2>&1 || fail "$what: hijack run failed"
	timeout 120 strace -f -c -o st.txt "$@" >/dev/null 2>&1 || fail "$what: strace failed"
	for c in "${calls[@]}"; do
		local s h
		s=$(count_of "$c" st.txt) h=$(count_of "$c" hj.txt)
		[ "$c" = execve ] && s=$((s - 1))
		check_eq "$what: $c" "$s" "$h"
	done
	check_eq "$what: processes made" "$(spawns_of st.txt)" "$(spawns_of hj.txt)"
}

t_fork_exec_counted() {
	command -v strace >/dev/null || { echo "SKIP [$current] no strace"; return; }
	compare_with_strace "sh loop" execve wait4 -- \
		sh -c 'i=0; while [ $i -lt 30 ]; do /bin/true; i=$((i + 1)); done'
	compare_with_strace "bash loop" execve -- \
		bash -c 'for i in $(seq 30); do /bin/true; done; for i in 1 2 3; do (echo $i) >/dev/null; done'
	compare_with_strace "python subprocess" execve -- \
		python3 -c 'import subprocess
for i in range(10): subprocess.run(["/bin/true"])'
	mkdir proj
	for i in 1 2 3 4; do printf 'int f%d(void) { return %d; }\n' "$i" "$i" > "proj/f$i.c"; done
	printf 'int main(void) { return 0; }\n' > proj/main.c
	printf 'prog: main.o f1.o f2.o f3.o f4.o\n\t$(CC) -o $@ $^\n%%.o: %%.c\n\t$(CC) -c $< -o $@\n' > proj/Makefile
	compare_with_strace "make -j2" execve -- sh -c 'make -s -B -C proj -j2'
}

# A forked child that goes on making calls: its sites are rewritten at
# their second trap, and every call is still hooked and counted.
t_forked_child_keeps_counting() {
	cat > kid.c <<'C'
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	for (int k = 0; k < 3; k++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (int i = 0; i < 3000; i++)
				getppid();
			if (k < 2)	/* an exec'd image runs no at_exit block */
				execl("/bin/true", "true", (char *)0);
			exit(k < 2 ? 9 : 0);
		}
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
C
	cc -O1 -o kid kid.c || { fail "cc kid.c"; return; }
	timeout 60 "$HIJACK" run -c -o hj.txt -- ./kid
	check_eq "exit status" 0 "$?"
	check_eq "getppid in 3 children" 9000 "$(count_of getppid hj.txt)"
	check_eq "their execs" 2 "$(count_of execve hj.txt)"
	local out
	out=$(timeout 60 "$HIJACK" run -e '$n = 0; Hijack.on(:getppid) { $n += 1 }; Hijack.at_exit { Hijack.log("n=#{$n}\n") if $n > 0 }' -- ./kid 2>&1)
	check_eq "a Ruby hook in a forked child, every call" "n=3000" "$(grep -o 'n=[0-9]*' <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
}

run_tests t_no_ruby_without_scripts t_ruby_with_scripts t_ruby_library_missing t_fork_exec_counted \
	t_forked_child_keeps_counting
summary startcost
