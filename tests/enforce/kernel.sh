#!/bin/bash
# --enforce: the kernel holds the sandbox's rules. Each rule is tried with
# raw system calls from a static program (kprobe.c: no in-process rule can
# answer it), in a child, and from a dynamically linked program, where the
# in-process layer still gives its own errno. Refusals name the rule.
# (The attacker's corpus is escape.sh; learned policies, learn.sh.)
source "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$(mktemp -d /tmp/hijack-kprobe.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
chmod 755 "$BIN"	# not_root runs it as nobody
gcc -static -O -o "$BIN/kprobe" "$HERE/kprobe.c" || { echo "kernel: cannot build kprobe"; exit 1; }
KP=$BIN/kprobe

enforced() { timeout 30 "$HIJACK" run --quiet --enforce "$@" 2>&1; }

test_deny_network() {
	check_eq "bare socket" "socket ok" "$("$KP" socket 2)"
	local out
	out=$(enforced --deny network -- "$KP" socket 2)
	check_has "AF_INET refused" "^socket EACCES$" "$out"
	check_has "a static program is told the hooks cannot reach it, the kernel's rules hold" \
		"statically linked.*the kernel's rules hold all the same" "$out"
	check_has "AF_INET6 refused" "^socket EACCES$" "$(enforced --deny network -- "$KP" socket 10)"
	check_has "AF_UNIX still made" "^socket ok$" "$(enforced --deny network -- "$KP" socket 1)"
	check_has "AF_VSOCK refused (every family but the local ones)" "^socket EACCES$" \
		"$(enforced --deny network -- "$KP" socket 40)"
	check_lacks "AF_NETLINK not refused" "EACCES" "$(enforced --deny network -- "$KP" socket 16)"
	out=$(enforced --deny network -- "$KP" status)
	check_has "no_new_privs" "NoNewPrivs:.1" "$out"
	check_has "and a seccomp filter" "Seccomp:.2" "$out"
	check_has "a dynamic program: EACCES from the in-process rule" "PermissionError 13" \
		"$(enforced --deny network -- /usr/bin/python3 -c '
import socket
try: socket.socket()
except OSError as e: print(type(e).__name__, e.errno)')"
}

test_deny_exec() {
	local out
	out=$(enforced --deny exec -- "$KP" exec /bin/true)
	check_has "the program itself starts; its exec is refused" "^exec EACCES$" "$out"
	out=$(enforced --deny exec -- /bin/bash -c '/bin/true; echo "status $?"')
	check_has "bash starts, the programs it runs do not" "status 126" "$out"
	check_eq "a refused exec leaves no marker" "" "$(enforced --deny exec -- /bin/bash -c 'touch marker' >/dev/null; ls)"
	check_eq "the program itself ran" "hi" "$(timeout 30 "$HIJACK" run --quiet --enforce --deny exec -- /bin/echo hi 2>/dev/null)"
}

test_deny_call() {
	check_has "a denied call, raw" "^getpid EACCES$" "$(enforced --deny getpid -- "$KP" getpid)"
	check_has "mkdirat under --deny mkdir: a name holds its *at twin at the kernel" "^mkdir EACCES$" \
		"$(enforced --deny mkdir -- "$KP" mkdir d)"
	check_eq "no directory made" "" "$(ls)"
	check_has "statx under --deny stat: the calls that do the same" "^statx EACCES$" \
		"$(enforced --deny stat -- "$KP" statx /)"
	local out status
	out=$(enforced --deny fopen -- true)
	status=$?
	check_eq "a library function is refused" 2 "$status"
	check_has "and says what to name instead" "--deny fopen: a library function, not a system call" "$out"
}

test_readonly() {
	mkdir ro && echo before >ro/f
	check_has "a raw write under the path" "^write EROFS$" "$(enforced --readonly "$PWD/ro" -- "$KP" write ro/f)"
	check_has "in a child" "^fork-write EROFS$" "$(enforced --readonly "$PWD/ro" -- "$KP" fork-write ro/new)"
	check_has "through a shell's child" "^mkdir EROFS$" \
		"$(enforced --readonly "$PWD/ro" -- /bin/sh -c "'$KP' mkdir ro/d")"
	check_eq "the file is as it was" "before" "$(cat ro/f)"
	check_eq "nothing made" "f" "$(ls ro)"
	check_has "writes elsewhere go on" "^write ok$" "$(enforced --readonly "$PWD/ro" -- "$KP" write other)"
	check_has "a dynamic program: EROFS" "Read-only file system" \
		"$(enforced --readonly "$PWD/ro" -- /bin/bash -c 'echo x > ro/f')"
	# what was opened before the mounts: the working directory, and
	# descriptors handed down
	check_has "from a working directory inside the path" "^write EROFS$" \
		"$(cd ro && enforced --readonly "$PWD" -- "$KP" write g)"
	check_has "through an inherited descriptor of /" "^write EROFS$" \
		"$(enforced --readonly "$PWD/ro" -- "$KP" write "/proc/self/fd/3$PWD/ro/f" 3</)"
	check_has "a read-only descriptor of a file in it, reopened for writing" "^write-fd EROFS$" \
		"$(enforced --readonly "$PWD/ro" -- "$KP" write-fd 0 <ro/f)"
	check_eq "still as it was" "before" "$(cat ro/f)"
	check_eq "nothing made from there" "f" "$(ls ro)"
	check_has "--readonly / leaves /proc and /dev to the processes" "^hi$" \
		"$(enforced --readonly / -- /bin/sh -c 'echo hi; echo x >/dev/null')"
}

