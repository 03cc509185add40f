#!/bin/bash
# Rewritten syscall sites (src/syscall/rewrite.c): after its first trap a
# `mov $nr,%eax; syscall` site jumps to a stub. Counts stay exact, hooks
# still fire, real programs still work, and the stub is faster than the trap.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

count() { awk -v c="$1" '$NF == c && $4 ~ /^[0-9]+$/ { n = $4 } END { print n + 0 }' "$2"; }

build() { cc -O1 -o "$1" "$here/$1.c" -pthread || fail "cannot build $1"; }

# 200,000 getppid() and writes: counted as strace counts them.
t_counts() {
	build rewrite_prog || return
	timeout 60 strace -f -c -o st.txt ./rewrite_prog 200000 >/dev/null 2>&1
	check_eq "strace's getppid" 200000 "$(count getppid st.txt)"
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog 200000
	check_eq "getppid" 200000 "$(count getppid sum.txt)"
	check_eq "write" 200000 "$(count write sum.txt)"
}

t_threads() {
	build rewrite_prog || return
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog 200000 4
	check_eq "getppid, 4 threads" 200000 "$(count getppid sum.txt)"
	check_eq "write, 4 threads" 200000 "$(count write sum.txt)"
}

t_rewrite_off() {
	build rewrite_prog || return
	HIJACK_REWRITE=0 timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog 200000 2
	check_eq "getppid" 200000 "$(count getppid sum.txt)"
	check_eq "write" 200000 "$(count write sum.txt)"
}

# The stubs are there when rewriting is on, and only then.
t_stubs_mapped() {
	local code='import os
for i in range(3): os.getppid()
print(sum("hijack-stubs" in l for l in open("/proc/self/maps")))'
	check_has "stubs mapped" '^[1-9]' "$(timeout 60 "$HIJACK" run -- python3 -c "$code")"
	check_eq "none with HIJACK_REWRITE=0" 0 "$(HIJACK_REWRITE=0 timeout 60 "$HIJACK" run -- python3 -c "$code")"
}

# The first call traps, the next ones run the stub: the hook answers all.
t_hook_after_rewrite() {
	build rewrite_prog || return
	local out
	out=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(4242) }' -- ./rewrite_prog ppid)
	check_eq "three answers" "4242 4242 4242" "$(echo $out)"
	out=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(4242) }' -- ./rewrite_prog ppid-loop)
	check_eq "a loop of 100,000" 100000 "$out"
}

# ns per getppid(): bare, trapped, rewritten (nothing wants it), rewritten
# and counted. Printed; asserted only: rewritten beats trapped.
t_faster() {
	build rewrite_prog || return
	local bare trap rew cnt i best
	best() { local b=; for v in "$@"; do [ -z "$b" ] || [ "$v" -lt "$b" ] && b=$v; done; echo "$b"; }
	bare=() trap=() rew=() cnt=()
	for i in 1 2 3; do
		bare+=("$(./rewrite_prog time 200000)")
		trap+=("$(HIJACK_REWRITE=0 timeout 60 "$HIJACK" run -- ./rewrite_prog time 200000)")
		rew+=("$(timeout 60 "$HIJACK" run -- ./rewrite_prog time 200000)")
		cnt+=("$(timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog time 200000)")
	done
	echo "getppid ns/call (best of 3): bare $(best "${bare[@]}"), trapped $(best "${trap[@]}")," \
		"rewritten $(best "${rew[@]}"), rewritten+counted $(best "${cnt[@]}")"
	[ "$(best "${rew[@]}")" -lt "$(best "${trap[@]}")" ] && pass ||
		fail "rewritten $(best "${rew[@]}") ns is not faster than trapped $(best "${trap[@]}") ns"
}

# A stub keeps what a syscall keeps (registers, flags, xmm), on its fast
# path and on its slow one (the call wanted, hooked).
t_registers() {
	build rewrite_prog || return
	check_eq "bare" ok "$(./rewrite_prog regs)"
	check_eq "rewritten" ok "$(timeout 60 "$HIJACK" run -- ./rewrite_prog regs)"
	check_eq "counted" ok "$(timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog regs)"
	check_eq "hooked" ok "$(timeout 60 "$HIJACK" run -e 'Hijack.on(:getpid) { |c| nil }' -- ./rewrite_prog regs)"
}

# After a fork both processes rewrite new sites into stubs of their own
# (the stub memory is shared): every answer stays right.
t_fork() {
	build rewrite_prog || return
	local want
	want=$(./rewrite_prog fork)
	check_eq "bare" "ok" "$want"
	check_eq "rewritten" "ok" "$(timeout 60 "$HIJACK" run -- ./rewrite_prog fork)"
	check_eq "counted" "ok" "$(timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog fork)"
}

