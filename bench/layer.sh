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
# A run's figure is its fastest batch of rounds or calls in a row (the
# programs' optional BATCH argument): a preemption on a loaded machine
# lands in some batches, not in all.
#
# Environment: BENCH_SC_ROUNDS (2000 fileround rounds), BENCH_SC_CALLS
# (20000 getppid calls), BENCH_SC_SLOW (4), BENCH_SC_FILE_BATCH (100
# rounds), BENCH_SC_BATCH (1000 calls), BENCH_SC=0 to leave the section
# out; BENCH_ONLY=layer (bench/run) runs this section alone.

SC_ROUNDS=${BENCH_SC_ROUNDS:-2000}
SC_CALLS=${BENCH_SC_CALLS:-20000}
SC_SLOW=${BENCH_SC_SLOW:-4}
# the figure of a run: its fastest batch of rounds or calls in a row
SC_FILE_BATCH=${BENCH_SC_FILE_BATCH:-100} SC_BATCH=${BENCH_SC_BATCH:-1000}
SC_ON=${BENCH_SC:-1}
HIJACK=$ROOT/build/hijack
SC_NOOP_FILE='Hijack.on(:openat, :read, :write, :close, :unlink) { |c| }'
SC_CFGS=(libc none norewrite noop trace)
SC_OFF=""	# why the layer rows are left out, if they are

# sc_cmd WORKLOAD CFG N: the command line of one run, in SC_CMD
sc_cmd() {
	local -a prog pre=()
	case $1 in
	fileround | enforce_dynamic) prog=("$BIN/fileround" "$WORK" "$3" "$SC_FILE_BATCH") ;;
	enforce_static) prog=("$BIN/fileround_static" "$WORK" "$3" "$SC_FILE_BATCH") ;;
	getppid) prog=("$BIN/getppid" "$3" "$SC_BATCH") ;;
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
	# section 6 (bench/enforce.sh): the same rules, in-process and enforced
	advisory) pre=("$HIJACK" run --quiet "${EN_RULES[@]}" --) ;;
	enforced) pre=("$HIJACK" run --quiet --enforce "${EN_RULES[@]}" --) ;;
	*) die "unknown configuration $2" ;;
	esac
	SC_CMD=("${pre[@]}" "${prog[@]}")
}

# sc_run WORKLOAD CFG: one run, appended to $WORK/sc.WORKLOAD as
# "CFG NS N FASTEST" (the loop's time for N rounds or calls, its fastest
# batch's per round or call); no subshell, no awk:
# on a loaded machine each fork costs as much as a short run
sc_run() {
	local n=$SC_CALLS out ns
	[[ $1 == fileround || $1 == enforce_* ]] && n=$SC_ROUNDS
	[ "$2" = strace ] && n=$(( n / SC_SLOW > 0 ? n / SC_SLOW : 1 ))
	sc_cmd "$1" "$2" "$n"
	out=$("${SC_CMD[@]}" 2>"$WORK/sc.err") || die "$1 failed under '$2': $(<"$WORK/sc.err")"
	[[ $out =~ \ ns=([0-9]+)\  ]] || die "$1 under '$2' printed no time: $out"
	ns=${BASH_REMATCH[1]}
	[[ $out =~ fastest_batch_per_[a-z]+=([0-9.]+) ]] || die "$1 under '$2' printed no batch time: $out"
	ns="$ns $n ${BASH_REMATCH[1]}"
	echo "$2 $ns" >>"$WORK/sc.$1"
}

