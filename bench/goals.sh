# bench/run's last table: the goals of issue 11 ("cheap enough to leave
# on") side by side. Each section records its row as it prints it: the
# figure, its anchor measured in the same run (or, where the anchor is not
# installed here, the figure the issue quotes, marked so), the goal and
# the verdict; goals_table prints them together. Sourced by bench/run.

declare -A GOAL_NOW GOAL_ANCHOR GOAL_GOAL GOAL_V
GOAL_KEYS=()

# goal WHAT NOW ANCHOR GOAL VERDICT
goal() {
	[[ -v GOAL_NOW[$1] ]] || GOAL_KEYS+=("$1")
	GOAL_NOW[$1]=$2 GOAL_ANCHOR[$1]=$3 GOAL_GOAL[$1]=$4 GOAL_V[$1]=$5
}

goals_table() {
	[ ${#GOAL_KEYS[@]} -gt 0 ] || return 0
	local k pass=0
	echo
	echo "10. the goals side by side (issue 11): each figure is its section's above, each anchor"
	echo "   measured in the same run unless marked (quoted)"
	printf '  %-44s %-18s %-36s %-26s %s\n' what now anchor goal ""
	for k in "${GOAL_KEYS[@]}"; do
		printf '  %-44s %-18s %-36s %-26s %s\n' "$k" "${GOAL_NOW[$k]}" "${GOAL_ANCHOR[$k]}" "${GOAL_GOAL[$k]}" "${GOAL_V[$k]}"
		[ "${GOAL_V[$k]}" = PASS ] && pass=$((pass + 1))
	done
	echo "   goals: $pass of ${#GOAL_KEYS[@]} met"
}
