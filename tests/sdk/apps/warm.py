"""Asks for a warm-up of two paths; records what the warm-up requests
looked like. WARM_MODE (environment) picks a broken variant for the tests."""
import os

from spin_sdk.http import Response

seen = []

_mode = os.environ.get("WARM_MODE", "")
if _mode == "str":
    pyedge_warm_up = "/"
elif _mode == "relative":
    pyedge_warm_up = ["/", "items"]
elif _mode == "space":
    pyedge_warm_up = ["/a b"]
else:
    pyedge_warm_up = ("/", "/items?id=1")


def handle_request(request):
    seen.append((request.method, request.uri, request.headers.get("spin-path-info"),
                 request.headers.get("spin-full-url")))
    if _mode == "fails" and request.uri == "/items?id=1":
        raise KeyError("no store at start-up")
    if _mode == "404":
        return Response(404, {}, b"")
    return Response(200, {"content-type": "text/plain"}, str(len(seen)).encode())
