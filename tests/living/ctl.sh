#!/bin/bash
# hijack ctl (issue 12): each hijacked process's control channel, reached
# by its pid: load and unload rules in a running program, eval, hooks,
# pause and resume, --all; every refusal with its message; forked and
# exec'd processes each with a channel of their own, gone at exit.
source "$(dirname "$0")/../lib.sh"

# every test's channels in its own directory (the library and the client
# both read HIJACK_CTL_DIR)
setup() { export HIJACK_CTL_DIR=$PWD/ctl; }

# wait_for PATTERN FILE [SECONDS]: until a line of FILE matches
wait_for() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qE -- "$1" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
# wait_channel PID: until its socket is there
wait_channel() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ -S "$HIJACK_CTL_DIR/$1" ] && return 0
		sleep 0.05
	done
	return 1
}
# lines of FILE after its first N
after() { tail -n +$(($2 + 1)) "$1"; }

# A loop that opens data.txt itself (bash's `read <`, no child) and says
# what it read, until the file `stop` appears.
start_reader() {
	echo hello > data.txt
	"$HIJACK" run "$@" -- bash -c 'echo $$ > pid; n=0
		while [ ! -e stop ]; do
			n=$((n + 1))
			if read -r l < data.txt; then echo "$n got $l"; fi
			sleep 0.05
		done' > out.txt 2>&1 &
	wait_for . pid 10
	PID=$(cat pid)
	wait_channel "$PID"
}

stop_reader() { touch stop; wait; }

cat_deny() {
	cat > deny.rb <<EOF
Hijack.on(:openat, :open, path: "$PWD/data.txt") { |c| c.fail(:EACCES) }
EOF
}

t_load_unload() {
	setup; cat_deny; start_reader
	wait_for "got hello" out.txt
	local out
	out=$("$HIJACK" ctl "$PID" load deny.rb)
	check_eq "load: exit 0" 0 $?
	check_eq "load says what it added" "loaded deny.rb: 1 rule" "$out"
	local n; n=$(wc -l < out.txt)
	sleep 0.5
	check_has "the running program's opens now fail" "Permission denied" "$(after out.txt "$n")"
	check_lacks "... every one of them" "got hello" "$(after out.txt "$n")"
	out=$("$HIJACK" ctl "$PID" hooks)
	check_has "hooks: the rule, its set and matches" '^ +[1-9][0-9]* +deny.rb +on .*deny.rb:1 calls: open,openat path:' "$out"
	out=$("$HIJACK" ctl --json "$PID" hooks)
	check_eq "hooks --json" "deny.rb on True" "$(python3 -c 'import json,sys; d=json.load(sys.stdin); r=d["rules"][0]; print(r["set"], r["phase"], r["matched"] > 0)' <<<"$out")"
	out=$("$HIJACK" ctl "$PID" unload deny)
	check_eq "unload by the name without .rb" "unloaded deny.rb: 1 rule" "$out"
	n=$(wc -l < out.txt)
	sleep 0.5
	check_has "the program sees the file again" "got hello" "$(after out.txt "$n")"
	check_lacks "... at every open" "Permission denied" "$(after out.txt "$n")"
	check_eq "hooks: none left" "no rules in force" "$("$HIJACK" ctl "$PID" hooks)"
	# loaded twice: the second replaces the first
	"$HIJACK" ctl "$PID" load deny.rb >/dev/null
	"$HIJACK" ctl "$PID" load deny.rb >/dev/null
	check_eq "loaded twice: one rule" 2 "$("$HIJACK" ctl "$PID" hooks | wc -l)"
	"$HIJACK" ctl "$PID" unload deny.rb >/dev/null
	stop_reader
}

t_load_into_waiting_vm() {
	# the run's own rule keeps the VM waiting for getppid (vm/defer.c)
	setup; cat_deny; start_reader -e 'Hijack.on(:getppid) { |c| c.return(1) }'
	check_eq "loaded into a process whose VM had not started" "loaded deny.rb: 1 rule" "$("$HIJACK" ctl "$PID" load deny.rb)"
	sleep 0.4
	check_eq "its opens fail" "1" "$(tail -n 3 out.txt | grep -c 'Permission denied' | sed 's/[1-9]/1/')"
	local out; out=$("$HIJACK" ctl "$PID" hooks)
	check_has "hooks: the run's own rule" '^ +[0-9]+ +- +on -e:1 calls: getppid' "$out"
	check_has "hooks: and the loaded one" 'deny.rb +on' "$out"
	"$HIJACK" ctl "$PID" unload deny.rb >/dev/null
	check_has "unload leaves the run's own" 'getppid' "$("$HIJACK" ctl "$PID" hooks)"
	stop_reader
}

