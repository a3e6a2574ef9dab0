"""One handler whose behaviour is chosen by the request path: exceptions and
every kind of bad return value."""
import asyncio
import sys

from spin_sdk import http
from spin_sdk.http import Response

calls = 0


class Boom(Exception):
    pass


_EMPTY = object()


def _make(status=200, headers=_EMPTY, body=b"ok"):
    return Response(status, {} if headers is _EMPTY else headers, body)


CASES = {
    "/ok": lambda: _make(),
    "/raise": lambda: (_ for _ in ()).throw(Boom("kaboom from the handler")),
    "/exit": lambda: sys.exit(3),
    "/none": lambda: None,
    "/not-a-response": lambda: {"status": 200},
    "/status-str": lambda: _make(status="200"),
    "/status-bool": lambda: _make(status=True),
    "/status-low": lambda: _make(status=99),
    "/status-high": lambda: _make(status=1000),
    "/status-418": lambda: _make(status=418),
    "/headers-int": lambda: _make(headers=5),
    "/headers-none": lambda: _make(headers=None),
    "/headers-pairs": lambda: _make(headers=[("x-a", "1"), ("x-a", "2")]),
    "/name-space": lambda: _make(headers={"bad name": "v"}),
    "/name-bytes": lambda: _make(headers={b"x-bytes": "v"}),
    "/name-upper": lambda: _make(headers={"X-Upper-Case": "Value Kept"}),
    "/value-crlf": lambda: _make(headers={"x-split": "a\r\nset-cookie: evil=1"}),
    "/value-nul": lambda: _make(headers={"x-nul": "a\x00b"}),
    "/value-int": lambda: _make(headers={"x-int": 42}),
    "/value-bytes": lambda: _make(headers={"x-bytes": b"raw"}),
    "/value-bad-utf8": lambda: _make(headers={"x-bytes": b"\xff"}),
    "/value-unicode": lambda: _make(headers={"x-uni": "h\u00e9llo \u2603"}),
    "/body-none": lambda: _make(body=None),
    "/body-str": lambda: _make(body="h\u00e9"),
    "/body-bytearray": lambda: _make(body=bytearray(b"ba")),
    "/body-memoryview": lambda: _make(body=memoryview(b"mv")),
    "/body-int": lambda: _make(body=5),
    "/cl-kept": lambda: _make(headers={"Content-Length": "10"}, body=b""),
    "/cl-bad": lambda: _make(headers={"content-length": "ten"}),
    "/cl-negative": lambda: _make(headers={"content-length": "-1"}),
    "/cl-twice": lambda: _make(headers={"Content-Length": "2", "content-length": "2"}),
    "/cl-int": lambda: _make(headers={"content-length": 2}, body=b"ok"),
    "/send": lambda: http.send(http.Request("GET", "https://example.com/", {}, None)),
    "/send-async": lambda: asyncio.run(http.send_async(http.Request("GET", "/", {}, None))),
    "/asyncio-run": lambda: _make(body=asyncio.run(_sleepy())),
    "/never": lambda: asyncio.run(_never()),
}


async def _sleepy():
    await asyncio.sleep(0.002)
    return b"slept"


async def _never():
    await asyncio.get_running_loop().create_future()


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request):
        global calls
        calls += 1
        return CASES[request.uri]()
