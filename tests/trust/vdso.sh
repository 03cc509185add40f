#!/bin/bash
# Issue 9, the fake clock for programs that read the vDSO themselves (Go,
# or any program that looks up __vdso_clock_gettime): such a look-up finds
# ours, which the hooks, the trace, -c and --inject see as they see libc's
# call; libc's own path is seen exactly once; a vDSO that is missing,
# unreadable, of another layout or that cannot be written breaks nothing.
source "$(dirname "$0")/../lib.sh"
export TZ=UTC
SRC=$(cd "$(dirname "$0")" && pwd)/vdso
FROZEN='2001-02-03 04:05:06'
T0=981173106			# $FROZEN, UTC
YEAR=$(date +%Y)

# Built once for the suite: the Go builds take seconds each.
BIN=$(mktemp -d /tmp/hijack-vdso.XXXXXX)
trap 'rm -rf "$BIN"' EXIT
cc -O2 -Wall -rdynamic -o "$BIN/vdsoclock" "$SRC/vdsoclock.c" -ldl || echo "FAIL cc vdsoclock.c"
VC=$BIN/vdsoclock

# run OPTS... -- CMD...: at most 60 s (a hang is a failure)
run() { timeout 60 "$HIJACK" run --quiet "$@"; }

# The vDSO's clock_gettime, gettimeofday and time, found by parsing it,
# and clock_gettime found by the dynamic loader (dlsym): the fake year
# under --time, the real one bare.
t_direct() {
	local way
	for way in clock_gettime gettimeofday time dlsym; do
		check_eq "$way bare" "$YEAR" "$("$VC" $way)"
		check_eq "$way under --time" 2001 "$(run --time "$FROZEN" -- "$VC" $way 2>&1)"
		check_eq "$way with a hook but no --time" "$YEAR" "$(run -e "Hijack.on(:${way/dlsym/clock_gettime}) { }" -- "$VC" $way 2>&1)"
	done
	# an offset, applied once: ten years back
	check_eq "clock_gettime under -3650d" "$(date -d '-3650 days' +%Y)" "$(run --time -3650d -- "$VC" clock_gettime 2>&1)"
}

# -t shows each call, as libc's would be; -c counts them
t_trace_and_count() {
	local out
	out=$(run -t=clock_gettime --time "$FROZEN" -- "$VC" clock_gettime 3 2>&1)
	check_eq "clock_gettime traced once a call" 3 \
		"$(grep -c "^clock_gettime(CLOCK_REALTIME, {tv_sec=$T0, tv_nsec=0}) = 0$" <<<"$out")"
	out=$(run -t=gettimeofday --time "$FROZEN" -- "$VC" gettimeofday 2 2>&1)
	check_eq "gettimeofday traced" 2 "$(grep -c "^gettimeofday({tv_sec=$T0, tv_usec=0}, NULL) = 0$" <<<"$out")"
	out=$(run -t=time --time "$FROZEN" -- "$VC" time 2 2>&1)
	check_eq "time traced" 2 "$(grep -c "^time(NULL) = $T0$" <<<"$out")"
	# the vDSO's clocks are library calls: the system-call layer's default
	# set is the system calls, so they are counted when named (strace -c
	# -e trace=clock_gettime); without the layer, in the default set too
	out=$(run -c -t=clock_gettime -- "$VC" clock_gettime 5 2>&1)
	check_has "-c counts the vDSO's calls" ' 5 +clock_gettime$' "$out"
	out=$(HIJACK_SYSCALLS=0 run -c -- "$VC" clock_gettime 5 2>&1)
	check_has "-c counts the vDSO's calls, libc only, by default" ' 5 +clock_gettime$' "$out"
}

# A program calling libc's clock functions: faked and seen once a call,
# never a second time through our vDSO entries (time and gettimeofday are
# IFUNCs resolved at their first call: libc's look-up then reads the
# changed table).
t_libc_once() {
	local way out
	for way in libc libc-gettimeofday libc-time; do
		out=$(run -t=clock_gettime,gettimeofday,time --time "$FROZEN" -- "$VC" $way 3 2>&1)
		check_eq "$way: traced once a call" 3 "$(grep -c "$T0" <<<"$out")"
		check_eq "$way: the fake year" "2001 2001 2001" "$(grep -v "$T0" <<<"$out" | tr '\n' ' ' | sed 's/ $//')"
		check_eq "$way under -3650d: offset once" "$(date -d '-3650 days' +%Y)" \
			"$(run --time -3650d -- "$VC" $way 2>&1)"
	done
}

