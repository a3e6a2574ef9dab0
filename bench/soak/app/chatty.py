"""GET /chatty/<rid>?n=N: prints N bytes to stdout in 100-byte lines, a
print() call each (a handler logging in a loop), then answers 200
"printed <rid>". Past 1 MiB a request's output is cut by the host (the
capture cap); the component's log file rotates at --max-log-size."""
from urllib.parse import parse_qs, urlsplit

from spin_sdk.http import IncomingHandler as _Base
from spin_sdk.http import Response


class IncomingHandler(_Base):
    def handle_request(self, request):
        parts = urlsplit(request.uri)
        rid = parts.path.rstrip("/").rsplit("/", 1)[-1]
        n = int(parse_qs(parts.query).get("n", ["100000"])[0])
        for i in range(n // 100):
            print(f"{rid}:{i:08d}:".ljust(99, "x"))
        return Response(200, {"content-type": "text/plain"}, f"printed {rid}".encode())
