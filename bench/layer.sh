# bench/run, section 5: the system-call layer (sourced by bench/run, which
# provides die, median, spread, verdict, WORK, BIN, ROOT, LIB, REPS and
# WITH_STRACE).
#
# Each row runs the same loop as the bare program, under `hijack run`
# (which arms the layer by default: with nothing wanted it still traps
# every call and passes it through), interleaved with bare runs as in
# section 1: a row's ratio is the median of its ratios to the bare runs
# just before and after it, its "+ns/call" the median of the time it adds
# over their mean, per system call of the loop.
#
# The workloads: the file loop (fileround, 7 system calls a round) and
# getppid (one a call, whose glibc site `mov $110,%eax; syscall` the
# rewriter can turn into a stub call: its row is the rewritten-site
# figure). strace is ~20x bare and more, so its rows run 1/SC_SLOW of
# the rounds; every figure is per round or per call, so they compare.
#
# Environment: BENCH_SC_ROUNDS (2000 fileround rounds), BENCH_SC_CALLS
# (20000 getppid calls), BENCH_SC_SLOW (4), BENCH_SC=0 to leave the
# section out.

SC_ROUNDS=${BENCH_SC_ROUNDS:-2000}
SC_CALLS=${BENCH_SC_CALLS:-20000}
SC_SLOW=${BENCH_SC_SLOW:-4}
SC_ON=${BENCH_SC:-1}
HIJACK=$ROOT/build/hijack
SC_NOOP_FILE='Hijack.on(:openat, :read, :write, :close, :unlink) { |c| }'
SC_CFGS=(libc none norewrite noop trace)
SC_OFF=""	# why the layer rows are left out, if they are
declare -A SC_T SC_R SC_A	# per workload.config: samples of time per unit, ratio, added ns a call

# sc_cmd WORKLOAD CFG N: the command line of one run, in SC_CMD
sc_cmd() {
	local -a prog pre=()
	case $1 in
	fileround) prog=("$BIN/fileround" "$WORK" "$3") ;;
	getppid) prog=("$BIN/getppid" "$3") ;;
	esac
	case $2 in
	bare) ;;
	libc) pre=(env HIJACK_SYSCALLS=0 "$HIJACK" run --) ;;
	none) pre=("$HIJACK" run --) ;;
	norewrite) pre=(env HIJACK_REWRITE=0 "$HIJACK" run --) ;;
	noop)
		if [ "$1" = fileround ]; then
			pre=("$HIJACK" run -e "$SC_NOOP_FILE" --)
		else
			pre=("$HIJACK" run -s "$NOOP_RB" --)
		fi ;;
	trace) pre=("$HIJACK" run -t -o /dev/null --) ;;
	strace) pre=(strace -f -o /dev/null) ;;
	*) die "unknown configuration $2" ;;
	esac
	SC_CMD=("${pre[@]}" "${prog[@]}")
}

# sc_run WORKLOAD CFG: one run; SC_NS = ns per round (fileround) or per
# call (getppid), as the program measured its loop
sc_run() {
	local n out
	n=$([ "$1" = fileround ] && echo "$SC_ROUNDS" || echo "$SC_CALLS")
	[ "$2" = strace ] && n=$(( n / SC_SLOW > 0 ? n / SC_SLOW : 1 ))
	sc_cmd "$1" "$2" "$n"
	out=$("${SC_CMD[@]}" 2>"$WORK/sc.err") || die "$1 failed under '$2': $(cat "$WORK/sc.err")"
	SC_NS=$(sed -n 's/.* ns=\([0-9]*\) .*/\1/p' <<<"$out")
	[ -n "$SC_NS" ] || die "$1 under '$2' printed no time: $out"
	SC_NS=$(awk -v t="$SC_NS" -v n="$n" 'BEGIN { printf "%.3f", t / n }')
}

