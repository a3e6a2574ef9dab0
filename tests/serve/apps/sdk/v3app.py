"""spin-sdk 3.x style: a synchronous IncomingHandler class."""
from spin_sdk import http
from spin_sdk.http import Request, Response

from describe import describe


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        return Response(200, {"content-type": "application/json", "x-style": "v3"},
                        describe(request, "v3"))