t_pause_resume() {
	setup; cat_deny; start_reader --inject "openat:error=ENOENT:path=$PWD/nothing"
	"$HIJACK" ctl "$PID" load deny.rb >/dev/null
	sleep 0.3
	check_has "loaded: denied" "Permission denied" "$(tail -n 2 out.txt)"
	check_eq "pause" "paused" "$("$HIJACK" ctl "$PID" pause)"
	check_has "hooks says so" "^paused" "$("$HIJACK" ctl "$PID" hooks)"
	local n; n=$(wc -l < out.txt)
	sleep 0.5
	check_has "paused: the file is read" "got hello" "$(after out.txt "$n")"
	check_lacks "paused: never denied" "Permission denied" "$(after out.txt "$n")"
	check_eq "resume" "resumed" "$("$HIJACK" ctl "$PID" resume)"
	n=$(wc -l < out.txt)
	sleep 0.5
	check_lacks "resumed: denied again" "got hello" "$(after out.txt "$n")"
	check_eq "resume twice" "resumed (already)" "$("$HIJACK" ctl "$PID" resume)"
	stop_reader
}

t_eval() {
	setup; start_reader
	check_eq "eval: the value's inspect" "[3, \"ab\"]" "$("$HIJACK" ctl "$PID" eval '[1 + 2, "a" + "b"]')"
	check_eq "eval: runs in the process" "$PID" "$("$HIJACK" ctl "$PID" eval 'Hijack.pid')"
	local out rc
	out=$("$HIJACK" ctl "$PID" eval $'x = 1\nraise "boom"' 2>&1); rc=$?
	check_eq "eval: an exception, exit 1" 1 "$rc"
	check_eq "eval: the exception with its line" "hijack: $PID: -e:2: boom (RuntimeError)" "$out"
	out=$("$HIJACK" ctl "$PID" eval 'def (' 2>&1); rc=$?
	check_eq "eval: a syntax error, exit 1" 1 "$rc"
	check_has "eval: its line" "^hijack: $PID: -e:1: .*SyntaxError" "$out"
	# rules made by eval are the set "-e", unloaded by that name
	"$HIJACK" ctl "$PID" eval "Hijack.on(:openat, path: '$PWD/data.txt') { |c| c.fail(:ENOENT) }; :ok" >/dev/null
	sleep 0.3
	check_has "an eval's rule is in force" "No such file" "$(tail -n 1 out.txt)"
	check_eq "unload -e" "unloaded -e: 1 rule" "$("$HIJACK" ctl "$PID" unload -e)"
	check_eq "--json" "{\"pid\":$PID,\"command\":\"eval\",\"result\":\"3\"}" "$("$HIJACK" ctl --json "$PID" eval '1+2')"
	stop_reader
}

# an eval that never ends is stopped as a hook is (--hook-timeout): the
# program goes on, its VM off
t_runaway_eval() {
	setup; start_reader --hook-timeout 1
	local out rc
	out=$(timeout 20 "$HIJACK" ctl "$PID" eval 'loop { }' 2>&1); rc=$?
	check_eq "a runaway eval: exit 1" 1 "$rc"
	check_eq "... stopped, said" "hijack: $PID: ran past 1 s (--hook-timeout) and was stopped; the VM is off in this process from here (its hooks pass through)" "$out"
	local n; n=$(wc -l < out.txt)
	sleep 0.4
	check_has "the program goes on" "got hello" "$(after out.txt "$n")"
	check_has "later loads refused, said" "the Ruby VM is off in this process" "$("$HIJACK" ctl "$PID" eval 1 2>&1)"
	stop_reader
}

