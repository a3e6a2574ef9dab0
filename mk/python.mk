# mk/python.mk -- CPython 3.13 for WASI and our guest module (included by the top Makefile).
#
#   make python     build/python -> $(PYEDGE_CACHE)/python/<key>, holding
#                     pyedge-python.wasm     our guest module (guest/), reactor, no DWARF
#                     python.wasm            CPython's own command-style python.wasm
#                     lib/python313.zip      stdlib as sourceless .pyc
#                     lib/python3.13/lib-dynload/   (empty; exec_prefix landmark)
#                     native/bin/python3.13  native build of the same source (reference)
#                     src/test               CPython's Lib/test + .pyc (mount src/, PYTHONPATH)
#                     BUILDINFO              versions and cache keys
#
# Everything comes from Debian packages (toolchain/deps.sh python) and trixie
# sources fetched through a private apt configuration (toolchain/fetch.sh); see
# toolchain/python.sh for the steps and toolchain/versions.sh for the pins.
# Every step is cached under $(PYEDGE_CACHE) by a hash of its inputs (pinned
# tarball hashes, the recipe scripts, guest/, compiler versions), so a second
# `make python` takes about a second, and editing guest/ only relinks.
# Cold build on 2 cores (empty cache, downloads included): 8m33s with the
# machine shared with other builds (load 3-6); ~5m40s unloaded (native CPython
# ~3 min, wasm configure + make ~2.5 min, the rest ~15 s). Warm: 0.9 s.
#
# Stdlib as a zip or a directory -- `python -c "import json, decimal, re"` in
# the sandbox, 2 cores shared with other builds (load ~5, so +-10 ms noise):
#                               build/pyedge python (AOT)          node:wasi (Node 20)
#                               wall   user CPU  in-process        wall    in-process
#   zip, stored    10.6 MB      77-94  35-39 ms  16-23 ms          686-737 137-150 ms
#   zip, deflated   4.5 MB      96     41 ms     23 ms             747-905 143-184 ms
#   directory, sourceless .pyc  65-84  32 ms     11-17 ms          645-669 134-143 ms
#   (`-c pass`: zip 50 ms, directory 48.5 ms)
# wall = the whole run (hyperfine, 30-40 runs), in-process = perf_counter
# around the import statement (median of 15-21 runs); node: medians of 11-15.
# -> stored zip: ~10 ms (10-20 %) slower than the directory for these three
#    imports (zipimport is Python code that reopens the archive per module),
#    no difference for `-c pass`; one file to mount instead of ~540, and no
#    inflating (deflate costs another ~10 %). Embedded mode imports at
#    pyedge_init, before the snapshot, so requests do not pay it.
#    STDLIB_LAYOUT=dir toolchain/stdlib-zip.sh builds the directory layout.

PYTHON_OUT := $(B)/python

.PHONY: python
python:
	@toolchain/python.sh $(PYTHON_OUT)
