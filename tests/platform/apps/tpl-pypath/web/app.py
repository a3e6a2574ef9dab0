"""Imports a package from a sibling directory (-p ../shared) and one
vendored inside the component (-p vendor)."""
import json
import sys

import greeting
import vendored
from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        body = {
            "greeting": greeting.hello("pyedge"),
            "greeting_file": greeting.__file__,
            "vendored": vendored.NAME,
            "vendored_file": vendored.__file__,
            "path": sys.path[:5],
        }
        return Response(200, {"content-type": "application/json"}, json.dumps(body).encode())
