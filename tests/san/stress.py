#!/usr/bin/env python3
"""tests/san/stress.py -- `pyedge up` under parallel load, for the sanitizers.

The serve suite checks behaviour one request (or one slow request beside a
fast one) at a time; this driver keeps every worker thread and the loop
thread busy at once, so that a sanitized pyedge (ThreadSanitizer above all)
sees the hand-offs between them: the worker pool's queue, responses written
by the loop thread while workers finish others, recycled sandboxes moving
between threads, the batched standard output, and shutdown with requests in
flight.

  parallel_keepalive       8 clients x 15 requests on keep-alive connections,
                           three SDK styles and POST bodies, --workers 4
  parallel_new_connections 8 clients x 10 requests, a connection each
  pipelined_bursts         4 clients, 8 pipelined requests in one write each
  slow_clients             requests and bodies trickled in small pieces
                           while other clients run fast requests
  abandoned_clients        clients that leave mid-request, mid-body and
                           before reading the response, while others run
  shutdown_under_load      SIGTERM with slow and fast requests in flight
                           (tests/serve/apps/slow, --workers 2): every request
                           already received is answered, exit status 0

Prints "PASS name" / "FAIL name: why" and ends with "N passed, M failed"
(exit 1 if anything failed). Uses tests/serve/drive.py's Server and helpers.
Usage: tests/san/stress.py [-k SUBSTRING]...   Environment: PYEDGE.
"""

import argparse
import hashlib
import os
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "serve"))
import drive  # noqa: E402
from drive import CaseFailure, HOST, RawConn, check, eq, expect, get_req, request  # noqa: E402

SDK = os.path.join(drive.APPS, "sdk")
SLOW = os.path.join(drive.APPS, "slow")
IO = 60.0  # generous: a sanitized server is several times slower


def run_parallel(n, fn):
    """fn(i) in n threads at once; the first exception of any becomes the failure."""
    errors = []
    start = threading.Barrier(n)

    def body(i):
        try:
            start.wait(10)
            fn(i)
        except BaseException as e:  # reported below
            errors.append(f"client {i}: {type(e).__name__}: {e}")

    ts = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(IO * 2)
    check(not any(t.is_alive() for t in ts), "a client got no answer in time")
    check(not errors, "; ".join(errors[:3]) + (f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""))


STYLES = ["/v3/", "/v4/", "/func/"]


def one_request(port, i, k, conn=None):
    """A GET described back in JSON, or a POST echoed; checked exactly."""
    if k % 4 == 3:
        body = hashlib.sha256(f"{i}-{k}".encode()).digest() * (1 + (i * 37 + k) % 300)
        r = request(port, "POST", "/body", body=body, conn=conn, timeout=IO,
                    headers={"content-type": "application/octet-stream"})
        expect(r, 200, body, f"POST /body {len(body)} bytes")
        return
    path = f"{STYLES[(i + k) % 3]}c{i}?k={k}"
    r = request(port, "GET", path, conn=conn, timeout=IO)
    expect(r, 200, what=path)
    eq(r.json()["uri"], path, f"{path}: uri")


def parallel_keepalive(s):
    def client(i):
        conn = drive.http.client.HTTPConnection(HOST, s.port, timeout=IO)
        try:
            for k in range(15):
                one_request(s.port, i, k, conn=conn)
        finally:
            conn.close()
    run_parallel(8, client)


def parallel_new_connections(s):
    def client(i):
        for k in range(10):
            one_request(s.port, i, k)
    run_parallel(8, client)


def pipelined_bursts(s):
    def client(i):
        paths = [f"{STYLES[(i + k) % 3]}p{i}?k={k}" for k in range(8)]
        wire = b"".join(get_req(p, extra="Connection: close\r\n" if k == 7 else "")
                        for k, p in enumerate(paths))
        with RawConn(s.port, timeout=IO) as c:
            c.send(wire)
            for k, p in enumerate(paths):
                r = c.response()
                expect(r, 200, what=f"pipelined response {k + 1}")
                eq(r.json()["uri"], p, f"pipelined response {k + 1} answers")
            check(c.at_eof(10), "the connection stayed open after Connection: close")
    run_parallel(4, client)


def trickle(sock, data, piece, pause):
    for off in range(0, len(data), piece):
        sock.sendall(data[off:off + piece])
        time.sleep(pause)


