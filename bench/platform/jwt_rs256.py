#!/usr/bin/env python3
"""bench/platform/jwt_rs256.py -- RS256 verification: pyedge's `jwt` inside
the sandbox against Debian's PyJWT on the host, in one run.

One RSA-2048 key and one token are made here. The host side times
jwt.decode(token, PEM, algorithms=["RS256"]) in a loop (the PEM text as the
key, as a gate app passes it; and once more with a pre-loaded key object).
The sandbox side is a small app served by `pyedge up`: one request runs
the same jwt.decode N times and reports its own time.perf_counter()
figure, so HTTP and sandbox creation are not counted; the first request is
a warm-up. Also measured: the whole request (HTTP + fresh sandbox + one
verification) against the same app answering without verifying.

Prints microseconds per call and the ratio sandbox / host (lower is
better). Not a test: numbers vary with the machine's load.

Usage: bench/platform/jwt_rs256.py [N]   (default 2000)
Environment: PYEDGE (default build/pyedge).
"""

import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "platform"))

from edge_harness import drive, use_debian_python  # noqa: E402

use_debian_python()

import jwt  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

APP = '''
import json, time
import jwt
from spin_sdk.http import Response

def handle_request(request):
    d = json.loads(request.body)
    if d["n"] == 0:
        return Response(200, {}, b"skipped")
    t0 = time.perf_counter()
    for _ in range(d["n"]):
        claims = jwt.decode(d["token"], d["pem"], algorithms=["RS256"])
    dt = time.perf_counter() - t0
    return Response(200, {}, json.dumps({"seconds": dt, "sub": claims["sub"]}).encode())
'''

MANIFEST = '''spin_manifest_version = 2
[application]
name = "jwt-bench"
[[trigger.http]]
route = "/..."
component = "jwt-bench"
[component.jwt-bench]
source = "app.wasm"
'''


def per_call_host(fn, n):
    fn()
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = (time.perf_counter() - t0) / n
        best = dt if best is None else min(best, dt)
    return best


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    token = jwt.encode({"sub": "bench", "exp": int(time.time()) + 3600}, key, algorithm="RS256")

    host_pem = per_call_host(lambda: jwt.decode(token, pem, algorithms=["RS256"]), n)
    pub = key.public_key()
    host_obj = per_call_host(lambda: jwt.decode(token, pub, algorithms=["RS256"]), n)

    d = tempfile.mkdtemp(prefix="pyedge-jwt-bench-")
    with open(os.path.join(d, "spin.toml"), "w") as f:
        f.write(MANIFEST)
    with open(os.path.join(d, "app.py"), "w") as f:
        f.write(APP)
    s = drive.Server(d, ["--quiet"], name="jwt-bench")
    s.start()
    try:
        def post(k):
            r = drive.request(s.port, "POST", "/", body=json.dumps(
                {"n": k, "token": token, "pem": pem}).encode(), timeout=600)
            assert r.status == 200, (r.status, r.body[:300], s.tail())
            return r

        post(50)  # warm-up
        sandbox = min(json.loads(post(n).body)["seconds"] / n for _ in range(3))

        # whole requests: one verification vs none
        def request_ms(k, reps=200):
            times = []
            for _ in range(reps):
                t0 = time.perf_counter()
                post(k)
                times.append(time.perf_counter() - t0)
            return statistics.median(times) * 1000

        req_verify, req_plain = request_ms(1), request_ms(0)
    finally:
        s.stop()
        drive.stop_all()
        import shutil
        shutil.rmtree(d, ignore_errors=True)

    print(f"RS256 verify, RSA-2048, {n} calls (best of 3)")
    print(f"  host PyJWT {jwt.__version__}, PEM key     {host_pem * 1e6:8.1f} us/call")
    print(f"  host PyJWT, key object           {host_obj * 1e6:8.1f} us/call")
    print(f"  pyedge sandbox jwt, PEM key      {sandbox * 1e6:8.1f} us/call")
    print(f"  ratio sandbox / host (PEM key)   {sandbox / host_pem:8.2f}")
    print(f"  ratio sandbox / host (key obj)   {sandbox / host_obj:8.2f}")
    print("whole request (HTTP + fresh sandbox), median of 200")
    print(f"  with one verification            {req_verify:8.3f} ms")
    print(f"  without                          {req_plain:8.3f} ms")


if __name__ == "__main__":
    main()
