"""tests/platform/platform_util.py -- what the platform tests share: the
case runner (PASS/FAIL lines, -k filtering, "N passed, M failed"), JSON
requests, app copies in temporary directories, and a real redis-server with
a minimal RESP client to look at its data directly.

Servers come from tests/serve/drive.py (Server: `pyedge up` on a free
loopback port, killed when the test process dies).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "serve"))

import drive  # noqa: E402
import selection  # noqa: E402  (tests/lib, on the path drive.py set)
from drive import (HOST, ROOT, CaseFailure, Server, check, eq, free_port, request,  # noqa: E402,F401
                   short)

APPS = os.path.join(HERE, "apps")
REDIS_SERVER = "/usr/bin/redis-server"

_temps = []


def tempdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _temps.append(d)
    return d


def copy_app(name):
    """A private copy of tests/platform/apps/<name> (so .spin state and
    runtime configs written by a case stay out of the tree), with a copy of
    apps/common next to it for apps that build with -p ../common."""
    base = tempdir(f"pe-{name}-")
    for n in (name, "common"):
        shutil.copytree(os.path.join(APPS, n), os.path.join(base, n),
                        ignore=shutil.ignore_patterns(".spin", "__pycache__"))
    return os.path.join(base, name)


def copy_example(name):
    """A private copy of examples/<name>."""
    dst = os.path.join(tempdir(f"pe-ex-{name}-"), name)
    shutil.copytree(os.path.join(ROOT, "examples", name), dst,
                    ignore=shutil.ignore_patterns(".spin", "__pycache__"))
    return dst


def post(port, path, doc, timeout=30):
    """POSTs doc as JSON; returns (status, decoded JSON or raw body)."""
    r = request(port, "POST", path, body=json.dumps(doc).encode(),
                headers={"content-type": "application/json"}, timeout=timeout)
    if r.status != 200:
        return r.status, r.body
    try:
        return r.status, json.loads(r.body)
    except ValueError:
        raise CaseFailure(f"{path}: body is not JSON: {short(r.body)}")


def post_ok(port, path, doc, timeout=30):
    status, body = post(port, path, doc, timeout)
    if status != 200:
        raise CaseFailure(f"{path}: status {status}, body {short(body)}")
    return body


def get_json(port, path, timeout=30):
    r = request(port, "GET", path, timeout=timeout)
    if r.status != 200:
        raise CaseFailure(f"GET {path}: status {r.status}, body {short(r.body)}")
    return json.loads(r.body)


def start_fails(app, args, timeout=60):
    """Runs `pyedge up` expecting it to refuse to start; returns its stderr."""
    cmd = [drive.PYEDGE, "up", "-f", app, "--listen", f"{HOST}:{free_port()}", *args]
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise CaseFailure("pyedge up was expected to fail but kept running")
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode != 0, f"pyedge up exited 0; stderr: {short(err)}")
    check("serving" not in err, f"pyedge up started serving: {short(err)}")
    return err


# --- redis ---------------------------------------------------------------------------

class Redis:
    """A private redis-server on a free loopback port (no persistence)."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", HOST, "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=drive._die_with_driver)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if self.command("PING") == "PONG":
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise CaseFailure(f"redis-server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise CaseFailure("redis-server did not answer PING within 10 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def url(self, db=None):
        return f"redis://{HOST}:{self.port}" + (f"/{db}" if db is not None else "")

    def command(self, *args, db=None):
        """One command on a fresh connection; returns the decoded reply
        (str for simple strings, bytes for bulk, int, list, None)."""
        with socket.create_connection((HOST, self.port), timeout=5) as s:
            f = s.makefile("rb")
            if db is not None:
                s.sendall(_resp("SELECT", str(db)))
                _read_reply(f)
            s.sendall(_resp(*args))
            return _read_reply(f)


def _resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise OSError("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        return RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise OSError(f"bad RESP line {line!r}")


# --- the runner ----------------------------------------------------------------------

class Runner:
    """Cases are (name, fn); fn() raises CaseFailure (or anything) to fail."""

    def __init__(self, title):
        self.title = title
        self.cases = []
        self.cleanups = []

    def case(self, fn):
        self.cases.append((fn.__name__, fn))
        return fn

    def main(self):
        ap = argparse.ArgumentParser(description=self.title)
        ap.add_argument("-k", action="append", default=[],
                        help="only the case named this, else those containing it; * ? globs")
        ap.add_argument("-v", action="store_true", help="print server stderr on failures")
        ap.add_argument("--list", action="store_true", help="print the case names, run nothing")
        opts = ap.parse_args()
        names = [name for name, _ in self.cases]
        if opts.list:
            print("\n".join(names))
            return 0
        chosen = set(selection.select(names, opts.k))
        tally = drive.Tally()
        if not chosen:
            tally.report(f"-k {selection.describe(opts.k)}", f"no test matches (tests: {len(names)})")
            return tally.close()
        if not os.access(drive.PYEDGE, os.X_OK):
            tally.report("setup", f"{drive.PYEDGE} is not built (make)")
            return tally.close()
        for name, fn in self.cases:
            if name not in chosen:
                continue
            t0 = time.monotonic()
            try:
                fn()
                why = None
            except CaseFailure as e:
                why = str(e)
            except Exception as e:  # a bug in the case, or an I/O error
                why = f"{type(e).__name__}: {e}"
            tally.report(name, why, note=f" ({time.monotonic() - t0:.1f} s)")
            if why is not None and opts.v:
                for s in drive._servers:
                    print(f"  --- {s.name} stderr:\n    " + "\n    ".join(s.stderr[-20:]))
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:
                pass
        drive.stop_all()
        for d in _temps:
            shutil.rmtree(d, ignore_errors=True)
        return tally.close()
