#!/usr/bin/env python3
"""bench/soak/run.py -- a soak of `pyedge up`: real components on loopback,
mixed load with failures of every kind for a long time, then checks that
nothing leaked, nothing acknowledged was lost and nothing grew without
bound. bench/soak/README.md explains how to run it and read its output.

Usage: bench/soak/run.py [--duration SECONDS] [--out DIR] [--keep]
  --duration  how long the load runs (default 1800); under 600 s the RSS
              rule is the looser smoke rule (see check_rss)
  --out       where samples.csv, access.log, stderr.log, summary.txt and
              the work directory (state, Redis data) go (default: a new
              directory /tmp/pyedge-soak-*)
  --keep      keep the work directory also when every check passed

Components, all on 127.0.0.1: redis-server (Debian's, a free port, its own
data directory, AOF with appendfsync always), bench/soak/origin.py
(answers, stalls or resets by path) and `pyedge up -f bench/soak/app`
with --request-timeout 2, --max-instance-memory 64M, --max-log-size 1M and
a runtime config with a Redis-backed key-value store "redis" ("default"
key-value store and SQLite database in the state directory).

Prints one line per 10 s sample, then "PASS name" / "FAIL name: why" per
check and "N passed, M failed" (exit status 1 if anything failed).
Environment: PYEDGE (default build/pyedge). Host python3, standard library.
"""

import argparse
import collections
import csv
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
APP = os.path.join(HERE, "app")
PYEDGE = os.environ.get("PYEDGE") or os.path.join(ROOT, "build", "pyedge")
HOST = "127.0.0.1"
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_CLI = "/usr/bin/redis-cli"
SQLITE3 = "/usr/bin/sqlite3"

sys.path.insert(0, HERE)
from origin import Origin  # noqa: E402

# What the server is started with (the checks use these too).
REQUEST_TIMEOUT = 2
WORKERS = 2  # the default on the 2-core machine it was written on; fixed for other machines
MAX_MEMORY = "64M"
MAX_LOG_SIZE = 1 << 20  # --max-log-size 1M
STREAMS = ("soak_stdout.txt", "soak_stderr.txt", "chatty_stdout.txt", "chatty_stderr.txt")

SAMPLE_EVERY = 10.0
WARM_UP = 0.20  # the first 20 % of the run is warm-up
MIXED_THREADS = 5  # + 1 slow-client thread: 6 client connections at most
CONN_CAP = 8  # the soak never has more connections to the server open
REDIS_GAP = 2.0  # seconds Redis stays down during a restart
REDIS_GRACE = 2.0  # after Redis is back, requests begun this long after may still fail
REDIS_RECOVER = 15.0  # a Redis write must succeed this soon after Redis is back
FD_SLACK = 2
START_TIMEOUT = 60.0
IO_TIMEOUT = 30.0

ACCESS_RE = re.compile(rb"^([A-Z]+) (\S*) (\d{3}) (\S+) [\d.]+ms \(sandbox [\d.]+ms\)$")
# Spin's console lines at start-up (serve_app.c say_serving): the log
# directory, a blank line, the address, the routes; not access-log lines.
CONSOLE_RE = re.compile(rb'^(Logging component stdio to ".*"|Serving http://\S+|Available Routes:|'
                        rb'  \S+: http://\S+( \(wildcard\))?|)$')
READY_RE = re.compile(r"^pyedge: serving (\S+) on http://(\S+) \(port (-?\d+)\)$")


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In a child: SIGKILL when the soak dies, even by SIGKILL (Linux)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_children = []  # Popen objects to kill if the soak is interrupted


def kill_children():
    for p in _children:
        try:
            if p.poll() is None:
                p.kill()
                p.wait(5)
        except Exception:
            pass


def _on_signal(sig, frame):
    kill_children()
    os._exit(128 + sig)


# --- redis --------------------------------------------------------------------------

class Redis:
    """redis-server on a fixed loopback port with its own data directory;
    AOF with appendfsync always, so a write it acknowledged survives a
    restart. restart() stops it (SIGTERM) and starts it again on the same
    port and directory."""

    def __init__(self, datadir):
        self.datadir = datadir
        self.port = free_port()
        self.proc = None
        self.logf = open(os.path.join(datadir, "..", "redis.log"), "ab")

    def start(self):
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", HOST, "--dir", self.datadir,
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--daemonize", "no", "--protected-mode", "no"],
            stdin=subprocess.DEVNULL, stdout=self.logf, stderr=self.logf,
            preexec_fn=_die_with_parent)
        _children.append(self.proc)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.ping():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING within 15 s")

    def ping(self):
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def url(self):
        return f"redis://{HOST}:{self.port}"


# --- pyedge -------------------------------------------------------------------------

