#!/bin/bash
# hijack attach / detach on processes started without hijack: a Python
# web server that starts failing one file and then serves it again, never
# restarted; a sqlite3 shell and a 4-thread program attached while blocked
# in read and nanosleep (no EINTR, no data lost, traced from then on);
# each refusal with its message and exit status.
source "$(dirname "$0")/../lib.sh"

# every program started here is ended here, by its pid
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; }
trap cleanup EXIT

# the call the process's thread TID is blocked in (/proc's number), or ""
in_call() { cut -d' ' -f1 "/proc/$1/task/${2:-$1}/syscall" 2>/dev/null; }

# wait_until SECONDS COMMAND...: true once COMMAND is
wait_until() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

test_http_server() {
	mkdir www && echo hello >www/a.txt && echo topsecret >www/my-secret.txt
	local port pid
	port=$(free_port)
	(cd www && exec python3 -m http.server "$port" --bind 127.0.0.1 >../server.log 2>&1) &
	pid=$!
	PIDS+=("$pid")
	wait_until 30 grep -q Serving server.log || { fail "the server did not start: $(cat server.log)"; return; }
	get() { curl -s -m 20 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/$1"; }
	check_eq "bare: secret" 200 "$(get my-secret.txt)"
	local out st
	out=$(timeout 120 "$HIJACK" attach "$pid" --inject 'openat:error=EACCES:path=*secret*' 2>&1)
	st=$?
	check_eq "attach: status ($out)" 0 "$st"
	local code
	code=$(get my-secret.txt)
	check_lacks "attached: the secret is refused" '^200$' "$code"
	check_has "attached: the secret is refused (an error status)" '^[45][0-9][0-9]$' "$code"
	check_eq "attached: another file" 200 "$(get a.txt)"
	out=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "detach: status ($out)" 0 "$?"
	check_eq "detached: secret" 200 "$(get my-secret.txt)"
	check_eq "detached: another file" 200 "$(get a.txt)"
	# a second attach finds the library there, and a second detach
	out=$(timeout 120 "$HIJACK" attach "$pid" --inject 'openat:error=ENOENT:path=*a.txt' 2>&1)
	check_eq "second attach: status ($out)" 0 "$?"
	check_eq "second attach: a.txt refused" 404 "$(get a.txt)"
	check_eq "second attach: secret served (the first rule is gone)" 200 "$(get my-secret.txt)"
	out=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "second detach: status ($out)" 0 "$?"
	check_eq "second detach: a.txt" 200 "$(get a.txt)"
	check_eq "never restarted: the same process" "$pid" "$(pgrep -f "http.server $port" | head -n 1)"
	kill "$pid"
}

test_sqlite_blocked_in_read() {
	mkfifo in
	sqlite3 db <in >out 2>err &
	local pid=$!
	PIDS+=("$pid")
	exec 3>in
	echo "create table t(x); insert into t values (1);" >&3
	# blocked in read(0) on the fifo, waiting for the next line
	reading() { [ "$(in_call "$pid")" = 0 ]; }
	wait_until 20 reading || { fail "sqlite3 not blocked in read: $(cat /proc/$pid/syscall)"; exec 3>&-; return; }
	local out
	out=$(timeout 120 "$HIJACK" attach "$pid" -t -o trace 2>&1)
	check_eq "attach: status ($out)" 0 "$?"
	echo "insert into t values (42); select count(*), sum(x) from t;" >&3
	exec 3>&-
	timeout 30 tail --pid="$pid" -f /dev/null
	wait "$pid"
	check_eq "sqlite3's status" 0 "$?"
	check_eq "sqlite3 saw every line" "2|43" "$(cat out)"
	check_eq "sqlite3 saw no error" "" "$(cat err)"
	local trace
	trace=$(cat trace)
	check_has "its reads traced from then on" '^read\(0, "insert into t values \(42\)' "$trace"
	check_has "its writes traced" '^write\(1, "2\|43\\n", 5\) = 5' "$trace"
	check_lacks "no EINTR" 'EINTR' "$trace"
}

test_threads_blocked_in_read_and_nanosleep() {
	cat >prog.c <<'EOF'
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static void *sleeper(void *arg)
{
	long id = (long)arg;
	struct timespec ts = { 4, 0 };
	double t0 = now();
	int r = nanosleep(&ts, NULL), e = errno;
	double slept = now() - t0;
	dprintf(1, "sleeper %ld rc=%d %s full=%d\n", id, r, r ? strerror(e) : "ok", slept >= 3.99);
	ts.tv_sec = 0, ts.tv_nsec = 1000000;
	nanosleep(&ts, NULL);	/* after the attach: traced */
	return NULL;
}
int main(void)
{
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, sleeper, (void *)i);
	char buf[256];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(0, buf + got, sizeof buf - 1 - got);
		if (n < 0) {
			dprintf(1, "read: %s\n", strerror(errno));
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	dprintf(1, "main got %zu bytes: %s", got, buf);
	return 0;
}
EOF
	gcc -O2 -pthread -o prog prog.c || { fail "cannot build the test program"; return; }
	mkfifo in
	./prog <in >out &
	local pid=$!
	PIDS+=("$pid")
	exec 3>in
	# every thread blocked: main in read (0), the sleepers in nanosleep (35)
	all_blocked() {
		local n=0 tid
		for tid in $(ls "/proc/$pid/task" 2>/dev/null); do
			case $(in_call "$pid" "$tid") in 0|35|230) n=$((n + 1)) ;; esac
		done
		[ "$n" -eq 4 ]
	}
	wait_until 20 all_blocked || { fail "the threads are not all blocked: $(cat /proc/$pid/task/*/syscall)"; exec 3>&-; return; }
	local out
	out=$(timeout 120 "$HIJACK" attach "$pid" -t -o trace 2>&1)
	check_eq "attach: status ($out)" 0 "$?"
	printf 'first line\nsecond line\n' >&3
	exec 3>&-
	timeout 60 tail --pid="$pid" -f /dev/null
	wait "$pid"
	check_eq "the program's status" 0 "$?"
	local o
	o=$(cat out)
	check_eq "three sleepers slept their full time, no EINTR" 3 "$(grep -c 'rc=0 ok full=1' <<<"$o")"
	check_lacks "no read error" '^read:' "$o"
	check_has "main lost no data" 'main got 23 bytes: first line' "$o"
	local trace
	trace=$(cat trace)
	check_has "main's read traced" 'read\(0, "(first|second) line\\n' "$trace"
	check_eq "each sleeper's next nanosleep traced" 3 "$(grep -cE 'nanosleep\(.*\{tv_sec=0, tv_nsec=1000000\}' <<<"$trace")"
	check_lacks "no EINTR" 'EINTR' "$trace"
}

