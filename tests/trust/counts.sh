#!/bin/bash
# -c counts and Hijack.at_exit, however a process ends: each count is
# compared with strace -f -c's for the same command. With the system-call
# layer every call made after the library started is seen, however it is
# made (libc, stdio, raw syscall()): those counts match strace's exactly.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

# count CALL FILE: the calls column of CALL's row in a strace -c table or
# ours (both: calls 4th, the name last; 0 when there is no row)
count() { awk -v c="$1" '$NF == c && $4 ~ /^[0-9]+$/ { n = $4 } END { print n + 0 }' "$2"; }

# strace_count CALL COMMAND...: what strace -f -c counts for CALL
strace_count() {
	local call=$1
	shift
	timeout 60 strace -f -c -o st.txt "$@" >/dev/null 2>&1
	count "$call" st.txt
}

# rows FILE: "name calls" for each row of a -c table (strace's or ours)
rows() { awk '$4 ~ /^[0-9]+$/ && $NF != "total" { print $NF, $4 }' "$1" | sort; }
# rows_not_in STRACE OURS: our rows' names that strace has not (but
# exit_group: a call that does not return is not in strace -c's table)
rows_not_in() { join -v2 <(rows "$1") <(rows "$2") | awk '$1 != "exit_group" { print $1 }' | xargs; }

build() { cc -O1 -o "$1" "$here/$1.c" -pthread || fail "cannot build $1"; }

# Several processes' files joined: ls's statx counted once, every time
# (the table once counted a file's first line twice, at random).
t_joined_files() {
	local want i
	# a tree of our own: /usr/lib may change while the suite runs
	mkdir many && touch many/f{1..60} && ln -s f1 many/link
	want=$(strace_count statx sh -c 'ls -la many > /dev/null')
	check_has "strace sees statx" '^[1-9]' "$want"
	for i in 1 2 3 4 5 6 7 8; do
		timeout 60 "$HIJACK" run -c -o sum.txt -- sh -c 'ls -la many > /dev/null'
		check_eq "statx, run $i" "$want" "$(count statx sum.txt)"
	done
}

# dash ends with _exit: its counts and its exit_group are in the table.
t_dash_exit() {
	local want
	want=$(strace_count write sh -c 'echo hi; echo there')
	timeout 60 "$HIJACK" run -c -o sum.txt -- sh -c 'echo hi; echo there' >/dev/null
	check_eq "write" "$want" "$(count write sum.txt)"
	check_eq "exit_group" 1 "$(count exit_group sum.txt)"
	timeout 60 "$HIJACK" run -t=write,exit_group -o t.txt -- sh -c 'echo hi; echo there' >/dev/null
	check_has "trace" '^exit_group\(0\) = \?$' "$(cat t.txt)"
	# without the launcher the process prints its own table, at _exit too
	LD_PRELOAD=$LIB HIJACK_SUMMARY=1 HIJACK_OUTPUT=$PWD/own.txt timeout 60 sh -c 'echo hi; echo there' >/dev/null
	check_eq "own table" "$want" "$(count write own.txt)"
}

# find dies of SIGPIPE: what it did before still counts.
t_sigpipe() {
	timeout 60 "$HIJACK" run -c -o sum.txt -- sh -c 'find /usr/share | head -1' >/dev/null
	local n
	n=$(count newfstatat sum.txt)
	# find writes through stdio: it dies at its second 4 KB of names
	# (its fstatat is the newfstatat system call, strace's name)
	[ "${n:-0}" -ge 5 ] && pass || fail "find's newfstatat: $n, expected at least 5"
}

# 50 writes, then 3 forks whose children end by exit, _exit and _Exit:
# the children count from zero.
t_forks() {
	build counts_prog || return
	local want
	want=$(strace_count write ./counts_prog forks 50)
	check_eq "strace" 50 "$want"
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./counts_prog forks 50
	check_eq "write" "$want" "$(count write sum.txt)"
	# fork() is the clone system call, counted under strace's name
	check_eq "clone, as strace" "$(count clone st.txt)" "$(count clone sum.txt)"
	check_eq "clone" 3 "$(count clone sum.txt)"
	# each of the 4 processes ends with one exit_group (exit, _exit, _Exit,
	# return from main), counted once (strace -c does not list it)
	check_eq "exit_group, one per process" 4 "$(count exit_group sum.txt)"
	# nothing of hijack's own: every row is one strace has too
	check_eq "rows strace does not have" "" "$(rows_not_in st.txt sum.txt)"
	# without the launcher too: three tables of the children, none with writes
	LD_PRELOAD=$LIB HIJACK_SUMMARY=1 HIJACK_OUTPUT=$PWD/own.txt timeout 60 ./counts_prog forks 50
	check_eq "own tables' writes" 50 "$(awk '$NF == "write" { n += $4 } END { print n + 0 }' own.txt)"
}