class Pyedge:
    """`pyedge up` on the soak app. Its stdout (access log, guest stdout) is
    read in large blocks: access-log lines are parsed, counted by path and
    copied to access.log; guest lines ("[component] ...") are only counted
    (a chatty handler prints a MiB a request). stderr goes to stderr.log."""

    def __init__(self, out, work, redis, origin):
        self.out, self.work = out, work
        self.state = os.path.join(work, "state")
        self.logdir = os.path.join(self.state, "logs")
        self.rc = os.path.join(work, "runtime-config.toml")
        with open(self.rc, "w") as f:
            f.write(f'[key_value_store.redis]\ntype = "redis"\nurl = "{redis.url()}"\n')
        self.origin_port = origin.port
        self.port = None
        self.proc = None
        self.lock = threading.Lock()
        self.access = collections.defaultdict(list)  # path -> [status, ...]
        self.access_lines = 0
        self.guest_lines = 0
        self.guest_bytes = 0
        self.other_lines = []  # stdout lines that are neither
        self.stderr_lines = 0
        self.stderr_tail = collections.deque(maxlen=20)
        self.ready = threading.Event()

    def start(self):
        self.port = free_port()
        cmd = [PYEDGE, "up", "-f", APP, "--listen", f"{HOST}:{self.port}",
               "--state-dir", self.state, "--runtime-config-file", self.rc,
               "--variable", f"origin_port={self.origin_port}",
               "--request-timeout", str(REQUEST_TIMEOUT), "--max-instance-memory", MAX_MEMORY,
               "--workers", str(WORKERS),
               "--max-log-size", str(MAX_LOG_SIZE),
               "--sqlite", "CREATE TABLE IF NOT EXISTS soak (id TEXT PRIMARY KEY, v TEXT NOT NULL)"]
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        _children.append(self.proc)
        self.threads = [threading.Thread(target=self._pump_out, daemon=True),
                        threading.Thread(target=self._pump_err, daemon=True)]
        for t in self.threads:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("pyedge up did not start: " + " | ".join(self.stderr_tail))

    def _pump_out(self):
        fd = self.proc.stdout.fileno()
        accf = open(os.path.join(self.out, "access.log"), "wb")
        rest = b""
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            lines = (rest + chunk).split(b"\n")
            rest = lines.pop()
            acc = []
            nguest = gbytes = 0
            for line in lines:
                if line.startswith(b"["):
                    nguest += 1
                    gbytes += len(line) + 1
                    continue
                if CONSOLE_RE.match(line):
                    continue
                m = ACCESS_RE.match(line)
                if m:
                    acc.append((m.group(2).decode("latin-1"), int(m.group(3))))
                    accf.write(line + b"\n")
                else:
                    with self.lock:
                        if len(self.other_lines) < 100:
                            self.other_lines.append(line.decode("utf-8", "replace"))
            with self.lock:
                self.guest_lines += nguest
                self.guest_bytes += gbytes
                self.access_lines += len(acc)
                for path, status in acc:
                    self.access[path].append(status)
        if rest:
            with self.lock:
                self.other_lines.append(rest.decode("utf-8", "replace"))
        accf.close()

    def _pump_err(self):
        errf = open(os.path.join(self.out, "stderr.log"), "wb")
        for raw in iter(self.proc.stderr.readline, b""):
            errf.write(raw)
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.lock:
                self.stderr_lines += 1
                self.stderr_tail.append(line)
            if READY_RE.match(line):
                self.ready.set()
        errf.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=40):
        """SIGTERM; returns the exit status (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                return None
        for t in self.threads:
            t.join(10)
        return self.proc.returncode


# --- the client side's ledger ---------------------------------------------------------

# Statuses each kind of request must get. kv-redis may also get 500 while
# Redis restarts (see Ledger.redis_failure_ok).
EXPECT = {
    "good": {200}, "keepalive": {200}, "raise": {500}, "spin": {504}, "alloc-big": {500},
    "alloc-grow": {500}, "trap": {500}, "body": {200}, "big": {200}, "slowbody": {200},
    "slowread": {200}, "out-ok": {200}, "out-stall": {502, 504}, "out-reset": {502},
    "kv-default": {200}, "kv-redis": {200}, "sql": {200}, "chatty": {200},
    "kvget": {200}, "sqlget": {200}, "final": {200},
}
RESET_KINDS = ("reset-mid", "reset-early")  # the client resets: no response by design


class Ledger:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}  # path -> (kind, t_sent, t_done, status or None)
        self.by_kind = collections.defaultdict(collections.Counter)
        self.unexpected = []  # (kind, path, status, why)
        self.no_response = []  # (kind, path, why) for kinds that expect a response
        self.acked = {"default": {}, "redis": {}, "sql": {}}  # key -> value
        self.redis_writes = []  # (t_sent, t_done, ok)
        self.restarts = []  # (t_down, t_up)
        self.responses = 0
        self.inflight = 0
        self.max_inflight = 0

    def begin(self):
        with self.lock:
            self.inflight += 1
            self.max_inflight = max(self.max_inflight, self.inflight)

    def end(self):
        with self.lock:
            self.inflight -= 1

    def record(self, kind, path, t0, status, ok_body=True, why=""):
        """status None: no response (why says what happened)."""
        t1 = time.monotonic()
        with self.lock:
            self.requests[path] = (kind, t0, t1, status)
            self.by_kind[kind][status if status is not None else "no response"] += 1
            if status is None:
                if kind not in RESET_KINDS:
                    self.no_response.append((kind, path, why))
                return
            self.responses += 1
            if kind == "kv-redis":
                self.redis_writes.append((t0, t1, status == 200 and ok_body))
                if status != 200 and self.redis_failure_ok(t0, t1):
                    return
            if status not in EXPECT[kind]:
                self.unexpected.append((kind, path, status, why or "status"))
            elif not ok_body:
                self.unexpected.append((kind, path, status, why or "body"))

    def redis_failure_ok(self, t0, t1):
        """A Redis call that overlapped a restart (down to back up, plus the
        grace) may fail."""
        for down, up in self.restarts:
            if t0 <= (up if up else time.monotonic()) + REDIS_GRACE and t1 >= down:
                return True
        return False


# --- HTTP from the client side --------------------------------------------------------

def http_call(port, method, path, body=None, headers=None, timeout=IO_TIMEOUT):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def read_response(sock, pace=None, chunk=65536):
    """(status, body) of one response on a raw socket; pace: seconds to
    sleep between reads of `chunk` bytes (a slow reader)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(chunk)
        if not data:
            raise ConnectionError("closed before the head")
        buf += data
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for h in lines[1:]:
        k, _, v = h.partition(":")
        if k.strip().lower() == "content-length":
            length = int(v.strip())
    parts = [body]
    got = len(body)
    while got < length:
        if pace:
            time.sleep(pace)
        data = sock.recv(min(chunk, length - got))
        if not data:
            raise ConnectionError(f"closed after {got} of {length} body bytes")
        parts.append(data)
        got += len(data)
    return status, b"".join(parts)


