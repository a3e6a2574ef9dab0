"""N nested map() iterators over a host call (the pyedge.log import, via
_pyedge.log): next() on the outermost descends N levels of CPython's C code
and the innermost level calls into the host, whose frame then sits at the
very bottom of the native stack.

Run as: pyedge python --ro-dir tests/sandbox/py::/t -- /t/deep_hostcall.py N
Prints "survived" if N levels fit; if they do not, the native stack overflow
must end the guest with a trap ("call stack exhausted", exit 134), whether it
happens in guest code or inside the host call. run.sh bisects N to the
boundary, where the host call is what overflows.
"""
import itertools
import sys

import _pyedge

n = int(sys.argv[1])
it = iter([""])
for _ in range(n):
    # log(1, "") at the innermost level; the levels above get None and fail.
    it = map(_pyedge.log, itertools.repeat(1), it)
try:
    next(it)
except TypeError:
    pass
print("survived")
