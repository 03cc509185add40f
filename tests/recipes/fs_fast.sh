#!/bin/bash
# Hijack::FS's path maps applied in C (src/core/fsfast.c): the same
# answers as its Ruby hooks (fs.rb's apply) give, on a corpus of calls
# (tests/recipes/fs_fast/probe.c), under the system-call layer and
# without it; and a user's hook, -t, -c and --inject still see or change
# the call. The Ruby way is forced with a no-op hook on every call FS
# maps; that the C way was taken is seen by counting fs.rb's apply.
source "$(dirname "$0")/../lib.sh"
SRC=$(cd "$(dirname "$0")" && pwd)/fs_fast
T="timeout 60"
# every call of FS's groups: a hook of the user's on each sends it the Ruby way
ALL='Hijack::FS::GROUPS.flat_map { |g| g[1] }.uniq'
RUBY_WAY="Hijack.on(*$ALL) { }"
# counts fs.rb's apply, said at exit: 0 when C applied every map. But
# on utimensat, where FS.readonly's own hook for futimens (not a map) is
# on every call and sends it the Ruby way, with FS's maps.
COUNT_APPLY='$fs_applied = 0
module Hijack::FS
  class << self
    alias_method :__counted_apply, :apply
    def apply(call, kind, args); $fs_applied += 1 unless call.name == :utimensat; __counted_apply(call, kind, args); end
  end
end
Hijack.at_exit { $stderr.puts "applied=#{$fs_applied}" if Hijack.pid == $fs_pid }
$fs_pid = Hijack.pid'

# a path below real/ longer than dispatch's room for a rewritten path
LONG=$(printf 'd%.0s' {1..120})/$(printf 'e%.0s' {1..120})/$(printf 'f%.0s' {1..120})/$(printf 'g%.0s' {1..120})
make_trees() {
	mkdir -p "$1" && cd "$1" || return 1
	mkdir -p real/sub from/sub fromx home/box hid hidx ro
	echo real-f >real/f
	echo real-g >real/sub/g
	echo from-f >from/f
	echo from-g >from/sub/g
	echo fromx-f >fromx/f
	echo fro >fro
	echo home-x >home/x
	echo box-x >home/box/x
	echo h >hid/h
	echo h >hidx/h
	echo s >real/secret
	echo ro-w >ro/w
	touch real/only-real from/only-from
	ln -s f real/ln
	ln -s ../fromx real/up
	ln -s from alias
	ln -s /dev/null ro/null
	mkdir -p "real/$LONG" && echo long >"real/$LONG/f"
	cd ..
}

FS_OPTS=(--redirect from=real --redirect chain=from --redirect home=home/box --hide hid --hide real/secret --readonly ro)

# probe WAY LAYER: the corpus in a fresh tree WAY-LAYER, the maps applied
# the WAY (c or ruby), with the system-call layer on (1) or off (0)
probe() {
	local dir=$1-$2 top=$PWD extra=()
	[ "$1" = ruby ] && extra=(-e "$RUBY_WAY")
	make_trees "$dir" || return
	(cd "$dir" && HIJACK_SYSCALLS=$2 $T "$HIJACK" run --quiet "${FS_OPTS[@]}" -e "$COUNT_APPLY" "${extra[@]}" -- "$top/probe" "$LONG/f" 2>"$top/$dir.err")
}

test_corpus() {
	cc -O2 -Wall -pthread -o probe "$SRC/probe.c" || { fail "cc probe.c"; return; }
	local layer c r
	for layer in 1 0; do
		c=$(probe c $layer)
		r=$(probe ruby $layer)
		check_eq "layer $layer: C and Ruby give the same answers" "$r" "$c"
		check_has "layer $layer: C applied the maps (no apply in Ruby)" '^applied=0$' "$(cat c-$layer.err)"
		check_has "layer $layer: the Ruby way was Ruby's" '^applied=[1-9]' "$(cat ruby-$layer.err)"
		# and the answers are the recipe's, not only the same twice
		check_has "layer $layer: redirected" "^stat from/f: 7$" "$c"
		check_has "layer $layer: .. folded" "^stat ./from/../from/./f: 7$" "$c"
		check_has "layer $layer: trailing slash kept" "^stat from/f/: ENOTDIR$" "$c"
		check_has "layer $layer: a sibling with the same prefix left alone" "^stat fromx/f: 8$" "$c"
		check_has "layer $layer: only in FROM is not there" "^open from/only-from: ENOENT$" "$c"
		check_has "layer $layer: dirfd" "^openat d from/f: 'real-f'$" "$c"
		check_has "layer $layer: dirfd on a sibling" "^openat fromx-fd ../from/f: 'real-f'$" "$c"
		check_has "layer $layer: by name, not through a link" "^open alias/f \(a link to from\): 'from-f'$" "$c"
		check_has "layer $layer: a chain" "^open chain/f: 'real-f'$" "$c"
		check_has "layer $layer: TO inside FROM" "^open home/x: 'box-x'$" "$c"
		check_has "layer $layer: TO inside FROM stays" "^open home/box/x: 'box-x'$" "$c"
		check_has "layer $layer: hidden" "^stat hid/h: ENOENT$" "$c"
		check_has "layer $layer: hidden in TO" "^open from/secret \(hidden in TO\): ENOENT$" "$c"
		check_has "layer $layer: read-only" "^open ro/w O_WRONLY: EROFS$" "$c"
		check_has "layer $layer: read-only, exists first" "^chmod ro/none: ENOENT$" "$c"
		check_has "layer $layer: writes land in TO" "^stat real/m: 0$" "$c"
		check_has "layer $layer: fork" "^child stat from/f: 7$" "$c"
		check_has "layer $layer: a long path" "^open from/<long path>: 'long'$" "$c"
		check_has "layer $layer: a long path, trailing slash" "^stat from/<long path>/: ENOTDIR$" "$c"
		check_has "layer $layer: exec" "^real-g$" "$c"
		check_eq "layer $layer: threads" 3 "$(grep -c '^thread: redirected stats: 2000$' <<<"$c")"
	done
}

