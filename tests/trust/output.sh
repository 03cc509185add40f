#!/bin/bash
# Issue 8, data the tool itself can lose or corrupt: the run directory's
# clean-up, the compiled scripts handed to children, a script's own
# output, the trace's descriptor, a reader that goes away, a full disk,
# and the pid prefix.
source "$(dirname "$0")/../lib.sh"

# A script line that writes the run's directory to ./rundir
SAY_DIR='File.open("rundir", "w") { |f| f.write(Hijack.run_dir.to_s) } unless File.exist?("rundir")'

test_cleanup_follows_no_symlink() {
	mkdir tree && echo keep >tree/precious && echo keep >tree/hj-named-like-ours
	chmod 555 tree
	# the program moves the run directory away and leaves a symlink to tree
	err=$("$HIJACK" run -e "$SAY_DIR" -- bash -c 'd=$(cat rundir); mv "$d" "$d.moved" && ln -s "$PWD/tree" "$d"' 2>&1)
	check_eq "tree kept" "keep keep" "$(cat tree/precious tree/hj-named-like-ours 2>&1 | tr '\n' ' ' | sed 's/ $//')"
	check_has "said so" "no longer the run's directory" "$err"
	d=$(cat rundir)
	chmod 755 tree
	rm -rf "$d.moved"
	rm -f "$d"
}

test_cleanup_leaves_what_it_did_not_make() {
	err=$("$HIJACK" run -e "$SAY_DIR" -- bash -c 'd=$(cat rundir); echo theirs >"$d/theirs.txt"' 2>&1)
	d=$(cat rundir)
	check_eq "their file kept" "theirs" "$(cat "$d/theirs.txt" 2>&1)"
	check_lacks "our page removed" "hj-shared" "$(ls "$d" 2>&1)"
	check_has "said so" "left in place: it holds theirs.txt" "$err"
	rm -rf "$d"
	# and a normal run leaves nothing
	"$HIJACK" run -e "$SAY_DIR" -- true
	check_eq "removed" "gone" "$(test -e "$(cat rundir)" && echo there || echo gone)"
}

