# guest/pyedge.mk -- links pyedge-python.wasm inside CPython's wasm32-wasi build
# directory, reusing CPython's own compile and link variables, so our module is
# linked exactly like python.wasm (same stack size, initial memory, libraries,
# builtin modules) except for the entry point. Used by toolchain/link-guest.sh:
#
#   make -f Makefile -f .../guest/pyedge.mk PYEDGE_GUEST=.../guest PYEDGE_OUT=DIR \
#        DIR/pyedge-python.debug.wasm
#
# -mexec-model=reactor: no _start/main; wasi-libc's crt1-reactor.o provides
# _initialize (runs the constructors once) and the exports come from
# export_name attributes in the sources.

PYEDGE_CFLAGS = -Wall -Wextra -Werror
PYEDGE_SRCS := $(sort $(wildcard $(PYEDGE_GUEST)/*.c))
PYEDGE_HDRS := $(wildcard $(PYEDGE_GUEST)/*.h)
PYEDGE_OBJS := $(patsubst $(PYEDGE_GUEST)/%.c,$(PYEDGE_OUT)/%.o,$(PYEDGE_SRCS))

$(PYEDGE_OUT)/%.o: $(PYEDGE_GUEST)/%.c $(PYEDGE_HDRS) pyconfig.h
	$(CC) -c $(PY_CFLAGS) $(PY_CPPFLAGS) $(PYEDGE_CFLAGS) -o $@ $<

$(PYEDGE_OUT)/pyedge-python.debug.wasm: $(PYEDGE_OBJS) $(LINK_PYTHON_DEPS)
	$(LINKCC) $(PY_CORE_LDFLAGS) $(LINKFORSHARED) -mexec-model=reactor -o $@ \
		$(PYEDGE_OBJS) $(LINK_PYTHON_OBJS) $(LIBS) $(MODLIBS) $(SYSLIBS)