test_root_keeps_a_containers_capabilities() {
	[ "$(id -u)" = 0 ] || { echo "SKIP root: not root"; pass; return; }
	local out
	out=$(enforced --deny network -- /bin/sh -c 'grep CapBnd /proc/self/status')
	check_has "the bounding set: Docker's default, less MKNOD and NET_RAW" "CapBnd:.00000000a00405fb" "$out"
	check_has "a kernel setting (core_pattern runs a program as root) is read-only" "^sysctl EROFS$" \
		"$(enforced --deny network -- "$KP" sysctl)"
	check_has "no signal to a process outside" "Operation not permitted" \
		"$(enforced --deny network -- /bin/sh -c 'kill -0 1' 2>&1)"
}

test_readonly_keeps_hijacks_own() {
	# the run's directory and the output are under /tmp: they stay ours
	local out
	out=$(timeout 30 "$HIJACK" run --enforce --readonly /tmp -c -o "$PWD/trace" -- /bin/bash -c 'echo x > /tmp/x-$$; echo done' 2>&1)
	check_has "the program ran" "^done$" "$out"
	check_has "its write refused" "Read-only file system" "$out"
	check_has "the summary was written" "total" "$(cat trace)"
}

test_hide() {
	mkdir hid && echo secret >hid/s && echo secret2 >file
	local out
	out=$(enforced --hide "$PWD/hid" --hide "$PWD/file" -- "$KP" read hid/s)
	check_has "under a hidden directory: ENOENT" "^read ENOENT$" "$out"
	out=$(enforced --hide "$PWD/hid" --hide "$PWD/file" -- "$KP" read file)
	check_has "a hidden file reads empty" "read 0 bytes: read ok" "$out"
	check_has "a dynamic program: ENOENT for the path itself" "No such file" \
		"$(enforced --hide "$PWD/hid" -- /bin/ls "$PWD/hid")"
	check_lacks "/proc/1/root does not reach it" "secret" \
		"$(enforced --hide "$PWD/hid" -- "$KP" read "/proc/1/root$PWD/hid/s")"
	check_eq "still there afterwards" "secret" "$(cat hid/s)"
}

test_allow_lists() {
	mkdir -p proj/out && echo data >proj/in
	cat >policy.rb <<EOF
Hijack::Sandbox.allow(read: ["/usr/**", "/etc/**", "$PWD/proj/**"],
                      write: ["$PWD/proj/out/**"],
                      exec: ["/usr/bin/cat"])
EOF
	local out
	out=$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- "$KP" read proj/in 2>&1)
	check_has "read allowed" "read ok" "$out"
	check_has "write under out allowed" "^write ok$" \
		"$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- "$KP" write proj/out/x 2>&1)"
	check_has "write elsewhere refused" "^write EACCES$" \
		"$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- "$KP" write proj/y 2>&1)"
	check_has "read elsewhere refused" "^read EACCES$" \
		"$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- "$KP" read /root/.profile 2>&1)"
	check_has "an exec outside the list refused" "^exec EACCES$" \
		"$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- "$KP" exec /usr/bin/id 2>&1)"
	check_eq "a listed program runs" "data" \
		"$(timeout 30 "$HIJACK" run --quiet --enforce -s policy.rb -- /usr/bin/cat proj/in 2>&1)"
}

test_allow_connect() {
	local port server
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	/usr/bin/python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(16); time.sleep(60)" &
	server=$!
	sleep 0.5
	check_has "bare connect" "^connect ok$" "$("$KP" connect "$port")"
	check_has "a listed port" "^connect ok$" \
		"$(enforced -e "Hijack::Sandbox.allow(connect: ['127.0.0.1:$port'])" -- "$KP" connect "$port")"
	check_has "another port" "^connect EACCES$" \
		"$(enforced -e "Hijack::Sandbox.allow(connect: ['127.0.0.1:1'])" -- "$KP" connect "$port")"
	check_has "TCP under --deny network, raw" "^connect EACCES$" "$(enforced --deny network -- "$KP" connect "$port")"
	kill "$server"
}

