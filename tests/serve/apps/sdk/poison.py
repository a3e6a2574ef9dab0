"""A request that tries to leave traces for the next one in the same
(recycled) sandbox: module globals, builtins, a stdlib module, the SDK,
a start-up buffer, a large allocation (memory grows), a trap-free exit.
GET /poison/check reports what it sees; a clean sandbox answers
"clean". Every other /poison/... request poisons."""
import builtins
import json
import sys

from spin_sdk import http
from spin_sdk.http import Request, Response

STATE = {"count": 0}
BUFFER = bytearray(256 * 1024)  # in the snapshot, zero


def check():
    problems = []
    if STATE["count"] != 0:
        problems.append(f"count={STATE['count']}")
    if hasattr(builtins, "poisoned"):
        problems.append("builtins poisoned")
    if json.dumps({"a": 1}) != '{"a": 1}':
        problems.append("json.dumps replaced")
    if getattr(http.Response, "poisoned", False):
        problems.append("spin_sdk.http.Response poisoned")
    if any(BUFFER):
        problems.append(f"BUFFER dirty ({sum(1 for b in BUFFER if b)} bytes)")
    if "poison_marker" in sys.modules:
        problems.append("sys.modules poisoned")
    return problems


def poison(size_mb):
    STATE["count"] += 1
    BUFFER[:] = b"\xab" * len(BUFFER)
    json.dumps = lambda *a, **k: "poisoned"
    http.Response.poisoned = True
    sys.modules["poison_marker"] = object()
    big = bytearray(size_mb << 20)  # grows linear memory
    big[::4096] = b"\x01" * len(big[::4096])
    builtins.poisoned = True  # (replacing len itself would break this request's reply)
    return size_mb


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        if request.uri == "/poison/check":
            problems = check()
            body = "clean" if not problems else "; ".join(problems)
            return Response(200, {"content-type": "text/plain"}, body.encode())
        size = 48 if request.uri.endswith("/big") else 1
        poison(size)
        return Response(200, {"content-type": "text/plain"}, b"poisoned")
