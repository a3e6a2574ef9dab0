"""The pyedge example app: GET / answers a small JSON document.

Written as for Spin's Python SDK (spin-sdk 3.x): `pyedge up -f examples/hello`
serves it, each request in a fresh sandbox.
"""
import json
import time

from spin_sdk import http
from spin_sdk.http import Request, Response

# pyedge only (Spin ignores it): send GET / through the handler a few dozen
# times at start-up, before the snapshot, so every request starts with the
# handler's code already specialised. Safe here: the handler changes nothing.
pyedge_warm_up = ["/"]


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        body = {
            "service": "hello",
            "runtime": "cpython-wasm",
            "ok": True,
            "timestamp": int(time.time()),
        }
        return Response(
            200,
            {"content-type": "application/json", "cache-control": "no-store"},
            json.dumps(body).encode(),
        )
