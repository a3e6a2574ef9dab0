"""A request that tries to leave traces for the next one in the same
(recycled) sandbox: module globals, builtins, a stdlib module, the SDK,
a start-up buffer, a large allocation (memory grows), files left open,
and (/poison/closeapp) the app directory's own descriptor closed.
GET /poison/check reports what it sees; a clean sandbox answers
"clean". Every other /poison/... request poisons."""
import builtins
import json
import os
import sys

from spin_sdk import http
from spin_sdk.http import Request, Response

STATE = {"count": 0}
BUFFER = bytearray(256 * 1024)  # in the snapshot, zero
LEAKED = []


def open_fds():
    fds = set()
    for fd in range(64):
        try:
            os.fstat(fd)
        except OSError:
            continue
        fds.add(fd)
    return fds


START_FDS = open_fds()  # stdio and the preopens


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
    fds = open_fds()
    if fds != START_FDS:
        problems.append(f"descriptors {sorted(fds)} where a new sandbox has {sorted(START_FDS)}")
    try:
        with open("/app/poison.py", "rb") as f:
            if not f.read(3) == b'"""':
                problems.append("/app/poison.py reads wrong")
    except OSError as e:
        problems.append(f"/app unreadable: {e}")
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
    LEAKED.append(open("/app/poison.py", "rb"))
    LEAKED.append(open("/app/spin.toml", "rb"))
    return size_mb


def close_app_dir():
    app = os.stat("/app")
    for fd in sorted(START_FDS):
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) == (app.st_dev, app.st_ino):
            os.close(fd)
            return
    raise RuntimeError("no descriptor for /app")


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        if request.uri == "/poison/check":
            problems = check()
            body = "clean" if not problems else "; ".join(problems)
            return Response(200, {"content-type": "text/plain"}, body.encode())
        size = 48 if request.uri.endswith("/big") else 1
        poison(size)
        if request.uri == "/poison/closeapp":
            close_app_dir()
        return Response(200, {"content-type": "text/plain"}, b"poisoned")