def rst_close(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


PATTERN = b"0123456789abcdef"


def pattern(n):
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


class Client:
    """One client thread's operations. Every request has a unique id (rid)
    in its path, so the access log can be matched against what the client
    got."""

    def __init__(self, name, port, ledger, rng):
        self.name, self.port, self.ledger, self.rng = name, port, ledger, rng
        self.seq = 0

    def rid(self):
        self.seq += 1
        return f"{self.name}-{self.seq}"

    def simple(self, kind, method, path, body=None, check=None, timeout=IO_TIMEOUT):
        """One request on its own connection; check(status, body) -> bool."""
        t0 = time.monotonic()
        self.ledger.begin()
        try:
            status, data = http_call(self.port, method, path, body, timeout=timeout)
        except (OSError, http.client.HTTPException) as e:
            self.ledger.record(kind, path.split("?")[0], t0, None, why=f"{type(e).__name__}: {e}")
            return None, None
        finally:
            self.ledger.end()
        ok = True if check is None or status not in EXPECT.get(kind, {200}) else check(status, data)
        self.ledger.record(kind, path.split("?")[0], t0, status, ok_body=ok,
                           why="" if ok else f"body {data[:120]!r}")
        return status, data

    # -- the mixed operations
    def op_good(self):
        r = self.rid()
        self.simple("good", "GET", f"/good/{r}", check=lambda s, b: b == f"ok {r}".encode())

    def op_keepalive(self):
        """Ten requests on one keep-alive connection."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=IO_TIMEOUT)
        self.ledger.begin()
        try:
            for _ in range(10):
                r = self.rid()
                path = f"/good/{r}"
                t0 = time.monotonic()
                try:
                    conn.request("GET", path)
                    resp = conn.getresponse()
                    data = resp.read()
                except (OSError, http.client.HTTPException) as e:
                    self.ledger.record("keepalive", path, t0, None, why=f"{type(e).__name__}: {e}")
                    return
                ok = data == f"ok {r}".encode()
                self.ledger.record("keepalive", path, t0, resp.status, ok_body=ok)
        finally:
            conn.close()
            self.ledger.end()

    def op_raise(self):
        self.simple("raise", "GET", f"/raise/{self.rid()}")

    def op_spin(self):
        self.simple("spin", "GET", f"/spin/{self.rid()}")

    def op_alloc_big(self):
        self.simple("alloc-big", "GET", f"/alloc/{self.rid()}?how=big")

    def op_alloc_grow(self):
        self.simple("alloc-grow", "GET", f"/alloc/{self.rid()}?how=grow")

    def op_trap(self):
        self.simple("trap", "GET", f"/trap/{self.rid()}")

    def op_body(self):
        n = self.rng.randint(2 << 20, 4 << 20)
        body = self.rng.randbytes(n)
        want = f"{n} {hashlib.sha256(body).hexdigest()}".encode()
        self.simple("body", "POST", f"/body/{self.rid()}", body=body,
                    check=lambda s, b: b == want)

    def op_big(self):
        n = self.rng.randint(2 << 20, 4 << 20)
        self.simple("big", "GET", f"/big/{self.rid()}?n={n}", check=lambda s, b: b == pattern(n))

    def op_out_ok(self):
        r = self.rid()
        self.simple("out-ok", "GET", f"/out/{r}?to=ok",
                    check=lambda s, b: b == f"origin ok {r}".encode())

    def op_out_stall(self):
        self.simple("out-stall", "GET", f"/out/{self.rid()}?to=stall")

    def op_out_reset(self):
        self.simple("out-reset", "GET", f"/out/{self.rid()}?to=reset")

    def _kv(self, store):
        r = self.rid()
        value = f"v-{r}-{self.rng.getrandbits(48):012x}"
        kind = f"kv-{store}"
        status, data = self.simple(kind, "POST", f"/kv/{r}?store={store}", body=value.encode(),
                                   check=lambda s, b: b == f"stored {r}".encode())
        if status == 200 and data == f"stored {r}".encode():
            with self.ledger.lock:
                self.ledger.acked[store][f"soak-{r}"] = value

    def op_kv_default(self):
        self._kv("default")

    def op_kv_redis(self):
        self._kv("redis")

    def op_sql(self):
        r = self.rid()
        value = f"s-{r}-{self.rng.getrandbits(48):012x}"
        status, data = self.simple("sql", "POST", f"/sql/{r}", body=value.encode(),
                                   check=lambda s, b: b == f"inserted {r}".encode())
        if status == 200 and data == f"inserted {r}".encode():
            with self.ledger.lock:
                self.ledger.acked["sql"][r] = value

    def op_chatty(self):
        r = self.rid()
        n = self.rng.choice((300_000, 1_500_000))  # the second is past the 1 MiB capture cap
        self.simple("chatty", "GET", f"/chatty/{r}?n={n}",
                    check=lambda s, b: b == f"printed {r}".encode())

    # -- the slow and rude clients (raw sockets)
    def _raw(self, kind, path, fn):
        t0 = time.monotonic()
        self.ledger.begin()
        try:
            sock = socket.create_connection((HOST, self.port), timeout=IO_TIMEOUT)
        except OSError as e:
            self.ledger.end()
            self.ledger.record(kind, path, t0, None, why=f"connect: {e}")
            return
        try:
            fn(sock, t0)
        except OSError as e:
            self.ledger.record(kind, path, t0, None, why=f"{type(e).__name__}: {e}")
        finally:
            try:
                sock.close()
            except OSError:
                pass
            self.ledger.end()

    def op_slowbody(self):
        """64 KiB sent in 2 KiB pieces, 0.1 s apart (about 3 s)."""
        r = self.rid()
        path = f"/body/{r}"
        body = self.rng.randbytes(64 << 10)
        want = f"{len(body)} {hashlib.sha256(body).hexdigest()}".encode()

        def fn(sock, t0):
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: soak\r\nContent-Length: {len(body)}\r\n"
                         "Connection: close\r\n\r\n".encode())
            for k in range(0, len(body), 2048):
                time.sleep(0.1)
                sock.sendall(body[k:k + 2048])
            status, data = read_response(sock)
            self.ledger.record("slowbody", path, t0, status, ok_body=data == want,
                               why=f"body {data[:80]!r}")
        self._raw("slowbody", path, fn)

    def op_slowread(self):
        """A 2 MiB response read 8 KiB at a time, 10 ms apart, through a
        small receive buffer (about 3 s)."""
        r = self.rid()
        n = 2 << 20
        path = f"/big/{r}"

        def fn(sock, t0):
            sock.sendall(f"GET {path}?n={n} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n"
                         .encode())
            status, data = read_response(sock, pace=0.01, chunk=8192)
            self.ledger.record("slowread", path, t0, status, ok_body=data == pattern(n),
                               why=f"body of {len(data)} bytes")
        t0 = time.monotonic()
        self.ledger.begin()
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
            sock.settimeout(IO_TIMEOUT)
            sock.connect((HOST, self.port))
        except OSError as e:
            self.ledger.end()
            self.ledger.record("slowread", path, t0, None, why=f"connect: {e}")
            return
        try:
            fn(sock, t0)
        except OSError as e:
            self.ledger.record("slowread", path, t0, None, why=f"{type(e).__name__}: {e}")
        finally:
            sock.close()
            self.ledger.end()

    def op_reset_mid(self):
        """Asks for 4 MiB, reads 64 KiB of it, resets (SO_LINGER 0)."""
        r = self.rid()
        path = f"/big/{r}"

        def fn(sock, t0):
            sock.sendall(f"GET {path}?n={4 << 20} HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
            got = 0
            while got < 65536:
                data = sock.recv(65536)
                if not data:
                    break
                got += len(data)
            rst_close(sock)
            self.ledger.record("reset-mid", path, t0, None, why="reset by the client")
        self._raw("reset-mid", path, fn)

    def op_reset_early(self):
        """Resets while the handler is still running (it sleeps 300 ms)."""
        r = self.rid()
        path = f"/sleep/{r}"

        def fn(sock, t0):
            sock.sendall(f"GET {path}?ms=300 HTTP/1.1\r\nHost: soak\r\n\r\n".encode())
            time.sleep(0.05)
            rst_close(sock)
            self.ledger.record("reset-early", path, t0, None, why="reset by the client")
        self._raw("reset-early", path, fn)


def mixed_round(rnd):
    """One round of a mixed thread, before shuffling. The two operations
    that hold a worker for the whole request timeout alternate between
    rounds, so that the two workers are not always both stuck."""
    ops = ["good"] * 8 + ["keepalive", "raise", "alloc_big", "alloc_grow", "trap", "body", "big",
                          "out_ok", "out_ok", "out_reset", "chatty"]
    ops += ["kv_default"] * 3 + ["kv_redis"] * 3 + ["sql"] * 3
    ops.append("spin" if rnd % 2 == 0 else "out_stall")
    return ops


SLOW_ROUND = ["slowbody", "slowread", "reset_mid", "reset_early"]


def prime_pools(port, ledger):
    """Before the clock starts: pairs of simultaneous requests to each
    component and writes to each store, so that what the server keeps per
    worker reaches its steady size before the samples that count: a
    recycled sandbox per component and worker (each holds descriptors for
    its preopened directories), and the connection pools (SQLite: a
    database and its WAL per connection; Redis)."""
    pair = [Client(f"p{i}", port, ledger, random.Random(i)) for i in range(2)]
    for _ in range(6):
        for op in ("op_good", "op_chatty", "op_kv_default", "op_sql", "op_kv_redis"):
            ths = [threading.Thread(target=getattr(c, op)) for c in pair]
            for th in ths:
                th.start()
            for th in ths:
                th.join()


def client_loop(client, stop_at, ops_for_round, stopping):
    rnd = 0
    while time.monotonic() < stop_at and not stopping.is_set():
        ops = ops_for_round(rnd)
        client.rng.shuffle(ops)
        for op in ops:
            if time.monotonic() >= stop_at or stopping.is_set():
                return
            getattr(client, "op_" + op)()
        rnd += 1


# --- sampling -----------------------------------------------------------------------

def tcp_sockets():
    """inode -> (local port, remote port, state) for IPv4 and IPv6 TCP."""
    out = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    p = line.split()
                    lport = int(p[1].rsplit(":", 1)[1], 16)
                    rport = int(p[2].rsplit(":", 1)[1], 16)
                    out[p[9]] = (lport, rport, p[3])
        except OSError:
            pass
    return out


def unix_sockets():
    """The inodes of the machine's AF_UNIX sockets."""
    try:
        with open("/proc/net/unix") as f:
            next(f)
            return {line.split()[6] for line in f if len(line.split()) > 6}
    except OSError:
        return set()


def sample_proc(pid, server_port, origin_port, redis_port):
    """RSS (KiB; also split as the kernel does: anonymous, file-backed,
    shared memory -- the sandboxes' copy-on-write snapshot memfds are
    shmem), threads, and descriptors: all of them; fds_fixed, those
    that are not sockets (files, logs, SQLite, pipes, epoll, the snapshot
    memfds); the sockets by their ports (from /proc/net/tcp): inbound
    connections from the soak's clients, outbound ones to the origin and to
    Redis, and other sockets (the listening socket, and any socket made or
    closed between the reads). `what` counts what each descriptor is (for
    fds.log). None if the process is gone."""
    try:
        mem = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "RssAnon:", "RssFile:", "RssShmem:")):
                    mem[line.split(":")[0]] = int(line.split()[1])
        fds = os.listdir(f"/proc/{pid}/fd")
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
    socks = tcp_sockets()
    unix = unix_sockets()
    fixed = inbound = to_origin = to_redis = local = 0
    what = collections.Counter()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            what["(closed while sampling)"] += 1
            continue
        if not target.startswith("socket:["):
            fixed += 1
            what[re.sub(r"\[\d+\]$", "", target)] += 1
            continue
        s = socks.get(target[8:-1])
        if not s and target[8:-1] in unix:
            local += 1  # libcurl's wake-up socketpairs: one pair per handle, not a client
            what["unix socket"] += 1
            continue
        if not s:
            what["socket (not in /proc/net/tcp)"] += 1
            continue
        lport, rport, state = s
        if lport == server_port and state == "0A":  # 0A: LISTEN
            what["tcp listening"] += 1
        elif lport == server_port:
            inbound += 1
            what["tcp inbound"] += 1
        elif rport == origin_port:
            to_origin += 1
            what["tcp to origin"] += 1
        elif rport == redis_port:
            to_redis += 1
            what["tcp to redis"] += 1
        else:
            what[f"tcp local {lport} remote {rport} state {state}"] += 1
    return {"rss_kb": mem.get("VmRSS", 0), "rss_anon_kb": mem.get("RssAnon", 0),
            "rss_file_kb": mem.get("RssFile", 0), "rss_shmem_kb": mem.get("RssShmem", 0),
            "fds": len(fds), "fds_fixed": fixed, "fds_inbound": inbound,
            "fds_origin": to_origin, "fds_redis": to_redis, "fds_unix": local,
            "fds_other": len(fds) - fixed - inbound - to_origin - to_redis - local,
            "threads": threads, "what": what}


