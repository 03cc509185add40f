#!/bin/bash
# hijack learn: a policy written from a run of git, a python3 program and
# make -j2; the same command under it (advisory) is not refused, a
# changed one is; under --enforce (once the launcher has it) the same
# command passes and the changed ones fail with EACCES.
source "$(dirname "$0")/../lib.sh"

# --enforce is the launcher's (the kernel's rules): until it is there,
# or where this kernel cannot hold a policy, the enforced half is
# skipped, said once
probe=$(timeout 20 "$HIJACK" run --enforce -e 'Hijack::Sandbox.allow(read: ["/**"], exec: ["/**"], write: ["/tmp/**"])' -- true 2>&1)
if [ $? -eq 0 ]; then
	ENFORCE=1
else
	ENFORCE=
	echo "SKIP learn: the --enforce half: 'hijack run --enforce' does not run here: $(head -1 <<<"$probe")"
fi

# learn POLICY -- COMMAND...: the run's output and status, as $out, $status
learn() {
	local policy=$1
	shift 2
	out=$(timeout 60 "$HIJACK" learn -o "$policy" -- "$@" 2>&1)
	status=$?
}

# advisory POLICY -- COMMAND...: the run under the policy, without --enforce
advisory() {
	local policy=$1
	shift 2
	out=$(timeout 60 "$HIJACK" run -s "$policy" -- "$@" 2>&1)
	status=$?
}

enforced() {
	local policy=$1
	shift 2
	out=$(timeout 60 "$HIJACK" run --enforce -s "$policy" -- "$@" 2>&1)
	status=$?
}

# what every policy holds, and what none does
check_policy() {
	local what=$1 policy=$2 text
	text=$(cat "$policy")
	check_eq "$what: the policy loads (hijack check)" 0 "$(timeout 20 "$HIJACK" check "$policy" >/dev/null 2>&1; echo $?)"
	check_has "$what: its header names the command" "^# hijack learn: \`" "$text"
	check_has "$what: the loader's reads are in it" '"/etc/\*\*"' "$text"
	check_has "$what: the libraries' too" '"/usr/\*\*"' "$text"
	check_has "$what: the calls made" '"openat"' "$text"
	check_lacks "$what: none of hijack's own files" "/tmp/hijack-[A-Za-z0-9]{6}[/\"]|hijack-learn|libhijack" "$text"
	check_eq "$what: no file left beside it" "" "$(ls "$policy".tmp-* 2>/dev/null)"
}

GIT_STEPS='git init -q && git add a.txt && git commit -qm x'

git_setup() {
	mkdir -p home repo
	echo hello >repo/a.txt
	export HOME=$PWD/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
		GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org \
		GIT_AUTHOR_DATE='2026-01-01T00:00:00Z' GIT_COMMITTER_DATE='2026-01-01T00:00:00Z'
}

test_learn_git() {
	git_setup
	local top=$PWD out status
	cd repo
	learn ../git.rb -- sh -c "$GIT_STEPS"
	check_eq "git under learn: its status" 0 "$status"
	check_eq "the commit is made" 1 "$(git rev-list --count HEAD 2>/dev/null)"
	check_policy git ../git.rb
	local p
	p=$(cat ../git.rb)
	check_has "git is run" '"/usr/bin/git"' "$p"
	check_has "sh, the command itself" '"/usr/bin/sh"' "$p"
	check_has "the repository is written" "\"$top/repo(/\.git)?/\*\*\"" "$p"
	check_has "a.txt is read" "\"$top/repo(/a.txt|/\*\*)\"" "$p"
	check_has "several processes" "[0-9]+ processes$" "$(head -1 ../git.rb)"
	check_lacks "no peer" '^    "[0-9]' "$p"
	rm -rf .git
	advisory ../git.rb -- sh -c "$GIT_STEPS"
	check_eq "the same steps under the policy" 0 "$status"
	check_lacks "nothing would be refused" "would refuse" "$out"
	rm -rf .git
	advisory ../git.rb -- sh -c "$GIT_STEPS && echo x >$HOME/elsewhere"
	check_has "writing elsewhere would be refused" "would refuse openat \"$HOME/elsewhere\" \(write: not allowed\)" "$out"
	rm -rf .git
	advisory ../git.rb -- sh -c "$GIT_STEPS && ls >/dev/null"
	check_has "running another program would be refused" "would refuse execve \"/usr/bin/ls\" \(exec: not allowed\)" "$out"
	if [ -n "$ENFORCE" ]; then
		rm -rf .git
		enforced ../git.rb -- sh -c "$GIT_STEPS"
		check_eq "enforced: the same steps pass" 0 "$status"
		rm -rf .git
		enforced ../git.rb -- sh -c "$GIT_STEPS && echo x >$HOME/elsewhere"
		check_has "enforced: writing elsewhere: EACCES" "elsewhere: Permission denied" "$out"
		rm -rf .git
		enforced ../git.rb -- sh -c "$GIT_STEPS && ls"
		check_has "enforced: another program: EACCES" "ls: Permission denied" "$out"
	fi
	cd "$top"
}