# Every call counts_prog makes after main, through libc, stdio or raw
# syscall(), is counted as strace counts it. Only the loader's calls
# before the library starts are strace's alone: the difference between
# "mixed 7" and "mixed 0" is the same in both tables, row by row.
t_after_main_exact() {
	build counts_prog || return
	local n name s7 s0 h7 h0 rows_checked=0
	for n in 0 7; do
		timeout 60 strace -f -c -o "st$n.txt" ./counts_prog mixed $n >/dev/null 2>&1
		timeout 60 "$HIJACK" run -c -o "sum$n.txt" -- ./counts_prog mixed $n >/dev/null
	done
	check_eq "strace saw the raw getppid" 7 "$(count getppid st7.txt)"
	# but malloc's: the library's start used malloc first, so glibc's
	# arena (its getrandom, its brk) is there before main, and stdio's
	# buffer needs no new brk
	for name in $( (rows st7.txt; rows sum7.txt) | awk '$1 !~ /^(exit_group|brk|getrandom)$/ { print $1 }' | sort -u); do
		s7=$(count "$name" st7.txt) s0=$(count "$name" st0.txt)
		h7=$(count "$name" sum7.txt) h0=$(count "$name" sum0.txt)
		check_eq "$name after main, as strace" "$((s7 - s0))" "$((h7 - h0))"
		rows_checked=$((rows_checked + 1))
	done
	check_has "a dozen rows compared" '^[1-9][0-9]$' "$rows_checked"
	# the calls the loader does not make: the whole count, exactly
	for name in getppid write lseek umask sched_yield dup uname getcwd clock_nanosleep getpid kill pipe2; do
		check_eq "$name, the whole count" "$(count $name st7.txt)" "$(count $name sum7.txt)"
	done
	check_eq "rows strace does not have" "" "$(rows_not_in st7.txt sum7.txt)"
	check_eq "exit_group" 1 "$(count exit_group sum7.txt)"
}

# SIGKILL after 37 writes: the 37 are counted.
t_sigkill() {
	build counts_prog || return
	local want rc
	want=$(strace_count write ./counts_prog killed 37)
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./counts_prog killed 37
	rc=$?
	check_eq "status" 137 "$rc"
	check_eq "write" "$want" "$(count write sum.txt)"
}

# A raw exit_group, as Go makes it: the counts are there, no destructor ran.
t_raw_exit_group() {
	build counts_prog || return
	local want
	want=$(strace_count write ./counts_prog raw 12 5)
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./counts_prog raw 12 5
	check_eq "status" 5 "$?"
	check_eq "write" "$want" "$(count write sum.txt)"
}

# The table goes after what the processes wrote to the same -o file.
t_table_after_trace() {
	timeout 60 "$HIJACK" run -t=write -c -o out.txt -- sh -c 'echo hi; echo there' >/dev/null
	check_has "the first trace line kept" '^write\(1, "hi\\n", 3\) = 3$' "$(head -1 out.txt)"
	check_has "the table last" '^100\.00 .* total$' "$(tail -1 out.txt)"
}

# Hijack.at_exit blocks run on _exit and _Exit, once per process, in a
# forked child too; the status is the program's.
t_at_exit() {
	build counts_prog || return
	local bye='Hijack.at_exit { Hijack.log "bye\n" }' rc
	timeout 60 "$HIJACK" run -e "$bye" -o log.txt -c -- ./counts_prog _exit 5 3
	rc=$?
	check_eq "_exit status" 3 "$rc"
	check_eq "_exit: at_exit once" 1 "$(grep -c 'bye' log.txt)"
	check_eq "_exit: writes" 5 "$(count write log.txt)"
	timeout 60 "$HIJACK" run -e "$bye" -o log.txt -t=exit_group -- ./counts_prog _Exit 2 4
	rc=$?
	check_eq "_Exit status" 4 "$rc"
	check_eq "_Exit: at_exit once" 1 "$(grep -c 'bye' log.txt)"
	check_has "_Exit: trace" '^exit_group\(4\) = \?$' "$(cat log.txt)"
	# the parent by return from main, its children by exit, _exit, _Exit
	timeout 60 "$HIJACK" run -e "$bye" -o log.txt -- ./counts_prog forks 1
	check_eq "forks: at_exit in each process" 4 "$(grep -c 'bye' log.txt)"
	# exit(): the destructor does not run them a second time
	timeout 60 "$HIJACK" run -e "$bye" -o log.txt -- true
	check_eq "exit: once" 1 "$(grep -c 'bye' log.txt)"
	# at_exit blocks run before the hooks on the call itself, which see it
	# by either name and may change the status
	timeout 60 "$HIJACK" run -e 'Hijack.on(:_exit) { |c| c.status = 7 }' -- ./counts_prog _exit 0 1
	check_eq "status changed" 7 "$?"
}

# 16 threads open, read, write and close their own files; a path filter
# on read counts exactly what the program counts. A delay after close
# (before the fd cache hears of it) makes another thread's open of the
# same number and its reads meet the late forget often.
t_threads_exact() {
	build counts_threads || return
	mkdir d
	cat >exact.rb <<RUBY
\$n = 0
Hijack.on(:read, path: "$PWD/d/*") { \$n += 1 }
Hijack.at_exit { Hijack.log "hooked=#{\$n}\n" }
RUBY
	cat >late.rb <<RUBY
Hijack.after(:close, path: "$PWD/d/*") { |c| c.delay(0.0002) }
RUBY
	local out prog hooked
	for scripts in "-s exact.rb" "-s exact.rb -s late.rb"; do
		out=$(timeout 120 "$HIJACK" run $scripts -o log.txt -- ./counts_threads "$PWD/d" 2.5)
		prog=${out#reads=}
		hooked=$(sed -n 's/.*hooked=//p' log.txt)
		check_has "the program read ($scripts)" '^[1-9][0-9]*$' "$prog"
		check_eq "reads hooked ($scripts)" "$prog" "$hooked"
	done
}

# --no-follow: a forked child is not ours, and runs no at_exit block
t_no_follow_at_exit() {
	local out
	out=$(timeout 60 "$HIJACK" run --no-follow -e 'Hijack.at_exit { Hijack.log "bye" }' -- bash -c '(exit 0); true' 2>&1)
	check_eq "one process said bye" 1 "$(grep -c '^bye$' <<<"$out")"
}

run_tests t_no_follow_at_exit
run_tests t_joined_files t_dash_exit t_sigpipe t_forks t_after_main_exact t_sigkill t_raw_exit_group t_table_after_trace t_at_exit t_threads_exact
summary counts