def log_usage(logdir):
    """(apparent bytes, du bytes, {stream: bytes of the file and its .1})"""
    total = du = 0
    per = {s: 0 for s in STREAMS}
    try:
        names = os.listdir(logdir)
    except OSError:
        return 0, 0, per
    for n in names:
        try:
            st = os.stat(os.path.join(logdir, n))
        except OSError:
            continue
        total += st.st_size
        du += st.st_blocks * 512
        base = n[:-2] if n.endswith(".1") else n
        per[base] = per.get(base, 0) + st.st_size
    return total, du, per


CSV_FIELDS = ["elapsed_s", "rss_kb", "rss_anon_kb", "rss_file_kb", "rss_shmem_kb", "fds", "fds_fixed", "fds_inbound", "fds_origin", "fds_redis",
              "fds_unix", "fds_other",
              "threads", "logdir_bytes", "logdir_du_bytes", "max_stream_bytes", "responses",
              "no_response", "redis_restarts"]


class Sampler:
    def __init__(self, out, srv, origin, redis, ledger, t_start):
        self.srv, self.origin, self.redis, self.ledger = srv, origin, redis, ledger
        self.t_start = t_start
        self.rows = []
        self.stream_max = {s: 0 for s in STREAMS}
        self.csvf = open(os.path.join(out, "samples.csv"), "w", newline="")
        self.csv = csv.DictWriter(self.csvf, fieldnames=CSV_FIELDS)
        self.csv.writeheader()
        self.fdlog = open(os.path.join(out, "fds.log"), "w")
        self.died = None

    def sample(self):
        s = sample_proc(self.srv.proc.pid, self.srv.port, self.origin.port, self.redis.port)
        if s is None:
            self.died = time.monotonic() - self.t_start
            return None
        total, du, per = log_usage(self.srv.logdir)
        for k, v in per.items():
            self.stream_max[k] = max(self.stream_max.get(k, 0), v)
        with self.ledger.lock:
            responses = self.ledger.responses
            noresp = sum(self.ledger.by_kind[k]["no response"] for k in self.ledger.by_kind)
            restarts = len(self.ledger.restarts)
        what = s.pop("what")
        row = dict(s, elapsed_s=round(time.monotonic() - self.t_start, 1), logdir_bytes=total,
                   logdir_du_bytes=du, max_stream_bytes=max(per.values()) if per else 0,
                   responses=responses, no_response=noresp, redis_restarts=restarts)
        self.rows.append(row)
        self.csv.writerow(row)
        self.csvf.flush()
        self.fdlog.write(f"t={row['elapsed_s']:.0f}s fds={row['fds']}: " + ", ".join(
            f"{k} x{n}" for k, n in sorted(what.items())) + "\n")
        self.fdlog.flush()
        log(f"sample t={row['elapsed_s']:.0f}s rss={row['rss_kb'] / 1024:.1f}MiB "
            f"fds={row['fds']} (fixed {row['fds_fixed']}, in {row['fds_inbound']}, "
            f"origin {row['fds_origin']}, redis {row['fds_redis']}, unix {row['fds_unix']}, "
            f"other {row['fds_other']}) "
            f"threads={row['threads']} "
            f"logs={total / 1048576:.2f}MiB (du {du / 1048576:.2f}) responses={responses} "
            f"reset/none={noresp}")
        return row

    def run(self, stop_at, stopping):
        k = 1
        while not stopping.is_set():
            t = self.t_start + k * SAMPLE_EVERY
            if t > stop_at + 0.5:
                return
            if stopping.wait(max(0.0, t - time.monotonic())):
                return
            if self.sample() is None:
                stopping.set()  # the server is gone: stop the load
                return
            k += 1


