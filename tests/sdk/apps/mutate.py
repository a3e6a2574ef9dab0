"""A handler that changes request.headers in place, then answers from it."""
import json

from spin_sdk.http import IncomingHandler as Base
from spin_sdk.http import Response

seen = []


class IncomingHandler(Base):
    def handle_request(self, request):
        seen.append(dict(request.headers))
        request.headers.pop("x-remove", None)
        request.headers["x-added"] = "yes"
        request.headers["x-keep"] = request.headers.get("x-keep", "") + "!"
        request.uri = "/changed"
        request.body = b"changed"
        if "x-fail" in request.headers:
            raise RuntimeError("failed after mutating the request")
        return Response(200, request.headers, json.dumps(sorted(request.headers.items())).encode())