# sc_stats WORKLOAD CALLS_A_UNIT: from the runs in order (each other run
# between two bare ones), per configuration: "CFG TIME RATIO ADDED SPREAD"
# with TIME the median of the runs' fastest-batch ns a unit, RATIO the
# median of the ratios to the mean of the bare runs either side, ADDED the
# median of the ns added a system call over that mean, SPREAD (max - min)
# / median of the times
sc_stats() {
	awk -v k="$2" '
	function median(a, n,    i, j, t) {	# sorts a[1..n]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ cfg[NR] = $1; t[NR] = $4 }
	END {
		for (i = 1; i <= NR; i++) {
			c = cfg[i]
			if (!(c in nt)) { order[++ncfg] = c; nt[c] = 0 }
			times[c, ++nt[c]] = t[i]
			if (c == "bare")
				continue
			if (cfg[i - 1] != "bare" || cfg[i + 1] != "bare") { print "unpaired run " i > "/dev/stderr"; exit 1 }
			m = (t[i - 1] + t[i + 1]) / 2
			ratios[c, nt[c]] = t[i] / m
			added[c, nt[c]] = (t[i] - m) / k
		}
		for (o = 1; o <= ncfg; o++) {
			c = order[o]; n = nt[c]
			for (i = 1; i <= n; i++) v[i] = times[c, i]
			tm = median(v, n); sp = tm ? (v[n] - v[1]) / tm * 100 : 0
			r = 1; ad = 0
			if (c != "bare") {
				for (i = 1; i <= n; i++) v[i] = ratios[c, i]
				r = median(v, n)
				for (i = 1; i <= n; i++) v[i] = added[c, i]
				ad = median(v, n)
			}
			printf "%s %.3f %.5f %.2f %.0f%%\n", c, tm, r, ad, sp
		}
	}' "$WORK/sc.$1"
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
	local w c r
	sc_check
	[ -z "$SC_OFF" ] || { echo "bench: system-call layer rows left out: $SC_OFF" >&2; return; }
	[ "$WITH_STRACE" = 1 ] && SC_CFGS+=(strace)
	for w in fileround getppid; do
		echo "bench: [${SECONDS}s] system-call layer, $w, $((${#SC_CFGS[@]} + 1)) configurations x $REPS runs..." >&2
		: >"$WORK/sc.$w"
		sc_run "$w" bare
		for ((r = 0; r < REPS; r++)); do
			for c in "${SC_CFGS[@]}"; do
				sc_run "$w" "$c"
				sc_run "$w" bare
			done
		done
		[ "${BENCH_VERBOSE:-0}" = 1 ] && sed "s/^/bench: layer $w: /" "$WORK/sc.$w" >&2
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
	local w c t ratio added label tgt over cfg tm r ad sp
	local -A T R A S
	echo
	echo "5. system-call layer: the loop timed inside the program, $SC_ROUNDS fileround rounds (7 system calls"
	echo "   each) and $SC_CALLS getppid calls a run; ratio and +ns/call (time added a system call) are"
	echo "   medians of the pairs with the bare runs just before and after; spread as in 1. A run's time"
	echo "   is its fastest $SC_FILE_BATCH rounds or $SC_BATCH calls in a row, which a preemption does not reach"
	if [ -n "$SC_OFF" ]; then
		echo "   left out: $SC_OFF"
		return
	fi
	grep -q HIJACK_REWRITE "$LIB" ||
		echo "   (this build does not read HIJACK_REWRITE: its two rows run the same code)"
	printf '  %-46s %13s %8s %9s %7s  %s\n' workload time ratio +ns/call spread target
	for w in fileround getppid; do
		T=() R=() A=() S=()
		while read -r cfg tm r ad sp; do
			T[$cfg]=$tm R[$cfg]=$r A[$cfg]=$ad S[$cfg]=$sp
		done < <(sc_stats "$w" "$([ $w = fileround ] && echo 7 || echo 1)")
		[ -n "${T[bare]:-}" ] || die "layer: no figures for $w"
		for c in bare "${SC_CFGS[@]}"; do
			# printf counts bytes: µ takes two
			if [ $w = fileround ]; then
				t=$(awk -v t="${T[$c]}" 'BEGIN { printf "%6.2f µs/rnd", t / 1000 }')
			else
				t=$(awk -v t="${T[$c]}" 'BEGIN { printf "%10.1f ns", t }')
			fi
			tgt=""
			case $c in
			bare) label="$w bare" ;;
			libc) label="  libc layer only (HIJACK_SYSCALLS=0)" ;;
			none)
				label="  layer on, nothing hooked"
				if [ $w = fileround ]; then
					verdict "${R[none]}" 1.05
					tgt="<= 1.05x  $V"
				else
					verdict "${A[none]}" 100
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
				over=$(awk -v s="${A[strace]}" -v h="${A[trace]}" \
					'BEGIN { if (h <= 0) print 1e9; else printf "%.1f", s / h }')
				verdict_ge "$over" 30
				tgt="$(awk -v o="$over" -v s="${R[strace]}" -v h="${R[trace]}" \
					'BEGIN { printf "adds %s what -t adds (time %.1fx)", (o >= 1e9 ? "inf x" : sprintf("%.1fx", o)), s / h }')  >= 30x  $V" ;;
			esac
			if [ $c = bare ]; then
				ratio=1.00x added=-
			else
				ratio=$(awk -v r="${R[$c]}" 'BEGIN { printf "%.2fx", r }')
				added=$(awk -v a="${A[$c]}" 'BEGIN { printf "%+.0f", a }')
			fi
			printf '  %-46s %s %8s %9s %7s  %s\n' "$label" "$t" "$ratio" "$added" "${S[$c]}" "$tgt"
		done
	done
	[ "$WITH_STRACE" = 1 ] &&
		echo "   * strace ran 1/$SC_SLOW of the rounds; its target: strace's time added over bare / -t's"
	echo "   reproduce: BENCH_REPS=$REPS BENCH_SC_ROUNDS=$SC_ROUNDS BENCH_SC_CALLS=$SC_CALLS make bench" \
		"(BENCH_ONLY=layer for this section alone)"
}