# ---- checks: each row does what it claims ----
sc_check() {
	local log=$WORK/sc.log tr=$WORK/sc.trace n
	[ "$SC_ON" = 1 ] || { SC_OFF="BENCH_SC=0"; return; }
	# on: stdio's own write (printf's) is a system call only the layer sees
	"$HIJACK" run -t -o "$tr" -- "$BIN/fileround" "$WORK" 10 >/dev/null 2>"$log" ||
		die "layer: fileround failed under hijack run -t: $(cat "$log")"
	if ! grep -q '^write(1, "fileround rounds=10' "$tr"; then
		SC_OFF="the system-call layer is not on here (printf's write was not traced; the kernel may lack Syscall User Dispatch, Linux 5.11+)"
		return
	fi
	n=$(grep -c "^openat(AT_FDCWD, \"$WORK/fileround" "$tr")
	[ "$n" = 20 ] || die "layer: traced $n openat of the loop's file, not 20: $(cat "$tr")"
	HIJACK_SYSCALLS=0 "$HIJACK" run -t -o "$tr" -- "$BIN/fileround" "$WORK" 10 >/dev/null 2>"$log" ||
		die "layer off: fileround failed: $(cat "$log")"
	grep -q '^write(1, "fileround' "$tr" &&
		die "HIJACK_SYSCALLS=0 did not turn the layer off: printf's write was traced"
	# the no-op rows' hooks fire on every call of the loop
	"$HIJACK" run -e '$n = 0; Hijack.on(:openat, :read, :write, :close, :unlink) { |c| $n += 1 }
		Hijack.at_exit { Hijack.log("hooked #{$n}\n") }' -- "$BIN/fileround" "$WORK" 100 >/dev/null 2>"$log" ||
		die "layer: fileround failed under the no-op hooks: $(cat "$log")"
	n=$(sed -n 's/.*hooked \([0-9]*\).*/\1/p' "$log")
	[ -n "$n" ] && [ "$n" -ge 700 ] || die "layer: the file loop's hooks ran ${n:-0} times for 700 calls: $(cat "$log")"
	"$HIJACK" run -s "$NOOP_RB" -e '$n = 0; Hijack.on(:getppid) { |c| $n += 1 }; Hijack.at_exit { Hijack.log("getppid #{$n}\n") }' \
		-- "$BIN/getppid" 1000 >/dev/null 2>"$log" || die "layer: getppid failed under the no-op hook: $(cat "$log")"
	grep -q 'getppid 1001' "$log" || die "layer: the getppid hook did not run on every call: $(cat "$log")"
}

sc_measure() {
	local w c r prev x bare
	sc_check
	[ -z "$SC_OFF" ] || { echo "bench: system-call layer rows left out: $SC_OFF" >&2; return; }
	[ "$WITH_STRACE" = 1 ] && SC_CFGS+=(strace)
	for w in fileround getppid; do
		echo "bench: system-call layer, $w, $((${#SC_CFGS[@]} + 1)) configurations x $REPS runs..." >&2
		sc_run "$w" bare
		bare=$SC_NS
		SC_T[$w.bare]+="$bare "
		for ((r = 0; r < REPS; r++)); do
			for c in "${SC_CFGS[@]}"; do
				prev=$bare
				sc_run "$w" "$c"
				x=$SC_NS
				sc_run "$w" bare
				bare=$SC_NS
				SC_T[$w.bare]+="$bare " SC_T[$w.$c]+="$x "
				SC_R[$w.$c]+="$(awk -v x="$x" -v a="$prev" -v b="$bare" 'BEGIN { printf "%.5f", 2 * x / (a + b) }') "
				SC_A[$w.$c]+="$(awk -v x="$x" -v a="$prev" -v b="$bare" -v k="$([ $w = fileround ] && echo 7 || echo 1)" \
					'BEGIN { printf "%.2f", (x - (a + b) / 2) / k }') "
			done
		done
		if [ "${BENCH_VERBOSE:-0}" = 1 ]; then
			for c in bare "${SC_CFGS[@]}"; do
				echo "bench: layer $w $c ns: ${SC_T[$w.$c]}" >&2
				[ $c = bare ] || echo "bench: layer $w $c added ns/call: ${SC_A[$w.$c]}" >&2
			done
		fi
	done
}

