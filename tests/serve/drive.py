#!/usr/bin/env python3
"""tests/serve/drive.py -- `pyedge up` end to end, over real HTTP.

Starts `build/pyedge up` on 127.0.0.1 for the apps under tests/serve/apps/
and examples/, sends requests with http.client and raw sockets, and checks
statuses, headers and bodies exactly. Prints one line per case,
"PASS name" or "FAIL name: why", and ends with "N passed, M failed"
(exit status 1 if anything failed).

Host python3, standard library only. Every server it starts is stopped at
the end, also when a case fails or the driver is interrupted; a server that
dies during a case is reported in that case and restarted for the next one.

Usage: tests/serve/drive.py [-v] [--list] [-k NAME]...
  -v      print the servers' stderr and stdout when a case fails
  -k      run only the case named NAME, or, when none is, the cases whose
          name contains NAME; with * or ?, a glob over the whole name
          (repeatable; tests/lib/selection.py). Matching nothing fails.
  --list  print the case names and run nothing
Environment: PYEDGE (default build/pyedge).
"""

import argparse
import atexit
import hashlib
import http.client
import json
import os
import tempfile
import shutil
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
import selection  # noqa: E402  (tests/lib)
APPS = os.path.join(ROOT, "tests", "serve", "apps")
PYEDGE = os.environ.get("PYEDGE") or os.path.join(ROOT, "build", "pyedge")
HOST = "127.0.0.1"

READY_RE = re.compile(r"^pyedge: serving (\S+) on http://(\S+) \(port (-?\d+)\)$")
START_TIMEOUT = 30.0  # pre-initializing the components of one app
STOP_TIMEOUT = 10.0
IO_TIMEOUT = 10.0  # default for one HTTP exchange


class CaseFailure(Exception):
    pass


def check(cond, why):
    if not cond:
        raise CaseFailure(why)


def eq(actual, expected, what):
    if actual != expected:
        raise CaseFailure(f"{what}: expected {expected!r}, got {short(actual)}")


def short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


class Tally:
    """The lines a suite prints, also for the platform tests: tests/run.sh
    adds up the closing "N passed, M failed", so every suite words it alike."""

    def __init__(self):
        self.passed = self.failed = 0

    def report(self, name, why=None, note=""):
        """why None is a pass; note follows the name on a PASS line."""
        if why is None:
            self.passed += 1
            print(f"PASS {name}{note}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {why}", flush=True)

    def close(self):
        """Prints the closing line; returns the exit status."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


# --- servers -----------------------------------------------------------------

_servers = []


def _die_with_driver():
    """In the child: SIGKILL when the driver dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def free_port():
    """A port nothing listens on right now (port 0 is not reported reliably)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Server:
    """One `pyedge up` process on 127.0.0.1."""

    def __init__(self, app, args=(), name=None):
        self.app = app
        self.args = list(args)
        self.name = name or os.path.basename(app.rstrip("/"))
        self.proc = None
        self.port = None
        self.app_name = None
        self.stdout = []
        self.stderr = []
        self.lock = threading.Lock()
        self.restarts = 0

    def start(self):
        last = None
        for _ in range(3):  # the free port may be taken between probe and bind
            try:
                self._start_once(free_port())
                return
            except CaseFailure as e:
                last = e
                if "address already in use" not in str(e):
                    break
        raise last

    def _start_once(self, port):
        self.stdout, self.stderr = [], []
        ready = threading.Event()
        cmd = [PYEDGE, "up", "-f", self.app, "--listen", f"{HOST}:{port}", *self.args]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_driver)
        if self not in _servers:
            _servers.append(self)

        def pump(stream, lines, watch):
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self.lock:
                    lines.append(line)
                if watch:
                    m = READY_RE.match(line)
                    if m:
                        self.app_name, self.ready_addr, self.ready_port = m.group(1), m.group(2), int(m.group(3))
                        ready.set()
            stream.close()

        self.threads = [
            threading.Thread(target=pump, args=(self.proc.stdout, self.stdout, False), daemon=True),
            threading.Thread(target=pump, args=(self.proc.stderr, self.stderr, True), daemon=True),
        ]
        for t in self.threads:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                what = (f"exited with status {self.proc.returncode}" if self.proc.poll() is not None
                        else f"not ready after {START_TIMEOUT:.0f} s")
                self.kill()
                for t in self.threads:
                    t.join(2)
                raise CaseFailure(f"server for {self.name} {what}: {self.tail()}")
        self.port = port

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=8):
        with self.lock:
            lines = [l for l in self.stderr if not l.startswith("  ")][-n:]
        return " | ".join(lines) if lines else "(no stderr)"

    def stdout_lines(self):
        with self.lock:
            return list(self.stdout)

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def stop(self):
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(STOP_TIMEOUT) is None:
                self.kill()
        for t in getattr(self, "threads", []):
            t.join(2)
        return self.proc.returncode


def stop_all():
    for s in _servers:
        try:
            s.kill()
        except Exception:
            pass


atexit.register(stop_all)


def _on_signal(sig, frame):
    stop_all()
    sys.exit(128 + sig)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)
signal.signal(signal.SIGHUP, _on_signal)


# --- HTTP helpers ------------------------------------------------------------

class Resp:
    def __init__(self, status, reason, headers, body, elapsed, version="HTTP/1.1"):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value) as sent
        self.body = body
        self.elapsed = elapsed
        self.version = version

    def header(self, name):
        """The only value of header `name` (any case); None if absent; fails if repeated."""
        vals = self.all(name)
        check(len(vals) <= 1, f"header {name} sent {len(vals)} times: {vals}")
        return vals[0] if vals else None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise CaseFailure(f"body is not JSON ({e}): {short(self.body)}")

    def __repr__(self):
        return f"<{self.status} {self.headers} {short(self.body, 200)}>"


def request(port, method, path, headers=None, body=None, timeout=IO_TIMEOUT, conn=None):
    """One request with http.client; a new connection unless `conn` is given."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, r.reason, r.getheaders(), data, time.monotonic() - t0)
    finally:
        if own:
            conn.close()


def expect(r, status, body=None, what=""):
    w = f"{what}: " if what else ""
    if r.status != status:
        raise CaseFailure(f"{w}status: expected {status}, got {r.status} (body {short(r.body, 200)})")
    if body is not None and r.body != body:
        raise CaseFailure(f"{w}body: expected {short(body)}, got {short(r.body)}")
    cl = r.header("content-length")
    if r.status not in (204, 304) and r.status >= 200:
        eq(cl, str(len(r.body)), f"{w}content-length")


