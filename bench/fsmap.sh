# bench/run, section 9: the filesystem's path maps (sourced by bench/run,
# which provides die, verdict, WORK, BIN, ROOT, CC, REPS, and section 5's
# sc_stats).
#
# stat() of one path in a loop (bench/statloop.c): bare, of the file
# itself; under `hijack run --redirect FROM=TO`, of FROM's name for it
# (the map applied in C, src/core/fsfast.c); and the same with a no-op
# Ruby hook on the call, which sends it the Ruby way (fs.rb's apply, as
# every redirected call went before the C way). Interleaved with bare
# runs as in section 5: ratio and "+ns/call" are medians against the
# mean of the bare runs either side. The target: the C way at most 2x
# bare.
#
# With valgrind there, each row also gives its instructions a call, the
# figure a loaded machine does not move: callgrind's total for 2N calls
# less its total for N, over N (N = BENCH_FM_CG_CALLS, 10000; under
# valgrind the system-call layer is off: libc's stat wrapper is hooked).
#
# Environment: BENCH_FM_CALLS (100000 calls; the Ruby way a fifth),
# BENCH_FM_BATCH (1000: a run's figure is its fastest batch of calls in a
# row), BENCH_FM=0 to leave the section out, BENCH_FM_CALLGRIND=0 to
# leave the instruction counts out; BENCH_ONLY=fsmap runs it alone.

FM_CALLS=${BENCH_FM_CALLS:-100000}
FM_BATCH=${BENCH_FM_BATCH:-1000}
FM_CG_CALLS=${BENCH_FM_CG_CALLS:-10000}
FM_ON=${BENCH_FM:-1}
FM_RUBY='Hijack.on(:stat) { }'
FM_CFGS=(hijack ruby)
FM_CALLGRIND=${BENCH_FM_CALLGRIND:-1}
declare -A FM_INSNS	# instructions a call, per configuration
FM_OFF=""	# why the section is left out, if it is

# fm_cmd CFG N: the command line of one run, in FM_CMD (and FM_VG, callgrind's)
fm_cmd() {
	local -a pre=()
	local path=$WORK/fm/from/sub/f
	case $1 in
	bare) path=$WORK/fm/to/sub/f ;;
	hijack) pre=("$ROOT/build/hijack" run --redirect "$WORK/fm/from=$WORK/fm/to" --) ;;
	ruby) pre=("$ROOT/build/hijack" run --redirect "$WORK/fm/from=$WORK/fm/to" -e "$FM_RUBY" --) ;;
	*) die "unknown configuration $1" ;;
	esac
	FM_CMD=("${pre[@]}" "$BIN/statloop" "$path" "$2" "$FM_BATCH")
	# callgrind's run: valgrind goes between the preload and the program
	FM_VG=("${pre[@]}" valgrind --tool=callgrind "--callgrind-out-file=$WORK/fm.cg" "$BIN/statloop" "$path" "$2")
}

# fm_insns CFG: instructions a call under CFG, in FM_INSNS
fm_insns() {
	local n total=()
	for n in "$FM_CG_CALLS" $((FM_CG_CALLS * 2)); do
		fm_cmd "$1" "$n"
		rm -f "$WORK"/fm.cg*
		"${FM_VG[@]}" >"$WORK/fm.out" 2>"$WORK/fm.err" || die "callgrind of statloop failed under '$1': $(<"$WORK/fm.err")"
		grep -q " size=$FM_SIZE" "$WORK/fm.out" || die "statloop under callgrind and '$1' did not reach TO: $(<"$WORK/fm.out")"
		total+=("$(sed -n 's/^\(summary\|totals\): *\([0-9]*\).*/\2/p' "$WORK"/fm.cg* | head -1)")
	done
	[ -n "${total[0]}" ] && [ -n "${total[1]}" ] || die "callgrind gave no totals under '$1'"
	FM_INSNS[$1]=$(( (total[1] - total[0]) / FM_CG_CALLS ))
}

# fm_run CFG: one run, appended to $WORK/sc.statloop as sc_stats reads them
fm_run() {
	local n=$FM_CALLS out
	[ "$1" = ruby ] && n=$(( n / 5 > FM_BATCH ? n / 5 : FM_BATCH ))
	fm_cmd "$1" "$n"
	out=$("${FM_CMD[@]}" 2>"$WORK/fm.err") || die "statloop failed under '$1': $(<"$WORK/fm.err")"
	[[ $out =~ \ ns=([0-9]+)\  ]] || die "statloop under '$1' printed no time: $out"
	local ns=${BASH_REMATCH[1]}
	[[ $out =~ fastest_batch_per_call=([0-9.]+) ]] || die "statloop under '$1' printed no batch time: $out"
	echo "$1 $ns $n ${BASH_REMATCH[1]}" >>"$WORK/sc.statloop"
}

