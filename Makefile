# hijack: `make` builds, `make check` runs every test, `make bench` the
# benchmarks, `make demo` shows it at work. `V=1` for full commands.
PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
MRUBY_DEFS = -DMRB_USE_RATIONAL -DMRB_USE_COMPLEX   # as libmruby.a was built
WARN = -std=gnu11 -Wall -Wextra -Werror
ALL_CFLAGS = $(WARN) $(CFLAGS) $(MRUBY_DEFS) -fPIC -U_FORTIFY_SOURCE -Isrc $(EXTRA_CFLAGS)
LIBS = /usr/lib/libmruby.a -lm -ldl -lpthread
B ?= build

ifeq ($(V),1)
Q =
else
Q = @
endif

# The engine, shared by the library and the launcher: where a call is
# decided (core), the Ruby binding (vm), where it is printed (output), the
# fault sources (faults). The library adds its start and its two layers of
# interception: libc's exported functions (libc) and system calls (syscall).
ENGINE = $(wildcard src/core/*.c src/vm/*.c src/output/*.c src/faults/*.c) src/calls.c
ENGINE := $(filter-out src/core/start.c src/core/attach.c,$(ENGINE))
PRELOAD = src/core/start.c src/core/attach.c $(filter-out src/syscall/audit.c,$(wildcard src/libc/*.c src/syscall/*.c src/syscall/*.S))
HEADERS = $(wildcard src/*.h src/*.def src/*/*.h src/*/*.def)
RECIPES = $(wildcard src/ruby/*.rb)
ENGINE_O = $(ENGINE:src/%.c=$(B)/%.o)
PRELOAD_O = $(patsubst src/%.S,$(B)/%.o,$(PRELOAD:src/%.c=$(B)/%.o))
# The Ruby side (mruby, libm, the recipes) is a library of its own, loaded
# only by a process whose scripts may need it (src/vmlib/vmlib.h): most
# processes of a build never map it. runaway.c's watchdog is the VM's; the
# preloaded part keeps a copy for its hj_parse_* only.
VM_O = $(B)/vm/vm.o $(B)/vm/api.o $(B)/vm/recipes.o
RUBYLIB_O = $(VM_O) $(B)/core/runaway.o $(B)/vmlib/entry.o
LIB_O = $(PRELOAD_O) $(filter-out $(VM_O),$(ENGINE_O)) $(B)/vmlib/forward.o $(B)/vmlib/nolibm.o
# DT_RELR: a relative relocation in a few bits, not 24 bytes (glibc 2.36)
RELR := $(shell echo 'int main(void){return 0;}' | $(CC) -x c - -o /dev/null -Wl,-z,pack-relative-relocs 2>/dev/null && echo -Wl,-z,pack-relative-relocs)

all: $(B)/libhijack.so $(B)/libhijack-ruby.so $(B)/libhijack-audit.so $(B)/hijack

$(B)/%.o: src/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/%.o: src/%.S | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS $<")
	$(Q)$(CC) -c $< -o $@

# the wrappers define malloc, open...: gcc must not treat them as builtins;
# they stay interposable (default visibility), while the engine's names,
# exported to the Ruby library, are protected: bound inside, no PLT
$(B)/libc/%.o: ALL_CFLAGS += -fno-builtin -Wno-array-parameter -fvisibility=default
$(B)/%.o: ALL_CFLAGS += -fvisibility=protected

# the Ruby built into the library (recipes, the script prelude) is
# compiled to bytecode here and built in with .incbin: no process parses
# it, and no file of it exists for a program to change
RUBY_MRB = $(RECIPES:src/ruby/%.rb=$(B)/ruby/%.mrb)
$(B)/rbc: src/tools/rbc.c | deps
	@mkdir -p $(B)
	@$(if $(Q),echo "  CC $@")
	$(Q)$(CC) $(WARN) -O2 $(MRUBY_DEFS) -o $@ $< $(LIBS)
$(B)/ruby/%.mrb: src/ruby/%.rb $(B)/rbc
	@mkdir -p $(B)/ruby
	@$(if $(Q),echo "  RBC $<")
	$(Q)$(B)/rbc hijack/$*.rb $< $@
$(B)/vm/recipes.o: $(RUBY_MRB)
$(B)/vm/recipes.o: ALL_CFLAGS += -DHJ_RUBY_DIR='"$(B)/ruby"'

# Export the wrapped libc names (calls.def, twins.def), attach's entry
# points, and the engine's names the Ruby library calls (hj_*), so that
# mruby and our internals never clash with a program's own symbols.
$(B)/libhijack.map: src/calls.def src/libc/twins.def $(RUBYLIB_O) Makefile
	@mkdir -p $(B)
	$(Q){ echo '{ global:'; \
	  sed -n 's/^\(CALL\|HAND\)(\([a-z0-9_]*\),.*/  \2;/p; s/^VARIANT(\([A-Za-z0-9_]*\),.*/  \1;/p' src/calls.def; \
	  sed -n 's/^TWIN(\([a-z0-9_]*\),.*/  \1;/p' src/libc/twins.def; \
	  echo '  close_range; closefrom;'; \
	  echo '  hj_attach; hj_attach_thread; hj_detach; hj_attach_state;'; \
	  nm -u $(RUBYLIB_O) | awk '$$2 ~ /^hj_/ { print "  " $$2 ";" }' | sort -u; \
	  echo 'local: *; };'; } > $@

# -z now: bound once at load, not lazily in each forked child (whose
# calls between fork and exec the parent may never have made: about 10
# page faults a child). mrb_vm_exec is for runaway.c's watchdog, which
# runs in the Ruby library's copy only.
$(B)/libhijack.so: $(LIB_O) $(B)/libhijack.map | $(B)/libhijack-ruby.so
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) -shared $(CFLAGS) $(EXTRA_LDFLAGS) $(RELR) -Wl,--version-script=$(B)/libhijack.map -Wl,-z,nodelete -Wl,-z,defs -Wl,-z,now \
		-Wl,--defsym=mrb_vm_exec=0 -o $@ $(LIB_O) -ldl -lpthread

$(B)/libhijack-ruby.so: $(RUBYLIB_O)
	@$(if $(Q),echo "  LD $@")
	$(Q)echo '{ global: hj_ruby_entry; local: *; };' > $(B)/libhijack-ruby.map
	$(Q)$(CC) -shared $(CFLAGS) $(EXTRA_LDFLAGS) $(RELR) -Wl,--version-script=$(B)/libhijack-ruby.map -Wl,-z,nodelete -Wl,-z,now \
		-o $@ $(RUBYLIB_O) $(LIBS)

# The start-up watcher, loaded with LD_AUDIT (src/syscall/audit.c): no
# libc, so that its namespace costs a process no second one.
$(B)/libhijack-audit.so: src/syscall/audit.c src/syscall/early.h | deps
	@mkdir -p $(B)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(WARN) -O2 -g -fPIC -shared -nostdlib -ffreestanding -fno-builtin -fno-stack-protector \
		-Isrc -Wl,-z,noexecstack -o $@ $<

# The launcher: the commands, and the rules it hands the kernel under
# --enforce (src/enforce), with libseccomp built in.
LAUNCHER_O = $(patsubst src/%.c,$(B)/%.o,$(wildcard src/launcher/*.c src/enforce/*.c src/attach/*.c))
$(B)/hijack: $(LAUNCHER_O) $(ENGINE_O)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(CC) $(CFLAGS) $(EXTRA_LDFLAGS) -o $@ $^ $(LIBS) -l:libseccomp.a

# Debian packages the build needs; installed when missing (as root).
DEPS_PKGS = libmruby-dev libseccomp-dev
deps:
	@test -f /usr/lib/libmruby.a -a -f /usr/include/seccomp.h || ./scripts/install-deps $(DEPS_PKGS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib
	install -m 755 $(B)/hijack $(DESTDIR)$(PREFIX)/bin/hijack
	install -m 644 $(B)/libhijack.so $(DESTDIR)$(PREFIX)/lib/libhijack.so
	install -m 644 $(B)/libhijack-ruby.so $(DESTDIR)$(PREFIX)/lib/libhijack-ruby.so
	install -m 644 $(B)/libhijack-audit.so $(DESTDIR)$(PREFIX)/lib/libhijack-audit.so

# what the tests and the demo run, beyond the build
TEST_PKGS = ruby strace python3 valgrind clang libclang-rt-14-dev sqlite3 curl git xz-utils make gcc faketime
# wanted, not needed: a test that needs one is skipped when it cannot be had
TEST_PKGS_OPTIONAL = golang-go
test-deps:
	@./scripts/install-deps $(TEST_PKGS)
	@./scripts/install-deps $(TEST_PKGS_OPTIONAL) || echo "hijack: could not install $(TEST_PKGS_OPTIONAL): the tests that need it are skipped" >&2

check: all test-deps
	$(Q)./tests/run

# how much of a real program's system calls hijack sees, beside strace
# (also a suite of make check)
coverage: all test-deps
	$(Q)./tests/coverage/run

bench: all
	$(Q)./bench/run

demo: all test-deps
	$(Q)./scripts/demo

clean:
	rm -rf $(B) build-*

.PHONY: all deps test-deps install check coverage bench demo clean
include fuzz/fuzz.mk
$(FUZZ_B)/vm/recipes.o: $(RUBY_MRB)
$(FUZZ_B)/vm/recipes.o: FUZZ_CFLAGS += -DHJ_RUBY_DIR='"$(B)/ruby"'