# The vDSO's convention holds: a failure is -errno, errno untouched,
# whether the kernel or --inject made it
t_errors() {
	check_eq "bad clock, bare" "-22 1234" "$("$VC" errors)"
	check_eq "bad clock, under --time" "-22 1234" "$(run --time "$FROZEN" -- "$VC" errors 2>&1)"
	local out
	out=$(run -t=clock_gettime -- "$VC" errors 2>&1)
	check_has "bad clock traced" '^clock_gettime\(0x3039 /\* CLOCK_\?\?\? \*/, 0x[0-9a-f]+\) = -1 EINVAL' "$out"
	check_eq "injected EPERM" "-1 1234" "$(run --inject clock_gettime:error=EPERM -- "$VC" errors 2>&1)"
}

# Other vDSOs: none (AT_SYSINFO_EHDR 0), bytes that are no ELF, an address
# with no page: left alone, silently; libc's path is still faked.
# A private copy: changed through mprotect, its protection given back.
# A copy nobody may write: said once for the run, left as it was.
t_other_vdsos() {
	local mode out
	for mode in none junk unmapped; do
		out=$(VDSO_AUX=$mode run --time "$FROZEN" -- "$VC" libc 2>&1)
		check_eq "vDSO $mode: libc's clock faked, nothing said" 2001 "$out"
	done
	check_eq "vDSO none: the program's own look-up" "no vdso" "$(VDSO_AUX=none run --time "$FROZEN" -- "$VC" time 2>&1)"
	check_eq "private copy, bare" "image r-xp" "$(VDSO_AUX=copy "$VC" where)"
	check_eq "private copy: the look-up leads to us, r-x again" "$LIB r-xp" \
		"$(VDSO_AUX=copy run --time "$FROZEN" -- "$VC" where 2>&1)"
	out=$(VDSO_AUX=shared run --time "$FROZEN" -- sh -c "$VC where; $VC libc" 2>&1)
	check_eq "unwritable copy: said once for the run" 1 "$(grep -c "cannot change the vDSO's symbol table" <<<"$out")"
	check_has "unwritable copy: why" "mprotect: Permission denied; writing /proc/self/mem: " "$out"
	check_has "unwritable copy: left alone" '^image r-xs$' "$out"
	check_has "unwritable copy: libc's clock still faked" '^2001$' "$out"
	check_lacks "unwritable copy: the run's directory removed" "left in place" "$out"
}

# Each exec'd process changes its own vDSO; a forked one inherits it
t_children() {
	check_eq "exec'd children" "2001 2001" \
		"$(run --time "$FROZEN" -- sh -c "$VC clock_gettime; $VC time" 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	check_eq "--no-follow: a child runs bare" "$YEAR" \
		"$(run --no-follow --time "$FROZEN" -- sh -c "$VC clock_gettime" 2>&1)"
}

GO=$(command -v go || ls /usr/lib/go/bin/go 2>/dev/null)
go_build() {	# go_build NAME: $BIN/NAME from $SRC/NAME.go
	[ -x "$BIN/$1" ] && return
	(cd "$BIN" && GOCACHE=$BIN/gocache GOPATH=$BIN/gopath GO111MODULE=off GOFLAGS= \
		timeout 300 "$GO" build -o "$BIN/$1" "$SRC/$1.go") || fail "go build $1.go"
}

# Go linked with cgo reads the fake clock, on many threads at once; Go
# without cgo is static: hijack says it cannot hook it, and it runs.
t_go() {
	if [ -z "$GO" ]; then
		echo "SKIP [$current] go is not installed (Debian golang-go)"
		return
	fi
	go_build cgo && go_build pure || return
	check_eq "cgo bare" "$YEAR" "$("$BIN/cgo")"
	check_eq "cgo under --time" 2001 "$(run --time "$FROZEN" -- "$BIN/cgo" 2>&1)"
	check_eq "cgo under -3650d" "$(date -d '-3650 days' +%Y)" "$(run --time -3650d -- "$BIN/cgo" 2>&1)"
	check_eq "cgo, 8 goroutines under --time" 2001 "$(run --time "$FROZEN" -- "$BIN/cgo" 8 2>&1)"
	check_has "cgo: Go's clock reads traced" '^clock_gettime\(CLOCK_MONOTONIC, ' \
		"$(run -t=clock_gettime -- "$BIN/cgo" 2>&1)"
	local out
	# the system-call layer is not armed for Go (an open crash), and says so
	out=$(timeout 60 "$HIJACK" run -- "$BIN/cgo" 2>&1)
	check_has "cgo: the layer off, said" "system-call layer is off \(a Go program" "$out"
	out=$(run --time "$FROZEN" -- "$BIN/pure" 2>&1)
	check_has "pure Go: said" "pure is statically linked: no dynamic loader to preload us; its calls cannot be hooked" "$out"
	check_has "pure Go: runs, on the real clock" "^$YEAR\$" "$out"
}

run_tests t_direct t_trace_and_count t_libc_once t_errors t_other_vdsos t_children t_go
summary vdso
