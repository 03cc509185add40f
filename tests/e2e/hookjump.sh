#!/usr/bin/env bash
# A hook's ways out of Ruby after hj_vm_run runs each hook under one
# setjmp (mruby's error jump and the watchdog's stop point in one): a
# raise from deep inside methods, blocks and closures, from inside a
# Fiber, from a C method (c.fail with a bad errno), and the ordinary
# return, each many times in one process. The VM must stay usable (every
# later call still reaches its hook), the call must go on as without the
# failed hook, and each rule says its first error once.
source "$(dirname "$0")/../lib.sh"

build_prog() {
	cat >p.c <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	long n = atol(argv[1]), bad = 0;
	pid_t want = getppid();
	for (long i = 0; i < n; i++)
		if (getppid() != want)
			bad++;
	printf("bad=%ld\n", bad);
	return 0;
}
EOF
	cc -O1 -o p p.c
}

t_raise_every_way() {
	build_prog || { fail "cc"; return; }
	cat >h.rb <<'EOF'
$n = 0
def deep(k, &b)
  k == 0 ? b.call : deep(k - 1, &b)
end
Hijack.on(:getppid) { |c|
  $n += 1
  x = 0
  bump = proc { x += 1 }
  case $n % 4
  when 0 then deep(30) { bump.call; raise "deep #{x}" }
  when 1 then Fiber.new { bump.call; raise "in a fiber" }.resume
  when 2 then c.fail(:NOT_AN_ERRNO)
  else [1, 2, 3].map { |v| v + x }
  end
}
Hijack.after(:getppid) { |c| $after = ($after || 0) + 1 }
Hijack.at_exit { Hijack.log("n=#{$n} after=#{$after}\n") }
EOF
	out=$(timeout 120 "$HIJACK" run --quiet -s h.rb -- ./p 4000 2>err)
	check_eq "status" 0 "$?"
	check_eq "every call gave its own result" "bad=0" "$out"
	check_has "every call reached both hooks" "^n=4001 after=4001$" "$(cat err)"
	check_eq "one report for the rule (its first error)" 1 "$(grep -c 'error in hook' err)"
}

t_fail_then_raise_undone() {
	build_prog || { fail "cc"; return; }
	# a hook that fails the call and then raises is as if absent: the
	# call goes on to the kernel, every time
	out=$(timeout 60 "$HIJACK" run --quiet -e 'Hijack.on(:getppid) { |c| c.fail(:EPERM); raise "after fail" }' -- ./p 2000 2>err)
	check_eq "status" 0 "$?"
	check_eq "the failure was undone" "bad=0" "$out"
	check_has "reported" "error in hook at -e:1: .*after fail" "$(cat err)"
}

run_tests t_raise_every_way t_fail_then_raise_undone
summary hookjump