PY_PROG='
import configparser, os, sys
c = configparser.ConfigParser()
c.read("conf.ini")
with open(os.path.join(sys.argv[1] if len(sys.argv) > 1 else "out", "greeting.txt"), "w") as f:
    f.write("hello " + c["main"]["name"] + "\n")
if len(sys.argv) > 2:
    import socket
    try:
        s = socket.socket()
        s.connect(("127.0.0.1", int(sys.argv[2])))
    except OSError as e: print("connect", e.errno)
'

test_learn_python() {
	printf '[main]\nname = world\n' >conf.ini
	printf '%s' "$PY_PROG" >prog.py
	mkdir out other
	local out status p
	learn py.rb -- /usr/bin/python3 prog.py
	check_eq "python under learn: its status" 0 "$status"
	check_eq "the file is written" "hello world" "$(cat out/greeting.txt)"
	check_policy python py.rb
	p=$(cat py.rb)
	check_has "the config is read" "\"$PWD/conf.ini\"" "$p"
	check_has "the program is read" "\"$PWD/prog.py\"" "$p"
	check_has "its directory is written (a file made there)" "\"$PWD/out/\*\*\"" "$p"
	check_has "python is run" '"/usr/bin/python3' "$p"
	check_has "the calls grouped as strace's classes" "# %file" "$p"
	rm -rf out && mkdir out
	advisory py.rb -- /usr/bin/python3 prog.py
	check_eq "the same program under the policy" 0 "$status"
	check_lacks "nothing would be refused" "would refuse" "$out"
	advisory py.rb -- /usr/bin/python3 prog.py other
	check_has "writing elsewhere would be refused" "would refuse openat \"$PWD/other/greeting.txt\" \(write: not allowed\)" "$out"
	advisory py.rb -- /usr/bin/python3 prog.py out 1
	check_has "connecting would be refused" "would refuse connect \"127.0.0.1:1\" \(connect: not allowed\)" "$out"
	if [ -n "$ENFORCE" ]; then
		rm -rf out && mkdir out
		enforced py.rb -- /usr/bin/python3 prog.py
		check_eq "enforced: the same program passes" 0 "$status"
		check_eq "enforced: and writes its file" "hello world" "$(cat out/greeting.txt)"
		rm -f other/greeting.txt
		enforced py.rb -- /usr/bin/python3 prog.py other
		check_has "enforced: writing elsewhere: EACCES" "PermissionError|Permission denied" "$out"
		check_eq "enforced: nothing written there" no "$([ -e other/greeting.txt ] && echo yes || echo no)"
		enforced py.rb -- /usr/bin/python3 prog.py out 1
		check_has "enforced: connecting: EACCES (its socket, or its connect)" "^connect 13$" "$out"
	fi
}

