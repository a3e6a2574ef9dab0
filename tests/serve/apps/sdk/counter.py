"""Module-level state: set at import (in the snapshot), bumped per request.
With a fresh sandbox per request every response says count 1."""
from spin_sdk import http
from spin_sdk.http import Request, Response

count = 0
seen = []


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        global count
        count += 1
        seen.append(request.uri)
        return Response(200, {"content-type": "text/plain"},
                        f"count={count} seen={len(seen)}".encode())
