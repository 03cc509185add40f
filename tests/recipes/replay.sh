#!/bin/bash
# --record and --replay: faults found by chance, injected again at will.
source "$(dirname "$0")/../lib.sh"

# a shell that writes 12 files and says which writes failed
LOOP='for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "$i" > "f$i" 2>/dev/null || echo "failed $i"; done; cat f* | wc -l'

test_inject_record_replay() {
	local rec rep out1 out2 out3
	out1=$(timeout 20 "$HIJACK" run --inject write:error=EIO:probability=0.4 --seed 7 --record rec -- sh -c "$LOOP" 2>&1)
	check_has "some writes failed" "^failed " "$out1"
	check_has "the file names them" "^1 write [0-9]+ error=EIO$" "$(cat rec)"
	rm -f f*
	# another seed, no --inject: the same faults, from the file alone
	out2=$(timeout 20 "$HIJACK" run --seed 99 --replay rec -- sh -c "$LOOP" 2>&1)
	check_eq "replay fails the same way" "$out1" "$out2"
	rm -f f*
	# the --inject given again is not used while replaying
	out3=$(timeout 20 "$HIJACK" run --inject write:error=EIO:probability=0.4 --seed 12345 --replay rec -- sh -c "$LOOP" 2>&1)
	check_eq "replay ignores --inject" "$out1" "$out3"
	rm -f f*
	local other
	other=$(timeout 20 "$HIJACK" run --inject write:error=EIO:probability=0.4 --seed 12345 -- sh -c "$LOOP" 2>&1)
	[ "$other" != "$out1" ] && pass || fail "another seed should fail other writes (got the same: $other)"
}

test_script_chance_replay() {
	# a script's own chance (Hijack.rand) is replayed from the file too
	local rb='Hijack.on(:openat, path: "data*") { |c| c.fail(:EACCES) if Hijack.rand < 0.5 }'
	local py='
import os
for i in range(16):
    try:
        open("data%d" % i, "w").close(); print("ok", i)
    except PermissionError:
        print("denied", i)'
	local out1 out2
	out1=$(timeout 20 "$HIJACK" run -e "$rb" --seed 3 --record r -- /usr/bin/python3 -c "$py" 2>&1)
	check_has "some opens denied" "^denied" "$out1"
	check_has "some opens not" "^ok" "$out1"
	rm -f data*
	out2=$(timeout 20 "$HIJACK" run -e "$rb" --seed 4 --replay r -- /usr/bin/python3 -c "$py" 2>&1)
	check_eq "same opens denied" "$out1" "$out2"
}

test_children_by_name() {
	# faults in children are named by their place in the tree, not their pid
	local out1 out2
	local cmd='for n in 1 2 3; do sh -c "echo x > g$n" 2>/dev/null || echo "child $n failed"; done'
	out1=$(timeout 20 "$HIJACK" run --inject write:error=ENOSPC:probability=0.5 --seed 5 --record r -- sh -c "$cmd" 2>&1)
	check_has "children's faults have names" "^1\.[0-9]+ write" "$(cat r)"
	rm -f g*
	out2=$(timeout 20 "$HIJACK" run --seed 6 --replay r -- sh -c "$cmd" 2>&1)
	check_eq "the same children fail" "$out1" "$out2"
}

test_malformed() {
	local out
	printf '# a comment\n1 write 3 error=EIO\n1 wrte 4 error=EIO\n' >bad
	out=$("$HIJACK" run --replay bad -- true 2>&1)
	check_eq "status" 2 "$?"
	check_has "file and line" "bad:3: unknown call 'wrte'" "$out"
	printf '1 write three error=EIO\n' >bad
	check_has "not a number" "bad:1: expected 'PROCESS CALL SEQ" "$("$HIJACK" run --replay bad -- true 2>&1)"
	printf '1 write 3 error=EWHAT\n' >bad
	check_has "unknown errno" "bad:1: unknown errno 'EWHAT'" "$("$HIJACK" run --replay bad -- true 2>&1)"
	printf '1 write 3 oops\n' >bad
	check_has "unknown fault" "bad:1: 'oops': expected error=ERRNO or retval=N" "$("$HIJACK" run --replay bad -- true 2>&1)"
	check_has "missing file" "nosuch: No such file or directory" "$("$HIJACK" run --replay nosuch -- true 2>&1)"
	printf '1 write 1 retval=1\n' >ok
	"$HIJACK" run --replay ok -- true
	check_eq "a good file runs" 0 "$?"
}

run_tests test_inject_record_replay test_script_chance_replay test_children_by_name test_malformed
summary replay
