"""The pyedge example app: GET / answers a small JSON document.

Written as for Spin's Python SDK (spin-sdk 3.x): `pyedge up -f examples/hello`
serves it, each request in a fresh sandbox.
"""
import json
import time

from spin_sdk import http
from spin_sdk.http import Request, Response


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
