#!/bin/bash
# Hijack::Clock's readings made in C (src/core/clockfast.c): the same
# answers as its Ruby hooks give, which still run when a user's hook is on
# the call. The Ruby way is forced with a no-op after hook on the calls.
source "$(dirname "$0")/../lib.sh"
export TZ=UTC
SRC=$(cd "$(dirname "$0")" && pwd)/clock
T0=981173106			# 2001-02-03 04:05:06 UTC
RUBY_WAY='Hijack.after(:clock_gettime, :gettimeofday, :time, :ftime, :timespec_get) { }'

# run SPEC CMD...: CMD under --time SPEC; ruby SPEC CMD...: the same, the
# readings made the Ruby way
run() { local spec=$1; shift; timeout 60 "$HIJACK" run --time "$spec" -- "$@"; }
ruby() { local spec=$1; shift; timeout 60 "$HIJACK" run --time "$spec" -e "$RUBY_WAY" -- "$@"; }
within() {
	if awk -v v="$4" -v l="$2" -v h="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; then pass
	else fail "$1: expected between $2 and $3, got '$4'"; fi
}
# field N LINE: the Nth word
field() { awk -v n="$1" '{ print $n }' <<<"$2"; }

build() { cc -O2 -Wall -pthread -o reads "$SRC/reads.c" || { fail "cc reads.c"; return 1; }; }

# Frozen: every reading of the realtime family, to the nanosecond, both ways.
t_frozen() {
	build || return
	local c r
	c=$(run '2001-02-03 04:05:06' ./reads wall)
	r=$(ruby '2001-02-03 04:05:06' ./reads wall)
	check_eq "frozen, C and Ruby" "$r" "$c"
	check_eq "frozen" "realtime $T0.000000000 $T0.000000000 $T0.000000000" "$(cut -d' ' -f1-4 <<<"$c")"
	check_has "frozen: the other calls" "tv=$T0.000000 time=$T0,$T0 ftime=$T0.000 timespec_get=$T0.000000000\$" "$c"
	# a fraction of a second, and a clock frozen after an offset
	c=$(timeout 60 "$HIJACK" run -e 'Hijack::Clock.offset(-86400); Hijack::Clock.freeze(1e9 + 0.25)' -- ./reads wall)
	r=$(timeout 60 "$HIJACK" run -e 'Hijack::Clock.offset(-86400); Hijack::Clock.freeze(1e9 + 0.25)' -e "$RUBY_WAY" -- ./reads wall)
	check_eq "frozen at .25, C and Ruby" "$r" "$c"
	check_has "frozen at .25" "^realtime 1000000000.250000000 .* tv=1000000000.250000 time=1000000000,1000000000 ftime=1000000000.250 timespec_get=1000000000.250000000$" "$c"
	# the system calls made directly, which the system-call layer sees
	# (where there is one: without Syscall User Dispatch both ways read real)
	c=$(run '2001-02-03 04:05:06' ./reads raw)
	r=$(ruby '2001-02-03 04:05:06' ./reads raw)
	if [[ $r == "raw $T0."* ]]; then
		check_eq "frozen, raw system calls, C and Ruby" "$r" "$c"
		check_eq "frozen, raw system calls" "raw $T0.000000000 tv=$T0.000000 time=$T0,$T0" "$c"
	fi
	# frozen and scaled: the wall clock stays, the monotonic runs x10
	c=$(run '2001-02-03 04:05:06 x10' ./reads wall)
	check_eq "frozen x10" "realtime $T0.000000000" "$(cut -d' ' -f1-2 <<<"$c")"
}

