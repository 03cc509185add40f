#!/bin/bash
# Hijack::Sandbox.allow checked in the process: without --enforce each
# call the policy would refuse is logged once ("would refuse") and
# allowed; where the kernel holds the rules (Hijack.enforcing?, which the
# launcher's --enforce sets with HIJACK_ENFORCE) it fails with EACCES.
# The enforced half here sets HIJACK_ENFORCE by hand: it tests the
# in-process layer alone, not the kernel's rules.
source "$(dirname "$0")/../lib.sh"

# what any program needs to start and run, for policies that name read:
SYSTEM='"/usr/**", "/lib/**", "/lib64/**", "/etc/**", "/proc/**", "/dev/**"'

# run_policy RUBY -- COMMAND...: output and status of the run (stderr too)
run_policy() {
	local ruby=$1
	shift 2
	timeout 20 "$HIJACK" run -e "$ruby" -- "$@" 2>&1
}

test_read_advisory() {
	echo secret >s.txt
	echo open >o.txt
	local out status
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/o.txt\"])" -- cat o.txt s.txt s.txt)
	status=$?
	check_eq "advisory: cat runs as usual" 0 "$status"
	check_has "the allowed file is read" "^open$" "$out"
	check_has "the refused file is read too (advisory)" "^secret$" "$out"
	check_has "the refusal is logged" "hijack: policy: would refuse openat \"$PWD/s.txt\" \(read: not allowed\)" "$out"
	check_eq "logged once per path and process" 1 "$(grep -c 'would refuse' <<<"$out")"
	check_lacks "the allowed file is not logged" "o.txt" "$(grep 'would refuse' <<<"$out")"
}

test_write_implies_read() {
	mkdir out
	echo x >out/f
	local out
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM], write: [\"$PWD/out/**\"])" -- cat out/f)
	check_lacks "what may be written may be read (as the kernel's rules have it)" "would refuse" "$out"
}

test_read_missing_is_the_kernels() {
	local out
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM])" -- cat /nonexistent/x)
	check_has "ENOENT as ever" "No such file" "$out"
	check_lacks "nothing there: nothing to refuse" "would refuse" "$out"
}

test_read_enforced() {
	echo secret >s.txt
	local out status
	out=$(HIJACK_ENFORCE=1 run_policy "Hijack::Sandbox.allow(read: [$SYSTEM])" -- cat s.txt)
	status=$?
	check_eq "cat fails" 1 "$status"
	check_has "with EACCES" "s.txt: Permission denied" "$out"
	check_has "logged as refused" "hijack: policy: refused openat \"$PWD/s.txt\" \(read: not allowed\)" "$out"
	check_lacks "the secret stays" "^secret$" "$out"
}

test_write_kinds() {
	mkdir out other
	echo x >other/old
	echo y >other/gone
	ln -s /nonexistent other/dangling
	local py='
import os
def tr(name, f):
    try: f(); print(name, "ok")
    except OSError as e: print(name, e.errno)
tr("create", lambda: open("other/new", "w").close())
tr("append", lambda: open("other/old", "a").close())
tr("read", lambda: open("other/old").close())
tr("mkdir", lambda: os.mkdir("other/d"))
tr("mkfifo", lambda: os.mkfifo("other/fifo"))
tr("symlink", lambda: os.symlink("x", "other/sym"))
tr("link", lambda: os.link("other/old", "other/hard"))
tr("rename", lambda: os.rename("other/gone", "out/gone"))
tr("unlink", lambda: os.unlink("other/dangling"))
tr("truncate", lambda: os.truncate("other/old", 0))
tr("chmod", lambda: os.chmod("other/old", 0o600))
tr("utime", lambda: os.utime("other/old"))
tr("inside", lambda: open("out/f", "w").close())
tr("inside-mkdir", lambda: os.mkdir("out/sub"))
'
	local out
	out=$(run_policy 'Hijack::Sandbox.allow(write: ["out/**"])' -- /usr/bin/python3 -c "$py")
	for what in create append mkdir mkfifo symlink link rename unlink truncate chmod utime inside inside-mkdir read; do
		check_has "advisory: $what goes through" "^$what ok$" "$out"
	done
	local log
	log=$(grep 'would refuse' <<<"$out")
	check_has "create logged" "openat \"$PWD/other/new\" \(write" "$log"
	check_has "append logged" "openat \"$PWD/other/old\" \(write" "$log"
	check_has "mkdir logged" "mkdir(at)? \"$PWD/other/d\"" "$log"
	check_has "mkfifo logged" "mknod(at)? \"$PWD/other/fifo\"" "$log"
	check_has "symlink logged" "symlink(at)? \"$PWD/other/sym\"" "$log"
	check_has "link logged" "link(at)? \"$PWD/other/hard\"" "$log"
	check_has "rename logged (its old name)" "rename(at2?)? \"$PWD/other/gone\"" "$log"
	check_has "unlink logged" "unlink(at)? \"$PWD/other/dangling\"" "$log"
	check_lacks "inside the tree: nothing" "$PWD/out" "$log"
	check_lacks "a read is not a write" "openat \"$PWD/other/old\" \(read" "$log"
	# enforced: each refused with EACCES (13), the tree still written
	rm -rf out other
	mkdir out other
	echo x >other/old
	echo y >other/gone
	ln -s /nonexistent other/dangling
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.allow(write: ["out/**"])' -- /usr/bin/python3 -c "$py")
	for what in create append mkdir mkfifo symlink link rename unlink truncate chmod utime; do
		check_has "enforced: $what refused with EACCES" "^$what 13$" "$out"
	done
	check_has "enforced: inside the tree works" "^inside ok$" "$out"
	check_has "enforced: a directory inside too" "^inside-mkdir ok$" "$out"
	check_has "enforced: reads are not write's business" "^read ok$" "$out"
	check_eq "the refused file was not made" no "$([ -e other/new ] && echo yes || echo no)"
}