# the library-level hooks: fopen in the program, and in a library it
# dlopens after the attach (by a bare name, found through its RUNPATH),
# redirected to our wrappers; put back by detach
test_got_slots_and_later_libraries() {
	cat >plug.c <<'EOF'
#include <errno.h>
#include <stdio.h>
int plug(void) { FILE *f = fopen("/etc/hostname", "r"); if (!f) return errno; fclose(f); return 0; }
EOF
	cat >host.c <<'EOF'
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char line[64];
	int (*plug)(void) = NULL;
	while (fgets(line, sizeof line, stdin)) {
		if (!strncmp(line, "fopen", 5)) {
			FILE *f = fopen("/etc/hostname", "r");
			printf("fopen %s\n", f ? "ok" : strerror(errno));
			if (f)
				fclose(f);
		} else if (!strncmp(line, "load", 4)) {
			void *h = dlopen("libplug.so", RTLD_NOW);
			plug = h ? (int (*)(void))dlsym(h, "plug") : NULL;
			printf("load %s\n", plug ? "ok" : dlerror());
		} else if (!strncmp(line, "plug", 4)) {
			int e = plug ? plug() : -1;
			printf("plug %s\n", e ? strerror(e) : "ok");
		}
		fflush(stdout);
	}
	return 0;
}
EOF
	gcc -shared -fPIC -o libplug.so plug.c && gcc -o host host.c -Wl,-rpath,'$ORIGIN' -ldl ||
		{ fail "cannot build the test programs"; return; }
	mkfifo in
	./host <in >out &
	local pid=$!
	PIDS+=("$pid")
	exec 3>in
	echo fopen >&3
	lines() { [ "$(wc -l <out)" -ge "$1" ]; }
	wait_until 20 lines 1
	local o
	echo 'Hijack.on(:fopen) { |c| c.fail(:EACCES) }' >deny.rb
	o=$(timeout 120 "$HIJACK" attach "$pid" -s deny.rb 2>&1)
	check_eq "attach: status ($o)" 0 "$?"
	echo fopen >&3
	echo load >&3
	echo plug >&3
	wait_until 20 lines 4
	o=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "detach: status ($o)" 0 "$?"
	echo fopen >&3
	echo plug >&3
	exec 3>&-
	timeout 30 tail --pid="$pid" -f /dev/null
	check_eq "bare, hooked, hooked in a library loaded later, bare again" \
		"fopen ok|fopen Permission denied|load ok|plug Permission denied|fopen ok|plug ok" "$(paste -sd'|' out)"
}

# a process for the refusals: sleeps until killed
sleeper() { "$@" & PIDS+=("$!"); }

