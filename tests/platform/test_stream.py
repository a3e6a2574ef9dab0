#!/usr/bin/env python3
"""tests/platform/test_stream.py -- streamed responses in `pyedge up`,
end to end over real HTTP: apps on the raw wasi:http bindings of both
SDK generations (tests/platform/apps/stream: /p2/... spin-sdk 3.x's
wasi:http 0.2, /p3/... spin-sdk 4.0's wasi:http 0.3), the "response.*"
host calls and the HTTP server's chunked writer.

Covers each generation's streaming example in its shape (hash-all over
outbound requests, echo), pieces arriving while the handler still runs
(timestamps), a client that disconnects, one that does not read (memory
stays bounded, the handler waits), a handler that raises after the head
and the request deadline in the middle of a stream (both end the stream
broken, never as a complete response, and are logged), request bodies
read in pieces, large bodies both ways, HTTP/1.0 and HEAD framing, and
that whole responses keep Content-Length.

Usage: tests/platform/test_stream.py [-k SUBSTRING]... [-v]
"""

import hashlib
import json
import os
import socket
import time

from platform_util import (HOST, CaseFailure, Runner, Server, check, copy_app, eq, request)

T = Runner(__doc__.split("\n")[0])
GENS = ("p2", "p3")
TIMEOUT_S = 4

_srv = {}


def server(timeout=TIMEOUT_S):
    """A shared server per request time limit (short, so the deadline case
    ends soon; long for the slow reader)."""
    if timeout not in _srv or not _srv[timeout].alive():
        s = Server(copy_app("stream"), ["--workers", "4", "--request-timeout", str(timeout)],
                   name=f"stream-{timeout}")
        s.start()
        _srv[timeout] = s
    return _srv[timeout]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise CaseFailure("no VmRSS")


class Raw:
    """A response read off a socket by hand, with the time each piece of
    the body arrived."""

    def __init__(self, port, path, method="GET", version="1.1", headers=(), body=b""):
        self.sock = socket.create_connection((HOST, port), timeout=30)
        lines = [f"{method} {path} HTTP/{version}", "Host: localhost"]
        lines += [f"{n}: {v}" for n, v in headers]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        self.buf = b""
        self.eof = False

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            if not self.fill():
                raise CaseFailure(f"no head: {self.buf[:200]!r}")
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for line in lines[1:]:
            n, _, v = line.partition(":")
            self.headers[n.strip().lower()] = v.strip()
        return self.status

    def chunks(self):
        """(time, bytes) per chunk until the last one; raises Incomplete
        (with what came) when the connection ends before it."""
        got = []
        while True:
            while b"\r\n" not in self.buf:
                if not self.fill():
                    raise Incomplete(got)
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                self.buf = rest
                if not self.fill():
                    raise Incomplete(got)
                rest = self.buf
            data, self.buf = rest[:size], rest[size + 2:]
            if size == 0:
                return got
            got.append((time.time(), data))

    def body(self):
        """The whole body, chunked or with a content-length."""
        if self.headers.get("transfer-encoding") == "chunked":
            return b"".join(d for _, d in self.chunks())
        n = int(self.headers["content-length"])
        while len(self.buf) < n and self.fill():
            pass
        return self.buf[:n]

    def close(self):
        self.sock.close()


class Incomplete(Exception):
    def __init__(self, got):
        super().__init__(f"connection ended after {len(got)} chunks, without the last one")
        self.got = got


def log_lines(s, needle, wait=2.0):
    deadline = time.monotonic() + wait
    while True:
        lines = [l for l in s.stdout_lines() + s.stderr if needle in l]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


# --- the examples' shapes ------------------------------------------------------------

