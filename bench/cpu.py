"""CPU-bound workloads for comparing pyedge with native CPython.

Each workload runs REPEAT times; the best time is printed as
"name seconds". Run it the same way under both interpreters and compare.
"""
import _md5
import _sha2
import decimal
import json
import os
import re
import sys
import time

REPEAT = int(os.environ.get("BENCH_REPEAT", "5"))


def calls():
    def fib(n):
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    return fib(25)


DOC = {"items": [{"id": i, "name": "item-%d" % i, "tags": ["a", "b", "c"], "price": i * 1.25}
                 for i in range(10000)]}


def json_roundtrip():
    s = json.dumps(DOC)
    return len(json.loads(s)["items"])


TEXT = " ".join("user%d@example.com visited /path/%d?q=%d at 12:%02d" % (i, i, i * 7, i % 60)
                for i in range(20000))
EMAIL = re.compile(r"[\w.]+@[\w.]+\.\w+")
PATH = re.compile(r"/path/(\d+)\?q=(\d+)")


def regex():
    return len(EMAIL.findall(TEXT)) + len(PATH.findall(TEXT))


BLOB = bytes(range(256)) * 4096


def hashing():
    # CPython's own implementations (HACL*), present in both builds; hashlib
    # would pick OpenSSL natively, which the WASI build does not have.
    h = _sha2.sha256()
    for _ in range(8):
        h.update(BLOB)
    return _md5.md5(BLOB).hexdigest() + h.hexdigest()


def decimals():
    decimal.getcontext().prec = 50
    total = decimal.Decimal(0)
    for i in range(1, 60000):
        total += decimal.Decimal(1) / decimal.Decimal(i)
    return str(total)[:10]


WORKLOADS = [("calls", calls), ("json", json_roundtrip), ("regex", regex),
             ("hashing", hashing), ("decimal", decimals)]


def main():
    only = set(sys.argv[1:])
    for name, fn in WORKLOADS:
        if only and name not in only:
            continue
        best = None
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            fn()
            dt = time.perf_counter() - t0
            best = dt if best is None or dt < best else best
        print("%s %.6f" % (name, best), flush=True)


if __name__ == "__main__":
    main()
