#!/bin/bash
# The core, end to end, on real programs: what issue #2 must show.
. "$(dirname "$0")/../lib.sh"

# The first demo of the talk: Ruby's File.open fails with EACCES.
t_talk_demo() {
	cat > deny.rb <<'R'
Hijack.on(:open, :openat, path: "*my_file") { |call| call.fail(:EACCES) }
R
	out=$("$HIJACK" run -s deny.rb -- ruby -e 'File.open("my_file", "w+") { |f| f.write "hello!" }' 2>&1)
	check_eq "ruby exit status" 1 $?
	check_has "ruby raises" 'Errno::EACCES' "$out"
	check_eq "no file created" no "$([ -e my_file ] && echo yes || echo no)"
	# and without the hook the same program works
	ruby -e 'File.open("my_file", "w+") { |f| f.write "hello!" }'
	check_eq "bare run writes" "hello!" "$(cat my_file)"
}

# -t prints the calls as strace does.
t_trace_cat() {
	echo vm > host
	out=$("$HIJACK" run -t -o trace.txt -- cat host | cat)
	check_eq "cat output unchanged" vm "$out"
	tr=$(cat trace.txt)
	check_has "open line" '^openat\(AT_FDCWD, "host", O_RDONLY\) = 3$' "$tr"
	check_has "read line" '^read\(3, "vm\\n", [0-9]+\) = 3$' "$tr"
	check_has "write line" '^write\(1, "vm\\n", 3\) = 3$' "$tr"
	check_has "eof read" '^read\(3, "", [0-9]+\) = 0$' "$tr"
	check_has "close line" '^close\(3\) = 0$' "$tr"
	out=$("$HIJACK" run -t -o trace.txt -- cat nope 2>/dev/null)
	check_has "failure line" '^openat\(AT_FDCWD, "nope", O_RDONLY\) = -1 ENOENT \(No such file or directory\)$' "$(cat trace.txt)"
}

# The same lines strace prints for the same program.
t_trace_matches_strace() {
	command -v strace >/dev/null || { pass; return; }
	printf 'hello\tworld\n' > f
	strace -qq -e trace=read,write,close -o s.txt cat f | cat >/dev/null
	"$HIJACK" run -t=read,write,close -o h.txt -- cat f | cat >/dev/null
	# the loader's reads happen before any preload library can see them
	# strace pads to a column before " = "; the SPEC's form does not
	# (fclose(stdout)'s close(1) is stdio's internal close: no preload sees it)
	want=$(sed -n '/^read(3, "hello/,/^close(3)/p' s.txt | sed 's/) *= /) = /')
	got=$(sed -n '/^read(3, "hello/,/^close(3)/p' h.txt)
	check_eq "same lines as strace" "$want" "$got"
}

# a program that closes every descriptor, ours too, is still traced
t_trace_survives_closerange() {
	out=$("$HIJACK" run -t=write -- python3 -c 'import os; os.closerange(3, 1024); os.write(1, b"b\n")' 2>&1 >/dev/null)
	check_has "trace after closerange" '^write\(1, "b\\n", 2\) = 2$' "$out"
}

t_trace_json() {
	echo vm > host
	"$HIJACK" run --json -o trace.json -- cat host >/dev/null
	out=$(python3 - <<'P'
import json
calls = [json.loads(l) for l in open("trace.json")]
keys = {"ts", "pid", "tid", "call", "args", "ret", "errno", "dur_ns", "injected"}
assert all(keys <= set(c) for c in calls), "missing keys"
o = [c for c in calls if c["call"] == "openat" and c["args"]["path"] == "host"][0]
assert o["ret"] == 3 and o["errno"] is None and o["injected"] is False
assert isinstance(o["ts"], float) and o["dur_ns"] >= 0
# (the loader's reads of libraries come first: start-up is traced too)
r = [c for c in calls if c["call"] == "read" and c["args"]["buf"] == "vm\n"]
assert len(r) == 1, r
print("ok", len(calls))
P
)
	check_has "json lines parse" '^ok [0-9]+$' "$out"
}

t_trace_pid_prefix() {
	"$HIJACK" run -t=write -o t.txt -- sh -c 'echo a; (echo b)' >/dev/null
	check_has "child lines carry [pid N]" '^\[pid +[0-9]+\] write\(1, "b\\n", 2\) = 2' "$(cat t.txt)"
}

