"""/slow sleeps for one second (time.sleep), anything else answers at once.
Served with --workers 2 for the concurrency and graceful-shutdown tests."""
import time

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        path = request.uri.split("?")[0]
        if path == "/slow":
            t0 = time.monotonic()
            time.sleep(1.0)
            slept = time.monotonic() - t0
            return Response(200, {"content-type": "text/plain"}, f"slept {slept:.2f}".encode())
        return Response(200, {"content-type": "text/plain"}, b"fast")