# Hijack.control: hijack ctl from a script (another process's)
t_control_from_ruby() {
	setup; cat_deny; start_reader
	local out
	out=$("$HIJACK" run -e "Hijack.log Hijack.control($PID, 'eval', '[Hijack.pid, 6 * 7]')" -- true 2>&1)
	check_eq "Hijack.control eval" "[$PID, 42]" "$out"
	out=$("$HIJACK" run -e "Hijack.log Hijack.control($PID, 'load', '$PWD/deny.rb')" -- true 2>&1)
	check_eq "Hijack.control load" "loaded deny.rb: 1 rule" "$out"
	check_has "... in force" "deny.rb +on" "$("$HIJACK" ctl "$PID" hooks)"
	out=$("$HIJACK" run -e "Hijack.log Hijack.control($PID, 'unload', 'deny')" -- true 2>&1)
	check_eq "Hijack.control unload" "unloaded deny.rb: 1 rule" "$out"
	out=$("$HIJACK" run -e "Hijack.log Hijack.control($PID, 'stats')" -- true 2>&1)
	check_has "Hijack.control stats: the -c table" "^% time +seconds +usecs/call +calls +errors +injected +call" "$out"
	out=$("$HIJACK" run -e "begin; Hijack.control($PID, 'unload', 'nope'); rescue => e; Hijack.log e.message; end" -- true 2>&1)
	check_eq "Hijack.control: a refusal raises" "$PID: no script loaded as nope" "$out"
	out=$("$HIJACK" run -e "begin; Hijack.control(Hijack.pid, 'hooks'); rescue ArgumentError => e; Hijack.log e.message; end" -- true 2>&1)
	check_eq "Hijack.control: not its own process" "Hijack.control: not this process (use Ruby here)" "$out"
	stop_reader
}

t_all() {
	setup
	mkdir a b
	(cd a && start_reader) ; local p1; p1=$(cat a/pid)
	(cd b && start_reader) ; local p2; p2=$(cat b/pid)
	wait_channel "$p1"; wait_channel "$p2"
	local out
	out=$("$HIJACK" ctl --all eval 'Hijack.pid')
	check_has "--all: the first" "^$p1\$" "$out"
	check_has "--all: the second" "^$p2\$" "$out"
	check_has "--all: a header per process" "^== $p1 \(bash\) ==\$" "$out"
	"$HIJACK" ctl --all pause >/dev/null
	check_has "--all pause reached both" "paused" "$("$HIJACK" ctl "$p2" hooks)"
	check_eq "--all --json: a line each" 2 "$("$HIJACK" ctl --all --json resume | grep -c '"result":"resumed"')"
	touch a/stop b/stop
	sleep 0.5
	out=$("$HIJACK" ctl --all hooks 2>&1)
	check_eq "--all, none running: exit 1" "hijack: no hijacked process of yours is running" "$out"
}

