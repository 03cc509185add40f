#!/bin/bash
# Per-fd path: verdicts (rules.c): matched once when the fd's path is
# known, and right for fds opened before a rule, inherited, dup'd,
# closed and reused.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
build() { cc -O1 -o "$1" "$here/$1.c" -pthread || fail "cannot build $1"; }

# a rule added by a hook, after the fd was opened and its verdict made
ADD_LATER='Hijack.on(:open, :openat, path: "second") { $added ||= (Hijack.on(:read, path: "*/first") { |c| c.fail(:EIO) }; true) }'

t_rule_after_open() {
	build fdverdict_prog
	echo 1 > first; echo 2 > second; echo 3 > other
	local out
	out=$(timeout 60 "$HIJACK" run --quiet -e "$ADD_LATER" -- ./fdverdict_prog first second other 2>&1)
	check_eq "verdicts" "before=ok after=EIO dup=EIO dupfd=EIO dup2over=ok reused=ok" "$out"
	# libc's wrappers alone see neither the raw close_range nor the
	# F_DUPFD: the reused number keeps the old path (rules.c says so)
	out=$(HIJACK_SYSCALLS=0 timeout 60 "$HIJACK" run --quiet -e "$ADD_LATER" -- ./fdverdict_prog first second other 2>&1)
	check_has "verdicts, libc layer" "^before=ok after=EIO dup=EIO dupfd=EIO dup2over=ok " "$out"
}

t_inherited_fd() {
	echo data > inherited
	local out
	out=$(timeout 60 "$HIJACK" run --quiet -e 'Hijack.on(:read, path: "*/inherited") { |c| c.fail(:EIO) }' -- cat < inherited 2>&1)
	check_has "stdin opened by the shell matches" 'Input/output error' "$out"
	out=$(timeout 60 "$HIJACK" run --quiet -e 'Hijack.on(:read, path: "*/elsewhere") { |c| c.fail(:EIO) }' -- cat < inherited 2>&1)
	check_eq "and one that does not match reads" "data" "$out"
	# across an exec: the child's cache starts empty
	out=$(timeout 60 "$HIJACK" run --quiet -e 'Hijack.on(:read, path: "*/inherited") { |c| c.fail(:EIO) }' -- sh -c 'exec cat' < inherited 2>&1)
	check_has "after an exec" 'Input/output error' "$out"
}

t_many_rules() {
	# more rules with globs than verdict bits: the later ones match paths
	local script='' i
	for i in $(seq 1 70); do
		script+="Hijack.on($( ((i % 2)) && echo :write || echo :fstat ), path: \"/nonexistent/$i/*\") { |c| c.fail(:EIO) }"$'\n'
	done
	script+='Hijack.on(:read, path: "*/target") { |c| c.fail(:EIO) }'
	echo x > target; echo y > plain
	local out
	out=$(timeout 60 "$HIJACK" run --quiet -e "$script" -- cat plain target 2>&1)
	check_has "the 71st rule fires" 'target: Input/output error' "$out"
	check_has "and leaves others" '^y$' "$out"
}

t_pipe_not_under_cwd() {
	# a pipe has no path in the tree: a glob over the cwd does not take it
	local out
	out=$(echo hi | timeout 60 "$HIJACK" run --quiet -e "Hijack.on(:read, path: \"$PWD/*\") { |c| c.fail(:EIO) }" -- cat 2>&1)
	check_eq "a pipe read" "hi" "$out"
}

t_threads_reuse_fds() {
	build fdverdict_race
	echo g > good; echo b > bad
	local out
	out=$(timeout 120 "$HIJACK" run --quiet -e 'Hijack.on(:read, path: "*/bad") { |c| c.fail(:EIO) }' -- ./fdverdict_race good bad 3000 2>&1)
	check_eq "no read takes another fd's verdict" "wrong=0" "$out"
}

run_tests t_threads_reuse_fds t_rule_after_open t_inherited_fd t_many_rules t_pipe_not_under_cwd
summary fdverdict
