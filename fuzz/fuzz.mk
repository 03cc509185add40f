# libFuzzer targets for the parsers of user input (see fuzz/run).
#   make fuzz                 each target for FUZZ_SECONDS (default 60)
#   make fuzz FUZZ_TARGETS=inject FUZZ_SECONDS=600
#   make fuzz-quick           each target a few seconds, as `make check` runs it
#   make fuzz-build           only build build-fuzz/fuzz-<target>
# A target is fuzz/<name>_fuzz.c, its seeds fuzz/corpus/<name>/, its
# dictionary fuzz/<name>.dict (optional). The engine is built again here
# with clang, libFuzzer's coverage, ASan and UBSan (-fno-sanitize-recover).
ifndef HJ_FUZZ_MK
HJ_FUZZ_MK := 1

# the parsers: --inject specs with errno and signal names; call sets
# (-t SET, Hijack.on); script source through hj_vm_compile, with its
# bytecode loaded back; Hijack.on / Hijack.after arguments; the recipes'
# shortcut specs (--time, --redirect, --hide, --deny) and --replay files.
FUZZ_TARGETS ?= inject set script hooks specs
# Not in the default set: arbitrary .mrb bytes straight into mruby's own
# loader, which trusts its input (see fuzz/bytecode_fuzz.c):
FUZZ_EXTRA_TARGETS = bytecode

FUZZ_CC ?= clang
FUZZ_B ?= build-fuzz
FUZZ_SECONDS ?= 60
# what make fuzz needs beyond the build (Debian 12)
FUZZ_PKGS = clang libclang-rt-14-dev
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(WARN) -O1 -g $(MRUBY_DEFS) -U_FORTIFY_SOURCE -Isrc $(FUZZ_SAN)
FUZZ_ENGINE_O = $(ENGINE:src/%.c=$(FUZZ_B)/%.o)

$(FUZZ_B)/%.o: src/%.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

# hooks_fuzz.c includes rules.c itself, to empty the rule table between inputs
$(FUZZ_B)/fuzz-hooks: FUZZ_EXCLUDE = $(FUZZ_B)/core/rules.o

$(FUZZ_B)/fuzz-%: fuzz/%_fuzz.c fuzz/fuzz.h $(FUZZ_ENGINE_O) $(HEADERS)
	@$(if $(Q),echo "  LD $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(filter-out $(FUZZ_EXCLUDE),$(FUZZ_ENGINE_O)) $(LIBS)

# kept: pattern rules alone would make them intermediate, removed after the link
.SECONDARY: $(FUZZ_ENGINE_O)

fuzz-build: $(foreach t,$(FUZZ_TARGETS) $(FUZZ_EXTRA_TARGETS),$(FUZZ_B)/fuzz-$(t))

# the default set, for fuzz/run without arguments
fuzz-list:
	@echo $(FUZZ_TARGETS)

fuzz-deps:
	@./scripts/install-deps $(FUZZ_PKGS)

fuzz: fuzz-deps
	$(Q)FUZZ_B=$(FUZZ_B) FUZZ_CC=$(FUZZ_CC) fuzz/run --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-quick: fuzz-deps
	$(Q)FUZZ_B=$(FUZZ_B) FUZZ_CC=$(FUZZ_CC) fuzz/run --quick $(FUZZ_TARGETS)

.PHONY: fuzz fuzz-quick fuzz-build fuzz-list fuzz-deps
endif
