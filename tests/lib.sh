# Helpers for the end-to-end tests: each test is a function; check_*
# record a pass or a failure with what was expected and what happened.
HIJACK=${HIJACK:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/hijack}
LIB=${LIB:-$(dirname "$HIJACK")/libhijack.so}
passed=0 failed=0 current=
# Debian's own interpreters first: a pyenv shim is a shell script that
# starts a dozen processes before Python does
export PATH=/usr/bin:/bin:$PATH LC_ALL=C
# tests that run make must not see the make that runs them (make check)
unset MAKELEVEL MAKEFLAGS MFLAGS

fail() { failed=$((failed + 1)); echo "FAIL [$current] $*"; }
pass() { passed=$((passed + 1)); }

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" == "$3" ]; then pass; else fail "$1: expected '$2', got '$3'"; fi
}
# check_has WHAT PATTERN TEXT   (grep -E)
check_has() {
	if grep -qE -- "$2" <<<"$3"; then pass; else fail "$1: no line matches /$2/ in:"$'\n'"$(head -c 2000 <<<"$3")"; fi
}
check_lacks() {
	if grep -qE -- "$2" <<<"$3"; then fail "$1: unexpected /$2/ in:"$'\n'"$(head -c 2000 <<<"$3")"; else pass; fi
}

# run_tests FUNCS...: each in a fresh temporary directory
run_tests() {
	local t dir top=$PWD
	for t in "$@"; do
		current=$t
		dir=$(mktemp -d /tmp/hijack-test.XXXXXX)
		cd "$dir" && "$t"
		cd "$top" && rm -rf "$dir"
	done
}

# summary NAME: the suite's closing line; exit status says if all passed
summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