# Travel and offset: the readings in order with the Ruby side's own
# Hijack::Clock.now, read between them (a hook on the program's write).
t_travel_offset() {
	build || return
	local out real spec
	for spec in '@2001-02-03 04:05:06' '@2001-02-03 04:05:06 x10' '+1d' '-3h x4'; do
		out=$(timeout 60 "$HIJACK" run --time "$spec" -e 'Hijack.on(:write, fd: 1) { Hijack.log("ruby %.6f\n" % Hijack::Clock.now) }' \
			-o log -- ./reads around)
		local before after rb
		before=$(sed -n 's/^before \([0-9.]*\) .*/\1/p' <<<"$out")
		after=$(sed -n 's/.* after \([0-9.]*\)$/\1/p' <<<"$out")
		rb=$(sed -n 's/.*ruby \([0-9.]*\)$/\1/p' log | head -1)
		within "'$spec': Ruby's now after the C reading" "$(awk -v b="$before" 'BEGIN { printf "%.6f", b - 0.001 }')" "$after" "$rb"
		within "'$spec': the C reading after Ruby's now" "$(awk -v r="$rb" 'BEGIN { printf "%.6f", r - 0.001 }')" 1e12 "$after"
	done
	out=$(run '@2001-02-03 04:05:06' ./reads wall)
	within "travel: starts there" $T0 $((T0 + 30)) "$(field 2 "$out")"
	real=$(date +%s)
	out=$(run '+1d' ./reads wall)
	within "+1d: clock_gettime" $((real + 86400)) $((real + 86430)) "$(field 2 "$out")"
	within "+1d: gettimeofday" $((real + 86400)) $((real + 86430)) "$(sed 's/.*tv=\([0-9.]*\).*/\1/' <<<"$out")"
	within "+1d: time" $((real + 86400)) $((real + 86430)) "$(sed 's/.*time=\([0-9]*\),.*/\1/' <<<"$out")"
	# coarse, alarm and TAI agree with the fine clock to a tick and TAI's offset
	local fine coarse tai
	fine=$(field 2 "$out") coarse=$(field 3 "$out") tai=$(field 5 "$out")
	within "+1d: coarse" "$(awk -v f="$fine" 'BEGIN { printf "%.9f", f - 1 }')" "$fine" "$coarse"
	within "+1d: TAI" "$fine" "$(awk -v f="$fine" 'BEGIN { printf "%.9f", f + 40 }')" "$tai"
}

# Scaled: the monotonic family runs f times faster from the run's start,
# the same both ways; CPU-time clocks are left alone.
t_scale() {
	build || return
	local c r k
	c=$(run x10 ./reads mono)
	r=$(ruby x10 ./reads mono)
	# both read the run's clock, a few real seconds apart at most: x10
	for k in 2 3 5; do
		within "x10 mono field $k, C and Ruby" "$(field $k "$r")" "$(awk -v v="$(field $k "$r")" 'BEGIN { print v + 300 }')" \
			"$(awk -v a="$(field $k "$c")" -v b="$(field $k "$r")" 'BEGIN { print (a > b) ? a : b }')"
	done
	c=$(run x10 ./reads cpu)
	# 0.2 s of the program's monotonic clock is 0.02 s real: the CPU clock
	# reads no more than that (scaled, it would read up to 0.2)
	within "x10: CPU time unscaled" 0 0.1 "$(field 2 "$c")"
	within "x10: monotonic read 0.2" 0.2 0.5 "$(field 4 "$c")"
	c=$(run '+1d' ./reads mono)
	local real_mono
	real_mono=$(awk '{ print $1 }' /proc/uptime)
	within "+1d: monotonic unmoved" "$(awk -v u="$real_mono" 'BEGIN { print u - 30 }')" "$(awk -v u="$real_mono" 'BEGIN { print u + 30 }')" "$(field 2 "$c")"
}

# One clock for the tree: forked and exec'd children read the run's clock.
t_fork_exec() {
	build || return
	local out
	out=$(run '2001-02-03 04:05:06' ./reads fork)
	check_eq "frozen: child" "child $T0.000000000" "$(grep child <<<"$out")"
	check_eq "frozen: parent" "parent $T0.000000000 $T0.000000000" "$(grep parent <<<"$out")"
	out=$(run '@2001-02-03 04:05:06 x10' ./reads fork)
	local p1 p2 ch
	p1=$(grep parent <<<"$out" | awk '{ print $2 }') p2=$(grep parent <<<"$out" | awk '{ print $3 }')
	ch=$(grep child <<<"$out" | awk '{ print $2 }')
	within "travel x10: child between the parent's readings" "$p1" "$p2" "$ch"
	within "travel x10: the parent's first" $T0 $((T0 + 100)) "$p1"
	check_eq "exec, frozen" "$(run '2001-02-03 04:05:06' ./reads wall)" "$(run '2001-02-03 04:05:06' ./reads exec wall)"
	local real
	real=$(date +%s)
	out=$(run '+1d' ./reads exec wall)
	within "exec, +1d" $((real + 86400)) $((real + 86430)) "$(field 2 "$out")"
}

