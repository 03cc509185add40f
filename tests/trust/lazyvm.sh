#!/bin/bash
# The VM started at a process's first call that a Ruby rule takes
# (src/vm/defer.c): the launcher's table, the rules working from there,
# and the loads that keep the VM at start.
source "$(dirname "$0")/../lib.sh"

table() { "$HIJACK" run -e "$1" -- cat /proc/self/environ 2>/dev/null | tr '\0' '\n' | sed -n 's/^HIJACK_RUBY_CALLS=//p'; }

t_table_given() {
	check_eq "an empty script: no call" "-;|-;" "$(table nil)"
	check_has "a hook: its call" '^-;[0-9]+\|-;[0-9]+$' "$(table 'Hijack.on(:getppid) { }')"
	check_has "a path filter: descriptors followed" '^g;' "$(table 'Hijack.on(:read, path: "/x*") { }')"
}

t_table_refused() {
	check_eq "at_exit: at start" "" "$(table 'Hijack.at_exit { }; Hijack.on(:getppid) { }')"
	check_eq "output: at start" "" "$(table 'puts 1; Hijack.on(:getppid) { }')"
	check_eq "a rule that depends on argv: at start" "" "$(table 'Hijack.on(:getppid) { } if Hijack.argv[0].include?("cat")')"
	check_eq "Hijack.pid: at start" "" "$(table 'P = Hijack.pid')"
	check_eq "a file opened to write, error rescued: at start" "" \
		"$(table 'begin; File.open("f", "w") { }; rescue; end; Hijack.on(:getppid) { }')"
}

t_rule_fires_late() {
	check_eq "the first hooked call runs its hook" "4242" \
		"$("$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(4242) }' -- python3 -c 'import os; print(os.getppid())')"
	check_eq "in an exec'd grandchild" "4242" \
		"$("$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(4242) }' -- sh -c 'python3 -c "import os; print(os.getppid())"')"
	check_eq "a rule decided by argv still holds" "7" \
		"$("$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(7) } if Hijack.argv.join(" ").include?("python")' -- \
			sh -c 'python3 -c "import os; print(os.getppid())"')"
}

t_threads_and_small_stacks() {
	local out
	out=$(timeout 60 "$HIJACK" run -e 'Hijack.on(:getppid) { |c| c.return(5) }' -- python3 -c '
import os, threading
threading.stack_size(65536)
res = []
ts = [threading.Thread(target=lambda: res.append(os.getppid())) for _ in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(set(res)))')
	check_eq "8 threads with 64 KB stacks, the first call each" "[5]" "$out"
}

t_top_level_once() {
	"$HIJACK" run -e 'File.open("log", "a") { |f| f.puts "x" }' -- true
	check_eq "a load's write, once per process (none from the launcher)" "1" "$(wc -l <log)"
	check_eq "top-level output once" "1" "$("$HIJACK" run -e 'puts "top"' -- true 2>&1 | grep -c '^top$')"
}

t_unfired_without_a_vm() {
	local err
	err=$("$HIJACK" run -e 'Hijack.on(:getppid) { }' -- true 2>&1)
	check_has "a rule no process loaded is named" 'rule at -e:1 \(on getppid\) never fired: no process made the getppid system call' "$err"
	err=$("$HIJACK" run -e 'Hijack.on(:getppid) { }' -- python3 -c 'import os; os.getppid()' 2>&1)
	check_lacks "and not once it fired" "never fired" "$err"
}

run_tests t_table_given t_table_refused t_rule_fires_late t_threads_and_small_stacks t_top_level_once \
	t_unfired_without_a_vm
summary lazyvm
