#!/bin/bash
# hijack top (issue 12): every hijacked process of the user, from their
# control channels: the counts -c would give, a live view on a terminal
# that q quits, stale channels cleaned, refusals said.
source "$(dirname "$0")/../lib.sh"

setup() { export HIJACK_CTL_DIR=$PWD/ctl; }
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qE -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# top --once --json on a process run with -c, then the -c table at its
# end: the same calls, the same counts. The program (bash, no child: its
# builtins only) opens and reads a file 25 times, then waits on its
# stdin; killed there, it makes no call after the snapshot that ends.
t_once_json_is_c() {
	setup
	echo data > f.txt
	sleep 60 | "$HIJACK" run -c -o sum.txt -- bash -c 'echo $$ > pid
		for ((i = 0; i < 25; i++)); do read -r l < f.txt; done
		echo ready > ready; read -r x' &
	wait_for . ready
	local pid; pid=$(cat pid)
	sleep 0.3
	"$HIJACK" top --once --json "$pid" > top.json
	check_eq "top --once --json: exit 0" 0 $?
	kill -9 "$pid"; pkill -P $$ -x sleep; wait
	local mine theirs
	mine=$(python3 -c '
import json, sys
d = json.load(open("top.json"))
p = d["processes"][0]
assert p["counting"] is True
for c in sorted(p["per_call"], key=lambda c: c["call"]):
    print(c["call"], c["calls"], c["errors"])
print("total", p["calls"], p["errors"])')
	theirs=$(python3 -c '
import re
rows = []
for line in open("sum.txt"):
    f = line.split()
    if len(f) >= 5 and re.match(r"^[0-9.]+$", f[0]) and re.match(r"^[0-9.]+$", f[1]):
        # % time, seconds, usecs/call, calls, [errors], [injected], call: columns by position
        cols = line.rstrip("\n")
        calls = int(cols[31:41].strip() or 0)
        errors = int(cols[41:51].strip() or 0)
        rows.append((f[-1], calls, errors))
for name, calls, errors in sorted(r for r in rows if r[0] != "total"):
    print(name, calls, errors)
for name, calls, errors in rows:
    if name == "total":
        print("total", calls, errors)')
	check_eq "the same calls and counts as -c" "$theirs" "$mine"
	check_has "openat counted 25 times (at least)" "^openat (2[5-9]|[3-9][0-9]) " "$mine"
}

t_once_text_and_all() {
	setup
	"$HIJACK" run -- bash -c 'echo $$ > p1; while [ ! -e stop ]; do read -r l < /etc/hostname; sleep 0.05; done' &
	"$HIJACK" run -c -- bash -c 'echo $$ > p2; while [ ! -e stop ]; do sleep 0.05; done' 2>/dev/null &
	wait_for . p1; wait_for . p2
	local i; for ((i = 0; i < 100; i++)); do [ -S ctl/$(cat p1) ] && [ -S ctl/$(cat p2) ] && break; sleep 0.05; done
	"$HIJACK" top --once --json >/dev/null	# p1 counts from here (it was run without -c)
	sleep 0.5
	local out; out=$("$HIJACK" top --once)
	check_has "a header" "^ +PID COMMAND +CALLS/S +CALLS +ERRORS +INJECTED +MEAN\(us\)" "$out"
	check_has "the first process" "^ +$(cat p1) bash " "$out"
	check_has "the second" "^ +$(cat p2) bash " "$out"
	check_has "per call rows" "^ +openat " "$out"
	check_lacks "--once: no screen clearing" $'\033' "$out"
	local json; json=$("$HIJACK" top --once --json)
	# (their sleeps are hijacked processes too: only the two shells are looked at)
	check_eq "--json: both processes, counting" "2 True" \
		"$(python3 -c 'import json,sys; d=json.load(sys.stdin); ps=[p for p in d["processes"] if p["pid"] in (int(sys.argv[1]), int(sys.argv[2]))]; print(len(ps), all(p["counting"] for p in ps) and ps[0]["calls"] > 0)' "$(cat p1)" "$(cat p2)" <<<"$json")"
	touch stop; wait
	check_eq "after exit: no process" '{"processes": []}' \
		"$("$HIJACK" top --once --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"processes": d["processes"]}))')"
}

t_stale_and_refusals() {
	setup
	mkdir -m 0700 ctl
	# a socket a killed process left: removed; a live pid's: left alone
	true & local gone=$!; wait $gone
	sleep 30 & local live=$!
	python3 -c 'import socket, sys
for p in sys.argv[1:]:
    socket.socket(socket.AF_UNIX).bind("ctl/" + p)' "$gone" "$live"
	local out rc
	out=$("$HIJACK" top --once --json); rc=$?
	check_eq "stale sockets: nothing shown, exit 0" "0 0" "$rc $(python3 -c 'import json,sys; print(len(json.load(sys.stdin)["processes"]))' <<<"$out")"
	check_eq "a dead process's socket removed, a live pid's kept" "$live" "$(ls ctl)"
	out=$("$HIJACK" top --once "$live" 2>&1 >/dev/null); rc=$?
	check_eq "a named pid that is not hijacked: exit 1" 1 "$rc"
	check_eq "... with its message" "hijack: process $live is not hijacked ($PWD/ctl/$live is a stale control channel)" "$out"
	kill $live; wait $live 2>/dev/null
	out=$("$HIJACK" top --once "$gone" 2>&1 >/dev/null); rc=$?
	check_eq "no such process: exit 1, message" "1 hijack: no such process: $gone" "$rc $out"
	out=$("$HIJACK" top --json 2>&1); rc=$?
	check_eq "--json alone: usage" "2 hijack: top: --json prints one snapshot: give --once too" "$rc $out"
	chmod 0755 ctl
	out=$("$HIJACK" top --once 2>&1 >/dev/null)
	check_has "a directory others may enter: refused, said" "ctl is not a private directory of uid 0 .*mode 755" "$out"
}

# the live view on a terminal: refreshes in place, q quits, ^C too, and
# the terminal is as it was
t_live() {
	setup
	"$HIJACK" run -- bash -c 'echo $$ > p; while [ ! -e stop ]; do sleep 0.05; done' &
	wait_for . p
	local out
	out=$(timeout 20 python3 - "$HIJACK" <<'EOF'
import os, pty, sys, time, select, termios, signal
def run(keys, sig=None):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], [sys.argv[1], "top", "-d", "0.2"])
    before = termios.tcgetattr(fd)
    data = b""
    end = time.time() + 1.5
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try: data += os.read(fd, 65536)
            except OSError: break
    if sig: os.kill(pid, sig)
    else: os.write(fd, keys)
    t0 = time.time()
    _, status = os.waitpid(pid, 0)
    took = time.time() - t0
    try: after = termios.tcgetattr(fd)
    except termios.error: after = None
    print("frames", data.count(b"\033[H\033[2J") >= 3, "header", b"PID COMMAND" in data,
          "exit", os.waitstatus_to_exitcode(status), "quick", took < 3,
          "echo-restored", after is None or bool(after[3] & termios.ECHO))
run(b"q")
run(None, signal.SIGINT)
EOF
)
	check_eq "q: frames in place, exits 0 at once, terminal restored" \
		"frames True header True exit 0 quick True echo-restored True" "$(sed -n 1p <<<"$out")"
	check_eq "^C (SIGINT): the same" \
		"frames True header True exit 0 quick True echo-restored True" "$(sed -n 2p <<<"$out")"
	touch stop; wait
}

run_tests t_once_json_is_c t_once_text_and_all t_stale_and_refusals t_live
summary top
