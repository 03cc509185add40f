#!/bin/bash
# The fake clock (Hijack::Clock, --time) on real programs: date, Python,
# Ruby, git, touch, sleep; the same clock in parent and children.
source "$(dirname "$0")/../lib.sh"
export TZ=UTC
SRC=$(cd "$(dirname "$0")" && pwd)/clock
T0=981173106			# 2001-02-03 04:05:06 UTC

# run SPEC CMD...: CMD under --time SPEC, at most 60 s (a hang)
run() { local spec=$1; shift; timeout 60 "$HIJACK" run --time "$spec" -- "$@"; }
# within WHAT LOW HIGH VALUE: LOW <= VALUE <= HIGH (decimals allowed)
within() {
	if awk -v v="$4" -v l="$2" -v h="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; then pass
	else fail "$1: expected between $2 and $3, got '$4'"; fi
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Every form of the SPEC, as `date` shows it.
t_forms() {
	check_eq "frozen date" "Sat Feb  3 04:05:06 UTC 2001" "$(run '2001-02-03 04:05:06' date)"
	check_eq "frozen +%s" "$T0.000000000" "$(run '2001-02-03 04:05:06' date +%s.%N)"
	within "travel starts there" $T0 $((T0 + 3)) "$(run '@2001-02-03 04:05:06' date +%s.%N)"
	check_has "travel date" '^Sat Feb  3 04:05:0[6-9] UTC 2001$' "$(run '@2001-02-03 04:05:06' date)"
	local real
	real=$(date +%s)
	within "+2d" $((real + 172800)) $((real + 172805)) "$(run '+2d' date +%s)"
	real=$(date +%s)
	within "-3h" $((real - 10800)) $((real - 10795)) "$(run '-3h' date +%s)"
	real=$(date +%s)
	within "x10 starts at now" $((real - 1)) $((real + 30)) "$(run 'x10' date +%s)"
	within "travel x10" $T0 $((T0 + 30)) "$(run '@2001-02-03 04:05:06 x10' date +%s)"
	check_eq "T and minutes" 981173100 "$(run '2001-02-03T04:05' date +%s)"
}

# Malformed forms: a clear message and status 2, and nothing runs.
t_malformed() {
	local s out
	for s in '2001-13-01' 'tomorrow' '+' 'x0' 'x-1' '@' '2001-02-30' '+2d x' '2001-02-03 25:00:00'; do
		out=$(timeout 5 "$HIJACK" run --time "$s" -- sh -c 'echo ran' 2>&1)
		check_eq "status for '$s'" 2 $?
		check_has "message for '$s'" "^hijack: --time '.*': not a time; use '2001-02-03 04:05:06' \(frozen\)" "$out"
		check_lacks "'$s' did not run" '^ran$' "$out"
	done
}

t_python() {
	check_eq "time.time and datetime.now" "$T0.0 2001-02-03 04:05:06" \
		"$(run '2001-02-03 04:05:06' python3 -c 'import time, datetime; print(time.time(), datetime.datetime.now())')"
	check_has "datetime.now, travel" '^2001-02-03 04:05:0[6-9]' \
		"$(run '@2001-02-03 04:05:06' python3 -c 'import datetime; print(datetime.datetime.now())')"
}

t_ruby() {
	check_eq "Time.now" "2001-02-03 04:05:06 +0000" "$(run '2001-02-03 04:05:06' /usr/bin/ruby -e 'p Time.now')"
	check_has "Time.now, travel" '^2001-02-03 04:05:0[6-9] ' "$(run '@2001-02-03 04:05:06' /usr/bin/ruby -e 'puts Time.now')"
}

# A commit's dates: git reads the clock (time, gettimeofday) itself.
t_git() {
	export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com GIT_COMMITTER_NAME=A GIT_COMMITTER_EMAIL=a@example.com
	unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
	git init -q repo && echo a > repo/a
	run '@2001-02-03 04:05:06' sh -c 'cd repo && git add a && git commit -qm one'
	check_has "author date" '^2001-02-03 04:05:0[6-9] \+0000$' "$(git -C repo log --format=%ad --date=iso)"
	check_has "committer date" '^2001-02-03 04:05:0[6-9] \+0000$' "$(git -C repo log --format=%cd --date=iso)"
	echo b > repo/a
	run '2001-02-03 04:05:06' sh -c 'cd repo && git commit -qam two'
	check_eq "frozen author date" "2001-02-03 04:05:06 +0000" "$(git -C repo log -1 --format=%ad --date=iso)"
}

# touch sets the fake now (futimens/utimensat with NULL); an explicit
# date stays as given.
t_touch() {
	run '2001-02-03 04:05:06' touch new
	check_eq "new file" "2001-02-03 04:05:06.000000000 +0000" "$(stat -c %y new)"
	echo x > old
	run '2001-02-03 04:05:06' touch old
	check_eq "existing file" "2001-02-03 04:05:06.000000000 +0000" "$(stat -c %y old)"
	run '@2001-02-03 04:05:06' python3 -c 'import os; os.utime("old")'
	check_has "os.utime, travel" '^2001-02-03 04:05:0[6-9]\.' "$(stat -c %y old)"
	run '2001-02-03 04:05:06' touch -d '2010-05-06 07:08:09' old
	check_eq "explicit date kept" "2010-05-06 07:08:09.000000000 +0000" "$(stat -c %y old)"
	run '2001-02-03 04:05:06' touch -m old
	check_eq "mtime only: mtime" "2001-02-03 04:05:06.000000000 +0000" "$(stat -c %y old)"
	check_eq "mtime only: atime kept" "2010-05-06 07:08:09.000000000 +0000" "$(stat -c %x old)"
}

# x10: `sleep 20` is over in about 2 s, and a program that measures its
# sleep reads 20 s. The upper bounds only tell scaled from unscaled (20 s
# real, or 100 s read): a loaded machine is late by whole seconds.
t_sleep_x10() {
	local a b
	a=$(now); run x10 sleep 20; b=$(now)
	echo "  sleep 20 under x10: $(elapsed "$a" "$b") s real (launcher included)"
	within "sleep 20, real seconds" 1.99 15 "$(elapsed "$a" "$b")"
	a=$(now)
	out=$(run x10 python3 -c '
import time
t = time.monotonic(); time.sleep(10); print("%.3f" % (time.monotonic() - t))
t = time.time(); time.sleep(10); print("%.3f" % (time.time() - t))')
	b=$(now)
	echo "  python sleeps 10 + 10 under x10: $(elapsed "$a" "$b") s real, read as $(echo $out)"
	within "python monotonic elapsed" 9.99 50 "$(sed -n 1p <<<"$out")"
	within "python time.time elapsed" 9.99 50 "$(sed -n 2p <<<"$out")"
	within "python, real seconds" 1.99 15 "$(elapsed "$a" "$b")"
}

# Each way to wait, by a program's own clock: real time 1/f, the program's
# clocks see it all; absolute deadlines on a moved wall clock are mapped
# back (without, '+2d' would wait two days and '@2001' not at all).
# Lower bounds are exact; upper bounds only tell scaled from unscaled,
# with seconds to spare for a loaded machine.
t_waits() {
	cc -O2 -o waits "$SRC/waits.c" || { fail "cc waits.c"; return; }
	local m out
	for m in sleep usleep nanosleep rel absmono absreal poll; do
		out=$(run x10 ./waits $m 5)	# 0.5 s real; unscaled, 5
		within "$m x10: real" 0.49 4 "$(cut -d' ' -f1 <<<"$out")"
		within "$m x10: monotonic" 4.99 40 "$(cut -d' ' -f2 <<<"$out")"
		within "$m x10: wall" 4.99 40 "$(cut -d' ' -f3 <<<"$out")"
	done
	for spec in '+2d' '@2001-02-03 04:05:06' '2001-02-03 04:05:06'; do
		out=$(run "$spec" ./waits absreal 0.3)
		within "absreal '$spec': real" 0.29 10 "$(cut -d' ' -f1 <<<"$out")"
	done
	out=$(run '2001-02-03 04:05:06' ./waits rel 0.3)
	check_eq "frozen: the wall clock does not move" 0.000 "$(cut -d' ' -f3 <<<"$out")"
	within "frozen: monotonic runs" 0.29 10 "$(cut -d' ' -f2 <<<"$out")"
	out=$(run '@2001-02-03 04:05:06 x4' ./waits absreal 8)	# 2 s real; unscaled, 8
	within "travel x4 absreal: real" 1.99 6 "$(cut -d' ' -f1 <<<"$out")"
}

# One clock for the whole tree, set at the run's start.
t_family() {
	local out
	out=$(run '@2001-02-03 04:05:06' sh -c 'date +%s; sh -c "date +%s"')
	within "parent" $T0 $((T0 + 30)) "$(sed -n 1p <<<"$out")"
	within "child" $T0 $((T0 + 30)) "$(sed -n 2p <<<"$out")"
	out=$(run '2001-02-03 04:05:06' sh -c 'date +%s.%N; sh -c "date +%s.%N"; python3 -c "import time; print(\"%.9f\" % time.time())"')
	check_eq "frozen: identical" "$T0.000000000 $T0.000000000 $T0.000000000" "$(echo $out)"
	# monotonic readings of parent and child fall in order, under x10
	out=$(run x10 python3 -c '
import subprocess, time
a = time.monotonic()
b = float(subprocess.check_output(["python3", "-c", "import time; print(repr(time.monotonic()))"]))
c = time.monotonic()
print(a <= b <= c, a <= b - 0.01)')
	check_eq "monotonic in order across processes" "True True" "$out"
	# a child started late (1 s real, 10 s fake) reads the run's clock, not
	# one that starts with it
	out=$(run '@2001-02-03 04:05:06 x10' sh -c 'sleep 10; date +%s; python3 -c "import time; print(int(time.time()))"')
	within "late child, x10" $((T0 + 10)) $((T0 + 100)) "$(sed -n 1p <<<"$out")"
	within "late grandchild, x10" $((T0 + 10)) $((T0 + 100)) "$(sed -n 2p <<<"$out")"
}

# CPU-time clocks are the program's own: neither frozen nor scaled.
t_cpu_untouched() {
	out=$(run '2001-02-03 04:05:06 x10' python3 -c '
import time
t = time.process_time(); w = time.monotonic()
while time.monotonic() - w < 1.0: pass
print("%.2f" % (time.process_time() - t))')
	# scaled, it would read about 1 s; on a loaded machine the loop gets
	# less than its 0.1 s of CPU
	within "process_time over 0.1 s of busy loop" 0.001 0.5 "$out"
}

# The Ruby API, in a script: forms of t, re-configuration, errors.
t_ruby_api() {
	echo 'Hijack::Clock.freeze("2001-02-03 04:05:06")' > a.rb
	check_eq "freeze from a script" $T0 "$(timeout 10 "$HIJACK" run -s a.rb -- date +%s)"
	echo 'Hijack::Clock.travel(Time.at(981173106)).scale(10)' > b.rb
	within "travel(Time).scale" $T0 $((T0 + 10)) "$(timeout 10 "$HIJACK" run -s b.rb -- date +%s)"
	cat > c.rb <<'R'
Hijack::Clock.freeze(981173106)
Hijack::Clock.reset
R
	local real
	real=$(date +%s)
	within "freeze then reset" $((real - 1)) $((real + 3)) "$(timeout 10 "$HIJACK" run -s c.rb -- date +%s)"
	echo 'Hijack::Clock.offset(-86400); Hijack::Clock.freeze(1e9 + 0.25)' > d.rb
	check_eq "offset then freeze" "1000000000.250000000" "$(timeout 10 "$HIJACK" run -s d.rb -- date +%s.%N)"
	# re-configured while the program runs: frozen until its first
	# write, then travelling from T0
	cat > e.rb <<'R'
Hijack::Clock.freeze(1e9)
$moved = false
Hijack.on(:write, fd: 1) { Hijack::Clock.travel(981173106) unless $moved; $moved = true }
R
	out=$(timeout 10 "$HIJACK" run -s e.rb -- python3 -c '
import time, sys
print(int(time.time())); sys.stdout.flush(); print(int(time.time()))')
	check_eq "frozen before the write" 1000000000 "$(sed -n 1p <<<"$out")"
	within "travelling after it" $T0 $((T0 + 3)) "$(sed -n 2p <<<"$out")"
	check_eq "now" "1000000000.0" "$(timeout 10 "$HIJACK" run --quiet -e 'Hijack::Clock.freeze(1e9); Hijack.log Hijack::Clock.now.to_s' -o log -- true; cat log)"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Clock.scale(0)' -- true 2>&1)
	check_eq "scale(0) status" 2 $?
	check_has "scale(0) message" 'scale takes a factor > 0, got 0' "$out"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Clock.freeze("next week")' -- true 2>&1)
	check_eq "bad date status" 2 $?
	check_has "bad date message" 'not a time: "next week"' "$out"
}

# The hottest hook: ns per clock_gettime call, bare and under the clock.
t_overhead() {
	cc -O2 -o bench "$SRC/bench.c" || { fail "cc bench.c"; return; }
	local bare wall mono best
	best() { local b=; for i in 1 2 3; do v=$("$@"); b=$(awk -v v="$v" -v b="$b" 'BEGIN { print (b == "" || v < b) ? v : b }'); done; echo "$b"; }
	bare=$(best ./bench 0 300000)
	wall=$(best timeout 20 "$HIJACK" run --time +2d -- ./bench 0 300000)
	mono=$(best timeout 20 "$HIJACK" run --time x10 -- ./bench 1 300000)
	echo "  clock_gettime: bare $bare ns, CLOCK_REALTIME under +2d $wall ns, CLOCK_MONOTONIC under x10 $mono ns"
	within "overhead per clock_gettime (ns)" 0 20000 "$wall"
}

run_tests t_forms t_malformed t_python t_ruby t_git t_touch t_sleep_x10 t_waits t_family t_cpu_untouched t_ruby_api t_overhead
summary clock