# A signal handler that runs during a blocking rewritten call (pause,
# which nothing wants: the stub's fast path) is seen.
t_signal_during_call() {
	build rewrite_prog || return
	timeout 60 "$HIJACK" run -t=getppid -o t.txt -- ./rewrite_prog signal
	check_eq "the handler's getppid, traced" 20 "$(grep -c '^getppid' t.txt)"
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog signal
	check_eq "the handler's getppid, counted" 20 "$(count getppid sum.txt)"
}

# read's `xor %eax,%eax; syscall` sites: the xor becomes a short jump to a
# hop in the function's padding. Both of libc's (one single-threaded, one
# with threads) are rewritten; every read still answers, is counted and
# hooked; HIJACK_REWRITE=0 leaves libc as built.
t_read_sites() {
	build rewrite_prog || return
	local out
	check_eq "bare" "ok=1000 eio=0 xor=31c0,31c0" "$(./rewrite_prog reads 1000 1)"
	# (without the control channel's thread: with it no process is single-threaded)
	out=$(HIJACK_CTL=0 timeout 60 "$HIJACK" run -- ./rewrite_prog reads 100000 1)
	check_has "single-threaded: the first site rewritten" '^ok=100000 eio=0 xor=eb[0-9a-f][0-9a-f],31c0$' "$out"
	out=$(timeout 60 "$HIJACK" run -- ./rewrite_prog reads 100000 4)
	check_has "4 threads: the second site rewritten" '^ok=100000 eio=0 xor=31c0,eb[0-9a-f][0-9a-f]$' "$out"
	check_eq "HIJACK_REWRITE=0" "ok=1000 eio=0 xor=31c0,31c0" \
		"$(HIJACK_REWRITE=0 timeout 60 "$HIJACK" run -- ./rewrite_prog reads 1000 4)"
	out=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:read) { |c| c.fail(:EIO) if c.args[2] == 7 }' -- ./rewrite_prog reads 40000 4)
	check_has "hooked after the rewrite: every read fails" '^ok=0 eio=40000 ' "$out"
	timeout 60 "$HIJACK" run -t=read -o t.txt -- ./rewrite_prog reads 40000 4 >/dev/null
	check_eq "traced" 40000 "$(grep -c '^\(\[pid *[0-9]*\] \)\?read([0-9]*, .*, 7) = 7$' t.txt)"
}

# A mov within a cache line is rewritten in one store, one across a line
# in two steps. Every answer is right, and every call counted.
t_straddle() {
	build rewrite_prog || return
	check_eq "bare" "b8 b8 b8" "$(./rewrite_prog straddle)"
	check_eq "rewritten" "e9 e9 e9" "$(timeout 60 "$HIJACK" run -- ./rewrite_prog straddle)"
	check_eq "HIJACK_REWRITE=0" "b8 b8 b8" "$(HIJACK_REWRITE=0 timeout 60 "$HIJACK" run -- ./rewrite_prog straddle)"
	timeout 60 "$HIJACK" run -c -o sum.txt -- ./rewrite_prog straddle >/dev/null
	check_eq "counted" 3001 "$(count getpid sum.txt)"
	check_eq "hooked" "e9 e9 e9" \
		"$(timeout 60 "$HIJACK" run -e '$n = 0; Hijack.on(:getpid) { |c| $n += 1 }; Hijack.at_exit { Hijack.log("n=#{$n}\n") }' -o n.txt -- ./rewrite_prog straddle)"
	check_has "every call hooked" 'n=3001' "$(cat n.txt)"
	local i bad=0
	for i in $(seq 10); do
		[ "$(timeout 60 "$HIJACK" run -- ./rewrite_prog straddle-threads)" = ok ] || bad=$((bad + 1))
	done
	check_eq "4 threads on the sites being rewritten, 10 runs" 0 "$bad"
}

# Real programs, with rewriting on and everything counted.
t_programs() {
	local out
	out=$(timeout 60 "$HIJACK" run -c -o sum.txt -- bash -c 'n=0; for i in $(seq 1 200); do n=$((n + $(echo 1))); done; echo $n')
	check_eq "bash" 200 "$out"
	out=$(timeout 60 "$HIJACK" run -- python3 -c 'import os, subprocess, threading
t = [threading.Thread(target=lambda: [os.getppid() for _ in range(2000)]) for _ in range(3)]
[x.start() for x in t]; [x.join() for x in t]
print(subprocess.run(["echo", "hi"], capture_output=True).stdout.decode().strip(), len(os.listdir("/")) > 0)')
	check_eq "python3" "hi True" "$out"
	git init -q repo && cd repo && echo a > f && git add f &&
		git -c user.name=t -c user.email=t@t commit -qm one >/dev/null
	out=$(timeout 60 "$HIJACK" run -- sh -c 'echo b >> f && git -c user.name=t -c user.email=t@t commit -qam two && git log --oneline | wc -l && git status --short | wc -l')
	cd ..
	check_eq "git" "2 0" "$(echo $out)"
}

run_tests t_counts t_threads t_rewrite_off t_stubs_mapped t_hook_after_rewrite t_faster t_registers t_fork \
	t_signal_during_call t_read_sites t_straddle t_programs
summary rewrite
