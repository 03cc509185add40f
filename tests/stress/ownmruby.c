/* A program with its own mruby, linked statically from libmruby.a, as
 * libhijack's is: the two must never meet. */
#include <stdio.h>
#include <unistd.h>

#include <mruby.h>
#include <mruby/compile.h>
#include <mruby/string.h>

int main(void)
{
	mrb_state *mrb = mrb_open();
	if (!mrb)
		return 90;
	mrb_value v = mrb_load_string(mrb,
		"$calls = 0\n"
		"class Hijack; def self.mine; :program; end; end\n"
		"def fib(n) n < 2 ? n : fib(n - 1) + fib(n - 2) end\n"
		"s = (1..20).map { |i| fib(i) }.inject(0) { |a, b| a + b }\n"
		"h = {}; 1000.times { |i| h[i.to_s] = i * 2 }\n"
		"\"#{Hijack.mine} #{s} #{h.size} #{h['999']}\"");
	if (mrb->exc || !mrb_string_p(v)) {
		mrb_print_error(mrb);
		return 91;
	}
	printf("ruby says: %s\n", mrb_str_to_cstr(mrb, v));
	fflush(stdout);
	printf("getppid ok: %d\n", getppid() > 0);
	mrb_close(mrb);
	return 3;
}