t_trace_exec() {
	"$HIJACK" run -t=execve -o t.txt -- sh -c '/nonexistent/x 2>/dev/null; ls >/dev/null'
	tr=$(cat t.txt)
	check_has "a failed exec: one line" '^\[pid +[0-9]+\] execve\("/nonexistent/x", \["/nonexistent/x"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = -1 ENOENT \(No such file or directory\)$' "$tr"
	check_has "an exec that works" '^\[pid +[0-9]+\] execve\("/usr/bin/ls", \["ls"\], 0x[0-9a-f]+ /\* [0-9]+ vars \*/\) = 0$' "$tr"
	check_eq "no line twice" 2 "$(wc -l < t.txt)"
}

# An exec that fails for want of its #! interpreter or its ELF loader
# shows one line, the failure: not a success first
t_trace_exec_missing_interpreter() {
	printf '#!/nonexistent\n' > bad.sh
	printf '#!/nonexistent' > bad2.sh	# no newline: the end of the file ends it
	printf '#!%s/bad.sh -x\n' "$PWD" > bad3.sh	# run by a script that cannot run
	cp /bin/true tru
	python3 - <<'P' || fail "patching tru"
import struct
d = bytearray(open("tru", "rb").read())
phoff, = struct.unpack_from("<Q", d, 0x20)
phentsize, phnum = struct.unpack_from("<HH", d, 0x36)
for i in range(phnum):
    typ, _, off, _, _, size = struct.unpack_from("<IIQQQQ", d, phoff + i * phentsize)
    if typ == 3:	# PT_INTERP: the same length, a loader that is not there
        d[off:off + size - 1] = (b"/nonexistent/" + b"x" * size)[:size - 1]
open("tru", "wb").write(d)
P
	chmod +x bad.sh bad2.sh bad3.sh tru
	local f
	for f in bad.sh bad2.sh bad3.sh tru; do
		timeout 60 "$HIJACK" run -t=execv -o t.txt -- python3 -c "import os; os.execv('./$f', ['b'])" 2>/dev/null
		check_eq "$f: one line, the failure" "execv(\"./$f\", [\"b\"]) = -1 ENOENT (No such file or directory)" "$(cat t.txt)"
		timeout 60 "$HIJACK" run --json -t=execv -o t.json -- python3 -c "import os; os.execv('./$f', ['b'])" 2>/dev/null
		check_eq "$f: one JSON object, the failure" "1 -1 ENOENT" "$(python3 -c '
import json
o = [json.loads(l) for l in open("t.json")]
print(len(o), o[-1]["ret"], o[-1]["errno"])')"
	done
	# the loader there, the script's interpreter there: still = 0, once
	printf '#!/bin/sh\nexit 0\n' > good.sh; chmod +x good.sh
	timeout 60 "$HIJACK" run -t=execv -o t.txt -- python3 -c "import os; os.execv('./good.sh', ['b'])"
	check_eq "good.sh: one line, = 0" 'execv("./good.sh", ["b"]) = 0' "$(cat t.txt)"
	# an exec that fails past every check (E2BIG: 7 MB of arguments, past the kernel's 6 MB cap whatever the stack limit): in JSON, the second
	# object says it continues the first
	timeout 60 "$HIJACK" run --json -t=execv -o t.json -- python3 -c "import os; os.execv('/bin/true', ['b'] + ['x' * 1000] * 7000)" 2>/dev/null
	check_eq "E2BIG: the success, then the failure marked resumed" "0 None|-1 True E2BIG" "$(python3 -c '
import json
o = [json.loads(l) for l in open("t.json")]
print("|".join(" ".join(str(x) for x in ([c["ret"], c.get("resumed")] + ([c["errno"]] if c["ret"] else []))) for c in o))')"
}

