#!/bin/bash
# Issue 8, the fake clock: waits against a moved or scaled clock neither
# hang nor return at once; every way to read the wall clock reads the fake
# one; files written under the fake clock show fake times to the program.
# Side by side with libfaketime where it is installed (package faketime).
source "$(dirname "$0")/../lib.sh"
export TZ=UTC
SRC=$(cd "$(dirname "$0")" && pwd)/clock
T0=981173106			# 2001-02-03 04:05:06 UTC
FROZEN='2001-02-03 04:05:06'

# run SPEC CMD...: CMD under --time SPEC, at most 20 s (a hang is a failure)
run() { local spec=$1; shift; timeout 20 "$HIJACK" run --time "$spec" -- "$@"; }
# within WHAT LOW HIGH VALUE: LOW <= VALUE <= HIGH (decimals allowed)
within() {
	if awk -v v="$4" -v l="$2" -v h="$3" 'BEGIN { exit !(v != "" && v >= l && v <= h) }'; then pass
	else fail "$1: expected between $2 and $3, got '$4'"; fi
}

# Under the system-call layer, select() is pselect6, sigtimedwait()
# rt_sigtimedwait and stat() newfstatat: system-call rows whose arguments
# (the timeout, the stat buffer) the recipe can read only once the table's
# decoders land ("decoders pending"). The checks that depend on them wait
# for them: decoded PROTOTYPE_START CHECK ARGS... runs the check when
# `hijack calls` shows that prototype (always without the layer).
decoded() {
	local proto=$1; shift
	if [ "${HIJACK_SYSCALLS:-1}" = 0 ] || "$HIJACK" calls | grep -qF "$proto"; then "$@"
	else echo "SKIP [$current] $2: decoders pending (${proto%%(*} has no typed arguments yet)"; fi
}
# the prototype a wait of waits.c needs decoded ("" for none)
needs() {
	case $1 in
	select | pselect) echo "pselect6(int nfds" ;;
	sigtimedwait) echo "rt_sigtimedwait(const sigset_t" ;;
	*) echo "" ;;
	esac
}

build() { cc -O2 -o waits "$SRC/waits.c" || { fail "cc waits.c"; return 1; }; }

# Waits until a deadline on a moved wall clock (ahead, behind, frozen,
# travelling from 2001): a 1 s wait lasts about 1 s, neither for ever (the
# deadline taken as real: '+10d' is ten days away) nor not at all ('-10d',
# '2001': long past). Bounds for a loaded machine: 0.9 s to 10 s.
t_deadlines_moved() {
	build || return
	local m spec out
	for spec in '+10d' '-10d' "$FROZEN" '@2001-02-03 04:05:06'; do
		for m in cond condmono clockwait sem semclock tfdabs tfdmono timer mutex mutexmono rwlock join; do
			out=$(run "$spec" ./waits $m 1)
			within "$m under '$spec': real seconds" 0.9 10 "${out% *}"
			check_eq "$m under '$spec': timed out" ok "${out#* }"
		done
	done
}

# x10: a 2 s wait of any kind lasts about 0.2 s real; under 1.5 s, and
# not at once. alarm counts whole seconds: 10 s of alarm ring in 1 s.
t_waits_x10() {
	build || return
	local m out
	for m in cond condmono clockwait sem semclock tfdabs tfdmono timer mutex mutexmono rwlock join \
		tfdrel tfdint timerrel select pselect ppoll epoll_pwait epoll_pwait2 sigtimedwait; do
		out=$(run x10 ./waits $m 2)
		decoded "$(needs $m)" within "$m under x10: real seconds" 0.15 1.5 "${out% *}"
		check_eq "$m under x10: timed out" ok "${out#* }"
	done
	out=$(run x10 ./waits alarm 10)
	within "alarm 10 under x10: real seconds" 0.9 3 "${out% *}"
	# what a timer has left reads in the program's time, not the real one
	# (scaled it reads about 2.0, unscaled 0.2; a preemption between the
	# two calls takes a little off)
	within "timerfd_gettime under x10" 1.5 2.0 "$(run x10 ./waits tfdget 2 | cut -d' ' -f2)"
	# and speed with a date: travelling from 2001 at x4, 2 s last 0.5 s
	out=$(run '@2001-02-03 04:05:06 x4' ./waits cond 2)
	within "cond, travel x4: real seconds" 0.4 1.5 "${out% *}"
}