# verdict_ge VALUE LIMIT: V = PASS when VALUE >= LIMIT
verdict_ge() {
	if awk -v v="$1" -v l="$2" 'BEGIN { exit !(v >= l) }'; then
		PASS=$((PASS + 1)); V=PASS
	else
		MISS=$((MISS + 1)); V=MISS
	fi
}

sc_table() {
	local w c t ratio added label tgt unit
	echo
	echo "5. system-call layer: the loop timed inside the program, $SC_ROUNDS fileround rounds (7 system calls"
	echo "   each) and $SC_CALLS getppid calls a run; ratio and +ns/call (time added a system call) are"
	echo "   medians of the pairs with the bare runs just before and after; spread as in 1"
	if [ -n "$SC_OFF" ]; then
		echo "   left out: $SC_OFF"
		return
	fi
	grep -q HIJACK_REWRITE "$LIB" ||
		echo "   (this build does not read HIJACK_REWRITE: its two rows run the same code)"
	printf '  %-46s %13s %8s %9s %7s  %s\n' workload time ratio +ns/call spread target
	local -A med_r med_a
	for w in fileround getppid; do
		med_r=() med_a=()
		for c in "${SC_CFGS[@]}"; do
			med_r[$c]=$(printf '%s\n' ${SC_R[$w.$c]} | median)
			med_a[$c]=$(printf '%s\n' ${SC_A[$w.$c]} | median)
		done
		for c in bare "${SC_CFGS[@]}"; do
			t=$(printf '%s\n' ${SC_T[$w.$c]} | median)
			if [ $w = fileround ]; then
				t=$(awk -v t="$t" 'BEGIN { printf "%.2f µs/rnd", t / 1000 }')
			else
				t=$(awk -v t="$t" 'BEGIN { printf "%.1f ns", t }')
			fi
			tgt=""
			case $c in
			bare) label="$w bare" ;;
			libc) label="  libc layer only (HIJACK_SYSCALLS=0)" ;;
			none)
				label="  layer on, nothing hooked"
				if [ $w = fileround ]; then
					verdict "${med_r[none]}" 1.05
					tgt="<= 1.05x  $V"
				else
					verdict "${med_a[none]}" 100
					tgt="<= +100 ns  $V"
				fi ;;
			norewrite) label="  layer on, nothing hooked, HIJACK_REWRITE=0" ;;
			noop) label="  layer on, no-op Ruby handler" ;;
			trace) label="  layer on, -t -o /dev/null" ;;
			strace)
				label="  strace -f -o /dev/null *"
				# strace's time added over hijack -t's: how many times
				# cheaper tracing is in process (the plain time ratio
				# cannot reach 30 while strace is under 30x bare)
				local over
				over=$(awk -v s="${med_a[strace]}" -v h="${med_a[trace]}" \
					'BEGIN { if (h <= 0) print 1e9; else printf "%.1f", s / h }')
				verdict_ge "$over" 30
				tgt="$(awk -v o="$over" 'BEGIN { printf (o >= 1e9 ? "inf" : "%.1fx"), o }') added of -t's, time $(awk \
					-v s="${med_r[strace]}" -v h="${med_r[trace]}" 'BEGIN { printf "%.1fx", s / h }')  >= 30x  $V" ;;
			esac
			if [ $c = bare ]; then
				ratio=1.00x added=-
			else
				ratio=$(awk -v r="${med_r[$c]}" 'BEGIN { printf "%.2fx", r }')
				added=$(awk -v a="${med_a[$c]}" 'BEGIN { printf "%+.0f", a }')
			fi
			# printf counts bytes: µ takes two
			printf "  %-46s %$([ $w = fileround ] && echo 14 || echo 13)s %8s %9s %7s  %s\n" "$label" "$t" "$ratio" "$added" "$(spread ${SC_T[$w.$c]})" "$tgt"
		done
	done
	[ "$WITH_STRACE" = 1 ] &&
		echo "   * strace ran 1/$SC_SLOW of the rounds; its target: strace's time added over bare / -t's"
	echo "   reproduce: BENCH_REPS=$REPS BENCH_SC_ROUNDS=$SC_ROUNDS BENCH_SC_CALLS=$SC_CALLS make bench"
}