test_refuse_no_such_process() {
	true &
	local gone=$!
	wait "$gone"
	local out
	out=$("$HIJACK" attach "$gone" 2>&1)
	check_eq "status" 3 "$?"
	check_has "message" "no such process: $gone" "$out"
	out=$("$HIJACK" detach "$gone" 2>&1)
	check_eq "detach: status" 3 "$?"
}

test_refuse_static() {
	echo 'int main(void){ for (;;) { extern int pause(void); pause(); } }' >s.c
	gcc -static -o s s.c 2>/dev/null || { echo "SKIP static: no static libc to build with"; return; }
	./s &
	local pid=$!
	PIDS+=("$pid")
	wait_until 10 grep -q . "/proc/$pid/syscall"
	local out
	out=$("$HIJACK" attach "$pid" 2>&1)
	check_eq "status" 4 "$?"
	check_has "message" "process $pid \(s\) is a static program" "$out"
}

test_refuse_traced() {
	strace -o /dev/null sleep 60 &
	local spid=$! pid
	PIDS+=("$spid")
	wait_until 10 pgrep -P "$spid" -x sleep >/dev/null
	pid=$(pgrep -P "$spid" -x sleep)
	wait_until 10 grep -q "TracerPid:[[:space:]]*$spid" "/proc/$pid/status"
	local out
	out=$("$HIJACK" attach "$pid" 2>&1)
	check_eq "status" 5 "$?"
	check_has "message" "already traced by process $spid \(strace\)" "$out"
	kill "$pid"
}

test_refuse_hijacked() {
	"$HIJACK" run -- sleep 60 &
	local hpid=$! pid
	PIDS+=("$hpid")
	wait_until 10 pgrep -P "$hpid" -x sleep >/dev/null
	pid=$(pgrep -P "$hpid" -x sleep)
	wait_until 10 grep -q libhijack "/proc/$pid/maps"
	local out
	out=$("$HIJACK" attach "$pid" 2>&1)
	check_eq "status" 6 "$?"
	check_has "message" "process $pid \(sleep\) is already hijacked" "$out"
	kill "$pid"
}

test_refuse_other_user() {
	[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || { echo "SKIP other user: needs root and the user nobody"; return; }
	# a copy nobody can run, beside its library
	mkdir -m 755 bin && cp "$HIJACK" "$LIB" bin/ && chmod 755 bin/hijack && chmod 644 bin/libhijack.so
	chmod 755 .
	sleeper sleep 60
	local pid=${PIDS[-1]} out
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups bin/hijack attach "$pid" 2>&1)
	check_eq "status" 7 "$?"
	check_has "message" "no permission: process $pid \(sleep\) runs as user root, and you are nobody" "$out"
}

# a program under a seccomp filter: FORBID is the call it fails with EPERM
seccomp_prog() {
	cat >sc.c <<EOF
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, $1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = { sizeof f / sizeof f[0], f };
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p))
		return 1;
	for (;;)
		pause();
}
EOF
	gcc -O2 -o sc sc.c
}

test_refuse_seccomp() {
	seccomp_prog SYS_prctl || { fail "cannot build the seccomp program"; return; }
	sleeper ./sc
	local pid=${PIDS[-1]} out
	wait_until 10 grep -q 'Seccomp:[[:space:]]*2' "/proc/$pid/status"
	out=$("$HIJACK" attach "$pid" 2>&1)
	check_eq "status" 8 "$?"
	check_has "message" "seccomp filter forbids prctl\(PR_SET_SYSCALL_USER_DISPATCH\), which hijack needs" "$out"
	check_eq "the process lives on" 0 "$(kill -0 "$pid"; echo $?)"
	# a filter that forbids nothing we need: attached
	seccomp_prog SYS_mount || { fail "cannot build the seccomp program"; return; }
	sleeper ./sc
	pid=${PIDS[-1]}
	wait_until 10 grep -q 'Seccomp:[[:space:]]*2' "/proc/$pid/status"
	out=$(timeout 120 "$HIJACK" attach "$pid" 2>&1)
	check_eq "a harmless filter: attached ($out)" 0 "$?"
	out=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "a harmless filter: detached ($out)" 0 "$?"
	# a filter only root can read: not run blind
	[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 || { echo "SKIP seccomp as nobody: needs root and the user nobody"; return; }
	mkdir -m 755 bin && cp "$HIJACK" "$LIB" sc bin/ && chmod 755 bin/hijack bin/sc && chmod 644 bin/libhijack.so
	chmod 755 .
	sleeper setpriv --reuid=nobody --regid=nogroup --clear-groups bin/sc
	pid=${PIDS[-1]}
	wait_until 10 grep -q 'Seccomp:[[:space:]]*2' "/proc/$pid/status"
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups bin/hijack attach "$pid" 2>&1)
	check_eq "unreadable filter: status" 8 "$?"
	check_has "unreadable filter: message" "has a seccomp filter, which only root can read" "$out"
	check_eq "the process lives on" 0 "$(kill -0 "$pid"; echo $?)"
}

