# pyedge -- top-level build.
#
#   make          build/pyedge, the CPython runtime for WASI and its AOT-compiled form
#   make up       set up everything and run the example app in the sandbox
#   make test     every test; ends with "N passed, M failed"
#   make bench    benchmarks (not tests)
#
# Debian packages are installed on demand by toolchain/deps.sh (the first run
# on a fresh machine asks apt for them; later runs only check).
# Heavy steps are cached by content hash under $(PYEDGE_CACHE).

SHELL := /bin/bash
.DEFAULT_GOAL := all

PYEDGE_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/pyedge
export PYEDGE_CACHE

B := build
CC := gcc
CSTD := -std=c11 -D_GNU_SOURCE
WARN := -Wall -Wextra -Werror -Wno-unused-parameter
OPT ?= -O2 -g
# One include root: a header from another folder is named with its folder
# ("services/pe_services.h"); one from the same folder by its name alone.
INCLUDES := -Isrc
# The compiler writes each object's header dependencies next to it (.d).
DEPFLAGS := -MMD -MP
# Objects older than this file were made before the compiler tracked their
# headers (they have no .d): made once, it has every such object rebuilt.
# (Made while the Makefile is read: .SECONDARY below would let a rule-made
# stamp count as absent-but-fine.)
DEP_STAMP := $(B)/.deps-tracked
$(shell mkdir -p $(B) && { test -e $(DEP_STAMP) || touch $(DEP_STAMP); })
CFLAGS_HOST := $(CSTD) $(WARN) $(OPT) $(INCLUDES) $(DEPFLAGS) -fno-strict-aliasing -pthread
LDLIBS_HOST := -ldl -lpthread -lcrypto -lm -lrt -luv -lhttp_parser -lsqlite3 -lhiredis -lmaxminddb -lseccomp
# Generated module code resolves its imports (WASI, pyedge host calls) and
# the runtime against the executable's own symbols.
LDFLAGS_HOST := -rdynamic -Wl,-z,now

# PE_DEBUG: ALWAYS/NEVER abort on a wrong belief (util/pe_assert.h)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -DPE_DEBUG

LIB_SRC := $(shell find src -name '*.c' ! -path 'src/cli/*' | sort)
CLI_SRC := $(shell find src/cli -name '*.c' | sort)
GEN_SRC := $(B)/gen/embedded_rt.c

LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC)) $(B)/obj/gen/embedded_rt.o
CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
ASAN_LIB_OBJ := $(patsubst %.c,$(B)/asan/%.o,$(LIB_SRC)) $(B)/asan/gen/embedded_rt.o

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_ASAN_BIN := $(patsubst tests/unit/%.c,$(B)/tests-asan/%,$(UNIT_SRC))

.PHONY: all deps host python runtime up test unit bench clean
# keep the sanitizer objects between runs
.SECONDARY:

all: host runtime

deps:
	@toolchain/deps.sh host

host: deps $(B)/pyedge

$(B)/pyedge: $(CLI_OBJ) $(LIB_OBJ)
	$(CC) $(CFLAGS_HOST) $(LDFLAGS_HOST) -o $@ $^ $(LDLIBS_HOST)

# The runtime header is embedded in the binary: pyedge writes it next to the
# generated C when it compiles a module, so a module always matches the
# runtime it is loaded into.
EMBEDDED_HDRS := src/runtime/wasm-rt.h src/runtime/pe_rt.h src/wasi/pe_wasi_abi.h src/hostapi/pe_host_abi.h
$(GEN_SRC): $(EMBEDDED_HDRS) toolchain/embed.sh
	@mkdir -p $(dir $@)
	{ toolchain/embed.sh pe_embedded_wasm_rt_h src/runtime/wasm-rt.h; \
	  toolchain/embed.sh pe_embedded_pe_rt_h src/runtime/pe_rt.h; \
	  toolchain/embed.sh pe_embedded_pe_wasi_abi_h src/wasi/pe_wasi_abi.h; \
	  toolchain/embed.sh pe_embedded_pe_host_abi_h src/hostapi/pe_host_abi.h; } > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -c -o $@ $<

