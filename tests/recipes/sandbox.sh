#!/bin/bash
# Hijack::Sandbox and --deny, on real programs: a denied call fails with
# EACCES and the program says what it says for that.
source "$(dirname "$0")/../lib.sh"

# a local HTTP server on a free port; sets PORT and SERVER
start_server() {
	PORT=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	/usr/bin/python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1 &
	SERVER=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return
		sleep 0.1
	done
}

test_deny_network_curl() {
	echo hello >page.txt
	start_server
	local bare hooked
	bare=$(timeout 10 curl -sS "http://127.0.0.1:$PORT/page.txt" 2>&1)
	check_eq "curl bare" hello "$bare"
	hooked=$(timeout 10 "$HIJACK" run --deny network -- curl -sS "http://127.0.0.1:$PORT/page.txt" 2>&1)
	check_eq "curl's status under --deny network" 7 "$(timeout 10 "$HIJACK" run --deny network -- curl -sS "http://127.0.0.1:$PORT/page.txt" >/dev/null 2>&1; echo $?)"
	check_has "curl says it could not connect" "Failed to connect|Couldn't connect" "$hooked"
	check_lacks "no page" hello "$hooked"
	kill "$SERVER"
}

test_deny_network_python() {
	local out
	out=$(timeout 10 "$HIJACK" run --deny network -- /usr/bin/python3 -c '
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
except OSError as e:
    print(type(e).__name__, e.errno)
a, b = socket.socketpair()   # local: still allowed
a.send(b"x"); print(b.recv(1))' 2>&1)
	check_has "socket() refused" "^PermissionError 13$" "$out"
	check_has "a socketpair still works" "^b'x'$" "$out"
}

test_deny_exec_sh() {
	local out status
	out=$(timeout 10 "$HIJACK" run --deny exec -- sh -c 'ls; echo after' 2>&1)
	status=$?
	check_has "sh says ls cannot run" "ls: Permission denied" "$out"
	check_has "sh goes on" "^after$" "$out"
	check_eq "status" 0 "$status"
	out=$(timeout 10 "$HIJACK" run --deny exec -- sh -c 'ls' 2>&1)
	check_eq "sh -c ls: 126, as for EACCES" 126 "$?"
}

test_deny_exec_python() {
	local out
	out=$(timeout 10 "$HIJACK" run --deny exec -- /usr/bin/python3 -c '
import subprocess
try:
    subprocess.run(["ls"])
except PermissionError as e:
    print("denied", e.errno)' 2>&1)
	check_has "subprocess refused" "^denied 13$" "$out"
}

test_deny_call_name() {
	local out
	out=$(timeout 10 "$HIJACK" run --deny unlink,unlinkat -- sh -c 'touch f; rm f; test -e f && echo still' 2>&1)
	check_has "rm refused" "Permission denied" "$out"
	check_has "the file stays" "^still$" "$out"
}

test_deny_ruby_api() {
	local out
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Sandbox.deny(:mkdir)' -- mkdir d 2>&1)
	check_has "mkdir refused" "Permission denied" "$out"
	check_eq "no directory" no "$([ -d d ] && echo yes || echo no)"
}

# The system-call layer sees raw calls too: syscall(2) of socket and
# execve is refused as libc's are. (Without the layer only libc's
# functions are seen; a vfork-style child, posix_spawn's, is not armed by
# the layer, but posix_spawn itself is refused at the library level.)
test_deny_raw_calls() {
	[ "${HIJACK_SYSCALLS:-1}" = 0 ] && return
	local out
	out=$(timeout 10 "$HIJACK" run --deny network,exec -- /usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
print("socket", libc.syscall(41, 2, 1, 0), ctypes.get_errno())   # SYS_socket, AF_INET, SOCK_STREAM
argv = (ctypes.c_char_p * 2)(b"/bin/true", None)
print("execve", libc.syscall(59, b"/bin/true", argv, None), ctypes.get_errno())
try: os.posix_spawn("/bin/true", ["true"], {})
except OSError as e: print("posix_spawn", e.errno)' 2>&1)
	check_has "raw socket refused" "^socket -1 13$" "$out"
	check_has "raw execve refused" "^execve -1 13$" "$out"
	check_has "posix_spawn refused" "^posix_spawn 13$" "$out"
}

test_deny_bad() {
	local out
	out=$("$HIJACK" run --deny internet -- true 2>&1)
	check_eq "status" 2 "$?"
	check_has "says what is wrong" "'internet' is not network, exec or a call" "$out"
}

run_tests test_deny_network_curl test_deny_network_python test_deny_exec_sh test_deny_exec_python \
	test_deny_call_name test_deny_ruby_api test_deny_raw_calls test_deny_bad
summary sandbox