# Python's locks and conditions wait with sem_clockwait and
# pthread_cond_timedwait on deadlines from its (fake) monotonic clock;
# os.times().elapsed is the real time. Under x10 a 2 s wait lasted
# 2 s + 9 times the run's age before (a hang, in practice).
t_python_waits() {
	cat > w.py <<'PY'
import os, select, sys, threading
def real(): return os.times().elapsed
l = threading.Lock(); l.acquire()
t = real(); l.acquire(timeout=2); a = real() - t
t = real(); select.select([], [], [], 2); b = real() - t
c = threading.Condition(); c.acquire()
t = real(); c.wait(2); d = real() - t
print("%.2f %.2f %.2f" % (a, b, d))
PY
	local out spec
	out=$(run x10 python3 w.py)
	within "x10: Lock.acquire(timeout=2), real" 0.15 1.5 "$(cut -d' ' -f1 <<<"$out")"
	decoded "pselect6(int nfds" within "x10: select.select(..., 2), real" 0.15 1.5 "$(cut -d' ' -f2 <<<"$out")"
	within "x10: Condition.wait(2), real" 0.15 1.5 "$(cut -d' ' -f3 <<<"$out")"
	for spec in '+10d' "$FROZEN"; do
		out=$(run "$spec" python3 w.py)
		within "'$spec': Lock.acquire(timeout=2), real" 1.9 10 "$(cut -d' ' -f1 <<<"$out")"
		within "'$spec': Condition.wait(2), real" 1.9 10 "$(cut -d' ' -f3 <<<"$out")"
	done
}

# ftime and timespec_get read the clock inside glibc, where the
# clock_gettime hook does not see.
t_readings() {
	build || return
	check_eq "ftime, frozen" $T0 "$(run "$FROZEN" ./waits ftime 0)"
	check_eq "timespec_get, frozen" $T0 "$(run "$FROZEN" ./waits timespec_get 0)"
	local real
	real=$(date +%s)
	within "ftime, +10d" $((real + 864000)) $((real + 864010)) "$(run '+10d' ./waits ftime 0)"
	within "timespec_get, -10d" $((real - 864000)) $((real - 863990)) "$(run '-10d' ./waits timespec_get 0)"
	within "python time.time, +10d" $((real + 864000)) $((real + 864010)) \
		"$(run '+10d' python3 -c 'import time; print(int(time.time()))')"
	if command -v faketime >/dev/null; then	# the same readings as libfaketime's
		check_eq "ftime as libfaketime reads it" "$(timeout 20 faketime "$FROZEN" ./waits ftime 0)" \
			"$(run "$FROZEN" ./waits ftime 0)"
	fi
}

# A file the program writes (no touch) shows the fake time to it, in every
# stat call; files written one after the other keep their order; on disk
# the kernel's real stamp stays.
t_file_times() {
	local out real
	out=$(run "$FROZEN" sh -c 'echo x > a; stat -c %Y a; python3 -c "import os; print(int(os.stat(\"a\").st_mtime))"; ls -l --time-style=+%s a')
	within "frozen: stat(1) mtime" $T0 $((T0 + 3)) "$(sed -n 1p <<<"$out")"
	decoded "newfstatat(int dirfd" within "frozen: python os.stat" $T0 $((T0 + 3)) "$(sed -n 2p <<<"$out")"
	within "frozen: ls -l" $T0 $((T0 + 3)) "$(sed -n 3p <<<"$out" | awk '{print $6}')"
	real=$(date +%s)
	check_eq "on disk: the real time" 1 "$(awk -v v="$(stat -c %Y a)" -v r=$real 'BEGIN { print (v >= r - 30 && v <= r + 1) }')"
	real=$(date +%s)
	out=$(run '+10d' sh -c 'echo x > b; stat -c "%Y %Z" b')
	within "+10d: mtime" $((real + 864000)) $((real + 864010)) "${out% *}"
	within "+10d: ctime" $((real + 864000)) $((real + 864010)) "${out#* }"
	out=$(run "$FROZEN" sh -c 'echo x > c; sleep 1.1; echo y > d; [ d -nt c ] && echo newer')
	check_eq "frozen: a later file is newer" newer "$out"
	# a file from before the run keeps its date; one touched keeps the fake
	touch -d '2010-05-06 07:08:09' old
	check_eq "an older file as it is" 1273129689 "$(run '+10d' stat -c %Y old)"
	run "$FROZEN" touch e
	check_eq "touch under the fake clock, read under it" $T0 "$(run "$FROZEN" stat -c %Y e)"
}

