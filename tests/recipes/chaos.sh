#!/bin/bash
# Hijack::Chaos on real programs: each method makes the fault it names,
# and the program reacts as it would to the real thing.
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3

# seconds since the epoch, with nanoseconds
now() { date +%s.%N; }
# a - b, in seconds, 3 decimals
elapsed() { $PY -c "import sys; print('%.3f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$1" "$2"; }
# check_range WHAT LOW HIGH VALUE
check_range() {
	if $PY -c "import sys; l, h, v = map(float, sys.argv[1:]); sys.exit(0 if l <= v <= h else 1)" "$2" "$3" "$4"; then
		pass
	else
		fail "$1: $4 not in [$2, $3]"
	fi
}
# the bits in which two files differ (and 'size' if their sizes do)
bits_differ() {
	$PY -c '
import sys
a, b = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
print(sum(bin(x ^ y).count("1") for x, y in zip(a, b)) if len(a) == len(b) else "size")' "$1" "$2"
}
# Under the system-call layer, pwrite() is the pwrite64 system call,
# whose row has no fd argument for a path filter until the table's
# decoders land ("decoders pending"): the checks that need it wait.
pwrite_has_fd() {
	[ "${HIJACK_SYSCALLS:-1}" = 0 ] || "$HIJACK" calls | grep -q 'pwrite64(int fd'
}
# when_pwrite_decoded CHECK ARGS...: the check, or a note that it waits
when_pwrite_decoded() {
	if pwrite_has_fd; then "$@"; else echo "SKIP [$current] $2: decoders pending (pwrite64 has no fd yet)"; fi
}
free_port() { $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- fail ----

test_fail_python_open() {
	echo top >secret
	echo fine >other
	local out
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.fail(:openat, errno: :EACCES, path: "*secret")' -- \
		$PY -c 'print(open("other").read().strip()); open("secret")' 2>&1)
	check_eq "python's status" 1 "$?"
	check_has "other files open" "^fine$" "$out"
	check_has "PermissionError with the errno" "^PermissionError: \[Errno 13\] Permission denied: 'secret'$" "$out"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.fail(:write, errno: :ENOSPC, fd: 1)' -- $PY -c 'import os; os.write(1, b"x")' 2>&1)
	check_has "OSError ENOSPC" "^OSError: \[Errno 28\] No space left on device$" "$out"
}

# when: as strace's, counted per call among the filtered calls
test_fail_when() {
	local loop='for i in 1 2 3 4 5 6 7 8; do echo $i > g$i 2>/dev/null || echo failed $i; done'
	local w out
	for w in '3:failed 3' '"2+2":failed 2 failed 4 failed 6 failed 8' '"3+":failed 3 failed 4 failed 5 failed 6 failed 7 failed 8' \
		'"2..6+3":failed 2 failed 5' '2..3:failed 2 failed 3' '(7..):failed 7 failed 8' '"5..6":failed 5 failed 6'; do
		out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.fail(:write, errno: :ENOSPC, path: '*/g*', when: ${w%%:*})" -- sh -c "$loop" 2>&1 | tr '\n' ' ')
		check_eq "when: ${w%%:*}" "${w#*:} " "$out"
	done
	# sh's own message, as for a real full disk
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.fail(:write, errno: :ENOSPC, when: 1)' -- sh -c 'echo hi > f' 2>&1)
	check_has "sh says so" "I/O error|No space left" "$out"
	check_eq "nothing written" "" "$(cat f)"
	# a forked child counts its own calls: its first write fails too
	rm -f f1 f2 f3
	timeout 10 "$HIJACK" run -e 'Hijack::Chaos.fail(:write, errno: :ENOSPC, when: 1)' -- sh -c 'echo a > f1; (echo b > f2); echo c > f3' 2>/dev/null
	check_eq "per process" "||c" "$(cat f1)|$(cat f2)|$(cat f3)"
}

# probability: seeded; chance's faults are recorded and replayed
test_fail_probability() {
	local loop='for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo $i > g$i 2>/dev/null || echo failed $i; done'
	local rb='Hijack::Chaos.fail(:write, errno: :EIO, probability: 0.5, path: "*/g*")'
	local a b c r
	a=$(timeout 10 "$HIJACK" run --seed 5 --record rec -e "$rb" -- sh -c "$loop" | tr '\n' ' ')
	b=$(timeout 10 "$HIJACK" run --seed 5 -e "$rb" -- sh -c "$loop" | tr '\n' ' ')
	check_eq "same seed, same faults" "$a" "$b"
	check_has "some fail" "failed" "$a"
	[ "$(wc -w <<<"$a")" -lt 24 ] && pass || fail "all writes failed: $a"
	check_has "recorded" "^1 write [0-9]+ error=EIO$" "$(cat rec)"
	r=$(timeout 10 "$HIJACK" run --seed 77 --replay rec -e "$rb" -- sh -c "$loop" | tr '\n' ' ')
	check_eq "replayed under another seed" "$a" "$r"
	c=$(for s in 1 2 3; do timeout 10 "$HIJACK" run --seed $s -e "$rb" -- sh -c "$loop" | tr '\n' ' '; done)
	[ "$c" != "$a$a$a" ] && pass || fail "other seeds, other faults"
}

# ---- delay ----

test_delay_cat() {
	echo data >f
	local t0 t1 t2 bare slow out
	t0=$(now)
	out=$(timeout 10 "$HIJACK" run -- cat f)
	t1=$(now)
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.delay(:read, 0.2, path: "*/f")' -- cat f)
	t2=$(now)
	check_eq "output" data "$out"
	bare=$(elapsed "$t1" "$t0")
	slow=$(elapsed "$t2" "$t1")
	# two reads (the data, then the end) of 0.2 s each; a loaded machine
	# only ever adds time, so the upper bound is loose
	echo "INFO [test_delay_cat] bare $bare s, delayed $slow s"
	check_range "cat under delay(:read, 0.2) takes 0.4 s more than bare ($bare s)" "$($PY -c "print($bare + 0.39)")" "$($PY -c "print($bare + 10)")" "$slow"
	t0=$(now)
	timeout 10 "$HIJACK" run --seed 1 -e 'Hijack::Chaos.delay(:read, 0.1, jitter: 0.05, path: "*/f")' -- cat f >/dev/null
	t1=$(now)
	check_range "jitter keeps above seconds - jitter" 0.1 10 "$(elapsed "$t1" "$t0")"
}

# ---- throttle ----

# 4 MB at 4 MB/s: about a second, by read/write (dd) and by
# copy_file_range (cat to a file). A loaded machine makes any transfer
# slower, never faster: the checks are that the copy is right, takes at
# least most of its time, and finishes; the rate itself is INFO (and
# `make bench` territory).
test_throttle() {
	head -c 4000000 /dev/urandom >src
	local t0 t1 s bw prog
	for prog in "dd if=src of=dst bs=64k status=none" "cat src"; do
		rm -f dst
		t0=$(now)
		if [ "${prog%% *}" = cat ]; then
			timeout 60 "$HIJACK" run -e 'Hijack::Chaos.throttle(bytes_per_second: 4_000_000)' -- $prog >dst
		else
			timeout 60 "$HIJACK" run -e 'Hijack::Chaos.throttle(bytes_per_second: 4_000_000)' -- $prog
		fi
		check_eq "${prog%% *} under throttle: finishes" 0 "$?"
		t1=$(now)
		cmp -s src dst && pass || fail "$prog: copy differs"
		s=$(elapsed "$t1" "$t0")
		bw=$($PY -c "print('%.2f' % (4.0 / $s))")
		echo "INFO [test_throttle] throttle 4 MB/s, ${prog%% *}: 4 MB in $s s = $bw MB/s"
		check_range "${prog%% *} at 4 MB/s: at least 0.8 s (s)" 0.8 55 "$s"
	done
	# reads only, from a path: 0.5 s for src's reads; writes, and reads
	# of other paths, are free (80 MB unthrottled, 10 s if they were not)
	t0=$(now)
	timeout 60 "$HIJACK" run -e 'Hijack::Chaos.throttle(:read, bytes_per_second: 8_000_000, path: "*/src")' -- dd if=src of=dst bs=128k status=none
	t1=$(now)
	s=$(elapsed "$t1" "$t0")
	echo "INFO [test_throttle] reads of src at 8 MB/s: 4 MB in $s s"
	check_range "reads of src at 8 MB/s: at least 0.4 s" 0.4 55 "$s"
	t0=$(now)
	timeout 60 "$HIJACK" run -e 'Hijack::Chaos.throttle(:read, :write, bytes_per_second: 8_000_000, path: "*/src")' -- \
		dd if=/dev/zero of=/dev/null bs=128k count=640 status=none
	t1=$(now)
	check_range "other paths are not throttled: 80 MB well under 10 s" 0 5 "$(elapsed "$t1" "$t0")"
}

# a socket: curl downloads 2 MB at 2 MB/s
test_throttle_socket() {
	head -c 2000000 /dev/urandom >big
	local p srv t0 t1 s bw
	p=$(free_port)
	$PY -m http.server "$p" --bind 127.0.0.1 >/dev/null 2>&1 &
	srv=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$p/" && break
		sleep 0.1
	done
	t0=$(now)
	timeout 60 "$HIJACK" run -e 'Hijack::Chaos.throttle(:recv, bytes_per_second: 2_000_000)' -- curl -s -o got "http://127.0.0.1:$p/big"
	t1=$(now)
	kill "$srv"
	wait "$srv" 2>/dev/null
	cmp -s big got && pass || fail "download differs"
	s=$(elapsed "$t1" "$t0")
	bw=$($PY -c "print('%.2f' % (2.0 / $s))")
	echo "INFO [test_throttle_socket] throttle 2 MB/s, curl's recv: 2 MB in $s s = $bw MB/s"
	check_range "curl at 2 MB/s: at least 0.8 s (s)" 0.8 55 "$s"
}

# ---- short_io ----

test_short_io() {
	head -c 1000000 /dev/urandom >src
	local n
	# cat to a pipe: read and write; cp: copy_file_range
	timeout 20 "$HIJACK" run --seed 9 -t=read,write -o trace -e 'Hijack::Chaos.short_io' -- cat src | cat >dst
	cmp -s src dst && pass || fail "cat's copy differs"
	n=$(grep -c '^write(1, ' trace)
	[ "$n" -gt 20 ] && pass || fail "cat should make many short writes, made $n"
	check_has "a short write" '^write\(1, .*, ([0-9]+)\) = \1$' "$(grep '^write(1' trace | head -3)"
	# no call moves 0 bytes except the read at the end
	check_eq "no write of 0" 0 "$(grep -c '^write(1, .*) = 0$' trace)"
	check_eq "one read of 0 (the end)" 1 "$(grep -c '^read(3, .*) = 0$' trace)"
	timeout 20 "$HIJACK" run --seed 9 -t=copy_file_range -o trace2 -e 'Hijack::Chaos.short_io' -- cp src dst2
	check_eq "cp's status" 0 "$?"
	cmp -s src dst2 && pass || fail "cp's copy differs"
	n=$(grep -c '^copy_file_range' trace2)
	[ "$n" -gt 2 ] && pass || fail "cp should copy in several short steps, made $n"
	# python's buffered reader loops too
	timeout 20 "$HIJACK" run --seed 2 -e 'Hijack::Chaos.short_io(:read)' -- $PY -c '
import sys; d = open("src", "rb").read(); sys.stdout.buffer.write(d)' >dst3
	cmp -s src dst3 && pass || fail "python's read differs"
}

# ---- corrupt ----

test_corrupt() {
	head -c 1000000 /dev/urandom >src
	timeout 20 "$HIJACK" run --seed 4 -e 'Hijack::Chaos.corrupt(:read, probability: 1.0, count: 1, path: "*/src")' -- cat src | cat >dst
	check_eq "exactly one bit differs (read)" 1 "$(bits_differ src dst)"
	check_eq "cmp -l: one byte" 1 "$(cmp -l src dst | wc -l)"
	timeout 20 "$HIJACK" run --seed 4 -e 'Hijack::Chaos.corrupt(:write, count: 1, path: "*/dst2")' -- dd if=src of=dst2 bs=64k status=none
	check_eq "exactly one bit differs (write)" 1 "$(bits_differ src dst2)"
	# every 64 KB block of dd has one bit flipped
	timeout 20 "$HIJACK" run --seed 4 -e 'Hijack::Chaos.corrupt(:write, path: "*/dst3")' -- dd if=src of=dst3 bs=64k status=none
	check_eq "one bit a write" 16 "$(bits_differ src dst3)"
	# the same seed flips the same bit
	timeout 20 "$HIJACK" run --seed 4 -e 'Hijack::Chaos.corrupt(:read, probability: 1.0, count: 1, path: "*/src")' -- cat src | cat >dst4
	cmp -s dst dst4 && pass || fail "same seed, other bit"
}

# ---- partition ----

test_partition() {
	echo hello >page.txt
	local p1 p2 s1 s2 out
	p1=$(free_port)
	p2=$(free_port)
	$PY -m http.server "$p1" --bind 0.0.0.0 >/dev/null 2>&1 &
	s1=$!
	$PY -m http.server "$p2" --bind 0.0.0.0 >/dev/null 2>&1 &
	s2=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$p1/" && curl -s -o /dev/null "http://127.0.0.1:$p2/" && break
		sleep 0.1
	done
	# by host:port
	out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1:$p1')" -- curl -sS -m 5 "http://127.0.0.1:$p1/page.txt" 2>&1)
	check_has "curl to the cut peer times out" "curl: \(28\).*(timed out|Couldn't connect)" "$out"
	check_lacks "no page" hello "$out"
	out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1:$p1')" -- curl -sS -m 5 "http://127.0.0.1:$p2/page.txt" 2>&1)
	check_eq "another port answers" hello "$out"
	# by host: 127.0.0.2 is the same machine, another peer
	out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1')" -- curl -sS -m 5 "http://127.0.0.1:$p2/page.txt" 2>&1)
	check_has "every port of the host is cut" "curl: \(28\)" "$out"
	out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1')" -- curl -sS -m 5 "http://127.0.0.2:$p2/page.txt" 2>&1)
	check_eq "another host answers" hello "$out"
	# a name is resolved: localhost is 127.0.0.1
	out=$(timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('localhost:$p2')" -- curl -sS -m 5 "http://127.0.0.1:$p2/page.txt" 2>&1)
	check_has "localhost:PORT cuts 127.0.0.1:PORT" "curl: \(28\)" "$out"
	# timeout: the connect hangs that long first
	local t0 t1
	t0=$(now)
	timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1:$p1', timeout: 0.5)" -- curl -s -m 5 "http://127.0.0.1:$p1/" >/dev/null
	t1=$(now)
	# at least 0.5 s; curl's own -m 5 would take 5
	check_range "connect hangs 0.5 s" 0.5 4 "$(elapsed "$t1" "$t0")"
	kill "$s1" "$s2"
	wait "$s1" "$s2" 2>/dev/null
	# datagrams to the peer vanish, sendto says it sent them
	local u
	u=$(free_port)
	out=$(PEER=$u timeout 10 "$HIJACK" run -e "Hijack::Chaos.partition('127.0.0.1:$u')" -- $PY -c '
import os, socket
def sock(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port)); s.settimeout(0.3); return s
cut, other, me = sock(int(os.environ["PEER"])), sock(), sock()
print("sent", me.sendto(b"hello", cut.getsockname()), me.sendto(b"hello", other.getsockname()))
for name, s in (("cut", cut), ("other", other)):
    try: print(name, s.recvfrom(64)[0].decode())
    except socket.timeout: print(name, "nothing")
# and what the peer sends never arrives
cut.sendto(b"from-cut", me.getsockname())
try: print("me", me.recvfrom(64)[0].decode())
except socket.timeout: print("me nothing")' 2>&1)
	check_has "sendto returns the full length" "^sent 5 5$" "$out"
	check_has "the peer got nothing" "^cut nothing$" "$out"
	check_has "another peer got it" "^other hello$" "$out"
	check_has "nothing arrives from the peer" "^me nothing$" "$out"
}

# ---- oom ----

test_oom() {
	local out
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.oom(after_bytes: 20_000_000)' -- $PY -c 'x = bytearray(50_000_000)' 2>&1)
	check_eq "python's status" 1 "$?"
	check_has "MemoryError with a traceback" "^Traceback \(most recent call last\):" "$out"
	check_has "MemoryError" "^MemoryError$" "$out"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.oom(after_bytes: 20_000_000)' -- $PY -c 'x = bytearray(10_000_000); print("ok", len(x))' 2>&1)
	check_eq "below the limit all is well" "ok 10000000" "$out"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.oom(after_bytes: 20_000_000)' -- $PY -c '
l = []
try:
    while True: l.append(bytearray(1_000_000))
except MemoryError:
    print("MemoryError after", len(l), "MB")' 2>&1)
	check_has "a program that keeps taking stops near the limit" "^MemoryError after 1[0-9] MB$" "$out"
}

# ---- disk_full ----

test_disk_full_sqlite() {
	mkdir db
	sqlite3 db/t.db "create table t(x); insert into t values (randomblob(1000)); insert into t values (randomblob(1000));"
	local out
	out=$(timeout 20 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "db", after_bytes: 300_000)' -- sqlite3 db/t.db \
		"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000) INSERT INTO t SELECT randomblob(1000) FROM c;" 2>&1)
	when_pwrite_decoded check_has "sqlite3 says so" "database or disk is full" "$out"
	check_eq "integrity_check, bare" ok "$(timeout 10 sqlite3 db/t.db 'PRAGMA integrity_check')"
	when_pwrite_decoded check_eq "the transaction rolled back" 2 "$(timeout 10 sqlite3 db/t.db 'select count(*) from t')"
	# a small insert fits
	timeout 20 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "db", after_bytes: 300_000)' -- sqlite3 db/t.db "insert into t values (1)"
	check_eq "a small write fits" 0 "$?"
}

test_disk_full_files() {
	mkdir d
	head -c 1000000 /dev/urandom >src
	local out
	# cp (copy_file_range): what fits, then ENOSPC
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "d", after_bytes: 300_000)' -- cp src d/x 2>&1)
	check_eq "cp's status" 1 "$?"
	check_has "cp says so" "No space left on device" "$out"
	check_eq "what fits was written" 300000 "$(stat -c %s d/x)"
	# dd (write): the write that crosses the limit is partial
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "d", after_bytes: 100_000)' -- dd if=src of=d/y bs=64k 2>&1)
	check_has "dd says so" "No space left on device" "$out"
	check_eq "a partial write, then ENOSPC" 100000 "$(stat -c %s d/y)"
	# files elsewhere are not on that disk
	timeout 10 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "d", after_bytes: 0)' -- cp src elsewhere
	check_eq "elsewhere: no limit" 0 "$?"
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.disk_full(path: "d", after_bytes: 0)' -- $PY -c 'f = open("d/z", "w"); f.write("hi"); f.close()' 2>&1)
	check_has "python: OSError ENOSPC" "OSError: \[Errno 28\] No space left on device" "$out"
}

