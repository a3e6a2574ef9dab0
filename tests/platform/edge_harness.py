"""edge_harness: what the JWT, geo and workers-style platform tests share.

- `drive`: tests/serve/drive.py (its Server class starts `pyedge up` and
  stops it at exit, request() sends one HTTP request, CaseFailure/check/eq).
- `use_debian_python()`: the tests compare against PyJWT and
  python-cryptography from Debian (python3-jwt, python3-cryptography); when
  the python3 running the test lacks them (a pyenv python first on PATH),
  the script re-executes itself with /usr/bin/python3.
- `run_pyedge(cmd, app, *args)`: one `pyedge build|up ...` run to its end,
  as (exit status, stderr + stdout); `Fleet`: the servers a test file
  started, each stopped by the case or, cleanly, at teardown.
- `Cases`: a list of named test functions; run() prints "PASS name" /
  "FAIL name: why", then "N passed, M failed", and returns the exit status.
  -k NAME (repeatable) selects cases as tests/lib/selection.py says (the
  case named NAME, else those containing it; * and ? globs); when it
  selects none, neither setup nor teardown runs. --list prints the case
  names. teardown() returns None when all went well, else why (reported as
  servers_stop_cleanly).
"""

import os
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
APPS = os.path.join(HERE, "apps")
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))

import drive  # noqa: E402  (after the path change)
import selection  # noqa: E402  (tests/lib, on the path drive.py set)

CaseFailure = drive.CaseFailure
check = drive.check
eq = drive.eq


def use_debian_python(modules=("jwt", "cryptography")):
    try:
        for m in modules:
            __import__(m)
        return
    except ImportError:
        pass
    debian = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(debian) and os.access(debian, os.X_OK):
        os.execv(debian, [debian, "-u", os.path.abspath(sys.argv[0]), *sys.argv[1:]])
    print(f"FAIL setup: python modules {', '.join(modules)} are missing "
          "(Debian: python3-jwt python3-cryptography)")
    print("0 passed, 1 failed")
    sys.exit(1)


class Cases:
    def __init__(self):
        self.cases = []

    def __call__(self, fn):
        self.cases.append((fn.__name__, fn))
        return fn

    def run(self, setup=None, teardown=None):
        only = [sys.argv[i + 1] for i, a in enumerate(sys.argv[:-1]) if a == "-k"]
        names = [name for name, _ in self.cases]
        if "--list" in sys.argv[1:]:
            print("\n".join(names))
            return 0
        chosen = set(selection.select(names, only))
        tally = drive.Tally()
        report = tally.report

        if not chosen:
            report(f"-k {selection.describe(only)}", f"no test matches (tests: {len(names)})")
        elif not os.access(drive.PYEDGE, os.X_OK):
            report("setup", f"{drive.PYEDGE} is not built (make)")
        else:
            try:
                if setup:
                    setup()
            except Exception as e:
                report("setup", f"{type(e).__name__}: {e}")
                return tally.close()
            for name, fn in self.cases:
                if name not in chosen:
                    continue
                try:
                    fn()
                    report(name, None)
                except CaseFailure as e:
                    report(name, str(e))
                except Exception as e:
                    report(name, f"{type(e).__name__}: {e} | "
                           + traceback.format_exc().strip().splitlines()[-3].strip())
            if teardown:
                try:
                    report("servers_stop_cleanly", teardown())
                except Exception as e:
                    report("servers_stop_cleanly", f"{type(e).__name__}: {e}")
        drive.stop_all()
        return tally.close()


def start(app, args=(), name=None):
    """A started drive.Server for app (a directory)."""
    s = drive.Server(app, list(args), name=name)
    s.start()
    return s


def stop_cleanly(*servers):
    """SIGTERM each; returns None, or why one did not exit with status 0."""
    bad = []
    for s in servers:
        if s is None:
            continue
        rc = s.stop()
        if rc not in (0, None):
            bad.append(f"{s.name}: exit status {rc} ({s.tail(3)})")
    return "; ".join(bad) if bad else None


def run_pyedge(cmd, app, *args, env=None, timeout=180):
    """`pyedge CMD -f APP ARGS...` to its end: (exit status, stderr + stdout)."""
    p = subprocess.run([drive.PYEDGE, cmd, "-f", app, *args], capture_output=True, text=True,
                       timeout=timeout, env=env)
    return p.returncode, p.stderr + p.stdout


class Fleet:
    """The servers a test file started: serve() starts one, stop() stops it
    and returns its exit status, stop_all() (teardown) the rest."""

    def __init__(self):
        self.running = []

    def serve(self, app, *args):
        s = start(app, args, name=os.path.basename(app))
        self.running.append(s)
        return s

    def stop(self, s):
        self.running.remove(s)
        return s.stop()

    def stop_all(self):
        return stop_cleanly(*self.running)