# The program overwrites every compiled script it can reach (the run
# directory's files, the memfd through /proc): its children keep the rules.
test_scripts_cannot_be_rewritten() {
	cat >lift.sh <<-'EOF'
	d=$(cat rundir)
	for f in "$d"/*.mrb; do [ -e "$f" ] && echo 1 >"$f"; done
	for f in /proc/self/fd/*; do
		case $(readlink "$f") in *hijack-scripts*) echo 1 >"$f" 2>/dev/null && echo "WROTE $f";; esac
	done
	/usr/bin/python3 -c 'import socket
	try:
	    socket.socket(); print("socket made")
	except OSError as e: print("denied", e.errno)'
	EOF
	out=$("$HIJACK" run --deny network -e "$SAY_DIR" -- bash lift.sh 2>&1)
	check_has "still denied" "^denied 13" "$out"
	check_lacks "memfd not written" "WROTE|socket made" "$out"
}

# closefrom, close_range and a loop of close() before exec (daemons,
# Python's subprocess): the child still gets the rules
test_rules_survive_closing_every_fd() {
	cat >closeall.c <<-'EOF'
	#define _GNU_SOURCE
	#include <string.h>
	#include <unistd.h>
	#include <sys/syscall.h>
	int main(int argc, char **argv) {
		if (!strcmp(argv[1], "closefrom")) closefrom(3);
		else if (!strcmp(argv[1], "close_range")) close_range(3, ~0u, 0);
		else if (!strcmp(argv[1], "raw")) syscall(SYS_close_range, 3, ~0u, 0);
		else for (int fd = 3; fd < 4096; fd++) close(fd);
		execl("/usr/bin/python3", "python3", "-c",
		      "import socket\ntry:\n socket.socket(); print('socket made')\nexcept OSError as e: print('denied', e.errno)", (char *)0);
		return 99;
	}
	EOF
	cc -o closeall closeall.c || { fail "cc"; return; }
	for how in closefrom close_range raw loop; do
		out=$(timeout 60 "$HIJACK" run --deny network -- ./closeall $how 2>&1)
		check_eq "$how: denied" "denied 13" "$out"
	done
}

# A descriptor that is not the sealed copy: the child refuses, and says why
test_unsealed_scripts_refused() {
	cat >forge.c <<-'EOF'
	#define _GNU_SOURCE
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	#include <sys/mman.h>
	#include <sys/syscall.h>
	extern char **environ;
	int main(int argc, char **argv) {
		int ours = -1;
		char path[64], link[256];
		for (int fd = 3; fd < 1024; fd++) {
			snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
			ssize_t n = readlink(path, link, sizeof link - 1);
			if (n > 0 && (link[n] = 0, strstr(link, "hijack-scripts"))) ours = fd;
		}
		if (ours < 0) { puts("no memfd"); return 3; }
		int fake = memfd_create("hijack-scripts", 0);
		char buf[65536];
		ssize_t n = pread(ours, buf, sizeof buf, 0);
		buf[20] ^= 1;	/* same size, other bytes, no seals */
		write(fake, buf, n);
		syscall(SYS_dup2, fake, ours);
		syscall(SYS_close, fake);
		/* the environment as the kernel first gave it (environ hides
		 * ours), handed on by a raw execve that no wrapper sees */
		static char env[1 << 16], *envp[512];
		FILE *f = fopen("/proc/self/environ", "r");
		size_t len = f ? fread(env, 1, sizeof env - 1, f) : 0, k = 0;
		for (size_t i = 0; i < len && k < 511; i += strlen(env + i) + 1)
			envp[k++] = env + i;
		char *child[] = { "true", NULL };
		syscall(SYS_execve, argc > 1 ? argv[1] : "/bin/true", argc > 1 ? argv + 1 : child, envp);
		return 98;
	}
	EOF
	cc -o forge forge.c || { fail "cc"; return; }
	# the libc layer does not see a raw execve: the child finds the forgery
	out=$(HIJACK_SYSCALLS=0 "$HIJACK" run --deny network -- ./forge 2>&1)
	check_eq "refused" "2" "$?"
	check_has "why" "compiled scripts handed down on fd [0-9]+ are .*refusing to run" "$out"
	# the system-call layer follows the raw execve itself, with sealed
	# scripts of its own: the forgery is not what the child gets, and
	# the child keeps its rules
	out=$("$HIJACK" run --deny network -- ./forge /usr/bin/python3 -c 'import socket
try:
    socket.socket()
except PermissionError:
    print("denied")' 2>&1)
	check_eq "the child runs" "0" "$?"
	check_eq "with the run's rules" "denied" "$out"
}

test_script_output_goes_to_the_trace() {
	hook='Hijack.on(:getppid) { puts "P"; print "Q\n"; p 1; pp 2; $stdout.puts "S"; STDOUT.write "T\n"; $stdout << "U\n"; $stderr.puts "E"; STDERR.print "F\n"; warn "W"; printf("%d\n", 5); $stdout.printf("%d\n", 6) }'
	out=$("$HIJACK" run -o trace.txt -e "$hook" -- /usr/bin/python3 -c 'import os; os.getppid(); print("mine")' 2>err.txt)
	check_eq "program's stdout" "mine" "$out"
	check_eq "program's stderr" "" "$(cat err.txt)"
	check_eq "trace output" "P Q 1 2 S T U E F W 5 6" "$(tr '\n' ' ' <trace.txt | sed 's/ $//')"
	# without -o: our stderr, never the program's stdout
	out=$("$HIJACK" run -e 'puts "top level"' -- /bin/echo mine 2>err.txt)
	check_eq "stdout" "mine" "$out"
	check_eq "stderr" "top level" "$(cat err.txt)"
}