test_exec() {
	local out
	out=$(run_policy 'Hijack::Sandbox.allow(exec: ["/usr/bin/sh", "/bin/sh", "/usr/bin/true"])' -- sh -c 'true; ls >/dev/null; echo done')
	check_has "advisory: ls runs" "^done$" "$out"
	check_has "ls logged" "would refuse execve \"/usr/bin/ls\" \(exec: not allowed\)" "$out"
	check_lacks "true is allowed" "/usr/bin/true" "$out"
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.allow(exec: ["/usr/bin/sh", "/bin/sh"])' -- sh -c 'ls; echo status $?')
	check_has "enforced: sh cannot run ls" "ls: Permission denied" "$out"
	check_has "126, as for EACCES" "^status 126$" "$out"
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.allow(exec: ["/usr/bin/*"])' -- /usr/bin/python3 -c '
import subprocess
print(subprocess.run(["/usr/bin/true"]).returncode)
try: subprocess.run(["/bin/true"])
except PermissionError as e: print("denied", e.errno)')
	check_has "a glob names /usr/bin's programs" "^0$" "$out"
	check_has "/bin/true is another path" "^denied 13$" "$out"
}

test_connect() {
	local py='
import socket
def tr(name, addr, fam=socket.AF_INET):
    s = socket.socket(fam)
    try: s.connect(addr); print(name, "ok")
    except OSError as e: print(name, e.errno)
tr("nine", ("127.0.0.1", 9))
tr("ten", ("127.0.0.1", 10))
tr("unix", "/tmp/hijack-test-no.sock", socket.AF_UNIX)
'
	local out
	out=$(run_policy 'Hijack::Sandbox.allow(connect: ["127.0.0.1:9"])' -- /usr/bin/python3 -c "$py")
	check_has "advisory: the connect is made (refused by nobody listening)" "^ten 111$" "$out"
	check_has "127.0.0.1:10 logged" "would refuse connect \"127.0.0.1:10\" \(connect: not allowed\)" "$out"
	check_has "a unix socket logged" "would refuse connect \"/tmp/hijack-test-no.sock\"" "$out"
	check_lacks "the allowed peer is not" "127.0.0.1:9\"" "$out"
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.allow(connect: ["127.0.0.1:*", "/tmp/**"])' -- /usr/bin/python3 -c "$py")
	check_has "host:* allows every port" "^ten 111$" "$out"
	check_has "a unix path by its tree" "^unix 2$" "$out"
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.allow(connect: [])' -- /usr/bin/python3 -c "$py")
	check_has "an empty list refuses all" "^nine 13$" "$out"
}

