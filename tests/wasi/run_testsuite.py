#!/usr/bin/env python3
"""Runs the WASI preview1 conformance suite through `pyedge run`.

Suite layout and rules (from the suite's README): every X.wasm under
<lang>/testsuite/wasm32-wasip1/ is a test; X.json beside it, if present,
gives args, dirs (preopened under their own names), env, and the expected
exit_code / stdout / stderr. Tests may write into their dirs, so each test
runs on a fresh copy of them in a temporary directory.

Prints "PASS name" / "FAIL name: why" per test and a closing
"N passed, M failed" line; exits 1 if anything failed. A test's name is
wasi/<lang>/<test>, e.g. wasi/c/fdopendir-with-access.

-k NAME (repeatable) runs the test named NAME, or, when none is, the tests
whose name contains NAME; with * or ?, a glob over the whole name
(tests/lib/selection.py). Matching nothing is a failure. --list prints the
names and runs nothing.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import selection  # noqa: E402  (tests/lib)


def find_tests(suite):
    tests = []
    if not os.path.isdir(suite):
        return tests
    for lang in sorted(os.listdir(suite)):
        d = os.path.join(suite, lang, "testsuite", "wasm32-wasip1")
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".wasm"):
                tests.append((lang, d, f[:-5]))
    return tests


def run_one(pyedge, lang, d, name, timeout):
    spec = {}
    spec_path = os.path.join(d, name + ".json")
    if os.path.exists(spec_path):
        with open(spec_path) as f:
            spec = json.load(f)
    with tempfile.TemporaryDirectory(prefix="pe-wasi-") as work:
        cmd = [pyedge, "run"]
        for sub in spec.get("dirs", []):
            src = os.path.join(d, sub)
            dst = os.path.join(work, sub)
            shutil.copytree(src, dst, symlinks=True)
            for root, _dirs, files in os.walk(dst):
                for fn in files:
                    if fn.endswith(".cleanup"):
                        os.unlink(os.path.join(root, fn))
            cmd += ["--dir", dst + "::" + sub]
        for k, v in spec.get("env", {}).items():
            cmd += ["--env", "%s=%s" % (k, v)]
        wasm = os.path.join(work, name + ".wasm")
        shutil.copy(os.path.join(d, name + ".wasm"), wasm)
        cmd += [wasm] + list(spec.get("args", []))
        try:
            p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False, "timed out after %ss" % timeout
    # the compile progress lines are pyedge's, not the guest's
    stderr = b"".join(l for l in p.stderr.splitlines(True) if not l.startswith(b"pyedge: compiling "))
    want = spec.get("exit_code", 0)
    if p.returncode != want:
        return False, "exit %d, want %d; stderr: %s" % (p.returncode, want, stderr.decode(errors="replace")[-400:])
    if "stdout" in spec and p.stdout.decode(errors="replace") != spec["stdout"]:
        return False, "stdout %r, want %r" % (p.stdout[:200], spec["stdout"][:200])
    if "stderr" in spec and stderr.decode(errors="replace") != spec["stderr"]:
        return False, "stderr %r, want %r" % (stderr[:200], spec["stderr"][:200])
    return True, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default=os.path.join(ROOT, "..", "shared", "wasi-testsuite"))
    ap.add_argument("--pyedge", default=os.path.join(ROOT, "build", "pyedge"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("-k", action="append", default=[],
                    help="only the test named this, else those containing it; * ? globs")
    ap.add_argument("--list", action="store_true", help="print the test names, run nothing")
    ap.add_argument("filter", nargs="*", help="run only tests whose name contains one of these")
    a = ap.parse_args()
    tests = find_tests(a.suite)
    if a.filter:
        tests = [t for t in tests if any(f in t[2] for f in a.filter)]
    if not tests:
        print("no tests found under %s" % a.suite)
        print("0 passed, 1 failed")
        return 1
    label = lambda t: "wasi/%s/%s" % (t[0], t[2])  # noqa: E731
    if a.list:
        print("\n".join(label(t) for t in tests))
        return 0
    if a.k:
        chosen = set(selection.select([label(t) for t in tests], a.k))
        if not chosen:
            print(selection.no_match_line(a.k, len(tests)))
            print("0 passed, 1 failed")
            return 1
        tests = [t for t in tests if label(t) in chosen]
    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = [(t, ex.submit(run_one, a.pyedge, *t, a.timeout)) for t in tests]
        for (lang, _d, name), fut in futs:
            ok, why = fut.result()
            name = "wasi/%s/%s" % (lang, name)
            if ok:
                passed += 1
                print("PASS %s" % name, flush=True)
            else:
                failed += 1
                print("FAIL %s: %s" % (name, why), flush=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