# ---- checks: every row stats TO's file (FROM's has another size) ----
FM_SIZE=12
fm_check() {
	local c out
	[ "$FM_ON" = 1 ] || { FM_OFF="BENCH_FM=0"; return; }
	"$CC" -O2 -Wall -Wextra -U_FORTIFY_SOURCE -fno-builtin -o "$BIN/statloop" bench/statloop.c ||
		die "cannot build bench/statloop.c"
	mkdir -p "$WORK/fm/to/sub" "$WORK/fm/from/sub" || die "cannot make $WORK/fm"
	echo "served-by-TO" >"$WORK/fm/to/sub/f"	# 13 bytes
	echo "FROM" >"$WORK/fm/from/sub/f"
	FM_SIZE=$(stat -c %s "$WORK/fm/to/sub/f")
	for c in bare "${FM_CFGS[@]}"; do
		fm_cmd "$c" 10
		out=$("${FM_CMD[@]}" 2>"$WORK/fm.err") || die "statloop failed under '$c': $(<"$WORK/fm.err")"
		[[ $out =~ \ size=$FM_SIZE\  ]] || die "statloop under '$c' did not stat TO's file: $out"
	done
}

fm_measure() {
	local c r
	fm_check
	[ -z "$FM_OFF" ] || { echo "bench: path map rows left out: $FM_OFF" >&2; return; }
	echo "bench: [${SECONDS}s] path maps, $((${#FM_CFGS[@]} + 1)) configurations x $REPS runs..." >&2
	: >"$WORK/sc.statloop"
	fm_run bare
	for ((r = 0; r < REPS; r++)); do
		for c in "${FM_CFGS[@]}"; do
			fm_run "$c"
			fm_run bare
		done
	done
	[ "${BENCH_VERBOSE:-0}" = 1 ] && sed "s/^/bench: fsmap: /" "$WORK/sc.statloop" >&2
	if [ "$FM_CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
		echo "bench: [${SECONDS}s] path maps, instructions a call under callgrind..." >&2
		for c in bare "${FM_CFGS[@]}"; do
			fm_insns "$c"
		done
	fi
}

fm_table() {
	local c cfg tm r ad sp label tgt
	local -A T R A S
	echo
	echo "9. path maps: stat() of a redirected path, $FM_CALLS calls a run (the Ruby way 1/5 of them),"
	echo "   ns a call of the fastest $FM_BATCH in a row; ratio and +ns/call are medians of the pairs with"
	echo "   the bare runs just before and after; spread as in 1"
	if [ -n "$FM_OFF" ]; then
		echo "   left out: $FM_OFF"
		return
	fi
	while read -r cfg tm r ad sp; do
		T[$cfg]=$tm R[$cfg]=$r A[$cfg]=$ad S[$cfg]=$sp
	done < <(sc_stats statloop 1)
	[ -n "${T[bare]:-}" ] || die "fsmap: no figures"
	printf '  %-46s %13s %8s %9s %7s %7s  %s\n' workload time ratio +ns/call spread insns target
	for c in bare "${FM_CFGS[@]}"; do
		tgt=""
		case $c in
		bare) label="stat(TO/sub/f) bare" ;;
		hijack)
			label="  stat(FROM/sub/f), --redirect FROM=TO (in C)"
			verdict "${R[hijack]}" 2
			tgt="<= 2x bare  $V"
			goal "a stat of a redirected path (--redirect)" "$(printf '%.2fx bare' "${R[hijack]}")" \
				"the Ruby way $(printf '%.2fx' "${R[ruby]}") (before)" "<= 2x bare" "$V" ;;
		ruby) label="  the same, a no-op Ruby hook on stat" ;;
		esac
		printf '  %-46s %10.1f ns %8s %9s %7s %7s  %s\n' "$label" "${T[$c]}" \
			"$(awk -v r="${R[$c]}" 'BEGIN { printf "%.2fx", r }')" \
			"$([ $c = bare ] && echo - || awk -v a="${A[$c]}" 'BEGIN { printf "%+.0f", a }')" "${S[$c]}" \
			"${FM_INSNS[$c]:--}" "$tgt"
	done
	[ -n "${FM_INSNS[bare]:-}" ] &&
		echo "   insns: instructions a call (callgrind: $((FM_CG_CALLS * 2)) calls less $FM_CG_CALLS, over $FM_CG_CALLS);" \
			"the Ruby way's is what --redirect cost before the C way"
	echo "   reproduce: BENCH_REPS=$REPS BENCH_FM_CALLS=$FM_CALLS make bench (BENCH_ONLY=fsmap for this section alone)"
}