# A full disk, as sh sees it.
t_inject_enospc() {
	# dash's echo calls write(); it reports any write error as "I/O error"
	out=$("$HIJACK" run --inject write:error=ENOSPC:when=1 -- sh -c 'echo hi > f' 2>&1)
	check_eq "dash fails" 1 $?
	check_has "dash reports a write error" 'echo: I/O error' "$out"
	check_eq "nothing written" "" "$(cat f)"
	# a program that writes with write() and reports the errno's text
	out=$("$HIJACK" run --inject write:error=ENOSPC:when=1 -- python3 -c 'import os; os.write(1, b"hi")' 2>&1 >f)
	check_has "python reports ENOSPC" 'OSError: .Errno 28. No space left on device' "$out"
	"$HIJACK" run -t=write -o t.txt --inject write:error=ENOSPC:when=1 -- sh -c 'echo hi > f' 2>/dev/null
	check_has "marked INJECTED" '^write\(1, "hi\\n", 3\) = -1 ENOSPC \(No space left on device\) \(INJECTED\)$' "$(cat t.txt)"
}

t_inject_when() {
	# the 2nd and later writes fail: the first line gets out
	out=$("$HIJACK" run --inject write:error=EIO:when=2+ -- sh -c 'echo one; echo two; echo three' 2>/dev/null)
	check_eq "when=2+" one "$out"
	out=$("$HIJACK" run --inject write:retval=4:when=1..2 -- sh -c 'echo one; echo two; echo three' 2>/dev/null)
	check_eq "retval= skips the call" three "$out"
	out=$("$HIJACK" run --inject write:error=EIO:when=1+2 -- python3 -c '
import os
for i in range(1, 5):
    try: os.write(1, b"%d\n" % i)
    except OSError: pass')
	check_eq "when=1+2" "$(printf '2\n4')" "$out"
	out=$("$HIJACK" run --inject 'write:delay_enter=50ms' -- sh -c 'echo x' )
	check_eq "delay goes on" x "$out"
}

t_inject_python_enoent() {
	echo data > data.txt
	out=$("$HIJACK" run --inject "openat:error=ENOENT:path=$PWD/data.txt" -- python3 -c 'open("data.txt").read()' 2>&1)
	check_eq "python exit" 1 $?
	check_has "FileNotFoundError" "FileNotFoundError: \[Errno 2\] No such file or directory: 'data.txt'" "$out"
	out=$("$HIJACK" run --quiet --inject "openat:error=ENOENT:path=/elsewhere/*" -- python3 -c 'print(open("data.txt").read().strip())' 2>&1)
	check_eq "other paths untouched" data "$out"
}

t_inject_probability_seeded() {
	run() { "$HIJACK" run --seed "$1" --inject write:error=EIO:probability=0.5 -- sh -c 'i=0; while [ $i -lt 40 ]; do i=$((i + 1)); echo $i 2>/dev/null; done' 2>/dev/null; }
	a=$(run 7); b=$(run 7); c=$(run 8)
	check_eq "same seed, same faults" "$a" "$b"
	[ "$a" != "$c" ] && pass || fail "another seed should give other faults"
	n=$(wc -l <<<"$a")
	[ "$n" -gt 5 ] && [ "$n" -lt 35 ] && pass || fail "about half the writes should pass, got $n of 40"
}

t_ruby_api() {
	printf 'abc\n' > in.txt
	cat > s.rb <<'R'
$bytes = 0
Hijack.after(:read, fd: 3..100) { |c| $bytes += c.result if c.result > 0 }
Hijack.after(:read) { |c| c.buf = c.buf.upcase if c.result > 0 && c.fd_path.to_s.end_with?("in.txt") }
Hijack.on(:write, fd: 1) { |c| c.buf = "[" + c.buf.chomp + "]\n" }
Hijack.at_exit { Hijack.log "read #{$bytes} bytes; pid #{Hijack.pid == Process.pid rescue Hijack.pid > 0}; argv #{Hijack.argv.inspect}" }
R
	out=$("$HIJACK" run -s s.rb -o log.txt -- cat in.txt | cat)
	check_eq "after changes what is read, on changes what is written" "[ABC]" "$out"
	# a longer buffer than the program gave: it hears its own count back
	seq 1000 > many.txt
	out=$("$HIJACK" run -e 'Hijack.on(:write, fd: 1) { |c| c.buf = c.buf + "!" }' -- cat many.txt 2>err.txt | tail -c 6)
	check_eq "program sees its own count" "1000"$'\n'"!" "$out"
	check_eq "no write error" "" "$(cat err.txt)"
	check_has "at_exit and log" '^read 4 bytes; pid true; argv \["cat", "in.txt"\]$' "$(cat log.txt)"
}

t_ruby_call_object() {
	cat > s.rb <<'R'
Hijack.on(:openat, :open, path: "*x.txt") do |c|
  Hijack.log "#{c.name} #{c.path} #{c.flags.class} #{c.args.size} #{c.tid > 0}"
  c.path = "y.txt"
end
Hijack.after(:openat, :open, path: "*y.txt") { |c| Hijack.log "after #{c.result} #{c.errno.inspect}" }
Hijack.after(:unlink, :unlinkat) { |c| Hijack.log "unlink #{c.result} #{c.errno.inspect}" }
R
	echo yes > y.txt
	out=$("$HIJACK" run -s s.rb -o log.txt -- sh -c 'cat x.txt; rm -f nothing-here; rm nothing-here' 2>/dev/null)
	check_eq "path= redirects the call" yes "$out"
	log=$(cat log.txt)
	P='^(\[pid +[0-9]+\] )?'	# sh forks: a line names its process then
	# open() is the openat system call (4 arguments) where the layer sees it
	check_has "readers" "${P}(open x.txt Integer 3|openat x.txt Integer 4) true$" "$log"
	check_has "after sees result" "${P}after 3 nil$" "$log"
	check_has "after sees errno" "${P}unlink -1 :ENOENT$" "$log"
}

t_ruby_delay_and_return() {
	cat > s.rb <<'R'
Hijack.on(:getppid) { |c| c.return(4242) }
Hijack.on(:nanosleep) { |c| c.delay(0.2) }
R
	out=$("$HIJACK" run -s s.rb -- python3 -c 'import os; print(os.getppid())')
	check_eq "return(value)" 4242 "$out"
	start=$(date +%s%N)
	"$HIJACK" run -s s.rb -- sleep 0.01
	check_eq "the program survives its delay" 0 "$?"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -ge 200 ] && pass || fail "delay(0.2) took only ${ms} ms"
}

