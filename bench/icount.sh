# bench/run, section 8: instructions a call of the Ruby dispatch path,
# counted by callgrind (sourced by bench/run, which provides die, verdict,
# WORK, BIN, ROOT and LIB). An instruction count does not move with the
# machine's load as a time does: this is the stable figure of the table.
#
# Each figure is the difference of two runs of the same program with
# different call counts, divided by the difference: process start-up and
# the VM's start cancel out. Under valgrind the system-call layer is off
# (valgrind does not run Syscall User Dispatch), so these count the path
# through the libc wrappers: hj_dispatch, the rules, the hook, back.
#
#   - no-op Ruby handler: getppid with bench/getppid_noop.rb, per call;
#   - Hash counter: fileround with bench/count.rb, per system call (7 a
#     round), less the bare program's own instructions a call.
#
# Environment: BENCH_ICOUNT=0 to leave the section out (it is left out
# when valgrind is missing); BENCH_ONLY=icount (bench/run) runs it alone.

IC_ON=${BENCH_ICOUNT:-1}
IC_LIMIT=400
IC_OFF=""
IC_NOOP="" IC_COUNT=""

# ic_run ENV PROG ARGS...: the instructions callgrind counted in PROG, in
# IC_N (the environment goes to valgrind, which hands it to PROG: valgrind
# running env would count env and let PROG run outside it)
ic_run() {
	local out env=$1
	shift
	out=$(env $env valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind.out" "$@" 2>&1 >/dev/null) ||
		die "callgrind run failed: $* ($(tail -3 <<<"$out"))"
	IC_N=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<<"$out" | tail -1)
	[ -n "$IC_N" ] || die "callgrind printed no count for: $*"
}

# ic_per ENV -- PROG LOW HIGH CALLS_PER_UNIT [ARGS_BEFORE_N...]: instructions
# a call, from a run of LOW and one of HIGH units (rounds or calls), in IC_PER
ic_per() {
	local env=$1 prog=$2 lo=$3 hi=$4 per=$5 a b
	shift 5
	ic_run "$env" "$prog" "$@" "$lo"; a=$IC_N
	ic_run "$env" "$prog" "$@" "$hi"; b=$IC_N
	IC_PER=$(awk -v a="$a" -v b="$b" -v n="$(( (hi - lo) * per ))" 'BEGIN { printf "%.0f", (b - a) / n }')
}

ic_measure() {
	[ "$IC_ON" = 1 ] || { IC_OFF="BENCH_ICOUNT=0"; return; }
	command -v valgrind >/dev/null 2>&1 || { IC_OFF="valgrind is not installed"; return; }
	echo "bench: [${SECONDS}s] instructions a call under callgrind, 3 workloads x 2 runs..." >&2
	local bare
	ic_per "LD_PRELOAD=$LIB HIJACK_SCRIPT=$ROOT/bench/getppid_noop.rb" "$BIN/getppid" 2000 22000 1
	IC_NOOP=$IC_PER
	ic_per "LC_ALL=C" "$BIN/fileround" 500 2500 7 "$WORK"
	bare=$IC_PER
	ic_per "LD_PRELOAD=$LIB HIJACK_SCRIPT=$ROOT/bench/count.rb" "$BIN/fileround" 500 2500 7 "$WORK"
	IC_COUNT=$((IC_PER - bare))
	rm -f "$WORK/callgrind.out"
}

ic_table() {
	echo
	echo "8. instructions a call (valgrind --tool=callgrind; the difference of two runs over their calls,"
	echo "   so start-up cancels out; stable under load; the libc-wrapper path: valgrind has no SUD)"
	if [ -n "$IC_OFF" ]; then
		echo "   left out: $IC_OFF"
		return
	fi
	printf '  %-44s %12s  %s\n' workload instructions target
	verdict "$IC_NOOP" "$IC_LIMIT"
	printf '  %-44s %12s  %s\n' "no-op Ruby handler (getppid), a call" "$IC_NOOP" "<= $IC_LIMIT  $V"
	goal "a no-op Ruby handler, instructions a call" "$IC_NOOP" "NOTES: 720, a stored Proc (quoted)" \
		"<= $IC_LIMIT (moonshot 250)" "$V"
	verdict "$IC_COUNT" "$IC_LIMIT"
	printf '  %-44s %12s  %s\n' "Hash counter, file loop, added a system call" "$IC_COUNT" "<= $IC_LIMIT  $V"
}
