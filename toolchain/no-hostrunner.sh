#!/bin/sh
# toolchain/no-hostrunner.sh -- the HOSTRUNNER given to CPython's wasm32-wasi configure.
#
# CPython's configure and `make all` never execute the wasm they build (configure
# takes the answers of its run-time tests from Tools/wasm/config.site-wasm32-wasi,
# and sysconfig, freezing and the module checks run on the native build python).
# Only `make test`/`make pythoninfo` of the cross-build tree would, and we run the
# regression tests with our own runtime instead (tests/cpython/run.sh). So the
# recipe needs no WASI runner; should a later CPython start to want one, this
# fails loudly instead of silently using whatever is on PATH.
echo "toolchain/no-hostrunner.sh: the CPython cross build tried to run a wasm program: $*" >&2
exit 127