t_summary() {
	echo x > f
	"$HIJACK" run -c -o sum.txt -- sh -c 'cat f >/dev/null; cat f > /dev/null; cat nope 2>/dev/null' 
	s=$(cat sum.txt)
	check_has "header" '^% time +seconds +usecs/call +calls +errors +injected +call$' "$s"
	check_has "openat counted across processes, with its error" '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +[0-9]+ +[1-9][0-9]* +openat$' "$s"
	n=$(awk '$NF == "openat" { print $4 }' sum.txt)
	[ "${n:-0}" -ge 3 ] && pass || fail "three cats open at least three files, counted $n"
	check_has "total line" 'total$' "$s"
}

t_without_launcher() {
	echo 'Hijack.on(:unlink, :unlinkat) { |c| c.fail(:EPERM) }' > a.rb
	echo 'Hijack.on(:mkdir) { |c| c.fail(:EROFS) }' > b.rb
	touch keep
	out=$(LC_ALL=C LD_PRELOAD=$LIB HIJACK_SCRIPT=$PWD/a.rb:$PWD/b.rb sh -c 'rm keep; mkdir d' 2>&1)
	check_has "first script" "rm: cannot remove 'keep': Operation not permitted" "$out"
	check_has "second script" "mkdir: cannot create directory 'd': Read-only file system" "$out"
	check_eq "file kept" yes "$([ -e keep ] && echo yes)"
}

