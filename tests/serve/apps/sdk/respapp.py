"""Responses the host must frame correctly whatever the handler returns,
chosen by the last path segment."""
from spin_sdk import http
from spin_sdk.http import Request, Response


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        what = request.uri.split("?")[0].rsplit("/", 1)[-1]
        if what == "no-content":  # a 204 must go out without a body
            return Response(204, {"x-what": what}, b"this body must not be sent")
        if what == "not-modified":
            return Response(304, {"etag": '"v1"'}, b"")
        if what == "wrong-length":  # the handler's content-length does not match its body
            return Response(200, {"content-length": "10"}, b"abc")
        if what == "crlf-header":  # header injection attempt
            return Response(200, {"x-bad": "a\r\nx-injected: 1"}, b"")
        if what == "hop-by-hop":  # framing headers are the host's to write
            return Response(200, {"connection": "close", "transfer-encoding": "chunked",
                                  "x-what": what}, b"abc")
        if what == "long-header":  # over the host's 8 KiB value limit: dropped, and logged
            return Response(200, {"x-long": "v" * 9000, "x-ok": "1"}, b"")
        if what == "str-body":
            return Response(200, {"content-type": "text/plain; charset=utf-8", "x-n": 5}, "héllo")
        if what == "big":
            return Response(200, {"content-type": "application/octet-stream"}, b"x" * (5 << 20))
        if what == "created":
            return Response(201, {"location": "/resp/1"}, None)
        if what == "teapot":
            return Response(418, {}, b"short and stout")
        if what == "status-1000":
            return Response(1000, {}, b"")
        if what == "status-600":
            return Response(600, {}, b"")
        return Response(404, {}, b"unknown " + what.encode())
