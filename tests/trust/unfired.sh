#!/bin/bash
# Rules that never fire say so; path: means one thing everywhere.
source "$(dirname "$0")/../lib.sh"

# sort reads through stdio: the libc layer (HIJACK_SYSCALLS=0) does not
# see that read, the issue's own case; the system-call layer does
t_inject_never_called() {
	printf 'b\na\n' > in
	local err
	err=$(HIJACK_SYSCALLS=0 timeout 60 "$HIJACK" run --inject read:error=EIO -- sort in 2>&1 >/dev/null)
	check_has "the spec is named, with the reason" '^hijack: --inject read:error=EIO never fired: no process called read through libc' "$err"
	err=$(HIJACK_SYSCALLS=0 timeout 60 "$HIJACK" run --quiet --inject read:error=EIO -- sort in 2>&1 >/dev/null)
	check_eq "--quiet says nothing" "" "$err"
	# the layer sees stdio's read: the injection fires
	err=$(timeout 60 "$HIJACK" run --inject read:error=EIO -- sort in 2>&1 >/dev/null)
	check_has "stdio's read failed" 'Input/output error' "$err"
	check_lacks "and the spec is not named" 'never fired' "$err"
	# a system call sort never makes, by its libc name and by strace's
	err=$(timeout 60 "$HIJACK" run --inject fsync:error=EIO --inject pread:error=EIO -- sort in 2>&1 >/dev/null)
	check_has "the system call is named" '^hijack: --inject fsync:error=EIO never fired: no process made the fsync system call$' "$err"
	check_has "by strace's name" '^hijack: --inject pread:error=EIO never fired: no process made the pread64 system call$' "$err"
	err=$(timeout 60 "$HIJACK" run --quiet --inject fsync:error=EIO -- sort in 2>&1 >/dev/null)
	check_eq "--quiet says nothing (layer)" "" "$err"
	# a library-level call is called, not made
	err=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:fopen) { }' -e 'Hijack.on(:fsync, :getaddrinfo) { }' -- sort in 2>&1 >/dev/null)
	check_has "a libc function" '^hijack: rule at -e:1 \(on fopen\) never fired: no process called fopen$' "$err"
	check_has "both kinds" '^hijack: rule at -e:[0-9]+ \(on fsync, getaddrinfo\) never fired: no process made the fsync system call nor called getaddrinfo$' "$err"
}

t_fired_not_named() {
	echo hello > f
	local err out
	# a pipe for stdout: cat reads with read() (to a file it copies with copy_file_range)
	out=$(timeout 60 "$HIJACK" run --inject read:error=EIO -- cat f 2>err | cat)
	check_lacks "an injection that fired is not named" 'never fired' "$(cat err)"
	check_has "it did inject" 'Input/output error' "$(cat err)"
	err=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:open, :openat, path: "f") { |c| }' -- cat f 2>&1 >/dev/null)
	check_eq "a hook that fired is not named" "" "$err"
}

t_hook_path_never_matches() {
	printf '# a comment\n\nHijack.on(:open, :openat, path: "/etc/nope*") { |c| c.fail(:EIO) }\n' > x.rb
	local err
	err=$(timeout 60 "$HIJACK" run -s x.rb -- cat /etc/hostname 2>&1 >/dev/null)
	check_has "file:line, the rule and the reason" \
		"^hijack: rule at $PWD/x.rb:3 \(on open, openat, path: /etc/nope\*\) never fired: (open|openat|open and openat) (was|were) called, but the path never matched" "$err"
}

# a call that an earlier rule decided was made all the same: the reason
# says so, not "never called"
t_decided_first() {
	local err
	err=$(timeout 60 "$HIJACK" run --inject getppid:error=EPERM --inject getppid:error=ENOENT -- \
		python3 -c 'import os; os.getppid()' 2>&1 >/dev/null)
	check_has "a second spec on the same call" '^hijack: --inject getppid:error=ENOENT never fired: getppid was called, but an earlier rule' "$err"
	check_lacks "the first one fired" 'error=EPERM never fired' "$err"
	err=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(7) }' --inject getppid:error=ENOENT -- \
		python3 -c 'import os; os.getppid()' 2>&1 >/dev/null)
	check_has "a hook decided first" '^hijack: --inject getppid:error=ENOENT never fired: getppid was called, but an earlier rule' "$err"
}

# the whole tree counts: a rule that fires in a grandchild only fired
t_grandchild() {
	echo hello > f
	local err
	err=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:open, :openat, path: "f") { |c| }' \
		--inject "openat:error=EACCES:path=$PWD/f" -- sh -c 'sh -c "cat f"' 2>&1 >/dev/null)
	check_has "the injection was made in the grandchild" 'Permission denied' "$err"
	check_lacks "neither rule is named" 'never fired' "$err"
}

# find dies of SIGPIPE once head is gone: no destructor runs in it
t_sigpipe() {
	mkdir t
	local err
	# only find looks at ./t; /usr/share then gives it far more to print
	err=$(timeout 60 "$HIJACK" run -e "Hijack.on(\"%file\", path: \"$PWD/t\") { |c| }" -- \
		bash -c 'find "$PWD/t" /usr/share | head -1 >/dev/null; echo "find: ${PIPESTATUS[0]}" >&2' 2>&1)
	check_has "find was killed by SIGPIPE" '^find: 141$' "$err"
	check_lacks "its rule fired" 'never fired' "$err"
}

