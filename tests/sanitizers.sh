#!/bin/bash
# The checked builds: unit tests and the launcher under ASan+UBSan, the
# library under UBSan through the end-to-end suite, and valgrind memcheck
# over the launcher and a few real programs with the library preloaded.
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh
J=$(nproc)

# unit tests under ASan + UBSan
out=$(SAN_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" tests/unit/run 2>&1)
current=asan-unit
check_has "unit tests under ASan/UBSan" '^unit: [0-9]+ passed, 0 failed$' "$out"

# the launcher under ASan + UBSan (the library it preloads stays plain)
make -s -j"$J" B=build-asan EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	EXTRA_LDFLAGS="-fsanitize=address,undefined" build-asan/hijack >/dev/null || fail "asan build"
A=$PWD/build-asan/hijack
export HIJACK_LIBRARY=$PWD/build/libhijack.so
# the launcher keeps its option strings until it exits, on purpose
export ASAN_OPTIONS=detect_leaks=0
current=asan-launcher
tmp=$(mktemp -d) && cd "$tmp" || exit 2
printf 'Hijack.on(:write, fd: 1..2, path: ["/a*", "/b"]) { |c| c.fail(:EIO) }\n' > ok.rb
printf 'Hijack.on(:write) {\n' > bad.rb
"$A" check ok.rb >/dev/null 2>err || fail "check: $(cat err)"
"$A" compile ok.rb -o ok.mrb 2>err || fail "compile: $(cat err)"
"$A" calls --json >/dev/null 2>err || fail "calls: $(cat err)"
"$A" check bad.rb >/dev/null 2>err; [ $? -eq 2 ] && ! grep -q Sanitizer err && pass || fail "check bad: $(cat err)"
"$A" run --inject 'write:error=EIO:when=2..9+2:path=/x*:probability=0.5' -c -o sum.txt -s ok.rb -e 'nil' -- true 2>err && pass || fail "run: $(cat err)"
"$A" run --inject 'write:when=x' -- true 2>err; grep -q Sanitizer err && fail "bad inject: $(cat err)" || pass
cd - >/dev/null && rm -rf "$tmp"
unset HIJACK_LIBRARY ASAN_OPTIONS

# the library (and launcher) under UBSan, through the e2e suite
make -s -j"$J" B=build-ubsan EXTRA_CFLAGS="-fsanitize=undefined -fno-sanitize-recover=all" \
	EXTRA_LDFLAGS="-fsanitize=undefined" build-ubsan/hijack build-ubsan/libhijack.so >/dev/null || fail "ubsan build"
current=ubsan-e2e
out=$(HIJACK=$PWD/build-ubsan/hijack tests/e2e/core.sh 2>&1)
check_has "e2e suite with a UBSan library" '^e2e: [0-9]+ passed, 0 failed$' "$out"
check_lacks "no UBSan report" 'runtime error' "$out"

# the library under ASan + UBSan, preloaded after ASan's runtime (which
# must come first), in real programs with every hook and the trace on
make -s -j"$J" B=build-asan EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	EXTRA_LDFLAGS="-fsanitize=address,undefined" build-asan/libhijack.so >/dev/null || fail "asan library build"
current=asan-library
tmp=$(mktemp -d) && cd "$tmp" || exit 2
seq 2000 > numbers
names=$("$OLDPWD/build/hijack" calls | awk '{ printf "%s:%s", sep, $1; sep = ", " }')
printf '$n = Hash.new(0)\nHijack.on(%s) { |c| $n[c.name] += 1; c.args }\nHijack.after("%%file", "%%desc") { |c| c.result; c.errno }\nHijack.at_exit { Hijack.log "calls #{$n.values.inject(0) { |a, b| a + b }}" }\n' "$names" > all.rb
asan_run() {	# asan_run CMD...: the program under the ASan library
	LD_PRELOAD="$(gcc -print-file-name=libasan.so):$OLDPWD/build-asan/libhijack.so" ASAN_OPTIONS=detect_leaks=0 \
		HIJACK_SCRIPT=$PWD/all.rb HIJACK_TRACE=all HIJACK_OUTPUT=$PWD/t.txt HIJACK_FOLLOW=0 "$@" >out 2>err
}
for prog in "sort -n numbers" "cat numbers" "ls -la ." "gzip -k numbers" "tar cf a.tar numbers" \
	"sh -c 'seq 100 | sort -r | head -3 > h'" "/usr/bin/python3 -c 'import json, threading; print(json.dumps([1]))'"; do
	rm -f numbers.gz
	eval "asan_run $prog"
	rc=$?
	[ $rc -eq 0 ] && ! grep -q 'Sanitizer\|runtime error' err && grep -q '^calls [1-9]' t.txt && pass ||
		fail "ASan library on '$prog' (status $rc): $(head -30 err)"
done
cd - >/dev/null && rm -rf "$tmp"

# valgrind memcheck: errors whose stack passes through our library
current=valgrind
tmp=$(mktemp -d) && cd "$tmp" || exit 2
seq 1000 > numbers
vg() { valgrind -q --error-exitcode=99 --trace-children=yes "$@"; }
printf '$n = Hash.new(0)\nHijack.on("%%file", "%%desc") { |c| $n[c.name] += 1; c.path if c.name == :openat }\nHijack.after(:read) { |c| c.buf }\nHijack.at_exit { Hijack.log $n.size.to_s }\n' > count.rb
for prog in "sort -n numbers" "cat numbers" "ls -la ." "gzip -c numbers" "git --version" "sqlite3 :memory: 'select 1'"; do
	LD_PRELOAD=$OLDPWD/build/libhijack.so HIJACK_SCRIPT=$PWD/count.rb HIJACK_TRACE=all HIJACK_OUTPUT=$PWD/t.txt \
		eval "valgrind -q --error-exitcode=99 $prog" >/dev/null 2>err
	rc=$?
	[ $rc -eq 0 ] && pass || fail "valgrind on '$prog' (status $rc): $(head -40 err)"
done
# valgrind makes the program's system calls from its own code, with every
# signal blocked: the layer stays off there (the libc layer's hooks only),
# and says so in the trace
rm -f t.txt
LD_PRELOAD=$OLDPWD/build/libhijack.so HIJACK_SCRIPT=$PWD/count.rb HIJACK_TRACE=all HIJACK_OUTPUT=$PWD/t.txt \
	timeout 300 valgrind -q cat numbers >out 2>err
check_eq "cat under valgrind: status" 0 "$?"
check_eq "cat under valgrind: its output" 1000 "$(wc -l <out)"
check_has "the layer says it is off" \
	"^hijack: the system-call layer is off \(valgrind does not support Syscall User Dispatch\)" "$(cat t.txt)"
check_has "the libc layer's hooks ran" '^(\[pid +[0-9]+\] )?[1-9][0-9]*$' "$(cat t.txt)"
vg "$OLDPWD/build/hijack" check count.rb >/dev/null 2>err && pass || fail "valgrind on hijack check: $(head -40 err)"
cd - >/dev/null && rm -rf "$tmp"

summary sanitizers
