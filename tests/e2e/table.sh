#!/bin/bash
# The one table's system-call half: SYS rows (src/calls.def) and the
# numbers (src/syscall/sysnr.def) are listed, named in sets, never
# exported; the libc rows' signal masks are traced as strace shows them.
source "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

sys_rows() { sed -n 's/^SYS(\([a-z0-9_]*\),.*/\1/p' "$ROOT/src/calls.def"; }

t_calls_lists_sys_rows() {
	local out missing=0 n
	out=$("$HIJACK" calls)
	for n in $(sys_rows); do
		grep -q "^$n " <<<"$out" || { missing=$((missing + 1)); echo "not listed: $n"; }
	done
	check_eq "every SYS row listed" 0 "$missing"
	check_has "newfstatat in %file" '^newfstatat +file +int newfstatat\(int dirfd, const char \*path, struct stat \*statbuf, int flags\)$' "$out"
	check_has "rt_sigaction in %signal" '^rt_sigaction +signal ' "$out"
	check_has "shmget in %ipc" '^shmget +ipc ' "$out"
	check_has "getuid in %creds" '^getuid +creds +uid_t getuid\(void\)$' "$out"
	check_has "a call strace puts in no class" '^uname +- ' "$out"
	n=$("$HIJACK" calls --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
	check_eq "the JSON list has every row" "$(wc -l <<<"$out")" "$n"
}

t_sets_take_syscall_names() {
	local out
	out=$("$HIJACK" run -t=rt_sigaction,newfstatat,pread64,clone3,exit,%signal,%ipc,%creds -- true 2>&1)
	check_eq "a trace set of system call names and classes: status" 0 "$?"
	# the system-call layer sees them (start-up's too): those, and only those
	check_has "the set's calls traced" '^newfstatat\(' "$out"
	check_lacks "no call outside the set" '^(openat|mmap|read|close)\(' "$out"
	"$HIJACK" run --inject rt_sigaction:error=EPERM --inject getdents64:error=EIO:when=2 -- true > out 2>&1
	check_eq "injecting into SYS rows is accepted" 0 $?
	check_lacks "no complaint about the names" 'unknown|invalid|usage' "$(cat out)"
	out=$("$HIJACK" run -t=no_such_call -- true 2>&1)
	check_has "an unknown name is still refused" 'no_such_call' "$out"
	printf 'Hijack.on(:rt_sigaction, :wait4, :futex) { |c| c.sig }\n' > s.rb
	"$HIJACK" check s.rb > check.out 2>&1
	check_eq "Hijack.on takes SYS rows" 0 $?
}

# The library exports the libc names of CALL, HAND, VARIANT and TWIN rows
# only: a SYS row with no libc wrapper must never become a symbol.
t_exports_only_libc_rows() {
	local exported extra=0 n
	local libc
	exported=" $(nm -D --defined-only "$LIB" | awk '{ print $3 }' | tr '\n' ' ') "
	# glibc's own names for some (pread64: VARIANT; close_range: fdguard.c)
	libc=" $(sed -n 's/^VARIANT(\([A-Za-z0-9_]*\),.*/\1/p' "$ROOT/src/calls.def" | tr '\n' ' ') close_range "
	for n in $(sys_rows); do
		case $libc in *" $n "*) continue ;; esac
		case $exported in *" $n "*) extra=$((extra + 1)); echo "exported: $n" ;; esac
	done
	check_eq "no SYS row exported" 0 "$extra"
	check_has "libc rows still exported" ' openat ' "$exported"
}

t_sigmask_traced_as_a_set() {
	cat > pp.c <<'C'
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
int main(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	struct timespec ts = { 0, 0 };
	return ppoll(0, 0, &ts, &s);
}
C
	gcc -O0 -o pp pp.c || { fail "cannot build pp.c"; return; }
	local out
	out=$("$HIJACK" run -t=ppoll -- ./pp 2>&1)
	check_has "ppoll's mask" '^ppoll\(NULL, 0, \{tv_sec=0, tv_nsec=0\}, \[INT TERM\]\) = 0 \(Timeout\)$' "$out"
	out=$("$HIJACK" run --json -t=ppoll -- ./pp 2>&1)
	check_has "in JSON, a string" '"sigmask": "\[INT TERM\]"' "$out"
	python3 -c 'import json, sys; [json.loads(l) for l in sys.stdin if l.startswith("{")]' <<<"$out"
	check_eq "valid JSON" 0 $?
}

run_tests t_calls_lists_sys_rows t_sets_take_syscall_names t_exports_only_libc_rows t_sigmask_traced_as_a_set
summary table
