"""Echo handler for the routing tests: the request as the handler sees it, as JSON.

COMPONENT (from the component's `environment` in spin.toml) tells which
component answered, so a test can see which route matched.
"""
import hashlib
import json
import os

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        doc = {
            "component": os.environ.get("COMPONENT", ""),
            "method": request.method,
            "uri": request.uri,
            "headers": request.headers,
            "headers_type": type(request.headers).__name__,
            "body_type": type(request.body).__name__,
            "body_len": len(request.body),
            "body_sha256": hashlib.sha256(request.body).hexdigest(),
        }
        return Response(200, {"content-type": "application/json"},
                        json.dumps(doc, sort_keys=True).encode())
