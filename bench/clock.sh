# bench/run, section 7: the fake clock (sourced by bench/run, which
# provides die, verdict, WORK, BIN, ROOT, CC, REPS, and section 5's
# sc_stats).
#
# clock_gettime(CLOCK_REALTIME) in a loop (bench/clockloop.c), bare, under
# `hijack run --time +1d` (the Clock's readings made in C), the same with a
# no-op Ruby hook on clock_gettime (the Ruby way, as every call went
# before), and under libfaketime with FAKETIME=+1d (Debian's faketime),
# interleaved with bare runs as in section 5: "+ns/call" is the median of
# the time a run adds a call over the mean of the bare runs either side.
# The target: hijack's C way adds no more than libfaketime, measured in
# the same run.
#
# With valgrind there, each row also gives its instructions a call, the
# figure a loaded machine does not move: callgrind's total for 200000
# calls less its total for 100000, over 100000 (under valgrind hijack's
# system-call layer is off: the libc wrappers make the readings).
#
# Environment: BENCH_CK_CALLS (200000 calls), BENCH_CK_BATCH (1000: a
# run's figure is its fastest batch of calls in a row), BENCH_CK=0 to
# leave the section out, BENCH_CK_CALLGRIND=0 to leave the instruction
# counts out; BENCH_ONLY=clock (bench/run) runs it alone.

CK_CALLS=${BENCH_CK_CALLS:-200000}
CK_BATCH=${BENCH_CK_BATCH:-1000}
CK_ON=${BENCH_CK:-1}
CK_FAKETIME=${BENCH_FAKETIME:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
CK_RUBY='Hijack.after(:clock_gettime) { }'
CK_CFGS=(hijack ruby faketime)
CK_CALLGRIND=${BENCH_CK_CALLGRIND:-1}
declare -A CK_INSNS	# instructions a call, per configuration
CK_OFF=""	# why the section is left out, if it is

# ck_cmd CFG N: the command line of one run, in CK_CMD
ck_cmd() {
	local -a pre=()
	case $1 in
	bare) ;;
	hijack) pre=("$ROOT/build/hijack" run --time +1d --) ;;
	ruby) pre=("$ROOT/build/hijack" run --time +1d -e "$CK_RUBY" --) ;;
	faketime) pre=(env FAKETIME=+1d "LD_PRELOAD=$CK_FAKETIME") ;;
	*) die "unknown configuration $1" ;;
	esac
	CK_CMD=("${pre[@]}" "$BIN/clockloop" "$2" "$CK_BATCH")
	# callgrind's run: valgrind goes between the preload and the program
	CK_VG=("${pre[@]}" valgrind --tool=callgrind "--callgrind-out-file=$WORK/ck.cg" "$BIN/clockloop" "$2")
}

# ck_insns CFG: instructions a call under CFG, in CK_INSNS
ck_insns() {
	local n total=()
	for n in 100000 200000; do
		ck_cmd "$1" "$n"
		rm -f "$WORK"/ck.cg*
		"${CK_VG[@]}" >/dev/null 2>"$WORK/ck.err" || die "callgrind of clockloop failed under '$1': $(<"$WORK/ck.err")"
		total+=("$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$WORK"/ck.cg* | head -1)")
	done
	[ -n "${total[0]}" ] && [ -n "${total[1]}" ] || die "callgrind gave no totals under '$1'"
	CK_INSNS[$1]=$(( (total[1] - total[0]) / 100000 ))
}

# ck_run CFG: one run, appended to $WORK/sc.clockloop as section 5's
# sc_stats reads them: "CFG NS N FASTEST"
ck_run() {
	local n=$CK_CALLS out
	[ "$1" = ruby ] && n=$(( n / 10 > CK_BATCH ? n / 10 : CK_BATCH ))	# 50 times dearer a call
	ck_cmd "$1" "$n"
	out=$("${CK_CMD[@]}" 2>"$WORK/ck.err") || die "clockloop failed under '$1': $(<"$WORK/ck.err")"
	[[ $out =~ \ ns=([0-9]+)\  ]] || die "clockloop under '$1' printed no time: $out"
	local ns=${BASH_REMATCH[1]}
	[[ $out =~ fastest_batch_per_call=([0-9.]+) ]] || die "clockloop under '$1' printed no batch time: $out"
	echo "$1 $ns $n ${BASH_REMATCH[1]}" >>"$WORK/sc.clockloop"
}