t_bad_input() {
	out=$("$HIJACK" run --frobnicate -- true 2>&1)
	check_eq "unknown option status" 2 $?
	check_has "unknown option named" "unknown option '--frobnicate'" "$out"
	out=$("$HIJACK" run --inject write:error=ENOTANERRNO -- true 2>&1)
	check_eq "bad inject status" 2 $?
	check_has "bad inject named" "unknown errno 'ENOTANERRNO'" "$out"
	out=$("$HIJACK" run --inject write:when=0:error=EIO -- true 2>&1)
	check_eq "bad when status" 2 $?
	out=$("$HIJACK" run --inject nosuchcall:error=EIO -- true 2>&1)
	check_has "unknown call named" "unknown call: nosuchcall" "$out"
	printf 'Hijack.on(:write) do |c|\n  c.fail(:EIO\nend\n' > broken.rb
	out=$("$HIJACK" run -s broken.rb -- true 2>&1)
	check_eq "syntax error status" 2 $?
	check_has "syntax error names file:line" "broken.rb:3: syntax error" "$out"
	out=$("$HIJACK" run -e 'Hijack.on(:nosuch) { }' -- true 2>&1)
	check_eq "bad call name status" 2 $?
	check_has "bad call name, file:line" '^hijack: -e:1: unknown call: nosuch' "$out"
	printf '# a handler that raises\nHijack.on(:write) { |c| raise "boom" }\n' > raise.rb
	out=$("$HIJACK" run -s raise.rb -- sh -c 'echo one; echo two' 2>err.txt)
	check_eq "program unaffected" "one"$'\n'"two" "$out"
	check_has "raise reported with file:line" 'raise.rb:2: boom \(RuntimeError\)' "$(cat err.txt)"
	check_eq "reported once per handler" 1 "$(grep -c boom err.txt)"
	"$HIJACK" run -- no-such-program-here 2>err.txt
	check_eq "missing program status" 127 $?
	check_has "missing program named" "no-such-program-here: command not found" "$(cat err.txt)"
	touch notexec
	"$HIJACK" run -- ./notexec 2>/dev/null
	check_eq "not executable status" 126 $?
	"$HIJACK" run -- sh -c 'kill -TERM $$'
	check_eq "killed by a signal" 143 $?
	"$HIJACK" run -- sh -c 'exit 7'
	check_eq "exit status passed on" 7 $?
	out=$("$HIJACK" run -s missing.rb -- true 2>&1)
	check_eq "missing script status" 2 $?
	check_has "missing script named" 'missing.rb: No such file or directory' "$out"
}

t_commands() {
	out=$("$HIJACK" --version)
	check_has "version" '^hijack [0-9]+\.[0-9]+\.[0-9]+$' "$out"
	check_has "help" 'hijack run \[OPTIONS\]' "$("$HIJACK" --help)"
	out=$("$HIJACK" calls)
	check_has "calls lists openat" '^openat +file +int openat\(int dirfd, const char \*path, int flags, mode_t mode\)$' "$out"
	"$HIJACK" calls --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d) > 100 and all("signature" in c for c in d)' && pass || fail "calls --json"
	printf 'Hijack.on(:write, fd: 1) { |c| }\nHijack.after("%%net", path: "/x*") { |c| }\n' > ok.rb
	out=$("$HIJACK" check ok.rb)
	check_eq "check status" 0 $?
	check_has "check lists hooks" '^on .*ok.rb:1 calls: write fd:1..1$' "$out"
	check_has "check lists groups" '^after .*ok.rb:2 calls: .*connect.* path:/x\*$' "$out"
	echo 'Hijack.on(:write, fd: 1) { |c| c.fail(:ENOSPC) }' > full.rb
	"$HIJACK" compile full.rb -o full.mrb
	check_eq "compile status" 0 $?
	check_eq "bytecode magic" RITE "$(head -c 4 full.mrb)"
	out=$("$HIJACK" run -s full.mrb -- sh -c 'echo hi' 2>&1)
	check_has "precompiled script runs" 'echo: I/O error' "$out"
	printf 'Hijack.on(:write) {\n' > bad.rb
	"$HIJACK" compile bad.rb -o bad.mrb 2>err.txt
	check_eq "compile error status" 2 $?
	check_has "compile error file:line" 'bad.rb:[0-9]+: syntax error' "$(cat err.txt)"
}

t_no_follow() {
	echo 'Hijack.on(:unlink, :unlinkat) { |c| c.fail(:EPERM) }' > s.rb
	touch a b
	"$HIJACK" run -s s.rb -- sh -c 'rm a' 2>/dev/null
	check_eq "children follow by default" yes "$([ -e a ] && echo yes)"
	touch c d
	"$HIJACK" run -s s.rb -- env -i /bin/rm c 2>/dev/null
	check_eq "follows an exec with a cleared environment" yes "$([ -e c ] && echo yes)"
	"$HIJACK" run -s s.rb -- python3 -c 'import subprocess; subprocess.run(["rm", "d"], env={"PATH": "/usr/bin:/bin"})' 2>/dev/null
	check_eq "follows subprocess with env=" yes "$([ -e d ] && echo yes)"
	"$HIJACK" run --no-follow -s s.rb -- sh -c 'rm b' 2>/dev/null
	check_eq "--no-follow leaves children alone" no "$([ -e b ] && echo yes || echo no)"
}

run_tests $(declare -F | awk '$3 ~ /^t_/ { print $3 }')
summary e2e
