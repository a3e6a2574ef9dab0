"""A deterministic allocation workload for the heap tests (tests/serve):
objects of many sizes alive at once (more than the request region holds),
buffers grown step by step (resized within, out of and past the region's
size classes), frees and reallocations of freed sizes. Run by the heap
component in the sandbox and by tests/serve/drive.py natively; the digests
must agree."""
import hashlib


def work(n):
    keep = [("k%d" % i) * (i % 37 + 1) for i in range(n)]
    table = {}
    for i, s in enumerate(keep):
        table[s[:5] + str(i)] = len(s)
    buf = bytearray()
    for i in range(n // 4):
        buf += bytes([i & 0xFF]) * (i % 13 + 1)
    squares = [i * i for i in range(n)]
    digits = "".join(str(x) for x in squares[::7])
    del keep
    again = [bytes(range(i % 200)) for i in range(n // 2)]
    h = hashlib.sha256()
    h.update(repr(sorted(table.items())[:1000]).encode())
    h.update(bytes(buf))
    h.update(digits.encode())
    h.update(b"".join(again))
    return {"digest": h.hexdigest(), "entries": len(table), "buffer": len(buf)}