t_refusals() {
	setup
	local out rc
	true & local gone=$!; wait $gone
	out=$("$HIJACK" ctl "$gone" hooks 2>&1); rc=$?
	check_eq "no such process: exit 1" 1 "$rc"
	check_eq "no such process: message" "hijack: no such process: $gone" "$out"
	sleep 30 & local bare=$!
	out=$("$HIJACK" ctl "$bare" hooks 2>&1); rc=$?
	check_eq "not hijacked: exit 1" 1 "$rc"
	check_has "not hijacked: message" "^hijack: process $bare is not hijacked \(no control channel in $HIJACK_CTL_DIR\)" "$out"
	kill $bare; wait $bare 2>/dev/null
	out=$("$HIJACK" ctl abc hooks 2>&1); rc=$?
	check_eq "not a pid: usage, exit 2" 2 "$rc"
	check_has "not a pid: message" "^hijack: ctl: abc: not a process id" "$out"
	out=$("$HIJACK" ctl 1 frobnicate 2>&1); rc=$?
	check_eq "unknown command: exit 2" 2 "$rc"
	check_has "unknown command: message" "unknown command 'frobnicate'" "$out"
	out=$("$HIJACK" ctl 1 load 2>&1); rc=$?
	check_eq "load without a file: exit 2" "2 hijack: ctl: load needs a FILE" "$rc $(head -n 1 <<<"$out")"

	cat_deny; start_reader
	printf 'Hijack.on(:openat) { |c| }\ndef (\n' > bad.rb
	out=$("$HIJACK" ctl "$PID" load bad.rb 2>&1); rc=$?
	check_eq "a bad script: exit 1" 1 "$rc"
	check_has "a bad script: file:line" "^hijack: $PID: bad.rb:[23]: " "$out"
	printf 'Hijack.on(:openat) { |c| c.fail(:EIO) }\nraise "no"\n' > raising.rb
	out=$("$HIJACK" ctl "$PID" load raising.rb 2>&1); rc=$?
	check_eq "a script that raises: exit 1, file:line" "1 hijack: $PID: raising.rb:2: no (RuntimeError)" "$rc $out"
	check_eq "... and what it added before is gone" "no rules in force" "$("$HIJACK" ctl "$PID" hooks)"
	sleep 0.3
	check_has "... the program unaffected" "got hello" "$(tail -n 1 out.txt)"
	out=$("$HIJACK" ctl "$PID" load missing.rb 2>&1); rc=$?
	check_eq "a missing file: exit 1" "1 hijack: missing.rb: No such file or directory" "$rc $out"
	"$HIJACK" ctl "$PID" load deny.rb >/dev/null
	out=$("$HIJACK" ctl "$PID" unload nosuch 2>&1); rc=$?
	check_eq "unload of an unknown name: exit 1" 1 "$rc"
	check_eq "unload of an unknown name: message" "hijack: $PID: no script loaded as nosuch (loaded: deny.rb)" "$out"

	# another user: the client runs as nobody
	if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
		out=$(HIJACK_CTL_DIR=$HIJACK_CTL_DIR setpriv --reuid=65534 --regid=65534 --clear-groups "$HIJACK" ctl "$PID" hooks 2>&1); rc=$?
		check_eq "another user's process: exit 1" 1 "$rc"
		check_eq "another user's process: message" "hijack: process $PID is another user's (uid 0): permission denied" "$out"
	else
		echo "SKIP another user's process: setpriv cannot run as nobody here"
	fi
	stop_reader

	# a directory others may enter: no channel (said under HIJACK_DEBUG),
	# and ctl refuses to use it
	mkdir -m 0755 open
	export HIJACK_CTL_DIR=$PWD/open
	out=$(HIJACK_DEBUG=1 "$HIJACK" run -- sh -c 'echo $$ > pid2; sleep 1' 2>&1 >/dev/null)
	check_has "a directory of mode 0755: said under HIJACK_DEBUG" "no control channel: $PWD/open is not a private directory of ours \(a directory, owner 0, mode 755\)" "$out"
	check_eq "... and no socket made there" "" "$(ls open)"
	check_eq "without HIJACK_DEBUG: nothing said" "" "$("$HIJACK" run -- true 2>&1)"
	sh -c 'sleep 2' & local sp=$!
	"$HIJACK" run -- sh -c 'echo $$ > pid3; sleep 2' & sleep 0.5
	out=$("$HIJACK" ctl "$(cat pid3)" hooks 2>&1); rc=$?
	check_eq "ctl refuses such a directory: exit 1" 1 "$rc"
	check_has "... saying why" "$PWD/open is not a private directory of uid 0 \(a directory, owner 0, mode 755\): refusing to use it" "$out"
	wait
	kill $sp 2>/dev/null
}