test_allow_calls() {
	local out
	out=$(enforced -e "Hijack::Sandbox.allow(calls: %w[openat write])" -- "$KP" write f)
	check_has "a listed call" "^write ok$" "$out"
	check_has "a call outside the list" "^mkdir EACCES$" \
		"$(enforced -e "Hijack::Sandbox.allow(calls: %w[openat write])" -- "$KP" mkdir d)"
	check_has "exec outside the list: the program starts, no more" "^exec EACCES$" \
		"$(enforced -e "Hijack::Sandbox.allow(calls: %w[openat write])" -- "$KP" exec /bin/true)"
}

test_enforce_from_script() {
	printf 'Hijack::Sandbox.deny(:network)\nHijack::Sandbox.enforce!\n' >e.rb
	check_has "Sandbox.enforce! in a script" "^socket EACCES$" \
		"$(timeout 30 "$HIJACK" run --quiet -s e.rb -- "$KP" socket 2 2>&1)"
	"$HIJACK" compile e.rb -o e.mrb
	check_has "and in its bytecode" "^socket EACCES$" "$(timeout 30 "$HIJACK" run --quiet -s e.mrb -- "$KP" socket 2 2>&1)"
	local out
	out=$(LD_PRELOAD=$LIB HIJACK_SCRIPT=$PWD/e.rb timeout 30 /usr/bin/python3 -c 'print("ran")' 2>&1)
	check_has "without hijack run it says so, with the line" "e.rb:2: Sandbox.enforce!: the kernel's rules are installed by" "$out"
}

test_refusals() {
	local out status
	echo keep >out.txt
	out=$(timeout 30 "$HIJACK" run --enforce -o out.txt -- true 2>&1)
	status=$?
	check_eq "no rule: status 2" 2 "$status"
	check_has "no rule: said" "no rule for the kernel to hold" "$out"
	check_eq "the output file untouched" keep "$(cat out.txt)"
	out=$(timeout 30 "$HIJACK" run --enforce --readonly "$PWD/none" -- true 2>&1)
	check_has "a read-only path that does not exist" "--readonly $PWD/none: No such file or directory" "$out"
	out=$(cd / && timeout 30 "$HIJACK" run --enforce --hide /tmp -- true 2>&1)
	check_has "a hide that covers hijack's own" "--hide /tmp: it would hide hijack's own run directory" "$out"
	out=$(timeout 30 "$HIJACK" run --enforce -e 'Hijack::Sandbox.allow(connect: ["localhost"])' -- true 2>&1)
	check_has "a connect rule without a port" "-e:1: allow connect: \"localhost\" is not" "$out"
	out=$(timeout 30 "$HIJACK" run --enforce -e 'Hijack::Sandbox.allow(read: ["/usr/*/x*"], exec: ["/usr/bin/true"])' -- /usr/bin/true 2>&1)
	check_has "a glob held wider is said" "read /usr/\*/x\*: the kernel holds /usr \(all under it\)" "$out"
	out=$(timeout 30 "$HIJACK" run --enforce --deny network -ff -o "$PWD/t" -- true 2>&1)
	check_has "-ff, whose files would need their directory open" "-ff writes a file per process beside" "$out"
	mkdir h && out=$(cd h && timeout 30 "$HIJACK" run --enforce --hide "$PWD" -- true 2>&1)
	check_lacks "hiding the working directory itself is fine" "working directory" "$out"
	out=$(timeout 30 "$HIJACK" run --enforce --hide "$(dirname "$PWD")" -- true 2>&1)
	check_has "hiding what holds the working directory" "it holds the working directory" "$out"
	check_lacks "left no run directory" . "$(ls -d /tmp/hijack-?????? 2>/dev/null | while read -r d; do [ -O "$d" ] && find "$d" -newer out.txt -maxdepth 0; done)"
}

test_not_root() {
	command -v setpriv >/dev/null && [ "$(id -u)" = 0 ] || { echo "SKIP not_root: needs root and setpriv"; pass; return; }
	# nobody must reach the build and this directory
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$HIJACK"; then
		echo "SKIP not_root: nobody cannot run $HIJACK"
		pass
		return
	fi
	mkdir ro && echo before >ro/f && chown -R 65534 . && chmod 755 .
	local out
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups timeout 30 "$HIJACK" run --quiet --enforce \
		--readonly "$PWD/ro" -- "$KP" write ro/f 2>&1)
	if grep -q "user namespaces are off" <<<"$out"; then
		check_has "refused, with the reason" "user namespaces are off" "$out"
		return
	fi
	check_has "a user namespace of its own: EROFS" "^write EROFS$" "$out"
	check_eq "unchanged" before "$(cat ro/f)"
}

run_tests test_deny_network test_deny_exec test_deny_call test_readonly test_root_keeps_a_containers_capabilities \
	test_readonly_keeps_hijacks_own \
	test_hide test_allow_lists test_allow_connect test_allow_calls test_enforce_from_script test_refusals \
	test_not_root
summary kernel
