# mk/fuzz.mk -- libFuzzer targets for the decoders of bytes pyedge does not
# control (included by the top Makefile).
#
#   make fuzz-build                 build/fuzz/fuzz_<name> for every tests/fuzz/fuzz_<name>.c
#   make fuzz [FUZZ_SECONDS=60]     each target for FUZZ_SECONDS from a copy of its
#                                   seed corpus, then its regression inputs; fails on
#                                   any crash (tests/fuzz/run.sh does the running)
#   make fuzz FUZZ_TARGETS=toml     only some targets
#
# The library is compiled a second time, with clang-19 and coverage
# instrumentation plus ASan and UBSan (build/fuzz/obj/, as build/asan/ is
# for the unit tests); each target links all of it, like a unit test does.
# Inputs libFuzzer finds go to build/fuzz/corpus/<name>, never into
# tests/fuzz/corpus/. Packages: toolchain/deps.sh fuzz (libclang-rt-19-dev
# holds libFuzzer).

FUZZ_CC := clang-19
FUZZ_SECONDS ?= 60
FUZZ_OPT ?= -O1 -g
# libFuzzer's coverage hooks in every library object; the runtime itself
# and main() come in at link time (-fsanitize=fuzzer).
FUZZ_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DPE_DEBUG
# Two warnings only clang gives, on code gcc builds cleanly: adjacent string
# literals in an array initialiser (kv_sqlite.c splits one SQL statement so
# on purpose) and libseccomp's SCMP_A* macros, which leave a field out.
FUZZ_CFLAGS := $(CSTD) $(WARN) -Wno-string-concatenation -Wno-missing-field-initializers \
               $(FUZZ_OPT) $(INCLUDES) $(DEPFLAGS) \
               -fno-strict-aliasing -pthread $(FUZZ_SAN)

FUZZ_ALL := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_LIB_OBJ := $(patsubst %.c,$(B)/fuzz/obj/%.o,$(LIB_SRC)) $(B)/fuzz/obj/gen/embedded_rt.o
FUZZ_BIN := $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_ALL))

.PHONY: fuzz fuzz-build fuzz-deps

fuzz-deps:
	@toolchain/deps.sh host
	@toolchain/deps.sh fuzz

fuzz-build: fuzz-deps $(FUZZ_BIN)

fuzz: fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_NO_BUILD=1 tests/fuzz/run.sh $(FUZZ_TARGETS)

$(B)/fuzz/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(B)/fuzz/obj/%.o: %.c $(DEP_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# -rdynamic: the snapshot target loads a compiled module, whose imports
# resolve against the executable (as for build/pyedge).
$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $(wildcard tests/fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS_HOST) -o $@ $< \
	  $(FUZZ_LIB_OBJ) $(LDLIBS_HOST)
