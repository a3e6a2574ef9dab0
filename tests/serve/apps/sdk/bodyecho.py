"""Sends the request body back as is. Sets no content-length: the SDK and
the host must add it."""
from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        return Response(200, {"content-type": "application/octet-stream",
                              "X-Body-Type": type(request.body).__name__},
                        request.body)