class RawConn:
    """A raw socket with a response parser that keeps unread bytes, for
    pipelining and malformed requests."""

    def __init__(self, port, timeout=IO_TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.buf = b""
        self.timeout = timeout

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise CaseFailure(f"connection closed by the server (unparsed: {short(self.buf, 120)})")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exactly(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def response(self, head_only=False):
        t0 = time.monotonic()
        status_line = self._line().decode("latin-1")
        m = re.match(r"^(HTTP/1\.[01]) (\d{3}) (.*)$", status_line)
        check(m, f"bad status line {status_line!r}")
        status = int(m.group(2))
        headers = []
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers.append((k, v.strip()))
        r = Resp(status, m.group(3), headers, b"", 0.0, m.group(1))
        if status == 100:
            return r
        if not head_only and status not in (204, 304):
            cl = r.header("content-length")
            check(cl is not None and cl.isdigit(), f"response without a usable content-length: {headers}")
            r.body = self._exactly(int(cl))
        r.elapsed = time.monotonic() - t0
        return r

    def at_eof(self, wait=3.0):
        """True if the server closes the connection (after any unread bytes)."""
        end = time.monotonic() + wait
        while time.monotonic() < end:
            r, _, _ = select.select([self.sock], [], [], max(0.0, end - time.monotonic()))
            if not r:
                return False
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                return True
            if not chunk:
                return True
            self.buf += chunk
        return False


def get_req(path, host="localhost", extra=""):
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


# --- cases -------------------------------------------------------------------

CASES = []  # (server key, name, function)


def case(server, name=None):
    def deco(fn):
        CASES.append((server, name or fn.__name__, fn))
        return fn
    return deco


# -- examples/hello

@case("hello")
def hello_json(s):
    before = int(time.time())
    r = request(s.port, "GET", "/")
    after = int(time.time())
    expect(r, 200)
    eq(r.header("content-type"), "application/json", "content-type")
    eq(r.header("cache-control"), "no-store", "cache-control")
    doc = r.json()
    eq(sorted(doc), ["ok", "runtime", "service", "timestamp"], "keys")
    eq(doc["service"], "hello", "service")
    eq(doc["runtime"], "cpython-wasm", "runtime")
    check(doc["ok"] is True, f"ok: expected true, got {doc['ok']!r}")
    ts = doc["timestamp"]
    check(type(ts) is int, f"timestamp is not an integer: {ts!r}")
    check(before - 2 <= ts <= after + 2, f"timestamp {ts} is not now ({before}..{after})")


@case("hello")
def hello_head(s):
    g = request(s.port, "GET", "/")
    with RawConn(s.port) as c:
        c.send(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        r = c.response(head_only=True)
        eq(r.status, 200, "status")
        eq(r.header("content-length"), str(len(g.body)), "HEAD content-length")
        eq(r.header("content-type"), "application/json", "content-type")
        c.send(b"GET /.well-known/spin/health HTTP/1.1\r\nHost: x\r\n\r\n")
        h = c.response()
        eq((h.status, h.body), (200, b"OK"), "the response after HEAD (no body was sent for HEAD)")


@case("hello")
def hello_ready_line(s):
    eq(s.app_name, "hello", "app name in the ready line")
    eq(s.ready_port, s.port, "port in the ready line")
    eq(s.ready_addr, f"{HOST}:{s.port}", "address in the ready line")


# -- routing (tests/serve/apps/routes)

def echo(s, path, **kw):
    r = request(s.port, "GET", path, **kw)
    expect(r, 200, what=path)
    eq(r.header("content-type"), "application/json", f"{path}: content-type")
    return r.json()


@case("routes")
def route_exact(s):
    d = echo(s, "/exact")
    eq(d["component"], "comp-a", "/exact answered by")
    eq(d["uri"], "/exact", "uri")
    d = echo(s, "/exact?x=1&y=2")
    eq(d["component"], "comp-a", "/exact?x=1&y=2 answered by (the query is not routed on)")
    eq(d["uri"], "/exact?x=1&y=2", "uri")


@case("routes")
def route_exact_beats_wildcard(s):
    # "/exact" and "/exact/..." both match "/exact"
    eq(echo(s, "/exact")["component"], "comp-a", "/exact answered by")
    d = echo(s, "/exact/x/y?q=1")
    eq(d["component"], "comp-b", "/exact/x/y answered by")
    eq(d["uri"], "/exact/x/y?q=1", "uri")
    eq(d["headers"]["spin-path-info"], "/x/y", "spin-path-info")


@case("routes")
def route_longest_prefix(s):
    for path, comp, info in [("/api/v1/z", "comp-c", "/z"), ("/api/v1/a/b", "comp-c", "/a/b"),
                             ("/api/v1", "comp-c", ""), ("/api/v2", "comp-b", "/v2"),
                             ("/api/v10", "comp-b", "/v10"), ("/api", "comp-b", "")]:
        d = echo(s, path)
        eq(d["component"], comp, f"{path} answered by")
        eq(d["headers"]["spin-path-info"], info, f"{path}: spin-path-info")


@case("sdk")
def route_wildcard_all(s):
    # "/..." matches everything (the sdk app has it as its catch-all)
    for path, info in [("/zzz", "/zzz"), ("/zzz/a/b?c=d", "/zzz/a/b"), ("/", "/")]:
        d = echo(s, path)
        eq(d["style"], "catchall", f"{path} answered by")
        eq(d["headers"]["spin-matched-route"], "/...", f"{path}: spin-matched-route")
        eq(d["headers"]["spin-path-info"], info, f"{path}: spin-path-info")


@case("routes")
def route_captures(s):
    d = echo(s, "/users/42")
    eq(d["component"], "comp-a", "/users/42 answered by")
    eq(d["headers"].get("spin-path-match-id"), "42", "spin-path-match-id")
    eq(d["headers"]["spin-matched-route"], "/users/:id", "spin-matched-route")
    d = echo(s, "/users/7/posts/9?full=1")
    eq(d["component"], "comp-c", "/users/7/posts/9 answered by")
    eq(d["headers"].get("spin-path-match-id"), "7", "spin-path-match-id")
    eq(d["headers"].get("spin-path-match-post-id"), "9", "spin-path-match-post-id (from :post_id)")
    d = echo(s, "/users/a%20b")
    eq(d["headers"].get("spin-path-match-id"), "a%20b", "capture of an encoded segment (raw, as Spin)")
    for path in ["/users", "/users/42/extra", "/users/7/posts"]:
        r = request(s.port, "GET", path)
        eq(r.status, 404, f"{path} status (no route)")


@case("routes")
def route_star_wildcard(s):
    for path, info in [("/star/x/y", "/x/y"), ("/star", "")]:
        d = echo(s, path)
        eq(d["component"], "comp-c", f"{path} answered by")
        eq(d["headers"]["spin-path-info"], info, f"{path}: spin-path-info")
        eq(d["headers"]["spin-raw-component-route"], "/star/*", f"{path}: spin-raw-component-route")


@case("routes")
def route_duplicate_later_wins(s):
    eq(echo(s, "/dup")["component"], "comp-b", "/dup (declared for comp-a, then comp-b) answered by")
    warn = [l for l in s.stderr if "warning" in l and "/dup" in l]
    check(warn, f"no start-up warning names the duplicate route /dup; stderr: {s.tail(12)}")


@case("routes")
def route_private_not_reachable(s):
    for path in ["/secret", "/secret/x", "/"]:
        r = request(s.port, "GET", path)
        eq(r.status, 404, f"{path} status")
        check(b"secret" not in r.body, f"{path}: the private component answered: {short(r.body)}")


@case("routes")
def route_static_response(s):
    r = request(s.port, "GET", "/static")
    expect(r, 201, b"static body\n")
    eq(r.header("content-type"), "text/plain", "content-type")
    eq(r.header("x-static"), "yes", "x-static")
    r = request(s.port, "POST", "/static", body=b"ignored", headers={"content-type": "text/plain"})
    expect(r, 201, b"static body\n", "POST")


@case("routes")
def route_static_response_unsendable(s):
    # status_code 150 is a valid manifest value but no final response:
    # start-up says so, as it says the content-length header is the server's
    said = " ".join(s.stderr)
    check("status_code 150 cannot be a response" in said, f"no start-up warning: {s.tail(8)}")
    check("header 'content-length' is not sent" in said, f"no header warning: {s.tail(8)}")
    r = request(s.port, "GET", "/static-odd")
    eq(r.status, 500, "a static response whose status cannot be sent")


@case("routes")
def route_health(s):
    for method in ["GET", "POST"]:
        r = request(s.port, method, "/.well-known/spin/health")
        expect(r, 200, b"OK", method)


@case("routes")
def route_info(s):
    r = request(s.port, "GET", "/.well-known/spin/info")
    expect(r, 200)
    eq(r.header("content-type"), "application/json", "content-type")
    d = r.json()
    eq(d.get("name"), "serve-routes", "name")
    eq(d.get("version"), '1.2.3 "rc" \\\\ é', "version (quotes, backslashes and UTF-8 survive as JSON)")


@case("routes")
def route_reserved_other_404(s):
    for path in ["/.well-known/spin/x", "/.well-known/spin/health/x", "/.well-known/spin/info2"]:
        r = request(s.port, "GET", path)
        eq(r.status, 404, f"{path} status (reserved prefix, although /.well-known/... is an app route)")
        check(b"comp-a" not in r.body, f"{path}: the app answered: {short(r.body)}")
    eq(echo(s, "/.well-known/other")["component"], "comp-a", "/.well-known/other answered by")


@case("routes")
def route_unknown_404(s):
    for method, path in [("GET", "/nope"), ("GET", "/exac"), ("GET", "/exactly"), ("POST", "/nope/deeper"),
                         ("GET", "/EXACT")]:
        r = request(s.port, method, path)
        eq(r.status, 404, f"{method} {path} status")


def spin_headers(s, path, conn=None, headers=None):
    conn = conn or http.client.HTTPConnection(HOST, s.port, timeout=IO_TIMEOUT)
    conn.connect()
    client_port = conn.sock.getsockname()[1]
    try:
        r = request(s.port, "GET", path, headers=headers, conn=conn)
    finally:
        conn.close()
    expect(r, 200, what=path)
    d = r.json()
    return {k: v for k, v in d["headers"].items() if k.startswith("spin-")}, client_port, d


@case("routes")
def spin_headers_wildcard(s):
    got, cport, _ = spin_headers(s, "/exact/x/y?q=1")
    eq(got, {
        "spin-full-url": f"http://{HOST}:{s.port}/exact/x/y?q=1",
        "spin-path-info": "/x/y",
        "spin-matched-route": "/exact/...",
        "spin-base-path": "/",
        "spin-raw-component-route": "/exact/...",
        "spin-component-route": "/exact",
        "spin-client-addr": f"{HOST}:{cport}",
    }, "spin-* headers for /exact/x/y?q=1 (route /exact/...)")


@case("routes")
def spin_headers_exact(s):
    got, cport, _ = spin_headers(s, "/exact")
    eq(got, {
        "spin-full-url": f"http://{HOST}:{s.port}/exact",
        "spin-path-info": "",
        "spin-matched-route": "/exact",
        "spin-base-path": "/",
        "spin-raw-component-route": "/exact",
        "spin-component-route": "/exact",
        "spin-client-addr": f"{HOST}:{cport}",
    }, "spin-* headers for /exact")


@case("routes")
def spin_headers_captures(s):
    got, cport, _ = spin_headers(s, "/users/7/posts/9")
    eq(got, {
        "spin-full-url": f"http://{HOST}:{s.port}/users/7/posts/9",
        "spin-path-info": "",
        "spin-matched-route": "/users/:id/posts/:post_id",
        "spin-base-path": "/",
        "spin-raw-component-route": "/users/:id/posts/:post_id",
        "spin-component-route": "/users/:id/posts/:post_id",
        "spin-client-addr": f"{HOST}:{cport}",
        "spin-path-match-id": "7",
        "spin-path-match-post-id": "9",
    }, "spin-* headers for /users/7/posts/9")


@case("sdk")
def spin_headers_catchall(s):
    got, cport, _ = spin_headers(s, "/a/b/?c=1")
    eq(got, {
        "spin-full-url": f"http://{HOST}:{s.port}/a/b/?c=1",
        "spin-path-info": "/a/b/",
        "spin-matched-route": "/...",
        "spin-base-path": "/",
        "spin-raw-component-route": "/...",
        "spin-component-route": "",
        "spin-client-addr": f"{HOST}:{cport}",
    }, "spin-* headers for /a/b/?c=1 (route /...)")


@case("routes")
def spin_headers_not_forgeable(s):
    forged = {
        "spin-full-url": "http://evil.example/forged",
        "Spin-Path-Info": "/forged",
        "SPIN-MATCHED-ROUTE": "/forged/...",
        "spin-client-addr": "6.6.6.6:666",
        "spin-path-match-id": "forged",
        "spin-anything": "forged",
    }
    got, cport, d = spin_headers(s, "/exact/x", headers=forged)
    eq(got.get("spin-full-url"), f"http://{HOST}:{s.port}/exact/x", "spin-full-url (client sent a forged one)")
    eq(got.get("spin-path-info"), "/x", "spin-path-info (client sent a forged one)")
    eq(got.get("spin-matched-route"), "/exact/...", "spin-matched-route (client sent a forged one)")
    eq(got.get("spin-client-addr"), f"{HOST}:{cport}", "spin-client-addr (client sent a forged one)")
    check("spin-path-match-id" not in got, f"a client-sent spin-path-match-id reached the handler: {got}")
    check("spin-anything" not in got, f"a client-sent spin-anything reached the handler: {got}")
    vals = json.dumps(d["headers"])
    check("forged" not in vals and "evil" not in vals, f"a forged value reached the handler: {d['headers']}")


@case("routes")
def spin_headers_survive_many_client_headers(s):
    # 98 client headers, Host and Accept-Encoding (http.client's): the
    # server's limit of 100; the spin-* headers have slots of their own, so
    # all of them still arrive
    many = {f"x-h{i}": str(i) for i in range(98)}
    got, cport, d = spin_headers(s, "/users/7/posts/9", headers=many)
    eq((got.get("spin-full-url"), got.get("spin-path-match-post-id"), len(got)),
       (f"http://{HOST}:{s.port}/users/7/posts/9", "9", 9), "spin-* headers beside 100 others")
    eq(d["headers"].get("x-h97"), "97", "the last client header")
    # one more is refused before any sandbox runs
    many["x-h98"] = "98"
    r = request(s.port, "GET", "/exact", headers=many)
    eq(r.status, 431, "101 request headers")


@case("routes")
def spin_console_lines(s):
    # what `spin up` prints on standard output, for scripts that wait for it
    base = f"http://{HOST}:{s.port}"
    wants = (f"  comp-a: {base}/exact", f"  comp-b: {base}/exact (wildcard)",
             f"  comp-b: {base}/api (wildcard)")
    deadline = time.monotonic() + 3  # standard output goes out in batches (50 ms)
    while time.monotonic() < deadline and not all(w in s.stdout_lines() for w in wants):
        time.sleep(0.05)
    out = s.stdout_lines()
    check(f"Serving {base}" in out, f"no 'Serving {base}' line: {out[:6]}")
    check(out.index(f"Serving {base}") + 1 < len(out) and
          out[out.index(f"Serving {base}") + 1] == "Available Routes:", f"{out[:8]}")
    for want in wants:
        check(want in out, f"no route line '{want}': {out[:20]}")
    start = out.index("Available Routes:") + 1
    routes = []
    for line in out[start:]:
        if not line.startswith("  "):
            break
        routes.append(line)
    check(not [l for l in routes if l.startswith("  secret:")], f"a private route is listed: {routes}")
    check(out[0].startswith('Logging component stdio to "') and out[0].endswith('/logs/"'),
          f"first line: {out[:2]}")


@case("routes")
def access_log(s):
    request(s.port, "GET", "/exact?secret=1")
    request(s.port, "GET", "/nope")
    deadline = time.monotonic() + 2
    want = [re.compile(r"^GET /exact 200 comp-a \d+\.\d+ms \(sandbox \d+\.\d+ms\)$"),
            re.compile(r"^GET /nope 404 - \d+\.\d+ms \(sandbox 0\.000ms\)$")]
    while True:
        lines = s.stdout_lines()
        if all(any(w.match(l) for l in lines) for w in want):
            break
        check(time.monotonic() < deadline, f"access log lines not found; stdout: {lines[-6:]}")
        time.sleep(0.05)


# -- SDK styles and request/response (tests/serve/apps/sdk)

def described(s, method, path, style, headers=None, body=None):
    r = request(s.port, method, path, headers=headers, body=body)
    expect(r, 200, what=f"{method} {path}")
    eq(r.header("x-style"), style, "x-style (which handler ran)")
    d = r.json()
    eq(d["style"], style, "style")
    eq(d["headers_type"], "dict", "type of request.headers")
    eq(d["body_type"], "bytes", "type of request.body")
    return r, d


@case("sdk")
def sdk_v3_incoming_handler(s):
    r, d = described(s, "GET", "/v3/a/b?x=1&y=%20z", "v3")
    eq(d["method"], "GET", "method")
    eq(d["uri"], "/v3/a/b?x=1&y=%20z", "uri (path and query only)")


@case("sdk")
def sdk_v4_async_handler(s):
    r, d = described(s, "GET", "/v4/q?k=v", "v4")
    eq(r.header("x-gathered"), "1,2,3", "x-gathered (asyncio.gather in the handler)")
    eq(d["uri"], "/v4/q?k=v", "uri")


@case("sdk")
def sdk_module_function(s):
    r, d = described(s, "POST", "/func/f?n=1", "func", body=b"abc",
                     headers={"content-type": "text/plain"})
    eq(d["method"], "POST", "method")
    eq(d["uri"], "/func/f?n=1", "uri")
    eq(d["body_len"], 3, "body length")


@case("sdk")
def sdk_uri_forms(s):
    for path, uri in [("/v3", "/v3"), ("/v3/", "/v3/"), ("/v3?", "/v3?"), ("/v3/a%2Fb?q=%3F&r", "/v3/a%2Fb?q=%3F&r")]:
        _, d = described(s, "GET", path, "v3")
        eq(d["uri"], uri, f"uri for {path}")
    r = request(s.port, "GET", "/?x=1")
    expect(r, 200)
    eq(r.json()["uri"], "/?x=1", "uri for /?x=1")


@case("sdk")
def sdk_methods(s):
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS"]:
        _, d = described(s, method, "/v3/m", "v3", body=b"" if method != "DELETE" else None)
        eq(d["method"], method, "method")


@case("sdk")
def sdk_headers_lowercase(s):
    _, d = described(s, "GET", "/v3/h", "v3", headers={
        "X-Mixed-Case": "Value With Spaces", "X-UPPER": "UP", "Accept": "text/x-test"})
    h = d["headers"]
    eq(h.get("x-mixed-case"), "Value With Spaces", "x-mixed-case")
    eq(h.get("x-upper"), "UP", "x-upper")
    eq(h.get("accept"), "text/x-test", "accept")
    bad = [k for k in h if k != k.lower()]
    check(not bad, f"header names not lower-case: {bad}")
    eq(h.get("host"), f"{HOST}:{s.port}", "host")


@case("sdk")
def sdk_headers_repeated(s):
    with RawConn(s.port) as c:
        c.send(b"GET /v3/dup HTTP/1.1\r\nHost: x\r\nX-Dup: one\r\nx-dup: two\r\n\r\n")
        r = c.response()
    expect(r, 200)
    eq(r.json()["headers"].get("x-dup"), "two", "a repeated header (the last value, as spin_sdk documents)")


@case("sdk")
def sdk_response_headers(s):
    # the handler's header names arrive lower-case, values as set
    r = request(s.port, "POST", "/body", body=b"x")
    expect(r, 200, b"x")
    eq(r.header("x-body-type"), "bytes", "x-body-type (set as X-Body-Type by the handler)")
    eq(r.header("content-type"), "application/octet-stream", "content-type")


@case("sdk")
def body_empty(s):
    r = request(s.port, "POST", "/body", body=b"", headers={"content-length": "0"})
    expect(r, 200, b"")
    eq(r.header("content-length"), "0", "content-length")
    r = request(s.port, "GET", "/body")
    expect(r, 200, b"", "GET without body")
    _, d = described(s, "POST", "/v3/e", "v3", body=b"")
    eq(d["body_len"], 0, "body length seen by the handler")


@case("sdk")
def body_1mib(s):
    data = os.urandom(1 << 20)
    r = request(s.port, "POST", "/body", body=data, headers={"content-type": "application/octet-stream"})
    expect(r, 200)
    eq(len(r.body), len(data), "echoed length")
    check(r.body == data, "the 1 MiB body came back different")
    _, d = described(s, "PUT", "/v3/big", "v3", body=data)
    eq(d["body_len"], 1 << 20, "body length seen by the handler")
    eq(d["body_sha256"], hashlib.sha256(data).hexdigest(), "body sha256 seen by the handler")


@case("sdk")
def body_chunked_upload(s):
    data = os.urandom(300_000)
    sizes = [1, 15, 4096, 65536, 100_000]
    chunks, pos = [], 0
    for n in sizes + [len(data)]:
        part = data[pos:pos + n]
        if part:
            chunks.append(part)
        pos += len(part)
    wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in chunks) + b"0\r\n\r\n"
    with RawConn(s.port) as c:
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(wire), 50_000):  # in pieces, as a streaming client would
            c.send(wire[i:i + 50_000])
        r = c.response()
    expect(r, 200)
    check(r.body == data, f"the chunked body came back different ({len(r.body)} bytes of {len(data)})")
    _, d = described(s, "POST", "/v3/chunked", "v3", body=iter(chunks))  # http.client sends chunked
    eq(d["body_len"], len(data), "body length seen by the handler")
    eq(d["body_sha256"], hashlib.sha256(data).hexdigest(), "body sha256 seen by the handler")


@case("sdk")
def content_length_added(s):
    # bodyecho sets no content-length: exactly one must arrive, with the body length
    for body in [b"", b"abc", b"\x00" * 1000]:
        with RawConn(s.port) as c:
            c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            r = c.response()
        eq(r.status, 200, "status")
        eq(r.all("content-length"), [str(len(body))], "content-length headers")
        eq(r.body, body, "body")


@case("sdk")
def isolation_module_state(s):
    seen = []
    conn = http.client.HTTPConnection(HOST, s.port, timeout=IO_TIMEOUT)
    try:
        for _ in range(4):  # one keep-alive connection
            seen.append(request(s.port, "GET", "/counter", conn=conn))
    finally:
        conn.close()
    for _ in range(4):  # new connections
        seen.append(request(s.port, "GET", "/counter"))
    for r in seen:
        expect(r, 200, b"count=1 seen=1", "every request starts from the snapshot")


@case("sdk")
def isolation_recycled_sandbox(s):
    # sandboxes are recycled (reset in place): poison one in every way a
    # handler can, on one keep-alive connection and on new ones, with and
    # without growing memory, and check each next request sees the snapshot
    conn = http.client.HTTPConnection(HOST, s.port, timeout=IO_TIMEOUT)
    try:
        for i in range(12):
            path = "/poison/big" if i % 3 == 0 else "/poison/closeapp" if i % 4 == 1 else "/poison/small"
            expect(request(s.port, "GET", path, conn=conn if i % 2 else None), 200, b"poisoned",
                   f"poison {i}")
            expect(request(s.port, "GET", "/poison/check", conn=conn), 200, b"clean",
                   f"after poison {i}")
    finally:
        conn.close()


def heap_state(s, path, conn=None):
    r = request(s.port, "GET", path, conn=conn)
    expect(r, 200, what="GET " + path)
    return json.loads(r.body)


def heap_work(n):
    sys.path.insert(0, os.path.join(APPS, "sdk"))
    try:
        import heapwork
    finally:
        sys.path.pop(0)
    return heapwork.work(n)


REQHEAP_BYTES = 4 << 20  # PYEDGE_REQHEAP_BYTES, guest/pyedge_guest.h


@case("sdk")
def heap_request_objects_in_region(s):
    a = heap_state(s, "/heap/where")
    lo, hi, top = a["before"]
    eq(a["at_import"], [0, 0, 0], "no region while the app is imported")
    eq(hi - lo, REQHEAP_BYTES, "region size")
    check(lo <= top < hi, f"top {top} outside [{lo}, {hi})")
    check(not a["startup_object_inside"], "an object made at import lies in the region")
    check(a["fresh_object_inside"], "an object made by the request is not in the region")
    check(a["after"][2] - top < 64 * 1024, f"a small request used {a['after'][2] - top} bytes")
    # a fresh sandbox per request: the next one finds the region as the snapshot had it
    eq(heap_state(s, "/heap/where")["before"], a["before"], "region at the next request")


@case("sdk")
def heap_region_full_falls_back(s):
    # more live objects than the region holds: the rest come from malloc, and
    # growing, shrinking and freeing blocks on both sides gives the same
    # results as native CPython
    n = 60000
    first = heap_state(s, "/heap/where")
    a = heap_state(s, f"/heap/churn?n={n}")
    eq(a["work"], heap_work(n), "workload results")
    lo, hi, top = a["after"]
    check(hi - top < 4096, f"region not used up: {hi - top} bytes left")
    eq(heap_state(s, "/heap/where")["before"], first["before"], "region after a full one")


@case("sdk-reuse")
def heap_region_full_on_warm_instance(s):
    # a warm instance keeps its (full) region between requests
    n = 60000
    want = heap_work(n)
    tops = []
    for i in range(3):
        a = heap_state(s, f"/heap/churn?n={n}")
        eq(a["work"], want, f"workload results, request {i + 1}")
        tops.append(a["before"][2])
    check(tops[1] > tops[0] and tops[2] == tops[1],
          f"region top per request {tops}: expected it kept and full after the first")


@case("sdk")
def isolation_no_writable_dir(s):
    marker = "pyedge-serve-isolation.txt"
    host_paths = ["/tmp/" + marker, os.path.join(APPS, "sdk", marker), os.path.join(ROOT, marker)]
    preexisting = {p for p in host_paths if os.path.exists(p)}
    for i in range(2):
        r = request(s.port, "GET", "/tmpfile")
        expect(r, 200, what=f"request {i + 1}")
        d = r.json()
        for path, entry in d.items():
            eq(entry["existed"], False, f"request {i + 1}: {path} existed")
            check(entry["write"] != "ok", f"request {i + 1}: the guest could write {path}")
            check(entry["write"].endswith("Error"), f"request {i + 1}: writing {path}: {entry['write']}")
    leaked = [p for p in host_paths if os.path.exists(p) and p not in preexisting]
    check(not leaked, f"the guest wrote on the host: {leaked}")


@case("sdk")
def fail_handler_raises(s):
    r = request(s.port, "GET", "/fail/raise")
    expect(r, 500, b"")
    r = request(s.port, "GET", "/fail/ok")
    expect(r, 200, b"fine", "the next request")


@case("sdk")
def fail_sys_exit(s):
    r = request(s.port, "GET", "/fail/exit")
    eq(r.status, 500, "status of sys.exit(3)")
    r = request(s.port, "GET", "/fail/ok")
    expect(r, 200, b"fine", "the next request")


@case("sdk")
def fail_os_exit(s):
    r = request(s.port, "GET", "/fail/os-exit")
    eq(r.status, 500, "status of os._exit(3) (WASI proc_exit)")
    r = request(s.port, "GET", "/fail/ok")
    expect(r, 200, b"fine", "the next request")


@case("sdk")
def fail_bad_response(s):
    r = request(s.port, "GET", "/fail/bad-status")
    expect(r, 500, b"")
    expect(request(s.port, "GET", "/fail/ok"), 200, b"fine", "the next request")


def malformed(s, wire, status=400):
    with RawConn(s.port) as c:
        c.send(wire)
        r = c.response()
        eq(r.status, status, f"status for {short(wire, 80)}")
        check(c.at_eof(), "the connection stayed open after the error")
    expect(request(s.port, "GET", "/fail/ok"), 200, b"fine", "the next request")


@case("sdk")
def malformed_request_line(s):
    malformed(s, b"GARBAGE\r\n\r\n")
    malformed(s, b"GET /v3 HTTP/1.1 extra\r\nHost: x\r\n\r\n")


@case("sdk")
def malformed_header_line(s):
    malformed(s, b"GET /v3 HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
    malformed(s, b"GET /v3 HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n")


@case("sdk")
def malformed_missing_host(s):
    malformed(s, b"GET /v3 HTTP/1.1\r\n\r\n")


@case("sdk")
def malformed_framing(s):
    malformed(s, b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    malformed(s, b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
    malformed(s, b"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")


@case("sdk")
def keepalive_20(s):
    conn = http.client.HTTPConnection(HOST, s.port, timeout=IO_TIMEOUT)
    addrs = set()
    try:
        for i in range(20):
            path = ["/v3/k", "/v4/k", "/func/k"][i % 3] + f"?i={i}"
            r = request(s.port, "GET", path, conn=conn)
            expect(r, 200, what=f"request {i + 1}")
            d = r.json()
            eq(d["uri"], path, f"request {i + 1}: uri")
            addrs.add(d["headers"]["spin-client-addr"])
            check(r.header("connection") != "close", f"request {i + 1}: the server closed the connection")
    finally:
        conn.close()
    eq(len(addrs), 1, "client addresses seen (one connection for 20 requests)")


@case("sdk")
def pipelining_5(s):
    # slow and fast handlers mixed: the answers must still come in request order
    paths = ["/v4/p?i=0", "/func/p?i=1", "/v3/p?i=2", "/v4/p?i=3", "/func/p?i=4"]
    wire = b"".join(get_req(p, extra="Connection: close\r\n" if i == 4 else "") for i, p in enumerate(paths))
    with RawConn(s.port) as c:
        c.send(wire)  # one write
        for i, p in enumerate(paths):
            r = c.response()
            expect(r, 200, what=f"response {i + 1}")
            eq(r.json()["uri"], p, f"response {i + 1} answers")
        check(c.at_eof(), "the connection stayed open after Connection: close")


@case("sdk")
def http10_without_host(s):
    with RawConn(s.port) as c:
        c.send(b"GET /v3/old HTTP/1.0\r\n\r\n")
        r = c.response()
        expect(r, 200)
        eq(r.json()["uri"], "/v3/old", "uri")
        check(c.at_eof(), "an HTTP/1.0 connection without keep-alive stayed open")


@case("sdk")
def http_expect_100_continue(s):
    with RawConn(s.port) as c:
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        r = c.response()
        eq(r.status, 100, "interim status")
        c.send(b"hello")
        expect(c.response(), 200, b"hello", "final response")


@case("sdk")
def http_body_too_large_413(s):
    with RawConn(s.port) as c:
        c.send(b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (64 << 20))
        r = c.response()
        eq(r.status, 413, "status of a 64 MiB body (limit 10 MiB)")
        check(c.at_eof(), "the connection stayed open after 413")
    expect(request(s.port, "GET", "/fail/ok"), 200, b"fine", "the next request")


@case("sdk")
def http_absolute_form_target(s):
    # RFC 9112 3.2.2: a server MUST accept the absolute form; it routes on its path
    with RawConn(s.port) as c:
        c.send(b"GET http://%s:%d/v3/abs?q=1 HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (
            HOST.encode(), s.port, HOST.encode(), s.port))
        r = c.response()
    expect(r, 200, what="GET http://host/v3/abs?q=1")
    d = r.json()
    eq(d["style"], "v3", "answered by")
    eq(d["uri"], "/v3/abs?q=1", "uri (path and query only)")
    eq(d["headers"]["spin-full-url"], f"http://{HOST}:{s.port}/v3/abs?q=1", "spin-full-url")


def resp_exchange(s, what, method="GET"):
    """GET /resp/<what> then GET /fail/ok on one connection: the second answer
    shows that the first was framed right."""
    with RawConn(s.port) as c:
        c.send(f"{method} /resp/{what} HTTP/1.1\r\nHost: x\r\n\r\nGET /fail/ok HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        r = c.response(head_only=(method == "HEAD"))
        nxt = c.response()
    expect(nxt, 200, b"fine", f"the response after /resp/{what} on the same connection")
    return r


@case("sdk")
def response_204_304_no_body(s):
    r = resp_exchange(s, "no-content")
    eq(r.status, 204, "status")
    eq(r.header("content-length"), None, "content-length on a 204")
    eq(r.header("x-what"), "no-content", "x-what")
    r = resp_exchange(s, "not-modified")
    eq(r.status, 304, "status")
    eq(r.header("etag"), '"v1"', "etag")


@case("sdk")
def response_framing_is_the_hosts(s):
    r = resp_exchange(s, "wrong-length")  # handler says content-length 10, sends 3 bytes
    check(r.status in (200, 500), f"status {r.status}")
    if r.status == 200:
        eq(r.body, b"abc", "body")
    r = resp_exchange(s, "hop-by-hop")  # handler sets connection: close, transfer-encoding
    expect(r, 200, b"abc")
    eq(r.all("transfer-encoding"), [], "transfer-encoding from the handler")
    eq(r.all("connection"), [], "connection from the handler")


@case("sdk")
def response_header_injection(s):
    r = resp_exchange(s, "crlf-header")
    eq(r.status, 500, "status of a header value with CR LF")
    eq(r.all("x-injected"), [], "injected header")


@case("sdk")
def response_header_too_long_logged(s):
    r = resp_exchange(s, "long-header")
    eq((r.status, r.header("x-ok"), r.all("x-long")), (200, "1", []),
       "a 9000-byte header value is dropped, the rest of the response kept")
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and not [l for l in s.stderr if "'x-long' dropped" in l]:
        time.sleep(0.05)
    check([l for l in s.stderr if "response header 'x-long' dropped: value over 8191 bytes" in l],
          f"no log line names the dropped header; stderr: {s.tail(6)}")


@case("sdk")
def response_values(s):
    r = resp_exchange(s, "str-body")
    expect(r, 200, "héllo".encode(), "str body")
    eq(r.header("x-n"), "5", "int header value")
    r = resp_exchange(s, "str-body", method="HEAD")
    eq((r.status, r.header("content-length")), (200, "6"), "HEAD status, content-length")
    r = resp_exchange(s, "created")
    expect(r, 201, b"", "body None")
    eq(r.header("location"), "/resp/1", "location")
    r = resp_exchange(s, "teapot")
    expect(r, 418, b"short and stout", "418")
    for what in ["status-1000", "status-600"]:
        eq(resp_exchange(s, what).status, 500, f"status of {what}")


@case("sdk")
def response_5mib(s):
    r = request(s.port, "GET", "/resp/big")
    expect(r, 200)
    check(r.body == b"x" * (5 << 20), f"the 5 MiB body came back different ({len(r.body)} bytes)")


# -- limits (tests/serve/apps/limits, --request-timeout 1 --max-instance-memory 64M)

@case("limits")
def timeout_504(s):
    expect(request(s.port, "GET", "/ok"), 200, b"ok", "before")
    r = request(s.port, "GET", "/spin", timeout=15)
    eq(r.status, 504, "status of while True: pass")
    check(r.elapsed < 2.0, f"the 504 took {r.elapsed:.2f} s (limit 1 s)")
    check(r.elapsed >= 0.9, f"the 504 came after only {r.elapsed:.2f} s (limit 1 s)")
    r = request(s.port, "GET", "/ok")
    expect(r, 200, b"ok", "the next request")
    check(r.elapsed < 0.5, f"the next request took {r.elapsed:.2f} s")


@case("limits")
def timeout_sleeping_504(s):
    # time.sleep(10) waits in the host (poll_oneoff), not in guest code
    r = request(s.port, "GET", "/sleep", timeout=15)
    eq(r.status, 504, "status of time.sleep(10)")
    check(r.elapsed < 2.0, f"the 504 took {r.elapsed:.2f} s (limit 1 s)")
    expect(request(s.port, "GET", "/ok"), 200, b"ok", "the next request")


@case("limits")
def timeout_async_sleep_504(s):
    r = request(s.port, "GET", "/async-sleep", timeout=15)
    eq(r.status, 504, "status of asyncio.run(asyncio.sleep(10))")
    check(r.elapsed < 2.0, f"the 504 took {r.elapsed:.2f} s (limit 1 s)")
    expect(request(s.port, "GET", "/ok"), 200, b"ok", "the next request")


@case("limits")
def memory_limit_500(s):
    r = request(s.port, "GET", "/alloc", timeout=15)
    eq(r.status, 500, "status of a 500 MB allocation with a 64M limit")
    expect(request(s.port, "GET", "/ok"), 200, b"ok", "the next request")


@case("limits")
def memory_limit_growing(s):
    r = request(s.port, "GET", "/grow", timeout=15)
    eq(r.status, 500, "status of 500 x 1 MiB with a 64M limit")
    expect(request(s.port, "GET", "/ok"), 200, b"ok", "the next request")


@case("limits")
def memory_under_limit(s):
    r = request(s.port, "GET", "/alloc-mb/16")
    expect(r, 200, b"allocated %d" % (16 << 20), "16 MiB under a 64M limit")
    for i in range(3):
        expect(request(s.port, "GET", "/ok"), 200, b"ok", f"the request {i + 1} after it")


# -- concurrency (tests/serve/apps/slow, --workers 2)

def in_thread(fn, *a, **kw):
    out = {}

    def run():
        try:
            out["r"] = fn(*a, **kw)
        except BaseException as e:  # reported by the case
            out["e"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def result_of(t, out, what, timeout=10):
    t.join(timeout)
    check(not t.is_alive(), f"{what}: no answer after {timeout} s")
    if "e" in out:
        raise CaseFailure(f"{what}: {type(out['e']).__name__}: {out['e']}")
    return out["r"]


@case("slow")
def concurrency_slow_does_not_block_fast(s):
    expect(request(s.port, "GET", "/fast"), 200, b"fast", "warm-up")
    t, out = in_thread(request, s.port, "GET", "/slow")
    time.sleep(0.2)
    fast = request(s.port, "GET", "/fast")
    expect(fast, 200, b"fast", "fast request")
    check(fast.elapsed < 0.5, f"the fast request took {fast.elapsed:.2f} s while a slow one ran")
    slow = result_of(t, out, "slow request")
    eq(slow.status, 200, "slow status")
    check(slow.body.startswith(b"slept 1."), f"slow body {slow.body!r}")
    check(slow.elapsed >= 0.95, f"the slow request took only {slow.elapsed:.2f} s")


@case("slow")
def client_disconnect_mid_request(s):
    # clients that leave while their handler runs, or halfway through a request
    for wire in [get_req("/slow"), b"GET /slow HTTP/1.1\r\nHost: x\r\n",
                 b"POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"]:
        c = RawConn(s.port)
        c.send(wire)
        time.sleep(0.1)
        c.close()
    time.sleep(0.2)
    check(s.alive(), "the server died")
    fast = request(s.port, "GET", "/fast")
    expect(fast, 200, b"fast", "a request after them")
    check(fast.elapsed < 0.5, f"the next request took {fast.elapsed:.2f} s")


# -- graceful shutdown (a server of its own)

@case("shutdown")
def graceful_shutdown(s):
    idle = http.client.HTTPConnection(HOST, s.port, timeout=IO_TIMEOUT)  # must not delay the exit
    expect(request(s.port, "GET", "/fast", conn=idle), 200, b"fast", "request on the idle connection")
    t, out = in_thread(request, s.port, "GET", "/slow")
    time.sleep(0.3)
    check(s.alive(), "the server died before the signal")
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    time.sleep(0.2)
    refused = None
    try:
        socket.create_connection((HOST, s.port), timeout=1).close()
        refused = False
    except OSError:
        refused = True
    slow = result_of(t, out, "the request in flight")
    eq(slow.status, 200, "status of the request in flight at SIGTERM")
    check(slow.body.startswith(b"slept 1."), f"body {slow.body!r}")
    rc = s.wait(10)
    check(rc is not None, "the server did not exit within 10 s of SIGTERM")
    eq(rc, 0, f"exit status after SIGTERM ({s.tail(3)})")
    took = time.monotonic() - t0
    check(took < 3, f"exit took {took:.2f} s after SIGTERM")
    check(refused, "a new connection was accepted after SIGTERM")
    idle.close()


@case("shutdown2")
def graceful_shutdown_pipelined(s):
    # requests already received are answered, the last with Connection: close
    with RawConn(s.port) as c:
        c.send(get_req("/slow") + get_req("/fast"))
        time.sleep(0.3)
        s.signal(signal.SIGTERM)
        r1 = c.response()
        r2 = c.response()
        eq(r1.status, 200, "status of the slow request")
        check(r1.body.startswith(b"slept 1."), f"slow body {r1.body!r}")
        expect(r2, 200, b"fast", "the request queued behind it")
        eq((r2.header("connection") or "").lower(), "close", "connection header of the last response")
        check(c.at_eof(), "the connection stayed open")
    rc = s.wait(10)
    eq(rc, 0, f"exit status after SIGTERM ({s.tail(3)})")


# -- examples/geo-router

GEO = {
    "GB": b"Hello from London! Fancy a cuppa?\n",
    "FR": "Bonjour de Paris ! Ça va ?\n".encode(),
    "US": b"Hello from New York! Have a nice day.\n",
}


def geo(s, location, region):
    headers = {} if location is None else {"x-user-location": location}
    r = request(s.port, "GET", "/", headers=headers)
    expect(r, 200, GEO[region], f"x-user-location {location!r}")
    eq(r.header("content-type"), "text/plain; charset=utf-8", "content-type")
    eq(r.header("vary"), "x-user-location", "vary")
    eq(r.header("x-greeting-region"), region, "x-greeting-region")


@case("geo")
def geo_router(s):
    for location, region in [("GB", "GB"), ("FR", "FR"), ("US", "US"), (None, "US"), ("", "US"),
                             ("DE", "US"), ("gb", "GB"), (" fr ", "FR"), ("GBR", "US")]:
        geo(s, location, region)
    r = request(s.port, "GET", "/any/path?x=1", headers={"X-User-Location": "FR"})
    expect(r, 200, GEO["FR"], "another path")


@case("sdk-logs")
def component_output_goes_to_log_files(s):
    r = request(s.port, "GET", "/fail/raise")
    expect(r, 500, what="GET /fail/raise")
    path = os.path.join(LOG_DIR, "fail_stderr.txt")
    deadline = time.monotonic() + 2
    while True:
        text = open(path).read() if os.path.exists(path) else ""
        if "ValueError: the handler failed on purpose" in text:
            break
        check(time.monotonic() < deadline, f"traceback not in {path}: {text[-300:]!r}")
        time.sleep(0.05)
    check(os.path.exists(os.path.join(LOG_DIR, "fail_stdout.txt")), "no fail_stdout.txt")
    # the first line names the app's own frame, before the traceback
    first = [l for l in text.splitlines() if "the handler failed" in l]
    check(first and "ValueError: the handler failed on purpose (at /app/failapp.py:" in first[0]
          and first[0].endswith(", in handle_request)"), f"first line: {first[:1]}")


def entropy_draws(s, n):
    return [request(s.port, "GET", "/entropy").json() for _ in range(n)]


def all_distinct(draws, key, what):
    values = [json.dumps(d[key]) for d in draws]
    eq(len(set(values)), len(values), f"{what} repeated across requests: {values}")


@case("sdk")
def entropy_is_fresh_per_request(s):
    # start-up seeded these; a snapshot would repeat them in every request
    draws = entropy_draws(s, 6)
    for key, what in (("global", "random.random()"), ("bound", "random.random bound at import"),
                      ("at_import", "a Random() made at import"), ("fresh", "Random() per request"),
                      ("tempname", "tempfile's next name"), ("secrets", "secrets.token_hex"),
                      ("uuid4", "uuid4"), ("urandom", "os.urandom")):
        all_distinct(draws, key, what)
    # what the app seeded itself, and what start-up drew, stay as a fresh process has them
    eq(len({d["fixed"] for d in draws}), 1, "Random(42) made at import")
    eq(len({d["start_up_draw"] for d in draws}), 1, "the draw made at import")


@case("sdk-reuse")
def entropy_is_fresh_on_a_warm_instance(s):
    # reuse 3: the same sandbox serves three requests in turn; nothing repeats
    draws = entropy_draws(s, 7)
    for key in ("global", "at_import", "tempname"):
        all_distinct(draws, key, key)


@case("sdk-reuse")
def reuse_count_keeps_globals_for_n_requests(s):
    got = [request(s.port, "GET", "/counter").body.decode() for _ in range(7)]
    eq(got, ["count=1 seen=1", "count=2 seen=2", "count=3 seen=3", "count=1 seen=1",
             "count=2 seen=2", "count=3 seen=3", "count=1 seen=1"], "counter with reuse 3")
    # a handler exception (answered 500 by the SDK) leaves the sandbox usable
    expect(request(s.port, "GET", "/fail/raise"), 500, what="GET /fail/raise")
    expect(request(s.port, "GET", "/fail/ok"), 200, what="GET /fail/ok after a failure")


# --- main --------------------------------------------------------------------

LOG_DIR = tempfile.mkdtemp(prefix="pe-serve-logs-")
atexit.register(shutil.rmtree, LOG_DIR, True)

SERVER_SPECS = {
    "sdk-logs": (os.path.join(APPS, "sdk"), ["--log-dir", LOG_DIR]),
    "sdk-reuse": (os.path.join(APPS, "sdk"), ["--max-instance-reuse-count", "3", "--workers", "1"]),
    "hello": (os.path.join(ROOT, "examples", "hello"), []),
    "routes": (os.path.join(APPS, "routes"), []),
    "sdk": (os.path.join(APPS, "sdk"), []),
    "limits": (os.path.join(APPS, "limits"), ["--request-timeout", "1", "--max-instance-memory", "64M"]),
    "slow": (os.path.join(APPS, "slow"), ["--workers", "2"]),
    "shutdown": (os.path.join(APPS, "slow"), ["--workers", "2"]),
    "shutdown2": (os.path.join(APPS, "slow"), ["--workers", "2"]),
    "geo": (os.path.join(ROOT, "examples", "geo-router"), []),
}
servers = {}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", action="store_true", help="print server output on failures")
    ap.add_argument("-k", action="append", default=[], help="only the cases this names (see --help)")
    ap.add_argument("--list", action="store_true", help="print the case names, run nothing")
    opts = ap.parse_args()
    names = [c[1] for c in CASES]
    if opts.list:
        print("\n".join(names))
        return 0

    tally = Tally()
    report = tally.report

    chosen = set(selection.select(names, opts.k))
    if not chosen:
        report(f"-k {selection.describe(opts.k)}", f"no test matches (tests: {len(names)})")
        return tally.close()
    if not os.access(PYEDGE, os.X_OK):
        report("setup", f"{PYEDGE} is not built (make)")
        return tally.close()

    selected = [c for c in CASES if c[1] in chosen]
    order = []
    for key, _, _ in selected:
        if key not in order:
            order.append(key)
    start_errors = {}
    for key in order:
        app, args = SERVER_SPECS[key]
        srv = Server(app, args, name=key)
        try:
            srv.start()
            servers[key] = srv
        except CaseFailure as e:
            start_errors[key] = str(e)

    for key, name, fn in selected:
        if key in start_errors:
            report(name, start_errors[key])
            continue
        s = servers[key]
        if not s.alive():  # a previous case killed it: start afresh
            if s.restarts >= 3:
                report(name, f"server {key} keeps dying")
                continue
            s.restarts += 1
            try:
                s.start()
            except CaseFailure as e:
                report(name, f"restarting server {key}: {e}")
                continue
        why, io_error = None, False
        try:
            fn(s)
        except CaseFailure as e:
            why = str(e)
        except (OSError, http.client.HTTPException) as e:
            why, io_error = f"{type(e).__name__}: {e}", True
        except Exception as e:  # a bug in the case itself
            why = f"driver error {type(e).__name__}: {e}"
        if not key.startswith("shutdown"):
            if io_error:  # a crashing server may take a moment to exit
                s.wait(1.0)
            if not s.alive():
                why = (why + "; " if why else "") + \
                    f"server {key} died (status {s.proc.returncode}): {s.tail(4)}"
        report(name, why)
        if why and opts.v:
            print(f"  --- {key} stderr:\n    " + "\n    ".join(s.stderr[-30:]))
            print(f"  --- {key} stdout:\n    " + "\n    ".join(s.stdout[-10:]))

    # every server still up must stop cleanly on SIGTERM
    bad = []
    for key in order:
        if key in servers and not key.startswith("shutdown"):
            rc = servers[key].stop()
            if rc not in (0, None):
                bad.append(f"{key}: exit status {rc} ({servers[key].tail(2)})")
    stop_all()
    if any(k in servers and not k.startswith("shutdown") for k in order):
        report("servers_stop_cleanly", "; ".join(bad) if bad else None)
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
