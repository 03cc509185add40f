#!/bin/bash
# The system-call layer (issue 9): every system call seen once, however it
# is made, under strace's name; the program's signal state, threads and
# children as they are bare.
source "$(dirname "$0")/../lib.sh"

BIN=$(mktemp -d /tmp/hijack-layer.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
L=$BIN/layer
cc -O1 -g -o "$L" "$(dirname "$0")/layer.c" -lpthread || { echo "layer: 0 passed, 1 failed"; exit 1; }

# each mode prints the same, and ends the same, bare and under hijack
t_same_as_bare() {
	for m in sigsys mask nodefer altstack threads children; do
		bare=$(timeout 30 "$L" $m 2>&1)
		brc=$?
		hooked=$(timeout 30 "$HIJACK" run -- "$L" $m 2>&1)
		hrc=$?
		check_eq "$m: exit status" "$brc" "$hrc"
		check_eq "$m: output" "$bare" "$hooked"
		traced=$(timeout 30 "$HIJACK" run -t -o trace.txt -- "$L" $m 2>&1)
		check_eq "$m: output, traced" "$bare" "$traced"
	done
}

# the program's own SIGSYS handler: seccomp's traps reach it, and a hook
# sees the calls around it
t_own_sigsys_traced() {
	"$HIJACK" run -t -o trace.txt -- "$L" sigsys >/dev/null 2>&1
	check_has "uname traced" '^uname\(' "$(cat trace.txt)"
	check_has "getpriority's EACCES (the program's seccomp filter) traced" '^getpriority\(.*= -1 EACCES' "$(cat trace.txt)"
}

# seen once: 8 threads x 1000 raw getppid are counted 8000 times, as
# strace -f -c counts them
t_exactly_once() {
	"$HIJACK" run -c -o sum.txt -- "$L" threads >/dev/null
	check_eq "getppid counted once each" 8000 "$(awk '$NF == "getppid" { print $4 }' sum.txt)"
	strace -f -c -o strace.txt "$L" threads >/dev/null
	check_eq "as strace counts" "$(awk '$NF == "getppid" { print $4 }' strace.txt)" "$(awk '$NF == "getppid" { print $4 }' sum.txt)"
}

# what the libc layer alone never saw
t_what_libc_hid() {
	cat > p.c <<'C'
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
int main(void) { printf("pid %ld\n", syscall(SYS_getpid)); return 0; }
C
	cc -o "$BIN/p" p.c
	out=$("$HIJACK" run -t -o trace.txt -- "$BIN/p")
	check_has "printf traced as its write" '^write\(1, "pid [0-9]+\\n", [0-9]+\) = [0-9]+$' "$(cat trace.txt)"
	out=$("$HIJACK" run -e 'Hijack.on(:getpid) { |c| c.return(42) }' -- "$BIN/p")
	check_eq "raw syscall(SYS_getpid) hooked" "pid 42" "$out"
	echo hi > f
	"$HIJACK" run --inject write:error=ENOSPC:when=1 -- bash -c 'echo hi > f' 2>err.txt
	check_eq "bash's echo fails as a full disk does: status" 1 "$?"
	check_has "bash says why" "No space left on device" "$(cat err.txt)"
	seq 1 200000 > big
	"$HIJACK" run --inject read:error=EIO -- sort big >/dev/null 2>err.txt
	check_eq "sort fails on EIO: status" 2 "$?"
	check_has "sort says why" "Input/output error" "$(cat err.txt)"
	out=$("$HIJACK" run -e '$n = 0; Hijack.on(:rt_sigaction) { $n += 1 }; Hijack.at_exit { Hijack.log "n=#{$n}" }' \
		-o log.txt -- bash -c true)
	n=$(sed -n 's/.*n=\([0-9]*\).*/\1/p' log.txt)
	[ "${n:-0}" -gt 5 ] && pass || fail "a hook on rt_sigaction sees bash's signal set-up (got ${n:-none})"
}

# libc's names stay as aliases: :open hooks cat's open (the openat system
# call), :stat ls's newfstatat
t_aliases() {
	echo data > x.txt
	out=$("$HIJACK" run -e 'Hijack.on(:open, path: "*x.txt") { |c| c.fail(:EACCES) }' -- cat x.txt 2>&1)
	check_has ":open hooks openat" "Permission denied" "$out"
	out=$("$HIJACK" run -e 'Hijack.on(:stat, path: "*x.txt") { |c| c.fail(:ENOENT) }' -- python3 -c 'import os; os.stat("x.txt")' 2>&1)
	check_has ":stat hooks newfstatat" "FileNotFoundError" "$out"
	"$HIJACK" run -t=pread -o trace.txt -- sqlite3 :memory: 'select 1' >/dev/null 2>&1
	check_lacks "a libc name in a trace set names the system call" '^pread\(' "$(cat trace.txt)"
}

# start-up: the loader's calls are traced and counted (the start-up
# watcher), before any constructor
t_startup_seen() {
	"$HIJACK" run -t -o trace.txt -- true
	check_has "the loader opening libc" '^openat\(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY\|O_CLOEXEC\) = 3$' "$(cat trace.txt)"
	check_lacks "the library's own start is not the program's" 'libhijack.so", 0x' "$(grep newfstatat trace.txt)"
	"$HIJACK" run -c -o sum.txt -- true
	check_has "mprotect of relocation counted" ' mprotect$' "$(cat sum.txt)"
	env_out=$("$HIJACK" run -c -o /dev/null -- env)
	check_lacks "the watcher is hidden from the program" 'LD_AUDIT|HIJACK_' "$env_out"
}

# vfork-style children (posix_spawn) and forks are seen, under their pids
t_children_seen() {
	"$HIJACK" run -t -o trace.txt -- "$L" children >/dev/null
	check_has "posix_spawn's child's exec" '^\[pid +[0-9]+\] execve\("/bin/echo"' "$(cat trace.txt)"
	# (with [pid N] when another process of the run was alive then, as strace -f)
	check_has "fork as clone" '^(\[pid +[0-9]+\] )?clone\(child_stack=NULL, flags=CLONE_CHILD_CLEARTID' "$(cat trace.txt)"
}

# off: the libc layer alone, as before
t_layer_off() {
	out=$(HIJACK_SYSCALLS=0 "$HIJACK" run -e 'Hijack.on(:getpid) { |c| c.return(42) }' -- "$BIN/p" 2>/dev/null)
	check_has "HIJACK_SYSCALLS=0: the program runs" '^pid [0-9]+$' "$out"
	[ "$out" != "pid 42" ] && pass || fail "HIJACK_SYSCALLS=0: a raw syscall() is not the libc layer's to hook"
}

run_tests t_same_as_bare t_own_sigsys_traced t_exactly_once t_what_libc_hid t_aliases t_startup_seen \
	t_children_seen t_layer_off
summary layer