# stat_of ARGS...: `stat -c %s from/f` under FS's options and ARGS
stat_of() { $T "$HIJACK" run --quiet "${FS_OPTS[@]}" "$@" -- stat -c %s from/f 2>&1; }

test_user_hook_and_output() {
	make_trees t || return
	cd t || return
	local out
	# a user's before hook on the call: it runs (after FS's, as before)
	out=$(stat_of -e 'Hijack.on(:stat, :newfstatat, :statx) { |c| c.fail(:EACCES) if c.path.to_s.end_with?("real/f") }')
	check_has "a user's hook sees the rewritten path and fails it" "Permission denied" "$out"
	# a user's after hook alone: FS's before hooks in C, the hook sees their work
	out=$(stat_of -e 'Hijack.after(:stat, :newfstatat, :statx) { |c| $stderr.puts "after: #{c.path}" if c.path.to_s.include?("/f") }')
	check_has "an after hook sees the rewritten path" "^after: .*/real/f$" "$out"
	check_has "... and the call answered" "^7$" "$out"
	# -t: the trace shows the path the kernel got, both ways
	local tc tr
	tc=$(stat_of -t 2>&1 | grep -E '(stat|statx)\(.*/f"' | sed 's/ *= .*//; s/^[0-9]* //')
	tr=$(stat_of -t -e "$RUBY_WAY" 2>&1 | grep -E '(stat|statx)\(.*/f"' | sed 's/ *= .*//; s/^[0-9]* //')
	check_has "-t shows the rewritten path" 'real/f"' "$tc"
	check_eq "-t: the same line both ways" "$tr" "$tc"
	# -c: the call counted both ways
	local cc cr
	cc=$(stat_of -c 2>&1 | grep -E ' (newfstatat|statx|stat)$' | awk '{ print $(NF-1), $NF }')
	cr=$(stat_of -c -e "$RUBY_WAY" 2>&1 | grep -E ' (newfstatat|statx|stat)$' | awk '{ print $(NF-1), $NF }')
	check_has "-c counts the call" '[0-9]' "$cc"
	check_eq "-c: the same counts both ways" "$cr" "$cc"
	# --inject on the rewritten path: it sees the path FS made
	out=$(stat_of --inject 'stat,newfstatat,statx:error=EIO:path=*/real/f')
	check_has "--inject sees the rewritten path" "Input/output error" "$out"
	out=$(stat_of --inject 'stat,newfstatat,statx:error=EIO:path=*/from/f')
	check_eq "--inject does not see the program's own path" 7 "$out"
	# a hidden path fails before anything else sees it, both ways
	out=$($T "$HIJACK" run --quiet "${FS_OPTS[@]}" -t -- stat -c %s hid/h 2>&1)
	check_has "-t shows the hidden path's ENOENT" 'hid/h".*ENOENT' "$out"
	cd ..
}

# FS.file: a path it serves, reached through a redirect, is Ruby's (the
# copy is made there); the C way hands it over whole
test_virtual_file() {
	local way out=() vf='Hijack::FS.file(File.expand_path("real/virt"), "virtual\n")'
	for way in c ruby; do
		make_trees "$way" || return
		local extra=()
		[ "$way" = ruby ] && extra=(-e "$RUBY_WAY")
		out+=("$(cd "$way" && $T "$HIJACK" run --quiet "${FS_OPTS[@]}" -e "$vf" "${extra[@]}" -- sh -c 'cat from/virt from/f; cat from/virt/x' 2>&1)")
	done
	check_eq "a virtual file behind a redirect, both ways" "${out[1]}" "${out[0]}"
	check_has "... served" "^virtual$" "${out[0]}"
	check_has "... and the redirect beside it" "^real-f$" "${out[0]}"
}

run_tests test_corpus test_user_hook_and_output test_virtual_file
summary fs_fast