def chaos_loop(redis, ledger, t_start, duration, stopping, finished):
    """Restarts Redis in the middle of the run, and every 10 minutes before
    and after that (not in the first 10 % nor in the last 30 s). A
    redis-server it started dies with this thread (PR_SET_PDEATHSIG is per
    thread), so the thread stays until `finished`."""
    try:
        _chaos(redis, ledger, t_start, duration, stopping)
    finally:
        finished.wait()


def _chaos(redis, ledger, t_start, duration, stopping):
    mid = duration / 2
    times = sorted(t for t in (mid + 600 * k for k in range(-10, 11))
                   if t == mid or duration * 0.1 <= t <= duration - 30)
    for at in times:
        if stopping.wait(max(0.0, t_start + at - time.monotonic())):
            return
        t_down = time.monotonic()
        with ledger.lock:
            ledger.restarts.append((t_down, None))
        redis.stop()
        time.sleep(REDIS_GAP)
        try:
            redis.start()
        except RuntimeError as e:
            log(f"redis restart failed: {e}")
            stopping.set()
            return
        t_up = time.monotonic()
        with ledger.lock:
            ledger.restarts[-1] = (t_down, t_up)
        log(f"redis restarted at t={t_down - t_start:.0f}s (down {t_up - t_down:.1f} s)")


# --- checks -------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.passed = self.failed = 0
        self.lines = []

    def report(self, name, why=None, note=""):
        line = f"PASS {name}{note}" if why is None else f"FAIL {name}: {why}"
        if why is None:
            self.passed += 1
        else:
            self.failed += 1
        self.lines.append(line)
        log(line)


def median(xs):
    return statistics.median(xs) if xs else 0