# ---- checks: each row reads the clock it claims ----
ck_check() {
	local c out real
	[ "$CK_ON" = 1 ] || { CK_OFF="BENCH_CK=0"; return; }
	"$CC" -O2 -Wall -Wextra -fno-builtin -o "$BIN/clockloop" bench/clockloop.c || die "cannot build bench/clockloop.c"
	if [ ! -f "$CK_FAKETIME" ]; then
		CK_OFF="no libfaketime at $CK_FAKETIME (Debian package faketime; BENCH_FAKETIME=PATH)"
		return
	fi
	for c in bare "${CK_CFGS[@]}"; do
		real=$(date +%s)
		ck_cmd "$c" 10
		out=$("${CK_CMD[@]}" 2>"$WORK/ck.err") || die "clockloop failed under '$c': $(<"$WORK/ck.err")"
		[[ $out =~ realtime=([0-9]+) ]] || die "clockloop under '$c' printed no reading: $out"
		local ahead=$(( BASH_REMATCH[1] - real )) want=86400
		[ "$c" = bare ] && want=0
		(( ahead >= want - 2 && ahead <= want + 30 )) ||
			die "clockloop under '$c' read the clock $ahead s ahead, not $want: $out"
	done
}

ck_measure() {
	local c r
	ck_check
	[ -z "$CK_OFF" ] || { echo "bench: fake clock rows left out: $CK_OFF" >&2; return; }
	echo "bench: [${SECONDS}s] fake clock, $((${#CK_CFGS[@]} + 1)) configurations x $REPS runs..." >&2
	: >"$WORK/sc.clockloop"
	ck_run bare
	for ((r = 0; r < REPS; r++)); do
		for c in "${CK_CFGS[@]}"; do
			ck_run "$c"
			ck_run bare
		done
	done
	[ "${BENCH_VERBOSE:-0}" = 1 ] && sed "s/^/bench: clock: /" "$WORK/sc.clockloop" >&2
	if [ "$CK_CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
		echo "bench: [${SECONDS}s] fake clock, instructions a call under callgrind..." >&2
		for c in bare "${CK_CFGS[@]}"; do
			ck_insns "$c"
		done
	fi
}

ck_table() {
	local c cfg tm r ad sp label tgt
	local -A T R A S
	echo
	echo "7. fake clock: clock_gettime(CLOCK_REALTIME), $CK_CALLS calls a run (the Ruby way 1/10 of them),"
	echo "   ns a call of the fastest $CK_BATCH in a row; ratio and +ns/call are medians of the pairs with"
	echo "   the bare runs just before and after; spread as in 1"
	if [ -n "$CK_OFF" ]; then
		echo "   left out: $CK_OFF"
		return
	fi
	while read -r cfg tm r ad sp; do
		T[$cfg]=$tm R[$cfg]=$r A[$cfg]=$ad S[$cfg]=$sp
	done < <(sc_stats clockloop 1)
	[ -n "${T[bare]:-}" ] || die "clock: no figures"
	printf '  %-46s %13s %8s %9s %7s %7s  %s\n' workload time ratio +ns/call spread insns target
	for c in bare "${CK_CFGS[@]}"; do
		tgt=""
		case $c in
		bare) label="clock_gettime bare" ;;
		hijack)
			label="  hijack run --time +1d (in C)"
			verdict "${A[hijack]}" "${A[faketime]}"
			tgt="<= libfaketime's $(awk -v a="${A[faketime]}" 'BEGIN { printf "%+.0f", a }') ns  $V"
			goal "clock_gettime under --time" "$(printf '%+.0f ns, %s insns' "${A[hijack]}" "${CK_INSNS[hijack]:--}")" \
				"libfaketime $(printf '%+.0f ns, %s insns' "${A[faketime]}" "${CK_INSNS[faketime]:--}")" \
				"no dearer than libfaketime" "$V" ;;
		ruby) label="  the same, a no-op Ruby hook on the call" ;;
		faketime) label="  libfaketime, FAKETIME=+1d" ;;
		esac
		printf '  %-46s %10.1f ns %8s %9s %7s %7s  %s\n' "$label" "${T[$c]}" \
			"$(awk -v r="${R[$c]}" 'BEGIN { printf "%.2fx", r }')" \
			"$([ $c = bare ] && echo - || awk -v a="${A[$c]}" 'BEGIN { printf "%+.0f", a }')" "${S[$c]}" \
			"${CK_INSNS[$c]:--}" "$tgt"
	done
	[ -n "${CK_INSNS[bare]:-}" ] &&
		echo "   insns: instructions a call (callgrind: 200000 calls less 100000, over 100000)"
	echo "   reproduce: BENCH_REPS=$REPS BENCH_CK_CALLS=$CK_CALLS make bench (BENCH_ONLY=clock for this section alone)"
}
