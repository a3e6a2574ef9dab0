"""Deep recursion, in Python code and in CPython's C code.

Run as: pyedge python --ro-dir tests/sandbox/py::/t -- /t/deep.py CASE
Prints "CASE: <exception class>" when Python catches it; the cases that
exhaust the native stack end in a trap instead (the guest cannot print).
"""
import sys

case = sys.argv[1]


def nested_list(n):
    x = []
    for _ in range(n):
        x = [x]
    return x


def run():
    if case == "pyrecursion":
        def f():
            return f()
        f()
    elif case == "eval":
        eval("[" * 100000 + "]" * 100000)
    elif case == "compile":
        compile("1" + "+1" * 200000, "<deep>", "eval")
    elif case == "json":
        import json
        json.loads("[" * 100000 + "]" * 100000)
    elif case == "json_dumps":
        import json
        json.dumps(nested_list(100000))
    elif case == "repr":
        repr(nested_list(100000))
    elif case == "pickle":
        import pickle
        pickle.dumps(nested_list(100000))
    elif case == "compare":
        a, b = (), ()
        for _ in range(100000):
            a, b = (a,), (b,)
        return a == b
    elif case == "reprloop":
        class A:
            def __repr__(self):
                return repr(A())
        repr(A())
    elif case == "map":
        # Nested C iterators: each next() calls the inner one in C.
        it = iter([1])
        for _ in range(1000000):
            it = map(abs, it)
        next(it)
    elif case == "highlimit":
        # Raising the limit lets Python recurse deeper; C recursion is still
        # bounded by CPython's own C limit or the sandbox's stack.
        sys.setrecursionlimit(1000000)
        class B:
            def __getattr__(self, name):
                return getattr(B(), name)
        B().x
    else:
        raise SystemExit(f"unknown case {case}")


try:
    run()
    print(f"{case}: no error")
except BaseException as e:  # noqa: BLE001
    print(f"{case}: {type(e).__name__}")