def check_rss(t, rows, duration):
    """Full soak (600 s or more): baseline = median RSS of the samples taken
    from 20 % to 2/3 of the run, end = median of the samples in its last
    third; end must be at most 10 % above baseline. A drop is no leak and is
    not a failure. The smoke (under 600 s, six samples) has too few samples
    for medians to smooth out the 64 MiB instances that are in flight at a
    sample: there end may be up to 50 % above baseline, which still catches
    the growth of a leak per request."""
    post = [r for r in rows if r["elapsed_s"] >= WARM_UP * duration]
    mid = [r["rss_kb"] for r in post if r["elapsed_s"] < duration * 2 / 3]
    end = [r["rss_kb"] for r in post if r["elapsed_s"] >= duration * 2 / 3]
    if not mid or not end:
        t.report("rss_flat", f"too few samples ({len(rows)})")
        return
    limit = 1.10 if duration >= 600 else 1.50
    b, e = median(mid), median(end)
    note = (f" (median of {len(end)} samples in the last third {e / 1024:.1f} MiB vs "
            f"{b / 1024:.1f} MiB from {WARM_UP:.0%} to 2/3 of the run: {e / b - 1:+.1%}, "
            f"allowed +{limit - 1:.0%})")
    t.report("rss_flat", None if e <= b * limit else f"RSS grew{note}", note)


def check_fds_threads(t, rows, duration, max_inflight):
    """Descriptors: sockets come and go with the load, so they are counted
    apart from the rest. The rest (fds_fixed: files, logs, SQLite pools,
    pipes, epoll, the snapshot memfds) must stay within FD_SLACK of its
    median after warm-up: the slack is for a pooled SQLite connection (a
    database and its WAL) opened when two workers happened to need one at
    once, or a sandbox being replaced (after a trap) while sampled.
    Sockets must stay bounded: client connections at most CONN_CAP (the
    soak never has more open; a connection the server failed to close
    after a client reset would pile up here) -- counted as the inbound
    sockets plus the ones not in /proc/net/tcp (a connection the client
    has just reset is out of the table until the server closes it, one
    accepted meanwhile is not in it yet); connections to the origin and to
    Redis at most one per worker each. Threads must not change at all
    after warm-up."""
    post = [r for r in rows if r["elapsed_s"] >= WARM_UP * duration]
    if not post:
        for name in ("fds_flat", "connections_bounded", "threads_flat"):
            t.report(name, "no samples after warm-up")
        return
    fixed = [r["fds_fixed"] for r in post]
    m = median(fixed)
    bad = [f for f in fixed if abs(f - m) > FD_SLACK]
    note = (f" (non-socket fds {min(fixed)}..{max(fixed)}, median {m:g}, allowed +-{FD_SLACK}; "
            f"all fds {min(r['fds'] for r in post)}..{max(r['fds'] for r in post)})")
    t.report("fds_flat", f"non-socket descriptors outside median +-{FD_SLACK}{note}" if bad
             else None, note)
    inb = max(r["fds_inbound"] + r["fds_other"] - 1 for r in post)
    outb = max(r["fds_origin"] + r["fds_redis"] for r in post)
    why = []
    if inb > CONN_CAP:
        why.append(f"{inb} client connections open, the soak never has more than {CONN_CAP}")
    if outb > 2 * WORKERS:
        why.append(f"{outb} connections to the origin and Redis, more than two per worker")
    unix = max(r.get("fds_unix", 0) for r in post)
    if unix > 4 * WORKERS:
        why.append(f"{unix} unix sockets (libcurl's wake-up pairs), more than two pairs per worker")
    t.report("connections_bounded", "; ".join(why) or None,
             f" (client connections at most {inb}, the soak had at most {max_inflight} open; "
             f"to the origin and Redis at most {outb}, unix sockets at most {unix})")
    th = [r["threads"] for r in post]
    t.report("threads_flat", None if max(th) == min(th) else f"threads {min(th)}..{max(th)}",
             f" ({min(th)}..{max(th)})")


def check_logs(t, sampler, srv):
    total, du, per = log_usage(srv.logdir)
    for k, v in per.items():
        sampler.stream_max[k] = max(sampler.stream_max.get(k, 0), v)
    worst = max(sampler.stream_max.items(), key=lambda kv: kv[1])
    limit = 2 * MAX_LOG_SIZE
    over = {k: v for k, v in sampler.stream_max.items() if v > limit}
    alld = max([r["logdir_bytes"] for r in sampler.rows] + [total])
    note = (f" (largest stream {worst[0]} {worst[1] / 1048576:.2f} MiB incl. .1, limit "
            f"{limit / 1048576:.0f} MiB; log dir at most {alld / 1048576:.2f} MiB; guest "
            f"stdout through the server {srv.guest_bytes / 1048576:.0f} MiB)")
    t.report("logs_bounded", f"streams over 2x --max-log-size: {over}{note}" if over else None,
             note)
    rotated = [n for n in os.listdir(srv.logdir) if n.endswith(".1")] if os.path.isdir(
        srv.logdir) else []
    t.report("logs_rotated", None if rotated else "no log file was ever rotated",
             f" ({', '.join(sorted(rotated))})")


def check_statuses(t, ledger):
    with ledger.lock:
        unexpected = list(ledger.unexpected)
        nores = list(ledger.no_response)
    why = []
    if unexpected:
        c = collections.Counter((k, s, w.split(" ")[0]) for k, _, s, w in unexpected)
        why.append(f"{len(unexpected)} unexpected: " + ", ".join(
            f"{k} {s} ({w}) x{n}" for (k, s, w), n in c.most_common(8))
            + f"; first {unexpected[0][1]}: {unexpected[0][3][:160]}")
    t.report("statuses_as_expected", "; ".join(why) or None)
    if nores:
        c = collections.Counter((k, w.split(":")[0]) for k, _, w in nores)
        t.report("every_request_answered", f"{len(nores)} requests got no response: " + ", ".join(
            f"{k} ({w}) x{n}" for (k, w), n in c.most_common(8)) + f"; first {nores[0]}")
    else:
        t.report("every_request_answered", None, " (all but the ones the client reset)")


