"""Handlers that fail in various ways, by path."""
import os
import sys

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        what = request.uri.split("?")[0].rsplit("/", 1)[-1]
        if what == "raise":
            raise ValueError("the handler failed on purpose")
        if what == "exit":
            sys.exit(3)
        if what == "os-exit":
            os._exit(3)
        if what == "bad-status":
            return Response("not a status", {}, b"")
        return Response(200, {"content-type": "text/plain"}, b"fine")