$(B)/obj/%.o: %.c $(DEP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -c -o $@ $<

$(B)/asan/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -c -o $@ $<

$(B)/asan/%.o: %.c $(DEP_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -c -o $@ $<

$(B)/tests/%: tests/unit/%.c $(LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) -Itests/unit $(LDFLAGS_HOST) -o $@ $< $(LIB_OBJ) -lcmocka $(LDLIBS_HOST)

$(B)/tests-asan/%: tests/unit/%.c $(ASAN_LIB_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) $(SAN_FLAGS) -Itests/unit $(LDFLAGS_HOST) -o $@ $< $(ASAN_LIB_OBJ) -lcmocka $(LDLIBS_HOST)

unit: deps $(UNIT_BIN) $(UNIT_ASAN_BIN)

# What the compiler found each object and test includes (DEPFLAGS).
-include $(shell find $(B) -name '*.d' 2>/dev/null)

-include mk/python.mk
# libFuzzer targets (make fuzz) and the sanitized servers (make SAN=address|thread)
-include mk/fuzz.mk
-include mk/san.mk

# The CPython guest compiled to native code. `pyedge compile` caches it by
# content hash under $(PYEDGE_CACHE)/aot; build/lib/pyedge-python.so points there.
runtime: host python
	@mkdir -p $(B)/lib
	@ln -sfn ../sdk/python $(B)/sdk
	@so=$$($(B)/pyedge compile $(B)/python/pyedge-python.wasm) && ln -sfn "$$so" $(B)/lib/pyedge-python.so
	@echo "runtime ready: $(B)/pyedge python"

# Serves examples/hello on http://127.0.0.1:3000 (Ctrl-C stops it).
up: all
	$(B)/pyedge up -f examples/hello

test: all unit
	@tests/run.sh

# One test, or the tests a name matches, of one suite (tests/run.sh -k):
#   make test-one SUITE=unit T=test_kv:test_utf8   (unit: BINARY[:TEST] or :TEST)
#   make test-one SUITE=serve T=hello_json
.PHONY: test-one
test-one: all $(if $(filter unit,$(SUITE)),$(UNIT_BIN)) $(if $(filter unit-asan,$(SUITE)),$(UNIT_ASAN_BIN))
	@if [ -z "$(SUITE)" ] || [ -z "$(T)" ]; then echo "usage: make test-one SUITE=<suite> T=<test name>"; exit 2; fi
	@tests/run.sh $(SUITE) -k '$(T)'

bench: all
	@bench/run.sh

clean:
	rm -rf $(B)

# Layout and editor support (CONTRIBUTING.md):
#   make format   rewrites the C files clang-format 14 would change (.clang-format;
#                 guest/.clang-format for guest/); tests/style/format.sh checks them
#   make compdb   compile_commands.json for clangd and clang-tidy, written from the
#                 flags above: no build needed (bear would record one, and only of
#                 what is out of date), every unit test and fuzz target included
.PHONY: format compdb
format: deps
	@tests/style/format.sh --fix

COMPDB_HOST = $(CC) $(filter-out $(DEPFLAGS),$(CFLAGS_HOST))
COMPDB_FUZZ = $(FUZZ_CC) $(filter-out $(DEPFLAGS),$(FUZZ_CFLAGS)) -Itests/fuzz -fsanitize=fuzzer
COMPDB_JSON = BEGIN { print "[" } { printf "%s  {\"directory\": \"%s\", \"file\": \"%s\", \"command\": \"%s\"}", (NR > 1 ? ",\n" : ""), dir, $$1, $$2 } END { print "\n]" }
compdb:
	@{ for f in $(LIB_SRC) $(CLI_SRC); do echo "$$f|$(COMPDB_HOST) -c -o $(B)/obj/$${f%.c}.o $$f"; done; \
	   for f in $(UNIT_SRC); do echo "$$f|$(COMPDB_HOST) -Itests/unit -c -o $(B)/tests/$$(basename $${f%.c}).o $$f"; done; \
	   $(if $(FUZZ_CC),for f in $(wildcard tests/fuzz/fuzz_*.c); do echo "$$f|$(COMPDB_FUZZ) -c -o $(B)/fuzz/$$(basename $${f%.c}).o $$f"; done;) } \
	 | awk -F'|' -v dir='$(CURDIR)' '$(COMPDB_JSON)' > compile_commands.json.tmp && mv compile_commands.json.tmp compile_commands.json
	@echo "compile_commands.json: $$(grep -c '"file"' compile_commands.json) files"
