#!/usr/bin/env python3
"""bench/platform/http.py -- the cost of one outbound HTTP call to a
loopback origin from inside the sandbox, against the same request from
native host Python (http.client), in one run.

The origin is a minimal asyncio HTTP/1.1 server in its own process (keep-
alive, a 2-byte answer), so its own cost is small and shared by both sides.
The sandbox side is bench/platform/http_app served by `pyedge up`: one
inbound request makes N calls (N <= 64, the per-request limit) and reports
its own time.perf_counter() figure, so the inbound HTTP and the sandbox's
creation are not counted; the figure is the mean over R such requests,
after a warm-up.

Ways measured:
  sandbox send          spin_sdk.http.send (the host keeps the connection)
  sandbox http_client   one http.client.HTTPConnection, N requests on it
  sandbox urllib        urllib.request.urlopen each time
  sandbox raw           the bare host call with a ready payload (no SDK)
  native http_client    host python3, one keep-alive HTTPConnection
  native urllib         host python3, urlopen each time (a new TCP
                        connection per call)

Prints microseconds per call and the ratio to native http_client. Not a
test: numbers vary with the machine's load.

Usage: bench/platform/http.py [R]   (default 20 requests of 60 calls)
Environment: PYEDGE (default build/pyedge).
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
# this file is named http.py: keep its directory from shadowing the stdlib's http
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, os.path.join(ROOT, "tests", "serve"))

import http.client  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

from drive import Server, free_port, request  # noqa: E402

N = 60

ORIGIN = r'''
import asyncio, sys
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            n = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    n = int(line[15:])
            if n:
                await reader.readexactly(n)
            writer.write(RESP)
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()
async def main():
    srv = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
'''


def native(mode, port, n):
    t0 = time.perf_counter()
    if mode == "http_client":
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(n):
            conn.request("GET", "/")
            conn.getresponse().read()
        conn.close()
    else:
        for _ in range(n):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
                r.read()
    return (time.perf_counter() - t0) / n * 1e6


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    port = free_port()
    origin = subprocess.Popen([sys.executable, "-c", ORIGIN, str(port)], stdout=subprocess.PIPE)
    srv = None
    try:
        origin.stdout.readline()
        srv = Server(os.path.join(HERE, "http_app"),
                     ["--variable", f"origin_port={port}", "--log-dir", "", "--quiet"],
                     name="http-bench")
        srv.start()

        def sandbox(mode):
            path = f"/?mode={mode}&n={N}&port={port}"
            r = request(srv.port, "GET", path, timeout=60)  # warm-up
            if r.status != 200:
                raise SystemExit(f"bench request failed: {r.status} {r.body[:300]!r}")
            figures = [json.loads(request(srv.port, "GET", path, timeout=60).body)["us_per_call"]
                       for _ in range(rounds)]
            return sum(figures) / len(figures)

        native("http_client", port, N)  # warm-up
        results = {}
        for mode in ("send", "http_client", "urllib", "raw"):
            results[f"sandbox {mode}"] = sandbox(mode)
        for mode in ("http_client", "urllib"):
            results[f"native {mode}"] = sum(native(mode, port, N) for _ in range(rounds)) / rounds
        base = results["native http_client"]
        print(f"outbound HTTP GET to a loopback origin, {rounds} x {N} calls, microseconds per call")
        for name, us in results.items():
            print(f"  {name:22s} {us:8.1f} us   x{us / base:5.2f} native http_client")
    finally:
        if srv is not None:
            srv.stop()
        origin.terminate()
        origin.wait()


if __name__ == "__main__":
    main()
