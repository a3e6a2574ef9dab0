"""tests/lib/selection.py -- running some tests by name (-k), for the Python
runners (tests/serve/drive.py and the platform tests through it,
tests/wasi/run_testsuite.py, tests/sdk/run.sh's runner); tests/lib/select.sh
is the same for the bash suites.

A -k PATTERN selects, among the names of the tests a runner has:
  - with * or ? in it: the names it matches as a glob over the whole name
    ('*' any run of characters, '?' one; nothing else is special);
  - else: the name that is exactly PATTERN, or, when no test has that name,
    every name that contains PATTERN.
Several patterns select the union. Standard library only.
"""

import re


def has_wildcard(pattern):
    return "*" in pattern or "?" in pattern


def glob_re(pattern):
    """The compiled regular expression of a glob where only * and ? are special."""
    parts = []
    for c in pattern:
        parts.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
    return re.compile("".join(parts) + r"\Z", re.S)


def matcher(pattern, names):
    """A function name -> bool for one pattern, resolved against all names."""
    if has_wildcard(pattern):
        r = glob_re(pattern)
        return lambda n: r.match(n) is not None
    if pattern in names:
        return lambda n: n == pattern
    return lambda n: pattern in n


def select(names, patterns):
    """The names (in their order) that the patterns select; all without patterns."""
    names = list(names)
    if not patterns:
        return names
    known = set(names)
    ms = [matcher(p, known) for p in patterns]
    return [n for n in names if any(m(n) for m in ms)]


def describe(patterns):
    return " ".join("'%s'" % p for p in patterns)


def no_match_line(patterns, count):
    """The FAIL line of a -k that selects nothing."""
    return "FAIL -k %s: no test matches (tests: %d)" % (describe(patterns), count)
