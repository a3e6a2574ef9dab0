"""Handlers that break the per-request limits (run with --request-timeout 1
--max-instance-memory 64M), by path; anything else answers "ok"."""
import asyncio
import time

from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        path = request.uri.split("?")[0]
        if path == "/spin":
            while True:
                pass
        if path == "/sleep":
            time.sleep(10)  # blocked in the host (WASI poll_oneoff), not running code
            return Response(200, {}, b"woke up")
        if path == "/async-sleep":
            asyncio.run(asyncio.sleep(10))
            return Response(200, {}, b"woke up")
        if path == "/alloc":
            hog = bytearray(500 * 1024 * 1024)  # 500 MB, far above the limit
            return Response(200, {"content-type": "text/plain"}, f"allocated {len(hog)}".encode())
        if path.startswith("/alloc-mb/"):
            # an allocation under the limit works
            n = int(path.rsplit("/", 1)[1])
            hog = bytearray(n * 1024 * 1024)
            return Response(200, {"content-type": "text/plain"}, f"allocated {len(hog)}".encode())
        if path == "/grow":
            # many small allocations instead of one big one
            chunks = []
            for _ in range(500):
                chunks.append(bytearray(1024 * 1024))
            return Response(200, {"content-type": "text/plain"}, f"allocated {len(chunks)} MiB".encode())
        return Response(200, {"content-type": "text/plain"}, b"ok")