def check_redis_recovery(t, ledger):
    with ledger.lock:
        restarts = list(ledger.restarts)
        writes = list(ledger.redis_writes)
    if not restarts:
        t.report("redis_restart_recovered", "Redis was never restarted")
        return
    notes, why = [], []
    for down, up in restarts:
        if up is None:
            why.append("Redis did not come back")
            continue
        after = [w for w in writes if w[0] >= up]
        ok = [w for w in after if w[2]]
        failed_in = [w for w in writes if not w[2] and w[0] <= up + REDIS_GRACE and w[1] >= down]
        late = [w for w in writes if not w[2] and w[0] > up + REDIS_GRACE
                and w[0] < up + REDIS_GRACE + 60]
        if not ok:
            why.append("no Redis write succeeded after the restart")
            continue
        first = min(w[1] for w in ok) - up
        notes.append(f"first write {first:.1f} s after it was back, {len(failed_in)} failed "
                     f"during the gap")
        if first > REDIS_RECOVER:
            why.append(f"first successful Redis write {first:.1f} s after the restart")
        if late:
            why.append(f"{len(late)} Redis writes failed more than {REDIS_GRACE:g} s after "
                       "Redis was back")
    t.report("redis_restart_recovered", "; ".join(why) or None,
             f" ({len(restarts)} restarts: {'; '.join(notes)})")


def check_writes(t, ledger, srv, redis, port):
    """Every acknowledged write, read back through the app, then directly."""
    with ledger.lock:
        acked = {k: dict(v) for k, v in ledger.acked.items()}
    cl = Client("verify", port, ledger, random.Random(1))
    for store in ("default", "redis"):
        keys = sorted(acked[store])
        missing = []
        for k in range(0, len(keys), 200):
            part = keys[k:k + 200]
            status, data = cl.simple("kvget", "POST", f"/kvget/{cl.rid()}",
                                     body=json.dumps({"store": store, "keys": part}).encode())
            got = json.loads(data) if status == 200 else {}
            missing += [x for x in part if got.get(x) != acked[store][x]]
        t.report(f"writes_kv_{store}_via_app", f"{len(missing)} of {len(keys)} acknowledged "
                 f"writes missing or different, e.g. {missing[:3]}" if missing else None,
                 f" ({len(keys)} acknowledged)")
    ids = sorted(acked["sql"])
    missing = []
    for k in range(0, len(ids), 500):
        part = ids[k:k + 500]
        status, data = cl.simple("sqlget", "POST", f"/sqlget/{cl.rid()}",
                                 body=json.dumps({"ids": part}).encode())
        got = json.loads(data) if status == 200 else {}
        missing += [x for x in part if got.get(x) != acked["sql"][x]]
    t.report("writes_sqlite_via_app", f"{len(missing)} of {len(ids)} acknowledged inserts "
             f"missing or different, e.g. {missing[:3]}" if missing else None,
             f" ({len(ids)} acknowledged)")

    # directly: sqlite3 on the files, redis-cli on Redis
    def sqlite_rows(db, sql):
        p = subprocess.run([SQLITE3, "-readonly", "-json", db, sql], capture_output=True,
                           timeout=120)
        if p.returncode != 0:
            raise RuntimeError(p.stderr.decode()[-300:])
        return json.loads(p.stdout or b"[]")

    try:
        rows = sqlite_rows(os.path.join(srv.state, "sqlite_key_value.db"),
                           "SELECT key AS k, CAST(value AS TEXT) AS v FROM spin_key_value "
                           "WHERE store = 'default' AND key LIKE 'soak-%'")
        have = {r["k"]: r["v"] for r in rows}
        missing = [k for k, v in acked["default"].items() if have.get(k) != v]
        t.report("writes_kv_default_in_sqlite_file", f"{len(missing)} missing, e.g. "
                 f"{missing[:3]}" if missing else None, f" ({len(have)} rows)")
    except Exception as e:
        t.report("writes_kv_default_in_sqlite_file", f"{type(e).__name__}: {e}")
    try:
        rows = sqlite_rows(os.path.join(srv.state, "sqlite_db.db"), "SELECT id, v FROM soak")
        have = {r["id"]: r["v"] for r in rows}
        missing = [k for k, v in acked["sql"].items() if have.get(k) != v]
        t.report("writes_sqlite_in_file", f"{len(missing)} missing, e.g. {missing[:3]}"
                 if missing else None, f" ({len(have)} rows)")
    except Exception as e:
        t.report("writes_sqlite_in_file", f"{type(e).__name__}: {e}")
    try:
        keys = sorted(acked["redis"])
        missing = []
        for k in range(0, len(keys), 500):
            part = keys[k:k + 500]
            p = subprocess.run([REDIS_CLI, "-h", HOST, "-p", str(redis.port), "--raw", "MGET",
                                *part], capture_output=True, timeout=60)
            vals = p.stdout.decode().split("\n")[:len(part)]
            missing += [x for x, v in zip(part, vals + [None] * len(part))
                        if v != acked["redis"][x]]
        t.report("writes_kv_redis_in_redis", f"{len(missing)} missing, e.g. {missing[:3]}"
                 if missing else None, f" ({len(keys)} keys, redis-cli MGET)")
    except Exception as e:
        t.report("writes_kv_redis_in_redis", f"{type(e).__name__}: {e}")


def check_access_log(t, ledger, srv):
    """One access-log line per response received: each request the client
    got a response to has exactly one line, with its path and status; a
    request without a response (the client reset it) has at most one; no
    line names a request the client never sent."""
    with ledger.lock:
        reqs = dict(ledger.requests)
    with srv.lock:
        access = {k: list(v) for k, v in srv.access.items()}
        lines = srv.access_lines
        other = list(srv.other_lines)
    bad = []
    answered = logged_resets = 0
    for path, (kind, _, _, status) in reqs.items():
        got = access.get(path, [])
        if status is not None:
            answered += 1
            if got != [status]:
                bad.append(f"{path} answered {status}, logged {got}")
        else:
            if len(got) > 1:
                bad.append(f"{path} (no response) logged {got}")
            logged_resets += len(got)
    strays = [p for p in access if p not in reqs]
    if strays:
        bad.append(f"{len(strays)} logged paths never requested, e.g. {strays[:3]}")
    if other:
        bad.append(f"{len(other)} unrecognised stdout lines, e.g. {other[:2]}")
    note = (f" ({lines} lines: {answered} responses received + {logged_resets} of "
            f"{len(reqs) - answered} requests without a response)")
    t.report("access_log_matches", f"{len(bad)} mismatches, e.g. {bad[:4]}{note}" if bad else None,
             note)