test_learn_make() {
	printf 'all: a.out b.out\n\na.out:\n\techo a > a.out\n\nb.out:\n\tcp Makefile b.out\n\nextra: all\n\tls\n' >Makefile
	local out status p
	learn mk.rb -- make -s -j2
	check_eq "make under learn: its status" 0 "$status"
	check_eq "its targets made" "a.out b.out" "$(echo *.out)"
	check_policy make mk.rb
	p=$(cat mk.rb)
	check_has "the Makefile is read" "\"$PWD/Makefile\"" "$p"
	check_has "the shell is run" '"/(usr/)?bin/sh"' "$p"
	check_has "cp is run" '"/(usr/)?bin/cp"' "$p"
	check_has "make is run" '"/usr/bin/make"' "$p"
	check_has "the directory is written" "\"$PWD/\*\*\"" "$p"
	check_has "several processes" "[0-9]+ processes$" "$(head -1 mk.rb)"
	rm -f ./*.out
	advisory mk.rb -- make -s -j2
	check_eq "the same make under the policy" 0 "$status"
	check_lacks "nothing would be refused" "would refuse" "$out"
	rm -f ./*.out
	advisory mk.rb -- make -s -j2 extra
	check_has "running another program would be refused" "would refuse (execve|posix_spawn) \"/(usr/)?bin/ls\" \(exec: not allowed\)" "$out"
	if [ -n "$ENFORCE" ]; then
		rm -f ./*.out
		enforced mk.rb -- make -s -j2
		check_eq "enforced: the same make passes" 0 "$status"
		rm -f ./*.out
		enforced mk.rb -- make -s -j2 extra
		check_has "enforced: another program: EACCES" "Permission denied" "$out"
	fi
}

test_learn_status_and_usage() {
	local out status
	learn p.rb -- sh -c 'echo hi >f; exit 3'
	check_eq "the command's status" 3 "$status"
	check_eq "a policy all the same" 0 "$(timeout 20 "$HIJACK" check p.rb >/dev/null 2>&1; echo $?)"
	out=$(timeout 20 "$HIJACK" learn -- true 2>&1)
	check_eq "no -o: a usage error" 2 "$?"
	check_has "it says so" "-o POLICY.rb" "$out"
	out=$(timeout 20 "$HIJACK" learn -o q.rb 2>&1)
	check_eq "no command: a usage error" 2 "$?"
	out=$(timeout 20 "$HIJACK" learn -o q.rb --no-such-option -- true 2>&1)
	check_eq "run's usage errors are learn's" 2 "$?"
	check_eq "and no policy" no "$([ -e q.rb ] && echo yes || echo no)"
	out=$(timeout 20 "$HIJACK" learn -o q.rb -- no-such-command-here 2>&1)
	check_eq "a command not found: 127" 127 "$?"
	check_eq "and no policy" no "$([ -e q.rb ] && echo yes || echo no)"
	check_eq "nothing left beside it" "" "$(ls q.rb.tmp-* 2>/dev/null)"
	out=$(timeout 20 "$HIJACK" learn -o /nonexistent/dir/p.rb -- true 2>&1)
	check_eq "a policy that cannot be written: said before the run" 2 "$?"
	check_has "naming the place" "/nonexistent/dir/p.rb" "$out"
	# run options go to the run: -s, and -t whose trace comes to stderr
	echo 'Hijack.at_exit { Hijack.log "script ran" }' >s.rb
	out=$(timeout 20 "$HIJACK" learn -o r.rb -s s.rb -t -- cat /etc/hostname 2>&1)
	check_has "-s is run's" "script ran" "$out"
	check_has "-t's trace on stderr" "^openat\(" "$out"
	out=$(timeout 20 "$HIJACK" learn -o r2.rb -t=openat -- true 2>&1)
	check_eq "a trace set, which would leave calls out: a usage error" 2 "$?"
	check_has "said so" "trace set" "$out"
	check_lacks "the counts learn takes are not shown" "% time" "$out"
	echo old >kept.rb
	timeout 20 "$HIJACK" learn -o kept.rb -- true >/dev/null 2>&1
	check_has "an old policy is replaced whole" "^# hijack learn: \`true\`" "$(head -1 kept.rb)"
}

test_learn_connect() {
	local port out status
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	local py="
import socket, sys
s = socket.socket()
try: s.connect(('127.0.0.1', int(sys.argv[1])))
except OSError as e: print('connect', e.errno)
"
	learn net.rb -- /usr/bin/python3 -c "$py" "$port"
	check_has "the peer is learned" "\"127.0.0.1:$port\"" "$(cat net.rb)"
	advisory net.rb -- /usr/bin/python3 -c "$py" "$port"
	check_lacks "the same peer again: nothing would be refused" "would refuse" "$out"
	advisory net.rb -- /usr/bin/python3 -c "$py" 1
	check_has "another peer would be" "would refuse connect \"127.0.0.1:1\"" "$out"
}

# a library outside the system's trees, which the loader opens before
# hijack's hooks are there: known from what is mapped when they start
test_learn_loader() {
	printf 'int f(void) { return 42; }\n' >l.c
	printf '#include <stdio.h>\nint f(void);\nint main(void) { printf("%%d\\n", f()); return 0; }\n' >m.c
	if ! gcc -shared -fPIC -o libl.so l.c 2>/dev/null || ! gcc -o m m.c -L. -ll -Wl,-rpath,"$PWD" 2>/dev/null; then
		echo "SKIP test_learn_loader: no gcc"
		return
	fi
	local out status
	learn m.rb -- ./m
	check_eq "the program runs under learn" 42 "$(head -1 <<<"$out")"
	check_has "its library is in the policy" "\"$PWD/libl.so\"" "$(cat m.rb)"
	check_has "the program, by its absolute path" "\"$PWD/m\"" "$(cat m.rb)"
	if [ -n "$ENFORCE" ]; then
		enforced m.rb -- ./m
		check_eq "enforced: the loader may open it" "0 42" "$status $(head -1 <<<"$out")"
	fi
}

run_tests test_learn_loader test_learn_connect test_learn_git test_learn_python test_learn_make test_learn_status_and_usage
summary learn