t_output_file() {
	local err
	err=$(timeout 60 "$HIJACK" run -t -c -o trace.txt --inject 'write:error=EIO:path=/nowhere' -- cat /etc/hostname 2>&1 >/dev/null)
	check_eq "nothing on stderr with -o" "" "$err"
	check_has "the report is in the -o file" '^hijack: --inject write:error=EIO:path=/nowhere never fired: write was called, but the path never matched' "$(cat trace.txt)"
	check_has "the trace is still there" '^openat\(AT_FDCWD, "/etc/hostname"' "$(cat trace.txt)"
	check_has "and the summary" 'calls +errors' "$(cat trace.txt)"
}

t_recipes_named() {
	printf 'x = 1\nHijack::Chaos.fail(:unlink, :unlinkat, errno: :EIO, path: "/nowhere")\n' > s.rb
	local err
	err=$(timeout 60 "$HIJACK" run -s s.rb --readonly /nowhere2 --deny network -- sh -c 'echo hi > o; rm o' 2>&1 >/dev/null)
	check_has "a recipe call by its line" "^hijack: Hijack::Chaos.fail at $PWD/s.rb:2 never fired: unlinkat was called, but the path never matched" "$err"
	check_has "a shortcut by its option" '^hijack: --readonly /nowhere2 never fired' "$err"
	# network's calls are system calls: none made
	check_has "--deny too" '^hijack: --deny network never fired: no process made the socket, .* system call$' "$err"
	check_eq "one line a rule" 3 "$(grep -c 'never fired' <<<"$err")"
}

# a rule whose calls another's hooks serve is not named falsely
t_no_false_report() {
	mkdir -p a/x b/x
	local err
	err=$(timeout 60 "$HIJACK" run --redirect "$PWD/a=$PWD/b" --readonly "$PWD/a/x" -- touch a/x/f 2>&1)
	check_has "readonly held through the redirect" 'Read-only file system' "$err"
	check_lacks "and is not said to have never fired" 'never fired' "$err"
}

# (:openat is the openat system call: glibc's open() makes it)
t_json() {
	"$HIJACK" run --json -o calls.jsonl -e 'Hijack.on(:openat, path: "/nope\"") { }' -- cat /etc/hostname >/dev/null
	check_eq "with --json, a JSON line" '["rule at -e:1 (on openat, path: /nope\")", "openat was called, but the path never matched"]' 		"$(python3 -c 'import json, sys
for l in open("calls.jsonl"):
	o = json.loads(l)
	if "never_fired" in o: print(json.dumps([o["never_fired"], o["reason"]]))')"
}

# path: "/tmp/x/*" and "/tmp/x" both cover the files under /tmp/x
t_disk_full_forms() {
	mkdir -p d/sub
	local form out
	for form in "$PWD/d/*" "$PWD/d" "$PWD/d/" d; do
		out=$(timeout 60 "$HIJACK" run -e "Hijack::Chaos.disk_full(path: \"$form\", after_bytes: 0)" -- \
			sh -c 'echo hi > d/sub/f && echo written' 2>&1)
		check_has "disk_full(path: \"$form\") fails the write" 'I/O error|No space left' "$out"
		check_lacks "disk_full(path: \"$form\")" 'written' "$out"
	done
	out=$(timeout 60 "$HIJACK" run -e "Hijack::Chaos.disk_full(path: \"$PWD/d\", after_bytes: 0)" -- \
		sh -c 'echo hi > dx && echo written' 2>&1)
	check_has "a sibling with the same prefix is not under it" 'written' "$out"
}

t_hook_directory() {
	mkdir -p d/a/b
	echo x > d/a/b/f
	echo y > dy
	local out
	out=$(timeout 60 "$HIJACK" run -e "Hijack.on(:open, :openat, path: \"$PWD/d\") { |c| c.fail(:EACCES) }" -- \
		sh -c 'cat d/a/b/f; cat dy' 2>&1)
	check_has "a file under the directory is covered" 'd/a/b/f: Permission denied' "$out"
	check_has "a path that only shares the prefix is not" '^y$' "$out"
	out=$(timeout 60 "$HIJACK" run --inject "openat:error=EACCES:path=$PWD/d/" -- cat d/a/b/f 2>&1)
	check_has "--inject path= takes a directory too" 'Permission denied' "$out"
	out=$(timeout 60 "$HIJACK" run --readonly "$PWD/d/*" -- touch d/a/new 2>&1)
	check_has "--readonly DIR/* is the tree DIR" 'Read-only file system' "$out"
	out=$(timeout 60 "$HIJACK" run --readonly "$PWD/d/a*" -- true 2>&1; echo "status $?")
	check_has "a glob FS cannot serve is refused" 'not a glob' "$out"
	check_has "with status 2" 'status 2' "$out"
}

run_tests t_inject_never_called t_fired_not_named t_hook_path_never_matches t_decided_first t_grandchild t_sigpipe \
	t_output_file t_recipes_named t_no_false_report t_json t_disk_full_forms t_hook_directory
summary unfired