# ---- mistakes: the script's line, exit 2 ----

test_errors() {
	local out
	printf 'x = 1\nHijack::Chaos.fail(:write)\n' >a.rb
	out=$("$HIJACK" run -s a.rb -- true 2>&1)
	check_eq "status" 2 "$?"
	check_has "missing errno:" "^hijack: (.*/)?a.rb:2: missing keyword: errno" "$out"
	out=$("$HIJACK" run -e 'Hijack::Chaos.fail(:write, errno: :EIO, when: "x")' -- true 2>&1)
	check_has "bad when:" "^hijack: -e:1: when: bad \"x\"" "$out"
	out=$("$HIJACK" run -e 'Hijack::Chaos.throttle(:open, bytes_per_second: 1)' -- true 2>&1)
	check_has "throttle of a call that moves no bytes" "^hijack: -e:1: Chaos.throttle: :open is not one of" "$out"
	out=$("$HIJACK" run -e 'Hijack::Chaos.partition("a:b:c:80x")' -- true 2>&1)
	check_eq "an odd peer resolves to nothing, not an error" 0 "$?"
	out=$("$HIJACK" run -e 'Hijack::Chaos.partition("host:99999")' -- true 2>&1)
	check_has "bad port" "^hijack: -e:1: Chaos.partition: bad port" "$out"
	out=$("$HIJACK" run -e 'Hijack::Chaos.corrupt(probability: 2)' -- true 2>&1)
	check_has "bad probability" "^hijack: -e:1: probability: must be" "$out"
	out=$("$HIJACK" run -e 'Hijack::Chaos.delay(:read)' -- true 2>&1)
	check_has "delay without seconds" "^hijack: -e:1: Chaos.delay" "$out"
}

# stdio's own writes (awk's print, flushed at close) are system calls the
# layer sees: a fault on write reaches them. Without the layer they are
# made inside libc, where no hook sees them.
test_fail_stdio_write() {
	local out status
	out=$(timeout 10 "$HIJACK" run -e 'Hijack::Chaos.fail(:write, errno: :ENOSPC, path: "*/out")' -- \
		awk 'BEGIN { print "x" > "out"; close("out") }' 2>&1)
	status=$?
	if [ "${HIJACK_SYSCALLS:-1}" = 0 ]; then
		check_eq "libc only: stdio's write unseen" 0 "$status"
		check_has "libc only: said so" "never fired" "$out"
	else
		check_eq "awk's status" 2 "$status"
		check_has "awk says so" "close failed on file out \(No space left on device\)" "$out"
	fi
}

run_tests test_fail_stdio_write test_fail_python_open test_fail_when test_fail_probability test_delay_cat test_throttle test_throttle_socket \
	test_short_io test_corrupt test_partition test_oom test_disk_full_sqlite test_disk_full_files test_errors
summary chaos
