"""tests/lib/unittest_select.py -- unittest discovery with -k as the other
suites have it (tests/lib/selection.py), for tests/sdk/run.sh.

usage: python -m unittest_select DIR PATTERN...   runs the selected tests
       python -m unittest_select --list DIR       prints every test's id

A test is named by its id (module.Class.method) or any dotted tail of it
(Class.method, method): -k test_x runs the tests whose method is test_x if
there are any, else those whose id contains test_x; -k 'Class.*' globs.
A module that fails to import always runs (its error is the result).
Prints what `python -m unittest -v` prints; exits 1 if a test failed, 5 if
no test matched.
"""

import sys
import unittest

import selection


def flat(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flat(t)
        else:
            yield t


def tails(test_id):
    parts = test_id.split(".")
    return [".".join(parts[k:]) for k in range(len(parts))]


def main(argv):
    listing = argv[:1] == ["--list"]
    if listing:
        argv = argv[1:]
    start, patterns = argv[0], argv[1:]
    tests = list(flat(unittest.defaultTestLoader.discover(start)))
    if listing:
        print("\n".join(t.id() for t in tests))
        return 0
    names = {n for t in tests for n in tails(t.id())}
    matchers = [selection.matcher(p, names) for p in patterns]
    broken = [t for t in tests if t.id().startswith("unittest.loader.")]
    chosen = [t for t in tests if t not in broken
              and any(m(n) for m in matchers for n in tails(t.id()))]
    if not chosen:
        print(selection.no_match_line(patterns, len(tests)))
        return 5
    result = unittest.TextTestRunner(verbosity=2).run(unittest.TestSuite(broken + chosen))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
