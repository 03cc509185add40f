# bench/run, section 6: --enforce (sourced after bench/layer.sh, whose
# sc_run and sc_stats time the runs: the file loop, its fastest batch, a
# row's ratio the median of its ratios to the bare runs either side).
#
# The rules: --deny network, --readonly on the project, and an allow-list
# of paths (read everywhere, write the loop's directory), which puts the
# three mechanisms on the loop's calls: seccomp's filter on every call,
# Landlock's path checks on every open and unlink, the mount namespace.
#   the kernel's rules alone  a static build of the loop (no library can
#                             be preloaded into it), bare and enforced:
#                             the issue's goal, at most 1.05x
#   enforced over advisory    the dynamic loop under the same rules with
#                             and without --enforce: what the kernel adds
#                             to a hijack run (the in-process layer's own
#                             cost is section 5's and issue 11's)
# BENCH_ONLY=enforce (bench/run) runs this section alone.

EN_RULES=()
EN_OFF=""

en_measure() {
	local c r log=$WORK/en.log
	EN_RULES=(--deny network --readonly "$ROOT"
		-e "Hijack::Sandbox.allow(read: ['/**'], write: ['$WORK/**', '/dev/**'])")
	build -O2 -static -U_FORTIFY_SOURCE -fno-builtin -o "$BIN/fileround_static" bench/fileround.c
	# the rules hold: the loop's own writes go on, one under the project does not
	if ! "$HIJACK" run --quiet --enforce "${EN_RULES[@]}" -- "$BIN/fileround_static" "$WORK" 10 >/dev/null 2>"$log"; then
		EN_OFF="--enforce cannot run here: $(tail -1 "$log")"
		echo "bench: enforce rows left out: $EN_OFF" >&2
		return
	fi
	"$HIJACK" run --quiet --enforce "${EN_RULES[@]}" -- "$BIN/fileround_static" "$ROOT" 1 >/dev/null 2>&1 &&
		die "enforce: the static loop wrote under the read-only $ROOT"
	echo "bench: [${SECONDS}s] --enforce, the file loop, static and dynamic x $REPS runs..." >&2
	# workloads of their own: section 5's files stay its own
	: >"$WORK/sc.enforce_static"
	: >"$WORK/sc.enforce_dynamic"
	sc_run enforce_static bare
	sc_run enforce_dynamic bare
	for ((r = 0; r < REPS; r++)); do
		sc_run enforce_static enforced
		sc_run enforce_static bare
		for c in advisory enforced; do
			sc_run enforce_dynamic "$c"
			sc_run enforce_dynamic bare
		done
	done
}

en_table() {
	local cfg tm r ad sp
	local -A T R
	echo
	echo "6. --enforce: $SC_ROUNDS fileround rounds a run under --deny network, --readonly on the"
	echo "   project and an allow-list of paths (seccomp, Landlock, a mount namespace); timed as in 5"
	if [ -n "$EN_OFF" ]; then
		echo "   left out: $EN_OFF"
		return
	fi
	printf '  %-46s %13s %8s %7s  %s\n' workload time ratio spread target
	while read -r cfg tm r ad sp; do
		T[s_$cfg]=$tm R[s_$cfg]=$r
		printf '  %-46s %10.0f ns %7.2fx %7s' "static loop, $([ "$cfg" = bare ] && echo bare || echo "the kernel's rules alone")" \
			"$tm" "$r" "$sp"
		if [ "$cfg" = enforced ]; then
			verdict "$r" 1.05
			printf '  <= 1.05x: %s' "$V"
		fi
		echo
	done < <(sc_stats enforce_static 7)
	while read -r cfg tm r ad sp; do
		T[$cfg]=$tm R[$cfg]=$r
		printf '  %-46s %10.0f ns %7.2fx %7s\n' "dynamic loop, $cfg" "$tm" "$r" "$sp"
	done < <(sc_stats enforce_dynamic 7)
	r=$(awk -v e="${T[enforced]}" -v a="${T[advisory]}" 'BEGIN { printf "%.3f", e / a }')
	verdict "$r" 1.05
	printf '  %-46s %13s %7.2fx %7s  <= 1.05x: %s\n' "dynamic, enforced over advisory" "" "$r" "" "$V"
}