test_globs() {
	mkdir -p data/sub
	echo a >data/a.txt
	echo b >data/sub/b.txt
	echo c >data/c.csv
	local out
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/data/*.txt\"])" -- cat data/a.txt data/sub/b.txt data/c.csv)
	check_lacks "'*' matches a name" "data/a.txt" "$(grep 'would refuse' <<<"$out")"
	check_has "'*' stays within one name" "would refuse openat \"$PWD/data/sub/b.txt\"" "$out"
	check_has "and within its pattern" "would refuse openat \"$PWD/data/c.csv\"" "$out"
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/data/**\"])" -- sh -c 'cat data/sub/b.txt; ls data >/dev/null')
	check_lacks "DIR/** holds DIR and all under it" "would refuse" "$out"
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/*/sub/**\"])" -- cat data/sub/b.txt data/a.txt)
	check_lacks "'*' in the middle" "b.txt" "$(grep 'would refuse' <<<"$out")"
	check_has "... and only there" "would refuse openat \"$PWD/data/a.txt\"" "$out"
}

test_relative_paths() {
	mkdir -p data other
	echo a >data/a
	echo b >other/b
	local out
	# (a relative pattern is taken against the working directory where
	# the script loads: the run's, in the first process)
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"data/**\"])" -- /usr/bin/python3 -c '
import os
os.chdir("data")
open("a").close()
open("../other/b").close()')
	check_lacks "a relative pattern is taken against the cwd" "data/a" "$(grep 'would refuse' <<<"$out")"
	check_has "a relative path the program gives is made absolute" "would refuse openat \"$PWD/other/b\"" "$out"
}

test_allow_with_deny() {
	mkdir out
	local out
	out=$(HIJACK_ENFORCE=1 run_policy 'Hijack::Sandbox.deny(:network); Hijack::Sandbox.allow(write: ["out/**"])' -- /usr/bin/python3 -c '
import socket
try: socket.socket()
except PermissionError as e: print("socket", e.errno)
open("out/x", "w").close(); print("inside ok")
try: open("y", "w")
except PermissionError as e: print("outside", e.errno)')
	check_has "deny still refuses" "^socket 13$" "$out"
	check_has "allow lets its tree be written" "^inside ok$" "$out"
	check_has "and refuses the rest" "^outside 13$" "$out"
	out=$(timeout 20 "$HIJACK" run -e 'Hijack::Sandbox.deny(:network); Hijack::Sandbox.allow(write: ["/tmp/**"], connect: []); Hijack.log Hijack::Sandbox.plan' -- true 2>&1)
	check_has "the kernel's plan: the deny" "^deny network$" "$out"
	check_has "the kernel's plan: the allow" "^write /tmp/\*\*$" "$out"
}

test_calls() {
	local out
	out=$(run_policy 'Hijack::Sandbox.allow(calls: %w[read write openat close execve brk mmap munmap mprotect newfstatat exit_group pread64 access arch_prctl])' -- cat /etc/hostname)
	check_has "advisory: cat runs" "^$(cat /etc/hostname)$" "$out"
	check_has "a call outside the list is logged by name" "would refuse [a-z0-9_]+ \(calls: not allowed\)" "$out"
	check_lacks "read is in the list" "would refuse read " "$out"
	check_lacks "openat is in the list" "would refuse openat" "$out"
}

test_unnamed_kinds_free() {
	local out
	out=$(timeout 20 "$HIJACK" run -e 'Hijack::Sandbox.allow(write: ["/tmp/nowhere/**"]); Hijack.at_exit { }' -- cat /etc/hostname 2>&1)
	check_lacks "reads are not write's business" "would refuse" "$out"
	out=$(timeout 20 "$HIJACK" check /dev/stdin <<<'Hijack::Sandbox.allow(write: ["/tmp/**"])' 2>&1)
	check_lacks "no exec hook for a policy without exec:" "execve" "$out"
	check_lacks "no connect hook either" "connect" "$out"
}

# The allowed trees and files are let through in C, without Ruby: what
# C lets through must be what the policy allows, and nothing more.
test_c_filter_exact() {
	mkdir -p data
	echo s >s.txt
	echo a >data/a
	local out
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/data/**\"])" -- cat data/../s.txt "$PWD/data/../s.txt" data/a)
	check_has "a path through .. out of the tree is not in it" "would refuse openat \"$PWD/s.txt\"" "$out"
	check_lacks "the tree itself is" "data/a" "$(grep 'would refuse' <<<"$out")"
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/data\"])" -- sh -c 'ls data >/dev/null; cat data/a')
	check_lacks "an exact directory: itself" "\"$PWD/data\"" "$(grep 'would refuse' <<<"$out")"
	check_has "an exact directory: nothing under it" "would refuse openat \"$PWD/data/a\"" "$out"
	out=$(run_policy "Hijack::Sandbox.allow(read: [$SYSTEM, \"$PWD/s.txt\"])" -- cat s.txt data/a)
	check_lacks "an exact file" "s.txt" "$(grep 'would refuse' <<<"$out")"
	check_has "and only it" "would refuse openat \"$PWD/data/a\"" "$out"
}

test_rename_out_of_the_tree() {
	mkdir -p ok no
	echo x >ok/f
	local out
	out=$(run_policy "Hijack::Sandbox.allow(write: [\"$PWD/ok/**\"])" -- mv "$PWD/ok/f" "$PWD/no/f")
	check_has "a rename from an allowed tree to another is checked for both names" \
		"would refuse renameat2? \"$PWD/no/f\"" "$out"
}

run_tests test_rename_out_of_the_tree test_c_filter_exact test_write_implies_read test_read_advisory test_read_missing_is_the_kernels test_read_enforced test_write_kinds test_exec \
	test_connect test_globs test_relative_paths test_allow_with_deny test_calls test_unnamed_kinds_free
summary allow