test_refuse_detach_not_hijacked() {
	sleeper sleep 60
	local pid=${PIDS[-1]} out
	wait_until 10 grep -q . "/proc/$pid/syscall"
	out=$("$HIJACK" detach "$pid" 2>&1)
	check_eq "status" 9 "$?"
	check_has "message" "process $pid \(sleep\) is not hijacked" "$out"
}

test_script_errors_before_attaching() {
	echo 'Hijack.on(:openat) { |c|' >bad.rb
	sleeper sleep 60
	local pid=${PIDS[-1]} out
	out=$("$HIJACK" attach "$pid" -s bad.rb 2>&1)
	check_eq "status" 2 "$?"
	check_has "the file and line" "bad.rb:[0-9]+" "$out"
	check_lacks "the process untouched" libhijack "$(cat "/proc/$pid/maps")"
}

# a thread that is running, not blocked: let run to its next safe call
# (a sleep), and loaded there; one that never makes one is let go
test_running_thread_parked() {
	cat >busy.py <<'EOF'
import time
n = 0
while True:
    s = sum(range(20000))
    n += 1
    if n % 50 == 0:
        time.sleep(0.0005)
EOF
	sleeper python3 busy.py
	local pid=${PIDS[-1]} out
	wait_until 10 grep -q . "/proc/$pid/syscall"
	out=$(timeout 120 "$HIJACK" attach "$pid" -t=clock_nanosleep -o trace 2>&1)
	check_eq "parked: attach status ($out)" 0 "$?"
	wait_until 20 grep -q . trace
	check_has "its sleeps traced" '^clock_nanosleep\(CLOCK_MONOTONIC, TIMER_ABSTIME' "$(cat trace)"
	out=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "parked: detach status ($out)" 0 "$?"
	check_eq "it runs on" 0 "$(kill -0 "$pid"; echo $?)"
	echo 'int main(void) { volatile unsigned long n = 0; for (;;) n++; }' >spin.c
	gcc -O2 -o spin spin.c || { fail "cannot build spin"; return; }
	sleeper ./spin
	pid=${PIDS[-1]}
	out=$(timeout 120 "$HIJACK" attach "$pid" 2>&1)
	check_eq "no safe place: status" 1 "$?"
	check_has "no safe place: message" "made no system call where it is safe to stop it" "$out"
	check_eq "it spins on" R "$(awk '/^State:/ { print $2 }' "/proc/$pid/status")"
	check_lacks "and was not loaded into" libhijack "$(cat "/proc/$pid/maps")"
}

# -c: the table of the calls seen while attached, written at detach
test_summary_at_detach() {
	mkfifo in
	bash -c 'while read -r l; do echo "got $l"; done' <in >out &
	local pid=$! out
	PIDS+=("$pid")
	exec 3>in
	reading() { [ "$(in_call "$pid")" = 0 ]; }
	wait_until 20 reading || { fail "bash not blocked in read"; exec 3>&-; return; }
	out=$(timeout 120 "$HIJACK" attach "$pid" -c -o sum 2>&1)
	check_eq "attach: status ($out)" 0 "$?"
	printf 'a\nb\nc\n' >&3
	lines() { [ "$(wc -l <out)" -ge 3 ]; }
	wait_until 20 lines
	out=$(timeout 120 "$HIJACK" detach "$pid" 2>&1)
	check_eq "detach: status ($out)" 0 "$?"
	check_has "the table's head" '^% time +seconds +usecs/call +calls +errors' "$(cat sum)"
	check_has "its writes counted" '^ .* 3 +write$' "$(cat sum)"
	exec 3>&-
}

# ptrace may be impossible here (a container without CAP_SYS_PTRACE, a
# Yama scope of 3): then every test would fail for the machine's sake
if ! timeout 20 strace -o /dev/null true 2>/dev/null; then
	echo "SKIP attach: ptrace is not possible here (strace cannot trace a child)"
	summary attach
	exit
fi

run_tests test_http_server test_sqlite_blocked_in_read test_threads_blocked_in_read_and_nanosleep \
	test_got_slots_and_later_libraries \
	test_refuse_no_such_process test_refuse_static test_refuse_traced test_refuse_hijacked \
	test_refuse_other_user test_refuse_seccomp test_refuse_detach_not_hijacked \
	test_script_errors_before_attaching test_running_thread_parked test_summary_at_detach
summary attach