# --- main ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=1800.0)
    ap.add_argument("--out")
    ap.add_argument("--keep", action="store_true")
    opts = ap.parse_args()
    duration = opts.duration
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    out = os.path.abspath(opts.out) if opts.out else tempfile.mkdtemp(prefix="pyedge-soak-")
    os.makedirs(out, exist_ok=True)
    work = os.path.join(out, "work")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "redis"))
    t = Tally()
    log(f"soak: {duration:.0f} s, output in {out}")
    for need in (PYEDGE, REDIS_SERVER, REDIS_CLI, SQLITE3):
        if not os.access(need, os.X_OK):
            t.report("setup", f"{need} is missing" + (" (make)" if need == PYEDGE else
                                                      " (apt-get install redis-server sqlite3)"))
            log(f"{t.passed} passed, {t.failed} failed")
            return 1

    origin = Origin()
    redis = Redis(os.path.join(work, "redis"))
    srv = None
    finished = threading.Event()
    try:
        redis.start()
        srv = Pyedge(out, work, redis, origin)
        srv.start()
        log(f"soak: pyedge pid {srv.proc.pid} on {HOST}:{srv.port}, redis on {redis.port}, "
            f"origin on {origin.port}")
        ledger = Ledger()
        prime_pools(srv.port, ledger)
        stopping = threading.Event()
        t_start = time.monotonic()
        stop_at = t_start + duration
        sampler = Sampler(out, srv, origin, redis, ledger, t_start)
        base = sample_proc(srv.proc.pid, srv.port, origin.port, redis.port)
        log(f"before load: rss={base['rss_kb'] / 1024:.1f}MiB fds={base['fds']} "
            f"threads={base['threads']}")
        rng = random.Random(os.getpid())
        clients = [Client(f"m{i}", srv.port, ledger, random.Random(rng.getrandbits(64)))
                   for i in range(MIXED_THREADS)]
        slow = Client("s0", srv.port, ledger, random.Random(rng.getrandbits(64)))
        threads = [threading.Thread(target=client_loop, args=(c, stop_at, mixed_round, stopping),
                                    daemon=True) for c in clients]
        threads.append(threading.Thread(target=client_loop,
                                        args=(slow, stop_at, lambda r: list(SLOW_ROUND), stopping),
                                        daemon=True))
        chaos = threading.Thread(target=chaos_loop, daemon=True,
                                 args=(redis, ledger, t_start, duration, stopping, finished))
        st = threading.Thread(target=sampler.run, args=(stop_at, stopping), daemon=True)
        for th in threads + [st, chaos]:
            th.start()
        st.join()
        if sampler.died is not None:
            stopping.set()
        for th in threads:
            th.join(max(5.0, stop_at + 2 * IO_TIMEOUT - time.monotonic()))
        stopping.set()
        hung = [th.name for th in threads if th.is_alive()]
        log(f"load done: {ledger.responses} responses, {len(ledger.requests)} requests "
            f"in {time.monotonic() - t_start:.0f} s")
        for kind in sorted(ledger.by_kind):
            c = ledger.by_kind[kind]
            log(f"  {kind:12s} " + " ".join(f"{s}:{n}" for s, n in sorted(c.items(), key=str)))
        log(f"  origin saw {origin.counts()}")

        # checks
        t.report("server_stayed_up", None if sampler.died is None and srv.alive() else
                 f"pyedge exited (status {srv.proc.poll()}) at about t={sampler.died}s: "
                 + " | ".join(list(srv.stderr_tail)[-6:]))
        t.report("client_threads_finished", f"still running: {hung}" if hung else None)
        if srv.alive():
            final = Client("final", srv.port, ledger, random.Random(2))
            r = final.rid()
            status, data = final.simple("final", "GET", f"/good/{r}",
                                        check=lambda s, b: b == f"ok {r}".encode())
            t.report("answers_at_the_end", None if status == 200 and data == f"ok {r}".encode()
                     else f"got {status} {data!r}")
        check_rss(t, sampler.rows, duration)
        check_fds_threads(t, sampler.rows, duration, ledger.max_inflight)
        check_statuses(t, ledger)
        check_redis_recovery(t, ledger)
        if srv.alive():
            check_writes(t, ledger, srv, redis, srv.port)
        rc = srv.stop()
        t.report("exits_0_on_sigterm", None if rc == 0 else f"exit status {rc} "
                 f"({'killed after 40 s' if rc is None else 'after SIGTERM'}): "
                 + " | ".join(list(srv.stderr_tail)[-4:]))
        check_access_log(t, ledger, srv)
        check_logs(t, sampler, srv)
        rows = sampler.rows
        if rows:
            def rng_of(key, scale=1):
                vals = [r[key] for r in rows]
                return f"{min(vals) / scale:.1f}..{max(vals) / scale:.1f}" if scale != 1 \
                    else f"{min(vals)}..{max(vals)}"
            log(f"ranges over {len(rows)} samples: rss {rng_of('rss_kb', 1024)} MiB, fds "
                f"{rng_of('fds')} (fixed {rng_of('fds_fixed')}), threads {rng_of('threads')}, "
                f"log dir {rng_of('logdir_bytes', 1048576)} MiB")
    except Exception as e:
        t.report("soak_ran", f"{type(e).__name__}: {e}")
        if srv is not None:
            log("pyedge stderr tail: " + " | ".join(srv.stderr_tail))
    finally:
        if srv is not None and srv.alive():
            srv.stop()
        redis.stop()
        finished.set()
        origin.close()
        kill_children()
    summary = f"{t.passed} passed, {t.failed} failed"
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(t.lines + [summary]) + "\n")
    if t.failed == 0 and not opts.keep:
        shutil.rmtree(work, ignore_errors=True)
    log(summary)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
