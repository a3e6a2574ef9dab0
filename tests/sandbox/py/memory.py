"""Memory exhaustion under --max-memory.

Run as: pyedge python --max-memory 64M --ro-dir tests/sandbox/py::/t -- /t/memory.py CASE
Prints "CASE: MemoryError" when the allocation fails cleanly, then shows the
interpreter still works.
"""
import sys

case = sys.argv[1]
try:
    if case == "bytearray":
        b = bytearray(10**9)
    elif case == "grow":
        chunks = []
        while True:
            chunks.append(b"x" * (1 << 20))
    elif case == "list":
        x = [None] * (10**9)
    elif case == "str":
        s = "ab" * (10**9)
    print(f"{case}: no error")
except MemoryError:
    chunks = None
    print(f"{case}: MemoryError")
print("still alive:", sum(range(1000)))