t_fork_exec() {
	setup
	# the shell, a child it forks (a subshell, no exec), one it execs (sleep)
	"$HIJACK" run -- bash -c 'echo $$ > p0
		( echo $BASHPID > p1; while [ ! -e stop ]; do sleep 0.05; done ) &
		sleep 30 & echo $! > p2
		while [ ! -e stop ]; do sleep 0.05; done; kill $!; wait' &
	wait_for . p0; wait_for . p1; wait_for . p2
	local p
	for p in p0 p1 p2; do
		wait_channel "$(cat $p)"
		check_eq "$p: its own channel answers with its own pid" "$(cat $p)" "$("$HIJACK" ctl "$(cat $p)" eval 'Hijack.pid')"
	done
	check_eq "a rule loaded into the subshell only" "loaded x.rb: 1 rule" \
		"$(echo 'Hijack.on(:getppid) { }' > x.rb; "$HIJACK" ctl "$(cat p1)" load x.rb)"
	check_eq "... not into its parent" "no rules in force" "$("$HIJACK" ctl "$(cat p0)" hooks)"
	touch stop; wait
	check_eq "every socket gone after exit (sleep was killed: its socket stays until top sees it)" \
		"$(cat p2)" "$(ls ctl | tr '\n' ' ' | sed 's/ $//')"
	"$HIJACK" top --once >/dev/null
	check_eq "a dead process's socket removed by top" "" "$(ls ctl)"

	# exec: the same pid, a new image with a channel of its own
	rm -f stop
	cat_deny
	"$HIJACK" run -- bash -c 'echo $$ > p3; while [ ! -e go ]; do sleep 0.05; done
		exec bash -c "echo exec > p4; while [ ! -e stop ]; do sleep 0.05; done"' &
	wait_for . p3; wait_channel "$(cat p3)"
	"$HIJACK" ctl "$(cat p3)" load deny.rb >/dev/null
	touch go; wait_for . p4
	local i; for ((i = 0; i < 100; i++)); do "$HIJACK" ctl "$(cat p3)" hooks >/dev/null 2>&1 && break; sleep 0.05; done
	check_eq "after exec: the new image's channel, without the old image's rules" "no rules in force" \
		"$("$HIJACK" ctl "$(cat p3)" hooks 2>&1)"
	touch stop; wait
	check_eq "exited: no socket" "" "$(ls ctl)"

	# an exec that fails: the channel stays
	"$HIJACK" run -- python3 -c '
import os, time
open("p5", "w").write(str(os.getpid()))
try:
    os.execv("/nonexistent/prog", ["x"])
except OSError:
    pass
open("p6", "w").write("failed")
while not os.path.exists("stop2"):
    time.sleep(0.05)' &
	wait_for . p6
	sleep 0.3
	check_eq "an exec that failed: the channel is back" "$(cat p5)" "$("$HIJACK" ctl "$(cat p5)" eval 'Hijack.pid' 2>&1)"
	touch stop2; wait
}

t_invisible() {
	setup; start_reader -t -o trace.txt
	"$HIJACK" ctl "$PID" eval 'File.open("'"$PWD"'/data.txt") { |f| f.read }' >/dev/null
	"$HIJACK" ctl "$PID" hooks >/dev/null
	"$HIJACK" ctl "$PID" stats >/dev/null
	stop_reader
	check_lacks "the channel's calls are not in the trace" "accept|bind\(|listen\(|$HIJACK_CTL_DIR|SO_PEERCRED" "$(cat trace.txt)"
	check_lacks "nor an eval's" "\"$PWD/data.txt\"" "$(cat trace.txt)"
	check_has "the program's own calls are" "openat\(AT_FDCWD, \"data.txt\"" "$(cat trace.txt)"
}

# unshare(CLONE_NEWUSER) refuses a process of two threads: the channel's
# thread ends before it, and a new one starts after
t_unshare() {
	setup
	if ! unshare -Ur true 2>/dev/null; then
		echo "SKIP unshare: no user namespaces here"
		return
	fi
	check_eq "unshare -Ur under hijack" "uid=0(root) gid=0(root) groups=0(root)" "$("$HIJACK" run -- unshare -Ur id 2>&1)"
	local out
	out=$("$HIJACK" run -- python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
r = libc.unshare(0x10000000)	# CLONE_NEWUSER
print("unshare", r, os.strerror(ctypes.get_errno()) if r else "ok")
for i in range(100):
    if os.path.exists(sys.argv[1] + "/%d" % os.getpid()):
        break
    time.sleep(0.05)
print("channel", os.path.exists(sys.argv[1] + "/%d" % os.getpid()))' "$HIJACK_CTL_DIR" 2>&1)
	check_eq "the program's unshare succeeds" "unshare 0 ok" "$(sed -n 1p <<<"$out")"
	check_eq "a channel again after it" "channel True" "$(sed -n 2p <<<"$out")"
}

run_tests t_unshare t_load_unload t_load_into_waiting_vm t_pause_resume t_eval t_runaway_eval t_control_from_ruby t_all t_refusals t_fork_exec t_invisible
summary ctl