@T.case
def stream_hash_all_both_generations():
    """The SDKs' streaming example: hash every `url` header's body (outbound
    requests back to this server) and stream one line per URL."""
    s = server()
    sizes = [100000, 5, 70000]
    want = {f"http://{HOST}:{s.port}/whole/blob?n={n}":
            hashlib.sha256((bytes(range(256)) * (n // 256 + 1))[:n]).hexdigest() for n in sizes}
    for g in GENS:
        raw = Raw(s.port, f"/{g}/hash-all", headers=[("url", u) for u in want])
        eq(raw.head(), 200, f"{g} status")
        body = raw.body()
        raw.close()
        got = dict(line.split(": ", 1) for line in body.decode().splitlines())
        eq(got, want, f"{g}: one line per url (repeated headers all reach the app)")


@T.case
def stream_echo_both_generations():
    s = server()
    body = os.urandom(3 << 20)
    for g in GENS:
        r = request(s.port, "POST", f"/{g}/echo", body=body,
                    headers={"content-type": "application/x-test"})
        eq(r.status, 200, f"{g} status")
        check(r.body == body, f"{g}: echoed body differs ({len(r.body)} bytes back)")
        eq(r.header("content-type"), "application/x-test", f"{g} content-type")


# --- streaming as such -----------------------------------------------------------------

@T.case
def stream_pieces_arrive_before_the_handler_ends():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/pieces?n=4&pause=0.5")
        t0 = time.time()
        eq(raw.head(), 200, f"{g} status")
        eq(raw.headers.get("transfer-encoding"), "chunked", f"{g} framing")
        check("content-length" not in raw.headers, f"{g}: a streamed response has no length")
        got = raw.chunks()
        raw.close()
        lines = b"".join(d for _, d in got).decode().splitlines()
        eq([l.split()[1] for l in lines], ["0", "1", "2", "3"], f"{g} pieces")
        done = log_lines(s, f"[{g}] pieces: done")
        check(done, f"{g}: the handler's end is not logged")
        end = float(done[-1].split()[-1])
        # each piece reached the client before the handler wrote the next one
        # (0.5 s later), and the first ones long before the handler finished
        for (arrived, data), line in zip(_split(got), lines):
            written = float(line.split()[2])
            check(arrived - written < 0.4, f"{g}: piece {line!r} arrived {arrived - written:.3f} "
                                           "s after it was written")
        first_arrival = got[0][0]
        check(end - first_arrival > 1.2, f"{g}: the first piece came {end - first_arrival:.2f} s "
                                         "before the handler ended, expected > 1.2 s")
        check(first_arrival - t0 < 0.8, f"{g}: first piece after {first_arrival - t0:.2f} s")


@T.case
def stream_head_leaves_before_the_body():
    """Once the handler has given its response (ResponseOutparam.set, or
    returned it) and waits, the head goes out without waiting for a body."""
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/late")
        t0 = time.time()
        eq(raw.head(), 200, f"{g} status")
        head_at = time.time() - t0
        got = raw.chunks()
        raw.close()
        body_at = got[0][0] - t0
        eq(b"".join(d for _, d in got), b"late\n", f"{g} body")
        check(head_at < 0.9, f"{g}: the head came after {head_at:.2f} s")
        check(body_at > 1.1, f"{g}: the body came after {body_at:.2f} s")
        check(body_at - head_at > 0.5, f"{g}: head and body came together")


def _split(got):
    """One (time, line) per line: a chunk may hold several when they were
    written faster than the client read."""
    out = []
    for t, data in got:
        for line in data.decode().splitlines():
            out.append((t, line))
    return out


@T.case
def stream_client_disconnects_mid_stream():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/big?mb=1024")
        eq(raw.head(), 200, f"{g} status")
        for _ in range(20):
            raw.fill()
        raw.close()
        lines = log_lines(s, f"[{g}] big: client gone after", wait=10)
        check(lines, f"{g}: the handler's writes did not fail after the client left")
        sent = int(lines[-1].split("after ")[1].split()[0])
        check(sent < 64 << 20, f"{g}: the handler wrote {sent} bytes after the client left")
        check(log_lines(s, f"GET /{g}/big 200 {g}"), f"{g}: no access log line")


@T.case
def stream_slow_reader_bounds_memory():
    """A client that reads nothing for 3 s: the handler waits (the server
    holds at most the stream buffer, not the 512 MiB the handler wants to
    write), then gets everything once it reads."""
    s = server(60)
    for g in GENS:
        raw = Raw(s.port, f"/{g}/big?mb=256")
        eq(raw.head(), 200, f"{g} status")
        r0 = rss_mib(s.proc.pid)
        time.sleep(2.5)
        r1 = rss_mib(s.proc.pid)
        check(r1 - r0 < 48, f"{g}: the server grew {r1 - r0:.0f} MiB while the client slept")
        check(not log_lines(s, f"[{g}] big: wrote", wait=0),
              f"{g}: the handler finished while the client read nothing")
        total = 0
        raw.sock.settimeout(30)
        try:
            total = sum(len(d) for _, d in raw.chunks())
        except Incomplete as e:
            total = sum(len(d) for _, d in e.got)
            raise CaseFailure(f"{g}: stream broke after {total} bytes: {s.tail()}")
        finally:
            raw.close()
        eq(total, 256 << 20, f"{g}: body length")


@T.case
def stream_handler_raises_after_the_head():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/raise")
        eq(raw.head(), 200, f"{g} status (the head was out)")
        try:
            got = raw.chunks()
            raise CaseFailure(f"{g}: the broken stream ended as a complete response: {got}")
        except Incomplete as e:
            eq(b"".join(d for _, d in e.got), b"first piece\n", f"{g}: what came")
        raw.close()
        check(log_lines(s, f"GET /{g}/raise 200 {g}") and
              log_lines(s, f"GET /{g}/raise 200 {g}")[-1].endswith("stream broken"),
              f"{g}: the access log does not say the stream broke")
        check(log_lines(s, "the handler fails after the head"), f"{g}: no traceback logged")
        check(log_lines(s, f"pyedge: {g}: the streamed response broke"), f"{g}: no host line")


@T.case
def stream_deadline_in_the_middle():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/sleep")
        t0 = time.time()
        eq(raw.head(), 200, f"{g} status")
        try:
            raw.chunks()
            raise CaseFailure(f"{g}: the timed-out stream ended as a complete response")
        except Incomplete as e:
            eq(b"".join(d for _, d in e.got), b"first piece\n", f"{g}: what came")
        took = time.time() - t0
        raw.close()
        check(TIMEOUT_S - 0.5 < took < TIMEOUT_S + 3, f"{g}: ended after {took:.1f} s")
        check(log_lines(s, f"pyedge: {g}: the streamed response broke after its head: "
                           "the request timed out"), f"{g}: the timeout is not logged")


@T.case
def stream_request_body_in_pieces():
    s = server()
    body = os.urandom(1000000)
    for g in GENS:
        r = request(s.port, "POST", f"/{g}/reqbody?read=300000", body=body)
        eq(r.status, 200, f"{g} status")
        got = json.loads(r.body)
        eq(got["sizes"], [300000, 300000, 300000, 100000], f"{g}: piece sizes")
        eq(got["sha256"], hashlib.sha256(body).hexdigest(), f"{g}: body")
        eq(r.header("content-length"), str(len(r.body)), f"{g}: a whole response")


@T.case
def stream_large_body_and_many_requests_on_one_connection():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/big?mb=64")
        eq(raw.head(), 200, f"{g}")
        data = raw.chunks()
        eq(sum(len(d) for _, d in data), 64 << 20, f"{g}: body length")
        whole = b"".join(d for _, d in data[:4])
        check(whole == (bytes(range(256)) * (len(whole) // 256 + 1))[:len(whole)],
              f"{g}: body bytes")
        # keep-alive: the connection carries the next request
        raw.sock.sendall(b"GET /whole/blob?n=10 HTTP/1.1\r\nHost: x\r\n\r\n")
        eq(raw.head(), 200, f"{g}: next request on the same connection")
        eq(raw.headers.get("content-length"), "10", f"{g}: whole response after a stream")
        raw.close()


@T.case
def stream_http10_and_head():
    s = server()
    for g in GENS:
        raw = Raw(s.port, f"/{g}/pieces?n=2&pause=0.05", version="1.0")
        eq(raw.head(), 200, f"{g}")
        check("transfer-encoding" not in raw.headers, f"{g}: HTTP/1.0 gets no chunked body")
        eq(raw.headers.get("connection", "").lower(), "close", f"{g}: HTTP/1.0 close")
        while raw.fill():
            pass
        eq(len(raw.buf.decode().splitlines()), 2, f"{g}: body up to the close")
        raw.close()
        raw = Raw(s.port, f"/{g}/pieces?n=2&pause=0.05", method="HEAD")
        eq(raw.head(), 200, f"{g} HEAD")
        raw.sock.settimeout(1.5)
        try:
            extra = raw.sock.recv(100)
        except socket.timeout:
            extra = b""
        eq(extra, b"", f"{g}: HEAD has no body")
        raw.close()


@T.case
def stream_chained_call_gets_the_whole_response():
    """A chained component's response goes back to its caller whole: the
    p2 component streams /big, but called through service chaining it
    cannot (response.* is NO_SERVICE there) and sends it whole instead."""
    s = server()
    mb = 2
    url = f"http://p2.spin.internal/p2/big?mb={mb}"
    want = hashlib.sha256((bytes(range(256)) * 256) * (mb * 16)).hexdigest()
    raw = Raw(s.port, "/p3/hash-all", headers=[("url", url)])
    eq(raw.head(), 200, "status")
    body = raw.body()
    raw.close()
    eq(body.decode(), f"{url}: {want}\n", "the chained body, whole")
    check(log_lines(s, "[p2] big: wrote"), "the chained handler did not finish")


@T.case
def stream_whole_responses_unchanged():
    s = server()
    r = request(s.port, "GET", "/whole/blob?n=300000")
    eq(r.status, 200, "status")
    eq(r.header("content-length"), "300000", "content-length")
    check(r.header("transfer-encoding") is None, "no chunked framing for a whole response")
    # a raw-binding app whose body is done before any flush is whole too
    r = request(s.port, "POST", "/p3/reqbody", body=b"abc")
    eq(r.header("content-length"), str(len(r.body)), "p3 whole")


if __name__ == "__main__":
    raise SystemExit(T.main())