dupover_c() {
	cat >dupover.c <<-'EOF'
	#include <fcntl.h>
	#include <stdio.h>
	#include <stdlib.h>
	#include <string.h>
	#include <unistd.h>
	#include <sys/syscall.h>
	int main(int argc, char **argv) {
		getppid();	/* the trace's descriptor is open by now */
		int fd = open("mine.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int target = atoi(argv[1]);
		if (argc > 2) syscall(SYS_dup2, fd, target); else dup2(fd, target);
		for (int i = 0; i < 3; i++) getppid();
		write(target, "mine\n", 5);
		printf("close=%d\n", close(target));
		printf("again=%d\n", close(target));
		return 0;
	}
	EOF
	cc -o dupover dupover.c
}

test_program_fd_never_gets_trace_lines() {
	dupover_c || { fail "cc"; return; }
	out=$("$HIJACK" run -t=getppid -- ./dupover 700 2>err.txt)
	check_eq "700: file" "mine" "$(cat mine.txt)"
	check_eq "700: close as bare" "close=0 again=-1" "$(echo $out)"
	check_eq "700: trace kept" "4" "$(grep -c '^getppid()' err.txt)"
	out=$("$HIJACK" run -t=getppid -o trace.txt -- ./dupover 600 2>err.txt)
	check_eq "600: file" "mine" "$(cat mine.txt)"
	check_eq "600: trace kept" "4" "$(grep -c '^getppid()' trace.txt)"
	# behind the wrappers' back: the number is no longer ours, never written
	"$HIJACK" run -t=getppid -- ./dupover 700 raw 2>err.txt >/dev/null
	check_eq "raw dup2: file" "mine" "$(cat mine.txt)"
	"$HIJACK" run -t=getppid -o trace.txt -- ./dupover 600 raw >/dev/null 2>&1
	check_eq "raw dup2 -o: file" "mine" "$(cat mine.txt)"
	check_eq "raw dup2 -o: trace kept" "4" "$(grep -c '^getppid()' trace.txt)"
	# fcntl(F_DUPFD, 700) gives 700, as without us
	cat >dupfd.c <<-'EOF'
	#include <fcntl.h>
	#include <stdio.h>
	#include <unistd.h>
	int main(void) {
		getppid();
		int fd = open("/dev/null", O_RDONLY);
		int a = fcntl(fd, F_DUPFD, 700), b = fcntl(fd, F_DUPFD_CLOEXEC, 700);
		printf("%d %d %d\n", a, b, fcntl(b, F_GETFD));
		getppid();
		return 0;
	}
	EOF
	cc -o dupfd dupfd.c && bare=$(./dupfd)
	check_eq "F_DUPFD" "$bare" "$("$HIJACK" run -t=getppid -- ./dupfd 2>err.txt)"
	check_eq "F_DUPFD: trace kept" "2" "$(grep -c '^getppid()' err.txt)"
	# Python's subprocess closes every descriptor (close_fds) and gives the
	# child a stderr of its own: the child's trace still comes to ours
	"$HIJACK" run -t=getppid -- /usr/bin/python3 -c 'import subprocess
subprocess.run(["/usr/bin/python3", "-c", "import os; os.getppid()"], stderr=open("perr.txt", "w"))' 2>err.txt
	check_eq "subprocess: its stderr" "" "$(cat perr.txt)"
	check_has "subprocess: our stderr" "getppid\(\) = " "$(cat err.txt)"
}

pipey_c() {
	cat >pipey.c <<-'EOF'
	#include <fcntl.h>
	#include <unistd.h>
	int main(void) {
		for (int i = 0; i < 20000; i++) getppid();
		int fd = open("done.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		for (int i = 0; i < 1000; i++) write(fd, "0123456789\n", 11);
		close(fd);
		return 7;
	}
	EOF
	cc -o pipey pipey.c
}

test_reader_gone_program_finishes() {
	pipey_c || { fail "cc"; return; }
	timeout 120 "$HIJACK" run -t=getppid -- ./pipey 2>&1 | head -1 >/dev/null
	check_eq "program's status" "7" "${PIPESTATUS[0]}"
	check_eq "file complete" "1000" "$(wc -l <done.txt 2>/dev/null)"
	# a shell pipeline and a tree: none dies of our output
	rm -f done.txt
	timeout 120 "$HIJACK" run -t -- sh -c './pipey; echo $? >status' 2>&1 | head -1 >/dev/null
	check_eq "child's status" "7" "$(cat status 2>/dev/null)"
	check_eq "child's file" "1000" "$(wc -l <done.txt 2>/dev/null)"
	# the program's own SIGPIPE is still its own
	out=$("$HIJACK" run -t=getppid -- bash -c 'yes | head -1; echo "${PIPESTATUS[0]}"' 2>/dev/null)
	check_eq "program's SIGPIPE" "y 141" "$(echo $out)"
}

test_full_disk_said() {
	pipey_c || { fail "cc"; return; }
	err=$("$HIJACK" run -t -o /dev/full -- ./pipey 2>&1)
	check_eq "status" "7" "$?"
	check_has "trace" "^hijack: /dev/full: the trace could not be written: No space left on device" "$err"
	check_eq "file complete" "1000" "$(wc -l <done.txt)"
	err=$("$HIJACK" run -c -o /dev/full -- ./pipey 2>&1)
	check_has "summary" "^hijack: /dev/full: the trace could not be written: No space left on device" "$err"
}

test_pid_prefix_while_several_live() {
	cat >forky.c <<-'EOF'
	#include <sys/wait.h>
	#include <unistd.h>
	int main(void) {
		getppid();
		pid_t p = fork();
		if (p == 0) { getppid(); _exit(0); }
		waitpid(p, 0, 0);
		getppid();
		return 0;
	}
	EOF
	cc -o forky forky.c || { fail "cc"; return; }
	"$HIJACK" run -t=getppid -o trace.txt -- ./forky
	check_has "first line bare" "^getppid\(\)" "$(sed -n 1p trace.txt)"
	check_has "child's line" "^\[pid +[0-9]+\] getppid\(\)" "$(sed -n 2p trace.txt)"
	check_has "after the child is gone" "^getppid\(\)" "$(sed -n 3p trace.txt)"
	"$HIJACK" run --no-follow -t=getppid -o trace.txt -- ./forky
	check_lacks "--no-follow" "\\[pid" "$(cat trace.txt)"
}

# a program that makes its stderr non-blocking (node, libuv) shares that
# file description with our copy of it: a full pipe must not end the trace
test_nonblocking_stderr() {
	local n
	# (getppid: one trace line per call, however stat's arguments print)
	n=$(timeout 120 "$HIJACK" run -t=getppid -- /usr/bin/python3 -c 'import os, fcntl
fcntl.fcntl(2, fcntl.F_SETFL, os.O_NONBLOCK)
for i in range(20000): os.getppid()' 2>&1 | (sleep 3; grep -c '^getppid() = '))
	check_eq "every line arrives" 20000 "$n"
}

# a low descriptor limit: our descriptors go as high as it lets them
test_low_fd_limit() {
	local out
	out=$( (ulimit -n 256; timeout 60 "$HIJACK" run -t=getppid -e 'Hijack.on(:getppid) { Hijack.log "hooked" }' -- \
		/usr/bin/python3 -c 'import os; os.getppid(); print("ran")') 2>&1)
	check_eq "status" 0 "$?"
	check_has "the program ran" '^ran$' "$out"
	check_has "the script ran" '^hooked$' "$out"
	check_has "the trace arrived" '^getppid\(\) = ' "$out"
}

# told to stop while the scripts compile: the run's directory goes too
test_signal_before_start() {
	local i left
	for i in $(seq 15000); do echo "\$x$i = $i"; done > big.rb
	touch marker
	"$HIJACK" run -s big.rb -- true &	# (under timeout, wait would not wait for it)
	sleep 0.5
	kill -TERM $!
	wait $!
	check_eq "died of SIGTERM" 143 "$?"
	# (another run's directory goes when that run ends; a leaked one stays)
	for i in $(seq 30); do
		left=$(find /tmp -maxdepth 1 -name 'hijack-??????' -newer marker)
		[ -z "$left" ] && break
		sleep 1
	done
	check_eq "no run directory left" "" "$left"
}

run_tests test_cleanup_follows_no_symlink test_cleanup_leaves_what_it_did_not_make \
	test_scripts_cannot_be_rewritten test_rules_survive_closing_every_fd test_unsealed_scripts_refused \
	test_script_output_goes_to_the_trace test_program_fd_never_gets_trace_lines \
	test_reader_gone_program_finishes test_full_disk_said test_pid_prefix_while_several_live
run_tests test_nonblocking_stderr test_low_fd_limit test_signal_before_start
summary output