# Threads read while another re-configures the clock from a hook, between
# frozen at 1e9 and travelling from 2e9: never a mix of the two (a torn
# read: 2e9 exactly, or 1e9 and a fraction).
t_threads() {
	build || return
	local out
	out=$(timeout 60 "$HIJACK" run -e 'Hijack::Clock.freeze(1e9); $f = false
		Hijack.on(:getppid) { $f = !$f; $f ? Hijack::Clock.travel(2e9) : Hijack::Clock.freeze(1e9) }' -- ./reads threads 3)
	check_has "readings by kind" '^frozen [1-9][0-9]* moving [1-9][0-9]* other 0$' "$out"
}

# A user's hook on clock_gettime runs on every call, after the Clock's,
# and sees the fake value the program gets.
t_user_hook() {
	build || return
	local out
	out=$(timeout 60 "$HIJACK" run --time '@2001-02-03 04:05:06' -o log \
		-e '$v = nil; $n = 0; Hijack.after(:clock_gettime) { |c| if c.clockid == 0; $v = c.tp; $n += 1; end }
		    Hijack.at_exit { Hijack.log("hook %.6f %d\n" % [$v, $n]) }' -- ./reads around)
	# the program prints its reading truncated to µs, the hook's "%.6f"
	# rounds: the same reading within a µs
	local prog hook
	prog=$(sed -n 's/.* after \([0-9.]*\)$/\1/p' <<<"$out")
	hook=$(sed -n 's/.*hook \([0-9.]*\) \([0-9]*\)$/\1 \2/p' log)
	check_eq "the hook saw both readings" 2 "${hook#* }"
	check_eq "the hook's last value is the program's (within a µs)" yes \
		"$(awk -v a="$prog" -v b="${hook% *}" 'BEGIN { d = a - b; print (a != "" && d < 2e-6 && d > -2e-6) ? "yes" : "no: " a " " b }')"
	# a hook that changes the reading: the program gets the hook's value
	out=$(timeout 60 "$HIJACK" run --time '+1d' -e 'Hijack.after(:clock_gettime) { |c| c.tp = 5e8 if c.clockid == 0 }' -- ./reads wall)
	check_eq "a hook's own value" "realtime 500000000.000000000" "$(cut -d' ' -f1-2 <<<"$out")"
	# --trace sees the fake value too
	out=$(timeout 60 "$HIJACK" run --time '2001-02-03 04:05:06' -t -e trace=clock_gettime -o trace -- ./reads wall)
	check_has "traced reading" "^clock_gettime\(CLOCK_REALTIME, \{tv_sec=$T0, tv_nsec=0\}\) = 0" "$(cat trace)"
}

# A hook stopped by --hook-timeout turns the VM off in its process, the
# Clock's hooks with it: the clock is the real one from there, both ways.
t_vm_off() {
	build || return
	local out real
	real=$(date +%s)
	out=$(timeout 60 "$HIJACK" run --quiet --hook-timeout 300ms --time '2001-02-03 04:05:06' \
		-e 'Hijack.on(:getppid) { loop {} }' -- ./reads getppid 2>/dev/null)
	check_eq "frozen before the stop" $T0 "$(field 1 "$out")"
	within "real after it" "$real" $((real + 60)) "$(field 2 "$out")"
}

run_tests t_frozen t_travel_offset t_scale t_fork_exec t_threads t_user_hook t_vm_off
summary clock_fast