def slow_clients(s):
    def client(i):
        if i % 2:  # fast ones beside the slow ones
            for k in range(10):
                one_request(s.port, i, k)
            return
        body = bytes(range(256)) * 8
        head = (f"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode()
        chunked = (b"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n")
        with RawConn(s.port, timeout=IO) as c:
            trickle(c.sock, get_req(f"/v4/slow{i}"), 3, 0.005)
            r = c.response()
            expect(r, 200, what="a request sent 3 bytes at a time")
            eq(r.json()["uri"], f"/v4/slow{i}", "uri of the trickled request")
            trickle(c.sock, head + body, 97, 0.003)
            expect(c.response(), 200, body, "a body sent 97 bytes at a time")
            trickle(c.sock, chunked, 4, 0.005)
            expect(c.response(), 200, b"hello, world", "a chunked body sent 4 bytes at a time")
    run_parallel(6, client)


def abandoned_clients(s):
    wires = [get_req("/v3/gone"),
             b"GET /v4/gone HTTP/1.1\r\nHost: x\r\n",
             b"POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"x" * 5000,
             get_req("/func/gone") * 4]

    def client(i):
        if i % 2:
            for k in range(8):
                one_request(s.port, i, k)
            return
        for k in range(6):
            sock = socket.create_connection((HOST, s.port), timeout=IO)
            try:
                sock.sendall(wires[(i + k) % len(wires)])
                if k % 2:
                    time.sleep(0.01)
                # RST instead of FIN half the time: the write of the answer fails
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                                if k % 3 == 0 else b"\x00" * 8)
            finally:
                sock.close()
    run_parallel(6, client)
    time.sleep(0.3)
    check(s.alive(), "the server died")
    expect(request(s.port, "GET", "/v3/after", timeout=IO), 200, what="a request after them")


def shutdown_under_load(s):
    results = {}

    def slow(i):
        results[i] = request(s.port, "GET", "/slow", timeout=IO)

    def fast(i):
        with RawConn(s.port, timeout=IO) as c:
            c.send(get_req("/fast") * 3)
            results[i] = [c.response() for _ in range(3)]

    ts = [threading.Thread(target=slow, args=(i,), daemon=True) for i in range(2)]
    ts += [threading.Thread(target=fast, args=(i,), daemon=True) for i in range(2, 6)]
    for t in ts:
        t.start()
    time.sleep(0.4)  # both workers inside /slow, the fast ones answered or queued
    check(s.alive(), "the server died before the signal")
    s.signal(signal.SIGTERM)
    for t in ts:
        t.join(IO)
    check(not any(t.is_alive() for t in ts), "a request in flight at SIGTERM got no answer")
    for i in range(2):
        check(i in results, f"slow request {i} failed")
        eq(results[i].status, 200, f"slow request {i} status")
        check(results[i].body.startswith(b"slept 1."), f"slow request {i} body {results[i].body!r}")
    for i in range(2, 6):
        check(i in results, f"fast client {i} failed")
        for r in results[i]:
            expect(r, 200, b"fast", f"fast client {i}")
    rc = s.wait(IO)
    check(rc is not None, "the server did not exit after SIGTERM")
    eq(rc, 0, f"exit status after SIGTERM ({s.tail(3)})")


CASES = [
    ("sdk", parallel_keepalive),
    ("sdk", parallel_new_connections),
    ("sdk", pipelined_bursts),
    ("sdk", slow_clients),
    ("sdk", abandoned_clients),
    ("slow", shutdown_under_load),
]
SPECS = {
    "sdk": (SDK, ["--workers", "4"]),
    "slow": (SLOW, ["--workers", "2"]),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", action="append", default=[], help="only cases containing this")
    opts = ap.parse_args()
    tally = drive.Tally()
    if not os.access(drive.PYEDGE, os.X_OK):
        tally.report("setup", f"{drive.PYEDGE} is not built")
        return tally.close()
    drive.START_TIMEOUT = 120.0  # pre-initializing under a sanitizer
    servers = {}
    try:
        for key, fn in CASES:
            name = fn.__name__
            if opts.k and not any(k in name for k in opts.k):
                continue
            s = servers.get(key)
            why = None
            try:
                if s is None or not s.alive():
                    s = servers[key] = drive.Server(*SPECS[key], name=key)
                    s.start()
                fn(s)
            except CaseFailure as e:
                why = str(e)
            except Exception as e:  # I/O errors, or a bug in the case
                why = f"{type(e).__name__}: {e}"
            if key != "slow" and s is not None and s.proc is not None and not s.alive():
                why = (why + "; " if why else "") + f"server {key} died (status {s.proc.returncode}): {s.tail(4)}"
            tally.report(name, why)
        for key, s in servers.items():
            if key != "slow" and s.alive():
                rc = s.stop()
                tally.report(f"{key}_stops_cleanly", None if rc == 0 else f"exit status {rc} ({s.tail(3)})")
    finally:
        drive.stop_all()
    return tally.close()


if __name__ == "__main__":
    sys.exit(main())
