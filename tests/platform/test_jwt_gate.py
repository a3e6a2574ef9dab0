#!/usr/bin/env python3
"""tests/platform/test_jwt_gate.py -- examples/jwt-gate in front of a real origin.

A loopback origin records every request it receives. The example is copied
to a temporary directory with a public.pem generated here (the test keeps
the private key and signs tokens with Debian's PyJWT), and served with
--variable origin=<the origin>. Checked: no token 401, bad / expired /
premature / wrong-key / wrong-algorithm / alg-none / forged tokens 403,
none of them reaching the origin; a valid token is forwarded (method,
path, query, body) with x-internal-user-id set to its sub, replacing one
the client sent, and the origin's response comes back as it is.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
import time

from edge_harness import ROOT, Cases, check, eq, start, stop_cleanly, use_debian_python

use_debian_python()

import jwt  # noqa: E402  Debian's PyJWT
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402

import drive  # noqa: E402

case = Cases()
TMP = tempfile.mkdtemp(prefix="pyedge-jwt-gate-")
state = {"received": []}
lock = threading.Lock()


class Origin(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        with lock:
            state["received"].append({"method": self.command, "path": self.path,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body})
        out = f"origin: {self.command} {self.path}".encode()
        self.send_response(207)
        self.send_header("content-type", "text/plain")
        self.send_header("x-origin", "real")
        self.send_header("content-length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *a):
        pass


def received():
    with lock:
        got, state["received"] = state["received"], []
    return got


def setup():
    o = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=o.serve_forever, daemon=True).start()
    state["origin"] = o
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    state["key"], state["other"] = key, rsa.generate_private_key(public_exponent=65537,
                                                                key_size=2048)
    app = os.path.join(TMP, "jwt-gate")
    shutil.copytree(os.path.join(ROOT, "examples", "jwt-gate"), app,
                    ignore=shutil.ignore_patterns(".spin", "__pycache__"))
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    with open(os.path.join(app, "public.pem"), "wb") as f:
        f.write(pem)
    state["pem"] = pem.decode()
    state["server"] = start(app, ["--quiet", "--variable",
                                  f"origin=http://127.0.0.1:{o.server_address[1]}"],
                            name="jwt-gate")


def token(sub="alice", key=None, alg="RS256", **claims):
    now = int(time.time())
    c = {"sub": sub, "iat": now, "exp": now + 300}
    c.update(claims)
    return jwt.encode(c, key or state["key"], algorithm=alg)


def call(method="GET", path="/", auth=None, headers=None, body=None):
    h = dict(headers or {})
    if auth is not None:
        h["Authorization"] = auth
    return drive.request(state["server"].port, method, path, headers=h, body=body, timeout=30)


@case
def no_token_is_401():
    for auth in (None, "", "Basic YWxpY2U6cHc=", "bearer " + token(), "Bearer"):
        r = call(auth=auth)
        drive.expect(r, 401, b"missing bearer token", f"Authorization {str(auth)[:20]!r}")
    eq(received(), [], "the origin was not contacted")


def forged_hs256():
    """An HS256 token whose secret is the gate's public key PEM."""
    h = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    p = base64.urlsafe_b64encode(json.dumps({"sub": "admin"}).encode()).rstrip(b"=")
    sig = hmac.new(state["pem"].encode(), h + b"." + p, hashlib.sha256).digest()
    return (h + b"." + p + b"." + base64.urlsafe_b64encode(sig).rstrip(b"=")).decode()


@case
def bad_tokens_are_403():
    now = int(time.time())
    good = token()
    h, p, s = good.split(".")
    bad = {
        "garbage": "nonsense",
        "expired": token(exp=now - 5),
        "not yet valid": token(nbf=now + 600),
        "another key": token(key=state["other"]),
        "another algorithm": token(key=ec.generate_private_key(ec.SECP256R1()), alg="ES256"),
        "RS512 (not allowed)": token(alg="RS512"),
        "alg none": jwt.encode({"sub": "admin"}, None, algorithm=None),
        "HS256 with the public key": forged_hs256(),
        "changed payload": ".".join((h, base64.urlsafe_b64encode(json.dumps(
            {"sub": "admin", "exp": now + 300}).encode()).rstrip(b"=").decode(), s)),
        "no signature": f"{h}.{p}.",
    }
    for what, tok in bad.items():
        r = call(auth="Bearer " + tok, headers={"x-internal-user-id": "admin"})
        drive.expect(r, 403, b"invalid token", what)
    eq(received(), [], "the origin was not contacted")


@case
def valid_token_is_forwarded():
    r = call("POST", "/api/orders?limit=5", auth="Bearer " + token("alice"),
             headers={"content-type": "application/json", "x-request-id": "r1"},
             body=b'{"item": 7}')
    drive.expect(r, 207, b"origin: POST /api/orders?limit=5")
    eq(r.header("x-origin"), "real", "the origin's header came back")
    got = received()
    eq(len(got), 1, "requests at the origin")
    g = got[0]
    eq((g["method"], g["path"], g["body"]), ("POST", "/api/orders?limit=5", b'{"item": 7}'),
       "forwarded request")
    eq(g["headers"].get("x-internal-user-id"), "alice", "x-internal-user-id")
    eq(g["headers"].get("x-request-id"), "r1", "other headers pass")
    eq(g["headers"].get("content-type"), "application/json", "content-type")


@case
def client_user_id_is_replaced():
    r = call("GET", "/me", auth="Bearer " + token("bob"), headers={"X-Internal-User-Id": "admin"})
    drive.expect(r, 207, b"origin: GET /me")
    got = received()
    eq([g["headers"].get("x-internal-user-id") for g in got], ["bob"], "the origin saw")


@case
def every_request_is_checked():
    """Fresh sandboxes, but the same decision each time: a valid token after
    a bad one after a valid one."""
    for i in range(3):
        drive.expect(call(path=f"/n/{i}", auth="Bearer " + token(f"u{i}")), 207)
        drive.expect(call(path=f"/n/{i}", auth="Bearer " + token(exp=1)), 403)
    eq([g["headers"]["x-internal-user-id"] for g in received()], ["u0", "u1", "u2"], "origin")


def teardown():
    why = stop_cleanly(state.get("server"))
    if state.get("origin"):
        state["origin"].shutdown()
    shutil.rmtree(TMP, ignore_errors=True)
    return why


if __name__ == "__main__":
    sys.exit(case.run(setup, teardown))
