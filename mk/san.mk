# mk/san.mk -- pyedge built with a sanitizer (included by the top Makefile).
#
#   make SAN=address   build/san-address/pyedge   ASan + UBSan (every UB check fatal)
#   make SAN=thread    build/san-thread/pyedge    TSan
#
# A separate tree: objects under build/san-<kind>/obj, the embedded runtime
# header generated there too, so the normal build (build/obj, build/gen,
# build/pyedge) is never touched. The runtime and the Python build are not
# rebuilt: build/san-<kind>/lib and python are links to build/lib and
# build/python (what `make` made), sdk to sdk/python, as in build/. The
# generated module code (lib/pyedge-python.so, modules `pyedge compile`
# makes) is not instrumented; it calls into the instrumented host.
#
# Run them with the options of tests/san/run.sh (the runtime's SIGSEGV
# handler must stay in place: ASAN_OPTIONS=handle_segv=0:allow_user_segv_handler=1)
# and the suppressions in tests/san/*.supp.

ifneq ($(SAN),)
ifeq ($(filter $(SAN),address thread),)
$(error SAN=$(SAN): expected SAN=address or SAN=thread)
endif

SAN_DIR := $(B)/san-$(SAN)
SAN_CFLAGS_address := -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer -DPE_DEBUG
SAN_CFLAGS_thread := -fsanitize=thread -fno-omit-frame-pointer -DPE_DEBUG
SAN_CFLAGS := $(SAN_CFLAGS_$(SAN))

# the objects are rebuilt when the flags change (this file is rewritten then)
SAN_STAMP := $(SAN_DIR)/cflags
SAN_ALL_FLAGS := $(CFLAGS_HOST) $(SAN_CFLAGS) $(LDFLAGS_HOST) $(LDLIBS_HOST)
$(shell mkdir -p $(SAN_DIR) && { echo '$(SAN_ALL_FLAGS)' | cmp -s - $(SAN_STAMP) || echo '$(SAN_ALL_FLAGS)' > $(SAN_STAMP); })

SAN_GEN_SRC := $(SAN_DIR)/gen/embedded_rt.c
SAN_OBJ := $(patsubst %.c,$(SAN_DIR)/obj/%.o,$(CLI_SRC) $(LIB_SRC)) $(SAN_DIR)/obj/gen/embedded_rt.o

.PHONY: san
.DEFAULT_GOAL := san

san: deps $(SAN_DIR)/pyedge $(SAN_DIR)/lib $(SAN_DIR)/python $(SAN_DIR)/sdk
	@echo "sanitized ($(SAN)): $(SAN_DIR)/pyedge"

$(SAN_DIR)/pyedge: $(SAN_OBJ) $(SAN_STAMP)
	$(CC) $(CFLAGS_HOST) $(SAN_CFLAGS) $(LDFLAGS_HOST) -o $@ $(SAN_OBJ) $(LDLIBS_HOST)

$(SAN_GEN_SRC): $(EMBEDDED_HDRS) toolchain/embed.sh
	@mkdir -p $(dir $@)
	{ toolchain/embed.sh pe_embedded_wasm_rt_h src/runtime/wasm-rt.h; \
	  toolchain/embed.sh pe_embedded_pe_rt_h src/runtime/pe_rt.h; \
	  toolchain/embed.sh pe_embedded_pe_wasi_abi_h src/wasi/pe_wasi_abi.h; \
	  toolchain/embed.sh pe_embedded_pe_host_abi_h src/hostapi/pe_host_abi.h; } > $@.tmp && mv $@.tmp $@

$(SAN_DIR)/obj/gen/%.o: $(SAN_DIR)/gen/%.c $(SAN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) $(SAN_CFLAGS) -c -o $@ $<

$(SAN_DIR)/obj/%.o: %.c $(DEP_STAMP) $(SAN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_HOST) $(SAN_CFLAGS) -c -o $@ $<

# links, as in build/: the runtime and the Python build of the normal build
$(SAN_DIR)/lib:
	@mkdir -p $(SAN_DIR)
	ln -sfn ../lib $@
$(SAN_DIR)/python:
	@mkdir -p $(SAN_DIR)
	ln -sfn ../python $@
$(SAN_DIR)/sdk:
	@mkdir -p $(SAN_DIR)
	ln -sfn ../../sdk/python $@
endif