# make in a tree written under the fake clock: builds, is then up to date,
# and rebuilds after an edit. Frozen, files written later in the run show
# later times (their order is what make needs), ahead of the frozen clock:
# make warns of clock skew there, and only there.
t_make() {
	local spec out
	for spec in '+10d' '-10d' "$FROZEN" x10; do
		mkdir -p "m$spec" && cd "m$spec" || return
		out=$(run "$spec" sh -c 'printf "out: in\n\tcp in out\n" > Makefile; echo a > in
			make 2>&1; make 2>&1; sleep 1.1; echo b >> in; make 2>&1; cat out' 2>&1)
		check_eq "make under '$spec'" "cp in out|make: 'out' is up to date.|cp in out|a|b" \
			"$(grep -v 'arning' <<<"$out" | tr '\n' '|' | sed 's/|$//')"
		# make reads the times with stat(): newfstatat on the layer, whose
		# times only the decoders let the recipe move back ('-10d')
		if [ "$spec" = '-10d' ]; then
			decoded "newfstatat(int dirfd" check_lacks "make under '$spec': no clock skew" 'arning' "$out"
		elif [ "$spec" != "$FROZEN" ]; then
			check_lacks "make under '$spec': no clock skew" 'arning' "$out"
		fi
		cd ..
	done
}

# The new calls as strace writes them.
t_trace() {
	build || return
	local out
	out=$(timeout 20 "$HIJACK" run -t=timerfd_settime,timerfd_gettime -- ./waits tfdget 2 2>&1 >/dev/null)
	check_has "timerfd_settime" '^timerfd_settime\(3, 0, \{it_interval=\{tv_sec=0, tv_nsec=0\}, it_value=\{tv_sec=2, tv_nsec=0\}\}, NULL\) = 0$' "$out"
	check_has "timerfd_gettime" '^timerfd_gettime\(3, \{it_interval=\{tv_sec=0, tv_nsec=0\}, it_value=\{tv_sec=[12], tv_nsec=[0-9]+\}\}\) = 0$' "$out"
	out=$(timeout 20 "$HIJACK" run -t=timerfd_settime,timer_create,timer_settime,ftime -- sh -c './waits tfdabs 0.1; ./waits timer 0.1; ./waits ftime 0' 2>&1 >/dev/null)
	check_has "TFD_TIMER_ABSTIME" 'timerfd_settime\(3, TFD_TIMER_ABSTIME, \{it_interval=' "$out"
	check_has "timer_create" 'timer_create\(CLOCK_REALTIME, \{sigev_signo=SIGUSR1, sigev_notify=SIGEV_SIGNAL\}, \[0\]\) = 0$' "$out"
	check_has "timer_settime" 'timer_settime\(0, TIMER_ABSTIME, \{it_interval=' "$out"
	check_has "ftime" 'ftime\(\{time=[0-9]+, millitm=[0-9]+\}\) = 0$' "$out"
	if command -v strace >/dev/null; then
		local want
		want=$(timeout 20 strace -e trace=timerfd_settime ./waits tfdrel 0.25 2>&1 >/dev/null | grep '^timerfd_settime')
		out=$(timeout 20 "$HIJACK" run -t=timerfd_settime -- ./waits tfdrel 0.25 2>&1 >/dev/null)
		check_eq "as strace writes it" "$want" "$out"
	fi
}

run_tests t_deadlines_moved t_waits_x10 t_python_waits t_readings t_file_times t_make t_trace
summary clock-trust
